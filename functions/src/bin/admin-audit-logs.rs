//! Lambda function for GET /v1/admin/audit-logs.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("admin-audit-logs").await
}
