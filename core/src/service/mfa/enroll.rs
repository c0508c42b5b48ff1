//! Turning MFA on (enable-init, then enable-complete with a first code), off, making a new set
//! of recovery codes, and the reset an administrator runs.

use super::{
    Accepted, Proof, admit, failed, forget_attempts, judge, open_secret, seal_secret, step_now,
};
use crate::Error;
use crate::crypto::totp;
use crate::domain::mfa::{PendingSecret, new_recovery_codes};
use crate::domain::{AuditType, Mail, Outcome, User, UserId};
use crate::service::authn::Authenticated;
use crate::service::guard::{self, RateLimit};
use crate::service::{Caller, Deps, after_commit, audit, mail, passwords, sessions};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnableInitRequest {
    /// The current password, again.
    #[schema(format = Password)]
    pub password: String,
}

/// A new TOTP secret for the caller's authenticator app; MFA is on only after enable-complete.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    /// 160 bits, base32 without padding.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    #[schema(
        example = "otpauth://totp/Latch:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Latch&algorithm=SHA1&digits=6&period=30"
    )]
    pub otpauth_url: String,
    /// The otpauth URL as a QR code, an SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeRequest {
    /// The six digits the authenticator app shows.
    #[schema(example = "123456")]
    pub code: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisableRequest {
    #[schema(format = Password)]
    pub password: String,
    #[schema(example = "123456")]
    pub code: String,
}

/// Recovery codes, shown this once: each signs in once in place of a code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodes {
    #[schema(example = json!(["abcd-efgh-ijkm-npqr"]))]
    pub recovery_codes: Vec<String>,
}

/// POST /v1/auth/2fa/enable-init: with the password, a new secret waiting for its first code.
pub async fn enable_init(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: EnableInitRequest,
) -> Result<Enrollment, Error> {
    let user = &auth.user;
    guard::rate_limit_user(deps, &user.id, RateLimit::SecondFactorSettings).await?;
    check_password(deps, caller, auth, &req.password).await?;
    if user.mfa_enabled {
        return Err(Error::Conflict);
    }
    let secret = totp::new_secret();
    let mut next = user.clone();
    next.mfa.pending = Some(PendingSecret {
        secret: seal_secret(deps, user, &secret)?,
        expires_at: deps.clock.now() + deps.settings.mfa.enroll_ttl,
    });
    next.next_write();
    save(deps, &next, user.version).await?;
    let base32 = totp::base32(&secret);
    let url = totp::otpauth_url(&deps.settings.mfa.issuer, user.email.as_str(), &base32);
    Ok(Enrollment {
        qr_svg: totp::qr_svg(&url)?,
        secret: base32,
        otpauth_url: url,
    })
}

