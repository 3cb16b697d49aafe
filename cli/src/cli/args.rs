//! The options of the commands, as clap parses them from the command line.

use std::path::PathBuf;

use dovecot_events_codegen::Version;

/// Options of `rust`.
#[derive(Debug, clap::Args)]
pub struct RustArgs {
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Generate only what this Dovecot release sends, e.g. `2.3.19`.
    #[arg(long)]
    pub target: Option<Version>,
    /// Keep only events in this category (or its sub-categories); repeatable.
    #[arg(long = "category", value_name = "CATEGORY")]
    pub categories: Vec<String>,
    /// Keep only this event (in addition to any categories); repeatable.
    #[arg(long = "event", value_name = "EVENT")]
    pub events: Vec<String>,
    /// `PATTERN=ATTR`: put the attribute (e.g. `#[must_use]`) on every
    /// struct and enum whose schema name matches PATTERN (`*` matches any
    /// text); repeatable.
    #[arg(long = "type-attribute", value_name = "PATTERN=ATTR", value_parser = pattern_attribute)]
    pub type_attributes: Vec<(String, String)>,
    /// `PATTERN=ATTR` for struct members, PATTERN matched against
    /// `event.field`; repeatable.
    #[arg(long = "field-attribute", value_name = "PATTERN=ATTR", value_parser = pattern_attribute)]
    pub field_attributes: Vec<(String, String)>,
    /// Write the code to this file (only when it changed) instead of
    /// standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl RustArgs {
    /// The generation options, as `schema!` and `Builder` hold them.
    #[must_use]
    pub fn config(&self) -> dovecot_events_codegen::builder::Config {
        let mut config = dovecot_events_codegen::builder::Config::default();
        config.selection.target = self.target;
        config.selection.categories.clone_from(&self.categories);
        config.selection.events.clone_from(&self.events);
        config.type_attributes.clone_from(&self.type_attributes);
        config.field_attributes.clone_from(&self.field_attributes);
        config
    }

    /// The command line that regenerates the code, for the `@generated`
    /// header.
    pub(super) fn command(&self) -> String {
        let mut words = vec!["dovecot-eventgen".to_owned(), "rust".to_owned()];
        let mut push = |flag: &str, value: String| {
            words.push(flag.to_owned());
            words.push(shell_quote(&value));
        };
        if let Some(schema) = &self.schema {
            push("--schema", schema.display().to_string());
        }
        if let Some(target) = self.target {
            push("--target", target.to_string());
        }
        for category in &self.categories {
            push("--category", category.clone());
        }
        for event in &self.events {
            push("--event", event.clone());
        }
        for (pattern, attr) in &self.type_attributes {
            push("--type-attribute", format!("{pattern}={attr}"));
        }
        for (pattern, attr) in &self.field_attributes {
            push("--field-attribute", format!("{pattern}={attr}"));
        }
        if let Some(out) = &self.out {
            push("--out", out.display().to_string());
        }
        words.join(" ")
    }
}

/// Splits `PATTERN=ATTR` at the first `=` (attributes may hold more).
fn pattern_attribute(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((pattern, attr)) if !pattern.is_empty() && !attr.trim().is_empty() => {
            Ok((pattern.to_owned(), attr.to_owned()))
        }
        _ => Err(format!(
            "expected PATTERN=ATTR, e.g. `imap_*=#[must_use]`, got `{text}`"
        )),
    }
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:*,+@".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Options of `docs`.
#[derive(Debug, clap::Args)]
pub struct DocsArgs {
    /// The format.
    #[arg(long, value_enum, default_value_t = DocsFormat::Markdown)]
    pub format: DocsFormat,
    /// Document only what this Dovecot release sends, e.g. `2.3.19`, or a
    /// series such as `2.4` for its newest release (default: every
    /// release).
    #[arg(long)]
    pub target: Option<Version>,
    /// Write the file(s) into this directory instead of standard output
    /// (required for `dovecot-docs`, which writes two files).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

/// Formats of `docs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DocsFormat {
    /// Markdown (GitHub, VitePress).
    Markdown,
    /// reStructuredText in the style of Dovecot's 2.3 docs.
    Rst,
    /// JSON for tools.
    Json,
    /// One self-contained HTML page with search and a release filter.
    Html,
    /// `events.js` and `updates.js` for Dovecot's documentation site.
    DovecotDocs,
}

/// Options of `lint`.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// The configuration: a `dovecot.conf` (its `!include`s are followed) or
    /// the output of `doveconf -n`.
    pub config: PathBuf,
    /// The Dovecot release the configuration is for, e.g. `2.3.19`, or a
    /// series such as `2.4` for its newest release (default: the newest
    /// release the schema knows).
    #[arg(long)]
    pub target: Option<Version>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Apply the fixes the lint is certain of (renames, a name that only
    /// differs in case, an unknown name with one close suggestion) to the
    /// files, atomically, keeping `FILE.bak`; then lint again.
    #[arg(long)]
    pub fix: bool,
    /// With `--fix`: print the fixes as a unified diff instead of writing
    /// them.
    #[arg(long, requires = "fix")]
    pub diff: bool,
}

/// Options of `migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The configuration: a `dovecot.conf` (its `!include`s are rewritten
    /// too, each in place).
    pub config: PathBuf,
    /// The release the configuration is written for, e.g. `2.3.19`.
    #[arg(long)]
    pub from: Version,
    /// The release to migrate to, e.g. `2.4.1`.
    #[arg(long)]
    pub to: Version,
    /// Print a unified diff instead of writing the files.
    #[arg(long)]
    pub diff: bool,
    /// Comment out what cannot be migrated, with the reason above it,
    /// instead of leaving it as it is.
    #[arg(long)]
    pub comment_unmigratable: bool,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

/// Options of `metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// The configuration: a `dovecot.conf` (with its `!include`s) or the
    /// output of `doveconf -n`.
    pub config: PathBuf,
    /// The Dovecot release, e.g. `2.4.1`.
    #[arg(long)]
    pub target: Version,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

/// Options of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The older release, e.g. `2.3.7`, or a series such as `2.3` for its
    /// newest release.
    pub from: Version,
    /// The newer release, e.g. `2.3.9`, or a series such as `2.4`.
    pub to: Version,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when anything was removed or renamed (for downstream CI).
    #[arg(long)]
    pub fail_on_removal: bool,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

/// Output formats of `diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// One change per line.
    Text,
    /// Markdown tables.
    Markdown,
    /// JSON for tools.
    Json,
}

/// Human or machine output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Plain text for people.
    Text,
    /// JSON for tools.
    Json,
}

/// The exporter format of `verify`'s input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputArg {
    /// Decide from the first line: `{` means JSON.
    Auto,
    /// One JSON object per line (`format = json`).
    Json,
    /// Dovecot's tab-text lines (`format = tab-text`).
    TabText,
}

/// Options of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The file of exported events; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,
    /// The Dovecot release that sent the events, e.g. `2.3.19`, or a
    /// series such as `2.4` for its newest release (default: the newest
    /// release the schema knows).
    #[arg(long)]
    pub target: Option<Version>,
    /// The input's format.
    #[arg(long, value_enum, default_value_t = InputArg::Auto)]
    pub input: InputArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}
