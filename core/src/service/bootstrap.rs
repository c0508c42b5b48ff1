//! The first administrator: made when `latch-local` starts from `LATCH_ADMIN_EMAIL` and
//! `LATCH_ADMIN_PASSWORD`, so the role-gated routes can be called before any admin route exists.
//! Idempotent. An existing verified account gains the role only with its own password; an
//! unverified one (perhaps a stranger's registration of the address) takes the seed password.

use super::{Caller, Deps, audit, passwords};
use crate::Error;
use crate::domain::{
    AuditType, ClientInfo, Email, OneTimeToken, OneTimeTokenRecord, Outcome, Role, TokenPurpose,
    User,
};
use crate::ports::{AdminChange, CreateUser, SaveRoles};

/// Why the administrator could not be made, in one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("LATCH_ADMIN_EMAIL: {0}")]
    Email(String),
    #[error("LATCH_ADMIN_PASSWORD: {0}")]
    Password(String),
    #[error("making the first administrator: {0}")]
    Store(#[from] Error),
}

/// The existing account made the administrator, or `None` when it already is one.
///
/// A verified account is granted ADMIN only if the seed password is its password: otherwise an
/// address someone else holds would be handed the role. An unverified one was never proven to
/// belong to anyone (a stranger may have registered the address first), so it takes the seed
/// password, which voids every session and link of the old one, and is verified.
async fn promoted(deps: &Deps, user: &User, password: &str) -> Result<Option<User>, SeedError> {
    let mut next = user.clone();
    if user.email_verified && user.roles.contains(&Role::Admin) {
        // Already the administrator (whose password may have changed since): nothing to do.
        return Ok(None);
    }
    if user.email_verified {
        if !deps
            .hasher
            .verify(password, Some(&user.password_hash))
            .await?
        {
            return Err(SeedError::Password(
                "an account with this address exists and has another password; sign in with it, or choose another address".into(),
            ));
        }
    } else {
        let policy = &deps.settings.password_policy;
        let checked = policy.check(password, &user.email).map_err(refused)?;
        let hash = deps.hasher.hash(&checked).await?;
        let keep = deps.settings.password_history;
        next.set_password(hash, keep, deps.clock.now(), None);
        next.email_verified = true;
    }
    if !next.roles.contains(&Role::Admin) {
        next.roles.push(Role::Admin);
    }
    next.next_write();
    Ok(Some(next))
}

/// What granting ADMIN to `user` (as it was read) does to the count of administrators.
fn change_of(user: &User) -> AdminChange {
    if user.roles.contains(&Role::Admin) {
        AdminChange::Unchanged
    } else {
        AdminChange::Granted
    }
}

fn refused(problems: Vec<crate::domain::FieldError>) -> SeedError {
    let why: Vec<String> = problems.into_iter().map(|p| p.message).collect();
    SeedError::Password(format!(
        "not accepted by the password policy: {}",
        why.join(" ")
    ))
}

/// Makes sure an account `email` exists, verified, holding `ADMIN`, with the seed password
/// (an existing verified account must already have it).
pub async fn ensure_admin(deps: &Deps, email: &str, password: &str) -> Result<(), SeedError> {
    let email = Email::parse(email).map_err(|e| SeedError::Email(e.message))?;
    let caller = local_caller("bootstrap", "latch-local");
    for _ in 0..3 {
        if let Some(user) = deps.users.user_by_email(&email).await? {
            let Some(next) = promoted(deps, &user, password).await? else {
                return Ok(());
            };
            if deps
                .users
                .save_roles(&next, user.version, change_of(&user))
                .await?
                == SaveRoles::Saved
            {
                let meta = [("granted", "ADMIN"), ("by", "LATCH_ADMIN_EMAIL")];
                let (kind, uid) = (AuditType::RoleChanged, Some(&user.id));
                audit::record(deps, &caller, kind, uid, Outcome::Success, &meta).await?;
                return Ok(());
            }
            continue;
        }
        let policy = &deps.settings.password_policy;
        let password = policy.check(password, &email).map_err(|problems| {
            let why: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            SeedError::Password(format!(
                "not accepted by the password policy: {}",
                why.join(" ")
            ))
        })?;
        let mut user = new_admin(deps, &email, deps.hasher.hash(&password).await?);
        user.email_verified = true;
        if create(deps, &user).await? {
            let meta = [("role", "ADMIN"), ("by", "LATCH_ADMIN_EMAIL")];
            let (kind, uid) = (AuditType::UserRegistered, Some(&user.id));
            audit::record(deps, &caller, kind, uid, Outcome::Success, &meta).await?;
            return Ok(());
        }
    }
    Err(SeedError::Store(Error::Conflict))
}

