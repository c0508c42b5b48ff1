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

/// An error and all its sources, `: `-separated, with every email and IP address redacted: a
/// provider's message (SES naming a recipient, say) must not put personal data in the logs.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    redacted(&chain(err))
}

fn redacted(text: &str) -> String {
    redact_ips(&redact_addresses(text))
}

/// An error and all its sources as they are: only for text that is redacted next.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
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
    out
}

/// A dependency call that failed or ran out of time, as an `Error::Unavailable`: logged with the
/// operation (and the provider's words, addresses redacted) and counted as `DependencyFailures`.
pub fn outage(operation: &str, timed_out: bool, detail: &str) -> crate::Error {
    let outage = crate::error::Outage {
        operation: operation.to_owned(),
        timed_out,
        detail: redacted(detail),
    };
    tracing::warn!(
        target: "latch::dependency",
        operation,
        timedOut = timed_out,
        error = %outage.detail,
        "dependency call failed"
    );
    let at_ms = crate::metrics::epoch_ms(time::OffsetDateTime::now_utc());
    crate::metrics::emit(&crate::metrics::dependency_failure(&outage, at_ms));
    crate::Error::Unavailable(Box::new(outage))
}

/// `outage` for an error and its whole cause chain (the AWS SDK's `Display` alone says
/// "service error" and nothing else).
pub fn outage_of(
    operation: &str,
    timed_out: bool,
    err: &(dyn std::error::Error + 'static),
) -> crate::Error {
    outage(operation, timed_out, &chain(err))
}

/// `text` with every IPv4 or IPv6 address (a port after it kept) replaced by `<ip>`.
pub fn redact_ips(text: &str) -> String {
    let in_ip = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars() {
        if in_ip(c) {
            token.push(c);
        } else {
            out.push_str(&redact_ip_token(&token));
            token.clear();
            out.push(c);
        }
    }
    out.push_str(&redact_ip_token(&token));
    out
}

/// One run of hex digits, dots and colons, its addresses replaced.
fn redact_ip_token(token: &str) -> String {
    let is_ip = |t: &str| t.contains(['.', ':']) && t.parse::<std::net::IpAddr>().is_ok();
    let bare = token.trim_end_matches('.');
    if is_ip(bare) {
        return format!("<ip>{}", &token[bare.len()..]);
    }
    // `1.2.3.4:443`, `::ffff:1.2.3.4:443`: an address and its port.
    if let Some((host, port)) = bare.rsplit_once(':')
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
        && host.contains('.')
        && is_ip(host)
    {
        return format!("<ip>{}", &token[host.len()..]);
    }
    // An IPv4 address glued to other text by a colon (`peer:10.0.0.7`).
    let mut out = String::with_capacity(token.len());
    for (i, part) in token.split(':').enumerate() {
        if i > 0 {
            out.push(':');
        }
        let bare = part.trim_end_matches('.');
        if bare.parse::<std::net::Ipv4Addr>().is_ok() {
            out.push_str("<ip>");
            out.push_str(&part[bare.len()..]);
        } else {
            out.push_str(part);
        }
    }
    out
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
    use super::{redact_addresses, redact_ips};

    #[test]
    fn ip_addresses_are_redacted_and_ports_times_and_versions_kept() {
        let msg = "connect to 10.0.0.7:8000 failed; http://[2001:db8::1]:443/ at 12:30:45, v1.2.3, \
                   ::ffff:192.0.2.1 and 127.0.0.1.";
        let out = redact_ips(msg);
        assert_eq!(
            out,
            "connect to <ip>:8000 failed; http://[<ip>]:443/ at 12:30:45, v1.2.3, <ip> and <ip>."
        );
        let glued =
            "prefix 2001:db8:1:: peer:10.0.0.7 ip:10.0.0.7:443 ::ffff:10.0.0.7:443 1.2.3.4.";
        assert_eq!(
            redact_ips(glued),
            "prefix <ip> peer:<ip> ip:<ip>:443 <ip>:443 <ip>."
        );
    }

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
