//! The event name is misspelled: the error is on the name, with the closest
//! event the schema knows.

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_comand_finished")]
struct Command {
    cmd_name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "http_request_ended")]
struct Request {
    status_code: Option<u16>,
}

fn main() {}
