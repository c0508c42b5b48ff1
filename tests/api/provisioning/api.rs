//! `/v1/provisioning/databases` over HTTP, on both stores and a real PostgreSQL: create (the
//! password once), list, get, delete; quotas, the cap, taken and bad names, unverified callers.

pub use crate::support::postgres::db_name;
use crate::support::postgres::{connect, postgres};
use crate::support::{STRONG_PASSWORD, TestApp, moto, on_both_stores, s};
use latch_core::domain::provisioning::DatabaseName;
use reqwest::Method;
use serde_json::json;

/// A caller from the loopback address with the tests' User-Agent, for service-level calls.
pub fn caller(request_id: &str) -> latch_core::service::Caller {
    latch_core::service::Caller::new(
        request_id,
        latch_core::domain::ClientInfo {
            ip: "127.0.0.1".parse().unwrap(),
            user_agent: crate::support::UA.into(),
        },
    )
}

pub async fn apps() -> Vec<(TestApp, std::sync::Arc<crate::support::clock::TestClock>)> {
    let url = postgres().admin_url();
    on_both_stores(&[("LATCH_PG_ADMIN_URL", url.as_str())]).await
}

/// Whether the server has the database and its role, and the deployment the tenant secret.
pub async fn leftovers(app: &TestApp, name: &str, id: Option<&str>) -> Vec<&'static str> {
    let mut left = Vec::new();
    let db = DatabaseName::parse(name).unwrap();
    if app
        .deps
        .databases
        .as_ref()
        .unwrap()
        .exists(&db)
        .await
        .unwrap()
    {
        left.push("database");
    }
    let admin = connect(&postgres().admin_url()).await.unwrap();
    let roles = admin
        .query("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .await
        .unwrap();
    if !roles.is_empty() {
        left.push("role");
    }
    if let Some(id) = id {
        if app.deps.tenant_secrets.exists(id).await.unwrap() {
            left.push("secret");
        }
        if app.deps.resources.resource(id).await.unwrap().is_some() {
            left.push("record");
        }
    }
    left
}

#[tokio::test]
async fn a_database_is_made_for_its_owner_shown_without_its_password_and_dropped_whole() {
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let name = db_name("own");
        let made = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": name}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let b = &made.body;
        assert_eq!(
            (b["name"].as_str(), b["status"].as_str()),
            (Some(name.as_str()), Some("ready"))
        );
        assert_eq!(b["database"], name.as_str());
        assert_eq!(b["username"], name.as_str());
        assert_eq!(b["port"], postgres().port);
        let password = s(b, "password");
        assert_eq!(password.len(), 43, "256 bits");
        let id = s(b, "id");
        let tenant = connect(&postgres().url_as(&name, &password, &name)).await;
        assert!(
            tenant.is_ok(),
            "the owner connects with the password it was shown"
        );
        assert_eq!(app.account(&email).await.billing.resources.databases, 1);
        let list = app
            .bearer(Method::GET, "/v1/provisioning/databases", &access)
            .await;
        assert_eq!(list.status, 200);
        assert_eq!(list.body["items"][0]["id"], id.as_str());
        let one = app
            .bearer(
                Method::GET,
                &format!("/v1/provisioning/databases/{id}"),
                &access,
            )
            .await;
        assert_eq!(one.status, 200);
        assert!(
            !list.body.to_string().contains(&password) && !one.body.to_string().contains(&password)
        );
        assert!(
            app.audited(latch_core::domain::AuditType::ProvisioningCreated)
                .await
                >= 1
        );
        let gone = app
            .call(
                Method::DELETE,
                &format!("/v1/provisioning/databases/{id}"),
                Some(&access),
                None,
            )
            .await;
        assert_eq!(gone.status, 204, "{}", gone.body);
        assert_eq!(leftovers(&app, &name, Some(&id)).await, Vec::<&str>::new());
        assert_eq!(app.account(&email).await.billing.resources.databases, 0);
        app.bearer(
            Method::GET,
            &format!("/v1/provisioning/databases/{id}"),
            &access,
        )
        .await
        .assert_problem(404, "not_found");
        assert!(
            app.audited(latch_core::domain::AuditType::ProvisioningDeleted)
                .await
                >= 1
        );
    }
}

