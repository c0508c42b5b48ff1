//! `Email`: a trimmed, lower-cased, syntactically plausible address (RFC 5321 limits, dot-atom only).

use super::FieldError;
use std::fmt;

/// A normalized email address. The only way to get one is [`Email::parse`].
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";

impl Email {
    /// Trims, lower-cases and checks the address. Quoted local parts, comments, IP literals and
    /// non-ASCII addresses are refused: none is needed to reach a real mailbox, and each has been
    /// used to smuggle header or SMTP syntax.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |msg: &str| FieldError::new("email", "invalid_email", msg);
        let email = raw.trim().to_ascii_lowercase();
        if email.is_empty() {
            return Err(bad("An email address is required."));
        }
        if email.len() > 254 {
            return Err(bad("An email address has at most 254 characters."));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(bad("An email address needs an @."));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            // An RFC 2047 encoded word: valid in an address, but some mail parsers decode it
            // (Python's turns `=0d=0a` into CR LF), so it could smuggle header syntax.
            && !local.contains("=?")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c));
        if !local_ok {
            return Err(bad("The part before the @ is not a valid mailbox name."));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()));
        if !domain_ok {
            return Err(bad("The part after the @ is not a valid domain name."));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, used by the password policy.
    pub fn local_part(&self) -> &str {
        self.0
            .rsplit_once('@')
            .map_or(self.0.as_str(), |(local, _)| local)
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|e| e.message)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug never prints the address: it is personal data and Debug output ends up in logs.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Alice.Smith+tag@Example.COM ")
                .unwrap()
                .as_str(),
            "alice.smith+tag@example.com"
        );
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@example",
            "a@@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a@-x.com",
            "a@x-.com",
            "\"quoted\"@example.com",
            "a@[127.0.0.1]",
            "a@example.123",
            "é@example.com",
            "a@example.com\r\nBcc: x@y.z",
            "a,b@example.com",
            "=?utf-8?q?a=0d=0a?=@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
        let long_total = format!("a@{}.com", "b".repeat(250));
        assert!(Email::parse(&long_total).is_err());
    }

    #[test]
    fn debug_redacts_and_local_part_splits() {
        let e = Email::parse("bob@example.org").unwrap();
        assert_eq!(format!("{e:?}"), "Email(<redacted>)");
        assert_eq!(e.local_part(), "bob");
    }
}
