//! Login locks: set after too many failed passwords for an email, lifted when their time is up,
//! by a password reset (automatic ones only) or by an admin.

use time::OffsetDateTime;

/// Who set a lock, which decides who may lift it and whom it refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockKind {
    /// Too many failed passwords: spares clients that held a session of the account recently,
    /// and a password reset lifts it.
    Automatic,
    /// An administrator's: refuses everyone; only an administrator lifts it.
    Admin,
}

/// One lock of one normalized email.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
    pub kind: LockKind,
    /// An administrator's reason (admin locks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The `until` of an administrator's lock given without one: until an administrator lifts it.
pub fn indefinitely() -> OffsetDateTime {
    time::macros::datetime!(9999-01-01 00:00 UTC)
}

impl Lock {
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        now < self.until
    }

    /// Whole seconds until the lock ends (at least 1 while active), for `Retry-After`.
    pub fn retry_after(&self, now: OffsetDateTime) -> u64 {
        u64::try_from((self.until - now).whole_seconds())
            .unwrap_or(0)
            .max(1)
    }
}
