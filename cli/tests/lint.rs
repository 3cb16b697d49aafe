//! `dovecot-eventgen lint`: planted mistakes are found at their exact
//! line and column, Dovecot's documented examples pass without findings,
//! malformed filters, include chains, the pre-2.3.12 syntax and
//! `doveconf -n` output are handled, and the CLI's JSON and exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use dovecot_eventgen::lint::{self, Report, Rule, Severity};
use dovecot_events_codegen::{EventModel, Version};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent")
        .to_path_buf()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// The repository's schema, loaded once.
fn model() -> &'static EventModel {
    static MODEL: OnceLock<EventModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        dovecot_events_codegen::load_dir(&repo().join("schema")).expect("the schema loads")
    })
}

fn v(text: &str) -> Version {
    text.parse().expect("a version")
}

fn lint_fixture(name: &str, target: &str) -> Report {
    lint::lint_file(model(), &fixtures().join(name), v(target)).expect("the fixture is readable")
}

/// `file:line:column severity rule` for every finding, paths relative to
/// the fixture directory.
fn found(report: &Report) -> Vec<String> {
    let prefix = format!("{}/", fixtures().display());
    report
        .findings
        .iter()
        .map(|f| {
            let rule = serde_json::to_value(f.rule).expect("rule serialises");
            format!(
                "{}:{}:{} {} {}",
                f.location
                    .file
                    .strip_prefix(&prefix)
                    .unwrap_or(&f.location.file),
                f.location.line,
                f.location.column,
                f.severity,
                rule.as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn assert_clean(name: &str, target: &str) {
    let report = lint_fixture(name, target);
    assert!(report.findings.is_empty(), "{name} for {target}:\n{report}");
}

#[test]
fn finds_every_planted_mistake_at_its_line_and_column() {
    let report = lint_fixture("planted/dovecot.conf", "2.3.19");
    assert_eq!(
        found(&report),
        [
            "planted/conf.d/10-logging.conf:2:50 error unknown-event",
            "planted/conf.d/10-logging.conf:4:19 error filter-syntax",
            "planted/conf.d/10-logging.conf:8:69 error filter-syntax",
            "planted/conf.d/20-metrics.conf:4:18 error unknown-event",
            "planted/conf.d/20-metrics.conf:8:44 error removed",
            "planted/conf.d/20-metrics.conf:12:44 error unsupported-operator",
            "planted/conf.d/20-metrics.conf:16:44 error unsupported-operator",
            "planted/conf.d/20-metrics.conf:20:44 warning field-not-carried",
            "planted/conf.d/20-metrics.conf:24:44 error unknown-field",
            "planted/conf.d/20-metrics.conf:28:18 warning wildcard-matches-nothing",
            "planted/conf.d/20-metrics.conf:32:53 error unknown-category",
            "planted/conf.d/20-metrics.conf:37:14 error non-numeric-aggregation",
            "planted/conf.d/20-metrics.conf:42:23 error invalid-group-by",
            "planted/conf.d/20-metrics.conf:47:21 error unknown-field",
            "planted/conf.d/20-metrics.conf:51:3 error removed",
            "planted/conf.d/20-metrics.conf:55:44 error not-in-target",
            "planted/conf.d/20-metrics.conf:59:44 warning never-matches",
            "planted/conf.d/20-metrics.conf:63:63 warning value-never-matches",
            "planted/conf.d/20-metrics.conf:67:52 warning value-never-matches",
            "planted/conf.d/20-metrics.conf:71:64 error value-never-matches",
            "planted/conf.d/20-metrics.conf:75:12 error filter-syntax",
            "planted/conf.d/20-metrics.conf:79:18 error unknown-event",
            "planted/conf.d/20-metrics.conf:83:53 error value-never-matches",
            "planted/conf.d/20-metrics.conf:87:18 error removed",
            "planted/conf.d/20-metrics.conf:92:3 error unknown-setting",
            "planted/conf.d/20-metrics.conf:97:3 error not-in-target",
            "planted/conf.d/20-metrics.conf:105:1 error missing-filter",
            "planted/conf.d/20-metrics.conf:110:53 error removed",
            "planted/conf.d/30-exporters.conf:10:12 error invalid-exporter",
            "planted/conf.d/30-exporters.conf:11:15 error invalid-exporter",
            "planted/conf.d/30-exporters.conf:16:14 error unknown-exporter",
            "planted/conf.d/30-exporters.conf:17:27 warning unknown-setting",
        ],
        "{report}"
    );
    assert_eq!(report.metrics, 27);
    assert_eq!(report.files.len(), 4, "{:?}", report.files);
}

#[test]
fn fixes_name_the_replacement() {
    let report = lint_fixture("planted/dovecot.conf", "2.3.19");
    let text = report.to_string();
    for expected in [
        "did you mean `auth_request_finished`?",
        "from 2.3.9 on it is called `cmd_name`\n  fix: use `cmd_name`",
        "use `event=auth_client_request_continued`",
        "event names are case-sensitive: use `event=imap_command_finished`",
        "did you mean `cmd_name`?",
        "did you mean `storage`?",
        "did you mean `bytes_out`?",
        "did you mean `datalake`?",
        "did you mean `push-notification`?",
        "write `filter = event=imap_command_finished`",
        "write `group_by = duration:exponential:1:5:10`",
        "put the value in double quotes: `\"bob@example.com\"`",
        "from 2.3.12 on write `event=imap_command_finished`",
        "did you mean `group_by`?",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.ends_with("26 errors, 6 warnings in 4 files (27 metrics, 28 filters) checked against Dovecot 2.3.19"), "{text}");
}

#[test]
fn finds_2_4_mistakes() {
    let report = lint_fixture("planted-2.4.conf", "2.4.1");
    assert_eq!(
        found(&report),
        [
            "planted-2.4.conf:4:23 error invalid-group-by",
            "planted-2.4.conf:8:12 error removed",
            "planted-2.4.conf:13:5 error invalid-group-by",
            "planted-2.4.conf:19:12 error invalid-group-by",
            "planted-2.4.conf:22:12 error non-numeric-aggregation",
            "planted-2.4.conf:29:58 warning value-never-matches",
            "planted-2.4.conf:33:3 error removed",
            "planted-2.4.conf:34:3 error removed",
            "planted-2.4.conf:35:3 error unknown-setting",
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(text.contains(
        "write `group_by duration { method exponential { min_magnitude = 1; max_magnitude = 5; base = 10 } }`"
    ));
    assert!(text.contains("write `http_post_url = https://example.com/events`"));
}

#[test]
fn dovecot_2_3_documented_examples_have_no_findings() {
    // The examples use cmd_name (2.3.9) and duration (2.3.11.2); the filter
    // language needs 2.3.12, so 2.3.13 is the first release they fit.
    for target in ["2.3.13", "2.3.19", "2.3.21.1"] {
        assert_clean("docs-2.3.conf", target);
    }
}

#[test]
fn dovecot_2_4_documented_examples_have_no_findings() {
    for target in ["2.4.0", "2.4.1"] {
        assert_clean("docs-2.4.conf", target);
    }
}

#[test]
fn documented_filter_language_examples_only_use_placeholder_events() {
    for (name, target) in [
        ("docs-filters-2.3.conf", "2.3.19"),
        ("docs-filters-2.4.conf", "2.4.1"),
    ] {
        let report = lint_fixture(name, target);
        assert!(!report.findings.is_empty());
        for finding in &report.findings {
            assert_eq!(finding.rule, Rule::UnknownEvent, "{report}");
            assert!(
                finding.message == "unknown event `abc`"
                    || finding.message == "unknown event `def`",
                "{report}"
            );
        }
    }
    // The 2.4 examples use units and net_*_bytes, which 2.3 does not know.
    let report = lint_fixture("docs-filters-2.4.conf", "2.3.19");
    assert!(
        report.of_rule(Rule::ValueNeverMatches).count() == 3,
        "{report}"
    );
    assert!(report.of_rule(Rule::NotInTarget).count() == 4, "{report}");
}

#[test]
fn the_documented_push_notification_category_is_outdated() {
    for target in ["2.3.19", "2.4.1"] {
        let report = lint_fixture("docs-push-notification.conf", target);
        assert_eq!(
            found(&report),
            ["docs-push-notification.conf:6:53 error removed"],
            "{report}"
        );
        assert_eq!(
            report.findings[0].fix.as_deref(),
            Some("did you mean `push-notification`?")
        );
    }
    // Before 2.3.11.2 the category was spelled that way.
    let report = lint_text(
        "metric ox {\n  event_name = http_request_finished\n  categories = push_notification\n}\n",
        "2.3.10",
    );
    assert!(report.findings.is_empty(), "{report}");
}

#[test]
fn malformed_filters_are_located() {
    let report = lint_fixture("malformed.conf", "2.3.19");
    assert_eq!(
        found(&report),
        [
            "malformed.conf:3:43 error filter-syntax",
            "malformed.conf:6:40 error filter-syntax",
            "malformed.conf:9:78 error filter-syntax",
            "malformed.conf:12:57 error filter-syntax",
            "malformed.conf:15:17 error filter-syntax",
            "malformed.conf:18:62 error filter-syntax",
        ],
        "{report}"
    );
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "malformed filter: the filter ends where a comparison such as `event=name` should follow",
            "malformed filter: expected AND or OR before `cmd_name`",
            "malformed filter: this `)` has no matching `(`",
            "malformed filter: this quoted string has no closing `\"`",
            "malformed filter: only fields can be compared with `<`; `event` only supports `=`",
            "malformed filter: `/` is allowed in an unquoted value only from Dovecot 2.4.0 on, not in 2.3.19",
        ]
    );
    // `/` is a token character from 2.4.0 on.
    let report = lint_fixture("malformed.conf", "2.4.1");
    assert_eq!(report.of_rule(Rule::FilterSyntax).count(), 5, "{report}");
}

#[test]
fn follows_include_chains_and_value_files() {
    let report = lint_fixture("include-chain/dovecot.conf", "2.3.19");
    assert_eq!(
        found(&report),
        [
            "include-chain/dovecot.conf:4:10 error include",
            "include-chain/shared/metrics.conf:3:21 error unknown-field",
            "include-chain/shared/metrics.conf:6:14 error include",
            "include-chain/shared/filter.txt:2:3 error unknown-field",
        ],
        "{report}"
    );
    let prefix = format!("{}/", fixtures().display());
    let files: Vec<&str> = report
        .files
        .iter()
        .map(|f| f.strip_prefix(&prefix).unwrap_or(f))
        .collect();
    assert_eq!(
        files,
        [
            "include-chain/dovecot.conf",
            "include-chain/conf.d/10-first.conf",
            "include-chain/shared/metrics.conf",
            "include-chain/conf.d/20-second.conf",
            "include-chain/shared/filter.txt",
        ]
    );
    assert!(report.to_string().contains("recursive include of"));
}

#[test]
fn reads_the_pre_2_3_12_syntax() {
    let report = lint_fixture("legacy-2.3.10.conf", "2.3.10");
    assert_eq!(
        found(&report),
        [
            "legacy-2.3.10.conf:3:19 error filter-syntax",
            "legacy-2.3.10.conf:16:16 error unknown-event",
            "legacy-2.3.10.conf:18:5 error unknown-field",
            "legacy-2.3.10.conf:20:19 error not-in-target",
            "legacy-2.3.10.conf:24:3 error not-in-target",
        ],
        "{report}"
    );
    assert!(report.to_string().contains("needs Dovecot 2.3.12 or later"));
}

#[test]
fn reads_doveconf_output() {
    assert_clean("doveconf-n.conf", "2.3.19");
    let report = lint_fixture("doveconf-n.conf", "2.4.1");
    assert_eq!(
        found(&report),
        [
            "doveconf-n.conf:1:3 warning version-mismatch",
            "doveconf-n.conf:6:3 error removed",
            "doveconf-n.conf:7:3 error removed",
        ],
        "{report}"
    );
}

fn lint_text(text: &str, target: &str) -> Report {
    lint::lint_str(model(), "t.conf", text, v(target))
}

#[test]
fn filters_select_the_events_their_fields_are_checked_against() {
    // `OR` and `AND` have the same precedence and group to the left, so
    // `status_code` is checked against both events.
    let report = lint_text(
        "log_debug = event=http_request_finished OR event=imap_command_finished AND status_code=200\n",
        "2.3.19",
    );
    assert!(report.findings.is_empty(), "{report}");
    let report = lint_text(
        "log_debug = event=imap_command_finished AND (event=auth_request_finished OR cmd_name=x)\n",
        "2.3.19",
    );
    assert!(report.findings.is_empty(), "{report}");
    // Session fields come from parent events, so any event may carry them.
    let report = lint_text(
        "log_debug = event=dns_request_finished AND user=a*\n",
        "2.3.19",
    );
    assert!(report.findings.is_empty(), "{report}");
    // Wildcards select every matching event.
    let report = lint_text(
        "log_debug = event=smtp_server_* AND status_code>=500\n",
        "2.3.19",
    );
    assert!(report.findings.is_empty(), "{report}");
    let report = lint_text("log_debug = event=auth_* AND status_code>=500\n", "2.3.19");
    assert_eq!(report.of_rule(Rule::FieldNotCarried).count(), 1, "{report}");
}

#[test]
fn values_are_checked_against_the_field_type() {
    let report = lint_text(
        "log_debug = event=imap_command_finished AND (tagged_reply_state=o* OR tagged_reply_state=no \
         OR tagged_reply_state=\"\" OR bytes_in=1* OR bytes_in>=-1 OR reason_code=storage:*)\n",
        "2.3.19",
    );
    assert!(report.findings.is_empty(), "{report}");
    let report = lint_text(
        "log_debug = event=imap_command_finished AND (bytes_in>1* OR reason_code<a OR duration<1s)\n",
        "2.4.1",
    );
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [Rule::Removed, Rule::UnsupportedOperator,],
        "{report}"
    );
}

#[test]
fn not_binds_looser_in_2_3_13() {
    // In 2.3.13 `NOT a AND b` is `NOT (a AND b)`: both are still checked.
    let text = "log_debug = NOT event=imap_comand_finished AND cmd_name>1\n";
    for target in ["2.3.13", "2.3.19"] {
        let report = lint_text(text, target);
        assert_eq!(report.findings.len(), 2, "{target}: {report}");
    }
}

#[test]
fn config_syntax_problems_are_located() {
    let report = lint_text(
        "metric a {\n  filter = event=imap_command_finished AND \\\n\n  cmd_name=x\n}\n\
         log_debug = event=imap_command_finished#comment\n}\nmetric b\n",
        "2.3.19",
    );
    let shown: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {:?}",
                f.location.line, f.location.column, f.severity, f.rule
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "1:1 error MissingFilter",
            "2:3 error ConfigSyntax",
            "4:3 error UnknownSetting",
            "6:40 warning ConfigSyntax",
            "7:1 error ConfigSyntax",
            "8:9 error ConfigSyntax",
        ],
        "{report}"
    );
}

#[test]
fn warnings_alone_are_not_errors() {
    let report = lint_text("log_debug = event=imap_cmd_*\n", "2.3.19");
    assert_eq!(report.of_severity(Severity::Warning).count(), 1);
    assert!(!report.has_errors());
}

fn eventgen(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("run dovecot-eventgen");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn cli_reports_json_and_exit_codes() {
    let schema = repo().join("schema").display().to_string();
    let (code, out) = eventgen(&[
        "lint",
        "malformed.conf",
        "--target",
        "2.3.19",
        "--format",
        "json",
        "--schema",
        &schema,
    ]);
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(json["target"], "2.3.19");
    assert_eq!(json["errors"], 6);
    assert_eq!(json["findings"][0]["file"], "malformed.conf");
    assert_eq!(json["findings"][0]["line"], 3);
    assert_eq!(json["findings"][0]["column"], 43);
    assert_eq!(json["findings"][0]["severity"], "error");
    assert_eq!(json["findings"][0]["rule"], "filter-syntax");

    let (code, out) = eventgen(&[
        "lint",
        "docs-2.4.conf",
        "--target",
        "2.4.1",
        "--schema",
        &schema,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("no findings in 1 file"), "{out}");

    let (code, _) = eventgen(&[
        "lint",
        "docs-2.4.conf",
        "--target",
        "2.9.9",
        "--schema",
        &schema,
    ]);
    assert_eq!(code, 2);
    let (code, _) = eventgen(&[
        "lint",
        "no-such.conf",
        "--target",
        "2.4.1",
        "--schema",
        &schema,
    ]);
    assert_eq!(code, 3, "a file that cannot be read is an I/O failure");
}
