//! POST /v1/auth/login: password check with a dummy hash for unknown emails, then a new session.

use super::captcha::{self, CaptchaAction};
use super::mfa::challenge::{self, MfaChallenge};
use super::tokens::{self, TokenPair};
use super::{Caller, Deps, accounts, audit, guard};
use crate::Error;
use crate::domain::{AuditType, Email, Outcome, UserId};
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
    // An unparsable email is treated as an unknown one: same answer, same work. The store
    // work is two steps of reads whatever the address: its claim, its lock and an audit head;
    // then the account and its recent sessions (the lock's known-client check, the sign-in
    // notice), by an id nobody holds when there is no account.
    let email = Email::parse(&req.email).ok();
    let (claim, lock) = match &email {
        Some(email) => {
            let (claim, lock, ()) = tokio::try_join!(
                deps.users.holder_of_email(email),
                deps.locks.lock_of(email),
                audit::prefetch(deps, caller)
            )?;
            (claim, lock)
        }
        None => {
            audit::prefetch(deps, caller).await?;
            (None, None)
        }
    };
    let id = claim
        .clone()
        .unwrap_or_else(|| UserId::new(deps.clock.now()));
    let (user, recent) = tokio::try_join!(
        deps.users.user_by_id(&id),
        guard::recent_sessions(deps, &id)
    )?;
    let user = accounts::live(deps, user.filter(|_| claim.is_some()));
    if let Some(lock) = lock
        && let Some(lock) = guard::refusing(deps, caller, lock, user.as_ref(), &recent)
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
            let id = other.as_ref().map(|u| &u.id);
            let reason = if other.is_some() {
                "wrong_password"
            } else {
                "unknown_email"
            };
            // The counters and the event are one step: issued together, and each runs to its
            // end whatever the other does (a failed event must not drop the lock the count
            // reaches, nor a failed count the event).
            let meta = [("reason", reason)];
            let kind = AuditType::LoginFailed;
            let (counted, recorded) = tokio::join!(
                guard::record_failure(deps, caller, &req.email, other.as_ref()),
                audit::record(deps, caller, kind, id, Outcome::Failure, &meta)
            );
            counted?;
            recorded?;
            return Err(Error::InvalidCredentials);
        }
    };
    crate::telemetry::note_user(deps.keys.keyed_hash(user.id.as_str()));
    let uid = Some(&user.id);
    if !user.email_verified {
        let reason = [("reason", "email_not_verified")];
        let kind = AuditType::LoginFailed;
        tokio::try_join!(
            guard::clear_failures(deps, &user.email),
            audit::record(deps, caller, kind, uid, Outcome::Failure, &reason)
        )?;
        return Err(Error::EmailNotVerified);
    }
    rehash_if_outdated(deps, &user, &req.password).await;
    if user.mfa_enabled {
        // No session and no sign-in notice yet: those follow the second factor.
        let (mfa, ()) = tokio::try_join!(
            challenge::challenge(deps, caller, &user),
            guard::clear_failures(deps, &user.email)
        )?;
        return Ok(LoginOutcome::MfaRequired(mfa));
    }
    // The notice goes before the session exists (a login that then loses to a reset still
    // proved the password); the session is written with its `login.succeeded` event.
    let signed_in = async {
        guard::notify_new_sign_in(deps, caller, &user, &recent).await?;
        tokens::start_session(deps, caller, &user).await
    };
    let (tokens, ()) = tokio::try_join!(signed_in, guard::clear_failures(deps, &user.email))?;
    let Some(tokens) = tokens else {
        // A reset or change landed after this login read the password: it proved the old one.
        let reason = [("reason", "password_changed")];
        let kind = AuditType::LoginFailed;
        audit::record(deps, caller, kind, uid, Outcome::Failure, &reason).await?;
        return Err(Error::InvalidCredentials);
    };
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
