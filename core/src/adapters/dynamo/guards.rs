//! `Counters` (their own table: one item per key and window, `ADD` for atomic increments) and
//! `Locks` (`LOCK#<email>` items in the users table, with a sparse `locksByUntil` index for the
//! unlock job).

use super::{DynamoStore, build_err, from_item, number, s, to_item};
use crate::Error;
use crate::adapters::embedded::window_key;
use crate::adapters::sdk_error;
use crate::domain::{Email, Lock, LockKind};
use crate::ports::{Counters, Locks};
use async_trait::async_trait;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use time::{Duration, OffsetDateTime};

/// The users-table index listing locks by end time: hash `lockShard` (always `LOCK`), range
/// `lockUntilEpoch`.
pub const LOCKS_INDEX: &str = "locksByUntil";

fn counter_pk(key: &str, window: Duration, now: OffsetDateTime) -> String {
    format!("CTR#{}", window_key(key, window, now))
}

fn lock_pk(email: &Email) -> String {
    format!("LOCK#{email}")
}

#[async_trait]
impl Counters for DynamoStore {
    async fn hit(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<u64, Error> {
        let secs = window.whole_seconds().max(1);
        let window_end = (now.unix_timestamp().div_euclid(secs) + 1) * secs;
        let out = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("pk", s(counter_pk(key, window, now)))
            .update_expression("ADD n :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":ttl", AttributeValue::N((window_end + 60).to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb UpdateItem (counter)", e))?;
        Ok(out.attributes.as_ref().map_or(0, |a| number(a, "n")))
    }

    async fn peek(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<u64, Error> {
        Ok(self
            .get(&self.tables.counters, counter_pk(key, window, now))
            .await?
            .map_or(0, |i| number(&i, "n")))
    }

    async fn clear(&self, key: &str, window: Duration, now: OffsetDateTime) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.tables.counters)
            .key("pk", s(counter_pk(key, window, now)))
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb DeleteItem (counter)", e))?;
        Ok(())
    }
}

#[async_trait]
impl Locks for DynamoStore {
    async fn lock(&self, email: &Email, lock: &Lock) -> Result<(), Error> {
        let mut item = to_item(lock_pk(email), lock, Some(lock.until + Duration::days(1)))?;
        item.insert("email".into(), s(email.as_str()));
        item.insert("lockShard".into(), s("LOCK"));
        item.insert(
            "lockUntilEpoch".into(),
            AttributeValue::N(lock.until.unix_timestamp().to_string()),
        );
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.users)
            .set_item(Some(item));
        // An automatic lock never replaces an administrator's that outlasts it.
        let put = match lock.kind {
            LockKind::Admin => put,
            LockKind::Automatic => put
                .condition_expression(
                    "attribute_not_exists(pk) OR #kind <> :admin OR lockUntilEpoch <= :until",
                )
                .expression_attribute_names("#kind", "kind")
                .expression_attribute_values(":admin", s("admin"))
                .expression_attribute_values(
                    ":until",
                    AttributeValue::N(lock.until.unix_timestamp().to_string()),
                ),
        };
        match put.send().await {
            Ok(_) => Ok(()),
            Err(e) if super::condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_error("dynamodb PutItem (lock)", e)),
        }
    }

    async fn lock_of(&self, email: &Email) -> Result<Option<Lock>, Error> {
        self.get(&self.tables.users, lock_pk(email))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn clear_lock(&self, email: &Email, expected: &Lock) -> Result<bool, Error> {
        let until = s(expected
            .until
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(build_err)?);
        let kind = s(serde_json::to_value(expected.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default());
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.users)
            .key("pk", s(lock_pk(email)))
            .condition_expression("#u = :until AND #k = :kind")
            .expression_attribute_names("#u", "until")
            .expression_attribute_names("#k", "kind")
            .expression_attribute_values(":until", until)
            .expression_attribute_values(":kind", kind)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if super::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("dynamodb DeleteItem (lock)", e)),
        }
    }

    async fn expired_locks(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<(Email, Lock)>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(LOCKS_INDEX)
            .key_condition_expression("lockShard = :shard AND lockUntilEpoch <= :now")
            .expression_attribute_values(":shard", s("LOCK"))
            .expression_attribute_values(
                ":now",
                AttributeValue::N(now.unix_timestamp().to_string()),
            )
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb Query (expired locks)", e))?;
        let mut locks = Vec::new();
        for item in out.items.unwrap_or_default() {
            let email = match item.get("email") {
                Some(AttributeValue::S(e)) => Email::parse(e).ok(),
                _ => None,
            };
            let lock: Lock = from_item(item)?;
            if let Some(email) = email.filter(|_| !lock.is_active(now)) {
                locks.push((email, lock));
            }
        }
        Ok(locks)
    }
}
