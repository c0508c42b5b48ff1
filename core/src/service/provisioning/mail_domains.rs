//! `/v1/provisioning/mail-domains`: a sending identity for a domain the caller has a zone
//! for, signing with a DKIM key Latch makes (RSA 2048) and publishes in that zone. Creation
//! runs reserve → DKIM record → identity → ready → charge; a step that fails undoes the ones
//! before it.

use super::super::authn::Authenticated;
use super::super::{Caller, Deps};
use crate::Error;
use crate::crypto::dkim::DkimKey;
use crate::domain::FieldError;
use crate::domain::dns::{DnsRecord, DomainName};
use crate::domain::provisioning::{Resource, ResourceKind, ResourceStatus};
use crate::ports::Creation;
use serde::{Deserialize, Serialize};

const KIND: ResourceKind = ResourceKind::MailDomain;

/// The DKIM record as written into the zone, kept in the record's detail.
const DKIM_RECORD: &str = "dkimRecord";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    /// The domain of one of the caller's DNS zones.
    // No example: one fixed domain is taken after its first use, and a mail domain needs a
    // zone of the caller's first.
    pub domain: String,
}

/// A record the domain needs, as written into its zone.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DkimRecordView {
    #[serde(rename = "type")]
    #[schema(example = "TXT")]
    pub kind: String,
    #[schema(example = "latch._domainkey.shop.example.com")]
    pub name: String,
    /// `v=DKIM1; k=rsa; p=…`: the public half of the signing key.
    pub value: String,
    pub ttl: u32,
}

/// A mail domain as its owner sees it (never its private key).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailDomainView {
    pub id: String,
    pub domain: String,
    #[schema(example = "ready")]
    pub status: String,
    pub dkim_records: Vec<DkimRecordView>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailDomainList {
    pub items: Vec<MailDomainView>,
}

fn dkim_record(resource: &Resource) -> Option<DnsRecord> {
    let stored = resource.detail.get(DKIM_RECORD)?;
    serde_json::from_value(stored.clone()).ok()
}

pub(super) fn view(resource: &Resource) -> MailDomainView {
    let dkim_records = dkim_record(resource)
        .map(|r| DkimRecordView {
            kind: r.kind.as_str().to_owned(),
            name: r.name,
            value: r.value,
            ttl: r.ttl,
        })
        .into_iter()
        .collect();
    MailDomainView {
        id: resource.id.clone(),
        domain: resource.name.clone(),
        status: resource.status.as_str().to_owned(),
        dkim_records,
        created_at: resource.created_at,
    }
}

fn domain_of(resource: &Resource) -> Result<DomainName, Error> {
    DomainName::parse(&resource.name)
        .map_err(|_| Error::internal("a stored mail domain does not parse"))
}

/// Whether `zone` can take a mail domain of its own: ready, and not a hosting account's part
/// (whose mail domain is the account's).
fn takes_mail(zone: &Resource) -> bool {
    zone.status == ResourceStatus::Ready && !zone.detail.contains_key(super::hosting::PART_OF)
}

/// The caller's ready zone of `domain`: 422 `not_your_zone` when there is none.
async fn zone_for(
    deps: &Deps,
    auth: &Authenticated,
    domain: &DomainName,
) -> Result<Resource, Error> {
    let zones = deps
        .resources
        .resources_of(&auth.user.id, ResourceKind::DnsZone)
        .await?;
    zones
        .into_iter()
        .find(|z| z.name == domain.as_str() && takes_mail(z))
        .ok_or_else(|| {
            Error::Validation(vec![FieldError::new(
                "domain",
                "not_your_zone",
                "Create a DNS zone for this domain first.",
            )])
        })
}

/// Publishes a new DKIM key of reserved `resource` in `zone` and makes its identity (not yet
/// `Ready`). What it made is undone by `unmake`.
pub async fn make(deps: &Deps, resource: &mut Resource, zone: &Resource) -> Result<(), Error> {
    let domain = domain_of(resource)?;
    let key = DkimKey::generate()?;
    let record = key.record(&domain);
    let zone_id = super::zones::zone_id(zone)?;
    resource
        .detail
        .insert(super::zones::ZONE_REF.into(), zone.id.clone().into());
    resource.detail.insert(
        DKIM_RECORD.into(),
        serde_json::to_value(&record).map_err(|e| Error::internal(e.to_string()))?,
    );
    deps.zones.add_record(zone_id, &record).await?;
    match deps
        .mail_domains
        .create_identity(&domain, &key, &resource.id)
        .await?
    {
        Creation::Created => Ok(()),
        // An identity made outside Latch: not this caller's, and never changed or deleted.
        Creation::Taken => Err(Error::Conflict),
    }
}

/// Deletes `resource`'s identity (only if it is this resource's) and its DKIM record. Safe to
/// run twice, and on a creation that stopped before either was made.
pub async fn unmake(deps: &Deps, resource: &Resource) -> Result<(), Error> {
    let domain = domain_of(resource)?;
    deps.mail_domains
        .delete_identity(&domain, &resource.id)
        .await?;
    let zone = match super::detail(resource, super::zones::ZONE_REF) {
        Some(id) => deps.resources.resource(id).await?,
        None => None,
    };
    if let (Some(zone), Some(record)) = (zone, dkim_record(resource)) {
        deps.zones
            .remove_record(super::zones::zone_id(&zone)?, &record)
            .await?;
    }
    Ok(())
}

/// POST /v1/provisioning/mail-domains
pub async fn create(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: CreateRequest,
) -> Result<MailDomainView, Error> {
    super::verified(auth)?;
    let domain = DomainName::parse(&req.domain).map_err(|e| Error::Validation(vec![e]))?;
    let zone = zone_for(deps, auth, &domain).await?;
    let (mut resource, price) = super::reserve(deps, auth, KIND, domain.as_str()).await?;
    // The zone read again now that this reservation stands: a delete of it that began
    // meanwhile is seen here, or sees this reservation (`zones::delete`); 409 either way.
    let make = async |r: &mut Resource| {
        let zone = deps.resources.resource(&zone.id).await?;
        match zone.filter(takes_mail) {
            Some(zone) => make(deps, r, &zone).await,
            None => Err(Error::Conflict),
        }
    };
    super::complete(deps, caller, &mut resource, price, make).await?;
    Ok(view(&resource))
}

/// GET /v1/provisioning/mail-domains
pub async fn list(deps: &Deps, auth: &Authenticated) -> Result<MailDomainList, Error> {
    let owned = deps.resources.resources_of(&auth.user.id, KIND).await?;
    Ok(MailDomainList {
        items: owned.iter().map(view).collect(),
    })
}

/// DELETE /v1/provisioning/mail-domains/{id}: the identity, then its DKIM record.
pub async fn delete(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<(), Error> {
    let resource = super::owned(deps, auth, KIND, id).await?;
    super::remove(deps, caller, resource).await
}
