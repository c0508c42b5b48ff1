//! Lambda function for POST /v1/admin/users/{id}/plan.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("admin-set-plan").await
}
