//! Lambda function for POST /v1/provisioning/databases.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("create-database").await
}
