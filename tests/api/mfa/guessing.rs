//! Guessing the second factor: the MFA lock and its doubling, bursts, CAPTCHA after a lock,
//! and the per-user limits and session strikes of the bearer routes.

use super::*;

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
        assert_eq!(app.account(&user.email).await.mfa.locks, 0);
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
    assert_eq!(app.account(&user.email).await.mfa.locks, 1);
    assert!(app.audited(AuditType::SessionRevoked).await >= 1);
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
        assert_eq!(app.account(&user.email).await.mfa.recovery_codes.len(), 10);
    }
}
