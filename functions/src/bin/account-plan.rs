//! Lambda function for GET /v1/account/plan.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("account-plan").await
}
