//! `schema!` expanded in a crate of its own (`repo` is a link to the
//! repository that tests/downstream.rs puts into its copy of this crate),
//! reading the events a real Dovecot 2.3.19.1 exported.
#![deny(warnings)]

mod events {
    dovecot_events::schema!(
        "repo/schema",
        target = "2.3.19",
        categories = ["imap"],
        events = ["auth_request_finished"],
        type_attribute = ("imap_*", "#[doc(alias = \"imap\")]"),
    );
}

use events::Event;
use events::enums::ImapTaggedReplyState;

const CAPTURE: &str = include_str!("../../repo/tests/fixtures/exports/2.3.19/json-unix.jsonl");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut selects, mut logins, mut others) = (0, 0, 0);
    for line in CAPTURE.lines() {
        let event = Event::try_from(dovecot_events::json::from_str_raw(line)?)?;
        match &event {
            Event::ImapCommandFinished(command) => {
                if command.cmd_name.as_deref() == Some("SELECT")
                    && command.tagged_reply_state == Some(ImapTaggedReplyState::Ok)
                {
                    selects += 1;
                    assert_eq!(command.cmd_args.as_deref(), Some("INBOX"));
                }
            }
            Event::AuthRequestFinished(login) => {
                logins += 1;
                assert_eq!(login.mechanism.as_deref(), Some("PLAIN"));
            }
            Event::Unknown(_) => others += 1,
            _ => {}
        }
    }
    assert!(selects > 0 && logins > 0 && others > 0);
    Ok(())
}
