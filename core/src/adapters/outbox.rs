//! The local mailer: each message becomes an RFC 5322 `.eml` file under `<data dir>/outbox/`.
//! The log line names the kind, the file and a keyed hash of the recipient, never the body.

use super::mime;
use crate::Error;
use crate::domain::Mail;
use crate::ports::{Clock, Mailer};
use async_trait::async_trait;
use lettre::message::Mailbox;
use std::path::PathBuf;
use std::sync::Arc;

pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
    keys: Arc<crate::keys::Keys>,
    clock: Arc<dyn Clock>,
}

impl OutboxMailer {
    pub fn new(
        dir: PathBuf,
        from: Mailbox,
        keys: Arc<crate::keys::Keys>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            dir,
            from,
            keys,
            clock,
        }
    }
}

fn io(what: &str, e: std::io::Error) -> Error {
    crate::telemetry::outage(&format!("outbox {what}"), false, &e.to_string())
}

impl OutboxMailer {
    /// Renders `mail` and writes it to a hidden temporary file; returns the file and the name
    /// the message gets once it is moved into place.
    async fn stage(&self, mail: &Mail) -> Result<(PathBuf, String), Error> {
        let id = crate::crypto::random::ulid(self.clock.now());
        let bytes = mime::render(mail, &self.from, &format!("<{id}@latch.local>"))?;
        let name = format!("{id}-{}.eml", mail.kind.as_str());
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| io("mkdir", e))?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, &bytes)
            .await
            .map_err(|e| io("write", e))?;
        Ok((tmp, name))
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<(), Error> {
        // Write then rename, so a reader never sees half a message.
        let (tmp, name) = self.stage(mail).await?;
        tokio::fs::rename(&tmp, self.dir.join(&name))
            .await
            .map_err(|e| io("rename", e))?;
        let recipient = self.keys.keyed_hash(mail.to.as_str());
        tracing::info!(target: "latch::mail", kind = mail.kind.as_str(), file = %name, recipient = %recipient, "mail written to outbox");
        Ok(())
    }

    async fn rehearse(&self, mail: &Mail) -> Result<(), Error> {
        let (tmp, _) = self.stage(mail).await?;
        tokio::fs::remove_file(&tmp)
            .await
            .map_err(|e| io("remove", e))
    }
}
