//! Opaque identifiers (ULIDs): sortable by creation time, 128 bits, no meaning to clients.

use std::fmt;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Builds an id from its creation time and 80 bits of CSPRNG output.
            pub fn new(now: time::OffsetDateTime) -> Self {
                Self(crate::crypto::random::ulid(now))
            }

            /// Accepts only a canonical ULID, so ids from a path or token are never free text.
            pub fn parse(raw: &str) -> Option<Self> {
                let id = ulid::Ulid::from_string(raw).ok()?;
                (id.to_string() == raw).then(|| Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value).ok_or_else(|| format!("not a ULID: {value:?}"))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

ulid_id!(
    /// A user's id.
    UserId
);
ulid_id!(
    /// A session's id; a new one at every login.
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_canonical_ulids() {
        let now = time::OffsetDateTime::now_utc();
        let a = UserId::new(now);
        let b = UserId::new(now);
        assert_ne!(a, b);
        assert_eq!(UserId::parse(a.as_str()), Some(a.clone()));
        assert!(UserId::parse(&a.as_str().to_lowercase()).is_none());
        assert!(UserId::parse("../../etc/passwd").is_none());
        assert!(SessionId::parse("").is_none());
    }
}
