//! POST /v1/auth/login: password check with a dummy hash for unknown emails, then a new session.

use super::{Caller, Deps, audit};
use crate::Error;
use crate::crypto::AccessClaims;
use crate::domain::{AuditType, Email, OneTimeToken, Outcome, RefreshTokenRecord, Session, User};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
    /// Cloudflare Turnstile token, when the server asks for one.
    pub captcha_token: Option<String>,
}

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

pub async fn login(deps: &Deps, caller: &Caller, req: LoginRequest) -> Result<TokenPair, Error> {
    // An unparsable email is treated as an unknown one: same answer, same work.
    let user = match Email::parse(&req.email) {
        Ok(email) => deps.users.user_by_email(&email).await?,
        Err(_) => None,
    };
    let password_ok = deps
        .hasher
        .verify(&req.password, user.as_ref().map(|u| &u.password_hash))
        .await?;
    let user = match user {
        Some(user) if password_ok => user,
        other => {
            let id = other.as_ref().map(|u| &u.id);
            let reason = if other.is_some() {
                "wrong_password"
            } else {
                "unknown_email"
            };
            audit::record(
                deps,
                caller,
                AuditType::LoginFailed,
                id,
                Outcome::Failure,
                &[("reason", reason)],
            )
            .await?;
            return Err(Error::InvalidCredentials);
        }
    };
    if !user.email_verified {
        let reason = [("reason", "email_not_verified")];
        audit::record(
            deps,
            caller,
            AuditType::LoginFailed,
            Some(&user.id),
            Outcome::Failure,
            &reason,
        )
        .await?;
        return Err(Error::EmailNotVerified);
    }
    let tokens = start_session(deps, caller, &user).await?;
    audit::record(
        deps,
        caller,
        AuditType::LoginSucceeded,
        Some(&user.id),
        Outcome::Success,
        &[],
    )
    .await?;
    Ok(tokens)
}

/// Creates a session bound to the caller and issues its first token pair.
pub async fn start_session(deps: &Deps, caller: &Caller, user: &User) -> Result<TokenPair, Error> {
    let s = &deps.settings;
    let now = deps.clock.now();
    let session = Session::start(
        user.id.clone(),
        &caller.client,
        now,
        s.session_idle,
        s.session_absolute,
    );
    let refresh = OneTimeToken::generate();
    let record = RefreshTokenRecord {
        hash: refresh.hash.clone(),
        session_id: session.id.clone(),
        user_id: user.id.clone(),
        issued_at: now,
        expires_at: session.absolute_expires_at,
    };
    deps.sessions.create_session(&session, &record).await?;
    let iat = now.unix_timestamp();
    let claims = AccessClaims {
        iss: s.issuer.clone(),
        aud: s.audience.clone(),
        sub: user.id.to_string(),
        sid: session.id.to_string(),
        roles: user.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        iat,
        nbf: iat,
        exp: iat + s.access_ttl.whole_seconds(),
        jti: crate::crypto::random::ulid(now),
    };
    Ok(TokenPair {
        access_token: deps.keys.sign_access(&claims)?,
        refresh_token: refresh.secret().to_owned(),
        token_type: "Bearer",
        expires_in: s.access_ttl.whole_seconds(),
    })
}
