//! `migrate`, `lint --fix` and `metrics` without a server: golden diffs of
//! the statistics configurations, no change where none is needed, running
//! twice changes nothing, unmigratable items reported with the schema's
//! reason and every byte outside the statistics parts kept, includes
//! rewritten in place with a backup, and the CLI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use dovecot_eventgen::lint;
use dovecot_eventgen::metrics;
use dovecot_eventgen::migrate::{self, Migration, Options};
use dovecot_events_codegen::{EventModel, Version};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrate")
}

fn model() -> &'static EventModel {
    static MODEL: OnceLock<EventModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        dovecot_events_codegen::load_dir(&repo().join("schema")).expect("the schema loads")
    })
}

fn v(text: &str) -> Version {
    text.parse().expect("a version")
}

fn options(from: &str, to: &str) -> Options {
    Options {
        from: v(from),
        to: v(to),
        comment_unmigratable: false,
        fix: false,
    }
}

fn migrate_text(name: &str, text: &str, from: &str, to: &str) -> Migration {
    migrate::migrate_str(model(), name, text, options(from, to))
}

/// The migrated text of a single-file configuration.
fn after(m: &Migration, before: &str) -> String {
    m.changes
        .first()
        .map_or_else(|| before.to_owned(), |c| c.after.clone())
}

#[test]
fn statistics_configurations_migrate_to_2_4_as_recorded() {
    let dir = repo().join("tests/fixtures/stats-configs");
    for name in ["docs-2.3.conf", "mail-stack.conf", "small-provider.conf"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("readable");
        let m = migrate_text(name, &text, "2.3.19", "2.4.1");
        assert!(m.notes.is_empty(), "{}", m.summary());
        expectorate::assert_contents(fixtures().join(format!("{name}.2.4.1.diff")), &m.diff());
        let migrated = after(&m, &text);
        // The result is clean for 2.4.1 and needs no further change.
        let report = lint::lint_str(model(), name, &migrated, v("2.4.1"));
        assert!(!report.has_errors(), "{name}:\n{report}");
        let again = migrate_text(name, &migrated, "2.4.1", "2.4.1");
        assert!(again.changes.is_empty(), "{}", again.diff());
        let again = migrate_text(name, &migrated, "2.3.19", "2.4.1");
        assert!(again.changes.is_empty(), "{}", again.diff());
    }
}

#[test]
fn configurations_that_need_nothing_get_no_diff() {
    let lint_fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    for (name, from, to) in [
        ("docs-2.4.conf", "2.4.0", "2.4.1"),
        ("docs-2.4.conf", "2.4.1", "2.4.1"),
        ("docs-2.3.conf", "2.3.19", "2.3.21.1"),
        ("docs-2.3.conf", "2.3.13", "2.3.19"),
    ] {
        let text = std::fs::read_to_string(lint_fixtures.join(name)).expect("readable");
        let m = migrate_text(name, &text, from, to);
        assert_eq!(m.diff(), "", "{name} {from} → {to}");
        assert!(m.notes.is_empty(), "{}", m.summary());
    }
}

/// The lines of a configuration outside its statistics parts: `metric`
/// and `event_exporter` blocks and the filter settings.
fn outside_statistics(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for line in text.lines() {
        let t = line.trim_start();
        if depth > 0 {
            depth += t.matches('{').count();
            depth -= t.matches('}').count().min(depth);
            continue;
        }
        if t.starts_with("metric ") || t.starts_with("event_exporter ") {
            depth = 1;
            continue;
        }
        if t.starts_with("log_debug") || t.starts_with("log_core_filter") {
            continue;
        }
        out.push(line);
    }
    out
}

#[test]
fn unmigratable_items_keep_their_place_and_everything_else_its_bytes() {
    let path = fixtures().join("mixed-2.3.conf");
    let text = std::fs::read_to_string(&path).expect("readable");
    let m = migrate_text("mixed-2.3.conf", &text, "2.3.19", "2.4.1");
    expectorate::assert_contents(fixtures().join("mixed-2.3.conf.2.4.1.diff"), &m.diff());
    let notes: Vec<String> = m.notes.iter().map(ToString::to_string).collect();
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert!(notes[0].starts_with(
        "mixed-2.3.conf:34:3: not migrated (left as is): event `auth_client_cache_flush_finished` was removed in Dovecot 2.4.0 with no successor: Removed with the started event"
    ), "{notes:#?}");
    assert!(notes[1].starts_with(
        "mixed-2.3.conf:37:3: not migrated (left as is): field `credentials_scheme` was removed in Dovecot 2.3.13 with no successor: Set by"
    ), "{notes:#?}");
    assert!(
        notes[2].contains("the `log` transport has no arguments"),
        "{notes:#?}"
    );
    let migrated = after(&m, &text);
    assert_eq!(outside_statistics(&text), outside_statistics(&migrated));
    // Commented out on request, with the reason above.
    let mut commented = options("2.3.19", "2.4.1");
    commented.comment_unmigratable = true;
    let m = migrate::migrate_str(model(), "mixed-2.3.conf", &text, commented);
    let migrated = after(&m, &text);
    assert!(migrated.contains(
        "  # dovecot-eventgen migrate: event `auth_client_cache_flush_finished` was removed"
    ));
    assert!(migrated.contains("\n#  filter = event=auth_client_cache_flush_finished\n"));
    assert!(migrated.contains("\n#  transport_args = ignored\n"));
    assert!(m.notes.iter().all(|n| n.commented));
    assert_eq!(outside_statistics(&text), outside_statistics(&migrated));
}

