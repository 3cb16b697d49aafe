//! The JSON readers (`json::from_slice`, `json::from_slice_raw`) on any
//! bytes, held against serde_json:
//!
//! - what serde_json rejects as JSON, both readers reject;
//! - what serde_json accepts as an object, both readers accept or reject
//!   with a type error (never a syntax error), except a repeated envelope
//!   member, which is documented as a syntax error;
//! - whatever the typed reader accepts, the raw reader and the `Deserialize`
//!   path accept too, and `serde_json::to_string` of it reads back equal.

#![no_main]

use dovecot_events::{ErrorKind, ExportedEvent, json};
use dovecot_events_fuzz::{repeated_envelope_member, round_trip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let typed = json::from_slice(data);
    let raw = json::from_slice_raw(data);
    match serde_json::from_slice::<serde_json::Value>(data) {
        Err(_) => {
            assert!(typed.is_err(), "serde_json rejects, the scanner accepts");
            assert!(raw.is_err(), "serde_json rejects, the raw scanner accepts");
        }
        Ok(serde_json::Value::Object(_)) => {
            let repeated = repeated_envelope_member(data);
            for error in [typed.as_ref().err(), raw.as_ref().err()]
                .into_iter()
                .flatten()
            {
                let allowed = error.kind() == ErrorKind::Type
                    || (repeated && error.kind() == ErrorKind::Syntax);
                assert!(
                    allowed,
                    "serde_json accepts the object, the scanner says: {error}"
                );
            }
            if raw.is_err() {
                assert!(
                    typed.is_err(),
                    "the raw reader rejects what the typed one accepts"
                );
            }
        }
        Ok(_) => {
            assert!(
                typed.is_err(),
                "a JSON value that is not an object is accepted"
            );
            assert!(
                raw.is_err(),
                "a JSON value that is not an object is accepted raw"
            );
        }
    }
    if let Ok(event) = &typed {
        assert!(
            raw.is_ok(),
            "the raw reader rejects what the typed one accepts"
        );
        round_trip(event);
        if let Err(error) = serde_json::from_slice::<ExportedEvent<'_>>(data) {
            // The serde path sees Unix times as `f64` and can round one at
            // the end of the representable range across it; anything else
            // must agree.
            let message = error.to_string();
            assert!(
                message.contains("start_time") || message.contains("end_time"),
                "Deserialize rejects what the scanner accepts: {message}"
            );
        }
    }
});
