//! The guards in front of credential checks: per-address rate limits, adaptive CAPTCHA, failed-
//! login counting and locks. Counters are keyed by the normalized email whether or not an
//! account exists, so none of this tells a stranger anything.

use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Email, Lock, LockKind, Mail, Outcome, User};
use time::{Duration, OffsetDateTime};

/// A per-client-address limit a route declares in the route table; `serve` counts it before
/// anything else runs (so malformed requests count too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    Register,
    Login,
    ForgotPassword,
    ResetPassword,
    ResendVerification,
    PasswordStrength,
}

impl RateLimit {
    /// The counter's name, its limit under `limits` (0 = off) and its window.
    fn rule(self, limits: &super::Limits) -> (&'static str, u64, Duration) {
        match self {
            Self::Register => ("register", limits.register_per_min, Duration::minutes(1)),
            Self::Login => ("login", limits.login_per_min, Duration::minutes(1)),
            Self::ForgotPassword => (
                "forgot-password",
                limits.forgot_per_hour,
                Duration::hours(1),
            ),
            Self::ResetPassword => ("reset-password", limits.reset_per_hour, Duration::hours(1)),
            Self::ResendVerification => (
                "resend-verification",
                limits.resend_per_hour,
                Duration::hours(1),
            ),
            Self::PasswordStrength => (
                "password-strength",
                limits.strength_per_min,
                Duration::minutes(1),
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
        }
    }
}

/// Counts one request under `limit` from the caller's address; over it in the window is 429.
pub async fn rate_limit(deps: &Deps, caller: &Caller, limit: RateLimit) -> Result<(), Error> {
    let (action, limit, window) = limit.rule(&deps.settings.limits);
    if limit == 0 {
        return Ok(());
    }
    let now = deps.clock.now();
    let count = deps
        .counters
        .hit(
            &format!("rl:{action}:{}", caller.client.rate_key()),
            window,
            now,
        )
        .await?;
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

/// The key failed logins are counted under for an email as typed (normalized when it parses).
pub fn email_key(raw: &str) -> String {
    let normalized =
        Email::parse(raw).map_or_else(|_| raw.trim().to_lowercase(), |e| e.to_string());
    format!("fail:email:{normalized}")
}

fn ip_key(caller: &Caller) -> String {
    format!("fail:ip:{}", caller.client.rate_key())
}

/// When CAPTCHA is on and the email or the address has failed often enough, the caller must
/// bring a valid token: 400 `captcha_required` without one, `captcha_invalid` for a bad one.
/// A refusal here is not a failed login.
pub async fn captcha_if_required(
    deps: &Deps,
    caller: &Caller,
    raw_email: &str,
    token: Option<&str>,
) -> Result<(), Error> {
    let Some(captcha) = deps.captcha.as_ref().filter(|_| deps.settings.captcha) else {
        return Ok(());
    };
    let rules = &deps.settings.lockout;
    let now = deps.clock.now();
    let (email_counter, ip_counter) = (email_key(raw_email), ip_key(caller));
    let (by_email, by_ip) = tokio::try_join!(
        deps.counters.peek(&email_counter, rules.window, now),
        deps.counters.peek(&ip_counter, rules.window, now)
    )?;
    if by_email < rules.captcha_after && by_ip < rules.captcha_after {
        return Ok(());
    }
    let token = token
        .filter(|t| !t.is_empty() && t.len() <= 2048)
        .ok_or(Error::CaptchaRequired)?;
    if captcha.verify(token, caller.client.ip).await? {
        Ok(())
    } else {
        Err(Error::CaptchaInvalid)
    }
}

/// Whether `lock` refuses this caller: an expired lock refuses nobody, an admin's lock refuses
/// everyone, an automatic one spares clients that held a session of the account recently.
pub async fn refusing(
    deps: &Deps,
    caller: &Caller,
    lock: Lock,
    user: Option<&User>,
) -> Result<Option<Lock>, Error> {
    if !lock.is_active(deps.clock.now()) {
        return Ok(None);
    }
    let spared = match (lock.kind, user) {
        (LockKind::Automatic, Some(user)) => known_client(deps, caller, user).await?,
        _ => false,
    };
    Ok((!spared).then_some(lock))
}

/// Whether the caller (User-Agent and network prefix) held a session of `user` recently.
pub async fn known_client(deps: &Deps, caller: &Caller, user: &User) -> Result<bool, Error> {
    let since = deps.clock.now() - deps.settings.lockout.known_client_for;
    let (ua, prefix) = (caller.client.user_agent_hash(), caller.client.ip_prefix());
    let sessions = deps
        .sessions
        .sessions_of(&user.id, super::sessions::LIST_LIMIT)
        .await?;
    Ok(sessions
        .iter()
        .any(|s| s.last_used_at >= since && s.held_by(&ua, &prefix)))
}

/// Counts a failed password for the email and the address; the failure that reaches the
/// threshold locks the email, mails the owner (if any) and is audited.
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
    };
    deps.locks.lock(&email, &lock).await?;
    if let Some(user) = user {
        deps.mailer
            .send(&Mail::lockout(
                user.email.clone(),
                rules.duration.whole_minutes(),
            ))
            .await?;
    }
    let minutes = rules.duration.whole_minutes().to_string();
    audit::record(
        deps,
        caller,
        AuditType::AccountLocked,
        user.map(|u| &u.id),
        Outcome::Success,
        &[("kind", "automatic"), ("minutes", &minutes)],
    )
    .await
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

/// Mails "new sign-in" unless the caller's User-Agent and prefix held a session before (the
/// first sign-in of an account is not news).
pub async fn notify_new_sign_in(deps: &Deps, caller: &Caller, user: &User) -> Result<(), Error> {
    let sessions = deps
        .sessions
        .sessions_of(&user.id, super::sessions::LIST_LIMIT)
        .await?;
    let (ua, prefix) = (caller.client.user_agent_hash(), caller.client.ip_prefix());
    if sessions.is_empty() || sessions.iter().any(|s| s.held_by(&ua, &prefix)) {
        return Ok(());
    }
    let mail = Mail::new_sign_in(
        user.email.clone(),
        &caller.client.user_agent_display(),
        &prefix,
    );

    deps.mailer.send(&mail).await
}
