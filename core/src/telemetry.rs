//! JSON logs on stdout (CloudWatch reads them as they are): one line per request naming the
//! route template, never the raw path or query (tokens travel in queries).

use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber once; later calls are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_env("LATCH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_env_filter(filter)
        .try_init();
}

tokio::task_local! {
    /// The keyed hash of the user a request acted for, once authentication or login knows it.
    static REQUEST_USER: std::cell::RefCell<Option<String>>;
}

/// Runs one request's handling with room for `note_user`; returns what was noted.
pub async fn with_request_user<T>(
    work: impl std::future::Future<Output = T>,
) -> (T, Option<String>) {
    REQUEST_USER
        .scope(std::cell::RefCell::new(None), async move {
            let out = work.await;
            let user = REQUEST_USER.try_with(|u| u.borrow().clone()).ok().flatten();
            (out, user)
        })
        .await
}

/// Notes the (already hashed) user of the current request for its log line.
pub fn note_user(user_hash: String) {
    let _ = REQUEST_USER.try_with(|u| *u.borrow_mut() = Some(user_hash));
}

/// The one log line of a request: never the raw path, the query, an email or a token.
pub fn request_line(
    request_id: &str,
    method: &str,
    route: &str,
    status: u16,
    latency: Duration,
    user: Option<&str>,
    trace_id: Option<&str>,
) {
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    let user = user.unwrap_or("-");
    let trace_id = trace_id.unwrap_or("-");
    tracing::info!(
        target: "latch::request",
        requestId = request_id,
        method,
        route,
        status,
        latencyMs = latency_ms,
        user,
        traceId = trace_id,
        "request"
    );
}

/// An error and all its sources, `: `-separated, with every email address redacted: a
/// provider's message (SES naming a recipient, say) must not put personal data in the logs.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    redact_addresses(&out)
}

/// `text` with every word that holds an `@` between other address characters replaced by
/// `<address>`.
pub fn redact_addresses(text: &str) -> String {
    let in_address = |c: char| c.is_ascii_alphanumeric() || "._%+-=!#$&'*/?^`{|}~@".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let at = word.find('@');
        let is_address = at.is_some_and(|i| i > 0 && i + 1 < word.len());
        if is_address {
            out.push_str("<address>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if in_address(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_addresses;

    #[test]
    fn addresses_in_provider_messages_are_redacted_and_the_rest_kept() {
        let msg = "MessageRejected: Email address is not verified. The following identities failed \
                   the check in region EU-WEST-1: ada.lovelace+x@example.com, <bob@example.org>";
        let out = redact_addresses(msg);
        assert!(
            !out.contains("example.com") && !out.contains("bob@"),
            "{out}"
        );
        assert!(out.contains("identities failed") && out.contains("EU-WEST-1"));
        assert_eq!(out.matches("<address>").count(), 2, "{out}");
        assert_eq!(redact_addresses("a @ b, x@, @y"), "a @ b, x@, @y");
    }
}
