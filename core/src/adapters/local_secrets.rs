//! Local secrets: `<data dir>/secrets.json`, generated on first start with mode 0600.

use crate::Error;
use crate::crypto::SecretMaterial;
use crate::ports::SecretSource;
use async_trait::async_trait;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

/// `<secrets file>.lock`, held while one rotation reads, rotates and writes, so two at once
/// cannot lose one's keys. A lock left by a crash is named in the error, to be removed by hand.
struct RotationLock(PathBuf);

impl RotationLock {
    fn take(secrets: &std::path::Path) -> Result<Self, Error> {
        let path = secrets.with_extension("json.lock");
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => Ok(Self(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(Error::internal(format!(
                    "{} exists: another rotation is running (or crashed; remove the file)",
                    path.display()
                )))
            }
            Err(e) => Err(Error::internal(format!("{}: {e}", path.display()))),
        }
    }
}

impl Drop for RotationLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub struct LocalSecrets {
    path: PathBuf,
}

impl LocalSecrets {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    fn load_blocking(&self) -> Result<SecretMaterial, Error> {
        let fail = |what: String| Error::internal(format!("{}: {what}", self.path.display()));
        match std::fs::metadata(&self.path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(fail(format!(
                        "is readable by others (mode {mode:o}); run: chmod 600 {}",
                        self.path.display()
                    )));
                }
                let text = std::fs::read_to_string(&self.path).map_err(|e| fail(e.to_string()))?;
                let material: SecretMaterial = serde_json::from_str(&text)
                    .map_err(|e| fail(format!("is not valid secret material: {e}")))?;
                if material.data_keys.is_empty() {
                    return self.add_data_key(material);
                }
                Ok(material)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.generate(),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// Material written before data keys existed gets one, written back in place, so a local
    /// setup keeps its signing keys.
    fn add_data_key(&self, mut material: SecretMaterial) -> Result<SecretMaterial, Error> {
        material.add_data_key(time::OffsetDateTime::now_utc());
        self.replace(&material)?;
        tracing::info!(target: "latch::keys", path = %self.path.display(), "added a data key");
        Ok(material)
    }

    /// One rotation of the file's material (see `SecretMaterial::rotate`), written atomically,
    /// refused while the key that would sign was published less than `min_published` ago (see
    /// `key_rotation::RotationRules`); a running server reads it within `LATCH_KEYS_TTL_S`.
    pub fn rotate(
        &self,
        now: time::OffsetDateTime,
        min_published: time::Duration,
    ) -> Result<SecretMaterial, Error> {
        let _lock = RotationLock::take(&self.path)?;
        let current = self.load_blocking()?;
        let mut material = current.clone();
        material.rotate(now)?;
        let size = serde_json::to_vec(&material).map_or(usize::MAX, |j| j.len());
        let rules = crate::service::key_rotation::RotationRules { min_published };
        crate::service::key_rotation::test(&current, &material, size, now, rules)?;
        self.replace(&material)?;
        tracing::info!(target: "latch::keys", path = %self.path.display(), "rotated the keys");
        Ok(material)
    }

    /// Writes `material` over the file: a new file of mode 0600 beside it (created afresh under
    /// a random name, so no leftover or planted file or link is written through), fsynced,
    /// renamed over the old (readers see the old file or the new one, never a half-written
    /// one), and the directory fsynced so the rename survives a crash.
    fn replace(&self, material: &SecretMaterial) -> Result<(), Error> {
        let fail = |what: String| Error::internal(format!("{}: {what}", self.path.display()));
        let json = serde_json::to_vec_pretty(material).map_err(|e| fail(e.to_string()))?;
        let suffix = crate::crypto::hex(&crate::crypto::random::bytes32()[..8]);
        let staged = self.path.with_extension(format!("json.{suffix}.new"));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&staged)
            .and_then(|mut file| {
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                file.write_all(&json)?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&staged, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&staged);
            return Err(fail(e.to_string()));
        }
        if let Some(dir) = self.path.parent()
            && let Ok(dir) = std::fs::File::open(dir)
        {
            dir.sync_all().map_err(|e| fail(e.to_string()))?;
        }
        Ok(())
    }

    fn generate(&self) -> Result<SecretMaterial, Error> {
        let fail = |what: String| Error::internal(format!("{}: {what}", self.path.display()));
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let material = SecretMaterial::generate(time::OffsetDateTime::now_utc())?;
        let json = serde_json::to_vec_pretty(&material).map_err(|e| fail(e.to_string()))?;
        // create_new: if another process won the race, use its file instead of overwriting.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
        {
            Ok(mut file) => {
                file.write_all(&json)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| fail(e.to_string()))?;
                tracing::info!(target: "latch::keys", path = %self.path.display(), "generated new signing keys");
                Ok(material)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.load_blocking(),
            Err(e) => Err(fail(e.to_string())),
        }
    }
}

#[async_trait]
impl SecretSource for LocalSecrets {
    async fn load(&self) -> Result<SecretMaterial, Error> {
        self.load_blocking()
    }

    async fn reload(&self) -> Result<SecretMaterial, Error> {
        if !self.path.exists() {
            return Err(Error::internal(format!(
                "{} is gone; keeping the keys read before",
                self.path.display()
            )));
        }
        self.load_blocking()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyRing;

    #[tokio::test]
    async fn rotating_the_file_moves_each_key_one_stage_and_keeps_its_mode() {
        use crate::crypto::KeyStage;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let source = LocalSecrets::new(path.clone());
        let before = source.load().await.unwrap();
        let now = time::OffsetDateTime::now_utc();
        let early = source.rotate(now, time::Duration::minutes(32)).unwrap_err();
        assert!(early.to_string().contains("too recently"), "{early}");
        let rotated = source.rotate(now, time::Duration::ZERO).unwrap();
        assert_eq!(
            rotated.kid_of(KeyStage::Current),
            before.kid_of(KeyStage::Next)
        );
        assert_eq!(
            rotated.kid_of(KeyStage::Previous),
            before.kid_of(KeyStage::Current)
        );
        let reread = source.load().await.unwrap();
        assert_eq!(
            reread.kid_of(KeyStage::Next),
            rotated.kid_of(KeyStage::Next)
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(
            !path.with_extension("json.new").exists(),
            "nothing left half-way"
        );
    }

    #[tokio::test]
    async fn material_from_before_data_keys_gets_one_and_keeps_its_signing_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let mut old = SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
        old.data_keys.clear();
        std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let source = LocalSecrets::new(path.clone());
        let upgraded = source.load().await.unwrap();
        assert_eq!(upgraded.data_keys.len(), 1);
        assert_eq!(upgraded.signing_keys[0].kid, old.signing_keys[0].kid);
        KeyRing::from_material(&upgraded).unwrap();
        let again = source.load().await.unwrap();
        assert_eq!(
            again.data_keys[0].id, upgraded.data_keys[0].id,
            "written back once"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[tokio::test]
    async fn generates_once_with_mode_0600_and_reloads_the_same_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/secrets.json");
        let first = LocalSecrets::new(path.clone()).load().await.unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let again = LocalSecrets::new(path.clone()).load().await.unwrap();
        assert_eq!(first.signing_keys[0].kid, again.signing_keys[0].kid);
        assert!(KeyRing::from_material(&again).is_ok());
    }

    #[tokio::test]
    async fn refuses_a_world_readable_or_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        LocalSecrets::new(path.clone()).load().await.unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = LocalSecrets::new(path.clone())
            .load()
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(LocalSecrets::new(path).load().await.is_err());
    }
}
