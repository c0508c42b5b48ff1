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
    AccessDenied => "access.denied",
    MailDropped => "mail.dropped",
}

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
    pub actor_id: Option<UserId>,
    pub user_id: Option<UserId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
    pub outcome: Outcome,
    pub metadata: serde_json::Map<String, serde_json::Value>,
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
