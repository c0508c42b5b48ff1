//! Rate limits, lockout, adaptive CAPTCHA, sign-in notices, the mail quota and the unlock job.

use crate::support::{STRONG_PASSWORD, UA, siteverify, spawn_app, spawn_app_on};
use latch_core::domain::AuditType;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_client_that_held_a_session_is_spared_an_automatic_lock_and_a_reset_lifts_it() {
    let (app, _clock) = spawn_app_on(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let email = app.verified_user().await;
    assert_eq!(
        app.login_from("198.51.100.7", &email, STRONG_PASSWORD, None)
            .await
            .status,
        StatusCode::OK,
        "the owner's device"
    );
    for _ in 0..5 {
        app.login_from("203.0.113.9", &email, "x-wrong-password", None)
            .await;
    }
    app.login_from("203.0.113.9", &email, STRONG_PASSWORD, None)
        .await
        .assert_problem(423, "account_locked");
    assert_eq!(
        app.login_from("198.51.100.99", &email, STRONG_PASSWORD, None)
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
        app.login_from("203.0.113.9", &email, "quiet-lantern-meadow-73", None)
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
            &[("LATCH_TRUST_PROXY", "true")][..],
            &siteverify::settings(&fake.url),
        ]
        .concat(),
        None,
    )
    .await;
    let email = app.verified_user().await;
    for _ in 0..3 {
        app.login_from("198.51.100.30", &email, "x-wrong-password", None)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_eq!(fake.calls(), 0, "no CAPTCHA before the threshold");
    app.login_from("198.51.100.31", &email, STRONG_PASSWORD, None)
        .await
        .assert_problem(400, "captcha_required");
    for _ in 0..4 {
        app.login_from("198.51.100.31", &email, STRONG_PASSWORD, Some("bad-token"))
            .await
            .assert_problem(400, "captcha_invalid");
    }
    assert_eq!(fake.calls(), 4);
    let ok = app
        .login_from("198.51.100.31", &email, STRONG_PASSWORD, Some("good-token"))
        .await;
    assert_eq!(
        ok.status,
        StatusCode::OK,
        "eight refusals did not lock the account: {}",
        ok.body
    );
    // The address that failed three times needs a CAPTCHA for any email.
    app.login_from(
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
    let res = app.login_as("Phone/1", &email, STRONG_PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK);
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
    assert_eq!(app.audited(AuditType::UserPurged).await, 1);
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
    let locked = app.login_as("Stranger/1", &email, STRONG_PASSWORD).await;
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
