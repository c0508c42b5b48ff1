//! Password strength, forgot/reset, change, history, resend-verification, and rehash on login.

use crate::support::{
    CONTRACT_ARGON2, Reply, STRONG_PASSWORD, TestApp, moto, reset_token, s, spawn_app,
    spawn_app_with, token_in,
};
use latch_core::adapters::dynamo::DynamoStore;
use latch_core::domain::{AuditType, Email};
use latch_core::ports::UserStore;
use reqwest::{Method, StatusCode};
use serde_json::json;

const CHEAP: &[(&str, &str)] = &[
    ("LATCH_ARGON2_M_KIB", "1024"),
    ("LATCH_ARGON2_T", "1"),
    ("LATCH_ARGON2_P", "1"),
];
const NEW_PASSWORD: &str = "quiet-lantern-meadow-73";

async fn reset(app: &TestApp, token: &str, password: &str) -> Reply {
    app.post_json(
        "/v1/auth/reset-password",
        &json!({ "token": token, "newPassword": password }),
    )
    .await
}

async fn change(app: &TestApp, access: &str, current: &str, new: &str) -> Reply {
    let body = json!({ "currentPassword": current, "newPassword": new });
    Reply::of(
        app.client
            .post(app.url("/v1/auth/change-password"))
            .bearer_auth(access)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn password_strength_scores_and_judges_the_whole_policy() {
    let app = spawn_app().await;
    let weak = app
        .post_json(
            "/v1/auth/password-strength",
            &json!({ "password": "qwerty" }),
        )
        .await;
    assert_eq!(weak.status, StatusCode::OK);
    assert!(weak.body["score"].as_u64().unwrap() < 2);
    assert_eq!(weak.body["acceptable"], false);
    assert!(!weak.body["feedback"].as_array().unwrap().is_empty());
    let strong = app
        .post_json(
            "/v1/auth/password-strength",
            &json!({ "password": STRONG_PASSWORD }),
        )
        .await;
    assert_eq!(strong.body["acceptable"], true);
    assert!(strong.body["score"].as_u64().unwrap() >= 3);
    let breached = app
        .post_json(
            "/v1/auth/password-strength",
            &json!({ "password": "1q2w3e4r5t6y7u" }),
        )
        .await;
    assert_eq!(breached.body["acceptable"], false);
    let personal = app
        .post_json(
            "/v1/auth/password-strength",
            &json!({ "password": "grace-hopper-navy-1906", "email": "grace@example.com" }),
        )
        .await;
    assert_eq!(personal.body["acceptable"], false);
}

#[tokio::test]
async fn a_reset_sets_the_password_verifies_and_ends_every_session_once() {
    let app = spawn_app().await;
    let (email, tokens) = app.signed_in().await;
    app.forgot_password(&email).await;
    let token = reset_token(&app.mail_to(&email, "password_reset")[0]);

    let weak = reset(&app, &token, "password1").await;
    weak.assert_problem(422, "weak_password");
    assert_eq!(weak.body["errors"][0]["field"], "newPassword");
    reset(&app, &token, STRONG_PASSWORD)
        .await
        .assert_problem(422, "password_reused");

    assert_eq!(
        reset(&app, &token, NEW_PASSWORD).await.status,
        StatusCode::NO_CONTENT,
        "refusals left the token usable"
    );
    reset(&app, &token, "another-fine-passphrase-88")
        .await
        .assert_problem(400, "invalid_token");
    app.me(&s(&tokens, "accessToken"))
        .await
        .assert_problem(401, "invalid_token");
    app.refresh(&s(&tokens, "refreshToken"))
        .await
        .assert_problem(401, "invalid_token");
    app.login(&email, STRONG_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, StatusCode::OK);
    assert_eq!(app.mail_to(&email, "password_changed").len(), 1);
    let events = app.store.as_ref().unwrap().audit_events().await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == AuditType::PasswordResetRequested)
    );
    assert!(events.iter().any(|e| e.kind == AuditType::PasswordReset));
}