#[test]
fn within_a_series_and_from_the_old_selection_syntax() {
    let text = std::fs::read_to_string(fixtures().join("legacy-2.3.8.conf")).expect("readable");
    let m = migrate_text("legacy-2.3.8.conf", &text, "2.3.8", "2.3.21.1");
    assert!(m.notes.is_empty(), "{}", m.summary());
    expectorate::assert_contents(
        fixtures().join("legacy-2.3.8.conf.2.3.21.1.diff"),
        &m.diff(),
    );
    let migrated = after(&m, &text);
    let report = lint::lint_str(model(), "t.conf", &migrated, v("2.3.21.1"));
    assert!(report.findings.is_empty(), "{report}");
    // 2.3.12 and 2.3.13 bound NOT looser than AND.
    let m = migrate_text(
        "t.conf",
        "log_debug = NOT event=imap_command_finished AND cmd_name=LOGOUT\n",
        "2.3.12",
        "2.3.19",
    );
    assert_eq!(
        after(&m, ""),
        "log_debug = NOT (event=imap_command_finished AND cmd_name=LOGOUT)\n"
    );
}

#[test]
fn includes_are_rewritten_in_place_with_a_backup() {
    let dir = std::env::temp_dir().join(format!("dovecot-eventgen-migrate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("conf.d")).expect("temp dir");
    for file in [
        "dovecot.conf",
        "conf.d/10-logging.conf",
        "conf.d/20-metrics.conf",
    ] {
        std::fs::copy(fixtures().join("include").join(file), dir.join(file)).expect("copy");
    }
    let main = dir.join("dovecot.conf");
    let m = migrate::migrate_file(model(), &main, options("2.3.19", "2.4.1")).expect("readable");
    let changed: Vec<&str> = m
        .changes
        .iter()
        .map(|c| c.path.rsplit('/').next().unwrap_or_default())
        .collect();
    assert_eq!(changed, ["10-logging.conf", "20-metrics.conf"]);
    let diff = m.diff();
    assert!(diff.contains("-log_core_filter = event=auth_request_finished AND service=imap\n+log_core_filter = event=auth_request_finished AND protocol=imap\n"), "{diff}");
    m.write().expect("written");
    let logging = std::fs::read_to_string(dir.join("conf.d/10-logging.conf")).expect("read");
    assert!(logging.ends_with("AND protocol=imap\n"));
    let backup = std::fs::read_to_string(dir.join("conf.d/10-logging.conf.bak")).expect("backup");
    assert!(backup.ends_with("AND service=imap\n"));
    let metrics_conf = std::fs::read_to_string(dir.join("conf.d/20-metrics.conf")).expect("read");
    assert!(
        metrics_conf.contains("  group_by protocol {\n  }\n"),
        "{metrics_conf}"
    );
    assert!(!dir.join("dovecot.conf.bak").exists());
    // Nothing left to do, and no temporary files left behind.
    let again = migrate::migrate_file(model(), &main, options("2.4.1", "2.4.1")).expect("readable");
    assert!(again.changes.is_empty(), "{}", again.diff());
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("conf.d"))
        .expect("listable")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lint_fix_applies_only_certain_fixes() {
    let text = "metric a {\n  filter = event=IMAP_command_finished AND bytes_in>0\n}\n\
                metric b {\n  filter = event=imap_comand_finished\n}\n\
                log_debug = event=auth_request_finished AND service=imap\n";
    let fix = Options {
        from: v("2.4.1"),
        to: v("2.4.1"),
        comment_unmigratable: false,
        fix: true,
    };
    let m = migrate::migrate_str(model(), "t.conf", text, fix);
    let fixed = after(&m, text);
    assert_eq!(
        fixed,
        "metric a {\n  filter = event=imap_command_finished AND net_in_bytes>0\n}\n\
         metric b {\n  filter = event=imap_command_finished\n}\n\
         log_debug = event=auth_request_finished AND protocol=imap\n"
    );
    let report = lint::lint_str(model(), "t.conf", &fixed, v("2.4.1"));
    assert!(report.findings.is_empty(), "{report}");
    // 2.3 syntax left in a 2.4 configuration.
    let text = "event_exporter e {\n  driver = log\n  format = json\n  format_args = time-unix\n}\n\
                metric m {\n  filter = event=imap_command_finished\n  group_by = cmd_name duration:linear:0:100:10\n}\n";
    let m = migrate::migrate_str(model(), "t.conf", text, fix);
    let fixed = after(&m, text);
    assert!(fixed.contains("  time_format = unix\n"), "{fixed}");
    assert!(
        fixed.contains("  group_by duration {\n    method linear {\n"),
        "{fixed}"
    );
    let report = lint::lint_str(model(), "t.conf", &fixed, v("2.4.1"));
    assert!(report.findings.is_empty(), "{report}");
}

#[test]
fn metrics_predicts_series_and_warns() {
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/stats-configs/small-provider.conf"))
            .expect("readable");
    let plan = metrics::predict_str(model(), "small-provider.conf", &text, v("2.3.19"));
    expectorate::assert_contents(
        fixtures().join("small-provider.metrics.txt"),
        &plan.to_text(),
    );
    expectorate::assert_contents(
        fixtures().join("small-provider.metrics.md"),
        &plan.to_markdown(),
    );
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).expect("JSON");
    assert_eq!(json["metrics"][0]["name"], "user_logins");
    let user = &plan.metrics[0];
    assert!(
        user.warnings
            .iter()
            .any(|w| w.contains("`user` makes one series per value"))
    );
    // A filter that cannot match in the release.
    let plan = metrics::predict_str(
        model(),
        "t.conf",
        "metric gone {\n  filter = event=auth_client_cache_flush_finished\n}\n",
        v("2.4.1"),
    );
    assert!(
        plan.metrics[0].warnings.iter().any(|w| w.starts_with(
            "may expose nothing: event `auth_client_cache_flush_finished` was removed"
        )),
        "{:?}",
        plan.metrics[0].warnings
    );
    assert!(
        plan.metrics[0]
            .warnings
            .iter()
            .any(|w| w.starts_with("exposes nothing"))
    );
    // 2.4 field series.
    let plan = metrics::predict_str(
        model(),
        "t.conf",
        "metric m {\n  filter = event=imap_command_finished\n  fields = net_in_bytes\n  group_by cmd_name {\n  }\n}\n",
        v("2.4.1"),
    );
    let keys: Vec<String> = plan.series_keys().into_iter().collect();
    assert_eq!(
        keys,
        [
            "dovecot_m_count{}",
            "dovecot_m_duration_seconds_sum{}",
            "dovecot_m_duration_seconds_total{cmd_name}",
            "dovecot_m_net_in_bytes_sum{}",
            "dovecot_m_net_in_bytes_total{cmd_name}",
            "dovecot_m_total{cmd_name}",
        ]
    );
}

fn eventgen(args: &[&str], dir: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run dovecot-eventgen");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_migrate_lint_fix_and_metrics() {
    let schema = repo().join("schema").display().to_string();
    let (code, out, err) = eventgen(
        &[
            "migrate",
            "mixed-2.3.conf",
            "--from",
            "2.3.19",
            "--to",
            "2.4.1",
            "--diff",
            "--schema",
            &schema,
        ],
        &fixtures(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        out.starts_with("--- mixed-2.3.conf\n+++ mixed-2.3.conf\n"),
        "{out}"
    );
    assert!(err.contains("3 items not migrated"), "{err}");
    let (code, _, err) = eventgen(
        &[
            "migrate",
            "mixed-2.3.conf",
            "--from",
            "2.3.19",
            "--to",
            "2.9.9",
            "--schema",
            &schema,
        ],
        &fixtures(),
    );
    assert_eq!(code, 2, "{err}");

    let dir = std::env::temp_dir().join(format!("dovecot-eventgen-fix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("t.conf"),
        "log_debug = event=IMAP_command_finished\n",
    )
    .expect("write");
    let (code, out, _) = eventgen(
        &[
            "lint", "t.conf", "--target", "2.3.19", "--fix", "--diff", "--schema", &schema,
        ],
        &dir,
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("+log_debug = event=imap_command_finished\n"),
        "{out}"
    );
    let (code, out, _) = eventgen(
        &[
            "lint", "t.conf", "--target", "2.3.19", "--fix", "--schema", &schema,
        ],
        &dir,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("no findings"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("t.conf")).expect("read"),
        "log_debug = event=imap_command_finished\n"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let stats = repo().join("tests/fixtures/stats-configs");
    let (code, out, _) = eventgen(
        &[
            "metrics",
            "mail-stack.conf",
            "--target",
            "2.3.19",
            "--format",
            "json",
            "--schema",
            &schema,
        ],
        &stats,
    );
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["target"], "2.3.19");
    assert_eq!(
        json["metrics"][0]["series"][0]["name"],
        "dovecot_auth_ok_total"
    );
}
