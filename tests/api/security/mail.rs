//! Attacks through mail: filling a quota so a security notice is dropped, flooding an address
//! with "someone tried to register" notices, and personal data leaking into logs from a
//! provider's error.

use crate::support::{STRONG_PASSWORD, logs, moto, on_both_stores, s, spawn_app_with};
use latch_core::domain::AuditType;
use reqwest::StatusCode;
use time::Duration;

const NEW_PASSWORD: &str = "quiet-lantern-meadow-73";

#[tokio::test]
async fn a_full_mail_quota_never_suppresses_a_security_notice() {
    let settings = [
        ("LATCH_MAIL_PER_ACCOUNT_PER_HOUR", "1"),
        ("LATCH_TRUST_PROXY", "true"),
    ];
    for (app, _clock) in on_both_stores(&settings).await {
        // The verification mail used the address's one link mail of the hour; a stranger's
        // reset requests now fill nothing more than the quota they are dropped by.
        let email = app.verified_user().await;
        for _ in 0..3 {
            assert_eq!(
                app.forgot_password(&email).await.status,
                StatusCode::ACCEPTED
            );
        }
        assert!(app.mail_to(&email, "password_reset").is_empty());
        if app.store.is_some() {
            assert_eq!(app.audited(AuditType::MailDropped).await, 3);
        }

        let here = app.login(&email, STRONG_PASSWORD).await.body;
        let phone = app.login_as("Phone/1", &email, STRONG_PASSWORD).await;
        assert_eq!(phone.status, StatusCode::OK);
        assert_eq!(app.mail_to(&email, "new_sign_in").len(), 1);
        for _ in 0..5 {
            app.login_from("203.0.113.7", &email, "x-wrong-password", None)
                .await
                .assert_problem(401, "invalid_credentials");
        }
        assert_eq!(app.mail_to(&email, "lockout").len(), 1);
        let changed = app
            .change_password(&s(&here, "accessToken"), STRONG_PASSWORD, NEW_PASSWORD)
            .await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
        assert_eq!(app.mail_to(&email, "password_changed").len(), 1);
    }
}

#[tokio::test]
async fn registration_notices_are_capped_per_address_and_day() {
    for (app, clock) in on_both_stores(&[]).await {
        let email = app.verified_user().await;
        for _ in 0..5 {
            let again = app.register(&email, "another-Strong-passphrase-42").await;
            assert_eq!(again.status, StatusCode::ACCEPTED);
        }
        assert_eq!(app.mail_to(&email, "registration_attempt").len(), 3);
        if app.store.is_some() {
            assert_eq!(app.audited(AuditType::MailDropped).await, 2);
        }
        clock.advance(Duration::days(1));
        app.register(&email, "another-Strong-passphrase-42").await;
        assert_eq!(
            app.mail_to(&email, "registration_attempt").len(),
            4,
            "a new day, a new allowance"
        );
    }
}

#[tokio::test]
async fn a_provider_error_naming_an_address_is_logged_without_it() {
    // SES (the emulator's) refuses a sender it has not verified and names it in the error; the
    // sender here is the very address being registered, so the message names the recipient.
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let email = format!("{}@example.org", moto::unique("redact"));
    let settings = [
        &moto::dynamodb_settings(&names)[..],
        &[("LATCH_MAIL", "ses"), ("LATCH_MAIL_FROM", email.as_str())],
    ]
    .concat();
    let app = spawn_app_with(&settings, Some(aws)).await;
    let res = app.register(&email, STRONG_PASSWORD).await;
    // Register answers 202 whatever happens to its mail (see tests/api/faults/stalled.rs).
    assert_eq!(res.status, 202, "{}", res.body);
    let request_id = res.header("x-request-id").to_owned();
    let logged = logs::captured();
    let line = logged
        .lines()
        .find(|l| l.contains(&request_id) && l.contains("mail not delivered"))
        .unwrap_or_else(|| panic!("the undelivered mail was logged: {logged}"));
    assert!(!line.contains(&email), "{line}");
    let line = logged
        .lines()
        .find(|l| l.contains("ses SendEmail") && l.contains("<address>"))
        .unwrap_or_else(|| panic!("the SES failure was logged: {logged}"));
    assert!(line.contains("<address>"), "{line}");
    assert!(
        !logged.contains(&email),
        "the address never reaches the logs"
    );
}
