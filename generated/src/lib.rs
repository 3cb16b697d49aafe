//! Typed events of the [Dovecot](https://www.dovecot.org/) mail server, for
//! programs that consume its event exporter (statistics, metrics, log
//! pipelines).
//!
//! Everything in [`events`], [`enums`], [`Event`] and the metadata tables
//! ([`EVENTS`], [`CATEGORIES`], [`ENUMS`], [`VERSIONS`]) is generated from the
//! dovecot-events schema; the rest of the crate is a small hand-written
//! runtime.
//!
//! - Every event Dovecot sends has a struct in [`events`] whose fields are all
//!   optional, since Dovecot leaves out fields that are not set. Fields the
//!   schema does not know are kept in `unknown_fields`, never dropped.
//! - Enumerated fields use the types in [`enums`]; each keeps values it does
//!   not know in its `Other` variant.
//! - [`Event`] is one enum over all events, with a variant for events the
//!   schema does not know.
//! - The metadata answers questions such as "which fields does
//!   `imap_command_finished` have in Dovecot 2.3.19?" at run time:
//!
//! ```
//! use dovecot_events::{Version, meta};
//!
//! let event = meta::event("imap_command_finished").expect("known event");
//! let v2_3_19 = Version::new(&[2, 3, 19]);
//! assert!(event.exists_in(v2_3_19));
//! assert!(event.fields_in(v2_3_19).count() > 5);
//! ```
//!
//! Building a typed event from wire values:
//!
//! ```
//! use std::borrow::Cow;
//! use dovecot_events::{Event, Value};
//!
//! let mut event = Event::new(Cow::Borrowed("imap_command_finished"));
//! event
//!     .set_field(Cow::Borrowed("tagged_reply_state"), Value::Str(Cow::Borrowed("OK")))
//!     .expect("valid value");
//! let Event::ImapCommandFinished(cmd) = &event else { panic!("typed variant") };
//! assert_eq!(
//!     cmd.tagged_reply_state,
//!     Some(dovecot_events::enums::ImapTaggedReplyState::Ok)
//! );
//! ```
//!
//! # Fields by name
//!
//! Every event, typed or not, answers for its fields by the names Dovecot
//! sends: [`Event::field`] gives one field's value, [`Event::fields`] every
//! present field with its name (known fields in schema order, then unknown
//! ones in arrival order), and [`Event::into_fields`] moves them out. The
//! event structs do the same through [`EventFields`]. So a field that many
//! events carry, such as `user`, is read the same way on all of them:
//!
//! ```
//! use dovecot_events::{EventFields, Value, json};
//!
//! let login = json::from_str(
//!     r#"{"event":"auth_request_finished","fields":{"user":"alice","mechanism":"PLAIN"}}"#,
//! )?;
//! let command = json::from_str(
//!     r#"{"event":"imap_command_finished","fields":{"user":"alice","cmd_name":"NOOP","x_new":1}}"#,
//! )?;
//! for exported in [&login, &command] {
//!     assert_eq!(exported.event.field("user"), Some(Value::Str("alice".into())));
//! }
//! assert_eq!(command.event.field("mailbox"), None);
//!
//! // Every present field, known ones first, then those the schema does not know.
//! let names: Vec<&str> = command.event.fields().into_iter().map(|(name, _)| name).collect();
//! assert_eq!(names, ["cmd_name", "user", "x_new"]);
//!
//! // The same on a struct.
//! if let dovecot_events::Event::ImapCommandFinished(cmd) = &command.event {
//!     assert_eq!(cmd.field("cmd_name"), Some(Value::Str("NOOP".into())));
//! }
//! # Ok::<(), dovecot_events::Error>(())
//! ```
//!
//! # Types generated in your crate
//!
//! Code that `schema!` or a build script's `dovecot_events_codegen::Builder`
//! generates has an `Event` enum of its own. Read the export without a
//! schema ([`json::from_str_raw`], [`tab_text::from_str_raw`]) and convert
//! in one call with `Event::try_from` (or `Event::from_raw`); an
//! [`ExportedEvent`] converts the same way:
//!
//! ```
//! # use dovecot_events::Event; // stands in for the generated `Event`
//! let raw = dovecot_events::json::from_str_raw(
//!     r#"{"event":"imap_command_finished","hostname":"mx1","fields":{"cmd_name":"SELECT"}}"#,
//! )?;
//! let hostname = raw.hostname.clone(); // the envelope stays with `raw`
//! let event = Event::try_from(raw)?;
//! assert_eq!(event.name(), "imap_command_finished");
//! assert_eq!(hostname.as_deref(), Some("mx1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Version features
//!
//! Each Dovecot release that added or removed an event or field has a Cargo
//! feature named after it (`v2_3_9`, `v2_3_11_2`, `v2_4_0`, …). The
//! features are cumulative: each enables the one before it, so `v2_3_9`
//! means "everything Dovecot 2.3.9 sends". `default` enables the newest
//! release; with `default-features = false` and no version feature you get
//! what the oldest release in the schema (2.3.0) sends.
//!
//! An event struct, an [`Event`] variant or a struct field that a release
//! introduced exists only when that release's feature is enabled. Code that
//! uses it without the feature does not compile, which makes the feature a
//! compile-time guarantee. A library that must work with Dovecot 2.3.8 and
//! later declares
//!
//! ```toml
//! [dependencies]
//! dovecot-events = { version = "0.1", default-features = false, features = ["v2_3_8"] }
//! ```
//!
//! and reading `imap_command_finished`'s `cmd_name` (new in 2.3.9) is then a
//! compile error ("no field `cmd_name`") rather than a field that is always
//! `None` in production. Nothing is lost at run time: a field the enabled
//! features leave out is still parsed, into the struct's `unknown_fields`,
//! and an event they leave out becomes [`Event::Unknown`] with all its
//! fields.
//!
//! **Unification.** Cargo builds `dovecot-events` once per build, with the
//! union of the features that every crate in the dependency graph asks for.
//! Features therefore only ever add items: enabling a newer release in one
//! crate cannot break another crate that was written against an older one.
//! That is also why the event structs and [`Event`] are `#[non_exhaustive]`:
//! another crate's feature may add fields and variants, so build structs
//! with `Default` and give `match` a `_` arm. The other side of unification
//! is that the guarantee holds where your crate is compiled on its own: in
//! a larger graph a dependency may enable a newer release, and code that
//! uses newer items then compiles there too. Check the guarantee in your
//! crate's own CI (`cargo check` on the crate alone; dev-dependencies do
//! not count, since Cargo enables their features only for tests and
//! examples). Applications choose the newest release they run, or keep the
//! default.
//!
//! **Removals.** Items that Dovecot removed or renamed are not gated away
//! by newer features. They stay, marked `#[deprecated]` with the release
//! that stopped sending them and, for a rename, the new name. Gating them
//! out (`cfg(not(feature = "v2_3_9"))`) would make a newer feature remove
//! items, so one crate enabling `v2_3_9` would break another that reads
//! the 2.3.8 name, which unification forbids. A program that receives
//! events from servers of different releases (during an upgrade, say) also
//! needs both names at once. Using a removed item is a warning, not an
//! error.
//!
//! **Metadata.** The run-time metadata ([`meta`], [`EVENTS`], [`VERSIONS`])
//! is never gated: it describes every release whatever the features, so a
//! program built with any of them can answer "which events and fields
//! exist in version X":
//!
//! ```
//! use dovecot_events::{Version, meta};
//!
//! let cmd = meta::event("imap_command_finished").expect("known event");
//! let (v2_3_8, v2_3_9) = (Version::new(&[2, 3, 8]), Version::new(&[2, 3, 9]));
//! assert!(cmd.exists_in(v2_3_8));
//!
//! // Dovecot 2.3.9 renamed `name` to `cmd_name`.
//! let cmd_name = cmd.field("cmd_name").expect("known field");
//! assert!(!cmd_name.exists_in(v2_3_8) && cmd_name.exists_in(v2_3_9));
//! let name = cmd.field("name").expect("known field");
//! assert!(name.exists_in(v2_3_8) && !name.exists_in(v2_3_9));
//! assert_eq!(name.renamed_to, Some("cmd_name"));
//!
//! // Events only Dovecot 2.4 sends are described even without `v2_4_0`.
//! let new_in_2_4 = meta::events_in(Version::new(&[2, 4, 0]))
//!     .filter(|event| !event.exists_in(Version::new(&[2, 3, 21])))
//!     .count();
//! assert!(new_in_2_4 > 0);
//! ```
//!
//! On docs.rs every feature is enabled, and each gated item is labelled
//! with the feature it needs.

