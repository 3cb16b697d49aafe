//! The words the dovecot-events code generator and its runtime crate share:
//! Dovecot release numbers ([`Version`]), when an item exists
//! ([`Lifetime`], [`Status`]), what a field carries ([`FieldType`],
//! [`Unit`], [`Repr`]), which edition sends it ([`Edition`]), and the `*`
//! name patterns of the schema ([`pattern_matches`]).
//!
//! Each of these is defined here once; `dovecot-events` re-exports them, so
//! users never need this crate directly.
//!
//! ```
//! use dovecot_events_vocab::{Lifetime, Status, Version};
//!
//! let v = |text: &str| text.parse::<Version>().unwrap();
//! let life = Lifetime { since: Some(v("2.3.9")), deprecated: None, removed: Some(v("2.4.0")) };
//! assert!(life.exists_in(v("2.3.19")));
//! assert_eq!(life.status_at(v("2.3.8")), Status::NotYet { since: v("2.3.9") });
//! assert_eq!(life.status_at(v("2.4.1")), Status::Removed { since: v("2.4.0") });
//! ```

#![deny(missing_docs)]

mod lifetime;
mod pattern;
mod types;
mod version;

pub use lifetime::{Lifetime, Status, type_at};
pub use pattern::pattern_matches;
pub use types::{Edition, FieldType, Repr, Unit};
pub use version::{Version, VersionError};
