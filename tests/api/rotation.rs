//! Key rotation: Secrets Manager's four steps on the emulator (retried and failed), staged keys
//! through a running server (locally and on Secrets Manager), and PyJWT across a rotation.

use crate::peers::python;
use crate::support::{STRONG_PASSWORD, TestApp, logs, moto, s, spawn_app_on, spawn_app_with};
use latch_core::adapters::local_secrets::LocalSecrets;
use latch_core::crypto::{AccessClaims, KeyRing, KeyStage, SecretMaterial};
use latch_core::service::key_rotation::RotationRules;
use latch_functions::rotation::{RotationEvent, handle};

/// Rules that let a test rotate again at once (the real ones are held by their own test).
/// Rotations in tests are stamped with the real time, which key ages are measured against (a
/// test clock may run behind it).
const AT_ONCE: RotationRules = RotationRules {
    min_published: Duration::ZERO,
};
use serde_json::{Value, json};
use time::Duration;

fn event(secret: &str, token: &str, step: &str) -> RotationEvent {
    RotationEvent {
        secret_id: secret.to_owned(),
        client_request_token: token.to_owned(),
        step: step.to_owned(),
    }
}

async fn current(client: &aws_sdk_secretsmanager::Client, id: &str) -> SecretMaterial {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.secret_string().unwrap()).unwrap()
}

/// A secret holding fresh material, on the emulator: its client and name.
async fn keys_secret() -> (aws_sdk_secretsmanager::Client, String, SecretMaterial) {
    let material = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    let (client, id) = moto::secret_holding(&serde_json::to_string(&material).unwrap()).await;
    (client, id, material)
}

/// Runs the four steps for `token`, each twice (as Secrets Manager does when a call is lost).
async fn rotate(client: &aws_sdk_secretsmanager::Client, id: &str, token: &str) {
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        for _ in 0..2 {
            handle(client.clone(), event(id, token, step), AT_ONCE)
                .await
                .unwrap_or_else(|e| panic!("{step}: {e}"));
        }
    }
}

fn token(n: u8) -> String {
    format!("{n:08}-1111-4222-8333-444444444444")
}

