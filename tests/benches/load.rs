//! The load script: the local server (the same hyper front and `serve` as `latch-local`, on the
//! embedded store, the contract's Argon2 parameters, rate limits off) on loopback, driven over
//! HTTP by `LOAD_CONCURRENCY` clients. It reports requests/s and p50/p95/p99 for login (each on
//! a fresh user), refresh (each client rotating its own chain) and me, then times every path that
//! must answer alike for known and unknown addresses (wrong password, the fifth failure, a 423,
//! forgot-password, resend-verification; 30 of each, interleaved).
//!
//! Run: `scripts/bench.sh` (or `cargo bench -p latch-tests --bench load > /dev/null`: the
//! server's EMF lines go to stdout, the report to stderr). Knobs: `LOAD_CONCURRENCY` (8),
//! `LOAD_LOGINS` (96), `LOAD_SECONDS` per timed phase (10).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use latch_core::config::{Config, VARIABLES};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

const PASSWORD: &str = "violet-tractor-harbour-19";
const TIMING_TRIES: usize = 30;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let concurrency = knob("LOAD_CONCURRENCY", 8);
    let logins = knob("LOAD_LOGINS", 96);
    let seconds = Duration::from_secs(knob("LOAD_SECONDS", 10) as u64);
    let data = tempfile::tempdir().unwrap();
    let base = start_server(data.path()).await;
    let client = Client::builder()
        .user_agent("latch-load/1.0")
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let app = Arc::new(App { client, base });

    eprintln!(
        "# Latch load: {concurrency} clients, {} s per timed phase",
        seconds.as_secs()
    );
    let emails = app
        .verified_users(logins + TIMING_TRIES, concurrency, data.path())
        .await;
    let (fresh, for_timing) = emails.split_at(logins);

    let mut sessions = Vec::new();
    let login = measure(concurrency, fresh.to_vec(), {
        let app = Arc::clone(&app);
        move |email| {
            let app = Arc::clone(&app);
            async move {
                let res = app
                    .post(
                        "/v1/auth/login",
                        json!({"email": email, "password": PASSWORD}),
                    )
                    .await;
                assert_eq!(res.0, StatusCode::OK, "login: {}", res.1);
                res.1
            }
        }
    })
    .await;
    sessions.extend(login.outputs);

    let chains: Vec<String> = sessions
        .iter()
        .take(concurrency)
        .map(|t| s(t, "refreshToken"))
        .collect();
    let refresh = for_duration(seconds, chains, {
        let app = Arc::clone(&app);
        move |token| {
            let app = Arc::clone(&app);
            async move {
                let res = app
                    .post("/v1/auth/refresh", json!({"refreshToken": token}))
                    .await;
                assert_eq!(res.0, StatusCode::OK, "refresh: {}", res.1);
                s(&res.1, "refreshToken")
            }
        }
    })
    .await;

    let access: Vec<String> = sessions
        .iter()
        .skip(concurrency)
        .take(concurrency)
        .map(|t| s(t, "accessToken"))
        .collect();
    let me = for_duration(seconds, access, {
        let app = Arc::clone(&app);
        move |token: String| {
            let app = Arc::clone(&app);
            async move {
                let res = app.get_bearer("/v1/auth/me", &token).await;
                assert_eq!(res.0, StatusCode::OK, "me: {}", res.1);
                token
            }
        }
    })
    .await;

    eprintln!();
    eprintln!("| endpoint | requests | requests/s | p50 | p95 | p99 |");
    eprintln!("|---|---|---|---|---|---|");
    for (name, stats) in [
        ("POST /v1/auth/login (fresh users)", &login.stats),
        ("POST /v1/auth/refresh", &refresh),
        ("GET /v1/auth/me", &me),
    ] {
        eprintln!(
            "| {name} | {} | {:.1} | {} | {} | {} |",
            stats.count(),
            stats.per_second(),
            ms(stats.quantile(0.50)),
            ms(stats.quantile(0.95)),
            ms(stats.quantile(0.99))
        );
    }
    let unverified = app.registered_users(TIMING_TRIES).await;
    enumeration_timing(&app, for_timing, &unverified).await;
}

