//! Lambda as `cargo lambda` emulates it: `cargo lambda watch --only-lambda-apis` is the Runtime
//! API, built function binaries run against it as Lambda runs a bootstrap, and
//! `cargo lambda invoke --data-file` sends them events (the smoke test and the cold-start bench).

use super::moto;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What a deployed function finds, on the emulator at `endpoint`: fresh tables, a verified
/// sender, the keys secret and the mail queue, and the environment the template gives a
/// function (DynamoDB, `LATCH_MAIL=sqs`, Secrets Manager) pointed at the emulator.
pub struct Stack {
    pub aws: aws_config::SdkConfig,
    pub queue_url: String,
    pub env: Vec<(String, String)>,
    _data: tempfile::TempDir,
}

impl Stack {
    pub async fn on(endpoint: &str) -> Self {
        let aws = moto::aws_at(endpoint).await;
        let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
        let from = moto::verified_sender(&aws, "lambda").await;
        let material =
            latch_core::crypto::SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
        let (_, secret_id) =
            moto::secret_holding_on(&aws, &serde_json::to_string(&material).unwrap()).await;
        let queue_url = moto::queue(&aws, "lambda-mail").await;
        let data = tempfile::tempdir().unwrap();
        let mut env: Vec<(String, String)> = moto::dynamodb_settings(&names)
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for (k, v) in [
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("LATCH_MAIL", "sqs"),
            ("LATCH_MAIL_QUEUE_URL", queue_url.as_str()),
            ("LATCH_MAIL_FROM", from.as_str()),
            ("LATCH_SECRETS", "secretsmanager"),
            ("LATCH_SECRET_ID", secret_id.as_str()),
            ("LATCH_PUBLIC_URL", "https://id.example.com"),
            ("LATCH_DATA_DIR", &data.path().display().to_string()),
        ] {
            env.push((k.to_owned(), v.to_owned()));
        }
        Stack {
            aws,
            queue_url,
            env,
            _data: data,
        }
    }

    /// Adds (or overrides, being later) one setting.
    pub fn set(&mut self, name: &str, value: &str) {
        self.env.push((name.to_owned(), value.to_owned()));
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo_lambda() -> PathBuf {
    let bin = root().join(".venv-lambda/bin/cargo-lambda");
    assert!(
        bin.exists(),
        "cargo-lambda is missing from .venv-lambda: run scripts/lambda-smoke.sh, which installs it"
    );
    bin
}

/// A child process killed when dropped, also when the test fails half-way.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn until_listening(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cargo lambda watch never listened on {port}");
}

/// The emulator and the functions started against it.
pub struct Lambda {
    /// Where the emulator listens (invokes go to `/2015-03-31/functions/<name>/invocations`).
    pub port: u16,
    env: Vec<(String, String)>,
    functions: Vec<Running>,
    _watch: Running,
    events: tempfile::TempDir,
}

impl Lambda {
    pub async fn start(env: Vec<(String, String)>) -> Self {
        let port = free_port();
        let events = tempfile::tempdir().unwrap();
        // The emulator routes only names that are binaries of the Cargo project it runs in, and
        // every function is now the one `latch-lambda` bootstrap: so it runs in a folder whose
        // manifest names one (empty) binary per function, each started by `run` from the real
        // bootstrap. Nothing in that folder is ever built.
        let mut manifest = String::from(
            "[package]\nname = \"latch-functions-as-lambda-sees-them\"\nversion = \"0.0.0\"\nedition = \"2024\"\n",
        );
        for name in latch_functions::bootstrap::names() {
            manifest.push_str(&format!("[[bin]]\nname = \"{name}\"\npath = \"main.rs\"\n"));
        }
        std::fs::write(events.path().join("Cargo.toml"), manifest).unwrap();
        std::fs::write(events.path().join("main.rs"), "fn main() {}\n").unwrap();
        let watch = Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
            ])
            .arg(port.to_string())
            .current_dir(events.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let watch = Running(watch);
        until_listening(port).await;
        Lambda {
            port,
            env,
            functions: Vec::new(),
            _watch: watch,
            events,
        }
    }

    /// Starts function `name` from `target/debug/latch-lambda`, the one bootstrap every
    /// function runs, against the emulator, for as long as the emulator runs.
    pub fn run(&mut self, name: &str) {
        let bin = root().join("target/debug/latch-lambda");
        let (child, _) = self.spawn(&bin, name);
        self.functions.push(child);
    }

    /// Starts `bin` as function `name` the way Lambda starts a bootstrap: the Runtime API's
    /// address and the function's name in its environment (`LATCH_FUNCTION`, as the template
    /// sets it), beside the function's own settings.
    /// Its output goes to the log file returned; dropping the process kills it.
    pub fn spawn(&self, bin: &Path, name: &str) -> (Running, PathBuf) {
        assert!(
            bin.exists(),
            "{} is not built: run scripts/lambda-smoke.sh (cargo build -p latch-functions --bin latch-lambda)",
            bin.display()
        );
        let log = self.events.path().join(format!(
            "{name}-{}.log",
            latch_core::crypto::random::ulid(time::OffsetDateTime::now_utc())
        ));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt/{name}", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("LATCH_FUNCTION", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        (Running(child), log)
    }

    /// `cargo lambda invoke <name> --data-file <event>`: the function's answer.
    pub fn invoke(&self, name: &str, event: &Path) -> Value {
        let out = Command::new(cargo_lambda())
            .args(["lambda", "invoke", name, "-A", "127.0.0.1", "-P"])
            .arg(self.port.to_string())
            .arg("--data-file")
            .arg(event)
            .current_dir(self.events.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cargo lambda invoke {name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{name} answered no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// A sample from `events/`, changed by `edit`, written where `--data-file` can read it.
    pub fn event(&self, sample: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
        let mut event: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("events").join(sample)).unwrap(),
        )
        .unwrap();
        edit(&mut event);
        let path = self.events.path().join(sample);
        std::fs::write(&path, event.to_string()).unwrap();
        path
    }
}

/// An HTTP answer: its status and its JSON body.
pub fn http(answer: &Value) -> (u64, Value) {
    let body = answer["body"].as_str().unwrap_or("null");
    (
        answer["statusCode"].as_u64().unwrap(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}
