//! One moto server per test process, started on first use and gone when the process ends.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    /// Kept so the pipe to the watchdog's stdin stays open as long as the process lives.
    _child: Mutex<Child>,
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("LATCH_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")
}

/// The shared emulator. Fails the test, saying how to get moto, when it cannot start.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

fn start() -> Moto {
    let (child, port) = spawn();
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
    }
}

/// Starts a moto server of its own (through the watchdog) and waits until it listens.
fn spawn() -> (Child, u16) {
    let python = python();
    assert!(
        python.exists(),
        "moto is needed for the AWS adapter tests but {} does not exist: run `scripts/test.sh` \
         (it creates .venv with moto[server]) or set LATCH_TEST_PYTHON to a python with moto[server]",
        python.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("api/support/moto_watchdog.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto with {}: {e}", python.display()));
    let stdout = child.stdout.take().expect("moto stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let port: u16 = match (read, line.trim().parse()) {
        (Ok(_), Ok(port)) => port,
        _ => {
            let _ = child.kill();
            panic!(
                "moto did not start (is moto[server] installed in {}? run scripts/test.sh)",
                python.display()
            );
        }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("moto did not listen on port {port} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// A moto server owned by one test, which can stall it (`SIGSTOP`: the socket still accepts
/// connections but nothing answers, as in a partition or brownout), let it go on, or kill it.
/// Killed when dropped.
pub struct OwnMoto {
    pub endpoint: String,
    child: Child,
}

impl OwnMoto {
    pub fn start() -> Self {
        let (child, port) = spawn();
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{signal} moto");
    }

    /// Stalls the emulator: calls hang until `resume`.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    /// Lets a paused emulator go on: it serves what queued up meanwhile, in order.
    pub fn resume(&self) {
        self.signal("CONT");
    }

    /// Kills the emulator: connections are refused from now on.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnMoto {
    fn drop(&mut self) {
        // A stopped process takes SIGKILL too.
        self.kill();
    }
}

/// SDK configuration pointing every client at the emulator with dummy credentials.
pub async fn aws() -> SdkConfig {
    aws_at(&moto().endpoint).await
}

/// SDK configuration for an endpoint in front of the emulator (a counting proxy).
pub async fn aws_at(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "latch-tests",
        ))
        .load()
        .await
}

/// A name no other test uses, so tests share one emulator without resets.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        latch_core::crypto::random::ulid(time::OffsetDateTime::now_utc()).to_lowercase()
    )
}

/// Messages SES accepted, as moto records them.
pub async fn sent_mail() -> Vec<serde_json::Value> {
    sent_mail_at(&moto().endpoint).await
}

/// Messages SES accepted, as the moto at `endpoint` records them.
pub async fn sent_mail_at(endpoint: &str) -> Vec<serde_json::Value> {
    let url = format!("{endpoint}/moto-api/data.json");
    // moto serializes its whole state for this page and answers an error page when another
    // request changes that state meanwhile; a few reads get a consistent copy.
    for _ in 0..20 {
        let res = reqwest::get(&url).await.unwrap();
        if let Ok(data) = res.json::<serde_json::Value>().await {
            return data["ses"]["Message"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto's data.json never answered with JSON")
}

/// The settings that put an app on the DynamoDB store with these tables.
pub fn dynamodb_settings(
    names: &latch_core::adapters::dynamo::TableNames,
) -> [(&'static str, &str); 7] {
    [
        ("LATCH_STORE", "dynamodb"),
        ("LATCH_DNS", "route53"),
        ("LATCH_MAIL_DOMAINS", "ses"),
        ("LATCH_USERS_TABLE", &names.users),
        ("LATCH_SESSIONS_TABLE", &names.sessions),
        ("LATCH_AUDIT_TABLE", &names.audit),
        ("LATCH_COUNTERS_TABLE", &names.counters),
    ]
}

/// A sender on a fresh domain that SES (the emulator's) has verified: `no-reply@<domain>`.
pub async fn verified_sender(aws: &SdkConfig, prefix: &str) -> String {
    let domain = format!("{}.example.net", unique(prefix));
    aws_sdk_sesv2::Client::new(aws)
        .create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .unwrap();
    format!("no-reply@{domain}")
}

/// A fresh SQS queue named after `prefix`, with the defaults: its URL.
pub async fn queue(aws: &SdkConfig, prefix: &str) -> String {
    aws_sdk_sqs::Client::new(aws)
        .create_queue()
        .queue_name(unique(prefix))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

/// Fresh tables (with their indexes) under names no other test uses.
pub async fn tables(client: &aws_sdk_dynamodb::Client) -> latch_core::adapters::dynamo::TableNames {
    let names = latch_core::adapters::dynamo::TableNames {
        users: unique("users"),
        sessions: unique("sessions"),
        audit: unique("audit"),
        counters: unique("counters"),
    };
    latch_core::adapters::dynamo::schema::create_tables(client, &names)
        .await
        .unwrap();
    names
}

/// A new Secrets Manager secret on the emulator holding `value`: its client and name.
pub async fn secret_holding(value: &str) -> (aws_sdk_secretsmanager::Client, String) {
    secret_holding_on(&aws().await, value).await
}

/// Like `secret_holding`, on the emulator `aws` points at.
pub async fn secret_holding_on(
    aws: &SdkConfig,
    value: &str,
) -> (aws_sdk_secretsmanager::Client, String) {
    let client = aws_sdk_secretsmanager::Client::new(aws);
    let id = unique("latch/keys");
    client
        .create_secret()
        .name(&id)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    (client, id)
}
