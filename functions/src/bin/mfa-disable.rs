//! Lambda function for POST /v1/auth/2fa/disable.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("mfa-disable").await
}
