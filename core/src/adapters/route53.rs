//! `Zones` on Route 53 (`LATCH_DNS=route53`). A record set holds every value of one name and
//! type; adding or removing one value rewrites its set (UPSERT, or DELETE of the last value).

use crate::Error;
use crate::domain::dns::{DnsRecord, DomainName, RecordType};
use crate::ports::{HostedZone, ZoneOf, Zones};
use async_trait::async_trait;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

pub struct Route53Zones {
    client: Client,
}

impl Route53Zones {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The record set (`name`, `kind`) of zone `id` as it stands, if any.
    async fn set_of(
        &self,
        id: &str,
        name: &str,
        kind: RecordType,
    ) -> Result<Option<ResourceRecordSet>, Error> {
        let out = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(id)
            .start_record_name(format!("{name}."))
            .start_record_type(rr_type(kind))
            .max_items(1)
            .send()
            .await
            .map_err(|e| super::sdk_error("route53 ListResourceRecordSets", e))?;
        Ok(out
            .resource_record_sets()
            .iter()
            .find(|s| bare(s.name()) == name && s.r#type() == &rr_type(kind))
            .cloned())
    }

    /// The zone for `domain` made under `reference`, if there is one.
    async fn zone_of(
        &self,
        domain: &DomainName,
        reference: &str,
    ) -> Result<Option<HostedZone>, Error> {
        let found = self
            .client
            .list_hosted_zones_by_name()
            .dns_name(domain.as_str())
            .send()
            .await
            .map_err(|e| super::sdk_error("route53 ListHostedZonesByName", e))?;
        let Some(zone) = found
            .hosted_zones()
            .iter()
            .find(|z| bare(z.name()) == domain.as_str() && z.caller_reference() == reference)
        else {
            return Ok(None);
        };
        let id = zone_id(zone.id());
        let got = self
            .client
            .get_hosted_zone()
            .id(&id)
            .send()
            .await
            .map_err(|e| super::sdk_error("route53 GetHostedZone", e))?;
        let name_servers = got
            .delegation_set()
            .map(|d| d.name_servers().iter().map(|n| bare(n)).collect())
            .unwrap_or_default();
        Ok(Some(HostedZone { id, name_servers }))
    }

    async fn change(
        &self,
        id: &str,
        action: ChangeAction,
        set: ResourceRecordSet,
    ) -> Result<(), Error> {
        let change = Change::builder()
            .action(action)
            .resource_record_set(set)
            .build()
            .map_err(build_err)?;
        let batch = ChangeBatch::builder()
            .changes(change)
            .build()
            .map_err(build_err)?;
        self.client
            .change_resource_record_sets()
            .hosted_zone_id(id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| super::sdk_error("route53 ChangeResourceRecordSets", e))?;
        Ok(())
    }
}

fn build_err(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("building a Route 53 request: {e}"))
}

fn rr_type(kind: RecordType) -> RrType {
    match kind {
        RecordType::A => RrType::A,
        RecordType::Aaaa => RrType::Aaaa,
        RecordType::Cname => RrType::Cname,
        RecordType::Mx => RrType::Mx,
        RecordType::Txt => RrType::Txt,
    }
}

fn kind_of(t: &RrType) -> Option<RecordType> {
    match t {
        RrType::A => Some(RecordType::A),
        RrType::Aaaa => Some(RecordType::Aaaa),
        RrType::Cname => Some(RecordType::Cname),
        RrType::Mx => Some(RecordType::Mx),
        RrType::Txt => Some(RecordType::Txt),
        _ => None,
    }
}

