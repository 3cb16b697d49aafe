//! One exported event: the typed event inside the exporter's envelope.

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};

use crate::{Event, Timestamp};

/// One event as Dovecot's event exporter sends it: the typed event with its
/// fields, inside an envelope of host name, times and categories.
///
/// Every part of the envelope is optional, because the exporter's
/// `exporter_include` setting can leave out any of them. When it leaves out
/// the name, [`ExportedEvent::event`] is [`Event::Unknown`] with an empty
/// name holding all the fields, and [`ExportedEvent::name`] is `None`.
///
/// Strings borrow from the input where they can (a JSON string without
/// escapes, a tab-text value without `\x01` escapes);
/// [`ExportedEvent::into_owned`] copies them for storage.
///
/// `Serialize` writes Dovecot's JSON shape (`event`, `hostname`,
/// `start_time`, `end_time`, `categories`, `fields`, in that order), leaving
/// out absent parts, an empty category list and an empty field set; times
/// are written as RFC 3339. [`crate::json::from_str`] reads the result back
/// to an equal value.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedEvent<'a> {
    /// The typed event and its fields.
    pub event: Event<'a>,
    /// The `hostname` of the sending machine.
    pub hostname: Option<Cow<'a, str>>,
    /// When the event was created (`start_time`).
    pub start_time: Option<Timestamp>,
    /// When the event was sent (`end_time`).
    pub end_time: Option<Timestamp>,
    /// The event's categories, including their parent categories, as sent.
    pub categories: Vec<Cow<'a, str>>,
}

impl<'a> ExportedEvent<'a> {
    /// An exported event with only the given event: no host name, times or
    /// categories.
    #[must_use]
    pub fn new(event: Event<'a>) -> Self {
        ExportedEvent {
            event,
            hostname: None,
            start_time: None,
            end_time: None,
            categories: Vec::new(),
        }
    }

    /// The event's name, or `None` when the exporter did not include it
    /// (an empty name counts as none).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        match &self.event {
            Event::Unknown(event) if event.name.is_empty() => None,
            event => Some(event.name()),
        }
    }

    /// Copies borrowed text so the event outlives its input.
    #[must_use]
    pub fn into_owned(self) -> ExportedEvent<'static> {
        ExportedEvent {
            event: self.event.into_owned(),
            hostname: self.hostname.map(|s| Cow::Owned(s.into_owned())),
            start_time: self.start_time,
            end_time: self.end_time,
            categories: self
                .categories
                .into_iter()
                .map(|s| Cow::Owned(s.into_owned()))
                .collect(),
        }
    }
}

impl serde::Serialize for ExportedEvent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(name) = self.name() {
            map.serialize_entry("event", name)?;
        }
        if let Some(hostname) = &self.hostname {
            map.serialize_entry("hostname", hostname)?;
        }
        if let Some(time) = &self.start_time {
            map.serialize_entry("start_time", &Rfc3339(time))?;
        }
        if let Some(time) = &self.end_time {
            map.serialize_entry("end_time", &Rfc3339(time))?;
        }
        if !self.categories.is_empty() {
            map.serialize_entry("categories", &self.categories)?;
        }
        let mut any = false;
        self.event.for_each_field(&mut |_, _| any = true);
        if any {
            map.serialize_entry("fields", &FieldsOf(&self.event))?;
        }
        map.end()
    }
}

struct Rfc3339<'t>(&'t Timestamp);

impl serde::Serialize for Rfc3339<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

struct FieldsOf<'e, 'a>(&'e Event<'a>);

impl serde::Serialize for FieldsOf<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut result = Ok(());
        self.0.for_each_field(&mut |name, value| {
            if result.is_ok() {
                result = map.serialize_entry(name, &value);
            }
        });
        result?;
        map.end()
    }
}
