//! Plans, spend caps and the spend ledger, on the embedded store and on DynamoDB (moto).

use crate::support::{STRONG_PASSWORD, TestApp, on_both_stores, s, spawn_app_on};
use latch_core::domain::{AuditType, Role};
use serde_json::{Value, json};
use std::sync::Arc;

/// A PRO account with `cap` cents a month, signed in: its email, access token and id.
async fn pro_with_cap(app: &TestApp, cap: u64) -> (String, String, String) {
    let (email, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let pro = app
        .post_bearer("/v1/account/plan", &access, &json!({"plan": "PRO"}))
        .await;
    assert_eq!(pro.status, 200, "{}", pro.body);
    let limits = json!({"monthlySpendCapCents": cap});
    let set = app
        .post_bearer("/v1/account/limits", &access, &limits)
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let id = app.account(&email).await.id.to_string();
    (email, access, id)
}

fn usage(user: &str, amount: Value, key: &str) -> Value {
    json!({"userId": user, "amountCents": amount, "idempotencyKey": key, "description": "Database, December"})
}

async fn spent(app: &TestApp, access: &str) -> u64 {
    let limits = app
        .bearer(reqwest::Method::GET, "/v1/account/limits", access)
        .await;
    limits.body["spentThisMonthCents"].as_u64().unwrap()
}

#[tokio::test]
async fn plans_start_free_and_change_with_their_since_and_an_audit_event() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let plan = app
            .bearer(reqwest::Method::GET, "/v1/account/plan", &access)
            .await;
        assert_eq!(plan.body["plan"], "FREE");
        let created = app.account(&email).await.created_at;
        let since = time::OffsetDateTime::parse(
            &s(&plan.body, "since"),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(since, created);

        let pro = app
            .post_bearer("/v1/account/plan", &access, &json!({"plan": "PRO"}))
            .await;
        assert_eq!(pro.body["plan"], "PRO", "{}", pro.body);
        assert_ne!(pro.body["since"], plan.body["since"]);
        assert_eq!(app.me(&access).await.body["plan"], "PRO");
        for bad in [json!({"plan": "ENTERPRISE"}), json!({"plan": "pro"})] {
            app.post_bearer("/v1/account/plan", &access, &bad)
                .await
                .assert_problem(422, "validation_failed");
        }
        app.post_bearer("/v1/account/plan", &access, &json!({"plan": 1}))
            .await
            .assert_problem(400, "bad_request");
        assert_eq!(app.me(&access).await.body["plan"], "PRO", "nothing changed");
        assert_eq!(app.audited(AuditType::PlanChanged).await, 1);
    }
}

#[tokio::test]
async fn a_downgrade_that_leaves_too_many_resources_is_402_and_changes_nothing() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (email, access, _) = pro_with_cap(&app, 40_000).await;
        // Provisioning keeps these counts with the account; two zones do not fit FREE.
        let user = app
            .update_account(&email, |u| u.billing.resources.dns_zones = 2)
            .await;
        let refused = app
            .post_bearer("/v1/account/plan", &access, &json!({"plan": "FREE"}))
            .await;
        refused.assert_problem(402, "plan_quota_exceeded");
        let after = app.account(&email).await;
        assert_eq!(after, user, "nothing changed");

        // With one of each it fits, and the cap comes down to FREE's maximum.
        app.update_account(&email, |u| u.billing.resources.dns_zones = 1)
            .await;
        let free = app
            .post_bearer("/v1/account/plan", &access, &json!({"plan": "FREE"}))
            .await;
        assert_eq!(free.status, 200, "{}", free.body);
        let limits = app
            .bearer(reqwest::Method::GET, "/v1/account/limits", &access)
            .await;
        assert_eq!(limits.body["monthlySpendCapCents"], 0);
    }
}

