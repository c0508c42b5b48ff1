//! The caller's sessions: list them, revoke one, log out of this one or of all.

use super::authn::Authenticated;
use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Outcome, SessionId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How many sessions a list shows: the newest ones.
pub const LIST_LIMIT: usize = 100;

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

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionList {
    pub items: Vec<SessionView>,
    /// Always null: the newest 100 active sessions come in one page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogoutRequest {
    /// Accepted for clients that send it; revoking the session voids it anyway.
    pub refresh_token: Option<String>,
}

pub async fn list(deps: &Deps, auth: &Authenticated) -> Result<SessionList, Error> {
    let now = deps.clock.now();
    let sessions = deps.sessions.sessions_of(&auth.user.id, LIST_LIMIT).await?;
    let items = sessions
        .into_iter()
        .filter(|s| s.is_active(now) && auth.user.allows(s))
        .map(|s| SessionView {
            current: s.id == auth.session.id,
            id: s.id.to_string(),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
            ip_prefix: s.ip_prefix,
        })
        .collect();
    Ok(SessionList {
        items,
        next_cursor: None,
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
