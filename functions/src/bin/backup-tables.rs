//! Scheduled function: backs every table up and deletes this system's expired backups (daily).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::job::run("backup-tables").await
}
