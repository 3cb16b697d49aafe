//! Fields Dovecot removed before the release the struct is checked
//! against: the error names the release that removed them and the new name.

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished", since = "2.3.19")]
struct Command {
    name: Option<String>,
    #[dovecot(field = "tag")]
    command_tag: Option<String>,
}

// Without `since`, the struct is checked against the newest enabled release
// (2.4.4 here), which no longer sends `bytes_in`.
#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished")]
struct Traffic {
    bytes_in: Option<u64>,
}

fn main() {}