#[tokio::test]
async fn a_reset_verifies_an_unconfirmed_address() {
    let app = spawn_app().await;
    app.register("late@example.com", STRONG_PASSWORD).await;
    app.forgot_password("late@example.com").await;
    let token = reset_token(&app.mail_to("late@example.com", "password_reset")[0]);
    assert_eq!(
        reset(&app, &token, NEW_PASSWORD).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.login("late@example.com", NEW_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_tokens_are_not_verification_tokens_and_forgeries_fail() {
    let app = spawn_app().await;
    app.register("mixed@example.com", STRONG_PASSWORD).await;
    let verification = token_in(&app.mail_to("mixed@example.com", "verification")[0]);
    reset(&app, &verification, NEW_PASSWORD)
        .await
        .assert_problem(400, "invalid_token");
    reset(&app, &"A".repeat(43), NEW_PASSWORD)
        .await
        .assert_problem(400, "invalid_token");
    reset(&app, "short", NEW_PASSWORD)
        .await
        .assert_problem(400, "invalid_token");
    app.forgot_password("mixed@example.com").await;
    let reset_tok = reset_token(&app.mail_to("mixed@example.com", "password_reset")[0]);
    app.verify_email(&reset_tok)
        .await
        .assert_problem(400, "invalid_token");
}

#[tokio::test]
async fn change_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let email = app.verified_user().await;
    let here = app.login(&email, STRONG_PASSWORD).await.body;
    let elsewhere = app.login(&email, STRONG_PASSWORD).await.body;
    let access = s(&here, "accessToken");
    change(&app, &access, "not-my-password", NEW_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    change(&app, &access, STRONG_PASSWORD, "short")
        .await
        .assert_problem(422, "weak_password");
    change(&app, &access, STRONG_PASSWORD, STRONG_PASSWORD)
        .await
        .assert_problem(422, "password_reused");
    assert_eq!(
        change(&app, &access, STRONG_PASSWORD, NEW_PASSWORD)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.me(&access).await.status,
        StatusCode::OK,
        "the caller's session stays"
    );
    assert_eq!(
        app.refresh(&s(&here, "refreshToken")).await.status,
        StatusCode::OK
    );
    app.me(&s(&elsewhere, "accessToken"))
        .await
        .assert_problem(401, "invalid_token");
    app.refresh(&s(&elsewhere, "refreshToken"))
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, StatusCode::OK);
    assert_eq!(app.mail_to(&email, "password_changed").len(), 1);
    let unauthenticated = app
        .post_json(
            "/v1/auth/change-password",
            &json!({"currentPassword": "a", "newPassword": "b"}),
        )
        .await;
    unauthenticated.assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn the_last_five_passwords_cannot_be_reused() {
    let app = spawn_app_with(CHEAP, None).await;
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let passwords = [
        STRONG_PASSWORD,
        "amber-falcon-river-11",
        "cobalt-pigeon-valley-22",
        "dusty-walrus-canyon-33",
        "ember-otter-glacier-44",
    ];
    for pair in passwords.windows(2) {
        assert_eq!(
            change(&app, &access, pair[0], pair[1]).await.status,
            StatusCode::NO_CONTENT
        );
    }
    // Current: the fifth; the last five include the first.
    change(&app, &access, passwords[4], passwords[0])
        .await
        .assert_problem(422, "password_reused");
    assert_eq!(
        change(&app, &access, passwords[4], "fresh-heron-summit-55")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        change(&app, &access, "fresh-heron-summit-55", passwords[0])
            .await
            .status,
        StatusCode::NO_CONTENT,
        "the sixth-last is free again"
    );
}

#[tokio::test]
async fn resend_verification_serves_only_unconfirmed_addresses() {
    let app = spawn_app().await;
    let verified = app.verified_user().await;
    app.register("waiting@example.com", STRONG_PASSWORD).await;
    for email in [
        verified.as_str(),
        "waiting@example.com",
        "nobody@example.com",
    ] {
        assert_eq!(
            app.post_json("/v1/auth/resend-verification", &json!({ "email": email }))
                .await
                .status,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        app.mail_to(&verified, "confirm_and_set_password").len(),
        0,
        "no new mail for a verified address"
    );
    let mails = app.mail_to("waiting@example.com", "confirm_and_set_password");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("{}/reset-password?token=", app.base)));
    // The owner may keep the password they registered with: an unverified account's password
    // is no history to protect.
    assert_eq!(
        reset(&app, &reset_token(&mails[0]), STRONG_PASSWORD)
            .await
            .status,
        StatusCode::NO_CONTENT,
        "the new link confirms the address by setting the password"
    );
    assert_eq!(
        app.login("waiting@example.com", STRONG_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn login_rehashes_a_password_made_with_older_parameters() {
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let dynamo = moto::dynamodb_settings(&names);
    let old = spawn_app_with(&[CHEAP, &dynamo].concat(), Some(aws.clone())).await;
    let email = old.verified_user().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), names.clone());
    let before = store
        .user_by_email(&Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(before.password_hash.0.contains("m=1024,t=1,p=1"));

    let new = spawn_app_with(&[CONTRACT_ARGON2, &dynamo].concat(), Some(aws)).await;
    assert_eq!(
        new.login(&email, STRONG_PASSWORD).await.status,
        StatusCode::OK
    );
    let after = store
        .user_by_email(&Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        after
            .password_hash
            .0
            .starts_with("$argon2id$v=19$m=65536,t=3,p=2$"),
        "{}",
        after.password_hash.0
    );
    assert_eq!(after.version, before.version + 1);
    assert_eq!(
        new.login(&email, STRONG_PASSWORD).await.status,
        StatusCode::OK,
        "the new hash verifies"
    );
    let _ = Method::GET;
}
