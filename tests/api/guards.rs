//! Rate limits, lockout, adaptive CAPTCHA, sign-in notices, the mail quota and the unlock job.

use crate::support::{Reply, STRONG_PASSWORD, TestApp, UA, siteverify, spawn_app, spawn_app_on};
use latch_core::domain::AuditType;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn login_from(
    app: &TestApp,
    ip: &str,
    email: &str,
    password: &str,
    captcha: Option<&str>,
) -> Reply {
    let mut body = json!({ "email": email, "password": password });
    if let Some(token) = captcha {
        body["captchaToken"] = Value::from(token);
    }
    Reply::of(
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn audited(app: &TestApp, kind: AuditType) -> usize {
    app.store
        .as_ref()
        .unwrap()
        .audit_events()
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

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
        login_from(
            &app,
            "198.51.100.1",
            &format!("a{i}@example.com"),
            "x-wrong-password",
            None,
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    let limited = login_from(
        &app,
        "198.51.100.1",
        "a@example.com",
        "x-wrong-password",
        None,
    )
    .await;
    limited.assert_problem(429, "rate_limited");
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        login_from(
            &app,
            "198.51.100.2",
            "b@example.com",
            "x-wrong-password",
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED,
        "another address is not limited"
    );

    for i in 0..5 {
        login_from(
            &app,
            &format!("2001:db8:1:2::{i}"),
            &format!("c{i}@example.com"),
            "x-wrong-password",
            None,
        )
        .await;
    }
    login_from(&app, "2001:db8:1:2:ffff::9", "d@example.com", "x", None)
        .await
        .assert_problem(429, "rate_limited");
    assert_eq!(
        login_from(&app, "2001:db8:1:3::1", "e@example.com", "x", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "another /64 is not limited"
    );
}

#[tokio::test]
async fn every_public_route_has_its_limit() {
    let (app, _clock) = spawn_app_on(
        &[
            ("LATCH_RATE_REGISTER_PER_MIN", "3"),
            ("LATCH_RATE_FORGOT_PER_HOUR", "3"),
            ("LATCH_RATE_RESEND_PER_HOUR", "3"),
            ("LATCH_RATE_RESET_PER_HOUR", "5"),
            ("LATCH_RATE_STRENGTH_PER_MIN", "2"),
        ],
        None,
    )
    .await;
    let cases: [(&str, Value, usize); 5] = [
        (
            "/v1/auth/register",
            json!({"email": "r@example.com", "password": STRONG_PASSWORD}),
            3,
        ),
        (
            "/v1/auth/forgot-password",
            json!({"email": "r@example.com"}),
            3,
        ),
        (
            "/v1/auth/resend-verification",
            json!({"email": "r@example.com"}),
            3,
        ),
        (
            "/v1/auth/reset-password",
            json!({"token": "A".repeat(43), "newPassword": STRONG_PASSWORD}),
            5,
        ),
        ("/v1/auth/password-strength", json!({"password": "x"}), 2),
    ];
    for (path, body, limit) in cases {
        for _ in 0..limit {
            assert_ne!(
                app.post_json(path, &body).await.status,
                StatusCode::TOO_MANY_REQUESTS,
                "{path}"
            );
        }
        app.post_json(path, &body)
            .await
            .assert_problem(429, "rate_limited");
    }
}

#[tokio::test]
async fn five_failed_passwords_lock_the_email_with_the_same_answer_for_unknown_ones() {
    let (app, _clock) = spawn_app_on(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let email = app.verified_user().await;
    for _ in 0..5 {
        login_from(&app, "203.0.113.50", &email, "x-wrong-password", None)
            .await
            .assert_problem(401, "invalid_credentials");
        login_from(
            &app,
            "203.0.113.50",
            "ghost@example.com",
            "x-wrong-password",
            None,
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    let known = login_from(&app, "203.0.113.50", &email, STRONG_PASSWORD, None).await;
    known.assert_problem(423, "account_locked");
    let retry: u64 = known.header("retry-after").parse().unwrap();
    assert!((850..=900).contains(&retry), "{retry}");
    let unknown = login_from(
        &app,
        "203.0.113.50",
        "ghost@example.com",
        STRONG_PASSWORD,
        None,
    )
    .await;
    unknown.assert_problem(423, "account_locked");
    assert_eq!(
        unknown.body_sans_request_id(),
        known.body_sans_request_id(),
        "a lock says nothing of the account"
    );
    assert_eq!(app.mail_to(&email, "lockout").len(), 1, "one lockout mail");
    assert_eq!(audited(&app, AuditType::AccountLocked).await, 2);
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
    let other = reqwest::Client::builder()
        .user_agent("Stranger/1")
        .build()
        .unwrap();
    let res = Reply::of(
        other
            .post(app.url("/v1/auth/login"))
            .json(&json!({"email": email, "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    res.assert_problem(423, "account_locked");
}

#[tokio::test]
async fn a_client_that_held_a_session_is_spared_an_automatic_lock_and_a_reset_lifts_it() {
    let (app, _clock) = spawn_app_on(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let email = app.verified_user().await;
    assert_eq!(
        login_from(&app, "198.51.100.7", &email, STRONG_PASSWORD, None)
            .await
            .status,
        StatusCode::OK,
        "the owner's device"
    );
    for _ in 0..5 {
        login_from(&app, "203.0.113.9", &email, "x-wrong-password", None).await;
    }
    login_from(&app, "203.0.113.9", &email, STRONG_PASSWORD, None)
        .await
        .assert_problem(423, "account_locked");
    assert_eq!(
        login_from(&app, "198.51.100.99", &email, STRONG_PASSWORD, None)
            .await
            .status,
        StatusCode::OK,
        "same UA and /24 as a recent session"
    );

    app.post_json("/v1/auth/forgot-password", &json!({ "email": email }))
        .await;
    let mail = &app.mail_to(&email, "password_reset")[0];
    let start = mail.find("reset-password?token=").unwrap() + "reset-password?token=".len();
    let token: String = mail[start..].chars().take(43).collect();
    let reset = app
        .post_json(
            "/v1/auth/reset-password",
            &json!({ "token": token, "newPassword": "quiet-lantern-meadow-73" }),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(
        login_from(&app, "203.0.113.9", &email, "quiet-lantern-meadow-73", None)
            .await
            .status,
        StatusCode::OK,
        "the reset lifted the lock"
    );
}

#[tokio::test]
async fn captcha_is_required_after_three_failures_and_refusals_are_not_failures() {
    let fake = siteverify::start().await;
    let (app, _clock) = spawn_app_on(
        &[
            ("LATCH_TRUST_PROXY", "true"),
            ("LATCH_CAPTCHA", "turnstile"),
            ("LATCH_TURNSTILE_SECRET", "test-secret"),
            ("LATCH_TURNSTILE_VERIFY_URL", &fake.url),
        ],
        None,
    )
    .await;
    let email = app.verified_user().await;
    for _ in 0..3 {
        login_from(&app, "198.51.100.30", &email, "x-wrong-password", None)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_eq!(fake.calls(), 0, "no CAPTCHA before the threshold");
    login_from(&app, "198.51.100.31", &email, STRONG_PASSWORD, None)
        .await
        .assert_problem(400, "captcha_required");
    for _ in 0..4 {
        login_from(
            &app,
            "198.51.100.31",
            &email,
            STRONG_PASSWORD,
            Some("bad-token"),
        )
        .await
        .assert_problem(400, "captcha_invalid");
    }
    assert_eq!(fake.calls(), 4);
    let ok = login_from(
        &app,
        "198.51.100.31",
        &email,
        STRONG_PASSWORD,
        Some("good-token"),
    )
    .await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "eight refusals did not lock the account: {}",
        ok.body
    );
    // The address that failed three times needs a CAPTCHA for any email.
    login_from(
        &app,
        "198.51.100.30",
        "someone-else@example.com",
        "whatever-password",
        None,
    )
    .await
    .assert_problem(400, "captcha_required");
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_mailed_but_the_first_and_known_ones_are_not() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    app.login(&email, STRONG_PASSWORD).await;
    app.login(&email, STRONG_PASSWORD).await;
    assert!(app.mail_to(&email, "new_sign_in").is_empty());
    let phone = reqwest::Client::builder()
        .user_agent("Phone/1")
        .build()
        .unwrap();
    let res = phone
        .post(app.url("/v1/auth/login"))
        .json(&json!({"email": email, "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let notices = app.mail_to(&email, "new_sign_in");
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("Phone/1") && notices[0].contains("127.0.0.0/24"));
    let _ = UA;
}

#[tokio::test]
async fn mail_to_one_address_is_capped_per_hour() {
    let (app, _clock) = spawn_app_on(&[("LATCH_MAIL_PER_ACCOUNT_PER_HOUR", "2")], None).await;
    let email = app.verified_user().await;
    for _ in 0..3 {
        assert_eq!(
            app.post_json("/v1/auth/forgot-password", &json!({ "email": email }))
                .await
                .status,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        app.mail_to(&email, "password_reset").len(),
        1,
        "verification + one reset reach the cap of two"
    );
}

#[tokio::test]
async fn an_account_never_verified_in_time_is_gone_and_its_address_free() {
    let (app, clock) = spawn_app_on(&[("LATCH_UNVERIFIED_TTL_S", "1")], None).await;
    app.register("slow@example.com", STRONG_PASSWORD).await;
    app.register("slower@example.com", STRONG_PASSWORD).await;
    clock.advance(time::Duration::seconds(2));
    app.login("slow@example.com", STRONG_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.post_json(
        "/v1/auth/forgot-password",
        &json!({ "email": "slow@example.com" }),
    )
    .await;
    assert!(
        app.mail_to("slow@example.com", "password_reset").is_empty(),
        "an abandoned account gets no reset"
    );
    assert_eq!(
        app.register("slow@example.com", "another-fine-passphrase-88")
            .await
            .status,
        StatusCode::ACCEPTED
    );
    assert!(
        app.mail_to("slow@example.com", "registration_attempt")
            .is_empty(),
        "the address was free again"
    );
    let links = app.mail_to("slow@example.com", "verification");
    assert_eq!(links.len(), 2);
    assert_eq!(
        app.verify_email(&crate::support::token_in(&links[1]))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("slow@example.com", "another-fine-passphrase-88")
            .await
            .status,
        StatusCode::OK
    );

    let report = latch_functions::job::handle(&app.deps, "purge-unverified", "purge-1")
        .await
        .unwrap();
    assert_eq!(
        report,
        json!({"purged": 1}),
        "only the other abandoned account is left to purge"
    );
    assert_eq!(audited(&app, AuditType::UserPurged).await, 1);
    assert_eq!(
        app.register("slower@example.com", STRONG_PASSWORD)
            .await
            .status,
        StatusCode::ACCEPTED
    );
    assert!(
        app.mail_to("slower@example.com", "registration_attempt")
            .is_empty()
    );
}

#[tokio::test]
async fn the_unlock_job_lifts_expired_locks_and_audits_each() {
    let (app, clock) = spawn_app_on(
        &[
            ("LATCH_LOCKOUT_DURATION_S", "1"),
            ("LATCH_LOCKOUT_THRESHOLD", "2"),
        ],
        None,
    )
    .await;
    let email = app.verified_user().await;
    app.login(&email, "x-wrong-password").await;
    app.login(&email, "x-wrong-password").await;
    let other = reqwest::Client::builder()
        .user_agent("Stranger/1")
        .build()
        .unwrap();
    let locked = Reply::of(
        other
            .post(app.url("/v1/auth/login"))
            .json(&json!({"email": email, "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    locked.assert_problem(423, "account_locked");
    let early = latch_functions::job::handle(&app.deps, "unlock-accounts", "run-1")
        .await
        .unwrap();
    assert_eq!(early, json!({"unlocked": 0}), "a live lock stays");
    clock.advance(time::Duration::seconds(2));
    let report = latch_functions::job::handle(&app.deps, "unlock-accounts", "run-2")
        .await
        .unwrap();
    assert_eq!(report, json!({"unlocked": 1}));
    let events = app.store.as_ref().unwrap().audit_events().await.unwrap();
    let unlocked: Vec<_> = events
        .iter()
        .filter(|e| e.kind == AuditType::AccountUnlocked)
        .collect();
    assert_eq!(unlocked.len(), 1);
    assert_eq!(unlocked[0].request_id, "run-2");
    assert!(unlocked[0].user_id.is_some());
}
