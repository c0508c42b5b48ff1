//! Dodging per-address rules by spelling one address two ways (IPv4-mapped IPv6), and by
//! sending a forwarded address the server cannot read.

use crate::support::{Reply, STRONG_PASSWORD, on_both_stores, s, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;

async fn post_from(
    app: &crate::support::TestApp,
    xff: &str,
    path: &str,
    body: &serde_json::Value,
) -> Reply {
    let req = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", xff);
    Reply::of(req.json(body).send().await.unwrap()).await
}

#[tokio::test]
async fn an_ipv4_mapped_address_is_the_ipv4_address_for_limits_and_bindings() {
    let settings = [
        ("LATCH_TRUST_PROXY", "true"),
        ("LATCH_RATE_LOGIN_PER_MIN", "4"),
    ];
    for (app, _clock) in on_both_stores(&settings).await {
        let email = app.verified_user().await;
        let login = json!({ "email": email, "password": STRONG_PASSWORD });
        let first = post_from(&app, "198.51.100.4", "/v1/auth/login", &login).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        // The same client, spelled as IPv4-mapped IPv6 and with ports: one rate key.
        for spelling in [
            "::ffff:198.51.100.4",
            "[::ffff:198.51.100.4]:443",
            "198.51.100.4:5000",
        ] {
            let res = post_from(&app, spelling, "/v1/auth/login", &login).await;
            assert_eq!(res.status, StatusCode::OK, "{spelling}: {}", res.body);
        }
        post_from(&app, "::ffff:198.51.100.4", "/v1/auth/login", &login)
            .await
            .assert_problem(429, "rate_limited");
        // The session's /24 binding reads the mapped form as its IPv4 network.
        let refresh = json!({ "refreshToken": s(&first.body, "refreshToken") });
        let res = post_from(
            &app,
            "[::ffff:198.51.100.77]:80",
            "/v1/auth/refresh",
            &refresh,
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
}

#[tokio::test]
async fn a_forwarded_address_that_does_not_parse_is_refused_not_replaced_by_the_proxys() {
    let app = spawn_app_with(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let body = json!({ "email": "someone@example.com", "password": "whatever-it-is" });
    for bad in [
        "unknown",
        "198.51.100.4, garbage",
        "198.51.100.4:notaport",
        "[198.51.100.4]:80",
        "_hidden",
    ] {
        let res = post_from(&app, bad, "/v1/auth/login", &body).await;
        res.assert_problem(400, "bad_request");
    }
    assert!(
        app.outbox().is_empty()
            && app
                .audited(latch_core::domain::AuditType::LoginFailed)
                .await
                == 0,
        "nothing ran for a refused address"
    );
}
