//! Passwords: the secret itself (never printed), its stored PHC hash, and the policy it must meet.

use super::{Email, FieldError};
use std::fmt;

/// A password that met the policy. It is never trimmed, truncated or printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A PHC string (`$argon2id$v=19$m=...`) as stored; printing it is harmless but pointless.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<phc>)")
    }
}

/// The contract's password policy: length in characters (any Unicode), a zxcvbn strength score,
/// and never the email's local part.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub max_chars: usize,
    pub min_score: u8,
    /// Require an upper-case letter, a lower-case letter, a digit and a symbol (off by default,
    /// as ASVS 5 and NIST 800-63B advise).
    pub composition: bool,
}

/// The shipped list: sorted big-endian u64 prefixes of SHA-256(lower-cased password), built by
/// `scripts/build-password-list.py` from RockYou's most frequent and SecLists' breached passwords.
static COMMON: &[u8] = include_bytes!("../../data/common-passwords.bin");

/// How many passwords the shipped list holds.
pub fn common_list_len() -> usize {
    COMMON.len() / 8
}

/// Whether `password` (case-insensitively) is in the shipped list; a binary search, no allocation
/// beyond the lower-cased copy.
pub fn is_common(password: &str) -> bool {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(password.to_lowercase().as_bytes());
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    let key = u64::from_be_bytes(key);
    let entry = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&COMMON[i * 8..i * 8 + 8]);
        u64::from_be_bytes(b)
    };
    let (mut lo, mut hi) = (0, common_list_len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match entry(mid).cmp(&key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 8,
            max_chars: 128,
            min_score: 3,
            composition: false,
        }
    }
}

/// What the strength estimator says of a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    pub score: u8,
    pub feedback: Vec<String>,
}

impl PasswordPolicy {
    /// Scores a password (0..=4) with the user's own data counted as guessable.
    pub fn strength(&self, password: &str, email: Option<&Email>) -> Strength {
        let inputs: Vec<&str> = email
            .map(|e| vec![e.local_part(), e.as_str()])
            .unwrap_or_default();
        // zxcvbn is quadratic in length; past 128 chars the score is "very strong" anyway.
        let sample: String = password.chars().take(self.max_chars).collect();
        if sample.is_empty() {
            return Strength {
                score: 0,
                feedback: vec!["Choose a password.".to_owned()],
            };
        }
        let estimate = zxcvbn::zxcvbn(&sample, &inputs);
        let mut feedback = Vec::new();
        if let Some(fb) = estimate.feedback() {
            if let Some(w) = fb.warning() {
                feedback.push(w.to_string());
            }
            feedback.extend(fb.suggestions().iter().map(|s| s.to_string()));
        }
        Strength {
            score: u8::from(estimate.score()),
            feedback,
        }
    }

    /// Checks a new password for `email`; every failed rule becomes one field error.
    pub fn check(&self, raw: &str, email: &Email) -> Result<Password, Vec<FieldError>> {
        self.check_field("password", raw, Some(email))
    }

    /// The same checks, naming `field` in the errors, with or without an email to compare.
    pub fn check_field(
        &self,
        field: &str,
        raw: &str,
        email: Option<&Email>,
    ) -> Result<Password, Vec<FieldError>> {
        let chars = raw.chars().count();
        let mut errors = Vec::new();
        if chars < self.min_chars {
            errors.push(FieldError::new(
                field,
                "too_short",
                format!("Use at least {} characters.", self.min_chars),
            ));
        } else if chars > self.max_chars {
            errors.push(FieldError::new(
                field,
                "too_long",
                format!("Use at most {} characters.", self.max_chars),
            ));
        } else {
            if let Some(local) = email.map(Email::local_part).filter(|l| l.len() >= 3)
                && raw.to_lowercase().contains(local)
            {
                errors.push(FieldError::new(
                    field,
                    "contains_email",
                    "Do not use your email address in your password.",
                ));
            }
            if is_common(raw) {
                errors.push(FieldError::new(
                    field,
                    "breached",
                    "This password appears in lists of common or breached passwords.",
                ));
            }
            if self.composition {
                let has = |f: fn(&char) -> bool| raw.chars().any(|c| f(&c));
                if !(has(char::is_ascii_uppercase)
                    && has(char::is_ascii_lowercase)
                    && has(char::is_ascii_digit)
                    && has(|c| !c.is_alphanumeric()))
                {
                    errors.push(FieldError::new(
                        field,
                        "composition",
                        "Use upper- and lower-case letters, a digit and a symbol.",
                    ));
                }
            }
            let strength = self.strength(raw, email);
            if strength.score < self.min_score {
                let mut msg = String::from("This password is too easy to guess.");
                for hint in &strength.feedback {
                    msg.push(' ');
                    msg.push_str(hint);
                }
                errors.push(FieldError::new(field, "too_weak", msg));
            }
        }
        if errors.is_empty() {
            Ok(Password(raw.to_owned()))
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("carol@example.com").unwrap()
    }

    fn codes(r: Result<Password, Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn accepts_a_strong_passphrase_and_never_trims_it() {
        let p = PasswordPolicy::default()
            .check("  correct horse battery staple  ", &email())
            .unwrap();
        assert_eq!(p.expose(), "  correct horse battery staple  ");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn refuses_short_long_weak_and_personal_passwords() {
        let policy = PasswordPolicy::default();
        assert_eq!(codes(policy.check("Ab1!", &email())), ["too_short"]);
        assert_eq!(
            codes(policy.check(&"x".repeat(129), &email())),
            ["too_long"]
        );
        assert_eq!(
            codes(policy.check("password1", &email())),
            ["breached", "too_weak"]
        );
        assert!(
            codes(policy.check("Carol-likes-zebras-2024", &email()))
                .contains(&"contains_email".to_owned())
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        // Seven multi-byte characters are too short even though they are 21 bytes.
        assert_eq!(
            codes(PasswordPolicy::default().check("ääääääää".get(..14).unwrap(), &email())),
            ["too_short"]
        );
        let unicode = "Zürich-Äpfel-Öl-Straße-❤";
        assert!(PasswordPolicy::default().check(unicode, &email()).is_ok());
    }

    #[test]
    fn the_shipped_list_is_large_and_found_case_insensitively() {
        assert!(common_list_len() >= 100_000, "{}", common_list_len());
        for common in [
            "password123",
            "PASSWORD123",
            "iloveyou2",
            "qwertyuiop",
            "1q2w3e4r5t",
        ] {
            assert!(is_common(common), "{common}");
        }
        assert!(!is_common("violet-tractor-harbour-19"));
        let codes = codes(
            PasswordPolicy {
                min_score: 0,
                ..PasswordPolicy::default()
            }
            .check("qwertyuiop", &email()),
        );
        assert_eq!(codes, ["breached"]);
    }

    #[test]
    fn composition_rules_are_an_option() {
        let strict = PasswordPolicy {
            composition: true,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            codes(strict.check("violet-tractor-harbour-19", &email())),
            ["composition"]
        );
        assert!(strict.check("Violet-Tractor-Harbour-19", &email()).is_ok());
        assert!(
            PasswordPolicy::default()
                .check("violet-tractor-harbour-19", &email())
                .is_ok()
        );
    }

    #[test]
    fn strength_reports_feedback() {
        let s = PasswordPolicy::default().strength("qwerty", None);
        assert!(s.score < 2);
        assert!(!s.feedback.is_empty());
    }
}
