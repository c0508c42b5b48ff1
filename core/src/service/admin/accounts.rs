//! What an administrator does to one account: roles, lock and unlock, the second factor, the
//! verification mail, plan and limits. Each is audited with the administrator as `actorId`.

use super::super::authn::Authenticated;
use super::super::billing::{self, LimitsRequest, LimitsView, PlanRequest, PlanView};
use super::super::{Caller, Deps, after_commit, audit, guard, mfa, passwords};
use super::users::{UserDetail, view};
use crate::Error;
use crate::domain::lock::indefinitely;
use crate::domain::{AuditType, FieldError, Lock, LockKind, Outcome, Role, User};
use crate::ports::{AdminChange, SaveRoles};
use serde::Deserialize;
use time::OffsetDateTime;

/// How often a write that lost a race re-reads the account and tries again.
const ATTEMPTS: usize = 3;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolesRequest {
    /// The whole new set; USER is everyone's and is kept whether listed or not.
    #[schema(example = json!(["USER", "SUPPORT"]))]
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockRequest {
    /// Why, for the audit trail and other administrators (1 to 500 characters).
    #[schema(example = "Reported as compromised")]
    pub reason: String,
    /// When the lock ends (RFC 3339, in the future); without it, until an administrator unlocks.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

/// The acting administrator.
struct Admin<'a> {
    deps: &'a Deps,
    caller: &'a Caller,
    auth: &'a Authenticated,
}

impl Admin<'_> {
    async fn audit(&self, kind: AuditType, user: &User, meta: &[(&str, &str)]) {
        let (by, uid) = (Some(&self.auth.user.id), Some(&user.id));
        let event = audit::record_by(
            self.deps,
            self.caller,
            by,
            kind,
            uid,
            Outcome::Success,
            meta,
        );
        after_commit(self.deps, self.caller, "admin audit", event).await;
    }
}

fn invalid(field: &str, code: &str, message: &str) -> Error {
    Error::Validation(vec![FieldError::new(field, code, message)])
}

