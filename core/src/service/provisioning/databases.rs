//! `/v1/provisioning/databases`: a PostgreSQL database and role per resource, its password shown
//! once and kept as a tenant secret. Creation runs reserve → secret → database → ready →
//! charge (last: a charge cannot be taken back); a step that fails undoes the ones before it,
//! in reverse, and the call fails with nothing left behind.

use super::super::authn::Authenticated;
use super::super::{Caller, Deps};
use crate::Error;
use crate::domain::FieldError;
use crate::domain::provisioning::{DatabaseName, Resource, ResourceKind, generate_password};
use crate::ports::{Creation, Databases};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const KIND: ResourceKind = ResourceKind::Database;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    /// `^[a-z][a-z0-9_]{2,30}$`: the database's name and its owner role's (not `pg_…`,
    /// `postgres`, `template0`/`template1`, `public`, `latch` or `latch_admin`).
    // No example: one fixed name is taken on a shared server after its first use.
    #[schema(
        pattern = "^(?!pg_|postgres$|template[01]$|public$|latch$|latch_admin$)[a-z][a-z0-9_]{2,30}$"
    )]
    pub name: String,
}

/// A database as its owner sees it (never its password, after the first answer).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseView {
    pub id: String,
    pub name: String,
    #[schema(example = "ready")]
    pub status: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

/// The answer to a creation: the view and, this once, the password.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedDatabase {
    #[serde(flatten)]
    pub database: DatabaseView,
    /// 256 bits; shown in this answer only, kept as a tenant secret.
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DatabaseList {
    pub items: Vec<DatabaseView>,
}

pub(super) fn server(deps: &Deps) -> Result<Arc<dyn Databases>, Error> {
    deps.databases
        .clone()
        .ok_or(Error::NotConfigured("LATCH_PG_ADMIN_URL"))
}

pub(super) fn view(resource: &Resource, databases: Option<&Arc<dyn Databases>>) -> DatabaseView {
    let (host, port) = databases.map(|d| d.endpoint()).unwrap_or_default();
    DatabaseView {
        id: resource.id.clone(),
        name: resource.name.clone(),
        status: resource.status.as_str().to_owned(),
        host,
        port,
        database: resource.name.clone(),
        username: resource.name.clone(),
        created_at: resource.created_at,
    }
}

/// POST /v1/provisioning/databases
pub async fn create(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: CreateRequest,
) -> Result<CreatedDatabase, Error> {
    super::verified(auth)?;
    let name =
        DatabaseName::parse(&req.name).map_err(|e: FieldError| Error::Validation(vec![e]))?;
    let databases = server(deps)?;
    let (mut resource, price) = super::reserve(deps, auth, KIND, name.as_str()).await?;
    let password = generate_password();
    // The name is reserved to this resource: a database of that name an error left behind (one
    // made before its answer was lost) is this call's to drop, unless it was found made outside
    // Latch (`FOREIGN`).
    let make = async |r: &mut Resource| make(deps, r, &password).await;
    super::complete(deps, caller, &mut resource, price, make).await?;
    Ok(CreatedDatabase {
        database: view(&resource, Some(&databases)),
        password,
    })
}

/// GET /v1/provisioning/databases
pub async fn list(deps: &Deps, auth: &Authenticated) -> Result<DatabaseList, Error> {
    let owned = deps.resources.resources_of(&auth.user.id, KIND).await?;
    Ok(DatabaseList {
        items: owned
            .iter()
            .map(|r| view(r, deps.databases.as_ref()))
            .collect(),
    })
}

/// GET /v1/provisioning/databases/{id}
pub async fn get(
    deps: &Deps,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<DatabaseView, Error> {
    let resource = super::owned(deps, auth, KIND, id).await?;
    Ok(view(&resource, deps.databases.as_ref()))
}

/// DELETE /v1/provisioning/databases/{id}: ends its connections, drops the database and the
/// role, deletes the secret, then the record (marked `Deleting` first, so an interrupted delete
/// is found and finished).
pub async fn delete(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<(), Error> {
    let resource = super::owned(deps, auth, KIND, id).await?;
    server(deps)?;
    super::remove(deps, caller, resource).await
}

/// Drops what database `resource` may have at the server (database, role, secret), for the
/// recovery job. Safe to run twice.
pub async fn unmake(deps: &Deps, resource: &Resource) -> Result<(), Error> {
    if !resource.detail.contains_key(FOREIGN) {
        let databases = server(deps)?;
        let name = DatabaseName::parse(&resource.name)
            .map_err(|_| Error::internal("a stored database name does not parse"))?;
        // A resource that reached Ready was made by Latch whole; one made before roles were
        // marked gets its mark now, so that its delete drops it instead of leaving it running.
        if resource.status == crate::domain::provisioning::ResourceStatus::Ready {
            databases.adopt(&name, &resource.id).await?;
        }
        databases.remove(&name, &resource.id).await?;
    }
    deps.tenant_secrets.delete(&resource.id).await
}

/// Marks a record whose name was found taken on the server by something Latch did not make:
/// undoing it never drops that database or role.
pub const FOREIGN: &str = "foreignDatabase";

/// Makes the secret and the database of reserved `resource` (not yet `Ready`). A name taken on
/// the server is 409, the record marked `FOREIGN` first; what was made is undone by `unmake`.
pub async fn make(deps: &Deps, resource: &mut Resource, password: &str) -> Result<(), Error> {
    let databases = server(deps)?;
    let name = DatabaseName::parse(&resource.name)
        .map_err(|_| Error::internal("a stored database name does not parse"))?;
    deps.tenant_secrets.put(&resource.id, password).await?;
    match databases.create(&name, password, &resource.id).await? {
        Creation::Created => Ok(()),
        Creation::Taken => {
            resource.detail.insert(FOREIGN.into(), true.into());
            deps.resources
                .update(
                    resource,
                    crate::domain::provisioning::ResourceStatus::Creating,
                )
                .await?;
            Err(Error::Conflict)
        }
    }
}
