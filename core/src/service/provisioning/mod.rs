//! Provisioning (`/v1/provisioning`): resources that belong to their caller, held to the plan's
//! quota and the month's cap, and never left half-made. The steps common to every kind live
//! here: the reservation (record, name and count in one write), the month's price (checked
//! before anything is made, charged last), and the undoing of what a failed call had done.

pub mod databases;
pub mod hosting;
pub mod mail_domains;
pub mod zones;

use super::authn::Authenticated;
use super::{Caller, Deps, after_commit, audit, billing};
use crate::Error;
use crate::domain::billing::period_of;
use crate::domain::provisioning::{Resource, ResourceKind, ResourceStatus};
use crate::domain::{AuditType, Outcome, User};
use crate::ports::{Release, Reserve};

/// How often a write that lost a race for the account reads it again.
const ATTEMPTS: usize = 3;

/// When a delete marked the resource `Deleting` (Unix seconds), in its detail: the recovery job
/// leaves a delete alone until it has stood that long, whatever the resource's age.
const DELETING_SINCE: &str = "deletingSince";

/// 422 `reserved_name` for the deployment's own sending domain or a name under it: a tenant's
/// zone or SES identity there would stand in the operator's way, or send as the operator.
pub fn not_the_deployment_s(
    deps: &Deps,
    domain: &crate::domain::dns::DomainName,
) -> Result<(), crate::domain::FieldError> {
    if domain.is_within(&deps.settings.sending_domain) {
        return Err(crate::domain::FieldError::new(
            "domain",
            "reserved_name",
            "This domain is the deployment's own.",
        ));
    }
    Ok(())
}

/// Refuses a caller whose address is not confirmed (403 `email_not_verified`).
pub fn verified(auth: &Authenticated) -> Result<(), Error> {
    if auth.user.email_verified {
        Ok(())
    } else {
        Err(Error::EmailNotVerified)
    }
}

/// A month of `kind` for `user`, refused up front (402 `spend_cap_reached`) when it would take
/// the month past the cap; the charge itself comes last, once the resource stands.
async fn affordable(deps: &Deps, user: &User, kind: ResourceKind) -> Result<u64, Error> {
    let price = deps.settings.plans.price(user.plan, kind);
    if price == 0 {
        return Ok(0);
    }
    let spent = deps
        .ledger
        .spent(&user.id, &period_of(deps.clock.now()))
        .await?;
    if spent.saturating_add(price) > user.billing.monthly_spend_cap_cents {
        return Err(Error::SpendCapReached);
    }
    Ok(price)
}

/// Records a new resource `name` of `kind` for the caller, `Creating`, with its owner's count
/// raised in the same write: 402 `plan_quota_exceeded` past the plan's quota, 402
/// `spend_cap_reached` when its price would pass the cap, 409 when the name is taken. Returns
/// the record and the price to charge once it stands.
pub async fn reserve(
    deps: &Deps,
    auth: &Authenticated,
    kind: ResourceKind,
    name: &str,
) -> Result<(Resource, u64), Error> {
    let now = deps.clock.now();
    let id = crate::crypto::random::ulid(now);
    let mut owner = auth.user.clone();
    reserve_as(deps, &mut owner, kind, name, id, serde_json::Map::new()).await
}

/// `reserve` for `owner` as last read or written, with the record's id and first detail chosen
/// by the caller (a part of a hosting account is named in its saga's log before it is
/// reserved). `owner` is left as this write stored it, so a saga's next reservation starts
/// from the account's current version.
pub async fn reserve_as(
    deps: &Deps,
    owner: &mut User,
    kind: ResourceKind,
    name: &str,
    id: String,
    detail: serde_json::Map<String, serde_json::Value>,
) -> Result<(Resource, u64), Error> {
    let now = deps.clock.now();
    let resource = Resource {
        id,
        owner: owner.id.clone(),
        kind,
        name: name.to_owned(),
        status: ResourceStatus::Creating,
        created_at: now,
        detail,
    };
    for _ in 0..ATTEMPTS {
        within_quota(deps, owner, kind)?;
        let price = affordable(deps, owner, kind).await?;
        let mut next = owner.clone();
        *kind.count_mut(&mut next.billing.resources) += 1;
        next.next_write();
        match deps
            .resources
            .reserve(&resource, &next, owner.version)
            .await?
        {
            Reserve::Reserved => {
                *owner = next;
                return Ok((resource, price));
            }
            Reserve::NameTaken => return Err(Error::Conflict),
            Reserve::AccountChanged => {
                *owner = deps
                    .users
                    .user_by_id(&owner.id)
                    .await?
                    .ok_or(Error::NotFound)?;
            }
        }
    }
    Err(Error::Conflict)
}

