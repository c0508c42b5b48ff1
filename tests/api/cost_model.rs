//! The cost model in `docs/BENCHMARKS.md` and the audit-conflict limits in
//! `docs/DESIGN-NOTES.md` are what their scripts compute from their inputs (counted calls,
//! measured times, prices): change an input and the table must follow.

use std::path::PathBuf;

#[test]
fn the_documented_cost_model_is_what_the_script_computes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/cost_model.py"))
        .output()
        .expect("python3 runs scripts/cost_model.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let computed = String::from_utf8(out.stdout).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/BENCHMARKS.md")).unwrap();
    let start = doc
        .find("<!-- cost-model:start -->")
        .expect("a cost-model table");
    let end = doc.find("<!-- cost-model:end -->").unwrap() + "<!-- cost-model:end -->".len();
    assert_eq!(
        &doc[start..end],
        computed.trim_end(),
        "docs/BENCHMARKS.md's cost model differs from the script's; it prints:\n{computed}"
    );
}

/// The audit-conflict table in `docs/DESIGN-NOTES.md` is what `scripts/audit_conflicts.py`
/// prints (its simulation is seeded, so the same every run).
#[test]
fn the_documented_audit_conflict_limits_are_what_the_simulation_prints() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/audit_conflicts.py"))
        .output()
        .expect("python3 runs scripts/audit_conflicts.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/DESIGN-NOTES.md")).unwrap();
    let (start, end) = (
        "<!-- audit-conflicts:start -->\n",
        "\n<!-- audit-conflicts:end -->",
    );
    let from = doc.find(start).expect("an audit-conflicts table") + start.len();
    let to = doc.find(end).unwrap();
    assert_eq!(
        &doc[from..to],
        printed.trim_end(),
        "docs/DESIGN-NOTES.md's audit-conflict table differs; the script prints:\n{printed}"
    );
}

/// The memory-size table in `docs/DESIGN-NOTES.md` is what `scripts/cost_model.py memory` prints.
#[test]
fn the_documented_memory_sizes_are_what_the_model_prints() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/cost_model.py"))
        .arg("memory")
        .output()
        .expect("python3 runs scripts/cost_model.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/DESIGN-NOTES.md")).unwrap();
    let start = doc
        .find("<!-- memory-sizes:start -->")
        .expect("a memory-sizes table");
    let end = doc.find("<!-- memory-sizes:end -->").unwrap() + "<!-- memory-sizes:end -->".len();
    assert_eq!(
        &doc[start..end],
        printed.trim_end(),
        "docs/DESIGN-NOTES.md's memory sizes differ; the script prints:\n{printed}"
    );
}
