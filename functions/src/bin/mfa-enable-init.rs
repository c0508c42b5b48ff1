//! Lambda function for POST /v1/auth/2fa/enable-init.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("mfa-enable-init").await
}
