//! The `rotate-keys` function: Secrets Manager calls it for each step of a rotation of the keys
//! secret (`AWS::SecretsManager::RotationSchedule` in the template). A failed step is an
//! invocation error; Secrets Manager tries the step again.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use latch_core::adapters::secrets_manager::StagedSecretsManager;
use latch_core::service::key_rotation::{self, RotationRules, Step};
use latch_core::telemetry;

/// What Secrets Manager sends a rotation function.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationEvent {
    pub secret_id: String,
    pub client_request_token: String,
    pub step: String,
}

pub async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = latch_core::config::Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sdk = latch_core::adapters::aws::bounded(&sdk, &config.deadlines);
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let rules = RotationRules::for_settings(config.keys_ttl, config.settings.access_ttl);
    let ours = match &config.secrets {
        latch_core::config::SecretsChoice::SecretsManager { secret_id } => secret_id.clone(),
        latch_core::config::SecretsChoice::Local => {
            return Err(
                "rotate-keys needs LATCH_SECRETS=secretsmanager and LATCH_SECRET_ID".into(),
            );
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<RotationEvent>| {
        let (client, ours) = (client.clone(), ours.clone());
        async move {
            // Only the keys secret: an event naming another secret is refused.
            let id = &event.payload.secret_id;
            if id != &ours && !id.contains(&format!(":secret:{ours}-")) {
                return Err(format!("rotate-keys rotates {ours}, not {id}").into());
            }
            handle(client, event.payload, rules).await
        }
    }))
    .await
}

/// One step, exactly as the runtime calls it, so tests can drive it on the emulator.
pub async fn handle(
    client: aws_sdk_secretsmanager::Client,
    event: RotationEvent,
    rules: RotationRules,
) -> Result<(), lambda_runtime::Error> {
    let step = Step::parse(&event.step).ok_or_else(|| format!("unknown step {:?}", event.step))?;
    let secret = StagedSecretsManager::new(client, event.secret_id);
    let now = time::OffsetDateTime::now_utc();
    key_rotation::run_step(&secret, step, &event.client_request_token, now, rules)
        .await
        .map_err(|e| {
            let error = telemetry::error_chain(&e);
            tracing::error!(target: "latch::keys", step = %event.step, error = %error, "rotation step failed");
            e.into()
        })
}
