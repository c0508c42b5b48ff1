//! Issuing token pairs: a session's first at login, and each rotation at refresh.

use super::{Caller, Deps, audit};
use crate::Error;
use crate::crypto::AccessClaims;
use crate::domain::{
    AuditType, OneTimeToken, Outcome, PresentedRefresh, RefreshTokenRecord, Session, SessionId,
    User,
};
use serde::Serialize;
use time::OffsetDateTime;

/// An access token and the refresh token of its session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
}

/// The stored record of `token`, the refresh token `session` hands out at `now`.
pub fn refresh_record(
    token: &OneTimeToken,
    session: &Session,
    now: OffsetDateTime,
) -> RefreshTokenRecord {
    RefreshTokenRecord {
        hash: token.hash.clone(),
        session_id: session.id.clone(),
        user_id: session.user_id.clone(),
        issued_at: now,
        expires_at: session.absolute_expires_at,
        spent_at: None,
    }
}

/// Creates a session bound to the caller and issues its first token pair, if `user` is still at
/// the password the caller proved (`None` when a reset or change landed meanwhile: the store
/// checks the credential epoch in the same write that creates the session). The sign-in's
/// `login.succeeded` event is stored in that same write.
pub async fn start_session(
    deps: &Deps,
    caller: &Caller,
    user: &User,
) -> Result<Option<TokenPair>, Error> {
    let s = &deps.settings;
    let now = deps.clock.now();
    let refresh = OneTimeToken::generate();
    let session = Session::start(
        (user.id.clone(), user.credential_epoch),
        &caller.client,
        now,
        s.session_idle,
        s.session_absolute,
        refresh.hash.clone(),
    );
    let record = refresh_record(&refresh, &session, now);
    let event = (
        AuditType::LoginSucceeded,
        Some(&user.id),
        Outcome::Success,
        &[][..],
    );
    let (sessions, session_ref, record_ref) = (&deps.sessions, &session, &record);
    let created = audit::record_in(deps, caller, event, |linked| async move {
        sessions
            .create_session_audited(session_ref, record_ref, Some(linked.append()))
            .await
    })
    .await?;
    if created.is_err() {
        return Ok(None);
    }
    pair(deps, user, &session.id, &refresh, now).map(Some)
}

/// Signs an access token for `user` in `session` and pairs it with `refresh`.
pub fn pair(
    deps: &Deps,
    user: &User,
    session: &SessionId,
    refresh: &OneTimeToken,
    now: OffsetDateTime,
) -> Result<TokenPair, Error> {
    let s = &deps.settings;
    let iat = now.unix_timestamp();
    let claims = AccessClaims {
        iss: s.issuer.clone(),
        aud: s.audience.clone(),
        sub: user.id.to_string(),
        sid: session.to_string(),
        roles: user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        iat,
        nbf: iat,
        exp: iat + s.access_ttl.whole_seconds(),
        jti: crate::crypto::random::ulid(now),
    };
    Ok(TokenPair {
        access_token: deps.keys.ring()?.sign_access(&claims)?,
        refresh_token: PresentedRefresh::handed_out(session, &user.id, refresh.secret()),
        token_type: "Bearer",
        expires_in: s.access_ttl.whole_seconds(),
    })
}
