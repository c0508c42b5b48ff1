//! Cloudflare Turnstile: POST the token to siteverify (`LATCH_TURNSTILE_VERIFY_URL`) with the
//! secret and the client's address, and report its verdict (success, hostname, action): the
//! guard service decides whether that verdict is enough.

use crate::Error;
use crate::deadlines::Deadlines;
use crate::ports::{Captcha, CaptchaVerdict};
use async_trait::async_trait;
use std::net::IpAddr;

pub struct Turnstile {
    client: reqwest::Client,
    verify_url: String,
    secret: String,
}

impl Turnstile {
    /// A client whose every siteverify request (connecting included) ends within
    /// `deadlines.captcha`.
    pub fn new(verify_url: String, secret: String, deadlines: &Deadlines) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(deadlines.connect.min(deadlines.captcha))
            .timeout(deadlines.captcha)
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
            .map_err(|e| outage(e.is_timeout(), &e))?;
        if !res.status().is_success() {
            let status = res.status();
            return Err(outage(false, &format!("answered {status}")));
        }
        let verdict: Verdict = res
            .json()
            .await
            .map_err(|e| outage(e.is_timeout(), &format!("reading the answer: {e}")))?;
        Ok(CaptchaVerdict {
            success: verdict.success,
            hostname: verdict.hostname,
            action: verdict.action,
        })
    }
}

fn outage(timed_out: bool, detail: &dyn std::fmt::Display) -> Error {
    crate::telemetry::outage("turnstile siteverify", timed_out, &detail.to_string())
}
