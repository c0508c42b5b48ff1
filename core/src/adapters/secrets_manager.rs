//! Secret material from AWS Secrets Manager: one secret (`LATCH_SECRET_ID`) holding the same
//! JSON as the local `secrets.json`.

use crate::Error;
use crate::crypto::SecretMaterial;
use crate::ports::SecretSource;
use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;

pub struct SecretsManagerSource {
    client: Client,
    secret_id: String,
}

impl SecretsManagerSource {
    pub fn new(client: Client, secret_id: String) -> Self {
        Self { client, secret_id }
    }
}

#[async_trait]
impl SecretSource for SecretsManagerSource {
    async fn load(&self) -> Result<SecretMaterial, Error> {
        let out = match self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            // Named, not left to the default: the emulator keeps the first version as the
            // default after a rotation moved AWSCURRENT.
            .version_stage("AWSCURRENT")
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(GetSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                return Err(Error::internal(format!(
                    "secret {} does not exist in Secrets Manager; create it with the output of `latch-local --print-new-secret`",
                    self.secret_id
                )));
            }
            Err(e) => return Err(super::sdk_error("secretsmanager GetSecretValue", e)),
        };
        let text = out.secret_string().ok_or_else(|| {
            Error::internal(format!("secret {} has no string value", self.secret_id))
        })?;
        serde_json::from_str(text).map_err(|e| {
            Error::internal(format!(
                "secret {} is not valid secret material: {e}",
                self.secret_id
            ))
        })
    }
}

/// The secret `secret_id` as the rotation function sees it (its versions and their stages).
pub struct StagedSecretsManager {
    client: Client,
    secret_id: String,
}

impl StagedSecretsManager {
    pub fn new(client: Client, secret_id: String) -> Self {
        Self { client, secret_id }
    }
}

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";

#[async_trait]
impl crate::ports::StagedSecret for StagedSecretsManager {
    async fn versions(&self) -> Result<Vec<(String, Vec<String>)>, Error> {
        let out = self
            .client
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| super::sdk_error("secretsmanager DescribeSecret", e))?;
        Ok(out
            .version_ids_to_stages()
            .map(|m| {
                m.iter()
                    .map(|(id, stages)| (id.clone(), stages.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn current_value(&self) -> Result<String, Error> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(CURRENT)
            .send()
            .await
            .map_err(|e| super::sdk_error("secretsmanager GetSecretValue (current)", e))?;
        out.secret_string()
            .map(str::to_owned)
            .ok_or_else(|| Error::internal("the current secret has no string value"))
    }

    async fn pending_value(&self, id: &str) -> Result<Option<String>, Error> {
        match self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_id(id)
            .version_stage(PENDING)
            .send()
            .await
        {
            Ok(out) => Ok(out.secret_string().map(str::to_owned)),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(GetSecretValueError::ResourceNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(super::sdk_error(
                "secretsmanager GetSecretValue (pending)",
                e,
            )),
        }
    }

    async fn put_pending(&self, id: &str, value: &str) -> Result<(), Error> {
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .client_request_token(id)
            .secret_string(value)
            .version_stages(PENDING)
            .send()
            .await
            .map_err(|e| super::sdk_error("secretsmanager PutSecretValue", e))?;
        Ok(())
    }

    async fn promote(&self, id: &str, from: &str) -> Result<(), Error> {
        self.client
            .update_secret_version_stage()
            .secret_id(&self.secret_id)
            .version_stage(CURRENT)
            .move_to_version_id(id)
            .remove_from_version_id(from)
            .send()
            .await
            .map_err(|e| super::sdk_error("secretsmanager UpdateSecretVersionStage", e))?;
        Ok(())
    }
}

/// The current string value of secret `id` (the tenant-database server's admin URL, say).
pub async fn secret_string(client: &Client, id: &str) -> Result<String, Error> {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .map_err(|e| super::sdk_error("secretsmanager GetSecretValue", e))?;
    out.secret_string()
        .map(str::to_owned)
        .ok_or_else(|| Error::internal(format!("the secret {id} holds no string")))
}
