//! Turning MFA off, new recovery codes, the admin reset, sealed secrets across a key rotation,
//! and what stands when a notice cannot go out.

use super::*;

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
async fn a_key_rotation_still_opens_old_secrets_and_reseals_them_on_next_use() {
    use latch_core::crypto::{KeyRing, SecretMaterial, StoredDataKey};
    let (app, clock) = spawn_app_on(&[], None).await;
    let user = app.mfa_user().await;
    let sealed_under = app.account(&user.email).await.mfa.secret.unwrap().key_id;

    // The same stores, with material whose newest data key is new and the old one kept.
    let path = app.data_dir.path().join("secrets.json");
    let mut material: SecretMaterial =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    material
        .data_keys
        .insert(0, StoredDataKey::generate("d-rotated"));
    let rotated = latch_core::service::Deps {
        captcha: None,
        databases: None,
        keys: Arc::new(latch_core::keys::Keys::fixed(
            KeyRing::from_material(&material).unwrap(),
        )),
        ..latch_core::service::Deps::clone(&app.deps)
    };
    // The client the test's HTTP requests come from, which the mfaToken is bound to.
    let caller = latch_core::service::Caller::new(
        "rotation",
        latch_core::domain::ClientInfo {
            ip: "127.0.0.1".parse().unwrap(),
            user_agent: crate::support::UA.into(),
        },
    );
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
    let now_under = app.account(&user.email).await.mfa.secret.unwrap().key_id;
    assert_ne!(now_under, sealed_under);
    assert_eq!(now_under, "d-rotated", "re-sealed under the newest key");
}

#[tokio::test]
async fn the_administrators_reset_turns_mfa_off_voids_the_codes_and_mails_the_owner() {
    for (app, _clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        let id = app.account(&user.email).await.id;
        let caller = latch_core::service::Caller::new(
            "admin-reset",
            latch_core::domain::ClientInfo {
                ip: "127.0.0.1".parse().unwrap(),
                user_agent: crate::support::UA.into(),
            },
        );
        latch_core::service::mfa::enroll::reset_by_admin(&app.deps, &caller, &id, &id)
            .await
            .unwrap();
        let after = app.account(&user.email).await;
        assert!(!after.mfa_enabled && after.mfa.secret.is_none());
        assert!(after.mfa.recovery_codes.is_empty());
        assert_eq!(app.mail_to(&user.email, "mfa_disabled").len(), 1);
        let login = app.login(&user.email, STRONG_PASSWORD).await;
        assert!(login.body["accessToken"].is_string(), "{}", login.body);
        {
            assert_eq!(app.audited(AuditType::AdminMfaReset).await, 1);
        }
        let nobody = latch_core::domain::UserId::new(app.deps.clock.now());
        let missing =
            latch_core::service::mfa::enroll::reset_by_admin(&app.deps, &caller, &nobody, &id);
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
    assert!(app.account(&email).await.mfa_enabled);
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
