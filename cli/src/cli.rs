//! The `dovecot-eventgen` command line. `main.rs` only parses [`Args`] and
//! calls [`run`].

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use dovecot_events_codegen::{Error, EventModel, Version};

use crate::exit::Exit;

/// Check Dovecot's exported events and statistics configuration against
/// your release, list what an upgrade changes, and render the events
/// reference.
#[derive(Debug, Parser)]
#[command(name = "dovecot-eventgen", version, after_help = crate::exit::CONTRACT)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a schema directory, printing every problem with its file,
    /// line and column.
    Validate {
        /// The schema directory (default: the embedded schema).
        path: Option<PathBuf>,
    },
    /// Print the resolved model as JSON.
    Resolve {
        /// The schema directory (default: the embedded schema).
        #[arg(long)]
        schema: Option<PathBuf>,
    },
    /// Print coverage counts per category and per release.
    Stats {
        /// The schema directory (default: the embedded schema).
        #[arg(long)]
        schema: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Check exported events (JSON lines or tab-text) against what one
    /// Dovecot release sends: unknown events and fields, wrong types,
    /// unknown enum values, items newer than the release or removed before
    /// it.
    Verify(VerifyArgs),
    /// Receive events live from Dovecot's event exporter (http-post, unix
    /// socket, file), check each against one release, and write them as
    /// JSON lines without losing any; exit 1 when `--fail-on` or
    /// `--min-coverage` fails.
    Receive(crate::receive::ReceiveArgs),
    /// List the events and fields an upgrade adds, removes, renames or
    /// retypes between two Dovecot releases.
    Diff(DiffArgs),
    /// Check the metric, event_exporter and event filter settings of a
    /// Dovecot configuration against what one Dovecot release sends.
    Lint(LintArgs),
    /// Rewrite the statistics part of a configuration (metric and
    /// event_exporter blocks, event filters) from one Dovecot release to
    /// another; everything else stays byte for byte.
    Migrate(MigrateArgs),
    /// Predict the series Dovecot's OpenMetrics endpoint exposes for each
    /// metric block of a configuration.
    Metrics(MetricsArgs),
    /// Write the events reference (Markdown, reStructuredText, JSON, HTML, or
    /// the data of Dovecot's documentation site).
    Docs(DocsArgs),
    /// Print (or write) Rust types for the events, exactly as the `schema!`
    /// macro and the build-script `Builder` generate them for the same
    /// options; the code uses the `dovecot-events` crate as its runtime.
    Rust(RustArgs),
}

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
    fn command(&self) -> String {
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

/// Runs a parsed command line and returns the process exit status, as
/// [`crate::exit::CONTRACT`] states it.
#[must_use]
pub fn run(args: &Args) -> ExitCode {
    let exit = match &args.command {
        Command::Validate { path } => match model(path.as_deref()) {
            Ok(model) => {
                println!(
                    "the schema is valid: {} events, {} categories, {} releases",
                    model.events.len(),
                    model.categories.len(),
                    model.versions.len()
                );
                Exit::Clean
            }
            Err(err) => fail(&err),
        },
        Command::Resolve { schema } => match model(schema.as_deref()) {
            Ok(model) => {
                let text = crate::resolved::generate(&model);
                // A closed pipe (`| head`) is not an error worth reporting.
                let _ = std::io::stdout().write_all(text.as_bytes());
                Exit::Clean
            }
            Err(err) => fail(&err),
        },
        Command::Stats { schema, format } => match model(schema.as_deref()) {
            Ok(model) => {
                let stats = crate::stats::stats(&model);
                let text = match format {
                    OutputFormat::Text => stats.to_text(),
                    OutputFormat::Json => {
                        let mut json = serde_json::to_string_pretty(&stats).unwrap_or_default();
                        json.push('\n');
                        json
                    }
                };
                let _ = std::io::stdout().write_all(text.as_bytes());
                Exit::Clean
            }
            Err(err) => fail(&err),
        },
        Command::Verify(args) => verify(args),
        // `receive` states its own exit status (it runs until stopped).
        Command::Receive(args) => return crate::receive::run(args),
        Command::Diff(args) => diff(args),
        Command::Lint(args) if args.fix => crate::migrate::cli::fix(args),
        Command::Lint(args) => lint(args),
        Command::Migrate(args) => crate::migrate::cli::migrate(args),
        Command::Metrics(args) => crate::metrics::cli(args),
        Command::Docs(args) => docs(args),
        Command::Rust(args) => rust(args),
    };
    exit.into()
}

/// The release a command works against (see [`crate::target::resolve`]),
/// with its note on standard error; `None` after reporting an unknown one.
pub(crate) fn target(model: &EventModel, asked: Option<Version>, flag: &str) -> Option<Version> {
    match crate::target::resolve(model, asked, flag) {
        Ok(resolved) => {
            if let Some(note) = resolved.note {
                eprintln!("note: {note}");
            }
            Some(resolved.version)
        }
        Err(message) => {
            eprintln!("error: {message}");
            None
        }
    }
}

fn rust(args: &RustArgs) -> Exit {
    let sources = match &args.schema {
        Some(dir) => match dovecot_events_codegen::read_dir_sources(dir) {
            Ok(sources) => sources,
            Err(err) => return fail(&err),
        },
        None => dovecot_events_codegen::embedded_sources(),
    };
    let code = match args
        .config()
        .code(&sources, quote::quote!(::dovecot_events), &args.command())
    {
        Ok(code) => code,
        Err(err) => return fail(&err),
    };
    let Some(out) = &args.out else {
        let _ = std::io::stdout().write_all(code.as_bytes());
        return Exit::Clean;
    };
    match dovecot_events_codegen::write_if_changed(out, code.as_bytes()) {
        Ok(true) => {
            println!("wrote {}", out.display());
            Exit::Clean
        }
        Ok(false) => Exit::Clean,
        Err(err) => fail(&err),
    }
}

fn verify(args: &VerifyArgs) -> Exit {
    use crate::verify::{InputFormat, Limits};
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    let Some(release) = target(&model, args.target, "--target") else {
        return Exit::BadInput;
    };
    let format = match args.input {
        InputArg::Auto => None,
        InputArg::Json => Some(InputFormat::Json),
        InputArg::TabText => Some(InputFormat::TabText),
    };
    let path = args.file.as_deref().filter(|path| *path != Path::new("-"));
    let result = match path {
        None => crate::verify::verify(
            &model,
            std::io::stdin().lock(),
            format,
            release,
            Limits::default(),
        ),
        Some(path) => std::fs::File::open(path).and_then(|file| {
            let input = std::io::BufReader::with_capacity(1 << 16, file);
            crate::verify::verify(&model, input, format, release, Limits::default())
        }),
    };
    let report = match result {
        Ok(report) => report,
        Err(err) => {
            let name =
                path.map_or_else(|| "standard input".to_owned(), |p| p.display().to_string());
            eprintln!("error: cannot read {name}: {err}");
            return Exit::of_io(&err);
        }
    };
    let text = match args.format {
        OutputFormat::Text => format!("{report}\n"),
        OutputFormat::Json => report.to_json(),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    if report.is_clean() {
        Exit::Clean
    } else {
        Exit::Findings
    }
}

pub(crate) fn lint(args: &LintArgs) -> Exit {
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    let Some(release) = target(&model, args.target, "--target") else {
        return Exit::BadInput;
    };
    let report = match crate::lint::lint_file(&model, &args.config, release) {
        Ok(report) => report,
        Err(err) => {
            let exit = Exit::of_io(&err);
            if exit == Exit::BadInput {
                eprintln!(
                    "error: {} is not UTF-8 text; lint reads a dovecot.conf or the output of \
                     `doveconf -n`",
                    args.config.display()
                );
            } else {
                eprintln!("error: cannot read {}: {err}", args.config.display());
            }
            return exit;
        }
    };
    let text = match args.format {
        OutputFormat::Text => format!("{report}\n"),
        OutputFormat::Json => report.to_json(),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    if report.has_errors() {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

fn diff(args: &DiffArgs) -> Exit {
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    let (Some(from), Some(to)) = (
        target(&model, Some(args.from), "FROM"),
        target(&model, Some(args.to), "TO"),
    ) else {
        return Exit::BadInput;
    };
    if from > to {
        eprintln!("error: {from} is newer than {to}; give the older release first");
        return Exit::BadInput;
    }
    let diff = dovecot_events_codegen::diff::diff(&model, from, to);
    let text = match args.format {
        DiffFormat::Text => diff.to_text(),
        DiffFormat::Markdown => diff.to_markdown(),
        DiffFormat::Json => diff.to_json(),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    if args.fail_on_removal && diff.has_removals() {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

fn docs(args: &DocsArgs) -> Exit {
    use dovecot_events_codegen::emit::docs::{self, Format};
    let model = match model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return fail(&err),
    };
    let model = match args.target {
        // Without a target the reference covers every release.
        None => model,
        Some(asked) => match target(&model, Some(asked), "--target") {
            Some(release) => docs::restrict(&model, release),
            None => return Exit::BadInput,
        },
    };
    let format = match args.format {
        DocsFormat::Markdown => Format::Markdown,
        DocsFormat::Rst => Format::Rst,
        DocsFormat::Json => Format::Json,
        DocsFormat::Html => Format::Html,
        DocsFormat::DovecotDocs => Format::DovecotDocs,
    };
    let files = docs::render(&model, format);
    let Some(out) = &args.out else {
        if let [file] = files.as_slice() {
            let _ = std::io::stdout().write_all(file.contents.as_bytes());
            return Exit::Clean;
        }
        eprintln!(
            "error: this format writes {} files, so it needs a directory: add --out DIR",
            files.len()
        );
        return Exit::BadInput;
    };
    for file in files {
        let path = out.join(file.name);
        match dovecot_events_codegen::write_if_changed(&path, file.contents.as_bytes()) {
            Ok(true) => println!("wrote {}", path.display()),
            Ok(false) => {}
            Err(err) => return fail(&err),
        }
    }
    Exit::Clean
}

pub(crate) fn model(schema: Option<&Path>) -> Result<EventModel, Error> {
    match schema {
        Some(dir) => dovecot_events_codegen::load_dir(dir),
        None => Ok(dovecot_events_codegen::load_embedded()?),
    }
}

/// Reports an error of the code generator's library and returns its exit
/// status.
pub(crate) fn fail(err: &Error) -> Exit {
    match err {
        Error::Io { path, source } => eprintln!("error: {}: {source}", path.display()),
        other => eprintln!("error: {other}"),
    }
    Exit::of_error(err)
}
