//! The keys' rotation in Secrets Manager's own protocol: four steps, each called with the new
//! version's token, each safe to call again. `createSecret` stores the rotated material under
//! `AWSPENDING`; `setSecret` has nothing to do (no other system holds these keys); `testSecret`
//! refuses material that would not load, sign and verify, or that would sign with a key that was
//! not published before; `finishSecret` moves `AWSCURRENT` to it. Until then every function keeps
//! the current material, so a failed step changes nothing anyone uses.

use crate::Error;
use crate::crypto::{AccessClaims, KeyRing, KeyStage, SecretMaterial};
use crate::ports::StagedSecret;
use time::OffsetDateTime;

/// One step of the rotation protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Set,
    Test,
    Finish,
}

impl Step {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "createSecret" => Some(Self::Create),
            "setSecret" => Some(Self::Set),
            "testSecret" => Some(Self::Test),
            "finishSecret" => Some(Self::Finish),
            _ => None,
        }
    }
}

/// What a rotation must respect.
#[derive(Debug, Clone, Copy)]
pub struct RotationRules {
    /// How long the key about to sign must have been published: long enough for every warm
    /// process to have re-read the keys and every cached JWKS to hold it, and for every token
    /// of the key about to be dropped to have expired. `for_settings` computes it.
    pub min_published: time::Duration,
}

impl RotationRules {
    /// The keys' TTL in processes, plus a JWKS cache of 5 minutes, plus the access tokens'
    /// lifetime, plus the 2 minutes of clock skew tokens are allowed.
    pub fn for_settings(keys_ttl: time::Duration, access_ttl: time::Duration) -> Self {
        Self {
            min_published: keys_ttl
                + time::Duration::minutes(5)
                + access_ttl
                + time::Duration::minutes(2),
        }
    }
}

/// The largest secret a rotation may write (Secrets Manager takes 64 KiB).
const MAX_SECRET_BYTES: usize = 60 * 1024;

fn bad(what: impl Into<String>) -> Error {
    Error::internal(format!("key rotation: {}", what.into()))
}

fn material(json: &str, which: &str) -> Result<SecretMaterial, Error> {
    serde_json::from_str(json).map_err(|e| bad(format!("the {which} secret is not material: {e}")))
}

/// Runs `step` for the version `token` of `secret`.
pub async fn run_step(
    secret: &dyn StagedSecret,
    step: Step,
    token: &str,
    now: OffsetDateTime,
    rules: RotationRules,
) -> Result<(), Error> {
    let versions = secret.versions().await?;
    let stages_of = |id: &str| {
        versions
            .iter()
            .find(|(v, _)| v == id)
            .map(|(_, stages)| stages.clone())
            .unwrap_or_default()
    };
    let stages = stages_of(token);
    if stages.iter().any(|s| s == "AWSCURRENT") {
        return Ok(()); // this rotation already finished
    }
    match step {
        Step::Create => {
            if secret.pending_value(token).await?.is_some() {
                return Ok(()); // created by an earlier call of this step
            }
            let mut next = material(&secret.current_value().await?, "current")?;
            next.rotate(now)?;
            let json = serde_json::to_string(&next).map_err(|e| bad(e.to_string()))?;
            secret.put_pending(token, &json).await
        }
        // The other steps act on the version Secrets Manager staged for this rotation only.
        _ if !stages.iter().any(|s| s == "AWSPENDING") => {
            Err(bad(format!("version {token} is not AWSPENDING")))
        }
        Step::Set => Ok(()),
        Step::Test | Step::Finish => {
            let pending = secret
                .pending_value(token)
                .await?
                .ok_or_else(|| bad(format!("version {token} has no pending value")))?;
            let current = material(&secret.current_value().await?, "current")?;
            // Finish tests again: it never promotes what has not passed.
            test(
                &current,
                &material(&pending, "pending")?,
                pending.len(),
                now,
                rules,
            )?;
            if step == Step::Test {
                return Ok(());
            }
            let from = versions
                .iter()
                .find(|(_, s)| s.iter().any(|s| s == "AWSCURRENT"))
                .map(|(id, _)| id.clone())
                .ok_or_else(|| bad("no version is AWSCURRENT"))?;
            secret.promote(token, &from).await
        }
    }
}

