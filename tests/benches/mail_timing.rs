//! forgot-password for a known and an unknown address, with mail sent by SES inside the request
//! (`LATCH_MAIL=ses`) and with the mail queue (`LATCH_MAIL=sqs`): two servers on the same
//! DynamoDB tables in a moto of their own, 30 verified accounts and 30 unknown addresses of the
//! same length, timed alternately (known, unknown), one request at a time. The report (a
//! Markdown table for `docs/BENCHMARKS.md`) is on stderr.
//!
//! Run: `cargo bench -p latch-tests --bench mail_timing > /dev/null`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../api/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};
use support::moto::{self, OwnMoto};
use support::{STRONG_PASSWORD, TestApp, token_in};

const TRIES: usize = 30;

#[tokio::main]
async fn main() {
    let own = OwnMoto::start();
    let aws = moto::aws_at(&own.endpoint).await;
    let names = moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let from = moto::verified_sender(&aws, "timing").await;
    let queue = moto::queue(&aws, "mail").await;
    let on = |mail: &'static str| {
        let mut settings = moto::dynamodb_settings(&names).to_vec();
        settings.extend([
            ("LATCH_MAIL", mail),
            ("LATCH_MAIL_FROM", from.as_str()),
            ("LATCH_MAIL_QUEUE_URL", queue.as_str()),
        ]);
        settings
    };
    let ses = support::spawn_app_with(&on("ses"), Some(aws.clone())).await;
    let queued = support::spawn_app_with(&on("sqs"), Some(aws.clone())).await;

    let run = std::process::id();
    let known: Vec<String> = (0..TRIES)
        .map(|i| format!("known-{run}-{i:02}@example.com"))
        .collect();
    let unknown: Vec<String> = (0..TRIES)
        .map(|i| format!("other-{run}-{i:02}@example.com"))
        .collect();
    for email in &known {
        assert_eq!(ses.register(email, STRONG_PASSWORD).await.status, 202);
    }
    let mail = support::moto::sent_mail_at(&own.endpoint).await;
    for email in &known {
        let body = mail
            .iter()
            .find(|m| m["destinations"]["ToAddresses"][0] == email.as_str())
            .unwrap_or_else(|| panic!("no verification mail for {email}"))["body"]
            .as_str()
            .unwrap();
        assert_eq!(ses.verify_email(&token_in(body)).await.status, 200);
    }

    eprintln!(
        "| forgot-password | known, median of {TRIES} | unknown, median of {TRIES} | unknown / known |"
    );
    eprintln!("|---|---|---|---|");
    for (label, app) in [
        ("LATCH_MAIL=ses (SES in the request)", &ses),
        ("LATCH_MAIL=sqs (the mail queue)", &queued),
    ] {
        let (k, u) = alike(app, &known, &unknown).await;
        eprintln!(
            "| {label} | {:.2} ms | {:.2} ms | {:.3} |",
            ms(k),
            ms(u),
            u.as_secs_f64() / k.as_secs_f64()
        );
    }
}

async fn alike(app: &TestApp, known: &[String], unknown: &[String]) -> (Duration, Duration) {
    let (mut k, mut u) = (Vec::new(), Vec::new());
    for (a, b) in known.iter().zip(unknown) {
        for (who, times) in [(a, &mut k), (b, &mut u)] {
            let started = Instant::now();
            assert_eq!(app.forgot_password(who).await.status, 202);
            times.push(started.elapsed());
        }
    }
    (median(&mut k), median(&mut u))
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
