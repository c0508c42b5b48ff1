//! Cloudflare Turnstile: POST the token to siteverify (`LATCH_TURNSTILE_VERIFY_URL`) with the
//! secret and the client's address, and report its verdict (success, hostname, action): the
//! guard service decides whether that verdict is enough.

use crate::Error;
use crate::ports::{Captcha, CaptchaVerdict};
use async_trait::async_trait;
use std::net::IpAddr;
use std::time::Duration;

pub struct Turnstile {
    client: reqwest::Client,
    verify_url: String,
    secret: String,
}

impl Turnstile {
    pub fn new(verify_url: String, secret: String) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::internal(format!("building the Turnstile client: {e}")))?;
        Ok(Self {
            client,
            verify_url,
            secret,
        })
    }
}

#[derive(serde::Deserialize)]
struct Verdict {
    success: bool,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

#[async_trait]
impl Captcha for Turnstile {
    async fn verify(&self, token: &str, client_ip: IpAddr) -> Result<CaptchaVerdict, Error> {
        let ip = client_ip.to_string();
        let form = [
            ("secret", self.secret.as_str()),
            ("response", token),
            ("remoteip", ip.as_str()),
        ];
        let res = self
            .client
            .post(&self.verify_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::unavailable(format!("turnstile siteverify: {e}")))?;
        if !res.status().is_success() {
            return Err(Error::unavailable(format!(
                "turnstile siteverify answered {}",
                res.status()
            )));
        }
        let verdict: Verdict = res
            .json()
            .await
            .map_err(|e| Error::unavailable(format!("turnstile siteverify body: {e}")))?;
        Ok(CaptchaVerdict {
            success: verdict.success,
            hostname: verdict.hostname,
            action: verdict.action,
        })
    }
}
