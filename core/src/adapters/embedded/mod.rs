//! The embedded store: one redb file under the data directory, implementing every store port
//! with the same semantics as DynamoDB (each invariant inside one write transaction).

mod audit;
pub mod backup;
mod guards;
pub(crate) use guards::window_key;
mod ledger;
mod mail_domains;
mod resources;
mod sessions;
mod users;
mod zones;

use crate::Error;
use crate::domain::AuditEvent;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, Table, TableDefinition,
    WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::Arc;

pub(crate) const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
pub(crate) const EMAILS: TableDefinition<&str, &str> = TableDefinition::new("emails");
pub(crate) const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("tokens");
pub(crate) const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
pub(crate) const REFRESH: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh_tokens");
/// `<key>#<window id>` → count (rate limits, failed logins, mail per account).
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
/// Normalized email → its login lock.
pub(crate) const LOCKS: TableDefinition<&str, &[u8]> = TableDefinition::new("locks");
/// `<user id>/<session id>` → nothing: lists a user's sessions by key range.
pub(crate) const USER_SESSIONS: TableDefinition<&str, ()> = TableDefinition::new("user_sessions");
/// Audit event id → the event.
pub(crate) const AUDIT: TableDefinition<&str, &[u8]> = TableDefinition::new("audit");
/// `<time key>#<event id>` → event id: the trail in time order.
pub(crate) const AUDIT_BY_TIME: TableDefinition<&str, &str> = TableDefinition::new("audit_by_time");
/// `<chain>#<time key>#<seq>` → event id: each hash chain in order.
pub(crate) const AUDIT_CHAIN: TableDefinition<&str, &str> = TableDefinition::new("audit_chain");
/// Chain name → its head.
pub(crate) const AUDIT_HEADS: TableDefinition<&str, &[u8]> = TableDefinition::new("audit_heads");
/// How many accounts hold `ADMIN` (key `admins`).
pub(crate) const ROLE_COUNTS: TableDefinition<&str, u64> = TableDefinition::new("role_counts");
/// `<user id>#<YYYY-MM>` → that month's spend (and whether the cap notice went out).
pub(crate) const SPEND: TableDefinition<&str, &[u8]> = TableDefinition::new("spend");
/// `<user id>#<sha256 of the idempotency key>` → the charge.
pub(crate) const CHARGES: TableDefinition<&str, &[u8]> = TableDefinition::new("charges");

/// Every table, by the type of its values (a backup copies each group, and a test holds the
/// groups to the tables the file holds).
pub(crate) const BYTES_TABLES: &[TableDefinition<&str, &[u8]>] = &[
    USERS,
    TOKENS,
    SESSIONS,
    REFRESH,
    LOCKS,
    AUDIT,
    AUDIT_HEADS,
    SPEND,
    CHARGES,
    resources::RESOURCES,
    zones::ZONES,
    zones::RECORD_SETS,
    mail_domains::IDENTITIES,
];
pub(crate) const TEXT_TABLES: &[TableDefinition<&str, &str>] = &[
    EMAILS,
    AUDIT_BY_TIME,
    AUDIT_CHAIN,
    resources::RESOURCE_NAMES,
];
pub(crate) const COUNT_TABLES: &[TableDefinition<&str, u64>] = &[COUNTERS, ROLE_COUNTS];
pub(crate) const SET_TABLES: &[TableDefinition<&str, ()>] =
    &[USER_SESSIONS, resources::OWNER_RESOURCES];

/// A store in one file. Cheap to clone; one process may hold the file at a time.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

impl EmbeddedStore {
    /// Opens (or creates) the store at `path`, creating its tables.
    pub fn open(path: &Path) -> Result<Self, Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::internal(format!("creating {}: {e}", dir.display())))?;
        }
        let db = Database::create(path).map_err(|e| {
            Error::internal(format!(
                "opening the embedded store {}: {e}",
                path.display()
            ))
        })?;
        let txn = db.begin_write().map_err(db_err)?;
        {
            for table in BYTES_TABLES {
                txn.open_table(*table).map_err(db_err)?;
            }
            for table in TEXT_TABLES {
                txn.open_table(*table).map_err(db_err)?;
            }
            for table in COUNT_TABLES {
                txn.open_table(*table).map_err(db_err)?;
            }
            for table in SET_TABLES {
                txn.open_table(*table).map_err(db_err)?;
            }
        }
        txn.commit().map_err(db_err)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// Runs `f` on a blocking thread: redb does file I/O and fsyncs on commit.
    async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| Error::internal(format!("embedded store task: {e}")))?
    }

    /// Runs `f` in one write transaction: committed when `f` succeeds, rolled back when it fails.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.with_db(move |db| {
            let txn = db.begin_write().map_err(db_err)?;
            let out = f(&txn)?;
            txn.commit().map_err(db_err)?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` on one consistent snapshot.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.with_db(move |db| f(&db.begin_read().map_err(db_err)?))
            .await
    }

    /// Every audit event, oldest first (for tests and local inspection).
    pub async fn audit_events(&self) -> Result<Vec<AuditEvent>, Error> {
        self.read(|txn| {
            let table = txn.open_table(AUDIT).map_err(db_err)?;
            table
                .iter()
                .map_err(db_err)?
                .map(|entry| decode(entry.map_err(db_err)?.1.value()))
                .collect()
        })
        .await
    }
}

pub(crate) fn db_err(e: impl Into<redb::Error>) -> Error {
    crate::telemetry::outage("embedded store", false, &e.into().to_string())
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::internal(format!("encoding a record: {e}")))
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::internal(format!("decoding a record: {e}")))
}

/// The JSON record at `key`, decoded.
pub(crate) fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>, Error> {
    table
        .get(key)
        .map_err(db_err)?
        .map(|v| decode(v.value()))
        .transpose()
}

/// Writes `value` as the JSON record at `key`.
pub(crate) fn put<T: Serialize>(
    table: &mut Table<'_, &'static str, &'static [u8]>,
    key: &str,
    value: &T,
) -> Result<(), Error> {
    table
        .insert(key, encode(value)?.as_slice())
        .map_err(db_err)?;
    Ok(())
}
