//! Audit events: who did what to whom, from where, with what outcome. Never a secret.

use super::UserId;
use time::OffsetDateTime;

macro_rules! audit_types {
    ($($variant:ident => $wire:literal),+ $(,)?) => {
        /// Every event type of the contract's "Audit events" list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditType { $($variant),+ }

        impl AuditType {
            pub const ALL: &'static [AuditType] = &[$(AuditType::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(AuditType::$variant => $wire),+ }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($wire => Some(AuditType::$variant),)+ _ => None }
            }
        }

        impl serde::Serialize for AuditType {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for AuditType {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("unknown audit type {raw:?}")))
            }
        }
    };
}

audit_types! {
    UserRegistered => "user.registered",
    UserPurged => "user.purged",
    EmailVerified => "email.verified",
    LoginSucceeded => "login.succeeded",
    LoginFailed => "login.failed",
    AccountLocked => "account.locked",
    AccountUnlocked => "account.unlocked",
    MfaEnabled => "mfa.enabled",
    MfaDisabled => "mfa.disabled",
    MfaSucceeded => "mfa.succeeded",
    MfaFailed => "mfa.failed",
    RecoveryCodeUsed => "recovery_code.used",
    RecoveryCodesRegenerated => "recovery_codes.regenerated",
    TokenReuseDetected => "token.reuse_detected",
    SessionBindingMismatch => "session.binding_mismatch",
    SessionRevoked => "session.revoked",
    Logout => "logout",
    PasswordResetRequested => "password.reset_requested",
    PasswordReset => "password.reset",
    PasswordChanged => "password.changed",
    RoleChanged => "role.changed",
    PlanChanged => "plan.changed",
    LimitsChanged => "limits.changed",
    SpendRecorded => "spend.recorded",
    SpendCapReached => "spend.cap_reached",
    AdminUserLocked => "admin.user_locked",
    AdminUserUnlocked => "admin.user_unlocked",
    AdminMfaReset => "admin.mfa_reset",
    AdminVerificationResent => "admin.verification_resent",
    ProvisioningCreated => "provisioning.created",
    ProvisioningDeleted => "provisioning.deleted",
    ProvisioningRolledBack => "provisioning.rolled_back",
    ProvisioningRecordAdded => "provisioning.record_added",
    ProvisioningRecordRemoved => "provisioning.record_removed",
    AccessDenied => "access.denied",
    MailDropped => "mail.dropped",
}

/// How long audit events are kept (DynamoDB's TTL collects them after).
pub const RETENTION: time::Duration = time::Duration::days(365);

/// Whether the audited attempt succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// One audit record. `metadata` holds only non-secret, event-specific facts (a reason code, say).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(rename = "type")]
    pub kind: AuditType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub request_id: String,
    pub outcome: Outcome,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Its place in its partition's hash chain, set when it is appended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<super::audit_chain::ChainLink>,
}

/// What an audit search may filter on; `from..=to` always bounds it (the service fills in the
/// retention window when the caller gives none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub user: Option<UserId>,
    pub actor: Option<UserId>,
    pub kind: Option<AuditType>,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
}

impl AuditQuery {
    /// Whether `event` passes every filter.
    pub fn admits(&self, event: &AuditEvent) -> bool {
        self.user
            .as_ref()
            .is_none_or(|u| event.user_id.as_ref() == Some(u))
            && self
                .actor
                .as_ref()
                .is_none_or(|a| event.actor_id.as_ref() == Some(a))
            && self.kind.is_none_or(|k| event.kind == k)
            && self.from <= event.at
            && event.at <= self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for t in AuditType::ALL {
            assert!(seen.insert(t.as_str()), "duplicate {}", t.as_str());
            assert_eq!(AuditType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(Outcome::parse("failure"), Some(Outcome::Failure));
    }
}
