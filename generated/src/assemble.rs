//! What an exported event means, defined once for every reader.
//!
//! The JSON scanner, the serde path and the tab-text reader only find the
//! pieces of an export (its tokens). Everything the pieces mean is decided
//! here: which envelope members exist and that each comes at most once,
//! that fields arriving before the event's name wait for it, how a value
//! that Dovecot cut short with `...` is kept, how a time is read, and what
//! an error says about where it happened. An [`Assembler`] builds either the
//! typed [`ExportedEvent`] or the schema-agnostic [`RawEvent`], so a check
//! of raw events (`dovecot-eventgen verify`) and a program that parses
//! typed events can never disagree about a line.

use std::borrow::Cow;

use crate::error::{Error, shown};
use crate::export::ExportedEvent;
use crate::raw::RawEvent;
use crate::value::{FieldError, Fields, Value};
use crate::{Event, Timestamp};

/// A member of the envelope Dovecot exports around an event's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Member {
    Event,
    Hostname,
    StartTime,
    EndTime,
    Categories,
    Fields,
}

impl Member {
    /// The member a JSON key or tab-text prefix names, if it is one this
    /// crate knows.
    #[inline]
    pub(crate) fn of(key: &[u8]) -> Option<Self> {
        match key.len() {
            5 if key == b"event" => Some(Member::Event),
            6 if key == b"fields" => Some(Member::Fields),
            8 if key == b"hostname" => Some(Member::Hostname),
            8 if key == b"end_time" => Some(Member::EndTime),
            10 if key == b"start_time" => Some(Member::StartTime),
            10 if key == b"categories" => Some(Member::Categories),
            _ => None,
        }
    }

    /// The member's name as Dovecot writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Member::Event => "event",
            Member::Hostname => "hostname",
            Member::StartTime => "start_time",
            Member::EndTime => "end_time",
            Member::Categories => "categories",
            Member::Fields => "fields",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// What a timestamp member must hold, for error messages.
pub(crate) const TIMESTAMP: &str = "a timestamp (RFC 3339 text or Unix seconds)";

mod sealed {
    pub trait Sealed {}
}

/// What an export can be read into: [`ExportedEvent`] (typed by the schema
/// this crate was generated from) or [`RawEvent`] (no schema at all).
/// Sealed: the readers rely on exactly these two.
pub trait Target<'a>: sealed::Sealed + Sized {
    /// An event with the given name, or none yet.
    #[doc(hidden)]
    fn with_name(name: Option<Cow<'a, str>>) -> Self;
    /// Replaces the name (and, for a typed event, the event it names).
    #[doc(hidden)]
    fn set_name(&mut self, name: Cow<'a, str>);
    /// The name, if the export had one.
    #[doc(hidden)]
    fn name(&self) -> Option<&str>;
    #[doc(hidden)]
    fn hostname_mut(&mut self) -> &mut Option<Cow<'a, str>>;
    #[doc(hidden)]
    fn time_mut(&mut self, end: bool) -> &mut Option<Timestamp>;
    #[doc(hidden)]
    fn categories_mut(&mut self) -> &mut Vec<Cow<'a, str>>;
    /// Stores a field; fails, leaving everything unchanged, when a known
    /// field's value does not fit its type.
    #[doc(hidden)]
    fn set_field(&mut self, name: Cow<'a, str>, value: Value<'a>) -> Result<(), FieldError>;
    /// Keeps a field as sent, untyped.
    #[doc(hidden)]
    fn keep_raw(&mut self, name: Cow<'a, str>, value: Value<'a>);
}

impl sealed::Sealed for ExportedEvent<'_> {}

impl<'a> Target<'a> for ExportedEvent<'a> {
    #[inline]
    fn with_name(name: Option<Cow<'a, str>>) -> Self {
        ExportedEvent::new(Event::new(name.unwrap_or(Cow::Borrowed(""))))
    }

    #[inline]
    fn set_name(&mut self, name: Cow<'a, str>) {
        self.event = Event::new(name);
    }

    #[inline]
    fn name(&self) -> Option<&str> {
        ExportedEvent::name(self)
    }

    #[inline]
    fn hostname_mut(&mut self) -> &mut Option<Cow<'a, str>> {
        &mut self.hostname
    }

