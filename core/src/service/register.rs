//! POST /v1/auth/register: answers alike for new and known emails; only the mail differs.

use super::captcha::{self, CaptchaAction};
use super::{Caller, Deps, audit, mail};
use crate::Error;
use crate::domain::{
    AuditType, Email, Mail, OneTimeToken, OneTimeTokenRecord, Outcome, TokenPurpose, User,
};
use crate::ports::CreateUser;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com", max_length = 254)]
    pub email: String,
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub password: String,
    /// Cloudflare Turnstile token, when the server asks for one.
    pub captcha_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub message: &'static str,
}

pub const ACCEPTED: &str = "If this address can be registered, a message is on its way to it. Follow the link in it to continue.";

pub async fn register(
    deps: &Deps,
    caller: &Caller,
    req: RegisterRequest,
) -> Result<Accepted, Error> {
    let token = req.captcha_token.as_deref();
    captcha::required(deps, caller, &req.email, token, CaptchaAction::Register).await?;
    let email = Email::parse(&req.email);
    let password = match &email {
        Ok(email) => deps
            .settings
            .password_policy
            .check(&req.password, email)
            .map_err(Some),
        Err(_) => Err(None),
    };
    let (email, password) = match (email, password) {
        (Ok(email), Ok(password)) => (email, password),
        (Err(email_error), _) => return Err(Error::Validation(vec![email_error])),
        (Ok(_), Err(errors)) => return Err(Error::WeakPassword(errors.unwrap_or_default())),
    };
    // Hash before looking at the store, so a known email costs the same time as a new one.
    let hash = deps.hasher.hash(&password).await?;
    let now = deps.clock.now();
    let user = User::register(email.clone(), hash, now);
    let token = OneTimeToken::generate();
    let record = OneTimeTokenRecord::issue(
        token.hash.clone(),
        TokenPurpose::EmailVerification,
        (user.id.clone(), user.credential_epoch),
        now,
        deps.settings.verification_ttl,
    );
    // The account is written with its `user.registered` event, in one transaction.
    let (users, user_ref, record_ref) = (&deps.users, &user, &record);
    let event = (
        AuditType::UserRegistered,
        Some(&user.id),
        Outcome::Success,
        &[][..],
    );
    let create = || {
        audit::record_in(deps, caller, event, |linked| async move {
            users
                .create_user_audited(user_ref, record_ref, Some(linked.append()))
                .await
        })
    };
    let mut outcome = create().await?.unwrap_or_else(|refused| refused);
    if let CreateUser::EmailTaken(existing) = &outcome {
        // An abandoned (never verified, past its time) account gives its address back.
        let stale = deps
            .users
            .user_by_id(existing)
            .await?
            .filter(|u| u.is_abandoned(now, deps.settings.unverified_ttl));
        if let Some(stale) = stale
            && deps.users.delete_unverified(&stale).await?
        {
            outcome = create().await?.unwrap_or_else(|refused| refused);
        }
    }
    match outcome {
        CreateUser::Created => {
            let link = format!(
                "{}/v1/auth/verify-email?token={}",
                deps.settings.public_url,
                token.secret()
            );
            let hours = deps.settings.verification_ttl.whole_hours();
            mail::send(deps, caller, &Mail::verification(email, &link, hours)).await?;
        }
        CreateUser::EmailTaken(existing) => {
            let hint = format!(" at {}", deps.settings.app_url);
            let notice = Mail::registration_attempt(email, &hint);
            let reason = [("reason", "email_taken")];
            let (kind, uid) = (AuditType::UserRegistered, Some(&existing));
            // One step, as the new account's mail is.
            tokio::try_join!(
                mail::send(deps, caller, &notice),
                audit::record(deps, caller, kind, uid, Outcome::Failure, &reason)
            )?;
        }
    }
    Ok(Accepted { message: ACCEPTED })
}
