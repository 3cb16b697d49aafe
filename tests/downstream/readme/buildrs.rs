/// Reads every JSON export named on the command line with the README's
/// `parse`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    readme_example()?;
    let (mut read, mut typed) = (0, 0);
    for path in std::env::args().skip(1).filter(|p| p.ends_with(".jsonl")) {
        let text = std::fs::read_to_string(&path)?;
        for line in text.lines() {
            let event = parse(line)?;
            read += 1;
            typed += usize::from(!matches!(event, Event::Unknown(_)));
            if let Event::ImapCommandFinished(cmd) = &event {
                assert!(cmd.cmd_name.is_some());
            }
        }
    }
    println!("read {read} events, {typed} typed");
    Ok(())
}
