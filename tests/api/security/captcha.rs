//! Replaying CAPTCHA answers from elsewhere: solved on another site, for another of our forms,
//! or failed; and leaving the CAPTCHA out on register and forgot-password once it is required.

use crate::support::{Reply, STRONG_PASSWORD, TestApp, siteverify, spawn_app_on};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn from(app: &TestApp, ip: &str, path: &str, body: Value) -> Reply {
    let req = app.client.post(app.url(path)).header("x-forwarded-for", ip);
    Reply::of(req.json(&body).send().await.unwrap()).await
}

/// An app with CAPTCHA on, and an address that has failed three logins (so it needs one).
async fn captcha_required_for(ip: &str) -> (TestApp, siteverify::SiteVerify) {
    let fake = siteverify::start().await;
    let settings = [
        &[("LATCH_TRUST_PROXY", "true")][..],
        &siteverify::settings(&fake.url),
    ]
    .concat();
    let (app, _) = spawn_app_on(&settings, None).await;
    for _ in 0..3 {
        app.login_from(ip, "ghost@example.com", "x-wrong-password", None)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    (app, fake)
}

#[tokio::test]
async fn an_answer_from_another_site_or_for_another_form_is_refused() {
    let ip = "198.51.100.40";
    let (app, fake) = captcha_required_for(ip).await;
    let email = app.verified_user().await;
    for stolen in [
        "good-token:login:evil.example",
        "good-token:register",
        "bad-token",
        "good-token:login:",
    ] {
        app.login_from(ip, &email, STRONG_PASSWORD, Some(stolen))
            .await
            .assert_problem(400, "captcha_invalid");
    }
    let ok = app
        .login_from(
            ip,
            &email,
            STRONG_PASSWORD,
            Some("good-token:login:app.example.com"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(fake.calls(), 5);
}

#[tokio::test]
async fn register_and_forgot_password_verify_the_captcha_when_it_is_required() {
    let ip = "198.51.100.41";
    let (app, fake) = captcha_required_for(ip).await;
    let register = |token: Option<&str>| {
        let mut body = json!({ "email": "new-one@example.com", "password": STRONG_PASSWORD });
        if let Some(t) = token {
            body["captchaToken"] = Value::from(t);
        }
        body
    };
    from(&app, ip, "/v1/auth/register", register(None))
        .await
        .assert_problem(400, "captcha_required");
    from(&app, ip, "/v1/auth/register", register(Some("good-token")))
        .await
        .assert_problem(400, "captcha_invalid");
    assert!(app.outbox().is_empty(), "nothing was registered");
    let ok = from(
        &app,
        ip,
        "/v1/auth/register",
        register(Some("good-token:register")),
    )
    .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED, "{}", ok.body);

    let forgot = |token: Option<&str>| {
        let mut body = json!({ "email": "new-one@example.com" });
        if let Some(t) = token {
            body["captchaToken"] = Value::from(t);
        }
        body
    };
    from(&app, ip, "/v1/auth/forgot-password", forgot(None))
        .await
        .assert_problem(400, "captcha_required");
    from(
        &app,
        ip,
        "/v1/auth/forgot-password",
        forgot(Some("good-token:register")),
    )
    .await
    .assert_problem(400, "captcha_invalid");
    let ok = from(
        &app,
        ip,
        "/v1/auth/forgot-password",
        forgot(Some("good-token:forgot-password")),
    )
    .await;
    assert_eq!(ok.status, StatusCode::ACCEPTED);
    assert_eq!(
        app.mail_to("new-one@example.com", "password_reset").len(),
        1
    );
    assert_eq!(fake.calls(), 4);
    // Another address, with no failures, needs no CAPTCHA.
    let other = json!({ "email": "someone-else@example.com" });
    assert_eq!(
        from(&app, "198.51.100.99", "/v1/auth/forgot-password", other)
            .await
            .status,
        StatusCode::ACCEPTED
    );
}
