//! Argon2id password hashing at configurable parameters, run off the async executor.

use crate::Error;
use crate::domain::{Password, PasswordHash};
use argon2::password_hash::phc;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Argon2id cost parameters: memory in KiB, passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for Argon2Params {
    /// The contract's defaults: t=3, m=64 MiB, p=2.
    fn default() -> Self {
        Self {
            m_kib: 64 * 1024,
            t: 3,
            p: 2,
        }
    }
}

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: String,
    verifications: Arc<AtomicU64>,
}

impl PasswordHasher {
    pub fn new(p: Argon2Params) -> Result<Self, Error> {
        let params = Params::new(p.m_kib, p.t, p.p, Some(32))
            .map_err(|e| Error::internal(format!("argon2 parameters: {e}")))?;
        // A PHC string at the live parameters whose digest no password produces: verifying
        // against it costs exactly what a real verification costs, so an unknown email takes
        // as long as a wrong password, without hashing anything at cold start.
        let dummy = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            p.m_kib,
            p.t,
            p.p,
            STANDARD_NO_PAD.encode(b"latch-dummy-salt"),
            STANDARD_NO_PAD.encode([0u8; 32])
        );
        Ok(Self {
            params,
            dummy,
            verifications: Arc::default(),
        })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, Error> {
        self.hash_str(password.expose()).await
    }

    /// Hashes a password that was just verified against its stored hash (an upgrade to the live
    /// parameters at login): it met the policy of its day, which a rehash must not re-judge.
    pub async fn rehash(&self, verified: &str) -> Result<PasswordHash, Error> {
        self.hash_str(verified).await
    }

    async fn hash_str(&self, password: &str) -> Result<PasswordHash, Error> {
        let argon = self.argon();
        let pw = password.to_owned();
        let phc =
            blocking(move || argon.hash_password(pw.as_bytes()).map(|h| h.to_string())).await?;
        phc.map(PasswordHash)
            .map_err(|e| Error::internal(format!("argon2 hash: {e}")))
    }

    /// Constant-time check of `candidate` against a stored hash; `None` runs the dummy hash so
    /// the caller's timing does not depend on whether an account exists.
    pub async fn verify(
        &self,
        candidate: &str,
        stored: Option<&PasswordHash>,
    ) -> Result<bool, Error> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let phc_string = stored.map_or_else(|| self.dummy.clone(), |h| h.0.clone());
        let exists = stored.is_some();
        let argon = self.argon();
        let pw = candidate.to_owned();
        let ok = blocking(move || match phc::PasswordHash::new(&phc_string) {
            Ok(parsed) => argon.verify_password(pw.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        })
        .await?;
        Ok(ok && exists)
    }

    /// How many verifications (real or dummy) this hasher has run: proves in tests that an
    /// unknown email costs a full Argon2 verification, without timing anything.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Whether a stored hash was made with other parameters than the live ones.
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        match phc::PasswordHash::new(&stored.0) {
            Ok(parsed) => {
                Params::try_from(&parsed).map_or(true, |p| {
                    p.m_cost() != self.params.m_cost()
                        || p.t_cost() != self.params.t_cost()
                        || p.p_cost() != self.params.p_cost()
                }) || parsed.algorithm.as_str() != "argon2id"
            }
            Err(_) => true,
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("hashing task: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, PasswordPolicy};

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(Argon2Params {
            m_kib: 1024,
            t: 1,
            p: 1,
        })
        .unwrap()
    }

    fn pw(raw: &str) -> Password {
        PasswordPolicy::default()
            .check(raw, &Email::parse("x@example.com").unwrap())
            .unwrap()
    }

    #[tokio::test]
    async fn contract_parameters_produce_an_argon2id_phc_string() {
        let h = PasswordHasher::new(Argon2Params::default()).unwrap();
        let hash = h.hash(&pw("violet-tractor-harbour-19")).await.unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=65536,t=3,p=2$"),
            "{}",
            hash.0
        );
        assert!(
            h.verify("violet-tractor-harbour-19", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !h.verify("violet-tractor-harbour-18", Some(&hash))
                .await
                .unwrap()
        );
        assert!(!h.needs_rehash(&hash));
    }

    #[tokio::test]
    async fn salts_differ_and_unknown_accounts_never_verify() {
        let h = cheap();
        let a = h.hash(&pw("violet-tractor-harbour-19")).await.unwrap();
        let b = h.hash(&pw("violet-tractor-harbour-19")).await.unwrap();
        assert_ne!(a, b);
        let before = h.verifications();
        assert!(!h.verify("violet-tractor-harbour-19", None).await.unwrap());
        assert_eq!(
            h.verifications(),
            before + 1,
            "the dummy path runs a real verification"
        );
        assert!(
            !h.verify("anything", Some(&PasswordHash("not a phc string".into())))
                .await
                .unwrap()
        );
    }

    #[test]
    fn dummy_hash_is_a_valid_phc_string_at_the_live_parameters() {
        let h = PasswordHasher::new(Argon2Params::default()).unwrap();
        let parsed = phc::PasswordHash::new(&h.dummy).unwrap();
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (65536, 3, 2)
        );
    }

    #[tokio::test]
    async fn parameter_changes_are_detected() {
        let old = cheap()
            .hash(&pw("violet-tractor-harbour-19"))
            .await
            .unwrap();
        assert!(
            PasswordHasher::new(Argon2Params::default())
                .unwrap()
                .needs_rehash(&old)
        );
        assert!(!cheap().needs_rehash(&old));
    }
}
