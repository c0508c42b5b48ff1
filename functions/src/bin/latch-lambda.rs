//! The bootstrap of every Latch Lambda function: `LATCH_FUNCTION` names the one it serves.
#[tokio::main]
async fn main() {
    if let Err(err) = latch_functions::bootstrap::run().await {
        // One line, on the function's log, and a failed init: Lambda reports it and retries.
        eprintln!("latch-lambda: {err}");
        std::process::exit(1);
    }
}
