//! At most N messages per account and hour: a `Mailer` around the real one. Over the quota a
//! message is dropped (and logged by recipient hash), never answered as an error, so the quota
//! tells a caller nothing about the account.

use crate::Error;
use crate::crypto::KeyRing;
use crate::domain::Mail;
use crate::ports::{Clock, Counters, Mailer};
use async_trait::async_trait;
use std::sync::Arc;
use time::Duration;

pub struct QuotaMailer {
    pub inner: Arc<dyn Mailer>,
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<KeyRing>,
    /// Messages per recipient and hour; 0 turns the quota off.
    pub per_hour: u64,
}

#[async_trait]
impl Mailer for QuotaMailer {
    async fn send(&self, mail: &Mail) -> Result<(), Error> {
        if self.per_hour > 0 {
            let sent = self
                .counters
                .hit(
                    &format!("mail:{}", mail.to),
                    Duration::hours(1),
                    self.clock.now(),
                )
                .await?;
            if sent > self.per_hour {
                let recipient = self.keys.keyed_hash(mail.to.as_str());
                tracing::warn!(target: "latch::mail", kind = mail.kind.as_str(), recipient = %recipient, "mail quota reached; message dropped");
                return Ok(());
            }
        }
        self.inner.send(mail).await
    }
}
