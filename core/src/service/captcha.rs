//! Adaptive CAPTCHA: once the email or the client address has failed often enough, login,
//! register and forgot-password need a Turnstile answer that succeeded, was solved on one of
//! the configured hostnames and for this route's action. A refusal here is not a failed login.

use super::{Caller, Deps, guard};
use crate::Error;
use crate::ports::CaptchaVerdict;

/// The route a CAPTCHA answer was rendered for (Turnstile's `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptchaAction {
    Login,
    Register,
    ForgotPassword,
    /// A code after an MFA lock (2fa/verify, recovery-login).
    SecondFactor,
}

impl CaptchaAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::ForgotPassword => "forgot-password",
            Self::SecondFactor => "2fa",
        }
    }
}

/// When CAPTCHA is on and the email or the address has failed often enough, the caller must
/// bring a good answer: 400 `captcha_required` without one, `captcha_invalid` for one that is
/// not good enough for `action`.
pub async fn required(
    deps: &Deps,
    caller: &Caller,
    raw_email: &str,
    token: Option<&str>,
    action: CaptchaAction,
) -> Result<(), Error> {
    if deps.captcha.is_none() || !deps.settings.captcha {
        return Ok(());
    }
    let rules = &deps.settings.lockout;
    let now = deps.clock.now();
    let (email_counter, ip_counter) = (guard::email_key(raw_email), guard::ip_key(caller));
    let (by_email, by_ip) = tokio::try_join!(
        deps.counters.peek(&email_counter, rules.window, now),
        deps.counters.peek(&ip_counter, rules.window, now)
    )?;
    if by_email < rules.captcha_after && by_ip < rules.captcha_after {
        return Ok(());
    }
    check(deps, caller, token, action).await
}

/// When CAPTCHA is on, the caller must bring a good answer for `action` (no counts asked: the
/// caller has decided it is due).
pub async fn demanded(
    deps: &Deps,
    caller: &Caller,
    token: Option<&str>,
    action: CaptchaAction,
) -> Result<(), Error> {
    if deps.captcha.is_none() || !deps.settings.captcha {
        return Ok(());
    }
    check(deps, caller, token, action).await
}

async fn check(
    deps: &Deps,
    caller: &Caller,
    token: Option<&str>,
    action: CaptchaAction,
) -> Result<(), Error> {
    let Some(captcha) = deps.captcha.as_ref() else {
        return Ok(());
    };
    let token = token
        .filter(|t| !t.is_empty() && t.len() <= 2048)
        .ok_or(Error::CaptchaRequired)?;
    let verdict = captcha.verify(token, caller.client.ip).await?;
    if good_enough(&verdict, &deps.settings.captcha_hostnames, action) {
        Ok(())
    } else {
        Err(Error::CaptchaInvalid)
    }
}

/// A verdict passes only when it succeeded, names a configured hostname and this action: an
/// answer solved on another site, or for another form of ours, is no answer.
fn good_enough(verdict: &CaptchaVerdict, hostnames: &[String], action: CaptchaAction) -> bool {
    let host_ok = verdict.hostname.as_deref().is_some_and(|h| {
        hostnames
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(h))
    });
    verdict.success && host_ok && verdict.action.as_deref() == Some(action.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(success: bool, hostname: Option<&str>, action: Option<&str>) -> CaptchaVerdict {
        CaptchaVerdict {
            success,
            hostname: hostname.map(str::to_owned),
            action: action.map(str::to_owned),
        }
    }

    #[test]
    fn only_a_successful_answer_for_our_host_and_this_action_passes() {
        let hosts = ["app.example.com".to_owned()];
        let login = CaptchaAction::Login;
        assert!(good_enough(
            &verdict(true, Some("app.example.com"), Some("login")),
            &hosts,
            login
        ));
        assert!(good_enough(
            &verdict(true, Some("APP.example.com"), Some("login")),
            &hosts,
            login
        ));
        for bad in [
            verdict(false, Some("app.example.com"), Some("login")),
            verdict(true, Some("evil.example"), Some("login")),
            verdict(true, None, Some("login")),
            verdict(true, Some("app.example.com"), Some("register")),
            verdict(true, Some("app.example.com"), None),
        ] {
            assert!(!good_enough(&bad, &hosts, login), "{bad:?}");
        }
        assert!(!good_enough(
            &verdict(true, Some("app.example.com"), Some("login")),
            &[],
            login
        ));
    }
}
