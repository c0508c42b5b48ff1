//! Schemathesis fuzzes the local server against its own OpenAPI document: any 5xx, any response
//! the document does not describe, or a response without the security headers fails the run.

use crate::support::UA;
use std::path::PathBuf;
use std::process::Command;

#[tokio::test]
async fn schemathesis_finds_nothing_against_the_openapi_document() {
    // With a database server, so provisioning answers as deployed rather than 503.
    let pg = crate::support::postgres::postgres().admin_url();
    let app = crate::support::spawn_app_with(&[("LATCH_PG_ADMIN_URL", pg.as_str())], None).await;
    let (_, tokens) = app.signed_in().await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let st = root.join("../.venv/bin/schemathesis");
    assert!(
        st.exists(),
        "schemathesis is missing from .venv: run scripts/test.sh, which installs it"
    );
    let peers = root.join("api/peers");
    let bearer = format!(
        "Authorization: Bearer {}",
        tokens["accessToken"].as_str().unwrap()
    );
    let user_agent = format!("User-Agent: {UA}");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .current_dir(&peers)
            .env("SCHEMATHESIS_HOOKS", "st_hooks")
            .env("PYTHONPATH", &peers)
            .args(["--no-color", "--config-file", "schemathesis.toml", "run"])
            .arg(format!("{base}/v1/openapi.json"))
            .args([
                "--url",
                &base,
                "--checks",
                "all",
                "--max-examples",
                "25",
                "--seed",
                "20261123",
                "--workers",
                "1",
            ])
            .args(["-H", &bearer, "-H", &user_agent])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tail: String = stdout
        .lines()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{tail}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Tested:"),
        "schemathesis ran no operation:\n{tail}"
    );
}
