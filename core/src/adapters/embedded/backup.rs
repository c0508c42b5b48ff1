//! Backups of the embedded store, taken while it serves: every table as of one read
//! transaction, copied into a new store file, with the keys (`secrets.json`) and the tenant
//! secrets beside it and a manifest of what each table held, written last. `restore` puts such a
//! folder back, only into a store no process holds, and moves what it replaces aside.
//!
//! The folder holds the keys: it is made readable by its owner alone.

use super::{BYTES_TABLES, COUNT_TABLES, EmbeddedStore, SET_TABLES, TEXT_TABLES, db_err};
use crate::Error;
use crate::ports::{Backups, TableBackup};
use async_trait::async_trait;
use redb::{
    ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, TableHandle,
    WriteTransaction,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;

/// The store's file, and what a backup holds beside it.
pub const STORE_FILE: &str = "latch.redb";
const SECRETS_FILE: &str = "secrets.json";
const TENANT_SECRETS: &str = "tenant-secrets";
const MANIFEST: &str = "manifest.json";

/// What a backup held when it was taken; written last, so a folder without one is incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Table name → its rows.
    pub items: BTreeMap<String, u64>,
}

/// Every row of every table, values as bytes (text as UTF-8, counts big-endian): what a restore
/// drill compares.
pub type Contents = BTreeMap<String, Vec<(String, Vec<u8>)>>;

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::internal(format!("{what} {}: {e}", path.display()))
}

fn private_dir(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| io("creating", path, e))
}

/// A folder made by this call, its owner's alone; one that is already there is refused (its
/// owner could read what goes in, or have planted links where the copies go).
fn new_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

fn copy_rows<V: redb::Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: TableDefinition<&str, V>,
) -> Result<u64, Error> {
    let source = from.open_table(def).map_err(db_err)?;
    let mut target = to.open_table(def).map_err(db_err)?;
    let mut rows = 0;
    for row in source.iter().map_err(db_err)? {
        let (key, value) = row.map_err(db_err)?;
        target.insert(key.value(), value.value()).map_err(db_err)?;
        rows += 1;
    }
    Ok(rows)
}

fn rows_of<V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<&str, V>,
    bytes: impl Fn(V::SelfType<'_>) -> Vec<u8>,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let table = txn.open_table(def).map_err(db_err)?;
    let mut rows = Vec::new();
    for row in table.iter().map_err(db_err)? {
        let (key, value) = row.map_err(db_err)?;
        rows.push((key.value().to_owned(), bytes(value.value())));
    }
    Ok(rows)
}

