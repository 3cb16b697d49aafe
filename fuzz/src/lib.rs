//! What the fuzz targets share.

use std::sync::LazyLock;

use dovecot_events::{ExportedEvent, json};
use dovecot_events_codegen::EventModel;

/// `serde_json::to_string` of an accepted event reads back equal.
pub fn round_trip(event: &ExportedEvent<'_>) {
    let written = serde_json::to_string(event).expect("an event serializes");
    match json::from_str(&written) {
        Ok(back) => assert_eq!(
            &back, event,
            "the round trip through {written:?} changed it"
        ),
        Err(error) => panic!("own output {written:?} does not read back: {error}"),
    }
}

/// Whether the top level of a JSON object repeats one of the envelope
/// members the readers know (which they report as a syntax error).
#[must_use]
pub fn repeated_envelope_member(data: &[u8]) -> bool {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(key) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(key);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visit)
        }
    }
    let Ok(Keys(keys)) = serde_json::from_slice::<Keys>(data) else {
        return false;
    };
    let envelope = [
        "event",
        "hostname",
        "start_time",
        "end_time",
        "categories",
        "fields",
    ];
    envelope
        .iter()
        .any(|member| keys.iter().filter(|k| k == member).count() > 1)
}

/// Whether configuration text could make `lint` read other files: an
/// `!include`, or a value read from a file (`key = <path`), also across
/// continued lines.
#[must_use]
pub fn reads_files(text: &str) -> bool {
    text.contains("!include")
        || text
            .replace("\\\r\n", "")
            .replace("\\\n", "")
            .lines()
            .any(|line| {
                line.split_once('=')
                    .is_some_and(|(_, value)| value.trim_start().starts_with('<'))
            })
}

static MODEL: LazyLock<EventModel> =
    LazyLock::new(|| dovecot_events_codegen::load_embedded().expect("the embedded schema loads"));

/// Lints `text` as a `dovecot.conf` in a directory that does not exist,
/// against the newest release.
pub fn lint(text: &str) {
    let model = &*MODEL;
    let target = *model.versions.last().expect("the schema lists releases");
    let _ = dovecot_eventgen::lint::lint_str(model, "/nonexistent/dovecot.conf", text, target);
}
