//! `/v1/provisioning/hosting-accounts`: a DNS zone, a database and a mail domain made together
//! as one saga. The account's record keeps the saga's log: each step is written `started`
//! (naming the part it is about to reserve) before it runs and `done` after. When a step fails,
//! the parts are undone in reverse (mail domain, database, zone) and the account released, so
//! the call fails with nothing left behind; a call that stopped half-way is undone the same way
//! by the recovery job. The parts are resources of their kinds (in their lists, counted in
//! their quotas), marked as the account's, so only the account's delete removes them; the
//! account's month (the sum of its parts' prices) is one charge, last.

use super::super::authn::Authenticated;
use super::super::{Caller, Deps};
use super::{databases, mail_domains, zones};
use crate::Error;
use crate::domain::dns::DomainName;
use crate::domain::provisioning::{
    DatabaseName, Resource, ResourceKind, ResourceStatus, generate_password,
};
use serde::{Deserialize, Serialize};

const KIND: ResourceKind = ResourceKind::HostingAccount;

/// In a part's detail: the hosting account it belongs to.
pub const PART_OF: &str = "hostingAccountId";
/// In the account's detail: the saga's log, and the database name asked for.
const STEPS: &str = "steps";
const DATABASE_NAME: &str = "databaseName";

/// The saga's steps, in order; undone in reverse.
const PARTS: [(&str, ResourceKind); 3] = [
    ("zone", ResourceKind::DnsZone),
    ("database", ResourceKind::Database),
    ("mailDomain", ResourceKind::MailDomain),
];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    /// The domain: its zone and its mail domain.
    // No example: one fixed domain is taken after its first use, and a mail domain needs a
    // zone of the caller's first.
    pub domain: String,
    /// As for a database: `^[a-z][a-z0-9_]{2,30}$`.
    #[schema(
        pattern = "^(?!pg_|postgres$|template[01]$|public$|latch$|latch_admin$)[a-z][a-z0-9_]{2,30}$"
    )]
    pub database_name: String,
}

/// One step of the saga as its log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    step: String,
    /// `started` or `done`.
    state: String,
    resource_id: String,
}

/// A hosting account as its owner sees it: its parts by id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostingView {
    pub id: String,
    pub domain: String,
    #[schema(example = "ready")]
    pub status: String,
    pub database_name: String,
    /// The DNS zone, the database and the mail domain (each also in its own list).
    pub zone_id: Option<String>,
    pub database_id: Option<String>,
    pub mail_domain_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

/// The answer to a creation: the account and its parts, the database password this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedHosting {
    #[serde(flatten)]
    pub hosting: HostingView,
    pub zone: zones::ZoneView,
    pub database: databases::CreatedDatabase,
    pub mail_domain: mail_domains::MailDomainView,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HostingList {
    pub items: Vec<HostingView>,
}

