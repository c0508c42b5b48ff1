//! The cost model in `docs/BENCHMARKS.md`, and the audit-conflict limits and memory sizes in
//! `docs/DESIGN-NOTES.md`, are what their scripts compute from their inputs (counted calls,
//! measured times, prices): change an input and the table must follow.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What `scripts/<script> <args>` prints.
fn printed(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 runs scripts/{script}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The section of `docs/<doc>` from `<!-- name:start -->` to `<!-- name:end -->`, both kept.
fn section(doc: &str, name: &str) -> String {
    let text = std::fs::read_to_string(root().join("docs").join(doc)).unwrap();
    let (open, close) = (
        format!("<!-- {name}:start -->"),
        format!("<!-- {name}:end -->"),
    );
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("docs/{doc} has a {name} table"));
    let end = text.find(&close).unwrap() + close.len();
    text[start..end].to_owned()
}

#[test]
fn the_documented_cost_model_is_what_the_script_computes() {
    let computed = printed("cost_model.py", &[]);
    assert_eq!(
        section("BENCHMARKS.md", "cost-model"),
        computed.trim_end(),
        "docs/BENCHMARKS.md's cost model differs from the script's; it prints:\n{computed}"
    );
}

/// The simulation is seeded, so it prints the same every run.
#[test]
fn the_documented_audit_conflict_limits_are_what_the_simulation_prints() {
    let printed = printed("audit_conflicts.py", &[]);
    let expected = format!(
        "<!-- audit-conflicts:start -->\n{}\n<!-- audit-conflicts:end -->",
        printed.trim_end()
    );
    assert_eq!(
        section("DESIGN-NOTES.md", "audit-conflicts"),
        expected,
        "docs/DESIGN-NOTES.md's audit-conflict table differs; the script prints:\n{printed}"
    );
}

#[test]
fn the_documented_memory_sizes_are_what_the_model_prints() {
    let printed = printed("cost_model.py", &["memory"]);
    assert_eq!(
        section("DESIGN-NOTES.md", "memory-sizes"),
        printed.trim_end(),
        "docs/DESIGN-NOTES.md's memory sizes differ; the script prints:\n{printed}"
    );
}
