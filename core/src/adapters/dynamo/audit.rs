//! `AuditLog` on DynamoDB. Events are items `EVENT#<id>` (TTL: `domain::audit::RETENTION` after
//! their time) in five sparse indexes: by user, by actor, by type and by month (each ranged by
//! `atKey`, time order) serve the search without a scan, and by chain (`chainId`, ranged by
//! `chainKey`) serves verification. Each partition's head is an item `HEAD#pNN`; an append puts
//! its event and moves its head in one transaction conditioned on the head it linked to.

use super::{DynamoStore, Item, build_err, from_item, s, text, to_item};
use crate::Error;
use crate::adapters::sdk_error;
use crate::domain::audit_chain::{chain_name, chain_position, position, time_key};
use crate::domain::billing::period_of;
use crate::domain::{AuditEvent, AuditQuery, ChainHead, audit};
use crate::ports::{AuditLog, Page};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use time::OffsetDateTime;

pub const BY_USER_INDEX: &str = "auditByUser";
pub const BY_ACTOR_INDEX: &str = "auditByActor";
pub const BY_TYPE_INDEX: &str = "auditByType";
pub const BY_MONTH_INDEX: &str = "auditByMonth";
pub const BY_CHAIN_INDEX: &str = "auditByChain";

fn event_pk(id: &str) -> String {
    format!("EVENT#{id}")
}

fn head_pk(partition: u16) -> String {
    format!("HEAD#{}", chain_name(partition))
}

fn event_item(event: &AuditEvent) -> Result<Item, Error> {
    let mut item = to_item(
        event_pk(&event.id),
        event,
        Some(event.at + audit::RETENTION),
    )?;
    item.insert("atKey".into(), s(position(event)));
    item.insert("month".into(), s(period_of(event.at)));
    if let (Some(link), Some(at)) = (&event.chain, chain_position(event)) {
        item.insert("chainId".into(), s(chain_name(link.partition)));
        item.insert("chainKey".into(), s(at));
    }
    Ok(item)
}