#[tokio::test]
async fn quotas_caps_names_and_unconfirmed_callers_are_refused_before_anything_is_made() {
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let first = db_name("quota");
        let made = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": first}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        // FREE holds one of each kind.
        let second = db_name("quota");
        let res = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": second}),
            )
            .await;
        res.assert_problem(402, "plan_quota_exceeded");
        assert_eq!(leftovers(&app, &second, None).await, Vec::<&str>::new());
        // PRO with a cap below the price: 402 before anything is made, nothing charged.
        let plan = app
            .post_bearer("/v1/account/plan", &access, &json!({"plan": "PRO"}))
            .await;
        assert_eq!(plan.status, 200);
        let cap = app
            .post_bearer(
                "/v1/account/limits",
                &access,
                &json!({"monthlySpendCapCents": 400}),
            )
            .await;
        assert_eq!(cap.status, 200);
        let res = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": second}),
            )
            .await;
        res.assert_problem(402, "spend_cap_reached");
        assert_eq!(leftovers(&app, &second, None).await, Vec::<&str>::new());
        app.post_bearer(
            "/v1/account/limits",
            &access,
            &json!({"monthlySpendCapCents": 1000}),
        )
        .await;
        let res = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": second}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let limits = app.bearer(Method::GET, "/v1/account/limits", &access).await;
        assert_eq!(
            limits.body["spentThisMonthCents"], 500,
            "a month of a PRO database"
        );
        assert_eq!(app.account(&email).await.billing.resources.databases, 2);
        // A name another user holds is 409; a bad one 422; neither makes anything.
        let (_, other) = app.signed_in().await;
        let other = s(&other, "accessToken");
        app.post_bearer(
            "/v1/provisioning/databases",
            &other,
            &json!({"name": first}),
        )
        .await
        .assert_problem(409, "conflict");
        for bad in ["Shop", "pg_catalog", "x", "shop;drop"] {
            let res = app
                .post_bearer("/v1/provisioning/databases", &other, &json!({"name": bad}))
                .await;
            res.assert_problem(422, "validation_failed");
        }
        app.post_bearer("/v1/provisioning/databases", &other, &json!({"name": 5}))
            .await
            .assert_problem(400, "bad_request");
        // An address not yet confirmed: 403.
        let unconfirmed = format!("{}@example.com", moto::unique("unconfirmed"));
        app.register(&unconfirmed, STRONG_PASSWORD).await;
        app.update_account(&unconfirmed, |u| u.email_verified = true)
            .await;
        let login = app.login(&unconfirmed, STRONG_PASSWORD).await;
        let token = s(&login.body, "accessToken");
        app.update_account(&unconfirmed, |u| u.email_verified = false)
            .await;
        app.post_bearer(
            "/v1/provisioning/databases",
            &token,
            &json!({"name": db_name("nv")}),
        )
        .await
        .assert_problem(403, "email_not_verified");
    }
}

#[tokio::test]
async fn without_a_database_server_the_routes_say_which_setting_is_missing() {
    let app = crate::support::spawn_app().await;
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let res = app
        .post_bearer(
            "/v1/provisioning/databases",
            &access,
            &json!({"name": "shop"}),
        )
        .await;
    res.assert_problem(503, "unavailable");
    assert!(
        s(&res.body, "detail").contains("LATCH_PG_ADMIN_URL"),
        "{}",
        res.body
    );
    assert!(!res.header("retry-after").is_empty());
    let list = app
        .bearer(Method::GET, "/v1/provisioning/databases", &access)
        .await;
    assert_eq!(list.status, 200, "listing needs no server: {}", list.body);
    assert_eq!(list.body["items"], json!([]));
}

#[tokio::test]
async fn two_deletes_at_once_drop_one_database_and_lower_the_count_once() {
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let name = db_name("twice");
        let made = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": name}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let path = format!("/v1/provisioning/databases/{}", s(&made.body, "id"));
        let (a, b) = tokio::join!(
            app.call(Method::DELETE, &path, Some(&access), None),
            app.call(Method::DELETE, &path, Some(&access), None)
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert!(
            statuses == [204, 404] || statuses == [204, 409],
            "one delete lands, the other finds it gone or going: {statuses:?}"
        );
        assert_eq!(
            app.account(&email).await.billing.resources.databases,
            0,
            "lowered once"
        );
        assert_eq!(leftovers(&app, &name, None).await, Vec::<&str>::new());
        // The count is right: the plan's one database can be made again, and only one.
        let again = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &json!({"name": db_name("twice")}),
            )
            .await;
        assert_eq!(again.status, 201, "{}", again.body);
        app.post_bearer(
            "/v1/provisioning/databases",
            &access,
            &json!({"name": db_name("twice")}),
        )
        .await
        .assert_problem(402, "plan_quota_exceeded");
    }
}