/// Every path that must answer alike for a known and an unknown address, timed one request
/// after the other, alternating (known, unknown), so drift on a shared machine falls on both.
async fn enumeration_timing(app: &App, known: &[String], unverified: &[String]) {
    let unknown: Vec<String> = (0..known.len())
        .map(|i| format!("nobody-{i}-{}@example.com", std::process::id()))
        .collect();
    let wrong = |e: &String| json!({"email": e, "password": "not-the-password-9"});
    let right = |e: &String| json!({"email": e, "password": PASSWORD});
    let address = |e: &String| json!({"email": e});
    let mut rows = Vec::new();
    rows.push(
        alike(
            app,
            "login, wrong password (1st failure)",
            "/v1/auth/login",
            known,
            &unknown,
            wrong,
            401,
        )
        .await,
    );
    // Three more failures each, untimed; the fifth locks both emails.
    for _ in 0..3 {
        for email in known.iter().chain(&unknown) {
            app.post("/v1/auth/login", wrong(email)).await;
        }
    }
    rows.push(
        alike(
            app,
            "login, 5th failure (locks; mails a known owner)",
            "/v1/auth/login",
            known,
            &unknown,
            wrong,
            401,
        )
        .await,
    );
    rows.push(
        alike(
            app,
            "login while locked (423)",
            "/v1/auth/login",
            known,
            &unknown,
            right,
            423,
        )
        .await,
    );
    rows.push(
        alike(
            app,
            "forgot-password",
            "/v1/auth/forgot-password",
            known,
            &unknown,
            address,
            202,
        )
        .await,
    );
    rows.push(
        alike(
            app,
            "resend-verification (known = unverified)",
            "/v1/auth/resend-verification",
            unverified,
            &unknown,
            address,
            202,
        )
        .await,
    );
    eprintln!();
    eprintln!(
        "| path | known, median of {TIMING_TRIES} | unknown, median of {TIMING_TRIES} | unknown / known |"
    );
    eprintln!("|---|---|---|---|");
    for row in rows {
        eprintln!("{row}");
    }
}

/// Times `path` for each known address and its unknown partner, alternating; one table row.
async fn alike(
    app: &App,
    label: &str,
    path: &str,
    known: &[String],
    unknown: &[String],
    body: impl Fn(&String) -> Value,
    status: u16,
) -> String {
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for (k, u) in known.iter().zip(unknown) {
        for (who, times) in [(k, &mut known_times), (u, &mut unknown_times)] {
            let started = Instant::now();
            let res = app.post(path, body(who)).await;
            times.push(started.elapsed());
            assert_eq!(res.0.as_u16(), status, "{label}: {}", res.1);
        }
    }
    let (k, u) = (median(&mut known_times), median(&mut unknown_times));
    let ratio = u.as_secs_f64() / k.as_secs_f64();
    let band = if (ratio - 1.0).abs() <= 0.10 {
        ""
    } else {
        " (OUTSIDE 10 %)"
    };
    format!("| {label} | {} | {} | {ratio:.3}{band} |", ms(k), ms(u))
}

struct App {
    client: Client,
    base: String,
}

impl App {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    async fn get_bearer(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        read(res).await
    }

    /// Registers `n` fresh users and leaves them unverified.
    async fn registered_users(&self, n: usize) -> Vec<String> {
        let run = std::process::id();
        let mut emails = Vec::new();
        for i in 0..n {
            let email = format!("pending-{run}-{i}@example.com");
            let res = self
                .post(
                    "/v1/auth/register",
                    json!({"email": email, "password": PASSWORD}),
                )
                .await;
            assert_eq!(res.0, StatusCode::ACCEPTED, "register: {}", res.1);
            emails.push(email);
        }
        emails
    }

