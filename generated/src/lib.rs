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

#![cfg_attr(docsrs, feature(doc_cfg))]

// The generated module is formatted by the generator (prettyplease), not
// by rustfmt, and must stay warning-free.
mod error;
mod export;
mod from_event;
// Dovecot versions have up to four parts (2.3.11.2), which is not semver.
#[allow(clippy::deprecated_semver)]
#[deny(warnings)]
#[rustfmt::skip]
mod generated;
pub mod json;
pub mod meta;
pub mod tab_text;
mod timestamp;
mod value;

#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use dovecot_events_derive::{DovecotEvent, schema};
pub use error::{Error, ErrorKind};
pub use export::ExportedEvent;
pub use from_event::{FromEvent, FromEventError, IntoValue};
pub use generated::{
    CATEGORIES, ENUMS, EVENTS, Event, GLOBAL_FIELDS, UnknownEvent, VERSIONS, enums, events,
};
pub use meta::{
    CategoryMeta, ChangeMeta, Edition, EnumMeta, EnumValueMeta, EventMeta, FieldMeta, FieldType,
    Origin, Unit, Version,
};
pub use timestamp::Timestamp;
pub use value::{EventFields, FieldError, Fields, FromValue, ToValue, Value};

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::from_event::from_event;
    pub use crate::value::{own_list, own_str, set};
}
