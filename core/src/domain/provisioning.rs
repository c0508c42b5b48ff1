//! Provisioned resources: names that parse before they reach any provider, and the secrets
//! handed to tenants.

use super::FieldError;

/// A tenant database's name, which is also its owner role's: `^[a-z][a-z0-9_]{2,30}$`, and none
/// of the names PostgreSQL or Latch keep for themselves. Only ever spliced into SQL quoted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatabaseName(String);

/// Names a tenant may not take: the server's own databases and roles, and the admin's.
const RESERVED: &[&str] = &[
    "postgres",
    "template0",
    "template1",
    "public",
    "latch",
    "latch_admin",
];

impl DatabaseName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |code: &str, message: &str| FieldError::new("name", code, message);
        let mut chars = raw.chars();
        let shaped = raw.len() >= 3
            && raw.len() <= 31
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !shaped {
            return Err(bad(
                "invalid_name",
                "3 to 31 characters: a lower-case letter, then lower-case letters, digits or _.",
            ));
        }
        if RESERVED.contains(&raw) || raw.starts_with("pg_") {
            return Err(bad(
                "reserved_name",
                "This name is kept for the server itself.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted SQL identifier (it holds no quote, but it is quoted all the same).
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0.replace('"', "\"\""))
    }
}

impl TryFrom<String> for DatabaseName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|e| e.message)
    }
}

impl From<DatabaseName> for String {
    fn from(value: DatabaseName) -> Self {
        value.0
    }
}

/// A tenant database's password: 256 bits from the CSPRNG, base64url (43 characters, no quote
/// or backslash), shown once.
pub fn generate_password() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::crypto::random::bytes32())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shaped_and_never_the_servers_own() {
        for good in ["shop", "abc", "a_1", "x234567890123456789012345678901"] {
            assert_eq!(DatabaseName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "ab",
            "Shop",
            "1shop",
            "_shop",
            "shop-db",
            "shop\"; DROP DATABASE x; --",
            "x2345678901234567890123456789012",
            "café",
            "",
        ] {
            assert_eq!(
                DatabaseName::parse(bad).unwrap_err().code,
                "invalid_name",
                "{bad}"
            );
        }
        for reserved in ["postgres", "template1", "pg_shadow", "latch_admin"] {
            assert_eq!(
                DatabaseName::parse(reserved).unwrap_err().code,
                "reserved_name"
            );
        }
        assert_eq!(DatabaseName::parse("shop").unwrap().quoted(), "\"shop\"");
    }

    #[test]
    fn passwords_are_256_bit_and_safe_in_a_literal() {
        let a = generate_password();
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a, generate_password());
    }
}

/// The kinds of resource, each with its own quota and price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    Database,
    DnsZone,
    MailDomain,
    HostingAccount,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Database => "database",
            ResourceKind::DnsZone => "dnsZone",
            ResourceKind::MailDomain => "mailDomain",
            ResourceKind::HostingAccount => "hostingAccount",
        }
    }

    /// How many of this kind `counts` holds.
    pub fn count_in(self, counts: &super::billing::ResourceCounts) -> u32 {
        match self {
            ResourceKind::Database => counts.databases,
            ResourceKind::DnsZone => counts.dns_zones,
            ResourceKind::MailDomain => counts.mail_domains,
            ResourceKind::HostingAccount => counts.hosting_accounts,
        }
    }

    /// The count of this kind in `counts`, to change it.
    pub fn count_mut(self, counts: &mut super::billing::ResourceCounts) -> &mut u32 {
        match self {
            ResourceKind::Database => &mut counts.databases,
            ResourceKind::DnsZone => &mut counts.dns_zones,
            ResourceKind::MailDomain => &mut counts.mail_domains,
            ResourceKind::HostingAccount => &mut counts.hosting_accounts,
        }
    }
}

/// Where a resource is in its life. `Creating` and `Deleting` are the marks a step leaves
/// before it runs, so an interrupted one is found and finished or undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceStatus {
    Creating,
    Ready,
    Deleting,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Creating => "creating",
            ResourceStatus::Ready => "ready",
            ResourceStatus::Deleting => "deleting",
        }
    }
}

/// One provisioned resource of one owner. Its `name` (a database name, a domain) is unique per
/// kind across the deployment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub id: String,
    pub owner: super::UserId,
    pub kind: ResourceKind,
    pub name: String,
    pub status: ResourceStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Kind-specific facts the provider answered (a zone's name servers, say); never a secret.
    #[serde(default)]
    pub detail: serde_json::Map<String, serde_json::Value>,
}
