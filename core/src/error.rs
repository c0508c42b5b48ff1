//! The one error type of the core. `http::problem` maps each variant to a status and `code`.

use crate::domain::FieldError;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Everything a use case can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed JSON, a wrong type, an unknown field: `detail` says which, never echoing values.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("weak password")]
    WeakPassword(Vec<FieldError>),
    /// The new password is one of the last ones.
    #[error("password reused")]
    PasswordReused(Vec<FieldError>),
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A one-time token in a body or query (verification, reset): 400.
    #[error("invalid one-time token")]
    InvalidOneTimeToken,
    /// A credential (access, refresh or MFA token): 401.
    #[error("invalid token")]
    InvalidToken,
    /// A spent refresh token presented again.
    #[error("refresh token reused")]
    TokenReused,
    #[error("session binding mismatch")]
    SessionBindingMismatch,
    #[error("email not verified")]
    EmailNotVerified,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// The path exists with other methods (local server only; API Gateway answers these itself).
    #[error("method not allowed")]
    MethodNotAllowed { allowed: String },
    #[error("conflict")]
    Conflict,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("captcha required")]
    CaptchaRequired,
    #[error("captcha invalid")]
    CaptchaInvalid,
    #[error("account locked")]
    AccountLocked { retry_after_secs: u64 },
    /// A wrong, replayed or malformed TOTP or recovery code: 401.
    #[error("invalid code")]
    InvalidCode,
    /// Too many wrong codes: the second factor is refused for a while.
    #[error("mfa locked")]
    MfaLocked { retry_after_secs: u64 },
    /// A charge would take the month's spend above the cap: refused whole (402).
    #[error("spend cap reached")]
    SpendCapReached,
    /// More resources than the plan allows (a downgrade, or one more resource): 402.
    #[error("plan quota exceeded")]
    PlanQuotaExceeded,
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (store, mail, secrets) failed or timed out: 503, worth a retry. Adapters
    /// make it with `telemetry::outage`, which logs and counts it.
    #[error("dependency unavailable: {0}")]
    Unavailable(#[source] Source),
    /// A provider this deployment has no setting for (`LATCH_PG_ADMIN_URL`, say): 503 with a
    /// detail naming the setting. Not worth a retry until an operator sets it.
    #[error("not configured: {0}")]
    NotConfigured(&'static str),
    /// A bug or broken invariant: 500.
    #[error("internal error: {0}")]
    Internal(#[source] Source),
}

/// A dependency call that failed or did not answer in time: the source of an `Unavailable`
/// made by an adapter (`telemetry::outage` builds, logs and counts it).
#[derive(Debug)]
pub struct Outage {
    /// What was called: `dynamodb GetItem`, `ses SendEmail`, `turnstile siteverify`.
    pub operation: String,
    /// Whether a deadline ended it (the call may still have taken effect) rather than an answer.
    pub timed_out: bool,
    /// The provider's words, with addresses redacted.
    pub detail: String,
}

impl Outage {
    /// The dependency: the operation's first word (`dynamodb`, `ses`, `turnstile`).
    pub fn dependency(&self) -> &str {
        self.operation.split(' ').next().unwrap_or_default()
    }
}

impl std::fmt::Display for Outage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.timed_out {
            "timed out"
        } else {
            "failed"
        };
        write!(f, "{} {what}: {}", self.operation, self.detail)
    }
}

impl std::error::Error for Outage {}

impl Error {
    pub fn internal(what: impl Into<String>) -> Self {
        Error::Internal(what.into().into())
    }
}
