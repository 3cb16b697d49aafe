//! Generating Rust types from a build script, in the style of prost-build
//! and typify.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     dovecot_events_codegen::Builder::new()
//!         .target("2.3.19")
//!         .include_categories(["imap", "auth"])
//!         .type_attribute("imap_*", "#[doc(alias = \"imap\")]")
//!         .generate()?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/dovecot_events.rs"));
//! ```
//!
//! The generated code uses the `dovecot-events` crate as its runtime
//! (values, timestamps, parsing), so the downstream crate depends on both:
//! `dovecot-events` under `[dependencies]`, `dovecot-events-codegen` under
//! `[build-dependencies]`. A build script needs none of the CLI, so turn
//! it off to build faster:
//!
//! ```toml
//! [build-dependencies]
//! dovecot-events-codegen = { version = "0.1", default-features = false }
//! ```

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::rust::RustOptions;
use crate::select::Selection;
use crate::{Error, SourceFile, Version};

/// What to generate: shared by [`Builder`], the `schema!` macro and
/// `dovecot-eventgen rust`, so all three give the same code for the same
/// options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Which release, categories and events.
    pub selection: Selection,
    /// `(pattern, attribute)`: the attribute (Rust source such as
    /// `#[doc(alias = "imap")]`) goes on every generated event struct and enum
    /// whose schema name matches the pattern (`*` matches any text).
    pub type_attributes: Vec<(String, String)>,
    /// `(pattern, attribute)` for struct members; the pattern is matched
    /// against `event.field`, e.g. `imap_command_finished.cmd_*`.
    pub field_attributes: Vec<(String, String)>,
}

impl Config {
    /// The generated code as tokens, for schema files already read.
    ///
    /// # Errors
    ///
    /// Every schema problem, an unknown release, category or event in the
    /// selection, or an attribute that is not valid Rust.
    pub fn tokens(
        &self,
        sources: &[SourceFile],
        runtime: TokenStream,
    ) -> Result<TokenStream, Error> {
        let model = crate::load_sources(sources)?;
        self.model_tokens(&model, runtime)
    }

    /// The generated code as tokens, for a schema already loaded.
    ///
    /// # Errors
    ///
    /// An unknown release, category or event in the selection, or an
    /// attribute that is not valid Rust.
    pub fn model_tokens(
        &self,
        model: &crate::EventModel,
        runtime: TokenStream,
    ) -> Result<TokenStream, Error> {
        let (model, options) = self.prepare(model, runtime)?;
        Ok(crate::emit::rust::tokens(&model, &options))
    }

    /// The generated code as source laid out for reading, with its
    /// `@generated` header naming `command`.
    ///
    /// # Errors
    ///
    /// As [`Config::tokens`].
    pub fn code(
        &self,
        sources: &[SourceFile],
        runtime: TokenStream,
        command: &str,
    ) -> Result<String, Error> {
        let model = crate::load_sources(sources)?;
        let (model, mut options) = self.prepare(&model, runtime)?;
        command.clone_into(&mut options.command);
        Ok(crate::emit::rust::generate(&model, &options))
    }

    fn prepare(
        &self,
        model: &crate::EventModel,
        runtime: TokenStream,
    ) -> Result<(crate::EventModel, RustOptions), Error> {
        let mut problems: Vec<String> = self
            .selection
            .unknown_names(model)
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut parse = |list: &[(String, String)]| {
            list.iter()
                .filter_map(|(pattern, text)| match attributes(text) {
                    Ok(tokens) => Some((pattern.clone(), tokens)),
                    Err(err) => {
                        problems.push(format!("attribute `{text}` for `{pattern}`: {err}"));
                        None
                    }
                })
                .collect::<Vec<_>>()
        };
        let type_attributes = parse(&self.type_attributes);
        let field_attributes = parse(&self.field_attributes);
        if !problems.is_empty() {
            return Err(Error::Options(problems));
        }
        let selection = &self.selection;
        let unselected = selection.target.is_none()
            && selection.categories.is_empty()
            && selection.events.is_empty();
        let options = RustOptions {
            runtime,
            type_attributes,
            field_attributes,
            // The runtime crate already holds the tables of its own schema;
            // a second copy would only cost compile time.
            runtime_metadata: unselected && model.source_hash == crate::embedded_source_hash(),
            ..RustOptions::default()
        };
        Ok((self.selection.apply(model), options))
    }
}

/// Parses outer attributes (`#[…]`, possibly several) from Rust source.
pub(crate) fn attributes(text: &str) -> syn::Result<TokenStream> {
    let attrs = syn::parse::Parser::parse_str(syn::Attribute::parse_outer, text)?;
    if attrs.is_empty() {
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "expected an attribute such as `#[doc(alias = \"imap\")]`",
        ));
    }
    Ok(quote!(#(#attrs)*))
}

/// Generates Rust types for the Dovecot events from a build script.
///
/// Every method returns the builder, so calls chain; nothing happens until
/// [`Builder::generate`]. A complete `build.rs`:
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     dovecot_events_codegen::Builder::new()
///         .schema_dir("schema") // omit to use the schema embedded in this crate
///         .target("2.3.19")
///         .include_events(["imap_command_finished", "auth_request_finished"])
///         .type_attribute("*", "#[doc(alias = \"dovecot\")]")
///         .out_file("events.rs")
///         .generate()?;
///     Ok(())
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    config: Config,
    schema_dir: Option<PathBuf>,
    target: Option<String>,
    out_file: String,
    out_dir: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            config: Config::default(),
            schema_dir: None,
            target: None,
            out_file: "dovecot_events.rs".to_owned(),
            out_dir: None,
        }
    }
}

