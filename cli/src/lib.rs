//! `dovecot-eventgen`: command-line tools for Dovecot's events, for mail
//! operators and documentation maintainers.
//!
//! - `verify`: check exported events (JSON lines or tab-text) against a
//!   Dovecot release;
//! - `receive`: receive events live from Dovecot's exporter, check each one
//!   against a release and write them out as JSON lines, losing none;
//! - `lint`: check the `metric`, `event_exporter` and event-filter settings
//!   of a configuration against a release;
//! - `diff`: list the events and fields an upgrade adds, removes, renames
//!   or retypes;
//! - `docs`: render the events reference (Markdown, reStructuredText,
//!   JSON, HTML, the data of Dovecot's documentation site);
//! - `stats`, `resolve`, `validate`, `rust`: for schema and code
//!   generation work.
//!
//! The library is the command line's implementation: [`cli::Args`] and
//! [`cli::run`], and a module per command.

#![deny(missing_docs)]

pub mod cli;
pub mod coverage;
pub mod exit;
pub mod lint;
pub mod metrics;
pub mod migrate;
pub mod receive;
pub mod resolved;
pub mod stats;
pub mod target;
pub mod verify;
