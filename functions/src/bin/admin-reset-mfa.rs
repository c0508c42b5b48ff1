//! Lambda function for POST /v1/admin/users/{id}/reset-2fa.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("admin-reset-mfa").await
}
