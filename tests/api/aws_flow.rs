//! The whole first path on the AWS adapters: DynamoDB, SES and Secrets Manager on moto.

use crate::support::{STRONG_PASSWORD, moto, spawn_app_with, token_in};
use latch_core::crypto::SecretMaterial;
use reqwest::StatusCode;

#[tokio::test]
async fn register_verify_login_me_on_dynamodb_ses_and_secrets_manager() {
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let domain = format!("{}.example.net", moto::unique("flow"));
    aws_sdk_sesv2::Client::new(&aws)
        .create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .unwrap();
    let secret_id = moto::unique("latch/keys");
    let material = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&aws);
    sm.create_secret()
        .name(&secret_id)
        .secret_string(serde_json::to_string(&material).unwrap())
        .send()
        .await
        .unwrap();

    let from = format!("no-reply@{domain}");
    let app = spawn_app_with(
        &[
            ("LATCH_STORE", "dynamodb"),
            ("LATCH_USERS_TABLE", &names.users),
            ("LATCH_SESSIONS_TABLE", &names.sessions),
            ("LATCH_AUDIT_TABLE", &names.audit),
            ("LATCH_COUNTERS_TABLE", &names.counters),
            ("LATCH_MAIL", "ses"),
            ("LATCH_MAIL_FROM", &from),
            ("LATCH_SECRETS", "secretsmanager"),
            ("LATCH_SECRET_ID", &secret_id),
        ],
        Some(aws),
    )
    .await;

    let email = format!("{}@example.com", moto::unique("aws"));
    assert_eq!(
        app.register(&email, STRONG_PASSWORD).await.status,
        StatusCode::ACCEPTED
    );
    let again = app.register(&email, STRONG_PASSWORD).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let mails: Vec<serde_json::Value> = moto::sent_mail()
        .await
        .into_iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == email.as_str())
        .collect();
    assert_eq!(
        mails.len(),
        2,
        "a verification mail and a registration notice"
    );
    assert_eq!(
        mails[1]["subject"],
        "Someone tried to register with your address"
    );
    let token = token_in(mails[0]["body"].as_str().unwrap());

    app.login(&email, STRONG_PASSWORD)
        .await
        .assert_problem(403, "email_not_verified");
    assert_eq!(app.verify_email(&token).await.status, StatusCode::OK);
    app.verify_email(&token)
        .await
        .assert_problem(400, "invalid_token");
    let tokens = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let access = tokens.body["accessToken"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(access).unwrap().kid.unwrap();
    assert_eq!(
        kid, material.signing_keys[0].kid,
        "signed with the key from Secrets Manager"
    );
    let me = app.me(access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["email"], email.as_str());
    assert_eq!(me.body["emailVerified"], true);
    let health = app.get("/v1/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["checks"]["store"]["ok"], true);
}

#[tokio::test]
async fn health_is_503_when_the_table_is_missing() {
    let aws = moto::aws().await;
    let missing = moto::unique("absent");
    let secret_id = moto::unique("latch/keys");
    let material = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    aws_sdk_secretsmanager::Client::new(&aws)
        .create_secret()
        .name(&secret_id)
        .secret_string(serde_json::to_string(&material).unwrap())
        .send()
        .await
        .unwrap();
    let app = spawn_app_with(
        &[
            ("LATCH_STORE", "dynamodb"),
            ("LATCH_USERS_TABLE", &missing),
            ("LATCH_SECRETS", "secretsmanager"),
            ("LATCH_SECRET_ID", &secret_id),
        ],
        Some(aws),
    )
    .await;
    let health = app.get("/v1/health").await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health.body["status"], "unavailable");
    assert_eq!(health.body["checks"]["store"]["ok"], false);
    app.register("h@example.com", STRONG_PASSWORD)
        .await
        .assert_problem(503, "unavailable");
}
