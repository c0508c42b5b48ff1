//! Access tokens: ES256 JWTs with `kid`, checked against our own clock with ±120 s skew.

use super::KeyRing;
use crate::Error;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const SKEW_SECONDS: i64 = 120;
/// Longer than any token we issue; refused before any parsing.
const MAX_TOKEN_BYTES: usize = 4096;

/// The claims of an access token, as the contract lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub roles: Vec<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// Why a presented access token was refused; all of them answer 401 `invalid_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenVerifyError {
    Malformed,
    UnknownKey,
    BadSignatureOrClaims,
    Expired,
    NotYetValid,
}

impl KeyRing {
    /// Signs `claims` with the current key, naming it in `kid`.
    pub fn sign_access(&self, claims: &AccessClaims) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.current_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| Error::internal(format!("signing a token: {e}")))
    }

    /// Verifies signature, algorithm, `kid`, `iss`, `aud` and the time claims against `now`.
    pub fn verify_access(
        &self,
        token: &str,
        issuer: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<AccessClaims, TokenVerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenVerifyError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenVerifyError::Malformed)?;
        // Only ES256 is ever accepted: `alg: none`, HS256 keyed with our public key and every
        // other algorithm stop here, before a key is chosen.
        if header.alg != Algorithm::ES256 {
            return Err(TokenVerifyError::BadSignatureOrClaims);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenVerifyError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        // Time is checked below against the injected clock, not the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map_err(|_| TokenVerifyError::BadSignatureOrClaims)?;
        let claims = data.claims;
        let now = now.unix_timestamp();
        if claims.exp + SKEW_SECONDS <= now {
            return Err(TokenVerifyError::Expired);
        }
        if claims.nbf - SKEW_SECONDS > now || claims.iat - SKEW_SECONDS > now {
            return Err(TokenVerifyError::NotYetValid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretMaterial;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const ISS: &str = "https://id.example.com";
    const AUD: &str = "example-app";

    fn ring() -> KeyRing {
        KeyRing::from_material(&SecretMaterial::generate(OffsetDateTime::now_utc()).unwrap())
            .unwrap()
    }

    fn claims(now: i64) -> AccessClaims {
        AccessClaims {
            iss: ISS.into(),
            aud: AUD.into(),
            sub: "01J0000000000000000000USER".into(),
            sid: "01J000000000000000000SESS1".into(),
            roles: vec!["USER".into()],
            iat: now,
            nbf: now,
            exp: now + 900,
            jti: "01J0000000000000000000JTI1".into(),
        }
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn a_token_verifies_within_its_lifetime_and_skew() {
        let ring = ring();
        let t0 = 1_800_000_000;
        let token = ring.sign_access(&claims(t0)).unwrap();
        assert_eq!(
            ring.verify_access(&token, ISS, AUD, at(t0)).unwrap(),
            claims(t0)
        );
        assert!(
            ring.verify_access(&token, ISS, AUD, at(t0 + 900 + 119))
                .is_ok()
        );
        assert_eq!(
            ring.verify_access(&token, ISS, AUD, at(t0 + 900 + 120)),
            Err(TokenVerifyError::Expired)
        );
        assert!(ring.verify_access(&token, ISS, AUD, at(t0 - 119)).is_ok());
        assert_eq!(
            ring.verify_access(&token, ISS, AUD, at(t0 - 121)),
            Err(TokenVerifyError::NotYetValid)
        );
    }

    #[test]
    fn wrong_issuer_audience_key_or_payload_is_refused() {
        let ring = ring();
        let t0 = 1_800_000_000;
        let token = ring.sign_access(&claims(t0)).unwrap();
        assert!(
            ring.verify_access(&token, "https://evil", AUD, at(t0))
                .is_err()
        );
        assert!(ring.verify_access(&token, ISS, "other", at(t0)).is_err());
        let other =
            KeyRing::from_material(&SecretMaterial::generate(OffsetDateTime::now_utc()).unwrap())
                .unwrap();
        assert_eq!(
            other.verify_access(&token, ISS, AUD, at(t0)),
            Err(TokenVerifyError::UnknownKey)
        );
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut payload = claims(t0);
        payload.roles = vec!["ADMIN".into()];
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        assert_eq!(
            ring.verify_access(&parts.join("."), ISS, AUD, at(t0)),
            Err(TokenVerifyError::BadSignatureOrClaims)
        );
        assert_eq!(
            ring.verify_access("not-a-jwt", ISS, AUD, at(t0)),
            Err(TokenVerifyError::Malformed)
        );
        assert_eq!(
            ring.verify_access(&"a".repeat(5000), ISS, AUD, at(t0)),
            Err(TokenVerifyError::Malformed)
        );
    }

    #[test]
    fn alg_none_and_hs256_with_the_public_key_are_refused() {
        let ring = ring();
        let t0 = 1_800_000_000;
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(t0)).unwrap());
        let kid = ring.current_kid.clone();
        let none_header =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#));
        assert!(
            ring.verify_access(&format!("{none_header}.{body}."), ISS, AUD, at(t0))
                .is_err()
        );
        let jwk = serde_json::to_string(&ring.jwks().keys[0]).unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid);
        let forged = jsonwebtoken::encode(
            &header,
            &claims(t0),
            &jsonwebtoken::EncodingKey::from_secret(jwk.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            ring.verify_access(&forged, ISS, AUD, at(t0)),
            Err(TokenVerifyError::BadSignatureOrClaims)
        );
    }
}
