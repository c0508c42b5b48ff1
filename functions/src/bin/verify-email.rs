//! Lambda function for GET /v1/auth/verify-email.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("verify-email").await
}
