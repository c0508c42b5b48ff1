//! Lambda function for DELETE /v1/provisioning/dns-zones/{id}.
#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    latch_functions::lambda::run("delete-dns-zone").await
}