    #[inline]
    fn time_mut(&mut self, end: bool) -> &mut Option<Timestamp> {
        if end {
            &mut self.end_time
        } else {
            &mut self.start_time
        }
    }

    #[inline]
    fn categories_mut(&mut self) -> &mut Vec<Cow<'a, str>> {
        &mut self.categories
    }

    #[inline]
    fn set_field(&mut self, name: Cow<'a, str>, value: Value<'a>) -> Result<(), FieldError> {
        self.event.set_field(name, value)
    }

    #[cold]
    fn keep_raw(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        self.event.unknown_fields_mut().push(name, value);
    }
}

impl sealed::Sealed for RawEvent<'_> {}

impl<'a> Target<'a> for RawEvent<'a> {
    #[inline]
    fn with_name(name: Option<Cow<'a, str>>) -> Self {
        RawEvent {
            name: name.filter(|n| !n.is_empty()),
            // Dovecot's events carry about a dozen to two dozen fields:
            // room for them up front saves growing the list field by field.
            fields: Fields::with_capacity(16),
            ..RawEvent::default()
        }
    }

    #[inline]
    fn set_name(&mut self, name: Cow<'a, str>) {
        self.name = Some(name).filter(|n| !n.is_empty());
    }

    #[inline]
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    #[inline]
    fn hostname_mut(&mut self) -> &mut Option<Cow<'a, str>> {
        &mut self.hostname
    }

    #[inline]
    fn time_mut(&mut self, end: bool) -> &mut Option<Timestamp> {
        if end {
            &mut self.end_time
        } else {
            &mut self.start_time
        }
    }

    #[inline]
    fn categories_mut(&mut self) -> &mut Vec<Cow<'a, str>> {
        &mut self.categories
    }

    #[inline]
    fn set_field(&mut self, name: Cow<'a, str>, value: Value<'a>) -> Result<(), FieldError> {
        self.fields.push(name, value);
        Ok(())
    }

    fn keep_raw(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        self.fields.push(name, value);
    }
}

