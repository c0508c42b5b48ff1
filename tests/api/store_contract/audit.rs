//! Cases for `AuditLog`: conditional chained appends, indexed search in time order, chain reads.

use super::*;
use latch_core::domain::audit_chain::{self, ChainHead};
use latch_core::domain::{AuditQuery, UserId};

pub fn event_at(at: OffsetDateTime, kind: AuditType) -> AuditEvent {
    AuditEvent {
        id: latch_core::crypto::random::ulid(at),
        at,
        kind,
        actor_id: None,
        user_id: None,
        ip: Some("203.0.113.5".into()),
        user_agent: Some("UA".into()),
        request_id: "req".into(),
        outcome: Outcome::Failure,
        metadata: serde_json::Map::from_iter([(
            "reason".to_owned(),
            serde_json::Value::from("unknown_email"),
        )]),
        chain: None,
    }
}

/// Appends `event` at the head of `partition`, as the service does (one attempt).
async fn append(s: &Stores, partition: u16, event: AuditEvent) -> AuditEvent {
    let head = s.audit.head(partition).await.unwrap();
    let linked = audit_chain::link(event, partition, head.as_ref());
    assert!(s.audit.append(&linked, head.as_ref()).await.unwrap());
    linked
}

pub async fn audit_appends_are_conditional_on_the_head_and_never_overwrite(s: Stores) {
    let at = now();
    assert_eq!(s.audit.head(3).await.unwrap(), None);
    let first = audit_chain::link(event_at(at, AuditType::LoginFailed), 3, None);
    assert!(s.audit.append(&first, None).await.unwrap());
    assert!(
        s.audit.append(&first, None).await.unwrap(),
        "the same event again is the same append (a retry after a lost answer)"
    );
    let head = s.audit.head(3).await.unwrap().unwrap();
    assert_eq!(head, ChainHead::of(&first).unwrap());
    // A writer that read the head before `first` landed loses, and writes nothing.
    let late = audit_chain::link(event_at(at, AuditType::LoginFailed), 3, None);
    assert!(!s.audit.append(&late, None).await.unwrap());
    let second = audit_chain::link(event_at(at, AuditType::Logout), 3, Some(&head));
    assert!(s.audit.append(&second, Some(&head)).await.unwrap());
    assert_eq!(s.audit.head(3).await.unwrap().unwrap().seq, 2);
    let other = AuditEvent {
        outcome: Outcome::Success,
        ..second.clone()
    };
    let newest = s.audit.head(3).await.unwrap();
    assert!(
        s.audit.append(&other, newest.as_ref()).await.is_err(),
        "an event id is never overwritten"
    );
    assert_eq!(s.audit.head(4).await.unwrap(), None, "partitions are apart");
}

pub async fn audit_search_filters_by_index_newest_first_and_pages_by_position(s: Stores) {
    let base = now() - Duration::days(40);
    let (ada, bob) = (UserId::new(base), UserId::new(base));
    let mut appended = Vec::new();
    for i in 0..12 {
        let kind = if i % 3 == 0 {
            AuditType::Logout
        } else {
            AuditType::LoginFailed
        };
        // Across two months, so the unfiltered search walks more than one.
        let mut e = event_at(base + Duration::days(3 * i), kind);
        e.user_id = Some(if i % 2 == 0 { ada.clone() } else { bob.clone() });
        e.actor_id = (i % 4 == 0).then(|| bob.clone());
        appended.push(append(&s, (i % 3) as u16, e).await);
    }
    let all = AuditQuery {
        user: None,
        actor: None,
        kind: None,
        from: base - Duration::days(1),
        to: now() + Duration::days(1),
    };
    let mut newest_first = appended.clone();
    newest_first.reverse();
    let query = |q: AuditQuery| q;
    for (q, expected) in [
        (query(all.clone()), newest_first.clone()),
        (
            AuditQuery {
                user: Some(ada.clone()),
                ..all.clone()
            },
            newest_first
                .iter()
                .filter(|e| e.user_id.as_ref() == Some(&ada))
                .cloned()
                .collect(),
        ),
        (
            AuditQuery {
                actor: Some(bob.clone()),
                ..all.clone()
            },
            newest_first
                .iter()
                .filter(|e| e.actor_id.is_some())
                .cloned()
                .collect(),
        ),
        (
            AuditQuery {
                kind: Some(AuditType::Logout),
                user: Some(ada.clone()),
                ..all.clone()
            },
            newest_first
                .iter()
                .filter(|e| e.kind == AuditType::Logout && e.user_id.as_ref() == Some(&ada))
                .cloned()
                .collect(),
        ),
        (
            AuditQuery {
                from: base + Duration::days(6),
                to: base + Duration::days(15),
                ..all.clone()
            },
            newest_first
                .iter()
                .filter(|e| e.at >= base + Duration::days(6) && e.at <= base + Duration::days(15))
                .cloned()
                .collect(),
        ),
    ] {
        // Pages of 5, each strictly older than the last, add up to the whole answer.
        let mut seen: Vec<AuditEvent> = Vec::new();
        let mut before: Option<String> = None;
        for _ in 0..10 {
            let page = s.audit.search(&q, before.as_deref(), 5).await.unwrap();
            assert!(page.items.len() <= 5);
            seen.extend(page.items);
            before = page.next;
            if before.is_none() {
                break;
            }
        }
        let ids = |v: &[AuditEvent]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&seen), ids(&expected), "{q:?}");
        assert_eq!(seen, expected, "events come back whole, links included");
    }
}

pub async fn audit_chains_read_in_order_with_their_predecessors(s: Stores) {
    let at = now() - Duration::hours(1);
    let mut linked = Vec::new();
    for i in 0..5 {
        let e = event_at(at + Duration::seconds(i), AuditType::LoginSucceeded);
        linked.push(append(&s, 9, e).await);
    }
    append(&s, 10, event_at(at, AuditType::LoginSucceeded)).await;
    let (from, to) = (at - Duration::minutes(1), now() + Duration::minutes(1));
    let mut read = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s
            .audit
            .chain(9, from, to, after.as_deref(), 2)
            .await
            .unwrap();
        read.extend(page.items);
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    assert_eq!(
        read, linked,
        "one partition, in chain order, nothing of another"
    );
    for pair in linked.windows(2) {
        assert!(audit_chain::follows(
            pair[1].chain.as_ref().unwrap(),
            &pair[0]
        ));
        assert_eq!(
            s.audit.chain_before(&pair[1]).await.unwrap().as_ref(),
            Some(&pair[0])
        );
    }
    assert_eq!(s.audit.chain_before(&linked[0]).await.unwrap(), None);
    let narrow = s
        .audit
        .chain(
            9,
            at + Duration::seconds(1),
            at + Duration::seconds(2),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(narrow.items, linked[1..3].to_vec());
}
