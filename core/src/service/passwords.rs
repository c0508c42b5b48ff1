//! Password routes: strength, forgot, reset, change, and resend-verification (its sibling for
//! addresses not yet confirmed).

use super::authn::Authenticated;
use super::register::{ACCEPTED, Accepted};
use super::{Caller, Deps, audit, guard};
use crate::Error;
use crate::domain::{
    AuditType, Email, FieldError, Mail, OneTimeToken, OneTimeTokenRecord, Outcome, Password,
    TokenHash, TokenPurpose, User,
};
use serde::{Deserialize, Serialize};
use time::Duration;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StrengthRequest {
    #[schema(format = Password)]
    pub password: String,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StrengthReport {
    /// zxcvbn-style score, 0 (guessable) to 4 (very strong).
    pub score: u8,
    /// Whether the password meets the whole policy (length, list, score, email, composition).
    pub acceptable: bool,
    pub feedback: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailRequest {
    pub email: String,
    pub captcha_token: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRequest {
    #[schema(format = Password)]
    pub current_password: String,
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub new_password: String,
}

pub async fn strength(deps: &Deps, req: &StrengthRequest) -> Result<StrengthReport, Error> {
    let email = req.email.as_deref().and_then(|e| Email::parse(e).ok());
    let policy = &deps.settings.password_policy;
    let report = policy.strength(&req.password, email.as_ref());
    let verdict = policy.check_field("password", &req.password, email.as_ref());
    let mut feedback = report.feedback;
    if let Err(errors) = &verdict {
        feedback.extend(
            errors
                .iter()
                .filter(|e| e.code != "too_weak")
                .map(|e| e.message.clone()),
        );
    }
    Ok(StrengthReport {
        score: report.score,
        acceptable: verdict.is_ok(),
        feedback,
    })
}

/// Always 202; a known address, verified or not, gets a reset link.
pub async fn forgot(deps: &Deps, caller: &Caller, req: EmailRequest) -> Result<Accepted, Error> {
    let Some(user) = lookup(deps, &req.email).await? else {
        return Ok(Accepted { message: ACCEPTED });
    };
    let token = issue_token(
        deps,
        &user,
        TokenPurpose::PasswordReset,
        deps.settings.reset_ttl,
    )
    .await?;
    let link = format!(
        "{}/reset-password?token={}",
        deps.settings.app_url,
        token.secret()
    );
    deps.mailer
        .send(&Mail::password_reset(
            user.email.clone(),
            &link,
            deps.settings.reset_ttl.whole_minutes(),
        ))
        .await?;
    audit::record(
        deps,
        caller,
        AuditType::PasswordResetRequested,
        Some(&user.id),
        Outcome::Success,
        &[],
    )
    .await?;
    Ok(Accepted { message: ACCEPTED })
}

/// Always 202; an account whose address is not yet confirmed gets a fresh verification link.
pub async fn resend_verification(deps: &Deps, req: EmailRequest) -> Result<Accepted, Error> {
    if let Some(user) = lookup(deps, &req.email)
        .await?
        .filter(|u| !u.email_verified)
    {
        let ttl = deps.settings.verification_ttl;
        let token = issue_token(deps, &user, TokenPurpose::EmailVerification, ttl).await?;
        let link = format!(
            "{}/v1/auth/verify-email?token={}",
            deps.settings.public_url,
            token.secret()
        );
        deps.mailer
            .send(&Mail::verification(user.email, &link, ttl.whole_hours()))
            .await?;
    }
    Ok(Accepted { message: ACCEPTED })
}

/// Sets a new password with a reset token: the token is spent in the same write, the address
/// becomes verified and every session ends. A refused password leaves the token usable.
pub async fn reset(deps: &Deps, caller: &Caller, req: ResetRequest) -> Result<(), Error> {
    let now = deps.clock.now();
    let hash = TokenHash::of_presented(&req.token).ok_or(Error::InvalidOneTimeToken)?;
    let record = deps
        .users
        .token(&hash)
        .await?
        .filter(|t| t.is_live(TokenPurpose::PasswordReset, now))
        .ok_or(Error::InvalidOneTimeToken)?;
    let user = deps
        .users
        .user_by_id(&record.user_id)
        .await?
        .ok_or(Error::InvalidOneTimeToken)?;
    let password = acceptable_new_password(deps, &user, &req.new_password).await?;
    let mut next = user.clone();
    next.set_password(
        deps.hasher.hash(&password).await?,
        deps.settings.password_history,
        now,
        None,
    );
    next.email_verified = true;
    next.version = user.version + 1;
    if !deps
        .users
        .save_user(&next, user.version, Some(&hash))
        .await?
    {
        return Err(Error::InvalidOneTimeToken);
    }
    guard::lift_automatic_lock(deps, &next.email).await?;
    announce_new_password(deps, caller, &next, AuditType::PasswordReset).await
}

/// Changes the caller's password; the caller's session survives, every other one ends.
pub async fn change(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: ChangeRequest,
) -> Result<(), Error> {
    let user = &auth.user;
    if !deps
        .hasher
        .verify(&req.current_password, Some(&user.password_hash))
        .await?
    {
        let meta = [("reason", "wrong_current_password")];
        audit::record(
            deps,
            caller,
            AuditType::PasswordChanged,
            Some(&user.id),
            Outcome::Failure,
            &meta,
        )
        .await?;
        return Err(Error::InvalidCredentials);
    }
    let password = acceptable_new_password(deps, user, &req.new_password).await?;
    let mut next = user.clone();
    next.set_password(
        deps.hasher.hash(&password).await?,
        deps.settings.password_history,
        deps.clock.now(),
        Some(auth.session.id.clone()),
    );
    next.version = user.version + 1;
    if !deps.users.save_user(&next, user.version, None).await? {
        return Err(Error::Conflict);
    }
    announce_new_password(deps, caller, &next, AuditType::PasswordChanged).await
}

/// Tells the owner their password changed, and audits it as `kind`.
async fn announce_new_password(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    kind: AuditType,
) -> Result<(), Error> {
    deps.mailer
        .send(&Mail::password_changed(user.email.clone()))
        .await?;
    audit::record(deps, caller, kind, Some(&user.id), Outcome::Success, &[]).await
}

/// Stores a new one-time token for `user` and returns it (its secret goes into a mailed link).
async fn issue_token(
    deps: &Deps,
    user: &User,
    purpose: TokenPurpose,
    ttl: Duration,
) -> Result<OneTimeToken, Error> {
    let token = OneTimeToken::generate();
    let record = OneTimeTokenRecord {
        hash: token.hash.clone(),
        purpose,
        user_id: user.id.clone(),
        expires_at: deps.clock.now() + ttl,
    };
    deps.users.put_token(&record).await?;
    Ok(token)
}

async fn lookup(deps: &Deps, raw_email: &str) -> Result<Option<User>, Error> {
    match Email::parse(raw_email) {
        Ok(email) => super::accounts::by_email(deps, &email).await,
        Err(_) => Ok(None),
    }
}

/// The policy, then the history: the current password and the previous ones, checked together.
async fn acceptable_new_password(deps: &Deps, user: &User, raw: &str) -> Result<Password, Error> {
    let password = deps
        .settings
        .password_policy
        .check_field("newPassword", raw, Some(&user.email))
        .map_err(Error::WeakPassword)?;
    let recent = std::iter::once(&user.password_hash)
        .chain(&user.password_history)
        .take(deps.settings.password_history);
    let mut checks = tokio::task::JoinSet::new();
    for old in recent {
        let (hasher, candidate) = (deps.hasher.clone(), raw.to_owned());
        let old = old.clone();
        checks.spawn(async move { hasher.verify(&candidate, Some(&old)).await });
    }
    while let Some(reused) = checks.join_next().await {
        if reused.map_err(|e| Error::internal(format!("history check: {e}")))?? {
            let message = format!(
                "Choose a password other than your last {}.",
                deps.settings.password_history
            );
            return Err(Error::PasswordReused(vec![FieldError::new(
                "newPassword",
                "password_reused",
                message,
            )]));
        }
    }
    Ok(password)
}
