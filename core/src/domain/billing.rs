//! Plans, spend caps and the spend ledger's records. Money is whole cents in a `u64`; a month is
//! a UTC calendar month, named `YYYY-MM`, and the ledger is keyed by it, so months roll over
//! without a job.

use super::{Plan, UserId};
use time::OffsetDateTime;

/// The UTC month containing `at`, as the ledger and the contract name it: `2026-12`.
pub fn period_of(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}", at.year(), u8::from(at.month()))
}

/// What a plan allows: the highest monthly spend cap and how many resources of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRules {
    pub max_spend_cap_cents: u64,
    pub resources_per_kind: u32,
}

/// Resources an account holds, by kind (provisioning keeps these counts in the account's own
/// write, so a plan change and a new resource cannot pass each other).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceCounts {
    #[serde(default)]
    pub databases: u32,
    #[serde(default)]
    pub dns_zones: u32,
    #[serde(default)]
    pub mail_domains: u32,
    #[serde(default)]
    pub hosting_accounts: u32,
}

impl ResourceCounts {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The most resources of any one kind.
    pub fn most_of_one_kind(&self) -> u32 {
        [
            self.databases,
            self.dns_zones,
            self.mail_domains,
            self.hosting_accounts,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}

/// An account's billing state, kept with the account.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Billing {
    /// When the current plan began (`None`: since the account was created).
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub plan_since: Option<OffsetDateTime>,
    /// The hard stop: charges that would take a month above it are refused.
    #[serde(default)]
    pub monthly_spend_cap_cents: u64,
    #[serde(default, skip_serializing_if = "ResourceCounts::is_empty")]
    pub resources: ResourceCounts,
}

impl Billing {
    pub fn is_blank(&self) -> bool {
        *self == Self::default()
    }
}

/// Whether `plan`'s rules allow `counts`.
pub fn fits(counts: &ResourceCounts, rules: PlanRules) -> bool {
    counts.most_of_one_kind() <= rules.resources_per_kind
}

/// One charge as the ledger keeps it. The idempotency key names it per user: a second charge
/// under the same key is the first one replayed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Charge {
    #[schema(value_type = String, example = "01JD8X3V6Q9E4ZK2M7T5R1W0YB")]
    pub id: String,
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(example = 500)]
    pub amount_cents: u64,
    pub idempotency_key: String,
    pub description: String,
    /// The UTC month it counts in.
    #[schema(example = "2026-12")]
    pub period: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: OffsetDateTime,
    /// Who recorded it (an administrator, or `None` for a metered action of the user's own).
    #[schema(value_type = Option<String>)]
    pub actor_id: Option<UserId>,
}

impl Charge {
    /// Whether `other` asks for the same charge (a replay may not change what was charged).
    pub fn same_request(&self, other: &Charge) -> bool {
        self.user_id == other.user_id
            && self.amount_cents == other.amount_cents
            && self.idempotency_key == other.idempotency_key
            && self.description == other.description
    }
}

/// The plan names the contract uses, for messages.
pub fn plan_name(plan: Plan) -> &'static str {
    match plan {
        Plan::Free => "FREE",
        Plan::Pro => "PRO",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn periods_are_utc_months() {
        assert_eq!(period_of(datetime!(2026-12-31 23:59:59 UTC)), "2026-12");
        assert_eq!(period_of(datetime!(2027-01-01 00:00:00 UTC)), "2027-01");
        // 00:30 on 1 January in Paris is still December in UTC.
        assert_eq!(period_of(datetime!(2027-01-01 00:30:00 +1)), "2026-12");
    }

    #[test]
    fn a_plan_fits_when_no_kind_has_more_than_it_allows() {
        let free = PlanRules {
            max_spend_cap_cents: 0,
            resources_per_kind: 1,
        };
        let mut counts = ResourceCounts::default();
        assert!(fits(&counts, free));
        counts.dns_zones = 1;
        counts.databases = 1;
        assert!(fits(&counts, free));
        counts.mail_domains = 2;
        assert!(!fits(&counts, free));
        assert_eq!(counts.most_of_one_kind(), 2);
    }
}
