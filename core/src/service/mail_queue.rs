//! The rule of the `mail-sender` function: each message of a batch from the mail queue is sent
//! through the mailer (SES), rehearsals are dropped, and every message that could not be sent
//! is reported back by id, so SQS offers it again and, after the queue's `maxReceiveCount`,
//! moves it to the dead-letter queue. Messages that were sent are never reported, so a partly
//! failed batch sends nothing twice.

use crate::domain::queued_mail::QueuedMail;
use crate::ports::Mailer;
use serde::Serialize;

/// One queue message: its id and its body.
#[derive(Debug, Clone)]
pub struct QueueMessage {
    pub id: String,
    pub body: String,
}

/// What one batch came to.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub sent: usize,
    pub rehearsals: usize,
    /// The ids of the messages to be offered again.
    pub failed: Vec<String>,
}

/// Sends every message of `batch` at once; the order of `failed` follows the batch.
pub async fn deliver(mailer: &dyn Mailer, batch: &[QueueMessage]) -> Delivery {
    let outcomes = futures_util::future::join_all(batch.iter().map(|m| one(mailer, m))).await;
    let mut delivery = Delivery::default();
    for (message, outcome) in batch.iter().zip(outcomes) {
        match outcome {
            Outcome::Sent => delivery.sent += 1,
            Outcome::Rehearsal => delivery.rehearsals += 1,
            Outcome::Failed => delivery.failed.push(message.id.clone()),
        }
    }
    delivery
}

enum Outcome {
    Sent,
    Rehearsal,
    Failed,
}

async fn one(mailer: &dyn Mailer, message: &QueueMessage) -> Outcome {
    match QueuedMail::parse(&message.body) {
        Ok(QueuedMail::Rehearsal) => Outcome::Rehearsal,
        Ok(QueuedMail::Send(mail)) => match mailer.send(&mail).await {
            Ok(()) => Outcome::Sent,
            Err(e) => {
                tracing::warn!(target: "latch::mail", messageId = %message.id, kind = mail.kind.as_str(), error = %e, "queued mail not sent; SQS offers it again");
                Outcome::Failed
            }
        },
        Err(problem) => {
            tracing::error!(target: "latch::mail", messageId = %message.id, problem, "queue message is not a mail; it goes to the dead-letter queue after its retries");
            Outcome::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::domain::{Email, Mail};
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// Records what it sends; refuses mail to addresses starting with "down".
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    #[async_trait]
    impl Mailer for Recorder {
        async fn send(&self, mail: &Mail) -> Result<(), Error> {
            if mail.to.as_str().starts_with("down") {
                return Err(Error::internal("ses refused"));
            }
            self.0.lock().unwrap().push(mail.to.as_str().to_owned());
            Ok(())
        }
        async fn rehearse(&self, _mail: &Mail) -> Result<(), Error> {
            Ok(())
        }
    }

    fn message(id: &str, body: String) -> QueueMessage {
        QueueMessage {
            id: id.into(),
            body,
        }
    }

    fn reset(to: &str) -> Mail {
        Mail::password_reset(Email::parse(to).unwrap(), "https://x.test/r?t=1", 30)
    }

    #[tokio::test]
    async fn sends_mail_drops_rehearsals_and_reports_only_what_failed() {
        let mailer = Recorder::default();
        let batch = [
            message("1", QueuedMail::body(&reset("ada@example.com"))),
            message("2", QueuedMail::rehearsal_body(&reset("x@example.com"))),
            message("3", QueuedMail::body(&reset("down@example.com"))),
            message("4", "{poison".into()),
            message("5", QueuedMail::body(&reset("bo@example.com"))),
        ];
        let delivery = deliver(&mailer, &batch).await;
        assert_eq!(
            delivery,
            Delivery {
                sent: 2,
                rehearsals: 1,
                failed: vec!["3".into(), "4".into()],
            }
        );
        let mut sent = mailer.0.lock().unwrap().clone();
        sent.sort();
        assert_eq!(sent, ["ada@example.com", "bo@example.com"]);
    }

    #[tokio::test]
    async fn an_empty_batch_is_nothing_to_do() {
        assert_eq!(
            deliver(&Recorder::default(), &[]).await,
            Delivery::default()
        );
    }
}
