//! Time to a 503 for each route with DynamoDB stalled: the local server on DynamoDB in a moto of
//! its own, with the deadlines' defaults; each round signs a fresh user in, stalls moto with
//! `SIGSTOP`, sends every route of the table at once what would succeed on a healthy store, and
//! times each answer; then moto goes on and the next round waits for it. Five rounds; the report
//! (a Markdown table for `docs/BENCHMARKS.md`) is the median and the slowest per route.
//!
//! Run: `cargo bench -p latch-tests --bench faults > /dev/null` (the report is on stderr).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../api/support/mod.rs"]
#[allow(dead_code)]
mod support;

use latch_core::http::ROUTES;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::every_route::{self, Fixture};
use support::moto::{self, OwnMoto};

const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let own = OwnMoto::start();
    let aws = moto::aws_at(&own.endpoint).await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let app = Arc::new(support::spawn_app_with(&moto::dynamodb_settings(&names), Some(aws)).await);
    let mut times: BTreeMap<&'static str, Vec<(Duration, u16)>> = BTreeMap::new();
    for _ in 0..ROUNDS {
        let fixture = Arc::new(Fixture::make(&app).await);
        own.pause();
        let mut answers = tokio::task::JoinSet::new();
        for route in ROUTES.iter().filter(|r| !every_route::needs_no_store(r)) {
            let (app, fixture) = (Arc::clone(&app), Arc::clone(&fixture));
            answers.spawn(async move {
                let started = Instant::now();
                let reply = every_route::send(&app, route, &fixture).await;
                (route.name, started.elapsed(), reply.status.as_u16())
            });
        }
        while let Some(done) = answers.join_next().await {
            let (name, took, status) = done.unwrap();
            times.entry(name).or_default().push((took, status));
        }
        own.resume();
        app.until_healthy().await;
    }
    eprintln!("| route | median | slowest | answers |");
    eprintln!("|---|---|---|---|");
    for (name, mut runs) in times {
        runs.sort();
        let statuses: std::collections::BTreeSet<u16> = runs.iter().map(|(_, s)| *s).collect();
        let statuses: Vec<String> = statuses.iter().map(u16::to_string).collect();
        eprintln!(
            "| {name} | {} ms | {} ms | {} |",
            runs[runs.len() / 2].0.as_millis(),
            runs[runs.len() - 1].0.as_millis(),
            statuses.join(", ")
        );
    }
}
