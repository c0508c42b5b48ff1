//! The mail Latch sends: each kind with a text and an HTML part. Only our own links go in.

use super::Email;

/// What a message is about; logged instead of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Verification,
    /// To an address not yet confirmed: confirm it by choosing the password (whoever
    /// registered it without owning it loses the account).
    ConfirmAndSetPassword,
    RegistrationAttempt,
    PasswordReset,
    PasswordChanged,
    Lockout,
    NewSignIn,
    /// Two-factor sign-in was turned on, off (by the owner or an admin), a recovery code was
    /// used, a code was replayed, or the second factor was locked.
    MfaEnabled,
    MfaDisabled,
    RecoveryCodeUsed,
    MfaCodeReplayed,
    MfaLocked,
    /// A charge was refused because the month's spend cap was reached (once per month).
    SpendCapReached,
}

/// How a kind of mail is rationed (see `service::mail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailClass {
    /// Tells the owner something happened to their account: never dropped, or an attacker
    /// could fill a quota first and act unseen.
    SecurityNotice,
    /// "Someone tried to register with your address": anyone can trigger it, so it has its own
    /// small daily cap per address.
    RegistrationNotice,
    /// Carries a link the recipient asked for: under the per-address hourly quota.
    Link,
}

impl MailKind {
    pub const ALL: [MailKind; 13] = [
        MailKind::Verification,
        MailKind::ConfirmAndSetPassword,
        MailKind::RegistrationAttempt,
        MailKind::PasswordReset,
        MailKind::PasswordChanged,
        MailKind::Lockout,
        MailKind::NewSignIn,
        MailKind::MfaEnabled,
        MailKind::MfaDisabled,
        MailKind::RecoveryCodeUsed,
        MailKind::MfaCodeReplayed,
        MailKind::MfaLocked,
        MailKind::SpendCapReached,
    ];

    /// The kind named `name` (as `as_str` writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Verification => "verification",
            MailKind::ConfirmAndSetPassword => "confirm_and_set_password",
            MailKind::RegistrationAttempt => "registration_attempt",
            MailKind::PasswordReset => "password_reset",
            MailKind::PasswordChanged => "password_changed",
            MailKind::Lockout => "lockout",
            MailKind::NewSignIn => "new_sign_in",
            MailKind::MfaEnabled => "mfa_enabled",
            MailKind::MfaDisabled => "mfa_disabled",
            MailKind::RecoveryCodeUsed => "recovery_code_used",
            MailKind::MfaCodeReplayed => "mfa_code_replayed",
            MailKind::MfaLocked => "mfa_locked",
            MailKind::SpendCapReached => "spend_cap_reached",
        }
    }

    pub fn class(self) -> MailClass {
        match self {
            MailKind::PasswordChanged
            | MailKind::Lockout
            | MailKind::NewSignIn
            | MailKind::MfaEnabled
            | MailKind::MfaDisabled
            | MailKind::RecoveryCodeUsed
            | MailKind::MfaCodeReplayed
            | MailKind::MfaLocked
            | MailKind::SpendCapReached => MailClass::SecurityNotice,
            MailKind::RegistrationAttempt => MailClass::RegistrationNotice,
            MailKind::Verification | MailKind::ConfirmAndSetPassword | MailKind::PasswordReset => {
                MailClass::Link
            }
        }
    }
}

/// One message ready for a mailer.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub kind: MailKind,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Debug shows the kind only: the body may hold a one-time link.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mail({})", self.kind.as_str())
    }
}

impl Mail {
    /// "Confirm your address", with the one-time verification link.
    pub fn verification(to: Email, link: &str, valid_hours: i64) -> Self {
        let text = format!(
            "Welcome to Latch.\n\nConfirm your email address by opening this link within {valid_hours} hours:\n\n{link}\n\n\
             If you did not create an account, ignore this message.\n"
        );
        let html = page(&format!(
            "<p>Welcome to Latch.</p><p>Confirm your email address by opening this link within {valid_hours} hours:</p>\
             <p><a href=\"{l}\">{l}</a></p><p>If you did not create an account, ignore this message.</p>",
            l = escape(link)
        ));
        Self {
            to,
            kind: MailKind::Verification,
            subject: "Confirm your email address".into(),
            text,
            html,
        }
    }

    /// "Someone tried to register with your address": no token, no link to act on.
    pub fn registration_attempt(to: Email, sign_in_hint: &str) -> Self {
        let text = format!(
            "Someone tried to create a Latch account with this email address, which already has one.\n\n\
             If it was you, sign in instead{sign_in_hint}; if you forgot your password, use \"Forgot password\".\n\
             If it was not you, you need not do anything: your account is unchanged.\n"
        );
        let html = page(&format!(
            "<p>Someone tried to create a Latch account with this email address, which already has one.</p>\
             <p>If it was you, sign in instead{}; if you forgot your password, use “Forgot password”.</p>\
             <p>If it was not you, you need not do anything: your account is unchanged.</p>",
            escape(sign_in_hint)
        ));
        Self {
            to,
            kind: MailKind::RegistrationAttempt,
            subject: "Someone tried to register with your address".into(),
            text,
            html,
        }
    }
}

