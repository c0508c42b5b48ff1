//! Lambda function for GET /v1/openapi.json.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("openapi").await
}
