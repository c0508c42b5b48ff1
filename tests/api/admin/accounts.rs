//! What an administrator does to one account, and that each action is audited with the
//! administrator as `actorId`; bad input changes nothing.

use crate::support::{STRONG_PASSWORD, TestApp, moto, on_both_stores, s};
use latch_core::domain::{AuditType, Role};
use serde_json::json;

/// The newest audit event of `kind`.
async fn last_event(app: &TestApp, kind: AuditType) -> latch_core::domain::AuditEvent {
    let mut events: Vec<_> = app
        .audit_trail()
        .await
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect();
    events.sort_by_key(|e| e.at);
    events.pop().unwrap_or_else(|| panic!("no {kind:?} event"))
}

#[tokio::test]
async fn roles_are_replaced_and_the_last_or_own_admin_role_is_never_removed() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, admin_id) = app.signed_in_with(&[Role::Admin]).await;
        let (email, access, id) = app.signed_in_with(&[]).await;
        let path = format!("/v1/admin/users/{id}/roles");
        let res = app
            .admin_post(
                &path,
                &admin,
                Some(json!({"roles": ["SUPPORT", "BILLING_ADMIN"]})),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(
            res.body["roles"],
            json!(["USER", "SUPPORT", "BILLING_ADMIN"])
        );
        let event = last_event(&app, AuditType::RoleChanged).await;
        assert_eq!(
            event.actor_id.as_ref().map(|a| a.to_string()),
            Some(admin_id.clone())
        );
        assert_eq!(
            event.user_id.as_ref().map(|a| a.to_string()),
            Some(id.clone())
        );
        // Authorization reads the stored roles: the new ones count at once, same token.
        assert_eq!(app.admin_get("/v1/admin/users", &access).await.status, 200);
        for bad in [json!({"roles": ["ROOT"]}), json!({"roles": ["admin"]})] {
            let res = app.admin_post(&path, &admin, Some(bad)).await;
            res.assert_problem(422, "validation_failed");
        }
        app.admin_post(&path, &admin, Some(json!({"roles": "ADMIN"})))
            .await
            .assert_problem(400, "bad_request");
        app.admin_post(&path, &admin, Some(json!({"roles": [], "extra": 1})))
            .await
            .assert_problem(400, "bad_request");
        assert_eq!(
            app.account(&email).await.roles,
            vec![Role::User, Role::Support, Role::BillingAdmin],
            "refused requests changed nothing"
        );
        // Demoting oneself is refused.
        let own = format!("/v1/admin/users/{admin_id}/roles");
        app.admin_post(&own, &admin, Some(json!({"roles": ["USER"]})))
            .await
            .assert_problem(409, "conflict");
        // Two administrators demoting each other at once: one lands, the other is refused
        // (409 as the last one, or 403 if it was demoted before it was let in).
        let (x_email, x, x_id) = app.signed_in_with(&[Role::Admin]).await;
        let (y_email, y, y_id) = app.signed_in_with(&[Role::Admin]).await;
        app.admin_post(&own, &x, Some(json!({"roles": ["USER"]})))
            .await;
        let demote = |by: String, id: String| {
            let app = &app;
            async move {
                let path = format!("/v1/admin/users/{id}/roles");
                app.admin_post(&path, &by, Some(json!({"roles": ["USER"]})))
                    .await
                    .status
                    .as_u16()
            }
        };
        let (a, b) = tokio::join!(
            demote(x.clone(), y_id.clone()),
            demote(y.clone(), x_id.clone())
        );
        let mut outcomes = [a, b];
        outcomes.sort();
        assert!(
            outcomes == [200, 403] || outcomes == [200, 409],
            "{outcomes:?}"
        );
        let mut remaining = Vec::new();
        for (email, access) in [(&x_email, &x), (&y_email, &y)] {
            if app.account(email).await.roles.contains(&Role::Admin) {
                remaining.push(access.clone());
            }
        }
        assert_eq!(remaining.len(), 1, "one administrator remains");
        let missing = app
            .admin_post(
                "/v1/admin/users/01JZ0000000000000000000000/roles",
                &remaining[0],
                Some(json!({"roles": []})),
            )
            .await;
        missing.assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn a_lock_ends_every_session_refuses_every_client_and_unlock_lifts_it() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, admin_id) = app.signed_in_with(&[Role::Admin]).await;
        let (email, access, id) = app.signed_in_with(&[]).await;
        let path = format!("/v1/admin/users/{id}/lock");
        for bad in [
            json!({"reason": ""}),
            json!({"reason": "x", "until": "2001-01-01T00:00:00Z"}),
            json!({"reason": "x", "until": "soon"}),
            json!({"reason": "a\u{202E}b"}),
        ] {
            app.admin_post(&path, &admin, Some(bad))
                .await
                .assert_problem(422, "validation_failed");
        }
        assert_eq!(
            app.me(&access).await.status,
            200,
            "refused locks changed nothing"
        );
        app.admin_post(
            &format!("/v1/admin/users/{admin_id}/lock"),
            &admin,
            Some(json!({"reason": "me"})),
        )
        .await
        .assert_problem(409, "conflict");
        let res = app
            .admin_post(&path, &admin, Some(json!({"reason": "Reported stolen"})))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.body["status"], "locked");
        assert_eq!(res.body["lock"]["kind"], "admin");
        assert_eq!(res.body["lock"]["reason"], "Reported stolen");
        assert_eq!(res.body["sessions"], 0);
        app.me(&access).await.assert_problem(401, "invalid_token");
        let login = app.login(&email, STRONG_PASSWORD).await;
        login.assert_problem(423, "account_locked");
        let event = last_event(&app, AuditType::AdminUserLocked).await;
        assert_eq!(
            event.actor_id.map(|a| a.to_string()),
            Some(admin_id.clone())
        );
        // A password reset does not lift an administrator's lock.
        let reset = app.fresh_reset_token(&email).await;
        app.reset_password(&reset, "quartz-lantern-meadow-73").await;
        app.login(&email, "quartz-lantern-meadow-73")
            .await
            .assert_problem(423, "account_locked");
        let unlock = app
            .admin_post(&format!("/v1/admin/users/{id}/unlock"), &admin, None)
            .await;
        assert_eq!(unlock.status, 200, "{}", unlock.body);
        assert_eq!(unlock.body["status"], "active");
        assert_eq!(
            app.login(&email, "quartz-lantern-meadow-73").await.status,
            200
        );
        let event = last_event(&app, AuditType::AdminUserUnlocked).await;
        assert_eq!(event.actor_id.map(|a| a.to_string()), Some(admin_id));
    }
}

