//! Scheduled function: lifts expired login locks (EventBridge, every 5 minutes).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::job::run("unlock-accounts").await
}
