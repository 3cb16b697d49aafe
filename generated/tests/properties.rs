//! Property tests for both parsers: arbitrary and mangled input never
//! panics, generated exports read the same from JSON and tab-text, and
//! `json::from_str(serialize(x)) == x`.
//!
//! proptest rather than a cargo-fuzz target: it runs on stable inside
//! `cargo test`, so CI exercises it on every run, and it shrinks a failure
//! to a small input.

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::LazyLock;

use dovecot_events::{
    ENUMS, EVENTS, Event, ExportedEvent, FieldType, Fields, Timestamp, Unit, Value, json, tab_text,
};
use proptest::prelude::*;

static CORPUS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/exports/2.3.19");
    ["json-rfc3339.jsonl", "json-unix.jsonl", "tab-text.txt"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
});

/// Every parser on the same input; none may panic, and the crate's scanner
/// must not reject what serde_json accepts through `Deserialize`, except
/// integers beyond 64 bits (which serde_json reads as floats).
fn parse_everything(bytes: &[u8]) {
    let scanned = json::from_slice(bytes);
    let _ = tab_text::from_slice(bytes);
    let _ = tab_text::from_slice_lossy(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = tab_text::from_str(text);
        let _ = json::from_str(text);
        let via_serde = serde_json::from_str::<ExportedEvent<'_>>(text);
        if let Ok(event) = &scanned {
            assert!(
                via_serde.is_ok(),
                "serde rejects what the scanner accepts: {text:?}"
            );
            // Whatever parses serializes and parses back the same.
            let written = serde_json::to_string(event).expect("serializable");
            assert_eq!(&json::from_str(&written).expect("own output"), event);
        }
    }
}

fn mangled_corpus_line() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0..4u8,
    )
        .prop_map(|(line, at, byte, how)| {
            let corpus = &*CORPUS;
            if corpus.is_empty() {
                return vec![byte];
            }
            let mut bytes = corpus[line.index(corpus.len())].as_bytes().to_vec();
            let at = at.index(bytes.len() + 1);
            match how {
                0 => bytes.truncate(at),
                1 if at < bytes.len() => bytes[at] = byte,
                2 => bytes.insert(at, byte),
                _ => {
                    bytes.drain(at..(at + 8).min(bytes.len()));
                }
            }
            bytes
        })
}

// --- Generated exports ----------------------------------------------------

/// A generated export in wire form: what Dovecot would send.
#[derive(Clone, Debug)]
struct Export {
    name: Option<String>,
    hostname: Option<String>,
    times: Option<(Timestamp, Timestamp, bool)>,
    categories: Option<Vec<String>>,
    fields: Option<Vec<(String, Wire)>>,
}

#[derive(Clone, Debug)]
enum Wire {
    Str(String),
    Int(i64),
    Float(f64),
    List(Vec<String>),
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Whole microseconds, as Dovecot sends them, across years 0 to 9999.
    (
        Timestamp::MIN.unix_seconds()..=Timestamp::MAX.unix_seconds(),
        0..1_000_000u32,
    )
        .prop_map(|(secs, micros)| Timestamp::from_unix(secs, micros * 1000).expect("in range"))
}

fn unix_time() -> impl Strategy<Value = Timestamp> {
    (0..4_000_000_000i64, 0..1_000_000u32)
        .prop_map(|(secs, micros)| Timestamp::from_unix(secs, micros * 1000).expect("in range"))
}

/// Unix seconds as Dovecot writes them (`%ld.%06u`).
fn unix_text(time: Timestamp) -> String {
    format!("{}.{:06}", time.unix_seconds(), time.subsec_nanos() / 1000)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z .:\t\n\x01-]{0,12}",
        Just(String::new())
    ]
}

/// A value of the field's schema type, as Dovecot would send it.
fn typed(
    ty: FieldType,
    unit: Option<Unit>,
    enum_name: Option<&'static str>,
) -> BoxedStrategy<Wire> {
    match ty {
        FieldType::String => text().prop_map(Wire::Str).boxed(),
        FieldType::Integer => match unit {
            Some(Unit::Port) => (0..=i64::from(u16::MAX)).prop_map(Wire::Int).boxed(),
            Some(_) => (0..=i64::MAX).prop_map(Wire::Int).boxed(),
            None => any::<i64>().prop_map(Wire::Int).boxed(),
        },
        FieldType::Timestamp => timestamp().prop_map(|t| Wire::Str(t.to_string())).boxed(),
        FieldType::Ip => any::<IpAddr>()
            .prop_map(|ip| Wire::Str(ip.to_string()))
            .boxed(),
        // Dovecot has no empty string list (its tab-text could not tell it
        // from a list of one empty string).
        FieldType::StringList => prop::collection::vec(text(), 1..4)
            .prop_map(Wire::List)
            .boxed(),
        FieldType::Flag => prop_oneof![Just("yes"), Just("no")]
            .prop_map(|s| Wire::Str(s.into()))
            .boxed(),
        FieldType::Enum => {
            let values: Vec<String> = ENUMS
                .iter()
                .find(|e| Some(e.name) == enum_name)
                .map(|e| e.values.iter().map(|v| v.name.to_owned()).collect())
                .unwrap_or_default();
            if values.is_empty() {
                text().prop_map(Wire::Str).boxed()
            } else {
                prop_oneof![prop::sample::select(values), text()]
                    .prop_map(Wire::Str)
                    .boxed()
            }
        }
    }
}

