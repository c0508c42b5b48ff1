//! Store round trips per endpoint, counted exactly: the app runs on DynamoDB (moto) behind a
//! proxy that records every call, each route of the table is called once on its success path,
//! and the calls of that one request are held to the table in `docs/BENCHMARKS.md`: how many
//! calls, and in how many steps (calls issued together are one step; steps in sequence are what
//! the user waits for). A route without a scenario here, or a count that drifts from the
//! document or passes its ceiling, fails.

use crate::support::{
    STRONG_PASSWORD, TestApp, counting_proxy, moto, reset_token, s, spawn_app_with, token_in,
};
use latch_core::http::routes::ROUTES;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

const NEW_PASSWORD: &str = "quiet-lantern-meadow-73";
const START: &str = "<!-- round-trips:start -->";
const END: &str = "<!-- round-trips:end -->";

/// Operations of one request, counted: `GetItem ×2, TransactWriteItems`.
fn summary(ops: &[String]) -> (usize, String) {
    let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
    for op in ops {
        *counted.entry(op.as_str()).or_default() += 1;
    }
    let parts: Vec<String> = counted
        .into_iter()
        .map(|(op, n)| {
            if n == 1 {
                op.to_owned()
            } else {
                format!("{op} ×{n}")
            }
        })
        .collect();
    let listed = if parts.is_empty() {
        "–".to_owned()
    } else {
        parts.join(", ")
    };
    (ops.len(), listed)
}

/// How long the proxy holds each answer while a request is measured: far longer than a busy
/// machine delays the second of two calls issued together, so they always overlap.
const HOLD: Duration = Duration::from_millis(60);

/// The most steps a route's success path may take (issue 23's floor). The second factor
/// is at 7, not the 4 of the issue: the rate limit, the token, the account, the lock with the
/// attempt, the spend, the factor's event and the session each wait on the one before.
const STEP_CEILINGS: &[(&str, usize)] = &[
    ("register", 3),
    ("login", 4),
    ("mfa-verify", 7),
    ("recovery-login", 7),
    ("refresh", 2),
    ("me", 1),
];

/// The steps of calls in arrival order: a call that begins before every call of the current
/// step has answered joins it; one that begins after starts the next.
fn steps(calls: &[counting_proxy::Call]) -> usize {
    let mut steps = 0;
    let mut answered_by = None;
    for call in calls {
        match answered_by {
            Some(end) if call.start < end => answered_by = Some(call.end.max(end)),
            _ => {
                steps += 1;
                answered_by = Some(call.end);
            }
        }
    }
    steps
}

