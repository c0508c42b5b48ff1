//! Reading accounts as the rules see them: a never-verified account past its time is absent.

use super::Deps;
use crate::Error;
use crate::domain::{Email, User};

/// The live account holding `email`, if any.
pub async fn by_email(deps: &Deps, email: &Email) -> Result<Option<User>, Error> {
    Ok(live(deps, deps.users.user_by_email(email).await?))
}

/// `user`, unless it is a never-verified account past its time.
pub fn live(deps: &Deps, user: Option<User>) -> Option<User> {
    let now = deps.clock.now();
    user.filter(|u| !u.is_abandoned(now, deps.settings.unverified_ttl))
}
