//! TOTP per RFC 6238 (SHA-1, 30-second steps, 6 digits, one step either side) on `totp-rs`, the
//! `otpauth://` URL authenticator apps read, and its QR code as SVG, made in-process.

use crate::Error;
use totp_rs::{Builder, Secret, Totp};

/// 160 bits, the RFC 4226 recommendation and what authenticator apps expect.
pub const SECRET_BYTES: usize = 20;
pub const DIGITS: u8 = 6;
pub const STEP_SECONDS: u64 = 30;

/// A new random TOTP secret.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    let mut secret = [0u8; SECRET_BYTES];
    super::random::fill(&mut secret);
    secret
}

/// The secret in RFC 4648 base32 without padding, as apps take it.
pub fn base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

fn totp(secret: &[u8], digits: u8) -> Result<Totp, Error> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_digits(digits)
        .with_step_duration(STEP_SECONDS)
        .with_skew(1)
        .build()
        .map_err(|e| Error::internal(format!("totp: {e}")))
}

/// The time step of `unix` seconds.
pub fn step_of(unix: u64) -> u64 {
    unix / STEP_SECONDS
}

/// The step (`step_of` of the current time, or one either side) whose code `code` is; `None`
/// when it is none of them or not six ASCII digits. Spaces are ignored (`123 456`). Codes are
/// compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, unix: u64) -> Result<Option<u64>, Error> {
    let code: String = code.chars().filter(|c| *c != ' ').collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret, DIGITS)?.check(&code, unix))
}

/// The code of the step containing `unix`.
pub fn code_at(secret: &[u8], unix: u64) -> Result<String, Error> {
    Ok(totp(secret, DIGITS)?.generate(unix).to_string())
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&…` (Key Uri Format), each part
/// percent-encoded so that a `:`, `&`, `#` or space in either name cannot change the URL's shape.
pub fn otpauth_url(issuer: &str, account: &str, secret_base32: &str) -> String {
    let (i, a) = (percent(issuer), percent(account));
    format!(
        "otpauth://totp/{i}:{a}?secret={secret_base32}&issuer={i}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A QR code of `data` as a standalone SVG document.
pub fn qr_svg(data: &str) -> Result<String, Error> {
    let code = qrcode::QrCode::new(data.as_bytes())
        .map_err(|e| Error::internal(format!("qr code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits, the RFC's secret "12345678901234567890").
    #[test]
    fn rfc_6238_vectors() {
        let t = totp(b"12345678901234567890", 8).unwrap();
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(t.generate(time).to_string(), code, "t={time}");
        }
    }

    #[test]
    fn codes_match_their_step_and_one_either_side_only() {
        let secret = new_secret();
        let now = 1_800_000_015;
        let step = step_of(now);
        let code = |t: u64| code_at(&secret, t).unwrap();
        assert_eq!(matching_step(&secret, &code(now), now).unwrap(), Some(step));
        let earlier = now - STEP_SECONDS;
        assert_eq!(
            matching_step(&secret, &code(earlier), now).unwrap(),
            Some(step - 1)
        );
        let later = now + STEP_SECONDS;
        assert_eq!(
            matching_step(&secret, &code(later), now).unwrap(),
            Some(step + 1)
        );
        for far in [now - 2 * STEP_SECONDS, now + 2 * STEP_SECONDS] {
            let c = code(far);
            if [code(now), code(earlier), code(later)].contains(&c) {
                continue; // one in a million: the far code repeats a near one
            }
            assert_eq!(matching_step(&secret, &c, now).unwrap(), None);
        }
        let spaced = format!("{} {}", &code(now)[..3], &code(now)[3..]);
        assert_eq!(matching_step(&secret, &spaced, now).unwrap(), Some(step));
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let secret = new_secret();
        for bad in [
            "",
            "12345",
            "1234567",
            "+12345",
            "12a456",
            "１２３４５６",
            "-12345",
        ] {
            assert_eq!(
                matching_step(&secret, bad, 1_800_000_000).unwrap(),
                None,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_url_escapes_issuer_and_account() {
        let url = otpauth_url("Acme & Co", "ada:x@example.com", "JBSWY3DPEHPK3PXP");
        assert!(url.starts_with("otpauth://totp/Acme%20%26%20Co:ada%3Ax%40example.com?"));
        assert!(url.contains("&issuer=Acme%20%26%20Co&"));
        assert!(url.contains("secret=JBSWY3DPEHPK3PXP"));
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("otpauth://totp/Latch:a?secret=A").unwrap();
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.contains("</svg>"));
    }
}
