//! Property tests over every parser of untrusted input: whatever bytes arrive, each answers with
//! a value or a typed refusal, never a panic, and what it accepts is well-formed.

use crate::domain::{Email, SessionId, TokenHash, UserId};
use crate::http::{extract, headers, routes};
use lambda_http::http::{self, HeaderMap, HeaderValue, Method};
use lambda_http::{Body, Request};
use proptest::prelude::*;

fn request(content_type: &str, body: Vec<u8>, authorization: &[u8]) -> Request {
    let mut req = http::Request::builder()
        .method("POST")
        .uri("/x")
        .body(Body::Binary(body))
        .unwrap();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        req.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_bytes(authorization) {
        req.headers_mut().insert(http::header::AUTHORIZATION, v);
    }
    req
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn emails_parse_or_refuse_and_parsing_is_idempotent(raw in "\\PC{0,300}") {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
            prop_assert!(email.as_str().len() <= 254);
            prop_assert!(email.as_str().is_ascii() && !email.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
        }
    }

    #[test]
    fn email_like_strings_never_smuggle_header_syntax(local in "[a-z0-9.+\\r\\n:<>]{1,20}", domain in "[a-z0-9.-]{1,20}") {
        if let Ok(email) = Email::parse(&format!("{local}@{domain}.com")) {
            prop_assert!(!email.as_str().contains(['\r', '\n', ':', '<', '>']));
        }
    }

    #[test]
    fn presented_tokens_hash_only_when_they_are_256_bit_base64url(raw in "\\PC{0,100}") {
        if TokenHash::of_presented(&raw).is_some() {
            prop_assert_eq!(raw.len(), 43);
            prop_assert!(raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        }
    }

    #[test]
    fn ids_accept_only_canonical_ulids(raw in "\\PC{0,40}") {
        if let Some(id) = SessionId::parse(&raw) {
            prop_assert_eq!(id.as_str(), raw.as_str());
            prop_assert_eq!(raw.len(), 26);
        }
        prop_assert_eq!(UserId::parse(&raw).is_some(), SessionId::parse(&raw).is_some());
    }

    #[test]
    fn json_bodies_of_any_bytes_are_values_or_typed_refusals(body in proptest::collection::vec(any::<u8>(), 0..512), json in any::<bool>()) {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Shape { email: String, password: String, captcha_token: Option<String> }
        let content_type = if json { "application/json" } else { "text/plain" };
        match extract::json::<Shape>(&request(content_type, body, b"")) {
            Ok(_) => prop_assert!(json),
            Err(crate::Error::UnsupportedMediaType) => prop_assert!(!json),
            Err(crate::Error::BadRequest(detail)) => prop_assert!(detail.len() < 200),
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }

    #[test]
    fn structured_json_never_echoes_values(email in "\\PC{0,40}", password in any::<i64>(), extra in "[a-z]{1,12}") {
        let body = format!(r#"{{"email":{},"password":{password},"{extra}":1}}"#, serde_json::to_string(&email).unwrap());
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Shape { email: String, password: String }
        if let Err(crate::Error::BadRequest(detail)) = extract::json::<Shape>(&request("application/json", body.into_bytes(), b"")) {
            prop_assert!(!detail.contains(&password.to_string()) || password.to_string().len() < 2);
        }
    }

    #[test]
    fn request_ids_are_always_safe_to_echo(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_bytes(&raw) {
            h.insert(headers::REQUEST_ID, v);
        }
        let id = headers::request_id(&h, time::OffsetDateTime::now_utc());
        prop_assert!(!id.is_empty() && id.len() <= 128);
        prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')));
    }

    #[test]
    fn bearer_headers_yield_a_token_or_nothing(raw in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Some(token) = extract::bearer(&request("application/json", Vec::new(), &raw)) {
            prop_assert!(!token.is_empty() && !token.starts_with(' '));
        }
    }

    #[test]
    fn the_router_matches_only_what_the_table_has(path in "(/[a-z0-9.{}%-]{0,12}){0,6}", post in any::<bool>()) {
        let method = if post { Method::POST } else { Method::GET };
        if let Some((route, params)) = routes::matching(&method, &path) {
            prop_assert_eq!(&route.method, &method);
            prop_assert_eq!(route.path.split('/').count(), path.split('/').count());
            prop_assert!(params.iter().all(|(_, v)| !v.is_empty() && !v.contains('/')));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn csv_cells_round_trip_and_never_open_as_formulas(cells in proptest::collection::vec("\\PC{0,12}|[=+@\\t\\r\\n\"-][\\PC,\\r\\n\"]{0,8}", 1..5)) {
        let header: Vec<String> = (0..cells.len()).map(|i| format!("c{i}")).collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut csv = crate::http::csv::Csv::with_header(&header);
        csv.row(&cells);
        let parsed = parse_rfc4180(&csv.finish());
        prop_assert_eq!(parsed.len(), 2);
        for (written, original) in parsed[1].iter().zip(&cells) {
            let neutralized = crate::http::csv::could_start_a_formula(original);
            prop_assert!(!crate::http::csv::could_start_a_formula(written));
            let expected = if neutralized { format!("'{original}") } else { original.clone() };
            prop_assert_eq!(written, &expected);
        }
    }
}

/// A strict reader for what `Csv` writes: every field quoted, CRLF after each row.
fn parse_rfc4180(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let mut row = Vec::new();
        loop {
            assert_eq!(chars.next(), Some('"'), "fields open with a quote");
            let mut field = String::new();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => panic!("unterminated field"),
                }
            }
            row.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    assert_eq!(chars.next(), Some('\n'));
                    break;
                }
                other => panic!("unexpected {other:?} after a field"),
            }
        }
        rows.push(row);
    }
    rows
}
