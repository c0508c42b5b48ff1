//! Use cases: `async fn(&Deps, &Caller, input) -> Result<output, Error>`. Every rule lives here.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod authn;
pub mod billing;
pub mod bootstrap;
pub mod captcha;
pub mod guard;
pub mod health;
pub mod jobs;
pub mod key_rotation;
pub mod login;
pub mod mail;
pub mod mail_queue;
pub mod me;
pub mod mfa;
pub mod paging;
pub mod passwords;
pub mod provisioning;
pub mod refresh;
pub mod register;
pub mod sessions;
pub mod tokens;
pub mod verify_email;

use crate::crypto::PasswordHasher;
use crate::domain::{ClientInfo, PasswordPolicy};
use crate::ports::{
    AuditLog, Captcha, Clock, Counters, Locks, Mailer, SessionStore, SpendLedger, UserStore,
};
use std::sync::Arc;
use time::Duration;

/// The settings the use cases read (a subset of `Config`, free of I/O choices).
#[derive(Debug, Clone)]
pub struct Settings {
    pub issuer: String,
    pub audience: String,
    /// Base of links to Latch itself (email verification).
    pub public_url: String,
    /// Base of links to the client application (password reset).
    pub app_url: String,
    pub access_ttl: Duration,
    pub verification_ttl: Duration,
    pub reset_ttl: Duration,
    /// A never-verified account older than this counts as absent and is purged.
    pub unverified_ttl: Duration,
    /// `backup-tables` deletes this system's backups older than this.
    pub backup_retention: Duration,
    /// How many passwords (the current one included) a new one may not repeat.
    pub password_history: usize,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// How long after a refresh token is spent a replay from inside the binding is taken for a
    /// client retry (answered `token_reused`, session kept) rather than theft.
    pub refresh_reuse_grace: Duration,
    /// Whether refresh checks the client's IP prefix as well as its User-Agent.
    pub bind_ip_on_refresh: bool,
    pub password_policy: PasswordPolicy,
    pub limits: Limits,
    pub lockout: Lockout,
    pub mfa: MfaSettings,
    pub plans: PlanSettings,
    /// Whether CAPTCHA may be required at all (`LATCH_CAPTCHA=turnstile`).
    pub captcha: bool,
    /// The hostnames a CAPTCHA answer must name (`LATCH_TURNSTILE_HOSTNAMES`).
    pub captcha_hostnames: Vec<String>,
    /// How long a request may take before it answers 503 (`LATCH_REQUEST_DEADLINE_MS`).
    pub request_deadline: std::time::Duration,
    /// Audit events per CSV export response (`LATCH_AUDIT_EXPORT_ROWS`).
    pub audit_export_rows: usize,
    /// The domain of `LATCH_MAIL_FROM`, lower case: no tenant may claim it or a name under it.
    pub sending_domain: String,
}

/// The most rows one export response carries: 10,000 rows of the widest events stay under the
/// Lambda response limit (6 MB).
pub const MAX_EXPORT_ROWS: usize = 10_000;

/// Requests allowed per client address (IPv4 address or IPv6 /64) and window; 0 turns one off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub register_per_min: u64,
    pub login_per_min: u64,
    pub forgot_per_hour: u64,
    pub reset_per_hour: u64,
    pub resend_per_hour: u64,
    pub strength_per_min: u64,
    /// Link mail (verification, reset) per address and hour.
    pub mail_per_account_per_hour: u64,
    /// "Someone tried to register with your address" notices per address and day.
    pub registration_notices_per_day: u64,
    /// change-password attempts per user (and, in the route table, per address) in 15 minutes.
    pub change_password_per_15_min: u64,
    /// 2fa/verify and recovery-login requests per address and minute.
    pub mfa_per_min: u64,
    /// Bearer 2FA requests that check a password or code, per user (and address) in 15 minutes.
    pub mfa_settings_per_15_min: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            register_per_min: 3,
            login_per_min: 5,
            forgot_per_hour: 3,
            reset_per_hour: 5,
            resend_per_hour: 3,
            strength_per_min: 30,
            mail_per_account_per_hour: 100,
            registration_notices_per_day: 3,
            change_password_per_15_min: 5,
            mfa_per_min: 10,
            mfa_settings_per_15_min: 5,
        }
    }
}

/// Failed-login rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    /// Failed passwords for one email within `window` that lock it.
    pub threshold: u64,
    pub window: Duration,
    pub duration: Duration,
    /// Failed logins for the email or the client address within `window` after which CAPTCHA is
    /// required (when CAPTCHA is on).
    pub captcha_after: u64,
    /// A client that held a session of the account this recently is spared automatic locks.
    pub known_client_for: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            threshold: 5,
            window: Duration::minutes(15),
            duration: Duration::minutes(15),
            captcha_after: 3,
            known_client_for: Duration::days(30),
        }
    }
}

/// What each plan allows (`LATCH_FREE_*`, `LATCH_PRO_*`), and what PRO resources cost a month
/// (FREE ones cost nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSettings {
    pub free: crate::domain::billing::PlanRules,
    pub pro: crate::domain::billing::PlanRules,
    pub pro_prices: Prices,
}

/// Cents a month per resource (`LATCH_PRO_PRICE_*_CENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prices {
    pub database: u64,
    pub dns_zone: u64,
    pub mail_domain: u64,
}

