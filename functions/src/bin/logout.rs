//! Lambda function for POST /v1/auth/logout.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("logout").await
}