/// A name without its trailing dot, lower-cased.
fn bare(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn zone_id(raw: &str) -> String {
    raw.trim_start_matches("/hostedzone/").to_owned()
}

fn set(r: &DnsRecord, ttl: i64, values: &[String]) -> Result<ResourceRecordSet, Error> {
    let mut builder = ResourceRecordSet::builder()
        .name(format!("{}.", r.name))
        .r#type(rr_type(r.kind))
        .ttl(ttl);
    for v in values {
        builder = builder.resource_records(
            ResourceRecord::builder()
                .value(v)
                .build()
                .map_err(build_err)?,
        );
    }
    builder.build().map_err(build_err)
}

#[async_trait]
impl Zones for Route53Zones {
    async fn create_zone(&self, domain: &DomainName, reference: &str) -> Result<HostedZone, Error> {
        // A retry of this very call (same reference) finds the zone it made, whether or not
        // the provider holds caller references to account.
        if let Some(zone) = self.zone_of(domain, reference).await? {
            return Ok(zone);
        }
        let made = self
            .client
            .create_hosted_zone()
            .name(domain.as_str())
            .caller_reference(reference)
            .send()
            .await;
        match made {
            Ok(out) => Ok(HostedZone {
                id: out
                    .hosted_zone()
                    .map(|z| zone_id(z.id()))
                    .unwrap_or_default(),
                name_servers: out
                    .delegation_set()
                    .map(|d| d.name_servers().iter().map(|n| bare(n)).collect())
                    .unwrap_or_default(),
            }),
            // Made meanwhile by a retry of this call.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_hosted_zone_already_exists()) =>
            {
                self.zone_of(domain, reference)
                    .await?
                    .ok_or(Error::Conflict)
            }
            Err(e) => Err(super::sdk_error("route53 CreateHostedZone", e)),
        }
    }

    async fn zones_of(&self, domain: &DomainName) -> Result<Vec<ZoneOf>, Error> {
        let found = self
            .client
            .list_hosted_zones_by_name()
            .dns_name(domain.as_str())
            .send()
            .await
            .map_err(|e| super::sdk_error("route53 ListHostedZonesByName", e))?;
        Ok(found
            .hosted_zones()
            .iter()
            .filter(|z| bare(z.name()) == domain.as_str())
            .map(|z| ZoneOf {
                id: zone_id(z.id()),
                reference: z.caller_reference().to_owned(),
            })
            .collect())
    }

    async fn delete_zone(&self, id: &str) -> Result<(), Error> {
        let Some(records) = self.records(id).await? else {
            return Ok(());
        };
        for r in &records {
            self.remove_record(id, r).await?;
        }
        match self.client.delete_hosted_zone().id(id).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_hosted_zone()) =>
            {
                Ok(())
            }
            Err(e) => Err(super::sdk_error("route53 DeleteHostedZone", e)),
        }
    }

    async fn add_record(&self, id: &str, record: &DnsRecord) -> Result<(), Error> {
        let current = self.set_of(id, &record.name, record.kind).await?;
        let mut values: Vec<String> = current
            .iter()
            .flat_map(|s| s.resource_records().iter().map(|r| r.value().to_owned()))
            .filter(|v| DnsRecord::from_presentation(record.kind, v) != record.value)
            .collect();
        values.push(record.presentation());
        self.change(
            id,
            ChangeAction::Upsert,
            set(record, i64::from(record.ttl), &values)?,
        )
        .await
    }

    async fn remove_record(&self, id: &str, record: &DnsRecord) -> Result<(), Error> {
        let Some(current) = self.set_of(id, &record.name, record.kind).await? else {
            return Ok(());
        };
        let ttl = current.ttl().unwrap_or(i64::from(record.ttl));
        let all: Vec<String> = current
            .resource_records()
            .iter()
            .map(|r| r.value().to_owned())
            .collect();
        let rest: Vec<String> = all
            .iter()
            .filter(|v| DnsRecord::from_presentation(record.kind, v) != record.value)
            .cloned()
            .collect();
        if rest.len() == all.len() {
            return Ok(());
        }
        if rest.is_empty() {
            // DELETE names the set exactly as it stands.
            self.change(id, ChangeAction::Delete, set(record, ttl, &all)?)
                .await
        } else {
            self.change(id, ChangeAction::Upsert, set(record, ttl, &rest)?)
                .await
        }
    }

    async fn records(&self, id: &str) -> Result<Option<Vec<DnsRecord>>, Error> {
        let mut out = Vec::new();
        let (mut name, mut kind): (Option<String>, Option<RrType>) = (None, None);
        loop {
            let page = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(id)
                .set_start_record_name(name.take())
                .set_start_record_type(kind.take())
                .send()
                .await;
            let page = match page {
                Ok(p) => p,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_no_such_hosted_zone()) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(super::sdk_error("route53 ListResourceRecordSets", e)),
            };
            for s in page.resource_record_sets() {
                let Some(k) = kind_of(s.r#type()) else {
                    continue;
                };
                for r in s.resource_records() {
                    out.push(DnsRecord {
                        kind: k,
                        name: bare(s.name()),
                        value: DnsRecord::from_presentation(k, r.value()),
                        ttl: u32::try_from(s.ttl().unwrap_or(300)).unwrap_or(300),
                    });
                }
            }
            if !page.is_truncated() {
                break;
            }
            name = page.next_record_name().map(str::to_owned);
            kind = page.next_record_type().cloned();
        }
        out.sort_by(|a, b| {
            (&a.name, a.kind.as_str(), &a.value).cmp(&(&b.name, b.kind.as_str(), &b.value))
        });
        Ok(Some(out))
    }
}
