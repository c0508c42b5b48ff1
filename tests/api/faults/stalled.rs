//! Dependencies that hang or are gone.

use super::{BOUND, assert_bounded_503, counted, dependency_lines, faulty, timed};
use crate::support::every_route::{self, Fixture};
use crate::support::{STRONG_PASSWORD, logs, moto, s, spawn_app_with};
use latch_core::http::ROUTES;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn every_route_that_needs_the_store_answers_503_within_5_s_while_dynamodb_is_stalled() {
    let f = faulty(&[], false).await;
    let fixture = Arc::new(Fixture::make(&f.app).await);
    let app = Arc::new(f.app);
    let logged_from = logs::captured().len();
    let timeouts_before = counted("dynamodb", "timeout");

    f.moto.pause();
    let mut answers = tokio::task::JoinSet::new();
    for route in ROUTES {
        let (app, fixture) = (Arc::clone(&app), Arc::clone(&fixture));
        answers.spawn(async move {
            let (reply, took) = timed(every_route::send(&app, route, &fixture)).await;
            (route, reply, took)
        });
    }
    let mut answered = 0;
    while let Some(done) = answers.join_next().await {
        let (route, reply, took) = done.unwrap();
        answered += 1;
        if every_route::needs_no_store(route) {
            assert!(reply.status.is_success(), "{}: {}", route.name, reply.body);
            assert!(took < BOUND, "{} took {took:?}", route.name);
        } else if route.name == "health" {
            // Health answers its own body: the failing check and how long it took.
            assert_eq!(reply.status, 503, "{}", reply.body);
            assert_eq!(reply.body["status"], "unavailable");
            assert_eq!(reply.body["checks"]["store"]["ok"], false);
            let latency = reply.body["checks"]["store"]["latencyMs"].as_u64().unwrap();
            assert!(latency < 5000 && took < BOUND, "{latency} ms, {took:?}");
        } else {
            assert_bounded_503(&reply, took, route.name);
        }
    }
    assert_eq!(answered, ROUTES.len());

    // Each timed-out call was logged by operation, with no address in it, and counted.
    let lines = dependency_lines(logged_from);
    assert!(
        lines
            .iter()
            .any(|l| l["operation"] == "dynamodb GetItem" && l["timedOut"] == true),
        "{lines:?}"
    );
    for line in &lines {
        let text = line.to_string();
        assert!(
            !text.contains("127.0.0.1") && !text.contains("@example.com"),
            "{text}"
        );
    }
    assert!(counted("dynamodb", "timeout") > timeouts_before);

    // Back, the session the stall interrupted is as it was.
    f.moto.resume();
    app.until_healthy().await;
    assert_eq!(app.me(&fixture.access).await.status, 200);
    let next = app.refresh(&fixture.refresh).await;
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(app.me(&s(&next.body, "accessToken")).await.status, 200);
}

#[tokio::test]
async fn a_killed_emulator_is_503_at_once_and_the_server_lives_on() {
    let mut f = faulty(&[], true).await;
    let fixture = Fixture::make(&f.app).await;
    f.moto.kill();
    for route in ROUTES.iter().filter(|r| !every_route::needs_no_store(r)) {
        let (reply, took) = timed(every_route::send(&f.app, route, &fixture)).await;
        assert_eq!(reply.status, 503, "{}: {}", route.name, reply.body);
        // Refused connections fail each attempt at once: no deadline is waited for.
        assert!(
            took < Duration::from_millis(1500),
            "{} took {took:?}",
            route.name
        );
    }
    assert_eq!(f.app.get("/.well-known/jwks.json").await.status, 200);
}

