//! Reading accounts as the rules see them: a never-verified account past its time is absent.

use super::Deps;
use crate::Error;
use crate::domain::{Email, User};

/// The live account holding `email`, if any.
pub async fn by_email(deps: &Deps, email: &Email) -> Result<Option<User>, Error> {
    let now = deps.clock.now();
    Ok(deps
        .users
        .user_by_email(email)
        .await?
        .filter(|u| !u.is_abandoned(now, deps.settings.unverified_ttl)))
}
