//! Lambda function for POST /v1/auth/refresh.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("refresh").await
}
