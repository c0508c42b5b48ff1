//! Faults on the emulator, with the deadlines' defaults: DynamoDB stalled (`SIGSTOP` on a moto
//! of the test's own) or killed, answers lost after their write landed (the proxy passes a call
//! on and never answers), SES refusing the sender, Secrets Manager stalled at a cold start, and
//! the request deadline. Every route that needs a dependency answers 503 `unavailable` with
//! `Retry-After` within 5 s, and after recovery nothing is half-done.

mod lost_answers;
mod stalled;

use crate::support::counting_proxy::{self, CountingProxy};
use crate::support::moto::{self, OwnMoto};
use crate::support::{Reply, TestApp, clock::TestClock, logs, spawn_app_on};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The API's bound on a 503.
const BOUND: Duration = Duration::from_secs(5);

/// An app on DynamoDB in a moto of its own, reached through a proxy that can lose answers
/// (or, `direct`, not: a killed emulator then refuses the app's own connections).
struct Faulty {
    app: TestApp,
    clock: Arc<TestClock>,
    moto: OwnMoto,
    proxy: CountingProxy,
}

async fn faulty(extra: &[(&str, &str)], direct: bool) -> Faulty {
    let moto = OwnMoto::start();
    let own = moto::aws_at(&moto.endpoint).await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&own)).await;
    let proxy = counting_proxy::start(&moto.endpoint).await;
    let settings = [&moto::dynamodb_settings(&names)[..], extra].concat();
    let endpoint = if direct {
        &moto.endpoint
    } else {
        &proxy.endpoint
    };
    let (app, clock) = spawn_app_on(&settings, Some(moto::aws_at(endpoint).await)).await;
    Faulty {
        app,
        clock,
        moto,
        proxy,
    }
}

/// `work`'s answer and how long it took; a request that never answers fails the test.
async fn timed<T>(work: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(20), work)
        .await
        .expect("an answer at all");
    (out, started.elapsed())
}

/// A 503 `unavailable` with `Retry-After`, inside the bound.
fn assert_bounded_503(reply: &Reply, took: Duration, what: &str) {
    assert_eq!(reply.status, 503, "{what}: {}", reply.body);
    reply.assert_problem(503, "unavailable");
    assert_eq!(reply.header("retry-after"), "2", "{what}");
    assert!(took < BOUND, "{what} took {took:?}");
}

/// The dependency failures logged since `from` (a length of `logs::captured()`).
fn dependency_lines(from: usize) -> Vec<serde_json::Value> {
    logs::captured()[from..]
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["target"] == "latch::dependency")
        .collect()
}

/// How many `DependencyFailures` of `dependency` and `kind` were counted so far.
fn counted(dependency: &str, kind: &str) -> usize {
    logs::metrics()
        .iter()
        .filter(|m| m["DependencyFailures"] == 1)
        .filter(|m| m["Dependency"] == dependency && m["Kind"] == kind)
        .count()
}
