//! Lambda function for POST /v1/provisioning/hosting-accounts.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("create-hosting-account").await
}
