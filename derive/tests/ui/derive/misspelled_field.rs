//! Misspelled field names get a suggestion. Code that uses the struct
//! reports nothing more: the derive still implements the conversions.

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished")]
struct Command<'a> {
    cmd_nme: Option<&'a str>,
    #[dovecot(field = "taged_reply")]
    reply: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let line = r#"{"event":"imap_command_finished","fields":{"cmd_name":"NOOP"}}"#;
    let event = dovecot_events::json::from_str(line)?;
    let command: Command<'_> = event.try_into()?;
    drop(command);
    Ok(())
}
