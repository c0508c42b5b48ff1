//! Signing keys: the secret material as stored (Secrets Manager or `secrets.json`) and the
//! `KeyRing` built from it once per process.

use super::sealing::{DataKeys, StoredDataKey};
use crate::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{DecodingKey, EncodingKey};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Every secret a Latch process needs, in the JSON form it is stored in.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretMaterial {
    pub version: u32,
    /// ES256 keys, newest first: the first signs, all verify and are published.
    pub signing_keys: Vec<StoredSigningKey>,
    /// 256-bit key for keyed hashes in logs (recipients, user ids), base64url.
    pub hmac_key: String,
    /// AES-256-GCM keys for data at rest (TOTP secrets), newest first: the first seals, all
    /// open. Material made before data keys existed has none and is refused with a hint.
    #[serde(default)]
    pub data_keys: Vec<StoredDataKey>,
}

/// Where a signing key is in its life: published before it signs (`next`), signing
/// (`current`), published after it signs until its tokens have expired (`previous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStage {
    Next,
    Current,
    Previous,
}

/// One ES256 private key, PKCS#8 DER in base64url.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredSigningKey {
    pub kid: String,
    pub pkcs8: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Material from before staged keys has none: its first key is current, the rest previous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<KeyStage>,
}

impl std::fmt::Debug for SecretMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.signing_keys.iter().map(|k| k.kid.as_str()).collect();
        write!(f, "SecretMaterial {{ kids: {kids:?}, .. }}")
    }
}

impl SecretMaterial {
    /// Fresh material: a current signing key and the next one (published, not yet signing), a
    /// new HMAC key and a data key.
    pub fn generate(now: OffsetDateTime) -> Result<Self, Error> {
        Ok(Self {
            version: 1,
            signing_keys: vec![
                new_signing_key(now, KeyStage::Next)?,
                new_signing_key(now, KeyStage::Current)?,
            ],
            hmac_key: URL_SAFE_NO_PAD.encode(super::random::bytes32()),
            data_keys: vec![StoredDataKey::generate(&new_data_key_id(now))],
        })
    }

    /// Puts a new data key first: it seals from now on, the older ones still open.
    pub fn add_data_key(&mut self, now: OffsetDateTime) {
        self.data_keys
            .insert(0, StoredDataKey::generate(&new_data_key_id(now)));
    }

    /// The stage of each signing key, reading material from before stages (its first key is
    /// current, the rest previous).
    pub fn stages(&self) -> Vec<KeyStage> {
        let staged = self.signing_keys.iter().any(|k| k.stage.is_some());
        self.signing_keys
            .iter()
            .enumerate()
            .map(|(i, k)| match (staged, k.stage) {
                (true, Some(stage)) => stage,
                (true, None) => KeyStage::Previous,
                (false, _) if i == 0 => KeyStage::Current,
                (false, _) => KeyStage::Previous,
            })
            .collect()
    }

    /// One rotation: previous ← current ← next, and a new next, so every key is published a
    /// whole rotation period before it signs and one after it stops. Material without a next
    /// key (from before stages) only gains one: its current key keeps signing until the next
    /// rotation, by which time the new key has been published. A new data key seals from now
    /// on (the old ones still open), and the log-hashing key is replaced.
    pub fn rotate(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        let stages = self.stages();
        let keys = std::mem::take(&mut self.signing_keys);
        let has_next = stages.contains(&KeyStage::Next);
        let mut rotated = vec![new_signing_key(now, KeyStage::Next)?];
        for (mut key, stage) in keys.into_iter().zip(stages) {
            let moved = match (stage, has_next) {
                (KeyStage::Next, _) => Some(KeyStage::Current),
                (KeyStage::Current, true) => Some(KeyStage::Previous),
                (KeyStage::Current, false) => Some(KeyStage::Current),
                (KeyStage::Previous, true) => None,
                (KeyStage::Previous, false) => Some(KeyStage::Previous),
            };
            if let Some(stage) = moved {
                key.stage = Some(stage);
                rotated.push(key);
            }
        }
        // At most one previous key: the newest.
        let mut seen_previous = false;
        rotated.retain(|k| {
            let previous = k.stage == Some(KeyStage::Previous);
            let keep = !(previous && seen_previous);
            seen_previous |= previous;
            keep
        });
        self.signing_keys = rotated;
        self.hmac_key = URL_SAFE_NO_PAD.encode(super::random::bytes32());
        // The data key the last rotation added starts sealing; a new one is held until the next.
        for key in &mut self.data_keys {
            key.held_only = false;
        }
        let mut held = StoredDataKey::generate(&new_data_key_id(now));
        held.held_only = true;
        self.data_keys.insert(0, held);
        Ok(())
    }

    /// The kid of the key with `stage`, if any.
    pub fn kid_of(&self, stage: KeyStage) -> Option<&str> {
        self.signing_keys
            .iter()
            .zip(self.stages())
            .find(|(_, s)| *s == stage)
            .map(|(k, _)| k.kid.as_str())
    }
}

