//! The DynamoDB store. Every table is keyed by one string attribute `pk` whose prefix names
//! the item kind (`USER#`, `EMAIL#`, `TOKEN#`, `SESSION#`, `REFRESH#`, `EVENT#`); `ttl` (epoch
//! seconds) lets DynamoDB collect expired items, but expiry is always checked on read.

pub mod guards;
pub mod ledger;
pub mod schema;
pub mod sessions;
pub mod users;

use crate::Error;
use crate::domain::AuditEvent;
use crate::ports::AuditLog;
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// How long audit events are kept before DynamoDB may collect them.
pub const AUDIT_RETENTION: Duration = Duration::days(365);

/// The table names (`LATCH_USERS_TABLE`, `LATCH_SESSIONS_TABLE`, `LATCH_AUDIT_TABLE`,
/// `LATCH_COUNTERS_TABLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub users: String,
    pub sessions: String,
    pub audit: String,
    /// Rate-limit, failed-login and mail counters (one item per key and window; TTL).
    pub counters: String,
}

/// The store on DynamoDB. Cheap to clone (the SDK client is shared).
#[derive(Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) tables: TableNames,
}

impl DynamoStore {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables }
    }

    /// Runs one transaction: `true` when applied, `false` when one of its conditions failed
    /// (nothing is written then), an error otherwise. `what` names it in errors.
    pub(crate) async fn transact(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        what: &str,
    ) -> Result<bool, Error> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if transaction_condition_failed(&e) => Ok(false),
            Err(e) => Err(super::sdk_error(
                &format!("dynamodb TransactWriteItems ({what})"),
                e,
            )),
        }
    }

    /// A consistent read of one item.
    pub(crate) async fn get(&self, table: &str, pk: String) -> Result<Option<Item>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| super::sdk_error("dynamodb GetItem", e))?;
        Ok(out.item)
    }
}

/// A record as an item, with its key and optional expiry.
pub(crate) fn to_item<T: Serialize>(
    pk: String,
    value: &T,
    ttl: Option<OffsetDateTime>,
) -> Result<Item, Error> {
    let mut item: Item = serde_dynamo::to_item(value)
        .map_err(|e| Error::internal(format!("encoding an item: {e}")))?;
    item.insert("pk".to_owned(), AttributeValue::S(pk));
    if let Some(ttl) = ttl {
        item.insert(
            "ttl".to_owned(),
            AttributeValue::N(ttl.unix_timestamp().to_string()),
        );
    }
    Ok(item)
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::internal(format!("decoding an item: {e}")))
}

/// Whether a single-item write was refused because its condition failed.
pub(crate) fn condition_failed<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code)
        == Some("ConditionalCheckFailedException")
}

/// Whether a transaction was cancelled because one of its conditions failed (and not, say,
/// for a conflict or throttling).
pub(crate) fn transaction_condition_failed<R>(err: &SdkError<TransactWriteItemsError, R>) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("ConditionalCheckFailed")),
        _ => false,
    }
}

pub(crate) fn build_err(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("building a DynamoDB request: {e}"))
}

/// The whole number in attribute `name` of `item`, 0 when absent.
pub(crate) fn number(item: &Item, name: &str) -> u64 {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    }
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn append(&self, event: &AuditEvent) -> Result<(), Error> {
        let item = to_item(
            format!("EVENT#{}", event.id),
            event,
            Some(event.at + AUDIT_RETENTION),
        )?;
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.audit)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Event ids are ULIDs with 80 random bits: the same event already under this id was
            // appended by an attempt whose answer was lost, and stays there once. Another event
            // under it is refused, never overwritten.
            Err(e) if condition_failed(&e) => {
                let stored = self
                    .get(&self.tables.audit, format!("EVENT#{}", event.id))
                    .await?
                    .map(from_item::<AuditEvent>)
                    .transpose()?;
                if stored.as_ref() == Some(event) {
                    Ok(())
                } else {
                    Err(Error::internal(format!(
                        "audit event {} already exists",
                        event.id
                    )))
                }
            }
            Err(e) => Err(super::sdk_error("dynamodb PutItem (audit)", e)),
        }
    }
}
