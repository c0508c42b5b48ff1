//! SCRAM-SHA-256 verifiers (RFC 5802, RFC 7677) as PostgreSQL stores them, so a role's password
//! is set without the password itself ever reaching the server (nor its statement log).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// PostgreSQL's own default iteration count (`scram_iterations`).
pub const ITERATIONS: u32 = 4096;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 (a key of any length is taken, so `None` never happens in practice).
fn hmac(key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().into())
}

/// PBKDF2-HMAC-SHA256 with one block of output (RFC 8018), SCRAM's `Hi`.
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> Option<[u8; 32]> {
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &first)?;
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u)?;
        out.iter_mut().zip(u).for_each(|(o, x)| *o ^= x);
    }
    Some(out)
}

/// The verifier `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` of `password`,
/// or `None` for a password SASLprep would change: only printable ASCII is taken as it is.
pub fn verifier(password: &str, salt: &[u8], iterations: u32) -> Option<String> {
    if password.is_empty() || !password.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return None;
    }
    let salted = salted_password(password.as_bytes(), salt, iterations)?;
    let stored_key = Sha256::digest(hmac(&salted, b"Client Key")?);
    let server_key = hmac(&salted, b"Server Key")?;
    Some(format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_match_an_independent_implementation() {
        // Python's hashlib.pbkdf2_hmac and hmac, for "pencil" and this salt at 4096 rounds.
        assert_eq!(
            verifier("pencil", b"0123456789abcdef", 4096).unwrap(),
            "SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$nQpbZ77WudtqufPwikHXGRt6g2QJ4zns8bZLw273DRM=:jn2amWP1q1h+jgjy0YTO14S6/F02SV7taipOeB7ef20="
        );
    }

    #[test]
    fn only_passwords_saslprep_leaves_alone_are_taken() {
        for bad in ["", "pässword", "tab\there", "new\nline"] {
            assert_eq!(verifier(bad, b"salt", ITERATIONS), None, "{bad:?}");
        }
        let v = verifier("Aa0-_ ~!", b"salt", 2).unwrap();
        assert!(v.starts_with("SCRAM-SHA-256$2:c2FsdA==$"));
        assert!(!v.contains("Aa0-_"));
    }
}
