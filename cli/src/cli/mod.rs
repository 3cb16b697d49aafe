//! The `dovecot-eventgen` command line. `main.rs` only parses [`Args`] and
//! calls [`run`].

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use dovecot_events_codegen::{Error, EventModel, Version};

use crate::exit::Exit;

mod args;

pub use args::{
    DiffArgs, DiffFormat, DocsArgs, DocsFormat, InputArg, LintArgs, MetricsArgs, MigrateArgs,
    OutputFormat, RustArgs, VerifyArgs,
};

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
