//! Lambda function for POST /v1/auth/password-strength.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("password-strength").await
}
