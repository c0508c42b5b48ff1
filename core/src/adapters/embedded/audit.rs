//! `AuditLog` in the embedded store: events by id, with ordered index tables for time order and
//! chain order, and one head per partition, each append in one write transaction.

use super::{
    AUDIT, AUDIT_BY_TIME, AUDIT_CHAIN, AUDIT_HEADS, EmbeddedStore, db_err, decode, get, put,
};
use crate::Error;
use crate::domain::audit_chain::{chain_name, chain_position, position, time_key};
use crate::domain::{AuditEvent, AuditQuery, ChainHead};
use crate::ports::{AuditAppend, AuditLog, Page};
use async_trait::async_trait;
use redb::{ReadableTable, Table, WriteTransaction};
use time::OffsetDateTime;

fn chain_key(partition: u16, at_or_position: &str) -> String {
    format!("{}#{at_or_position}", chain_name(partition))
}

fn event_at(
    events: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &str,
) -> Result<Option<AuditEvent>, Error> {
    get(events, id)
}

fn index(
    table: &mut Table<'_, &'static str, &'static str>,
    key: &str,
    id: &str,
) -> Result<(), Error> {
    table.insert(key, id).map_err(db_err)?;
    Ok(())
}

/// An audit event carried by another write, owned so it can move into the write's closure.
pub(crate) type OwnedAppend = Option<(AuditEvent, Option<ChainHead>)>;

pub(crate) fn owned(audit: Option<AuditAppend<'_>>) -> OwnedAppend {
    audit.map(|a| (a.event.clone(), a.expected.cloned()))
}

/// Whether the head of `event`'s partition is still `expected` (checked before any write of
/// the transaction, so a moved head leaves nothing written).
pub(crate) fn head_is(
    txn: &WriteTransaction,
    event: &AuditEvent,
    expected: Option<&ChainHead>,
) -> Result<bool, Error> {
    let link = event
        .chain
        .as_ref()
        .ok_or_else(|| Error::internal("an audit event must be linked before it is stored"))?;
    let heads = txn.open_table(AUDIT_HEADS).map_err(db_err)?;
    let head: Option<ChainHead> = get(&heads, &chain_name(link.partition))?;
    Ok(head.as_ref() == expected)
}

/// Stores a linked event (a new id) with its indexes and moves its partition's head to it.
pub(crate) fn store(txn: &WriteTransaction, event: &AuditEvent) -> Result<(), Error> {
    let next = ChainHead::of(event).ok_or_else(|| Error::internal("a linked event has a head"))?;
    let mut events = txn.open_table(AUDIT).map_err(db_err)?;
    if events.get(event.id.as_str()).map_err(db_err)?.is_some() {
        return Err(Error::internal(format!(
            "audit event {} already exists",
            event.id
        )));
    }
    put(&mut events, &event.id, event)?;
    let mut by_time = txn.open_table(AUDIT_BY_TIME).map_err(db_err)?;
    index(&mut by_time, &position(event), &event.id)?;
    let mut chain = txn.open_table(AUDIT_CHAIN).map_err(db_err)?;
    let at = chain_position(event).unwrap_or_default();
    index(&mut chain, &chain_key(next.partition, &at), &event.id)?;
    let mut heads = txn.open_table(AUDIT_HEADS).map_err(db_err)?;
    put(&mut heads, &chain_name(next.partition), &next)?;
    Ok(())
}

#[async_trait]
impl AuditLog for EmbeddedStore {
    async fn head(&self, partition: u16) -> Result<Option<ChainHead>, Error> {
        self.read(move |txn| {
            let heads = txn.open_table(AUDIT_HEADS).map_err(db_err)?;
            get(&heads, &chain_name(partition))
        })
        .await
    }

    async fn append(
        &self,
        event: &AuditEvent,
        expected: Option<&ChainHead>,
    ) -> Result<bool, Error> {
        let event = event.clone();
        let expected = expected.cloned();
        self.write(move |txn| {
            {
                let events = txn.open_table(AUDIT).map_err(db_err)?;
                if let Some(stored) = events.get(event.id.as_str()).map_err(db_err)? {
                    // The same event again is the same append (a retry): it stays there once.
                    let stored: AuditEvent = decode(stored.value())?;
                    if stored == event {
                        return Ok(true);
                    }
                    return Err(Error::internal(format!(
                        "audit event {} already exists",
                        event.id
                    )));
                }
            }
            if !head_is(txn, &event, expected.as_ref())? {
                return Ok(false);
            }
            store(txn, &event)?;
            Ok(true)
        })
        .await
    }

