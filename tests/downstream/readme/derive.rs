/// Runs the README's example, then reads every `imap_command_finished` of
/// the JSON exports named on the command line into the README's `Command`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    readme_example()?;
    let (mut events, mut typed, mut bytes, mut replies) = (0, 0, 0, 0);
    for path in std::env::args().skip(1).filter(|p| p.ends_with(".jsonl")) {
        let text = std::fs::read_to_string(&path)?;
        for line in text.lines() {
            events += 1;
            let exported = dovecot_events::json::from_str(line)?;
            if exported.name() != Some("imap_command_finished") {
                continue;
            }
            let command: Command<'_> = exported.try_into()?;
            assert!(!command.name.is_empty());
            replies += usize::from(command.tagged_reply_state.is_some());
            bytes += command.bytes_in.unwrap_or(0);
            typed += 1;
        }
    }
    assert!(bytes > 0 && replies > 0);
    println!("read {events} events, {typed} typed");
    Ok(())
}
