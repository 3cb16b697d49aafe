//! Resolve: raw schema → [`EventModel`], flattening inheritance and filling
//! in versions. Runs only on a schema that validated, but never panics.

use std::collections::{BTreeMap, BTreeSet};

use crate::ident;
use crate::model::*;
use crate::raw::*;
use dovecot_events_vocab::Version;

/// Groups and events by name, the groups first (a group wins over an event
/// of the same name, which validation reports anyway).
type Index<'a> = BTreeMap<&'a str, (&'a [RawField], &'a [RawInherit], Origin)>;

fn index(raw: &RawSchema) -> Index<'_> {
    let mut index = Index::new();
    for g in &raw.groups {
        let name = g.name.value.as_str();
        index
            .entry(name)
            .or_insert((&g.fields, &g.inherits, Origin::Group(name.to_owned())));
    }
    for e in &raw.events {
        let name = e.name.value.as_str();
        index
            .entry(name)
            .or_insert((&e.fields, &e.inherits, Origin::Event(name.to_owned())));
    }
    index
}

/// Builds the resolved model. Validation has bounded what inheritance may
/// reach, and every name is looked up in an index, so this takes time in
/// proportion to the resolved model's size.
#[must_use]
pub fn resolve(raw: &RawSchema) -> EventModel {
    let index = index(raw);
    let versions = raw
        .versions
        .first()
        .map(|list| list.value.iter().map(|v| v.value).collect())
        .unwrap_or_default();
    let categories: BTreeMap<String, Category> = raw
        .categories
        .iter()
        .map(|c| {
            let category = Category {
                name: c.name.value.clone(),
                description: c.description.clone(),
                parent: c.parent.as_ref().map(|p| p.value.clone()),
                lifetime: Lifetime {
                    since: value(&c.since),
                    deprecated: None,
                    removed: value(&c.removed),
                },
                edition: c.edition,
                note: c.note.clone(),
            };
            (category.name.clone(), category)
        })
        .collect();
    let reasons = raw
        .reasons
        .iter()
        .map(|r| {
            let reason = Reason {
                name: r.name.value.clone(),
                category: r.category.as_ref().map(|c| c.value.clone()),
                description: r.description.clone(),
                lifetime: Lifetime {
                    since: value(&r.since),
                    deprecated: None,
                    removed: value(&r.removed),
                },
                edition: r.edition,
                note: r.note.clone(),
            };
            (reason.name.clone(), reason)
        })
        .collect();
    let enums = raw
        .enums
        .iter()
        .map(|e| {
            let def = EnumDef {
                name: e.name.value.clone(),
                rust_name: ident::type_name(&e.name.value).name,
                description: e.description.clone(),
                values: e
                    .values
                    .iter()
                    .map(|v| EnumValue {
                        name: v.name.value.clone(),
                        rust_name: ident::variant_name(&v.name.value).name,
                        description: v.description.clone(),
                        lifetime: Lifetime {
                            since: value(&v.since),
                            deprecated: None,
                            removed: value(&v.removed),
                        },
                    })
                    .collect(),
            };
            (def.name.clone(), def)
        })
        .collect();
    let global_fields: Vec<Field> = raw
        .global_fields
        .iter()
        .map(|f| field(f, Origin::Global, None, None))
        .collect();
    let groups = raw
        .groups
        .iter()
        .map(|g| {
            let mut fields: Vec<Field> = g
                .fields
                .iter()
                .map(|f| field(f, Origin::Own, None, None))
                .collect();
            inherit_into(&index, &g.inherits, &mut fields, None, None);
            let group = Group {
                name: g.name.value.clone(),
                description: g.description.clone(),
                note: g.note.clone(),
                inherits: g.inherits.iter().map(|i| i.name.value.clone()).collect(),
                fields,
            };
            (group.name.clone(), group)
        })
        .collect();
    let events = raw
        .events
        .iter()
        .map(|e| {
            let event = event(&index, e, &categories, &global_fields);
            (event.name.clone(), event)
        })
        .collect();
    EventModel {
        versions,
        categories,
        reasons,
        enums,
        global_fields,
        groups,
        events,
        source_hash: source_hash(raw.sources.iter().map(|(p, t)| (p.as_str(), t.as_str()))),
    }
}

