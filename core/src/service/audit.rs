//! Recording audit events with the caller's context filled in.
//!
//! An event costs the request no store step of its own: its partition's head is read beside the
//! route's first reads (`prefetch`) and kept in the caller's `AuditCursor`, so the append is the
//! only write; the event of a change that can be refused (a new session, a new account) goes in
//! that change's own transaction (`record_in`); and after an append the cursor holds the new
//! head, so the request's next event needs no read either.

use super::{Caller, Deps};
use crate::Error;
use crate::domain::{AuditEvent, AuditType, ChainHead, Outcome, UserId, audit_chain};
use crate::ports::{AuditAppend, Audited};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Where a request's next audit event links: one partition's head as the request last saw it
/// (a hint: every append is conditioned on the head, and a stale one only costs a retry).
#[derive(Debug, Clone, Default)]
pub struct AuditCursor(Arc<Mutex<Option<Seen>>>);

#[derive(Debug, Clone)]
struct Seen {
    partition: u16,
    head: Option<ChainHead>,
}

impl AuditCursor {
    fn take(&self) -> Option<Seen> {
        self.0.lock().map(|mut s| s.take()).unwrap_or(None)
    }

    fn keep(&self, seen: Seen) {
        if let Ok(mut s) = self.0.lock() {
            *s = Some(seen);
        }
    }
}

/// An event linked after `expected`, handed to the write that stores it with its change.
#[derive(Debug, Clone)]
pub struct Linked {
    pub event: AuditEvent,
    pub expected: Option<ChainHead>,
}

impl Linked {
    pub fn append(&self) -> AuditAppend<'_> {
        AuditAppend {
            event: &self.event,
            expected: self.expected.as_ref(),
        }
    }
}

/// Reads the head of a partition picked at random into the caller's cursor, unless it holds
/// one: run beside a route's first reads, it makes the route's first event need no read.
pub async fn prefetch(deps: &Deps, caller: &Caller) -> Result<(), Error> {
    let seen = position(deps, Some(&caller.audit)).await?;
    caller.audit.keep(seen);
    Ok(())
}

/// Appends one event about `user` (acted on by itself) in the same write as the change it
/// records: `write` stores the change and the linked event it is given, or neither. A change
/// its own conditions refuse is `Err(what it said)`, and no event was stored.
pub async fn record_in<T, F, Fut>(
    deps: &Deps,
    caller: &Caller,
    (kind, user, outcome, metadata): (AuditType, Option<&UserId>, Outcome, &[(&str, &str)]),
    write: F,
) -> Result<Result<T, T>, Error>
where
    F: FnMut(Linked) -> Fut,
    Fut: std::future::Future<Output = Result<Audited<T>, Error>> + Send,
{
    let origin = Origin::of(caller, user);
    let event = build(deps, origin, kind, user, outcome, metadata);
    let written = chained(deps, Some(&caller.audit), &event, write).await?;
    Ok(written.map(|(t, linked)| {
        count_security_event(kind, linked.at);
        t
    }))
}

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
        None,
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
    record_by(deps, caller, user, kind, user, outcome, metadata).await
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
    let origin = Origin::of(caller, actor);
    append(
        deps,
        origin,
        Some(&caller.audit),
        kind,
        user,
        outcome,
        metadata,
    )
    .await
}

/// Where an event came from.
struct Origin<'a> {
    request_id: &'a str,
    actor: Option<&'a UserId>,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl<'a> Origin<'a> {
    /// A request of `actor`'s, with the caller's address and User-Agent.
    fn of(caller: &'a Caller, actor: Option<&'a UserId>) -> Self {
        Origin {
            request_id: &caller.request_id,
            actor,
            ip: Some(caller.client.ip.to_string()),
            user_agent: Some(caller.client.user_agent_display()),
        }
    }
}

