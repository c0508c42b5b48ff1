//! The whole first path on the AWS adapters: DynamoDB, SES and Secrets Manager on moto.

use crate::support::{STRONG_PASSWORD, moto, spawn_app_on, spawn_app_with, token_in};
use latch_core::crypto::SecretMaterial;
use reqwest::StatusCode;

#[tokio::test]
async fn register_verify_login_me_on_dynamodb_ses_and_secrets_manager() {
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let from = moto::verified_sender(&aws, "flow").await;
    let secret_id = moto::unique("latch/keys");
    let material = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&aws);
    sm.create_secret()
        .name(&secret_id)
        .secret_string(serde_json::to_string(&material).unwrap())
        .send()
        .await
        .unwrap();

    let app = spawn_app_with(
        &[
            &moto::dynamodb_settings(&names)[..],
            &[
                ("LATCH_MAIL", "ses"),
                ("LATCH_MAIL_FROM", &from),
                ("LATCH_SECRETS", "secretsmanager"),
                ("LATCH_SECRET_ID", &secret_id),
            ],
        ]
        .concat(),
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
        kid,
        material
            .kid_of(latch_core::crypto::KeyStage::Current)
            .unwrap(),
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

/// The rest of `/v1/auth` on the AWS adapters: rotation and reuse, the session list through the
/// `byUser` index, logout-all, a reset read back from SES, lockout and the unlock job.
#[tokio::test]
async fn sessions_resets_and_locks_on_dynamodb_and_ses() {
    use reqwest::Method;
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let from = moto::verified_sender(&aws, "flow2").await;
    let (app, clock) = spawn_app_on(
        &[
            &moto::dynamodb_settings(&names)[..],
            &[
                ("LATCH_MAIL", "ses"),
                ("LATCH_MAIL_FROM", &from),
                ("LATCH_LOCKOUT_DURATION_S", "1"),
                ("LATCH_REFRESH_REUSE_GRACE_S", "0"),
            ],
        ]
        .concat(),
        Some(aws),
    )
    .await;
    let email = format!("{}@example.com", moto::unique("aws2"));
    let mails_to = |subject: &'static str, email: String| async move {
        moto::sent_mail()
            .await
            .into_iter()
            .filter(|m| {
                m["destinations"]["ToAddresses"][0] == email.as_str() && m["subject"] == subject
            })
            .collect::<Vec<_>>()
    };
    app.register(&email, STRONG_PASSWORD).await;
    let verification = mails_to("Confirm your email address", email.clone()).await;
    assert_eq!(
        app.verify_email(&token_in(verification[0]["body"].as_str().unwrap()))
            .await
            .status,
        StatusCode::OK
    );

    let first = app.login(&email, STRONG_PASSWORD).await.body;
    let second = app.login(&email, STRONG_PASSWORD).await.body;
    let rotated = app.refresh(first["refreshToken"].as_str().unwrap()).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    app.refresh(first["refreshToken"].as_str().unwrap())
        .await
        .assert_problem(401, "token_reused");
    app.refresh(rotated.body["refreshToken"].as_str().unwrap())
        .await
        .assert_problem(401, "invalid_token");
    let list = app
        .bearer(
            Method::GET,
            "/v1/auth/sessions",
            second["accessToken"].as_str().unwrap(),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "the reused session is gone: {}",
        list.body
    );
    assert_eq!(
        app.bearer(
            Method::POST,
            "/v1/auth/logout-all",
            second["accessToken"].as_str().unwrap()
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    app.me(second["accessToken"].as_str().unwrap())
        .await
        .assert_problem(401, "invalid_token");

    app.post_json(
        "/v1/auth/forgot-password",
        &serde_json::json!({ "email": email }),
    )
    .await;
    let reset_mail = mails_to("Reset your password", email.clone()).await;
    let body = reset_mail[0]["body"].as_str().unwrap();
    let start = body.find("reset-password?token=").unwrap() + "reset-password?token=".len();
    let token: String = body[start..].chars().take(43).collect();
    let new_password = "quiet-lantern-meadow-73";
    let reset = app
        .post_json(
            "/v1/auth/reset-password",
            &serde_json::json!({ "token": token, "newPassword": new_password }),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
    assert_eq!(
        mails_to("Your password was changed", email.clone())
            .await
            .len(),
        1
    );

    let attempt = |password: &'static str| app.login_as("Stranger/1", &email, password);
    for _ in 0..5 {
        attempt("x-wrong-password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    attempt(new_password)
        .await
        .assert_problem(423, "account_locked");
    assert_eq!(
        mails_to(
            "Your account was locked after failed sign-ins",
            email.clone()
        )
        .await
        .len(),
        1
    );
    clock.advance(time::Duration::seconds(2));
    let report = latch_functions::job::handle(&app.deps, "unlock-accounts", "run")
        .await
        .unwrap();
    assert!(report["unlocked"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(attempt(new_password).await.status, StatusCode::OK);
}

#[tokio::test]
async fn create_tables_makes_the_missing_tables_with_their_indexes_and_ttl_and_leaves_the_rest() {
    use latch_core::adapters::dynamo::schema::{TABLES, create_tables};
    let client = aws_sdk_dynamodb::Client::new(&moto::aws().await);
    let names = moto::tables(&client).await;
    client
        .delete_table()
        .table_name(&names.audit)
        .send()
        .await
        .unwrap();
    let made = create_tables(&client, &names).await.unwrap();
    let created: Vec<&str> = made
        .iter()
        .filter(|(_, created)| *created)
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        created,
        [names.audit.as_str()],
        "only the missing table is made"
    );
    assert_eq!(made.len(), TABLES.len());
    for table in TABLES {
        let name = (table.name)(&names);
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .unwrap();
        let indexes: Vec<&str> = described
            .table()
            .unwrap()
            .global_secondary_indexes()
            .iter()
            .filter_map(|i| i.index_name())
            .collect();
        let expected: Vec<&str> = table.indexes.iter().map(|i| i.name).collect();
        assert_eq!(indexes.len(), expected.len(), "{name}");
        assert!(
            expected.iter().all(|e| indexes.contains(e)),
            "{name}: {indexes:?}"
        );
        let ttl = client
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .unwrap();
        let ttl = ttl.time_to_live_description().unwrap();
        assert_eq!(ttl.attribute_name(), Some("ttl"), "{name}");
    }
}