#[tokio::test]
async fn the_four_steps_rotate_the_secret_and_each_may_be_retried() {
    let (client, id, before) = keys_secret().await;
    // createSecret leaves AWSCURRENT as it is.
    handle(
        client.clone(),
        event(&id, &token(1), "createSecret"),
        AT_ONCE,
    )
    .await
    .unwrap();
    handle(
        client.clone(),
        event(&id, &token(1), "createSecret"),
        AT_ONCE,
    )
    .await
    .unwrap();
    assert_eq!(
        current(&client, &id).await.kid_of(KeyStage::Current),
        before.kid_of(KeyStage::Current)
    );
    rotate(&client, &id, &token(1)).await;
    let after = current(&client, &id).await;
    assert_eq!(
        after.kid_of(KeyStage::Current),
        before.kid_of(KeyStage::Next)
    );
    assert_eq!(
        after.kid_of(KeyStage::Previous),
        before.kid_of(KeyStage::Current)
    );
    assert_eq!(after.data_keys.len(), 2);
    let versions = client
        .describe_secret()
        .secret_id(&id)
        .send()
        .await
        .unwrap();
    let stages = versions.version_ids_to_stages().unwrap();
    assert!(stages[&token(1)].contains(&"AWSCURRENT".to_owned()));
    // A second rotation moves everything one stage on again.
    rotate(&client, &id, &token(2)).await;
    let again = current(&client, &id).await;
    assert_eq!(
        again.kid_of(KeyStage::Previous),
        before.kid_of(KeyStage::Next)
    );
    assert!(
        !again
            .signing_keys
            .iter()
            .any(|k| Some(k.kid.as_str()) == before.kid_of(KeyStage::Current))
    );
    assert!(
        handle(client.clone(), event(&id, &token(3), "rotate"), AT_ONCE)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_pending_secret_that_fails_its_test_never_becomes_current() {
    let (client, id, before) = keys_secret().await;
    // What a broken createSecret (or a hand edit) might leave pending.
    for (n, pending) in [
        (4, "{\"version\":1}".to_owned()),
        (5, {
            let mut twice = before.clone();
            let now = time::OffsetDateTime::now_utc();
            twice.rotate(now).unwrap();
            twice.rotate(now).unwrap();
            serde_json::to_string(&twice).unwrap()
        }),
    ] {
        client
            .put_secret_value()
            .secret_id(&id)
            .client_request_token(token(n))
            .secret_string(pending)
            .version_stages("AWSPENDING")
            .send()
            .await
            .unwrap();
        handle(
            client.clone(),
            event(&id, &token(n), "createSecret"),
            AT_ONCE,
        )
        .await
        .unwrap();
        let tested = handle(client.clone(), event(&id, &token(n), "testSecret"), AT_ONCE).await;
        assert!(tested.is_err(), "pending {n} passed its test");
        let now = current(&client, &id).await;
        assert_eq!(
            now.kid_of(KeyStage::Current),
            before.kid_of(KeyStage::Current)
        );
        assert_eq!(now.kid_of(KeyStage::Next), before.kid_of(KeyStage::Next));
    }
}

/// A token for `sub` signed by `ring`, valid for a day (to outlive rotations in a test).
fn long_token(ring: &KeyRing, app: &TestApp) -> String {
    let iat = app.deps.clock.now().unix_timestamp();
    let claims = AccessClaims {
        iss: app.deps.settings.issuer.clone(),
        aud: app.deps.settings.audience.clone(),
        sub: "01JZ0000000000000000000000".into(),
        sid: "01JZ0000000000000000000000".into(),
        roles: vec!["USER".into()],
        iat,
        nbf: iat,
        exp: iat + 86_400,
        jti: latch_core::crypto::random::ulid(app.deps.clock.now()),
    };
    ring.sign_access(&claims).unwrap()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| s(k, "kid"))
        .collect()
}

#[tokio::test]
async fn a_running_server_takes_up_a_rotation_within_the_ttl_and_no_cached_jwks_misses_a_kid() {
    let (app, clock) = spawn_app_on(&[("LATCH_KEYS_TTL_S", "600")], None).await;
    let file = LocalSecrets::new(app.data_dir.path().join("secrets.json"));
    let (email, tokens) = app.signed_in().await;
    let before = s(&tokens, "accessToken");
    let cached = app.get("/.well-known/jwks.json").await.body;
    let old_ring = app.deps.keys.ring().unwrap();
    let old_long = long_token(&old_ring, &app);

    let rotated = file
        .rotate(time::OffsetDateTime::now_utc(), Duration::ZERO)
        .unwrap();
    let new_kid = rotated.kid_of(KeyStage::Current).unwrap().to_owned();
    assert!(
        kids(&cached).contains(&new_kid),
        "published before it signs"
    );
    // Within the TTL the server still signs with the key it read.
    let within = s(
        &app.login(&email, STRONG_PASSWORD).await.body,
        "accessToken",
    );
    assert_eq!(kid(&within), kid(&before));

    // Past it, the next request reads the file again: the new current key signs, and every
    // kid it signs with was in the JWKS a client cached before the rotation.
    clock.advance(Duration::seconds(601));
    let after = s(
        &app.login(&email, STRONG_PASSWORD).await.body,
        "accessToken",
    );
    assert_eq!(kid(&after), new_kid);
    assert!(kids(&cached).contains(&kid(&after)));
    let jwks = app.get("/.well-known/jwks.json").await.body;
    assert_eq!(kids(&jwks).len(), 3);
    assert!(
        kids(&jwks).contains(&kid(&before)),
        "the previous key still verifies"
    );
    assert_eq!(app.me(&after).await.status, 200);
    // A token of the old key still verifies until it expires.
    let settings = &app.deps.settings;
    let verifies = |ring: &KeyRing| {
        ring.verify_access(
            &old_long,
            &settings.issuer,
            &settings.audience,
            app.deps.clock.now(),
        )
        .is_ok()
    };
    assert!(
        verifies(&app.deps.keys.ring().unwrap()),
        "the previous key still verifies its tokens"
    );

    // Two rotations on, the old key is gone: its tokens are refused.
    file.rotate(time::OffsetDateTime::now_utc(), Duration::ZERO)
        .unwrap();
    clock.advance(Duration::seconds(601));
    app.get("/v1/health").await;
    assert!(
        !verifies(&app.deps.keys.ring().unwrap()),
        "a key two rotations old verifies nothing"
    );
    assert!(!kids(&app.get("/.well-known/jwks.json").await.body).contains(&kid(&old_long)));
}

#[tokio::test]
async fn a_refresh_that_fails_keeps_the_keys_in_use_and_says_so() {
    let (app, clock) = spawn_app_on(&[("LATCH_KEYS_TTL_S", "60")], None).await;
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let path = app.data_dir.path().join("secrets.json");
    std::fs::write(&path, b"{ not material").unwrap();
    let from = logs::captured().len();
    clock.advance(Duration::seconds(61));
    assert_eq!(
        app.me(&access).await.status,
        200,
        "the old keys still verify"
    );
    let logged = logs::captured()[from..].to_owned();
    assert!(logged.contains("re-reading the keys failed"), "{logged}");
    assert!(
        logs::metrics()
            .iter()
            .any(|m| m.get("KeyRefreshFailures").is_some())
    );
}

#[tokio::test]
async fn warm_functions_on_secrets_manager_take_up_a_finished_rotation() {
    let (client, id, before) = keys_secret().await;
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let settings = [
        &moto::dynamodb_settings(&names)[..],
        &[
            ("LATCH_SECRETS", "secretsmanager"),
            ("LATCH_SECRET_ID", id.as_str()),
            ("LATCH_KEYS_TTL_S", "600"),
        ],
    ]
    .concat();
    let (app, clock) = spawn_app_on(&settings, Some(aws)).await;
    let (_, tokens) = app.signed_in().await;
    assert_eq!(
        kid(&s(&tokens, "accessToken")).as_str(),
        before.kid_of(KeyStage::Current).unwrap()
    );
    rotate(&client, &id, &token(7)).await;
    clock.advance(Duration::seconds(601));
    let (_, tokens) = app.signed_in().await;
    assert_eq!(
        kid(&s(&tokens, "accessToken")).as_str(),
        before.kid_of(KeyStage::Next).unwrap()
    );
}

#[tokio::test]
async fn pyjwt_verifies_tokens_from_before_and_after_a_rotation_with_the_jwks_alone() {
    // The system clock (PyJWT checks times against it); a one-second TTL.
    let app = spawn_app_with(&[("LATCH_KEYS_TTL_S", "1")], None).await;
    let (email, tokens) = app.signed_in().await;
    let before = s(&tokens, "accessToken");
    LocalSecrets::new(app.data_dir.path().join("secrets.json"))
        .rotate(time::OffsetDateTime::now_utc(), Duration::ZERO)
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.get("/v1/health").await;
    let after = s(
        &app.login(&email, STRONG_PASSWORD).await.body,
        "accessToken",
    );
    assert_ne!(kid(&before), kid(&after));
    let jwks = app.get("/.well-known/jwks.json").await.body;
    for token in [&before, &after] {
        let request =
            json!({"token": token, "jwks": jwks, "issuer": app.base, "audience": "latch"});
        let (ok, _, err) = python("verify_jwt.py", request.to_string().as_bytes());
        assert!(ok, "PyJWT refused a token of {}: {err}", kid(token));
    }
}

#[tokio::test]
async fn a_second_rotation_before_the_new_key_was_published_long_enough_is_refused() {
    let (client, id, before) = keys_secret().await;
    rotate(&client, &id, &token(8)).await;
    let rules = RotationRules::for_settings(Duration::seconds(600), Duration::minutes(15));
    for step in ["createSecret", "setSecret"] {
        handle(client.clone(), event(&id, &token(9), step), rules)
            .await
            .unwrap();
    }
    let refused = handle(client.clone(), event(&id, &token(9), "testSecret"), rules).await;
    assert!(refused.unwrap_err().to_string().contains("too recently"));
    let finished = handle(client.clone(), event(&id, &token(9), "finishSecret"), rules).await;
    assert!(finished.is_err(), "finishSecret tests again");
    let now = current(&client, &id).await;
    assert_eq!(
        now.kid_of(KeyStage::Current),
        before.kid_of(KeyStage::Next),
        "one rotation only"
    );
    // A token that was never staged is refused at every step but create.
    for step in ["setSecret", "testSecret", "finishSecret"] {
        let stray = handle(
            client.clone(),
            event(&id, "ffffffff-1111-4222-8333-444444444444", step),
            AT_ONCE,
        );
        assert!(stray.await.is_err(), "{step}");
    }
}
