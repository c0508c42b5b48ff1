//! The test kit: `spawn_app()` starts the local server on port 0 with its own data directory,
//! and `TestApp` has one method per endpoint.

pub mod clock;
pub mod counting_proxy;
pub mod every_route;
pub mod lambda;
pub mod logs;
pub mod mfa;
pub mod moto;
pub mod postgres;
pub mod siteverify;

use latch_core::adapters::embedded::EmbeddedStore;
use latch_core::config::{Config, StoreChoice};
use latch_core::ports::SystemClock;
use latch_core::service::Deps;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tempfile::TempDir;

pub const STRONG_PASSWORD: &str = "violet-tractor-harbour-19";
pub const UA: &str = "latch-tests/1.0";
/// The contract's Argon2id parameters, for the tests that are about them.
pub const CONTRACT_ARGON2: &[(&str, &str)] = &[
    ("LATCH_ARGON2_M_KIB", "65536"),
    ("LATCH_ARGON2_T", "3"),
    ("LATCH_ARGON2_P", "2"),
];

pub struct TestApp {
    pub base: String,
    pub deps: Arc<Deps>,
    /// The embedded store behind `deps` (None on DynamoDB), for reading the audit trail.
    pub store: Option<EmbeddedStore>,
    /// On DynamoDB: a client and the audit table's name, for reading the audit trail there.
    pub dynamo_audit: Option<(aws_sdk_dynamodb::Client, String)>,
    pub data_dir: TempDir,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[], None).await
}

/// Starts the local server with extra `LATCH_*` settings and, for the AWS adapters, an SDK
/// configuration (the emulator's).
pub async fn spawn_app_with(
    settings: &[(&str, &str)],
    aws: Option<aws_config::SdkConfig>,
) -> TestApp {
    spawn_app_timed(settings, aws, Arc::new(SystemClock)).await
}

/// Like `spawn_app_with`, on a clock the test controls (for counts in fixed windows and for
/// expiry without sleeping).
pub async fn spawn_app_on(
    settings: &[(&str, &str)],
    aws: Option<aws_config::SdkConfig>,
) -> (TestApp, Arc<clock::TestClock>) {
    let clock = Arc::new(clock::TestClock::new());
    (
        spawn_app_timed(
            settings,
            aws,
            Arc::clone(&clock) as Arc<dyn latch_core::ports::Clock>,
        )
        .await,
        clock,
    )
}

async fn spawn_app_timed(
    settings: &[(&str, &str)],
    aws: Option<aws_config::SdkConfig>,
    clock: Arc<dyn latch_core::ports::Clock>,
) -> TestApp {
    logs::install();
    let data_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("LATCH_ADDR".into(), addr.to_string()),
        (
            "LATCH_DATA_DIR".into(),
            data_dir.path().display().to_string(),
        ),
        ("LATCH_PUBLIC_URL".into(), format!("http://{addr}")),
    ]);
    // Argon2 at the contract's 64 MiB and three passes costs a fifth of a second per hash; the
    // tests that are about those parameters set them (`CONTRACT_ARGON2`), the rest run cheap.
    for (k, v) in [
        ("LATCH_ARGON2_M_KIB", "1024"),
        ("LATCH_ARGON2_T", "1"),
        ("LATCH_ARGON2_P", "1"),
    ] {
        vars.insert(k.into(), v.into());
    }
    // Every test client comes from 127.0.0.1: rate limits are off unless a test turns them on.
    for limit in [
        "LATCH_RATE_REGISTER_PER_MIN",
        "LATCH_RATE_LOGIN_PER_MIN",
        "LATCH_RATE_FORGOT_PER_HOUR",
        "LATCH_RATE_RESET_PER_HOUR",
        "LATCH_RATE_RESEND_PER_HOUR",
        "LATCH_RATE_STRENGTH_PER_MIN",
        "LATCH_RATE_CHANGE_PASSWORD_PER_15MIN",
        "LATCH_RATE_2FA_PER_MIN",
        "LATCH_RATE_2FA_SETTINGS_PER_15MIN",
    ] {
        vars.insert(limit.into(), "0".into());
    }
    vars.extend(
        settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let dynamo_audit = match (&config.store, &aws) {
        (StoreChoice::DynamoDb(names), Some(aws)) => {
            Some((aws_sdk_dynamodb::Client::new(aws), names.audit.clone()))
        }
        _ => None,
    };
    let mut deps = latch_core::wiring::build_with(&config, Arc::clone(&clock), aws)
        .await
        .unwrap();
    // For the embedded store, wire a second file the test keeps a handle on, so it can read
    // what the server wrote (redb lets one handle own a file).
    let store = match config.store {
        StoreChoice::Embedded => {
            let store = EmbeddedStore::open(&data_dir.path().join("observed.redb")).unwrap();
            deps.users = Arc::new(store.clone());
            deps.sessions = Arc::new(store.clone());
            deps.audit = Arc::new(store.clone());
            deps.counters = Arc::new(store.clone());
            deps.locks = Arc::new(store.clone());
            deps.ledger = Arc::new(store.clone());
            deps.resources = Arc::new(store.clone());
            deps.zones = Arc::new(store.clone());
            deps.mail_domains = Arc::new(store.clone());
            deps.backups = Arc::new(
                latch_core::adapters::embedded::backup::EmbeddedBackups::new(
                    store.clone(),
                    data_dir.path().to_owned(),
                    clock,
                ),
            );
            Some(store)
        }
        StoreChoice::DynamoDb(_) => None,
    };
    let deps = Arc::new(deps);
    let server = tokio::spawn(latch_functions::local::serve_on(
        listener,
        Arc::clone(&deps),
        config.trust_proxy,
    ));
    let client = reqwest::Client::builder().user_agent(UA).build().unwrap();
    TestApp {
        base: format!("http://{addr}"),
        deps,
        store,
        dynamo_audit,
        data_dir,
        client,
        server,
    }
}

