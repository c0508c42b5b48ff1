//! Two-factor helpers: codes from a secret at the app's time, an account with MFA on, and the
//! second step of a login.

use super::{Reply, STRONG_PASSWORD, TestApp, s};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The TOTP code of `secret` (base32) at `unix` seconds: SHA-1, 6 digits, 30 s.
pub fn code_at(secret: &str, unix: i64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(bytes).build().unwrap();
    totp.generate(u64::try_from(unix).unwrap()).to_string()
}

/// An account with MFA on, signed in.
pub struct MfaUser {
    pub email: String,
    pub access: String,
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

impl TestApp {
    /// The code of `secret` at the app's clock, `steps` time steps from now.
    pub fn code(&self, secret: &str, steps: i64) -> String {
        code_at(secret, self.deps.clock.now().unix_timestamp() + 30 * steps)
    }

    pub async fn post_bearer(&self, path: &str, access: &str, body: &Value) -> Reply {
        let body = serde_json::to_vec(body).unwrap();
        self.call(Method::POST, path, Some(access), Some(body))
            .await
    }

    /// enable-init then enable-complete with the current code: the secret and recovery codes.
    pub async fn enable_mfa(&self, access: &str) -> (String, Vec<String>) {
        let init = self
            .post_bearer(
                "/v1/auth/2fa/enable-init",
                access,
                &json!({"password": STRONG_PASSWORD}),
            )
            .await;
        assert_eq!(init.status, StatusCode::OK, "{}", init.body);
        let secret = s(&init.body, "secret");
        let code = self.code(&secret, 0);
        let done = self
            .post_bearer(
                "/v1/auth/2fa/enable-complete",
                access,
                &json!({"code": code}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        let codes = done.body["recoveryCodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (secret, codes)
    }

    /// A verified account, signed in, with MFA turned on.
    pub async fn mfa_user(&self) -> MfaUser {
        let (email, tokens) = self.signed_in().await;
        let access = s(&tokens, "accessToken");
        let (secret, recovery_codes) = self.enable_mfa(&access).await;
        MfaUser {
            email,
            access,
            secret,
            recovery_codes,
        }
    }

    /// A login of an account with MFA on: its `mfaToken`.
    pub async fn mfa_login(&self, email: &str) -> String {
        let login = self.login(email, STRONG_PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        assert_eq!(login.body["mfaRequired"], true, "{}", login.body);
        assert!(login.body.get("accessToken").is_none(), "{}", login.body);
        s(&login.body, "mfaToken")
    }

    pub async fn verify_code(&self, mfa_token: &str, code: &str) -> Reply {
        let body = json!({"mfaToken": mfa_token, "code": code});
        self.post_json("/v1/auth/2fa/verify", &body).await
    }

    pub async fn recovery_login(&self, mfa_token: &str, recovery_code: &str) -> Reply {
        let body = json!({"mfaToken": mfa_token, "recoveryCode": recovery_code});
        self.post_json("/v1/auth/recovery-login", &body).await
    }
}
