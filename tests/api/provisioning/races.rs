//! A zone's delete and a mail domain's creation on it, interleaved at their one dangerous
//! point on both stores: the delete marks the zone, then looks for the mail domain; the
//! creation reserves, then reads the zone. Whichever way they overlap, at least one of them
//! stops with 409, and a mail domain is never left on a zone that went.

use crate::support::{TestApp, on_both_stores, s};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use latch_core::Error;
use latch_core::domain::provisioning::{Resource, ResourceKind, ResourceStatus};
use latch_core::domain::{User, UserId};
use latch_core::ports::{Release, Reserve, Resources};
use latch_core::service::provisioning;
use latch_core::service::provisioning::{mail_domains, zones};
use latch_core::service::{Caller, Deps, authn};
use reqwest::Method;
use serde_json::json;
use std::sync::{Arc, Mutex};

type Hook = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// When the other call runs: just before the zone is marked `Deleting`, or just after the
/// mail domain is reserved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    BeforeZoneMark,
    AfterMailReserve,
}

/// `Resources` that runs `hook` once, at `at`.
struct Interleaved {
    inner: Arc<dyn Resources>,
    at: At,
    hook: Mutex<Option<Hook>>,
}

impl Interleaved {
    async fn run_hook(&self, at: At) {
        if at != self.at {
            return;
        }
        let hook = self.hook.lock().unwrap().take();
        if let Some(hook) = hook {
            hook().await;
        }
    }
}

#[async_trait]
impl Resources for Interleaved {
    async fn reserve(&self, r: &Resource, owner: &User, v: u64) -> Result<Reserve, Error> {
        let out = self.inner.reserve(r, owner, v).await?;
        if r.kind == ResourceKind::MailDomain && out == Reserve::Reserved {
            self.run_hook(At::AfterMailReserve).await;
        }
        Ok(out)
    }
    async fn update(&self, r: &Resource, expected: ResourceStatus) -> Result<bool, Error> {
        if r.kind == ResourceKind::DnsZone && r.status == ResourceStatus::Deleting {
            self.run_hook(At::BeforeZoneMark).await;
        }
        self.inner.update(r, expected).await
    }
    async fn resource(&self, id: &str) -> Result<Option<Resource>, Error> {
        self.inner.resource(id).await
    }
    async fn holder_of(&self, kind: ResourceKind, name: &str) -> Result<Option<String>, Error> {
        self.inner.holder_of(kind, name).await
    }
    async fn pending(
        &self,
        before: time::OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Resource>, Error> {
        self.inner.pending(before, limit).await
    }
    async fn resources_of(
        &self,
        owner: &UserId,
        kind: ResourceKind,
    ) -> Result<Vec<Resource>, Error> {
        self.inner.resources_of(owner, kind).await
    }
    async fn release(&self, r: &Resource, owner: &User, v: u64) -> Result<Release, Error> {
        self.inner.release(r, owner, v).await
    }
}

fn caller() -> Caller {
    super::api::caller("race")
}

/// A hook that runs `call` and keeps its outcome, and where that is found once it ran.
fn recorded<T: Send + 'static>(
    call: impl FnOnce() -> BoxFuture<'static, T> + Send + 'static,
) -> (Hook, Arc<Mutex<Option<T>>>) {
    let slot = Arc::new(Mutex::new(None));
    let kept = Arc::clone(&slot);
    let hook: Hook = Box::new(move || {
        Box::pin(async move {
            let out = call().await;
            *kept.lock().unwrap() = Some(out);
        })
    });
    (hook, slot)
}

/// `app`'s dependencies with `hook` run at `at`.
fn interleaved(app: &TestApp, at: At, hook: Hook) -> Deps {
    let resources = Interleaved {
        inner: Arc::clone(&app.deps.resources),
        at,
        hook: Mutex::new(Some(hook)),
    };
    Deps {
        resources: Arc::new(resources),
        ..Deps::clone(&app.deps)
    }
}

