//! `Resources` in the embedded store: records by id, name claims per kind, and an owner index,
//! each reserve and release in one write transaction with the owner's account.

use super::{EmbeddedStore, USERS, db_err, get, put};
use crate::Error;
use crate::domain::User;
use crate::domain::UserId;
use crate::domain::provisioning::{Resource, ResourceKind, ResourceStatus};
use crate::ports::{Release, Reserve, Resources};
use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};

/// Resource id → the record.
pub(crate) const RESOURCES: TableDefinition<&str, &[u8]> = TableDefinition::new("resources");
/// `<kind>#<name>` → resource id: one name per kind.
pub(crate) const RESOURCE_NAMES: TableDefinition<&str, &str> =
    TableDefinition::new("resource_names");
/// `<owner>/<kind>/<resource id>` → nothing: an owner's resources by key range.
pub(crate) const OWNER_RESOURCES: TableDefinition<&str, ()> =
    TableDefinition::new("owner_resources");

fn name_key(kind: ResourceKind, name: &str) -> String {
    format!("{}#{name}", kind.as_str())
}

fn owner_key(r: &Resource) -> String {
    format!("{}/{}/{}", r.owner, r.kind.as_str(), r.id)
}

fn at_version(
    users: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &UserId,
    expected: u64,
) -> Result<bool, Error> {
    Ok(get::<User>(users, id.as_str())?.is_some_and(|u| u.version == expected))
}

#[async_trait]
impl Resources for EmbeddedStore {
    async fn reserve(
        &self,
        resource: &Resource,
        owner: &User,
        expected_version: u64,
    ) -> Result<Reserve, Error> {
        let (resource, owner) = (resource.clone(), owner.clone());
        self.write(move |txn| {
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if !at_version(&users, &owner.id, expected_version)? {
                return Ok(Reserve::AccountChanged);
            }
            let mut names = txn.open_table(RESOURCE_NAMES).map_err(db_err)?;
            if names
                .get(name_key(resource.kind, &resource.name).as_str())
                .map_err(db_err)?
                .is_some()
            {
                return Ok(Reserve::NameTaken);
            }
            names
                .insert(
                    name_key(resource.kind, &resource.name).as_str(),
                    resource.id.as_str(),
                )
                .map_err(db_err)?;
            put(
                &mut txn.open_table(RESOURCES).map_err(db_err)?,
                &resource.id,
                &resource,
            )?;
            txn.open_table(OWNER_RESOURCES)
                .map_err(db_err)?
                .insert(owner_key(&resource).as_str(), ())
                .map_err(db_err)?;
            put(&mut users, owner.id.as_str(), &owner)?;
            Ok(Reserve::Reserved)
        })
        .await
    }

    async fn update(&self, resource: &Resource, expected: ResourceStatus) -> Result<bool, Error> {
        let resource = resource.clone();
        self.write(move |txn| {
            let mut records = txn.open_table(RESOURCES).map_err(db_err)?;
            let stored: Option<Resource> = get(&records, &resource.id)?;
            if stored.is_none_or(|r| r.status != expected) {
                return Ok(false);
            }
            put(&mut records, &resource.id, &resource)?;
            Ok(true)
        })
        .await
    }

    async fn resource(&self, id: &str) -> Result<Option<Resource>, Error> {
        let id = id.to_owned();
        self.read(move |txn| get(&txn.open_table(RESOURCES).map_err(db_err)?, &id))
            .await
    }

    async fn holder_of(&self, kind: ResourceKind, name: &str) -> Result<Option<String>, Error> {
        let key = name_key(kind, name);
        self.read(move |txn| {
            let names = txn.open_table(RESOURCE_NAMES).map_err(db_err)?;
            let held = names.get(key.as_str()).map_err(db_err)?;
            Ok(held.map(|id| id.value().to_owned()))
        })
        .await
    }

    async fn pending(
        &self,
        created_before: time::OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Resource>, Error> {
        self.read(move |txn| {
            let records = txn.open_table(RESOURCES).map_err(db_err)?;
            let mut out = Vec::new();
            // Resource ids are ULIDs: key order is creation order.
            for entry in records.iter().map_err(db_err)? {
                let r: Resource = super::decode(entry.map_err(db_err)?.1.value())?;
                if r.created_at >= created_before {
                    break;
                }
                if r.status != ResourceStatus::Ready {
                    out.push(r);
                    if out.len() == limit {
                        break;
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn resources_of(
        &self,
        owner: &UserId,
        kind: ResourceKind,
    ) -> Result<Vec<Resource>, Error> {
        let (from, to) = (
            format!("{owner}/{}/", kind.as_str()),
            format!("{owner}/{}0", kind.as_str()),
        );
        self.read(move |txn| {
            let index = txn.open_table(OWNER_RESOURCES).map_err(db_err)?;
            let records = txn.open_table(RESOURCES).map_err(db_err)?;
            let mut out = Vec::new();
            // Resource ids are ULIDs: key order is creation order.
            for entry in index.range(from.as_str()..to.as_str()).map_err(db_err)? {
                let (key, _) = entry.map_err(db_err)?;
                let id = key
                    .value()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if let Some(r) = get::<Resource>(&records, &id)? {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn release(
        &self,
        resource: &Resource,
        owner: &User,
        expected_version: u64,
    ) -> Result<Release, Error> {
        let (resource, owner) = (resource.clone(), owner.clone());
        self.write(move |txn| {
            let mut records = txn.open_table(RESOURCES).map_err(db_err)?;
            if records.get(resource.id.as_str()).map_err(db_err)?.is_none() {
                return Ok(Release::Gone);
            }
            let mut users = txn.open_table(USERS).map_err(db_err)?;
            if !at_version(&users, &owner.id, expected_version)? {
                return Ok(Release::AccountChanged);
            }
            records.remove(resource.id.as_str()).map_err(db_err)?;
            txn.open_table(RESOURCE_NAMES)
                .map_err(db_err)?
                .remove(name_key(resource.kind, &resource.name).as_str())
                .map_err(db_err)?;
            txn.open_table(OWNER_RESOURCES)
                .map_err(db_err)?
                .remove(owner_key(&resource).as_str())
                .map_err(db_err)?;
            put(&mut users, owner.id.as_str(), &owner)?;
            Ok(Release::Released)
        })
        .await
    }
}
