//! Roles and plans: closed sets, spelled on the wire as the contract spells them.

use serde::{Deserialize, Serialize};

/// What a user may do; `USER` is everyone's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    User,
    Support,
    BillingAdmin,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Support => "SUPPORT",
            Role::BillingAdmin => "BILLING_ADMIN",
            Role::Admin => "ADMIN",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Role::User, Role::Support, Role::BillingAdmin, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == raw)
    }
}

/// The billing plan of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Plan {
    Free,
    Pro,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "FREE",
            Plan::Pro => "PRO",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Plan::Free, Plan::Pro]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for r in [Role::User, Role::Support, Role::BillingAdmin, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(serde_json::to_value(Plan::Pro).unwrap(), "PRO");
        assert_eq!(Role::parse("admin"), None);
    }
}
