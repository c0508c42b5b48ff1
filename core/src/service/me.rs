//! GET /v1/auth/me: the caller's own account, as the store has it now.

use super::authn::Authenticated;
use crate::domain::{Plan, Role};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub roles: Vec<Role>,
    pub mfa_enabled: bool,
    pub plan: Plan,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

pub fn me(auth: &Authenticated) -> Me {
    let u = &auth.user;
    Me {
        id: u.id.to_string(),
        email: u.email.to_string(),
        email_verified: u.email_verified,
        roles: u.roles.clone(),
        mfa_enabled: u.mfa_enabled,
        plan: u.plan,
        created_at: u.created_at,
    }
}