fn steps(resource: &Resource) -> Vec<Step> {
    resource
        .detail
        .get(STEPS)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

fn part_id(resource: &Resource, step: &str) -> Option<String> {
    steps(resource)
        .into_iter()
        .find(|s| s.step == step && s.state == "done")
        .map(|s| s.resource_id)
}

fn view(resource: &Resource) -> HostingView {
    HostingView {
        id: resource.id.clone(),
        domain: resource.name.clone(),
        status: resource.status.as_str().to_owned(),
        database_name: super::detail(resource, DATABASE_NAME)
            .unwrap_or_default()
            .to_owned(),
        zone_id: part_id(resource, "zone"),
        database_id: part_id(resource, "database"),
        mail_domain_id: part_id(resource, "mailDomain"),
        created_at: resource.created_at,
    }
}

/// Writes `state` of `step` (about part `part`) into the account's log, while it is still
/// `Creating`: the write comes before the step runs and after it is done.
async fn log(
    deps: &Deps,
    account: &mut Resource,
    step: &str,
    state: &str,
    part: &str,
) -> Result<(), Error> {
    let mut log = steps(account);
    log.retain(|s| s.step != step);
    log.push(Step {
        step: step.to_owned(),
        state: state.to_owned(),
        resource_id: part.to_owned(),
    });
    account.detail.insert(
        STEPS.into(),
        serde_json::to_value(&log).map_err(|e| Error::internal(e.to_string()))?,
    );
    if deps
        .resources
        .update(account, ResourceStatus::Creating)
        .await?
    {
        Ok(())
    } else {
        Err(Error::Conflict)
    }
}

/// One part: logged `started`, reserved as the account's, made at its provider, `Ready`, and
/// logged `done`. Returns the part's record.
async fn part(
    deps: &Deps,
    caller: &Caller,
    owner: &mut crate::domain::User,
    account: &mut Resource,
    (step, kind): (&str, ResourceKind),
    name: &str,
    make: impl AsyncFnOnce(&mut Resource) -> Result<(), Error>,
) -> Result<Resource, Error> {
    let id = crate::crypto::random::ulid(deps.clock.now());
    log(deps, account, step, "started", &id).await?;
    let mut detail = serde_json::Map::new();
    detail.insert(PART_OF.into(), account.id.clone().into());
    let (mut resource, _) = super::reserve_as(deps, owner, kind, name, id, detail).await?;
    make(&mut resource).await?;
    // Its price is in the account's one charge.
    super::stand(deps, caller, &mut resource, 0).await?;
    log(deps, account, step, "done", &resource.id).await?;
    Ok(resource)
}

/// POST /v1/provisioning/hosting-accounts
pub async fn create(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: CreateRequest,
) -> Result<CreatedHosting, Error> {
    super::verified(auth)?;
    let domain = DomainName::parse(&req.domain)
        .and_then(|d| super::not_the_deployment_s(deps, &d).map(|()| d));
    let name = DatabaseName::parse(&req.database_name).map_err(|mut e| {
        e.field = "databaseName".into();
        e
    });
    let (domain, name) = match (domain, name) {
        (Ok(d), Ok(n)) => (d, n),
        (d, n) => {
            let errors = [d.err(), n.err()].into_iter().flatten().collect();
            return Err(Error::Validation(errors));
        }
    };
    let server = databases::server(deps)?;
    // No room for the account or any of its parts: 402 before anything is made.
    for kind in [KIND, PARTS[0].1, PARTS[1].1, PARTS[2].1] {
        super::within_quota(deps, &auth.user, kind)?;
    }
    // One account read for the whole saga: each reservation leaves it as it stored it.
    let mut owner = auth.user.clone();
    let id = crate::crypto::random::ulid(deps.clock.now());
    let mut detail = serde_json::Map::new();
    detail.insert(DATABASE_NAME.into(), name.as_str().into());
    let (mut account, price) =
        super::reserve_as(deps, &mut owner, KIND, domain.as_str(), id, detail).await?;
    let password = generate_password();
    let mut made = None;
    let parts = async |account: &mut Resource| {
        let owner = &mut owner;
        let zone = part(
            deps,
            caller,
            owner,
            account,
            PARTS[0],
            domain.as_str(),
            async |r| zones::make(deps, r).await,
        )
        .await?;
        let database = part(
            deps,
            caller,
            owner,
            account,
            PARTS[1],
            name.as_str(),
            async |r| databases::make(deps, r, &password).await,
        )
        .await?;
        let mail = part(
            deps,
            caller,
            owner,
            account,
            PARTS[2],
            domain.as_str(),
            async |r| mail_domains::make(deps, r, &zone).await,
        )
        .await?;
        made = Some((zone, database, mail));
        Ok(())
    };
    super::complete(deps, caller, &mut account, price, parts).await?;
    let (zone, database, mail) =
        made.ok_or_else(|| Error::internal("a hosting account stood without its parts"))?;
    Ok(CreatedHosting {
        hosting: view(&account),
        zone: zones::view(&zone),
        database: databases::CreatedDatabase {
            database: databases::view(&database, Some(&server)),
            password,
        },
        mail_domain: mail_domains::view(&mail),
    })
}

/// Undoes the parts the account's log names, in reverse: each removed at its provider and its
/// record released (a part never reserved, or already gone, is skipped). Safe to run twice;
/// the account's own record is the caller's to release.
pub async fn unmake(deps: &Deps, account: &Resource) -> Result<(), Error> {
    for step in steps(account).iter().rev() {
        let Some(mut part) = deps.resources.resource(&step.resource_id).await? else {
            continue;
        };
        if part.detail.get(PART_OF).and_then(|v| v.as_str()) != Some(account.id.as_str()) {
            return Err(Error::internal(
                "a hosting account's log names another's part",
            ));
        }
        if part.status == ResourceStatus::Ready {
            // Marked first, so a delete that stops here is finished by the recovery job (and
            // not while this call may still be at it).
            super::mark_deleting(&mut part, deps.clock.now());
            deps.resources.update(&part, ResourceStatus::Ready).await?;
        }
        super::unmake_single(deps, &part).await?;
        super::release(deps, &part).await?;
    }
    Ok(())
}

/// GET /v1/provisioning/hosting-accounts
pub async fn list(deps: &Deps, auth: &Authenticated) -> Result<HostingList, Error> {
    let owned = deps.resources.resources_of(&auth.user.id, KIND).await?;
    Ok(HostingList {
        items: owned.iter().map(view).collect(),
    })
}

/// DELETE /v1/provisioning/hosting-accounts/{id}: its parts in reverse (mail domain, database,
/// zone), then the account.
pub async fn delete(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    id: Option<&str>,
) -> Result<(), Error> {
    let account = super::owned(deps, auth, KIND, id).await?;
    databases::server(deps)?;
    super::remove(deps, caller, account).await
}