/// Copies a file or a folder of files, if it is there.
fn copy_beside(from: &Path, to: &Path) -> Result<(), Error> {
    if from.is_file() {
        std::fs::copy(from, to).map_err(|e| io("copying", from, e))?;
    } else if from.is_dir() {
        private_dir(to)?;
        for entry in std::fs::read_dir(from).map_err(|e| io("reading", from, e))? {
            let entry = entry.map_err(|e| io("reading", from, e))?;
            copy_beside(&entry.path(), &to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), Error> {
    let part = dir.join(format!("{MANIFEST}.part"));
    let text = serde_json::to_vec_pretty(manifest)
        .map_err(|e| Error::internal(format!("encoding the manifest: {e}")))?;
    std::fs::write(&part, text).map_err(|e| io("writing", &part, e))?;
    std::fs::rename(&part, dir.join(MANIFEST)).map_err(|e| io("writing", &part, e))
}

/// The manifest of the backup in `dir`, or why it is not a complete backup.
pub fn manifest_of(dir: &Path) -> Result<Manifest, Error> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|_| {
        Error::internal(format!(
            "{} holds no complete backup (no {MANIFEST})",
            dir.display()
        ))
    })?;
    serde_json::from_slice(&text).map_err(|e| Error::internal(format!("{}: {e}", path.display())))
}

impl EmbeddedStore {
    /// Backs the store up into `dir` (new, or empty) as of one read transaction, with the keys
    /// and tenant secrets of `data_dir`. Writers go on meanwhile; none of their later changes is
    /// in the copy, and none of a transaction is half in it.
    pub async fn back_up_into(
        &self,
        dir: &Path,
        data_dir: &Path,
        now: OffsetDateTime,
    ) -> Result<Manifest, Error> {
        // A folder of our own making, never one that was there (its owner could read the keys,
        // or have planted links where the copies go).
        if let Some(parent) = dir.parent() {
            private_dir(parent)?;
        }
        new_private_dir(dir).map_err(|e| {
            Error::internal(format!(
                "{}: {e}: a backup goes into a new folder",
                dir.display()
            ))
        })?;
        let (dir, data_dir) = (dir.to_owned(), data_dir.to_owned());
        self.with_db(move |db| {
            let snapshot = db.begin_read().map_err(db_err)?;
            // Secrets are copied after the snapshot began: a key added meanwhile is kept, and
            // no key the snapshot's data needs can be missing (keys are only ever added).
            let part = dir.join(format!("{STORE_FILE}.part"));
            let target = EmbeddedStore::open(&part)?;
            let target_db = Arc::try_unwrap(target.db)
                .map_err(|_| Error::internal("the backup's store is shared"))?;
            let txn = target_db.begin_write().map_err(db_err)?;
            let mut items = BTreeMap::new();
            for def in BYTES_TABLES {
                items.insert(def.name().to_owned(), copy_rows(&snapshot, &txn, *def)?);
            }
            for def in TEXT_TABLES {
                items.insert(def.name().to_owned(), copy_rows(&snapshot, &txn, *def)?);
            }
            for def in COUNT_TABLES {
                items.insert(def.name().to_owned(), copy_rows(&snapshot, &txn, *def)?);
            }
            for def in SET_TABLES {
                items.insert(def.name().to_owned(), copy_rows(&snapshot, &txn, *def)?);
            }
            txn.commit().map_err(db_err)?;
            drop(target_db);
            std::fs::rename(&part, dir.join(STORE_FILE)).map_err(|e| io("writing", &part, e))?;
            copy_beside(&data_dir.join(SECRETS_FILE), &dir.join(SECRETS_FILE))?;
            copy_beside(&data_dir.join(TENANT_SECRETS), &dir.join(TENANT_SECRETS))?;
            let manifest = Manifest {
                format: 1,
                created: now,
                items,
            };
            write_manifest(&dir, &manifest)?;
            Ok(manifest)
        })
        .await
    }

    /// Every row of every table, as of one read transaction.
    pub async fn contents(&self) -> Result<Contents, Error> {
        self.read(|txn| {
            let mut all = Contents::new();
            for def in BYTES_TABLES {
                all.insert(def.name().to_owned(), rows_of(txn, *def, |v| v.to_vec())?);
            }
            for def in TEXT_TABLES {
                all.insert(
                    def.name().to_owned(),
                    rows_of(txn, *def, |v| v.as_bytes().to_vec())?,
                );
            }
            for def in COUNT_TABLES {
                all.insert(
                    def.name().to_owned(),
                    rows_of(txn, *def, |v| v.to_be_bytes().to_vec())?,
                );
            }
            for def in SET_TABLES {
                all.insert(def.name().to_owned(), rows_of(txn, *def, |()| Vec::new())?);
            }
            Ok(all)
        })
        .await
    }

    /// The names of the tables the file holds (a test holds them to the table groups).
    pub async fn table_names(&self) -> Result<Vec<String>, Error> {
        self.read(|txn| {
            Ok(txn
                .list_tables()
                .map_err(db_err)?
                .map(|t| t.name().to_owned())
                .collect())
        })
        .await
    }
}

const LOCK_FILE: &str = "latch.lock";

/// Held (shared) by a server for as long as it serves the data directory; a restore takes it
/// exclusively, so no server starts on a half-restored folder and no restore runs under one.
pub fn serving_lock(data_dir: &Path) -> Result<std::fs::File, Error> {
    data_dir_lock(
        data_dir,
        false,
        "a restore is running on this data directory",
    )
}

fn restore_lock(data_dir: &Path) -> Result<std::fs::File, Error> {
    data_dir_lock(
        data_dir,
        true,
        "a server is running on this data directory: stop it before restoring",
    )
}

/// `<data_dir>/latch.lock`, locked shared or exclusive without waiting; `busy` says why not.
fn data_dir_lock(data_dir: &Path, exclusive: bool, busy: &str) -> Result<std::fs::File, Error> {
    private_dir(data_dir)?;
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io("opening", &path, e))?;
    let locked = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match locked {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(Error::internal(format!("{}: {busy}", data_dir.display())))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io("locking", &path, e)),
    }
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the store, keys and tenant secrets it replaced were moved (none if there were none).
    pub moved_aside: Option<PathBuf>,
    /// Accounts whose sessions, links and TOTP steps from before the restore were ended.
    pub accounts_reset: usize,
}

