//! Hostile input: oversized and deeply nested bodies, header syntax smuggled in email names.

use crate::peers::python;
use crate::support::{STRONG_PASSWORD, s, spawn_app};
use latch_core::http::routes::{Body, ROUTES};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_body_over_16_kib_is_413_and_one_at_the_limit_is_read() {
    let app = spawn_app().await;
    let padding = "x".repeat(16 * 1024);
    let over = json!({"email": "c@example.com", "password": padding})
        .to_string()
        .into_bytes();
    app.raw_post("/v1/auth/register", Some("application/json"), over)
        .await
        .assert_problem(413, "payload_too_large");
    let mut at_limit = json!({"email": "c@example.com", "password": ""})
        .to_string()
        .into_bytes();
    let fill = 16 * 1024 - at_limit.len();
    at_limit.splice(
        at_limit.len() - 2..at_limit.len() - 2,
        std::iter::repeat_n(b'y', fill),
    );
    assert_eq!(at_limit.len(), 16 * 1024);
    let res = app
        .raw_post("/v1/auth/register", Some("application/json"), at_limit)
        .await;
    res.assert_problem(422, "weak_password");
    assert_eq!(res.body["errors"][0]["code"], "too_long");
    app.assert_nothing_stored("c@example.com").await;
}

#[tokio::test]
async fn deeply_nested_json_is_400_on_every_route_with_a_body() {
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let token = s(&tokens, "accessToken");
    // As deep as the 16 KiB limit allows, as arrays, as objects, and inside a real field.
    let depth = 5_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}null{}", "{\"a\":".repeat(2_000), "}".repeat(2_000));
    let in_field = format!("{{\"email\":{arrays}}}");
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| !matches!(r.doc.body, Body::None)) {
        checked += 1;
        // A role route is called by a holder of its roles, so the body is what is refused.
        let holder = match route.access {
            latch_core::http::routes::Access::Roles(roles) => {
                Some(app.signed_in_with(roles).await.1)
            }
            _ => None,
        };
        let bearer = holder
            .as_deref()
            .or_else(|| route.access.needs_token().then_some(token.as_str()));
        for body in [&arrays, &objects, &in_field] {
            assert!(body.len() <= 16 * 1024);
            let res = app
                .call(
                    route.method.clone(),
                    route.path,
                    bearer,
                    Some(body.clone().into_bytes()),
                )
                .await;
            res.assert_problem(400, "bad_request");
        }
    }
    assert!(checked >= 8, "the routes with bodies are in the table");
    assert_eq!(app.get("/v1/health").await.status, StatusCode::OK);
    assert_eq!(
        app.me(&token).await.status,
        StatusCode::OK,
        "the session is untouched"
    );
}

#[tokio::test]
async fn email_names_cannot_inject_mail_headers() {
    let app = spawn_app().await;
    let hostile = [
        "victim@example.com\r\nBcc: attacker@evil.example",
        "victim@example.com\nBcc: attacker@evil.example",
        "victim@example.com\rBcc: attacker@evil.example",
        "\"Victim\r\nBcc: attacker@evil.example\" <victim@example.com>",
        "Victim <victim@example.com>",
        "victim@example.com, attacker@evil.example",
        "victim@example.com;attacker@evil.example",
        "victim@example.com%0d%0aBcc:attacker@evil.example",
        "victim@example.com\u{2028}Bcc: attacker@evil.example",
        "victim@example.com\r\n\r\nforged body",
        "victim\u{0}@example.com",
        "vïctim@example.com",
        "=?utf-8?q?x=0d=0abcc=3aattacker?=@example.com",
    ];
    for email in hostile {
        app.register(email, STRONG_PASSWORD)
            .await
            .assert_problem(422, "validation_failed");
        for path in ["/v1/auth/forgot-password", "/v1/auth/resend-verification"] {
            let res = app.post_json(path, &json!({ "email": email })).await;
            assert_eq!(
                res.status,
                StatusCode::ACCEPTED,
                "{path} {email:?}: {}",
                res.body
            );
        }
    }
    assert!(app.outbox().is_empty(), "no hostile address was mailed");
    // Valid addresses full of header-like characters stay one recipient.
    for odd in ["o'brien+tag@example.com", "a|b{c}~d=x?y@example.com"] {
        let res = app.register(odd, STRONG_PASSWORD).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{odd}: {}", res.body);
        let mail = app.mail_to(odd, "verification");
        assert_eq!(mail.len(), 1, "{odd}");
        let (ok, parsed, stderr) = python("parse_mail.py", mail[0].as_bytes());
        assert!(ok, "{stderr}");
        assert_eq!(parsed["to_addresses"], json!([odd]), "{odd}");
        assert_eq!(parsed["defects"], json!([]));
        let names = parsed["header_names"].as_array().unwrap();
        for forbidden in ["bcc", "cc", "reply-to"] {
            assert!(!names.contains(&json!(forbidden)), "{odd}: {names:?}");
        }
    }
}
