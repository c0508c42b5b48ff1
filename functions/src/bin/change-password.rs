//! Lambda function for POST /v1/auth/change-password.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("change-password").await
}
