//! Lambda function for POST /v1/auth/2fa/verify.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("mfa-verify").await
}