/// Deletes the record, its name claim and one from its owner's count, in one write.
pub async fn release(deps: &Deps, resource: &Resource) -> Result<(), Error> {
    for _ in 0..ATTEMPTS {
        let user = deps
            .users
            .user_by_id(&resource.owner)
            .await?
            .ok_or(Error::NotFound)?;
        let mut next = user.clone();
        let count = resource.kind.count_mut(&mut next.billing.resources);
        *count = count.saturating_sub(1);
        next.next_write();
        match deps
            .resources
            .release(resource, &next, user.version)
            .await?
        {
            // Released by another call (a delete racing this one): its count is lowered once.
            Release::Released | Release::Gone => return Ok(()),
            Release::AccountChanged => {}
        }
    }
    Err(Error::Conflict)
}

/// Charges a month of `resource` (its id is the idempotency key, so a retry never charges
/// twice); past the cap it is 402 and nothing is charged.
pub async fn charge(
    deps: &Deps,
    caller: &Caller,
    resource: &Resource,
    price: u64,
) -> Result<(), Error> {
    if price == 0 {
        return Ok(());
    }
    let key = format!("provision:{}", resource.id);
    let what = format!(
        "{} {}, {}",
        resource.kind.as_str(),
        resource.name,
        period_of(resource.created_at)
    );
    billing::charge(deps, caller, &resource.owner, price, &key, &what, None).await?;
    Ok(())
}

/// The audit event of a step of `resource`'s life.
pub async fn audited(
    deps: &Deps,
    caller: &Caller,
    kind: AuditType,
    resource: &Resource,
    extra: &[(&str, &str)],
) {
    let mut meta = vec![
        ("resourceId", resource.id.as_str()),
        ("kind", resource.kind.as_str()),
        ("name", resource.name.as_str()),
    ];
    meta.extend_from_slice(extra);
    let outcome = if kind == AuditType::ProvisioningRolledBack {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let event = audit::record(deps, caller, kind, Some(&resource.owner), outcome, &meta);
    after_commit(deps, caller, "provisioning audit", event).await;
}

/// The caller's resource `id` of `kind`: another user's, another kind's or none is 404.
pub async fn owned(
    deps: &Deps,
    auth: &Authenticated,
    kind: ResourceKind,
    id: Option<&str>,
) -> Result<Resource, Error> {
    let id = id
        .filter(|i| crate::domain::UserId::parse(i).is_some())
        .ok_or(Error::NotFound)?;
    deps.resources
        .resource(id)
        .await?
        .filter(|r| r.owner == auth.user.id && r.kind == kind)
        .ok_or(Error::NotFound)
}

/// Moves `resource` from `Creating` to `Ready` (409 when another call moved it), then charges
/// its month: last, since a charge cannot be taken back.
pub async fn stand(
    deps: &Deps,
    caller: &Caller,
    resource: &mut Resource,
    price: u64,
) -> Result<(), Error> {
    resource.status = ResourceStatus::Ready;
    if !deps
        .resources
        .update(resource, ResourceStatus::Creating)
        .await?
    {
        return Err(Error::Conflict);
    }
    charge(deps, caller, resource, price).await
}

/// Ends a creation that failed after its undoing: the record, its name and its count go when
/// nothing is `left` at a provider; otherwise the record stays `Creating`, for the recovery job
/// to find and finish undoing. Audited as rolled back either way.
pub async fn rolled_back(
    deps: &Deps,
    caller: &Caller,
    resource: &Resource,
    mut left: Vec<&str>,
    why: &str,
) {
    if left.is_empty() && release(deps, resource).await.is_err() {
        left.push("record");
    }
    let left = left.join(",");
    let mut meta = vec![("reason", why)];
    if !left.is_empty() {
        tracing::error!(target: "latch::provisioning", resourceId = %resource.id, left = %left, "rollback left parts behind");
        meta.push(("left", left.as_str()));
    }
    audited(
        deps,
        caller,
        AuditType::ProvisioningRolledBack,
        resource,
        &meta,
    )
    .await;
}

/// Marks the caller's `resource` `Deleting` before its parts go, so an interrupted delete is
/// found and finished: 409 while it is being made or deleted, or while it is part of a hosting
/// account (that account's delete removes it).
pub async fn deleting(deps: &Deps, resource: &mut Resource) -> Result<(), Error> {
    if resource.detail.contains_key(hosting::PART_OF) {
        return Err(Error::Conflict);
    }
    mark_deleting(resource, deps.clock.now());
    if deps
        .resources
        .update(resource, ResourceStatus::Ready)
        .await?
    {
        Ok(())
    } else {
        Err(Error::Conflict)
    }
}

/// Marks `resource` `Deleting` as of `now`, in memory (the caller writes it).
pub fn mark_deleting(resource: &mut Resource, now: time::OffsetDateTime) {
    resource.status = ResourceStatus::Deleting;
    let since = now.unix_timestamp();
    resource.detail.insert(DELETING_SINCE.into(), since.into());
}

/// Whether `resource` is a delete marked after `cut`: one a call may still be carrying out
/// (an old resource's delete is as young as its mark).
fn deleting_since_after(resource: &Resource, cut: time::OffsetDateTime) -> bool {
    resource.status == ResourceStatus::Deleting
        && resource
            .detail
            .get(DELETING_SINCE)
            .and_then(serde_json::Value::as_i64)
            .is_some_and(|since| since > cut.unix_timestamp())
}

/// A string the provider answered, kept in `resource.detail`.
pub fn detail<'a>(resource: &'a Resource, key: &str) -> Option<&'a str> {
    resource.detail.get(key).and_then(|v| v.as_str())
}

