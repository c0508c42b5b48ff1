//! The caller's sessions: list them, revoke one, log out of this one or of all.

use super::authn::Authenticated;
use super::paging;
use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Outcome, SessionId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How many of the newest sessions the sign-in checks (known client, new sign-in notice) read.
pub const RECENT: usize = 100;

/// How many store pages one list request reads at most while passing over ended sessions; a
/// page may then come short with a cursor to go on.
const STORE_READS: usize = 10;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: OffsetDateTime,
    pub user_agent: String,
    #[schema(example = "203.0.113.0/24")]
    pub ip_prefix: String,
    /// Whether this is the session of the calling access token.
    pub current: bool,
}

crate::listed!(
    /// A page of the caller's active sessions.
    SessionList of SessionView
);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogoutRequest {
    /// Accepted for clients that send it; revoking the session voids it anyway.
    pub refresh_token: Option<String>,
}

/// The caller's active sessions, newest first, a page at a time.
pub async fn list(
    deps: &Deps,
    auth: &Authenticated,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<SessionList, Error> {
    let now = deps.clock.now();
    let user = &auth.user;
    let scope = paging::scope("sessions", &[("user", Some(user.id.as_str()))]);
    let page = paging::request(&deps.keys, &scope, limit, cursor, paging::MAX_LIMIT)?;
    let mut items = Vec::new();
    let mut after = page.after;
    for _ in 0..STORE_READS {
        let want = page.limit - items.len();
        let read = deps
            .sessions
            .sessions_of(&user.id, after.as_deref(), want)
            .await?;
        items.extend(
            read.items
                .into_iter()
                .filter(|s| s.is_active(now) && user.allows(s))
                .map(|s| SessionView {
                    current: s.id == auth.session.id,
                    id: s.id.to_string(),
                    created_at: s.created_at,
                    last_used_at: s.last_used_at,
                    user_agent: s.user_agent,
                    ip_prefix: s.ip_prefix,
                }),
        );
        after = read.next;
        if after.is_none() || items.len() == page.limit {
            break;
        }
    }
    Ok(SessionList {
        items,
        next_cursor: paging::seal(&deps.keys, &scope, after)?,
    })
}

/// Revokes one of the caller's sessions; another user's (or no) session is 404.
pub async fn revoke(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<(), Error> {
    let id = id.and_then(SessionId::parse).ok_or(Error::NotFound)?;
    let session = deps
        .sessions
        .session(&id)
        .await?
        .filter(|s| s.user_id == auth.user.id)
        .ok_or(Error::NotFound)?;
    end_session(
        deps,
        caller,
        auth,
        &session.id,
        AuditType::SessionRevoked,
        &[],
    )
    .await
}

pub async fn logout(deps: &Deps, caller: &Caller, auth: &Authenticated) -> Result<(), Error> {
    let scope = [("scope", "session")];
    end_session(
        deps,
        caller,
        auth,
        &auth.session.id,
        AuditType::Logout,
        &scope,
    )
    .await
}

/// Revokes one session of the caller and audits it as `kind`, naming the session.
pub(super) async fn end_session(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: &SessionId,
    kind: AuditType,
    extra: &[(&str, &str)],
) -> Result<(), Error> {
    deps.sessions.revoke_session(id, deps.clock.now()).await?;
    let mut meta = vec![("sessionId", id.as_str())];
    meta.extend_from_slice(extra);
    let user = Some(&auth.user.id);
    audit::record(deps, caller, kind, user, Outcome::Success, &meta).await
}

pub async fn logout_all(deps: &Deps, caller: &Caller, auth: &Authenticated) -> Result<(), Error> {
    deps.users
        .revoke_sessions_before(&auth.user.id, deps.clock.now(), None)
        .await?;
    audit::record(
        deps,
        caller,
        AuditType::Logout,
        Some(&auth.user.id),
        Outcome::Success,
        &[("scope", "all")],
    )
    .await
}
