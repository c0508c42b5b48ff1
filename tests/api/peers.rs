//! Real peers check our output: PyJWT verifies access tokens from our JWKS alone, argon2-cffi
//! (the reference C implementation) verifies our PHC strings, Python's email package parses our
//! mail.

use crate::support::{STRONG_PASSWORD, spawn_app};
use latch_core::domain::Email;
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn python(script: &str, input: &[u8]) -> (bool, Value, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../.venv/bin/python");
    assert!(
        python.exists(),
        "the Python peers live in .venv: run scripts/test.sh"
    );
    let mut child = Command::new(python)
        .arg(root.join("api/peers").join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "a Python peer is missing from .venv (run scripts/test.sh): {stderr}"
    );
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        stderr,
    )
}

#[tokio::test]
async fn pyjwt_verifies_our_access_tokens_with_only_our_jwks() {
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let jwks = app.get("/.well-known/jwks.json").await.body;
    let token = tokens["accessToken"].as_str().unwrap();
    let request = json!({ "token": token, "jwks": jwks, "issuer": app.base, "audience": "latch" });
    let (ok, claims, err) = python("verify_jwt.py", request.to_string().as_bytes());
    assert!(ok, "PyJWT refused our token: {err}");
    assert_eq!(claims["aud"], "latch");
    assert!(claims["sid"].as_str().is_some_and(|s| s.len() == 26));
    let wrong_audience =
        json!({ "token": token, "jwks": jwks, "issuer": app.base, "audience": "other" });
    assert!(
        !python("verify_jwt.py", wrong_audience.to_string().as_bytes()).0,
        "PyJWT checks the audience too"
    );
}

// Multi-threaded: the script calls back into the app while this test waits on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pyjwt_finds_the_keys_through_oidc_discovery_from_the_issuer_alone() {
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let token = tokens["accessToken"].as_str().unwrap();
    let request = json!({ "issuer": app.base, "token": token, "audience": "latch" });
    let (ok, found, err) = python("oidc_discovery.py", request.to_string().as_bytes());
    assert!(ok, "PyJWT through discovery refused our token: {err}");
    assert_eq!(found["claims"]["iss"], app.base.as_str());
    let metadata = &found["metadata"];
    assert_eq!(
        metadata["jwks_uri"],
        format!("{}/.well-known/jwks.json", app.base)
    );
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(metadata["subject_types_supported"], json!(["public"]));
    let wrong_audience = json!({ "issuer": app.base, "token": token, "audience": "other" });
    assert!(
        !python("oidc_discovery.py", wrong_audience.to_string().as_bytes()).0,
        "the audience is still checked"
    );
}

#[tokio::test]
async fn argon2_cffi_verifies_our_password_hashes() {
    let app = crate::support::spawn_app_with(crate::support::CONTRACT_ARGON2, None).await;
    let email = app.verified_user().await;
    let stored = app.store.as_ref().unwrap();
    let user = latch_core::ports::UserStore::user_by_email(stored, &Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let request = json!({ "hash": user.password_hash.0, "password": STRONG_PASSWORD, "wrong": "not-the-password" });
    let (ok, verdict, err) = python("verify_argon2.py", request.to_string().as_bytes());
    assert!(ok, "{err}");
    assert_eq!(
        verdict,
        json!({"right": true, "wrong": false, "type": "ID", "memory_cost": 65536, "time_cost": 3, "parallelism": 2})
    );
}

#[tokio::test]
async fn pythons_email_package_parses_our_mail_strictly() {
    let app = spawn_app().await;
    app.register("Mail.Parse@Example.com", STRONG_PASSWORD)
        .await;
    let (_, raw) = app.outbox().into_iter().next().unwrap();
    let (ok, summary, err) = python("parse_mail.py", raw.as_bytes());
    assert!(ok, "{err}");
    assert_eq!(summary["content_type"], "multipart/alternative");
    assert_eq!(summary["to"], "mail.parse@example.com");
    assert_eq!(summary["subject"], "Confirm your email address");
    assert_eq!(summary["defects"], json!([]));
    let parts = summary["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["type"], "text/plain");
    assert_eq!(parts[1]["type"], "text/html");
    assert!(
        parts[0]["body"]
            .as_str()
            .unwrap()
            .contains("/v1/auth/verify-email?token=")
    );
    let names: Vec<&str> = summary["header_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    for must in [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
    ] {
        assert!(names.contains(&must), "{must} missing from {names:?}");
    }
    assert!(!names.contains(&"bcc"), "no injected header");
}
