//! `Config::from_env()`: every setting from one `LATCH_*` variable, checked at start-up; an
//! unknown `LATCH_*` name or a bad value stops the process with one line naming the variable.

mod variables;
pub use variables::VARIABLES;

use crate::adapters::dynamo::TableNames;
use crate::crypto::Argon2Params;
use crate::deadlines::Deadlines;
use crate::service::Settings;
use std::net::SocketAddr;
use std::path::PathBuf;
use time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    Embedded,
    DynamoDb(TableNames),
}

/// A provider of provisioned resources: in the data directory, or the AWS service
/// (`LATCH_DNS`: Route 53; `LATCH_MAIL_DOMAINS`: SES).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderChoice {
    Embedded,
    Aws,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailChoice {
    Outbox,
    Ses,
    /// Enqueued on this SQS queue; the `mail-sender` function sends through SES.
    Sqs {
        queue_url: String,
    },
}

/// The first administrator `latch-local` makes at start (`LATCH_ADMIN_EMAIL`, `_PASSWORD`).
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSeed {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for AdminSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminSeed { email: <redacted>, password: <redacted> }")
    }
}

/// Turnstile's siteverify endpoint and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CaptchaChoice {
    pub verify_url: String,
    pub secret: String,
    /// The hostnames (of the pages showing the widget) an answer must name.
    pub hostnames: Vec<String>,
}

