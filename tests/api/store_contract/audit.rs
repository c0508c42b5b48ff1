//! Cases for `AuditLog`.

use super::*;

pub async fn audit_events_are_append_only(s: Stores) {
    let at = now();
    let event = AuditEvent {
        id: latch_core::crypto::random::ulid(at),
        at,
        kind: AuditType::LoginFailed,
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
    };
    s.audit.append(&event).await.unwrap();
    s.audit
        .append(&event)
        .await
        .expect("the same event again is the same append (a retry after a lost answer)");
    let other = AuditEvent {
        outcome: Outcome::Success,
        ..event.clone()
    };
    assert!(
        s.audit.append(&other).await.is_err(),
        "an event id is never overwritten"
    );
}
