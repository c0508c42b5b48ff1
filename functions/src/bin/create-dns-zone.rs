//! Lambda function for POST /v1/provisioning/dns-zones.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("create-dns-zone").await
}
