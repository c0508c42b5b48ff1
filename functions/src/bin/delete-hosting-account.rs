//! Lambda function for DELETE /v1/provisioning/hosting-accounts/{id}.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("delete-hosting-account").await
}
