//! The local server: every route of the table on one address, on hyper, with the embedded
//! defaults. Requests go through the same `serve` as on Lambda.

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use lambda_http::RequestExt;
use latch_core::config::{Config, StoreChoice};
use latch_core::http::{BODY_LIMIT, ClientAddr, extract, fail, routes, serve};
use latch_core::service::Deps;
use latch_core::{Error, telemetry, wiring};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;

/// `latch-local`: start from the environment, or print one line saying what is wrong.
pub async fn main() -> ExitCode {
    telemetry::init();
    match std::env::args().nth(1).as_deref() {
        Some("--print-new-secret") => return print_new_secret(),
        Some("create-tables") => return create_tables().await,
        Some("add-data-key") => return add_data_key(),
        Some("rotate-keys") => return rotate_keys(),
        Some(command @ ("backup" | "restore")) => return backup_or_restore(command).await,
        Some(other) => {
            return exit_with(&format!(
                "latch-local: unknown command {other:?} (commands: create-tables, add-data-key, rotate-keys, backup DIR, restore DIR, --print-new-secret)"
            ));
        }
        None => {}
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return exit_with(&format!("latch-local: bad configuration: {err}")),
    };
    let listener = match TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return exit_with(&format!(
                "latch-local: LATCH_ADDR: {} is already in use (another Latch running? set LATCH_ADDR)",
                config.addr
            ));
        }
        Err(e) => {
            return exit_with(&format!(
                "latch-local: LATCH_ADDR: cannot listen on {}: {e}",
                config.addr
            ));
        }
    };
    // Shared with other servers' reads of nothing, exclusive against a restore.
    let _serving = if config.store == StoreChoice::Embedded {
        match latch_core::adapters::embedded::backup::serving_lock(&config.data_dir) {
            Ok(lock) => Some(lock),
            Err(err) => return exit_with(&format!("latch-local: cannot start: {err}")),
        }
    } else {
        None
    };
    let deps = match wiring::build_serving(&config, Arc::new(latch_core::ports::SystemClock), None)
        .await
    {
        Ok((deps, store)) => {
            if let Some(store) = store
                && let Err(err) = crate::local_backup::listen(&config.data_dir, store)
            {
                return exit_with(&format!("latch-local: cannot start: {err}"));
            }
            Arc::new(deps)
        }
        Err(err) => {
            return exit_with(&format!(
                "latch-local: cannot start: {}",
                telemetry::error_chain(&err)
            ));
        }
    };
    if let Some(seed) = &config.admin
        && let Err(err) =
            latch_core::service::bootstrap::ensure_admin(&deps, &seed.email, &seed.password).await
    {
        return exit_with(&format!("latch-local: cannot start: {err}"));
    }
    let addr = listener
        .local_addr()
        .map_or_else(|_| config.addr.to_string(), |a| a.to_string());
    eprintln!(
        "Latch listening on http://{addr} (data in {})",
        config.data_dir.display()
    );
    tokio::select! {
        () = serve_on(listener, deps, config.trust_proxy) => ExitCode::FAILURE,
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}

/// `latch-local backup DIR` / `latch-local restore DIR` on the embedded store of LATCH_DATA_DIR.
async fn backup_or_restore(command: &str) -> ExitCode {
    let Some(dir) = std::env::args().nth(2).map(std::path::PathBuf::from) else {
        return exit_with(&format!(
            "latch-local {command}: name the backup's folder (latch-local {command} DIR)"
        ));
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return exit_with(&format!("latch-local: bad configuration: {err}")),
    };
    if config.store != StoreChoice::Embedded {
        return exit_with(&format!(
            "latch-local {command}: for the embedded store; DynamoDB tables are backed up by backup-tables"
        ));
    }
    let done = if command == "backup" {
        crate::local_backup::back_up(&config.data_dir, &dir)
            .await
            .map(|manifest| format!("backed up into {}: {:?}", dir.display(), manifest.items))
    } else {
        crate::local_backup::restore(&config.data_dir, &dir)
            .await
            .map(|r| {
                let aside = r.moved_aside.map_or_else(String::new, |p| {
                    format!("; what it replaced is in {}", p.display())
                });
                format!(
                    "restored from {}{aside}; every session from before the restore ended ({} accounts): sign in again",
                    dir.display(),
                    r.accounts_reset
                )
            })
    };
    match done {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err) => exit_with(&format!(
            "latch-local {command}: {}",
            telemetry::error_chain(&err)
        )),
    }
}

fn exit_with(line: &str) -> ExitCode {
    eprintln!("{line}");
    ExitCode::from(2)
}

