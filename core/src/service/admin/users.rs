//! GET /v1/admin/users and /v1/admin/users/{id}: the account list (filters, orders, pages) and
//! one account in full.

use super::super::authn::Authenticated;
use super::super::paging;
use super::super::{Caller, Deps};
use crate::Error;
use crate::domain::{FieldError, Lock, LockKind, Plan, Role, User};
use crate::ports::{UserFilter, UserOrder};
use serde::Serialize;
use time::OffsetDateTime;

/// How many store pages one list request reads at most while a status filter passes over
/// accounts; a page may then come short with a cursor to go on.
const STORE_READS: usize = 10;

/// An account's state as the list filters it: `locked` (an active lock), else `unverified`,
/// else `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Locked,
    Unverified,
}

impl Status {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Status::Active),
            "locked" => Some(Status::Locked),
            "unverified" => Some(Status::Unverified),
            _ => None,
        }
    }

    fn of(user: &User, lock: Option<&Lock>, now: OffsetDateTime) -> Self {
        if lock.is_some_and(|l| l.is_active(now)) {
            Status::Locked
        } else if !user.email_verified {
            Status::Unverified
        } else {
            Status::Active
        }
    }
}

/// One account in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    #[schema(example = "01JD8X3V6Q9E4ZK2M7T5R1W0YB")]
    pub id: String,
    #[schema(example = "ada@example.com")]
    pub email: String,
    pub email_verified: bool,
    pub roles: Vec<Role>,
    pub plan: Plan,
    pub status: Status,
    pub mfa_enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A lock as an administrator sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LockView {
    /// `automatic` (failed passwords) or `admin`.
    #[schema(example = "admin")]
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub until: OffsetDateTime,
    pub reason: Option<String>,
}

/// The second factor's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MfaView {
    pub enabled: bool,
    pub recovery_codes_left: usize,
    /// Set while wrong codes keep the second factor locked.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub locked_until: Option<OffsetDateTime>,
}

/// One account in full.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    #[serde(flatten)]
    pub summary: UserSummary,
    /// The active lock, if any.
    pub lock: Option<LockView>,
    pub mfa: MfaView,
    /// Sessions still active.
    pub sessions: usize,
}

crate::listed!(
    /// A page of accounts.
    UserList of UserSummary
);

/// The list's query: `email` (prefix), `status`, `role`, `sort`, `limit`, `cursor`.
#[derive(Debug, Default)]
pub struct ListQuery<'a> {
    pub email: Option<&'a str>,
    pub status: Option<&'a str>,
    pub role: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

fn invalid(field: &str, code: &str, message: &str) -> FieldError {
    FieldError::new(field, code, message)
}

pub async fn list(deps: &Deps, q: ListQuery<'_>) -> Result<UserList, Error> {
    let mut problems = Vec::new();
    let order = match q.sort.unwrap_or("createdAt") {
        "createdAt" => UserOrder::Created,
        "-createdAt" => UserOrder::CreatedDesc,
        "email" => UserOrder::Email,
        _ => {
            problems.push(invalid(
                "sort",
                "unknown_sort",
                "Use createdAt, -createdAt or email.",
            ));
            UserOrder::Created
        }
    };
    let status = q.status.map(Status::parse);
    if status == Some(None) {
        problems.push(invalid(
            "status",
            "unknown_status",
            "Use active, locked or unverified.",
        ));
    }
    let role = q.role.map(Role::parse);
    if role == Some(None) {
        let message = "Use USER, SUPPORT, BILLING_ADMIN or ADMIN.";
        problems.push(invalid("role", "unknown_role", message));
    }
    // Addresses are stored trimmed and lower-cased; a prefix is matched the same way.
    let prefix = q.email.map(|e| e.trim().to_lowercase());
    if prefix
        .as_ref()
        .is_some_and(|p| p.is_empty() || p.chars().count() > 254)
    {
        problems.push(invalid(
            "email",
            "invalid_prefix",
            "Give 1 to 254 characters.",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let status = status.flatten();
    let filter = UserFilter {
        email_prefix: prefix.clone(),
        role: role.flatten(),
        verified: match status {
            Some(Status::Active) => Some(true),
            Some(Status::Unverified) => Some(false),
            _ => None,
        },
    };
    let scope = paging::scope(
        "admin-users",
        &[
            ("email", prefix.as_deref()),
            ("status", q.status),
            ("role", q.role),
            ("sort", q.sort),
        ],
    );
    let page = paging::request(&deps.keys, &scope, q.limit, q.cursor, paging::MAX_LIMIT)?;
    let now = deps.clock.now();
    let mut items = Vec::new();
    let mut after = page.after;
    for _ in 0..STORE_READS {
        let want = page.limit - items.len();
        let read = deps
            .users
            .list_users(order, &filter, after.as_deref(), want)
            .await?;
        let locks = locks_of(deps, &read.items).await?;
        for (user, lock) in read.items.iter().zip(&locks) {
            let state = Status::of(user, lock.as_ref(), now);
            if status.is_none_or(|s| s == state) {
                items.push(summary(user, state));
            }
        }
        after = read.next;
        if after.is_none() || items.len() == page.limit {
            break;
        }
    }
    Ok(UserList {
        items,
        next_cursor: paging::seal(&deps.keys, &scope, after)?,
    })
}

/// The locks of `users`, read together.
async fn locks_of(deps: &Deps, users: &[User]) -> Result<Vec<Option<Lock>>, Error> {
    let reads = users.iter().map(|u| deps.locks.lock_of(&u.email));
    futures_util::future::try_join_all(reads).await
}

fn summary(user: &User, status: Status) -> UserSummary {
    UserSummary {
        id: user.id.to_string(),
        email: user.email.to_string(),
        email_verified: user.email_verified,
        roles: user.roles.clone(),
        plan: user.plan,
        status,
        mfa_enabled: user.mfa_enabled,
        created_at: user.created_at,
    }
}

/// How many sessions `detail` counts at most (a count past it reads as this many).
const SESSIONS_COUNTED: usize = 1_000;

/// GET /v1/admin/users/{id}
pub async fn detail(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    route_roles: &[Role],
    id: Option<&str>,
) -> Result<UserDetail, Error> {
    let user = super::target(deps, caller, auth, route_roles, id).await?;
    view(deps, &user).await
}

/// The full view of `user` as it stands.
pub async fn view(deps: &Deps, user: &User) -> Result<UserDetail, Error> {
    let now = deps.clock.now();
    let lock = deps
        .locks
        .lock_of(&user.email)
        .await?
        .filter(|l| l.is_active(now));
    let mut sessions = 0;
    let mut after = None;
    while sessions < SESSIONS_COUNTED {
        let read = deps
            .sessions
            .sessions_of(&user.id, after.as_deref(), 100)
            .await?;
        sessions += read
            .items
            .iter()
            .filter(|s| s.is_active(now) && user.allows(s))
            .count();
        after = read.next;
        if after.is_none() {
            break;
        }
    }
    let status = Status::of(user, lock.as_ref(), now);
    Ok(UserDetail {
        summary: summary(user, status),
        lock: lock.map(|l| LockView {
            kind: match l.kind {
                LockKind::Automatic => "automatic".into(),
                LockKind::Admin => "admin".into(),
            },
            until: l.until,
            reason: l.reason,
        }),
        mfa: MfaView {
            enabled: user.mfa_enabled,
            recovery_codes_left: user.mfa.recovery_codes.len(),
            locked_until: user.mfa.locked_until.filter(|t| *t > now),
        },
        sessions: sessions.min(SESSIONS_COUNTED),
    })
}
