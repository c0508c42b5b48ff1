//! `Resources` on DynamoDB, in the users table: records `RESOURCE#<id>` (in the sparse index
//! `resourcesByOwner`: hash `resOwner` = `<owner>#<kind>`, range `resId`), name claims
//! `RESNAME#<kind>#<name>`, each reserve and release one transaction with the owner's account
//! at its version.

use super::users::failed_conditions;
use super::{DynamoStore, Item, build_err, from_item, s, to_item};
use crate::Error;
use crate::adapters::sdk_error;
use crate::domain::provisioning::{Resource, ResourceKind, ResourceStatus};
use crate::domain::{User, UserId};
use crate::ports::{Release, Reserve, Resources, UserStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

pub const BY_OWNER_INDEX: &str = "resourcesByOwner";
/// Resources still being made or deleted: hash `pendingShard` (always `P`), range `resId`.
pub const PENDING_INDEX: &str = "resourcesPending";

fn resource_pk(id: &str) -> String {
    format!("RESOURCE#{id}")
}

fn name_pk(kind: ResourceKind, name: &str) -> String {
    format!("RESNAME#{}#{name}", kind.as_str())
}

fn owner_key(owner: &UserId, kind: ResourceKind) -> String {
    format!("{owner}#{}", kind.as_str())
}

fn resource_item(r: &Resource) -> Result<Item, Error> {
    let mut item = to_item(resource_pk(&r.id), r, None)?;
    item.insert("resOwner".into(), s(owner_key(&r.owner, r.kind)));
    item.insert("resId".into(), s(r.id.as_str()));
    if r.status != ResourceStatus::Ready {
        item.insert("pendingShard".into(), s("P"));
    }
    Ok(item)
}

#[async_trait]
impl Resources for DynamoStore {
    async fn reserve(
        &self,
        resource: &Resource,
        owner: &User,
        expected_version: u64,
    ) -> Result<Reserve, Error> {
        let table = &self.tables.users;
        let record = Put::builder()
            .table_name(table)
            .set_item(Some(resource_item(resource)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let claim = Put::builder()
            .table_name(table)
            .item("pk", s(name_pk(resource.kind, &resource.name)))
            .item("resourceId", s(resource.id.as_str()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder().put(record).build(),
            TransactWriteItem::builder().put(claim).build(),
            self.versioned_put(owner, expected_version)?,
        ];
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(Reserve::Reserved),
            Err(err) => err,
        };
        match failed_conditions(&err).as_deref() {
            // This very record is there: an attempt whose answer was lost landed.
            Some([(true, _), ..])
                if self.resource(&resource.id).await?.as_ref() == Some(resource) =>
            {
                Ok(Reserve::Reserved)
            }
            Some([_, (true, _), _]) => Ok(Reserve::NameTaken),
            Some(_) => Ok(Reserve::AccountChanged),
            None => Err(sdk_error(
                "dynamodb TransactWriteItems (reserve resource)",
                err,
            )),
        }
    }

    async fn update(&self, resource: &Resource, expected: ResourceStatus) -> Result<bool, Error> {
        let expected = serde_json::to_value(expected)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.users)
            .set_item(Some(resource_item(resource)?))
            .condition_expression("#status = :expected")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":expected", s(expected))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            // Never taken for this call's own landing: two calls moving one record write the
            // same content, so only the condition tells them apart. An attempt whose answer was
            // lost reads as a conflict; the status has moved on, and the recovery job (or the
            // caller's next call) sees it.
            Err(e) if super::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("dynamodb PutItem (resource)", e)),
        }
    }

    async fn resource(&self, id: &str) -> Result<Option<Resource>, Error> {
        self.get(&self.tables.users, resource_pk(id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn holder_of(&self, kind: ResourceKind, name: &str) -> Result<Option<String>, Error> {
        Ok(self
            .get(&self.tables.users, name_pk(kind, name))
            .await?
            .and_then(|item| item.get("resourceId")?.as_s().ok().cloned()))
    }

    async fn pending(
        &self,
        created_before: time::OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Resource>, Error> {
        // Ids are ULIDs: the id of the first instant of `created_before`'s millisecond, with no
        // randomness, sorts after every id made before it.
        let ms = u64::try_from(created_before.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let cut = ulid::Ulid::from_parts(ms, 0).to_string();
        let query = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(PENDING_INDEX)
            .key_condition_expression("pendingShard = :p AND resId < :cut")
            .expression_attribute_values(":p", s("P"))
            .expression_attribute_values(":cut", s(cut))
            .scan_index_forward(true);
        let read = self
            .collect(query, None, limit, "pending resources")
            .await?;
        let mut found: Vec<Resource> = read
            .items
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        found.retain(|r| r.status != ResourceStatus::Ready);
        found.truncate(limit);
        Ok(found)
    }

    async fn resources_of(
        &self,
        owner: &UserId,
        kind: ResourceKind,
    ) -> Result<Vec<Resource>, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(BY_OWNER_INDEX)
            .key_condition_expression("resOwner = :o")
            .expression_attribute_values(":o", s(owner_key(owner, kind)))
            .scan_index_forward(true);
        // A plan allows at most a few per kind; every page is read.
        let read = self
            .collect(query, None, usize::MAX, "resources by owner")
            .await?;
        read.items.into_iter().map(from_item).collect()
    }

    async fn release(
        &self,
        resource: &Resource,
        owner: &User,
        expected_version: u64,
    ) -> Result<Release, Error> {
        let table = &self.tables.users;
        let record = Delete::builder()
            .table_name(table)
            .key("pk", s(resource_pk(&resource.id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(build_err)?;
        let claim = Delete::builder()
            .table_name(table)
            .key("pk", s(name_pk(resource.kind, &resource.name)))
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder().delete(record).build(),
            TransactWriteItem::builder().delete(claim).build(),
            self.versioned_put(owner, expected_version)?,
        ];
        if self.transact(items, "release resource").await? {
            return Ok(Release::Released);
        }
        if self.resource(&resource.id).await?.is_some() {
            return Ok(Release::AccountChanged);
        }
        // Gone: by this very call (an attempt whose answer was lost, the account as it wrote
        // it), or by another.
        if self.user_by_id(&owner.id).await?.as_ref() == Some(owner) {
            Ok(Release::Released)
        } else {
            Ok(Release::Gone)
        }
    }
}
