//! One-time tokens (email verification, password reset, MFA login): 256 random bits given to the
//! user once, stored only as a SHA-256 hash, spent by the write that applies their effect.

use super::UserId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;
use time::OffsetDateTime;

/// What a one-time token may be redeemed for; a token of one purpose never redeems another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    EmailVerification,
    PasswordReset,
    MfaLogin,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::EmailVerification => "email_verification",
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::MfaLogin => "mfa_login",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::EmailVerification, Self::PasswordReset, Self::MfaLogin]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

/// The SHA-256 of a token, hex-encoded: what the store keys on. A preimage-resistant hash is
/// enough (no salt, no slow hash) because the token itself carries 256 random bits.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hashes a token as presented by a client; `None` when it cannot be one of ours, so a
    /// malformed token never reaches the store.
    pub fn of_presented(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        (bytes.len() == 32).then(|| Self::of_bytes(&bytes))
    }

    fn of_bytes(bytes: &[u8]) -> Self {
        Self(
            Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }

    /// Rebuilds a hash read back from the store.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// A freshly minted token: the secret for the user (once) and its hash for the store.
pub struct OneTimeToken {
    secret: String,
    pub hash: TokenHash,
}

impl OneTimeToken {
    pub fn generate() -> Self {
        let bytes = crate::crypto::random::bytes32();
        Self {
            secret: URL_SAFE_NO_PAD.encode(bytes),
            hash: TokenHash::of_bytes(&bytes),
        }
    }

    /// The base64url secret that goes into a link or a response body, never into a log.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeToken(<redacted>)")
    }
}

/// A one-time token as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeTokenRecord {
    pub hash: TokenHash,
    pub purpose: TokenPurpose,
    pub user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The user's credential epoch when the token was issued: a reset link dies with the
    /// password it was issued against.
    #[serde(default)]
    pub credential_epoch: u64,
    /// The client the token was issued to (an MFA login token works only from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_to: Option<ClientBinding>,
}

/// A client as sessions and MFA tokens are bound to it: its User-Agent hash and address prefix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientBinding {
    pub user_agent_hash: String,
    pub ip_prefix: String,
}

impl ClientBinding {
    pub fn of(client: &super::ClientInfo) -> Self {
        Self {
            user_agent_hash: client.user_agent_hash(),
            ip_prefix: client.ip_prefix(),
        }
    }
}

impl OneTimeTokenRecord {
    /// A token of `purpose` for a user at a credential epoch, valid for `ttl` from `now`.
    pub fn issue(
        hash: TokenHash,
        purpose: TokenPurpose,
        (user_id, credential_epoch): (UserId, u64),
        now: OffsetDateTime,
        ttl: time::Duration,
    ) -> Self {
        Self {
            hash,
            purpose,
            user_id,
            expires_at: now + ttl,
            credential_epoch,
            bound_to: None,
        }
    }

    /// The same token, usable only by `client`.
    pub fn bound_to(self, client: &super::ClientInfo) -> Self {
        Self {
            bound_to: Some(ClientBinding::of(client)),
            ..self
        }
    }

    /// Whether `client` may present this token: any client when it is unbound.
    pub fn admits(&self, client: &super::ClientInfo) -> bool {
        self.bound_to
            .as_ref()
            .is_none_or(|b| *b == ClientBinding::of(client))
    }

    pub fn is_live(&self, purpose: TokenPurpose, now: OffsetDateTime) -> bool {
        self.purpose == purpose && now < self.expires_at
    }

    /// Whether `user` is still at the password this token was issued against.
    pub fn matches_password_of(&self, user: &super::User) -> bool {
        self.user_id == user.id && self.credential_epoch == user.credential_epoch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_secret_hashes_to_the_stored_hash() {
        let t = OneTimeToken::generate();
        assert_eq!(t.secret().len(), 43);
        assert_eq!(TokenHash::of_presented(t.secret()), Some(t.hash.clone()));
        assert_ne!(OneTimeToken::generate().hash, t.hash);
        assert_eq!(format!("{t:?}"), "OneTimeToken(<redacted>)");
    }

    #[test]
    fn malformed_presented_tokens_hash_to_nothing() {
        let t = OneTimeToken::generate();
        for bad in [
            "",
            "abc",
            &t.secret()[..42],
            &format!("{}A", t.secret()),
            "!!!!",
            "a/b+c=",
        ] {
            assert_eq!(TokenHash::of_presented(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn liveness_needs_the_purpose_and_time() {
        let now = OffsetDateTime::now_utc();
        let rec = OneTimeTokenRecord {
            hash: OneTimeToken::generate().hash,
            purpose: TokenPurpose::EmailVerification,
            user_id: UserId::new(now),
            expires_at: now + time::Duration::hours(24),
            credential_epoch: 0,
            bound_to: None,
        };
        assert!(rec.is_live(TokenPurpose::EmailVerification, now));
        assert!(!rec.is_live(TokenPurpose::PasswordReset, now));
        assert!(!rec.is_live(TokenPurpose::EmailVerification, rec.expires_at));
    }
}
