//! The keys of a running process, re-read from their source at most every `LATCH_KEYS_TTL_S`,
//! so a rotation reaches every warm container within that time. One refresh is in flight at a
//! time: the request that finds the keys stale reads them, every other request goes on with
//! the ones it has. A refresh that fails keeps the old keys (logged, counted) and is tried again
//! a little later.

use crate::Error;
use crate::crypto::KeyRing;
use crate::ports::SecretSource;
use std::sync::{Arc, Mutex, RwLock};
use time::{Duration, OffsetDateTime};

/// How long after a failed refresh the next is tried.
const RETRY_AFTER_FAILURE: Duration = Duration::seconds(30);

pub struct Keys {
    /// `None` in a function deployed without keys (`Keys::none`).
    ring: RwLock<Option<Arc<KeyRing>>>,
    source: Option<Arc<dyn SecretSource>>,
    ttl: Duration,
    due: Mutex<OffsetDateTime>,
    refreshing: tokio::sync::Mutex<()>,
}

impl Keys {
    /// Keys that never change (tests, tools).
    pub fn fixed(ring: KeyRing) -> Self {
        Self {
            ring: RwLock::new(Some(Arc::new(ring))),
            source: None,
            ttl: Duration::MAX,
            due: Mutex::new(OffsetDateTime::UNIX_EPOCH),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Keys read at `now` from `source`, to be read again once `ttl` has passed.
    pub fn refreshed_from(
        ring: KeyRing,
        source: Arc<dyn SecretSource>,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            ring: RwLock::new(Some(Arc::new(ring))),
            source: Some(source),
            ttl,
            due: Mutex::new(now + ttl),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// No keys at all, for a function whose route or job uses none (`Config::keys_needed`
    /// false): its policy cannot read the secret. Every use is an error, logged, so a keyless
    /// route that starts using a key fails loudly instead of signing with keys nobody trusts.
    pub fn none() -> Self {
        Self {
            ring: RwLock::new(None),
            source: None,
            ttl: Duration::MAX,
            due: Mutex::new(OffsetDateTime::UNIX_EPOCH),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The keys as they stand; an error in a function deployed without keys.
    pub fn ring(&self) -> Result<Arc<KeyRing>, Error> {
        let held = match self.ring.read() {
            Ok(ring) => ring.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        held.ok_or_else(|| {
            tracing::error!(target: "latch::keys", "a key was used in a function deployed without keys (http::routes::KEYLESS)");
            Error::internal("this function was deployed without keys, yet used one")
        })
    }

    /// HMAC of `data` under the current log-hashing key (see `KeyRing::keyed_hash`), to name a
    /// user or recipient in logs only; "unhashable" (and the error logged) without keys.
    pub fn keyed_hash(&self, data: &str) -> String {
        self.ring()
            .map_or_else(|_| String::from("unhashable"), |ring| ring.keyed_hash(data))
    }

    fn is_due(&self, now: OffsetDateTime) -> bool {
        self.source.is_some() && self.due.lock().map_or(true, |due| now >= *due)
    }

    fn set_due(&self, at: OffsetDateTime) {
        if let Ok(mut due) = self.due.lock() {
            *due = at;
        }
    }

    /// Reads the keys again if they are older than the TTL and no other request is doing so.
    pub async fn refresh_if_due(&self, now: OffsetDateTime) {
        let Some(source) = self.source.as_ref().filter(|_| self.is_due(now)) else {
            return;
        };
        let Ok(_only_one) = self.refreshing.try_lock() else {
            return;
        };
        if !self.is_due(now) {
            return; // another request refreshed while this one waited for the lock
        }
        // Should this request be cut short while reading (its deadline), the next try still
        // waits a while: a slow source holds up at most one request in each such interval.
        self.set_due(now + RETRY_AFTER_FAILURE.min(self.ttl));
        match source
            .reload()
            .await
            .and_then(|m| KeyRing::from_material(&m))
        {
            Ok(ring) => {
                if let Ok(mut held) = self.ring.write() {
                    *held = Some(Arc::new(ring));
                }
                self.set_due(now + self.ttl);
            }
            Err(err) => {
                let error = crate::telemetry::error_chain(&err);
                tracing::error!(target: "latch::keys", error = %error, "re-reading the keys failed; the keys read before stay in use");
                let at_ms = crate::metrics::epoch_ms(now);
                crate::metrics::emit(&crate::metrics::security("KeyRefreshFailures", at_ms));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretMaterial;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source that takes a while and counts its reads; `fail` makes each read fail.
    struct Slow {
        material: SecretMaterial,
        reads: AtomicUsize,
        fail: bool,
    }

    #[async_trait::async_trait]
    impl SecretSource for Slow {
        async fn load(&self) -> Result<SecretMaterial, Error> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if self.fail {
                return Err(Error::internal("unreadable"));
            }
            Ok(self.material.clone())
        }
    }

    fn keys(fail: bool) -> (Arc<Keys>, Arc<Slow>, OffsetDateTime) {
        let now = OffsetDateTime::now_utc();
        let first = SecretMaterial::generate(now).unwrap();
        let mut rotated = first.clone();
        rotated.rotate(now).unwrap();
        let source = Arc::new(Slow {
            material: rotated,
            reads: AtomicUsize::new(0),
            fail,
        });
        let ring = KeyRing::from_material(&first).unwrap();
        let ttl = Duration::seconds(600);
        let keys =
            Keys::refreshed_from(ring, Arc::clone(&source) as Arc<dyn SecretSource>, ttl, now);
        (Arc::new(keys), source, now)
    }

    #[tokio::test]
    async fn a_function_without_keys_refuses_every_use_of_one() {
        let keys = Keys::none();
        assert!(matches!(keys.ring(), Err(Error::Internal(_))));
        assert_eq!(keys.keyed_hash("x@example.com"), "unhashable");
        keys.refresh_if_due(OffsetDateTime::now_utc()).await;
        assert!(keys.ring().is_err(), "nothing to refresh from");
    }

    #[tokio::test]
    async fn only_one_request_reads_stale_keys_and_the_rest_go_on_with_the_old_ones() {
        let (keys, source, now) = keys(false);
        let before = keys.ring().unwrap().jwks().keys.len();
        keys.refresh_if_due(now + Duration::seconds(599)).await;
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            0,
            "within the TTL nothing is read"
        );
        let later = now + Duration::seconds(601);
        let mut all = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let keys = Arc::clone(&keys);
            all.spawn(async move { keys.refresh_if_due(later).await });
        }
        while all.join_next().await.is_some() {}
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            1,
            "one refresh in flight"
        );
        assert_eq!(
            keys.ring().unwrap().jwks().keys.len(),
            before + 1,
            "the rotated keys are in use"
        );
        keys.refresh_if_due(later + Duration::seconds(1)).await;
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            1,
            "and stay for another TTL"
        );
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_old_keys_and_tries_again_later() {
        let (keys, source, now) = keys(true);
        let kid = keys.ring().unwrap().jwks().keys[0].kid.clone();
        let later = now + Duration::seconds(601);
        keys.refresh_if_due(later).await;
        assert_eq!(keys.ring().unwrap().jwks().keys[0].kid, kid);
        keys.refresh_if_due(later + Duration::seconds(10)).await;
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            1,
            "not on every request"
        );
        keys.refresh_if_due(later + Duration::seconds(31)).await;
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            2,
            "again after a while"
        );
    }

    #[tokio::test]
    async fn fixed_keys_are_never_read_again() {
        let now = OffsetDateTime::now_utc();
        let ring = KeyRing::from_material(&SecretMaterial::generate(now).unwrap()).unwrap();
        let keys = Keys::fixed(ring);
        keys.refresh_if_due(now + Duration::days(365)).await;
        assert_eq!(keys.ring().unwrap().jwks().keys.len(), 2);
    }
}
