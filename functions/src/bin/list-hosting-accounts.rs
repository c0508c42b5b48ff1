//! Lambda function for GET /v1/provisioning/hosting-accounts.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("list-hosting-accounts").await
}
