//! Hostile configurations end in a clear finding, never a stack overflow,
//! an exponential expansion, a hang or a runaway number of reads: the
//! reproducers of issue 14 for `lint`. The tests run on the test harness's
//! small thread stacks, so unbounded recursion would abort them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dovecot_eventgen::lint::{self, Report, Rule};
use dovecot_events_codegen::{EventModel, Version};

fn model() -> &'static EventModel {
    static MODEL: OnceLock<EventModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
        dovecot_events_codegen::load_dir(&schema).expect("the schema loads")
    })
}

fn target() -> Version {
    "2.3.19".parse().expect("a version")
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dovecot-eventgen-hostile-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn lint_text(text: &str) -> Report {
    lint::lint_str(model(), "t.conf", text, target())
}

fn metric(filter: &str) -> String {
    format!("metric m {{\n  filter = {filter}\n}}\n")
}

fn messages(report: &Report, rule: Rule) -> Vec<String> {
    report
        .of_rule(rule)
        .map(|f| format!("{}: {}", f.location, f.message))
        .collect()
}

#[test]
fn deeply_nested_filters_are_a_located_error() {
    let parens = format!(
        "{}event=imap_command_finished{}",
        "(".repeat(7000),
        ")".repeat(7000)
    );
    let nots = format!("{}event=imap_command_finished", "NOT ".repeat(13_000));
    let alternating = vec!["event=imap_command_finished"; 22_000].join(" AND cmd_name=x OR ");
    for filter in [parens, nots, alternating] {
        let report = lint_text(&metric(&filter));
        let found = messages(&report, Rule::FilterSyntax);
        assert_eq!(found.len(), 1, "{report}");
        assert!(
            found[0].starts_with("t.conf:2:")
                && found[0].ends_with("malformed filter: the filter nests deeper than 100 levels"),
            "{found:?}"
        );
    }
}

#[test]
fn long_runs_of_one_operator_do_not_nest() {
    let ands = format!(
        "event=imap_command_finished AND {}",
        vec!["cmd_name=LOGIN"; 22_000].join(" AND ")
    );
    let report = lint_text(&metric(&ands));
    assert!(report.findings.is_empty(), "{report}");
    let ors = vec!["event=imap_command_finished"; 22_000].join(" OR ");
    let report = lint_text(&format!("log_debug = {ors}\n"));
    assert!(report.findings.is_empty(), "{report}");
}

#[test]
fn brace_expansion_is_bounded() {
    let dir = scratch("braces");
    let main = dir.join("dovecot.conf");
    std::fs::write(&main, format!("!include_try {}.conf\n", "{a,b}".repeat(22))).expect("write");
    let report = lint::lint_file(model(), &main, target()).expect("readable");
    let found = messages(&report, Rule::Include);
    assert_eq!(found.len(), 1, "{report}");
    assert!(
        found[0].contains("expand to more than 1024 patterns"),
        "{found:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wildcard_matching_takes_polynomial_time() {
    let dir = scratch("glob");
    std::fs::write(dir.join(format!("{}.conf", "a".repeat(200))), "").expect("write");
    let main = dir.join("dovecot.conf");
    let pattern = format!("{}b.conf", "*?".repeat(12));
    std::fs::write(&main, format!("!include {pattern}\n")).expect("write");
    let report = lint::lint_file(model(), &main, target()).expect("readable");
    assert_eq!(
        messages(&report, Rule::Include),
        [format!(
            "{}:1:10: `!include {pattern}` matches no file",
            main.display()
        )]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fan_out_includes_stop_at_the_file_limit() {
    let dir = scratch("fanout");
    for i in 0..8 {
        std::fs::write(dir.join(format!("{i}.conf")), "!include *.conf\n").expect("write");
    }
    let main = dir.join("dovecot.main");
    std::fs::write(&main, "!include *.conf\n").expect("write");
    let report = lint::lint_file(model(), &main, target()).expect("readable");
    let limit = messages(&report, Rule::Include)
        .into_iter()
        .filter(|m| m.contains("reads more than 1000 files"))
        .count();
    assert_eq!(limit, 1, "{report}");
    assert!(report.files.len() <= 1000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_regular_files_are_read() {
    let dir = scratch("special");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.conf")).expect("symlink");
    std::os::unix::fs::symlink("loop-b.conf", dir.join("loop-a.conf")).expect("symlink");
    std::os::unix::fs::symlink("loop-a.conf", dir.join("loop-b.conf")).expect("symlink");
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo.conf"))
        .status()
        .is_ok_and(|s| s.success());
    let main = dir.join("dovecot.main");
    std::fs::write(
        &main,
        "!include zero.conf\n!include loop-a.conf\n!include fifo.conf\nmetric m {\n  filter = <zero.conf\n}\n",
    )
    .expect("write");
    let report = lint::lint_file(model(), &main, target()).expect("readable");
    let found = messages(&report, Rule::Include);
    assert!(
        found[0].ends_with("zero.conf`: not a regular file"),
        "{found:?}"
    );
    assert!(
        found[1].contains("loop-a.conf`: Too many levels of symbolic links"),
        "{found:?}"
    );
    if fifo {
        assert!(
            found[2].ends_with("fifo.conf`: not a regular file"),
            "{found:?}"
        );
    }
    assert!(
        found
            .last()
            .is_some_and(|m| m.ends_with("zero.conf`: not a regular file")),
        "{found:?}"
    );
    let err = lint::lint_file(model(), &dir.join("zero.conf"), target()).expect_err("not regular");
    assert_eq!(err.to_string(), "not a regular file");
    let _ = std::fs::remove_dir_all(&dir);
}
