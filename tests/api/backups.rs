//! Backups on both stores, each with a restore drill: `backup-tables` (the job) backs every
//! table up and expires only this system's backups older than the retention; a DynamoDB
//! backup restored with `RestoreTableFromBackup` into new tables holds every item; the embedded
//! store backed up by `latch-local backup` while the server runs (over its control socket),
//! restored by `latch-local restore` into a fresh folder, holds every row, and a server on it
//! signs the same user in.

use crate::support::{STRONG_PASSWORD, TestApp, moto, on_both_stores, spawn_app_with, token_in};
use aws_sdk_dynamodb::types::AttributeValue;
use latch_core::config::Config;
use latch_core::service::jobs;
use reqwest::StatusCode;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A verified user signed in, with a session and audit events: rows in every table group.
async fn some_traffic(app: &TestApp) {
    let (_, tokens) = app.signed_in().await;
    assert!(tokens["accessToken"].is_string());
}

#[tokio::test]
async fn backup_tables_takes_every_table_and_expires_only_its_own_old_backups_on_both_stores() {
    for (app, clock) in on_both_stores(&[]).await {
        some_traffic(&app).await;
        let foreign = app.deps.backups.take("manual-by-operator").await.unwrap();
        let first = jobs::backup_tables(&app.deps, "run-1").await.unwrap();
        let tables = foreign.len();
        assert!(tables >= 1);
        assert_eq!(first.taken.len(), tables, "one backup per table");
        assert!(
            first
                .taken
                .iter()
                .all(|n| n.starts_with(jobs::BACKUP_PREFIX))
        );
        assert!(first.deleted.is_empty());
        assert_eq!(first.kept, tables, "this system's backups: the new ones");

        // Within the retention nothing goes; past it, the old ones do, the new ones stay, and
        // a backup someone else named is never touched.
        clock.advance(time::Duration::days(29));
        let within = jobs::backup_tables(&app.deps, "run-2").await.unwrap();
        assert!(within.deleted.is_empty());
        assert_eq!(within.kept, 2 * tables);
        clock.advance(time::Duration::days(2));
        let past = jobs::backup_tables(&app.deps, "run-3").await.unwrap();
        // The first run's backups are 31 days old now. (moto dates a DynamoDB backup by the
        // real clock, not the test's, so there the second run's count as old too.)
        for name in &first.taken {
            assert!(past.deleted.contains(name), "{name} is past the retention");
        }
        for name in &past.deleted {
            assert!(
                first.taken.contains(name) || within.taken.contains(name),
                "{name}: only this system's old backups go"
            );
        }
        assert!(past.taken.iter().all(|n| !past.deleted.contains(n)));
        assert_eq!(past.kept + past.deleted.len(), 3 * tables);
        let left = app.deps.backups.list("").await.unwrap();
        assert!(
            foreign.iter().all(|f| left.iter().any(|b| b.id == f.id)),
            "the operator's own backup is still there"
        );
        assert_eq!(left.len(), tables + past.kept);
    }
}

/// Every item of a table, by its key, as DynamoDB returns it.
async fn items(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> BTreeMap<String, serde_json::Value> {
    let mut all = BTreeMap::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let out = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in out.items.unwrap_or_default() {
            let key = format!("{:?}{:?}", item.get("pk"), item.get("sk"));
            all.insert(key, canonical(&AttributeValue::M(item)));
        }
        match out.last_evaluated_key {
            Some(next) if !next.is_empty() => start = Some(next),
            _ => break,
        }
    }
    all
}

/// An attribute value with its maps' keys in order, so equal items print alike.
fn canonical(value: &AttributeValue) -> serde_json::Value {
    use serde_json::json;
    match value {
        AttributeValue::M(map) => {
            let sorted: serde_json::Map<String, serde_json::Value> =
                map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect();
            json!({ "M": sorted })
        }
        AttributeValue::L(list) => json!({ "L": list.iter().map(canonical).collect::<Vec<_>>() }),
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(set) => {
            let mut set = set.clone();
            set.sort();
            json!({ "SS": set })
        }
        AttributeValue::Ns(set) => {
            let mut set = set.clone();
            set.sort();
            json!({ "NS": set })
        }
        other => json!({ "other": format!("{other:?}") }),
    }
}

