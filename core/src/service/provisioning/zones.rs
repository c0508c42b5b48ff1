//! `/v1/provisioning/dns-zones`: a hosted zone per resource (Route 53, or the embedded zone
//! store) and its records. Creation runs reserve → zone → ready → charge; a step that fails
//! undoes the ones before it. A record's id is a keyed digest of the zone and the record, so a
//! record id of another zone never names a record of this one (404).

use super::super::authn::Authenticated;
use super::super::{Caller, Deps};
use crate::Error;
use crate::domain::AuditType;
use crate::domain::dns::{DnsRecord, DomainName};
use crate::domain::provisioning::{Resource, ResourceKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const KIND: ResourceKind = ResourceKind::DnsZone;

/// Records a zone may hold (abuse of one zone's provider quota stops here).
pub const MAX_RECORDS: usize = 500;

/// The provider's id of the zone, kept in the record's detail.
const ZONE_ID: &str = "zoneId";
/// The zone resource a mail domain's DKIM record was written into, in its detail.
pub const ZONE_REF: &str = "zoneResourceId";
const NAME_SERVERS: &str = "nameServers";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    /// A domain name (lower-cased, a trailing dot dropped); one zone per domain across Latch.
    // No example: one fixed domain is taken after its first use, and a mail domain needs a
    // zone of the caller's first.
    pub domain: String,
}

/// A zone as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZoneView {
    pub id: String,
    pub domain: String,
    #[schema(example = "ready")]
    pub status: String,
    /// Where the domain's registrar must delegate to.
    pub name_servers: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

/// One value of one record set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordView {
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "A")]
    pub kind: String,
    /// The full name, without a trailing dot.
    pub name: String,
    pub value: String,
    pub ttl: u32,
}

