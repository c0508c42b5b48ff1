//! Two-factor authentication: enrolment and its settings (`enroll`), the second step of a login
//! (`challenge`), and here the rules both share: checking a code or recovery code under the MFA
//! lock, with replays refused.

pub mod challenge;
pub mod enroll;

use super::{Caller, Deps, after_commit, audit, mail};
use crate::Error;
use crate::crypto::{Sealed, totp};
use crate::domain::{AuditType, Mail, Outcome, User};

/// What a caller offers as the second factor.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    Code(&'a str),
    RecoveryCode(&'a str),
}

/// A proof that held, to be written down with the call's effect.
#[derive(Debug)]
pub struct Accepted {
    /// The TOTP step of the code: the replay floor from now on.
    step: Option<u64>,
    /// The recovery code spent.
    recovery_index: Option<usize>,
    /// The secret sealed again under the newest data key, when it was sealed under an older one.
    resealed: Option<Sealed>,
}

impl Accepted {
    /// Writes the proof into `next`: the step becomes the replay floor, a recovery code is
    /// spent, the lock's doubling starts over and a stale seal is renewed.
    pub fn apply(&self, next: &mut User) {
        if let Some(step) = self.step {
            next.mfa.last_step = next.mfa.last_step.max(step);
        }
        if let Some(i) = self.recovery_index
            && i < next.mfa.recovery_codes.len()
        {
            next.mfa.recovery_codes.remove(i);
        }
        if let Some(sealed) = &self.resealed {
            next.mfa.secret = Some(sealed.clone());
        }
        next.mfa.unlock();
        next.next_write();
    }

    pub fn used_recovery_code(&self) -> bool {
        self.recovery_index.is_some()
    }
}

/// The seal context of a user's TOTP secret: a secret copied to another account does not open.
fn context(user: &User) -> &[u8] {
    user.id.as_str().as_bytes()
}

/// Seals a TOTP secret for `user`.
pub fn seal_secret(deps: &Deps, user: &User, secret: &[u8]) -> Result<Sealed, Error> {
    deps.keys.ring()?.data_keys().seal(secret, context(user))
}

/// Opens `user`'s sealed TOTP secret, with its renewed seal when it was under an older key.
pub fn open_secret(
    deps: &Deps,
    user: &User,
    sealed: &Sealed,
) -> Result<(Vec<u8>, Option<Sealed>), Error> {
    let opened = deps.keys.ring()?.data_keys().open(sealed, context(user))?;
    let resealed = if opened.stale {
        Some(seal_secret(deps, user, &opened.plaintext)?)
    } else {
        None
    };
    Ok((opened.plaintext, resealed))
}

/// The step `code` is for `secret` now, if any.
pub fn step_now(deps: &Deps, secret: &[u8], code: &str) -> Result<Option<u64>, Error> {
    let now = u64::try_from(deps.clock.now().unix_timestamp()).unwrap_or(0);
    totp::matching_step(secret, code, now)
}

/// How long attempts at a code are remembered: far longer than any lock, so that spreading
/// guesses over days gains nothing (a fixed window of a day would let four a day through
/// unseen for ever). Each lock starts a fresh count and a success clears it. Windows are fixed
/// (the counters' rule), so a count does start over at each 90-day boundary: at most one
/// short burst of extra guesses a quarter, before the next lock.
const ATTEMPTS_WINDOW: time::Duration = time::Duration::days(90);

/// The counter of code attempts since the user's last lock (its end time names it, so each
/// lock starts a fresh count, and a success clears it).
fn attempts_key(user: &User) -> String {
    let since = user.mfa.locked_until.map_or(0, |t| t.unix_timestamp());
    format!("mfa:attempts:{}:{since}", user.id)
}

