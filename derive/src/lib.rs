//! Proc-macros of [`dovecot-events`](https://docs.rs/dovecot-events), which
//! re-exports them behind its `derive` feature. Both are thin shells over
//! `dovecot-events-codegen`: the checks and the generated code are the
//! same as in the `dovecot-eventgen` CLI and the build-script API.

use std::path::PathBuf;
use std::sync::OnceLock;

use dovecot_events_codegen::{EventModel, Version};
use proc_macro::TokenStream;

mod target;

/// The schema embedded in `dovecot-events-codegen`, loaded once per
/// compiler process.
fn model() -> Result<&'static EventModel, String> {
    static MODEL: OnceLock<Result<EventModel, String>> = OnceLock::new();
    MODEL
        .get_or_init(|| dovecot_events_codegen::load_embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Checks a struct against one Dovecot event at compile time and lets it be
/// built from a parsed event (`let login: MyLogin = exported.try_into()?`).
///
/// ```ignore
/// #[derive(dovecot_events::DovecotEvent)]
/// #[dovecot(event = "imap_command_finished")]
/// struct Command<'a> {
///     #[dovecot(field = "cmd_name")]
///     name: &'a str,
///     tagged_reply_state: Option<dovecot_events::enums::ImapTaggedReplyState>,
///     bytes_in: Option<u64>,
/// }
/// ```
///
/// Struct attributes: `event = "…"` (required), `since = "2.3.8"` (the
/// Dovecot release to check against; by default the newest one whose
/// version feature is enabled), `crate = "path"` (where `dovecot_events`
/// is). Field attributes: `field = "…"` (the name Dovecot sends, when it
/// differs from the Rust name), `skip`. A field that is not an `Option` is
/// required: building fails when the event lacks it.
#[proc_macro_derive(DovecotEvent, attributes(dovecot))]
pub fn derive_dovecot_event(input: TokenStream) -> TokenStream {
    let model = match model() {
        Ok(model) => model,
        Err(err) => return compile_error(&err),
    };
    let target: Option<Version> = target::TARGET.parse().ok();
    dovecot_events_codegen::derive_event::expand(input.into(), model, target).into()
}

/// Expands to the event types of the schema embedded in
/// `dovecot-events-codegen`, or of a schema directory, exactly as
/// `dovecot-eventgen rust` or the build-script `Builder` would write them.
///
/// ```ignore
/// // The embedded schema: nothing to copy into your crate.
/// dovecot_events::schema!(target = "2.3.19", categories = ["imap"]);
///
/// // A schema directory of your own.
/// dovecot_events::schema!(
///     "schema",
///     target = "2.3.19",
///     categories = ["imap"],
///     type_attribute = ("imap_*", "#[doc(alias = \"imap\")]"),
/// );
/// ```
///
/// A path, when given, comes first and is relative to the calling crate's
/// `CARGO_MANIFEST_DIR`; the crate is rebuilt when a file in it changes.
/// Options: `target = "…"`, `categories = […]`, `events = […]`,
/// `derive = [Trait, …]` (on every generated type),
/// `type_attribute = ("pattern", "#[…]")` and
/// `field_attribute = ("event.field pattern", "#[…]")`, each repeatable.
#[proc_macro]
pub fn schema(input: TokenStream) -> TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    dovecot_events_codegen::schema_macro::expand(input.into(), &manifest_dir).into()
}

fn compile_error(message: &str) -> TokenStream {
    let message = proc_macro2::Literal::string(message);
    let tokens: proc_macro2::TokenStream = format!("::core::compile_error!({message});")
        .parse()
        .unwrap_or_default();
    tokens.into()
}
