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