#[tokio::test]
async fn limits_hold_to_the_plan_maximum_and_refuse_bad_numbers() {
    for (app, clock) in on_both_stores(&[]).await {
        let (_, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let limits = app
            .bearer(reqwest::Method::GET, "/v1/account/limits", &access)
            .await;
        let period = latch_core::domain::billing::period_of(app.deps.clock.now());
        assert_eq!(
            limits.body,
            json!({"monthlySpendCapCents": 0, "spentThisMonthCents": 0, "period": period, "hardStop": true})
        );
        let set = |cap: Value| {
            let app = &app;
            let access = access.clone();
            async move {
                app.post_bearer(
                    "/v1/account/limits",
                    &access,
                    &json!({"monthlySpendCapCents": cap}),
                )
                .await
            }
        };
        set(json!(1)).await.assert_problem(422, "validation_failed");
        app.post_bearer("/v1/account/plan", &access, &json!({"plan": "PRO"}))
            .await;
        for bad in [
            json!(1_000_001),
            json!(-1),
            json!(2.5),
            json!(1e30),
            json!(9_223_372_036_854_775_808u64),
        ] {
            set(bad.clone())
                .await
                .assert_problem(422, "validation_failed");
        }
        set(json!("500")).await.assert_problem(400, "bad_request");
        let ok = set(json!(1_000_000)).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(ok.body["monthlySpendCapCents"], 1_000_000);
        assert_eq!(app.audited(AuditType::LimitsChanged).await, 1);
        let _ = clock;
    }
}

#[tokio::test]
async fn a_charge_is_recorded_once_per_key_and_stops_hard_at_the_cap() {
    for (app, clock) in on_both_stores(&[]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::BillingAdmin]).await;
        let (email, access, id) = pro_with_cap(&app, 1000).await;
        let path = "/v1/billing/usage";

        let first = app
            .post_bearer(path, &admin, &usage(&id, json!(600), "inv-1"))
            .await;
        assert_eq!(first.status, 201, "{}", first.body);
        assert_eq!(first.body["amountCents"], 600);
        let replay = app
            .post_bearer(path, &admin, &usage(&id, json!(600), "inv-1"))
            .await;
        assert_eq!(replay.status, 200);
        assert_eq!(
            replay.body, first.body,
            "the first result, not a second charge"
        );
        app.post_bearer(path, &admin, &usage(&id, json!(700), "inv-1"))
            .await
            .assert_problem(409, "conflict");
        assert_eq!(spent(&app, &access).await, 600);

        // 600 + 500 > 1000: refused whole, audited, the owner mailed once this month.
        for key in ["inv-2", "inv-3"] {
            app.post_bearer(path, &admin, &usage(&id, json!(500), key))
                .await
                .assert_problem(402, "spend_cap_reached");
        }
        assert_eq!(spent(&app, &access).await, 600, "nothing recorded");
        assert_eq!(app.mail_to(&email, "spend_cap_reached").len(), 1);
        assert_eq!(app.audited(AuditType::SpendCapReached).await, 2);
        let exact = app
            .post_bearer(path, &admin, &usage(&id, json!(400), "inv-4"))
            .await;
        assert_eq!(exact.status, 201, "up to the cap exactly: {}", exact.body);
        assert_eq!(spent(&app, &access).await, 1000);
        assert_eq!(app.audited(AuditType::SpendRecorded).await, 2);
        let admin_id = app
            .audit_trail()
            .await
            .into_iter()
            .filter(|e| e.kind == AuditType::SpendRecorded)
            .map(|e| (e.actor_id, e.user_id))
            .collect::<Vec<_>>();
        assert!(
            admin_id
                .iter()
                .all(|(actor, user)| actor.is_some() && actor != user),
            "the admin is the actor: {admin_id:?}"
        );

        // Next month starts at nothing, without any job.
        clock.advance(time::Duration::days(32));
        let access = s(
            &app.login(&email, STRONG_PASSWORD).await.body,
            "accessToken",
        );
        let (_, admin, _) = app.signed_in_with(&[Role::BillingAdmin]).await;
        assert_eq!(spent(&app, &access).await, 0);
        let january = app
            .post_bearer(path, &admin, &usage(&id, json!(500), "inv-5"))
            .await;
        assert_eq!(january.status, 201, "{}", january.body);
        assert_ne!(january.body["period"], first.body["period"]);
    }
}

#[tokio::test]
async fn bad_charges_get_their_status_and_change_nothing() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
        let (_, access, id) = pro_with_cap(&app, 1_000_000).await;
        let path = "/v1/billing/usage";
        for amount in [
            json!(-5),
            json!(2.5),
            json!(0),
            json!(1e20),
            json!(18_446_744_073_709_551_615u64),
        ] {
            app.post_bearer(path, &admin, &usage(&id, amount.clone(), "k"))
                .await
                .assert_problem(422, "validation_failed");
        }
        app.post_bearer(path, &admin, &usage(&id, json!("5"), "k"))
            .await
            .assert_problem(400, "bad_request");
        let no_key = json!({"userId": id, "amountCents": 5, "description": "x"});
        app.post_bearer(path, &admin, &no_key)
            .await
            .assert_problem(400, "bad_request");
        for key in ["", "   ", &"k".repeat(201), "line\nbreak"] {
            app.post_bearer(path, &admin, &usage(&id, json!(5), key))
                .await
                .assert_problem(422, "validation_failed");
        }
        for nobody in ["01JZ0000000000000000000000", "not-an-id", ""] {
            app.post_bearer(path, &admin, &usage(nobody, json!(5), "k"))
                .await
                .assert_problem(404, "not_found");
        }
        // A caller without the role, even the account's owner.
        app.post_bearer(path, &access, &usage(&id, json!(5), "k"))
            .await
            .assert_problem(403, "forbidden");
        let (_, support, _) = app.signed_in_with(&[Role::Support]).await;
        app.post_bearer(path, &support, &usage(&id, json!(5), "k"))
            .await
            .assert_problem(403, "forbidden");
        assert_eq!(spent(&app, &access).await, 0, "nothing was charged");
    }
}

