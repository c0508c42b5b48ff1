//! GET /v1/admin/audit-logs, its CSV export and its verification: the trail searched newest
//! first through the store's indexes, exported 10,000 rows at a time, and its hash chains
//! recomputed to find the first broken link.

use super::super::Deps;
use super::super::paging;
use crate::Error;
use crate::domain::audit_chain::{self, ChainHead, GENESIS, PARTITIONS};
use crate::domain::{AuditEvent, AuditQuery, AuditType, FieldError, UserId, audit};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Events appended within this margin after `now` (their writer's clock ahead) still fall
/// inside a search that names no `to`.
const CLOCK_MARGIN: Duration = Duration::minutes(5);

/// The filters of a search, an export and (`from`, `to` only) a verification, as sent.
#[derive(Debug, Default, Clone)]
pub struct Filters<'a> {
    pub user_id: Option<&'a str>,
    pub actor_id: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

impl Filters<'_> {
    /// The query they make (422 with every bad field named), within the retention window.
    pub fn query(&self, now: OffsetDateTime) -> Result<AuditQuery, Error> {
        let mut problems = Vec::new();
        let mut id = |field: &str, raw: Option<&str>| {
            let parsed = raw.map(UserId::parse);
            if parsed == Some(None) {
                problems.push(FieldError::new(field, "invalid_id", "Use a user id."));
            }
            parsed.flatten()
        };
        let user = id("userId", self.user_id);
        let actor = id("actorId", self.actor_id);
        let kind = self.kind.map(AuditType::parse);
        if kind == Some(None) {
            problems.push(FieldError::new(
                "type",
                "unknown_type",
                "Use an audit event type.",
            ));
        }
        let mut time = |field: &str, raw: Option<&str>| {
            let parsed = raw.map(|r| OffsetDateTime::parse(r, &Rfc3339).ok());
            if parsed == Some(None) {
                problems.push(FieldError::new(
                    field,
                    "invalid_time",
                    "Use an RFC 3339 time.",
                ));
            }
            parsed.flatten()
        };
        let from = time("from", self.from).unwrap_or(now - audit::RETENTION);
        let to = time("to", self.to).unwrap_or(now + CLOCK_MARGIN);
        if problems.is_empty() && from > to {
            problems.push(FieldError::new(
                "from",
                "after_to",
                "`from` must not be after `to`.",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        // Nothing is kept outside the retention window: a range is cut to it, so no query walks
        // centuries of empty months; a range wholly outside it is empty.
        Ok(AuditQuery {
            user,
            actor,
            kind: kind.flatten(),
            from: from.max(now - audit::RETENTION),
            to: to.min(now + CLOCK_MARGIN),
        })
    }

    fn scope(&self, list: &str) -> String {
        paging::scope(
            list,
            &[
                ("userId", self.user_id),
                ("actorId", self.actor_id),
                ("type", self.kind),
                ("from", self.from),
                ("to", self.to),
            ],
        )
    }
}

/// One event as the contract shows it (its chain link is for `verify`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    #[serde(rename = "type")]
    #[schema(example = "login.failed")]
    pub kind: String,
    pub actor_id: Option<String>,
    pub user_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: String,
    #[schema(example = "failure")]
    pub outcome: String,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl EventView {
    fn of(e: AuditEvent) -> Self {
        Self {
            at: e.at.format(&Rfc3339).unwrap_or_default(),
            id: e.id,
            kind: e.kind.as_str().to_owned(),
            actor_id: e.actor_id.map(String::from),
            user_id: e.user_id.map(String::from),
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
            outcome: e.outcome.as_str().to_owned(),
            metadata: e.metadata,
        }
    }
}

crate::listed!(
    /// A page of audit events.
    EventList of EventView
);

/// GET /v1/admin/audit-logs
pub async fn search(
    deps: &Deps,
    filters: &Filters<'_>,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<EventList, Error> {
    let query = filters.query(deps.clock.now())?;
    let scope = filters.scope("audit-logs");
    let page = paging::request(&deps.keys, &scope, limit, cursor, paging::MAX_LIMIT)?;
    let found = deps
        .audit
        .search(&query, page.after.as_deref(), page.limit)
        .await?;
    Ok(EventList {
        items: found.items.into_iter().map(EventView::of).collect(),
        next_cursor: paging::seal(&deps.keys, &scope, found.next)?,
    })
}

/// The columns of an export.
pub const EXPORT_COLUMNS: [&str; 10] = [
    "id",
    "at",
    "type",
    "outcome",
    "actorId",
    "userId",
    "ip",
    "userAgent",
    "requestId",
    "metadata",
];

/// The bytes of CSV one export response carries at most (plus one row): well within the Lambda
/// response limit (6 MB), however wide the rows.
pub const EXPORT_BYTES: usize = 4 * 1024 * 1024;

/// One response of an export: the CSV, and the cursor of the next one.
#[derive(Debug)]
pub struct ExportPage {
    pub csv: String,
    pub next_cursor: Option<String>,
}

/// GET /v1/admin/audit-logs/export: at most `rows` events (newest first) per response.
pub async fn export(
    deps: &Deps,
    filters: &Filters<'_>,
    cursor: Option<&str>,
    rows: usize,
) -> Result<ExportPage, Error> {
    let query = filters.query(deps.clock.now())?;
    let scope = filters.scope("audit-export");
    let page = paging::request(&deps.keys, &scope, None, cursor, rows)?;
    let found = deps
        .audit
        .search(&query, page.after.as_deref(), rows)
        .await?;
    let mut csv = crate::http::csv::Csv::with_header(&EXPORT_COLUMNS);
    let mut next = found.next;
    let mut last_shown: Option<String> = None;
    for event in found.items {
        // Rows are as wide as their User-Agent and metadata: past the byte budget the rest go
        // to the next response, whose cursor starts after the last row shown.
        if csv.len() > EXPORT_BYTES {
            next = last_shown;
            break;
        }
        last_shown = Some(crate::domain::audit_chain::position(&event));
        let e = EventView::of(event);
        let metadata = serde_json::Value::Object(e.metadata).to_string();
        let cells = [
            e.id,
            e.at,
            e.kind,
            e.outcome,
            e.actor_id.unwrap_or_default(),
            e.user_id.unwrap_or_default(),
            e.ip.unwrap_or_default(),
            e.user_agent.unwrap_or_default(),
            e.request_id,
            metadata,
        ];
        csv.row(&cells);
    }
    Ok(ExportPage {
        csv: csv.finish(),
        next_cursor: paging::seal(&deps.keys, &scope, next)?,
    })
}

/// What a verification found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub ok: bool,
    /// Events whose links were recomputed.
    pub checked: u64,
    /// The earliest event whose link does not hold (for a deleted newest event, its id as the
    /// chain's head remembers it).
    pub first_broken_id: Option<String>,
}

/// How many events one chain read brings.
const CHAIN_PAGE: usize = 500;

/// GET /v1/admin/audit-logs/verify: recomputes every chain over `from..=to`.
pub async fn verify(deps: &Deps, filters: &Filters<'_>) -> Result<Verification, Error> {
    let now = deps.clock.now();
    let query = filters.query(now)?;
    let checks = (0..PARTITIONS).map(|p| verify_chain(deps, p, &query, now));
    let results = futures_util::future::try_join_all(checks).await?;
    let checked = results.iter().map(|r| r.checked).sum();
    let first_broken = results
        .into_iter()
        .filter_map(|r| r.broken)
        .min_by(|a, b| a.0.cmp(&b.0));
    Ok(Verification {
        ok: first_broken.is_none(),
        checked,
        first_broken_id: first_broken.map(|(_, id)| id),
    })
}

struct ChainCheck {
    checked: u64,
    /// When and which event broke first.
    broken: Option<(OffsetDateTime, String)>,
}

async fn verify_chain(
    deps: &Deps,
    partition: u16,
    query: &AuditQuery,
    now: OffsetDateTime,
) -> Result<ChainCheck, Error> {
    // The head is read first: events appended after it are not this check's to judge.
    let head = deps.audit.head(partition).await?;
    let mut check = ChainCheck {
        checked: 0,
        broken: None,
    };
    let Some(head) = head else {
        return Ok(check);
    };
    let mut prev: Option<AuditEvent> = None;
    let mut after = None;
    'pages: loop {
        let page = deps
            .audit
            .chain(
                partition,
                query.from,
                query.to,
                after.as_deref(),
                CHAIN_PAGE,
            )
            .await?;
        for event in page.items {
            let Some(link) = event.chain.clone() else {
                continue;
            };
            if link.seq > head.seq {
                break 'pages;
            }
            check.checked += 1;
            let linked = match &prev {
                Some(p) => audit_chain::follows(&link, p),
                None => first_link_holds(deps, &event, now).await?,
            };
            if !linked || !audit_chain::seals_itself(&event) {
                check.broken = Some((event.at, event.id.clone()));
                return Ok(check);
            }
            prev = Some(event);
        }
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    // The newest event the head names must be there, whole, when the range reaches it.
    if query.from <= head.at && head.at <= query.to && !ends_at_head(prev.as_ref(), &head) {
        check.broken = Some((head.at, head.id.clone()));
    }
    Ok(check)
}

fn ends_at_head(last: Option<&AuditEvent>, head: &ChainHead) -> bool {
    last.is_some_and(|e| {
        e.id == head.id
            && e.chain
                .as_ref()
                .is_some_and(|l| l.seq == head.seq && l.hash == head.hash)
    })
}

/// The first event of a range links to the stored event before it; with none stored, it must
/// be its chain's first, or its predecessor old enough for retention to have collected it.
async fn first_link_holds(
    deps: &Deps,
    event: &AuditEvent,
    now: OffsetDateTime,
) -> Result<bool, Error> {
    let Some(link) = &event.chain else {
        return Ok(false);
    };
    if let Some(before) = deps.audit.chain_before(event).await? {
        return Ok(audit_chain::follows(link, &before));
    }
    Ok(match link.prev_at {
        None => link.seq == 1 && link.prev_hash == GENESIS,
        Some(prev_at) => link.seq > 1 && prev_at + audit::RETENTION <= now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_name_every_bad_field_and_default_to_the_retention_window() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let q = Filters::default().query(now).unwrap();
        assert_eq!((q.from, q.to), (now - audit::RETENTION, now + CLOCK_MARGIN));
        let bad = Filters {
            user_id: Some("nobody"),
            actor_id: Some("01JZ0000000000000000000000"),
            kind: Some("login.exploded"),
            from: Some("yesterday"),
            to: None,
        };
        match bad.query(now) {
            Err(Error::Validation(p)) => {
                let fields: Vec<&str> = p.iter().map(|f| f.field.as_str()).collect();
                assert_eq!(fields, ["userId", "type", "from"]);
            }
            other => panic!("{other:?}"),
        }
        let reversed = Filters {
            from: Some("2026-12-02T00:00:00Z"),
            to: Some("2026-12-01T00:00:00Z"),
            ..Filters::default()
        };
        assert!(matches!(reversed.query(now), Err(Error::Validation(_))));
    }
}
