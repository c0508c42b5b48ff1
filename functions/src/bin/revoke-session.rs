//! Lambda function for DELETE /v1/auth/sessions/{id}.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("revoke-session").await
}
