//! The real Dovecot 2.3.19 exports in `tests/fixtures/exports/2.3.19/` parse
//! in all three formats, agree with each other, and round-trip.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dovecot_events::{Event, ExportedEvent, Fields, Value, json, tab_text};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/exports/2.3.19")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_all<'a>(
    text: &'a str,
    parse: impl Iterator<Item = Result<ExportedEvent<'a>, dovecot_events::Error>>,
) -> Vec<ExportedEvent<'a>> {
    let events: Vec<_> = parse.map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    assert_eq!(events.len(), text.lines().count());
    events
}

/// A canonical form to compare events across files whose order differs.
/// Tab-text carries unknown fields as text, so numbers become text here.
fn canonical(events: &[ExportedEvent<'_>]) -> Vec<String> {
    let mut out: Vec<String> = events
        .iter()
        .filter(|e| !matches!(e.event, Event::Unknown(_)))
        .map(|e| {
            let mut e = e.clone();
            let mut fields = Fields::default();
            for (name, value) in e.event.unknown_fields().iter() {
                let value = match value {
                    Value::Int(i) => Value::Str(i.to_string().into()),
                    other => other.clone(),
                };
                fields.push(name.to_owned().into(), value);
            }
            *e.event.unknown_fields_mut() = fields;
            serde_json::to_string(&e).expect("serializable")
        })
        .collect();
    out.sort();
    out
}

fn same(a: &[String], b: &[String]) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
}

#[test]
fn every_captured_event_parses_and_the_formats_agree() {
    let rfc = fixture("json-rfc3339.jsonl");
    let unix = fixture("json-unix.jsonl");
    let tab = fixture("tab-text.txt");
    let rfc_events = parse_all(&rfc, json::from_lines(&rfc));
    let unix_events = parse_all(&unix, json::from_lines(&unix));
    let tab_events = parse_all(&tab, tab_text::from_lines(&tab));

    let typed = rfc_events
        .iter()
        .filter(|e| !matches!(e.event, Event::Unknown(_)))
        .count();
    assert!(typed > 200, "only {typed} typed events");
    for event in &rfc_events {
        assert!(event.name().is_some());
        assert!(event.hostname.is_some() && event.start_time.is_some());
    }
    same(&canonical(&rfc_events), &canonical(&unix_events));
    same(&canonical(&rfc_events), &canonical(&tab_events));

    // Unknown events keep every field, whatever the format.
    let count = |events: &[ExportedEvent<'_>]| {
        let mut names = BTreeMap::new();
        for e in events {
            if let Event::Unknown(u) = &e.event {
                *names.entry(u.name.to_string()).or_insert(0usize) += u.fields.len();
            }
        }
        names
    };
    assert_eq!(count(&rfc_events), count(&tab_events));
}

#[test]
fn every_captured_event_round_trips_through_serialize() {
    for file in ["json-rfc3339.jsonl", "json-unix.jsonl", "tab-text.txt"] {
        let text = fixture(file);
        let events: Vec<_> = if file.ends_with(".txt") {
            tab_text::from_lines(&text).collect()
        } else {
            json::from_lines(&text).collect()
        };
        for (n, event) in events.into_iter().enumerate() {
            let event = event.unwrap_or_else(|e| panic!("{file}: {e}"));
            let written = serde_json::to_string(&event).expect("serializable");
            let back = json::from_str(&written)
                .unwrap_or_else(|e| panic!("{file}:{}: {e}\n{written}", n + 1));
            assert_eq!(back, event, "{file}:{}", n + 1);
            assert_eq!(event.clone().into_owned(), event);
        }
    }
}

#[test]
fn rfc3339_json_lines_serialize_back_to_the_same_members() {
    let rfc = fixture("json-rfc3339.jsonl");
    for line in rfc.lines() {
        let event = json::from_str(line).expect("valid");
        let original: serde_json::Value = serde_json::from_str(line).expect("valid");
        let written: serde_json::Value = serde_json::to_value(&event).expect("serializable");
        assert_eq!(original, written);
    }
}