impl PlanSettings {
    /// A month of one resource of `kind` on `plan`; a hosting account is the sum of its parts.
    pub fn price(
        &self,
        plan: crate::domain::Plan,
        kind: crate::domain::provisioning::ResourceKind,
    ) -> u64 {
        use crate::domain::provisioning::ResourceKind as K;
        if plan == crate::domain::Plan::Free {
            return 0;
        }
        let p = self.pro_prices;
        match kind {
            K::Database => p.database,
            K::DnsZone => p.dns_zone,
            K::MailDomain => p.mail_domain,
            K::HostingAccount => p.database + p.dns_zone + p.mail_domain,
        }
    }
}

impl PlanSettings {
    pub fn rules(&self, plan: crate::domain::Plan) -> crate::domain::billing::PlanRules {
        match plan {
            crate::domain::Plan::Free => self.free,
            crate::domain::Plan::Pro => self.pro,
        }
    }
}

impl Default for PlanSettings {
    fn default() -> Self {
        use crate::domain::billing::PlanRules;
        Self {
            free: PlanRules {
                max_spend_cap_cents: 0,
                resources_per_kind: 1,
            },
            pro: PlanRules {
                max_spend_cap_cents: 1_000_000,
                resources_per_kind: 10,
            },
            pro_prices: Prices {
                database: 500,
                dns_zone: 50,
                mail_domain: 100,
            },
        }
    }
}

/// Second-factor rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSettings {
    /// The issuer authenticator apps show (`LATCH_MFA_ISSUER`).
    pub issuer: String,
    /// How long a login's `mfaToken` waits for its code.
    pub token_ttl: Duration,
    /// How long an enable-init secret waits for enable-complete.
    pub enroll_ttl: Duration,
    /// Failed codes that lock the second factor.
    pub lock_after: u64,
    /// The first lock; each further one in a row doubles, up to `lock_max`.
    pub lock: Duration,
    pub lock_max: Duration,
}

impl Default for MfaSettings {
    fn default() -> Self {
        Self {
            issuer: "Latch".to_owned(),
            token_ttl: Duration::minutes(5),
            enroll_ttl: Duration::minutes(15),
            lock_after: 5,
            lock: Duration::minutes(5),
            lock_max: Duration::hours(24),
        }
    }
}

impl Settings {
    /// The contract's defaults for a deployment at `public_url`.
    pub fn defaults(public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            issuer: public_url.clone(),
            audience: "latch".to_owned(),
            app_url: public_url.clone(),
            public_url,
            access_ttl: Duration::minutes(15),
            verification_ttl: Duration::hours(24),
            reset_ttl: Duration::hours(1),
            unverified_ttl: Duration::days(7),
            backup_retention: Duration::days(30),
            password_history: 5,
            session_idle: Duration::days(14),
            session_absolute: Duration::days(30),
            refresh_reuse_grace: Duration::seconds(10),
            bind_ip_on_refresh: true,
            password_policy: PasswordPolicy::default(),
            limits: Limits::default(),
            lockout: Lockout::default(),
            mfa: MfaSettings::default(),
            plans: PlanSettings::default(),
            captcha: false,
            captcha_hostnames: Vec::new(),
            request_deadline: crate::deadlines::Deadlines::default().request,
            audit_export_rows: MAX_EXPORT_ROWS,
            sending_domain: "latch.localhost".into(),
        }
    }
}

/// Everything a use case may touch, built once per process. A clone shares the same stores and
/// providers (tests swap one part with `Deps { part, ..deps.clone() }`).
#[derive(Clone)]
pub struct Deps {
    pub settings: Settings,
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub audit: Arc<dyn AuditLog>,
    pub counters: Arc<dyn Counters>,
    pub locks: Arc<dyn Locks>,
    pub ledger: Arc<dyn SpendLedger>,
    /// Present when `LATCH_CAPTCHA=turnstile`.
    pub captcha: Option<Arc<dyn Captcha>>,
    pub resources: Arc<dyn crate::ports::Resources>,
    pub tenant_secrets: Arc<dyn crate::ports::TenantSecrets>,
    /// The tenant-database server, present when `LATCH_PG_ADMIN_URL` is set.
    pub databases: Option<Arc<dyn crate::ports::Databases>>,
    pub zones: Arc<dyn crate::ports::Zones>,
    pub mail_domains: Arc<dyn crate::ports::MailDomains>,
    pub mailer: Arc<dyn Mailer>,
    pub backups: Arc<dyn crate::ports::Backups>,
    pub keys: Arc<crate::keys::Keys>,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
}

/// Runs a step that follows a committed change: its notice or its audit event. The change has
/// landed, and the answer may carry what is shown only once (recovery codes) or a session the
/// caller has paid a one-time token for, so a failure here does not turn into an error: it is
/// logged (target `latch::after_commit`, with the request id) and counted as the
/// `PostCommitFailures` metric, for an operator to follow up.
pub async fn after_commit(
    deps: &Deps,
    caller: &Caller,
    step: &'static str,
    work: impl std::future::Future<Output = Result<(), crate::Error>>,
) {
    if let Err(err) = work.await {
        tracing::error!(target: "latch::after_commit", step, requestId = %caller.request_id, error = %err, "a step after a committed change failed; the change stands");
        let at_ms = crate::metrics::epoch_ms(deps.clock.now());
        crate::metrics::emit(&crate::metrics::security("PostCommitFailures", at_ms));
    }
}

/// Who is calling, for audit and session binding.
#[derive(Debug, Clone)]
pub struct Caller {
    pub request_id: String,
    pub client: ClientInfo,
    /// Where the request's next audit event links (see `audit`).
    pub audit: audit::AuditCursor,
}

impl Caller {
    pub fn new(request_id: impl Into<String>, client: ClientInfo) -> Self {
        Caller {
            request_id: request_id.into(),
            client,
            audit: audit::AuditCursor::default(),
        }
    }
}
