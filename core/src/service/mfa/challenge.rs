//! The second step of a login: a correct password on an account with MFA on gets a short-lived
//! `mfaToken` instead of tokens; `2fa/verify` (a code) or `recovery-login` (a recovery code)
//! with it starts the session. The token is single use, bound to the login's client and to the
//! password it followed, and stored only as a hash.

use super::{Accepted, Proof, admit, forget_attempts, judge};
use crate::Error;
use crate::domain::{
    AuditType, Mail, OneTimeToken, OneTimeTokenRecord, Outcome, TokenHash, TokenPurpose, User,
};
use crate::service::captcha::{self, CaptchaAction};
use crate::service::tokens::{self, TokenPair};
use crate::service::{Caller, Deps, after_commit, audit, guard, mail};
use serde::{Deserialize, Serialize};

/// The answer to a correct password when MFA is on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MfaChallenge {
    #[schema(example = true)]
    pub mfa_required: bool,
    /// Single use, for `2fa/verify` or `recovery-login` from this client.
    pub mfa_token: String,
    /// Seconds the token stays valid.
    #[schema(example = 300)]
    pub expires_in: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyRequest {
    pub mfa_token: String,
    /// The six digits the authenticator app shows.
    #[schema(example = "123456")]
    pub code: String,
    /// Cloudflare Turnstile token: required after an MFA lock, when CAPTCHA is on.
    pub captcha_token: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryLoginRequest {
    pub mfa_token: String,
    /// One of the recovery codes (case, spaces and dashes do not matter).
    #[schema(example = "abcd-efgh-ijkm-npqr")]
    pub recovery_code: String,
    /// Cloudflare Turnstile token: required after an MFA lock, when CAPTCHA is on.
    pub captcha_token: Option<String>,
}

/// Issues the `mfaToken` of a login whose password was right, bound to the caller's client.
pub async fn challenge(deps: &Deps, caller: &Caller, user: &User) -> Result<MfaChallenge, Error> {
    let ttl = deps.settings.mfa.token_ttl;
    let token = OneTimeToken::generate();
    let owner = (user.id.clone(), user.credential_epoch);
    let purpose = TokenPurpose::MfaLogin;
    let record =
        OneTimeTokenRecord::issue(token.hash.clone(), purpose, owner, deps.clock.now(), ttl)
            .bound_to(&caller.client);
    deps.users.put_token(&record).await?;
    Ok(MfaChallenge {
        mfa_required: true,
        mfa_token: token.secret().to_owned(),
        expires_in: ttl.whole_seconds(),
    })
}

/// POST /v1/auth/2fa/verify
pub async fn verify(deps: &Deps, caller: &Caller, req: VerifyRequest) -> Result<TokenPair, Error> {
    let captcha = req.captcha_token.as_deref();
    complete(
        deps,
        caller,
        &req.mfa_token,
        Proof::Code(&req.code),
        captcha,
    )
    .await
}

/// POST /v1/auth/recovery-login
pub async fn recovery_login(
    deps: &Deps,
    caller: &Caller,
    req: RecoveryLoginRequest,
) -> Result<TokenPair, Error> {
    let proof = Proof::RecoveryCode(&req.recovery_code);
    complete(
        deps,
        caller,
        &req.mfa_token,
        proof,
        req.captcha_token.as_deref(),
    )
    .await
}

async fn complete(
    deps: &Deps,
    caller: &Caller,
    raw_token: &str,
    proof: Proof<'_>,
    captcha_token: Option<&str>,
) -> Result<TokenPair, Error> {
    let hash = TokenHash::of_presented(raw_token).ok_or(Error::InvalidToken)?;
    let user = pending_login(deps, caller, &hash).await?;
    // A lock placed since the password step (an administrator's, or failed passwords from
    // elsewhere) holds here too.
    if let Some(lock) = deps.locks.lock_of(&user.email).await?
        && let Some(lock) = guard::refusing(deps, caller, lock, Some(&user)).await?
    {
        return Err(Error::AccountLocked {
            retry_after_secs: lock.retry_after(deps.clock.now()),
        });
    }
    if user.mfa.locks > 0 {
        captcha::demanded(deps, caller, captcha_token, CaptchaAction::SecondFactor).await?;
    }
    let attempt = admit(deps, caller, &user).await?;
    let (user, accepted) = spend(deps, caller, &hash, user, proof, attempt).await?;
    // The token and the code are spent: what follows must not lose the sign-in they paid for.
    after_commit(
        deps,
        caller,
        "forget mfa attempts",
        forget_attempts(deps, &user),
    )
    .await;
    let uid = Some(&user.id);
    if accepted.used_recovery_code() {
        let left = user.mfa.recovery_codes.len();
        let notice = Mail::recovery_code_used(user.email.clone(), left);
        let sent = mail::send(deps, caller, &notice);
        after_commit(deps, caller, "recovery code notice", sent).await;
        let left = left.to_string();
        let meta = [("left", left.as_str())];
        let kind = AuditType::RecoveryCodeUsed;
        let event = audit::record(deps, caller, kind, uid, Outcome::Success, &meta);
        after_commit(deps, caller, "recovery code audit", event).await;
    } else {
        let kind = AuditType::MfaSucceeded;
        let event = audit::record(deps, caller, kind, uid, Outcome::Success, &[]);
        after_commit(deps, caller, "mfa audit", event).await;
    }
    let Some(pair) = tokens::start_session(deps, caller, &user).await? else {
        let meta = [("reason", "password_changed")];
        let kind = AuditType::LoginFailed;
        audit::record(deps, caller, kind, uid, Outcome::Failure, &meta).await?;
        return Err(Error::InvalidToken);
    };
    let kind = AuditType::LoginSucceeded;
    let event = audit::record(deps, caller, kind, uid, Outcome::Success, &[]);
    after_commit(deps, caller, "login audit", event).await;
    Ok(pair)
}

/// Checks `proof` and writes it down in the same write that spends the token. When another
/// request wrote the account first (the same code twice at once), reads again and judges anew:
/// the loser meets the spent token, the raised replay floor or a lock placed meanwhile.
///
/// The second factor held: only now is this a sign-in, worth a "new sign-in" notice. It goes
/// after the proof is judged and *before* the write spends the token and the code, so a notice
/// that cannot go out (503) costs the caller nothing: the same code or recovery code still
/// works on a retry, and no session exists that the owner was not told of.
async fn spend(
    deps: &Deps,
    caller: &Caller,
    hash: &TokenHash,
    mut user: User,
    proof: Proof<'_>,
    attempt: u64,
) -> Result<(User, Accepted), Error> {
    let mut notified = false;
    for _ in 0..3 {
        if let Some(retry_after_secs) = user.mfa.locked_for(deps.clock.now()) {
            return Err(Error::MfaLocked { retry_after_secs });
        }
        let accepted = judge(deps, caller, &user, proof, attempt).await?;
        if !notified {
            guard::notify_new_sign_in(deps, caller, &user).await?;
            notified = true;
        }
        let mut next = user.clone();
        accepted.apply(&mut next);
        if deps
            .users
            .save_user(&next, user.version, Some(hash))
            .await?
        {
            return Ok((next, accepted));
        }
        user = pending_login(deps, caller, hash).await?;
    }
    Err(Error::Conflict)
}

/// The account a live MFA token of this client names, still at the password the token followed
/// and with MFA still on; 401 `invalid_token` otherwise, whatever the reason.
async fn pending_login(deps: &Deps, caller: &Caller, hash: &TokenHash) -> Result<User, Error> {
    let now = deps.clock.now();
    let record = deps
        .users
        .token(hash)
        .await?
        .filter(|t| t.is_live(TokenPurpose::MfaLogin, now) && t.admits(&caller.client))
        .ok_or(Error::InvalidToken)?;
    let user = deps.users.user_by_id(&record.user_id).await?;
    user.filter(|u| record.matches_password_of(u) && u.mfa_enabled && u.email_verified)
        .ok_or(Error::InvalidToken)
}