/// The instant a time key (`atKey`'s first part) names.
fn time_of(position: &str) -> Option<OffsetDateTime> {
    let nanos: i128 = position.split('#').next()?.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// The months from `hi`'s down to `lo`'s, newest first.
fn months_between(lo: OffsetDateTime, hi: OffsetDateTime) -> Vec<String> {
    let mut months = Vec::new();
    let (mut year, mut month) = (hi.year(), u8::from(hi.month()));
    let (end_year, end_month) = (lo.year(), u8::from(lo.month()));
    while (year, month) >= (end_year, end_month) {
        months.push(format!("{year:04}-{month:02}"));
        (year, month) = if month == 1 {
            (year - 1, 12)
        } else {
            (year, month - 1)
        };
    }
    months
}

fn head_failed(err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>) -> Option<bool> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            let reasons = e.cancellation_reasons();
            // Another transaction on the same head at the same moment: a lost race, as a moved
            // head is.
            if reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"))
            {
                return Some(true);
            }
            let failed: Vec<bool> = reasons
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect();
            match failed.as_slice() {
                [false, true] => Some(true),
                [true, ..] => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The two writes of an append, for a transaction of their own or of the change they record:
/// the event (a new id), and its partition's head moved to it while still `expected`.
pub(crate) fn append_items(
    table: &str,
    event: &AuditEvent,
    expected: Option<&ChainHead>,
) -> Result<Vec<TransactWriteItem>, Error> {
    let next = ChainHead::of(event)
        .ok_or_else(|| Error::internal("an audit event must be linked before it is stored"))?;
    let put_event = Put::builder()
        .table_name(table)
        .set_item(Some(event_item(event)?))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(build_err)?;
    let mut put_head = Put::builder().table_name(table).set_item(Some(to_item(
        head_pk(next.partition),
        &next,
        None,
    )?));
    put_head = match expected {
        None => put_head.condition_expression("attribute_not_exists(pk)"),
        Some(head) => put_head
            .condition_expression("seq = :seq AND #hash = :hash")
            .expression_attribute_names("#hash", "hash")
            .expression_attribute_values(":seq", AttributeValue::N(head.seq.to_string()))
            .expression_attribute_values(":hash", s(head.hash.as_str())),
    };
    Ok(vec![
        TransactWriteItem::builder().put(put_event).build(),
        TransactWriteItem::builder()
            .put(put_head.build().map_err(build_err)?)
            .build(),
    ])
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn head(&self, partition: u16) -> Result<Option<ChainHead>, Error> {
        self.get(&self.tables.audit, head_pk(partition))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn append(
        &self,
        event: &AuditEvent,
        expected: Option<&ChainHead>,
    ) -> Result<bool, Error> {
        let table = &self.tables.audit;
        let items = append_items(table, event, expected)?;
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(true),
            Err(err) => err,
        };
        match head_failed(&err) {
            // Another append moved the head first (or was moving it).
            Some(true) => Ok(false),
            // An event under this id: the same one was appended by an attempt whose answer was
            // lost, and stays there once; another one is refused, never overwritten.
            Some(false) => {
                let stored = self
                    .get(table, event_pk(&event.id))
                    .await?
                    .map(from_item::<AuditEvent>)
                    .transpose()?;
                if stored.as_ref() == Some(event) {
                    Ok(true)
                } else {
                    Err(Error::internal(format!(
                        "audit event {} already exists",
                        event.id
                    )))
                }
            }
            None => Err(sdk_error("dynamodb TransactWriteItems (audit append)", err)),
        }
    }

    async fn search(
        &self,
        query: &AuditQuery,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page<AuditEvent>, Error> {
        let lo = format!("{}#", time_key(query.from));
        let to = format!("{}#~", time_key(query.to));
        let before = before.filter(|b| *b < to.as_str());
        // A range that holds nothing (cut to the retention window), or a position from before
        // it (an old cursor), is an empty page: DynamoDB refuses a start key outside the range.
        if lo > to || before.is_some_and(|b| b < lo.as_str()) {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let hi_time = before.and_then(time_of).unwrap_or(query.to).min(query.to);
        // The most selective filter picks the index; the others filter its results.
        let (index, hash_name, keys): (&str, &str, Vec<String>) =
            match (&query.user, &query.actor, query.kind) {
                (Some(u), _, _) => (BY_USER_INDEX, "userId", vec![u.to_string()]),
                (None, Some(a), _) => (BY_ACTOR_INDEX, "actorId", vec![a.to_string()]),
                (None, None, Some(k)) => (BY_TYPE_INDEX, "type", vec![k.as_str().to_owned()]),
                (None, None, None) => {
                    (BY_MONTH_INDEX, "month", months_between(query.from, hi_time))
                }
            };
        let mut filters = Vec::new();
        let mut base = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .index_name(index)
            .key_condition_expression("#h = :h AND atKey BETWEEN :lo AND :hi")
            .expression_attribute_names("#h", hash_name)
            .expression_attribute_values(":lo", s(lo.as_str()))
            .expression_attribute_values(":hi", s(to.as_str()))
            .scan_index_forward(false);
        if let (Some(actor), false) = (&query.actor, hash_name == "actorId") {
            base = base.expression_attribute_values(":actor", s(actor.as_str()));
            filters.push("actorId = :actor");
        }
        if let (Some(kind), false) = (query.kind, hash_name == "type") {
            base = base
                .expression_attribute_names("#t", "type")
                .expression_attribute_values(":type", s(kind.as_str()));
            filters.push("#t = :type");
        }
        if !filters.is_empty() {
            base = base.filter_expression(filters.join(" AND "));
        }
        let mut items: Vec<Item> = Vec::new();
        let want = limit + 1;
        for key in keys {
            let start = before.map(|b| {
                let id = b.split('#').nth(1).unwrap_or_default();
                Item::from([
                    ("pk".to_owned(), s(event_pk(id))),
                    (hash_name.to_owned(), s(key.as_str())),
                    ("atKey".to_owned(), s(b)),
                ])
            });
            // Only the month holding the position starts after it; older months start at
            // their newest event.
            let start = start.filter(|_| {
                hash_name != "month" || before.and_then(time_of).map(period_of) == Some(key.clone())
            });
            let query = base
                .clone()
                .expression_attribute_values(":h", s(key.as_str()));
            let read = self
                .collect(query, start, want - items.len(), "audit search")
                .await?;
            items.extend(read.items);
            if let Some(resume) = read.resume {
                // The reads ran out: the next page goes on from the last event read.
                let next = text(&resume, "atKey").map(str::to_owned);
                let items = items
                    .into_iter()
                    .take(limit)
                    .map(from_item)
                    .collect::<Result<_, _>>()?;
                return Ok(Page { items, next });
            }
            if items.len() >= want {
                break;
            }
        }
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items
                .last()
                .and_then(|i| text(i, "atKey"))
                .map(str::to_owned)
        } else {
            None
        };
        let items = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(Page { items, next })
    }

    async fn chain(
        &self,
        partition: u16,
        from: OffsetDateTime,
        to: OffsetDateTime,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<AuditEvent>, Error> {
        let name = chain_name(partition);
        if from > to {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let query = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .index_name(BY_CHAIN_INDEX)
            .key_condition_expression("chainId = :c AND chainKey BETWEEN :lo AND :hi")
            .expression_attribute_values(":c", s(name.as_str()))
            .expression_attribute_values(":lo", s(format!("{}#", time_key(from))))
            .expression_attribute_values(":hi", s(format!("{}#~", time_key(to))))
            .scan_index_forward(true);
        // A position is `<chainKey>|<event id>`.
        let start = after.and_then(|p| p.split_once('|')).map(|(key, id)| {
            Item::from([
                ("pk".to_owned(), s(event_pk(id))),
                ("chainId".to_owned(), s(name.as_str())),
                ("chainKey".to_owned(), s(key)),
            ])
        });
        let read = self.collect(query, start, limit + 1, "audit chain").await?;
        read.page(limit, |item| {
            let id = text(item, "pk")?.strip_prefix("EVENT#")?;
            Some(format!("{}|{id}", text(item, "chainKey")?))
        })
    }

    async fn chain_before(&self, event: &AuditEvent) -> Result<Option<AuditEvent>, Error> {
        let (Some(link), Some(at)) = (&event.chain, chain_position(event)) else {
            return Ok(None);
        };
        let out = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .index_name(BY_CHAIN_INDEX)
            .key_condition_expression("chainId = :c AND chainKey < :k")
            .expression_attribute_values(":c", s(chain_name(link.partition)))
            .expression_attribute_values(":k", s(at))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb Query (audit chain)", e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(from_item)
            .transpose()
    }
}
