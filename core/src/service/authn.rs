//! Authenticating a bearer call: signature and claims, then the session and the user from the
//! store (read together), so a revocation or a role change takes effect at once.

use super::{Caller, Deps, audit};
use crate::Error;
use crate::crypto::AccessClaims;
use crate::domain::{AuditType, Outcome, Role, Session, SessionId, User, UserId};

/// A caller whose access token, session and binding all held.
#[derive(Debug)]
pub struct Authenticated {
    pub user: User,
    pub session: Session,
    pub claims: AccessClaims,
}

/// Authenticates the call and requires one of `roles` of the stored user: a caller without
/// them gets 403 and the refusal is audited (with the route, never the request).
pub async fn authorize(
    deps: &Deps,
    caller: &Caller,
    bearer: Option<&str>,
    roles: &[Role],
    route: &str,
) -> Result<Authenticated, Error> {
    let auth = authenticate(deps, caller, bearer).await?;
    if auth.user.holds_any(roles) {
        return Ok(auth);
    }
    let meta = [("route", route)];
    let uid = Some(&auth.user.id);
    audit::record(
        deps,
        caller,
        AuditType::AccessDenied,
        uid,
        Outcome::Failure,
        &meta,
    )
    .await?;
    Err(Error::Forbidden)
}

pub async fn authenticate(
    deps: &Deps,
    caller: &Caller,
    bearer: Option<&str>,
) -> Result<Authenticated, Error> {
    let s = &deps.settings;
    let now = deps.clock.now();
    let token = bearer.ok_or(Error::InvalidToken)?;
    let claims = deps
        .keys
        .ring()?
        .verify_access(token, &s.issuer, &s.audience, now)
        .map_err(|_| Error::InvalidToken)?;
    let sid = SessionId::parse(&claims.sid).ok_or(Error::InvalidToken)?;
    let uid = UserId::parse(&claims.sub).ok_or(Error::InvalidToken)?;
    let (session, user) = deps.sessions.session_with_user(&sid, &uid).await?;
    let session = session
        .filter(|s| s.user_id == uid && s.is_active(now))
        .ok_or(Error::InvalidToken)?;
    let user = user
        .filter(|u| u.allows(&session))
        .ok_or(Error::InvalidToken)?;
    if !session.user_agent_matches(&caller.client) {
        deps.sessions.revoke_session(&session.id, now).await?;
        let meta = [("sessionId", session.id.as_str()), ("check", "user_agent")];
        audit::record(
            deps,
            caller,
            AuditType::SessionBindingMismatch,
            Some(&uid),
            Outcome::Failure,
            &meta,
        )
        .await?;
        return Err(Error::SessionBindingMismatch);
    }
    crate::telemetry::note_user(deps.keys.keyed_hash(user.id.as_str()));
    Ok(Authenticated {
        user,
        session,
        claims,
    })
}
