//! `#[derive(DovecotEvent)]` structs of every supported field type, filled
//! from the events a real Dovecot 2.3.19.1 exported.
#![deny(warnings)]

use std::borrow::Cow;
use std::net::IpAddr;

use dovecot_events::enums::{AuthTransport, ImapTaggedReplyState};
use dovecot_events::{DovecotEvent, ExportedEvent, FromEventError, Timestamp};

const CAPTURE: &str = include_str!("../../repo/tests/fixtures/exports/2.3.19/json-unix.jsonl");

/// Borrowed and owned text, integers of several widths, a timestamp, an IP
/// address, a string list and an open enum; `cmd_name` is required.
#[derive(Debug, DovecotEvent)]
#[dovecot(event = "imap_command_finished", since = "2.3.19")]
struct Command<'a> {
    #[dovecot(field = "cmd_name")]
    name: &'a str,
    cmd_args: Option<Cow<'a, str>>,
    user: Option<String>,
    tagged_reply_state: Option<ImapTaggedReplyState>,
    bytes_in: Option<u64>,
    running_usecs: Option<i64>,
    remote_port: Option<u16>,
    lock_wait_usecs: Option<u32>,
    last_run_time: Option<Timestamp>,
    remote_ip: Option<IpAddr>,
    reason_code: Option<Vec<String>>,
    #[dovecot(skip)]
    seen: bool,
}

/// A flag as `bool`, an enum as text, and a struct without a lifetime.
#[derive(Debug, DovecotEvent)]
#[dovecot(event = "auth_request_finished", since = "2.3.19")]
struct Login {
    user: String,
    success: Option<bool>,
    transport: Option<AuthTransport>,
    policy_result: Option<String>,
    remote_port: Option<i32>,
}

/// Lists borrowed without copying, and a required integer.
#[derive(Debug, DovecotEvent)]
#[dovecot(event = "mail_delivery_finished", since = "2.3.19")]
struct Delivery<'a> {
    message_size: u64,
    rcpt_to: Option<&'a str>,
    reason_code: Option<Vec<Cow<'a, str>>>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut selects, mut logins, mut successes, mut failures, mut deliveries) = (0, 0, 0, 0, 0);
    for line in CAPTURE.lines() {
        let event: ExportedEvent<'_> = dovecot_events::json::from_str(line)?;
        match event.name() {
            Some("imap_command_finished") => {
                let command: Command<'_> = event.try_into()?;
                assert!(!command.seen);
                if command.name == "SELECT"
                    && command.tagged_reply_state == Some(ImapTaggedReplyState::Ok)
                {
                    selects += 1;
                    assert_eq!(command.cmd_args.as_deref(), Some("INBOX"));
                    assert!(command.user.is_some_and(|u| u.ends_with("@example.test")));
                    assert!(command.remote_ip.is_some_and(|ip| ip.is_loopback()));
                    assert!(command.bytes_in.is_some() && command.running_usecs.is_some());
                    assert!(command.remote_port.is_some() && command.lock_wait_usecs.is_some());
                    assert!(command.last_run_time.is_some());
                    assert_eq!(
                        command.reason_code,
                        Some(vec!["imap:cmd_select".to_owned()])
                    );
                }
            }
            Some("auth_request_finished") => {
                let login: Login = event.try_into()?;
                logins += 1;
                assert!(matches!(
                    login.transport,
                    Some(AuthTransport::Insecure | AuthTransport::Trusted)
                ));
                assert_eq!(login.policy_result.as_deref(), Some("ok"));
                // A port read into a wider signed integer.
                assert!(login.remote_port.is_none_or(|port| port > 0));
                if login.success == Some(true) {
                    successes += 1;
                }
                // 2.3.19 marks a failed login only by leaving `success` out.
                if login.success.is_none() && login.user == "mallory@example.test" {
                    failures += 1;
                }
            }
            Some("mail_delivery_finished") => {
                let delivery: Delivery<'_> = event.try_into()?;
                deliveries += 1;
                assert!(delivery.message_size > 0);
                assert!(delivery.rcpt_to.is_some());
                assert_eq!(
                    delivery.reason_code.as_deref(),
                    Some(&[Cow::Borrowed("lmtp:cmd_data")][..])
                );
            }
            _ => {
                let wrong: Result<Login, _> = event.try_into();
                assert!(matches!(wrong, Err(FromEventError::WrongEvent { .. })));
            }
        }
    }
    assert!(selects > 0 && deliveries > 0);
    assert_eq!((logins, successes, failures), (9, 7, 1));
    Ok(())
}
