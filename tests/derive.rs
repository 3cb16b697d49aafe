//! `#[derive(DovecotEvent)]` on real captured events, and its compile-time
//! checks as trybuild UI tests (`tests/ui/derive/*.rs` with `.stderr`).

use std::borrow::Cow;
use std::net::IpAddr;

use dovecot_events::enums::ImapTaggedReplyState;
use dovecot_events::{DovecotEvent, ExportedEvent, FromEventError, Timestamp};
use test_support::fixture;

#[derive(Debug, DovecotEvent)]
#[dovecot(event = "imap_command_finished", since = "2.3.19")]
struct Command<'a> {
    #[dovecot(field = "cmd_name")]
    name: &'a str,
    cmd_args: Option<Cow<'a, str>>,
    tagged_reply_state: Option<ImapTaggedReplyState>,
    user: Option<String>,
    remote_ip: Option<IpAddr>,
    bytes_in: Option<u64>,
    running_usecs: Option<i64>,
}

#[derive(Debug, DovecotEvent)]
#[dovecot(event = "auth_request_finished", since = "2.3.19")]
struct Login {
    user: Option<String>,
    success: Option<bool>,
    error: Option<String>,
    mechanism: Option<String>,
}

fn events(file: &str) -> Vec<ExportedEvent<'static>> {
    let text = std::fs::read_to_string(fixture(file)).expect("read fixture");
    text.lines()
        .map(|line| {
            dovecot_events::json::from_str(line)
                .expect("parses")
                .into_owned()
        })
        .collect()
}

#[test]
fn derived_structs_read_real_2_3_19_events() {
    let text =
        std::fs::read_to_string(fixture("exports/2.3.19/json-unix.jsonl")).expect("read fixture");
    let mut selects = 0;
    for line in text.lines() {
        let event = dovecot_events::json::from_str(line).expect("parses");
        if event.name() != Some("imap_command_finished") {
            let wrong: Result<Command<'_>, _> = event.try_into();
            assert!(matches!(wrong, Err(FromEventError::WrongEvent { .. })));
            continue;
        }
        let command: Command<'_> = event.try_into().expect("fits");
        if command.name == "SELECT" && command.tagged_reply_state == Some(ImapTaggedReplyState::Ok)
        {
            selects += 1;
            assert!(command.user.is_some());
            assert!(command.cmd_args.is_some());
            assert!(command.remote_ip.is_some_and(|ip| ip.is_loopback()));
            assert!(command.bytes_in.is_some() && command.running_usecs.is_some());
        }
    }
    assert!(selects > 0, "the capture has a successful SELECT");

    let logins: Vec<Login> = events("exports/2.3.19/json-unix.jsonl")
        .into_iter()
        .filter(|e| e.name() == Some("auth_request_finished"))
        .map(|e| e.try_into().expect("fits"))
        .collect();
    assert!(
        logins.iter().all(|l| l.error.is_none()),
        "2.3.19 sends no error text here"
    );
    assert!(logins.iter().any(|l| l.success == Some(true)));
    // 2.3.19 marks a failed login only by leaving `success` out.
    assert!(
        logins
            .iter()
            .any(|l| l.success.is_none() && l.user.as_deref() == Some("mallory@example.test"))
    );
    assert!(
        logins
            .iter()
            .all(|l| l.mechanism.as_deref() == Some("PLAIN") || l.mechanism.is_none())
    );
    let _ = Timestamp::parse("2026-11-23T19:57:28.674779Z");
}
