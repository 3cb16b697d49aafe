//! Input built to break the readers' arithmetic: numbers and times past
//! every range the readers convert to, in both formats. Each is a clear
//! error or a correct value, never a panic (the tests run with overflow
//! checks). Inputs the fuzz targets (`fuzz/`) found are kept here too.

use dovecot_events::{ErrorKind, ExportedEvent, Timestamp, json, tab_text};

fn time(text: &str) -> Result<Option<Timestamp>, (ErrorKind, String)> {
    json::from_str(text)
        .map(|e| e.start_time.or(e.end_time))
        .map_err(|e| (e.kind(), e.to_string()))
}

#[test]
fn unix_times_past_every_range() {
    let half = Timestamp::from_unix(0, 500_000_000);
    // More decimals than nanoseconds hold: read as a number.
    assert_eq!(time(r#"{"start_time":0.5000000000}"#), Ok(half));
    assert_eq!(time(r#"{"start_time":5e-1}"#), Ok(half));
    for (line, found) in [
        (
            r#"{"start_time":9223372036854775808}"#,
            "9223372036854775808",
        ),
        (
            r#"{"end_time":99999999999999999999}"#,
            "99999999999999999999",
        ),
        (
            r#"{"end_time":-9223372036854775809}"#,
            "-9223372036854775809",
        ),
        (
            r#"{"end_time":-9223372036854775808}"#,
            "-9223372036854775808",
        ),
        (r#"{"start_time":253402300800}"#, "253402300800"),
        (r#"{"start_time":1e300}"#, "1e300"),
        (r#"{"start_time":-1e16}"#, "-1e16"),
    ] {
        let (kind, message) = time(line).expect_err(line);
        assert_eq!(kind, ErrorKind::Type, "{line}: {message}");
        assert!(
            message.contains("expected a timestamp (RFC 3339 text or Unix seconds)")
                && message.contains(found),
            "{line}: {message}"
        );
    }
    assert_eq!(
        time(r#"{"start_time":1e999}"#).map_err(|e| e.0),
        Err(ErrorKind::Syntax),
        "out of f64's range is not JSON serde_json accepts"
    );
}

#[test]
fn rfc3339_times_past_every_range() {
    for bad in [
        "2024-05-01T12:30:00+99:99",
        "2024-05-01T12:30:00-24:00",
        "0001",
        "0000-01-01T00:00:00+00:01",
        "9999-12-31T23:59:60Z",
        "9999-12-31T23:59:59.9999999999+00:00x",
        "2024-02-30T00:00:00Z",
        "99999-01-01T00:00:00Z",
    ] {
        let line = format!(r#"{{"start_time":"{bad}"}}"#);
        assert_eq!(time(&line).map_err(|e| e.0), Err(ErrorKind::Type), "{bad}");
        let item = format!("start_time:{bad}");
        assert_eq!(
            tab_text::from_str(&item).map(|_| ()).map_err(|e| e.kind()),
            Err(ErrorKind::Type),
            "{bad}"
        );
    }
    // The latest time RFC 3339 can write, with more digits than it keeps.
    let latest = r#"{"start_time":"9999-12-31T23:59:59.9999999999999Z"}"#;
    assert_eq!(
        time(latest).map(|t| t.map(|t| t.subsec_nanos())),
        Ok(Some(999_999_999))
    );
    let long = format!(
        r#"{{"start_time":"2024-05-01T12:30:00.{}Z"}}"#,
        "9".repeat(100_000)
    );
    assert!(time(&long).is_ok());
}

#[test]
fn integers_past_every_range() {
    let event = |fields: &str| {
        json::from_str(&format!(
            r#"{{"event":"imap_command_finished","fields":{{{fields}}}}}"#
        ))
        .map(ExportedEvent::into_owned)
        .map_err(|e| e.kind())
    };
    for fields in [
        r#""bytes_in":-1"#,
        r#""bytes_in":18446744073709551616"#,
        r#""bytes_in":"99999999999999999999""#,
        r#""bytes_in":1.5"#,
        r#""remote_port":65536"#,
        r#""remote_port":-1"#,
        r#""remote_port":"1e3""#,
    ] {
        assert_eq!(event(fields).map(drop), Err(ErrorKind::Type), "{fields}");
    }
    for fields in [
        r#""bytes_in":9223372036854775807"#,
        r#""remote_port":65535"#,
    ] {
        assert!(event(fields).is_ok(), "{fields}");
    }
    for item in [
        "field:bytes_in=-9223372036854775809",
        "field:bytes_in=+",
        "field:remote_port=70000",
    ] {
        let line = format!("event:imap_command_finished\t{item}");
        assert_eq!(
            tab_text::from_str(&line).map(drop).map_err(|e| e.kind()),
            Err(ErrorKind::Type),
            "{item}"
        );
    }
}

/// Found by the `json` fuzz target: the scanner read `-0` as the integer
/// 0, serde_json (and so the `Deserialize` path) as the float -0.0; one
/// accepted a non-negative integer field the other refused.
#[test]
fn minus_zero_is_read_as_serde_json_reads_it() {
    let line = r#"{"event":"server_connection_connected","fields":{"remote_uid":-0,"x":-0}}"#;
    let scanned = json::from_str(line).map_err(|e| e.kind());
    let via_serde = serde_json::from_str::<ExportedEvent<'_>>(line).map_err(|_| ());
    assert_eq!(scanned.map(drop), Err(ErrorKind::Type));
    assert!(via_serde.is_err());
    let raw = json::from_str_raw(r#"{"fields":{"x":-0,"y":-0.0e0,"z":0}}"#)
        .expect("valid")
        .into_owned();
    let values: Vec<String> = raw.fields.iter().map(|(_, v)| format!("{v:?}")).collect();
    assert_eq!(values, ["Float(-0.0)", "Float(-0.0)", "Int(0)"]);
}

/// Found by the `tab_text` fuzz target: `from_slice` took off the line
/// break, then `from_str`'s rules took off a second `\r`, which belongs to
/// the line.
#[test]
fn only_one_line_break_is_taken_off() {
    for line in ["field:a=x\r\r", "field:a=x\r\r\n", "field:a=x\r"] {
        let from_str = tab_text::from_str_raw(line).expect("valid").into_owned();
        let from_slice = tab_text::from_slice_raw(line.as_bytes())
            .expect("valid")
            .into_owned();
        assert_eq!(from_str, from_slice, "{line:?}");
    }
    let raw = tab_text::from_slice_raw(b"field:a=x\r\r\n").expect("valid");
    assert_eq!(
        raw.fields.get("a"),
        Some(&dovecot_events::Value::Str("x\r".into()))
    );
}
