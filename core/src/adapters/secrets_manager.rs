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