/// What the recovery job did with one pending resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Its creation undone or its deletion finished, and audited.
    Finished,
    /// A zone delete that stopped before it could undo its mark, while a ready mail domain
    /// holds the zone: the zone is ready again.
    ZoneKept,
    /// A delete marked after `cut`, or a zone whose mail domain is itself pending: left for
    /// the call still running it, or for a later run.
    Waiting,
    /// Nothing to do: the record is gone or ready again.
    Settled,
}

/// Finishes what a call that stopped half-way left of `listed` (the recovery job), judged on
/// the record as it stands: a creation is undone (what it made at its provider removed, the
/// record and its count released), a deletion marked before `cut` is finished. Safe to run
/// twice.
pub async fn recover(
    deps: &Deps,
    run_id: &str,
    listed: &Resource,
    cut: time::OffsetDateTime,
) -> Result<Recovery, Error> {
    // The record as it stands (the job's list may lag behind a call that moved it on).
    let Some(mut resource) = deps.resources.resource(&listed.id).await? else {
        return Ok(Recovery::Settled);
    };
    if resource.status == ResourceStatus::Ready {
        return Ok(Recovery::Settled);
    }
    if deleting_since_after(&resource, cut) {
        return Ok(Recovery::Waiting);
    }
    if resource.status == ResourceStatus::Deleting && resource.kind == ResourceKind::DnsZone {
        let holder = deps
            .resources
            .holder_of(ResourceKind::MailDomain, &resource.name)
            .await?;
        if let Some(holder) = holder {
            let mail = deps.resources.resource(&holder).await?;
            if mail.is_none_or(|m| m.status != ResourceStatus::Ready) {
                return Ok(Recovery::Waiting); // that mail domain is settled first
            }
            // A zone delete that stopped before it could undo its mark: the zone stays.
            undelete(deps, &mut resource).await;
            tracing::warn!(target: "latch::provisioning", resourceId = %resource.id, "a zone a mail domain uses was left marked for deletion; moved back to ready");
            return Ok(Recovery::ZoneKept);
        }
    }
    let resource = &resource;
    unmake(deps, resource).await?;
    release(deps, resource).await?;
    let (kind, reason) = match resource.status {
        ResourceStatus::Deleting => (AuditType::ProvisioningDeleted, "deletion finished"),
        _ => (
            AuditType::ProvisioningRolledBack,
            "creation stopped half-way",
        ),
    };
    let meta = [
        ("resourceId", resource.id.as_str()),
        ("kind", resource.kind.as_str()),
        ("name", resource.name.as_str()),
        ("reason", reason),
    ];
    audit::record_system(
        deps,
        run_id,
        kind,
        Some(&resource.owner),
        Outcome::Success,
        &meta,
    )
    .await?;
    Ok(Recovery::Finished)
}

/// Removes what `resource` has at its providers, by its kind's undoing (a hosting account's:
/// its parts, in reverse). Safe to run twice, and on a creation that stopped anywhere.
pub async fn unmake(deps: &Deps, resource: &Resource) -> Result<(), Error> {
    match resource.kind {
        ResourceKind::HostingAccount => hosting::unmake(deps, resource).await,
        _ => unmake_single(deps, resource).await,
    }
}

/// `unmake` for a resource of a single provider (a database, zone or mail domain: what a
/// hosting account is made of).
async fn unmake_single(deps: &Deps, resource: &Resource) -> Result<(), Error> {
    match resource.kind {
        ResourceKind::Database => databases::unmake(deps, resource).await,
        ResourceKind::DnsZone => zones::unmake(deps, resource).await,
        ResourceKind::MailDomain => mail_domains::unmake(deps, resource).await,
        ResourceKind::HostingAccount => Err(Error::internal("a hosting account inside another")),
    }
}