/// Puts the backup in `backup` back as the store of `data_dir`. The backup is first copied
/// beside the store and checked there (it opens, each table holds the rows its manifest says,
/// the keys are there), so a bad backup changes nothing. Refused while a process holds the
/// store (stop the server first); the store is held through the swap, so no server starts on
/// it half-way. What it replaces is moved into `data_dir/before-restore-<time>/`, never deleted.
pub async fn restore(
    backup: &Path,
    data_dir: &Path,
    now: OffsetDateTime,
) -> Result<Restored, Error> {
    let manifest = manifest_of(backup)?;
    if manifest.format != 1 {
        return Err(Error::internal(format!(
            "{}: backup format {} is not one this version reads",
            backup.display(),
            manifest.format
        )));
    }
    let keys = std::fs::read(backup.join(SECRETS_FILE))
        .ok()
        .and_then(|text| {
            let material: crate::crypto::SecretMaterial = serde_json::from_slice(&text).ok()?;
            crate::crypto::KeyRing::from_material(&material).ok()
        });
    if keys.is_none() {
        return Err(Error::internal(format!(
            "{} holds no readable {SECRETS_FILE}: without its keys the restored store could not be read",
            backup.display()
        )));
    }
    let _restoring = restore_lock(data_dir)?;
    let stamp = crate::domain::utc_stamp(now);
    private_dir(data_dir)?;
    let unique = crate::crypto::random::ulid(now).to_lowercase();
    let staging = data_dir.join(format!(".restoring-{unique}"));
    new_private_dir(&staging).map_err(|e| io("creating", &staging, e))?;
    let staged = stage(backup, &staging, &manifest).await;
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let store = data_dir.join(STORE_FILE);
    // Held until the swap is done: a server starting meanwhile finds the store in use.
    let _held = if store.exists() {
        match redb::Database::open(&store) {
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(Error::internal(format!(
                    "{} is in use: stop the server before restoring",
                    store.display()
                )));
            }
            Err(e) => {
                tracing::warn!(target: "latch::backup", error = %e, "the store being replaced does not open; moving it aside");
                None
            }
            Ok(db) => Some(db),
        }
    } else {
        None
    };
    let present: Vec<&str> = [STORE_FILE, SECRETS_FILE, TENANT_SECRETS]
        .into_iter()
        .filter(|name| data_dir.join(name).exists())
        .collect();
    let moved_aside = if present.is_empty() {
        None
    } else {
        let aside = data_dir.join(format!("before-restore-{stamp}-{unique}"));
        new_private_dir(&aside).map_err(|e| io("creating", &aside, e))?;
        for name in present {
            std::fs::rename(data_dir.join(name), aside.join(name))
                .map_err(|e| io("moving aside", &data_dir.join(name), e))?;
        }
        Some(aside)
    };
    for name in [STORE_FILE, SECRETS_FILE, TENANT_SECRETS] {
        if staging.join(name).exists() {
            std::fs::rename(staging.join(name), data_dir.join(name))
                .map_err(|e| io("putting in place", &data_dir.join(name), e))?;
        }
    }
    let _ = std::fs::remove_dir_all(&staging);
    // Whatever happened since the backup must not come back to life: sessions revoked since,
    // TOTP codes spent since, links issued since. Every account is reset before any server can
    // open the store (the restore lock is still held).
    let accounts_reset = EmbeddedStore::open(&data_dir.join(STORE_FILE))?
        .reset_after_restore(now)
        .await?;
    Ok(Restored {
        manifest,
        moved_aside,
        accounts_reset,
    })
}

