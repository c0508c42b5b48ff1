//! `/v1/provisioning/hosting-accounts`, on both stores with a real PostgreSQL (and Route 53 and
//! SES on moto for DynamoDB): the saga makes a zone, a database and a mail domain together;
//! a failure injected at every step in turn (each provider call, each record write, the
//! charge) leaves nothing behind; a call killed half-way is undone by the recovery job.

use super::api::{apps, caller, db_name, leftovers};
use super::rollback::{Break, broken};
use crate::support::postgres::{connect, postgres};
use crate::support::{TestApp, moto, s};
use latch_core::Error;
use latch_core::domain::AuditType;
use latch_core::domain::dns::DomainName;
use latch_core::domain::provisioning::ResourceKind;
use latch_core::service::provisioning::hosting::{self, CreateRequest};
use reqwest::Method;
use serde_json::{Value, json};

const HOSTING: &str = "/v1/provisioning/hosting-accounts";

fn a_domain() -> String {
    format!("{}.example.com", moto::unique("host").to_lowercase())
}

async fn pro(app: &TestApp, access: &str, cap: u64) {
    for (path, body) in [
        ("/v1/account/plan", json!({"plan": "PRO"})),
        ("/v1/account/limits", json!({"monthlySpendCapCents": cap})),
    ] {
        assert_eq!(app.post_bearer(path, access, &body).await.status, 200);
    }
}

