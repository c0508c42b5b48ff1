//! Every Lambda function, fed its `events/<name>.<status>[-case].json` through
//! `lambda_http::request::from_str` into the handler its binary runs.

use latch_core::config::Config;
use latch_core::http::ROUTES;
use latch_core::service::jobs::JOBS;
use std::collections::HashMap;
use std::path::PathBuf;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn event_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .map(|n| {
            (
                n.clone(),
                std::fs::read_to_string(events_dir().join(&n)).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_route_has_events_and_each_event_gets_its_status_through_the_lambda_handler() {
    let dir = tempfile::tempdir().unwrap();
    let vars = HashMap::from([
        ("LATCH_DATA_DIR", dir.path().display().to_string()),
        ("LATCH_PUBLIC_URL", "https://id.example.com".into()),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let deps = latch_core::wiring::build(&config).await.unwrap();
    let files = event_files();
    for route in ROUTES {
        let mine: Vec<&(String, String)> = files
            .iter()
            .filter(|(n, _)| n.starts_with(&format!("{}.", route.name)))
            .collect();
        assert!(
            !mine.is_empty(),
            "events/ has no sample for function {}",
            route.name
        );
        for (name, text) in mine {
            let raw: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                raw["routeKey"],
                format!("{} {}", route.method, route.path),
                "{name} targets another route"
            );
            let expected: u16 = name
                .split('.')
                .nth(1)
                .unwrap()
                .split('-')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let req =
                lambda_http::request::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let res = latch_functions::lambda::handle(&deps, route, req).await;
            assert_eq!(res.status().as_u16(), expected, "{name}: {:?}", res.body());
            let h = res.headers();
            assert_eq!(
                h["x-request-id"],
                raw["headers"]["x-request-id"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(h["x-content-type-options"], "nosniff", "{name}");
            assert!(h.contains_key("strict-transport-security"), "{name}");
        }
    }
}

#[test]
fn every_event_belongs_to_a_route_and_every_route_to_a_binary() {
    for (name, _) in event_files() {
        let function = name.split('.').next().unwrap();
        assert!(
            latch_functions::bootstrap::function_named(Some(function)).is_ok(),
            "events/{name} names no function of the route table or the jobs"
        );
    }
    use latch_functions::bootstrap::{Function, function_named};
    for route in ROUTES {
        assert_eq!(
            function_named(Some(route.name)),
            Ok(Function::Route(route.name)),
            "the bootstrap serves {} as its route",
            route.name
        );
    }
}

#[tokio::test]
async fn every_job_has_a_scheduled_event_and_runs_through_its_handler() {
    let dir = tempfile::tempdir().unwrap();
    let vars = HashMap::from([("LATCH_DATA_DIR", dir.path().display().to_string())]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let deps = latch_core::wiring::build(&config).await.unwrap();
    let files = event_files();
    for (job, _) in JOBS {
        let mine: Vec<_> = files
            .iter()
            .filter(|(n, _)| n.starts_with(&format!("{job}.")))
            .collect();
        assert!(!mine.is_empty(), "events/ has no sample for job {job}");
        for (name, text) in mine {
            let event: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(event["detail-type"], "Scheduled Event", "{name}");
            let report = latch_functions::job::handle(&deps, job, "test-run")
                .await
                .unwrap();
            assert!(report.is_object(), "{name}: {report}");
        }
        assert_eq!(
            latch_functions::bootstrap::function_named(Some(job)),
            Ok(latch_functions::bootstrap::Function::Job(job))
        );
    }
}

#[test]
fn the_rotation_sample_is_what_secrets_manager_sends() {
    let files = event_files();
    let samples: Vec<_> = files
        .iter()
        .filter(|(n, _)| n.starts_with("rotate-keys."))
        .collect();
    assert!(!samples.is_empty());
    for (name, text) in samples {
        let event: latch_functions::rotation::RotationEvent =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            latch_core::service::key_rotation::Step::parse(&event.step).is_some(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_seed_sample_makes_one_administrator_however_often_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let vars = HashMap::from([("LATCH_DATA_DIR", dir.path().display().to_string())]);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let deps = latch_core::wiring::build(&config).await.unwrap();
    let text = std::fs::read_to_string(events_dir().join("seed-admin.invoke.json")).unwrap();
    let event: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = latch_functions::seed_admin::handle(&deps, &event, None, "run-1")
        .await
        .unwrap();
    assert_eq!(
        first,
        serde_json::json!({"outcome": "created", "mailed": true})
    );
    let again = latch_functions::seed_admin::handle(&deps, &event, None, "run-2")
        .await
        .unwrap();
    assert_eq!(
        again,
        serde_json::json!({"outcome": "unchanged", "mailed": true}),
        "a second run changes nothing but mails the owner's link again"
    );
    let fallback = latch_functions::seed_admin::handle(
        &deps,
        &serde_json::json!({}),
        Some("second-admin@example.com"),
        "run-3",
    )
    .await
    .unwrap();
    assert_eq!(
        fallback["outcome"], "created",
        "LATCH_ADMIN_EMAIL when the event names none"
    );
    let missing =
        latch_functions::seed_admin::handle(&deps, &serde_json::json!({}), None, "r").await;
    assert!(missing.is_err(), "no address, no administrator");
    assert_eq!(
        latch_functions::bootstrap::function_named(Some("seed-admin")),
        Ok(latch_functions::bootstrap::Function::SeedAdmin)
    );
}

#[tokio::test]
async fn the_queue_sample_sends_its_mail_drops_its_rehearsal_and_reports_its_poison() {
    let dir = tempfile::tempdir().unwrap();
    let from = latch_core::adapters::mime::mailbox("Latch <no-reply@latch.test>").unwrap();
    let keys = std::sync::Arc::new(latch_core::keys::Keys::fixed(
        latch_core::crypto::KeyRing::from_material(
            &latch_core::crypto::SecretMaterial::generate(time::OffsetDateTime::now_utc()).unwrap(),
        )
        .unwrap(),
    ));
    let outbox = latch_core::adapters::outbox::OutboxMailer::new(
        dir.path().to_path_buf(),
        from,
        keys,
        std::sync::Arc::new(latch_core::ports::SystemClock),
    );
    let text = std::fs::read_to_string(events_dir().join("mail-sender.sqs-batch.json")).unwrap();
    let event: latch_functions::mail_sender::SqsEvent = serde_json::from_str(&text).unwrap();
    let response = latch_functions::mail_sender::handle(&outbox, event).await;
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "0d6f1c9e-4b7a-4c3e-9f2a-000000000003"}]})
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "the mail was sent, the rehearsal was not");
    assert_eq!(
        latch_functions::bootstrap::function_named(Some("mail-sender")),
        Ok(latch_functions::bootstrap::Function::MailSender)
    );
}

/// A keyless route's function starts and answers without its secret: here the keys secret does
/// not exist at all, which fails every other function's cold start.
#[tokio::test]
async fn health_and_openapi_answer_without_reading_the_keys_secret() {
    let aws = crate::support::moto::aws().await;
    let names = crate::support::moto::tables(&aws_sdk_dynamodb::Client::new(&aws)).await;
    let missing = crate::support::moto::unique("latch/never-made");
    let mut vars: HashMap<&str, String> = crate::support::moto::dynamodb_settings(&names)
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    vars.insert("LATCH_SECRETS", "secretsmanager".into());
    vars.insert("LATCH_SECRET_ID", missing);
    let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let with_keys = latch_core::wiring::ColdStart::new(config.clone(), Some(aws.clone())).await;
    assert!(
        with_keys.deps().await.is_err(),
        "a function that needs keys cannot start"
    );
    assert!(latch_functions::needs_keys("me") && latch_functions::needs_keys("unlock-accounts"));
    let as_built = |name: &str| {
        let mut c = config.clone();
        c.keys_needed = latch_functions::needs_keys(name);
        c
    };
    let backups =
        latch_core::wiring::ColdStart::new(as_built("backup-tables"), Some(aws.clone())).await;
    let report = latch_functions::job::handle(backups.deps().await.unwrap(), "backup-tables", "r")
        .await
        .unwrap();
    assert_eq!(
        report["taken"].as_array().unwrap().len(),
        4,
        "backup-tables ran with no secret"
    );
    let answer = |config: Config, name: &'static str| {
        let aws = aws.clone();
        async move {
            let cold = latch_core::wiring::ColdStart::new(config, Some(aws)).await;
            let route = latch_core::http::routes::by_name(name).unwrap();
            let (_, text) = event_files()
                .into_iter()
                .find(|(file, _)| file.starts_with(&format!("{name}.200")))
                .unwrap_or_else(|| panic!("no 200 sample for {name}"));
            let request = lambda_http::request::from_str(&text).unwrap();
            latch_functions::lambda::handle_cold(&cold, route, request).await
        }
    };
    for name in latch_core::http::routes::KEYLESS {
        assert_eq!(answer(as_built(name), name).await.status(), 200, "{name}");
    }
    // A route that uses keys, were it built keyless, fails loudly: no JWKS of made-up keys.
    let mut jwks_keyless = as_built("jwks");
    jwks_keyless.keys_needed = false;
    assert_eq!(answer(jwks_keyless, "jwks").await.status(), 500);
}