/// The role set a request names: known roles only (422), USER always, each once, in order.
fn parse_roles(req: &RolesRequest) -> Result<Vec<Role>, Error> {
    let mut roles = vec![Role::User];
    for raw in &req.roles {
        let role = Role::parse(raw).ok_or_else(|| {
            invalid(
                "roles",
                "unknown_role",
                "Use USER, SUPPORT, BILLING_ADMIN or ADMIN.",
            )
        })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    roles.sort();
    Ok(roles)
}

/// POST /v1/admin/users/{id}/roles: replaces the set. Demoting the last ADMIN, or oneself, is
/// 409 and changes nothing.
pub async fn set_roles(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
    req: RolesRequest,
) -> Result<UserDetail, Error> {
    let roles = parse_roles(&req)?;
    let admin = Admin { deps, caller, auth };
    let mut user = target;
    for _ in 0..ATTEMPTS {
        let was = user.roles.contains(&Role::Admin);
        let will = roles.contains(&Role::Admin);
        if was && !will && user.id == auth.user.id {
            return Err(Error::Conflict);
        }
        let mut current = user.roles.clone();
        current.sort();
        if current == roles {
            return view(deps, &user).await;
        }
        let change = match (was, will) {
            (false, true) => AdminChange::Granted,
            (true, false) => AdminChange::Revoked,
            _ => AdminChange::Unchanged,
        };
        let mut next = user.clone();
        next.roles = roles.clone();
        next.next_write();
        match deps.users.save_roles(&next, user.version, change).await? {
            SaveRoles::Saved => {
                let names = |r: &[Role]| r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
                let (from, to) = (names(&user.roles), names(&roles));
                let meta = [("from", from.as_str()), ("to", to.as_str())];
                admin.audit(AuditType::RoleChanged, &next, &meta).await;
                return view(deps, &next).await;
            }
            SaveRoles::LastAdmin => return Err(Error::Conflict),
            SaveRoles::Stale => {
                user = deps
                    .users
                    .user_by_id(&user.id)
                    .await?
                    .ok_or(Error::NotFound)?;
            }
        }
    }
    Err(Error::Conflict)
}

/// The `until` a lock request names: a future RFC 3339 time, or indefinitely.
fn lock_until(req: &LockRequest, now: OffsetDateTime) -> Result<OffsetDateTime, Error> {
    let Some(raw) = &req.until else {
        return Ok(indefinitely());
    };
    let format = &time::format_description::well_known::Rfc3339;
    let until = OffsetDateTime::parse(raw, format)
        .map_err(|_| invalid("until", "invalid_time", "Use an RFC 3339 time."))?;
    if until <= now {
        return Err(invalid(
            "until",
            "in_the_past",
            "Give a time in the future.",
        ));
    }
    Ok(until.min(indefinitely()))
}

/// POST /v1/admin/users/{id}/lock: an administrator's lock refuses every client, and every
/// session (and login in flight) of the account ends with it. Locking oneself is 409.
pub async fn lock(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
    req: LockRequest,
) -> Result<UserDetail, Error> {
    let now = deps.clock.now();
    let until = lock_until(&req, now)?;
    if !crate::domain::text::printable(&req.reason, 500) {
        return Err(invalid(
            "reason",
            "invalid_reason",
            "Give 1 to 500 visible characters.",
        ));
    }
    if target.id == auth.user.id {
        return Err(Error::Conflict);
    }
    let lock = Lock {
        until,
        kind: LockKind::Admin,
        reason: Some(req.reason.clone()),
    };
    deps.locks.lock(&target.email, &lock).await?;
    // A new credential epoch voids every session, and a login that read the account before the
    // lock cannot create one after it (sessions are created only at the stored epoch).
    let mut user = target;
    let mut ended = false;
    for _ in 0..ATTEMPTS {
        let mut next = user.clone();
        next.credential_epoch += 1;
        next.sessions_not_before = Some(now);
        next.session_kept = None;
        next.next_write();
        if deps.users.save_user(&next, user.version, None).await? {
            user = next;
            ended = true;
            break;
        }
        user = deps
            .users
            .user_by_id(&user.id)
            .await?
            .ok_or(Error::NotFound)?;
    }
    if !ended {
        return Err(Error::Conflict);
    }
    let until = lock.until.unix_timestamp().to_string();
    let meta = [
        ("reason", req.reason.as_str()),
        ("untilEpoch", until.as_str()),
    ];
    Admin { deps, caller, auth }
        .audit(AuditType::AdminUserLocked, &user, &meta)
        .await;
    view(deps, &user).await
}

/// POST /v1/admin/users/{id}/unlock: lifts any lock (the administrator's or an automatic one)
/// and forgets the failed passwords that led to it.
pub async fn unlock(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
) -> Result<UserDetail, Error> {
    if let Some(lock) = deps.locks.lock_of(&target.email).await? {
        deps.locks.clear_lock(&target.email, &lock).await?;
    }
    guard::clear_failures(deps, &target.email).await?;
    Admin { deps, caller, auth }
        .audit(AuditType::AdminUserUnlocked, &target, &[])
        .await;
    view(deps, &target).await
}

/// POST /v1/admin/users/{id}/reset-2fa
pub async fn reset_mfa(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
) -> Result<UserDetail, Error> {
    mfa::enroll::reset_by_admin(deps, caller, &target.id, &auth.user.id).await?;
    let user = deps
        .users
        .user_by_id(&target.id)
        .await?
        .ok_or(Error::NotFound)?;
    view(deps, &user).await
}

/// POST /v1/admin/users/{id}/resend-verification: a confirmed account is 409.
pub async fn resend_verification(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
) -> Result<(), Error> {
    if target.email_verified {
        return Err(Error::Conflict);
    }
    passwords::send_confirmation(deps, caller, &target).await?;
    Admin { deps, caller, auth }
        .audit(AuditType::AdminVerificationResent, &target, &[])
        .await;
    Ok(())
}

/// POST /v1/admin/users/{id}/plan
pub async fn set_plan(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
    req: PlanRequest,
) -> Result<PlanView, Error> {
    let plan = billing::parse_plan(&req)?;
    billing::change_plan(deps, caller, &target, plan, Some(&auth.user.id)).await
}

/// POST /v1/admin/users/{id}/limits
pub async fn set_limits(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    target: User,
    req: LimitsRequest,
) -> Result<LimitsView, Error> {
    billing::change_limits(deps, caller, &target, req, Some(&auth.user.id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn role_sets_keep_user_drop_repeats_and_refuse_unknown_names() {
        let req = |r: &[&str]| RolesRequest {
            roles: r.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(parse_roles(&req(&[])).unwrap(), vec![Role::User]);
        assert_eq!(
            parse_roles(&req(&["ADMIN", "SUPPORT", "ADMIN"])).unwrap(),
            vec![Role::User, Role::Support, Role::Admin]
        );
        for bad in ["admin", "ROOT", ""] {
            assert!(
                matches!(parse_roles(&req(&[bad])), Err(Error::Validation(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn locks_end_in_the_future_or_never() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let req = |until: Option<&str>| LockRequest {
            reason: "r".into(),
            until: until.map(str::to_owned),
        };
        assert_eq!(lock_until(&req(None), now).unwrap(), indefinitely());
        let later = (now + Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(
            lock_until(&req(Some(&later)), now).unwrap(),
            now + Duration::hours(1)
        );
        let past = (now - Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert!(lock_until(&req(Some(&past)), now).is_err());
        assert!(lock_until(&req(Some("tomorrow")), now).is_err());
    }
}