/// The hash of a password nobody knows: the owner sets theirs through the mailed link.
async fn unknown_password(
    deps: &Deps,
    email: &Email,
) -> Result<crate::domain::PasswordHash, SeedError> {
    let unknown = crate::crypto::hex(&crate::crypto::random::bytes32());
    let unknown = deps
        .settings
        .password_policy
        .check(&unknown, email)
        .map_err(refused)?;
    Ok(deps.hasher.hash(&unknown).await?)
}

/// A new account holding ADMIN with the password of `hash`, not yet stored.
fn new_admin(deps: &Deps, email: &Email, hash: crate::domain::PasswordHash) -> User {
    let mut user = User::register(email.clone(), hash, deps.clock.now());
    user.roles = vec![Role::User, Role::Admin];
    user
}

/// Stores a new account: `false` when its address is taken meanwhile.
async fn create(deps: &Deps, user: &User) -> Result<bool, Error> {
    // The store writes a verification token with every new account; this one is never sent.
    let unused = OneTimeTokenRecord::issue(
        OneTimeToken::generate().hash,
        TokenPurpose::EmailVerification,
        (user.id.clone(), user.credential_epoch),
        deps.clock.now(),
        time::Duration::seconds(1),
    );
    Ok(deps.users.create_user(user, &unused).await? == CreateUser::Created)
}

fn local_caller(request_id: &str, agent: &str) -> Caller {
    Caller::new(
        request_id.to_owned(),
        ClientInfo {
            ip: std::net::IpAddr::from([127, 0, 0, 1]),
            user_agent: agent.to_owned(),
        },
    )
}

/// What `seed_admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Seeded {
    /// A new account holding ADMIN, waiting for its owner to set a password.
    Created,
    /// An existing account was granted ADMIN.
    Promoted,
    /// The account held ADMIN already.
    Unchanged,
}

/// The report of one `seed-admin` run: no password, token or link in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedReport {
    pub outcome: Seeded,
    /// Whether a link that sets the password (and confirms the address) was mailed.
    pub mailed: bool,
}

/// The first administrator on AWS (the one-shot `seed-admin` function), idempotent, with no
/// password travelling anywhere: the account `email` is made (or granted) ADMIN, and while its
/// address is unconfirmed its owner is mailed a link that sets the password and confirms it.
/// Only the owner of the address can use the role: a stranger who registered it first loses
/// their password to that link.
pub async fn seed_admin(deps: &Deps, run_id: &str, email: &str) -> Result<SeedReport, SeedError> {
    let email = Email::parse(email).map_err(|e| SeedError::Email(e.message))?;
    let caller = local_caller(run_id, "seed-admin");
    let meta = [("role", "ADMIN"), ("by", "seed-admin")];
    for _ in 0..3 {
        if let Some(mut user) = deps.users.user_by_email(&email).await? {
            let mut outcome = Seeded::Unchanged;
            if !user.roles.contains(&Role::Admin) {
                let mut next = user.clone();
                next.roles.push(Role::Admin);
                if !user.email_verified {
                    // Whoever registered the address may know this password and hold its
                    // verification link: a new password nobody knows voids both (and every
                    // session and link of the old one); the owner sets theirs by the mailed link.
                    let keep = deps.settings.password_history;
                    let hash = unknown_password(deps, &email).await?;
                    next.set_password(hash, keep, deps.clock.now(), None);
                }
                next.next_write();
                let change = AdminChange::Granted;
                if deps.users.save_roles(&next, user.version, change).await? != SaveRoles::Saved {
                    continue;
                }
                let (kind, uid) = (AuditType::RoleChanged, Some(&user.id));
                audit::record_by(deps, &caller, None, kind, uid, Outcome::Success, &meta).await?;
                outcome = Seeded::Promoted;
                // The link mailed below is issued against the password as it now stands.
                user = next;
            }
            if user.email_verified {
                return Ok(SeedReport {
                    outcome,
                    mailed: false,
                });
            }
            passwords::send_confirmation(deps, &caller, &user).await?;
            return Ok(SeedReport {
                outcome,
                mailed: true,
            });
        }
        let user = new_admin(deps, &email, unknown_password(deps, &email).await?);
        if create(deps, &user).await? {
            let (kind, uid) = (AuditType::UserRegistered, Some(&user.id));
            audit::record_by(deps, &caller, None, kind, uid, Outcome::Success, &meta).await?;
            passwords::send_confirmation(deps, &caller, &user).await?;
            return Ok(SeedReport {
                outcome: Seeded::Created,
                mailed: true,
            });
        }
    }
    Err(SeedError::Store(Error::Conflict))
}
