//! Queue function: sends the mail handlers enqueued (SQS, partial batch responses).
#[tokio::main]
async fn main() -> Result<(), lambda_http::lambda_runtime::Error> {
    latch_functions::mail_sender::run().await
}