impl std::fmt::Debug for CaptchaChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CaptchaChoice {{ verify_url: {:?}, secret: <redacted> }}",
            self.verify_url
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsChoice {
    Local,
    SecretsManager { secret_id: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub store: StoreChoice,
    pub mail: MailChoice,
    pub mail_from: String,
    pub secrets: SecretsChoice,
    pub trust_proxy: bool,
    pub captcha: Option<CaptchaChoice>,
    /// Set when both `LATCH_ADMIN_EMAIL` and `LATCH_ADMIN_PASSWORD` are.
    pub admin: Option<AdminSeed>,
    pub argon2: Argon2Params,
    pub deadlines: Deadlines,
    /// How long a process keeps the keys it read before reading them again (`LATCH_KEYS_TTL_S`).
    pub keys_ttl: Duration,
    /// Whether the process reads the keys secret at all: not set from the environment but by a
    /// function whose route or job uses no key (`http::routes::KEYLESS`), so its policy needs
    /// no `GetSecretValue` and its cold start no secret fetch.
    pub keys_needed: bool,
    /// The tenant-database server; its `Debug` never shows the URL.
    pub databases: Option<DatabaseServer>,
    pub dns: ProviderChoice,
    pub mail_domains: ProviderChoice,
    pub settings: Settings,
}

/// Where the tenant-database server's admin URL comes from.
#[derive(Debug, Clone)]
pub enum DatabaseServer {
    /// `LATCH_PG_ADMIN_URL`, parsed at start.
    Url(Box<crate::adapters::postgres::PostgresDatabases>),
    /// `LATCH_PG_ADMIN_SECRET_ID`: a Secrets Manager secret holding the URL, read at cold start.
    Secret {
        secret_id: String,
        deadline: std::time::Duration,
    },
}

/// A bad setting: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: String,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        for (name, _) in std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))) {
            if name.starts_with("LATCH_") && !VARIABLES.iter().any(|(known, _, _)| *known == name) {
                return Err(ConfigError {
                    var: name,
                    problem: "unknown variable (see the README's configuration table)".into(),
                });
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let v = Vars(&lookup);
        let addr: SocketAddr = v.parse("LATCH_ADDR", "a socket address like 127.0.0.1:3000")?;
        let public_url = match v.get("LATCH_PUBLIC_URL") {
            Some(url) => url_var("LATCH_PUBLIC_URL", url)?,
            None => format!("http://{addr}"),
        };
        let mut settings = Settings::defaults(&public_url);
        if let Some(url) = v.get("LATCH_APP_URL") {
            settings.app_url = url_var("LATCH_APP_URL", url)?;
        }
        settings.issuer = v.get("LATCH_ISSUER").unwrap_or(settings.issuer);
        settings.audience = v.string("LATCH_AUDIENCE")?;
        settings.access_ttl = v.seconds("LATCH_ACCESS_TOKEN_TTL_S")?;
        settings.verification_ttl = v.seconds("LATCH_VERIFICATION_TTL_S")?;
        settings.session_idle = v.seconds("LATCH_SESSION_IDLE_S")?;
        settings.session_absolute = v.seconds("LATCH_SESSION_ABSOLUTE_S")?;
        let grace: i64 = v.parse("LATCH_REFRESH_REUSE_GRACE_S", "a whole number of seconds")?;
        if grace < 0 {
            return Err(v.bad("LATCH_REFRESH_REUSE_GRACE_S", "zero or more seconds"));
        }
        settings.refresh_reuse_grace = Duration::seconds(grace);
        settings.bind_ip_on_refresh = v.parse("LATCH_SESSION_BIND_IP", "true or false")?;
        let min_score: u8 = v.parse("LATCH_PASSWORD_MIN_SCORE", "a score from 0 to 4")?;
        if min_score > 4 {
            return Err(v.bad("LATCH_PASSWORD_MIN_SCORE", "a score from 0 to 4"));
        }
        settings.password_policy.min_score = min_score;
        settings.password_policy.composition =
            v.parse("LATCH_PASSWORD_COMPOSITION", "true or false")?;
        settings.reset_ttl = v.seconds("LATCH_RESET_TTL_S")?;
        settings.unverified_ttl = v.seconds("LATCH_UNVERIFIED_TTL_S")?;
        let retention: i64 = v.parse("LATCH_BACKUP_RETENTION_DAYS", "a whole number of days")?;
        if !(1..=3650).contains(&retention) {
            return Err(v.bad("LATCH_BACKUP_RETENTION_DAYS", "1 to 3650 days"));
        }
        settings.backup_retention = Duration::days(retention);
        settings.password_history = v.parse("LATCH_PASSWORD_HISTORY", "a whole number")?;
        if settings.password_history == 0 || settings.password_history > 24 {
            return Err(v.bad("LATCH_PASSWORD_HISTORY", "1 to 24"));
        }
        settings.limits = crate::service::Limits {
            register_per_min: v.parse("LATCH_RATE_REGISTER_PER_MIN", "a whole number")?,
            login_per_min: v.parse("LATCH_RATE_LOGIN_PER_MIN", "a whole number")?,
            forgot_per_hour: v.parse("LATCH_RATE_FORGOT_PER_HOUR", "a whole number")?,
            reset_per_hour: v.parse("LATCH_RATE_RESET_PER_HOUR", "a whole number")?,
            resend_per_hour: v.parse("LATCH_RATE_RESEND_PER_HOUR", "a whole number")?,
            strength_per_min: v.parse("LATCH_RATE_STRENGTH_PER_MIN", "a whole number")?,
            mail_per_account_per_hour: v
                .parse("LATCH_MAIL_PER_ACCOUNT_PER_HOUR", "a whole number")?,
            registration_notices_per_day: v
                .parse("LATCH_MAIL_REGISTRATION_NOTICES_PER_DAY", "a whole number")?,
            change_password_per_15_min: v
                .parse("LATCH_RATE_CHANGE_PASSWORD_PER_15MIN", "a whole number")?,
            mfa_per_min: v.parse("LATCH_RATE_2FA_PER_MIN", "a whole number")?,
            mfa_settings_per_15_min: v
                .parse("LATCH_RATE_2FA_SETTINGS_PER_15MIN", "a whole number")?,
        };
        settings.mfa = crate::service::MfaSettings {
            issuer: v.string("LATCH_MFA_ISSUER")?,
            token_ttl: v.seconds("LATCH_MFA_TOKEN_TTL_S")?,
            enroll_ttl: v.seconds("LATCH_MFA_ENROLL_TTL_S")?,
            lock_after: v.parse("LATCH_MFA_LOCK_AFTER", "a whole number of failures")?,
            lock: v.seconds("LATCH_MFA_LOCK_S")?,
            lock_max: v.seconds("LATCH_MFA_LOCK_MAX_S")?,
        };
        let pro_prices = crate::service::Prices {
            database: v.parse("LATCH_PRO_PRICE_DATABASE_CENTS", "whole cents")?,
            dns_zone: v.parse("LATCH_PRO_PRICE_DNS_ZONE_CENTS", "whole cents")?,
            mail_domain: v.parse("LATCH_PRO_PRICE_MAIL_DOMAIN_CENTS", "whole cents")?,
        };
        settings.plans = crate::service::PlanSettings {
            pro_prices,
            free: crate::domain::billing::PlanRules {
                max_spend_cap_cents: v.parse("LATCH_FREE_MAX_SPEND_CAP_CENTS", "whole cents")?,
                resources_per_kind: v.parse("LATCH_FREE_RESOURCES_PER_KIND", "a whole number")?,
            },
            pro: crate::domain::billing::PlanRules {
                max_spend_cap_cents: v.parse("LATCH_PRO_MAX_SPEND_CAP_CENTS", "whole cents")?,
                resources_per_kind: v.parse("LATCH_PRO_RESOURCES_PER_KIND", "a whole number")?,
            },
        };
        for (name, rules) in [
            ("LATCH_FREE_MAX_SPEND_CAP_CENTS", settings.plans.free),
            ("LATCH_PRO_MAX_SPEND_CAP_CENTS", settings.plans.pro),
        ] {
            if i64::try_from(rules.max_spend_cap_cents).is_err() {
                return Err(v.bad(name, "at most 2^63-1 cents"));
            }
        }
        settings.audit_export_rows =
            v.parse("LATCH_AUDIT_EXPORT_ROWS", "a whole number of rows")?;
        if !(1..=crate::service::MAX_EXPORT_ROWS).contains(&settings.audit_export_rows) {
            return Err(v.bad("LATCH_AUDIT_EXPORT_ROWS", "1 to 10000 rows"));
        }
        if settings.mfa.issuer.contains(':') {
            // The Key Uri Format splits its label on the colon: apps would misread the account.
            return Err(v.bad("LATCH_MFA_ISSUER", "a name without a colon"));
        }
        if settings.mfa.lock_max < settings.mfa.lock {
            return Err(v.bad("LATCH_MFA_LOCK_MAX_S", "at least LATCH_MFA_LOCK_S"));
        }
        if settings.mfa.lock_after == 0 {
            return Err(v.bad("LATCH_MFA_LOCK_AFTER", "at least 1 failure"));
        }
        settings.lockout.threshold =
            v.parse("LATCH_LOCKOUT_THRESHOLD", "a whole number of failures")?;
        if settings.lockout.threshold == 0 {
            return Err(v.bad("LATCH_LOCKOUT_THRESHOLD", "at least 1 failure"));
        }
        settings.lockout.window = v.seconds("LATCH_LOCKOUT_WINDOW_S")?;
        settings.lockout.duration = v.seconds("LATCH_LOCKOUT_DURATION_S")?;
        settings.lockout.captcha_after =
            v.parse("LATCH_CAPTCHA_AFTER", "a whole number of failures")?;
        let captcha = match v.string("LATCH_CAPTCHA")?.as_str() {
            "off" => None,
            "turnstile" => Some(CaptchaChoice {
                verify_url: url_var(
                    "LATCH_TURNSTILE_VERIFY_URL",
                    v.string("LATCH_TURNSTILE_VERIFY_URL")?,
                )?,
                secret: v.string("LATCH_TURNSTILE_SECRET")?,
                hostnames: hostnames(&v.string("LATCH_TURNSTILE_HOSTNAMES")?).ok_or_else(|| {
                    v.bad("LATCH_TURNSTILE_HOSTNAMES", "hostnames, comma-separated")
                })?,
            }),
            _ => return Err(v.bad("LATCH_CAPTCHA", "one of off, turnstile")),
        };
        settings.captcha = captcha.is_some();
        settings.captcha_hostnames = captcha
            .as_ref()
            .map(|c| c.hostnames.clone())
            .unwrap_or_default();
        let store = match v.string("LATCH_STORE")?.as_str() {
            "embedded" => StoreChoice::Embedded,
            "dynamodb" => StoreChoice::DynamoDb(TableNames {
                counters: v.string("LATCH_COUNTERS_TABLE")?,
                users: v.string("LATCH_USERS_TABLE")?,
                sessions: v.string("LATCH_SESSIONS_TABLE")?,
                audit: v.string("LATCH_AUDIT_TABLE")?,
            }),
            _ => return Err(v.bad("LATCH_STORE", "one of embedded, dynamodb")),
        };
        let mail = match v.string("LATCH_MAIL")?.as_str() {
            "outbox" => MailChoice::Outbox,
            "ses" => MailChoice::Ses,
            "sqs" => match v.get("LATCH_MAIL_QUEUE_URL") {
                Some(queue_url)
                    if queue_url.starts_with("https://") || queue_url.starts_with("http://") =>
                {
                    MailChoice::Sqs { queue_url }
                }
                Some(_) => return Err(v.bad("LATCH_MAIL_QUEUE_URL", "the queue's URL")),
                None => {
                    return Err(ConfigError {
                        var: "LATCH_MAIL_QUEUE_URL".into(),
                        problem: "is required with LATCH_MAIL=sqs".into(),
                    });
                }
            },
            _ => return Err(v.bad("LATCH_MAIL", "one of outbox, ses, sqs")),
        };
        let dns = match v.string("LATCH_DNS")?.as_str() {
            "embedded" => ProviderChoice::Embedded,
            "route53" => ProviderChoice::Aws,
            _ => return Err(v.bad("LATCH_DNS", "one of embedded, route53")),
        };
        let mail_domains = match v.string("LATCH_MAIL_DOMAINS")?.as_str() {
            "embedded" => ProviderChoice::Embedded,
            "ses" => ProviderChoice::Aws,
            _ => return Err(v.bad("LATCH_MAIL_DOMAINS", "one of embedded, ses")),
        };
        let mail_from = v.string("LATCH_MAIL_FROM")?;
        let sender = crate::adapters::mime::mailbox(&mail_from).map_err(|problem| ConfigError {
            var: "LATCH_MAIL_FROM".into(),
            problem,
        })?;
        settings.sending_domain = sender.email.domain().to_ascii_lowercase();
        let secrets = match v.string("LATCH_SECRETS")?.as_str() {
            "local" => SecretsChoice::Local,
            "secretsmanager" => SecretsChoice::SecretsManager {
                secret_id: v.string("LATCH_SECRET_ID")?,
            },
            _ => return Err(v.bad("LATCH_SECRETS", "one of local, secretsmanager")),
        };
        let argon2 = Argon2Params {
            m_kib: v.parse("LATCH_ARGON2_M_KIB", "KiB")?,
            t: v.parse("LATCH_ARGON2_T", "passes")?,
            p: v.parse("LATCH_ARGON2_P", "lanes")?,
        };
        if !(1..=255).contains(&argon2.p) {
            return Err(v.bad("LATCH_ARGON2_P", "1 to 255 lanes"));
        }
        if argon2.t < 1 {
            return Err(v.bad("LATCH_ARGON2_T", "at least 1 pass"));
        }
        if argon2.m_kib < 8 * argon2.p || crate::crypto::PasswordHasher::new(argon2).is_err() {
            return Err(v.bad("LATCH_ARGON2_M_KIB", "at least 8 KiB per lane"));
        }
        let deadlines = Deadlines {
            connect: v.millis("LATCH_AWS_CONNECT_TIMEOUT_MS")?,
            attempt: v.millis("LATCH_AWS_ATTEMPT_TIMEOUT_MS")?,
            operation: v.millis("LATCH_AWS_OPERATION_TIMEOUT_MS")?,
            max_attempts: v.parse("LATCH_AWS_MAX_ATTEMPTS", "a whole number of attempts")?,
            captcha: v.millis("LATCH_CAPTCHA_TIMEOUT_MS")?,
            request: v.millis("LATCH_REQUEST_DEADLINE_MS")?,
        };
        if let Some((var, problem)) = deadlines.inconsistency() {
            return Err(ConfigError {
                var: var.into(),
                problem: problem.into(),
            });
        }
        settings.request_deadline = deadlines.request;
        let admin = match (v.get("LATCH_ADMIN_EMAIL"), (lookup)("LATCH_ADMIN_PASSWORD")) {
            (None, None) => None,
            (Some(email), Some(password)) if !password.is_empty() => {
                Some(AdminSeed { email, password })
            }
            (None, Some(_)) => {
                return Err(v.bad("LATCH_ADMIN_EMAIL", "set with LATCH_ADMIN_PASSWORD"));
            }
            (Some(_), _) => {
                return Err(v.bad(
                    "LATCH_ADMIN_PASSWORD",
                    "set, not empty, with LATCH_ADMIN_EMAIL",
                ));
            }
        };
        let keys_ttl = v.seconds("LATCH_KEYS_TTL_S")?;
        if keys_ttl > Duration::days(1) {
            return Err(v.bad("LATCH_KEYS_TTL_S", "at most 86400 seconds"));
        }
        let databases = match (
            v.get("LATCH_PG_ADMIN_URL"),
            v.get("LATCH_PG_ADMIN_SECRET_ID"),
        ) {
            (Some(_), Some(_)) => {
                return Err(ConfigError {
                    var: "LATCH_PG_ADMIN_SECRET_ID".into(),
                    problem: "set LATCH_PG_ADMIN_URL or LATCH_PG_ADMIN_SECRET_ID, not both".into(),
                });
            }
            (None, None) => None,
            (None, Some(secret_id)) => Some(DatabaseServer::Secret {
                secret_id,
                deadline: deadlines.operation,
            }),
            (Some(url), None) => Some(DatabaseServer::Url(Box::new(
                crate::adapters::postgres::PostgresDatabases::new(&url, deadlines.operation)
                    // Never `bad`: the value holds the admin password and must not be echoed.
                    .map_err(|problem| ConfigError {
                        var: "LATCH_PG_ADMIN_URL".into(),
                        problem: format!("{problem} (the value is not shown: it holds a password)"),
                    })?,
            ))),
        };
        Ok(Self {
            keys_ttl,
            keys_needed: true,
            databases,
            dns,
            mail_domains,
            admin,
            addr,
            data_dir: PathBuf::from(v.string("LATCH_DATA_DIR")?),
            store,
            mail,
            mail_from,
            secrets,
            trust_proxy: v.parse("LATCH_TRUST_PROXY", "true or false")?,
            captcha,
            argon2,
            deadlines,
            settings,
        })
    }
}

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    fn string(&self, name: &str) -> Result<String, ConfigError> {
        let default = VARIABLES
            .iter()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, d, _)| *d);
        self.get(name)
            .or(default.map(str::to_owned))
            .ok_or_else(|| ConfigError {
                var: name.into(),
                problem: "is required".into(),
            })
    }

    fn parse<T: std::str::FromStr>(&self, name: &str, expected: &str) -> Result<T, ConfigError> {
        self.string(name)?
            .parse()
            .map_err(|_| self.bad(name, expected))
    }

    fn seconds(&self, name: &str) -> Result<Duration, ConfigError> {
        let secs: i64 = self.parse(name, "a whole number of seconds")?;
        if secs <= 0 {
            return Err(self.bad(name, "a positive number of seconds"));
        }
        Ok(Duration::seconds(secs))
    }

    fn millis(&self, name: &str) -> Result<std::time::Duration, ConfigError> {
        let ms: u64 = self.parse(name, "a whole number of milliseconds")?;
        if ms == 0 {
            return Err(self.bad(name, "a positive number of milliseconds"));
        }
        Ok(std::time::Duration::from_millis(ms))
    }

    fn bad(&self, name: &str, expected: &str) -> ConfigError {
        let got = self.get(name).unwrap_or_default();
        let shown: String = got.chars().take(60).collect();
        ConfigError {
            var: name.into(),
            problem: format!("expected {expected}, got {shown:?}"),
        }
    }
}

