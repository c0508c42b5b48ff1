//! The composition root: turns a `Config` into `Deps`, choosing one adapter per port.

use crate::Error;
use crate::adapters::dynamo::DynamoStore;
use crate::adapters::embedded::EmbeddedStore;
use crate::adapters::local_secrets::LocalSecrets;
use crate::adapters::outbox::OutboxMailer;
use crate::adapters::secrets_manager::SecretsManagerSource;
use crate::adapters::ses::SesMailer;
use crate::config::{Config, MailChoice, SecretsChoice, StoreChoice};
use crate::crypto::{KeyRing, PasswordHasher};
use crate::ports::{AuditLog, Clock, Mailer, SecretSource, SessionStore, SystemClock, UserStore};
use crate::service::Deps;
use std::sync::Arc;

/// Builds every dependency once, for a Lambda cold start or the local server.
pub async fn build(config: &Config) -> Result<Deps, Error> {
    build_with(config, Arc::new(SystemClock), None).await
}

/// Like `build`, with the clock and (optionally) the AWS SDK configuration given instead of
/// read from the environment.
pub async fn build_with(
    config: &Config,
    clock: Arc<dyn Clock>,
    aws: Option<aws_config::SdkConfig>,
) -> Result<Deps, Error> {
    let needs_aws = config.store != StoreChoice::Embedded
        || config.mail == MailChoice::Ses
        || config.secrets != SecretsChoice::Local;
    let aws = match aws {
        Some(given) => Some(given),
        None if needs_aws => {
            Some(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
        }
        None => None,
    };
    let aws = || {
        aws.as_ref()
            .ok_or_else(|| Error::internal("AWS configuration was not loaded"))
    };

    let source: Box<dyn SecretSource> = match &config.secrets {
        SecretsChoice::Local => Box::new(LocalSecrets::new(config.data_dir.join("secrets.json"))),
        SecretsChoice::SecretsManager { secret_id } => Box::new(SecretsManagerSource::new(
            aws_sdk_secretsmanager::Client::new(aws()?),
            secret_id.clone(),
        )),
    };
    let keys = Arc::new(KeyRing::from_material(&source.load().await?)?);

    let (users, sessions, audit): (Arc<dyn UserStore>, Arc<dyn SessionStore>, Arc<dyn AuditLog>) =
        match &config.store {
            StoreChoice::Embedded => {
                let store = EmbeddedStore::open(&config.data_dir.join("latch.redb"))?;
                (
                    Arc::new(store.clone()),
                    Arc::new(store.clone()),
                    Arc::new(store),
                )
            }
            StoreChoice::DynamoDb(tables) => {
                let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(aws()?), tables.clone());
                (
                    Arc::new(store.clone()),
                    Arc::new(store.clone()),
                    Arc::new(store),
                )
            }
        };

    let mailer: Arc<dyn Mailer> = match config.mail {
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
    };

    Ok(Deps {
        settings: config.settings.clone(),
        users,
        sessions,
        audit,
        mailer,
        keys,
        clock,
        hasher: PasswordHasher::new(config.argon2)?,
    })
}