fn new_data_key_id(now: OffsetDateTime) -> String {
    format!("d{}", super::random::ulid(now).to_lowercase())
}

fn new_signing_key(now: OffsetDateTime, stage: KeyStage) -> Result<StoredSigningKey, Error> {
    let secret = loop {
        // A random 256-bit string is a valid P-256 scalar except with probability ~2^-32.
        if let Ok(key) = SecretKey::from_slice(&super::random::bytes32()) {
            break key;
        }
    };
    let der = secret
        .to_pkcs8_der()
        .map_err(|e| Error::internal(format!("encoding a signing key: {e}")))?;
    let (x, y) = coordinates(&secret)?;
    Ok(StoredSigningKey {
        kid: thumbprint(&x, &y),
        pkcs8: URL_SAFE_NO_PAD.encode(der.as_bytes()),
        created_at: now,
        stage: Some(stage),
    })
}

fn coordinates(secret: &SecretKey) -> Result<(String, String), Error> {
    let point = secret.public_key().to_encoded_point(false);
    match (point.x(), point.y()) {
        (Some(x), Some(y)) => Ok((URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y))),
        _ => Err(Error::internal("signing key has no affine coordinates")),
    }
}

/// RFC 7638 JWK thumbprint: the `kid` names the key by its content.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A public signing key as published in the JWKS.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Jwk {
    #[schema(example = "EC")]
    pub kty: &'static str,
    #[schema(example = "P-256")]
    pub crv: &'static str,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub use_: &'static str,
    #[schema(example = "ES256")]
    pub alg: &'static str,
}

/// A JWK Set (RFC 7517).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The keys of a running process: one to sign, all to verify, and the JWKS to publish.
pub struct KeyRing {
    pub(crate) current_kid: String,
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: HashMap<String, DecodingKey>,
    jwks: Jwks,
    hmac_key: Vec<u8>,
    data: DataKeys,
}

impl KeyRing {
    pub fn from_material(material: &SecretMaterial) -> Result<Self, Error> {
        let bad = |what: String| Error::internal(format!("secret material: {what}"));
        if material.version != 1 {
            return Err(bad(format!("unsupported version {}", material.version)));
        }
        let hmac_key = URL_SAFE_NO_PAD
            .decode(&material.hmac_key)
            .map_err(|_| bad("hmacKey is not base64url".into()))?;
        if hmac_key.len() < 32 {
            return Err(bad("hmacKey must have at least 256 bits".into()));
        }
        let mut decoding = HashMap::new();
        let mut published = Vec::new();
        let mut current = None;
        for (stored, stage) in material.signing_keys.iter().zip(material.stages()) {
            let der = URL_SAFE_NO_PAD
                .decode(&stored.pkcs8)
                .map_err(|_| bad(format!("key {} is not base64url", stored.kid)))?;
            let secret = SecretKey::from_pkcs8_der(&der)
                .map_err(|_| bad(format!("key {} is not a P-256 PKCS#8 key", stored.kid)))?;
            let (x, y) = coordinates(&secret)?;
            if thumbprint(&x, &y) != stored.kid {
                return Err(bad(format!("key {} does not match its kid", stored.kid)));
            }
            let dk = DecodingKey::from_ec_components(&x, &y)
                .map_err(|e| bad(format!("key {}: {e}", stored.kid)))?;
            decoding.insert(stored.kid.clone(), dk);
            published.push(Jwk {
                kty: "EC",
                crv: "P-256",
                x,
                y,
                kid: stored.kid.clone(),
                use_: "sig",
                alg: "ES256",
            });
            if stage == KeyStage::Current && current.is_none() {
                current = Some((stored.kid.clone(), EncodingKey::from_ec_der(&der)));
            }
        }
        let (current_kid, encoding) =
            current.ok_or_else(|| bad("no current signing key".into()))?;
        let data = DataKeys::from_stored(&material.data_keys)?;
        Ok(Self {
            data,
            current_kid,
            encoding,
            decoding,
            jwks: Jwks { keys: published },
            hmac_key,
        })
    }

    /// The keys that seal data at rest.
    pub fn data_keys(&self) -> &DataKeys {
        &self.data
    }

