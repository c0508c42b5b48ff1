//! The mail queue (`LATCH_MAIL=sqs`): a handler's mail is one `SendMessage`, so no request
//! waits on SES; the `mail-sender` function sends it (see `service::mail_queue`).

use crate::Error;
use crate::domain::Mail;
use crate::domain::queued_mail::QueuedMail;
use crate::ports::Mailer;
use async_trait::async_trait;
use aws_sdk_sqs::Client;

pub struct QueuedMailer {
    client: Client,
    queue_url: String,
}

impl QueuedMailer {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }

    async fn enqueue(&self, body: String, what: &str) -> Result<(), Error> {
        let out = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| super::sdk_error("sqs SendMessage", e))?;
        tracing::debug!(target: "latch::mail", what, messageId = out.message_id().unwrap_or(""), "mail enqueued");
        Ok(())
    }
}

#[async_trait]
impl Mailer for QueuedMailer {
    async fn send(&self, mail: &Mail) -> Result<(), Error> {
        self.enqueue(QueuedMail::body(mail), mail.kind.as_str())
            .await
    }

    /// One enqueue of the same size as `send`'s, which `mail-sender` drops: a request for an
    /// address with no account costs what a known one does.
    async fn rehearse(&self, mail: &Mail) -> Result<(), Error> {
        self.enqueue(QueuedMail::rehearsal_body(mail), "rehearsal")
            .await
    }
}
