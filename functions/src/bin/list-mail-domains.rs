//! Lambda function for GET /v1/provisioning/mail-domains.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("list-mail-domains").await
}
