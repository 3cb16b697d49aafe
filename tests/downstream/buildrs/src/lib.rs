//! A downstream crate that generates its Dovecot event types in `build.rs`
//! (IMAP events only, as Dovecot 2.3.19 sends them) and parses Dovecot's
//! JSON export into them with the `dovecot-events` runtime.

include!(concat!(env!("OUT_DIR"), "/dovecot_events.rs"));

/// A parse error: malformed JSON, or a known field whose value does not fit
/// its generated type.
pub type ParseError = Box<dyn std::error::Error + Send + Sync>;

/// Parses one line of Dovecot's JSON event export into this crate's
/// generated [`Event`]. Events outside this crate's selection become
/// [`Event::Unknown`] with all their fields; fields newer than the target
/// release are kept in `unknown_fields`.
///
/// # Errors
///
/// Malformed JSON, a missing event name, or a field value that does not
/// fit its type.
pub fn parse_json_line(line: &str) -> Result<Event<'_>, ParseError> {
    let raw = dovecot_events::json::from_str_raw(line)?;
    if raw.name.is_none() {
        return Err("the export left out the event name".into());
    }
    Ok(Event::try_from(raw)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURED: &str = include_str!("../captured.jsonl");

    fn line(n: usize) -> &'static str {
        CAPTURED.lines().nth(n).expect("captured line")
    }

    #[test]
    fn imap_command_finished_from_2_3_19() {
        let Event::ImapCommandFinished(cmd) = parse_json_line(line(0)).expect("parses") else {
            panic!("a typed imap_command_finished");
        };
        assert_eq!(cmd.cmd_name.as_deref(), Some("SELECT"));
        assert_eq!(cmd.mailbox.as_deref(), Some("INBOX"));
        assert_eq!(
            cmd.tagged_reply_state,
            Some(enums::ImapTaggedReplyState::Ok)
        );
        assert_eq!(cmd.running_usecs, Some(658));
        assert_eq!(cmd.bytes_out, Some(331));
    }

    #[test]
    fn events_outside_the_selection_are_kept_untyped() {
        let Event::Unknown(event) = parse_json_line(line(1)).expect("parses") else {
            panic!("auth events are not generated here");
        };
        assert_eq!(event.name, "auth_request_finished");
        assert!(event.fields.get("mechanism").is_some());
    }

    #[test]
    fn fields_newer_than_the_target_are_kept_untyped() {
        let Event::ImapCommandFinished(cmd) = parse_json_line(line(2)).expect("parses") else {
            panic!("a typed imap_command_finished");
        };
        assert_eq!(cmd.cmd_name.as_deref(), Some("SELECT"));
        assert!(cmd.unknown_fields.get("net_in_bytes").is_some());
    }

    #[test]
    fn metadata_covers_the_selection() {
        let names: Vec<&str> = EVENTS.iter().map(|e| e.name).collect();
        assert!(names.contains(&"imap_command_finished"));
        assert!(!names.contains(&"auth_request_finished"));
    }
}
