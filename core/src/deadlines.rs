//! How long any call to a dependency may take, and how long a whole request may. Defaults are
//! chosen so a request whose dependency hangs answers 503 well inside the API's 5 s bound and
//! the function's timeout; `docs/DESIGN-NOTES.md` ("Deadlines") states the arithmetic.

use std::time::Duration;

/// Every time bound, from `LATCH_AWS_*`, `LATCH_CAPTCHA_TIMEOUT_MS` and `LATCH_REQUEST_DEADLINE_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// Opening a connection to an AWS endpoint.
    pub connect: Duration,
    /// One attempt of an AWS call, from sending to the last byte of the answer.
    pub attempt: Duration,
    /// One AWS call, every attempt and the back-off between them included.
    pub operation: Duration,
    /// Attempts of one AWS call (the standard retry mode), the first included.
    pub max_attempts: u32,
    /// One Turnstile siteverify request, connecting included.
    pub captcha: Duration,
    /// A whole request: when it passes, the request answers 503 whatever it was waiting on.
    pub request: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1000),
            attempt: Duration::from_millis(1500),
            operation: Duration::from_millis(3000),
            max_attempts: 2,
            captcha: Duration::from_millis(2000),
            request: Duration::from_millis(4500),
        }
    }
}

/// The back-off before the first retry (the standard mode doubles it, with jitter, for each
/// further one). Short, because the operation deadline, not the back-off, bounds a call.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);

/// The seconds a 503 asks the client to wait (`Retry-After`). With the request deadline this
/// stays inside the refresh reuse grace, so a client retrying a refresh whose answer was lost
/// is taken for the retry it is.
pub const UNAVAILABLE_RETRY_AFTER_S: u64 = 2;

impl Deadlines {
    /// Why these bounds cannot work together, if they cannot (each must fit inside the next):
    /// the variable to change, and what it must be.
    pub fn inconsistency(&self) -> Option<(&'static str, &'static str)> {
        if self.max_attempts == 0 || self.max_attempts > 10 {
            Some(("LATCH_AWS_MAX_ATTEMPTS", "must be 1 to 10"))
        } else if self.connect > self.attempt {
            Some((
                "LATCH_AWS_CONNECT_TIMEOUT_MS",
                "must not exceed LATCH_AWS_ATTEMPT_TIMEOUT_MS",
            ))
        } else if self.attempt > self.operation {
            Some((
                "LATCH_AWS_ATTEMPT_TIMEOUT_MS",
                "must not exceed LATCH_AWS_OPERATION_TIMEOUT_MS",
            ))
        } else if self.operation >= self.request || self.captcha >= self.request {
            Some((
                "LATCH_REQUEST_DEADLINE_MS",
                "must exceed LATCH_AWS_OPERATION_TIMEOUT_MS and LATCH_CAPTCHA_TIMEOUT_MS",
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_nest_and_answer_inside_the_api_bound() {
        let d = Deadlines::default();
        assert_eq!(d.inconsistency(), None);
        // A hung dependency costs one operation; the request deadline caps anything slower.
        assert!(d.request < Duration::from_secs(5));
        // Two attempts and the longest first back-off fit in one operation.
        assert!(d.attempt * d.max_attempts <= d.operation + INITIAL_BACKOFF);
        // A client waiting Retry-After after a 503 retries within the 10 s refresh reuse grace.
        assert!(
            d.request + Duration::from_secs(UNAVAILABLE_RETRY_AFTER_S) < Duration::from_secs(10)
        );
    }

    #[test]
    fn bounds_that_do_not_nest_are_refused() {
        let base = Deadlines::default();
        let cases = [
            Deadlines {
                max_attempts: 0,
                ..base
            },
            Deadlines {
                connect: base.attempt + Duration::from_millis(1),
                ..base
            },
            Deadlines {
                attempt: base.operation + Duration::from_millis(1),
                ..base
            },
            Deadlines {
                operation: base.request,
                ..base
            },
            Deadlines {
                captcha: base.request,
                ..base
            },
        ];
        for case in cases {
            assert!(case.inconsistency().is_some(), "{case:?}");
        }
    }
}
