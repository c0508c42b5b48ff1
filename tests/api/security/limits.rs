//! Guessing at scale: rate limits per address and network, and the lockout of an account.

use crate::support::{STRONG_PASSWORD, spawn_app_on};
use latch_core::domain::AuditType;
use latch_core::http::routes::{ROUTES, Route};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn login_is_limited_per_ipv4_address_and_ipv6_slash_64() {
    let (app, _clock) = spawn_app_on(
        &[
            ("LATCH_TRUST_PROXY", "true"),
            ("LATCH_RATE_LOGIN_PER_MIN", "5"),
        ],
        None,
    )
    .await;
    for i in 0..5 {
        app.login_from(
            "198.51.100.1",
            &format!("a{i}@example.com"),
            "x-wrong-password",
            None,
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    let limited = app
        .login_from("198.51.100.1", "a@example.com", "x-wrong-password", None)
        .await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        app.login_from("198.51.100.2", "b@example.com", "x-wrong-password", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "another address is not limited"
    );

    for i in 0..5 {
        app.login_from(
            &format!("2001:db8:1:2::{i}"),
            &format!("c{i}@example.com"),
            "x-wrong-password",
            None,
        )
        .await;
    }
    app.login_from("2001:db8:1:2:ffff::9", "d@example.com", "x", None)
        .await
        .assert_problem(429, "rate_limited");
    assert_eq!(
        app.login_from("2001:db8:1:3::1", "e@example.com", "x", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "another /64 is not limited"
    );
}

#[tokio::test]
async fn every_limited_route_answers_429_past_its_limit() {
    // Each route of the table that declares a limit, at 2 per window; bodies are empty objects,
    // refused 400, because the limit counts before the body is read.
    let limited: Vec<&Route> = ROUTES.iter().filter(|r| r.limit.is_some()).collect();
    let settings: Vec<(&str, &str)> = limited
        .iter()
        .filter_map(|r| r.limit)
        .map(|l| (l.variable(), "2"))
        .collect();
    let (app, _clock) = spawn_app_on(&settings, None).await;
    // Routes that share a limit share its counter (2fa/verify and recovery-login; the bearer
    // 2FA routes): after the first of them, the others are past it at once.
    let mut spent = Vec::new();
    for route in &limited {
        let shared = spent.contains(&route.limit);
        spent.push(route.limit);
        for _ in 0..if shared { 0 } else { 2 } {
            let res = app
                .call(route.method.clone(), route.path, None, Some(b"{}".to_vec()))
                .await;
            assert_ne!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", route.name);
        }
        let res = app
            .call(route.method.clone(), route.path, None, Some(b"{}".to_vec()))
            .await;
        res.assert_problem(429, "rate_limited");
        let retry: u64 = res.header("retry-after").parse().unwrap();
        assert!(
            (1..=3600).contains(&retry),
            "{}: Retry-After {retry}",
            route.name
        );
    }
    assert!(
        limited.len() >= 6,
        "the contract's limited routes are in the table"
    );
}

#[tokio::test]
async fn five_failed_passwords_lock_the_email_with_the_same_answer_for_unknown_ones() {
    let (app, _clock) = spawn_app_on(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let email = app.verified_user().await;
    for _ in 0..5 {
        app.login_from("203.0.113.50", &email, "x-wrong-password", None)
            .await
            .assert_problem(401, "invalid_credentials");
        app.login_from(
            "203.0.113.50",
            "ghost@example.com",
            "x-wrong-password",
            None,
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    let known = app
        .login_from("203.0.113.50", &email, STRONG_PASSWORD, None)
        .await;
    known.assert_problem(423, "account_locked");
    let retry: u64 = known.header("retry-after").parse().unwrap();
    assert!((850..=900).contains(&retry), "{retry}");
    let unknown = app
        .login_from("203.0.113.50", "ghost@example.com", STRONG_PASSWORD, None)
        .await;
    unknown.assert_problem(423, "account_locked");
    assert_eq!(
        unknown.body_sans_request_id(),
        known.body_sans_request_id(),
        "a lock says nothing of the account"
    );
    assert_eq!(app.mail_to(&email, "lockout").len(), 1, "one lockout mail");
    assert_eq!(app.audited(AuditType::AccountLocked).await, 2);
}

#[tokio::test]
async fn ten_concurrent_wrong_passwords_count_as_ten() {
    let (app, _clock) = spawn_app_on(&[("LATCH_LOCKOUT_THRESHOLD", "10")], None).await;
    let email = app.verified_user().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, url, email) = (app.client.clone(), app.url("/v1/auth/login"), email.clone());
        tasks.spawn(async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": "x-wrong-password"}))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login_as("Stranger/1", &email, STRONG_PASSWORD).await;
    res.assert_problem(423, "account_locked");
}
