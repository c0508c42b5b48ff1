//! The administrators' use cases (`/v1/admin`). The route table admits the roles; here the one
//! finer rule is kept: an account acted on through SUPPORT alone must hold no role but USER.

pub mod accounts;
pub mod audit_logs;
pub mod users;

use super::authn::Authenticated;
use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Outcome, Role, User, UserId};

/// The account `{id}` names, if the caller may act on it under `route_roles` (the route's
/// roles): 404 when there is none (or the id is not one), 403 (audited) when the caller holds
/// none of those roles but SUPPORT and the account holds more than USER.
pub async fn target(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    route_roles: &[Role],
    id: Option<&str>,
) -> Result<User, Error> {
    let id = id.and_then(UserId::parse).ok_or(Error::NotFound)?;
    let user = deps.users.user_by_id(&id).await?.ok_or(Error::NotFound)?;
    if support_only(&auth.user, route_roles) && !plain(&user) {
        let meta = [("rule", "support_acts_on_plain_users")];
        let (kind, by) = (AuditType::AccessDenied, Some(&auth.user.id));
        audit::record_by(
            deps,
            caller,
            by,
            kind,
            Some(&user.id),
            Outcome::Failure,
            &meta,
        )
        .await?;
        return Err(Error::Forbidden);
    }
    Ok(user)
}

/// Whether the caller holds, of the roles a route admits, SUPPORT alone.
fn support_only(caller: &User, route_roles: &[Role]) -> bool {
    let acting: Vec<Role> = route_roles
        .iter()
        .copied()
        .filter(|r| *r != Role::User && caller.roles.contains(r))
        .collect();
    acting == [Role::Support]
}

/// Whether an account holds no role but USER.
fn plain(user: &User) -> bool {
    user.roles.iter().all(|r| *r == Role::User)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, PasswordHash};

    fn user(roles: &[Role]) -> User {
        let email = Email::parse("a@example.com").unwrap();
        let mut u = User::register(
            email,
            PasswordHash(String::new()),
            time::OffsetDateTime::UNIX_EPOCH,
        );
        u.roles = roles.to_vec();
        u
    }

    #[test]
    fn support_alone_is_held_to_plain_users_and_any_stronger_role_is_not() {
        let route = [Role::Admin, Role::Support];
        assert!(support_only(&user(&[Role::User, Role::Support]), &route));
        assert!(!support_only(
            &user(&[Role::User, Role::Support, Role::Admin]),
            &route
        ));
        // BILLING_ADMIN is no help on a route that does not admit it.
        assert!(support_only(
            &user(&[Role::Support, Role::BillingAdmin]),
            &route
        ));
        let billing_route = [Role::Admin, Role::BillingAdmin];
        assert!(!support_only(
            &user(&[Role::Support, Role::BillingAdmin]),
            &billing_route
        ));
        assert!(plain(&user(&[Role::User])));
        assert!(plain(&user(&[])));
        assert!(!plain(&user(&[Role::User, Role::Support])));
        assert!(!plain(&user(&[Role::BillingAdmin])));
    }
}
