//! Lambda function for POST /v1/auth/2fa/recovery-codes.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("mfa-recovery-codes").await
}
