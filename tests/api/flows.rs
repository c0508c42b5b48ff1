//! register → mail → verify → login → me on the local server, embedded default.

use crate::support::{STRONG_PASSWORD, UA, spawn_app, token_in};
use latch_core::domain::AuditType;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_new_user_registers_verifies_signs_in_and_reads_its_account() {
    let app = spawn_app().await;
    let res = app
        .register("  New.User@Example.COM ", STRONG_PASSWORD)
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED);
    let mails = app.mail_to("new.user@example.com", "verification");
    assert_eq!(
        mails.len(),
        1,
        "one verification mail to the normalized address"
    );
    let link_prefix = format!("{}/v1/auth/verify-email?token=", app.base);
    assert!(
        mails[0].contains(&link_prefix),
        "the link points at LATCH_PUBLIC_URL"
    );

    let verified = app.verify_email(&token_in(&mails[0])).await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(verified.body, json!({ "verified": true }));

    let tokens = app.login("new.user@example.com", STRONG_PASSWORD).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert_eq!(tokens.body["tokenType"], "Bearer");
    assert_eq!(tokens.body["expiresIn"], 900);
    // `<sessionId>.<userId>.<secret>`: two ULIDs naming where it is kept, then the secret.
    let refresh: Vec<&str> = tokens.body["refreshToken"]
        .as_str()
        .unwrap()
        .split('.')
        .collect();
    assert_eq!(refresh.len(), 3);
    assert_eq!((refresh[0].len(), refresh[1].len()), (26, 26), "two ULIDs");
    assert_eq!(refresh[2].len(), 43, "a 256-bit base64url secret");

    let me = app.me(tokens.body["accessToken"].as_str().unwrap()).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["email"], "new.user@example.com");
    assert_eq!(me.body["emailVerified"], true);
    assert_eq!(me.body["roles"], json!(["USER"]));
    assert_eq!(me.body["mfaEnabled"], false);
    assert_eq!(me.body["plan"], "FREE");
    let keys: Vec<&str> = me
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 7, "exactly the contract's fields: {keys:?}");
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_exactly_one_account() {
    let app = spawn_app().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (client, url) = (app.client.clone(), app.url("/v1/auth/register"));
        tasks.spawn(async move {
            client
                .post(url)
                .json(&json!({"email": "race@example.com", "password": STRONG_PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::ACCEPTED);
    }
    assert_eq!(app.mail_to("race@example.com", "verification").len(), 1);
    assert_eq!(
        app.mail_to("race@example.com", "registration_attempt")
            .len(),
        3,
        "the other five saw the address taken; three notices a day reach it"
    );
}

#[tokio::test]
async fn a_verification_link_works_once() {
    let app = spawn_app().await;
    app.register("once@example.com", STRONG_PASSWORD).await;
    let token = token_in(&app.mail_to("once@example.com", "verification")[0]);
    assert_eq!(app.verify_email(&token).await.status, StatusCode::OK);
    app.verify_email(&token)
        .await
        .assert_problem(400, "invalid_token");
}

#[tokio::test]
async fn forged_truncated_and_missing_verification_tokens_are_invalid() {
    let app = spawn_app().await;
    app.register("forge@example.com", STRONG_PASSWORD).await;
    let token = token_in(&app.mail_to("forge@example.com", "verification")[0]);
    let forged = format!(
        "{}{}",
        &token[..42],
        if token.ends_with('A') { 'B' } else { 'A' }
    );
    app.verify_email(&forged)
        .await
        .assert_problem(400, "invalid_token");
    app.verify_email(&token[..20])
        .await
        .assert_problem(400, "invalid_token");
    app.get("/v1/auth/verify-email")
        .await
        .assert_problem(400, "invalid_token");
    app.verify_email("%00%0a")
        .await
        .assert_problem(400, "invalid_token");
    app.login("forge@example.com", STRONG_PASSWORD)
        .await
        .assert_problem(403, "email_not_verified");
    assert_eq!(
        app.verify_email(&token).await.status,
        StatusCode::OK,
        "failed attempts leave the real token usable"
    );
}

#[tokio::test]
async fn an_unverified_account_cannot_sign_in_but_a_wrong_password_says_nothing_of_it() {
    let app = spawn_app().await;
    app.register("unverified@example.com", STRONG_PASSWORD)
        .await;
    app.login("unverified@example.com", STRONG_PASSWORD)
        .await
        .assert_problem(403, "email_not_verified");
    app.login("unverified@example.com", "wrong-password-entirely")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn a_browser_update_keeps_the_session() {
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    assert_eq!(UA, "latch-tests/1.0");
    let access = tokens["accessToken"].as_str();
    let res = app
        .call_as("latch-tests/2.7", Method::GET, "/v1/auth/me", access, None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test]
async fn every_step_is_audited_with_its_context_and_without_secrets() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    app.login(&email, "wrong-password-entirely").await;
    app.login("ghost@example.com", "wrong-password-entirely")
        .await;
    let tokens = app.login(&email, STRONG_PASSWORD).await;
    let events = app.store.as_ref().unwrap().audit_events().await.unwrap();
    let kinds: Vec<AuditType> = events.iter().map(|e| e.kind).collect();
    for kind in [
        AuditType::UserRegistered,
        AuditType::EmailVerified,
        AuditType::LoginFailed,
        AuditType::LoginSucceeded,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} missing from {kinds:?}");
    }
    let failures: Vec<_> = events
        .iter()
        .filter(|e| e.kind == AuditType::LoginFailed)
        .collect();
    assert_eq!(failures.len(), 2);
    assert!(
        failures
            .iter()
            .any(|e| e.user_id.is_none() && e.metadata["reason"] == "unknown_email")
    );
    for e in &events {
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(e.user_agent.as_deref(), Some(UA));
        assert_eq!(e.request_id.len(), 26);
        let text = serde_json::to_string(e).unwrap();
        for secret in [
            STRONG_PASSWORD,
            "wrong-password-entirely",
            tokens.body["refreshToken"].as_str().unwrap(),
            &email,
        ] {
            assert!(
                !text.contains(secret),
                "audit event {text} holds a secret or the email"
            );
        }
    }
}
