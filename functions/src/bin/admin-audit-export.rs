//! Lambda function for GET /v1/admin/audit-logs/export.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("admin-audit-export").await
}
