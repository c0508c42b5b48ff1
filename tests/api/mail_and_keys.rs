//! The mailers (outbox files, SES on moto) and the key sources (local file, Secrets Manager on
//! moto), and the JWKS verifying our tokens.

use crate::support::{STRONG_PASSWORD, moto, spawn_app};
use latch_core::adapters::outbox::OutboxMailer;
use latch_core::adapters::secrets_manager::SecretsManagerSource;
use latch_core::adapters::ses::SesMailer;
use latch_core::crypto::{KeyRing, SecretMaterial};
use latch_core::domain::{Email, Mail};
use latch_core::ports::{Mailer, SecretSource, SystemClock};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn ring() -> Arc<latch_core::keys::Keys> {
    Arc::new(latch_core::keys::Keys::fixed(
        KeyRing::from_material(&SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap())
            .unwrap(),
    ))
}

#[tokio::test(flavor = "current_thread")]
async fn the_outbox_writes_one_eml_per_message_and_logs_kind_and_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let from = latch_core::adapters::mime::mailbox("Latch <no-reply@latch.test>").unwrap();
    let mailer = OutboxMailer::new(
        dir.path().join("outbox"),
        from,
        ring(),
        Arc::new(SystemClock),
    );
    let link = "http://127.0.0.1:3000/v1/auth/verify-email?token=SECRETTOKENSECRETTOKENSECRETTOKENSECRETTOK";
    let mail = Mail::verification(Email::parse("frank@example.com").unwrap(), link, 24);

    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    {
        let _guard = tracing::subscriber::set_default(subscriber);
        mailer.send(&mail).await.unwrap();
    }

    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "no temporary file left behind: {files:?}");
    assert!(files[0].ends_with("-verification.eml"));
    let eml = std::fs::read_to_string(dir.path().join("outbox").join(&files[0])).unwrap();
    assert!(eml.contains("To: frank@example.com\r\n"));
    assert!(eml.contains(link));

    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 1, "one line per message: {log}");
    assert!(
        lines[0].contains("\"kind\":\"verification\"") && lines[0].contains(&files[0]),
        "{log}"
    );
    assert!(
        !log.contains("SECRETTOKEN") && !log.contains("frank@example.com"),
        "no token or address in the log: {log}"
    );
}

#[tokio::test]
async fn ses_sends_both_parts_to_the_recipient() {
    let aws = moto::aws().await;
    let client = aws_sdk_sesv2::Client::new(&aws);
    let from = moto::verified_sender(&aws, "mail").await;
    let to = format!("{}@example.com", moto::unique("ses"));
    let mailer = SesMailer::new(client, format!("Latch <{from}>"));
    mailer
        .send(&Mail::verification(
            Email::parse(&to).unwrap(),
            "https://id.example.com/v1/auth/verify-email?token=T0K",
            24,
        ))
        .await
        .unwrap();
    let sent = moto::sent_mail().await;
    let msg = sent
        .iter()
        .find(|m| m["destinations"]["ToAddresses"][0] == to.as_str())
        .expect("moto holds the message");
    assert_eq!(msg["subject"], "Confirm your email address");
    assert_eq!(msg["source"], format!("Latch <{from}>"));
    assert!(
        msg["body"]
            .as_str()
            .unwrap()
            .contains("href=\"https://id.example.com/v1/auth/verify-email?token=T0K\"")
    );
}

#[tokio::test]
async fn ses_refuses_an_unverified_sender_as_unavailable() {
    let client = aws_sdk_sesv2::Client::new(&moto::aws().await);
    let mailer = SesMailer::new(client, format!("x@{}.example.org", moto::unique("nobody")));
    let err = mailer
        .send(&Mail::registration_attempt(
            Email::parse("g@example.com").unwrap(),
            "",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, latch_core::Error::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn secrets_manager_holds_the_same_material_as_secrets_json() {
    let material = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    let (client, id) = moto::secret_holding(&serde_json::to_string(&material).unwrap()).await;
    let loaded = SecretsManagerSource::new(client.clone(), id.clone())
        .load()
        .await
        .unwrap();
    assert_eq!(loaded.signing_keys[0].kid, material.signing_keys[0].kid);
    KeyRing::from_material(&loaded).unwrap();

    let missing = SecretsManagerSource::new(client.clone(), "absent/secret".into())
        .load()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("absent/secret") && missing.contains("does not exist"),
        "{missing}"
    );
    let bad = moto::unique("latch/bad");
    client
        .create_secret()
        .name(&bad)
        .secret_string("{\"version\":1}")
        .send()
        .await
        .unwrap();
    assert!(SecretsManagerSource::new(client, bad).load().await.is_err());
}

#[tokio::test]
async fn access_tokens_verify_with_the_published_jwks_alone() {
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(app.get("/.well-known/jwks.json").await.body).unwrap();
    let access = tokens["accessToken"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(access).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_issuer(&[app.base.as_str()]);
    v.set_audience(&["latch"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(access, &key, &v)
        .unwrap()
        .claims;
    for claim in [
        "iss", "aud", "sub", "sid", "roles", "iat", "nbf", "exp", "jti",
    ] {
        assert!(claims.get(claim).is_some(), "claim {claim} missing");
    }
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(claims["roles"], serde_json::json!(["USER"]));
    let _ = STRONG_PASSWORD;
}

#[tokio::test]
async fn local_keys_persist_across_restarts_of_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let source =
        latch_core::adapters::local_secrets::LocalSecrets::new(dir.path().join("secrets.json"));
    let first = KeyRing::from_material(&source.load().await.unwrap()).unwrap();
    let second = KeyRing::from_material(&source.load().await.unwrap()).unwrap();
    assert_eq!(first.jwks().keys[0].kid, second.jwks().keys[0].kid);
}

#[tokio::test]
async fn a_secret_from_before_data_keys_is_refused_with_the_fix_and_add_data_key_mends_it() {
    let mut old = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    old.data_keys.clear();
    let old_json = serde_json::to_string(&old).unwrap();
    let (client, id) = moto::secret_holding(&old_json).await;
    let source = SecretsManagerSource::new(client.clone(), id.clone());
    let loaded = source.load().await.unwrap();
    let refused = KeyRing::from_material(&loaded).err().unwrap().to_string();
    assert!(refused.contains("latch-local add-data-key"), "{refused}");

    // What the operator runs: the same material with a data key added, put back.
    let mended =
        latch_functions::local::with_new_data_key(&old_json, time::OffsetDateTime::now_utc())
            .unwrap();
    client
        .put_secret_value()
        .secret_id(&id)
        .secret_string(&mended)
        .send()
        .await
        .unwrap();
    let ring = KeyRing::from_material(&source.load().await.unwrap()).unwrap();
    assert_eq!(
        ring.jwks().keys[0].kid,
        old.signing_keys[0].kid,
        "signing keys kept"
    );
    assert!(
        latch_functions::local::with_new_data_key("{}", time::OffsetDateTime::now_utc()).is_err()
    );
}
