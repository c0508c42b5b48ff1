//! The SES mailer (SESv2 `SendEmail` with simple content: a subject, a text and an HTML part).

use crate::Error;
use crate::domain::Mail;
use crate::ports::Mailer;
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    /// `from` is the `LATCH_MAIL_FROM` mailbox; its address or domain must be an SES identity.
    pub fn new(client: Client, from: String) -> Self {
        Self { client, from }
    }
}

fn utf8(data: &str) -> Result<Content, Error> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| Error::internal(format!("building SES content: {e}")))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), Error> {
        let body = Body::builder()
            .text(utf8(&mail.text)?)
            .html(utf8(&mail.html)?)
            .build();
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(body)
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(mail.to.as_str())
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| super::sdk_error("ses SendEmail", e))?;
        tracing::info!(target: "latch::mail", kind = mail.kind.as_str(), messageId = out.message_id().unwrap_or(""), "mail sent through SES");
        Ok(())
    }

    /// Nothing: SES offers no call that does a send's work without delivering. The queued
    /// mail-sender will make a known and an unknown address one enqueue each.
    async fn rehearse(&self, _mail: &Mail) -> Result<(), Error> {
        Ok(())
    }
}
