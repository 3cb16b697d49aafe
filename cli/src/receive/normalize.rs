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
use std::net::SocketAddr;

use dovecot_events::{FromValue, RawEvent, Repr, Timestamp, Value};
use dovecot_events_receiver::{Format, Source};

use crate::verify::Matched;

/// Writes the event's JSON object without its opening `{` and `seq`
/// member: `"received":…}` (no line break).
pub fn write(
    out: &mut Vec<u8>,
    raw: &RawEvent<'_>,
    matched: &Matched<'_>,
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
        out.extend_from_slice(b"\"received\":");
        time(out, &received);
        out.push(b',');
    }
    out.extend_from_slice(b"\"transport\":\"");
    out.extend_from_slice(transport.as_bytes());
    out.extend_from_slice(b"\",\"format\":\"");
    out.extend_from_slice(format.name().as_bytes());
    out.push(b'"');
    if let Source::Http { peer, .. } = source {
        out.extend_from_slice(b",\"peer\":\"");
        address(out, peer);
        out.push(b'"');
    }
    if let Some(name) = &raw.name {
        out.extend_from_slice(b",\"event\":");
        string(out, name);
    }
    if let Some(hostname) = &raw.hostname {
        out.extend_from_slice(b",\"hostname\":");
        string(out, hostname);
    }
    if let Some(start) = &raw.start_time {
        out.extend_from_slice(b",\"start_time\":");
        time(out, start);
    }
    if let Some(end) = &raw.end_time {
        out.extend_from_slice(b",\"end_time\":");
        time(out, end);
    }
    if !raw.categories.is_empty() {
        out.extend_from_slice(b",\"categories\":");
        list(out, &raw.categories);
    }
    let mut first = true;
    for (i, (name, value)) in raw.fields.iter().enumerate() {
        out.extend_from_slice(if first { b",\"fields\":{" } else { b"," });
        first = false;
        string(out, name);
        out.push(b':');
        let repr = matched.field_type(i).map(|(_, repr)| repr);
        typed(out, value, repr);
    }
    if !first {
        out.push(b'}');
    }
    out.push(b'}');
}

fn typed(out: &mut Vec<u8>, value: &Value<'_>, repr: Option<Repr>) {
    let done = match repr {
        Some(Repr::I64) => convert::<i64>(value).map(|n| number(out, n)),
        Some(Repr::U64 | Repr::U16) => convert::<u64>(value).map(|n| number(out, n)),
        Some(Repr::Timestamp) => convert::<Timestamp>(value).map(|t| time(out, &t)),
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
        Value::Int(n) => number(out, *n),
        Value::Float(f) => {
            let _ = serde_json::to_writer(&mut *out, f);
        }
        Value::List(items) => list(out, items),
    }
}

/// A time as a JSON string in RFC 3339 form.
fn time(out: &mut Vec<u8>, time: &Timestamp) {
    out.push(b'"');
    out.extend_from_slice(time.rfc3339().as_str().as_bytes());
    out.push(b'"');
}

/// A peer's address as `SocketAddr` displays it; an IPv4 one without
/// `fmt`, since every request of a connection writes it.
fn address(out: &mut Vec<u8>, peer: &SocketAddr) {
    match peer {
        SocketAddr::V4(v4) => {
            for (i, octet) in v4.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                number(out, octet);
            }
            out.push(b':');
            number(out, v4.port());
        }
        SocketAddr::V6(_) => {
            let _ = write!(out, "{peer}");
        }
    }
}

/// An integer, by serde_json's writer (much cheaper than `write!`).
fn number(out: &mut Vec<u8>, n: impl serde::Serialize) {
    let _ = serde_json::to_writer(&mut *out, &n);
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

/// Whether `text` needs no escaping in a JSON string. Each chunk is
/// judged whole, without stopping at the first byte, which lets the
/// compiler check many bytes at once.
fn plain(text: &[u8]) -> bool {
    text.chunks(32).all(|chunk| {
        chunk
            .iter()
            .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'))
    })
}

fn string(out: &mut Vec<u8>, text: &str) {
    // A string needs escaping only for quotes, backslashes and control
    // characters; most of Dovecot's values have none.
    if plain(text.as_bytes()) {
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
        let lookup =
            dovecot_events_codegen::lookup::Lookup::new(&model, "2.3.19".parse().expect("version"));
        let mut matched = Matched::default();
        matched.find(&lookup, &raw);
        write(&mut out, &raw, &matched, format, &source, received);
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

    #[test]
    fn escapes_only_what_json_needs() {
        for (text, expected) in [
            (
                "plain text, 32 bytes and then some",
                "\"plain text, 32 bytes and then some\"",
            ),
            ("a\"b", "\"a\\\"b\""),
            ("back\\slash", "\"back\\\\slash\""),
            ("tab\tthere", "\"tab\\tthere\""),
            ("ünïcode", "\"ünïcode\""),
            ("", "\"\""),
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            assert_eq!(String::from_utf8(out).expect("UTF-8"), expected, "{text:?}");
        }
        // A quote past the first chunk is found too.
        let long = format!("{}\"", "x".repeat(40));
        assert!(!plain(long.as_bytes()));
        assert!(plain("x".repeat(40).as_bytes()));
    }

    #[test]
    fn peers_are_written_as_displayed() {
        for peer in [
            "127.0.0.1:24242",
            "10.200.3.255:1",
            "[::1]:8080",
            "[fe80::1%2]:80",
        ] {
            let peer: SocketAddr = peer.parse().expect("address");
            let mut out = Vec::new();
            address(&mut out, &peer);
            assert_eq!(String::from_utf8(out).expect("UTF-8"), peer.to_string());
        }
    }
}
