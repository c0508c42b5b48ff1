//! Reading a request: client address, JSON body (strictly), query parameters, bearer token.

use crate::Error;
use crate::domain::ClientInfo;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// The client address, set by the local server (the Lambda runtime has it in the request
/// context instead).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// The caller's IP and User-Agent. On Lambda the IP is API Gateway's `sourceIp`, never a header.
pub fn client_info(req: &Request) -> Result<ClientInfo, Error> {
    let ip = match req.extensions().get::<ClientAddr>() {
        Some(addr) => Some(addr.0),
        None => match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok())
            }
            _ => None,
        },
    };
    // An IPv4-mapped IPv6 address is its IPv4 address everywhere (rate keys, the /24 binding).
    let ip = ip
        .ok_or_else(|| Error::internal("the request carries no client address"))?
        .to_canonical();
    let user_agent = req
        .headers()
        .get(lambda_http::http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    Ok(ClientInfo { ip, user_agent })
}

/// The client address a trusted proxy put in `X-Forwarded-For`: the rightmost entry of the last
/// header (the one the nearest proxy added), as `ip`, `ip:port` or `[v6]:port`. `None` when the
/// header is absent; 400 when its entry does not parse (never a silent fall-back to the proxy).
pub fn forwarded_for<'a>(
    values: impl DoubleEndedIterator<Item = &'a [u8]>,
) -> Result<Option<IpAddr>, Error> {
    let Some(last) = values.last() else {
        return Ok(None);
    };
    let bad = || Error::BadRequest("X-Forwarded-For does not end with a client address".into());
    let entry = std::str::from_utf8(last)
        .map_err(|_| bad())?
        .rsplit(',')
        .next()
        .unwrap_or_default()
        .trim();
    let ip = entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .map_err(|_| bad())?;
    Ok(Some(ip.to_canonical()))
}

pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Parses a JSON body: `application/json` only (415), strict types and no unknown fields (400).
pub fn json<T: DeserializeOwned>(req: &Request) -> Result<T, Error> {
    let content_type = req
        .headers()
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(Error::UnsupportedMediaType);
    }
    serde_json::from_slice(body_bytes(req)).map_err(|e| Error::BadRequest(describe_json_error(&e)))
}

/// Says what is wrong with a body without echoing any of its values (they may be secrets).
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Eof => "The request body is empty or ends early.".to_owned(),
        Category::Syntax | Category::Io => format!("The request body is not valid JSON ({at})."),
        Category::Data => {
            let msg = e.to_string();
            // serde names fields in backticks; values it would quote are never kept.
            let field = msg.split('`').nth(1).filter(|f| {
                f.len() <= 64 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            match field {
                Some(f) if msg.starts_with("unknown field") => format!("Unknown field `{f}`."),
                Some(f) if msg.starts_with("missing field") => format!("Missing field `{f}`."),
                Some(f) if msg.starts_with("duplicate field") => format!("Duplicate field `{f}`."),
                _ => format!("A field has the wrong type or value ({at})."),
            }
        }
    }
}

/// The first value of query parameter `name`, percent-decoded.
pub fn query(req: &Request, name: &str) -> Option<String> {
    let raw = req.uri().query()?;
    form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req
        .headers()
        .get(lambda_http::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http;

    fn forwarded(values: &[&str]) -> Result<Option<IpAddr>, Error> {
        forwarded_for(values.iter().map(|v| v.as_bytes()))
    }

    #[test]
    fn forwarded_for_takes_the_rightmost_entry_in_every_form_and_refuses_the_rest() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(forwarded(&[]).unwrap(), None);
        assert_eq!(
            forwarded(&["1.1.1.1, 2.2.2.2", "3.3.3.3, 203.0.113.9"]).unwrap(),
            ip("203.0.113.9")
        );
        assert_eq!(forwarded(&["203.0.113.9:4711"]).unwrap(), ip("203.0.113.9"));
        assert_eq!(
            forwarded(&["[2001:db8::7]:443"]).unwrap(),
            ip("2001:db8::7")
        );
        assert_eq!(forwarded(&["2001:db8::7"]).unwrap(), ip("2001:db8::7"));
        assert_eq!(
            forwarded(&["::ffff:198.51.100.4"]).unwrap(),
            ip("198.51.100.4")
        );
        assert_eq!(
            forwarded(&["[::ffff:198.51.100.4]:80"]).unwrap(),
            ip("198.51.100.4")
        );
        for bad in [
            "garbage",
            "1.2.3.4, ",
            "unknown",
            "1.2.3.4:99999",
            "[1.2.3.4]:80",
            "",
        ] {
            assert!(
                matches!(forwarded(&[bad]), Err(Error::BadRequest(_))),
                "{bad:?}"
            );
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body2 {
        email: String,
        age: u32,
    }

    fn req(ct: Option<&str>, body: &str) -> Request {
        let mut b = http::Request::builder()
            .method("POST")
            .uri("/x?token=a%2Bb&x=1");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.header("authorization", "Bearer abc.def")
            .body(Body::Text(body.to_owned()))
            .unwrap()
    }

    fn bad(r: Result<Body2, Error>) -> String {
        match r {
            Err(Error::BadRequest(d)) => d,
            other => panic!("expected BadRequest, got {other:?}"),
        }
    }

    #[test]
    fn content_type_must_be_json() {
        assert!(matches!(
            json::<Body2>(&req(None, "{}")),
            Err(Error::UnsupportedMediaType)
        ));
        assert!(matches!(
            json::<Body2>(&req(Some("text/plain"), "{}")),
            Err(Error::UnsupportedMediaType)
        ));
        assert!(
            json::<Body2>(&req(
                Some("Application/JSON; charset=utf-8"),
                r#"{"email":"a","age":1}"#
            ))
            .is_ok()
        );
    }

    #[test]
    fn errors_name_fields_but_never_values() {
        let ct = Some("application/json");
        assert_eq!(
            bad(json(&req(ct, r#"{"email":"a","age":1,"admin":true}"#))),
            "Unknown field `admin`."
        );
        assert_eq!(
            bad(json(&req(ct, r#"{"age":1}"#))),
            "Missing field `email`."
        );
        let wrong = bad(json(&req(ct, r#"{"email":"a","age":"hunter2-secret"}"#)));
        assert!(wrong.starts_with("A field has the wrong type"), "{wrong}");
        assert!(!wrong.contains("hunter2"));
        assert!(bad(json(&req(ct, "{not json"))).contains("not valid JSON"));
        assert!(bad(json(&req(ct, ""))).contains("empty"));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(json::<Body2>(&req(ct, &deep)).is_err());
    }

    #[test]
    fn query_and_bearer() {
        let r = req(None, "");
        assert_eq!(query(&r, "token").as_deref(), Some("a+b"));
        assert_eq!(query(&r, "missing"), None);
        assert_eq!(bearer(&r), Some("abc.def"));
    }
}
