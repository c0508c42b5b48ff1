//! The second step of a login: a correct password on an account with MFA on gets a short-lived
//! `mfaToken` instead of tokens; `2fa/verify` (a code) or `recovery-login` (a recovery code)
//! with it starts the session. The token is single use, bound to the login's client and to the
//! password it followed, and stored only as a hash.

use super::{Accepted, Proof, admit_counted, count_attempt, forget_attempts, judge};
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
    let (record, ()) = tokio::try_join!(
        live_token(deps, caller, &hash),
        audit::prefetch(deps, caller)
    )?;
    let (user, recent) = tokio::try_join!(
        deps.users.user_by_id(&record.user_id),
        guard::recent_sessions(deps, &record.user_id)
    )?;
    let user = still_pending(&record, user)?;
    // A lock placed since the password step (an administrator's, or failed passwords from
    // elsewhere) holds here too. It is read in the same step as the attempt is counted; only
    // the count is made before the lock is known (it expires with its window), while what a
    // count past the limit does (the MFA lock, its mail) waits until the account lock is ruled
    // out, and the account lock answers first.
    let counted = async {
        if user.mfa.locks > 0 {
            captcha::demanded(deps, caller, captcha_token, CaptchaAction::SecondFactor).await?;
        }
        count_attempt(deps, &user).await
    };
    let (lock, counted) = tokio::join!(deps.locks.lock_of(&user.email), counted);
    if let Some(lock) = lock?
        && let Some(lock) = guard::refusing(deps, caller, lock, Some(&user), &recent)
    {
        return Err(Error::AccountLocked {
            retry_after_secs: lock.retry_after(deps.clock.now()),
        });
    }
    let attempt = admit_counted(deps, caller, &user, counted?).await?;
    let spent = spend(deps, caller, &hash, user, proof, attempt, &recent).await?;
    let (user, accepted) = spent;
    // The token and the code are spent: what follows must not lose the sign-in they paid for.
    // The attempts are forgotten in the step the factor's event is appended in; the session
    // (with its `login.succeeded` event) follows the factor's event in the chain.
    let forget = after_commit(
        deps,
        caller,
        "forget mfa attempts",
        forget_attempts(deps, &user),
    );
    let uid = Some(&user.id);
    let signed_in = async {
        if accepted.used_recovery_code() {
            let left = user.mfa.recovery_codes.len();
            let notice = Mail::recovery_code_used(user.email.clone(), left);
            let sent = mail::send(deps, caller, &notice);
            let left = left.to_string();
            let meta = [("left", left.as_str())];
            let kind = AuditType::RecoveryCodeUsed;
            let event = audit::record(deps, caller, kind, uid, Outcome::Success, &meta);
            tokio::join!(
                after_commit(deps, caller, "recovery code notice", sent),
                after_commit(deps, caller, "recovery code audit", event)
            );
        } else {
            let kind = AuditType::MfaSucceeded;
            let event = audit::record(deps, caller, kind, uid, Outcome::Success, &[]);
            after_commit(deps, caller, "mfa audit", event).await;
        }
        tokens::start_session(deps, caller, &user).await
    };
    let ((), started) = tokio::join!(forget, signed_in);
    let Some(pair) = started? else {
        let meta = [("reason", "password_changed")];
        let kind = AuditType::LoginFailed;
        audit::record(deps, caller, kind, uid, Outcome::Failure, &meta).await?;
        return Err(Error::InvalidToken);
    };
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
    recent: &[crate::domain::Session],
) -> Result<(User, Accepted), Error> {
    let mut notified = false;
    for _ in 0..3 {
        if let Some(retry_after_secs) = user.mfa.locked_for(deps.clock.now()) {
            return Err(Error::MfaLocked { retry_after_secs });
        }
        let accepted = judge(deps, caller, &user, proof, attempt).await?;
        if !notified {
            guard::notify_new_sign_in(deps, caller, &user, recent).await?;
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
    let record = live_token(deps, caller, hash).await?;
    let user = deps.users.user_by_id(&record.user_id).await?;
    still_pending(&record, user)
}

/// The live MFA token of this client with this hash; 401 `invalid_token` otherwise.
async fn live_token(
    deps: &Deps,
    caller: &Caller,
    hash: &TokenHash,
) -> Result<OneTimeTokenRecord, Error> {
    let now = deps.clock.now();
    deps.users
        .token(hash)
        .await?
        .filter(|t| t.is_live(TokenPurpose::MfaLogin, now) && t.admits(&caller.client))
        .ok_or(Error::InvalidToken)
}

/// The account `record` names, if still at the password the token followed with MFA on.
fn still_pending(record: &OneTimeTokenRecord, user: Option<User>) -> Result<User, Error> {
    user.filter(|u| record.matches_password_of(u) && u.mfa_enabled && u.email_verified)
        .ok_or(Error::InvalidToken)
}
