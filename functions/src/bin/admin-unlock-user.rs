//! Lambda function for POST /v1/admin/users/{id}/unlock.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("admin-unlock-user").await
}
