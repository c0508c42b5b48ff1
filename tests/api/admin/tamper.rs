//! GET /v1/admin/audit-logs/verify: every chain recomputed. Events edited, deleted or reordered
//! behind the service's back (straight in the embedded file or the DynamoDB table) are found,
//! and fifty appends at once leave every chain whole.

use super::audit::caller;
use crate::support::{TestApp, on_both_stores};
use aws_sdk_dynamodb::types::AttributeValue;
use latch_core::domain::{AuditEvent, AuditType, Outcome, Role};
use latch_core::service::audit;
use std::collections::HashMap;

/// Appends `n` events through the service.
async fn fill(app: &TestApp, n: usize) {
    for i in 0..n {
        let meta = [("n", i.to_string())];
        let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (*k, v.as_str())).collect();
        audit::record_system(
            &app.deps,
            "fill",
            AuditType::LoginFailed,
            None,
            Outcome::Failure,
            &meta,
        )
        .await
        .unwrap();
    }
}

async fn verify(app: &TestApp, access: &str, query: &str) -> serde_json::Value {
    let res = app
        .admin_get(&format!("/v1/admin/audit-logs/verify{query}"), access)
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

/// The events of the fullest chain, in order.
async fn fullest_chain(app: &TestApp) -> Vec<AuditEvent> {
    let now = app.deps.clock.now();
    let (from, to) = (now - time::Duration::days(1), now + time::Duration::days(1));
    let mut best = Vec::new();
    for p in 0..latch_core::domain::audit_chain::PARTITIONS {
        let page = app.deps.audit.chain(p, from, to, None, 1000).await.unwrap();
        if page.items.len() > best.len() {
            best = page.items;
        }
    }
    assert!(best.len() >= 3, "a chain of three at least");
    best
}

/// The stored item of `event` on DynamoDB.
async fn item(app: &TestApp, event: &AuditEvent) -> HashMap<String, AttributeValue> {
    let (client, table) = app.dynamo_audit.as_ref().unwrap();
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("EVENT#{}", event.id)))
        .send()
        .await
        .unwrap();
    out.item.unwrap()
}

async fn put(app: &TestApp, item: HashMap<String, AttributeValue>) {
    let (client, table) = app.dynamo_audit.as_ref().unwrap();
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

async fn edit(app: &TestApp, event: &AuditEvent) {
    let mut changed = event.clone();
    changed
        .metadata
        .insert("n".into(), serde_json::Value::from("rewritten"));
    match &app.store {
        Some(store) => store.overwrite_audit_event(&changed).await.unwrap(),
        None => {
            let mut raw = item(app, event).await;
            let meta = serde_dynamo::to_attribute_value(&changed.metadata).unwrap();
            raw.insert("metadata".into(), meta);
            put(app, raw).await;
        }
    }
}

async fn delete(app: &TestApp, event: &AuditEvent) {
    match &app.store {
        Some(store) => store.delete_audit_event(&event.id).await.unwrap(),
        None => {
            let (client, table) = app.dynamo_audit.as_ref().unwrap();
            client
                .delete_item()
                .table_name(table)
                .key("pk", AttributeValue::S(format!("EVENT#{}", event.id)))
                .send()
                .await
                .unwrap();
        }
    }
}

/// Exchanges two events' places: each takes the other's time and link, where it is stored.
async fn swap(app: &TestApp, a: &AuditEvent, b: &AuditEvent) {
    let moved = |from: &AuditEvent, to: &AuditEvent| AuditEvent {
        at: to.at,
        chain: to.chain.clone(),
        ..from.clone()
    };
    let (a2, b2) = (moved(a, b), moved(b, a));
    match &app.store {
        Some(store) => {
            store.overwrite_audit_event(&a2).await.unwrap();
            store.overwrite_audit_event(&b2).await.unwrap();
        }
        None => {
            let (ia, ib) = (item(app, a).await, item(app, b).await);
            for (mut raw, other) in [(ia.clone(), ib.clone()), (ib, ia)] {
                for field in ["at", "chain"] {
                    raw.insert(field.into(), other[field].clone());
                }
                put(app, raw).await;
            }
        }
    }
}

#[tokio::test]
async fn verification_finds_an_edit_a_deletion_a_reordering_and_a_lost_newest_event() {
    for tamper in ["edit", "delete", "reorder", "truncate"] {
        for (app, _clock) in on_both_stores(&[]).await {
            let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
            fill(&app, 40).await;
            let whole = verify(&app, &admin, "").await;
            assert_eq!(whole["ok"], true, "{whole}");
            assert_eq!(whole["firstBrokenId"], serde_json::Value::Null);
            let checked = whole["checked"].as_u64().unwrap();
            assert!(checked >= 40, "{whole}");
            let chain = fullest_chain(&app).await;
            let (second, third) = (&chain[1], &chain[2]);
            let last = chain.last().unwrap();
            let expected = match tamper {
                "edit" => {
                    edit(&app, second).await;
                    &second.id
                }
                "delete" => {
                    delete(&app, second).await;
                    &third.id
                }
                "reorder" => {
                    swap(&app, second, third).await;
                    &second.id
                }
                _ => {
                    delete(&app, last).await;
                    &last.id
                }
            };
            let found = verify(&app, &admin, "").await;
            assert_eq!(found["ok"], false, "{tamper}: {found}");
            assert_eq!(
                found["firstBrokenId"],
                expected.as_str(),
                "{tamper}: {found}"
            );
        }
    }
}

#[tokio::test]
async fn a_range_links_to_the_event_before_it_and_fifty_concurrent_appends_keep_every_chain() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
        let appends = (0..50).map(|i| {
            let app = &app;
            async move {
                let meta = [("n", i.to_string())];
                let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (*k, v.as_str())).collect();
                audit::record(
                    &app.deps,
                    &caller("racer"),
                    AuditType::LoginFailed,
                    None,
                    Outcome::Failure,
                    &meta,
                )
                .await
            }
        });
        for result in futures_util::future::join_all(appends).await {
            result.unwrap();
        }
        let whole = verify(&app, &admin, "").await;
        assert_eq!(whole["ok"], true, "{whole}");
        assert!(whole["checked"].as_u64().unwrap() >= 50, "{whole}");
        let trail = app.audit_trail().await;
        let mut seqs: HashMap<u16, Vec<u64>> = HashMap::new();
        for e in &trail {
            let link = e.chain.as_ref().unwrap();
            seqs.entry(link.partition).or_default().push(link.seq);
        }
        for (p, mut s) in seqs {
            s.sort();
            assert_eq!(
                s,
                (1..=s.len() as u64).collect::<Vec<_>>(),
                "chain {p} has no fork and no gap"
            );
        }
        // A range that starts mid-chain: its first event links to the one before it, which a
        // deletion breaks even though it lies outside the range.
        let chain = fullest_chain(&app).await;
        let from = chain[2]
            .at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let query = format!("?from={}", super::urlencoding(&from));
        assert_eq!(verify(&app, &admin, &query).await["ok"], true);
        delete(&app, &chain[1]).await;
        let found = verify(&app, &admin, &query).await;
        assert_eq!(found["firstBrokenId"], chain[2].id.as_str(), "{found}");
        app.admin_get("/v1/admin/audit-logs/verify?from=never", &admin)
            .await
            .assert_problem(422, "validation_failed");
    }
}