    /// Registers `n` fresh users and verifies each through its mailed link.
    async fn verified_users(
        self: &Arc<Self>,
        n: usize,
        concurrency: usize,
        data: &Path,
    ) -> Vec<String> {
        let run = std::process::id();
        let emails: Vec<String> = (0..n)
            .map(|i| format!("load-{run}-{i}@example.com"))
            .collect();
        let started = Instant::now();
        let app = Arc::clone(self);
        measure(concurrency, emails.clone(), move |email| {
            let app = Arc::clone(&app);
            async move {
                let res = app
                    .post(
                        "/v1/auth/register",
                        json!({"email": email, "password": PASSWORD}),
                    )
                    .await;
                assert_eq!(res.0, StatusCode::ACCEPTED, "register: {}", res.1);
            }
        })
        .await;
        let tokens = verification_tokens(&data.join("outbox"));
        for email in &emails {
            let token = tokens
                .get(email)
                .unwrap_or_else(|| panic!("no verification mail for {email}"));
            let res = self
                .client
                .get(format!("{}/v1/auth/verify-email?token={token}", self.base))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        eprintln!(
            "({n} users registered and verified in {:.1} s)",
            started.elapsed().as_secs_f64()
        );
        emails
    }
}

async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no {k} in {v}"))
        .to_owned()
}

/// Recipient → token of every verification mail in the outbox.
fn verification_tokens(outbox: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir(outbox).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("-verification.eml") {
            continue;
        }
        let mail = std::fs::read_to_string(&path).unwrap();
        let to = mail
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .unwrap()
            .to_owned();
        let at = mail.find("verify-email?token=").unwrap() + "verify-email?token=".len();
        let token: String = mail[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        out.insert(to, token);
    }
    out
}

/// Starts the local server on an ephemeral loopback port; returns its base URL.
async fn start_server(data: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("LATCH_ADDR".into(), addr.to_string()),
        ("LATCH_DATA_DIR".into(), data.display().to_string()),
        ("LATCH_PUBLIC_URL".into(), format!("http://{addr}")),
    ]);
    for (name, _, _) in VARIABLES
        .iter()
        .filter(|(n, _, _)| n.starts_with("LATCH_RATE_"))
    {
        vars.insert((*name).into(), "0".into());
    }
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let deps = Arc::new(latch_core::wiring::build(&config).await.unwrap());
    tokio::spawn(latch_functions::local::serve_on(listener, deps, false));
    format!("http://{addr}")
}

/// Latencies of one phase and the wall time it took.
struct Stats {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Stats {
    fn count(&self) -> usize {
        self.latencies.len()
    }

    fn per_second(&self) -> f64 {
        self.count() as f64 / self.wall.as_secs_f64()
    }

    /// The nearest-rank quantile.
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

struct Measured<T> {
    stats: Stats,
    outputs: Vec<T>,
}

/// Runs `op` once per input, at most `concurrency` at a time.
async fn measure<I, T, F, Fut>(concurrency: usize, inputs: Vec<I>, op: F) -> Measured<T>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let queue = Arc::new(std::sync::Mutex::new(inputs));
    let op = Arc::new(op);
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..concurrency {
        let (queue, op) = (Arc::clone(&queue), Arc::clone(&op));
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let Some(input) = queue.lock().unwrap().pop() else {
                    return done;
                };
                let t = Instant::now();
                let out = op(input).await;
                done.push((t.elapsed(), out));
            }
        });
    }
    let mut latencies = Vec::new();
    let mut outputs = Vec::new();
    while let Some(done) = workers.join_next().await {
        for (latency, out) in done.unwrap() {
            latencies.push(latency);
            outputs.push(out);
        }
    }
    Measured {
        stats: Stats {
            latencies,
            wall: started.elapsed(),
        },
        outputs,
    }
}

/// One client per seed, each feeding `op` its own last output, until `duration` has passed.
async fn for_duration<S, F, Fut>(duration: Duration, seeds: Vec<S>, op: F) -> Stats
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = S> + Send + 'static,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for seed in seeds {
        let op = Arc::clone(&op);
        clients.spawn(async move {
            let mut latencies = Vec::new();
            let mut state = seed;
            while started.elapsed() < duration {
                let t = Instant::now();
                state = op(state).await;
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = clients.join_next().await {
        latencies.extend(done.unwrap());
    }
    Stats {
        latencies,
        wall: started.elapsed(),
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
