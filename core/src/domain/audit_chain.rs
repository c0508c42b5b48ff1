//! The audit trail's hash chains: events fall into a fixed number of partitions, and each event
//! carries the hash of its partition's previous event, so an edit, a deletion or a reordering
//! behind the service's back breaks a link that `verify` finds. Appends to one partition are
//! conditional on its head, so concurrent writers never fork a chain; spreading events over
//! partitions keeps them from all queueing on one item.

use super::AuditEvent;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// How many chains the trail has. Fixed: changing it would move no event, but new appends
/// would then pick among another set of heads.
pub const PARTITIONS: u16 = 16;

/// The `prevHash` of a partition's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where an event sits in its chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainLink {
    pub partition: u16,
    /// 1 for the partition's first event, one more for each after it.
    pub seq: u64,
    pub prev_hash: String,
    /// When the previous event happened: a missing predecessor is accepted only if retention
    /// would have collected it by now.
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prev_at: Option<OffsetDateTime>,
    /// SHA-256 of the event (without this link's hash) and the rest of the link.
    pub hash: String,
}

/// The last event of a partition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainHead {
    pub partition: u16,
    pub seq: u64,
    pub hash: String,
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl ChainHead {
    /// The head after `event` (which carries its link) was appended.
    pub fn of(event: &AuditEvent) -> Option<Self> {
        let link = event.chain.as_ref()?;
        Some(Self {
            partition: link.partition,
            seq: link.seq,
            hash: link.hash.clone(),
            id: event.id.clone(),
            at: event.at,
        })
    }
}

/// Links `event` after `head` in `partition` (its first event when `head` is `None`). Within a
/// partition time never runs backwards: an event stamped before the head (another writer's
/// clock ahead by some milliseconds) takes the head's time, so a time range is a run of links.
pub fn link(mut event: AuditEvent, partition: u16, head: Option<&ChainHead>) -> AuditEvent {
    if let Some(head) = head {
        event.at = event.at.max(head.at);
    }
    let (seq, prev_hash, prev_at) = match head {
        Some(h) => (h.seq + 1, h.hash.clone(), Some(h.at)),
        None => (1, GENESIS.to_owned(), None),
    };
    let mut link = ChainLink {
        partition,
        seq,
        prev_hash,
        prev_at,
        hash: String::new(),
    };
    event.chain = None;
    link.hash = hash_of(&event, &link);
    event.chain = Some(link);
    event
}

/// Whether the event's own hash matches its fields and its link.
pub fn seals_itself(event: &AuditEvent) -> bool {
    let Some(link) = &event.chain else {
        return false;
    };
    let mut bare = event.clone();
    bare.chain = None;
    let expected = hash_of(&bare, link);
    // Not a secret: the chain is public to whoever may read the trail.
    expected == link.hash
}

/// Whether `next` follows `prev` directly in one partition.
pub fn follows(next: &ChainLink, prev: &AuditEvent) -> bool {
    prev.chain.as_ref().is_some_and(|p| {
        p.partition == next.partition
            && p.seq + 1 == next.seq
            && p.hash == next.prev_hash
            && Some(prev.at) == next.prev_at
    })
}

/// The sortable key of an instant: epoch nanoseconds, zero-padded (RFC 3339 strings of varying
/// precision do not sort as times do).
pub fn time_key(at: OffsetDateTime) -> String {
    format!("{:020}", at.unix_timestamp_nanos().max(0))
}

/// An event's position in time order: its time key and id.
pub fn position(event: &AuditEvent) -> String {
    format!("{}#{}", time_key(event.at), event.id)
}

/// An event's position in its chain: its time key and its seq (time never runs backwards
/// within a chain, so this is chain order). `None` for an event not yet linked.
pub fn chain_position(event: &AuditEvent) -> Option<String> {
    let link = event.chain.as_ref()?;
    Some(format!("{}#{:012}", time_key(event.at), link.seq))
}

/// The name a partition's chain is stored under.
pub fn chain_name(partition: u16) -> String {
    format!("p{partition:02}")
}

fn hash_of(bare: &AuditEvent, link: &ChainLink) -> String {
    let mut canonical = String::new();
    match serde_json::to_value(bare) {
        Ok(value) => write_canonical(&mut canonical, &value),
        // An event always serializes; should it not, its hash matches nothing.
        Err(_) => canonical.push('!'),
    }
    let prev_at = link.prev_at.map(time_key).unwrap_or_default();
    let mut digest = Sha256::new();
    digest.update(b"latch-audit-v1\n");
    digest.update(
        format!(
            "{}\n{}\n{}\n{}\n",
            link.partition, link.seq, link.prev_hash, prev_at
        )
        .as_bytes(),
    );
    digest.update(canonical.as_bytes());
    crate::crypto::hex(&digest.finalize())
}

/// JSON with object keys sorted, whatever map order serde_json was built with.
fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(out, &map[key]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuditType, Outcome};
    use time::Duration;

    fn event(id: &str, at: OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: id.to_owned(),
            at,
            kind: AuditType::LoginFailed,
            actor_id: None,
            user_id: None,
            ip: Some("203.0.113.9".into()),
            user_agent: None,
            request_id: "r".into(),
            outcome: Outcome::Failure,
            metadata: [("reason".to_owned(), Value::from("x"))]
                .into_iter()
                .collect(),
            chain: None,
        }
    }

    #[test]
    fn links_seal_their_event_and_follow_their_head() {
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let first = link(event("a", t0), 3, None);
        assert!(seals_itself(&first));
        let link1 = first.chain.clone().unwrap();
        assert_eq!((link1.seq, link1.prev_hash.as_str()), (1, GENESIS));
        let head = ChainHead::of(&first).unwrap();
        // A writer whose clock is behind still moves time forward in the chain.
        let second = link(event("b", t0 - Duration::milliseconds(3)), 3, Some(&head));
        assert_eq!(second.at, t0);
        assert!(seals_itself(&second));
        assert!(follows(second.chain.as_ref().unwrap(), &first));
        assert!(!follows(first.chain.as_ref().unwrap(), &second));

        let mut edited = second.clone();
        edited.metadata.insert("reason".into(), Value::from("y"));
        assert!(!seals_itself(&edited), "an edited field breaks the seal");
        let mut moved = second.clone();
        moved.at += Duration::seconds(1);
        assert!(!seals_itself(&moved), "a moved time breaks the seal");
        let mut renumbered = second;
        if let Some(l) = renumbered.chain.as_mut() {
            l.seq = 7;
        }
        assert!(!seals_itself(&renumbered), "a moved link breaks the seal");
    }

    #[test]
    fn time_keys_sort_as_times_do() {
        let t = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let keys: Vec<String> = [t, t + Duration::nanoseconds(1), t + Duration::seconds(1)]
            .into_iter()
            .map(time_key)
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(keys[0].len(), 20);
    }
}
