//! Learning whether an address has an account, from bodies, mail or the work done.

use crate::support::{STRONG_PASSWORD, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_alike_and_both_run_argon2() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let before = app.deps.hasher.verifications();
    let wrong = app.login(&email, "not-the-password-at-all").await;
    let unknown = app
        .login("nobody-here@example.com", "not-the-password-at-all")
        .await;
    let malformed = app.login("not an email", "not-the-password-at-all").await;
    wrong.assert_problem(401, "invalid_credentials");
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.body_sans_request_id(), wrong.body_sans_request_id());
    assert_eq!(
        malformed.body_sans_request_id(),
        wrong.body_sans_request_id()
    );
    assert_eq!(
        app.deps.hasher.verifications(),
        before + 3,
        "the unknown and malformed emails ran the dummy hash"
    );
}

#[tokio::test]
async fn a_known_email_gets_the_same_answer_a_notice_and_keeps_its_password() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let fresh = app
        .register("someone-new@example.com", STRONG_PASSWORD)
        .await;
    let again = app.register(&email, "another-Strong-passphrase-42").await;
    assert_eq!(again.status, fresh.status);
    assert_eq!(again.body, fresh.body, "no enumeration through the body");
    let notices = app.mail_to(&email, "registration_attempt");
    assert_eq!(notices.len(), 1);
    assert!(
        !notices[0].contains("token="),
        "the notice carries no token"
    );
    assert_eq!(
        app.mail_to(&email, "verification").len(),
        1,
        "no second verification mail"
    );
    assert_eq!(
        app.login(&email, STRONG_PASSWORD).await.status,
        StatusCode::OK,
        "registering never changes a password"
    );
    app.login(&email, "another-Strong-passphrase-42")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn forgot_password_answers_alike_and_mails_only_known_addresses() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    app.register("pending@example.com", STRONG_PASSWORD).await;
    let known = app.forgot_password(&email).await;
    let unverified = app.forgot_password("pending@example.com").await;
    let unknown = app.forgot_password("nobody@example.com").await;
    let malformed = app.forgot_password("not-an-email").await;
    for res in [&known, &unverified, &unknown, &malformed] {
        assert_eq!(res.status, StatusCode::ACCEPTED);
        assert_eq!(res.body, known.body);
    }
    assert_eq!(app.mail_to(&email, "password_reset").len(), 1);
    assert_eq!(
        app.mail_to("pending@example.com", "password_reset").len(),
        1,
        "unverified addresses are served too"
    );
    assert_eq!(
        app.outbox()
            .iter()
            .filter(|(n, _)| n.ends_with("-password_reset.eml"))
            .count(),
        2
    );
    let link = &app.mail_to(&email, "password_reset")[0];
    assert!(
        link.contains(&format!("{}/reset-password?token=", app.base)),
        "links go to LATCH_APP_URL"
    );
}
