//! Load, validate, resolve and emit the dovecot-events schema: a YAML
//! catalogue of every event the Dovecot mail server emits.
//!
//! The pipeline has one resolved model between its stages:
//!
//! ```text
//! YAML files ─load→ raw structs ─validate→ ─resolve→ EventModel ─emit→ Rust, JSON, docs
//! ```
//!
//! Every schema problem is collected and reported at once, each located as
//! `file:line:column`:
//!
//! ```
//! use dovecot_events_codegen::{SourceFile, load_sources};
//!
//! let files = [SourceFile {
//!     path: "schema/bad.yaml".into(),
//!     relative: "bad.yaml".into(),
//!     text: "versions: [2.3.0]\nevents:\n  x:\n    categry: auth\n".into(),
//! }];
//! let errors = load_sources(&files).unwrap_err();
//! assert!(errors.to_string().contains("schema/bad.yaml:4:5: unknown key `categry` in event"));
//! ```
//!
//! The repository's schema is embedded, so the CLI and downstream tools work
//! from anywhere:
//!
//! ```
//! let model = dovecot_events_codegen::load_embedded().expect("the embedded schema is valid");
//! assert!(model.events.contains_key("imap_command_finished"));
//! ```
//!
//! The operators' command-line tool (`dovecot-eventgen`: docs, lint,
//! verify, diff, stats) is its own package; this library is what build
//! scripts and the `dovecot-events-derive` macros need.
//!
//! # Features
//!
//! None are on by default, so a build script or proc-macro compiles only
//! syn (without `full`), quote, proc-macro2, heck and the YAML parser.
//!
//! - `serde`: `serde::Serialize` for the resolved model.
//! - `docs`: the documentation emitters ([`emit::docs`]: Markdown,
//!   reStructuredText, JSON, HTML, the data of Dovecot's documentation
//!   site) and the release [`diff`] they show. They live here rather than
//!   in the `dovecot-eventgen` tool so that the repository's
//!   regeneration task builds without the runtime crate whose code it
//!   writes.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builder;
#[doc(hidden)]
pub mod derive_event;
pub mod diag;
#[cfg(feature = "docs")]
#[cfg_attr(docsrs, doc(cfg(feature = "docs")))]
pub mod diff;
pub mod emit;
#[doc(hidden)]
pub mod format;
pub mod ident;
mod load;
pub mod lookup;
pub mod model;
mod raw;
mod read;
mod resolve;
#[doc(hidden)]
pub mod schema_macro;
pub mod select;
mod validate;
mod write;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

pub use builder::Builder;
pub use diag::{Diagnostic, Location, SchemaErrors};
pub use dovecot_events_vocab::{
    Edition, FieldType, Lifetime, Repr, Status, Unit, Version, VersionError, pattern_matches,
    type_at,
};
pub use load::SourceFile;
pub use model::EventModel;
pub use read::{MAX_FILE_BYTES, MAX_TOTAL_BYTES, read_dir_sources};
pub use write::{write_atomic, write_if_changed};

/// The repository's schema files, embedded at build time, as
/// (path relative to the schema directory, text).
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_schema.rs"));

/// Runs the whole pipeline on schema files already in memory.
///
/// # Errors
///
/// Returns every problem found, located.
pub fn load_sources(files: &[SourceFile]) -> Result<EventModel, SchemaErrors> {
    let mut cx = diag::Diagnostics::default();
    let (raw, incomplete) = load::load(files, &mut cx);
    validate::check(&raw, incomplete, &mut cx);
    cx.finish(())?;
    Ok(resolve::resolve(&raw))
}

/// The embedded schema's files.
#[must_use]
pub fn embedded_sources() -> Vec<SourceFile> {
    EMBEDDED
        .iter()
        .map(|(relative, text)| SourceFile {
            path: format!("schema/{relative}"),
            relative: (*relative).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// The `source_hash` of the schema embedded in this crate, which is the
/// schema the matching `dovecot-events` release was generated from.
pub(crate) fn embedded_source_hash() -> String {
    crate::resolve::source_hash(EMBEDDED.iter().copied())
}

/// Loads the schema embedded in this crate.
///
/// # Errors
///
/// Returns every problem found; the embedded schema is validated by this
/// crate's tests, so this fails only for a broken build.
pub fn load_embedded() -> Result<EventModel, SchemaErrors> {
    load_sources(&embedded_sources())
}

/// Loads and resolves the schema in `dir`.
///
/// # Errors
///
/// Returns the I/O error or every schema problem.
pub fn load_dir(dir: &Path) -> Result<EventModel, Error> {
    let files = read_dir_sources(dir)?;
    Ok(load_sources(&files)?)
}

/// An error of the library API.
///
/// `Debug` shows the same located messages as `Display` (the structure
/// with `{:#?}`), because a build script whose `main` returns
/// `Result<(), Box<dyn Error>>` prints its error with `Debug`.
#[non_exhaustive]
pub enum Error {
    /// The schema has problems; displays every one, located.
    Schema(SchemaErrors),
    /// Generation options that do not fit the schema (unknown release,
    /// category or event, an attribute that is not valid Rust); displays
    /// every one.
    Options(Vec<String>),
    /// A file or directory could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Schema(errors) => errors.fmt(f),
            Error::Options(problems) => write!(f, "{}", problems.join("\n")),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            Error::Schema(errors) => f.debug_tuple("Schema").field(errors).finish(),
            Error::Options(problems) => f.debug_tuple("Options").field(problems).finish(),
            Error::Io { path, source } => f
                .debug_struct("Io")
                .field("path", path)
                .field("source", source)
                .finish(),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Schema(errors) => Some(errors),
            Error::Io { source, .. } => Some(source),
            Error::Options(_) => None,
        }
    }
}

impl From<SchemaErrors> for Error {
    fn from(errors: SchemaErrors) -> Self {
        Error::Schema(errors)
    }
}
