//! Rendering a `Mail` as an RFC 5322 message (multipart/alternative, text then HTML).
//! lettre encodes every header, so no address or subject can inject another header.

use crate::Error;
use crate::domain::Mail;
use lettre::message::{Mailbox, MultiPart, header::ContentType};

/// The whole message, headers and body, as bytes.
pub fn render(mail: &Mail, from: &Mailbox, message_id: &str) -> Result<Vec<u8>, Error> {
    let to: Mailbox = mail.to.as_str().parse().map_err(|e| Error::internal(format!("recipient address: {e}")))?;
    let text = lettre::message::SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone());
    let html = lettre::message::SinglePart::builder().header(ContentType::TEXT_HTML).body(mail.html.clone());
    let message = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.to_owned()))
        .multipart(MultiPart::alternative().singlepart(text).singlepart(html))
        .map_err(|e| Error::internal(format!("building a message: {e}")))?;
    Ok(message.formatted())
}

/// Parses `LATCH_MAIL_FROM` (`Name <addr@domain>` or a bare address).
pub fn mailbox(raw: &str) -> Result<Mailbox, String> {
    raw.parse::<Mailbox>().map_err(|e| format!("not a mailbox ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    #[test]
    fn renders_a_multipart_alternative_message() {
        let mail = Mail::verification(Email::parse("eve@example.com").unwrap(), "https://x/v1/auth/verify-email?token=T", 24);
        let from = mailbox("Latch <no-reply@example.com>").unwrap();
        let raw = String::from_utf8(render(&mail, &from, "<1@latch>").unwrap()).unwrap();
        assert!(raw.contains("From: Latch <no-reply@example.com>\r\n"));
        assert!(raw.contains("To: eve@example.com\r\n"));
        assert!(raw.contains("Subject: Confirm your email address\r\n"));
        assert!(raw.contains("Message-ID: <1@latch>\r\n"));
        assert!(raw.contains("Content-Type: multipart/alternative;"));
        assert!(raw.contains("text/plain; charset=utf-8"));
        assert!(raw.contains("text/html; charset=utf-8"));
        assert!(raw.contains("https://x/v1/auth/verify-email?token=T"));
    }

    #[test]
    fn refuses_a_bad_sender() {
        assert!(mailbox("not an address").is_err());
        assert!(mailbox("a@b.example\r\nBcc: x@y.z").is_err());
    }
}
