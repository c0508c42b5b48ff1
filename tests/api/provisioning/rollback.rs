//! A database creation failing at every step in turn, on both stores and a real PostgreSQL:
//! each leaves nothing behind (no database, role, secret, record, count or charge), and the
//! rollback is audited.

use super::api::{apps, caller, db_name, leftovers};
use crate::support::postgres::{connect, postgres};
use crate::support::{TestApp, s};
use async_trait::async_trait;
use latch_core::Error;
use latch_core::crypto::dkim::DkimKey;
use latch_core::domain::dns::{DnsRecord, DomainName};
use latch_core::domain::provisioning::{DatabaseName, Resource, ResourceKind, ResourceStatus};
use latch_core::domain::{AuditType, Charge, User, UserId};
use latch_core::ports::{
    ChargeOutcome, Creation, Databases, HostedZone, MailDomains, Release, Reserve, Resources,
    SpendLedger, TenantSecrets, ZoneOf, Zones,
};
use latch_core::service::Deps;
use latch_core::service::provisioning::databases::{self, CreateRequest};
use std::sync::Arc;

/// The step a run breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Break {
    /// The zone is refused, or made with its answer lost.
    ZoneRefused,
    ZoneLost,
    /// The DKIM record is refused.
    Record,
    /// The identity is refused, or made with its answer lost.
    IdentityRefused,
    IdentityLost,
    Secret,
    DatabaseRefused,
    /// The database is made but the answer is lost.
    DatabaseLost,
    Charge,
    Ready,
    /// The `n`th record write (a status move or a saga log entry) fails.
    Update(usize),
    /// The `n`th record write never answers: the call is dropped there, as a killed process.
    Hang(usize),
}

fn injected() -> Error {
    latch_core::telemetry::outage("injected fault", false, "the test broke this step")
}

struct Secrets(Arc<dyn TenantSecrets>, Break);

#[async_trait]
impl TenantSecrets for Secrets {
    async fn put(&self, name: &str, value: &str) -> Result<(), Error> {
        if self.1 == Break::Secret {
            return Err(injected());
        }
        self.0.put(name, value).await
    }
    async fn delete(&self, name: &str) -> Result<(), Error> {
        self.0.delete(name).await
    }
    async fn exists(&self, name: &str) -> Result<bool, Error> {
        self.0.exists(name).await
    }
}

struct Server(Arc<dyn Databases>, Break);

#[async_trait]
impl Databases for Server {
    async fn create(
        &self,
        name: &DatabaseName,
        password: &str,
        owner: &str,
    ) -> Result<Creation, Error> {
        match self.1 {
            Break::DatabaseRefused => Err(injected()),
            Break::DatabaseLost => {
                self.0.create(name, password, owner).await?;
                Err(injected())
            }
            _ => self.0.create(name, password, owner).await,
        }
    }
    async fn remove(&self, name: &DatabaseName, owner: &str) -> Result<(), Error> {
        self.0.remove(name, owner).await
    }
    async fn adopt(&self, name: &DatabaseName, owner: &str) -> Result<(), Error> {
        self.0.adopt(name, owner).await
    }
    async fn end_overlong(&self, bound: std::time::Duration) -> Result<u64, Error> {
        self.0.end_overlong(bound).await
    }
    async fn exists(&self, name: &DatabaseName) -> Result<bool, Error> {
        self.0.exists(name).await
    }
    fn endpoint(&self) -> (String, u16) {
        self.0.endpoint()
    }
    async fn ping(&self) -> Result<(), Error> {
        self.0.ping().await
    }
}

struct ZoneHost(Arc<dyn Zones>, Break);

#[async_trait]
impl Zones for ZoneHost {
    async fn create_zone(&self, domain: &DomainName, reference: &str) -> Result<HostedZone, Error> {
        match self.1 {
            Break::ZoneRefused => Err(injected()),
            Break::ZoneLost => {
                self.0.create_zone(domain, reference).await?;
                Err(injected())
            }
            _ => self.0.create_zone(domain, reference).await,
        }
    }
    async fn delete_zone(&self, id: &str) -> Result<(), Error> {
        self.0.delete_zone(id).await
    }
    async fn add_record(&self, id: &str, record: &DnsRecord) -> Result<(), Error> {
        if self.1 == Break::Record && record.name.contains("_domainkey") {
            return Err(injected());
        }
        self.0.add_record(id, record).await
    }
    async fn remove_record(&self, id: &str, record: &DnsRecord) -> Result<(), Error> {
        self.0.remove_record(id, record).await
    }
    async fn zones_of(&self, domain: &DomainName) -> Result<Vec<ZoneOf>, Error> {
        self.0.zones_of(domain).await
    }
    async fn records(&self, id: &str) -> Result<Option<Vec<DnsRecord>>, Error> {
        self.0.records(id).await
    }
}

