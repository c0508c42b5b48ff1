//! A message on the mail queue (`LATCH_MAIL=sqs`): a mail to send, or a rehearsal. A request
//! for an address with no account enqueues a rehearsal of the same length as the mail a known
//! address would get, so both cost one enqueue of one size; `mail-sender` drops rehearsals.

use super::{Email, Mail, MailKind};
use serde::{Deserialize, Serialize};

/// What `mail-sender` found in a queue message's body.
#[derive(Debug, PartialEq, Eq)]
pub enum QueuedMail {
    Send(Mail),
    Rehearsal,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
enum Wire {
    Mail {
        to: Email,
        kind: String,
        subject: String,
        text: String,
        html: String,
    },
    Rehearsal {
        pad: String,
    },
}

impl QueuedMail {
    /// The queue message body carrying `mail`.
    pub fn body(mail: &Mail) -> String {
        let wire = Wire::Mail {
            to: mail.to.clone(),
            kind: mail.kind.as_str().to_owned(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// A rehearsal body exactly as long as `body(mail)`, holding nothing of `mail`.
    pub fn rehearsal_body(mail: &Mail) -> String {
        let wanted = Self::body(mail).len();
        let empty = serde_json::to_string(&Wire::Rehearsal { pad: String::new() })
            .unwrap_or_default()
            .len();
        let pad = "_".repeat(wanted.saturating_sub(empty));
        serde_json::to_string(&Wire::Rehearsal { pad }).unwrap_or_default()
    }

    /// Reads a queue message body; the problem says what is wrong, never what the body holds.
    pub fn parse(body: &str) -> Result<Self, String> {
        match serde_json::from_str::<Wire>(body) {
            Ok(Wire::Rehearsal { .. }) => Ok(QueuedMail::Rehearsal),
            Ok(Wire::Mail {
                to,
                kind,
                subject,
                text,
                html,
            }) => {
                let kind = MailKind::parse(&kind).ok_or("the message names no known kind")?;
                Ok(QueuedMail::Send(Mail {
                    to,
                    kind,
                    subject,
                    text,
                    html,
                }))
            }
            Err(e) => Err(format!(
                "not a queued mail (line {}, column {}: {:?})",
                e.line(),
                e.column(),
                e.classify()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail::password_reset(
            Email::parse("ada@example.com").unwrap(),
            "https://id.example.com/reset?token=SECRET",
            30,
        )
    }

    #[test]
    fn a_mail_survives_the_queue_whole() {
        let m = mail();
        assert_eq!(
            QueuedMail::parse(&QueuedMail::body(&m)),
            Ok(QueuedMail::Send(m))
        );
    }

    #[test]
    fn a_rehearsal_is_as_long_as_the_mail_and_holds_none_of_it() {
        let m = mail();
        let rehearsal = QueuedMail::rehearsal_body(&m);
        assert_eq!(rehearsal.len(), QueuedMail::body(&m).len());
        assert!(!rehearsal.contains("ada@") && !rehearsal.contains("SECRET"));
        assert_eq!(QueuedMail::parse(&rehearsal), Ok(QueuedMail::Rehearsal));
    }

    #[test]
    fn every_kind_is_named_back() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn a_broken_or_strange_body_is_refused_without_echoing_it() {
        for body in [
            "",
            "not json SECRET",
            r#"{"type":"mail","to":"ada@example.com","kind":"nope","subject":"s","text":"SECRET","html":"h"}"#,
            r#"{"type":"mail","to":"not an address SECRET","kind":"verification","subject":"s","text":"t","html":"h"}"#,
            r#"{"type":"rehearsal","pad":"","extra":"SECRET"}"#,
        ] {
            let problem = QueuedMail::parse(body).unwrap_err();
            assert!(!problem.contains("SECRET"), "{problem}");
        }
    }
}