/// A zone with its records (not the zone's own SOA and NS).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZoneDetail {
    #[serde(flatten)]
    pub zone: ZoneView,
    pub records: Vec<RecordView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ZoneList {
    pub items: Vec<ZoneView>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRequest {
    #[serde(rename = "type")]
    #[schema(example = "A")]
    pub kind: String,
    /// `@` for the apex, a name relative to the zone, or a full name inside it (a trailing dot
    /// makes it absolute, as in a zone file).
    #[schema(example = "www")]
    pub name: String,
    #[schema(example = "192.0.2.10")]
    pub value: String,
    /// 60 to 86400 seconds.
    #[schema(example = 300)]
    pub ttl: i64,
}

pub(super) fn view(resource: &Resource) -> ZoneView {
    let name_servers = resource
        .detail
        .get(NAME_SERVERS)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    ZoneView {
        id: resource.id.clone(),
        domain: resource.name.clone(),
        status: resource.status.as_str().to_owned(),
        name_servers,
        created_at: resource.created_at,
    }
}

/// The id of `record` in zone resource `zone`: 128 bits of SHA-256 over both.
pub fn record_id(zone: &Resource, record: &DnsRecord) -> String {
    let digest = Sha256::new()
        .chain_update(zone.id.as_bytes())
        .chain_update([0])
        .chain_update(record.kind.as_str())
        .chain_update([0])
        .chain_update(record.name.as_bytes())
        .chain_update([0])
        .chain_update(record.value.as_bytes())
        .finalize();
    crate::crypto::hex(&digest[..16])
}

fn record_view(zone: &Resource, record: &DnsRecord) -> RecordView {
    RecordView {
        id: record_id(zone, record),
        kind: record.kind.as_str().to_owned(),
        name: record.name.clone(),
        value: record.value.clone(),
        ttl: record.ttl,
    }
}

/// The provider's id of zone `resource`.
pub fn zone_id(resource: &Resource) -> Result<&str, Error> {
    super::detail(resource, ZONE_ID).ok_or_else(|| Error::internal("a zone without its id"))
}

fn domain_of(resource: &Resource) -> Result<DomainName, Error> {
    DomainName::parse(&resource.name)
        .map_err(|_| Error::internal("a stored zone domain does not parse"))
}

/// Makes the zone of a reserved `resource` and records its provider id and name servers in
/// it (not yet `Ready`).
pub async fn make(deps: &Deps, resource: &mut Resource) -> Result<(), Error> {
    let domain = domain_of(resource)?;
    let zone = deps.zones.create_zone(&domain, &resource.id).await?;
    resource.detail.insert(ZONE_ID.into(), zone.id.into());
    resource
        .detail
        .insert(NAME_SERVERS.into(), zone.name_servers.into());
    Ok(())
}

/// Deletes what zone `resource` has at the provider; found by its reference when the record
/// never learnt its id (a creation that stopped half-way). Safe to run twice.
pub async fn unmake(deps: &Deps, resource: &Resource) -> Result<(), Error> {
    let id = match super::detail(resource, ZONE_ID) {
        Some(id) => id.to_owned(),
        None => {
            let domain = domain_of(resource)?;
            let zones = deps.zones.zones_of(&domain).await?;
            match zones.into_iter().find(|z| z.reference == resource.id) {
                Some(zone) => zone.id,
                None => return Ok(()),
            }
        }
    };
    deps.zones.delete_zone(&id).await
}

/// POST /v1/provisioning/dns-zones
pub async fn create(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: CreateRequest,
) -> Result<ZoneView, Error> {
    super::verified(auth)?;
    let domain = DomainName::parse(&req.domain)
        .and_then(|d| super::not_the_deployment_s(deps, &d).map(|()| d))
        .map_err(|e| Error::Validation(vec![e]))?;
    let (mut resource, price) = super::reserve(deps, auth, KIND, domain.as_str()).await?;
    super::complete(deps, caller, &mut resource, price, async |r| {
        make(deps, r).await
    })
    .await?;
    Ok(view(&resource))
}

/// GET /v1/provisioning/dns-zones
pub async fn list(deps: &Deps, auth: &Authenticated) -> Result<ZoneList, Error> {
    let owned = deps.resources.resources_of(&auth.user.id, KIND).await?;
    Ok(ZoneList {
        items: owned.iter().map(view).collect(),
    })
}

/// The records of zone `resource` at its provider, sorted.
async fn records_of(deps: &Deps, resource: &Resource) -> Result<Vec<DnsRecord>, Error> {
    Ok(deps
        .zones
        .records(zone_id(resource)?)
        .await?
        .unwrap_or_default())
}

/// GET /v1/provisioning/dns-zones/{id}
pub async fn get(deps: &Deps, auth: &Authenticated, id: Option<&str>) -> Result<ZoneDetail, Error> {
    let resource = super::owned(deps, auth, KIND, id).await?;
    let records = match resource.status {
        crate::domain::provisioning::ResourceStatus::Ready => records_of(deps, &resource).await?,
        _ => Vec::new(),
    };
    Ok(ZoneDetail {
        zone: view(&resource),
        records: records.iter().map(|r| record_view(&resource, r)).collect(),
    })
}

/// The caller's zone `id`, `Ready` (409 while it is made or deleted).
async fn ready_zone(
    deps: &Deps,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<Resource, Error> {
    let zone = super::owned(deps, auth, KIND, id).await?;
    if zone.status != crate::domain::provisioning::ResourceStatus::Ready {
        return Err(Error::Conflict);
    }
    Ok(zone)
}

/// POST /v1/provisioning/dns-zones/{id}/records
pub async fn add_record(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
    req: RecordRequest,
) -> Result<RecordView, Error> {
    let zone = ready_zone(deps, auth, id).await?;
    let domain = domain_of(&zone)?;
    let record = DnsRecord::parse(&domain, &req.kind, &req.name, &req.value, req.ttl)
        .map_err(Error::Validation)?;
    let records = records_of(deps, &zone).await?;
    if !records.contains(&record) && records.len() >= MAX_RECORDS {
        return Err(Error::PlanQuotaExceeded);
    }
    deps.zones.add_record(zone_id(&zone)?, &record).await?;
    let view = record_view(&zone, &record);
    let meta = [("recordId", view.id.as_str()), ("type", view.kind.as_str())];
    super::audited(
        deps,
        caller,
        AuditType::ProvisioningRecordAdded,
        &zone,
        &meta,
    )
    .await;
    Ok(view)
}

/// DELETE /v1/provisioning/dns-zones/{id}/records/{recordId}: a record id that is not one of
/// this zone's records is 404.
pub async fn delete_record(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
    record_id_in_path: Option<&str>,
) -> Result<(), Error> {
    let zone = ready_zone(deps, auth, id).await?;
    let wanted = record_id_in_path.ok_or(Error::NotFound)?;
    let records = records_of(deps, &zone).await?;
    let record = records
        .iter()
        .find(|r| record_id(&zone, r) == wanted)
        .ok_or(Error::NotFound)?;
    deps.zones.remove_record(zone_id(&zone)?, record).await?;
    let meta = [("recordId", wanted), ("type", record.kind.as_str())];
    super::audited(
        deps,
        caller,
        AuditType::ProvisioningRecordRemoved,
        &zone,
        &meta,
    )
    .await;
    Ok(())
}

/// DELETE /v1/provisioning/dns-zones/{id}: its records, then the zone (409 while a mail domain
/// uses it).
///
/// The zone is marked `Deleting` first and the mail domain of its name looked for after, read
/// consistently; a mail domain's creation reserves first and reads the zone after
/// (`mail_domains::create`). So of a delete and a creation that overlap, at least one sees the
/// other and stops: a mail domain is never left on a zone that went.
pub async fn delete(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<(), Error> {
    let mut resource = super::owned(deps, auth, KIND, id).await?;
    super::deleting(deps, &mut resource).await?;
    match super::zone_in_use(deps, &resource).await {
        Ok(false) => super::remove_marked(deps, caller, &resource).await,
        // In use, or unknown whether it is: the zone stays, as it was.
        in_use => {
            super::undelete(deps, &mut resource).await;
            Err(in_use.err().unwrap_or(Error::Conflict))
        }
    }
}