struct MailHost(Arc<dyn MailDomains>, Break);

#[async_trait]
impl MailDomains for MailHost {
    async fn create_identity(
        &self,
        domain: &DomainName,
        key: &DkimKey,
        reference: &str,
    ) -> Result<Creation, Error> {
        match self.1 {
            Break::IdentityRefused => Err(injected()),
            Break::IdentityLost => {
                self.0.create_identity(domain, key, reference).await?;
                Err(injected())
            }
            _ => self.0.create_identity(domain, key, reference).await,
        }
    }
    async fn delete_identity(&self, domain: &DomainName, reference: &str) -> Result<(), Error> {
        self.0.delete_identity(domain, reference).await
    }
    async fn identity_of(&self, domain: &DomainName) -> Result<Option<String>, Error> {
        self.0.identity_of(domain).await
    }
}

struct Ledger(Arc<dyn SpendLedger>, Break);

#[async_trait]
impl SpendLedger for Ledger {
    async fn charge(
        &self,
        charge: &Charge,
        cap: u64,
        version: u64,
    ) -> Result<ChargeOutcome, Error> {
        if self.1 == Break::Charge {
            // Another charge took the room between the check and this one.
            return Ok(ChargeOutcome::CapReached);
        }
        self.0.charge(charge, cap, version).await
    }
    async fn spent(&self, user: &UserId, period: &str) -> Result<u64, Error> {
        self.0.spent(user, period).await
    }
    async fn claim_cap_notice(&self, user: &UserId, period: &str) -> Result<bool, Error> {
        self.0.claim_cap_notice(user, period).await
    }
}

struct Records(Arc<dyn Resources>, Break, std::sync::atomic::AtomicUsize);

#[async_trait]
impl Resources for Records {
    async fn reserve(&self, r: &Resource, owner: &User, v: u64) -> Result<Reserve, Error> {
        self.0.reserve(r, owner, v).await
    }
    async fn update(&self, r: &Resource, expected: ResourceStatus) -> Result<bool, Error> {
        let n = self.2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.1 {
            Break::Ready => return Err(injected()),
            Break::Update(at) if at == n => return Err(injected()),
            Break::Hang(at) if at == n => std::future::pending::<()>().await,
            _ => {}
        }
        self.0.update(r, expected).await
    }
    async fn resource(&self, id: &str) -> Result<Option<Resource>, Error> {
        self.0.resource(id).await
    }
    async fn holder_of(&self, kind: ResourceKind, name: &str) -> Result<Option<String>, Error> {
        self.0.holder_of(kind, name).await
    }
    async fn pending(
        &self,
        before: time::OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Resource>, Error> {
        self.0.pending(before, limit).await
    }
    async fn resources_of(
        &self,
        owner: &UserId,
        kind: ResourceKind,
    ) -> Result<Vec<Resource>, Error> {
        self.0.resources_of(owner, kind).await
    }
    async fn release(&self, r: &Resource, owner: &User, v: u64) -> Result<Release, Error> {
        self.0.release(r, owner, v).await
    }
}

/// `app`'s dependencies with step `at` broken.
pub(super) fn broken(app: &TestApp, at: Break) -> Deps {
    let d = &app.deps;
    Deps {
        ledger: Arc::new(Ledger(Arc::clone(&d.ledger), at)),
        resources: Arc::new(Records(Arc::clone(&d.resources), at, Default::default())),
        tenant_secrets: Arc::new(Secrets(Arc::clone(&d.tenant_secrets), at)),
        databases: d
            .databases
            .clone()
            .map(|db| Arc::new(Server(db, at)) as Arc<dyn Databases>),
        zones: Arc::new(ZoneHost(Arc::clone(&d.zones), at)),
        mail_domains: Arc::new(MailHost(Arc::clone(&d.mail_domains), at)),
        captcha: None,
        ..Deps::clone(d)
    }
}

#[tokio::test]
async fn a_failure_at_any_step_leaves_nothing_behind() {
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        // PRO with room, so the charge step is a real step.
        let access = s(&tokens, "accessToken");
        app.post_bearer(
            "/v1/account/plan",
            &access,
            &serde_json::json!({"plan": "PRO"}),
        )
        .await;
        app.post_bearer(
            "/v1/account/limits",
            &access,
            &serde_json::json!({"monthlySpendCapCents": 5000}),
        )
        .await;
        let caller = caller("rollback");
        for at in [
            Break::Secret,
            Break::DatabaseRefused,
            Break::DatabaseLost,
            Break::Charge,
            Break::Ready,
        ] {
            let deps = broken(&app, at);
            let auth = latch_core::service::authn::authenticate(&deps, &caller, Some(&access))
                .await
                .unwrap();
            let rolled_back = app.audited(AuditType::ProvisioningRolledBack).await;
            let name = db_name("rb");
            let req = CreateRequest { name: name.clone() };
            let err = databases::create(&deps, &caller, &auth, req)
                .await
                .unwrap_err();
            match at {
                Break::Charge => assert!(matches!(err, Error::SpendCapReached), "{at:?}: {err:?}"),
                _ => assert!(matches!(err, Error::Unavailable(_)), "{at:?}: {err:?}"),
            }
            let user = app.account(&email).await;
            let records = app
                .deps
                .resources
                .resources_of(&user.id, ResourceKind::Database)
                .await
                .unwrap();
            assert!(records.is_empty(), "{at:?}: {records:?}");
            assert_eq!(
                leftovers(&app, &name, None).await,
                Vec::<&str>::new(),
                "{at:?}"
            );
            assert_eq!(
                user.billing.resources.databases, 0,
                "{at:?}: the count is back"
            );
            let period = latch_core::domain::billing::period_of(app.deps.clock.now());
            assert_eq!(
                app.deps.ledger.spent(&user.id, &period).await.unwrap(),
                0,
                "{at:?}: no charge"
            );
            assert_eq!(
                app.audited(AuditType::ProvisioningRolledBack).await,
                rolled_back + 1,
                "{at:?}"
            );
        }
        // And nothing of the broken runs is in the way of a good one.
        let ok = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &serde_json::json!({"name": db_name("rb")}),
            )
            .await;
        assert_eq!(ok.status, 201, "{}", ok.body);
        let id = s(&ok.body, "id");
        assert!(app.deps.tenant_secrets.exists(&id).await.unwrap());
    }
}

