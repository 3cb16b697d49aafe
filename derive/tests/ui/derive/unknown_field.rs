//! A field the event does not have, named by the Rust field or by
//! `#[dovecot(field = "…")]`: the error is on that name.

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished")]
struct Command {
    cmd_name: Option<String>,
    colour: Option<String>,
    #[dovecot(field = "priority")]
    urgency: Option<u64>,
}

fn main() {}
