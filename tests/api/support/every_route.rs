//! One well-formed request for every route of the table, from a fixture of live credentials, so
//! a fault test (and the time-to-503 bench) can send each route what would succeed on a healthy
//! store. A route added to the table without a request here fails those tests by name.

use super::mfa::MfaUser;
use super::{Reply, STRONG_PASSWORD, TestApp, moto, reset_token, s, token_in};
use latch_core::http::Route;
use reqwest::Method;
use serde_json::json;

/// Live credentials and links of one healthy moment.
pub struct Fixture {
    pub email: String,
    pub access: String,
    pub refresh: String,
    pub session_id: String,
    /// A second verified address, for a login.
    pub other_email: String,
    pub reset_token: String,
    /// A fresh, unverified address's verification link token.
    pub verify_token: String,
    pub unverified_email: String,
    /// An account with MFA on, and the `mfaToken` of a login of it waiting for its code.
    pub mfa: MfaUser,
    pub mfa_token: String,
    /// A signed-in account half-way through enable-init, and its pending secret.
    pub enrolling_access: String,
    pub enrolling_secret: String,
    /// A billing administrator's access token, and the id of the fixture's first account.
    pub billing_access: String,
    pub user_id: String,
    /// An administrator's access token; the ids of the unverified account and the MFA one.
    pub admin_access: String,
    pub unverified_id: String,
    pub mfa_id: String,
}

impl Fixture {
    /// Signs a user in, lists its session, and collects a reset and a verification link.
    pub async fn make(app: &TestApp) -> Self {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let sessions = app.bearer(Method::GET, "/v1/auth/sessions", &access).await;
        let session_id = s(&sessions.body["items"][0], "id");
        let other_email = app.verified_user().await;
        assert_eq!(app.forgot_password(&other_email).await.status, 202);
        let reset = app.mail_to(&other_email, "password_reset");
        let unverified_email = format!("{}@example.com", moto::unique("unverified"));
        assert_eq!(
            app.register(&unverified_email, STRONG_PASSWORD)
                .await
                .status,
            202
        );
        let verify = app.mail_to(&unverified_email, "verification");
        let mfa = app.mfa_user().await;
        let mfa_token = app.mfa_login(&mfa.email).await;
        let (_, enrolling) = app.signed_in().await;
        let enrolling_access = s(&enrolling, "accessToken");
        let init = app
            .post_bearer(
                "/v1/auth/2fa/enable-init",
                &enrolling_access,
                &json!({"password": STRONG_PASSWORD}),
            )
            .await;
        assert_eq!(init.status, 200, "{}", init.body);
        let (_, billing_access, _) = app
            .signed_in_with(&[latch_core::domain::Role::BillingAdmin])
            .await;
        let user_id = app.account(&email).await.id.to_string();
        let (_, admin_access, _) = app.signed_in_with(&[latch_core::domain::Role::Admin]).await;
        let unverified_id = app.account(&unverified_email).await.id.to_string();
        let mfa_id = app.account(&mfa.email).await.id.to_string();
        Self {
            admin_access,
            unverified_id,
            mfa_id,
            billing_access,
            user_id,
            mfa,
            mfa_token,
            enrolling_access,
            enrolling_secret: s(&init.body, "secret"),
            email,
            access,
            refresh: s(&tokens, "refreshToken"),
            session_id,
            other_email,
            reset_token: reset_token(reset.last().expect("a reset mail")),
            verify_token: token_in(&verify[0]),
            unverified_email,
        }
    }
}

/// Whether the route answers without the store (nothing to fail when DynamoDB hangs).
pub fn needs_no_store(route: &Route) -> bool {
    matches!(
        route.name,
        "jwks" | "openapi" | "openid-configuration" | "password-strength"
    )
}

