//! Lambda function for POST /v1/account/plan.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("account-set-plan").await
}
