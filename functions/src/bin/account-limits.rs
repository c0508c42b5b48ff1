//! Lambda function for GET /v1/account/limits.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("account-limits").await
}
