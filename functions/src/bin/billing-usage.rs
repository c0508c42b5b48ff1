//! Lambda function for POST /v1/billing/usage.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("billing-usage").await
}
