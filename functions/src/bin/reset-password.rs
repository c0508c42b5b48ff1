//! Lambda function for POST /v1/auth/reset-password.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("reset-password").await
}