#![cfg_attr(docsrs, feature(doc_cfg))]

// The generated module is formatted by the generator (prettyplease), not
// by rustfmt, and must stay warning-free.
mod assemble;
mod declare;
mod error;
mod event_api;
mod export;
mod from_event;
// Dovecot versions have up to four parts (2.3.11.2), which is not semver.
#[allow(clippy::deprecated_semver)]
#[deny(warnings)]
#[rustfmt::skip]
mod generated;
pub mod json;
pub mod meta;
mod raw;
mod swar;
pub mod tab_text;
mod timestamp;
mod value;

pub use assemble::Target;
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use dovecot_events_derive::{DovecotEvent, schema};
pub use dovecot_events_vocab::{Repr, pattern_matches};
pub use error::{Error, ErrorKind};
pub use event_api::EventFields;
pub use export::ExportedEvent;
pub use from_event::{FromEvent, FromEventError, IntoValue};
pub use generated::{
    CATEGORIES, CONTEXTS, ENUMS, EVENTS, Event, GLOBAL_FIELDS, SCHEMA_HASH, UnknownEvent, VERSIONS,
    enums, events,
};
pub use meta::{
    CategoryMeta, ChangeMeta, ContextMeta, Edition, EnumMeta, EnumValueMeta, EventMeta, FieldMeta,
    FieldType, Lifetime, Origin, Status, Unit, Version,
};
pub use raw::RawEvent;
pub use timestamp::{Rfc3339, Timestamp};
pub use value::{FieldError, Fields, Fit, FromValue, ToValue, Value};

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::event_api::{
        Carry, DynEvent, EventEnum, FieldValue, Slot, Slots, UnknownParts, clone_slots,
        debug_event, into_parts, own_slots, same_fields, slot, store, take_slots, visit_slots,
    };
    pub use crate::from_event::from_event;
    pub use crate::value::set;

    /// Whether two strings are equal, in a constant.
    #[must_use]
    pub const fn same_text(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
