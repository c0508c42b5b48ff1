//! The second step of a login: the mfaToken's binding, expiry and epoch, locks placed between
//! the steps, and the notice and session that follow the code.

use super::*;

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
async fn an_administrators_lock_placed_after_the_password_holds_at_the_second_step() {
    for (app, clock) in on_both_stores(&[]).await {
        let user = app.mfa_user().await;
        clock.advance(STEP);
        let token = app.mfa_login(&user.email).await;
        let lock = latch_core::domain::Lock {
            until: app.deps.clock.now() + Duration::hours(1),
            kind: latch_core::domain::LockKind::Admin,
            reason: None,
        };
        let email = latch_core::domain::Email::parse(&user.email).unwrap();
        app.deps.locks.lock(&email, &lock).await.unwrap();
        app.verify_code(&token, &app.code(&user.secret, 0))
            .await
            .assert_problem(423, "account_locked");
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
        app.account(&email).await.mfa.recovery_codes.len(),
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
