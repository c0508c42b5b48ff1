//! `TenantSecrets`: tenants' secrets (database passwords) in AWS Secrets Manager, one secret
//! each, or locally one file each under `<data dir>/tenant-secrets/` (mode 0600).

use crate::Error;
use crate::ports::TenantSecrets;
use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use std::path::PathBuf;

/// The prefix of every tenant secret's name, so a policy can name them all and nothing else.
pub const PREFIX: &str = "latch/tenant/";

/// A name is ours: the prefix and then `[A-Za-z0-9_-]` only (a resource id, say).
fn checked(name: &str) -> Result<&str, Error> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name)
    } else {
        Err(Error::internal(
            "a tenant secret name must be a plain identifier",
        ))
    }
}

pub struct SecretsManagerTenantSecrets {
    client: Client,
}

impl SecretsManagerTenantSecrets {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl TenantSecrets for SecretsManagerTenantSecrets {
    async fn put(&self, name: &str, value: &str) -> Result<(), Error> {
        let id = format!("{PREFIX}{}", checked(name)?);
        let created = self
            .client
            .create_secret()
            .name(&id)
            .secret_string(value)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_exists_exception()) =>
            {
                self.client
                    .put_secret_value()
                    .secret_id(&id)
                    .secret_string(value)
                    .send()
                    .await
                    .map_err(|e| super::sdk_error("secretsmanager PutSecretValue (tenant)", e))?;
                Ok(())
            }
            Err(e) => Err(super::sdk_error("secretsmanager CreateSecret (tenant)", e)),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), Error> {
        let id = format!("{PREFIX}{}", checked(name)?);
        match self
            .client
            .delete_secret()
            .secret_id(&id)
            .force_delete_without_recovery(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(super::sdk_error("secretsmanager DeleteSecret (tenant)", e)),
        }
    }

    async fn exists(&self, name: &str) -> Result<bool, Error> {
        let id = format!("{PREFIX}{}", checked(name)?);
        match self.client.describe_secret().secret_id(&id).send().await {
            // A secret scheduled for deletion is as good as gone.
            Ok(out) => Ok(out.deleted_date().is_none()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(super::sdk_error(
                "secretsmanager DescribeSecret (tenant)",
                e,
            )),
        }
    }
}

/// One file per secret, written whole (a temporary file renamed into place), readable by the
/// owner of the process alone.
pub struct LocalTenantSecrets {
    dir: PathBuf,
}

impl LocalTenantSecrets {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn path(&self, name: &str) -> Result<PathBuf, Error> {
        Ok(self.dir.join(checked(name)?))
    }
}

fn io(what: &str, e: std::io::Error) -> Error {
    Error::internal(format!("tenant secret {what}: {e}"))
}

#[async_trait]
impl TenantSecrets for LocalTenantSecrets {
    async fn put(&self, name: &str, value: &str) -> Result<(), Error> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path(name)?;
        let (dir, value) = (self.dir.clone(), value.to_owned());
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(|e| io("folder", e))?;
            let tmp = path.with_extension("tmp");
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| io("write", e))?;
            file.write_all(value.as_bytes())
                .map_err(|e| io("write", e))?;
            file.sync_all().map_err(|e| io("sync", e))?;
            std::fs::rename(&tmp, &path).map_err(|e| io("rename", e))
        })
        .await
        .map_err(|e| Error::internal(format!("tenant secret task: {e}")))?
    }

    async fn delete(&self, name: &str) -> Result<(), Error> {
        match tokio::fs::remove_file(self.path(name)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", e)),
        }
    }

    async fn exists(&self, name: &str) -> Result<bool, Error> {
        Ok(tokio::fs::try_exists(self.path(name)?)
            .await
            .unwrap_or(false))
    }
}
