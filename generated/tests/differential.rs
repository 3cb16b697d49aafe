//! Every path through the runtime's reader agrees on every line: the fast
//! JSON scanner, the serde path (`Deserialize`), and the schema-agnostic
//! `RawEvent` view (what `dovecot-eventgen verify` reads), on every captured
//! line of every configuration and on mutated lines.
//!
//! "Agree" means: the same lines are accepted; an accepted line gives equal
//! events; and the raw view holds exactly the fields the typed event was
//! built from, so typing them again gives the same event.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use dovecot_events::{ErrorKind, Event, ExportedEvent, RawEvent, json, tab_text};
use proptest::prelude::*;

/// Every captured line: (is JSON, the line), from every configuration of
/// every release.
static CAPTURED: LazyLock<Vec<(bool, Vec<u8>)>> = LazyLock::new(|| {
    let mut lines = Vec::new();
    collect(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/exports"),
        &mut lines,
    );
    lines
});

fn collect(dir: &Path, out: &mut Vec<(bool, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, out);
            continue;
        }
        let json = match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => true,
            Some("txt") => false,
            _ => continue,
        };
        let bytes = std::fs::read(&path).expect("read a capture");
        out.extend(
            bytes
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| (json, l.to_vec())),
        );
    }
}

/// The typed event the raw view describes: the same fields, typed by the
/// same rules (a value Dovecot cut short with `...` kept as sent).
fn retyped<'a>(raw: &RawEvent<'a>) -> Result<ExportedEvent<'a>, dovecot_events::FieldError> {
    let mut event = Event::new(raw.name.clone().unwrap_or(Cow::Borrowed("")));
    for (name, value) in raw.fields.clone() {
        let kept = (name.clone(), value.clone());
        if let Err(error) = event.set_field(name, value) {
            if kept.1.is_truncated() {
                event.unknown_fields_mut().push(kept.0, kept.1);
            } else {
                return Err(error);
            }
        }
    }
    Ok(ExportedEvent {
        event,
        hostname: raw.hostname.clone(),
        start_time: raw.start_time,
        end_time: raw.end_time,
        categories: raw.categories.clone(),
    })
}

/// Asserts that every reader agrees on one line.
fn agree(json: bool, bytes: &[u8]) {
    let (typed, raw) = if json {
        (json::from_slice(bytes), json::from_slice_raw(bytes))
    } else {
        (tab_text::from_slice(bytes), tab_text::from_slice_raw(bytes))
    };
    match (&typed, &raw) {
        (Ok(typed), Ok(raw)) => {
            let again = retyped(raw).expect("the raw fields type as the typed parse did");
            assert_eq!(
                &again,
                typed,
                "raw and typed views differ on {:?}",
                show(bytes)
            );
        }
        // A value that does not fit its field is an error only with types.
        (Err(error), Ok(_)) => assert_eq!(
            error.kind(),
            ErrorKind::Type,
            "only the typed reader rejects {:?}: {error}",
            show(bytes)
        ),
        (Ok(_), Err(error)) => panic!("only the raw reader rejects {:?}: {error}", show(bytes)),
        // The typed reader stops at the first value that does not fit; the
        // raw reader reads on, possibly to a later syntax error.
        (Err(a), Err(_)) if a.kind() == ErrorKind::Type => {}
        (Err(a), Err(b)) => assert_eq!(
            (a.kind(), a.line(), a.column()),
            (b.kind(), b.line(), b.column()),
            "the readers reject {:?} differently: {a} / {b}",
            show(bytes)
        ),
    }
    if !json {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    // The serde path accepts what the scanner accepts and builds the same
    // event; it may reject more (serde_json reads integers beyond 64 bits
    // as floats), but never accept a line the scanner rejects as malformed.
    let via_serde = serde_json::from_str::<ExportedEvent<'_>>(text);
    match (&typed, &via_serde) {
        (Ok(scanned), Ok(deserialized)) => {
            assert_eq!(scanned, deserialized, "serde reads {text:?} differently");
        }
        (Ok(_), Err(error)) => panic!("serde rejects what the scanner accepts: {text:?}: {error}"),
        (Err(error), Ok(_)) => assert_eq!(
            error.kind(),
            ErrorKind::Type,
            "serde accepts malformed {text:?}: {error}"
        ),
        (Err(_), Err(_)) => {}
    }
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()
}

#[test]
fn every_captured_line_reads_the_same_every_way() {
    let captured = &*CAPTURED;
    assert!(
        captured.len() > 10_000,
        "the captures are in place ({} lines)",
        captured.len()
    );
    for (json, line) in captured {
        agree(*json, line);
    }
}

fn mutated_line() -> impl Strategy<Value = (bool, Vec<u8>)> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0..5u8,
    )
        .prop_map(|(line, at, byte, how)| {
            let (json, bytes) = &CAPTURED[line.index(CAPTURED.len())];
            let mut bytes = bytes.clone();
            let at = at.index(bytes.len() + 1);
            match how {
                0 => bytes.truncate(at),
                1 if at < bytes.len() => bytes[at] = byte,
                2 => bytes.insert(at, byte),
                3 => {
                    bytes.drain(at..(at + 8).min(bytes.len()));
                }
                // A field's value swapped for a number or a word.
                _ => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let replaced = text.replacen("\":\"", "\":12345,\"x\":\"", 1);
                    bytes = replaced.into_bytes();
                }
            }
            (*json, bytes)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn mutated_lines_read_the_same_every_way((json, bytes) in mutated_line()) {
        agree(json, &bytes);
    }
}

/// The typed copies keep every field: `clone` and `into_owned` go through
/// the structs' field slots (one generic path for all kinds of field), so
/// compare what they hold, field by field, with the parsed event on every
/// captured line, and check that a clone borrows what the original borrows.
#[test]
fn copies_of_every_captured_event_hold_the_same_fields() {
    let mut kinds = std::collections::BTreeSet::new();
    for (json, bytes) in CAPTURED.iter() {
        let text = std::str::from_utf8(bytes).expect("captures are UTF-8");
        let parsed = if *json {
            json::from_str(text)
        } else {
            tab_text::from_str(text)
        };
        let Ok(exported) = parsed else { continue };
        let event = exported.event;
        let fields: Vec<(String, String)> = event
            .fields()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), format!("{value:?}")))
            .collect();
        let clone = event.clone();
        assert_eq!(clone, event, "clone of {}", show(bytes));
        let cloned: Vec<(String, String)> = clone
            .fields()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), format!("{value:?}")))
            .collect();
        assert_eq!(cloned, fields, "clone of {}", show(bytes));
        if let (Event::ImapCommandFinished(original), Event::ImapCommandFinished(copy)) =
            (&event, &clone)
            && let (Some(Cow::Borrowed(_)), Some(copied)) = (&original.cmd_name, &copy.cmd_name)
        {
            assert!(matches!(copied, Cow::Borrowed(_)), "a clone borrows");
        }
        let owned = event.into_owned();
        let owned_fields: Vec<(String, String)> = owned
            .fields()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), format!("{value:?}")))
            .collect();
        assert_eq!(owned_fields, fields, "into_owned of {}", show(bytes));
        if let Some(meta) = owned.meta() {
            for (name, _) in &fields {
                if let Some(field) = meta.fields.iter().find(|f| f.name == name) {
                    kinds.insert(format!("{:?}", field.ty));
                }
            }
        }
    }
    // Every wire type the captures carry went through both copies.
    assert!(
        kinds.len() >= 4,
        "too few kinds of field in the captures: {kinds:?}"
    );
}
