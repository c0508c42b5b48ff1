//! Recording audit events with the caller's context filled in.

use super::{Caller, Deps};
use crate::Error;
use crate::domain::{AuditEvent, AuditType, Outcome, UserId, audit_chain};
use serde_json::Value;

/// Appends an event of a scheduled job: no address, no User-Agent; `run_id` as request id.
pub async fn record_system(
    deps: &Deps,
    run_id: &str,
    kind: AuditType,
    user: Option<&UserId>,
    outcome: Outcome,
    metadata: &[(&str, &str)],
) -> Result<(), Error> {
    append(
        deps,
        Origin {
            request_id: run_id,
            actor: None,
            ip: None,
            user_agent: None,
        },
        kind,
        user,
        outcome,
        metadata,
    )
    .await
}

/// Appends one event about `user` acted on by the caller (or by `user` itself).
/// A failed append fails the call: an unaudited security event must not pass silently.
pub async fn record(
    deps: &Deps,
    caller: &Caller,
    kind: AuditType,
    user: Option<&UserId>,
    outcome: Outcome,
    metadata: &[(&str, &str)],
) -> Result<(), Error> {
    let origin = Origin {
        request_id: &caller.request_id,
        actor: user,
        ip: Some(caller.client.ip.to_string()),
        user_agent: Some(caller.client.user_agent_display()),
    };
    append(deps, origin, kind, user, outcome, metadata).await
}

/// Appends one event about `user` acted on by `actor` (an administrator, say), with the
/// caller's address. Fails the call as `record` does.
pub async fn record_by(
    deps: &Deps,
    caller: &Caller,
    actor: Option<&UserId>,
    kind: AuditType,
    user: Option<&UserId>,
    outcome: Outcome,
    metadata: &[(&str, &str)],
) -> Result<(), Error> {
    let origin = Origin {
        request_id: &caller.request_id,
        actor,
        ip: Some(caller.client.ip.to_string()),
        user_agent: Some(caller.client.user_agent_display()),
    };
    append(deps, origin, kind, user, outcome, metadata).await
}

/// Where an event came from.
struct Origin<'a> {
    request_id: &'a str,
    actor: Option<&'a UserId>,
    ip: Option<String>,
    user_agent: Option<String>,
}

async fn append(
    deps: &Deps,
    origin: Origin<'_>,
    kind: AuditType,
    user: Option<&UserId>,
    outcome: Outcome,
    metadata: &[(&str, &str)],
) -> Result<(), Error> {
    let now = deps.clock.now();
    let event = AuditEvent {
        id: crate::crypto::random::ulid(now),
        at: now,
        kind,
        actor_id: origin.actor.cloned(),
        user_id: user.cloned(),
        ip: origin.ip,
        user_agent: origin.user_agent,
        request_id: origin.request_id.to_owned(),
        outcome,
        metadata: metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect(),
        chain: None,
    };
    if let Err(err) = append_linked(deps, event.clone()).await {
        // The request fails, but what it did may already stand: the event goes to the log, so
        // the trail can be completed; users by keyed hash, without address or User-Agent.
        let hash = |id: &Option<UserId>| id.as_ref().map(|u| deps.keys.keyed_hash(u.as_str()));
        let logged = serde_json::json!({
            "id": event.id,
            "type": event.kind,
            "outcome": event.outcome,
            "userHash": hash(&event.user_id),
            "actorHash": hash(&event.actor_id),
            "metadata": event.metadata,
        });
        tracing::error!(target: "latch::audit", requestId = %event.request_id, event = %logged, "audit append failed");
        return Err(err);
    }
    count_security_event(kind, now);
    Ok(())
}

/// How many heads an append tries before it gives up (each on a partition picked at random, so
/// writers that collide spread out rather than queue).
const APPEND_ATTEMPTS: usize = 12;

/// Links `event` to the head of a partition and appends it there, conditional on that head.
async fn append_linked(deps: &Deps, event: AuditEvent) -> Result<(), Error> {
    for _ in 0..APPEND_ATTEMPTS {
        let partition = random_partition();
        let head = deps.audit.head(partition).await?;
        let linked = audit_chain::link(event.clone(), partition, head.as_ref());
        if deps.audit.append(&linked, head.as_ref()).await? {
            return Ok(());
        }
        // Lost a race for that head: a moment's pause, then another partition.
        let mut jitter = [0u8; 1];
        crate::crypto::random::fill(&mut jitter);
        tokio::time::sleep(std::time::Duration::from_millis(u64::from(jitter[0] % 8))).await;
    }
    Err(Error::Conflict)
}

fn random_partition() -> u16 {
    let mut b = [0u8; 2];
    crate::crypto::random::fill(&mut b);
    u16::from_le_bytes(b) % audit_chain::PARTITIONS
}

fn count_security_event(kind: AuditType, now: time::OffsetDateTime) {
    if let Some(metric) = crate::metrics::security_metric(kind) {
        let at_ms = crate::metrics::epoch_ms(now);
        crate::metrics::emit(&crate::metrics::security(metric, at_ms));
    }
}
