//! The composition root: turns a `Config` into `Deps`, choosing one adapter per port.

use crate::Error;
use crate::adapters::dynamo::DynamoStore;
use crate::adapters::embedded::EmbeddedStore;
use crate::adapters::local_secrets::LocalSecrets;
use crate::adapters::outbox::OutboxMailer;
use crate::adapters::secrets_manager::SecretsManagerSource;
use crate::adapters::ses::SesMailer;
use crate::adapters::sqs_mail::QueuedMailer;
use crate::adapters::turnstile::Turnstile;
use crate::config::{Config, MailChoice, ProviderChoice, SecretsChoice, StoreChoice};
use crate::crypto::{KeyRing, PasswordHasher};
use crate::keys::Keys;
use crate::ports::{
    AuditLog, Captcha, Clock, Counters, Locks, Mailer, SecretSource, SessionStore, SpendLedger,
    SystemClock, UserStore,
};
use crate::service::Deps;
use std::sync::Arc;

/// Builds every dependency once, for a Lambda cold start or the local server.
pub async fn build(config: &Config) -> Result<Deps, Error> {
    build_with(config, Arc::new(SystemClock), None).await
}

/// What the `mail-sender` function needs and nothing more: SES under the deadlines, with
/// `LATCH_MAIL_FROM` as the sender (no store, no keys, so no secret is read).
pub async fn queue_sender(
    config: &Config,
    aws: Option<aws_config::SdkConfig>,
) -> Result<SesMailer, Error> {
    let sdk = match aws {
        Some(given) => given,
        None => aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await,
    };
    let sdk = crate::adapters::aws::bounded(&sdk, &config.deadlines);
    Ok(SesMailer::new(
        aws_sdk_sesv2::Client::new(&sdk),
        config.mail_from.clone(),
    ))
}

/// Like `build`, with the clock and (optionally) the AWS SDK configuration given instead of
/// read from the environment.
pub async fn build_with(
    config: &Config,
    clock: Arc<dyn Clock>,
    aws: Option<aws_config::SdkConfig>,
) -> Result<Deps, Error> {
    Ok(build_serving(config, clock, aws).await?.0)
}

/// Like `build_with`, also handing back the embedded store when it is the store, for the local
/// server's backups while it serves (`latch-local backup`).
pub async fn build_serving(
    config: &Config,
    clock: Arc<dyn Clock>,
    aws: Option<aws_config::SdkConfig>,
) -> Result<(Deps, Option<EmbeddedStore>), Error> {
    let needs_aws = config.store != StoreChoice::Embedded
        || config.mail != MailChoice::Outbox
        || config.dns == ProviderChoice::Aws
        || config.mail_domains == ProviderChoice::Aws
        || config.secrets != SecretsChoice::Local
        || matches!(
            config.databases,
            Some(crate::config::DatabaseServer::Secret { .. })
        );
    let aws = match aws {
        Some(given) => Some(given),
        None if needs_aws => {
            Some(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
        }
        None => None,
    };
    // Every client runs under the deadlines, whether the configuration came from the
    // environment or from a test.
    let aws = aws.map(|sdk| crate::adapters::aws::bounded(&sdk, &config.deadlines));
    let aws = || {
        aws.as_ref()
            .ok_or_else(|| Error::internal("AWS configuration was not loaded"))
    };

    let source: Arc<dyn SecretSource> = match &config.secrets {
        SecretsChoice::Local => Arc::new(LocalSecrets::new(config.data_dir.join("secrets.json"))),
        SecretsChoice::SecretsManager { secret_id } => Arc::new(SecretsManagerSource::new(
            aws_sdk_secretsmanager::Client::new(aws()?),
            secret_id.clone(),
        )),
    };
    let tenant_secrets: Arc<dyn crate::ports::TenantSecrets> = match &config.secrets {
        SecretsChoice::Local => Arc::new(crate::adapters::tenant_secrets::LocalTenantSecrets::new(
            config.data_dir.join("tenant-secrets"),
        )),
        SecretsChoice::SecretsManager { .. } => Arc::new(
            crate::adapters::tenant_secrets::SecretsManagerTenantSecrets::new(
                aws_sdk_secretsmanager::Client::new(aws()?),
            ),
        ),
    };
    let databases: Option<Arc<dyn crate::ports::Databases>> = match &config.databases {
        None => None,
        Some(crate::config::DatabaseServer::Url(pg)) => Some(Arc::new(pg.as_ref().clone())),
        Some(crate::config::DatabaseServer::Secret {
            secret_id,
            deadline,
        }) => {
            let client = aws_sdk_secretsmanager::Client::new(aws()?);
            let url = crate::adapters::secrets_manager::secret_string(&client, secret_id).await?;
            let pg = crate::adapters::postgres::PostgresDatabases::new(&url, *deadline)
                .map_err(|p| Error::internal(format!("the secret {secret_id}: {p}")))?;
            Some(Arc::new(pg))
        }
    };
    let keys = if config.keys_needed {
        let fetch = std::time::Instant::now();
        let material = source.load().await?;
        tracing::info!(target: "latch::cold_start", secretFetchMs = fetch.elapsed().as_secs_f64() * 1000.0, "keys read");
        Arc::new(Keys::refreshed_from(
            KeyRing::from_material(&material)?,
            source,
            config.keys_ttl,
            clock.now(),
        ))
    } else {
        Arc::new(Keys::none())
    };

    let embedded = match &config.store {
        StoreChoice::Embedded => Some(EmbeddedStore::open(&config.data_dir.join("latch.redb"))?),
        StoreChoice::DynamoDb(_) => None,
    };
    let stores = match (&config.store, &embedded) {
        (StoreChoice::DynamoDb(tables), _) => Stores::of(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(aws()?),
            tables.clone(),
        )),
        (StoreChoice::Embedded, Some(store)) => Stores::of(store.clone()),
        (StoreChoice::Embedded, None) => return Err(Error::internal("no embedded store")),
    };
    // Embedded zones and mail identities live in the embedded store, or beside a DynamoDB one
    // in a file of their own.
    let wants_local =
        config.dns == ProviderChoice::Embedded || config.mail_domains == ProviderChoice::Embedded;
    let local = match (&embedded, wants_local) {
        (Some(store), _) => Some(store.clone()),
        (None, true) => Some(EmbeddedStore::open(
            &config.data_dir.join("provisioning.redb"),
        )?),
        (None, false) => None,
    };
    let local = || {
        local
            .clone()
            .ok_or_else(|| Error::internal("no embedded provisioning store"))
    };
    let zones: Arc<dyn crate::ports::Zones> = match config.dns {
        ProviderChoice::Embedded => Arc::new(local()?),
        ProviderChoice::Aws => Arc::new(crate::adapters::route53::Route53Zones::new(
            aws_sdk_route53::Client::new(aws()?),
        )),
    };
    let mail_domains: Arc<dyn crate::ports::MailDomains> = match config.mail_domains {
        ProviderChoice::Embedded => Arc::new(local()?),
        ProviderChoice::Aws => Arc::new(crate::adapters::ses_identities::SesMailDomains::new(
            aws_sdk_sesv2::Client::new(aws()?),
        )),
    };

    let mailer: Arc<dyn Mailer> = match &config.mail {
        MailChoice::Outbox => {
            let from =
                crate::adapters::mime::mailbox(&config.mail_from).map_err(Error::internal)?;
            Arc::new(OutboxMailer::new(
                config.data_dir.join("outbox"),
                from,
                Arc::clone(&keys),
                Arc::clone(&clock),
            ))
        }
        MailChoice::Ses => Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(aws()?),
            config.mail_from.clone(),
        )),
        MailChoice::Sqs { queue_url } => Arc::new(QueuedMailer::new(
            aws_sdk_sqs::Client::new(aws()?),
            queue_url.clone(),
        )),
    };
    let backups: Arc<dyn crate::ports::Backups> = match (&config.store, &embedded) {
        (StoreChoice::Embedded, Some(store)) => {
            Arc::new(crate::adapters::embedded::backup::EmbeddedBackups::new(
                store.clone(),
                config.data_dir.clone(),
                Arc::clone(&clock),
            ))
        }
        (StoreChoice::DynamoDb(tables), _) => Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(aws()?),
            tables.clone(),
        )),
        (StoreChoice::Embedded, None) => return Err(Error::internal("no embedded store")),
    };
    let captcha: Option<Arc<dyn Captcha>> = match &config.captcha {
        Some(c) => Some(Arc::new(Turnstile::new(
            c.verify_url.clone(),
            c.secret.clone(),
            &config.deadlines,
        )?)),
        None => None,
    };

    let deps = Deps {
        settings: config.settings.clone(),
        users: stores.users,
        sessions: stores.sessions,
        audit: stores.audit,
        counters: stores.counters,
        locks: stores.locks,
        ledger: stores.ledger,
        resources: stores.resources,
        tenant_secrets,
        captcha,
        databases,
        zones,
        mail_domains,
        mailer,
        backups,
        keys,
        clock,
        hasher: PasswordHasher::new(config.argon2)?,
    };
    Ok((deps, embedded))
}

