//! A clock tests control: it starts mid-way through a 15-minute window (so fixed windows are not
//! crossed by accident), ticks one millisecond per reading (so creation order stays strict), and
//! moves on only when a test advances it.

use latch_core::ports::Clock;
use std::sync::atomic::{AtomicI64, Ordering};
use time::{Duration, OffsetDateTime};

pub struct TestClock {
    base: OffsetDateTime,
    offset_ms: AtomicI64,
}

impl TestClock {
    pub fn new() -> Self {
        let now = OffsetDateTime::now_utc();
        let quarter = now.unix_timestamp() - now.unix_timestamp().rem_euclid(900);
        let base = OffsetDateTime::from_unix_timestamp(quarter + 450).unwrap();
        Self {
            base,
            offset_ms: AtomicI64::new(0),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(
            i64::try_from(by.whole_milliseconds()).unwrap(),
            Ordering::SeqCst,
        );
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        self.base + Duration::milliseconds(self.offset_ms.fetch_add(1, Ordering::SeqCst))
    }
}
