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
        Step::Set => Ok(()),
        Step::Test => {
            let pending = secret
                .pending_value(token)
                .await?
                .ok_or_else(|| bad(format!("version {token} has no pending value")))?;
            let pending = material(&pending, "pending")?;
            let current = material(&secret.current_value().await?, "current")?;
            test(&current, &pending, now)
        }
        Step::Finish => {
            let from = versions
                .iter()
                .find(|(_, s)| s.iter().any(|s| s == "AWSCURRENT"))
                .map(|(id, _)| id.clone())
                .ok_or_else(|| bad("no version is AWSCURRENT"))?;
            if !stages.iter().any(|s| s == "AWSPENDING") {
                return Err(bad(format!("version {token} is not AWSPENDING")));
            }
            secret.promote(token, &from).await
        }
    }
}

/// Whether `pending` may replace `current`: it loads, signs a token its own keys verify, signs
/// with the key `current` published as next, and still publishes the key `current` signs with.
pub fn test(
    current: &SecretMaterial,
    pending: &SecretMaterial,
    now: OffsetDateTime,
) -> Result<(), Error> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_passes_its_test_and_anything_else_fails_it() {
        let now = OffsetDateTime::now_utc();
        let current = SecretMaterial::generate(now).unwrap();
        let mut pending = current.clone();
        pending.rotate(now).unwrap();
        test(&current, &pending, now).unwrap();
        // Two rotations at once would sign with a key never published.
        let mut twice = pending.clone();
        twice.rotate(now).unwrap();
        assert!(test(&current, &twice, now).is_err());
        // Fresh material shares nothing with what signs now.
        let unrelated = SecretMaterial::generate(now).unwrap();
        assert!(test(&current, &unrelated, now).is_err());
        assert!(test(&current, &current, now).is_err(), "no rotation at all");
    }

    #[test]
    fn steps_parse_from_the_protocols_names() {
        assert_eq!(Step::parse("createSecret"), Some(Step::Create));
        assert_eq!(Step::parse("finishSecret"), Some(Step::Finish));
        assert_eq!(Step::parse("rotate"), None);
    }
}