/// A database Latch did not make, with a table in it (and, for the second, its own role of
/// the same name): what the tenant names it as when it asks for a database.
async fn foreign_database(with_role_of_its_name: bool) -> String {
    let name = db_name("foreign");
    let admin = connect(&postgres().admin_url()).await.unwrap();
    if with_role_of_its_name {
        admin
            .batch_execute(&format!("CREATE ROLE \"{name}\""))
            .await
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\" OWNER \"{name}\""))
            .await
            .unwrap();
    } else {
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
    }
    let inside = connect(&admin_url_of(&name)).await.unwrap();
    inside
        .batch_execute("CREATE TABLE precious (v int); INSERT INTO precious VALUES (42)")
        .await
        .unwrap();
    name
}

/// The superuser's URL to database `name`.
fn admin_url_of(name: &str) -> String {
    let pg = postgres();
    pg.url_as("latch_admin", &pg.password, name)
}

/// Whether the foreign database is still there, whole (its table and row).
async fn intact(name: &str) -> bool {
    let Ok(inside) = connect(&admin_url_of(name)).await else {
        return false;
    };
    inside
        .query_one("SELECT v FROM precious", &[])
        .await
        .is_ok_and(|row| row.get::<_, i32>(0) == 42)
}

#[tokio::test]
async fn a_foreign_database_a_tenant_names_survives_every_failure_and_the_recovery_job() {
    for (app, clock) in apps().await {
        let (email, _) = app.signed_in().await;
        // A fresh access token each time: the clock moves past each one's life.
        let access = async || {
            let tokens = app.login(&email, crate::support::STRONG_PASSWORD).await;
            s(&tokens.body, "accessToken")
        };
        let caller = caller("foreign");
        for with_role in [false, true] {
            // Refused before the server, the answer lost after it, and every later step.
            for at in [
                Break::DatabaseRefused,
                Break::DatabaseLost,
                Break::Secret,
                Break::Charge,
                Break::Ready,
            ] {
                let name = foreign_database(with_role).await;
                let deps = broken(&app, at);
                let token = access().await;
                let auth = latch_core::service::authn::authenticate(&deps, &caller, Some(&token))
                    .await
                    .unwrap();
                let req = CreateRequest { name: name.clone() };
                assert!(databases::create(&deps, &caller, &auth, req).await.is_err());
                assert!(intact(&name).await, "{at:?}, own role {with_role}: dropped");
                // Whatever record is left, the recovery job after the grace drops nothing.
                clock.advance(time::Duration::minutes(16));
                latch_functions::job::handle(&app.deps, "recover-provisioning", "foreign")
                    .await
                    .unwrap();
                assert!(
                    intact(&name).await,
                    "{at:?}, own role {with_role}: recovery dropped it"
                );
            }
            // A creation that stopped right after its reservation (a crash), then the job.
            let name = foreign_database(with_role).await;
            let token = access().await;
            let auth = latch_core::service::authn::authenticate(&app.deps, &caller, Some(&token))
                .await
                .unwrap();
            let (resource, _) = latch_core::service::provisioning::reserve(
                &app.deps,
                &auth,
                ResourceKind::Database,
                &name,
            )
            .await
            .unwrap();
            clock.advance(time::Duration::minutes(16));
            let report = latch_functions::job::handle(&app.deps, "recover-provisioning", "crash")
                .await
                .unwrap();
            assert_eq!(report["recovered"], 1, "the record is released");
            assert!(
                intact(&name).await,
                "own role {with_role}: recovery dropped it"
            );
            assert_eq!(
                app.deps.resources.resource(&resource.id).await.unwrap(),
                None
            );
            // The adapter alone: a remove for any resource leaves it.
            let db = DatabaseName::parse(&name).unwrap();
            let server = app.deps.databases.clone().unwrap();
            server.remove(&db, &resource.id).await.unwrap();
            assert!(intact(&name).await);
        }
    }
}

