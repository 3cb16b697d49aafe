//! Fields by name on `Event` and the event structs, and the one-call
//! conversions of a parsed export into an `Event` (what code generated in
//! another crate uses).

// The 2.3.19 captures carry fields that 2.4 renamed, which are deprecated.
#![allow(deprecated)]

use std::borrow::Cow;

use dovecot_events::{Event, EventFields, ExportedEvent, RawEvent, Value, json, tab_text};

const CAPTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/exports/2.3.19"
);

fn capture(file: &str) -> String {
    std::fs::read_to_string(format!("{CAPTURES}/{file}"))
        .unwrap_or_else(|err| panic!("read {file}: {err}"))
}

#[test]
fn field_by_name_on_typed_unknown_and_struct() {
    let command = json::from_str(
        r#"{"event":"imap_command_finished","fields":{"user":"alice","bytes_in":12,"tagged_reply_state":"NO","x_new":"1"}}"#,
    )
    .expect("valid");
    let event = &command.event;
    assert_eq!(event.field("user"), Some(Value::Str("alice".into())));
    assert_eq!(event.field("bytes_in"), Some(Value::Int(12)));
    // An enum field reads back as sent.
    assert_eq!(
        event.field("tagged_reply_state"),
        Some(Value::Str("NO".into()))
    );
    // A field the schema does not know is found too; an absent one is not.
    assert_eq!(event.field("x_new"), Some(Value::Str("1".into())));
    assert_eq!(event.field("mailbox"), None);
    assert_eq!(event.field(""), None);

    let Event::ImapCommandFinished(cmd) = event else {
        panic!("typed")
    };
    assert_eq!(cmd.field("user"), event.field("user"));
    assert_eq!(cmd.field("x_new"), Some(Value::Str("1".into())));
    assert_eq!(cmd.field("mailbox"), None);

    let unknown =
        json::from_str(r#"{"event":"brand_new_event","fields":{"user":"bob"}}"#).expect("valid");
    assert!(matches!(unknown.event, Event::Unknown(_)));
    assert_eq!(unknown.event.field("user"), Some(Value::Str("bob".into())));
}

#[test]
fn fields_lists_known_fields_in_schema_order_then_unknown_ones_as_sent() {
    let exported = tab_text::from_str(
        "event:imap_command_finished\tfield:z_unknown=1\tfield:user=alice\tfield:cmd_name=NOOP\tfield:a_unknown=2",
    )
    .expect("valid");
    let names: Vec<String> = exported
        .event
        .fields()
        .into_iter()
        .map(|(name, _)| name.to_owned())
        .collect();
    assert_eq!(names, ["cmd_name", "user", "z_unknown", "a_unknown"]);

    let mut visited = Vec::new();
    exported
        .event
        .for_each_field(&mut |name, _| visited.push(name.to_owned()));
    assert_eq!(visited, names);

    let moved: Vec<String> = exported
        .event
        .into_fields()
        .into_iter()
        .map(|(name, _)| name.into_owned())
        .collect();
    assert_eq!(moved, names);
}

/// Every real event reads the same through the raw reader and a one-call
/// conversion as through the typed reader, in both formats.
#[test]
fn raw_and_exported_conversions_agree_with_the_typed_readers() {
    let mut checked = 0;
    type Typed = for<'a> fn(&'a str) -> Result<ExportedEvent<'a>, dovecot_events::Error>;
    type Raw = for<'a> fn(&'a str) -> Result<RawEvent<'a>, dovecot_events::Error>;
    let readers: [(&str, Typed, Raw); 2] = [
        ("json-unix.jsonl", json::from_str, json::from_str_raw),
        ("tab-text.txt", tab_text::from_str, tab_text::from_str_raw),
    ];
    for (file, typed, raw) in readers {
        let text = capture(file);
        for line in text.lines() {
            let typed = typed(line).expect("a real event parses");
            let raw = raw(line).expect("a real event parses raw");
            assert_eq!(typed.hostname, raw.hostname);
            let from_raw = Event::try_from(raw).expect("converts");
            assert_eq!(from_raw, typed.event, "{line}");
            let from_exported = Event::try_from(typed.clone()).expect("converts");
            assert_eq!(from_exported, typed.event, "{line}");
            checked += 1;
        }
    }
    assert!(checked > 900, "{checked} events");
}

#[test]
fn conversions_keep_borrowed_text_and_name_bad_values() {
    let line = r#"{"event":"brand_new_event","fields":{"user":"alice"}}"#;
    let Event::Unknown(unknown) =
        Event::from_exported(json::from_str(line).expect("valid")).expect("converts")
    else {
        panic!("unknown")
    };
    assert!(matches!(unknown.name, Cow::Borrowed("brand_new_event")));
    assert!(matches!(
        unknown.fields.get("user"),
        Some(Value::Str(Cow::Borrowed("alice")))
    ));

    // No name: the unknown event with an empty name, as the readers give.
    let nameless = Event::from_raw(json::from_str_raw(r#"{"fields":{"a":"b"}}"#).expect("valid"))
        .expect("converts");
    assert_eq!(nameless.name(), "");

    let bad =
        json::from_str_raw(r#"{"event":"imap_command_finished","fields":{"bytes_in":"many"}}"#)
            .expect("raw reading does not type fields");
    let error = Event::try_from(bad).expect_err("not a number");
    assert!(error.to_string().contains("field `bytes_in`"), "{error}");
}
