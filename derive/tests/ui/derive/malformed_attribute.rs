//! `#[dovecot(…)]` attributes that cannot be read.

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(evnt = "imap_command_finished")]
struct UnknownKey {
    cmd_name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = imap_command_finished)]
struct NotAString {
    cmd_name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished", since = "2.3.x")]
struct BadVersion {
    cmd_name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished", since = "2.3.12")]
struct UnknownRelease {
    cmd_name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished")]
struct FieldKey {
    #[dovecot(rename = "cmd_name")]
    name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
struct NoEvent {
    cmd_name: Option<String>,
}

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished")]
struct Tuple(Option<String>);

fn main() {}
