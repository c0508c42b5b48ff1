//! Lambda function for POST /v1/auth/login.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("login").await
}