/// Builds one exported event from the pieces a reader finds, in the order
/// it finds them.
///
/// Errors carry the event's name and the member or field they are in; the
/// reader adds the position.
pub(crate) struct Assembler<'a, T> {
    /// The event being built, in place: the typed event is over a kilobyte,
    /// and building it here spares moving it at every step.
    pub(crate) out: T,
    format: &'static str,
    /// Which envelope members have been seen (bits of [`Member`]).
    seen: u8,
    /// Fields that arrived before the event's name.
    pending: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a, T: Target<'a>> Assembler<'a, T> {
    /// An assembler for `format` (`JSON`, `tab-text`). Readers that find
    /// the name first (Dovecot always writes it first) pass it here, which
    /// spares building a nameless event and then replacing it.
    #[inline]
    pub(crate) fn new(format: &'static str, name: Option<Cow<'a, str>>) -> Self {
        let seen = if name.is_some() {
            Member::Event.bit()
        } else {
            0
        };
        Assembler {
            out: T::with_name(name),
            format,
            seen,
            pending: Vec::new(),
        }
    }

    /// Whether the event's name has arrived.
    #[inline]
    fn named(&self) -> bool {
        self.seen & Member::Event.bit() != 0
    }

    /// Adds the event's name to an error, unless it has one.
    #[cold]
    pub(crate) fn locate(&self, error: Error) -> Error {
        error.in_event(self.out.name())
    }

    /// Marks a member as seen: each may come only once. Readers call this
    /// as they meet a member's key, before its value.
    #[inline]
    pub(crate) fn enter(&mut self, member: Member) -> Result<(), Error> {
        if self.seen & member.bit() != 0 {
            return Err(self.duplicate(member));
        }
        self.seen |= member.bit();
        Ok(())
    }

    #[cold]
    fn duplicate(&self, member: Member) -> Error {
        let name = member.name();
        let message = if self.format == "JSON" {
            format!("duplicate member `{name}`")
        } else {
            format!("more than one `{name}:` item")
        };
        self.locate(Error::syntax(self.format, message).in_member(name))
    }

    /// The event's name (after [`Assembler::enter`], like every member);
    /// fields that waited for it are stored now.
    pub(crate) fn name(&mut self, name: Cow<'a, str>) -> Result<(), Error> {
        self.out.set_name(name);
        if !self.pending.is_empty() {
            self.apply_pending()?;
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn hostname(&mut self, hostname: Cow<'a, str>) {
        *self.out.hostname_mut() = Some(hostname);
    }

    /// A time already read (the JSON scanner's fast paths).
    #[inline]
    pub(crate) fn time(&mut self, member: Member, time: Timestamp) {
        *self.out.time_mut(member == Member::EndTime) = Some(time);
    }

    /// A time as text: RFC 3339, or Unix seconds with a fraction.
    #[inline]
    pub(crate) fn time_text(&mut self, member: Member, text: &str) -> Result<(), Error> {
        let time = Timestamp::parse(text).ok_or_else(|| self.bad_time(member, shown(text)))?;
        self.time(member, time);
        Ok(())
    }

    /// The error for a time member holding `found`.
    #[cold]
    pub(crate) fn bad_time(&self, member: Member, found: String) -> Error {
        self.locate(Error::mismatch(self.format, TIMESTAMP, found).in_member(member.name()))
    }

    /// One category (tab-text sends one item per category).
    #[inline]
    pub(crate) fn category(&mut self, category: Cow<'a, str>) {
        self.out.categories_mut().push(category);
    }

    /// The whole category list (JSON sends it as one array).
    pub(crate) fn categories(&mut self, categories: Vec<Cow<'a, str>>) {
        *self.out.categories_mut() = categories;
    }

    /// One field: stored by its type once the event's name is known, kept
    /// waiting until then.
    #[inline]
    pub(crate) fn field(&mut self, name: Cow<'a, str>, value: Value<'a>) -> Result<(), Error> {
        if !self.named() {
            self.pending.push((name, value));
            return Ok(());
        }
        self.store(name, value)
    }

    /// Stores a field. A value that does not fit a known field's type but
    /// ends in `...`, Dovecot's mark for a value cut at the exporter's
    /// `format_max_field_len`, is kept as sent instead of failing
    /// ([`Value::is_truncated`]).
    #[inline]
    fn store(&mut self, name: Cow<'a, str>, value: Value<'a>) -> Result<(), Error> {
        // Nearly every name and value borrow from the input. Those are
        // stored first and looked at only when they do not fit, since they
        // can be rebuilt for nothing; checking every value for the mark
        // up front costs more than it saves.
        if let (Cow::Borrowed(n), Value::Str(Cow::Borrowed(v))) = (&name, &value) {
            let (n, v): (&'a str, &'a str) = (*n, *v);
            return match self.out.set_field(name, value) {
                Ok(()) => Ok(()),
                Err(error) => self.misfit(Cow::Borrowed(n), Value::Str(Cow::Borrowed(v)), error),
            };
        }
        if value.is_truncated() {
            let kept = (name.clone(), value.clone());
            return match self.out.set_field(name, value) {
                Ok(()) => Ok(()),
                Err(error) => self.misfit(kept.0, kept.1, error),
            };
        }
        self.out
            .set_field(name, value)
            .map_err(|error| self.locate(Error::from_field(self.format, error)))
    }

    /// A value that did not fit its field: kept as sent when truncated, an
    /// error otherwise.
    #[cold]
    fn misfit(
        &mut self,
        name: Cow<'a, str>,
        value: Value<'a>,
        error: FieldError,
    ) -> Result<(), Error> {
        if value.is_truncated() {
            self.out.keep_raw(name, value);
            Ok(())
        } else {
            Err(self.locate(Error::from_field(self.format, error)))
        }
    }

    /// Stores the fields that arrived before the event's name.
    #[cold]
    fn apply_pending(&mut self) -> Result<(), Error> {
        for (name, value) in std::mem::take(&mut self.pending) {
            self.store(name, value)?;
        }
        Ok(())
    }

    /// The finished event. Without a name it is the nameless event it
    /// started as, and it takes any field.
    #[inline]
    pub(crate) fn finish(mut self) -> Result<T, Error> {
        if !self.pending.is_empty() {
            self.seen |= Member::Event.bit();
            self.apply_pending()?;
        }
        Ok(self.out)
    }
}
