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
fn verify_reports_each_planted_problem_and_exits_1() {
    let planted = repo().join("cli/tests/fixtures/verify/planted.jsonl");
    let out = eventgen(
        &[
            "verify",
            planted.to_str().expect("utf-8 path"),
            "--target",
            "2.3.19",
        ],
        &repo(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for expected in [
        "line 2: imap_comand_finished: the schema has no event of this name (did you mean `imap_command_finished`?)",
        "line 3: imap_command_finished: field `cmd_nmae`: the schema does not list this field for the event (did you mean `cmd_name`?)",
        "line 4: imap_command_finished: field `bytes_in`: expected a non-negative integer, found \"many\"",
        "line 5: imap_command_finished: field `tagged_reply_state`: value `MAYBE` is not one of imap_tagged_reply_state in Dovecot 2.3.19",
        "line 6: column 61: event `imap_command_finished`: `fields`: invalid JSON: EOF while parsing",
        "line 7: column 1: invalid JSON: expected a value",
        "line 9: auth_client_request_continue: Dovecot 2.3.11.2 stopped sending this event, so Dovecot 2.3.19 does not send it; from 2.3.11.2 on it is called `auth_client_request_continued`",
        "line 10: the event has no name",
        "9 events checked against Dovecot 2.3.19: 8 findings",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("line 1:"), "line 1 is clean:\n{stdout}");

    let json = eventgen(
        &[
            "verify",
            planted.to_str().expect("utf-8 path"),
            "--target",
            "2.3.19",
            "--format",
            "json",
        ],
        &repo(),
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert_eq!(report["events"], 9);
    assert_eq!(report["findings"][0]["kind"], "unknown_event");
    assert_eq!(report["findings"][1]["field"], "cmd_nmae");
}

#[test]
fn verify_reads_tab_text_and_flags_newer_items_for_an_older_target() {
    let planted = repo().join("cli/tests/fixtures/verify/planted.txt");
    let out = eventgen(
        &[
            "verify",
            planted.to_str().expect("utf-8 path"),
            "--target",
            "2.3.19",
        ],
        &repo(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        !stdout.contains("line 1:"),
        "escaped tab and port are fine:\n{stdout}"
    );
    assert!(stdout.contains("line 2: imap_command_finished: field `remote_port`: expected a port number (0-65535), found \"http\""), "{stdout}");
    // The runtime reads 0x01 before any other character as that character,
    // and so does verify.
    assert!(!stdout.contains("line 3"), "{stdout}");

    let old = eventgen(
        &[
            "verify",
            planted.to_str().expect("utf-8 path"),
            "--target",
            "2.3.8",
        ],
        &repo(),
    );
    let stdout = text(&old.stdout);
    assert!(
        stdout.contains("line 1 (and 1 more line): imap_command_finished: field `cmd_name`: Dovecot 2.3.9 is the first release that sends this field; Dovecot 2.3.8 does not"),
        "{stdout}"
    );
}

#[test]
fn verify_accepts_real_2_3_19_exports() {
    let dir = repo().join("tests/fixtures/exports/2.3.19");
    for file in ["json-unix.jsonl", "json-rfc3339.jsonl", "tab-text.txt"] {
        let out = eventgen(
            &[
                "verify",
                dir.join(file).to_str().expect("utf-8 path"),
                "--target",
                "2.3.19",
            ],
            &repo(),
        );
        assert_eq!(out.status.code(), Some(0), "{file}:\n{}", text(&out.stdout));
    }
}

#[test]
fn stats_counts_every_event_once() {
    let out = eventgen(&["stats", "--format", "json"], &repo());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON stats");
    let per_category: u64 = stats["per_category"]
        .as_object()
        .expect("per-category map")
        .values()
        .map(|row| row["events"].as_u64().expect("count"))
        .sum();
    assert_eq!(Some(per_category), stats["events"].as_u64());
    let text_out = eventgen(&["stats"], &repo());
    assert!(text(&text_out.stdout).contains("per release"));
}

#[test]
fn rust_prints_the_selected_types() {
    let out = eventgen(
        &[
            "rust",
            "--target",
            "2.3.19",
            "--event",
            "imap_command_finished",
            "--field-attribute",
            "*.cmd_name=#[doc(alias = \"command\")]",
        ],
        &std::env::temp_dir(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let code = text(&out.stdout);
    assert!(code.starts_with("// @generated by dovecot-eventgen"));
    assert!(code.contains("Do not edit by hand: run `dovecot-eventgen rust --target 2.3.19 --event imap_command_finished --field-attribute '*.cmd_name=#[doc(alias = \"command\")]'`"));
    assert!(code.contains("pub struct ImapCommandFinished = \"imap_command_finished\""));
    assert!(code.contains("#[doc(alias = \"command\")]"));
    assert!(code.contains("::dovecot_events::__event! {"));
    assert!(!code.contains("AuthRequestFinished"));
}

#[test]
fn rust_reports_unknown_names_and_bad_attributes() {
    let out = eventgen(
        &[
            "rust",
            "--category",
            "imapp",
            "--type-attribute",
            "*=derive(Hash)",
        ],
        &std::env::temp_dir(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the schema has no category `imapp` (did you mean `imap`?)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("attribute `derive(Hash)` for `*`"),
        "{stderr}"
    );

    let out = eventgen(
        &["rust", "--type-attribute", "#[must_use]"],
        &std::env::temp_dir(),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap rejects a value without PATTERN="
    );
    assert!(text(&out.stderr).contains("expected PATTERN=ATTR"));
}
