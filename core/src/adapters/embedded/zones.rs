//! `Zones` in the embedded store (`LATCH_DNS=embedded`, the default): zones and record sets in
//! redb, answering as Route 53 does, with made-up name servers; and a zone file of each.

use super::{EmbeddedStore, db_err, get, put};
use crate::Error;
use crate::domain::dns::{DnsRecord, DomainName};
use crate::ports::{HostedZone, ZoneOf, Zones};
use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};

/// Zone id → the zone.
pub(crate) const ZONES: TableDefinition<&str, &[u8]> = TableDefinition::new("dns_zones");
/// `<zone id>#<name>#<type>` → the record set's values (one record each, same TTL).
pub(crate) const RECORD_SETS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("dns_record_sets");

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredZone {
    domain: DomainName,
    zone: HostedZone,
    #[serde(default)]
    reference: String,
}

fn set_key(zone: &str, r: &DnsRecord) -> String {
    format!("{zone}#{}#{}", r.name, r.kind.as_str())
}

impl EmbeddedStore {
    /// Zone `id` as a zone file (RFC 1035 master file), `None` when there is no such zone.
    pub async fn zone_file(&self, id: &str) -> Result<Option<String>, Error> {
        let Some(records) = self.records(id).await? else {
            return Ok(None);
        };
        let id = id.to_owned();
        let zone: Option<StoredZone> = self
            .read(move |txn| get(&txn.open_table(ZONES).map_err(db_err)?, &id))
            .await?;
        let Some(zone) = zone else {
            return Ok(None);
        };
        let origin = zone.domain.as_str();
        let mut out = format!("$ORIGIN {origin}.\n$TTL 300\n");
        let ns = zone.zone.name_servers.first().cloned().unwrap_or_default();
        out.push_str(&format!(
            "@ 3600 IN SOA {ns}. hostmaster.{origin}. 1 7200 900 1209600 300\n"
        ));
        for server in &zone.zone.name_servers {
            out.push_str(&format!("@ 172800 IN NS {server}.\n"));
        }
        for r in records {
            let value = r.presentation();
            out.push_str(&format!(
                "{}. {} IN {} {value}\n",
                r.name,
                r.ttl,
                r.kind.as_str()
            ));
        }
        Ok(Some(out))
    }
}

#[async_trait]
impl Zones for EmbeddedStore {
    async fn create_zone(&self, domain: &DomainName, reference: &str) -> Result<HostedZone, Error> {
        let (domain, id, reference) = (
            domain.clone(),
            format!("Z{}", reference.to_ascii_uppercase()),
            reference.to_owned(),
        );
        self.write(move |txn| {
            let mut zones = txn.open_table(ZONES).map_err(db_err)?;
            if let Some(stored) = get::<StoredZone>(&zones, &id)? {
                return Ok(stored.zone);
            }
            let zone = HostedZone {
                id: id.clone(),
                name_servers: (1..=4).map(|n| format!("ns{n}.latch.invalid")).collect(),
            };
            put(
                &mut zones,
                &id,
                &StoredZone {
                    domain,
                    zone: zone.clone(),
                    reference,
                },
            )?;
            Ok(zone)
        })
        .await
    }

    async fn zones_of(&self, domain: &DomainName) -> Result<Vec<ZoneOf>, Error> {
        let domain = domain.clone();
        self.read(move |txn| {
            let zones = txn.open_table(ZONES).map_err(db_err)?;
            let mut found = Vec::new();
            for entry in zones.iter().map_err(db_err)? {
                let (_, value) = entry.map_err(db_err)?;
                let stored: StoredZone = super::decode(value.value())?;
                if stored.domain == domain {
                    found.push(ZoneOf {
                        id: stored.zone.id,
                        reference: stored.reference,
                    });
                }
            }
            Ok(found)
        })
        .await
    }

    async fn delete_zone(&self, id: &str) -> Result<(), Error> {
        let id = id.to_owned();
        self.write(move |txn| {
            let mut sets = txn.open_table(RECORD_SETS).map_err(db_err)?;
            let (from, to) = (format!("{id}#"), format!("{id}$"));
            let keys: Vec<String> = sets
                .range(from.as_str()..to.as_str())
                .map_err(db_err)?
                .map(|e| e.map(|(k, _)| k.value().to_owned()).map_err(db_err))
                .collect::<Result<_, _>>()?;
            for key in keys {
                sets.remove(key.as_str()).map_err(db_err)?;
            }
            txn.open_table(ZONES)
                .map_err(db_err)?
                .remove(id.as_str())
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn add_record(&self, id: &str, record: &DnsRecord) -> Result<(), Error> {
        let (id, record) = (id.to_owned(), record.clone());
        self.write(move |txn| {
            if txn
                .open_table(ZONES)
                .map_err(db_err)?
                .get(id.as_str())
                .map_err(db_err)?
                .is_none()
            {
                return Err(Error::NotFound);
            }
            let mut sets = txn.open_table(RECORD_SETS).map_err(db_err)?;
            let key = set_key(&id, &record);
            let mut values: Vec<DnsRecord> = get(&sets, &key)?.unwrap_or_default();
            values.retain(|v| v.value != record.value);
            values.push(record.clone());
            // One TTL per record set, as Route 53 keeps it.
            for v in &mut values {
                v.ttl = record.ttl;
            }
            put(&mut sets, &key, &values)
        })
        .await
    }

    async fn remove_record(&self, id: &str, record: &DnsRecord) -> Result<(), Error> {
        let (id, record) = (id.to_owned(), record.clone());
        self.write(move |txn| {
            let mut sets = txn.open_table(RECORD_SETS).map_err(db_err)?;
            let key = set_key(&id, &record);
            let mut values: Vec<DnsRecord> = get(&sets, &key)?.unwrap_or_default();
            values.retain(|v| v.value != record.value);
            if values.is_empty() {
                sets.remove(key.as_str()).map_err(db_err)?;
                Ok(())
            } else {
                put(&mut sets, &key, &values)
            }
        })
        .await
    }

    async fn records(&self, id: &str) -> Result<Option<Vec<DnsRecord>>, Error> {
        let id = id.to_owned();
        self.read(move |txn| {
            if txn
                .open_table(ZONES)
                .map_err(db_err)?
                .get(id.as_str())
                .map_err(db_err)?
                .is_none()
            {
                return Ok(None);
            }
            let sets = txn.open_table(RECORD_SETS).map_err(db_err)?;
            let (from, to) = (format!("{id}#"), format!("{id}$"));
            let mut out = Vec::new();
            for entry in sets.range(from.as_str()..to.as_str()).map_err(db_err)? {
                let (_, v) = entry.map_err(db_err)?;
                let values: Vec<DnsRecord> = super::decode(v.value())?;
                out.extend(values);
            }
            out.sort_by(|a, b| {
                (&a.name, a.kind.as_str(), &a.value).cmp(&(&b.name, b.kind.as_str(), &b.value))
            });
            Ok(Some(out))
        })
        .await
    }
}
