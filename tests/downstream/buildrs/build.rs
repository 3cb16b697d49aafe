//! Generates the IMAP event types for Dovecot 2.3.19 from `schema/`, the
//! way the `dovecot_events_codegen::Builder` docs show.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    dovecot_events_codegen::Builder::new()
        .schema_dir("schema")
        .target("2.3.19")
        .include_categories(["imap"])
        .type_attribute("imap_command_*", "#[doc(alias = \"imap_command\")]")
        .generate()?;
    Ok(())
}