fn tenant_secrets(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.path().join("tenant-secrets"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Everything of `domain` and database `name` that is anywhere: provider, server, store.
async fn anything_of(app: &TestApp, email: &str, domain: &str, name: &str) -> Vec<String> {
    let mut left: Vec<String> = leftovers(app, name, None)
        .await
        .into_iter()
        .map(String::from)
        .collect();
    let d = DomainName::parse(domain).unwrap();
    if !app.deps.zones.zones_of(&d).await.unwrap().is_empty() {
        left.push("zone".into());
    }
    if app
        .deps
        .mail_domains
        .identity_of(&d)
        .await
        .unwrap()
        .is_some()
    {
        left.push("identity".into());
    }
    let user = app.account(email).await;
    for kind in [
        ResourceKind::HostingAccount,
        ResourceKind::DnsZone,
        ResourceKind::Database,
        ResourceKind::MailDomain,
    ] {
        let records = app
            .deps
            .resources
            .resources_of(&user.id, kind)
            .await
            .unwrap();
        if !records.is_empty() {
            left.push(format!("{} record", kind.as_str()));
        }
        if kind.count_in(&user.billing.resources) != 0 {
            left.push(format!("{} count", kind.as_str()));
        }
    }
    left
}

async fn spent(app: &TestApp, access: &str) -> Value {
    app.bearer(Method::GET, "/v1/account/limits", access)
        .await
        .body["spentThisMonthCents"]
        .clone()
}

#[tokio::test]
async fn a_hosting_account_is_a_zone_a_database_and_a_mail_domain_made_and_removed_together() {
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        pro(&app, &access, 10_000).await;
        let (domain, name) = (a_domain(), db_name("host"));
        let made = app
            .post_bearer(
                HOSTING,
                &access,
                &json!({"domain": domain, "databaseName": name}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let b = &made.body;
        assert_eq!(
            (b["domain"].clone(), b["status"].clone()),
            (json!(domain), json!("ready"))
        );
        assert_eq!(b["zoneId"], b["zone"]["id"]);
        assert_eq!(b["databaseId"], b["database"]["id"]);
        assert_eq!(b["mailDomainId"], b["mailDomain"]["id"]);
        assert!(!b["zone"]["nameServers"].as_array().unwrap().is_empty());
        // The database is the tenant's own.
        let url = postgres().url_as(&name, &s(&b["database"], "password"), &name);
        let tenant = connect(&url).await.expect("the owner connects");
        tenant.simple_query("CREATE TABLE t (x int)").await.unwrap();
        // The DKIM record is in the zone, the identity at the provider.
        let zone = format!("/v1/provisioning/dns-zones/{}", s(&b["zone"], "id"));
        let shown = app.bearer(Method::GET, &zone, &access).await;
        let dkim = &b["mailDomain"]["dkimRecords"][0]["value"];
        assert!(
            shown.body["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["value"] == *dkim)
        );
        let d = DomainName::parse(&domain).unwrap();
        assert_eq!(
            app.deps
                .mail_domains
                .identity_of(&d)
                .await
                .unwrap()
                .as_deref(),
            b["mailDomainId"].as_str()
        );
        // One charge of the sum of its parts' prices.
        assert_eq!(spent(&app, &access).await, 650);
        // Its parts are in their lists but go only with it.
        for (list, part) in [
            ("/v1/provisioning/dns-zones", "zone"),
            ("/v1/provisioning/databases", "database"),
            ("/v1/provisioning/mail-domains", "mailDomain"),
        ] {
            let listed = app.bearer(Method::GET, list, &access).await;
            assert_eq!(listed.body["items"][0]["id"], b[part]["id"], "{list}");
            let one = format!("{list}/{}", s(&b[part], "id"));
            app.bearer(Method::DELETE, &one, &access)
                .await
                .assert_problem(409, "conflict");
        }
        // Its zone takes no mail domain beside the account's own.
        let other_mail = app
            .post_bearer(
                "/v1/provisioning/mail-domains",
                &access,
                &json!({"domain": domain}),
            )
            .await;
        other_mail.assert_problem(422, "validation_failed");
        assert_eq!(other_mail.body["errors"][0]["code"], "not_your_zone");
        let listed = app.bearer(Method::GET, HOSTING, &access).await;
        assert_eq!(listed.body["items"][0]["id"], b["id"]);
        assert_eq!(listed.body["items"][0]["databaseName"], json!(name));
        // The domain is taken.
        app.post_bearer(
            HOSTING,
            &access,
            &json!({"domain": domain, "databaseName": db_name("x")}),
        )
        .await
        .assert_problem(409, "conflict");

        drop(tenant);
        let path = format!("{HOSTING}/{}", s(b, "id"));
        let gone = app.bearer(Method::DELETE, &path, &access).await;
        assert_eq!(gone.status, 204, "{}", gone.body);
        assert_eq!(
            anything_of(&app, &email, &domain, &name).await,
            Vec::<String>::new()
        );
        assert_eq!(
            tenant_secrets(&app),
            0,
            "the password went with the database"
        );
        app.bearer(Method::DELETE, &path, &access)
            .await
            .assert_problem(404, "not_found");
    }
}

#[tokio::test]
async fn bad_names_quotas_and_a_taken_database_make_nothing() {
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let bad = app
            .post_bearer(
                HOSTING,
                &access,
                &json!({"domain": "no", "databaseName": "X"}),
            )
            .await;
        bad.assert_problem(422, "validation_failed");
        let fields: Vec<&Value> = bad.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["field"])
            .collect();
        assert_eq!(fields, [&json!("domain"), &json!("databaseName")]);

        // A database name taken on the server, by Latch or not: the zone made before it is
        // undone, and the stranger's database stands.
        let (domain, name) = (a_domain(), db_name("taken"));
        let admin = connect(&postgres().admin_url()).await.unwrap();
        admin
            .simple_query(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        app.post_bearer(
            HOSTING,
            &access,
            &json!({"domain": domain, "databaseName": name}),
        )
        .await
        .assert_problem(409, "conflict");
        let db = latch_core::domain::provisioning::DatabaseName::parse(&name).unwrap();
        let server = app.deps.databases.clone().unwrap();
        assert!(server.exists(&db).await.unwrap(), "not Latch's to drop");
        admin
            .simple_query(&format!("DROP DATABASE \"{name}\""))
            .await
            .unwrap();
        assert_eq!(
            anything_of(&app, &email, &domain, &name).await,
            Vec::<String>::new()
        );

        // FREE has room for one zone: with it taken, a hosting account is refused up front.
        let zone = app
            .post_bearer(
                "/v1/provisioning/dns-zones",
                &access,
                &json!({"domain": a_domain()}),
            )
            .await;
        assert_eq!(zone.status, 201);
        let (domain, name) = (a_domain(), db_name("quota"));
        app.post_bearer(
            HOSTING,
            &access,
            &json!({"domain": domain, "databaseName": name}),
        )
        .await
        .assert_problem(402, "plan_quota_exceeded");
        let d = DomainName::parse(&domain).unwrap();
        assert!(app.deps.zones.zones_of(&d).await.unwrap().is_empty());
        // PRO below the sum of the prices: 402 before anything.
        pro(&app, &access, 600).await;
        app.post_bearer(
            HOSTING,
            &access,
            &json!({"domain": domain, "databaseName": name}),
        )
        .await
        .assert_problem(402, "spend_cap_reached");
        assert!(app.deps.zones.zones_of(&d).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_failure_at_every_step_of_the_saga_leaves_nothing_behind() {
    // Ten record writes in a good run: each part's `started`, its ready mark and its `done`,
    // then the account's ready mark.
    let mut breaks = vec![
        Break::ZoneRefused,
        Break::ZoneLost,
        Break::Secret,
        Break::DatabaseRefused,
        Break::DatabaseLost,
        Break::Record,
        Break::IdentityRefused,
        Break::IdentityLost,
        Break::Charge,
    ];
    breaks.extend((0..10).map(Break::Update));
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        pro(&app, &access, 10_000).await;
        let caller = caller("hosting");
        for &at in &breaks {
            let deps = broken(&app, at);
            let auth = latch_core::service::authn::authenticate(&deps, &caller, Some(&access))
                .await
                .unwrap();
            let rolled_back = app.audited(AuditType::ProvisioningRolledBack).await;
            let (domain, name) = (a_domain(), db_name("saga"));
            let req = CreateRequest {
                domain: domain.clone(),
                database_name: name.clone(),
            };
            let err = hosting::create(&deps, &caller, &auth, req)
                .await
                .unwrap_err();
            match at {
                Break::Charge => assert!(matches!(err, Error::SpendCapReached), "{at:?}: {err:?}"),
                _ => assert!(matches!(err, Error::Unavailable(_)), "{at:?}: {err:?}"),
            }
            assert_eq!(
                anything_of(&app, &email, &domain, &name).await,
                Vec::<String>::new(),
                "{at:?}"
            );
            assert_eq!(tenant_secrets(&app), 0, "{at:?}: no secret");
            assert_eq!(spent(&app, &access).await, 0, "{at:?}: no charge");
            assert_eq!(
                app.audited(AuditType::ProvisioningRolledBack).await,
                rolled_back + 1,
                "{at:?}"
            );
        }
        // Nothing of the broken runs is in the way of a good one.
        let ok = app
            .post_bearer(
                HOSTING,
                &access,
                &json!({"domain": a_domain(), "databaseName": db_name("ok")}),
            )
            .await;
        assert_eq!(ok.status, 201, "{}", ok.body);
    }
}

#[tokio::test]
async fn a_saga_killed_half_way_is_undone_by_the_recovery_job() {
    for (app, clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let caller = caller("hosting");
        // Killed at the 7th write (the mail domain's `started`): zone and database stand.
        let deps = broken(&app, Break::Hang(6));
        let auth = latch_core::service::authn::authenticate(&deps, &caller, Some(&access))
            .await
            .unwrap();
        let (domain, name) = (a_domain(), db_name("killed"));
        let req = CreateRequest {
            domain: domain.clone(),
            database_name: name.clone(),
        };
        let call = hosting::create(&deps, &caller, &auth, req);
        let killed = tokio::time::timeout(std::time::Duration::from_secs(3), call).await;
        assert!(killed.is_err(), "the call hung at the injected write");
        assert!(
            anything_of(&app, &email, &domain, &name).await.len() >= 4,
            "half-made: zone, database, records"
        );
        let early = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-1")
            .await
            .unwrap();
        assert_eq!(early["recovered"], 0, "a call may still be running");
        clock.advance(time::Duration::minutes(16));
        let report = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-2")
            .await
            .unwrap();
        assert_eq!(report["failed"], 0, "{report}");
        assert_eq!(
            anything_of(&app, &email, &domain, &name).await,
            Vec::<String>::new()
        );
        assert_eq!(tenant_secrets(&app), 0);
        let again = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-3")
            .await
            .unwrap();
        assert_eq!(again["recovered"], 0, "nothing left to do");
    }
}