#[tokio::test]
async fn fifty_racing_charges_at_a_cap_that_fits_ten_record_exactly_ten() {
    for (app, _clock) in on_both_stores(&[]).await {
        let app = Arc::new(app);
        let (_, admin, _) = app.signed_in_with(&[Role::BillingAdmin]).await;
        let (_, access, id) = pro_with_cap(&app, 1000).await;
        let mut racing = tokio::task::JoinSet::new();
        for n in 0..50 {
            let (app, admin, id) = (Arc::clone(&app), admin.clone(), id.clone());
            racing.spawn(async move {
                // Fifty writes at once can outlast the request deadline on a loaded machine
                // (503 with Retry-After). A client then sends the same key again, and the
                // charge it finally gets is what counts: recorded (201, or 200 when the first
                // attempt had landed) or refused (402).
                let body = usage(&id, json!(100), &format!("race-{n}"));
                for _ in 0..20 {
                    let reply = app.post_bearer("/v1/billing/usage", &admin, &body).await;
                    match reply.status.as_u16() {
                        503 => {
                            // As a client would: wait what Retry-After says, spread by a jitter.
                            let wait: u64 = reply.header("retry-after").parse().unwrap();
                            let jitter = u64::from(latch_core::crypto::random::bytes32()[0]) * 4;
                            tokio::time::sleep(std::time::Duration::from_millis(
                                wait * 1000 + jitter,
                            ))
                            .await
                        }
                        200 | 201 => return "recorded",
                        402 => return "refused",
                        other => panic!("a racing charge answered {other}: {}", reply.body),
                    }
                }
                panic!("a racing charge was unavailable twenty times")
            });
        }
        let mut outcomes = std::collections::BTreeMap::new();
        while let Some(outcome) = racing.join_next().await {
            *outcomes.entry(outcome.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(
            outcomes,
            [("recorded", 10), ("refused", 40)].into_iter().collect()
        );
        assert_eq!(spent(&app, &access).await, 1000);
    }
}

#[tokio::test]
async fn the_first_administrator_is_made_once_verified_and_may_charge() {
    use latch_core::service::bootstrap::ensure_admin;
    let (app, _clock) = spawn_app_on(&[], None).await;
    let email = "root@example.com";
    ensure_admin(&app.deps, email, STRONG_PASSWORD)
        .await
        .unwrap();
    ensure_admin(&app.deps, email, "another-password-entirely-9")
        .await
        .unwrap();
    let admin = app.account(email).await;
    assert!(admin.email_verified && admin.roles.contains(&Role::Admin));
    let login = app.login(email, STRONG_PASSWORD).await;
    assert_eq!(
        login.status, 200,
        "the first password stands: {}",
        login.body
    );
    let token = s(&login.body, "accessToken");
    let (_, _, id) = pro_with_cap(&app, 100).await;
    let charged = app
        .post_bearer(
            "/v1/billing/usage",
            &token,
            &usage(&id, json!(100), "boot-1"),
        )
        .await;
    assert_eq!(charged.status, 201, "{}", charged.body);

    // A verified account gains the role only with its own password.
    let (plain, _) = app.signed_in().await;
    let other = ensure_admin(&app.deps, &plain, "whatever-it-is-now-42")
        .await
        .unwrap_err();
    assert!(
        other.to_string().starts_with("LATCH_ADMIN_PASSWORD:"),
        "{other}"
    );
    assert!(!app.account(&plain).await.roles.contains(&Role::Admin));
    ensure_admin(&app.deps, &plain, STRONG_PASSWORD)
        .await
        .unwrap();
    assert!(app.account(&plain).await.roles.contains(&Role::Admin));

    // A stranger who registered the address first (never verified) gets nothing: the account
    // takes the operator's password, and the stranger's no longer signs in.
    let squatted = "ops@example.com";
    assert_eq!(
        app.register(squatted, "stranger-password-77-q")
            .await
            .status,
        202
    );
    ensure_admin(&app.deps, squatted, STRONG_PASSWORD)
        .await
        .unwrap();
    app.login(squatted, "stranger-password-77-q")
        .await
        .assert_problem(401, "invalid_credentials");
    let ops = app.login(squatted, STRONG_PASSWORD).await;
    assert_eq!(ops.status, 200, "{}", ops.body);
    assert!(app.account(squatted).await.roles.contains(&Role::Admin));

    let weak = ensure_admin(&app.deps, "new-root@example.com", "password")
        .await
        .unwrap_err();
    assert!(
        weak.to_string().starts_with("LATCH_ADMIN_PASSWORD:"),
        "{weak}"
    );
    let bad = ensure_admin(&app.deps, "not an address", STRONG_PASSWORD)
        .await
        .unwrap_err();
    assert!(bad.to_string().starts_with("LATCH_ADMIN_EMAIL:"), "{bad}");
}
