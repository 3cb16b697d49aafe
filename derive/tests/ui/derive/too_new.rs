//! Fields (and events) newer than the release the struct is checked
//! against: the error names the release that introduced them.

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished", since = "2.3.7")]
struct Command {
    running_usecs: Option<u64>,
    reason_code: Option<Vec<String>>,
    net_in_bytes: Option<u64>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "mail_delivery_finished", since = "2.3.7")]
struct Delivery {
    message_id: Option<String>,
}

fn main() {}
