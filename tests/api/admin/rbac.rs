//! The role matrix: every admin route × every role (USER, SUPPORT, BILLING_ADMIN, ADMIN, and
//! no token at all) answers as the contract's table says: 401 without a token, 403 (audited)
//! without the role, the route's success with it; SUPPORT reaches only plain users.

use crate::support::{STRONG_PASSWORD, TestApp, moto, spawn_app};
use latch_core::domain::{AuditType, Role};
use latch_core::http::routes::{Access, ROUTES, Route};
use serde_json::json;

/// A request that succeeds for a caller with the route's roles, on a fresh account of its own.
async fn request(app: &TestApp, route: &Route) -> (String, Option<Vec<u8>>) {
    let target = match route.name {
        "admin-resend-verification" => {
            let email = format!("{}@example.com", moto::unique("unconfirmed"));
            assert_eq!(app.register(&email, STRONG_PASSWORD).await.status, 202);
            email
        }
        "admin-reset-mfa" => app.mfa_user().await.email,
        _ => app.verified_user().await,
    };
    if route.name == "admin-set-limits" {
        app.update_account(&target, |u| u.plan = latch_core::domain::Plan::Pro)
            .await;
    }
    let id = app.account(&target).await.id.to_string();
    let path = route.path.replace("{id}", &id);
    let body = match route.name {
        "admin-set-roles" => Some(json!({"roles": ["USER"]})),
        "admin-lock-user" => Some(json!({"reason": "Matrix"})),
        "admin-set-plan" => Some(json!({"plan": "PRO"})),
        "admin-set-limits" => Some(json!({"monthlySpendCapCents": 10})),
        _ => None,
    };
    (path, body.map(|b| serde_json::to_vec(&b).unwrap()))
}

#[tokio::test]
async fn every_admin_route_answers_each_role_as_the_contract_says() {
    let app = spawn_app().await;
    let mut callers = Vec::new();
    for role in [Role::User, Role::Support, Role::BillingAdmin, Role::Admin] {
        let roles: &[Role] = if role == Role::User { &[] } else { &[role] };
        let (_, access, _) = app.signed_in_with(roles).await;
        callers.push((role, access));
    }
    let admin_routes: Vec<&Route> = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/v1/admin/"))
        .collect();
    assert_eq!(admin_routes.len(), 12, "the contract's twelve admin routes");
    for route in admin_routes {
        let Access::Roles(allowed) = route.access else {
            panic!("{} is not role-checked", route.name);
        };
        let (path, body) = request(&app, route).await;
        let anonymous = app
            .call(route.method.clone(), &path, None, body.clone())
            .await;
        anonymous.assert_problem(401, "invalid_token");
        for (role, access) in &callers {
            let before = app.audited(AuditType::AccessDenied).await;
            let res = app
                .call(route.method.clone(), &path, Some(access), body.clone())
                .await;
            if allowed.contains(role) {
                assert_eq!(
                    res.status.as_u16(),
                    route.doc.success,
                    "{} as {role:?}: {}",
                    route.name,
                    res.body
                );
            } else {
                res.assert_problem(403, "forbidden");
                let after = app.audited(AuditType::AccessDenied).await;
                assert_eq!(after, before + 1, "{} as {role:?} is audited", route.name);
            }
        }
    }
}

#[tokio::test]
async fn support_acts_only_on_accounts_whose_only_role_is_user() {
    let app = spawn_app().await;
    let (_, support, _) = app.signed_in_with(&[Role::Support]).await;
    let (_, both, _) = app
        .signed_in_with(&[Role::Support, Role::BillingAdmin])
        .await;
    let (_, billing, _) = app.signed_in_with(&[Role::BillingAdmin]).await;
    for strong in [&[Role::Support][..], &[Role::BillingAdmin], &[Role::Admin]] {
        let (email, _, id) = app.signed_in_with(strong).await;
        for (path, body) in [
            (format!("/v1/admin/users/{id}"), None),
            (
                format!("/v1/admin/users/{id}/lock"),
                Some(json!({"reason": "x"})),
            ),
            (format!("/v1/admin/users/{id}/unlock"), None),
        ] {
            let res = match &body {
                None if path.ends_with(&id) => app.admin_get(&path, &support).await,
                _ => app.admin_post(&path, &support, body.clone()).await,
            };
            res.assert_problem(403, "forbidden");
        }
        assert!(
            app.login(&email, STRONG_PASSWORD).await.status == 200,
            "{strong:?}: nothing was locked"
        );
        // SUPPORT with BILLING_ADMIN is still SUPPORT on a support route...
        app.admin_get(&format!("/v1/admin/users/{id}"), &both)
            .await
            .assert_problem(403, "forbidden");
        // ...but a billing route admits it through BILLING_ADMIN, for any account.
        let plan = app
            .admin_post(
                &format!("/v1/admin/users/{id}/plan"),
                &both,
                Some(json!({"plan": "PRO"})),
            )
            .await;
        assert_eq!(plan.status, 200, "{}", plan.body);
        let plan = app
            .admin_post(
                &format!("/v1/admin/users/{id}/plan"),
                &billing,
                Some(json!({"plan": "FREE"})),
            )
            .await;
        assert_eq!(plan.status, 200, "{}", plan.body);
    }
    let plain = app.verified_user().await;
    let id = app.account(&plain).await.id;
    let res = app
        .admin_get(&format!("/v1/admin/users/{id}"), &support)
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}
