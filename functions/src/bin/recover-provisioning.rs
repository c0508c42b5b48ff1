//! Scheduled function: finishes provisioning calls that stopped half-way (every 15 minutes).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::job::run("recover-provisioning").await
}
