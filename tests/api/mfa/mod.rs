//! Two-factor authentication end to end, on the embedded store and on DynamoDB (moto): the whole
//! flow and the peers here, the rest by what is attacked or changed.

mod guessing;
mod second_step;
mod settings;

use crate::support::mfa::code_at;
use crate::support::{STRONG_PASSWORD, TestApp, on_both_stores, s, spawn_app, spawn_app_on};
use latch_core::domain::AuditType;
use serde_json::json;
use std::sync::Arc;
use time::Duration;

const STEP: Duration = Duration::seconds(30);

#[tokio::test]
async fn enable_logout_login_verify_replay_recovery_until_the_codes_run_out() {
    for (app, clock) in on_both_stores(&[]).await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");

        // enable-init: a 160-bit base32 secret, its URL and a QR code; not on yet.
        let init = app
            .post_bearer(
                "/v1/auth/2fa/enable-init",
                &access,
                &json!({"password": STRONG_PASSWORD}),
            )
            .await;
        assert_eq!(init.status, 200, "{}", init.body);
        let secret = s(&init.body, "secret");
        assert_eq!(secret.len(), 32, "160 bits of base32");
        let url = s(&init.body, "otpauthUrl");
        assert!(url.starts_with("otpauth://totp/Latch:"), "{url}");
        assert!(url.contains(&format!("secret={secret}")));
        let svg = s(&init.body, "qrSvg");
        assert!(svg.contains("<svg"));
        // The QR code is of exactly this URL (the encoding is deterministic).
        assert_eq!(svg, latch_core::crypto::totp::qr_svg(&url).unwrap());
        assert_eq!(app.me(&access).await.body["mfaEnabled"], false);
        let before = app.account(&email).await;
        let pending = serde_json::to_string(&before).unwrap();
        assert!(!pending.contains(&secret), "the secret is sealed at rest");

        // A wrong first code leaves it off; the right one turns it on with ten codes, mailed.
        let wrong = app
            .post_bearer(
                "/v1/auth/2fa/enable-complete",
                &access,
                &json!({"code": "000000"}),
            )
            .await;
        if app.code(&secret, 0) != "000000" {
            wrong.assert_problem(401, "invalid_code");
        }
        let done = app
            .post_bearer(
                "/v1/auth/2fa/enable-complete",
                &access,
                &json!({"code": app.code(&secret, 0)}),
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        let codes: Vec<String> = done.body["recoveryCodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        assert_eq!(app.me(&access).await.body["mfaEnabled"], true);
        assert_eq!(app.mail_to(&email, "mfa_enabled").len(), 1);
        let on = app.account(&email).await;
        let at_rest = serde_json::to_string(&on).unwrap();
        assert!(!at_rest.contains(&secret));
        assert!(
            codes.iter().all(|c| !at_rest.contains(c.as_str())),
            "codes stored hashed"
        );
        let again = app
            .post_bearer(
                "/v1/auth/2fa/enable-init",
                &access,
                &json!({"password": STRONG_PASSWORD}),
            )
            .await;
        again.assert_problem(409, "conflict");

        // Logout; the password alone no longer signs in and starts no session.
        assert_eq!(
            app.bearer(reqwest::Method::POST, "/v1/auth/logout", &access)
                .await
                .status,
            204
        );
        let mfa_token = app.mfa_login(&email).await;
        let login = app.login(&email, STRONG_PASSWORD).await;
        assert_eq!(login.body["expiresIn"], 300);

        // The code signs in; the token is spent; the same code again is a replay, mailed.
        clock.advance(STEP);
        let code = app.code(&secret, 0);
        let signed = app.verify_code(&mfa_token, &code).await;
        assert_eq!(signed.status, 200, "{}", signed.body);
        assert_eq!(app.me(&s(&signed.body, "accessToken")).await.status, 200);
        app.verify_code(&mfa_token, &app.code(&secret, 1))
            .await
            .assert_problem(401, "invalid_token");
        let next_token = app.mfa_login(&email).await;
        app.verify_code(&next_token, &code)
            .await
            .assert_problem(401, "invalid_code");
        assert_eq!(app.mail_to(&email, "mfa_code_replayed").len(), 1);
        let replays = app.audit_trail().await.into_iter().filter(|e| {
            e.kind == AuditType::MfaFailed && e.metadata.get("reason") == Some(&json!("replayed"))
        });
        assert_eq!(replays.count(), 1, "the replay is audited as one");

        // Recovery codes: each signs in once, until none is left.
        let used = app.recovery_login(&next_token, &codes[0]).await;
        assert_eq!(used.status, 200, "{}", used.body);
        assert_eq!(app.mail_to(&email, "recovery_code_used").len(), 1);
        let token = app.mfa_login(&email).await;
        app.recovery_login(&token, &codes[0])
            .await
            .assert_problem(401, "invalid_code");
        for code in &codes[1..] {
            let token = app.mfa_login(&email).await;
            let r = app.recovery_login(&token, &code.to_uppercase()).await;
            assert_eq!(r.status, 200, "{code}: {}", r.body);
        }
        let token = app.mfa_login(&email).await;
        for code in [&codes[0], &codes[4], &codes[9]] {
            app.recovery_login(&token, code)
                .await
                .assert_problem(401, "invalid_code");
        }
        assert!(app.account(&email).await.mfa.recovery_codes.is_empty());

        {
            for (kind, at_least) in [
                (AuditType::MfaEnabled, 1),
                (AuditType::MfaSucceeded, 1),
                (AuditType::MfaFailed, 3),
                (AuditType::RecoveryCodeUsed, 10),
            ] {
                assert!(app.audited(kind).await >= at_least, "{kind:?}");
            }
        }
    }
}

#[tokio::test]
async fn pyotp_reads_our_url_and_its_codes_are_accepted() {
    // The system clock: pyotp computes its code from the real time.
    let app = spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let init = app
        .post_bearer(
            "/v1/auth/2fa/enable-init",
            &access,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await;
    let url = s(&init.body, "otpauthUrl");
    let script = "import sys, pyotp\n\
                  t = pyotp.parse_uri(sys.argv[1])\n\
                  assert isinstance(t, pyotp.TOTP) and t.digits == 6 and t.interval == 30, t\n\
                  print(t.issuer, t.name, t.now(), sep='\\n')";
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let out = std::process::Command::new(python)
        .args(["-c", script, &url])
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}; run scripts/test.sh to install pyotp"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines[0], "Latch");
    assert!(lines[1].ends_with("@example.com"), "{printed}");
    let done = app
        .post_bearer(
            "/v1/auth/2fa/enable-complete",
            &access,
            &json!({"code": lines[2]}),
        )
        .await;
    assert_eq!(done.status, 200, "pyotp's code {}: {}", lines[2], done.body);

    // And a login's second step takes pyotp's code for the next step (this one is spent).
    let email = s(&app.me(&access).await.body, "email");
    let token = app.mfa_login(&email).await;
    let next = "import sys, time, pyotp\nprint(pyotp.parse_uri(sys.argv[1]).at(time.time() + 30))";
    let out = std::process::Command::new(python)
        .args(["-c", next, &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let signed = app.verify_code(&token, &code).await;
    assert_eq!(signed.status, 200, "pyotp's code {code}: {}", signed.body);
}

#[tokio::test]
async fn an_issuer_with_spaces_and_non_ascii_letters_reads_back_whole() {
    // pyotp unquotes the whole URI before parsing it, so `&`, `#` and `?` cannot reach it
    // whole; their escaping is held by the unit tests of `crypto::totp`.
    let app = crate::support::spawn_app_with(&[("LATCH_MFA_ISSUER", "Acme Cloud Ünï")], None).await;
    let (_, tokens) = app.signed_in().await;
    let init = app
        .post_bearer(
            "/v1/auth/2fa/enable-init",
            &s(&tokens, "accessToken"),
            &json!({"password": STRONG_PASSWORD}),
        )
        .await;
    let url = s(&init.body, "otpauthUrl");
    let script = "import sys, pyotp\nt = pyotp.parse_uri(sys.argv[1])\nprint(t.issuer)";
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
    let out = std::process::Command::new(python)
        .args(["-c", script, &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "Acme Cloud Ünï",
        "{url}"
    );
}
