//! `/v1/provisioning/dns-zones` and `/mail-domains` over HTTP, on both stores (the embedded
//! zone store and identities; Route 53 and SES on moto): zones with their records, ids that
//! name nothing outside their zone, mail domains whose DKIM key is real and published in the
//! caller's zone, and what is refused before anything is made.

use crate::peers::python;
use crate::support::{TestApp, moto, on_both_stores, s};
use latch_core::domain::dns::DomainName;
use reqwest::Method;
use serde_json::{Value, json};

const ZONES: &str = "/v1/provisioning/dns-zones";
const MAIL: &str = "/v1/provisioning/mail-domains";

fn a_domain() -> String {
    format!("{}.example.com", moto::unique("shop").to_lowercase())
}

async fn zone(app: &TestApp, access: &str, domain: &str) -> Value {
    let made = app
        .post_bearer(ZONES, access, &json!({"domain": domain}))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body
}

/// What the zone provider holds of `domain`: its zones' references.
async fn zones_at_provider(app: &TestApp, domain: &str) -> Vec<String> {
    let d = DomainName::parse(domain).unwrap();
    let zones = app.deps.zones.zones_of(&d).await.unwrap();
    zones.into_iter().map(|z| z.reference).collect()
}

#[tokio::test]
async fn a_zone_takes_records_names_its_servers_and_goes_with_them() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let domain = a_domain();
        let made = zone(&app, &access, &format!("{}.", domain.to_uppercase())).await;
        assert_eq!(made["domain"], json!(domain), "normalized");
        assert_eq!(made["status"], "ready");
        assert!(
            !made["nameServers"].as_array().unwrap().is_empty(),
            "{made}"
        );
        let id = s(&made, "id");
        let path = format!("{ZONES}/{id}");
        let records = format!("{path}/records");
        let www = json!({"type": "A", "name": "www", "value": "192.0.2.10", "ttl": 300});
        let added = app.post_bearer(&records, &access, &www).await;
        assert_eq!(added.status, 201, "{}", added.body);
        assert_eq!(added.body["name"], json!(format!("www.{domain}")));
        let again = app.post_bearer(&records, &access, &www).await;
        assert_eq!(again.status, 201);
        assert_eq!(
            again.body["id"], added.body["id"],
            "the same value is the same record"
        );
        let mx = json!({"type": "MX", "name": "@", "value": "10 mx.example.net", "ttl": 3600});
        assert_eq!(app.post_bearer(&records, &access, &mx).await.status, 201);
        let dmarc =
            json!({"type": "TXT", "name": "_dmarc", "value": "v=DMARC1; p=reject", "ttl": 300});
        assert_eq!(app.post_bearer(&records, &access, &dmarc).await.status, 201);

        let shown = app.bearer(Method::GET, &path, &access).await;
        assert_eq!(shown.status, 200);
        let listed = shown.body["records"].as_array().unwrap();
        assert_eq!(listed.len(), 3, "{}", shown.body);
        let listed_zones = app.bearer(Method::GET, ZONES, &access).await;
        assert_eq!(listed_zones.body["items"][0]["id"], json!(id));

        // Bad records are 422 and add nothing.
        for (bad, field) in [
            (
                json!({"type": "SRV", "name": "x", "value": "1", "ttl": 300}),
                "type",
            ),
            (
                json!({"type": "A", "name": "www.other.org.", "value": "192.0.2.1", "ttl": 300}),
                "name",
            ),
            (
                json!({"type": "A", "name": "www", "value": "192.0.2.300", "ttl": 300}),
                "value",
            ),
            (
                json!({"type": "A", "name": "www", "value": "192.0.2.1", "ttl": 5}),
                "ttl",
            ),
            (
                json!({"type": "CNAME", "name": "@", "value": "x.example.net", "ttl": 300}),
                "name",
            ),
        ] {
            let res = app.post_bearer(&records, &access, &bad).await;
            res.assert_problem(422, "validation_failed");
            assert_eq!(
                res.body["errors"][0]["field"],
                json!(field),
                "{bad}: {}",
                res.body
            );
        }
        let after = app.bearer(Method::GET, &path, &access).await;
        assert_eq!(after.body["records"].as_array().unwrap().len(), 3);

        // A record id is its zone's: unknown ids are 404.
        let record_id = s(&added.body, "id");
        app.bearer(
            Method::DELETE,
            &format!("{records}/{}", "0".repeat(32)),
            &access,
        )
        .await
        .assert_problem(404, "not_found");
        let gone = app
            .bearer(Method::DELETE, &format!("{records}/{record_id}"), &access)
            .await;
        assert_eq!(gone.status, 204, "{}", gone.body);
        app.bearer(Method::DELETE, &format!("{records}/{record_id}"), &access)
            .await
            .assert_problem(404, "not_found");

        // The domain is taken for everyone else, whatever its spelling.
        let (_, other) = app.signed_in().await;
        let other = s(&other, "accessToken");
        app.post_bearer(ZONES, &other, &json!({"domain": domain.to_uppercase()}))
            .await
            .assert_problem(409, "conflict");
        app.post_bearer(ZONES, &other, &json!({"domain": "not a domain"}))
            .await
            .assert_problem(422, "validation_failed");

        // Deleting the zone takes its records and the zone at the provider.
        assert_eq!(zones_at_provider(&app, &domain).await, vec![id.clone()]);
        let deleted = app.bearer(Method::DELETE, &path, &access).await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
        assert!(zones_at_provider(&app, &domain).await.is_empty());
        app.bearer(Method::GET, &path, &access)
            .await
            .assert_problem(404, "not_found");
        assert_eq!(
            app.account(&email).await.billing.resources.dns_zones,
            0,
            "the count is back"
        );
        // And the domain is free again.
        zone(&app, &other, &domain).await;
    }
}