#[tokio::test]
async fn reset_2fa_resend_verification_plan_and_limits_act_for_the_administrator() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, admin_id) = app.signed_in_with(&[Role::Admin]).await;
        let user = app.mfa_user().await;
        let id = app.account(&user.email).await.id;
        let res = app
            .admin_post(&format!("/v1/admin/users/{id}/reset-2fa"), &admin, None)
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.body["mfa"]["enabled"], false);
        assert_eq!(res.body["mfa"]["recoveryCodesLeft"], 0);
        assert_eq!(app.mail_to(&user.email, "mfa_disabled").len(), 1);
        let login = app.login(&user.email, STRONG_PASSWORD).await;
        assert!(login.body["accessToken"].is_string(), "{}", login.body);
        let event = last_event(&app, AuditType::AdminMfaReset).await;
        assert_eq!(
            event.actor_id.map(|a| a.to_string()),
            Some(admin_id.clone())
        );

        let unconfirmed = format!("{}@example.com", moto::unique("unconfirmed"));
        app.register(&unconfirmed, STRONG_PASSWORD).await;
        let uid = app.account(&unconfirmed).await.id;
        let before = app.outbox().len();
        let res = app
            .admin_post(
                &format!("/v1/admin/users/{uid}/resend-verification"),
                &admin,
                None,
            )
            .await;
        assert_eq!(res.status, 202, "{}", res.body);
        assert_eq!(app.outbox().len(), before + 1, "one link mailed");
        let event = last_event(&app, AuditType::AdminVerificationResent).await;
        assert_eq!(
            event.actor_id.map(|a| a.to_string()),
            Some(admin_id.clone())
        );
        app.admin_post(
            &format!("/v1/admin/users/{id}/resend-verification"),
            &admin,
            None,
        )
        .await
        .assert_problem(409, "conflict");

        let (_, access, target) = app.signed_in_with(&[]).await;
        let plan = app
            .admin_post(
                &format!("/v1/admin/users/{target}/plan"),
                &admin,
                Some(json!({"plan": "PRO"})),
            )
            .await;
        assert_eq!(plan.status, 200, "{}", plan.body);
        assert_eq!(
            s(
                &app.bearer(reqwest::Method::GET, "/v1/account/plan", &access)
                    .await
                    .body,
                "plan"
            ),
            "PRO"
        );
        let event = last_event(&app, AuditType::PlanChanged).await;
        assert_eq!(
            event.actor_id.map(|a| a.to_string()),
            Some(admin_id.clone())
        );
        app.admin_post(
            &format!("/v1/admin/users/{target}/plan"),
            &admin,
            Some(json!({"plan": "GOLD"})),
        )
        .await
        .assert_problem(422, "validation_failed");
        let limits = format!("/v1/admin/users/{target}/limits");
        let res = app
            .admin_post(&limits, &admin, Some(json!({"monthlySpendCapCents": 2500})))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.body["monthlySpendCapCents"], 2500);
        let event = last_event(&app, AuditType::LimitsChanged).await;
        assert_eq!(event.actor_id.map(|a| a.to_string()), Some(admin_id));
        app.admin_post(&limits, &admin, Some(json!({"monthlySpendCapCents": -1})))
            .await
            .assert_problem(422, "validation_failed");
    }
}