/// Runs `route`'s success path once, with its preconditions set up first; returns the status.
async fn run_once(
    app: &TestApp,
    proxy: &counting_proxy::CountingProxy,
    name: &str,
) -> (u16, Vec<counting_proxy::Call>) {
    let fresh = || format!("{}@example.com", moto::unique("trips"));
    let signed_in = || async {
        let (email, tokens) = app.signed_in().await;
        (email, s(&tokens, "accessToken"), s(&tokens, "refreshToken"))
    };
    // Only the calls of the request itself count.
    macro_rules! measure {
        ($request:expr) => {{
            proxy.take_dynamodb();
            proxy.hold_answers(HOLD);
            let status: u16 = $request;
            proxy.hold_answers(Duration::ZERO);
            (status, proxy.take_dynamodb_calls())
        }};
    }
    match name {
        "register" => {
            let email = fresh();
            measure!(app.register(&email, STRONG_PASSWORD).await.status.as_u16())
        }
        "verify-email" => {
            let email = fresh();
            app.register(&email, STRONG_PASSWORD).await;
            let token = token_in(&app.mail_to(&email, "verification")[0]);
            measure!(app.verify_email(&token).await.status.as_u16())
        }
        "login" => {
            let email = app.verified_user().await;
            measure!(app.login(&email, STRONG_PASSWORD).await.status.as_u16())
        }
        "refresh" => {
            let (_, _, refresh) = signed_in().await;
            measure!(app.refresh(&refresh).await.status.as_u16())
        }
        "revoke-session" => {
            let (email, access, _) = signed_in().await;
            app.login(&email, STRONG_PASSWORD).await;
            let list = app.bearer(Method::GET, "/v1/auth/sessions", &access).await;
            let items = list.body["items"].as_array().unwrap();
            let other = items.iter().find(|i| i["current"] == false).unwrap();
            let path = format!("/v1/auth/sessions/{}", other["id"].as_str().unwrap());
            measure!(
                app.bearer(Method::DELETE, &path, &access)
                    .await
                    .status
                    .as_u16()
            )
        }
        "me" | "list-sessions" | "logout" | "logout-all" => {
            let (_, access, _) = signed_in().await;
            let route = ROUTES.iter().find(|r| r.name == name).unwrap();
            let path = route.path;
            measure!(
                app.bearer(route.method.clone(), path, &access)
                    .await
                    .status
                    .as_u16()
            )
        }
        "change-password" => {
            let (_, access, _) = signed_in().await;
            let body = json!({"currentPassword": STRONG_PASSWORD, "newPassword": NEW_PASSWORD});
            let body = serde_json::to_vec(&body).unwrap();
            measure!(
                app.call(
                    Method::POST,
                    "/v1/auth/change-password",
                    Some(&access),
                    Some(body),
                )
                .await
                .status
                .as_u16()
            )
        }
        "password-strength" => {
            let body = json!({"password": NEW_PASSWORD});
            measure!(
                app.post_json("/v1/auth/password-strength", &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "forgot-password" => {
            let email = app.verified_user().await;
            measure!(app.forgot_password(&email).await.status.as_u16())
        }
        "resend-verification" => {
            let email = fresh();
            app.register(&email, STRONG_PASSWORD).await;
            let body = json!({"email": email});
            measure!(
                app.post_json("/v1/auth/resend-verification", &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "reset-password" => {
            let email = app.verified_user().await;
            app.forgot_password(&email).await;
            let token = reset_token(&app.mail_to(&email, "password_reset")[0]);
            let body = json!({"token": token, "newPassword": NEW_PASSWORD});
            measure!(
                app.post_json("/v1/auth/reset-password", &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "mfa-enable-init" => {
            let (_, access, _) = signed_in().await;
            let body = json!({"password": STRONG_PASSWORD});
            let path = "/v1/auth/2fa/enable-init";
            measure!(app.post_bearer(path, &access, &body).await.status.as_u16())
        }
        "mfa-enable-complete" => {
            let (_, access, _) = signed_in().await;
            let body = json!({"password": STRONG_PASSWORD});
            let init = app
                .post_bearer("/v1/auth/2fa/enable-init", &access, &body)
                .await;
            let body = json!({"code": app.code(&s(&init.body, "secret"), 0)});
            let path = "/v1/auth/2fa/enable-complete";
            measure!(app.post_bearer(path, &access, &body).await.status.as_u16())
        }
        "mfa-verify" | "recovery-login" => {
            let user = app.mfa_user().await;
            let token = app.mfa_login(&user.email).await;
            if name == "mfa-verify" {
                let code = app.code(&user.secret, 1);
                measure!(app.verify_code(&token, &code).await.status.as_u16())
            } else {
                let code = &user.recovery_codes[0];
                measure!(app.recovery_login(&token, code).await.status.as_u16())
            }
        }
        "mfa-disable" | "mfa-recovery-codes" => {
            let user = app.mfa_user().await;
            let code = app.code(&user.secret, 1);
            let (path, body) = if name == "mfa-disable" {
                let body = json!({"password": STRONG_PASSWORD, "code": code});
                ("/v1/auth/2fa/disable", body)
            } else {
                ("/v1/auth/2fa/recovery-codes", json!({"code": code}))
            };
            measure!(
                app.post_bearer(path, &user.access, &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "account-plan" | "account-limits" => {
            let (_, access, _) = signed_in().await;
            let path = ROUTES.iter().find(|r| r.name == name).unwrap().path;
            measure!(app.bearer(Method::GET, path, &access).await.status.as_u16())
        }
        "account-set-plan" => {
            let (_, access, _) = signed_in().await;
            let body = json!({"plan": "PRO"});
            measure!(
                app.post_bearer("/v1/account/plan", &access, &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "account-set-limits" => {
            let (_, access, _) = signed_in().await;
            let pro = json!({"plan": "PRO"});
            app.post_bearer("/v1/account/plan", &access, &pro).await;
            let body = json!({"monthlySpendCapCents": 5000});
            measure!(
                app.post_bearer("/v1/account/limits", &access, &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "billing-usage" => {
            let (_, admin, _) = app
                .signed_in_with(&[latch_core::domain::Role::BillingAdmin])
                .await;
            let (_, access, _) = signed_in().await;
            let pro = json!({"plan": "PRO"});
            app.post_bearer("/v1/account/plan", &access, &pro).await;
            let cap = json!({"monthlySpendCapCents": 5000});
            app.post_bearer("/v1/account/limits", &access, &cap).await;
            let id = s(&app.me(&access).await.body, "id");
            let body = json!({"userId": id, "amountCents": 500, "idempotencyKey": "trips-1", "description": "Database"});
            measure!(
                app.post_bearer("/v1/billing/usage", &admin, &body)
                    .await
                    .status
                    .as_u16()
            )
        }
        name if name.starts_with("admin-") => {
            let (_, admin, _) = app.signed_in_with(&[latch_core::domain::Role::Admin]).await;
            let route = ROUTES.iter().find(|r| r.name == name).unwrap();
            // The account acted on: signed in (one session), on PRO for the limits route, with
            // MFA on for reset-2fa, unverified for resend-verification.
            let target = match name {
                "admin-reset-mfa" => app.mfa_user().await.email,
                "admin-resend-verification" => {
                    let email = fresh();
                    app.register(&email, STRONG_PASSWORD).await;
                    email
                }
                _ => {
                    let (email, access, _) = signed_in().await;
                    if name == "admin-set-limits" {
                        app.post_bearer("/v1/account/plan", &access, &json!({"plan": "PRO"}))
                            .await;
                    }
                    email
                }
            };
            let id = app.account(&target).await.id.to_string();
            let path = route.path.replace("{id}", &id);
            let body = match name {
                "admin-set-roles" => Some(json!({"roles": ["USER", "SUPPORT"]})),
                "admin-lock-user" => Some(json!({"reason": "Round trips"})),
                "admin-set-plan" => Some(json!({"plan": "PRO"})),
                "admin-set-limits" => Some(json!({"monthlySpendCapCents": 100})),
                _ => None,
            };
            let path = match name {
                "admin-list-users" => format!("{path}?limit=10"),
                "admin-audit-logs" => format!("{path}?type=login.succeeded&limit=10"),
                "admin-audit-export" => format!("{path}?userId={id}"),
                _ => path,
            };
            let body = body.map(|b| serde_json::to_vec(&b).unwrap());
            measure!(
                app.call(route.method.clone(), &path, Some(&admin), body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "create-database" | "list-databases" | "get-database" | "delete-database" => {
            let (_, access, _) = signed_in().await;
            let route = ROUTES.iter().find(|r| r.name == name).unwrap();
            let db = crate::support::postgres::db_name("trips");
            if name == "create-database" {
                let body = json!({"name": db});
                return measure!(
                    app.post_bearer(route.path, &access, &body)
                        .await
                        .status
                        .as_u16()
                );
            }
            let made = app
                .post_bearer("/v1/provisioning/databases", &access, &json!({"name": db}))
                .await;
            assert_eq!(made.status, 201, "{}", made.body);
            let path = route.path.replace("{id}", &s(&made.body, "id"));
            measure!(
                app.call(route.method.clone(), &path, Some(&access), None)
                    .await
                    .status
                    .as_u16()
            )
        }
        "create-dns-zone" | "list-dns-zones" | "get-dns-zone" | "delete-dns-zone"
        | "add-dns-record" | "delete-dns-record" | "create-mail-domain" | "list-mail-domains"
        | "delete-mail-domain" => {
            let (_, access, _) = signed_in().await;
            let route = ROUTES.iter().find(|r| r.name == name).unwrap();
            let domain = format!("{}.example.com", moto::unique("trips").to_lowercase());
            let zone_body = json!({"domain": domain});
            let record = json!({"type": "A", "name": "www", "value": "192.0.2.1", "ttl": 300});
            if name == "create-dns-zone" {
                return measure!(
                    app.post_bearer(route.path, &access, &zone_body)
                        .await
                        .status
                        .as_u16()
                );
            }
            let zones = "/v1/provisioning/dns-zones";
            let zone = app.post_bearer(zones, &access, &zone_body).await;
            assert_eq!(zone.status, 201, "{}", zone.body);
            let zone_id = s(&zone.body, "id");
            let records = format!("{zones}/{zone_id}/records");
            let (path, body) = match name {
                "add-dns-record" => (records, Some(record)),
                "delete-dns-record" => {
                    let made = app.post_bearer(&records, &access, &record).await;
                    assert_eq!(made.status, 201, "{}", made.body);
                    (format!("{records}/{}", s(&made.body, "id")), None)
                }
                "create-mail-domain" => (route.path.to_owned(), Some(zone_body)),
                "list-mail-domains" | "delete-mail-domain" => {
                    let mail = "/v1/provisioning/mail-domains";
                    let made = app.post_bearer(mail, &access, &zone_body).await;
                    assert_eq!(made.status, 201, "{}", made.body);
                    (route.path.replace("{id}", &s(&made.body, "id")), None)
                }
                _ => (route.path.replace("{id}", &zone_id), None),
            };
            let body = body.map(|b| serde_json::to_vec(&b).unwrap());
            measure!(
                app.call(route.method.clone(), &path, Some(&access), body)
                    .await
                    .status
                    .as_u16()
            )
        }
        "create-hosting-account" | "list-hosting-accounts" | "delete-hosting-account" => {
            let (_, access, _) = signed_in().await;
            let route = ROUTES.iter().find(|r| r.name == name).unwrap();
            let body = json!({
                "domain": format!("{}.example.com", moto::unique("trips").to_lowercase()),
                "databaseName": crate::support::postgres::db_name("trips"),
            });
            if name == "create-hosting-account" {
                return measure!(
                    app.post_bearer(route.path, &access, &body)
                        .await
                        .status
                        .as_u16()
                );
            }
            let made = app
                .post_bearer("/v1/provisioning/hosting-accounts", &access, &body)
                .await;
            assert_eq!(made.status, 201, "{}", made.body);
            let path = route.path.replace("{id}", &s(&made.body, "id"));
            measure!(
                app.call(route.method.clone(), &path, Some(&access), None)
                    .await
                    .status
                    .as_u16()
            )
        }
        "health" | "jwks" | "openapi" | "openid-configuration" => {
            let path = ROUTES.iter().find(|r| r.name == name).unwrap().path;
            measure!(app.get(path).await.status.as_u16())
        }
        other => panic!(
            "route {other} has no round-trip scenario: add its success path here and its count to \
             docs/BENCHMARKS.md"
        ),
    }
}

#[tokio::test]
async fn every_route_makes_the_documented_number_of_store_calls() {
    let proxy = counting_proxy::start(&moto::moto().endpoint).await;
    let aws = moto::aws_at(&proxy.endpoint).await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    // Rate limits on (as deployed) but far above what this test does, so their counters count.
    let limits = [
        ("LATCH_RATE_REGISTER_PER_MIN", "1000"),
        ("LATCH_RATE_LOGIN_PER_MIN", "1000"),
        ("LATCH_RATE_FORGOT_PER_HOUR", "1000"),
        ("LATCH_RATE_RESET_PER_HOUR", "1000"),
        ("LATCH_RATE_RESEND_PER_HOUR", "1000"),
        ("LATCH_RATE_STRENGTH_PER_MIN", "1000"),
        ("LATCH_RATE_CHANGE_PASSWORD_PER_15MIN", "1000"),
        ("LATCH_RATE_2FA_PER_MIN", "1000"),
        ("LATCH_RATE_2FA_SETTINGS_PER_15MIN", "1000"),
    ];
    let pg = crate::support::postgres::postgres().admin_url();
    let databases = [("LATCH_PG_ADMIN_URL", pg.as_str())];
    let settings = [&moto::dynamodb_settings(&names)[..], &limits, &databases].concat();
    let app = spawn_app_with(&settings, Some(aws)).await;
    let mut table = vec![
        START.to_owned(),
        "| route | success | steps | DynamoDB calls | operations |".to_owned(),
        "|---|---|---|---|---|".to_owned(),
    ];
    let mut over = Vec::new();
    for route in ROUTES {
        let (status, calls) = run_once(&app, &proxy, route.name).await;
        assert_eq!(status, route.doc.success, "{} did not succeed", route.name);
        let steps = steps(&calls);
        let ops: Vec<String> = calls.into_iter().map(|c| c.target).collect();
        let (count, ops) = summary(&ops);
        let row = format!(
            "| `{}` | {status} | {steps} | {count} | {ops} |",
            route.name
        );
        if let Some((_, ceiling)) = STEP_CEILINGS.iter().find(|(n, _)| *n == route.name)
            && steps > *ceiling
        {
            over.push(format!("{row} (at most {ceiling} steps)"));
        }
        table.push(row);
    }
    table.push(END.to_owned());
    let measured = table.join("\n");
    assert!(
        over.is_empty(),
        "routes over their step ceiling:\n{}\nthe measured table:\n{measured}",
        over.join("\n")
    );
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/BENCHMARKS.md"
    ))
    .unwrap();
    let documented = doc
        .find(START)
        .and_then(|a| doc[a..].find(END).map(|b| &doc[a..a + b + END.len()]))
        .expect("docs/BENCHMARKS.md has a round-trips table");
    assert_eq!(
        documented, measured,
        "docs/BENCHMARKS.md's round trips differ from what was measured; the measured table:\n{measured}"
    );
}