#[tokio::test]
async fn the_jobs_fail_within_the_bound_while_stalled_and_finish_their_work_after() {
    let f = faulty(&[("LATCH_LOCKOUT_THRESHOLD", "2")], false).await;
    let locked = f.app.verified_user().await;
    for _ in 0..2 {
        f.app.login(&locked, "wrong-password-entirely").await;
    }
    f.app
        .login(&locked, STRONG_PASSWORD)
        .await
        .assert_problem(423, "account_locked");
    let abandoned = format!("{}@example.com", moto::unique("abandoned"));
    assert_eq!(
        f.app.register(&abandoned, STRONG_PASSWORD).await.status,
        202
    );
    f.clock.advance(time::Duration::days(8));

    f.moto.pause();
    for job in ["unlock-accounts", "purge-unverified"] {
        let (result, took) = timed(latch_functions::job::handle(&f.app.deps, job, "stalled")).await;
        assert!(result.is_err(), "{job} cannot run on a stalled store");
        assert!(took < BOUND, "{job} took {took:?}");
    }
    f.moto.resume();
    f.app.until_healthy().await;

    let report = latch_functions::job::handle(&f.app.deps, "unlock-accounts", "after")
        .await
        .unwrap();
    assert_eq!(report["unlocked"], 1);
    let report = latch_functions::job::handle(&f.app.deps, "purge-unverified", "after")
        .await
        .unwrap();
    assert_eq!(report["purged"], 1);
    assert_eq!(f.app.login(&locked, STRONG_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_cold_start_with_secrets_manager_stalled_answers_503_and_a_later_request_works() {
    let own = moto::OwnMoto::start();
    let aws = moto::aws_at(&own.endpoint).await;
    let material =
        latch_core::crypto::SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap();
    aws_sdk_secretsmanager::Client::new(&aws)
        .create_secret()
        .name("latch/keys")
        .secret_string(serde_json::to_string(&material).unwrap())
        .send()
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display().to_string();
    let vars = [
        ("LATCH_SECRETS", "secretsmanager"),
        ("LATCH_DATA_DIR", &dir),
    ];
    let config = latch_core::config::Config::from_lookup(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap();
    let health = latch_core::http::routes::by_name("health").unwrap();
    let request = || {
        lambda_http::http::Request::builder()
            .uri("/v1/health")
            .extension(latch_core::http::ClientAddr([127, 0, 0, 1].into()))
            .body(lambda_http::Body::Empty)
            .unwrap()
    };

    own.pause();
    let (cold, took) = timed(latch_core::wiring::ColdStart::new(config, Some(aws))).await;
    assert!(took < BOUND, "the failed start took {took:?}");
    let (res, took) = timed(latch_functions::lambda::handle_cold(
        &cold,
        health,
        request(),
    ))
    .await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "2");
    assert!(took < BOUND, "{took:?}");

    own.resume();
    let res = latch_functions::lambda::handle_cold(&cold, health, request()).await;
    assert_eq!(res.status(), 200, "the start is tried again and now works");
}

#[tokio::test]
async fn the_request_deadline_answers_503_for_a_request_still_working_and_changes_nothing() {
    // Argon2 at the contract's cost takes far longer than a 40 ms request deadline.
    let deadlines = [
        ("LATCH_AWS_CONNECT_TIMEOUT_MS", "10"),
        ("LATCH_AWS_ATTEMPT_TIMEOUT_MS", "10"),
        ("LATCH_AWS_OPERATION_TIMEOUT_MS", "10"),
        ("LATCH_CAPTCHA_TIMEOUT_MS", "10"),
        ("LATCH_REQUEST_DEADLINE_MS", "40"),
    ];
    let settings = [&deadlines[..], crate::support::CONTRACT_ARGON2].concat();
    let app = spawn_app_with(&settings, None).await;
    let email = format!("{}@example.com", moto::unique("deadline"));
    let from = logs::captured().len();
    let reply = app.register(&email, STRONG_PASSWORD).await;
    reply.assert_problem(503, "unavailable");
    assert!(
        dependency_lines(from)
            .iter()
            .any(|l| l["operation"] == "request deadline"),
        "the deadline is logged as what ran out"
    );
    // Nothing the abandoned work would have written turns up later.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(app.outbox().is_empty(), "no mail was sent");
    let stored = app.store.as_ref().unwrap();
    let email = latch_core::domain::Email::parse(&email).unwrap();
    let user = latch_core::ports::UserStore::user_by_email(stored, &email);
    assert!(user.await.unwrap().is_none(), "no account was stored");
}

#[tokio::test]
async fn ses_refusing_the_sender_leaves_every_mailing_202_route_answering_202() {
    let app = crate::support::spawn_app_refusing_mail().await;
    let from = logs::captured().len();
    let errors_before = counted("ses", "error");

    let known = format!("{}@example.com", moto::unique("known"));
    let unknown = format!("{}@example.com", moto::unique("unknown"));
    for email in [&known, &known, &unknown] {
        let reply = app.register(email, STRONG_PASSWORD).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    for email in [&known, &unknown] {
        assert_eq!(app.forgot_password(email).await.status, 202);
        let resend = app
            .post_json(
                "/v1/auth/resend-verification",
                &serde_json::json!({ "email": email }),
            )
            .await;
        assert_eq!(resend.status, 202);
    }
    let lines = dependency_lines(from);
    let ses: Vec<_> = lines
        .iter()
        .filter(|l| l["operation"] == "ses SendEmail" && l["timedOut"] == false)
        .collect();
    assert!(!ses.is_empty(), "{lines:?}");
    for line in ses {
        let text = line.to_string();
        assert!(
            !text.contains(&known) && !text.contains("example.org"),
            "{text}"
        );
    }
    assert!(counted("ses", "error") >= errors_before + 4);
    // The account the first registration made is there, unverified, and nothing else is.
    app.login(&known, STRONG_PASSWORD)
        .await
        .assert_problem(403, "email_not_verified");
}
