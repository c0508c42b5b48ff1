//! The local server: every endpoint on LATCH_ADDR (default 127.0.0.1:3000), embedded defaults.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    latch_functions::local::main().await
}