/// Sends `route` the request that succeeds on a healthy store.
pub async fn send(app: &TestApp, route: &Route, f: &Fixture) -> Reply {
    let fresh = format!("{}@example.com", moto::unique("fresh"));
    let body = |v: serde_json::Value| Some(serde_json::to_vec(&v).unwrap());
    let bearer = Some(f.access.as_str());
    let admin = Some(f.admin_access.as_str());
    let on = |id: &str| route.path.replace("{id}", id);
    let (method, path, token, json): (Method, String, Option<&str>, Option<Vec<u8>>) = match route
        .name
    {
        "register" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"email": fresh, "password": STRONG_PASSWORD})),
        ),
        "verify-email" => (
            Method::GET,
            format!("{}?token={}", route.path, f.verify_token),
            None,
            None,
        ),
        "resend-verification" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"email": f.unverified_email})),
        ),
        "login" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"email": f.other_email, "password": STRONG_PASSWORD})),
        ),
        "refresh" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"refreshToken": f.refresh})),
        ),
        "logout" => (Method::POST, route.path.into(), bearer, None),
        "logout-all" => (Method::POST, route.path.into(), bearer, None),
        "me" => (Method::GET, route.path.into(), bearer, None),
        "list-sessions" => (Method::GET, route.path.into(), bearer, None),
        "revoke-session" => (
            Method::DELETE,
            route.path.replace("{id}", &f.session_id),
            bearer,
            None,
        ),
        "forgot-password" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"email": f.email})),
        ),
        "reset-password" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"token": f.reset_token, "newPassword": "quartz-lantern-meadow-73"})),
        ),
        "change-password" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(
                json!({"currentPassword": STRONG_PASSWORD, "newPassword": "quartz-lantern-meadow-73"}),
            ),
        ),
        "password-strength" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"password": "quartz-lantern-meadow-73"})),
        ),
        "mfa-verify" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"mfaToken": f.mfa_token, "code": app.code(&f.mfa.secret, 1)})),
        ),
        "recovery-login" => (
            Method::POST,
            route.path.into(),
            None,
            body(json!({"mfaToken": f.mfa_token, "recoveryCode": f.mfa.recovery_codes[0]})),
        ),
        "mfa-enable-init" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({"password": STRONG_PASSWORD})),
        ),
        "mfa-enable-complete" => (
            Method::POST,
            route.path.into(),
            Some(f.enrolling_access.as_str()),
            body(json!({"code": app.code(&f.enrolling_secret, 0)})),
        ),
        "mfa-disable" => (
            Method::POST,
            route.path.into(),
            Some(f.mfa.access.as_str()),
            body(json!({"password": STRONG_PASSWORD, "code": app.code(&f.mfa.secret, 1)})),
        ),
        "mfa-recovery-codes" => (
            Method::POST,
            route.path.into(),
            Some(f.mfa.access.as_str()),
            body(json!({"code": app.code(&f.mfa.secret, 1)})),
        ),
        "account-plan" | "account-limits" => (Method::GET, route.path.into(), bearer, None),
        "account-set-plan" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({"plan": "PRO"})),
        ),
        "account-set-limits" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({"monthlySpendCapCents": 0})),
        ),
        "billing-usage" => (
            Method::POST,
            route.path.into(),
            Some(f.billing_access.as_str()),
            body(json!({
                "userId": f.user_id,
                "amountCents": 1,
                "idempotencyKey": moto::unique("charge"),
                "description": "Fixture charge",
            })),
        ),
        "admin-list-users" => (
            Method::GET,
            format!("{}?sort=email&limit=5", route.path),
            admin,
            None,
        ),
        "admin-audit-logs" | "admin-audit-export" | "admin-audit-verify" => {
            (Method::GET, route.path.into(), admin, None)
        }
        "admin-get-user" | "admin-unlock-user" => {
            (route.method.clone(), on(&f.user_id), admin, None)
        }
        "admin-set-roles" => (
            Method::POST,
            on(&f.user_id),
            admin,
            body(json!({"roles": ["USER", "SUPPORT"]})),
        ),
        "admin-lock-user" => (
            Method::POST,
            on(&f.user_id),
            admin,
            body(json!({"reason": "Fixture lock"})),
        ),
        "admin-reset-mfa" => (Method::POST, on(&f.mfa_id), admin, None),
        "admin-resend-verification" => (Method::POST, on(&f.unverified_id), admin, None),
        "admin-set-plan" => (
            Method::POST,
            on(&f.user_id),
            admin,
            body(json!({"plan": "PRO"})),
        ),
        "admin-set-limits" => (
            Method::POST,
            on(&f.user_id),
            admin,
            body(json!({"monthlySpendCapCents": 0})),
        ),
        "create-database" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({"name": super::postgres::db_name("db")})),
        ),
        "list-databases" => (Method::GET, route.path.into(), bearer, None),
        // Another user's (or no) database: the store is asked before anything else.
        "get-database" | "delete-database" => (
            route.method.clone(),
            on("01JZ0000000000000000000000"),
            bearer,
            None,
        ),
        "create-dns-zone" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({"domain": format!("{}.example.com", moto::unique("zone").to_lowercase())})),
        ),
        "create-mail-domain" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({"domain": "no-zone-of-yours.example.com"})),
        ),
        "create-hosting-account" => (
            Method::POST,
            route.path.into(),
            bearer,
            body(json!({
                "domain": format!("{}.example.com", moto::unique("host").to_lowercase()),
                "databaseName": super::postgres::db_name("host"),
            })),
        ),
        "list-dns-zones" | "list-mail-domains" | "list-hosting-accounts" => {
            (Method::GET, route.path.into(), bearer, None)
        }
        // Another user's (or no) zone or mail domain: the store is asked before anything else.
        "get-dns-zone" | "delete-dns-zone" | "delete-mail-domain" | "delete-hosting-account" => (
            route.method.clone(),
            on("01JZ0000000000000000000000"),
            bearer,
            None,
        ),
        "add-dns-record" => (
            Method::POST,
            on("01JZ0000000000000000000000"),
            bearer,
            body(json!({"type": "A", "name": "www", "value": "192.0.2.1", "ttl": 300})),
        ),
        "delete-dns-record" => (
            Method::DELETE,
            on("01JZ0000000000000000000000").replace("{recordId}", "0123456789abcdef"),
            bearer,
            None,
        ),
        "health" | "jwks" | "openapi" | "openid-configuration" => {
            (Method::GET, route.path.into(), None, None)
        }
        other => panic!("no request for route {other:?}: add one to support/every_route.rs"),
    };
    app.call(method, &path, token, json).await
}