#[tokio::test]
async fn a_mail_domain_publishes_a_real_dkim_key_in_its_zone_and_takes_it_back() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let domain = a_domain();
        // Not one of the caller's zones: 422, nothing made.
        let refused = app
            .post_bearer(MAIL, &access, &json!({"domain": domain}))
            .await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["code"], "not_your_zone");
        let made_zone = zone(&app, &access, &domain).await;
        let zone_path = format!("{ZONES}/{}", s(&made_zone, "id"));
        let (_, other) = app.signed_in().await;
        let other = s(&other, "accessToken");
        app.post_bearer(MAIL, &other, &json!({"domain": domain}))
            .await
            .assert_problem(422, "validation_failed");

        let made = app
            .post_bearer(MAIL, &access, &json!({"domain": domain}))
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(made.body["status"], "ready");
        let dkim = &made.body["dkimRecords"][0];
        assert_eq!(dkim["type"], "TXT");
        assert_eq!(dkim["name"], json!(format!("latch._domainkey.{domain}")));
        let value = s(dkim, "value");
        assert!(value.starts_with("v=DKIM1; k=rsa; p="), "{value}");
        assert!(
            !made.body.to_string().contains("PRIVATE"),
            "no private key answered"
        );

        // The record is in the zone, and the identity at the provider is this resource's.
        let shown = app.bearer(Method::GET, &zone_path, &access).await;
        let records = shown.body["records"].as_array().unwrap();
        assert!(
            records.iter().any(|r| r["value"] == json!(value)),
            "{}",
            shown.body
        );
        let d = DomainName::parse(&domain).unwrap();
        let id = s(&made.body, "id");
        assert_eq!(
            app.deps.mail_domains.identity_of(&d).await.unwrap(),
            Some(id.clone())
        );

        // On the embedded store, the key it keeps signs mail dkimpy verifies with the record.
        if let Some(store) = &app.store {
            let (selector, private_key) = store.dkim_private_key(&d).await.unwrap().unwrap();
            let input = json!({
                "domain": domain, "selector": selector, "privateKey": private_key,
                "recordName": s(dkim, "name"), "record": value,
            });
            let (ok, out, stderr) = python("verify_dkim.py", input.to_string().as_bytes());
            assert!(ok, "{stderr}");
            assert_eq!(out, json!({"verified": true, "tampered": false}));
        }

        // FREE holds one mail domain; its zone stays while it is there.
        app.post_bearer(MAIL, &access, &json!({"domain": domain}))
            .await
            .assert_problem(402, "plan_quota_exceeded");
        app.bearer(Method::DELETE, &zone_path, &access)
            .await
            .assert_problem(409, "conflict");
        let listed = app.bearer(Method::GET, MAIL, &access).await;
        assert_eq!(listed.body["items"][0]["id"], json!(id));
        app.bearer(Method::DELETE, &format!("{MAIL}/{id}"), &other)
            .await
            .assert_problem(404, "not_found");

        let deleted = app
            .bearer(Method::DELETE, &format!("{MAIL}/{id}"), &access)
            .await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
        assert_eq!(app.deps.mail_domains.identity_of(&d).await.unwrap(), None);
        let shown = app.bearer(Method::GET, &zone_path, &access).await;
        assert_eq!(
            shown.body["records"],
            json!([]),
            "the DKIM record went with it"
        );
        assert_eq!(
            app.bearer(Method::DELETE, &zone_path, &access).await.status,
            204
        );
    }
}

