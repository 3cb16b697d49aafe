//! `verify` on hostile input: lines past the length cap, names of any
//! length, and more distinct findings than the report lists. Each is
//! bounded and reported, and the lines after it are still checked. (The
//! memory a large export takes is measured by `tools/verify-memory`.)

use dovecot_eventgen::verify::{self, FindingKind, InputFormat, Limits};
use dovecot_events_codegen::{EventModel, Version};

fn model() -> EventModel {
    dovecot_events_codegen::load_embedded().expect("the embedded schema")
}

fn target() -> Version {
    "2.4.1".parse().expect("a release")
}

#[test]
fn a_line_over_the_cap_is_one_finding_and_the_next_lines_are_checked() {
    let limits = Limits {
        line_bytes: 100,
        ..Limits::default()
    };
    let long = format!(
        r#"{{"event":"imap_command_finished","fields":{{"cmd_name":"{}"}}}}"#,
        "x".repeat(1000)
    );
    let input = format!(
        "{long}\n{}\n{long}\n",
        r#"{"event":"imap_command_finished","fields":{"bogus":1}}"#
    );
    let report = verify::verify(
        &model(),
        input.as_bytes(),
        Some(InputFormat::Json),
        target(),
        limits,
    )
    .expect("read");
    assert_eq!(report.events, 3);
    assert_eq!(report.total, 3);
    let malformed: Vec<_> = report.of_kind(FindingKind::Malformed).collect();
    assert_eq!(malformed.len(), 1, "one distinct fact: {report}");
    assert_eq!((malformed[0].line, malformed[0].count), (1, 2));
    assert!(
        malformed[0]
            .message
            .contains("longer than 100 bytes, the longest line this check reads"),
        "{report}"
    );
    let unknown: Vec<_> = report.of_kind(FindingKind::UnknownField).collect();
    assert_eq!((unknown.len(), unknown[0].line), (1, 2), "{report}");
}

#[test]
fn a_line_cut_off_by_the_end_of_input_is_still_read() {
    // No line break after the last line, and one after the cap: the cap
    // counts the line's bytes, not its break.
    let limits = Limits {
        line_bytes: 60,
        ..Limits::default()
    };
    let line = r#"{"event":"imap_command_finished","fields":{"bogus":1}}"#;
    assert!(line.len() <= 60);
    let report = verify::verify(&model(), line.as_bytes(), None, target(), limits).expect("read");
    assert_eq!(
        (
            report.events,
            report.of_kind(FindingKind::UnknownField).count()
        ),
        (1, 1),
        "{report}"
    );
}

#[test]
fn long_names_are_kept_short_and_compared_quickly() {
    let name = "a".repeat(1 << 20);
    let input = format!(
        "{{\"event\":\"{name}\"}}\n{{\"event\":\"imap_command_finished\",\"fields\":{{\"{name}\":1}}}}\n\
         event:{name}\n"
    );
    let report = verify::verify(
        &model(),
        input.as_bytes(),
        None,
        target(),
        Limits::default(),
    )
    .expect("read");
    assert_eq!(report.total, 3, "{report}");
    let text = report.to_string();
    assert!(
        text.len() < 4096,
        "the report holds the names: {} bytes",
        text.len()
    );
    assert!(text.contains(&format!("{}…", "a".repeat(128))), "{text}");
}

#[test]
fn distinct_findings_past_the_limit_are_counted() {
    let limits = Limits {
        facts: 10,
        ..Limits::default()
    };
    let input: String = (0..1000)
        .map(|i| format!("{{\"event\":\"imap_command_finished\",\"fields\":{{\"f{i}\":1}}}}\n"))
        .collect();
    let report = verify::verify(&model(), input.as_bytes(), None, target(), limits).expect("read");
    assert_eq!(
        (report.findings.len(), report.unlisted, report.total),
        (10, 990, 1000)
    );
    assert!(
        report
            .to_string()
            .contains("990 more findings not listed (the report lists 10 distinct ones)")
    );
}