/// An app on DynamoDB (moto) whose mail goes to SES from a sender SES was never told of, so
/// every send fails: for what must hold when mail cannot go out.
pub async fn spawn_app_refusing_mail() -> TestApp {
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let unverified = format!("no-reply@{}.example.org", moto::unique("unverified"));
    let settings = [
        &moto::dynamodb_settings(&names)[..],
        &[("LATCH_MAIL", "ses"), ("LATCH_MAIL_FROM", &unverified)],
    ]
    .concat();
    spawn_app_with(&settings, Some(aws)).await
}

/// The same app on each store, each on its own test clock: the embedded one, then DynamoDB on
/// moto (fresh tables), for the properties that must hold on both.
pub async fn on_both_stores(settings: &[(&str, &str)]) -> Vec<(TestApp, Arc<clock::TestClock>)> {
    let aws = moto::aws().await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let dynamo = [&moto::dynamodb_settings(&names)[..], settings].concat();
    vec![
        spawn_app_on(settings, None).await,
        spawn_app_on(&dynamo, Some(aws)).await,
    ]
}

/// A response read whole: status, headers and JSON body (Null when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub async fn of(res: Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Self {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem response with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(
            self.header("content-type")
                .starts_with("application/problem+json")
        );
    }

    /// The body without its request id, for comparing two answers.
    pub fn body_sans_request_id(&self) -> Value {
        let mut b = self.body.clone();
        if let Some(o) = b.as_object_mut() {
            o.remove("requestId");
        }
        b
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        Reply::of(
            self.client
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::of(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Reply {
        self.post_json(
            "/v1/auth/register",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn verify_email(&self, token: &str) -> Reply {
        self.get(&format!("/v1/auth/verify-email?token={token}"))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post_json(
            "/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn forgot_password(&self, email: &str) -> Reply {
        self.post_json("/v1/auth/forgot-password", &json!({ "email": email }))
            .await
    }

    pub async fn me(&self, access_token: &str) -> Reply {
        Reply::of(
            self.client
                .get(self.url("/v1/auth/me"))
                .bearer_auth(access_token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `me` from another User-Agent.
    pub async fn me_as(&self, user_agent: &str, access_token: &str) -> Reply {
        let me = "/v1/auth/me";
        self.call_as(
            user_agent,
            reqwest::Method::GET,
            me,
            Some(access_token),
            None,
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.post_json(
            "/v1/auth/refresh",
            &json!({ "refreshToken": refresh_token }),
        )
        .await
    }

    pub async fn bearer(&self, method: reqwest::Method, path: &str, access_token: &str) -> Reply {
        Reply::of(
            self.client
                .request(method, self.url(path))
                .bearer_auth(access_token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn reset_password(&self, token: &str, new_password: &str) -> Reply {
        let body = json!({ "token": token, "newPassword": new_password });
        self.post_json("/v1/auth/reset-password", &body).await
    }

    pub async fn change_password(&self, access: &str, current: &str, new: &str) -> Reply {
        let body = json!({ "currentPassword": current, "newPassword": new });
        let path = "/v1/auth/change-password";
        self.call_as(UA, reqwest::Method::POST, path, Some(access), Some(&body))
            .await
    }

    /// The reset token of the newest reset mail to `email`, after asking for one.
    pub async fn fresh_reset_token(&self, email: &str) -> String {
        assert_eq!(
            self.forgot_password(email).await.status,
            StatusCode::ACCEPTED
        );
        reset_token(
            self.mail_to(email, "password_reset")
                .last()
                .expect("a reset mail"),
        )
    }

    /// Messages in the outbox, oldest first: (file name, content).
    pub fn outbox(&self) -> Vec<(String, String)> {
        let dir: PathBuf = self.data_dir.path().join("outbox");
        let mut files: Vec<(String, String)> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .map(|e| e.unwrap())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files
    }

    /// Outbox messages to `email` of one kind (`verification`, `registration_attempt`).
    pub fn mail_to(&self, email: &str, kind: &str) -> Vec<String> {
        let to = format!("To: {email}\r\n");
        self.outbox()
            .into_iter()
            .filter(|(name, body)| name.ends_with(&format!("-{kind}.eml")) && body.contains(&to))
            .map(|(_, b)| b)
            .collect()
    }

    /// Registers, verifies through the mailed link, and returns the address.
    pub async fn verified_user(&self) -> String {
        let email = format!("{}@example.com", moto::unique("user"));
        self.register(&email, STRONG_PASSWORD).await;
        let token = token_in(&self.mail_to(&email, "verification")[0]);
        assert_eq!(self.verify_email(&token).await.status, StatusCode::OK);
        email
    }

    /// Any request: `method path`, an optional bearer token and an optional JSON body (raw bytes,
    /// sent as `application/json`).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        json_body: Option<Vec<u8>>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = json_body {
            req = req.header("content-type", "application/json").body(body);
        }
        Reply::of(req.send().await.unwrap()).await
    }

    /// A request from another User-Agent (another browser or device): `method path`, an optional
    /// bearer token and an optional JSON body.
    pub async fn call_as(
        &self,
        user_agent: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .build()
            .unwrap();
        let mut req = client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        Reply::of(req.send().await.unwrap()).await
    }

    /// A login from another User-Agent (a stranger, or the owner's other device).
    pub async fn login_as(&self, user_agent: &str, email: &str, password: &str) -> Reply {
        let body = json!({ "email": email, "password": password });
        let login = "/v1/auth/login";
        self.call_as(user_agent, reqwest::Method::POST, login, None, Some(&body))
            .await
    }

    /// A POST with a raw body and an optional Content-Type.
    pub async fn raw_post(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        let mut req = self.client.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        Reply::of(req.send().await.unwrap()).await
    }

    /// A login from `ip` (the app must trust the proxy header), with an optional CAPTCHA token.
    pub async fn login_from(
        &self,
        ip: &str,
        email: &str,
        password: &str,
        captcha: Option<&str>,
    ) -> Reply {
        let mut body = json!({ "email": email, "password": password });
        if let Some(token) = captcha {
            body["captchaToken"] = Value::from(token);
        }
        let req = self.client.post(self.url("/v1/auth/login"));
        Reply::of(
            req.header("x-forwarded-for", ip)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Asserts that a refused request left nothing behind: no mail, no account for `email`.
    pub async fn assert_nothing_stored(&self, email: &str) {
        assert!(self.outbox().is_empty(), "no mail was sent");
        self.login(email, STRONG_PASSWORD)
            .await
            .assert_problem(401, "invalid_credentials");
    }

    /// How many audit events of `kind` the embedded store holds.
    /// The stored account of `email`.
    pub async fn account(&self, email: &str) -> latch_core::domain::User {
        let email = latch_core::domain::Email::parse(email).unwrap();
        self.deps
            .users
            .user_by_email(&email)
            .await
            .unwrap()
            .unwrap()
    }

    /// Changes the stored account of `email` with `change`, straight in the store (standing in
    /// for routes not built yet), and returns it as stored.
    pub async fn update_account(
        &self,
        email: &str,
        change: impl FnOnce(&mut latch_core::domain::User),
    ) -> latch_core::domain::User {
        let mut user = self.account(email).await;
        let expected = user.version;
        change(&mut user);
        user.version = expected + 1;
        assert!(
            self.deps
                .users
                .save_user(&user, expected, None)
                .await
                .unwrap()
        );
        user
    }

    /// Gives the account of `email` exactly USER and `roles`, straight in the store (keeping the
    /// count of administrators in step, as the roles route does), and returns it as stored.
    pub async fn grant(
        &self,
        email: &str,
        roles: &[latch_core::domain::Role],
    ) -> latch_core::domain::User {
        use latch_core::domain::Role;
        use latch_core::ports::{AdminChange, SaveRoles};
        let mut user = self.account(email).await;
        let expected = user.version;
        let was = user.roles.contains(&Role::Admin);
        user.roles = std::iter::once(Role::User)
            .chain(roles.iter().copied())
            .collect();
        let change = match (was, user.roles.contains(&Role::Admin)) {
            (false, true) => AdminChange::Granted,
            (true, false) => AdminChange::Revoked,
            _ => AdminChange::Unchanged,
        };
        user.next_write();
        let saved = self
            .deps
            .users
            .save_roles(&user, expected, change)
            .await
            .unwrap();
        assert_eq!(saved, SaveRoles::Saved);
        user
    }

    /// A verified account holding `roles` (granted straight in the store), signed in after the
    /// grant: its email, access token and id.
    pub async fn signed_in_with(
        &self,
        roles: &[latch_core::domain::Role],
    ) -> (String, String, String) {
        let email = self.verified_user().await;
        let user = self.grant(&email, roles).await;
        let tokens = self.login(&email, STRONG_PASSWORD).await;
        assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
        (email, s(&tokens.body, "accessToken"), user.id.to_string())
    }

    /// How many events of `kind` the audit trail holds, on either store.
    pub async fn audited(&self, kind: latch_core::domain::AuditType) -> usize {
        self.audit_trail()
            .await
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }

    /// The whole audit trail, read from the embedded file or scanned from the DynamoDB table.
    pub async fn audit_trail(&self) -> Vec<latch_core::domain::AuditEvent> {
        if let Some(store) = &self.store {
            return store.audit_events().await.unwrap();
        }
        let (client, table) = self.dynamo_audit.as_ref().expect("a store to read");
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in page.items() {
                // The chains' heads share the table; only `EVENT#` items are events.
                let event = matches!(item.get("pk"), Some(aws_sdk_dynamodb::types::AttributeValue::S(pk)) if pk.starts_with("EVENT#"));
                if !event {
                    continue;
                }
                let mut item = item.clone();
                item.remove("pk");
                item.remove("ttl");
                events.push(serde_dynamo::from_item(item).unwrap());
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return events;
            }
        }
    }

    /// Waits until health answers 200: a stalled emulator has served what queued up meanwhile.
    pub async fn until_healthy(&self) {
        for _ in 0..100 {
            if self.get("/v1/health").await.status == StatusCode::OK {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the store did not come back within 10 s");
    }

    /// Logs in a fresh verified user and returns its access token.
    pub async fn signed_in(&self) -> (String, Value) {
        let email = self.verified_user().await;
        let tokens = self.login(&email, STRONG_PASSWORD).await;
        assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
        (email, tokens.body)
    }
}

/// The string field `k` of a JSON body.
pub fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap().to_owned()
}

/// The token of the first verify-email link in a message.
pub fn token_in(message: &str) -> String {
    link_token(message, "verify-email?token=")
}

/// The token of the first reset-password link in a message.
pub fn reset_token(message: &str) -> String {
    link_token(message, "reset-password?token=")
}

fn link_token(message: &str, marker: &str) -> String {
    let start = message.find(marker).expect("a link with a token") + marker.len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
