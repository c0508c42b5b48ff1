//! The one source of randomness: the operating system's CSPRNG.

use time::OffsetDateTime;

/// Fills `buf` from the OS CSPRNG. If the kernel cannot give randomness there is no safe way to
/// go on (every token would be guessable), so the process aborts rather than degrade.
pub fn fill(buf: &mut [u8]) {
    if let Err(err) = getrandom::fill(buf) {
        eprintln!("fatal: the operating system's random number generator failed: {err}");
        std::process::abort();
    }
}

/// 256 random bits, the size of every token Latch issues.
pub fn bytes32() -> [u8; 32] {
    let mut b = [0u8; 32];
    fill(&mut b);
    b
}

/// A ULID: 48 bits of milliseconds since the epoch, then 80 random bits.
pub fn ulid(now: OffsetDateTime) -> String {
    let millis = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let mut r = [0u8; 16];
    fill(&mut r[6..]);
    ulid::Ulid::from_parts(millis, u128::from_be_bytes(r)).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ulids_sort_by_time() {
        let t0 = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let a = super::ulid(t0);
        let b = super::ulid(t0 + time::Duration::milliseconds(1));
        assert!(a < b);
        assert_eq!(a.len(), 26);
    }

    #[test]
    fn random_bytes_differ() {
        assert_ne!(super::bytes32(), super::bytes32());
    }
}