/// Whether `pending` (`size` bytes as stored) may replace `current`: it loads, signs a token
/// its own keys verify, signs with the key `current` published as next and published long
/// enough ago (`rules`), still publishes the key `current` signs with, keeps every data key, and
/// fits in a secret.
pub fn test(
    current: &SecretMaterial,
    pending: &SecretMaterial,
    size: usize,
    now: OffsetDateTime,
    rules: RotationRules,
) -> Result<(), Error> {
    if size > MAX_SECRET_BYTES {
        return Err(bad(format!(
            "the pending secret has {size} bytes, more than {MAX_SECRET_BYTES}"
        )));
    }
    let ring = KeyRing::from_material(pending)?;
    let iat = now.unix_timestamp();
    let claims = AccessClaims {
        iss: "latch-rotation-test".into(),
        aud: "latch-rotation-test".into(),
        sub: "rotation".into(),
        sid: "rotation".into(),
        roles: Vec::new(),
        iat,
        nbf: iat,
        exp: iat + 60,
        jti: crate::crypto::random::ulid(now),
    };
    let token = ring.sign_access(&claims)?;
    ring.verify_access(&token, &claims.iss, &claims.aud, now)
        .map_err(|e| {
            bad(format!(
                "a token signed with the pending keys does not verify: {e:?}"
            ))
        })?;
    let signs = pending.kid_of(KeyStage::Current);
    let published_next = current.kid_of(KeyStage::Next);
    let legacy_continues = published_next.is_none() && signs == current.kid_of(KeyStage::Current);
    if signs != published_next && !legacy_continues {
        return Err(bad(
            "the pending keys would sign with a key that was never published",
        ));
    }
    let still_verifies = current
        .kid_of(KeyStage::Current)
        .is_some_and(|kid| pending.signing_keys.iter().any(|k| k.kid == kid));
    if !still_verifies {
        return Err(bad("the pending keys drop the key that signs now"));
    }
    let published_at = current
        .signing_keys
        .iter()
        .find(|k| Some(k.kid.as_str()) == signs)
        .map(|k| k.created_at);
    if let Some(at) = published_at.filter(|at| now - *at < rules.min_published) {
        let wait = rules.min_published - (now - at);
        return Err(bad(format!(
            "the key that would sign was published too recently: rotate again in {} s (tokens of the key it drops may still be live, caches may not hold it yet)",
            wait.whole_seconds()
        )));
    }
    let kept = current.data_keys.iter().all(|old| {
        pending
            .data_keys
            .iter()
            .any(|k| k.id == old.id && k.key == old.key)
    });
    if !kept {
        return Err(bad(
            "the pending secret drops a data key: what it sealed would never open",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: RotationRules = RotationRules {
        min_published: time::Duration::ZERO,
    };

    fn size(m: &SecretMaterial) -> usize {
        serde_json::to_string(m).unwrap().len()
    }

    #[test]
    fn a_rotation_passes_its_test_and_anything_else_fails_it() {
        let now = OffsetDateTime::now_utc();
        let current = SecretMaterial::generate(now).unwrap();
        let mut pending = current.clone();
        pending.rotate(now).unwrap();
        test(&current, &pending, size(&pending), now, NO_WAIT).unwrap();
        // Two rotations at once would sign with a key never published.
        let mut twice = pending.clone();
        twice.rotate(now).unwrap();
        assert!(test(&current, &twice, size(&twice), now, NO_WAIT).is_err());
        // Fresh material shares nothing with what signs now.
        let unrelated = SecretMaterial::generate(now).unwrap();
        assert!(test(&current, &unrelated, size(&unrelated), now, NO_WAIT).is_err());
        assert!(
            test(&current, &current, size(&current), now, NO_WAIT).is_err(),
            "no rotation at all"
        );
        // Dropping a data key loses what it sealed.
        let mut dropped = pending.clone();
        dropped.data_keys.pop();
        assert!(test(&current, &dropped, size(&dropped), now, NO_WAIT).is_err());
        assert!(test(&current, &pending, MAX_SECRET_BYTES + 1, now, NO_WAIT).is_err());
    }

    #[test]
    fn a_key_signs_only_after_it_was_published_for_long_enough() {
        let minutes = |m| time::Duration::minutes(m);
        let rules = RotationRules::for_settings(minutes(10), minutes(15));
        assert_eq!(rules.min_published, minutes(32));
        let then = OffsetDateTime::now_utc() - minutes(31);
        let current = SecretMaterial::generate(then).unwrap();
        let mut pending = current.clone();
        let now = then + minutes(31);
        pending.rotate(now).unwrap();
        let refused = test(&current, &pending, size(&pending), now, rules).unwrap_err();
        assert!(refused.to_string().contains("too recently"), "{refused}");
        let later = then + minutes(32);
        test(&current, &pending, size(&pending), later, rules).unwrap();
    }

    #[test]
    fn steps_parse_from_the_protocols_names() {
        assert_eq!(Step::parse("createSecret"), Some(Step::Create));
        assert_eq!(Step::parse("finishSecret"), Some(Step::Finish));
        assert_eq!(Step::parse("rotate"), None);
    }
}
