//! One-shot function: makes the first administrator (invoked by hand, idempotent).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::seed_admin::run().await
}
