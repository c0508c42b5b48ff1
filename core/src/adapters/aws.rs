//! What every AWS SDK client shares: the deadlines and retry mode it runs under, and one
//! reading of its errors.

use crate::deadlines::{Deadlines, INITIAL_BACKOFF};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
// The one `SdkError` of the smithy runtime; every service crate re-exports the same type.
use aws_sdk_dynamodb::error::SdkError;

/// `sdk` with connect, per-attempt and whole-operation timeouts and the standard retry mode
/// with a bounded number of attempts: every client is built from this, whatever loaded `sdk`.
pub fn bounded(sdk: &SdkConfig, deadlines: &Deadlines) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(deadlines.connect)
        .operation_attempt_timeout(deadlines.attempt)
        .operation_timeout(deadlines.operation)
        .build();
    let retries = RetryConfig::standard()
        .with_max_attempts(deadlines.max_attempts)
        .with_initial_backoff(INITIAL_BACKOFF);
    sdk.to_builder()
        .timeout_config(timeouts)
        .retry_config(retries)
        .build()
}

/// An AWS SDK error as a 503: logged with `what` (`dynamodb GetItem`), whether a deadline
/// ended it, and its whole cause chain.
pub(crate) fn sdk_error<E, R>(what: &str, err: SdkError<E, R>) -> crate::Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let timed_out = match &err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_timeout(),
        _ => false,
    };
    crate::telemetry::outage_of(what, timed_out, &err)
}
