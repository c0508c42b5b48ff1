//! Lambda function for GET /v1/auth/me.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("me").await
}
