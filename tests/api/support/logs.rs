//! Every log line the in-process servers write, captured as the JSON that would reach
//! CloudWatch, so tests can grep it for secrets; and every EMF metric line, so tests can see
//! what was counted.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn buffer() -> &'static Buffer {
    static BUFFER: OnceLock<Buffer> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
}

fn metric_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        latch_core::metrics::install_sink(|line| metric_lines().lock().unwrap().push(line.into()));
        Mutex::new(Vec::new())
    })
}

/// Starts capturing (idempotent).
pub fn install() {
    buffer();
    metric_lines();
}

/// Every EMF document emitted so far, from every test of this process.
pub fn metrics() -> Vec<serde_json::Value> {
    let lines = metric_lines().lock().unwrap().clone();
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Everything captured so far, from every test of this process.
pub fn captured() -> String {
    String::from_utf8_lossy(&buffer().0.lock().unwrap()).into_owned()
}