#[tokio::test]
async fn the_recovery_job_undoes_a_creation_that_stopped_half_way_and_finishes_a_deletion() {
    for (app, clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        let caller = caller("crash");
        let auth = latch_core::service::authn::authenticate(&app.deps, &caller, Some(&access))
            .await
            .unwrap();
        // A creation that died after its database was made: reserved, secret, database, no more.
        let name = db_name("crash");
        let (resource, _) = latch_core::service::provisioning::reserve(
            &app.deps,
            &auth,
            ResourceKind::Database,
            &name,
        )
        .await
        .unwrap();
        app.deps
            .tenant_secrets
            .put(&resource.id, "pw")
            .await
            .unwrap();
        let db = DatabaseName::parse(&name).unwrap();
        let server = app.deps.databases.clone().unwrap();
        let password = latch_core::domain::provisioning::generate_password();
        server.create(&db, &password, &resource.id).await.unwrap();
        // Not yet: a call may still be running.
        let early = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-1")
            .await
            .unwrap();
        assert_eq!(early["recovered"], 0);
        clock.advance(time::Duration::minutes(16));
        let report = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-2")
            .await
            .unwrap();
        assert_eq!(
            report,
            serde_json::json!({"recovered": 1, "failed": 0, "waiting": 0, "ended": 0})
        );
        assert_eq!(
            leftovers(&app, &name, Some(&resource.id)).await,
            Vec::<&str>::new()
        );
        assert_eq!(app.account(&email).await.billing.resources.databases, 0);
        let again = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-3")
            .await
            .unwrap();
        assert_eq!(again["recovered"], 0, "nothing left to do");
        // A deletion that died after marking the record: finished.
        let made = app
            .post_bearer(
                "/v1/provisioning/databases",
                &access,
                &serde_json::json!({"name": db_name("del")}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let id = s(&made.body, "id");
        let mut record = app.deps.resources.resource(&id).await.unwrap().unwrap();
        latch_core::service::provisioning::mark_deleting(&mut record, app.deps.clock.now());
        assert!(
            app.deps
                .resources
                .update(&record, ResourceStatus::Ready)
                .await
                .unwrap()
        );
        clock.advance(time::Duration::minutes(16));
        let report = latch_functions::job::handle(&app.deps, "recover-provisioning", "run-4")
            .await
            .unwrap();
        assert_eq!(report["recovered"], 1);
        assert_eq!(
            leftovers(&app, &record.name, Some(&id)).await,
            Vec::<&str>::new()
        );
        assert_eq!(app.account(&email).await.billing.resources.databases, 0);
    }
}

#[tokio::test]
async fn a_zone_or_mail_domain_failing_at_any_step_leaves_nothing_behind() {
    use latch_core::service::provisioning::{mail_domains, zones};
    for (app, _clock) in apps().await {
        let (email, tokens) = app.signed_in().await;
        let access = s(&tokens, "accessToken");
        for (path, body) in [
            ("/v1/account/plan", serde_json::json!({"plan": "PRO"})),
            (
                "/v1/account/limits",
                serde_json::json!({"monthlySpendCapCents": 5000}),
            ),
        ] {
            assert_eq!(app.post_bearer(path, &access, &body).await.status, 200);
        }
        let caller = caller("rollback");
        let period = latch_core::domain::billing::period_of(app.deps.clock.now());
        let no_charge = |user: &User| {
            let (deps, id) = (&app.deps, user.id.clone());
            let period = period.clone();
            async move { deps.ledger.spent(&id, &period).await.unwrap() }
        };
        for at in [
            Break::ZoneRefused,
            Break::ZoneLost,
            Break::Ready,
            Break::Charge,
        ] {
            let deps = broken(&app, at);
            let auth = latch_core::service::authn::authenticate(&deps, &caller, Some(&access))
                .await
                .unwrap();
            let rolled_back = app.audited(AuditType::ProvisioningRolledBack).await;
            let domain = format!(
                "{}.example.com",
                crate::support::moto::unique("rb").to_lowercase()
            );
            let req = zones::CreateRequest {
                domain: domain.clone(),
            };
            let err = zones::create(&deps, &caller, &auth, req).await.unwrap_err();
            match at {
                Break::Charge => assert!(matches!(err, Error::SpendCapReached), "{at:?}: {err:?}"),
                _ => assert!(matches!(err, Error::Unavailable(_)), "{at:?}: {err:?}"),
            }
            let d = DomainName::parse(&domain).unwrap();
            assert!(
                app.deps.zones.zones_of(&d).await.unwrap().is_empty(),
                "{at:?}: no zone"
            );
            let user = app.account(&email).await;
            let records = app
                .deps
                .resources
                .resources_of(&user.id, ResourceKind::DnsZone)
                .await;
            assert!(records.unwrap().is_empty(), "{at:?}");
            assert_eq!(
                user.billing.resources.dns_zones, 0,
                "{at:?}: the count is back"
            );
            assert_eq!(no_charge(&user).await, 0, "{at:?}: no charge");
            assert_eq!(
                app.audited(AuditType::ProvisioningRolledBack).await,
                rolled_back + 1
            );
        }

        // A zone that stands, for the mail domains.
        let domain = format!(
            "{}.example.com",
            crate::support::moto::unique("rb").to_lowercase()
        );
        let made = app
            .post_bearer(
                "/v1/provisioning/dns-zones",
                &access,
                &serde_json::json!({"domain": domain}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let zone_path = format!("/v1/provisioning/dns-zones/{}", s(&made.body, "id"));
        let spent = no_charge(&app.account(&email).await).await;
        let d = DomainName::parse(&domain).unwrap();
        for at in [
            Break::Record,
            Break::IdentityRefused,
            Break::IdentityLost,
            Break::Ready,
            Break::Charge,
        ] {
            let deps = broken(&app, at);
            let auth = latch_core::service::authn::authenticate(&deps, &caller, Some(&access))
                .await
                .unwrap();
            let req = mail_domains::CreateRequest {
                domain: domain.clone(),
            };
            let err = mail_domains::create(&deps, &caller, &auth, req)
                .await
                .unwrap_err();
            match at {
                Break::Charge => assert!(matches!(err, Error::SpendCapReached), "{at:?}: {err:?}"),
                _ => assert!(matches!(err, Error::Unavailable(_)), "{at:?}: {err:?}"),
            }
            assert_eq!(
                app.deps.mail_domains.identity_of(&d).await.unwrap(),
                None,
                "{at:?}"
            );
            let shown = app.bearer(reqwest::Method::GET, &zone_path, &access).await;
            assert_eq!(
                shown.body["records"],
                serde_json::json!([]),
                "{at:?}: no DKIM record"
            );
            let user = app.account(&email).await;
            assert_eq!(user.billing.resources.mail_domains, 0, "{at:?}");
            assert_eq!(no_charge(&user).await, spent, "{at:?}: no charge");
        }
        let ok = app
            .post_bearer(
                "/v1/provisioning/mail-domains",
                &access,
                &serde_json::json!({"domain": domain}),
            )
            .await;
        assert_eq!(
            ok.status, 201,
            "nothing of the broken runs is in the way: {}",
            ok.body
        );
    }
}
