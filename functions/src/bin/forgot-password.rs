//! Lambda function for POST /v1/auth/forgot-password.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("forgot-password").await
}
