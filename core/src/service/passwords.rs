//! Password routes: strength, forgot, reset, change, and resend-verification (its sibling for
//! addresses not yet confirmed).

use super::authn::Authenticated;
use super::captcha::{self, CaptchaAction};
use super::guard::{self, RateLimit};
use super::register::{ACCEPTED, Accepted};
use super::{Caller, Deps, accounts, audit, mail, sessions};
use crate::Error;
use crate::domain::{
    AuditType, Email, FieldError, Mail, OneTimeToken, OneTimeTokenRecord, Outcome, Password,
    TokenHash, TokenPurpose, User, UserId,
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

/// Always 202; a known address, verified or not, gets a reset link. An unknown one costs the
/// same store work (a decoy token nobody holds, the mail quota's count, the audit put).
pub async fn forgot(deps: &Deps, caller: &Caller, req: EmailRequest) -> Result<Accepted, Error> {
    let action = CaptchaAction::ForgotPassword;
    captcha::required(
        deps,
        caller,
        &req.email,
        req.captcha_token.as_deref(),
        action,
    )
    .await?;
    let Ok(email) = Email::parse(&req.email) else {
        return Ok(Accepted { message: ACCEPTED });
    };
    let user = accounts::by_email(deps, &email).await?;
    let ttl = deps.settings.reset_ttl;
    let link = reset_link(deps, user.as_ref()).await?;
    let mail = Mail::password_reset(email, &link, ttl.whole_minutes());
    let (id, outcome, meta) = match &user {
        Some(user) => {
            mail::send(deps, caller, &mail).await?;
            (Some(&user.id), Outcome::Success, &[][..])
        }
        None => {
            mail::rehearse(deps, caller, &mail).await?;
            (None, Outcome::Failure, &[("reason", "unknown_email")][..])
        }
    };
    audit::record(
        deps,
        caller,
        AuditType::PasswordResetRequested,
        id,
        outcome,
        meta,
    )
    .await?;
    Ok(Accepted { message: ACCEPTED })
}

/// Always 202; an account whose address is not yet confirmed gets a link that confirms it by
/// setting the password (a reset token), so whoever registered an address they do not own
/// loses the account to its owner. Any other address costs the same store work.
pub async fn resend_verification(
    deps: &Deps,
    caller: &Caller,
    req: EmailRequest,
) -> Result<Accepted, Error> {
    let Ok(email) = Email::parse(&req.email) else {
        return Ok(Accepted { message: ACCEPTED });
    };
    let user = accounts::by_email(deps, &email)
        .await?
        .filter(|u| !u.email_verified);
    let ttl = deps.settings.reset_ttl;
    let link = reset_link(deps, user.as_ref()).await?;
    let mail = Mail::confirm_and_set_password(email, &link, ttl.whole_minutes());
    match user {
        Some(_) => mail::send(deps, caller, &mail).await?,
        None => mail::rehearse(deps, caller, &mail).await?,
    }
    Ok(Accepted { message: ACCEPTED })
}

/// Mails an account not yet confirmed a link that confirms it by setting its password (an
/// administrator's resend-verification).
pub async fn send_confirmation(deps: &Deps, caller: &Caller, user: &User) -> Result<(), Error> {
    let ttl = deps.settings.reset_ttl;
    let link = reset_link(deps, Some(user)).await?;
    let mail = Mail::confirm_and_set_password(user.email.clone(), &link, ttl.whole_minutes());
    mail::send(deps, caller, &mail).await
}

/// Sets a new password with a reset token: the token is spent in the same write, the address
/// becomes verified and every session ends. A refused password leaves the token usable; a
/// token issued against an older password than the current one is refused.
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
        .filter(|u| record.matches_password_of(u))
        .ok_or(Error::InvalidOneTimeToken)?;
    let password = acceptable_new_password(deps, &user, &req.new_password).await?;
    let mut next = user.clone();
    let hash_of_new = deps.hasher.hash(&password).await?;
    // The cut-off is taken once the new hash exists, so no login of the old password that
    // finished during the work passes it (the epoch voids such a session anyway).
    let cut = deps.clock.now();
    next.set_password(hash_of_new, deps.settings.password_history, cut, None);
    next.email_verified = true;
    next.next_write();
    // The version check makes the epoch check atomic: the epoch only moves with the version.
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

/// Changes the caller's password; the caller's session survives, every other one ends. Limited
/// per user as well as per address; a wrong current password counts toward the account's
/// lockout, and the session's own failure that reaches the lockout threshold ends it.
pub async fn change(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: ChangeRequest,
) -> Result<(), Error> {
    let user = &auth.user;
    guard::rate_limit_user(deps, &user.id, RateLimit::ChangePassword).await?;
    if !deps
        .hasher
        .verify(&req.current_password, Some(&user.password_hash))
        .await?
    {
        return Err(wrong_password(deps, caller, auth, AuditType::PasswordChanged).await);
    }
    let password = acceptable_new_password(deps, user, &req.new_password).await?;
    let mut next = user.clone();
    let keep = Some(auth.session.id.clone());
    let hash_of_new = deps.hasher.hash(&password).await?;
    let now = deps.clock.now();
    next.set_password(hash_of_new, deps.settings.password_history, now, keep);
    next.next_write();
    if !deps.users.save_user(&next, user.version, None).await? {
        return Err(Error::Conflict);
    }
    guard::clear_failures(deps, &user.email).await?;
    announce_new_password(deps, caller, &next, AuditType::PasswordChanged).await
}

/// A bearer route was given a wrong password (change-password, the 2FA settings): counted
/// like a failed login, audited as a failed `kind`, and counted against the session, which ends
/// at the lockout threshold. The answer is 401 `invalid_credentials` (or the store's failure).
pub async fn wrong_password(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    kind: AuditType,
) -> Error {
    let user = &auth.user;
    let counted = async {
        guard::record_failure(deps, caller, user.email.as_str(), Some(user)).await?;
        let meta = [("reason", "wrong_current_password")];
        audit::record(deps, caller, kind, Some(&user.id), Outcome::Failure, &meta).await?;
        // The session's own failures over its whole life decide its end: not the email's
        // count (strangers push it with failed logins), nor a window one could wait out.
        let sid = &auth.session.id;
        let failures = deps.sessions.count_password_failure(sid).await?;
        if failures >= deps.settings.lockout.threshold {
            let meta = [("reason", "password_guessing")];
            sessions::end_session(deps, caller, auth, sid, AuditType::SessionRevoked, &meta)
                .await?;
        }
        Ok::<(), Error>(())
    };
    match counted.await {
        Ok(()) => Error::InvalidCredentials,
        Err(err) => err,
    }
}

/// Tells the owner their password changed, and audits it as `kind`.
async fn announce_new_password(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    kind: AuditType,
) -> Result<(), Error> {
    mail::send(deps, caller, &Mail::password_changed(user.email.clone())).await?;
    audit::record(deps, caller, kind, Some(&user.id), Outcome::Success, &[]).await
}

/// Stores a reset token for `user` (a decoy when there is none) and returns the link that
/// carries it, to `{LATCH_APP_URL}/reset-password`.
async fn reset_link(deps: &Deps, user: Option<&User>) -> Result<String, Error> {
    let ttl = deps.settings.reset_ttl;
    let token = issue_token(deps, user, TokenPurpose::PasswordReset, ttl).await?;
    let base = &deps.settings.app_url;
    Ok(format!("{base}/reset-password?token={}", token.secret()))
}

/// Stores a new one-time token for `user`, at its credential epoch, and returns it (its secret
/// goes into a mailed link). With no user it stores a decoy for an id nobody holds, so an
/// unknown address costs the same write; its secret is dropped unseen.
async fn issue_token(
    deps: &Deps,
    user: Option<&User>,
    purpose: TokenPurpose,
    ttl: Duration,
) -> Result<OneTimeToken, Error> {
    let token = OneTimeToken::generate();
    let now = deps.clock.now();
    let (id, epoch) = user.map_or_else(
        || (UserId::new(now), 0),
        |u| (u.id.clone(), u.credential_epoch),
    );
    let record = OneTimeTokenRecord::issue(token.hash.clone(), purpose, (id, epoch), now, ttl);
    deps.users.put_token(&record).await?;
    Ok(token)
}

/// The policy, then the history: the current password and the previous ones, checked together.
/// A never-verified account has no history worth keeping: its password is whoever registered's
/// unproven choice, and its owner may set it again through the set-your-password link.
async fn acceptable_new_password(deps: &Deps, user: &User, raw: &str) -> Result<Password, Error> {
    let password = deps
        .settings
        .password_policy
        .check_field("newPassword", raw, Some(&user.email))
        .map_err(Error::WeakPassword)?;
    if !user.email_verified {
        return Ok(password);
    }
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
