//! `/v1/admin` endpoints: accounts and the audit trail, each route admitting its roles.

pub mod audit_export;
pub mod audit_logs;
pub mod audit_verify;
pub mod get_user;
pub mod list_users;
pub mod lock_user;
pub mod resend_verification;
pub mod reset_mfa;
pub mod set_limits;
pub mod set_plan;
pub mod set_roles;
pub mod unlock_user;

use crate::Error;
use crate::domain::{Role, User};
use crate::http::Call;
use crate::http::routes::{PAGE_QUERY, QueryParam};
use crate::service::admin::audit_logs::Filters;
use crate::service::{Deps, admin};

pub const ADMIN: &[Role] = &[Role::Admin];
pub const ADMIN_OR_SUPPORT: &[Role] = &[Role::Admin, Role::Support];
pub const ADMIN_OR_BILLING: &[Role] = &[Role::Admin, Role::BillingAdmin];

/// The account `{id}` names, if the caller may act on it with `roles` (the route's).
async fn target(deps: &Deps, call: &Call, roles: &[Role]) -> Result<User, Error> {
    let auth = call.authenticated()?;
    let id = call.path("id");
    admin::target(deps, &call.caller, auth, roles, id.as_deref()).await
}

/// The audit filters, as the query string has them.
pub struct Query {
    user_id: Option<String>,
    actor_id: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Query {
    fn of(call: &Call) -> Self {
        Self {
            user_id: call.query("userId"),
            actor_id: call.query("actorId"),
            kind: call.query("type"),
            from: call.query("from"),
            to: call.query("to"),
        }
    }

    fn filters(&self) -> Filters<'_> {
        Filters {
            user_id: self.user_id.as_deref(),
            actor_id: self.actor_id.as_deref(),
            kind: self.kind.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
        }
    }
}

const fn param(name: &'static str, description: &'static str) -> QueryParam {
    QueryParam {
        name,
        description,
        required: false,
    }
}

pub const AUDIT_FILTERS: &[QueryParam] = &[
    param("userId", "Events about this user"),
    param(
        "actorId",
        "Events acted by this user (an administrator, say)",
    ),
    param("type", "Events of this type (`login.failed`, ...)"),
    param(
        "from",
        "Events at or after this RFC 3339 time (default: the retention window's start)",
    ),
    param(
        "to",
        "Events at or before this RFC 3339 time (default: now)",
    ),
    PAGE_QUERY[0],
    PAGE_QUERY[1],
];