    /// The public keys as a JWKS document.
    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }

    /// HMAC-SHA256 of `data` under the process key, shortened to 128 bits of hex: lets logs
    /// correlate a recipient or user without naming them.
    pub fn keyed_hash(&self, data: &str) -> String {
        match <Hmac<Sha256> as Mac>::new_from_slice(&self.hmac_key) {
            Ok(mut mac) => {
                mac.update(data.as_bytes());
                super::hex(&mac.finalize().into_bytes()[..16])
            }
            Err(_) => String::from("unhashable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_material_round_trips_through_json() {
        let now = OffsetDateTime::now_utc();
        let m = SecretMaterial::generate(now).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let back: SecretMaterial = serde_json::from_str(&json).unwrap();
        let ring = KeyRing::from_material(&back).unwrap();
        assert_eq!(Some(ring.current_kid.as_str()), m.kid_of(KeyStage::Current));
        let jwk = serde_json::to_value(&ring.jwks().keys[0]).unwrap();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["alg"], "ES256");
        assert_eq!(jwk["use"], "sig");
        assert!(
            jwk.get("d").is_none(),
            "the private scalar must never be published"
        );
        assert!(!format!("{m:?}").contains(&m.signing_keys[0].pkcs8));
    }

    #[test]
    fn keys_are_published_a_rotation_before_they_sign_and_one_after() {
        let now = OffsetDateTime::now_utc();
        let mut m = SecretMaterial::generate(now).unwrap();
        let (k_current, k_next) = (
            m.kid_of(KeyStage::Current).unwrap().to_owned(),
            m.kid_of(KeyStage::Next).unwrap().to_owned(),
        );
        let ring = KeyRing::from_material(&m).unwrap();
        assert_eq!(ring.current_kid, k_current);
        assert_eq!(
            ring.jwks().keys.len(),
            2,
            "next is published before it signs"
        );
        let (hmac, data) = (m.hmac_key.clone(), m.data_keys[0].id.clone());

        m.rotate(now).unwrap();
        assert_eq!(m.kid_of(KeyStage::Current), Some(k_next.as_str()));
        assert_eq!(m.kid_of(KeyStage::Previous), Some(k_current.as_str()));
        let k_new = m.kid_of(KeyStage::Next).unwrap().to_owned();
        let ring = KeyRing::from_material(&m).unwrap();
        assert_eq!(ring.current_kid, k_next);
        let published: Vec<&str> = ring.jwks().keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(published.len(), 3);
        for kid in [&k_current, &k_next, &k_new] {
            assert!(published.contains(&kid.as_str()), "{kid}");
        }
        assert_ne!(m.hmac_key, hmac, "the log-hashing key rotates");
        assert_eq!(
            m.data_keys.len(),
            2,
            "a new data key first, the old one kept"
        );
        assert_eq!(m.data_keys[1].id, data);

        m.rotate(now).unwrap();
        let ring = KeyRing::from_material(&m).unwrap();
        assert!(
            !ring.decoding.contains_key(&k_current),
            "two rotations old is gone"
        );
        assert_eq!(ring.current_kid, k_new);
        assert_eq!(ring.jwks().keys.len(), 3);
    }

    #[test]
    fn material_from_before_stages_first_gains_a_next_key() {
        let now = OffsetDateTime::now_utc();
        let mut m = SecretMaterial::generate(now).unwrap();
        m.signing_keys.remove(0);
        m.signing_keys[0].stage = None;
        let legacy = m.signing_keys[0].kid.clone();
        assert_eq!(KeyRing::from_material(&m).unwrap().current_kid, legacy);
        m.rotate(now).unwrap();
        assert_eq!(
            m.kid_of(KeyStage::Current),
            Some(legacy.as_str()),
            "no unpublished key signs"
        );
        assert!(m.kid_of(KeyStage::Next).is_some());
        m.rotate(now).unwrap();
        assert_eq!(m.kid_of(KeyStage::Previous), Some(legacy.as_str()));
    }

    #[test]
    fn tampered_material_is_refused() {
        let now = OffsetDateTime::now_utc();
        let mut m = SecretMaterial::generate(now).unwrap();
        m.signing_keys[0].kid = "someone-else".into();
        assert!(KeyRing::from_material(&m).is_err());
        let mut m = SecretMaterial::generate(now).unwrap();
        m.hmac_key = URL_SAFE_NO_PAD.encode([1u8; 8]);
        assert!(KeyRing::from_material(&m).is_err());
        let mut m = SecretMaterial::generate(now).unwrap();
        m.signing_keys.clear();
        assert!(KeyRing::from_material(&m).is_err());
        let mut m = SecretMaterial::generate(now).unwrap();
        m.signing_keys.retain(|k| k.stage == Some(KeyStage::Next));
        assert!(
            KeyRing::from_material(&m).is_err(),
            "a next key alone does not sign"
        );
        let mut m = SecretMaterial::generate(now).unwrap();
        m.data_keys.clear();
        assert!(KeyRing::from_material(&m).is_err(), "no data key");
    }

    #[test]
    fn keyed_hash_is_stable_and_keyed() {
        let now = OffsetDateTime::now_utc();
        let a = KeyRing::from_material(&SecretMaterial::generate(now).unwrap()).unwrap();
        let b = KeyRing::from_material(&SecretMaterial::generate(now).unwrap()).unwrap();
        assert_eq!(a.keyed_hash("x@example.com"), a.keyed_hash("x@example.com"));
        assert_ne!(a.keyed_hash("x@example.com"), b.keyed_hash("x@example.com"));
        assert_eq!(a.keyed_hash("x").len(), 32);
    }
}
