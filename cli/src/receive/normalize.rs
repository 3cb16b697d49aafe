//! One received event as one JSON line, the same for every format and
//! time format Dovecot exports.
//!
//! ```json
//! {"seq":7,"received":"2025-01-02T03:04:05.000006Z","transport":"http-post","format":"tab-text",
//!  "event":"imap_command_finished","hostname":"mx1","start_time":"…","end_time":"…",
//!  "categories":["imap"],"fields":{"cmd_name":"SELECT","bytes_in":12}}
//! ```
//!
//! Times become RFC 3339 strings; a field the schema types as an integer,
//! a timestamp or a string list is written as a JSON number, RFC 3339
//! string or array, whether it arrived as JSON or as tab-text text. Flags
//! stay as Dovecot sends them, so every line is still an event in
//! Dovecot's JSON shape that `dovecot_events::json` reads back. Anything else (unknown events and fields, values that do
//! not fit their type, values Dovecot cut short) is written as it arrived.
//! The spool adds `seq`; this module writes the rest of the object.

use std::borrow::Cow;
use std::io::Write as _;

use dovecot_events::{FromValue, RawEvent, Repr, Timestamp, Value};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::EventModel;
use dovecot_events_receiver::{Format, Source};

/// Writes the event's JSON object without its opening `{` and `seq`
/// member: `"received":…}` (no line break).
pub fn write(
    out: &mut Vec<u8>,
    model: &EventModel,
    target: Version,
    raw: &RawEvent<'_>,
    format: Format,
    source: &Source,
    received: Option<Timestamp>,
) {
    let transport = match source {
        Source::Http { .. } => "http-post",
        Source::Unix { .. } => "unix",
        Source::File { .. } => "file",
    };
    if let Some(received) = received {
        let _ = write!(out, "\"received\":\"{received}\",");
    }
    let _ = write!(
        out,
        "\"transport\":\"{transport}\",\"format\":\"{}\"",
        format.name()
    );
    if let Source::Http { peer, .. } = source {
        let _ = write!(out, ",\"peer\":\"{peer}\"");
    }
    if let Some(name) = &raw.name {
        out.extend_from_slice(b",\"event\":");
        string(out, name);
    }
    if let Some(hostname) = &raw.hostname {
        out.extend_from_slice(b",\"hostname\":");
        string(out, hostname);
    }
    if let Some(time) = &raw.start_time {
        let _ = write!(out, ",\"start_time\":\"{time}\"");
    }
    if let Some(time) = &raw.end_time {
        let _ = write!(out, ",\"end_time\":\"{time}\"");
    }
    if !raw.categories.is_empty() {
        out.extend_from_slice(b",\"categories\":");
        list(out, &raw.categories);
    }
    let event = raw.name.as_deref().and_then(|name| model.events.get(name));
    let mut first = true;
    for (name, value) in raw.fields.iter() {
        out.extend_from_slice(if first { b",\"fields\":{" } else { b"," });
        first = false;
        string(out, name);
        out.push(b':');
        let repr = event
            .and_then(|event| event.field(name))
            .map(|field| field.type_at(target).repr(field.unit));
        typed(out, value, repr);
    }
    if !first {
        out.push(b'}');
    }
    out.push(b'}');
}

fn typed(out: &mut Vec<u8>, value: &Value<'_>, repr: Option<Repr>) {
    let done = match repr {
        Some(Repr::I64) => convert::<i64>(value).map(|n| {
            let _ = write!(out, "{n}");
        }),
        Some(Repr::U64 | Repr::U16) => convert::<u64>(value).map(|n| {
            let _ = write!(out, "{n}");
        }),
        Some(Repr::Timestamp) => convert::<Timestamp>(value).map(|time| {
            let _ = write!(out, "\"{time}\"");
        }),
        Some(Repr::TextList) => convert::<Vec<Cow<'_, str>>>(value).map(|items| list(out, &items)),
        _ => None,
    };
    if done.is_none() {
        wire(out, value);
    }
}

fn convert<'v, T: FromValue<'v>>(value: &'v Value<'_>) -> Option<T> {
    T::from_value(value.reborrow()).ok()
}

fn wire(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Str(text) => string(out, text),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(f) => {
            let _ = serde_json::to_writer(&mut *out, f);
        }
        Value::List(items) => list(out, items),
    }
}

fn list(out: &mut Vec<u8>, items: &[Cow<'_, str>]) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, item);
    }
    out.push(b']');
}

fn string(out: &mut Vec<u8>, text: &str) {
    // A string needs escaping only for quotes, backslashes and control
    // characters; most of Dovecot's values have none.
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, format: Format) -> serde_json::Value {
        let model = dovecot_events_codegen::load_embedded().expect("embedded schema");
        let raw = match format {
            Format::Json => dovecot_events::json::from_str_raw(text),
            Format::TabText => dovecot_events::tab_text::from_str_raw(text),
        }
        .expect("event");
        let mut out = b"{".to_vec();
        let source = Source::File { inode: 1, end: 2 };
        let received = raw.start_time;
        write(
            &mut out,
            &model,
            "2.3.19".parse().expect("version"),
            &raw,
            format,
            &source,
            received,
        );
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn every_format_gives_the_same_fields() {
        let json = line(
            r#"{"event":"imap_command_finished","hostname":"mx1","start_time":1700000000.5,"categories":["imap"],"fields":{"cmd_name":"SELECT","bytes_in":12,"user":"a\"b"}}"#,
            Format::Json,
        );
        let tab = line(
            "event:imap_command_finished\thostname:mx1\tstart_time:2023-11-14T22:13:20.500000Z\tcategory:imap\tfield:cmd_name=SELECT\tfield:bytes_in=12\tfield:user=a\"b",
            Format::TabText,
        );
        assert_eq!(json["fields"], tab["fields"]);
        assert_eq!(json["fields"]["bytes_in"], 12);
        assert_eq!(json["start_time"], tab["start_time"]);
        assert_eq!(json["start_time"], "2023-11-14T22:13:20.500000Z");
        assert_eq!(tab["format"], "tab-text");
    }
}
