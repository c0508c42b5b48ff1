//! The guards in front of credential checks: per-address and per-user rate limits, failed-
//! login counting and locks (adaptive CAPTCHA is `captcha`). Counters are keyed by the
//! normalized email whether or not an account exists, and a lock costs the same work either
//! way, so none of this tells a stranger anything.

use super::{Caller, Deps, audit, mail};
use crate::Error;
use crate::domain::{AuditType, Email, Lock, LockKind, Mail, Outcome, Session, User, UserId};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// A limit a route declares in the route table; `serve` counts it per client address before
/// anything else runs (so malformed requests count too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    Register,
    Login,
    ForgotPassword,
    ResetPassword,
    ResendVerification,
    PasswordStrength,
    ChangePassword,
    /// 2fa/verify and recovery-login.
    SecondFactor,
    /// The bearer 2FA routes that check a password or code.
    SecondFactorSettings,
}

impl RateLimit {
    /// Whether the routes under this limit record an audit event on nearly every request:
    /// `serve` reads an audit head beside their counter, so the event costs no step.
    pub fn audits(self) -> bool {
        matches!(
            self,
            Self::Register
                | Self::Login
                | Self::ResetPassword
                | Self::ChangePassword
                | Self::SecondFactor
        )
    }

    /// The counter's name, its limit under `limits` (0 = off) and its window.
    fn rule(self, limits: &super::Limits) -> (&'static str, u64, Duration) {
        let minute = Duration::minutes(1);
        let hour = Duration::hours(1);
        match self {
            Self::Register => ("register", limits.register_per_min, minute),
            Self::Login => ("login", limits.login_per_min, minute),
            Self::ForgotPassword => ("forgot-password", limits.forgot_per_hour, hour),
            Self::ResetPassword => ("reset-password", limits.reset_per_hour, hour),
            Self::ResendVerification => ("resend-verification", limits.resend_per_hour, hour),
            Self::PasswordStrength => ("password-strength", limits.strength_per_min, minute),
            Self::ChangePassword => (
                "change-password",
                limits.change_password_per_15_min,
                Duration::minutes(15),
            ),
            Self::SecondFactor => ("2fa", limits.mfa_per_min, minute),
            Self::SecondFactorSettings => (
                "2fa-settings",
                limits.mfa_settings_per_15_min,
                Duration::minutes(15),
            ),
        }
    }

    /// The variable that sets this limit.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Register => "LATCH_RATE_REGISTER_PER_MIN",
            Self::Login => "LATCH_RATE_LOGIN_PER_MIN",
            Self::ForgotPassword => "LATCH_RATE_FORGOT_PER_HOUR",
            Self::ResetPassword => "LATCH_RATE_RESET_PER_HOUR",
            Self::ResendVerification => "LATCH_RATE_RESEND_PER_HOUR",
            Self::PasswordStrength => "LATCH_RATE_STRENGTH_PER_MIN",
            Self::ChangePassword => "LATCH_RATE_CHANGE_PASSWORD_PER_15MIN",
            Self::SecondFactor => "LATCH_RATE_2FA_PER_MIN",
            Self::SecondFactorSettings => "LATCH_RATE_2FA_SETTINGS_PER_15MIN",
        }
    }
}

/// Counts one request under `limit` from the caller's address; over it in the window is 429.
pub async fn rate_limit(deps: &Deps, caller: &Caller, limit: RateLimit) -> Result<(), Error> {
    count_under(deps, limit, &caller.client.rate_key()).await
}

/// Counts one request under `limit` for `user`, wherever it comes from (a route that checks a
/// password with a bearer token is limited per account as well as per address).
pub async fn rate_limit_user(deps: &Deps, user: &UserId, limit: RateLimit) -> Result<(), Error> {
    count_under(deps, limit, &format!("user:{user}")).await
}

async fn count_under(deps: &Deps, limit: RateLimit, who: &str) -> Result<(), Error> {
    let (action, limit, window) = limit.rule(&deps.settings.limits);
    if limit == 0 {
        return Ok(());
    }
    let now = deps.clock.now();
    let key = format!("rl:{action}:{who}");
    let count = deps.counters.hit(&key, window, now).await?;
    if count > limit {
        return Err(Error::RateLimited {
            retry_after_secs: until_window_end(window, now),
        });
    }
    Ok(())
}

fn until_window_end(window: Duration, now: OffsetDateTime) -> u64 {
    let secs = window.whole_seconds().max(1);
    let left = secs - now.unix_timestamp().rem_euclid(secs);
    u64::try_from(left).unwrap_or(1).max(1)
}

/// The key failed logins are counted under for an email as typed: the normalized address when
/// it parses, else a hash of what was typed (bounded whatever its length: no oversized keys).
pub fn email_key(raw: &str) -> String {
    match Email::parse(raw) {
        Ok(email) => format!("fail:email:{email}"),
        Err(_) => {
            let digest = Sha256::digest(raw.trim().to_lowercase().as_bytes());
            format!("fail:email:#{}", crate::crypto::hex(&digest))
        }
    }
}

pub(super) fn ip_key(caller: &Caller) -> String {
    format!("fail:ip:{}", caller.client.rate_key())
}

