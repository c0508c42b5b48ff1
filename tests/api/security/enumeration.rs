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

/// The DynamoDB operations of one request, sorted (calls issued together arrive in any order).
async fn store_work(
    proxy: &crate::support::counting_proxy::CountingProxy,
    request: impl std::future::Future<Output = crate::support::Reply>,
) -> (u16, Vec<String>) {
    proxy.take_dynamodb();
    let status = request.await.status.as_u16();
    let mut ops = proxy.take_dynamodb();
    ops.sort();
    (status, ops)
}

#[tokio::test]
async fn known_and_unknown_addresses_cost_the_same_store_work_on_every_path_that_answers_alike() {
    use crate::support::{counting_proxy, moto, spawn_app_with};
    let proxy = counting_proxy::start(&moto::moto().endpoint).await;
    let aws = moto::aws_at(&proxy.endpoint).await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let settings = [
        &moto::dynamodb_settings(&names)[..],
        &[("LATCH_TRUST_PROXY", "true")],
    ]
    .concat();
    let app = spawn_app_with(&settings, Some(aws)).await;
    let verified = app.verified_user().await;
    let pending = format!("{}@example.com", moto::unique("pending"));
    app.register(&pending, STRONG_PASSWORD).await;
    let unknown = format!("{}@example.com", moto::unique("nobody"));

    let forgot = |email: String| {
        let app = &app;
        async move { app.forgot_password(&email).await }
    };
    let known_forgot = store_work(&proxy, forgot(verified.clone())).await;
    assert_eq!(known_forgot.0, 202);
    assert_eq!(
        known_forgot,
        store_work(&proxy, forgot(pending.clone())).await
    );
    assert_eq!(
        known_forgot,
        store_work(&proxy, forgot(unknown.clone())).await
    );

    let resend = |email: String| {
        let app = &app;
        async move {
            let body = serde_json::json!({ "email": email });
            app.post_json("/v1/auth/resend-verification", &body).await
        }
    };
    let mailed = store_work(&proxy, resend(pending.clone())).await;
    assert_eq!(mailed.0, 202);
    assert_eq!(mailed, store_work(&proxy, resend(verified.clone())).await);
    assert_eq!(mailed, store_work(&proxy, resend(unknown.clone())).await);

    // Four failures each (from addresses of their own, so the address counters are alike),
    // then the fifth, which locks; then a refused login while locked.
    let fail = |ip: &'static str, email: String, password: &'static str| {
        let app = &app;
        async move { app.login_from(ip, &email, password, None).await }
    };
    for _ in 0..4 {
        fail("203.0.113.61", verified.clone(), "x-wrong-password").await;
        fail("203.0.113.62", unknown.clone(), "x-wrong-password").await;
    }
    let fifth_known = store_work(&proxy, fail("203.0.113.61", verified.clone(), "x-wrong")).await;
    assert_eq!(fifth_known.0, 401);
    let fifth_unknown = store_work(&proxy, fail("203.0.113.62", unknown.clone(), "x-wrong")).await;
    assert_eq!(fifth_known, fifth_unknown);
    let locked_known = store_work(
        &proxy,
        fail("203.0.113.63", verified.clone(), STRONG_PASSWORD),
    )
    .await;
    assert_eq!(locked_known.0, 423);
    let locked_unknown = store_work(
        &proxy,
        fail("203.0.113.63", unknown.clone(), STRONG_PASSWORD),
    )
    .await;
    assert_eq!(locked_known, locked_unknown);
}
