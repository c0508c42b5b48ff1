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
