//! The DynamoDB store. Every table is keyed by one string attribute `pk` whose prefix names
//! the item kind (`USER#`, `EMAIL#`, `TOKEN#`, `SESSION#`, `REFRESH#`, `EVENT#`); `ttl` (epoch
//! seconds) lets DynamoDB collect expired items, but expiry is always checked on read.

pub mod audit;
pub mod backups;
pub mod guards;
pub mod ledger;
pub mod resources;
pub mod schema;
pub mod sessions;
pub mod users;

use crate::Error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use time::OffsetDateTime;

pub(crate) type Item = HashMap<String, AttributeValue>;

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

    /// Runs `change` and, after it, the two writes of `audit` as one transaction. `Refused` when
    /// one of the change's conditions failed, `HeadMoved` when only the event's head did (or
    /// another transaction was writing the same items): nothing is written either way.
    pub(crate) async fn transact_audited(
        &self,
        mut change: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        audit: Option<crate::ports::AuditAppend<'_>>,
        what: &str,
    ) -> Result<crate::ports::Audited<()>, Error> {
        use crate::ports::Audited;
        let own = change.len();
        if let Some(a) = audit {
            change.extend(audit::append_items(
                &self.tables.audit,
                a.event,
                a.expected,
            )?);
        }
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(change))
            .send()
            .await
        {
            Ok(_) => return Ok(Audited::Stored(())),
            Err(e) => e,
        };
        if let Some(TransactWriteItemsError::TransactionCanceledException(e)) =
            err.as_service_error()
        {
            let codes: Vec<Option<&str>> =
                e.cancellation_reasons().iter().map(|r| r.code()).collect();
            let failed = |c: &Option<&str>| *c == Some("ConditionalCheckFailed");
            if codes.iter().take(own).any(failed) {
                return Ok(Audited::Refused(()));
            }
            if audit.is_some() && (raced(&err) || codes.get(own + 1).is_some_and(failed)) {
                return Ok(Audited::HeadMoved);
            }
        }
        Err(super::sdk_error(
            &format!("dynamodb TransactWriteItems ({what})"),
            err,
        ))
    }

    /// Runs `query` from `start`, following `LastEvaluatedKey`, until `want` items came back or
    /// the results end, reading at most `PAGE_READS` pages (a filter may pass over many items).
    /// `resume` is the last evaluated key when the reads ran out with more to read.
    pub(crate) async fn collect(
        &self,
        query: QueryFluentBuilder,
        mut start: Option<Item>,
        want: usize,
        what: &str,
    ) -> Result<Collected, Error> {
        let mut items = Vec::new();
        for _ in 0..PAGE_READS {
            let ask = want.saturating_sub(items.len()).max(100);
            let out = query
                .clone()
                .set_exclusive_start_key(start.take())
                .limit(i32::try_from(ask).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(|e| super::sdk_error(&format!("dynamodb Query ({what})"), e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if items.len() < want => start = Some(key),
                _ => {
                    return Ok(Collected {
                        items,
                        resume: None,
                    });
                }
            }
        }
        Ok(Collected {
            items,
            resume: start,
        })
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

/// How many pages one list request reads at most before it answers with what it has.
const PAGE_READS: usize = 10;

/// What `collect` read.
pub(crate) struct Collected {
    pub items: Vec<Item>,
    pub resume: Option<Item>,
}

impl Collected {
    /// The first `limit` items decoded, and the position after them: that of the last one shown
    /// when more followed, or of the last item read when the reads ran out.
    pub(crate) fn page<T: DeserializeOwned>(
        mut self,
        limit: usize,
        position: impl Fn(&Item) -> Option<String>,
    ) -> Result<crate::ports::Page<T>, Error> {
        let next = if self.items.len() > limit {
            self.items.truncate(limit);
            self.items.last().and_then(&position)
        } else {
            self.resume.as_ref().and_then(&position)
        };
        let items = self
            .items
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(crate::ports::Page { items, next })
    }
}

/// The string attribute `name` of `item`.
pub(crate) fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
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

/// Whether a transaction was cancelled because another one was writing the same items.
pub(crate) fn raced<R>(err: &SdkError<TransactWriteItemsError, R>) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("TransactionConflict")),
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
