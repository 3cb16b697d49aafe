//! The `dovecot-eventgen` binary, run for real on the repository and on
//! temporary copies of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent")
        .to_path_buf()
}

fn eventgen(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run dovecot-eventgen")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch copy of the parts of the repository that `check` and
/// `generate` read and write, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("dovecot-eventgen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&repo().join("schema"), &dir.join("schema"));
        copy_dir(&repo().join("generated"), &dir.join("generated"));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("dir entry").path();
        let dest = to.join(path.file_name().expect("named entry"));
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy file");
        }
    }
}

#[test]
fn validate_reports_five_located_errors_and_exits_2() {
    let out = eventgen(&["validate", "tests/fixtures/bad-schema"], &repo());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let located: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("tests/fixtures/bad-schema/events.yaml:"))
        .collect();
    assert_eq!(located.len(), 5, "{stderr}");
    for (line, expected) in located.iter().zip([
        "events.yaml:6:5: unknown key `descripton` in event",
        "events.yaml:7:16: `inherits` names `no_such_group`",
        "events.yaml:9:25: unknown type `strng`",
        "events.yaml:10:58: version 2.3.12 is not in the `versions` list",
        "events.yaml:11:67: field `bytes_in` is said to appear in 2.3.0, before its event",
    ]) {
        assert!(
            line.contains(expected),
            "{line:?} should contain {expected:?}"
        );
    }
    assert!(stderr.contains("hint: did you mean `description`?"));
    assert!(stderr.trim_end().ends_with("5 schema errors found"));
}

#[test]
fn validate_accepts_the_embedded_and_the_repository_schema() {
    let out = eventgen(&["validate"], &std::env::temp_dir());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = eventgen(&["validate", "schema"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn check_passes_on_the_repository_and_catches_drift() {
    let scratch = Scratch::new("check");
    let root = scratch.0.to_str().expect("utf-8 temp path");
    let schema = scratch.0.join("schema");
    let schema = schema.to_str().expect("utf-8 temp path");
    let check = || eventgen(&["check", "--root", root, "--schema", schema], &scratch.0);

    let out = check();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // A hand edit to a generated file.
    let generated = scratch.0.join("generated/src/generated.rs");
    let original = std::fs::read_to_string(&generated).expect("read generated code");
    std::fs::write(&generated, format!("{original}\n// edited by hand\n")).expect("edit");
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("out of date: generated/src/generated.rs"));
    std::fs::write(&generated, &original).expect("restore");

    // A schema change without regeneration.
    let versions = scratch.0.join("schema/dovecot.yaml");
    let yaml = std::fs::read_to_string(&versions).expect("read schema");
    std::fs::write(
        &versions,
        format!("{yaml}\n# a comment changes the schema hash\n"),
    )
    .expect("edit");
    let out = check();
    assert_eq!(out.status.code(), Some(1));

    // `generate` repairs it, touching only what changed, and `check` agrees.
    let out = eventgen(
        &["generate", "--root", root, "--schema", schema],
        &scratch.0,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 changed"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(check().status.code(), Some(0));
    let out = eventgen(
        &["generate", "--root", root, "--schema", schema],
        &scratch.0,
    );
    assert!(
        text(&out.stdout).contains("0 changed"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn resolve_prints_the_stable_core() {
    let out = eventgen(&["resolve"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let versions = json["versions"].as_array().expect("versions");
    assert!(versions.iter().any(|v| v == "2.3.19.1"));
    let event = &json["events"]["imap_command_finished"];
    for key in ["category", "since", "removed", "renamed_to", "fields"] {
        assert!(event.get(key).is_some(), "event key {key}");
    }
    let field = &event["fields"]["tagged_reply_state"];
    for key in ["type", "since", "removed", "renamed_to"] {
        assert!(field.get(key).is_some(), "field key {key}");
    }
    assert_eq!(field["type"], "enum");
    // Inherited fields are listed after resolution.
    assert!(
        json["events"]["client_connection_disconnected"]["fields"]
            .as_object()
            .expect("fields")
            .len()
            > 3
    );
}

#[test]
fn outside_the_repository_generate_explains_itself() {
    let out = eventgen(&["generate"], &std::env::temp_dir());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("pass --root"),
        "{}",
        text(&out.stderr)
    );
}
