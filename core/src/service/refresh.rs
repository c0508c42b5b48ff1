//! POST /v1/auth/refresh: single-use rotation with reuse detection. A spent token presented
//! again revokes the session, unless it comes within the grace from inside the binding (a client
//! retrying after a lost response), which only answers `token_reused`.

use super::tokens::{self, TokenPair};
use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{
    AuditType, OneTimeToken, Outcome, PresentedRefresh, RefreshTokenRecord, Session, User,
};
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

pub async fn refresh(
    deps: &Deps,
    caller: &Caller,
    req: RefreshRequest,
) -> Result<TokenPair, Error> {
    let now = deps.clock.now();
    let presented = PresentedRefresh::parse(&req.refresh_token).ok_or(Error::InvalidToken)?;
    let hash = presented.hash.clone();
    let Found {
        session,
        user,
        record,
    } = find(deps, presented).await?;
    let session = session
        .filter(|s| s.is_active(now) && record.as_ref().is_none_or(|r| now < r.expires_at))
        .ok_or(Error::InvalidToken)?;
    let user = user
        .filter(|u| u.allows(&session))
        .ok_or(Error::InvalidToken)?;
    let s = &deps.settings;
    let bound = session.user_agent_matches(&caller.client)
        && (!s.bind_ip_on_refresh || session.prefix_matches(&caller.client));
    if !bound {
        return binding_mismatch(deps, caller, &session, now).await;
    }
    let spent = record.as_ref().and_then(|r| r.spent_at);
    if spent.is_some() || session.refresh_hash != hash {
        // The record may have been read just before a concurrent rotation spent it (and the
        // session just after): read it again, so that rotation counts as the spend it was.
        let spent_at = match spent {
            Some(at) => Some(at),
            None => deps
                .sessions
                .refresh_token(&hash)
                .await?
                .and_then(|r| r.spent_at),
        };
        return reuse(deps, caller, &session, spent_at, now).await;
    }
    let next = OneTimeToken::generate();
    let next_record = tokens::refresh_record(&next, &session, now);
    let mut rotated = session.clone();
    rotated.refresh_hash = next.hash.clone();
    rotated.last_used_at = now;
    rotated.idle_expires_at = now + s.session_idle;
    if !deps
        .sessions
        .rotate_refresh(&rotated, &hash, &next_record)
        .await?
    {
        // A concurrent refresh with the same token won a moment ago, from inside the binding:
        // exactly the retry the grace is for.
        return Err(Error::TokenReused);
    }
    tokens::pair(deps, &user, &session.id, &next, now)
}

/// What a presented token leads to: its session and account, and its stored record when it had
/// to be read (a token that is not the session's current one, or one without a route).
struct Found {
    session: Option<Session>,
    user: Option<User>,
    record: Option<RefreshTokenRecord>,
}

/// One read for a routed token that is its session's current one: the session and account
/// together, the secret proved by the session's hash. Any other routed token must be a record of
/// that very session (a spent one: reuse), or it is not ours; a token without a route (issued
/// before routes) is found by its hash first, as before.
async fn find(deps: &Deps, presented: PresentedRefresh) -> Result<Found, Error> {
    let PresentedRefresh { route, hash } = presented;
    if let Some((sid, uid)) = route {
        let (session, user) = deps.sessions.session_with_user(&sid, &uid).await?;
        let session = session
            .filter(|s| s.user_id == uid)
            .ok_or(Error::InvalidToken)?;
        // The session's current token needs no record read; any other must be one of its own.
        let record = if session.refresh_hash == hash {
            None
        } else {
            let record = deps.sessions.refresh_token(&hash).await?;
            Some(
                record
                    .filter(|r| r.session_id == session.id)
                    .ok_or(Error::InvalidToken)?,
            )
        };
        return Ok(Found {
            session: Some(session),
            user,
            record,
        });
    }
    let record = deps
        .sessions
        .refresh_token(&hash)
        .await?
        .ok_or(Error::InvalidToken)?;
    let (session, user) = tokio::try_join!(
        deps.sessions.session(&record.session_id),
        deps.users.user_by_id(&record.user_id)
    )?;
    let record = Some(record);
    Ok(Found {
        session,
        user,
        record,
    })
}

async fn binding_mismatch(
    deps: &Deps,
    caller: &Caller,
    session: &Session,
    now: OffsetDateTime,
) -> Result<TokenPair, Error> {
    deps.sessions.revoke_session(&session.id, now).await?;
    let meta = [("sessionId", session.id.as_str()), ("check", "refresh")];
    audit::record(
        deps,
        caller,
        AuditType::SessionBindingMismatch,
        Some(&session.user_id),
        Outcome::Failure,
        &meta,
    )
    .await?;
    Err(Error::SessionBindingMismatch)
}

async fn reuse(
    deps: &Deps,
    caller: &Caller,
    session: &Session,
    spent_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<TokenPair, Error> {
    let within_grace = spent_at.is_some_and(|t| now - t < deps.settings.refresh_reuse_grace);
    if !within_grace {
        deps.sessions.revoke_session(&session.id, now).await?;
        let meta = [("sessionId", session.id.as_str())];
        audit::record(
            deps,
            caller,
            AuditType::TokenReuseDetected,
            Some(&session.user_id),
            Outcome::Failure,
            &meta,
        )
        .await?;
    }
    Err(Error::TokenReused)
}
