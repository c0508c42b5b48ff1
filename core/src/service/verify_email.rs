//! GET /v1/auth/verify-email: spends the token and marks the address verified in one write.

use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Outcome, TokenHash};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Verified {
    pub verified: bool,
}

pub async fn verify_email(
    deps: &Deps,
    caller: &Caller,
    token: Option<&str>,
) -> Result<Verified, Error> {
    let hash = token
        .and_then(TokenHash::of_presented)
        .ok_or(Error::InvalidOneTimeToken)?;
    let user = deps
        .users
        .redeem_email_verification(&hash, deps.clock.now())
        .await?
        .ok_or(Error::InvalidOneTimeToken)?;
    audit::record(
        deps,
        caller,
        AuditType::EmailVerified,
        Some(&user),
        Outcome::Success,
        &[],
    )
    .await?;
    Ok(Verified { verified: true })
}
