//! Lambda function for GET /v1/provisioning/dns-zones.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("list-dns-zones").await
}