/// A comma-separated list of lower-cased DNS names; `None` when empty or when one is not a name.
fn hostnames(raw: &str) -> Option<Vec<String>> {
    let names: Vec<String> = raw
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let valid = |h: &String| {
        !h.is_empty()
            && h.len() <= 253
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    names.iter().all(valid).then_some(names)
}

fn url_var(name: &str, url: String) -> Result<String, ConfigError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(ConfigError {
            var: name.into(),
            problem: format!("expected an http(s) URL, got {url:?}"),
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_local_setup() {
        let c = with(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.store, StoreChoice::Embedded);
        assert_eq!(c.mail, MailChoice::Outbox);
        assert_eq!(c.secrets, SecretsChoice::Local);
        assert_eq!(c.settings.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.settings.issuer, c.settings.public_url);
        assert_eq!(c.argon2, Argon2Params::default());
        assert_eq!(c.settings.access_ttl, Duration::minutes(15));
        assert!(!c.trust_proxy);
        assert_eq!(c.deadlines, Deadlines::default());
        assert_eq!(c.settings.request_deadline, Deadlines::default().request);
    }

    #[test]
    fn aws_choices_read_their_names() {
        let c = with(&[
            ("LATCH_STORE", "dynamodb"),
            ("LATCH_USERS_TABLE", "u"),
            ("LATCH_SECRETS", "secretsmanager"),
            ("LATCH_SECRET_ID", "k"),
        ])
        .unwrap();
        assert_eq!(
            c.store,
            StoreChoice::DynamoDb(TableNames {
                users: "u".into(),
                sessions: "latch-sessions".into(),
                audit: "latch-audit".into(),
                counters: "latch-counters".into(),
            })
        );
        assert_eq!(
            c.secrets,
            SecretsChoice::SecretsManager {
                secret_id: "k".into()
            }
        );
    }

    #[test]
    fn the_first_administrator_needs_both_variables_and_keeps_the_password_as_typed() {
        let alone = with(&[("LATCH_ADMIN_PASSWORD", "p")]).unwrap_err();
        assert_eq!(alone.var, "LATCH_ADMIN_EMAIL");
        let alone = with(&[("LATCH_ADMIN_EMAIL", "root@example.com")]).unwrap_err();
        assert_eq!(alone.var, "LATCH_ADMIN_PASSWORD");
        let both = [
            ("LATCH_ADMIN_EMAIL", "root@example.com"),
            ("LATCH_ADMIN_PASSWORD", " spaced pass phrase "),
        ];
        let seed = with(&both).unwrap().admin.unwrap();
        assert_eq!(seed.password, " spaced pass phrase ");
        assert!(!format!("{seed:?}").contains("spaced"));
        assert!(with(&[]).unwrap().admin.is_none());
    }

    #[test]
    fn a_bad_database_url_is_refused_without_echoing_it() {
        let vars = std::collections::HashMap::from([(
            "LATCH_PG_ADMIN_URL",
            "mysql://root:hunter2@db:3306/x".to_owned(),
        )]);
        let err = Config::from_lookup(|k| vars.get(k).cloned()).unwrap_err();
        assert_eq!(err.var, "LATCH_PG_ADMIN_URL");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let vars = std::collections::HashMap::from([(
            "LATCH_PG_ADMIN_URL",
            "postgres://latch:hunter2@db:5432/postgres".to_owned(),
        )]);
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_mail_queue_needs_its_url() {
        let sqs = |url: Option<&str>| {
            let mut vars = std::collections::HashMap::from([("LATCH_MAIL", "sqs".to_owned())]);
            if let Some(url) = url {
                vars.insert("LATCH_MAIL_QUEUE_URL", url.to_owned());
            }
            Config::from_lookup(|k| vars.get(k).cloned())
        };
        assert_eq!(sqs(None).unwrap_err().var, "LATCH_MAIL_QUEUE_URL");
        assert_eq!(sqs(Some("mail")).unwrap_err().var, "LATCH_MAIL_QUEUE_URL");
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/latch-MailQueue";
        assert_eq!(
            sqs(Some(url)).unwrap().mail,
            MailChoice::Sqs {
                queue_url: url.into()
            }
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("LATCH_ADDR", "localhost"),
            ("LATCH_STORE", "postgres"),
            ("LATCH_MAIL", "smtp"),
            ("LATCH_SECRETS", "vault"),
            ("LATCH_MAIL_FROM", "nobody"),
            ("LATCH_PUBLIC_URL", "ftp://x"),
            ("LATCH_TRUST_PROXY", "yes"),
            ("LATCH_ARGON2_P", "0"),
            ("LATCH_ACCESS_TOKEN_TTL_S", "-5"),
            ("LATCH_PASSWORD_MIN_SCORE", "5"),
            ("LATCH_AWS_ATTEMPT_TIMEOUT_MS", "0"),
            ("LATCH_AWS_ATTEMPT_TIMEOUT_MS", "9000"),
            ("LATCH_AWS_MAX_ATTEMPTS", "0"),
            ("LATCH_REQUEST_DEADLINE_MS", "2500"),
            ("LATCH_MFA_ISSUER", "Acme:ID"),
            ("LATCH_MFA_LOCK_AFTER", "0"),
            ("LATCH_MFA_LOCK_MAX_S", "60"),
            ("LATCH_KEYS_TTL_S", "99999999999999"),
            ("LATCH_PRO_MAX_SPEND_CAP_CENTS", "-1"),
            ("LATCH_PRO_MAX_SPEND_CAP_CENTS", "99999999999999999999"),
            ("LATCH_MFA_TOKEN_TTL_S", "0"),
            ("LATCH_BACKUP_RETENTION_DAYS", "0"),
            ("LATCH_BACKUP_RETENTION_DAYS", "a month"),
            ("LATCH_RATE_2FA_PER_MIN", "-1"),
        ] {
            let err = with(&[(var, value)]).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
        }
    }
}
