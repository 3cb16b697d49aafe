//! `dovecot-eventgen diff`, against the repository schema.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dovecot_events_codegen::diff::{FieldChangeKind, diff};
use dovecot_events_codegen::{Version, load_dir};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent")
        .to_path_buf()
}

fn eventgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run dovecot-eventgen")
}

fn v(text: &str) -> Version {
    text.parse().expect("a version")
}

#[test]
fn from_2_3_7_to_2_3_9_lists_the_passdb_and_userdb_ids_and_the_imap_renames() {
    let out = eventgen(&["diff", "2.3.7", "2.3.9"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "+ field auth_passdb_request_finished.passdb_id (2.3.9)",
        "+ field auth_userdb_request_finished.userdb_id (2.3.9)",
        "+ event mail_delivery_finished (2.3.8)",
        "~ field imap_command_finished.name → cmd_name (2.3.9)",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}

/// Independently of the diff code: every event/field pair whose `since` is
/// in (from, to] on an event that already existed at `from` is listed as
/// added or as the target of a rename.
#[test]
fn every_addition_between_two_releases_is_listed() {
    let model = load_dir(&repo().join("schema")).expect("valid schema");
    for (from, to) in [
        ("2.3.7", "2.3.9"),
        ("2.3.21.1", "2.4.0"),
        ("2.3.0", "2.4.4"),
    ] {
        let (from, to) = (v(from), v(to));
        let d = diff(&model, from, to);
        for event in model.events.values().filter(|e| e.emitted) {
            let live = |s: Option<Version>, r: Option<Version>, at: Version| {
                s.is_none_or(|s| s <= at) && r.is_none_or(|r| r > at)
            };
            if !live(event.lifetime.since, event.lifetime.removed, from)
                || !live(event.lifetime.since, event.lifetime.removed, to)
            {
                continue;
            }
            for field in event.fields.iter().filter(|f| f.emitted) {
                if live(field.lifetime.since, field.lifetime.removed, to)
                    && !live(field.lifetime.since, field.lifetime.removed, from)
                {
                    let listed = d.fields.iter().any(|c| {
                        c.event == event.name
                            && match &c.kind {
                                FieldChangeKind::Added => c.field == field.name,
                                FieldChangeKind::Renamed { new } => *new == field.name,
                                _ => false,
                            }
                    });
                    assert!(
                        listed,
                        "{from} → {to}: {}.{} not listed",
                        event.name, field.name
                    );
                }
            }
        }
    }
}

#[test]
fn from_2_3_21_to_2_4_0_lists_the_2_4_renames() {
    let out = eventgen(&["diff", "2.3.21.1", "2.4.0", "--format", "json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON diff");
    let renames: Vec<(String, String, String)> = json["fields"]
        .as_array()
        .expect("field changes")
        .iter()
        .filter(|c| c["change"] == "renamed")
        .map(|c| {
            (
                c["event"].as_str().unwrap_or_default().to_owned(),
                c["field"].as_str().unwrap_or_default().to_owned(),
                c["new"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (event, old, new) in [
        ("auth_request_finished", "service", "protocol"),
        ("auth_passdb_request_finished", "passdb_name", "passdb"),
        ("client_connection_disconnected", "bytes_in", "net_in_bytes"),
        ("http_request_finished", "bytes_out", "net_out_bytes"),
    ] {
        assert!(
            renames.contains(&(event.to_owned(), old.to_owned(), new.to_owned())),
            "{event}.{old} → {new} missing"
        );
    }
    assert!(
        renames.len() > 20,
        "2.4.0 renamed many fields: {}",
        renames.len()
    );
}

#[test]
fn fail_on_removal_gates_ci() {
    let removals = eventgen(&["diff", "2.3.21.1", "2.4.0", "--fail-on-removal"]);
    assert_eq!(removals.status.code(), Some(1));
    let none = eventgen(&["diff", "2.3.0", "2.3.0.1", "--fail-on-removal"]);
    assert_eq!(
        none.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&none.stdout)
    );
    let unknown = eventgen(&["diff", "2.3.12", "2.3.13"]);
    assert_eq!(unknown.status.code(), Some(2), "2.3.12 was never released");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not a release the schema knows"));
    // 2.3.11 itself was never released either, but 2.3.11.2 and 2.3.11.3
    // were: the series stands for its newest release.
    let series = eventgen(&["diff", "2.3.11", "2.3.13"]);
    assert_eq!(series.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&series.stdout).starts_with("Dovecot 2.3.11.3 → 2.3.13\n"));
    assert!(
        String::from_utf8_lossy(&series.stderr)
            .contains("2.3.11 stands for the newest release of that series, Dovecot 2.3.11.3")
    );
}

#[test]
fn markdown_has_event_and_field_tables() {
    let out = eventgen(&["diff", "2.3.7", "2.3.9", "--format", "markdown"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("## Dovecot 2.3.7 → 2.3.9\n"));
    assert!(
        text.contains("| `auth_passdb_request_finished` | `passdb_id` | added | 2.3.9 |"),
        "{text}"
    );
    assert!(
        text.contains("| `mail_delivery_finished` | added | 2.3.8 |"),
        "{text}"
    );
}
