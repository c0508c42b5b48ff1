//! POST /v1/auth/login: password check with a dummy hash for unknown emails, then a new session.

use super::captcha::{self, CaptchaAction};
use super::mfa::challenge::{self, MfaChallenge};
use super::tokens::{self, TokenPair};
use super::{Caller, Deps, accounts, audit, guard};
use crate::Error;
use crate::domain::{AuditType, Email, Outcome};
use serde::Deserialize;

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

/// What a correct password gets: tokens, or (with MFA on) the token for the second step.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    Tokens(TokenPair),
    MfaRequired(MfaChallenge),
}

pub async fn login(deps: &Deps, caller: &Caller, req: LoginRequest) -> Result<LoginOutcome, Error> {
    // The contract's order: rate limit (counted by `serve`, before the body is read), CAPTCHA,
    // lock, password, verified address, MFA.
    let token = req.captcha_token.as_deref();
    captcha::required(deps, caller, &req.email, token, CaptchaAction::Login).await?;
    // An unparsable email is treated as an unknown one: same answer, same work.
    let email = Email::parse(&req.email).ok();
    let (user, lock) = match &email {
        Some(email) => {
            tokio::try_join!(accounts::by_email(deps, email), deps.locks.lock_of(email))?
        }
        None => (None, None),
    };
    if let Some(lock) = lock
        && let Some(lock) = guard::refusing(deps, caller, lock, user.as_ref()).await?
    {
        let reason = [("reason", "locked")];
        audit::record(
            deps,
            caller,
            AuditType::LoginFailed,
            user.as_ref().map(|u| &u.id),
            Outcome::Failure,
            &reason,
        )
        .await?;
        return Err(Error::AccountLocked {
            retry_after_secs: lock.retry_after(deps.clock.now()),
        });
    }
    let password_ok = deps
        .hasher
        .verify(&req.password, user.as_ref().map(|u| &u.password_hash))
        .await?;
    let user = match user {
        Some(user) if password_ok => user,
        other => {
            guard::record_failure(deps, caller, &req.email, other.as_ref()).await?;
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
    crate::telemetry::note_user(deps.keys.keyed_hash(user.id.as_str()));
    guard::clear_failures(deps, &user.email).await?;
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
    rehash_if_outdated(deps, &user, &req.password).await;
    if user.mfa_enabled {
        // No session and no sign-in notice yet: those follow the second factor.
        let mfa = challenge::challenge(deps, caller, &user).await?;
        return Ok(LoginOutcome::MfaRequired(mfa));
    }
    // Before the session exists: a login that then loses to a reset still proved the password.
    guard::notify_new_sign_in(deps, caller, &user).await?;
    let Some(tokens) = tokens::start_session(deps, caller, &user).await? else {
        // A reset or change landed after this login read the password: it proved the old one.
        let reason = [("reason", "password_changed")];
        let uid = Some(&user.id);
        audit::record(
            deps,
            caller,
            AuditType::LoginFailed,
            uid,
            Outcome::Failure,
            &reason,
        )
        .await?;
        return Err(Error::InvalidCredentials);
    };
    audit::record(
        deps,
        caller,
        AuditType::LoginSucceeded,
        Some(&user.id),
        Outcome::Success,
        &[],
    )
    .await?;
    Ok(LoginOutcome::Tokens(tokens))
}

/// Re-hashes at the live Argon2 parameters when the stored hash was made with others. Best
/// effort: a concurrent write (or a store hiccup) leaves the old hash, to be upgraded next time.
async fn rehash_if_outdated(deps: &Deps, user: &crate::domain::User, password: &str) {
    if !deps.hasher.needs_rehash(&user.password_hash) {
        return;
    }
    let Ok(hash) = deps.hasher.rehash(password).await else {
        return;
    };
    let mut next = user.clone();
    next.password_hash = hash;
    next.next_write();
    if let Err(err) = deps.users.save_user(&next, user.version, None).await {
        tracing::warn!(error = %err, "password rehash not saved");
    }
}
