//! Lambda function for POST /v1/auth/resend-verification.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("resend-verification").await
}
