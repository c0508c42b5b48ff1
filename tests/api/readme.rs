//! The README keeps up with the code: every variable with its default, and the two commands first.

use latch_core::config::VARIABLES;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

#[test]
fn the_configuration_table_lists_every_variable_with_its_default() {
    let readme = readme();
    for (name, default, _) in VARIABLES {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("README lacks {name}"));
        if let Some(default) = default {
            assert!(
                row.contains(&format!("`{default}`")),
                "README gives another default for {name}: {row}"
            );
        }
    }
}

#[test]
fn the_readme_opens_with_the_run_and_test_commands() {
    let readme = readme();
    let first_block = readme
        .split("```sh")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert!(first_block.contains("--bin latch-local"));
    assert!(first_block.contains("scripts/test.sh"));
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "scripts/test.sh"),
        ".ci/run runs the README's test command"
    );
}

/// One command of a README block and what the README says it answers (status and body, `…`
/// and `...` standing for anything), if it says.
struct Step {
    command: String,
    expected: Option<(Option<u16>, String)>,
}

/// `# 202 {"message":"…"}` or `# {"status":"ok"}`: an answer; any other comment is prose.
fn expectation(comment: &str) -> Option<(Option<u16>, String)> {
    let text = comment.trim().strip_prefix('#')?.trim();
    let (status, body) = match text.split_once(' ') {
        Some((code, rest)) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(code.parse().ok()?), rest.trim())
        }
        _ => (None, text),
    };
    body.starts_with('{').then(|| (status, body.to_owned()))
}

fn steps(block: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut pending = String::new();
    for line in block.lines() {
        if pending.is_empty() && line.trim_start().starts_with('#') {
            if let (Some(expected), Some(last)) = (expectation(line), steps.last_mut()) {
                last.expected = Some(expected);
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        pending.push_str(line);
        pending.push('\n');
        if line.ends_with('\\') {
            continue;
        }
        let command = std::mem::take(&mut pending);
        let expected = command
            .rsplit_once("  #")
            .and_then(|(_, c)| expectation(&format!("#{c}")));
        steps.push(Step { command, expected });
    }
    steps
}

/// Whether `text` is `pattern` with each `…` or `...` standing for any run of characters.
fn matches(pattern: &str, text: &str) -> bool {
    let pattern = pattern.replace("...", "…");
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return text == first;
    }
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Runs every shell block (```` ```sh ````) of the README after the first (which holds the run
/// and test commands: it runs this test) against a fresh local server (blocks marked
/// ```` ```sh aws ```` need an AWS account and are not run), the way a newcomer pastes it: in a fresh
/// folder whose `.latch` is the server's data directory, with the server's address for the
/// README's. Each command must succeed, and each answer the README shows (status and body) must
/// be what the command printed.
#[tokio::test]
async fn every_shell_block_of_the_readme_does_what_the_readme_says() {
    let readme = readme();
    let blocks: Vec<&str> = readme
        .split("```sh\n")
        .skip(2)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(!blocks.is_empty(), "the README shows how to try it");
    for block in blocks {
        let folder = tempfile::tempdir().unwrap();
        let data = folder.path().join(".latch");
        let app = crate::support::spawn_app_with(
            &[("LATCH_DATA_DIR", &data.display().to_string())],
            None,
        )
        .await;
        let steps = steps(&block.replace("http://127.0.0.1:3000", &app.base));
        assert!(steps.iter().any(|s| s.expected.is_some()), "{block}");
        let mut script = String::from(
            "set -euo pipefail\nexec 2>&1\ncurl() { command curl --fail-with-body -w '%{stderr}\\n@@status %{http_code}\\n' \"$@\"; }\n",
        );
        for (i, step) in steps.iter().enumerate() {
            script.push_str(&format!("echo '@@step {i}'\n{}", step.command));
        }
        script.push_str("echo '@@end'\n");
        let out = tokio::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(folder.path())
            .output()
            .await
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && printed.contains("@@end"),
            "a README command failed:\n{printed}"
        );
        for (i, step) in steps.iter().enumerate() {
            let Some((status, body)) = &step.expected else {
                continue;
            };
            let output = printed
                .split(&format!("@@step {i}\n"))
                .nth(1)
                .unwrap()
                .split("@@step ")
                .next()
                .unwrap()
                .split("@@end")
                .next()
                .unwrap();
            let statuses: Vec<&str> = output
                .lines()
                .filter_map(|l| l.strip_prefix("@@status "))
                .collect();
            let answer: String = output
                .lines()
                .filter(|l| !l.starts_with("@@status "))
                .collect::<Vec<_>>()
                .join("\n");
            if let Some(status) = status {
                assert_eq!(
                    statuses,
                    [status.to_string()],
                    "`{}` answered another status:\n{output}",
                    step.command.trim()
                );
            }
            assert!(
                matches(body, answer.trim()),
                "`{}` printed\n{}\nwhere the README says\n{body}",
                step.command.trim(),
                answer.trim()
            );
        }
    }
}

#[test]
fn the_readme_answer_patterns_match_as_meant() {
    assert!(matches(r#"{"a":"…","b":1}"#, r#"{"a":"xyz","b":1}"#));
    assert!(!matches(r#"{"a":"…","b":1}"#, r#"{"a":"xyz","b":2}"#));
    assert!(matches(r#"{"m":"If ..."}"#, r#"{"m":"If it is"}"#));
    assert!(!matches(
        r#"{"verified":true}"#,
        r#"{"verified":true}{"x":1}"#
    ));
    assert_eq!(expectation("# the ES256 public keys"), None);
    assert_eq!(
        expectation("# 200 {\"a\":1}"),
        Some((Some(200), "{\"a\":1}".into()))
    );
}
