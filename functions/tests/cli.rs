//! `latch-local` as a user meets it: one clear line for a bad variable or a busy port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn latch_local() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_latch-local"))
}

fn run(vars: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(latch_local());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCH_DATA_DIR", dir.path())
        .env("LATCH_LOG", "error");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn one_line_error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "exit status");
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "exactly one line: {stderr}"
    );
    stderr
}

#[test]
fn a_bad_value_stops_start_up_naming_the_variable() {
    let err = one_line_error(&run(&[("LATCH_STORE", "mongodb")]));
    assert!(
        err.starts_with(
            "latch-local: bad configuration: LATCH_STORE: expected one of embedded, dynamodb"
        ),
        "{err}"
    );
}

#[test]
fn a_misspelt_variable_is_refused() {
    let err = one_line_error(&run(&[("LATCH_STOER", "embedded")]));
    assert!(err.contains("LATCH_STOER: unknown variable"), "{err}");
}

#[test]
fn a_busy_port_is_one_line() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let err = one_line_error(&run(&[("LATCH_ADDR", &addr)]));
    assert!(
        err.contains(&format!("LATCH_ADDR: {addr} is already in use")),
        "{err}"
    );
}

#[test]
fn print_new_secret_emits_loadable_material() {
    let out = Command::new(latch_local())
        .arg("--print-new-secret")
        .env("LATCH_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success());
    let material: latch_core::crypto::SecretMaterial = serde_json::from_slice(&out.stdout).unwrap();
    latch_core::crypto::KeyRing::from_material(&material).unwrap();
}
