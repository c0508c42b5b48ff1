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

/// One ES256 private key, PKCS#8 DER in base64url.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StoredSigningKey {
    pub kid: String,
    pub pkcs8: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for SecretMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.signing_keys.iter().map(|k| k.kid.as_str()).collect();
        write!(f, "SecretMaterial {{ kids: {kids:?}, .. }}")
    }
}

impl SecretMaterial {
    /// Fresh material: one new signing key and a new HMAC key.
    pub fn generate(now: OffsetDateTime) -> Result<Self, Error> {
        Ok(Self {
            version: 1,
            signing_keys: vec![new_signing_key(now)?],
            hmac_key: URL_SAFE_NO_PAD.encode(super::random::bytes32()),
            data_keys: vec![StoredDataKey::generate(&new_data_key_id(now))],
        })
    }

    /// Puts a new data key first: it seals from now on, the older ones still open.
    pub fn add_data_key(&mut self, now: OffsetDateTime) {
        self.data_keys
            .insert(0, StoredDataKey::generate(&new_data_key_id(now)));
    }

    /// Puts a new signing key first and keeps one previous key, so tokens signed just before
    /// a rotation still verify until they expire.
    pub fn rotate(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        self.signing_keys.insert(0, new_signing_key(now)?);
        self.signing_keys.truncate(2);
        Ok(())
    }
}

/// A data key's id: `d` and the time it was made, so ids sort by age and never repeat in practice.
fn new_data_key_id(now: OffsetDateTime) -> String {
    format!("d{}", super::random::ulid(now).to_lowercase())
}

fn new_signing_key(now: OffsetDateTime) -> Result<StoredSigningKey, Error> {
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
        for stored in &material.signing_keys {
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
            current.get_or_insert_with(|| (stored.kid.clone(), EncodingKey::from_ec_der(&der)));
        }
        let (current_kid, encoding) = current.ok_or_else(|| bad("no signing key".into()))?;
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
        assert_eq!(ring.current_kid, m.signing_keys[0].kid);
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
    fn rotation_keeps_the_previous_key_published() {
        let now = OffsetDateTime::now_utc();
        let mut m = SecretMaterial::generate(now).unwrap();
        let old = m.signing_keys[0].kid.clone();
        m.rotate(now).unwrap();
        m.rotate(now).unwrap();
        let ring = KeyRing::from_material(&m).unwrap();
        assert_eq!(ring.jwks().keys.len(), 2);
        assert!(
            !ring.decoding.contains_key(&old),
            "only one previous key is kept"
        );
        assert_eq!(ring.current_kid, m.signing_keys[0].kid);
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
