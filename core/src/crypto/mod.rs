//! Cryptography in one place: the CSPRNG, password hashing, signing keys and access tokens.

pub mod dkim;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod random;
pub mod scram;
pub mod sealing;
pub mod totp;

pub use jwt::{AccessClaims, TokenVerifyError};
pub use keys::{KeyRing, KeyStage, SecretMaterial};
pub use password::{Argon2Params, PasswordHasher};
pub use sealing::{DataKeys, Sealed, StoredDataKey};

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