fn unknown_value() -> impl Strategy<Value = Wire> {
    prop_oneof![
        text().prop_map(Wire::Str),
        any::<i64>().prop_map(Wire::Int),
        // Few digits: serde_json (the `Deserialize` comparison) rounds
        // long ones to within a unit in the last place, this crate exactly.
        (-1_000_000_000_000i64..1_000_000_000_000).prop_map(|n| Wire::Float(n as f64 / 1000.0)),
        prop::collection::vec(text(), 1..3).prop_map(Wire::List),
    ]
}

fn fields_for(event: Option<usize>) -> BoxedStrategy<Vec<(String, Wire)>> {
    let unknown = prop::collection::vec(("[a-z_ \t]{1,12}", unknown_value()), 0..4);
    let Some(index) = event else {
        return unknown.prop_map(one_per_name).boxed();
    };
    let known: Vec<BoxedStrategy<(String, Wire)>> = EVENTS[index]
        .fields
        .iter()
        .map(|f| {
            typed(f.ty, f.unit, f.enum_name)
                .prop_map(move |v| (f.name.to_owned(), v))
                .boxed()
        })
        .collect();
    (
        prop::sample::subsequence(known, 0..=EVENTS[index].fields.len().min(12)),
        unknown,
    )
        .prop_flat_map(|(chosen, unknown)| (chosen, Just(unknown)))
        .prop_map(|(mut fields, unknown)| {
            fields.extend(unknown);
            one_per_name(fields)
        })
        .boxed()
}

/// One value per name, as Dovecot sends them.
fn one_per_name(mut fields: Vec<(String, Wire)>) -> Vec<(String, Wire)> {
    let mut seen = std::collections::BTreeSet::new();
    fields.retain(|(name, _)| seen.insert(name.clone()));
    fields
}

fn export() -> impl Strategy<Value = Export> {
    let name = prop_oneof![(0..EVENTS.len()).prop_map(Some), Just(None),];
    name.prop_flat_map(|index| {
        let name = match index {
            Some(i) => Just(Some(EVENTS[i].name.to_owned())).boxed(),
            None => prop::option::of("[a-z_]{0,10}").boxed(),
        };
        (
            name,
            prop::option::of(text()),
            prop::option::of(prop_oneof![
                (timestamp(), timestamp(), Just(false)),
                // Unix seconds as Dovecot's clock gives them: a float keeps
                // their microseconds only up to about the year 2100.
                (unix_time(), unix_time(), Just(true)),
            ]),
            prop::option::of(prop::collection::vec(text(), 0..4)),
            prop::option::of(fields_for(index)),
        )
    })
    .prop_map(|(name, hostname, times, categories, fields)| Export {
        name,
        hostname,
        times,
        categories,
        fields,
    })
}

fn json_wire(value: &Wire) -> serde_json::Value {
    match value {
        Wire::Str(s) => s.clone().into(),
        Wire::Int(i) => (*i).into(),
        Wire::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Wire::List(items) => items.clone().into(),
    }
}

/// The export as Dovecot's JSON exporter writes it.
fn to_json(export: &Export) -> String {
    let mut map = serde_json::Map::new();
    if let Some(name) = &export.name {
        map.insert("event".into(), name.clone().into());
    }
    if let Some(hostname) = &export.hostname {
        map.insert("hostname".into(), hostname.clone().into());
    }
    if let Some((start, end, unix)) = export.times {
        for (key, time) in [("start_time", start), ("end_time", end)] {
            // A placeholder, replaced by the exact number below.
            let value = if unix {
                format!("@{key}@")
            } else {
                time.to_string()
            };
            map.insert(key.into(), value.into());
        }
    }
    if let Some(categories) = &export.categories {
        map.insert("categories".into(), categories.clone().into());
    }
    if let Some(fields) = &export.fields {
        let object = fields
            .iter()
            .map(|(k, v)| (k.clone(), json_wire(v)))
            .collect();
        map.insert("fields".into(), serde_json::Value::Object(object));
    }
    let mut text = serde_json::Value::Object(map).to_string();
    if let Some((start, end, true)) = export.times {
        text = text
            .replacen("\"@start_time@\"", &unix_text(start), 1)
            .replacen("\"@end_time@\"", &unix_text(end), 1);
    }
    text
}

