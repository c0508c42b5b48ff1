//! Lambda function for GET /.well-known/jwks.json.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("jwks").await
}
