//! Lambda function for GET /v1/auth/sessions.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("list-sessions").await
}