/// The recent sessions of the account `id` (for `refusing` and `notify_new_sign_in`); a login
/// reads them beside the account itself, by an id nobody holds when there is no account.
pub async fn recent_sessions(deps: &Deps, id: &UserId) -> Result<Vec<Session>, Error> {
    let page = deps
        .sessions
        .sessions_of(id, None, super::sessions::RECENT)
        .await?;
    Ok(page.items)
}

/// Whether `lock` refuses this caller: an expired lock refuses nobody, an admin's lock refuses
/// everyone, an automatic one spares clients that held a valid session of the account recently
/// (`recent`: read for every login, account or not, so a 423 says nothing).
pub fn refusing(
    deps: &Deps,
    caller: &Caller,
    lock: Lock,
    user: Option<&User>,
    recent: &[Session],
) -> Option<Lock> {
    if !lock.is_active(deps.clock.now()) {
        return None;
    }
    let known = known_client(deps, caller, user, recent);
    let spared = lock.kind == LockKind::Automatic && known;
    (!spared).then_some(lock)
}

/// Whether the caller (User-Agent and network prefix) held a still-valid session of `user`
/// recently, among its `recent` sessions.
fn known_client(deps: &Deps, caller: &Caller, user: Option<&User>, recent: &[Session]) -> bool {
    let since = deps.clock.now() - deps.settings.lockout.known_client_for;
    let (ua, prefix) = (caller.client.user_agent_hash(), caller.client.ip_prefix());
    user.is_some_and(|user| {
        valid_sessions(user, recent).any(|s| s.last_used_at >= since && s.held_by(&ua, &prefix))
    })
}

/// The sessions that still count as the owner's: not revoked (logout, binding mismatch, token
/// reuse) and not voided by a reset, a password change or logout-all.
fn valid_sessions<'a>(
    user: &'a User,
    sessions: &'a [Session],
) -> impl Iterator<Item = &'a Session> + 'a {
    sessions
        .iter()
        .filter(move |s| s.revoked_at.is_none() && user.allows(s))
}

/// Counts a failed password for the email and the address; the failure that reaches the
/// threshold locks the email, is audited, and mails the owner (an unknown email rehearses that
/// mail). A known and an unknown email do the same store and mail work (the notice is never
/// rationed), so with the outbox or the mail queue neither the answer nor its time tells them
/// apart, even with the queue down (with `LATCH_MAIL=ses` a rehearsal makes no call).
pub async fn record_failure(
    deps: &Deps,
    caller: &Caller,
    raw_email: &str,
    user: Option<&User>,
) -> Result<(), Error> {
    let rules = &deps.settings.lockout;
    let now = deps.clock.now();
    let (email_counter, ip_counter) = (email_key(raw_email), ip_key(caller));
    let (by_email, _) = tokio::try_join!(
        deps.counters.hit(&email_counter, rules.window, now),
        deps.counters.hit(&ip_counter, rules.window, now)
    )?;
    if by_email != rules.threshold {
        return Ok(());
    }
    let Ok(email) = Email::parse(raw_email) else {
        return Ok(());
    };
    let lock = Lock {
        until: now + rules.duration,
        kind: LockKind::Automatic,
        reason: None,
    };
    deps.locks.lock(&email, &lock).await?;
    let minutes = rules.duration.whole_minutes();
    // Audited before the mail, so a lock stands in the trail even when its notice fails.
    audit::record(
        deps,
        caller,
        AuditType::AccountLocked,
        user.map(|u| &u.id),
        Outcome::Success,
        &[("kind", "automatic"), ("minutes", &minutes.to_string())],
    )
    .await?;
    // An unknown address rehearses the notice: the same work, and a mailer that is down fails
    // this request for both alike (a security notice that cannot go out fails the request).
    match user {
        Some(user) => mail::send(deps, caller, &Mail::lockout(user.email.clone(), minutes)).await,
        None => mail::rehearse(deps, caller, &Mail::lockout(email, minutes)).await,
    }
}

/// After a successful password: the email's failure count starts again.
pub async fn clear_failures(deps: &Deps, email: &Email) -> Result<(), Error> {
    deps.counters
        .clear(
            &email_key(email.as_str()),
            deps.settings.lockout.window,
            deps.clock.now(),
        )
        .await
}

/// A password reset lifts an automatic lock (never an admin's) and clears the failure count.
pub async fn lift_automatic_lock(deps: &Deps, email: &Email) -> Result<(), Error> {
    if let Some(lock) = deps
        .locks
        .lock_of(email)
        .await?
        .filter(|l| l.kind == LockKind::Automatic)
    {
        deps.locks.clear_lock(email, &lock).await?;
    }
    clear_failures(deps, email).await
}

/// Mails "new sign-in" unless the caller's User-Agent and prefix hold a valid session of `user`
/// among `sessions` (its `recent_sessions`) already (the first sign-in of an account is not news; a revoked or voided session is no
/// proof). Called before the login's session exists, so a failed send leaves no session behind
/// that would make this client known.
pub async fn notify_new_sign_in(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    sessions: &[Session],
) -> Result<(), Error> {
    let (ua, prefix) = (caller.client.user_agent_hash(), caller.client.ip_prefix());
    if sessions.is_empty() || valid_sessions(user, sessions).any(|s| s.held_by(&ua, &prefix)) {
        return Ok(());
    }
    let display = caller.client.user_agent_display();
    let notice = Mail::new_sign_in(user.email.clone(), &display, &prefix);
    mail::send(deps, caller, &notice).await
}
