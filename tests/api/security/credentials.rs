//! Attacks on credentials that outlive their password: a login racing a reset, reset links
//! issued against an older password, verification links after the address is verified, and an
//! address registered by someone who does not own it. Each runs on both stores.

use crate::support::{STRONG_PASSWORD, moto, on_both_stores, s, token_in};
use latch_core::domain::AuditType;
use reqwest::StatusCode;
use serde_json::json;

const NEW_PASSWORD: &str = "quiet-lantern-meadow-73";
const OTHER_PASSWORD: &str = "amber-kettle-orchard-58";

#[tokio::test]
async fn a_login_racing_a_reset_never_keeps_a_session_of_the_old_password() {
    for (app, _clock) in on_both_stores(&[]).await {
        let email = app.verified_user().await;
        let mut current = STRONG_PASSWORD.to_owned();
        let mut raced = 0;
        for round in 0..12 {
            let token = app.fresh_reset_token(&email).await;
            let next = format!("quiet-lantern-meadow-{round}x{}", 73 + round);
            let (login, reset) = tokio::join!(
                app.login(&email, &current),
                app.reset_password(&token, &next)
            );
            assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
            if login.status == StatusCode::OK {
                raced += 1;
                app.me(&s(&login.body, "accessToken"))
                    .await
                    .assert_problem(401, "invalid_token");
                app.refresh(&s(&login.body, "refreshToken"))
                    .await
                    .assert_problem(401, "invalid_token");
            } else {
                login.assert_problem(401, "invalid_credentials");
            }
            current = next;
        }
        // A login that read the old password either finished first (its session then died
        // with the reset, checked above) or lost at the epoch-checked write (audited so).
        if let Some(store) = &app.store {
            let lost = store
                .audit_events()
                .await
                .unwrap()
                .iter()
                .filter(|e| e.kind == AuditType::LoginFailed)
                .filter(|e| e.metadata.get("reason") == Some(&json!("password_changed")))
                .count();
            assert!(
                raced + lost > 0,
                "no login read the old password in 12 rounds"
            );
        }
        assert_eq!(app.login(&email, &current).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn reset_links_die_with_the_password_they_were_issued_against() {
    for (app, _clock) in on_both_stores(&[]).await {
        let email = app.verified_user().await;
        let first = app.fresh_reset_token(&email).await;
        let second = app.fresh_reset_token(&email).await;
        let before_change = app.fresh_reset_token(&email).await;
        let reset = app.reset_password(&second, NEW_PASSWORD).await;
        assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.body);
        app.reset_password(&first, OTHER_PASSWORD)
            .await
            .assert_problem(400, "invalid_token");

        let access = s(&app.login(&email, NEW_PASSWORD).await.body, "accessToken");
        let after_reset = app.fresh_reset_token(&email).await;
        let changed = app
            .change_password(&access, NEW_PASSWORD, OTHER_PASSWORD)
            .await;
        assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
        for stale in [&before_change, &after_reset] {
            app.reset_password(stale, "copper-willow-station-41")
                .await
                .assert_problem(400, "invalid_token");
        }
        assert_eq!(
            app.login(&email, OTHER_PASSWORD).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn an_address_registered_by_someone_else_goes_to_its_owner() {
    for (app, _clock) in on_both_stores(&[]).await {
        let victim = format!("{}@example.com", moto::unique("owner"));
        let squatter = "squatter-chose-this-99";
        assert_eq!(
            app.register(&victim, squatter).await.status,
            StatusCode::ACCEPTED
        );
        let registration_link = token_in(&app.mail_to(&victim, "verification")[0]);
        // The owner, who never registered, asks for the link again: it lets them choose the
        // password, not confirm the squatter's.
        let resend = app
            .post_json("/v1/auth/resend-verification", &json!({ "email": victim }))
            .await;
        assert_eq!(resend.status, StatusCode::ACCEPTED);
        let mail = app.mail_to(&victim, "confirm_and_set_password");
        assert_eq!(mail.len(), 1, "a set-your-password link went to the owner");
        let claim = crate::support::reset_token(&mail[0]);
        let taken = app.reset_password(&claim, NEW_PASSWORD).await;
        assert_eq!(taken.status, StatusCode::NO_CONTENT, "{}", taken.body);

        app.login(&victim, squatter)
            .await
            .assert_problem(401, "invalid_credentials");
        app.verify_email(&registration_link)
            .await
            .assert_problem(400, "invalid_token");
        let owner = app.login(&victim, NEW_PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
    }
}

#[tokio::test]
async fn a_verification_link_dies_once_the_address_is_verified_another_way() {
    for (app, _clock) in on_both_stores(&[]).await {
        let email = format!("{}@example.com", moto::unique("pending"));
        app.register(&email, STRONG_PASSWORD).await;
        let link = token_in(&app.mail_to(&email, "verification")[0]);
        // A reset verifies the address too (the link reached its mailbox).
        let token = app.fresh_reset_token(&email).await;
        assert_eq!(
            app.reset_password(&token, NEW_PASSWORD).await.status,
            StatusCode::NO_CONTENT
        );
        app.verify_email(&link)
            .await
            .assert_problem(400, "invalid_token");
    }
}
