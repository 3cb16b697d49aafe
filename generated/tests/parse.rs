//! The two parsers on hand-made exports: every `exporter_include` subset,
//! Dovecot's escaping and truncation, forward compatibility, and errors.

// These tests read Dovecot 2.3 fields that 2.4 renamed, which are deprecated.
#![allow(deprecated)]

use std::borrow::Cow;

use dovecot_events::{ErrorKind, Event, ExportedEvent, Timestamp, Value, json, tab_text};

fn both(json_text: &str, tab: &str) -> ExportedEvent<'static> {
    let a = json::from_str(json_text).unwrap_or_else(|e| panic!("{json_text}: {e}"));
    let b = tab_text::from_str(tab).unwrap_or_else(|e| panic!("{tab:?}: {e}"));
    assert_eq!(a, b, "{json_text} vs {tab:?}");
    a.into_owned()
}

#[test]
fn every_include_subset() {
    let empty = both("{}", "");
    assert_eq!(empty.name(), None);
    assert!(matches!(&empty.event, Event::Unknown(u) if u.fields.is_empty()));
    assert_eq!(serde_json::to_string(&empty).expect("serializable"), "{}");

    let name_only = both(
        r#"{"event":"imap_command_finished"}"#,
        "event:imap_command_finished",
    );
    assert_eq!(name_only.name(), Some("imap_command_finished"));
    assert!(matches!(name_only.event, Event::ImapCommandFinished(_)));

    // Dovecot leaves an empty item where an event has no categories.
    let no_name = both(
        r#"{"hostname":"mx","categories":[],"fields":{"user":"alice","bytes_in":"5"}}"#,
        "hostname:mx\t\tfield:user=alice\tfield:bytes_in=5\n",
    );
    assert_eq!(no_name.name(), None);
    let Event::Unknown(unknown) = &no_name.event else {
        panic!("no name, no type")
    };
    assert_eq!(
        unknown.fields.get("user"),
        Some(&Value::Str("alice".into()))
    );

    let times = both(
        r#"{"start_time":"2024-05-01T12:30:00.123456Z","end_time":1714566600.5}"#,
        "start_time:2024-05-01T12:30:00.123456Z\tend_time:1714566600.500000",
    );
    assert_eq!(times.start_time, Timestamp::parse("1714566600.123456"));
    assert_eq!(
        times.end_time,
        Timestamp::from_unix(1_714_566_600, 500_000_000)
    );

    let fields_only = both(r#"{"fields":{}}"#, "\t");
    assert_eq!(
        fields_only,
        ExportedEvent::new(Event::new(Cow::Borrowed("")))
    );
}

#[test]
fn typed_fields_from_both_formats() {
    let exported = both(
        r#"{"event":"imap_command_finished","categories":["imap","service:imap"],"fields":{"cmd_name":"SELECT","tagged_reply_state":"MAYBE","bytes_in":12,"reason_code":["a","b\tc"],"brand_new":"x"}}"#,
        "event:imap_command_finished\tcategory:imap\tcategory:service:imap\tfield:cmd_name=SELECT\tfield:tagged_reply_state=MAYBE\tfield:bytes_in=12\tfield:reason_code=a\x01tb\x011tc\tfield:brand_new=x",
    );
    let Event::ImapCommandFinished(cmd) = &exported.event else {
        panic!("typed")
    };
    assert_eq!(cmd.cmd_name.as_deref(), Some("SELECT"));
    assert_eq!(
        cmd.tagged_reply_state,
        Some(dovecot_events::enums::ImapTaggedReplyState::Other(
            "MAYBE".into()
        ))
    );
    assert_eq!(cmd.bytes_in, Some(12));
    assert_eq!(
        cmd.reason_code.as_deref(),
        Some(&[Cow::Borrowed("a"), Cow::Borrowed("b\tc")][..])
    );
    assert_eq!(
        cmd.unknown_fields.get("brand_new"),
        Some(&Value::Str("x".into()))
    );
    assert_eq!(exported.categories, ["imap", "service:imap"]);
}

#[test]
fn strings_borrow_unless_escaped() {
    let text = r#"{"event":"x","hostname":"h\"q","fields":{"a":"plain","b":"esc\n"}}"#;
    let exported = json::from_str(text).expect("valid");
    assert!(matches!(exported.hostname, Some(Cow::Owned(_))));
    let Event::Unknown(u) = &exported.event else {
        panic!("unknown")
    };
    assert!(matches!(u.name, Cow::Borrowed("x")));
    assert!(matches!(
        u.fields.get("a"),
        Some(Value::Str(Cow::Borrowed("plain")))
    ));
    assert_eq!(u.fields.get("b"), Some(&Value::Str("esc\n".into())));
}

#[test]
fn tab_text_escapes_follow_dovecot() {
    assert_eq!(
        tab_text::unescape("a\x01tb\x01nc\x011d\x010e\x01rf"),
        "a\tb\nc\x01d\0e\rf"
    );
    assert_eq!(tab_text::unescape("x\x01zy\x01"), "xzy");
    assert_eq!(
        tab_text::escape("a\tb\x01\n\r\0"),
        "a\x01tb\x011\x01n\x01r\x010"
    );
    assert_eq!(tab_text::split_list("a\tb\x01tc"), ["a", "b\tc"]);
    let exported = tab_text::from_str("event:x\x01ty\thostname:h\x01n\tfield:k\x01t=v\x01t\r\n")
        .expect("valid");
    assert_eq!(exported.name(), Some("x\ty"));
    assert_eq!(exported.hostname.as_deref(), Some("h\n"));
    assert_eq!(
        exported.event.unknown_fields().get("k\t"),
        Some(&Value::Str("v\t".into()))
    );
}

#[test]
fn fields_before_the_name_still_get_typed() {
    let exported = json::from_str(r#"{"fields":{"bytes_in":3},"event":"imap_command_finished"}"#)
        .expect("valid");
    let Event::ImapCommandFinished(cmd) = &exported.event else {
        panic!("typed")
    };
    assert_eq!(cmd.bytes_in, Some(3));
    let tab = tab_text::from_str("field:bytes_in=3\tevent:imap_command_finished").expect("valid");
    assert_eq!(exported, tab);
}

#[test]
fn truncated_values_are_kept_as_sent() {
    // format_max_field_len cut an address, and a UTF-8 character.
    let exported = json::from_str(
        r#"{"event":"imap_command_finished","fields":{"remote_port":"14...","cmd_args":"abc..."}}"#,
    )
    .expect("truncated values do not fail");
    let Event::ImapCommandFinished(cmd) = &exported.event else {
        panic!("typed")
    };
    assert_eq!(cmd.remote_port, None);
    assert_eq!(
        cmd.unknown_fields.get("remote_port"),
        Some(&Value::Str("14...".into()))
    );
    assert_eq!(cmd.cmd_args.as_deref(), Some("abc..."));
    let written = serde_json::to_string(&exported).expect("serializable");
    assert_eq!(json::from_str(&written).expect("valid"), exported);

    let line = b"event:x\tfield:cmd_args=caf\xc3...";
    let exported = tab_text::from_slice(line).expect("a cut character is fine");
    assert_eq!(
        exported.event.unknown_fields().get("cmd_args"),
        Some(&Value::Str("caf\u{fffd}...".into()))
    );
    let error = tab_text::from_slice(b"event:x\tfield:cmd_args=caf\xc3 more").expect_err("invalid");
    assert_eq!(error.kind(), ErrorKind::Encoding);
    assert_eq!(error.field(), Some("cmd_args"));
    assert!(tab_text::from_slice_lossy(b"event:x\tfield:cmd_args=caf\xc3 more").is_ok());
}

#[test]
fn newer_dovecot_is_not_an_error() {
    let exported = json::from_str(
        r#"{"event":"brand_new_event","log_type":{"deep":[1,2,{"x":null}]},"fields":{"n":1,"f":1.5,"l":["a"]}}"#,
    )
    .expect("unknown members are skipped");
    let Event::Unknown(u) = &exported.event else {
        panic!("unknown")
    };
    assert_eq!(u.name, "brand_new_event");
    assert_eq!(u.fields.get("n"), Some(&Value::Int(1)));
    assert_eq!(u.fields.get("f"), Some(&Value::Float(1.5)));
    assert_eq!(u.fields.get("l"), Some(&Value::List(vec!["a".into()])));
    assert!(tab_text::from_str("event:x\tlog_type:whatever").is_ok());
}

#[test]
fn tab_text_fast_paths_agree_with_json() {
    // A cut typed value, an eight-byte and a long field name, a control
    // byte that is neither TAB nor the escape byte, and an empty item.
    let exported = both(
        r#"{"event":"imap_command_finished","hostname":"mx","categories":["imap"],"fields":{"remote_port":"14...","tag":"a\u0002b","cmd_name":"SELECT","bytes_in":12345678}}"#,
        "event:imap_command_finished\thostname:mx\tcategory:imap\t\tfield:remote_port=14...\
         \tfield:tag=a\u{2}b\tfield:cmd_name=SELECT\tfield:bytes_in=12345678",
    );
    let Event::ImapCommandFinished(cmd) = &exported.event else {
        panic!("typed")
    };
    assert_eq!(cmd.remote_port, None);
    assert_eq!(
        cmd.unknown_fields.get("remote_port"),
        Some(&Value::Str("14...".into()))
    );
    assert_eq!(cmd.tag.as_deref(), Some("a\u{2}b"));
    assert_eq!(cmd.bytes_in, Some(12_345_678));
    for repeated in [
        "hostname:a\thostname:b",
        "start_time:1\tstart_time:2",
        "end_time:1\tend_time:2",
    ] {
        let error = tab_text::from_str(&format!("event:x\t{repeated}")).expect_err(repeated);
        assert_eq!(error.kind(), ErrorKind::Syntax, "{repeated}");
    }
    let error = tab_text::from_str("event:x\tstart_time:soon").expect_err("not a time");
    assert_eq!(error.member(), Some("start_time"));
    assert_eq!(error.column(), Some(9));
}

#[test]
fn errors_name_the_line_event_field_and_type() {
    let error =
        json::from_str(r#"{"event":"imap_command_finished","fields":{"remote_port":70000}}"#)
            .expect_err("out of range")
            .with_line(12);
    assert_eq!(error.kind(), ErrorKind::Type);
    assert_eq!(error.line(), Some(12));
    assert_eq!(error.event(), Some("imap_command_finished"));
    assert_eq!(error.field(), Some("remote_port"));
    assert_eq!(error.found(), Some("70000"));
    let shown = error.to_string();
    assert!(shown.starts_with("line 12, column "), "{shown}");
    assert!(
        shown.ends_with(
            "event `imap_command_finished`: field `remote_port`: expected a port number (0-65535), found 70000"
        ),
        "{shown}"
    );

    let error = tab_text::from_str("event:imap_command_finished\tfield:bytes_in=lots")
        .expect_err("not a number");
    assert_eq!(error.field(), Some("bytes_in"));
    assert_eq!(error.column(), Some(29));

    let error = json::from_str(r#"{"start_time":"yesterday"}"#).expect_err("not a time");
    assert_eq!(error.member(), Some("start_time"));

    let mut lines = json::from_lines("{}\n\n{\"event\":\n");
    assert!(lines.next().is_some_and(|r| r.is_ok()));
    let error = lines.next().and_then(Result::err).expect("cut short");
    assert_eq!((error.kind(), error.line()), (ErrorKind::Syntax, Some(3)));
    assert_eq!(error.member(), Some("event"));
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    let deep = "[".repeat(100_000);
    let deep_member = format!(r#"{{"x":{}}}"#, "[".repeat(100_000));
    for bad in [
        "",
        "{",
        "[]",
        "null",
        r#"{"event":"x""#,
        r#"{"event":"x",}"#,
        r#"{"event":"x"} x"#,
        r#"{"event":1}"#,
        r#"{"event":"a","event":"b"}"#,
        r#"{"categories":[1]}"#,
        r#"{"fields":{"a":{"b":1}}}"#,
        r#"{"fields":{"a":true}}"#,
        r#"{"fields":{"a":[[1]]}}"#,
        r#"{"fields":{"a":99999999999999999999}}"#,
        r#"{"fields":{"a":1e999}}"#,
        r#"{"fields":{"a":"\ud800"}}"#,
        r#"{"fields":{"a":"bad \q escape"}}"#,
        "{\"fields\":{\"a\":\"raw \u{1} control\"}}",
        &deep,
        &deep_member,
    ] {
        assert!(json::from_str(bad).is_err(), "{bad:.40}");
        // serde_json reads an integer literal too big for 64 bits as a
        // float, so only the crate's own scanner can reject it.
        if !bad.contains("99999999999999999999") {
            assert!(
                serde_json::from_str::<ExportedEvent<'_>>(bad).is_err(),
                "{bad:.40}"
            );
        }
    }
    assert_eq!(
        json::from_slice(b"{\"event\":\"\xff\"}").map_err(|e| e.kind()),
        Err(ErrorKind::Encoding)
    );
    for bad in [
        "{}",
        "event:a\tevent:b",
        "field:novalue",
        "start_time:x",
        "Event:x",
    ] {
        assert!(tab_text::from_str(bad).is_err(), "{bad}");
    }
}

#[test]
fn deserialize_agrees_with_from_str() {
    let text = r#"{"event":"imap_command_finished","hostname":"h","start_time":1.5,"categories":["c"],"fields":{"bytes_in":1,"x":[]}}"#;
    let via_serde: ExportedEvent<'_> = serde_json::from_str(text).expect("valid");
    assert_eq!(via_serde, json::from_str(text).expect("valid"));
    let error = serde_json::from_str::<ExportedEvent<'_>>(
        r#"{"event":"imap_command_finished","fields":{"bytes_in":"x"}}"#,
    )
    .expect_err("wrong type");
    assert!(error.to_string().contains("field `bytes_in`"), "{error}");
}
