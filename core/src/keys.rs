//! The keys of a running process, re-read from their source at most every `LATCH_KEYS_TTL_S`,
//! so a rotation reaches every warm container within that time. One refresh is in flight at a
//! time: the request that finds the keys stale reads them, every other request goes on with
//! the ones it has. A refresh that fails keeps the old keys (logged, counted) and is tried again
//! a little later.

use crate::crypto::KeyRing;
use crate::ports::SecretSource;
use std::sync::{Arc, Mutex, RwLock};
use time::{Duration, OffsetDateTime};

/// How long after a failed refresh the next is tried.
const RETRY_AFTER_FAILURE: Duration = Duration::seconds(30);

pub struct Keys {
    ring: RwLock<Arc<KeyRing>>,
    source: Option<Arc<dyn SecretSource>>,
    ttl: Duration,
    due: Mutex<OffsetDateTime>,
    refreshing: tokio::sync::Mutex<()>,
}

impl Keys {
    /// Keys that never change (tests, tools).
    pub fn fixed(ring: KeyRing) -> Self {
        Self {
            ring: RwLock::new(Arc::new(ring)),
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
            ring: RwLock::new(Arc::new(ring)),
            source: Some(source),
            ttl,
            due: Mutex::new(now + ttl),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The keys as they stand.
    pub fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(ring) => Arc::clone(&ring),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// HMAC of `data` under the current log-hashing key (see `KeyRing::keyed_hash`).
    pub fn keyed_hash(&self, data: &str) -> String {
        self.ring().keyed_hash(data)
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
        match source.load().await.and_then(|m| KeyRing::from_material(&m)) {
            Ok(ring) => {
                if let Ok(mut held) = self.ring.write() {
                    *held = Arc::new(ring);
                }
                self.set_due(now + self.ttl);
            }
            Err(err) => {
                let error = crate::telemetry::error_chain(&err);
                tracing::error!(target: "latch::keys", error = %error, "re-reading the keys failed; the keys read before stay in use");
                let at_ms = crate::metrics::epoch_ms(now);
                crate::metrics::emit(&crate::metrics::security("KeyRefreshFailures", at_ms));
                self.set_due(now + RETRY_AFTER_FAILURE.min(self.ttl));
            }
        }
    }
}