fn event(
    index: &Index<'_>,
    e: &RawEvent,
    categories: &BTreeMap<String, Category>,
    global_fields: &[Field],
) -> Event {
    let category = e.category.as_ref().map(|c| c.value.clone());
    let since = value(&e.since).or_else(|| {
        category
            .as_ref()
            .and_then(|c| categories.get(c))
            .and_then(|c| c.lifetime.since)
    });
    let removed = value(&e.removed);
    let mut fields: Vec<Field> = e
        .fields
        .iter()
        .map(|f| field(f, Origin::Own, since, removed))
        .collect();
    inherit_into(index, &e.inherits, &mut fields, since, removed);
    let names: BTreeSet<String> = fields.iter().map(|f| f.name.clone()).collect();
    for global in global_fields {
        let global = bound(global.clone(), since, removed);
        if alive(&global) && !names.contains(&global.name) {
            fields.push(global);
        }
    }
    Event {
        name: e.name.value.clone(),
        rust_name: ident::type_name(&e.name.value).name,
        category,
        categories: e.categories.iter().map(|c| c.value.clone()).collect(),
        description: e.description.clone(),
        lifetime: Lifetime {
            since,
            deprecated: value(&e.deprecated),
            removed,
        },
        renamed_to: e.renamed_to.as_ref().map(|r| r.value.clone()),
        emitted: e.emitted,
        edition: e.edition,
        note: e.note.clone(),
        inherits: e
            .inherits
            .iter()
            .map(|i| Inherit {
                name: i.name.value.clone(),
                when: i.when.clone(),
                since: value(&i.since),
            })
            .collect(),
        fields,
        changes: changes(&e.changes),
    }
}

/// Appends the fields of every inherited group or event, depth first, in
/// `inherits` order; a name already present keeps its definition. A `since`
/// on an inherits entry narrows everything reached through it.
fn inherit_into(
    index: &Index<'_>,
    inherits: &[RawInherit],
    fields: &mut Vec<Field>,
    since: Option<Version>,
    removed: Option<Version>,
) {
    // The same group may be reached by several paths with different
    // `since` bounds; each (name, bound) pair is walked once.
    let mut seen = BTreeSet::new();
    // Where each field name is in `fields`.
    let mut at: BTreeMap<String, usize> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    let mut stack: Vec<(&str, Option<Version>)> = inherits
        .iter()
        .rev()
        .map(|i| (i.name.value.as_str(), value(&i.since).max(since)))
        .collect();
    while let Some((name, since)) = stack.pop() {
        if !seen.insert((name, since)) {
            continue;
        }
        let Some((own, next, origin)) = index.get(name) else {
            continue;
        };
        for f in own.iter() {
            let candidate = field(f, origin.clone(), since, removed);
            // A group field removed before this event (or this inheritance
            // path) began is never sent with it.
            if !alive(&candidate) {
                continue;
            }
            match at.get(&candidate.name).and_then(|&i| fields.get_mut(i)) {
                None => {
                    at.insert(candidate.name.clone(), fields.len());
                    fields.push(candidate);
                }
                // Reached again by another path: the field is sent while
                // any path gives it, from the earliest release to the
                // latest removal.
                Some(have) if have.origin != Origin::Own => {
                    have.lifetime.since = have.lifetime.since.min(candidate.lifetime.since);
                    have.lifetime.removed =
                        match (have.lifetime.removed, candidate.lifetime.removed) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            _ => None,
                        };
                    if have.lifetime.removed.is_none() {
                        have.renamed_to = None;
                    }
                }
                Some(_) => {}
            }
        }
        stack.extend(
            next.iter()
                .rev()
                .map(|i| (i.name.value.as_str(), value(&i.since).max(since))),
        );
    }
}

fn field(f: &RawField, origin: Origin, since: Option<Version>, removed: Option<Version>) -> Field {
    bound(
        Field {
            name: f.name.value.clone(),
            rust_name: ident::field_name(&f.name.value).name,
            ty: f.ty.value,
            unit: f.unit.as_ref().map(|u| u.value),
            enum_name: f.enum_name.as_ref().map(|e| e.value.clone()),
            description: f.description.clone(),
            lifetime: Lifetime {
                since: value(&f.since),
                deprecated: value(&f.deprecated),
                removed: value(&f.removed),
            },
            renamed_to: f.renamed_to.as_ref().map(|r| r.value.clone()),
            emitted: f.emitted,
            pattern: f.pattern,
            note: f.note.clone(),
            changes: changes(&f.changes),
            origin,
        },
        since,
        removed,
    )
}

/// Narrows a field's lifetime to its event's: a field inherited from a group
/// cannot be sent before the event exists or after it is gone.
fn bound(mut field: Field, since: Option<Version>, removed: Option<Version>) -> Field {
    field.lifetime.since = field.lifetime.since.max(since);
    field.lifetime.removed = match (field.lifetime.removed, removed) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    field
}

/// Whether a bounded lifetime still covers at least one release.
fn alive(field: &Field) -> bool {
    match (field.lifetime.since, field.lifetime.removed) {
        (Some(since), Some(removed)) => since < removed,
        _ => true,
    }
}

fn changes(raw: &[RawChange]) -> Vec<Change> {
    raw.iter()
        .map(|c| Change {
            version: c.version.value,
            ty: c.ty,
            note: c.note.clone(),
        })
        .collect()
}

fn value<T: Copy>(spanned: &Option<Spanned<T>>) -> Option<T> {
    spanned.as_ref().map(|s| s.value)
}

/// FNV-1a over every file's path and text: stable across platforms and runs,
/// and enough to tell whether a generated file matches its schema.
pub(crate) fn source_hash<'s>(sources: impl IntoIterator<Item = (&'s str, &'s str)>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, text) in sources {
        for byte in path.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