/// POST /v1/auth/2fa/enable-complete: the first code of the pending secret turns MFA on.
pub async fn enable_complete(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: CodeRequest,
) -> Result<RecoveryCodes, Error> {
    let user = &auth.user;
    guard::rate_limit_user(deps, &user.id, RateLimit::SecondFactorSettings).await?;
    if user.mfa_enabled {
        return Err(Error::Conflict);
    }
    let now = deps.clock.now();
    let pending = user.mfa.pending.as_ref().filter(|p| p.expires_at > now);
    let mut step = None;
    let mut resealed = None;
    if let Some(pending) = pending {
        let (secret, renewed) = open_secret(deps, user, &pending.secret)?;
        step = step_now(deps, &secret, &req.code)?;
        resealed = Some(renewed.unwrap_or_else(|| pending.secret.clone()));
    }
    let (Some(step), Some(sealed)) = (step, resealed) else {
        let reason = if pending.is_some() {
            "wrong_enrollment_code"
        } else {
            "no_enrollment"
        };
        failed(deps, caller, user, &[("reason", reason)]).await?;
        return Err(Error::InvalidCode);
    };
    let (codes, hashes) = new_recovery_codes();
    let mut next = user.clone();
    next.mfa_enabled = true;
    next.mfa.secret = Some(sealed);
    next.mfa.pending = None;
    next.mfa.recovery_codes = hashes;
    next.mfa.last_step = next.mfa.last_step.max(step);
    next.next_write();
    save(deps, &next, user.version).await?;
    // MFA is on: the codes must reach the caller whatever follows.
    let notice = Mail::mfa_enabled(user.email.clone());
    after_commit(
        deps,
        caller,
        "mfa enabled notice",
        mail::send(deps, caller, &notice),
    )
    .await;
    let (kind, uid) = (AuditType::MfaEnabled, Some(&user.id));
    let event = audit::record(deps, caller, kind, uid, Outcome::Success, &[]);
    after_commit(deps, caller, "mfa enabled audit", event).await;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// POST /v1/auth/2fa/disable: the password and a current code turn MFA off.
pub async fn disable(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: DisableRequest,
) -> Result<(), Error> {
    let user = &auth.user;
    guard::rate_limit_user(deps, &user.id, RateLimit::SecondFactorSettings).await?;
    check_password(deps, caller, auth, &req.password).await?;
    if !user.mfa_enabled {
        return Err(Error::Conflict);
    }
    let accepted = code_in_session(deps, caller, auth, &req.code).await?;
    let mut next = user.clone();
    accepted.apply(&mut next);
    next.mfa_enabled = false;
    next.mfa.clear(deps.clock.now());
    // The owner's warning goes first: nothing is shown once here, so a notice that cannot go
    // out fails the call (503) with MFA still on, rather than MFA off unseen.
    mail::send(deps, caller, &Mail::mfa_disabled(user.email.clone(), false)).await?;
    save(deps, &next, user.version).await?;
    let forget = forget_attempts(deps, user);
    after_commit(deps, caller, "forget mfa attempts", forget).await;
    let (kind, uid) = (AuditType::MfaDisabled, Some(&user.id));
    let event = audit::record(deps, caller, kind, uid, Outcome::Success, &[]);
    after_commit(deps, caller, "mfa disabled audit", event).await;
    Ok(())
}

/// POST /v1/auth/2fa/recovery-codes: a current code buys a new set; the old one is void.
pub async fn regenerate(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: CodeRequest,
) -> Result<RecoveryCodes, Error> {
    let user = &auth.user;
    guard::rate_limit_user(deps, &user.id, RateLimit::SecondFactorSettings).await?;
    if !user.mfa_enabled {
        return Err(Error::Conflict);
    }
    let accepted = code_in_session(deps, caller, auth, &req.code).await?;
    let (codes, hashes) = new_recovery_codes();
    let mut next = user.clone();
    accepted.apply(&mut next);
    next.mfa.recovery_codes = hashes;
    save(deps, &next, user.version).await?;
    // The old set is void: the new one must reach the caller whatever follows.
    after_commit(
        deps,
        caller,
        "forget mfa attempts",
        forget_attempts(deps, user),
    )
    .await;
    let (kind, uid) = (AuditType::RecoveryCodesRegenerated, Some(&user.id));
    let event = audit::record(deps, caller, kind, uid, Outcome::Success, &[]);
    after_commit(deps, caller, "recovery codes audit", event).await;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// What an administrator's reset-2fa does: MFA off, recovery codes void, any MFA lock lifted,
/// the owner mailed, the reset audited. `NotFound` when there is no such account.
pub async fn reset_by_admin(
    deps: &Deps,
    caller: &Caller,
    id: &UserId,
    admin: &UserId,
) -> Result<(), Error> {
    let mut user = deps.users.user_by_id(id).await?.ok_or(Error::NotFound)?;
    // As on disable, the owner is told before MFA goes off: a notice that cannot go out fails
    // the reset rather than letting it pass unseen.
    let notice = Mail::mfa_disabled(user.email.clone(), true);
    mail::send(deps, caller, &notice).await?;
    for _ in 0..3 {
        let mut next = user.clone();
        next.mfa_enabled = false;
        next.mfa.clear(deps.clock.now());
        next.next_write();
        if deps.users.save_user(&next, user.version, None).await? {
            let (kind, uid, by) = (AuditType::AdminMfaReset, Some(&user.id), Some(admin));
            let event = audit::record_by(deps, caller, by, kind, uid, Outcome::Success, &[]);
            after_commit(deps, caller, "mfa reset audit", event).await;
            return Ok(());
        }
        user = deps.users.user_by_id(id).await?.ok_or(Error::NotFound)?;
    }
    Err(Error::Conflict)
}

/// A code a bearer route asks for, under the MFA lock. A wrong one also counts against the
/// session (with its wrong passwords), which ends at the lockout threshold: a stolen session
/// can push the owner's second factor into a lock once, not keep it locked.
async fn code_in_session(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    code: &str,
) -> Result<Accepted, Error> {
    let user = &auth.user;
    let attempt = admit(deps, caller, user).await?;
    match judge(deps, caller, user, Proof::Code(code), attempt).await {
        Err(Error::InvalidCode) => {
            let sid = &auth.session.id;
            let failures = deps.sessions.count_password_failure(sid).await?;
            if failures >= deps.settings.lockout.threshold {
                let meta = [("reason", "code_guessing")];
                let kind = AuditType::SessionRevoked;
                sessions::end_session(deps, caller, auth, sid, kind, &meta).await?;
            }
            Err(Error::InvalidCode)
        }
        other => other,
    }
}

/// The password a bearer 2FA route asks for again; a wrong one counts like change-password's.
async fn check_password(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    password: &str,
) -> Result<(), Error> {
    let hash = Some(&auth.user.password_hash);
    if deps.hasher.verify(password, hash).await? {
        return Ok(());
    }
    Err(passwords::wrong_password(deps, caller, auth, AuditType::MfaFailed).await)
}

/// Writes `next` over the account at `expected`; 409 when another request wrote it first.
async fn save(deps: &Deps, next: &User, expected: u64) -> Result<(), Error> {
    if deps.users.save_user(next, expected, None).await? {
        Ok(())
    } else {
        Err(Error::Conflict)
    }
}
