//! Events captured from a real Dovecot 2.3.19 (see
//! `tests/fixtures/exports/README.md`) fit the generated types: every field
//! of a known event converts to its typed member without error.

use std::borrow::Cow;
use std::collections::BTreeSet;

use dovecot_events::{Event, Value};
use test_support::fixture;

fn wire(value: &serde_json::Value) -> Value<'_> {
    match value {
        serde_json::Value::String(s) => Value::Str(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::Array(items) => Value::List(
            items
                .iter()
                .map(|i| Cow::Owned(i.as_str().map_or_else(|| i.to_string(), str::to_owned)))
                .collect(),
        ),
        other => Value::Str(Cow::Owned(other.to_string())),
    }
}

fn check(file: &str) -> (usize, BTreeSet<String>) {
    let text = std::fs::read_to_string(fixture(file)).expect("captured export");
    let mut typed = 0;
    let mut unknown_fields = BTreeSet::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let json: serde_json::Value = serde_json::from_str(line).expect("Dovecot wrote valid JSON");
        let name = json["event"].as_str().expect("event name");
        let mut event = Event::new(Cow::Borrowed(name));
        if matches!(event, Event::Unknown(_)) {
            continue;
        }
        typed += 1;
        for (key, value) in json["fields"].as_object().expect("fields") {
            if let Err(err) = event.set_field(Cow::Borrowed(key), wire(value)) {
                errors.push(format!("{file}:{}: {name}: {err}", n + 1));
            }
        }
        for (field, _) in event.unknown_fields().iter() {
            unknown_fields.insert(format!("{name}.{field}"));
        }
    }
    assert!(errors.is_empty(), "type errors:\n{}", errors.join("\n"));
    (typed, unknown_fields)
}

#[test]
fn rfc3339_export_fits_the_types() {
    let (typed, unknown) = check("exports/2.3.19/json-rfc3339.jsonl");
    assert!(typed > 50, "only {typed} typed events");
    assert!(
        unknown.is_empty(),
        "fields the schema cannot explain: {unknown:?}"
    );
}

#[test]
fn unix_time_export_fits_the_types() {
    let (typed, unknown) = check("exports/2.3.19/json-unix.jsonl");
    assert!(typed > 50, "only {typed} typed events");
    assert!(
        unknown.is_empty(),
        "fields the schema cannot explain: {unknown:?}"
    );
}
