//! The second factor of an account: its sealed TOTP secret, recovery codes (stored only as
//! hashes), the last time step accepted (replays), and the MFA lock.

use crate::crypto::Sealed;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;
/// Characters in a recovery code, before the dashes: 16 of 32 symbols, 80 bits.
const RECOVERY_CODE_CHARS: usize = 16;
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// The MFA state stored with the account. `User::mfa_enabled` says whether `secret` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mfa {
    /// The TOTP secret while MFA is on, sealed for the account's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Sealed>,
    /// A secret from enable-init waiting for its first code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingSecret>,
    /// SHA-256 (hex) of each unspent recovery code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<String>,
    /// The newest TOTP step accepted: a code of it or an older step is refused as a replay.
    #[serde(default)]
    pub last_step: u64,
    /// Locks in a row without a success since: the next lasts twice as long, and any at all
    /// asks for CAPTCHA on the next try (when CAPTCHA is on).
    #[serde(default)]
    pub locks: u32,
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub locked_until: Option<OffsetDateTime>,
}

/// A secret offered by enable-init, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingSecret {
    pub secret: Sealed,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Mfa {
    pub fn is_blank(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the MFA lock holds at `now`, and for how many more seconds.
    pub fn locked_for(&self, now: OffsetDateTime) -> Option<u64> {
        let until = self.locked_until.filter(|u| *u > now)?;
        Some(
            u64::try_from((until - now).whole_seconds())
                .unwrap_or(0)
                .max(1),
        )
    }

    /// Locks for `base` doubled for each lock in a row before, at most `max`.
    pub fn lock(&mut self, now: OffsetDateTime, base: Duration, max: Duration) {
        let factor = 2i32.saturating_pow(self.locks.min(30));
        let length = base.checked_mul(factor).map_or(max, |d| d.min(max));
        self.locked_until = Some(now + length);
        self.locks = self.locks.saturating_add(1);
    }

    /// After a good code: the doubling starts over. The last lock's end stays, as it names
    /// the count of attempts since (only ever in the past here: no code is checked while locked).
    pub fn unlock(&mut self) {
        self.locks = 0;
    }

    /// Index of the stored recovery code `presented` is, comparing with every stored hash in
    /// constant time whatever matches.
    pub fn recovery_code_index(&self, presented: &str) -> Option<usize> {
        let hash = recovery_code_hash(presented)?;
        let mut found = None;
        for (i, stored) in self.recovery_codes.iter().enumerate() {
            if bool::from(stored.as_bytes().ct_eq(hash.as_bytes())) {
                found = Some(i);
            }
        }
        found
    }

    /// Turns MFA off at `now`: secret, pending secret and recovery codes go, any lock is lifted
    /// (ending now, so attempts count afresh); the replay floor stays.
    pub fn clear(&mut self, now: OffsetDateTime) {
        self.secret = None;
        self.pending = None;
        self.recovery_codes.clear();
        self.locks = 0;
        self.locked_until = Some(now);
    }
}

/// A new set of recovery codes: the codes to show once, and their hashes to store.
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; RECOVERY_CODE_CHARS];
            crate::crypto::random::fill(&mut raw);
            let plain: String = raw
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect();
            let hash = hash_normalized(&plain);
            let shown = plain
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            (shown, hash)
        })
        .unzip()
}

/// The stored hash of a presented code: case, spaces and dashes do not matter; `None` when it
/// cannot be one of ours.
pub fn recovery_code_hash(presented: &str) -> Option<String> {
    let normalized: String = presented
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let ok = normalized.len() == RECOVERY_CODE_CHARS
        && normalized.bytes().all(|b| ALPHABET.contains(&b));
    ok.then(|| hash_normalized(&normalized))
}

/// 80 random bits need no slow hash: SHA-256 alone is beyond brute force.
fn hash_normalized(code: &str) -> String {
    crate::crypto::hex(&Sha256::digest(code.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_found_by_their_hash() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 19 && c.matches('-').count() == 3)
        );
        let mfa = Mfa {
            recovery_codes: hashes.clone(),
            ..Mfa::default()
        };
        assert_eq!(mfa.recovery_code_index(&codes[3]), Some(3));
        let sloppy = codes[7].to_uppercase().replace('-', " ");
        assert_eq!(mfa.recovery_code_index(&sloppy), Some(7));
        assert!(
            !hashes
                .iter()
                .any(|h| codes.iter().any(|c| h.contains(c.as_str())))
        );
        for bad in ["", "abcd", "abcd-efgh-ijkm-npq0", &format!("{}x", codes[0])] {
            assert_eq!(mfa.recovery_code_index(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn locks_double_up_to_the_cap_and_a_success_starts_over() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let (base, max) = (Duration::minutes(5), Duration::hours(24));
        let mut mfa = Mfa::default();
        let mut lengths = Vec::new();
        for _ in 0..12 {
            mfa.lock(now, base, max);
            lengths.push(mfa.locked_until.map(|u| (u - now).whole_minutes()));
        }
        let minutes: Vec<i64> = lengths.into_iter().flatten().collect();
        assert_eq!(&minutes[..6], &[5, 10, 20, 40, 80, 160]);
        assert_eq!(minutes[9], 24 * 60);
        assert_eq!(minutes[11], 24 * 60);
        assert_eq!(mfa.locked_for(now), Some(24 * 3600));
        assert_eq!(mfa.locked_for(now + max), None);
        mfa.unlock();
        mfa.lock(now, base, max);
        assert_eq!(mfa.locked_for(now), Some(300));
    }

    #[test]
    fn blank_state_is_not_stored() {
        assert!(Mfa::default().is_blank());
        let locked = Mfa {
            locks: 1,
            ..Mfa::default()
        };
        assert!(!locked.is_blank());
    }
}