#[tokio::test]
async fn a_dynamodb_backup_restored_into_new_tables_holds_every_item() {
    let aws = moto::aws().await;
    let client = aws_sdk_dynamodb::Client::new(&aws);
    let names = moto::tables(&client).await;
    let app = spawn_app_with(&moto::dynamodb_settings(&names), Some(aws)).await;
    for _ in 0..3 {
        some_traffic(&app).await;
    }
    let report = jobs::backup_tables(&app.deps, "drill").await.unwrap();
    let backups = app.deps.backups.list(jobs::BACKUP_PREFIX).await.unwrap();
    assert_eq!(backups.len(), 4);
    for table in [&names.users, &names.sessions, &names.audit, &names.counters] {
        let backup = backups.iter().find(|b| &b.table == table).unwrap();
        assert!(report.taken.contains(&backup.name));
        let restored = moto::unique("restored");
        client
            .restore_table_from_backup()
            .target_table_name(&restored)
            .backup_arn(&backup.id)
            .send()
            .await
            .unwrap();
        let original = items(&client, table).await;
        assert!(!original.is_empty(), "{table} has items to compare");
        assert_eq!(items(&client, &restored).await, original, "{table}");
    }
}

/// `latch-local` on `data`: the server and its control socket, as `latch-local` starts them.
struct Local {
    base: String,
    http: reqwest::Client,
    store: latch_core::adapters::embedded::EmbeddedStore,
    tasks: [tokio::task::JoinHandle<()>; 2],
    _serving: std::fs::File,
}