/// The event, not yet linked to a chain.
fn build(
    deps: &Deps,
    origin: Origin<'_>,
    kind: AuditType,
    user: Option<&UserId>,
    outcome: Outcome,
    metadata: &[(&str, &str)],
) -> AuditEvent {
    let now = deps.clock.now();
    AuditEvent {
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
    }
}

async fn append(
    deps: &Deps,
    origin: Origin<'_>,
    cursor: Option<&AuditCursor>,
    kind: AuditType,
    user: Option<&UserId>,
    outcome: Outcome,
    metadata: &[(&str, &str)],
) -> Result<(), Error> {
    let event = build(deps, origin, kind, user, outcome, metadata);
    let at = event.at;
    if let Err(err) = append_linked(deps, cursor, event.clone()).await {
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
    count_security_event(kind, at);
    Ok(())
}

/// How many heads an append tries before it gives up (each on a partition picked at random, so
/// writers that collide spread out rather than queue).
const APPEND_ATTEMPTS: usize = 12;

/// Links `event` to the head of a partition and appends it there, conditional on that head:
/// first the head the cursor holds, then (after a lost race) others read afresh.
async fn append_linked(
    deps: &Deps,
    cursor: Option<&AuditCursor>,
    event: AuditEvent,
) -> Result<(), Error> {
    let appended = chained(deps, cursor, &event, |l| async move {
        let stored = deps.audit.append(&l.event, l.expected.as_ref()).await?;
        Ok(if stored {
            Audited::Stored(())
        } else {
            Audited::HeadMoved
        })
    })
    .await?;
    appended.map(|_| ()).map_err(|()| Error::Conflict)
}

/// The one retry loop of every append: links `event` to a head (the cursor's first, then
/// others read afresh), hands it to `write`, and on a lost race pauses and tries another
/// partition, at most `APPEND_ATTEMPTS` times. The cursor keeps the head `write` left: the new
/// event's when stored, the one it was given when the change was refused. `Ok(Ok)` carries
/// what `write` reported and the stored event; `Ok(Err)` what a refusing change said.
async fn chained<T, F, Fut>(
    deps: &Deps,
    cursor: Option<&AuditCursor>,
    event: &AuditEvent,
    mut write: F,
) -> Result<Result<(T, AuditEvent), T>, Error>
where
    F: FnMut(Linked) -> Fut,
    Fut: std::future::Future<Output = Result<Audited<T>, Error>>,
{
    for _ in 0..APPEND_ATTEMPTS {
        let seen = position(deps, cursor).await?;
        let linked = audit_chain::link(event.clone(), seen.partition, seen.head.as_ref());
        let append = Linked {
            event: linked.clone(),
            expected: seen.head.clone(),
        };
        match write(append).await? {
            Audited::Stored(t) => {
                if let Some(cursor) = cursor {
                    let head = ChainHead::of(&linked);
                    cursor.keep(Seen {
                        partition: seen.partition,
                        head,
                    });
                }
                return Ok(Ok((t, linked)));
            }
            Audited::Refused(t) => {
                if let Some(cursor) = cursor {
                    cursor.keep(seen);
                }
                return Ok(Err(t));
            }
            Audited::HeadMoved => pause().await,
        }
    }
    Err(Error::Conflict)
}

/// The head the cursor holds (taken: a failed append must not try it again), or that of a
/// partition picked at random, read now.
async fn position(deps: &Deps, cursor: Option<&AuditCursor>) -> Result<Seen, Error> {
    if let Some(seen) = cursor.and_then(AuditCursor::take) {
        return Ok(seen);
    }
    let partition = random_partition();
    let head = deps.audit.head(partition).await?;
    Ok(Seen { partition, head })
}

/// Lost a race for a head: a moment's pause, then another partition.
async fn pause() {
    let mut jitter = [0u8; 1];
    crate::crypto::random::fill(&mut jitter);
    tokio::time::sleep(std::time::Duration::from_millis(u64::from(jitter[0] % 8))).await;
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
