//! Lambda function for GET /v1/provisioning/dns-zones/{id}.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("get-dns-zone").await
}
