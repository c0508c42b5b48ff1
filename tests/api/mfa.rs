//! Two-factor authentication end to end, on the embedded store and on DynamoDB (moto).

use crate::support::mfa::code_at;
use crate::support::{STRONG_PASSWORD, TestApp, on_both_stores, s, spawn_app, spawn_app_on};
use latch_core::domain::AuditType;
use serde_json::json;
use std::sync::Arc;
use time::Duration;

const STEP: Duration = Duration::seconds(30);

/// The account as stored, for what the store holds (never the secret in the clear).
async fn stored(app: &TestApp, email: &str) -> latch_core::domain::User {
    let email = latch_core::domain::Email::parse(email).unwrap();
    app.deps.users.user_by_email(&email).await.unwrap().unwrap()
}

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
        let before = stored(&app, &email).await;
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
        let on = stored(&app, &email).await;
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
        assert!(stored(&app, &email).await.mfa.recovery_codes.is_empty());

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

#[tokio::test]
async fn the_mfa_token_is_bound_to_its_client_expires_and_is_never_a_session() {
    for (app, clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        clock.advance(STEP);
        let token = app.mfa_login(&user.email).await;
        let code = app.code(&user.secret, 0);
        let body = json!({"mfaToken": token, "code": code});
        let elsewhere = app
            .call_as(
                "Other/1.0",
                reqwest::Method::POST,
                "/v1/auth/2fa/verify",
                None,
                Some(&body),
            )
            .await;
        elsewhere.assert_problem(401, "invalid_token");
        app.bearer(reqwest::Method::GET, "/v1/auth/me", &token)
            .await
            .assert_problem(401, "invalid_token");
        for bad in ["", "short", &format!("{token}A")] {
            app.verify_code(bad, &code)
                .await
                .assert_problem(401, "invalid_token");
        }
        clock.advance(Duration::seconds(301));
        app.verify_code(&token, &app.code(&user.secret, 0))
            .await
            .assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn a_password_reset_does_not_bypass_the_second_factor() {
    for (app, _clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        let token = app.fresh_reset_token(&user.email).await;
        let mfa_token = app.mfa_login(&user.email).await;
        let new_password = "quartz-lantern-meadow-73";
        assert_eq!(app.reset_password(&token, new_password).await.status, 204);
        let login = app.login(&user.email, new_password).await;
        assert_eq!(login.body["mfaRequired"], true, "{}", login.body);
        // The token of a login with the old password died with it.
        app.verify_code(&mfa_token, &app.code(&user.secret, 1))
            .await
            .assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn five_wrong_codes_lock_for_five_minutes_then_ten_and_a_good_code_starts_over() {
    for (app, clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        let token = app.mfa_login(&user.email).await;
        let wrong = |app: &TestApp| {
            let good = [
                app.code(&user.secret, -1),
                app.code(&user.secret, 0),
                app.code(&user.secret, 1),
            ];
            (0..1_000_000)
                .map(|n| format!("{n:06}"))
                .find(|c| !good.contains(c))
                .unwrap()
        };
        for _ in 0..5 {
            app.verify_code(&token, &wrong(&app))
                .await
                .assert_problem(401, "invalid_code");
        }
        let locked = app.verify_code(&token, &app.code(&user.secret, 1)).await;
        locked.assert_problem(423, "mfa_locked");
        let retry: i64 = locked.header("retry-after").parse().unwrap();
        assert!((290..=300).contains(&retry), "{retry}");
        assert_eq!(app.mail_to(&user.email, "mfa_locked").len(), 1);

        // The next lock lasts twice as long.
        clock.advance(Duration::seconds(301));
        let token = app.mfa_login(&user.email).await;
        for _ in 0..5 {
            app.verify_code(&token, &wrong(&app))
                .await
                .assert_problem(401, "invalid_code");
        }
        let locked = app.verify_code(&token, &wrong(&app)).await;
        locked.assert_problem(423, "mfa_locked");
        let retry: i64 = locked.header("retry-after").parse().unwrap();
        assert!((590..=600).contains(&retry), "{retry}");

        // After it, a good code signs in, and the doubling starts over.
        clock.advance(Duration::seconds(601));
        let token = app.mfa_login(&user.email).await;
        let ok = app.verify_code(&token, &app.code(&user.secret, 0)).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(stored(&app, &user.email).await.mfa.locks, 0);
    }
}

#[tokio::test]
async fn concurrent_guesses_past_the_limit_are_refused_unchecked() {
    for (app, _clock) in on_both_stores(&[]).await {
        let app = Arc::new(app);
        let user = app.mfa_user().await;
        let token = app.mfa_login(&user.email).await;
        let mut guesses = tokio::task::JoinSet::new();
        for n in 0..20 {
            let (app, token) = (Arc::clone(&app), token.clone());
            guesses.spawn(async move {
                app.verify_code(&token, &format!("{:06}", 999_000 + n))
                    .await
            });
        }
        let mut checked = 0;
        let mut refused = 0;
        while let Some(reply) = guesses.join_next().await {
            let reply = reply.unwrap();
            match reply.status.as_u16() {
                401 => checked += 1,
                423 => refused += 1,
                other => panic!("{other}: {}", reply.body),
            }
        }
        assert!(checked <= 5, "{checked} guesses were checked");
        assert_eq!(checked + refused, 20);
    }
}

#[tokio::test]
async fn the_same_code_twice_at_once_signs_in_once() {
    for (app, clock) in on_both_stores(&[]).await {
        let app = Arc::new(app);
        let user = app.mfa_user().await;
        clock.advance(STEP);
        let code = app.code(&user.secret, 0);
        let tokens = [
            app.mfa_login(&user.email).await,
            app.mfa_login(&user.email).await,
        ];
        let mut tries = tokio::task::JoinSet::new();
        for token in tokens {
            let (app, code) = (Arc::clone(&app), code.clone());
            tries.spawn(async move { app.verify_code(&token, &code).await.status.as_u16() });
        }
        let mut statuses = Vec::new();
        while let Some(status) = tries.join_next().await {
            statuses.push(status.unwrap());
        }
        statuses.sort_unstable();
        assert_eq!(statuses, vec![200, 401], "one sign-in per time step");
    }
}

#[tokio::test]
async fn disable_needs_password_and_code_and_new_recovery_codes_void_the_old() {
    for (app, clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        clock.advance(STEP);
        let regenerated = app
            .post_bearer(
                "/v1/auth/2fa/recovery-codes",
                &user.access,
                &json!({"code": app.code(&user.secret, 0)}),
            )
            .await;
        assert_eq!(regenerated.status, 200, "{}", regenerated.body);
        let fresh = regenerated.body["recoveryCodes"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(fresh.len(), 10);
        let token = app.mfa_login(&user.email).await;
        app.recovery_login(&token, &user.recovery_codes[0])
            .await
            .assert_problem(401, "invalid_code");
        let used = app.recovery_login(&token, fresh[0].as_str().unwrap()).await;
        assert_eq!(used.status, 200, "{}", used.body);

        clock.advance(STEP);
        let code = app.code(&user.secret, 0);
        let path = "/v1/auth/2fa/disable";
        app.post_bearer(
            path,
            &user.access,
            &json!({"password": "not-my-password-at-all", "code": code}),
        )
        .await
        .assert_problem(401, "invalid_credentials");
        let off = app
            .post_bearer(
                path,
                &user.access,
                &json!({"password": STRONG_PASSWORD, "code": code}),
            )
            .await;
        assert_eq!(off.status, 204, "{}", off.body);
        assert_eq!(app.mail_to(&user.email, "mfa_disabled").len(), 1);
        assert_eq!(app.me(&user.access).await.body["mfaEnabled"], false);
        let login = app.login(&user.email, STRONG_PASSWORD).await;
        assert!(login.body["accessToken"].is_string(), "{}", login.body);
        app.post_bearer(
            path,
            &user.access,
            &json!({"password": STRONG_PASSWORD, "code": code}),
        )
        .await
        .assert_problem(409, "conflict");
        {
            assert_eq!(app.audited(AuditType::MfaDisabled).await, 1);
            assert_eq!(app.audited(AuditType::RecoveryCodesRegenerated).await, 1);
        }
    }
}

#[tokio::test]
async fn the_bearer_2fa_routes_are_limited_per_user_and_count_wrong_passwords() {
    // Each attempt from another address: only the per-user count can stop the fourth.
    let settings = [
        ("LATCH_RATE_2FA_SETTINGS_PER_15MIN", "3"),
        ("LATCH_TRUST_PROXY", "true"),
    ];
    let (app, _clock) = spawn_app_on(&settings, None).await;
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let from = |n: u8, password: &str| {
        let url = app.url("/v1/auth/2fa/enable-init");
        let req = app.client.post(url).bearer_auth(&access);
        let req = req.header("x-forwarded-for", format!("198.51.{n}.7"));
        req.json(&json!({"password": password})).send()
    };
    for n in 0..3 {
        let sent = from(n, "wrong-password-entirely").await.unwrap();
        crate::support::Reply::of(sent)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let limited = crate::support::Reply::of(from(9, STRONG_PASSWORD).await.unwrap()).await;
    limited.assert_problem(429, "rate_limited");
    assert!(app.audited(AuditType::MfaFailed).await >= 3);
}

#[tokio::test]
async fn wrong_passwords_on_enable_init_end_the_session_like_change_password() {
    let (app, _clock) = spawn_app_on(&[], None).await;
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    for _ in 0..5 {
        app.post_bearer(
            "/v1/auth/2fa/enable-init",
            &access,
            &json!({"password": "wrong-password-entirely"}),
        )
        .await;
    }
    app.me(&access).await.assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn a_key_rotation_still_opens_old_secrets_and_reseals_them_on_next_use() {
    use latch_core::crypto::{KeyRing, SecretMaterial, StoredDataKey};
    let (app, clock) = spawn_app_on(&[], None).await;
    let user = app.mfa_user().await;
    let sealed_under = stored(&app, &user.email).await.mfa.secret.unwrap().key_id;

    // The same stores, with material whose newest data key is new and the old one kept.
    let path = app.data_dir.path().join("secrets.json");
    let mut material: SecretMaterial =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    material
        .data_keys
        .insert(0, StoredDataKey::generate("d-rotated"));
    let d = &app.deps;
    let rotated = latch_core::service::Deps {
        settings: d.settings.clone(),
        users: Arc::clone(&d.users),
        sessions: Arc::clone(&d.sessions),
        audit: Arc::clone(&d.audit),
        counters: Arc::clone(&d.counters),
        locks: Arc::clone(&d.locks),
        ledger: Arc::clone(&d.ledger),
        captcha: None,
        mailer: Arc::clone(&d.mailer),
        keys: Arc::new(latch_core::keys::Keys::fixed(
            KeyRing::from_material(&material).unwrap(),
        )),
        clock: Arc::clone(&d.clock),
        hasher: d.hasher.clone(),
    };
    // The client the test's HTTP requests come from, which the mfaToken is bound to.
    let caller = latch_core::service::Caller {
        request_id: "rotation".into(),
        client: latch_core::domain::ClientInfo {
            ip: "127.0.0.1".parse().unwrap(),
            user_agent: crate::support::UA.into(),
        },
    };
    clock.advance(STEP);
    let token = app.mfa_login(&user.email).await;
    let req = latch_core::service::mfa::challenge::VerifyRequest {
        mfa_token: token,
        code: code_at(&user.secret, app.deps.clock.now().unix_timestamp()),
        captcha_token: None,
    };
    latch_core::service::mfa::challenge::verify(&rotated, &caller, req)
        .await
        .unwrap();
    let now_under = stored(&app, &user.email).await.mfa.secret.unwrap().key_id;
    assert_ne!(now_under, sealed_under);
    assert_eq!(now_under, "d-rotated", "re-sealed under the newest key");
}

#[tokio::test]
async fn a_stolen_session_guessing_codes_locks_the_factor_once_and_loses_itself() {
    let (app, _clock) = spawn_app_on(&[], None).await;
    let user = app.mfa_user().await;
    let path = "/v1/auth/2fa/recovery-codes";
    let wrong = |n: u32| {
        let good = [
            app.code(&user.secret, -1),
            app.code(&user.secret, 0),
            app.code(&user.secret, 1),
        ];
        (n..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| !good.contains(c))
            .unwrap()
    };
    for n in 0..5 {
        app.post_bearer(path, &user.access, &json!({"code": wrong(n * 7)}))
            .await
            .assert_problem(401, "invalid_code");
    }
    // The session ended with its fifth wrong code: it cannot keep the owner's factor locked.
    app.me(&user.access)
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(stored(&app, &user.email).await.mfa.locks, 1);
    assert!(app.audited(AuditType::SessionRevoked).await >= 1);
}

#[tokio::test]
async fn an_administrators_lock_placed_after_the_password_holds_at_the_second_step() {
    for (app, clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        clock.advance(STEP);
        let token = app.mfa_login(&user.email).await;
        let lock = latch_core::domain::Lock {
            until: app.deps.clock.now() + Duration::hours(1),
            kind: latch_core::domain::LockKind::Admin,
        };
        let email = latch_core::domain::Email::parse(&user.email).unwrap();
        app.deps.locks.lock(&email, &lock).await.unwrap();
        app.verify_code(&token, &app.code(&user.secret, 0))
            .await
            .assert_problem(423, "account_locked");
    }
}

#[tokio::test]
async fn the_administrators_reset_turns_mfa_off_voids_the_codes_and_mails_the_owner() {
    for (app, _clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        let id = stored(&app, &user.email).await.id;
        let caller = latch_core::service::Caller {
            request_id: "admin-reset".into(),
            client: latch_core::domain::ClientInfo {
                ip: "127.0.0.1".parse().unwrap(),
                user_agent: crate::support::UA.into(),
            },
        };
        latch_core::service::mfa::enroll::reset_by_admin(&app.deps, &caller, &id)
            .await
            .unwrap();
        let after = stored(&app, &user.email).await;
        assert!(!after.mfa_enabled && after.mfa.secret.is_none());
        assert!(after.mfa.recovery_codes.is_empty());
        assert_eq!(app.mail_to(&user.email, "mfa_disabled").len(), 1);
        let login = app.login(&user.email, STRONG_PASSWORD).await;
        assert!(login.body["accessToken"].is_string(), "{}", login.body);
        {
            assert_eq!(app.audited(AuditType::AdminMfaReset).await, 1);
        }
        let nobody = latch_core::domain::UserId::new(app.deps.clock.now());
        let missing = latch_core::service::mfa::enroll::reset_by_admin(&app.deps, &caller, &nobody);
        assert!(matches!(missing.await, Err(latch_core::Error::NotFound)));
    }
}

#[tokio::test]
async fn recovery_codes_are_shown_even_when_the_notice_after_them_cannot_go_out() {
    use crate::support::{logs, moto};
    // SES refuses this sender: every mail fails, after the change has landed.
    let app = crate::support::spawn_app_refusing_mail().await;
    let email = format!("{}@example.com", moto::unique("unmailed"));
    assert_eq!(app.register(&email, STRONG_PASSWORD).await.status, 202);
    app.update_account(&email, |u| u.email_verified = true)
        .await;
    let login = app.login(&email, STRONG_PASSWORD).await;
    let access = s(&login.body, "accessToken");
    let from = logs::captured().len();

    let init = app
        .post_bearer(
            "/v1/auth/2fa/enable-init",
            &access,
            &json!({"password": STRONG_PASSWORD}),
        )
        .await;
    let secret = s(&init.body, "secret");
    let done = app
        .post_bearer(
            "/v1/auth/2fa/enable-complete",
            &access,
            &json!({"code": app.code(&secret, 0)}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["recoveryCodes"].as_array().unwrap().len(), 10);
    assert!(stored(&app, &email).await.mfa_enabled);
    let logged = logs::captured()[from..].to_owned();
    assert!(
        logged.contains("latch::after_commit") && logged.contains("mfa enabled notice"),
        "{logged}"
    );
    assert!(
        logs::metrics()
            .iter()
            .any(|m| m.get("PostCommitFailures").is_some())
    );
}

#[tokio::test]
async fn after_an_mfa_lock_the_next_code_needs_a_captcha_answer_for_2fa() {
    use crate::support::siteverify;
    let fake = siteverify::start().await;
    let (app, clock) = spawn_app_on(&siteverify::settings(&fake.url), None).await;
    let user = app.mfa_user().await;
    let token = app.mfa_login(&user.email).await;
    let good = [app.code(&user.secret, 0), app.code(&user.secret, 1)];
    let wrong: Vec<String> = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .filter(|c| !good.contains(c) && *c != app.code(&user.secret, -1))
        .take(5)
        .collect();
    for code in &wrong {
        app.verify_code(&token, code)
            .await
            .assert_problem(401, "invalid_code");
    }
    clock.advance(Duration::seconds(301));
    let token = app.mfa_login(&user.email).await;
    let code = app.code(&user.secret, 0);
    app.verify_code(&token, &code)
        .await
        .assert_problem(400, "captcha_required");
    let verify = |captcha: &str| json!({"mfaToken": token, "code": code, "captchaToken": captcha});
    app.post_json("/v1/auth/2fa/verify", &verify("good-token:login"))
        .await
        .assert_problem(400, "captcha_invalid");
    let ok = app
        .post_json("/v1/auth/2fa/verify", &verify("good-token:2fa"))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn five_wrong_recovery_codes_lock_like_five_wrong_codes() {
    for (app, _clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        let token = app.mfa_login(&user.email).await;
        for bad in [
            "aaaa-aaaa-aaaa-aaaa",
            "not a code",
            "",
            "bbbb-bbbb-bbbb-bbbb",
            "zzzz",
        ] {
            app.recovery_login(&token, bad)
                .await
                .assert_problem(401, "invalid_code");
        }
        app.recovery_login(&token, &user.recovery_codes[0])
            .await
            .assert_problem(423, "mfa_locked");
        app.verify_code(&token, &app.code(&user.secret, 1))
            .await
            .assert_problem(423, "mfa_locked");
        assert_eq!(stored(&app, &user.email).await.mfa.recovery_codes.len(), 10);
    }
}

#[tokio::test]
async fn the_mfa_token_is_bound_to_the_address_prefix_of_its_login() {
    let (app, clock) = spawn_app_on(&[("LATCH_TRUST_PROXY", "true")], None).await;
    let user = app.mfa_user().await;
    clock.advance(STEP);
    let login = app
        .login_from("203.0.113.9", &user.email, STRONG_PASSWORD, None)
        .await;
    let token = s(&login.body, "mfaToken");
    let code = app.code(&user.secret, 0);
    let verify_from = |ip: &'static str| {
        let req = app.client.post(app.url("/v1/auth/2fa/verify"));
        let req = req.header("x-forwarded-for", ip);
        req.json(&json!({"mfaToken": token, "code": code})).send()
    };
    let elsewhere = crate::support::Reply::of(verify_from("198.51.100.9").await.unwrap()).await;
    elsewhere.assert_problem(401, "invalid_token");
    let same_network = crate::support::Reply::of(verify_from("203.0.113.77").await.unwrap()).await;
    assert_eq!(same_network.status, 200, "{}", same_network.body);
}

#[tokio::test]
async fn a_recovery_code_is_not_spent_when_the_new_sign_in_notice_cannot_go_out() {
    use crate::support::moto;
    // SES refuses this sender, so the "new sign-in" notice of a new device fails (503): the
    // recovery code must still work once mail is back.
    let app = crate::support::spawn_app_refusing_mail().await;
    let email = format!("{}@example.com", moto::unique("lostphone"));
    assert_eq!(app.register(&email, STRONG_PASSWORD).await.status, 202);
    app.update_account(&email, |u| u.email_verified = true)
        .await;
    let access = s(
        &app.login(&email, STRONG_PASSWORD).await.body,
        "accessToken",
    );
    let (_, codes) = app.enable_mfa(&access).await;

    let login = app.login_as("NewPhone/1.0", &email, STRONG_PASSWORD).await;
    let token = s(&login.body, "mfaToken");
    let body = json!({"mfaToken": token, "recoveryCode": codes[0]});
    let path = "/v1/auth/recovery-login";
    let refused = app
        .call_as(
            "NewPhone/1.0",
            reqwest::Method::POST,
            path,
            None,
            Some(&body),
        )
        .await;
    refused.assert_problem(503, "unavailable");
    assert_eq!(
        stored(&app, &email).await.mfa.recovery_codes.len(),
        10,
        "not spent"
    );
    let hash = latch_core::domain::TokenHash::of_presented(&token).unwrap();
    assert!(
        app.deps.users.token(&hash).await.unwrap().is_some(),
        "nor the mfaToken"
    );
}

#[tokio::test]
async fn the_new_sign_in_notice_and_the_session_follow_the_second_factor_not_the_password() {
    for (app, clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        clock.advance(STEP);
        let login = app
            .login_as("NewPhone/1.0", &user.email, STRONG_PASSWORD)
            .await;
        assert_eq!(login.body["mfaRequired"], true, "{}", login.body);
        assert!(
            app.mail_to(&user.email, "new_sign_in").is_empty(),
            "not after the password"
        );
        let sessions = app
            .bearer(reqwest::Method::GET, "/v1/auth/sessions", &user.access)
            .await;
        assert_eq!(
            sessions.body["items"].as_array().unwrap().len(),
            1,
            "no session yet"
        );
        let body =
            json!({"mfaToken": s(&login.body, "mfaToken"), "code": app.code(&user.secret, 0)});
        let path = "/v1/auth/2fa/verify";
        let signed = app
            .call_as(
                "NewPhone/1.0",
                reqwest::Method::POST,
                path,
                None,
                Some(&body),
            )
            .await;
        assert_eq!(signed.status, 200, "{}", signed.body);
        assert_eq!(
            app.mail_to(&user.email, "new_sign_in").len(),
            1,
            "after the code"
        );
        let sessions = app
            .bearer(reqwest::Method::GET, "/v1/auth/sessions", &user.access)
            .await;
        assert_eq!(sessions.body["items"].as_array().unwrap().len(), 2);
    }
}
