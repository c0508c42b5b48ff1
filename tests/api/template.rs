//! `infra/template.yaml` routes every entry of the route table to the function of the same
//! name, and nothing else; each function's policies are narrow; cfn-lint accepts the template.

use latch_core::http::ROUTES;
use latch_core::service::jobs::JOBS;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")
}

fn functions() -> Vec<(String, Value)> {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[test]
fn the_template_routes_exactly_the_route_table_and_schedules_exactly_the_jobs() {
    let mut routed = BTreeSet::new();
    let mut scheduled = BTreeSet::new();
    for (logical, f) in functions() {
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{logical} names no Binary"));
        assert_eq!(
            f["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{logical}"
        );
        let events = f["Properties"]["Events"].as_mapping().unwrap();
        assert_eq!(events.len(), 1, "{logical} has one trigger");
        let (_, event) = events.iter().next().unwrap();
        match event["Type"].as_str() {
            Some("HttpApi") => {
                let method = event["Properties"]["Method"].as_str().unwrap().to_owned();
                let path = event["Properties"]["Path"].as_str().unwrap().to_owned();
                assert!(
                    routed.insert((binary.to_owned(), method, path)),
                    "{logical} routes a route twice"
                );
            }
            Some("ScheduleV2") => {
                let rate = event["Properties"]["ScheduleExpression"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert!(
                    scheduled.insert((binary.to_owned(), rate)),
                    "{logical} twice"
                );
            }
            other => panic!("{logical}: unexpected trigger {other:?}"),
        }
    }
    let table: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| (r.name.to_owned(), r.method.to_string(), r.path.to_owned()))
        .collect();
    assert_eq!(
        routed, table,
        "template routes (left) differ from the route table (right)"
    );
    let jobs: BTreeSet<(String, String)> = JOBS
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(
        scheduled, jobs,
        "template schedules (left) differ from the jobs (right)"
    );
}

#[test]
fn no_function_gets_wildcard_permissions() {
    for (logical, f) in functions() {
        let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
        assert!(
            !policies.contains("dynamodb:*")
                && !policies.contains("ses:*")
                && !policies.contains("Resource: '*'"),
            "{logical}: {policies}"
        );
        assert!(!policies.contains("Scan"), "{logical} may not scan tables");
    }
}

#[test]
fn cfn_lint_accepts_the_template() {
    let lint = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/cfn-lint");
    assert!(
        lint.exists(),
        "cfn-lint is missing from .venv: run scripts/test.sh, which installs it"
    );
    let out = std::process::Command::new(lint)
        .arg(template_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
