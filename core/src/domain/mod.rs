//! Domain types and rules: values that parse instead of validate. No I/O, no async.

pub mod audit;
pub mod audit_chain;
pub mod billing;
pub mod client;
pub mod dns;
pub mod email;
pub mod ids;
pub mod lock;
pub mod mail;
pub mod mfa;
pub mod password;
pub mod provisioning;
pub mod queued_mail;
pub mod role;
pub mod session;
pub mod text;
pub mod token;
pub mod user;

pub use audit::{AuditEvent, AuditQuery, AuditType, Outcome};
pub use audit_chain::{ChainHead, ChainLink};
pub use billing::{Billing, Charge};
pub use client::ClientInfo;
pub use email::Email;
pub use ids::{SessionId, UserId};
pub use lock::{Lock, LockKind};
pub use mail::{Mail, MailClass, MailKind};
pub use mfa::Mfa;
pub use password::{Password, PasswordHash, PasswordPolicy};
pub use role::{Plan, Role};
pub use session::{PresentedRefresh, RefreshTokenRecord, Session};
pub use token::{ClientBinding, OneTimeToken, OneTimeTokenRecord, TokenHash, TokenPurpose};
pub use user::User;

/// One problem with one field of a request, as the contract's `errors[]` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// An instant as `YYYYMMDDTHHMMSSZ` (UTC, to the second): sortable, and safe in names of
/// backups and folders.
pub fn utc_stamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stamp_is_utc_to_the_second() {
        let at = time::macros::datetime!(2026-12-02 04:05:06.789 +01:00);
        assert_eq!(super::utc_stamp(at), "20261202T030506Z");
    }
}
