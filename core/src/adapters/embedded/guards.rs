//! `Counters` and `Locks` on the embedded store.

use super::{COUNTERS, EmbeddedStore, LOCKS, db_err, decode, get, put};
use crate::Error;
use crate::domain::{Email, Lock, LockKind};
use crate::ports::{Counters, Locks};
use async_trait::async_trait;
use redb::ReadableTable;
use time::{Duration, OffsetDateTime};

/// `key#<window id>`: the window's id is part of the key, so old windows are never read.
pub(crate) fn window_key(key: &str, window: Duration, now: OffsetDateTime) -> String {
    let secs = window.whole_seconds().max(1);
    format!("{key}#{}", now.unix_timestamp().div_euclid(secs))
}

#[async_trait]
impl Counters for EmbeddedStore {
    async fn hit(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<u64, Error> {
        let k = window_key(key, window, now);
        self.write(move |txn| {
            let mut table = txn.open_table(COUNTERS).map_err(db_err)?;
            let count = table
                .get(k.as_str())
                .map_err(db_err)?
                .map_or(0, |v| v.value())
                + 1;
            table.insert(k.as_str(), count).map_err(db_err)?;
            Ok(count)
        })
        .await
    }

    async fn peek(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<u64, Error> {
        let k = window_key(key, window, now);
        self.read(move |txn| {
            Ok(txn
                .open_table(COUNTERS)
                .map_err(db_err)?
                .get(k.as_str())
                .map_err(db_err)?
                .map_or(0, |v| v.value()))
        })
        .await
    }

    async fn clear(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<(), Error> {
        let k = window_key(key, window, now);
        self.write(move |txn| {
            txn.open_table(COUNTERS)
                .map_err(db_err)?
                .remove(k.as_str())
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl Locks for EmbeddedStore {
    async fn lock(&self, email: &Email, lock: &Lock) -> Result<(), Error> {
        let (email, lock) = (email.clone(), lock.clone());
        self.write(move |txn| {
            let mut locks = txn.open_table(LOCKS).map_err(db_err)?;
            let held: Option<Lock> = get(&locks, email.as_str())?;
            let stronger = held.is_some_and(|h| {
                h.kind == LockKind::Admin
                    && lock.kind == LockKind::Automatic
                    && lock.until < h.until
            });
            if stronger {
                return Ok(());
            }
            put(&mut locks, email.as_str(), &lock)
        })
        .await
    }

    async fn lock_of(&self, email: &Email) -> Result<Option<Lock>, Error> {
        let email = email.clone();
        self.read(move |txn| get(&txn.open_table(LOCKS).map_err(db_err)?, email.as_str()))
            .await
    }

    async fn clear_lock(&self, email: &Email, expected: &Lock) -> Result<bool, Error> {
        let (email, expected) = (email.clone(), expected.clone());
        self.write(move |txn| {
            let mut table = txn.open_table(LOCKS).map_err(db_err)?;
            if get::<Lock>(&table, email.as_str())?.as_ref() != Some(&expected) {
                return Ok(false);
            }
            table.remove(email.as_str()).map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn expired_locks(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<(Email, Lock)>, Error> {
        self.read(move |txn| {
            let table = txn.open_table(LOCKS).map_err(db_err)?;
            let mut out = Vec::new();
            for entry in table.iter().map_err(db_err)? {
                let (k, v) = entry.map_err(db_err)?;
                let lock: Lock = decode(v.value())?;
                if let (false, Ok(email)) = (lock.is_active(now), Email::parse(k.value())) {
                    out.push((email, lock));
                }
            }
            out.sort_by_key(|(_, l)| l.until);
            out.truncate(limit);
            Ok(out)
        })
        .await
    }
}
