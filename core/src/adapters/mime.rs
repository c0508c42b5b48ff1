//! Rendering a `Mail` as an RFC 5322 message (multipart/alternative, text then HTML).
//! lettre encodes every header, so no address or subject can inject another header.

use crate::Error;
use crate::domain::Mail;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart};

/// The whole message, headers and body, as bytes.
pub fn render(mail: &Mail, from: &Mailbox, message_id: &str) -> Result<Vec<u8>, Error> {
    let to: Mailbox = mail
        .to
        .as_str()
        .parse()
        .map_err(|e| Error::internal(format!("recipient address: {e}")))?;
    // 8bit keeps every line, links included, readable and copyable from the `.eml` file;
    // quoted-printable would fold a long link with soft line breaks.
    let part = |ct: ContentType, body: &str| {
        let crlf = body
            .replace("\r\n", "\n")
            .replace('\r', "")
            .replace('\n', "\r\n");
        // RFC 5322/2045 8bit: CRLF line ends, no NUL, at most 998 bytes a line.
        if crlf.contains('\0') || crlf.split("\r\n").any(|line| line.len() > 998) {
            return Err(Error::internal("a mail part is not valid 8bit text"));
        }
        let body = lettre::message::Body::dangerous_pre_encoded(
            crlf.into_bytes(),
            ContentTransferEncoding::EightBit,
        );
        Ok::<_, Error>(lettre::message::SinglePart::builder().header(ct).body(body))
    };
    let (text, html) = (
        part(ContentType::TEXT_PLAIN, &mail.text)?,
        part(ContentType::TEXT_HTML, &mail.html)?,
    );
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
    raw.parse::<Mailbox>()
        .map_err(|e| format!("not a mailbox ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    #[test]
    fn renders_a_multipart_alternative_message() {
        let mail = Mail::verification(
            Email::parse("eve@example.com").unwrap(),
            "https://x/v1/auth/verify-email?token=T",
            24,
        );
        let from = mailbox("Latch <no-reply@example.com>").unwrap();
        let raw = String::from_utf8(render(&mail, &from, "<1@latch>").unwrap()).unwrap();
        assert!(raw.contains("From: Latch <no-reply@example.com>\r\n"));
        assert!(raw.contains("To: eve@example.com\r\n"));
        assert!(raw.contains("Subject: Confirm your email address\r\n"));
        assert!(raw.contains("Message-ID: <1@latch>\r\n"));
        assert!(raw.contains("Content-Type: multipart/alternative;"));
        assert!(raw.contains("text/plain; charset=utf-8"));
        assert!(raw.contains("text/html; charset=utf-8"));
        assert!(raw.contains("Content-Transfer-Encoding: 8bit"));
        assert!(
            raw.contains("\r\nhttps://x/v1/auth/verify-email?token=T\r\n"),
            "the link stands whole on its own line"
        );
    }

    #[test]
    fn refuses_a_bad_sender() {
        assert!(mailbox("not an address").is_err());
        assert!(mailbox("a@b.example\r\nBcc: x@y.z").is_err());
    }
}