/// Lets one attempt at a code through the MFA lock and counts it *before* the code is checked,
/// so concurrent guesses past the limit are refused unchecked. Refused (423) while locked, or
/// when this attempt is past the limit (which then locks, if no lock is there yet). Returns the
/// attempt's number.
pub async fn admit(deps: &Deps, caller: &Caller, user: &User) -> Result<u64, Error> {
    let counted = count_attempt(deps, user).await?;
    admit_counted(deps, caller, user, counted).await
}

/// The counting half of `admit`, for a caller that counts in the same step as another read:
/// the attempt's number, `None` (nothing counted) while the MFA lock holds.
pub async fn count_attempt(deps: &Deps, user: &User) -> Result<Option<u64>, Error> {
    let now = deps.clock.now();
    if user.mfa.locked_for(now).is_some() {
        return Ok(None);
    }
    let key = attempts_key(user);
    deps.counters
        .hit(&key, ATTEMPTS_WINDOW, now)
        .await
        .map(Some)
}

/// The judging half of `admit`, given what `count_attempt` counted: refused (423, audited)
/// while the MFA lock holds, or when the attempt is past the limit (which then locks).
pub async fn admit_counted(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    counted: Option<u64>,
) -> Result<u64, Error> {
    let now = deps.clock.now();
    let rules = &deps.settings.mfa;
    if let Some(retry_after_secs) = user.mfa.locked_for(now) {
        failed(deps, caller, user, &[("reason", "locked")]).await?;
        return Err(Error::MfaLocked { retry_after_secs });
    }
    let attempt = match counted {
        Some(attempt) => attempt,
        // The lock ran out between the count and now: count it now.
        None => {
            let key = attempts_key(user);
            deps.counters.hit(&key, ATTEMPTS_WINDOW, now).await?
        }
    };
    if attempt > rules.lock_after {
        let locked = lock(deps, caller, user).await?;
        return Err(Error::MfaLocked {
            retry_after_secs: locked.mfa.locked_for(now).unwrap_or(1),
        });
    }
    Ok(attempt)
}

/// Checks `proof` for `user` (whose attempt `admit` counted as number `attempt`). A wrong code,
/// a replayed one (its step no newer than the last accepted: audited and mailed) or an unknown
/// recovery code is 401 `invalid_code`, audited; the one that reaches the limit locks.
pub async fn judge(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    proof: Proof<'_>,
    attempt: u64,
) -> Result<Accepted, Error> {
    let verdict = match proof {
        Proof::Code(code) => {
            let sealed = user.mfa.secret.as_ref().ok_or(Error::InvalidCode)?;
            let (secret, resealed) = open_secret(deps, user, sealed)?;
            match step_now(deps, &secret, code)? {
                Some(step) if step > user.mfa.last_step => Ok(Accepted {
                    step: Some(step),
                    recovery_index: None,
                    resealed,
                }),
                Some(_) => Err("replayed"),
                None => Err("wrong_code"),
            }
        }
        Proof::RecoveryCode(code) => match user.mfa.recovery_code_index(code) {
            Some(i) => Ok(Accepted {
                step: None,
                recovery_index: Some(i),
                resealed: None,
            }),
            None => Err("wrong_recovery_code"),
        },
    };
    let reason = match verdict {
        Ok(accepted) => return Ok(accepted),
        Err(reason) => reason,
    };
    failed(deps, caller, user, &[("reason", reason)]).await?;
    if reason == "replayed" {
        mail::send(deps, caller, &Mail::mfa_code_replayed(user.email.clone())).await?;
    }
    if attempt >= deps.settings.mfa.lock_after {
        lock(deps, caller, user).await?;
    }
    Err(Error::InvalidCode)
}

/// Audits a refused second factor of `user` (`mfa.failed`), `meta` saying why.
pub async fn failed(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    meta: &[(&str, &str)],
) -> Result<(), Error> {
    let (kind, uid) = (AuditType::MfaFailed, Some(&user.id));
    audit::record(deps, caller, kind, uid, Outcome::Failure, meta).await
}

