//! Lambda function for DELETE /v1/provisioning/mail-domains/{id}.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("delete-mail-domain").await
}
