//! Finding an exported event's entries in the model by name, fast, with
//! their types as of one release: a live receiver looks up the event and
//! every field of every event it is sent.
//!
//! A [`Lookup`] borrows the model, so the model cannot change under it and
//! an answer needs no second check (unlike [`Event::field_index`], which
//! must allow for a model changed since its index was built).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

pub use crate::model::NameHasher;
use crate::model::{Event, EventModel};
use dovecot_events_vocab::{FieldType, Repr, Version};

/// A map keyed by the schema's names, hashed with [`NameHasher`].
pub type NameMap<'m, V = usize> = HashMap<&'m str, V, BuildHasherDefault<NameHasher>>;

/// The model's events and their fields, by name, as of one release.
#[derive(Debug)]
pub struct Lookup<'m> {
    model: &'m EventModel,
    target: Version,
    events: NameMap<'m>,
    /// Every field name of the model, numbered. All events' fields are
    /// found through this one small table, so it stays in the processor's
    /// cache, where a table per event seldom is when many kinds of events
    /// interleave.
    names: NameMap<'m, u32>,
    /// Per event (by number), a row with, per name number, the field of
    /// that name ([`NONE`] when the event has none).
    places: Vec<u32>,
    entries: Vec<Entry<'m>>,
}

/// No field of that name.
const NONE: u32 = u32::MAX;

#[derive(Debug)]
struct Entry<'m> {
    event: &'m Event,
    /// Whether a name the map lacks may still match a field pattern.
    patterns: bool,
    /// Per field of `event.fields`: its type at the target, and the
    /// runtime's representation of it.
    types: Vec<(FieldType, Repr)>,
}

/// One event of the model as found by [`Lookup::event`].
#[derive(Clone, Copy, Debug)]
pub struct Found<'m> {
    /// Its position among the model's events, in name order (the order of
    /// [`EventModel::events`]): a key for per-event tables.
    pub number: usize,
    /// The event.
    pub event: &'m Event,
    entry: &'m Entry<'m>,
    names: &'m NameMap<'m, u32>,
    /// The event's row of [`Lookup::places`].
    places: &'m [u32],
}

impl<'m> Lookup<'m> {
    /// Indexes every event of `model` and its fields, typed as of release
    /// `target`.
    #[must_use]
    pub fn new(model: &'m EventModel, target: Version) -> Self {
        let mut events = NameMap::with_capacity_and_hasher(model.events.len(), Default::default());
        let mut names = NameMap::default();
        for field in model.events.values().flat_map(|event| &event.fields) {
            if !field.pattern {
                let next = u32::try_from(names.len()).unwrap_or(NONE);
                names.entry(field.name.as_str()).or_insert(next);
            }
        }
        let row = names.len();
        let mut places = vec![NONE; row.saturating_mul(model.events.len())];
        let entries = model
            .events
            .values()
            .enumerate()
            .map(|(number, event)| {
                events.insert(event.name.as_str(), number);
                for (i, field) in event.fields.iter().enumerate() {
                    let Some(&id) = names.get(field.name.as_str()) else {
                        continue;
                    };
                    // The first field of a name answers for it (as
                    // `Event::field_index` does); an index beyond `u32` is
                    // beyond any schema's events.
                    if let Some(place) = places.get_mut(number * row + id as usize)
                        && *place == NONE
                        && !field.pattern
                    {
                        *place = u32::try_from(i).unwrap_or(NONE);
                    }
                }
                Entry {
                    event,
                    patterns: event.fields.iter().any(|f| f.pattern),
                    types: event
                        .fields
                        .iter()
                        .map(|f| {
                            let ty = f.type_at(target);
                            (ty, ty.repr(f.unit))
                        })
                        .collect(),
                }
            })
            .collect();
        Lookup {
            model,
            target,
            events,
            names,
            places,
            entries,
        }
    }

    /// The model looked up in.
    #[must_use]
    pub fn model(&self) -> &'m EventModel {
        self.model
    }

    /// The release whose types [`Found::field_type`] answers.
    #[must_use]
    pub fn target(&self) -> Version {
        self.target
    }

    /// The event called `name`.
    #[must_use]
    pub fn event(&self, name: &str) -> Option<Found<'_>> {
        let number = *self.events.get(name)?;
        let entry = self.entries.get(number)?;
        let row = self.names.len();
        Some(Found {
            number,
            event: entry.event,
            entry,
            names: &self.names,
            places: self.places.get(number * row..(number + 1) * row)?,
        })
    }
}

impl Found<'_> {
    /// Where the field Dovecot sends as `name` is in the event's `fields`:
    /// the field of that name, else the first pattern matching it (the
    /// answer of [`Event::field_index`]).
    #[must_use]
    pub fn field_index(&self, name: &str) -> Option<usize> {
        let place = self
            .names
            .get(name)
            .and_then(|&id| self.places.get(id as usize))
            .filter(|&&place| place != NONE);
        if let Some(&place) = place {
            return Some(place as usize);
        }
        if !self.entry.patterns {
            return None;
        }
        self.event
            .fields
            .iter()
            .position(|f| f.pattern && f.matches(name))
    }

    /// The type at the lookup's target of field `index` of the event's
    /// `fields` ([`Field::type_at`](crate::model::Field::type_at)), with
    /// its representation in the runtime.
    #[must_use]
    pub fn field_type(&self, index: usize) -> Option<(FieldType, Repr)> {
        self.entry.types.get(index).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_the_model_does() {
        let model = crate::load_embedded().expect("embedded schema");
        let target = *model.versions.last().expect("releases");
        let lookup = Lookup::new(&model, target);
        for (number, (name, event)) in model.events.iter().enumerate() {
            let found = lookup.event(name).expect("every event is found");
            assert_eq!(found.number, number);
            assert!(std::ptr::eq(found.event, event));
            for (i, field) in event.fields.iter().enumerate() {
                assert_eq!(
                    found.field_index(&field.name),
                    event.field_index(&field.name),
                    "{name}.{}",
                    field.name
                );
                let ty = field.type_at(target);
                assert_eq!(found.field_type(i), Some((ty, ty.repr(field.unit))));
            }
            for unknown in ["", "no_such_field", "x_usecs"] {
                assert_eq!(found.field_index(unknown), event.field_index(unknown));
            }
        }
        assert!(lookup.event("no_such_event").is_none());
    }
}
