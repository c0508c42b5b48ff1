//! Lambda function for POST /v1/auth/recovery-login.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("recovery-login").await
}