fn tab_wire(value: &Wire) -> String {
    match value {
        Wire::Str(s) => tab_text::escape(s).into_owned(),
        Wire::Int(i) => i.to_string(),
        Wire::Float(f) => f.to_string(),
        Wire::List(items) => {
            let joined: Vec<Cow<'_, str>> = items.iter().map(|s| tab_text::escape(s)).collect();
            tab_text::escape(&joined.join("\t")).into_owned()
        }
    }
}

/// The export as Dovecot's tab-text exporter writes it (RFC 3339 times).
fn to_tab_text(export: &Export) -> String {
    let mut items = Vec::new();
    if let Some(name) = &export.name {
        items.push(format!("event:{}", tab_text::escape(name)));
    }
    if let Some(hostname) = &export.hostname {
        items.push(format!("hostname:{}", tab_text::escape(hostname)));
    }
    if let Some((start, end, _)) = export.times {
        items.push(format!("start_time:{start}\tend_time:{end}"));
    }
    if let Some(categories) = &export.categories {
        items.extend(
            categories
                .iter()
                .map(|c| format!("category:{}", tab_text::escape(c))),
        );
        items.push(String::new());
    }
    if let Some(fields) = &export.fields {
        for (name, value) in fields {
            items.push(format!(
                "field:{}={}",
                tab_text::escape(name),
                tab_wire(value)
            ));
        }
    }
    items.join("\t")
}

/// Tab-text carries unknown fields as text: the JSON reading with unknown
/// values turned into the text tab-text would carry.
fn as_tab_text_sees_it(mut event: ExportedEvent<'_>) -> ExportedEvent<'_> {
    let mut fields = Fields::default();
    // serde_json's map (which wrote the JSON) sorts its keys.
    let mut unknown: Vec<_> = event.event.unknown_fields().iter().collect();
    unknown.sort_by_key(|(name, _)| *name);
    for (name, value) in unknown {
        let text = match value {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            // Items escaped and joined: the list unescaped once.
            Value::List(items) => {
                let items: Vec<Cow<'_, str>> = items.iter().map(|s| tab_text::escape(s)).collect();
                items.join("\t")
            }
        };
        fields.push(Cow::Owned(name.to_owned()), Value::Str(Cow::Owned(text)));
    }
    *event.event.unknown_fields_mut() = fields;
    event
}

proptest! {
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases.max(512), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        parse_everything(text.as_bytes());
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[{}\[\]":,0-9a-z_.eE+\- \\u]{0,64}"#) {
        parse_everything(text.as_bytes());
    }

    #[test]
    fn mangled_real_exports_never_panic(bytes in mangled_corpus_line()) {
        parse_everything(&bytes);
    }
}

proptest! {
    #[test]
    fn generated_exports_round_trip(export in export()) {
        let text = to_json(&export);
        let parsed = json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed.name(), export.name.as_deref().filter(|n| !n.is_empty()));
        if let Some(index) = export.name.as_deref().and_then(|n| EVENTS.iter().position(|e| e.name == n)) {
            prop_assert_eq!(parsed.event.meta().map(|m| m.name), EVENTS[index].rust_name.map(|_| EVENTS[index].name));
        }

        // Serialize reads back to an equal value.
        let written = serde_json::to_string(&parsed).expect("serializable");
        prop_assert_eq!(&json::from_str(&written).expect("own output"), &parsed);

        // serde's Deserialize reads the same.
        let via_serde: ExportedEvent<'_> = serde_json::from_str(&text).expect("valid");
        prop_assert_eq!(&via_serde, &parsed);

        // So does the owned copy.
        prop_assert_eq!(&parsed.clone().into_owned(), &parsed);

        // And the same event in tab-text, up to unknown fields' types.
        let line = to_tab_text(&export);
        let tab = tab_text::from_str(&line).map_err(|e| TestCaseError::fail(format!("{e}\n{line:?}")))?;
        prop_assert_eq!(as_tab_text_sees_it(tab), as_tab_text_sees_it(parsed));
    }
}

#[test]
fn unknown_events_keep_their_name() {
    let event = Event::new(Cow::Borrowed("not_in_the_schema"));
    assert!(matches!(event, Event::Unknown(_)));
}
