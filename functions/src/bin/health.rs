//! Lambda function for GET /v1/health.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("health").await
}
