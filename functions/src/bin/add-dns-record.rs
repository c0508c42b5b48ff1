//! Lambda function for POST /v1/provisioning/dns-zones/{id}/records.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("add-dns-record").await
}