/// After an accepted proof: the attempts since the last lock are forgotten.
pub async fn forget_attempts(deps: &Deps, user: &User) -> Result<(), Error> {
    deps.counters
        .clear(&attempts_key(user), ATTEMPTS_WINDOW, deps.clock.now())
        .await
}

/// Locks `seen`'s second factor for the next doubling of the lock, unless another request
/// locked it meanwhile; mails and audits the lock it writes. Returns the account as it stands.
async fn lock(deps: &Deps, caller: &Caller, seen: &User) -> Result<User, Error> {
    let rules = &deps.settings.mfa;
    let now = deps.clock.now();
    let mut current = seen.clone();
    for _ in 0..3 {
        if current.mfa.locked_until != seen.mfa.locked_until {
            return Ok(current);
        }
        let mut next = current.clone();
        next.mfa.lock(now, rules.lock, rules.lock_max);
        next.next_write();
        if deps.users.save_user(&next, current.version, None).await? {
            let minutes = next.mfa.locked_for(now).unwrap_or(0).div_ceil(60);
            let minutes = i64::try_from(minutes).unwrap_or(i64::MAX);
            let notice = Mail::mfa_locked(next.email.clone(), minutes);
            let sent = mail::send(deps, caller, &notice);
            after_commit(deps, caller, "mfa lock notice", sent).await;
            let shown = minutes.to_string();
            let meta = [("reason", "locked_now"), ("minutes", shown.as_str())];
            let event = failed(deps, caller, &next, &meta);
            after_commit(deps, caller, "mfa lock audit", event).await;
            return Ok(next);
        }
        match deps.users.user_by_id(&seen.id).await? {
            Some(user) => current = user,
            None => return Ok(current),
        }
    }
    Err(Error::Conflict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, PasswordHash};
    use time::OffsetDateTime;

    fn user() -> User {
        let email = Email::parse("ada@example.com").unwrap();
        User::register(
            email,
            PasswordHash(String::new()),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn an_accepted_code_raises_the_replay_floor_and_never_lowers_it() {
        let mut next = user();
        next.mfa.last_step = 100;
        next.mfa.locks = 3;
        let older = Accepted {
            step: Some(90),
            recovery_index: None,
            resealed: None,
        };
        older.apply(&mut next);
        assert_eq!(next.mfa.last_step, 100);
        assert_eq!(next.mfa.locks, 0, "a success starts the doubling over");
        let newer = Accepted {
            step: Some(101),
            ..older
        };
        let before = next.write_id.clone();
        newer.apply(&mut next);
        assert_eq!(next.mfa.last_step, 101);
        assert_ne!(next.write_id, before, "each write is this request's own");
    }

    #[test]
    fn a_recovery_code_is_spent_once() {
        let mut next = user();
        next.mfa.recovery_codes = vec!["a".into(), "b".into(), "c".into()];
        let spend = Accepted {
            step: None,
            recovery_index: Some(1),
            resealed: None,
        };
        assert!(spend.used_recovery_code());
        spend.apply(&mut next);
        assert_eq!(
            next.mfa.recovery_codes,
            vec!["a".to_owned(), "c".to_owned()]
        );
        let out_of_range = Accepted {
            recovery_index: Some(9),
            ..spend
        };
        out_of_range.apply(&mut next);
        assert_eq!(next.mfa.recovery_codes.len(), 2);
    }

    #[test]
    fn each_lock_starts_a_fresh_attempt_count() {
        let mut u = user();
        let never = attempts_key(&u);
        u.mfa.lock(
            OffsetDateTime::UNIX_EPOCH,
            time::Duration::minutes(5),
            time::Duration::hours(1),
        );
        let first = attempts_key(&u);
        assert_ne!(never, first);
        u.mfa.unlock();
        assert_eq!(
            attempts_key(&u),
            first,
            "a success keeps the count it cleared"
        );
    }
}