/// A function's dependencies, built at its cold start. When that fails (Secrets Manager or the
/// network not answering in time), the function still starts: each invocation tries again and
/// answers 503 until one succeeds, rather than failing its start-up outside the contract.
pub struct ColdStart {
    config: Config,
    aws: Option<aws_config::SdkConfig>,
    deps: tokio::sync::OnceCell<Deps>,
}

impl ColdStart {
    /// Builds now, from the environment's AWS configuration or `aws`; keeps the failure for later.
    pub async fn new(config: Config, aws: Option<aws_config::SdkConfig>) -> Self {
        let started = std::time::Instant::now();
        let cold = Self {
            config,
            aws,
            deps: tokio::sync::OnceCell::new(),
        };
        match cold.deps().await {
            Ok(_) => {
                tracing::info!(target: "latch::cold_start", initMs = started.elapsed().as_secs_f64() * 1000.0, "dependencies built");
            }
            Err(err) => {
                tracing::error!(error = %crate::telemetry::error_chain(&err), "cold start failed; each request will try again");
            }
        }
        cold
    }

    /// The dependencies, built by this call if no earlier one managed to.
    pub async fn deps(&self) -> Result<&Deps, Error> {
        self.deps
            .get_or_try_init(|| build_with(&self.config, Arc::new(SystemClock), self.aws.clone()))
            .await
    }
}

/// One adapter behind every store port.
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub audit: Arc<dyn AuditLog>,
    pub counters: Arc<dyn Counters>,
    pub locks: Arc<dyn Locks>,
    pub ledger: Arc<dyn SpendLedger>,
    pub resources: Arc<dyn crate::ports::Resources>,
}

impl Stores {
    pub fn of<
        S: UserStore
            + SessionStore
            + AuditLog
            + Counters
            + Locks
            + SpendLedger
            + crate::ports::Resources
            + Clone
            + 'static,
    >(
        store: S,
    ) -> Self {
        Self {
            users: Arc::new(store.clone()),
            sessions: Arc::new(store.clone()),
            audit: Arc::new(store.clone()),
            counters: Arc::new(store.clone()),
            locks: Arc::new(store.clone()),
            ledger: Arc::new(store.clone()),
            resources: Arc::new(store),
        }
    }
}