/// Copies the backup into `staging` and checks the copy against the manifest.
async fn stage(backup: &Path, staging: &Path, manifest: &Manifest) -> Result<(), Error> {
    copy_beside(&backup.join(STORE_FILE), &staging.join(STORE_FILE))?;
    copy_beside(&backup.join(SECRETS_FILE), &staging.join(SECRETS_FILE))?;
    copy_beside(&backup.join(TENANT_SECRETS), &staging.join(TENANT_SECRETS))?;
    let copy = EmbeddedStore::open(&staging.join(STORE_FILE))?;
    let contents = copy.contents().await?;
    drop(copy);
    for (table, count) in &manifest.items {
        let found = contents.get(table).map_or(0, Vec::len) as u64;
        if found != *count {
            return Err(Error::internal(format!(
                "the backup's table {table} holds {found} rows, its manifest {count}: nothing was restored"
            )));
        }
    }
    Ok(())
}

/// `Backups` on the embedded store: each backup a folder under `<data dir>/backups/`.
pub struct EmbeddedBackups {
    store: EmbeddedStore,
    data_dir: PathBuf,
    clock: Arc<dyn crate::ports::Clock>,
}

impl EmbeddedBackups {
    pub fn new(
        store: EmbeddedStore,
        data_dir: PathBuf,
        clock: Arc<dyn crate::ports::Clock>,
    ) -> Self {
        Self {
            store,
            data_dir,
            clock,
        }
    }

    fn folder(&self) -> PathBuf {
        self.data_dir.join("backups")
    }
}

#[async_trait]
impl Backups for EmbeddedBackups {
    async fn take(&self, name: &str) -> Result<Vec<TableBackup>, Error> {
        let name = format!("{name}-store");
        let dir = self.folder().join(&name);
        let manifest = self
            .store
            .back_up_into(&dir, &self.data_dir, self.clock.now())
            .await?;
        Ok(vec![TableBackup {
            id: name.clone(),
            table: "store".into(),
            name,
            created: manifest.created,
        }])
    }

    async fn list(&self, prefix: &str) -> Result<Vec<TableBackup>, Error> {
        let folder = self.folder();
        let Ok(entries) = std::fs::read_dir(&folder) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io("reading", &folder, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) {
                continue;
            }
            // A folder without a manifest is a backup that did not finish: not listed.
            if let Ok(manifest) = manifest_of(&entry.path()) {
                found.push(TableBackup {
                    id: name.clone(),
                    table: "store".into(),
                    name,
                    created: manifest.created,
                });
            }
        }
        found.sort_by_key(|b| (b.created, b.name.clone()));
        Ok(found)
    }

    async fn delete(&self, backup: &TableBackup) -> Result<(), Error> {
        if backup.id.contains('/') || backup.id.starts_with('.') {
            return Err(Error::internal("not a backup of this store"));
        }
        match std::fs::remove_dir_all(self.folder().join(&backup.id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("deleting", &self.folder().join(&backup.id), e)),
        }
    }
}
