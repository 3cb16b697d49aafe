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
        "line 5: imap_command_finished: field `tagged_reply_state`: value `MAYBE` is not one Dovecot 2.3.19 sends for this field; it sends `OK`, `NO` or `BAD`",
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
    assert!(text(&text_out.stdout).contains("Per release"));
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
    assert_eq!(out.status.code(), Some(2), "an unknown name is bad input");
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

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dovecot-eventgen-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// Every command follows one exit-status contract: 0 clean, 1 findings,
/// 2 usage or bad input, 3 I/O. Each row: the arguments, the expected
/// status and a text its standard output or error must contain.
#[test]
fn every_command_follows_the_exit_status_contract() {
    let dir = scratch("exit");
    let not_utf8 = dir.join("latin1.conf");
    std::fs::write(
        &not_utf8,
        b"metric imap {\n  filter = event=imap_command_finished AND user=j\xf6rg\n}\n",
    )
    .expect("write a Latin-1 file");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a directory").expect("write a file");
    let below_file = blocker.join("out");
    let (not_utf8, below_file) = (
        not_utf8.to_str().expect("UTF-8 path"),
        below_file.to_str().expect("UTF-8 path"),
    );
    let clean_export = "tests/fixtures/exports/2.3.19/json-unix.jsonl";
    let planted = "cli/tests/fixtures/verify/planted.jsonl";
    let lint_clean = "cli/tests/fixtures/lint/docs-2.4.conf";
    let lint_errors = "cli/tests/fixtures/lint/malformed.conf";
    let cases: &[(&[&str], i32, &str)] = &[
        // Usage errors, from clap.
        (&["no-such-command"], 2, "unrecognized subcommand"),
        (&["lint"], 2, "required"),
        (&["verify", "--target", "two"], 2, "invalid value"),
        // validate
        (&["validate", "schema"], 0, "the schema is valid"),
        (
            &["validate", "tests/fixtures/bad-schema"],
            2,
            "5 schema errors found",
        ),
        (&["validate", "no/such/dir"], 3, "no/such/dir"),
        // resolve
        (&["resolve"], 0, "imap_command_finished"),
        (
            &["resolve", "--schema", "tests/fixtures/bad-schema"],
            2,
            "schema errors",
        ),
        (&["resolve", "--schema", "no/such/dir"], 3, "no/such/dir"),
        // stats
        (&["stats"], 0, "Per release"),
        (
            &["stats", "--schema", "tests/fixtures/bad-schema"],
            2,
            "schema errors",
        ),
        (&["stats", "--schema", "no/such/dir"], 3, "no/such/dir"),
        // verify
        (
            &["verify", clean_export, "--target", "2.3.19"],
            0,
            "no findings",
        ),
        (&["verify", planted, "--target", "2.3.19"], 1, "8 findings"),
        (
            &["verify", clean_export, "--target", "2.3.12"],
            2,
            "the nearest ones are 2.3.11.3 and 2.3.13",
        ),
        (
            &["verify", "no/such/file.jsonl", "--target", "2.3.19"],
            3,
            "cannot read no/such/file.jsonl",
        ),
        (
            &["verify", "tests", "--target", "2.3.19"],
            3,
            "cannot read tests",
        ),
        (
            &[
                "verify",
                clean_export,
                "--schema",
                "tests/fixtures/bad-schema",
            ],
            2,
            "schema errors",
        ),
        // diff
        (&["diff", "2.3.7", "2.3.9"], 0, "In all:"),
        (
            &["diff", "2.3.21.1", "2.4.0", "--fail-on-removal"],
            1,
            "removed",
        ),
        (
            &["diff", "2.3.7", "2.3.12"],
            2,
            "is not a release the schema knows",
        ),
        (
            &["diff", "2.4.0", "2.3.7"],
            2,
            "give the older release first",
        ),
        (
            &["diff", "2.3", "2.4", "--schema", "no/such/dir"],
            3,
            "no/such/dir",
        ),
        // lint
        (&["lint", lint_clean, "--target", "2.4.1"], 0, "no findings"),
        (&["lint", lint_errors, "--target", "2.3.19"], 1, "error"),
        (
            &["lint", lint_clean, "--target", "2.9.9"],
            2,
            "newer than every release",
        ),
        (
            &["lint", not_utf8, "--target", "2.3.19"],
            2,
            "is not UTF-8 text",
        ),
        (
            &["lint", "no/such.conf", "--target", "2.3.19"],
            3,
            "cannot read no/such.conf",
        ),
        // docs
        (
            &["docs", "--format", "markdown"],
            0,
            "imap_command_finished",
        ),
        (
            &["docs", "--target", "2.3.12"],
            2,
            "is not a release the schema knows",
        ),
        (&["docs", "--format", "dovecot-docs"], 2, "add --out DIR"),
        (
            &["docs", "--format", "json", "--out", below_file],
            3,
            "a-file",
        ),
        // rust
        (
            &["rust", "--event", "imap_command_finished"],
            0,
            "ImapCommandFinished",
        ),
        (&["rust", "--category", "imapp"], 2, "did you mean `imap`?"),
        (
            &["rust", "--target", "2.3.12"],
            2,
            "the schema has no release `2.3.12`",
        ),
        (
            &[
                "rust",
                "--event",
                "imap_command_finished",
                "--out",
                below_file,
            ],
            3,
            "a-file",
        ),
    ];
    let mut wrong = Vec::new();
    for (args, expected, needle) in cases {
        let out = eventgen(args, &repo());
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        if out.status.code() != Some(*expected) || !format!("{stdout}{stderr}").contains(needle) {
            wrong.push(format!(
                "{args:?}: exit {:?}, expected {expected} and {needle:?}\n{stderr}",
                out.status.code()
            ));
        }
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `verify`, `lint` and `docs` take a series for its newest release, and
/// `verify` and `lint` the newest release of all without `--target`; each
/// says so on standard error.
#[test]
fn targets_default_to_the_newest_release_and_series_to_their_newest() {
    let export = "tests/fixtures/exports/2.4.1/json-unix.jsonl";
    let out = eventgen(&["verify", export], &repo());
    let stderr = text(&out.stderr);
    let newest = stderr
        .split("checking against Dovecot ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no note on the default target: {stderr}"));
    assert!(newest.starts_with("2.4."), "{stderr}");
    assert!(
        stderr.contains("give --target to choose another"),
        "{stderr}"
    );
    assert!(
        text(&out.stdout).contains(&format!("checked against Dovecot {newest}")),
        "the report names the release it used"
    );

    let out = eventgen(&["verify", export, "--target", "2.4"], &repo());
    assert!(
        text(&out.stderr).contains(&format!(
            "note: 2.4 stands for the newest release of that series, Dovecot {newest}"
        )),
        "{}",
        text(&out.stderr)
    );

    let out = eventgen(
        &[
            "lint",
            "cli/tests/fixtures/lint/docs-2.3.conf",
            "--target",
            "2.3",
        ],
        &repo(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("Dovecot 2.3.21.1"),
        "{}",
        text(&out.stderr)
    );

    let out = eventgen(&["docs", "--format", "json", "--target", "2.3"], &repo());
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("Dovecot 2.3.21.1"));
}

#[test]
fn help_describes_the_tool_and_the_exit_statuses() {
    let out = eventgen(&["--help"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    let first = help.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Check Dovecot's exported events"),
        "{first}"
    );
    assert!(
        help.contains("Exit status: 0 when nothing was found; 1 when a check found"),
        "{help}"
    );
    for command in [
        "validate", "resolve", "stats", "verify", "diff", "lint", "docs", "rust",
    ] {
        assert!(
            help.contains(&format!("  {command} ")),
            "{command} in {help}"
        );
    }
}

/// `diff` text explains its signs and ends with a count of each kind of
/// change.
#[test]
fn diff_text_has_a_legend_and_a_summary() {
    let out = eventgen(&["diff", "2.3.21.1", "2.4.0"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "Dovecot 2.3.21.1 → 2.4.0");
    assert!(
        lines[1].starts_with("Legend: + added, - removed, ~ renamed"),
        "{}",
        lines[1]
    );
    let last = lines.last().expect("lines");
    assert!(last.starts_with("In all: "), "{last}");
    let renamed = lines.iter().filter(|l| l.starts_with("~ field")).count();
    assert!(
        last.contains(&format!("{renamed} renamed")),
        "{last} vs {renamed} renames"
    );

    let same = eventgen(&["diff", "2.3.19", "2.3.19.1"], &repo());
    assert_eq!(
        text(&same.stdout),
        "Dovecot 2.3.19 → 2.3.19.1\nNo event or field changed between these releases.\n"
    );
}
