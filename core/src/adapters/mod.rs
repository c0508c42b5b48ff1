//! Implementations of the ports: the embedded store and the AWS services, plus local stand-ins.

pub mod dynamo;
pub mod embedded;
pub mod local_secrets;
pub mod mime;
pub mod outbox;
pub mod secrets_manager;
pub mod ses;
pub mod turnstile;

/// Formats an AWS SDK error with its whole cause chain (the SDK's `Display` alone says
/// "service error" and nothing else).
pub(crate) fn sdk_error<E: std::error::Error + Send + Sync + 'static>(
    what: &str,
    err: E,
) -> crate::Error {
    let chain = crate::telemetry::error_chain(&err);
    crate::Error::unavailable(format!("{what}: {chain}"))
}
