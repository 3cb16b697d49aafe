//! Dovecot's JSON export format (`format = json`, either time format).
//!
//! One document is one event:
//!
//! ```json
//! {"event":"imap_command_finished","hostname":"mx1",
//!  "start_time":"2024-05-01T12:30:00.123456Z","end_time":"2024-05-01T12:30:00.125000Z",
//!  "categories":["imap"],"fields":{"cmd_name":"SELECT","tagged_reply_state":"OK"}}
//! ```
//!
//! Every member is optional (the exporter's `exporter_include` decides), so
//! `{}` is a valid event. Times may be RFC 3339 strings (`time-rfc3339`) or
//! Unix seconds (`time-unix`). Members this crate does not know are skipped
//! (nested at most 128 deep), so a newer Dovecot that adds one does not
//! break parsing.
//!
//! [`from_str`] reads the text with a scanner made for this one shape, going
//! straight into the typed event with no intermediate JSON tree, and
//! borrows every string that has no escapes. `ExportedEvent` also
//! implements serde's `Deserialize`, for an event inside a larger document.
//!
//! ```
//! use dovecot_events::{Event, json};
//!
//! let line = r#"{"event":"imap_command_finished","fields":{"cmd_name":"SELECT","remote_port":143}}"#;
//! let exported = json::from_str(line)?;
//! assert_eq!(exported.name(), Some("imap_command_finished"));
//! # #[cfg(feature = "v2_3_13")] {
//! let Event::ImapCommandFinished(cmd) = &exported.event else { panic!("typed") };
//! assert_eq!(cmd.cmd_name.as_deref(), Some("SELECT"));
//! # }
//! assert_eq!(serde_json::to_string(&exported)?, line);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod de;
mod lex;
mod scan;

use crate::error::Error;
use crate::export::ExportedEvent;
use crate::raw::RawEvent;

/// Parses one JSON document into an exported event.
///
/// # Errors
///
/// Returns an [`Error`] for malformed JSON (including a document cut
/// short), a repeated envelope member, a value whose type does not fit its
/// known field or envelope member, and integers outside Dovecot's signed
/// 64-bit range. Positions are counted within `text`; see
/// [`Error::with_line`].
pub fn from_str(text: &str) -> Result<ExportedEvent<'_>, Error> {
    scan::parse(text)
}

/// Parses one JSON document given as bytes, as an HTTP body arrives.
///
/// # Errors
///
/// As [`from_str`], and [`ErrorKind::Encoding`](crate::ErrorKind::Encoding)
/// for bytes that are not UTF-8.
pub fn from_slice(bytes: &[u8]) -> Result<ExportedEvent<'_>, Error> {
    scan::parse(utf8(bytes)?)
}

/// Parses one JSON document into a [`RawEvent`]: the same rules as
/// [`from_str`], without typing the fields.
///
/// # Errors
///
/// As [`from_str`], except that no field has a type to mismatch.
pub fn from_str_raw(text: &str) -> Result<RawEvent<'_>, Error> {
    scan::parse(text)
}

/// [`from_str_raw`] for bytes, as [`from_slice`].
///
/// # Errors
///
/// As [`from_slice`].
pub fn from_slice_raw(bytes: &[u8]) -> Result<RawEvent<'_>, Error> {
    scan::parse(utf8(bytes)?)
}

fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => {
            let (line, column) = scan::position(bytes, error.valid_up_to());
            Err(Error::encoding(
                "JSON",
                format!(
                    "byte 0x{:02x}",
                    bytes.get(error.valid_up_to()).copied().unwrap_or_default()
                ),
            )
            .at(line, column))
        }
    }
}

/// Parses JSON Lines text (one document per line, as Dovecot's `log`
/// transport or a capture file holds them), skipping blank lines. Errors
/// carry the line number within `text`.
pub fn from_lines(text: &str) -> impl Iterator<Item = Result<ExportedEvent<'_>, Error>> {
    text.lines()
        .zip(1u64..)
        .filter(|(line, _)| !line.trim().is_empty())
        .map(|(line, number)| from_str(line).map_err(|e| e.with_line(number)))
}
