//! `dovecot-eventgen validate`: every located schema mistake on standard
//! error, all at once, and exit code 2.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn codegen_dir() -> PathBuf {
    repo().join("codegen")
}

const FIVE_MISTAKES: &str = "tests/fixtures/bad/five_mistakes";

/// The five mistakes of [`FIVE_MISTAKES`], as `path:line:column: message`.
fn five_mistakes() -> [String; 5] {
    let base = format!("{FIVE_MISTAKES}/base.yaml");
    let events = format!("{FIVE_MISTAKES}/events.yaml");
    [
        format!("{base}:6:3: enum `transport` has no values"),
        format!("{events}:5:12: version 2.3.12 is not in the `versions` list"),
        format!("{events}:7:21: unknown type `strng`"),
        format!("{events}:8:35: field `port` has a unit but its type is string"),
        format!("{events}:12:16: `inherits` names `loginn`, which is neither a group nor an event"),
    ]
}

fn eventgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
        .current_dir(codegen_dir())
        .args(args)
        .output()
        .expect("dovecot-eventgen runs")
}

#[test]
fn cli_validate_reports_every_mistake_and_exits_2() {
    let output = eventgen(&["validate", FIVE_MISTAKES]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
    let mistakes = five_mistakes();
    let headlines: Vec<&str> = stderr
        .lines()
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .filter(|line| line.starts_with(FIVE_MISTAKES))
        .collect();
    assert_eq!(headlines, mistakes, "stderr:\n{stderr}");
    assert!(
        stderr.trim_end().ends_with("5 schema errors found"),
        "stderr:\n{stderr}"
    );
}

#[test]
fn cli_validate_accepts_the_small_schema() {
    let small: PathBuf = codegen_dir().join("../tests/fixtures/schemas/small");
    let output = eventgen(&["validate", &small.to_string_lossy()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("the schema is valid: "));
}

/// Files a schema cannot be read from are bad input like any schema
/// mistake: located, and exit code 2 (not 1, which is for I/O errors).
#[test]
fn unreadable_schema_files_are_located_and_exit_2() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("validate-not-utf8");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    std::fs::write(dir.join("a.yaml"), b"versions: [2.3.0]\n# caf\xe9\n").expect("write");
    let dir_arg = dir.display().to_string();
    let output = eventgen(&["validate", &dir_arg]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:2:6: the file is not UTF-8: byte 0xe9 at byte offset 23",
            dir.join("a.yaml").display()
        )),
        "{stderr}"
    );
    let deep = dir.join("deep");
    std::fs::create_dir_all(&deep).expect("scratch directory");
    std::fs::remove_file(dir.join("a.yaml")).expect("remove");
    std::fs::write(deep.join("b.yaml"), "- ".repeat(177_000)).expect("write");
    let output = eventgen(&["validate", &dir_arg]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("b.yaml:1:129: sequences and mappings nest more than 64 levels deep"),
        "{stderr}"
    );
}