impl Local {
    async fn start(data: &std::path::Path) -> Self {
        let vars = HashMap::from([
            ("LATCH_DATA_DIR", data.display().to_string()),
            ("LATCH_ARGON2_M_KIB", "1024".to_owned()),
            ("LATCH_ARGON2_T", "1".to_owned()),
            ("LATCH_ARGON2_P", "1".to_owned()),
        ]);
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        let (deps, store) = latch_core::wiring::build_serving(
            &config,
            Arc::new(latch_core::ports::SystemClock),
            None,
        )
        .await
        .unwrap();
        let store = store.unwrap();
        let serving = latch_core::adapters::embedded::backup::serving_lock(data).unwrap();
        let control = latch_functions::local_backup::listen(data, store.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(latch_functions::local::serve_on(
            listener,
            Arc::new(deps),
            false,
        ));
        let http = reqwest::Client::builder()
            .user_agent(crate::support::UA)
            .build()
            .unwrap();
        Local {
            base,
            http,
            store,
            tasks: [server, control],
            _serving: serving,
        }
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> StatusCode {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send();
        r.await.unwrap().status()
    }

    fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

#[tokio::test]
async fn the_embedded_store_backed_up_while_serving_restores_whole_and_serves_again() {
    let data = tempfile::tempdir().unwrap();
    let local = Local::start(data.path()).await;
    let email = format!("{}@example.com", moto::unique("local"));
    let credentials = serde_json::json!({"email": email, "password": STRONG_PASSWORD});
    assert_eq!(
        local.post("/v1/auth/register", credentials.clone()).await,
        StatusCode::ACCEPTED
    );
    let mail = std::fs::read_dir(data.path().join("outbox"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|m| m.contains("verify-email?token="))
        .unwrap();
    let verify = local
        .http
        .get(format!(
            "{}/v1/auth/verify-email?token={}",
            local.base,
            token_in(&mail)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), StatusCode::OK);
    let login = local
        .http
        .post(format!("{}/v1/auth/login", local.base))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let tokens: serde_json::Value = login.json().await.unwrap();
    let access = tokens["accessToken"].as_str().unwrap().to_owned();
    let before = local.store.contents().await.unwrap();

    // The server holds the store: the backup goes through it while it keeps serving.
    let backup = tempfile::tempdir().unwrap();
    let dir = backup.path().join("b1");
    let (manifest, health) = tokio::join!(
        latch_functions::local_backup::back_up(data.path(), &dir),
        local.http.get(format!("{}/v1/health", local.base)).send()
    );
    let manifest = manifest.unwrap();
    assert_eq!(health.unwrap().status(), StatusCode::OK);
    for (table, rows) in &before {
        assert_eq!(manifest.items[table], rows.len() as u64, "{table}");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o077,
        0,
        "the backup holds the keys: its owner's alone"
    );
    let again = latch_functions::local_backup::back_up(data.path(), &dir).await;
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("a backup goes into a new folder"),
        "a backup never overwrites another"
    );
    let running = latch_functions::local_backup::restore(data.path(), &dir).await;
    assert!(
        running
            .unwrap_err()
            .to_string()
            .contains("stop it before restoring"),
        "restoring under a running server is refused"
    );
    local.stop();

    // The drill: restored into a fresh folder, every row is there, and a server on it signs
    // the same user in with the same keys.
    let fresh = tempfile::tempdir().unwrap();
    let restored = latch_functions::local_backup::restore(fresh.path(), &dir)
        .await
        .unwrap();
    assert!(restored.moved_aside.is_none());
    {
        let copy =
            latch_core::adapters::embedded::EmbeddedStore::open(&fresh.path().join("latch.redb"))
                .unwrap();
        // Every row as it was, but the accounts, each reset by the restore.
        let mut after = copy.contents().await.unwrap();
        let (mut was, mut now) = (before.clone(), std::mem::take(&mut after));
        let users_then = was.remove("users").unwrap();
        let users_now = now.remove("users").unwrap();
        assert_eq!(now, was, "every other row, as it was");
        assert_eq!(restored.accounts_reset, users_then.len());
        for ((id, then), (id_now, reset)) in users_then.iter().zip(&users_now) {
            assert_eq!(id, id_now);
            let then: latch_core::domain::User = serde_json::from_slice(then).unwrap();
            let reset: latch_core::domain::User = serde_json::from_slice(reset).unwrap();
            assert_eq!(reset.credential_epoch, then.credential_epoch + 1);
            assert!(reset.sessions_not_before.is_some());
            assert_eq!(
                (reset.email, reset.password_hash),
                (then.email, then.password_hash)
            );
        }
        let names = copy.table_names().await.unwrap();
        assert_eq!(
            names.len(),
            before.len(),
            "the backup copies every table the store holds: {names:?}"
        );
    }
    let again = Local::start(fresh.path()).await;
    assert_eq!(
        again.post("/v1/auth/login", credentials).await,
        StatusCode::OK
    );
    // The same keys (the restored server publishes the key that signed a token from before
    // the backup), but that token's session ended with the restore.
    let kid = jsonwebtoken::decode_header(&access).unwrap().kid.unwrap();
    let jwks: serde_json::Value = again
        .http
        .get(format!("{}/.well-known/jwks.json", again.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str()),
        "the same keys"
    );
    let me = again
        .http
        .get(format!("{}/v1/auth/me", again.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "a session from before the restore is over"
    );
    let refused = latch_functions::local_backup::restore(fresh.path(), &dir).await;
    assert!(refused.is_err(), "not under the server that runs on it");
    again.stop();

    // Restoring over a store (once its server has let go of it) moves it aside, never loses it.
    let mut tries = 0;
    let over = loop {
        match latch_functions::local_backup::restore(fresh.path(), &dir).await {
            Ok(done) => break done,
            Err(e) if tries < 50 => {
                tries += 1;
                assert!(e.to_string().contains("stop"), "{e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the stopped server never let go of its store: {e}"),
        }
    };
    let aside = over.moved_aside.unwrap();
    assert!(aside.join("latch.redb").exists() && aside.join("secrets.json").exists());

    // A backup that disagrees with its manifest, or has no keys, changes nothing.
    let now_there =
        latch_core::adapters::embedded::EmbeddedStore::open(&fresh.path().join("latch.redb"))
            .unwrap()
            .contents()
            .await
            .unwrap();
    for (name, spoil) in [("b-miscounted", "manifest"), ("b-keyless", "secrets.json")] {
        let bad = backup.path().join(name);
        std::fs::create_dir(&bad).unwrap();
        for file in ["latch.redb", "manifest.json", "secrets.json"] {
            std::fs::copy(dir.join(file), bad.join(file)).unwrap();
        }
        if spoil == "manifest" {
            let mut m: serde_json::Value =
                serde_json::from_slice(&std::fs::read(bad.join("manifest.json")).unwrap()).unwrap();
            m["items"]["users"] = serde_json::json!(m["items"]["users"].as_u64().unwrap() + 1);
            std::fs::write(bad.join("manifest.json"), m.to_string()).unwrap();
        } else {
            std::fs::remove_file(bad.join("secrets.json")).unwrap();
        }
        let folders = |dir: &std::path::Path| {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let (files_before, keys_before) = (
            folders(fresh.path()),
            std::fs::read(fresh.path().join("secrets.json")).unwrap(),
        );
        let refused = latch_functions::local_backup::restore(fresh.path(), &bad)
            .await
            .unwrap_err()
            .to_string();
        let why = if spoil == "manifest" {
            "nothing was restored"
        } else {
            "holds no readable secrets.json"
        };
        assert!(refused.contains(why), "{name}: {refused}");
        assert_eq!(
            folders(fresh.path()),
            files_before,
            "{name} left something behind"
        );
        assert_eq!(
            std::fs::read(fresh.path().join("secrets.json")).unwrap(),
            keys_before,
            "{name} touched the keys"
        );
        let store =
            latch_core::adapters::embedded::EmbeddedStore::open(&fresh.path().join("latch.redb"))
                .unwrap();
        assert_eq!(
            store.contents().await.unwrap(),
            now_there,
            "{name} changed the store"
        );
    }
}
