//! Secrets Manager rotation function for the keys secret (each step of a rotation).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::rotation::run().await
}
