//! `latch-local backup DIR` and `latch-local restore DIR`. A running server holds the embedded
//! store (redb locks its file), so a backup asks that server, over a Unix socket in the data
//! directory (`control.sock`, its owner's alone), to copy the store as of one read transaction;
//! with no server running, the command opens the store itself. A restore needs the server
//! stopped.

use latch_core::Error;
use latch_core::adapters::embedded::EmbeddedStore;
use latch_core::adapters::embedded::backup::{self, Manifest, Restored, STORE_FILE};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

const SOCKET: &str = "control.sock";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Request {
    Backup { dir: PathBuf },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Answer {
    Done(Manifest),
    Failed(String),
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Serves backups of `store` on `<data_dir>/control.sock` until the process ends.
pub fn listen(data_dir: &Path, store: EmbeddedStore) -> Result<tokio::task::JoinHandle<()>, Error> {
    use std::os::unix::fs::PermissionsExt;
    let path = data_dir.join(SOCKET);
    // A socket left by a server that did not stop cleanly: nothing answers on it any more (the
    // store's lock, which this process holds, says so).
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| Error::internal(format!("listening on {}: {e}", path.display())))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::internal(format!("{}: {e}", path.display())))?;
    let owner = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(data_dir)
            .map_err(|e| Error::internal(format!("{}: {e}", data_dir.display())))?
            .uid()
    };
    let data_dir = data_dir.to_owned();
    Ok(tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(target: "latch::backup", error = %e, "control socket: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            // Only the data directory's owner may ask (the socket's mode says so too).
            if stream.peer_cred().map(|c| c.uid()).ok() != Some(owner) {
                tracing::warn!(target: "latch::backup", "control socket: a request from another user was refused");
                continue;
            }
            let (store, data_dir) = (store.clone(), data_dir.clone());
            tokio::spawn(async move {
                if let Err(e) = answer(stream, &store, &data_dir).await {
                    tracing::warn!(target: "latch::backup", error = %e, "control request failed");
                }
            });
        }
    }))
}

async fn answer(stream: UnixStream, store: &EmbeddedStore, data_dir: &Path) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let line = tokio::time::timeout(std::time::Duration::from_secs(10), read_line(read))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "no request within 10 s")
        })??;
    let answer = match serde_json::from_str::<Request>(&line) {
        Ok(Request::Backup { dir }) => match store.back_up_into(&dir, data_dir, now()).await {
            Ok(manifest) => {
                tracing::info!(target: "latch::backup", dir = %dir.display(), items = ?manifest.items, "backup taken");
                Answer::Done(manifest)
            }
            Err(e) => Answer::Failed(latch_core::telemetry::error_chain(&e)),
        },
        Err(_) => Answer::Failed("not a request this server knows".into()),
    };
    let mut text = serde_json::to_string(&answer).unwrap_or_default();
    text.push('\n');
    write.write_all(text.as_bytes()).await
}

/// One line of at most 64 KiB.
async fn read_line(read: impl tokio::io::AsyncRead + Unpin) -> std::io::Result<String> {
    use tokio::io::AsyncReadExt;
    let mut line = String::new();
    BufReader::new(read.take(64 * 1024))
        .read_line(&mut line)
        .await?;
    Ok(line)
}

/// Backs the store of `data_dir` up into `dir`: through the running server if there is one,
/// else from the store itself.
pub async fn back_up(data_dir: &Path, dir: &Path) -> Result<Manifest, Error> {
    let dir =
        std::path::absolute(dir).map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
    match UnixStream::connect(data_dir.join(SOCKET)).await {
        Ok(stream) => through_server(stream, &dir).await,
        Err(_) => {
            let store = EmbeddedStore::open(&data_dir.join(STORE_FILE))?;
            store.back_up_into(&dir, data_dir, now()).await
        }
    }
}

async fn through_server(stream: UnixStream, dir: &Path) -> Result<Manifest, Error> {
    let fail = |e: std::io::Error| Error::internal(format!("asking the running server: {e}"));
    let (read, mut write) = stream.into_split();
    let mut request = serde_json::to_string(&Request::Backup {
        dir: dir.to_owned(),
    })
    .map_err(|e| Error::internal(e.to_string()))?;
    request.push('\n');
    write.write_all(request.as_bytes()).await.map_err(fail)?;
    let line = read_line(read).await.map_err(fail)?;
    match serde_json::from_str::<Answer>(&line) {
        Ok(Answer::Done(manifest)) => Ok(manifest),
        Ok(Answer::Failed(why)) => Err(Error::internal(why)),
        Err(_) => Err(Error::internal(
            "the running server gave no answer (is it an older version?)",
        )),
    }
}

/// Restores the backup in `dir` as the store of `data_dir` (the server must be stopped).
pub async fn restore(data_dir: &Path, dir: &Path) -> Result<Restored, Error> {
    backup::restore(dir, data_dir, now()).await
}
