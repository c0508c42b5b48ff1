//! Recording audit events with the caller's context filled in.

use super::{Caller, Deps};
use crate::Error;
use crate::domain::{AuditEvent, AuditType, Outcome, UserId};
use serde_json::{Map, Value};

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
    let now = deps.clock.now();
    let metadata: Map<String, Value> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let event = AuditEvent {
        id: crate::crypto::random::ulid(now),
        at: now,
        kind,
        actor_id: user.cloned(),
        user_id: user.cloned(),
        ip: Some(caller.client.ip.to_string()),
        user_agent: Some(caller.client.user_agent_display()),
        request_id: caller.request_id.clone(),
        outcome,
        metadata,
    };
    deps.audit.append(&event).await
}