async fn create_mail(deps: &Deps, access: &str, domain: &str) -> Result<String, Error> {
    let auth = authn::authenticate(deps, &caller(), Some(access)).await?;
    let req = mail_domains::CreateRequest {
        domain: domain.to_owned(),
    };
    Ok(mail_domains::create(deps, &caller(), &auth, req).await?.id)
}

async fn delete_zone(deps: &Deps, access: &str, zone: &str) -> Result<(), Error> {
    let auth = authn::authenticate(deps, &caller(), Some(access)).await?;
    zones::delete(deps, &caller(), &auth, Some(zone)).await
}

/// A signed-in caller with a zone: (access token, domain, zone id).
async fn with_zone(app: &TestApp) -> (String, String, String) {
    let (_, tokens) = app.signed_in().await;
    let access = s(&tokens, "accessToken");
    let domain = format!(
        "{}.example.com",
        crate::support::moto::unique("race").to_lowercase()
    );
    let made = app
        .post_bearer(
            "/v1/provisioning/dns-zones",
            &access,
            &json!({"domain": domain}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    (access, domain, s(&made.body, "id"))
}

/// The zone's status and the values of its records at the zone provider.
async fn zone_now(app: &TestApp, zone: &str) -> (ResourceStatus, Vec<String>) {
    let resource = app.deps.resources.resource(zone).await.unwrap().unwrap();
    let at_provider = zones::zone_id(&resource).unwrap();
    let records = app.deps.zones.records(at_provider).await.unwrap();
    let values = records
        .expect("the zone is at its provider")
        .into_iter()
        .map(|r| r.value)
        .collect();
    (resource.status, values)
}

#[tokio::test]
async fn a_mail_domain_made_while_its_zone_is_being_deleted_keeps_the_zone() {
    for (app, _clock) in on_both_stores(&[]).await {
        // The mail domain is made in full between the delete's start and its mark.
        let (access, domain, zone) = with_zone(&app).await;
        let (deps, access2, domain2) = (Arc::clone(&app.deps), access.clone(), domain.clone());
        let (hook, made) =
            recorded(move || Box::pin(async move { create_mail(&deps, &access2, &domain2).await }));
        let deps = interleaved(&app, At::BeforeZoneMark, hook);
        let deleted = delete_zone(&deps, &access, &zone).await;
        let mail = made.lock().unwrap().take().expect("the hook ran");
        let mail = mail.expect("the mail domain was made");
        assert!(
            matches!(deleted, Err(Error::Conflict)),
            "the delete saw the mail domain: {deleted:?}"
        );
        let (status, records) = zone_now(&app, &zone).await;
        assert_eq!(status, ResourceStatus::Ready, "the zone is back to ready");
        assert_eq!(records.len(), 1, "the DKIM record is still in the zone");
        assert!(records[0].starts_with("v=DKIM1;"));
        // Both go, in their order.
        let gone = app
            .bearer(
                Method::DELETE,
                &format!("/v1/provisioning/mail-domains/{mail}"),
                &access,
            )
            .await;
        assert_eq!(gone.status, 204, "{}", gone.body);
        assert_eq!(delete_zone(&app.deps, &access, &zone).await.ok(), Some(()));
    }
}

#[tokio::test]
async fn a_zone_marked_for_deletion_after_zone_check_stops_the_mail_domain() {
    for (app, _clock) in on_both_stores(&[]).await {
        // The delete marks the zone between the creation's zone check and its making.
        let (access, domain, zone) = with_zone(&app).await;
        let hook: Hook = {
            let (deps, zone) = (Arc::clone(&app.deps), zone.clone());
            Box::new(move || {
                Box::pin(async move {
                    let mut marked = deps.resources.resource(&zone).await.unwrap().unwrap();
                    marked.status = ResourceStatus::Deleting;
                    let moved = deps.resources.update(&marked, ResourceStatus::Ready).await;
                    assert_eq!(moved.ok(), Some(true));
                })
            })
        };
        let deps = interleaved(&app, At::AfterMailReserve, hook);
        let made = create_mail(&deps, &access, &domain).await;
        assert!(matches!(made, Err(Error::Conflict)), "{made:?}");
        // Nothing of the mail domain is left: no record, no name, no identity, no DKIM record.
        let user = authn::authenticate(&app.deps, &caller(), Some(&access))
            .await
            .unwrap()
            .user;
        let mail = app
            .deps
            .resources
            .resources_of(&user.id, ResourceKind::MailDomain)
            .await
            .unwrap();
        assert!(mail.is_empty(), "{mail:?}");
        assert_eq!(
            app.deps
                .resources
                .holder_of(ResourceKind::MailDomain, &domain)
                .await
                .unwrap(),
            None
        );
        assert_eq!(user.billing.resources.mail_domains, 0);
        let d = latch_core::domain::dns::DomainName::parse(&domain).unwrap();
        assert_eq!(app.deps.mail_domains.identity_of(&d).await.unwrap(), None);
        let (status, records) = zone_now(&app, &zone).await;
        assert_eq!(status, ResourceStatus::Deleting);
        assert!(records.is_empty(), "{records:?}");
    }
}

#[tokio::test]
async fn a_zone_delete_begun_after_the_reservation_leaves_the_zone() {
    for (app, _clock) in on_both_stores(&[]).await {
        // The whole delete runs between the creation's reservation and its zone read.
        let (access, domain, zone) = with_zone(&app).await;
        let (deps, access2, zone2) = (Arc::clone(&app.deps), access.clone(), zone.clone());
        let (hook, deleted) =
            recorded(move || Box::pin(async move { delete_zone(&deps, &access2, &zone2).await }));
        let deps = interleaved(&app, At::AfterMailReserve, hook);
        let made = create_mail(&deps, &access, &domain).await;
        let deleted = deleted.lock().unwrap().take().expect("the hook ran");
        assert!(matches!(deleted, Err(Error::Conflict)), "{deleted:?}");
        let mail = made.expect("the mail domain was made on the zone that stayed");
        let (status, records) = zone_now(&app, &zone).await;
        assert_eq!(status, ResourceStatus::Ready);
        assert_eq!(records.len(), 1);
        let gone = app
            .bearer(
                Method::DELETE,
                &format!("/v1/provisioning/mail-domains/{mail}"),
                &access,
            )
            .await;
        assert_eq!(gone.status, 204, "{}", gone.body);
    }
}

#[tokio::test]
async fn a_zone_delete_that_stopped_after_its_mark_is_undone_by_recovery_while_mail_uses_it() {
    for (app, clock) in on_both_stores(&[]).await {
        let (access, domain, zone) = with_zone(&app).await;
        let mail = create_mail(&app.deps, &access, &domain).await.unwrap();
        // Long after the zone was made, a delete marked it, then its process died before it
        // could look or undo.
        clock.advance(time::Duration::minutes(16));
        let mut marked = app.deps.resources.resource(&zone).await.unwrap().unwrap();
        provisioning::deleting(&app.deps, &mut marked)
            .await
            .unwrap();
        let job = async |run: &str| {
            latch_functions::job::handle(&app.deps, "recover-provisioning", run)
                .await
                .unwrap()
        };
        let early = job("run-early").await;
        assert_eq!(
            (&early["recovered"], &early["waiting"]),
            (&json!(0), &json!(1))
        );
        assert_eq!(
            zone_now(&app, &zone).await.0,
            ResourceStatus::Deleting,
            "an old zone's mark younger than the grace is left to its call"
        );
        clock.advance(time::Duration::minutes(16));
        job("run-late").await;
        let (status, records) = zone_now(&app, &zone).await;
        assert_eq!(
            status,
            ResourceStatus::Ready,
            "the zone stays for its mail domain"
        );
        assert_eq!(records.len(), 1, "with the DKIM record");
        let still = app.deps.resources.resource(&mail).await.unwrap().unwrap();
        assert_eq!(still.status, ResourceStatus::Ready);
    }
}