    async fn search(
        &self,
        query: &AuditQuery,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Page<AuditEvent>, Error> {
        let query = query.clone();
        let lo = format!("{}#", time_key(query.from));
        let to = format!("{}#~", time_key(query.to));
        let hi = match before {
            Some(b) if b < to.as_str() => b.to_owned(),
            _ => to,
        };
        self.read(move |txn| {
            let by_time = txn.open_table(AUDIT_BY_TIME).map_err(db_err)?;
            let events = txn.open_table(AUDIT).map_err(db_err)?;
            let mut items = Vec::new();
            let mut next = None;
            if lo < hi {
                for entry in by_time
                    .range(lo.as_str()..hi.as_str())
                    .map_err(db_err)?
                    .rev()
                {
                    let (_, id) = entry.map_err(db_err)?;
                    let Some(event) = event_at(&events, id.value())? else {
                        continue;
                    };
                    if !query.admits(&event) {
                        continue;
                    }
                    if items.len() == limit {
                        next = items.last().map(position);
                        break;
                    }
                    items.push(event);
                }
            }
            Ok(Page { items, next })
        })
        .await
    }

    async fn chain(
        &self,
        partition: u16,
        from: OffsetDateTime,
        to: OffsetDateTime,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<AuditEvent>, Error> {
        let lo = match after {
            Some(a) => format!("{}\u{0}", chain_key(partition, a)),
            None => chain_key(partition, &format!("{}#", time_key(from))),
        };
        let hi = chain_key(partition, &format!("{}#~", time_key(to)));
        self.read(move |txn| {
            let chain = txn.open_table(AUDIT_CHAIN).map_err(db_err)?;
            let events = txn.open_table(AUDIT).map_err(db_err)?;
            let mut items = Vec::new();
            let mut next = None;
            if lo < hi {
                for entry in chain.range(lo.as_str()..hi.as_str()).map_err(db_err)? {
                    let (_, id) = entry.map_err(db_err)?;
                    let Some(event) = event_at(&events, id.value())? else {
                        continue;
                    };
                    if items.len() == limit {
                        next = items.last().and_then(chain_position);
                        break;
                    }
                    items.push(event);
                }
            }
            Ok(Page { items, next })
        })
        .await
    }

    async fn chain_before(&self, event: &AuditEvent) -> Result<Option<AuditEvent>, Error> {
        let (Some(link), Some(at)) = (event.chain.clone(), chain_position(event)) else {
            return Ok(None);
        };
        let lo = chain_key(link.partition, "");
        let hi = chain_key(link.partition, &at);
        self.read(move |txn| {
            let chain = txn.open_table(AUDIT_CHAIN).map_err(db_err)?;
            let events = txn.open_table(AUDIT).map_err(db_err)?;
            let last = chain
                .range(lo.as_str()..hi.as_str())
                .map_err(db_err)?
                .next_back();
            match last {
                Some(entry) => event_at(&events, entry.map_err(db_err)?.1.value()),
                None => Ok(None),
            }
        })
        .await
    }
}

/// Access to the stored trail behind the service's back: a bulk load of events already linked
/// (a restore, or a test's seed), and the edits and deletions the tamper tests make and expect
/// `verify` to notice.
impl EmbeddedStore {
    /// Stores `events`, each already linked in order after its partition's head, in one
    /// transaction; each partition's head moves to its last event. Nothing is checked.
    pub async fn import_audit_events(&self, events: Vec<AuditEvent>) -> Result<(), Error> {
        self.write(move |txn| {
            let mut stored = txn.open_table(AUDIT).map_err(db_err)?;
            let mut by_time = txn.open_table(AUDIT_BY_TIME).map_err(db_err)?;
            let mut chain = txn.open_table(AUDIT_CHAIN).map_err(db_err)?;
            let mut heads = txn.open_table(AUDIT_HEADS).map_err(db_err)?;
            for event in &events {
                let (Some(link), Some(at)) = (&event.chain, chain_position(event)) else {
                    return Err(Error::internal("an imported audit event must be linked"));
                };
                put(&mut stored, &event.id, event)?;
                index(&mut by_time, &position(event), &event.id)?;
                index(&mut chain, &chain_key(link.partition, &at), &event.id)?;
                if let Some(head) = ChainHead::of(event) {
                    put(&mut heads, &chain_name(link.partition), &head)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Replaces the stored event with `event.id` by `event` (indexes untouched).
    pub async fn overwrite_audit_event(&self, event: &AuditEvent) -> Result<(), Error> {
        let event = event.clone();
        self.write(move |txn| {
            let mut events = txn.open_table(AUDIT).map_err(db_err)?;
            put(&mut events, &event.id, &event)
        })
        .await
    }

    /// Deletes the stored event `id` and its index entries.
    pub async fn delete_audit_event(&self, id: &str) -> Result<(), Error> {
        let id = id.to_owned();
        self.write(move |txn| {
            let mut events = txn.open_table(AUDIT).map_err(db_err)?;
            let stored: Option<AuditEvent> = get(&events, &id)?;
            events.remove(id.as_str()).map_err(db_err)?;
            if let Some(event) = stored {
                let mut by_time = txn.open_table(AUDIT_BY_TIME).map_err(db_err)?;
                by_time.remove(position(&event).as_str()).map_err(db_err)?;
                if let (Some(link), Some(at)) = (&event.chain, chain_position(&event)) {
                    let mut chain = txn.open_table(AUDIT_CHAIN).map_err(db_err)?;
                    chain
                        .remove(chain_key(link.partition, &at).as_str())
                        .map_err(db_err)?;
                }
            }
            Ok(())
        })
        .await
    }
}
