//! Scheduled function: removes accounts never verified in time (EventBridge, hourly).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::job::run("purge-unverified").await
}
