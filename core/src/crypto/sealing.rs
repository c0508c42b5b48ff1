//! Encryption at rest: AES-256-GCM under the versioned data keys of the secret material. The id
//! of the key is stored beside each ciphertext, so older keys still open what they sealed and
//! the caller can re-seal under the newest one on next use.

use crate::Error;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// One data key as stored in the secret material: 256 bits, base64url.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredDataKey {
    pub id: String,
    pub key: String,
    /// `true` for a key a rotation just added: held (it opens) but not yet sealing, so that a
    /// process still on the older material can open everything sealed meanwhile. The next
    /// rotation makes it the sealing key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_only: bool,
}

impl StoredDataKey {
    /// A fresh random key named `id`.
    pub fn generate(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            key: URL_SAFE_NO_PAD.encode(super::random::bytes32()),
            held_only: false,
        }
    }
}

/// A ciphertext as stored: the key's id, a 96-bit random nonce and the sealed bytes with their
/// tag, both base64url. The context it was sealed for (say, the user's id) is not stored: it
/// must be given again to open it, so a ciphertext moved to another record does not open.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sealed {
    pub key_id: String,
    pub nonce: String,
    pub ciphertext: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({})", self.key_id)
    }
}

/// What `DataKeys::open` gives back.
pub struct Opened {
    pub plaintext: Vec<u8>,
    /// Sealed under a key other than the newest: seal it again when next writing.
    pub stale: bool,
}

/// The data keys of a running process, newest first: the first that is not held-only seals,
/// all open.
pub struct DataKeys {
    keys: Vec<(String, Aes256Gcm)>,
    sealing: usize,
}

impl DataKeys {
    pub fn from_stored(stored: &[StoredDataKey]) -> Result<Self, Error> {
        let bad = |what: String| Error::internal(format!("secret material: {what}"));
        if stored.is_empty() {
            return Err(bad(
                "no dataKeys: add one with `latch-local add-data-key` (it reads the secret on stdin and prints it with a new data key)".into(),
            ));
        }
        let mut keys = Vec::with_capacity(stored.len());
        for k in stored {
            let raw = URL_SAFE_NO_PAD
                .decode(&k.key)
                .map_err(|_| bad(format!("data key {} is not base64url", k.id)))?;
            let cipher = Aes256Gcm::new_from_slice(&raw)
                .map_err(|_| bad(format!("data key {} must have exactly 256 bits", k.id)))?;
            if k.id.is_empty() || keys.iter().any(|(id, _)| *id == k.id) {
                return Err(bad(format!("data key id {:?} is empty or repeated", k.id)));
            }
            keys.push((k.id.clone(), cipher));
        }
        let sealing = stored
            .iter()
            .position(|k| !k.held_only)
            .ok_or_else(|| bad("every data key is held-only: none seals".into()))?;
        Ok(Self { keys, sealing })
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        self.keys
            .get(self.sealing)
            .map_or("", |(id, _)| id.as_str())
    }

