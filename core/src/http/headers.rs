//! Headers every response carries: request id and the contract's security headers.

use super::routes::Cache;
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue, header};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The caller's `X-Request-Id` when sane (1..=128 of `[A-Za-z0-9._-]`), else a new ULID.
pub fn request_id(headers: &HeaderMap, now: time::OffsetDateTime) -> String {
    headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
        .map_or_else(|| crate::crypto::random::ulid(now), str::to_owned)
}

/// API Gateway's X-Ray header (`Root=1-…;Parent=…;Sampled=…`), kept for the log line when sane.
pub fn trace_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            v.len() <= 256
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | ';' | '-' | '.' | '_'))
        })
        .map(str::to_owned)
}

/// Sets the security headers, the request id and the cache policy.
pub fn apply(headers: &mut HeaderMap, request_id: &str, cache: Cache) {
    let fixed: [(HeaderName, &'static str); 5] = [
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    let cache_control = match cache {
        Cache::NoStore => "no-store",
        Cache::Public => "public, max-age=300",
    };
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID, HeaderValue::from_str(id).unwrap());
        h
    }

    #[test]
    fn sane_request_ids_are_kept_others_replaced() {
        let now = time::OffsetDateTime::now_utc();
        assert_eq!(request_id(&with("abc-123_X.y"), now), "abc-123_X.y");
        for bad in ["", "has space", "semi;colon", &"a".repeat(129)] {
            let got = request_id(&with(bad), now);
            assert_ne!(got, bad);
            assert_eq!(got.len(), 26);
        }
        assert_eq!(request_id(&HeaderMap::new(), now).len(), 26);
    }

    #[test]
    fn security_headers_and_cache_policy() {
        let mut h = HeaderMap::new();
        apply(&mut h, "r1", Cache::NoStore);
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-request-id"], "r1");
        apply(&mut h, "r1", Cache::Public);
        assert_eq!(h["cache-control"], "public, max-age=300");
    }
}
