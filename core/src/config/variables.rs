//! The table of every `LATCH_*` variable: its name, default and meaning. `Config` reads them;
//! the README's configuration table is held to this list by a test.

/// Every variable Latch reads, with its default (`None`: derived or optional) and meaning.
/// The README's configuration table is checked against this list.
pub const VARIABLES: &[(&str, Option<&str>, &str)] = &[
    (
        "LATCH_ADDR",
        Some("127.0.0.1:3000"),
        "address the local server listens on",
    ),
    (
        "LATCH_DATA_DIR",
        Some(".latch"),
        "embedded store, outbox and local secrets",
    ),
    ("LATCH_STORE", Some("embedded"), "`embedded` or `dynamodb`"),
    (
        "LATCH_FUNCTION",
        None,
        "on Lambda, the function the one bootstrap serves (the template sets it; latch-local ignores it)",
    ),
    (
        "LATCH_USERS_TABLE",
        Some("latch-users"),
        "DynamoDB users table",
    ),
    (
        "LATCH_SESSIONS_TABLE",
        Some("latch-sessions"),
        "DynamoDB sessions table",
    ),
    (
        "LATCH_AUDIT_TABLE",
        Some("latch-audit"),
        "DynamoDB audit table",
    ),
    (
        "LATCH_COUNTERS_TABLE",
        Some("latch-counters"),
        "DynamoDB table of rate-limit, failed-login and mail counters",
    ),
    (
        "LATCH_MAIL",
        Some("outbox"),
        "`outbox` (.eml files), `ses`, or `sqs` (enqueued; `mail-sender` sends through SES)",
    ),
    (
        "LATCH_MAIL_QUEUE_URL",
        None,
        "the SQS queue's URL, required with `LATCH_MAIL=sqs`",
    ),
    (
        "LATCH_MAIL_FROM",
        Some("Latch <no-reply@latch.localhost>"),
        "sender mailbox (its domain, and names under it, no tenant may take as a zone or hosting account)",
    ),
    (
        "LATCH_SECRETS",
        Some("local"),
        "`local` (secrets.json) or `secretsmanager`",
    ),
    (
        "LATCH_SECRET_ID",
        Some("latch/keys"),
        "Secrets Manager secret holding the keys",
    ),
    (
        "LATCH_PUBLIC_URL",
        None,
        "base URL of Latch in mailed links (default http://LATCH_ADDR)",
    ),
    (
        "LATCH_APP_URL",
        None,
        "base URL of the client app (default LATCH_PUBLIC_URL)",
    ),
    (
        "LATCH_ISSUER",
        None,
        "`iss` of access tokens (default LATCH_PUBLIC_URL)",
    ),
    ("LATCH_AUDIENCE", Some("latch"), "`aud` of access tokens"),
    (
        "LATCH_TRUST_PROXY",
        Some("false"),
        "local server only: client IP from the rightmost X-Forwarded-For",
    ),
    ("LATCH_ARGON2_M_KIB", Some("65536"), "Argon2id memory (KiB)"),
    ("LATCH_ARGON2_T", Some("3"), "Argon2id passes"),
    ("LATCH_ARGON2_P", Some("2"), "Argon2id lanes"),
    (
        "LATCH_ACCESS_TOKEN_TTL_S",
        Some("900"),
        "access token lifetime",
    ),
    (
        "LATCH_VERIFICATION_TTL_S",
        Some("86400"),
        "email verification token lifetime",
    ),
    (
        "LATCH_SESSION_IDLE_S",
        Some("1209600"),
        "session idle lifetime (14 days)",
    ),
    (
        "LATCH_SESSION_ABSOLUTE_S",
        Some("2592000"),
        "session absolute lifetime (30 days)",
    ),
    (
        "LATCH_REFRESH_REUSE_GRACE_S",
        Some("10"),
        "a spent refresh token replayed within this many seconds, from inside the binding, keeps the session",
    ),
    (
        "LATCH_SESSION_BIND_IP",
        Some("true"),
        "refresh also checks the client's /24 (IPv4) or /48 (IPv6) prefix",
    ),
    (
        "LATCH_RESET_TTL_S",
        Some("3600"),
        "password reset token lifetime",
    ),
    (
        "LATCH_BACKUP_RETENTION_DAYS",
        Some("30"),
        "`backup-tables` deletes this system's backups older than this many days",
    ),
    (
        "LATCH_UNVERIFIED_TTL_S",
        Some("604800"),
        "a never-verified account older than this is removed (7 days)",
    ),
    (
        "LATCH_PASSWORD_HISTORY",
        Some("5"),
        "how many recent passwords (the current one included) may not be reused",
    ),
    (
        "LATCH_PASSWORD_COMPOSITION",
        Some("false"),
        "also require upper, lower, digit and symbol",
    ),
    (
        "LATCH_PASSWORD_MIN_SCORE",
        Some("3"),
        "least zxcvbn score (0..=4) a new password needs",
    ),
    (
        "LATCH_LOG",
        Some("info"),
        "log filter (tracing EnvFilter syntax)",
    ),
    (
        "LATCH_CAPTCHA",
        Some("off"),
        "`off` (never required) or `turnstile` (required after repeated failed logins)",
    ),
    (
        "LATCH_TURNSTILE_SECRET",
        None,
        "Turnstile secret key (required with LATCH_CAPTCHA=turnstile)",
    ),
    (
        "LATCH_TURNSTILE_HOSTNAMES",
        None,
        "comma-separated hostnames a Turnstile answer must name (required with LATCH_CAPTCHA=turnstile)",
    ),
    (
        "LATCH_TURNSTILE_VERIFY_URL",
        Some("https://challenges.cloudflare.com/turnstile/v0/siteverify"),
        "Turnstile siteverify endpoint",
    ),
    (
        "LATCH_CAPTCHA_AFTER",
        Some("3"),
        "failed logins (per email or address, within the lockout window) before CAPTCHA is required",
    ),
    (
        "LATCH_LOCKOUT_THRESHOLD",
        Some("5"),
        "failed passwords for one email within the window that lock it",
    ),
    (
        "LATCH_LOCKOUT_WINDOW_S",
        Some("900"),
        "window of the failed-login counts",
    ),
    (
        "LATCH_LOCKOUT_DURATION_S",
        Some("900"),
        "how long an automatic lock lasts",
    ),
    (
        "LATCH_RATE_REGISTER_PER_MIN",
        Some("3"),
        "registrations per client address and minute (0 = off)",
    ),
    (
        "LATCH_RATE_LOGIN_PER_MIN",
        Some("5"),
        "logins per client address and minute (0 = off)",
    ),
    (
        "LATCH_RATE_FORGOT_PER_HOUR",
        Some("3"),
        "forgot-password requests per client address and hour (0 = off)",
    ),
    (
        "LATCH_RATE_RESET_PER_HOUR",
        Some("5"),
        "reset-password requests per client address and hour (0 = off)",
    ),
    (
        "LATCH_RATE_RESEND_PER_HOUR",
        Some("3"),
        "resend-verification requests per client address and hour (0 = off)",
    ),
    (
        "LATCH_RATE_STRENGTH_PER_MIN",
        Some("30"),
        "password-strength requests per client address and minute (0 = off)",
    ),
    (
        "LATCH_RATE_CHANGE_PASSWORD_PER_15MIN",
        Some("5"),
        "change-password attempts per user and per client address in 15 minutes (0 = off)",
    ),
    (
        "LATCH_RATE_2FA_PER_MIN",
        Some("10"),
        "2fa/verify and recovery-login requests per client address and minute (0 = off)",
    ),
    (
        "LATCH_RATE_2FA_SETTINGS_PER_15MIN",
        Some("5"),
        "2fa enable-init, enable-complete, disable and recovery-codes attempts per user and per client address in 15 minutes (0 = off)",
    ),
    (
        "LATCH_MFA_ISSUER",
        Some("Latch"),
        "the issuer an authenticator app shows beside the account (in the otpauth URL; no colon)",
    ),
    (
        "LATCH_MFA_TOKEN_TTL_S",
        Some("300"),
        "how long the mfaToken of a login waits for its code (single use)",
    ),
    (
        "LATCH_MFA_ENROLL_TTL_S",
        Some("900"),
        "how long a secret from 2fa/enable-init waits for enable-complete",
    ),
    (
        "LATCH_MFA_LOCK_AFTER",
        Some("5"),
        "failed codes or recovery codes that lock the second factor",
    ),
    (
        "LATCH_MFA_LOCK_S",
        Some("300"),
        "the first MFA lock; each further lock in a row doubles it",
    ),
    (
        "LATCH_MFA_LOCK_MAX_S",
        Some("86400"),
        "the longest MFA lock; after any lock CAPTCHA is required for the next code (when CAPTCHA is on)",
    ),
    (
        "LATCH_FREE_MAX_SPEND_CAP_CENTS",
        Some("0"),
        "the highest monthly spend cap a FREE account may set",
    ),
    (
        "LATCH_PRO_MAX_SPEND_CAP_CENTS",
        Some("1000000"),
        "the highest monthly spend cap a PRO account may set",
    ),
    (
        "LATCH_FREE_RESOURCES_PER_KIND",
        Some("1"),
        "resources of each kind (database, DNS zone, mail domain, hosting account) a FREE account may hold",
    ),
    (
        "LATCH_PRO_RESOURCES_PER_KIND",
        Some("10"),
        "resources of each kind a PRO account may hold",
    ),
    (
        "LATCH_PG_ADMIN_URL",
        None,
        "the PostgreSQL server tenant databases are made on, as `postgres://user:password@host:port/db` (a superuser, or a role with CREATEDB, CREATEROLE, pg_read_all_stats and pg_signal_backend that owns the server's other databases); unset, provisioning has no databases",
    ),
    (
        "LATCH_DNS",
        Some("embedded"),
        "where DNS zones are hosted: `embedded` (a zone store in the data directory) or `route53`",
    ),
    (
        "LATCH_MAIL_DOMAINS",
        Some("embedded"),
        "where mail domains' sending identities live: `embedded` (DKIM keys kept in the data directory) or `ses` (SES domain identities)",
    ),
    (
        "LATCH_PG_ADMIN_SECRET_ID",
        None,
        "instead of LATCH_PG_ADMIN_URL (on AWS): the Secrets Manager secret whose value is that URL, read at cold start",
    ),
    (
        "LATCH_AUDIT_EXPORT_ROWS",
        Some("10000"),
        "audit events per CSV export response (1 to 10000); the rest follow through `Link: rel=\"next\"`",
    ),
    (
        "LATCH_PRO_PRICE_DATABASE_CENTS",
        Some("500"),
        "a month of one database on PRO, charged when it is created (FREE resources cost nothing)",
    ),
    (
        "LATCH_PRO_PRICE_DNS_ZONE_CENTS",
        Some("50"),
        "a month of one DNS zone on PRO",
    ),
    (
        "LATCH_PRO_PRICE_MAIL_DOMAIN_CENTS",
        Some("100"),
        "a month of one mail domain on PRO (a hosting account costs the sum of its three parts)",
    ),
    (
        "LATCH_KEYS_TTL_S",
        Some("600"),
        "how long a running process keeps the keys it read before reading them again (a rotation reaches every warm function within it)",
    ),
    (
        "LATCH_ADMIN_EMAIL",
        None,
        "the first administrator, made (verified, role ADMIN) when `latch-local` starts, if absent; with LATCH_ADMIN_PASSWORD",
    ),
    (
        "LATCH_ADMIN_PASSWORD",
        None,
        "that administrator's password (must meet the policy, or start-up stops); an existing verified account is made ADMIN only if this is its password",
    ),
    (
        "LATCH_MAIL_PER_ACCOUNT_PER_HOUR",
        Some("100"),
        "link mail (verification, reset) to one address per hour (0 = off); security notices are never dropped",
    ),
    (
        "LATCH_MAIL_REGISTRATION_NOTICES_PER_DAY",
        Some("3"),
        "\"someone tried to register with your address\" notices to one address per day (0 = off)",
    ),
    (
        "LATCH_AWS_CONNECT_TIMEOUT_MS",
        Some("1000"),
        "opening a connection to an AWS endpoint",
    ),
    (
        "LATCH_AWS_ATTEMPT_TIMEOUT_MS",
        Some("1500"),
        "one attempt of an AWS call",
    ),
    (
        "LATCH_AWS_OPERATION_TIMEOUT_MS",
        Some("3000"),
        "one AWS call, all attempts and back-off included",
    ),
    (
        "LATCH_AWS_MAX_ATTEMPTS",
        Some("2"),
        "attempts of one AWS call (standard retry mode), the first included",
    ),
    (
        "LATCH_CAPTCHA_TIMEOUT_MS",
        Some("2000"),
        "one Turnstile siteverify request",
    ),
    (
        "LATCH_REQUEST_DEADLINE_MS",
        Some("4500"),
        "a whole request; past it the answer is 503 `unavailable`",
    ),
];