/// `latch-local create-tables`: makes the DynamoDB tables `LATCH_*_TABLE` name, on the endpoint
/// the AWS environment names (`AWS_ENDPOINT_URL` for DynamoDB Local), leaving those that exist as they are.
async fn create_tables() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => return exit_with(&format!("latch-local: bad configuration: {err}")),
    };
    let StoreChoice::DynamoDb(names) = &config.store else {
        return exit_with(
            "latch-local create-tables: set LATCH_STORE=dynamodb (and the table names)",
        );
    };
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let sdk = latch_core::adapters::aws::bounded(&sdk, &config.deadlines);
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    match latch_core::adapters::dynamo::schema::create_tables(&client, names).await {
        Ok(tables) => {
            for (name, created) in tables {
                println!(
                    "{name}: {}",
                    if created {
                        "created"
                    } else {
                        "exists, left as it is"
                    }
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => exit_with(&format!(
            "latch-local create-tables: {}",
            telemetry::error_chain(&err)
        )),
    }
}

fn print_new_secret() -> ExitCode {
    let material = latch_core::crypto::SecretMaterial::generate(time::OffsetDateTime::now_utc());
    match material.map(|m| serde_json::to_string_pretty(&m)) {
        Ok(Ok(json)) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        _ => exit_with("latch-local: could not generate secret material"),
    }
}

/// `latch-local rotate-keys`: one rotation of `<LATCH_DATA_DIR>/secrets.json` (the next key
/// becomes current, the current one previous, a new next key; a new data key and log-hashing
/// key), written atomically. A running server uses it within `LATCH_KEYS_TTL_S`.
fn rotate_keys() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(err) => return exit_with(&format!("latch-local rotate-keys: {err}")),
    };
    let source = latch_core::adapters::local_secrets::LocalSecrets::new(
        config.data_dir.join("secrets.json"),
    );
    let rules = latch_core::service::key_rotation::RotationRules::for_settings(
        config.keys_ttl,
        config.settings.access_ttl,
    );
    match source.rotate(time::OffsetDateTime::now_utc(), rules.min_published) {
        Ok(material) => {
            let current = material.kid_of(latch_core::crypto::KeyStage::Current);
            eprintln!(
                "latch-local rotate-keys: rotated; now signing with {}",
                current.unwrap_or("?")
            );
            ExitCode::SUCCESS
        }
        Err(err) => exit_with(&format!("latch-local rotate-keys: {err}")),
    }
}

/// `latch-local add-data-key`: reads secret material on standard input and prints it with a
/// new data key first (it seals from then on; the older ones still open), the signing and HMAC
/// keys unchanged. For material made before data keys existed, which is refused at start:
/// `aws secretsmanager get-secret-value --secret-id latch/keys --query SecretString --output text
/// | latch-local add-data-key > new.json`, then `put-secret-value --secret-string file://new.json`.
fn add_data_key() -> ExitCode {
    let mut input = String::new();
    if std::io::Read::read_to_string(&mut std::io::stdin(), &mut input).is_err() {
        return exit_with("latch-local add-data-key: could not read standard input");
    }
    match with_new_data_key(&input, time::OffsetDateTime::now_utc()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(why) => exit_with(&format!("latch-local add-data-key: {why}")),
    }
}

/// The material in `json` with a new data key first, checked to load as a key ring.
pub fn with_new_data_key(json: &str, now: time::OffsetDateTime) -> Result<String, String> {
    let mut material: latch_core::crypto::SecretMaterial = serde_json::from_str(json)
        .map_err(|e| format!("standard input is not secret material: {e}"))?;
    material.add_data_key(now);
    latch_core::crypto::KeyRing::from_material(&material).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&material).map_err(|e| e.to_string())
}

/// Accepts connections until the task is dropped.
pub async fn serve_on(listener: TcpListener, deps: Arc<Deps>, trust_proxy: bool) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let deps = Arc::clone(&deps);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                handle(Arc::clone(&deps), peer, trust_proxy, req)
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await
            {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
}

async fn handle(
    deps: Arc<Deps>,
    peer: SocketAddr,
    trust_proxy: bool,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let now = deps.clock.now();
    let Some((route, params)) = routes::matching(&parts.method, parts.uri.path()) else {
        let allowed: Vec<&str> = routes::methods_for(parts.uri.path())
            .iter()
            .map(|m| m.as_str())
            .collect();
        let err = if allowed.is_empty() {
            Error::NotFound
        } else {
            Error::MethodNotAllowed {
                allowed: allowed.join(", "),
            }
        };
        return Ok(to_hyper(fail(
            err,
            &parts.headers,
            parts.method.as_str(),
            now,
        )));
    };
    let bytes = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(to_hyper(fail(
                Error::PayloadTooLarge,
                &parts.headers,
                parts.method.as_str(),
                now,
            )));
        }
    };
    let forwarded = if trust_proxy {
        let values = parts.headers.get_all("x-forwarded-for").iter();
        extract::forwarded_for(values.map(|v| v.as_bytes()))
    } else {
        Ok(None)
    };
    let ip = match forwarded {
        Ok(ip) => ip.unwrap_or(peer.ip()),
        Err(err) => {
            return Ok(to_hyper(fail(
                err,
                &parts.headers,
                parts.method.as_str(),
                now,
            )));
        }
    };
    let mut req =
        lambda_http::http::Request::from_parts(parts, lambda_http::Body::from(bytes.to_vec()));
    req.extensions_mut().insert(ClientAddr(ip));
    let req = req.with_path_parameters(params.into_iter().collect::<HashMap<String, String>>());
    Ok(to_hyper(serve(&deps, route, req).await))
}

fn to_hyper(res: lambda_http::Response<lambda_http::Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = res.into_parts();
    let bytes = match body {
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bin) => Bytes::from(bin),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