/// The rest of a creation once `resource` is reserved: `make` it at its providers, then
/// `stand` it (ready, and its month of `price` charged). When a step fails, what was made is
/// undone (`unmake`), the creation ends rolled back and the error returns; otherwise it is
/// audited as created.
pub async fn complete(
    deps: &Deps,
    caller: &Caller,
    resource: &mut Resource,
    price: u64,
    make: impl AsyncFnOnce(&mut Resource) -> Result<(), Error>,
) -> Result<(), Error> {
    let steps = async {
        make(resource).await?;
        stand(deps, caller, resource, price).await
    }
    .await;
    if let Err(err) = steps {
        let why = crate::http::problem::classify(&err).1;
        let left = match unmake(deps, resource).await {
            Ok(()) => vec![],
            Err(_) => vec![resource.kind.as_str()],
        };
        rolled_back(deps, caller, resource, left, why).await;
        return Err(err);
    }
    audited(deps, caller, AuditType::ProvisioningCreated, resource, &[]).await;
    Ok(())
}

/// A delete of the caller's `resource`: marked `Deleting` (so an interrupted one is
/// finished), removed at its providers, its record and count released, audited.
pub async fn remove(deps: &Deps, caller: &Caller, mut resource: Resource) -> Result<(), Error> {
    deleting(deps, &mut resource).await?;
    remove_marked(deps, caller, &resource).await
}

/// The rest of `remove` once `resource` is marked `Deleting`.
pub async fn remove_marked(deps: &Deps, caller: &Caller, resource: &Resource) -> Result<(), Error> {
    unmake(deps, resource).await?;
    release(deps, resource).await?;
    audited(deps, caller, AuditType::ProvisioningDeleted, resource, &[]).await;
    Ok(())
}

/// Moves `resource`, marked `Deleting`, back to `Ready`: a delete that found, after its mark,
/// that it must not go on. Tried a few times; one that still fails is logged and left to the
/// recovery job, which makes the same check (`recover`).
pub async fn undelete(deps: &Deps, resource: &mut Resource) {
    resource.status = ResourceStatus::Ready;
    resource.detail.remove(DELETING_SINCE);
    for _ in 0..ATTEMPTS {
        match deps
            .resources
            .update(resource, ResourceStatus::Deleting)
            .await
        {
            Ok(true) => return,
            Ok(false) => break,
            Err(_) => continue,
        }
    }
    tracing::error!(target: "latch::provisioning", resourceId = %resource.id, "a delete's mark could not be undone; the recovery job will");
}

/// Whether a mail domain holds the name of `zone` (read consistently).
pub async fn zone_in_use(deps: &Deps, zone: &Resource) -> Result<bool, Error> {
    let holder = deps
        .resources
        .holder_of(ResourceKind::MailDomain, &zone.name)
        .await?;
    Ok(holder.is_some())
}

/// 402 `plan_quota_exceeded` when `user` holds as many of `kind` as the plan allows.
pub(super) fn within_quota(deps: &Deps, user: &User, kind: ResourceKind) -> Result<(), Error> {
    let rules = deps.settings.plans.rules(user.plan);
    if kind.count_in(&user.billing.resources) >= rules.resources_per_kind {
        return Err(Error::PlanQuotaExceeded);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use time::{Duration, OffsetDateTime};

    #[test]
    fn a_delete_counts_from_its_mark_not_from_the_resource_s_age() {
        let now = OffsetDateTime::now_utc();
        let cut = now - Duration::minutes(15);
        let mut zone = Resource {
            id: "01JZZZZZZZZZZZZZZZZZZZZZZZ".into(),
            owner: UserId::new(now),
            kind: ResourceKind::DnsZone,
            name: "example.com".into(),
            status: ResourceStatus::Deleting,
            created_at: now - Duration::days(300),
            detail: serde_json::Map::new(),
        };
        assert!(
            !deleting_since_after(&zone, cut),
            "unmarked: its age counts"
        );
        let mark = |z: &mut Resource, at: OffsetDateTime| {
            z.detail
                .insert(DELETING_SINCE.into(), at.unix_timestamp().into());
        };
        mark(&mut zone, now - Duration::minutes(1));
        assert!(deleting_since_after(&zone, cut), "marked a minute ago");
        mark(&mut zone, now - Duration::minutes(16));
        assert!(!deleting_since_after(&zone, cut), "marked before the cut");
        mark(&mut zone, now);
        zone.status = ResourceStatus::Creating;
        assert!(
            !deleting_since_after(&zone, cut),
            "only deletes have a mark"
        );
    }
}