#[tokio::test]
async fn unconfirmed_callers_quotas_and_the_cap_are_refused_before_anything_is_made() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let first = a_domain();
        zone(&app, &access, &first).await;
        // FREE holds one zone.
        let second = a_domain();
        app.post_bearer(ZONES, &access, &json!({"domain": second}))
            .await
            .assert_problem(402, "plan_quota_exceeded");
        assert!(zones_at_provider(&app, &second).await.is_empty());
        // PRO with a cap below a zone's price: 402 before any zone is made.
        app.post_bearer("/v1/account/plan", &access, &json!({"plan": "PRO"}))
            .await;
        app.post_bearer(
            "/v1/account/limits",
            &access,
            &json!({"monthlySpendCapCents": 10}),
        )
        .await;
        app.post_bearer(ZONES, &access, &json!({"domain": second}))
            .await
            .assert_problem(402, "spend_cap_reached");
        assert!(zones_at_provider(&app, &second).await.is_empty());
        // With room, a zone is charged its month.
        app.post_bearer(
            "/v1/account/limits",
            &access,
            &json!({"monthlySpendCapCents": 1000}),
        )
        .await;
        zone(&app, &access, &second).await;
        let limits = app.bearer(Method::GET, "/v1/account/limits", &access).await;
        assert_eq!(limits.body["spentThisMonthCents"], 50, "{}", limits.body);
        assert_eq!(app.account(&email).await.billing.resources.dns_zones, 2);

        // A session of an address no longer confirmed (as after an email change).
        let (unconfirmed, tokens) = app.signed_in().await;
        let unverified = s(&tokens, "accessToken");
        app.update_account(&unconfirmed, |u| u.email_verified = false)
            .await;
        for (path, body) in [
            (ZONES, json!({"domain": a_domain()})),
            (MAIL, json!({"domain": first})),
        ] {
            app.post_bearer(path, &unverified, &body)
                .await
                .assert_problem(403, "email_not_verified");
        }
    }
}

#[tokio::test]
async fn the_deployment_s_sending_domain_and_names_under_it_are_no_tenant_s() {
    let own = format!("mail.{}", a_domain());
    let from = format!("Latch <no-reply@{own}>");
    for (app, _clock) in on_both_stores(&[("LATCH_MAIL_FROM", from.as_str())]).await {
        let (_, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        for reserved in [own.clone(), format!("dkim.{own}"), own.to_uppercase()] {
            let refused = app
                .post_bearer(ZONES, &access, &json!({"domain": reserved}))
                .await;
            refused.assert_problem(422, "validation_failed");
            assert_eq!(refused.body["errors"][0]["code"], "reserved_name");
            assert!(
                zones_at_provider(&app, &reserved.to_lowercase())
                    .await
                    .is_empty()
            );
            let hosting = app
                .post_bearer(
                    "/v1/provisioning/hosting-accounts",
                    &access,
                    &json!({"domain": reserved, "databaseName": "tenant_db"}),
                )
                .await;
            hosting.assert_problem(422, "validation_failed");
            assert_eq!(hosting.body["errors"][0]["code"], "reserved_name");
        }
        // The parent domain is not the deployment's own.
        let parent = own.strip_prefix("mail.").unwrap();
        zone(&app, &access, parent).await;
    }
}
