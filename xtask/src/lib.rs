//! The repository's own tasks, run as `cargo xtask TASK` (an alias in
//! `.cargo/config.toml`):
//!
//! - `generate`: write every file generated from `schema/` (only those
//!   that changed), and remove generated files that no longer are;
//! - `check`: write nothing; exit 1 naming every generated file that is
//!   out of date (CI runs this).
//!
//! Both take `--root DIR` (default: found upwards from the current
//! directory) and `--schema DIR` (default: `ROOT/schema`). Exit codes: 0
//! done or up to date, 1 out of date, 2 usage or an invalid schema, 3 I/O.

mod derive_target;
mod features;
pub mod files;
mod json_schema;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dovecot_events_codegen::{Error, EventModel};

const USAGE: &str = "usage: cargo xtask (generate | check) [--root DIR] [--schema DIR]";

/// Runs the task the arguments (without the program name) name.
#[must_use]
pub fn run(args: &[String]) -> ExitCode {
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut root = None;
    let mut schema = None;
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let slot = match flag.as_str() {
            "--root" => &mut root,
            "--schema" => &mut schema,
            _ => {
                eprintln!("unknown argument `{flag}`\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        let Some(value) = rest.next() else {
            eprintln!("`{flag}` needs a directory\n{USAGE}");
            return ExitCode::from(2);
        };
        *slot = Some(PathBuf::from(value));
    }
    let result = match task.as_str() {
        "generate" => generate(root, schema),
        "check" => check(root, schema),
        _ => {
            eprintln!("unknown task `{task}`\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    result.unwrap_or_else(|err| {
        eprintln!("error: {err}");
        match err {
            Error::Schema(_) => ExitCode::from(2),
            _ => ExitCode::from(3),
        }
    })
}

fn load(root: Option<PathBuf>, schema: Option<PathBuf>) -> Result<(EventModel, PathBuf), Error> {
    let root = match root {
        Some(root) => root,
        None => find_root()?,
    };
    let schema = schema.unwrap_or_else(|| root.join("schema"));
    Ok((dovecot_events_codegen::load_dir(&schema)?, root))
}

fn generate(root: Option<PathBuf>, schema: Option<PathBuf>) -> Result<ExitCode, Error> {
    let (model, root) = load(root, schema)?;
    let outputs = files::outputs(&model, &root)?;
    let changes = files::write_changed(&root, &outputs)?;
    for change in &changes {
        println!("{change}");
    }
    println!(
        "{} generated file(s), {} changed",
        outputs.len(),
        changes.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn check(root: Option<PathBuf>, schema: Option<PathBuf>) -> Result<ExitCode, Error> {
    let (model, root) = load(root, schema)?;
    let outputs = files::outputs(&model, &root)?;
    let stale = files::stale(&root, &outputs);
    if stale.is_empty() {
        println!("all {} generated files are up to date", outputs.len());
        return Ok(ExitCode::SUCCESS);
    }
    for path in &stale {
        eprintln!("out of date: {path}");
    }
    eprintln!("run `cargo xtask generate` to regenerate");
    Ok(ExitCode::from(1))
}

/// The nearest directory upwards that holds `generated/Cargo.toml` and
/// `schema/`.
fn find_root() -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir().map_err(|source| Error::Io {
        path: PathBuf::from("."),
        source,
    })?;
    cwd.ancestors()
        .find(|dir| dir.join("generated/Cargo.toml").is_file() && dir.join("schema").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::Io {
            path: cwd,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not inside the dovecot-events repository (no generated/Cargo.toml and schema/ above); pass --root",
            ),
        })
}