impl Builder {
    /// A builder for every event of the embedded schema, written to
    /// `$OUT_DIR/dovecot_events.rs`.
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new().generate().expect("generate the event types");
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the schema from this directory (relative to the crate being
    /// built) instead of the one embedded in `dovecot-events-codegen`. Cargo
    /// is told to rerun the build script when any file in it changes.
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new().schema_dir("schema").generate().expect("generate");
    /// ```
    #[must_use]
    pub fn schema_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.schema_dir = Some(dir.into());
        self
    }

    /// Generates only what this Dovecot release sends, e.g. `"2.3.19"`.
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new().target("2.4.1").generate().expect("generate");
    /// ```
    #[must_use]
    pub fn target(mut self, version: impl Into<String>) -> Self {
        self.target = Some(version.into());
        self
    }

    /// Keeps only events in these categories (or their sub-categories).
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new()
    ///     .include_categories(["imap", "smtp-server"])
    ///     .generate()
    ///     .expect("generate");
    /// ```
    #[must_use]
    pub fn include_categories<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        names: I,
    ) -> Self {
        self.config
            .selection
            .categories
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Keeps only these events (in addition to any included categories).
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new()
    ///     .include_events(["mail_delivery_finished"])
    ///     .generate()
    ///     .expect("generate");
    /// ```
    #[must_use]
    pub fn include_events<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.config
            .selection
            .events
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds attributes (Rust source, e.g. `#[doc(alias = "auth")]`) to the
    /// generated structs and enums whose schema name matches `pattern` (`*`
    /// matches any text).
    ///
    /// The event structs already derive `Clone`, `Debug`, `Default` and
    /// `PartialEq`, the enums also `Eq`, `Hash`, `PartialOrd` and `Ord`; a
    /// `derive` added here must name another trait, one that every field
    /// type implements.
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new()
    ///     .type_attribute("auth_*", "#[doc(alias = \"auth\")]")
    ///     .generate()
    ///     .expect("generate");
    /// ```
    #[must_use]
    pub fn type_attribute(
        mut self,
        pattern: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Self {
        self.config
            .type_attributes
            .push((pattern.into(), attribute.into()));
        self
    }

    /// Adds attributes to the struct members whose `event.field` name
    /// matches `pattern`.
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new()
    ///     .field_attribute("imap_command_finished.cmd_*", "#[doc(alias = \"command\")]")
    ///     .generate()
    ///     .expect("generate");
    /// ```
    #[must_use]
    pub fn field_attribute(
        mut self,
        pattern: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Self {
        self.config
            .field_attributes
            .push((pattern.into(), attribute.into()));
        self
    }

    /// The output file's name inside `OUT_DIR` (default `dovecot_events.rs`).
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new().out_file("events.rs").generate().expect("generate");
    /// ```
    #[must_use]
    pub fn out_file(mut self, name: impl Into<String>) -> Self {
        self.out_file = name.into();
        self
    }

    /// Writes into this directory instead of `$OUT_DIR` (for use outside
    /// build scripts).
    ///
    /// ```no_run
    /// dovecot_events_codegen::Builder::new().out_dir("target/gen").generate().expect("generate");
    /// ```
    #[must_use]
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The options as a [`Config`], for callers that want the code without
    /// writing it.
    ///
    /// # Errors
    ///
    /// [`Error::Options`] when the target is not a version number.
    ///
    /// ```
    /// let config = dovecot_events_codegen::Builder::new().target("2.3.19").config().unwrap();
    /// assert_eq!(config.selection.target.unwrap().to_string(), "2.3.19");
    /// ```
    pub fn config(&self) -> Result<Config, Error> {
        let mut config = self.config.clone();
        if let Some(text) = &self.target {
            let version: Version = text
                .parse()
                .map_err(|e| Error::Options(vec![format!("target `{text}`: {e}")]))?;
            config.selection.target = Some(version);
        }
        Ok(config)
    }

    /// Generates the file, writing it only when its contents changed, and
    /// prints the `cargo:rerun-if-changed` lines for exactly the schema
    /// files it read (none for the embedded schema, which cannot change
    /// without rebuilding this crate). Returns the path written.
    ///
    /// # Errors
    ///
    /// Every schema problem at once (located `file:line:column`), an unknown
    /// release, category or event, an invalid attribute, or an I/O error.
    ///
    /// ```no_run
    /// let path = dovecot_events_codegen::Builder::new().generate().expect("generate");
    /// println!("wrote {}", path.display());
    /// ```
    pub fn generate(&self) -> Result<PathBuf, Error> {
        let config = self.config()?;
        let sources = match &self.schema_dir {
            Some(dir) => {
                let sources = crate::read_dir_sources(dir)?;
                // The directory itself catches files being added.
                println!("cargo:rerun-if-changed={}", dir.display());
                for source in &sources {
                    println!("cargo:rerun-if-changed={}", source.path);
                }
                sources
            }
            None => crate::embedded_sources(),
        };
        // Without any rerun-if-changed line Cargo would rerun the script on
        // every change in the package.
        println!("cargo:rerun-if-changed=build.rs");
        let command = "dovecot_events_codegen::Builder (in build.rs)";
        let code = config.code(&sources, quote!(::dovecot_events), command)?;
        let dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Error::Options(vec![
                        "OUT_DIR is not set: call generate() from a build script or set out_dir()"
                            .to_owned(),
                    ])
                })?,
        };
        let path = dir.join(&self.out_file);
        crate::write_if_changed(&path, code.as_bytes())?;
        Ok(path)
    }
}
