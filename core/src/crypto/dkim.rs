//! DKIM signing keys for mail domains: RSA 2048 made in-process (aws-lc, from the OS CSPRNG),
//! the private key handed to the signer (SES, or kept locally) and the public key published as
//! the TXT record `<selector>._domainkey.<domain>` (RFC 6376 §3.6.1).

use crate::Error;
use crate::domain::dns::{DnsRecord, DomainName, RecordType};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The selector every key is published under.
pub const SELECTOR: &str = "latch";

/// How long resolvers may keep the key record.
const TTL: u32 = 3600;

/// A mail domain's signing key. `Debug` never shows the private half.
#[derive(Clone)]
pub struct DkimKey {
    /// PKCS#8 DER, base64: what SES takes as `DomainSigningPrivateKey`.
    private_key: String,
    /// SubjectPublicKeyInfo DER, base64: the record's `p=`.
    public_key: String,
}

impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl DkimKey {
    pub fn generate() -> Result<Self, Error> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| Error::internal("RSA key generation failed"))?;
        let private = pair
            .as_der()
            .map_err(|_| Error::internal("RSA private key encoding failed"))?;
        let public = pair
            .public_key()
            .as_der()
            .map_err(|_| Error::internal("RSA public key encoding failed"))?;
        Ok(Self {
            private_key: STANDARD.encode(private.as_ref()),
            public_key: STANDARD.encode(public.as_ref()),
        })
    }

    /// The private key, base64 PKCS#8: for the signer only, never logged or answered.
    pub fn private_key(&self) -> &str {
        &self.private_key
    }

    /// The record that publishes the public key for `domain`.
    pub fn record(&self, domain: &DomainName) -> DnsRecord {
        DnsRecord {
            kind: RecordType::Txt,
            name: format!("{SELECTOR}._domainkey.{}", domain.as_str()),
            value: format!("v=DKIM1; k=rsa; p={}", self.public_key),
            ttl: TTL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_rsa_2048_published_whole_and_never_debug_printed() {
        let key = DkimKey::generate().unwrap();
        let domain = DomainName::parse("example.com").unwrap();
        let record = key.record(&domain);
        assert_eq!(record.name, "latch._domainkey.example.com");
        // The record takes the shape a zone accepts from a request.
        let again = DnsRecord::parse(&domain, "TXT", &record.name, &record.value, 3600).unwrap();
        assert_eq!(again, record);
        let p = record.value.strip_prefix("v=DKIM1; k=rsa; p=").unwrap();
        let spki = STANDARD.decode(p).unwrap();
        assert!(
            (290..300).contains(&spki.len()),
            "2048-bit SPKI: {}",
            spki.len()
        );
        let private = STANDARD.decode(key.private_key()).unwrap();
        assert!(KeyPair::from_pkcs8(&private).is_ok());
        assert!(!format!("{key:?}").contains(key.private_key()));
        assert_ne!(DkimKey::generate().unwrap().public_key, key.public_key);
    }
}
