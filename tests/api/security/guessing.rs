//! Guessing passwords where no login guards them (change-password with a stolen session),
//! riding on dead sessions to dodge a lock or a sign-in notice, and keys built from hostile
//! input. Each runs on both stores.

use crate::support::{STRONG_PASSWORD, on_both_stores, s};
use latch_core::service::guard;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn change_password_is_not_a_guessing_oracle() {
    let settings = [
        ("LATCH_RATE_CHANGE_PASSWORD_PER_15MIN", "5"),
        ("LATCH_TRUST_PROXY", "true"),
    ];
    for (app, _clock) in on_both_stores(&settings).await {
        let email = app.verified_user().await;
        let owner = app.login(&email, STRONG_PASSWORD).await.body;
        let stolen = app.login_as("Thief/1", &email, STRONG_PASSWORD).await.body;
        let access = s(&stolen, "accessToken");
        let guess = |n: usize| {
            let app = &app;
            let access = access.clone();
            async move {
                let body = serde_json::json!({
                    "currentPassword": format!("guess-number-{n}"),
                    "newPassword": "quiet-lantern-meadow-73",
                });
                app.call_as(
                    "Thief/1",
                    Method::POST,
                    "/v1/auth/change-password",
                    Some(&access),
                    Some(&body),
                )
                .await
            }
        };
        for n in 0..4 {
            guess(n).await.assert_problem(401, "invalid_credentials");
            assert_eq!(app.me_as("Thief/1", &access).await.status, StatusCode::OK);
        }
        // The fifth wrong password reaches the lockout threshold: the account locks for
        // strangers and the guessing session ends.
        guess(4).await.assert_problem(401, "invalid_credentials");
        app.me_as("Thief/1", &access)
            .await
            .assert_problem(401, "invalid_token");
        app.login_as("Stranger/1", &email, STRONG_PASSWORD)
            .await
            .assert_problem(423, "account_locked");
        assert_eq!(app.mail_to(&email, "lockout").len(), 1);
        assert_eq!(
            app.me(&s(&owner, "accessToken")).await.status,
            StatusCode::OK,
            "the owner's session is untouched"
        );
    }
}

#[tokio::test]
async fn a_thief_cannot_wait_out_the_sessions_count_of_wrong_passwords() {
    let settings = [("LATCH_RATE_CHANGE_PASSWORD_PER_15MIN", "5")];
    for (app, clock) in on_both_stores(&settings).await {
        let (_, tokens) = app.signed_in().await;
        let mut access = s(&tokens, "accessToken");
        for n in 0..5 {
            if n == 4 {
                // A new lockout and rate window, and a fresh access token of the same session
                // (a refresh rotates, it does not start over): only the session remembers.
                clock.advance(time::Duration::minutes(20));
                let fresh = app.refresh(&s(&tokens, "refreshToken")).await;
                assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
                access = s(&fresh.body, "accessToken");
            }
            app.change_password(&access, &format!("guess-{n}"), "quiet-lantern-meadow-73")
                .await
                .assert_problem(401, "invalid_credentials");
        }
        app.me(&access).await.assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn strangers_failed_logins_do_not_make_the_owners_typo_end_the_owners_session() {
    let settings = [
        ("LATCH_RATE_CHANGE_PASSWORD_PER_15MIN", "5"),
        ("LATCH_TRUST_PROXY", "true"),
    ];
    for (app, _clock) in on_both_stores(&settings).await {
        let email = app.verified_user().await;
        let owner = app.login(&email, STRONG_PASSWORD).await.body;
        for _ in 0..6 {
            app.login_from("203.0.113.80", &email, "x-wrong-password", None)
                .await;
        }
        let access = s(&owner, "accessToken");
        app.change_password(&access, "a-typo-of-mine", "quiet-lantern-meadow-73")
            .await
            .assert_problem(401, "invalid_credentials");
        assert_eq!(
            app.me(&access).await.status,
            StatusCode::OK,
            "one wrong current password of this session's own ends nothing"
        );
    }
}

#[tokio::test]
async fn change_password_is_limited_per_user_from_any_address() {
    let settings = [
        ("LATCH_RATE_CHANGE_PASSWORD_PER_15MIN", "3"),
        ("LATCH_TRUST_PROXY", "true"),
    ];
    for (app, _clock) in on_both_stores(&settings).await {
        let (_, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let from = |ip: &'static str| {
            let app = &app;
            let access = access.clone();
            async move {
                let body = serde_json::json!({ "currentPassword": "x", "newPassword": "y" });
                let req = app.client.post(app.url("/v1/auth/change-password"));
                crate::support::Reply::of(
                    req.header("x-forwarded-for", ip)
                        .bearer_auth(&access)
                        .json(&body)
                        .send()
                        .await
                        .unwrap(),
                )
                .await
            }
        };
        // Same /24 (the session's binding holds), a new address each time.
        for ip in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            assert_ne!(from(ip).await.status, StatusCode::TOO_MANY_REQUESTS);
        }
        from("127.0.0.5").await.assert_problem(429, "rate_limited");
    }
}

#[tokio::test]
async fn only_valid_sessions_make_a_client_known() {
    let settings = [("LATCH_TRUST_PROXY", "true")];
    for (app, _clock) in on_both_stores(&settings).await {
        let email = app.verified_user().await;
        app.login(&email, STRONG_PASSWORD).await;
        let phone = app.login_as("Phone/1", &email, STRONG_PASSWORD).await.body;
        assert_eq!(app.mail_to(&email, "new_sign_in").len(), 1);
        let phone_posts = |path: &'static str, tokens: serde_json::Value| {
            let app = &app;
            async move {
                let access = s(&tokens, "accessToken");
                app.call_as("Phone/1", Method::POST, path, Some(&access), None)
                    .await
            }
        };
        // The phone logs out: its session is no proof of anything any more.
        let out = phone_posts("/v1/auth/logout", phone).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        let again = app.login_as("Phone/1", &email, STRONG_PASSWORD).await.body;
        assert_eq!(
            app.mail_to(&email, "new_sign_in").len(),
            2,
            "a revoked session does not make the client known"
        );
        // Logout-all voids the second phone session too; then a stranger locks the account.
        let all = phone_posts("/v1/auth/logout-all", again).await;
        assert_eq!(all.status, StatusCode::NO_CONTENT);
        for _ in 0..5 {
            app.login_from("203.0.113.99", &email, "x-wrong-password", None)
                .await
                .assert_problem(401, "invalid_credentials");
        }
        app.login_as("Phone/1", &email, STRONG_PASSWORD)
            .await
            .assert_problem(423, "account_locked");
    }
}

#[tokio::test]
async fn an_oversized_unparsable_email_is_counted_under_a_bounded_key() {
    for (app, clock) in on_both_stores(&[]).await {
        let huge = format!("{}@", "x".repeat(3000));
        for _ in 0..2 {
            app.login(&huge, "x-wrong-password")
                .await
                .assert_problem(401, "invalid_credentials");
        }
        let key = guard::email_key(&huge);
        assert!(key.len() < 100, "{key}");
        let window = app.deps.settings.lockout.window;
        let counted = app
            .deps
            .counters
            .peek(&key, window, clock_now(&clock))
            .await;
        assert_eq!(counted.unwrap(), 2, "both failures were counted");
        if app.store.is_some() {
            let failed = latch_core::domain::AuditType::LoginFailed;
            assert_eq!(app.audited(failed).await, 2, "and audited");
        }
    }
}

fn clock_now(clock: &crate::support::clock::TestClock) -> time::OffsetDateTime {
    latch_core::ports::Clock::now(clock)
}
