/// Runs the README's example, then reads every export named on the command
/// line with the runtime's parsers and reads `user` by name on each event.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    readme_example()?;
    let (mut events, mut typed, mut users) = (0, 0, 0);
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path)?;
        for line in text.lines() {
            let exported = if path.ends_with(".txt") {
                dovecot_events::tab_text::from_str(line)?
            } else {
                dovecot_events::json::from_str(line)?
            };
            events += 1;
            typed += usize::from(!matches!(exported.event, dovecot_events::Event::Unknown(_)));
            users += usize::from(exported.event.field("user").is_some());
        }
    }
    assert!(users > 0, "some events name their user");
    println!("read {events} events, {typed} typed");
    Ok(())
}
