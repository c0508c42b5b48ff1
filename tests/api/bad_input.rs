//! Every kind of bad input gets the contract's status and code, and nothing is stored half-way.

use crate::support::{Reply, STRONG_PASSWORD, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn malformed_json_unknown_fields_and_wrong_types_are_400() {
    let app = spawn_app().await;
    let json = Some("application/json");
    for body in [
        r#"{"email":"a@example.com","password":"#.to_owned(),
        r#"{"email":"a@example.com","password":"violet-tractor-harbour-19","isAdmin":true}"#
            .to_owned(),
        r#"{"email":"a@example.com","password":12345678}"#.to_owned(),
        r#"{"email":"a@example.com"}"#.to_owned(),
        r#"["a@example.com"]"#.to_owned(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        String::new(),
    ] {
        let res = app
            .raw_post("/v1/auth/register", json, body.clone().into_bytes())
            .await;
        res.assert_problem(400, "bad_request");
        assert!(
            !res.body["detail"].as_str().unwrap().contains("12345678"),
            "detail never echoes values"
        );
    }
    app.raw_post("/v1/auth/login", json, vec![0xff, 0xfe, 0x00])
        .await
        .assert_problem(400, "bad_request");
    app.assert_nothing_stored("a@example.com").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_by_content_type_is_415() {
    let app = spawn_app().await;
    let body = json!({"email": "b@example.com", "password": STRONG_PASSWORD})
        .to_string()
        .into_bytes();
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
    ] {
        app.raw_post("/v1/auth/register", ct, body.clone())
            .await
            .assert_problem(415, "unsupported_media_type");
    }
    app.assert_nothing_stored("b@example.com").await;
}

#[tokio::test]
async fn a_bad_email_is_422_validation_failed_with_the_field() {
    let app = spawn_app().await;
    for email in [
        "",
        "no-at-sign",
        "two@@example.com",
        "x@localhost",
        "a b@example.com",
        "x@example.com\r\nBcc: y@evil.test",
    ] {
        let res = app.register(email, STRONG_PASSWORD).await;
        res.assert_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], "email");
        assert_eq!(res.body["errors"][0]["code"], "invalid_email");
    }
    assert!(app.outbox().is_empty());
}

#[tokio::test]
async fn a_weak_password_is_422_weak_password_with_reasons() {
    let app = spawn_app().await;
    for (password, code) in [
        ("short1!", "too_short"),
        ("password123", "too_weak"),
        ("dana-rocks-dana-rocks", "contains_email"),
    ] {
        let res = app.register("dana@example.com", password).await;
        res.assert_problem(422, "weak_password");
        let codes: Vec<&str> = res.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{password}: {codes:?}");
        assert!(
            res.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["field"] == "password")
        );
    }
    let res = app.register("dana@example.com", &"p".repeat(129)).await;
    assert_eq!(res.body["errors"][0]["code"], "too_long");
    app.assert_nothing_stored("dana@example.com").await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_other_methods_405_with_security_headers() {
    let app = spawn_app().await;
    let login = app.get("/v1/auth/login").await;
    login.assert_problem(405, "method_not_allowed");
    assert_eq!(login.header("allow"), "POST");
    let sessions = Reply::of(
        app.client
            .put(app.url("/v1/auth/sessions/01KAAAAAAAAAAAAAAAAAAAAAAA"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    sessions.assert_problem(405, "method_not_allowed");
    assert_eq!(sessions.header("allow"), "DELETE");
    for res in [
        app.get("/v1/nope").await,
        app.post_json("/v1/health", &json!({})).await,
        login,
    ] {
        assert!(res.status == 404 || res.status == 405);
        assert_eq!(res.header("x-content-type-options"), "nosniff");
        assert_eq!(res.header("x-request-id").len(), 26);
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let echoed = Reply::of(
        app.client
            .get(app.url("/v1/health"))
            .header("x-request-id", "trace-42.a_b")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(echoed.header("x-request-id"), "trace-42.a_b");
    let replaced = Reply::of(
        app.client
            .get(app.url("/v1/health"))
            .header("x-request-id", "bad id;drop")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(replaced.header("x-request-id").len(), 26);
    assert_eq!(replaced.status, StatusCode::OK);
    for (res, cache) in [
        (app.get("/v1/health").await, "no-store"),
        (
            app.login("x@example.com", "nope-nope-nope").await,
            "no-store",
        ),
        (
            app.get("/.well-known/jwks.json").await,
            "public, max-age=300",
        ),
        (app.get("/v1/openapi.json").await, "public, max-age=300"),
    ] {
        assert_eq!(
            res.header("strict-transport-security"),
            "max-age=63072000; includeSubDomains"
        );
        assert_eq!(res.header("x-content-type-options"), "nosniff");
        assert_eq!(res.header("x-frame-options"), "DENY");
        assert_eq!(
            res.header("content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'"
        );
        assert_eq!(res.header("referrer-policy"), "no-referrer");
        assert_eq!(res.header("cache-control"), cache);
        assert!(!res.header("x-request-id").is_empty());
    }
}