impl Mail {
    /// "Reset your password", with the one-time reset link (valid one hour).
    pub fn password_reset(to: Email, link: &str, valid_minutes: i64) -> Self {
        let text = format!(
            "Someone asked to reset the password of your Latch account.\n\nTo choose a new password, open this link within {valid_minutes} minutes:\n\n{link}\n\n\
             If it was not you, ignore this message: your password stays as it is.\n"
        );
        let html = page(&format!(
            "<p>Someone asked to reset the password of your Latch account.</p><p>To choose a new password, open this link within {valid_minutes} minutes:</p>\
             <p><a href=\"{l}\">{l}</a></p><p>If it was not you, ignore this message: your password stays as it is.</p>",
            l = escape(link)
        ));
        Self {
            to,
            kind: MailKind::PasswordReset,
            subject: "Reset your password".into(),
            text,
            html,
        }
    }

    /// "Confirm your address and choose your password": the answer to resend-verification.
    /// It is a reset link, so confirming the address also sets the password, and an account
    /// someone else registered with this address goes to its owner.
    pub fn confirm_and_set_password(to: Email, link: &str, valid_minutes: i64) -> Self {
        let text = format!(
            "Someone asked for a new confirmation link for this address.\n\nTo confirm it, choose your password by opening this link within {valid_minutes} minutes:\n\n{link}\n\n\
             If you did not create an account, ignore this message.\n"
        );
        let html = page(&format!(
            "<p>Someone asked for a new confirmation link for this address.</p><p>To confirm it, choose your password by opening this link within {valid_minutes} minutes:</p>\
             <p><a href=\"{l}\">{l}</a></p><p>If you did not create an account, ignore this message.</p>",
            l = escape(link)
        ));
        Self {
            to,
            kind: MailKind::ConfirmAndSetPassword,
            subject: "Confirm your address and choose your password".into(),
            text,
            html,
        }
    }

    /// "Your password was changed": no link, only what to do if it was not the owner.
    pub fn password_changed(to: Email) -> Self {
        let text = "The password of your Latch account was just changed, and your other sessions were signed out.\n\n\
                    If it was not you, reset your password at once with \"Forgot password\" and review your account.\n"
            .to_owned();
        let html = page(
            "<p>The password of your Latch account was just changed, and your other sessions were signed out.</p>\
             <p>If it was not you, reset your password at once with “Forgot password” and review your account.</p>",
        );
        Self {
            to,
            kind: MailKind::PasswordChanged,
            subject: "Your password was changed".into(),
            text,
            html,
        }
    }
}

impl Mail {
    /// "Your account was locked": after too many failed passwords.
    pub fn lockout(to: Email, minutes: i64) -> Self {
        let text = format!(
            "There were too many failed sign-in attempts on your Latch account, so it is locked for {minutes} minutes.\n\n\
             Devices you signed in from recently can still sign in. If it was not you, consider resetting your password with \"Forgot password\"; a reset also lifts the lock.\n"
        );
        let html = page(&format!(
            "<p>There were too many failed sign-in attempts on your Latch account, so it is locked for {minutes} minutes.</p>\
             <p>Devices you signed in from recently can still sign in. If it was not you, consider resetting your password with “Forgot password”; a reset also lifts the lock.</p>"
        ));
        Self {
            to,
            kind: MailKind::Lockout,
            subject: "Your account was locked after failed sign-ins".into(),
            text,
            html,
        }
    }

    /// "New sign-in": from a User-Agent and network the account had no session from.
    pub fn new_sign_in(to: Email, user_agent: &str, ip_prefix: &str) -> Self {
        let agent: String = user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let text = format!(
            "Someone just signed in to your Latch account from a new device or network:\n\n  Browser: {agent}\n  Network: {ip_prefix}\n\n\
             If it was you, nothing to do. If not, change your password and sign out everywhere.\n"
        );
        let html = page(&format!(
            "<p>Someone just signed in to your Latch account from a new device or network:</p><ul><li>Browser: {}</li><li>Network: {}</li></ul>\
             <p>If it was you, nothing to do. If not, change your password and sign out everywhere.</p>",
            escape(&agent),
            escape(ip_prefix)
        ));
        Self {
            to,
            kind: MailKind::NewSignIn,
            subject: "New sign-in to your account".into(),
            text,
            html,
        }
    }
}

impl Mail {
    /// A security notice with no link: what happened, and what to do if it was not the owner.
    fn notice(to: Email, kind: MailKind, subject: &str, what: &str, advice: &str) -> Self {
        Self {
            to,
            kind,
            subject: subject.to_owned(),
            text: format!("{what}\n\n{advice}\n"),
            html: page(&format!("<p>{}</p><p>{}</p>", escape(what), escape(advice))),
        }
    }

    pub fn mfa_enabled(to: Email) -> Self {
        Self::notice(
            to,
            MailKind::MfaEnabled,
            "Two-factor sign-in is on",
            "Two-factor sign-in was just turned on for your Latch account: signing in now also asks for a code from your authenticator app.",
            "Keep your recovery codes somewhere safe. If it was not you, reset your password at once and contact support.",
        )
    }