    /// Seals `plaintext` for `context` under the newest key.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Sealed, Error> {
        let (id, cipher) = self
            .keys
            .get(self.sealing)
            .ok_or_else(|| Error::internal("no data key"))?;
        let mut nonce = [0u8; 12];
        super::random::fill(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context,
        };
        let ciphertext = cipher
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| Error::internal("sealing failed"))?;
        Ok(Sealed {
            key_id: id.clone(),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            ciphertext: URL_SAFE_NO_PAD.encode(ciphertext),
        })
    }

    /// Opens what `seal` made for the same `context`. A key no longer held, a tampered
    /// ciphertext or another context is an internal error: stored data no longer opens.
    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Opened, Error> {
        let position = self.keys.iter().position(|(id, _)| *id == sealed.key_id);
        let Some((_, cipher)) = position.and_then(|p| self.keys.get(p)) else {
            return Err(Error::internal(format!(
                "data key {} is no longer held",
                sealed.key_id
            )));
        };
        let decode = |field: &str| {
            URL_SAFE_NO_PAD
                .decode(field)
                .map_err(|_| Error::internal("sealed value is not base64url"))
        };
        let nonce: [u8; 12] = decode(&sealed.nonce)?
            .try_into()
            .map_err(|_| Error::internal("sealed value has a bad nonce"))?;
        let ciphertext = decode(&sealed.ciphertext)?;
        let payload = Payload {
            msg: &ciphertext,
            aad: context,
        };
        let plaintext = cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| Error::internal("sealed value does not open (tampered or misplaced)"))?;
        Ok(Opened {
            plaintext,
            stale: position != Some(self.sealing),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str]) -> (Vec<StoredDataKey>, DataKeys) {
        let stored: Vec<_> = ids.iter().map(|id| StoredDataKey::generate(id)).collect();
        let keys = DataKeys::from_stored(&stored).unwrap();
        (stored, keys)
    }

    #[test]
    fn sealed_values_open_for_their_context_only() {
        let (_, keys) = keys(&["k1"]);
        let sealed = keys.seal(b"totp secret", b"user-a").unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.ciphertext.contains("totp"));
        let opened = keys.open(&sealed, b"user-a").unwrap();
        assert_eq!(opened.plaintext, b"totp secret");
        assert!(!opened.stale);
        assert!(
            keys.open(&sealed, b"user-b").is_err(),
            "moved to another user"
        );
        assert_ne!(
            keys.seal(b"totp secret", b"user-a").unwrap(),
            sealed,
            "fresh nonce"
        );
        assert_eq!(format!("{sealed:?}"), "Sealed(k1)");
    }

    #[test]
    fn tampering_is_detected() {
        let (_, keys) = keys(&["k1"]);
        let mut sealed = keys.seal(b"secret", b"ctx").unwrap();
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed.ciphertext).unwrap();
        raw[0] ^= 1;
        sealed.ciphertext = URL_SAFE_NO_PAD.encode(raw);
        assert!(keys.open(&sealed, b"ctx").is_err());
    }

    #[test]
    fn older_keys_still_open_and_say_they_are_stale() {
        let (old_stored, old) = keys(&["k1"]);
        let sealed = old.seal(b"secret", b"ctx").unwrap();
        let mut rotated = vec![StoredDataKey::generate("k2")];
        rotated.extend(old_stored);
        let new = DataKeys::from_stored(&rotated).unwrap();
        assert_eq!(new.current_id(), "k2");
        let opened = new.open(&sealed, b"ctx").unwrap();
        assert_eq!(opened.plaintext, b"secret");
        assert!(opened.stale);
        let resealed = new.seal(&opened.plaintext, b"ctx").unwrap();
        assert_eq!(resealed.key_id, "k2");
        let (_, other) = keys(&["k3"]);
        assert!(other.open(&sealed, b"ctx").is_err(), "a key no longer held");
    }

    #[test]
    fn a_held_only_key_opens_but_does_not_seal_yet() {
        let mut held = StoredDataKey::generate("k2");
        held.held_only = true;
        let stored = vec![held, StoredDataKey::generate("k1")];
        let keys = DataKeys::from_stored(&stored).unwrap();
        assert_eq!(keys.current_id(), "k1");
        let sealed = keys.seal(b"s", b"c").unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert!(!keys.open(&sealed, b"c").unwrap().stale);
        let mut only = StoredDataKey::generate("k3");
        only.held_only = true;
        assert!(DataKeys::from_stored(&[only]).is_err());
    }

    #[test]
    fn bad_key_material_is_refused() {
        assert!(DataKeys::from_stored(&[]).is_err());
        let short = StoredDataKey {
            id: "k".into(),
            key: URL_SAFE_NO_PAD.encode([0u8; 16]),
            held_only: false,
        };
        assert!(DataKeys::from_stored(&[short]).is_err());
        let twice = [StoredDataKey::generate("k"), StoredDataKey::generate("k")];
        assert!(DataKeys::from_stored(&twice).is_err());
    }
}
