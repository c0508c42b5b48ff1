//! Cold starts of the `health`, `me` and `login` functions (the release `latch-lambda`
//! bootstrap every function runs, on this machine's architecture) under cargo lambda's Runtime
//! API emulator, on DynamoDB, SQS and Secrets Manager in a moto of their own: each of 11 fresh
//! processes is started as Lambda starts a bootstrap and sent one event; the report gives, per function, the median init (from the
//! process's start of `ColdStart` to its dependencies built, its own `latch::cold_start` log
//! line), the secret fetch within it, and the time from spawning the process to its first answer.
//!
//! Run: `scripts/cold-start.sh` (builds the release bootstrap first; the report is on stderr).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../api/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};
use support::lambda::{Lambda, Stack, root};
use support::moto::OwnMoto;

const STARTS: usize = 11;

#[tokio::main]
async fn main() {
    let own = OwnMoto::start();
    let mut stack = Stack::on(&own.endpoint).await;
    // Eleven logins from one address in a minute: rate limits off, so each takes the whole path.
    for (name, _, _) in latch_core::config::VARIABLES
        .iter()
        .filter(|(n, _, _)| n.starts_with("LATCH_RATE_"))
    {
        stack.set(name, "0");
    }
    let lambda = Lambda::start(stack.env.clone()).await;
    eprintln!(
        "| function | init, median of {STARTS} (min-max) | secret fetch within it | spawn to first answer, median | answer |"
    );
    eprintln!("|---|---|---|---|---|");
    for (name, sample) in [
        ("health", "health.200.json"),
        ("me", "me.401-no-token.json"),
        ("login", "login.401-unknown-user.json"),
    ] {
        let event: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("events").join(sample)).unwrap(),
        )
        .unwrap();
        let bin = root().join("target/release/latch-lambda");
        let (mut init, mut fetch, mut first) = (Vec::new(), Vec::new(), Vec::new());
        let mut status = 0;
        for _ in 0..STARTS {
            let started = Instant::now();
            let (process, log) = lambda.spawn(&bin, name);
            let answer = invoke(lambda.port, name, &event).await;
            first.push(started.elapsed());
            status = answer["statusCode"].as_u64().unwrap();
            drop(process);
            let text = std::fs::read_to_string(&log).unwrap();
            let field = |key: &str| {
                text.lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .find_map(|l| l[key].as_f64())
            };
            init.push(field("initMs").expect("the process logged its init time"));
            fetch.push(field("secretFetchMs").unwrap_or(0.0));
        }
        let (lo, hi) = (
            init.iter().copied().fold(f64::MAX, f64::min),
            init.iter().copied().fold(0.0, f64::max),
        );
        eprintln!(
            "| {name} | {:.1} ms ({lo:.1}-{hi:.1}) | {} | {:.0} ms | {status} |",
            median(&mut init),
            if fetch.iter().all(|f| *f == 0.0) {
                "none (keyless)".to_owned()
            } else {
                format!("{:.1} ms", median(&mut fetch))
            },
            median_duration(&mut first).as_secs_f64() * 1000.0
        );
    }
}

/// What `cargo lambda invoke` sends, sent from here (no CLI start in the time): the answer.
async fn invoke(port: u16, name: &str, event: &serde_json::Value) -> serde_json::Value {
    let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/{name}/invocations");
    let res = reqwest::Client::new()
        .post(url)
        .json(event)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{name}: {}", res.status());
    res.json().await.unwrap()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median_duration(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}