    /// `by_admin`: an administrator reset it, rather than the owner turning it off.
    pub fn mfa_disabled(to: Email, by_admin: bool) -> Self {
        let what = if by_admin {
            "An administrator turned two-factor sign-in off for your Latch account; your recovery codes no longer work."
        } else {
            "Two-factor sign-in was just turned off for your Latch account; your recovery codes no longer work."
        };
        Self::notice(
            to,
            MailKind::MfaDisabled,
            "Two-factor sign-in is off",
            what,
            "If it was not you, reset your password at once, turn two-factor sign-in on again and contact support.",
        )
    }

    pub fn recovery_code_used(to: Email, left: usize) -> Self {
        Self::notice(
            to,
            MailKind::RecoveryCodeUsed,
            "A recovery code was used",
            &format!(
                "A recovery code was just used to sign in to your Latch account; {left} unused codes remain."
            ),
            "If it was not you, someone has your password and a recovery code: reset your password and make new recovery codes at once.",
        )
    }

    pub fn mfa_code_replayed(to: Email) -> Self {
        Self::notice(
            to,
            MailKind::MfaCodeReplayed,
            "A sign-in code was used twice",
            "A two-factor code that had already been used was presented again for your Latch account, and refused.",
            "If you did not just sign in twice, someone may have your password and be watching your codes: change your password.",
        )
    }

    pub fn mfa_locked(to: Email, minutes: i64) -> Self {
        Self::notice(
            to,
            MailKind::MfaLocked,
            "Two-factor sign-in locked after wrong codes",
            &format!(
                "After several wrong two-factor codes, sign-in codes for your Latch account are refused for {minutes} minutes. Wrong codes are only asked for after a correct password."
            ),
            "If it was not you, someone has your password: reset it at once.",
        )
    }
}

impl Mail {
    /// "Your spend cap was reached": sent the first time a charge is refused in a month.
    pub fn spend_cap_reached(to: Email, period: &str, cap_cents: u64) -> Self {
        let cap = format!("{}.{:02}", cap_cents / 100, cap_cents % 100);
        Self::notice(
            to,
            MailKind::SpendCapReached,
            "Your monthly spend cap was reached",
            &format!(
                "A charge to your Latch account was refused: it would have taken your spend for {period} above your cap of {cap}. Nothing more will be charged this month unless you raise the cap."
            ),
            "Charges start again at the next month. If your plan allows a higher cap, you can raise it in your account's limits.",
        )
    }
}

fn page(body: &str) -> String {
    format!("<!doctype html><html><head><meta charset=\"utf-8\"></head><body>{body}</body></html>")
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_mail_carries_the_link_in_both_parts() {
        let to = Email::parse("dan@example.com").unwrap();
        let m = Mail::verification(
            to,
            "https://id.example.com/v1/auth/verify-email?token=abc",
            24,
        );
        assert!(
            m.text
                .contains("https://id.example.com/v1/auth/verify-email?token=abc")
        );
        assert!(
            m.html
                .contains("href=\"https://id.example.com/v1/auth/verify-email?token=abc\"")
        );
        assert_eq!(format!("{m:?}"), "Mail(verification)");
    }

    #[test]
    fn new_sign_in_mail_escapes_the_user_agent() {
        let m = Mail::new_sign_in(
            Email::parse("dan@example.com").unwrap(),
            "<script>x</script>\r\nBcc: a@b",
            "203.0.113.0/24",
        );
        assert!(m.html.contains("&lt;script&gt;"));
        assert!(!m.html.contains("<script>"));
        assert!(!m.text.contains('\r'));
    }

    #[test]
    fn two_factor_notices_are_never_rationed_and_carry_no_link() {
        let to = Email::parse("ada@example.com").unwrap();
        for mail in [
            Mail::mfa_enabled(to.clone()),
            Mail::mfa_disabled(to.clone(), false),
            Mail::mfa_disabled(to.clone(), true),
            Mail::recovery_code_used(to.clone(), 9),
            Mail::mfa_code_replayed(to.clone()),
            Mail::mfa_locked(to.clone(), 5),
            Mail::spend_cap_reached(to.clone(), "2026-12", 1050),
        ] {
            assert_eq!(mail.kind.class(), MailClass::SecurityNotice, "{mail:?}");
            assert!(
                !mail.text.contains("http") && !mail.html.contains("href"),
                "{mail:?}"
            );
            assert!(mail.html.starts_with("<!doctype html>"));
        }
        assert!(
            Mail::recovery_code_used(to.clone(), 9)
                .text
                .contains("9 unused codes")
        );
        assert!(Mail::mfa_disabled(to, true).text.contains("administrator"));
    }

    #[test]
    fn registration_attempt_mail_has_no_token_and_escapes() {
        let to = Email::parse("dan@example.com").unwrap();
        let m = Mail::registration_attempt(to, " at <https://app>");
        assert!(!m.text.contains("token="));
        assert!(m.html.contains("&lt;https://app&gt;"));
    }
}
