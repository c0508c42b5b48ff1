//! Lambda function for GET /v1/admin/users.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("admin-list-users").await
}
