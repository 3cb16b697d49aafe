//! Resolve: raw schema → [`EventModel`], flattening inheritance and filling
//! in versions. Runs only on a schema that validated, but never panics.

use std::collections::{BTreeMap, BTreeSet};

use crate::ident;
use crate::model::*;
use crate::raw::*;
use dovecot_events_vocab::Version;

/// Builds the resolved model.
#[must_use]
pub fn resolve(raw: &RawSchema) -> EventModel {
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
    let index = Index::new(raw);
    let groups = raw
        .groups
        .iter()
        .map(|g| {
            let mut fields: Vec<Field> = g
                .fields
                .iter()
                .map(|f| field(f, Origin::Own, None, None))
                .collect();
            let start = g.context.is_some().then_some(g.name.value.as_str());
            inherit_into(&index, &g.inherits, &mut fields, start, (None, None));
            let group = Group {
                name: g.name.value.clone(),
                description: g.description.clone(),
                note: g.note.clone(),
                inherits: g.inherits.iter().map(|i| i.name.value.clone()).collect(),
                fields,
                context: g.context.as_ref().map(context_info),
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

/// The groups, contexts and events by name, and the global contexts.
struct Index<'r> {
    groups: BTreeMap<&'r str, &'r RawGroup>,
    events: BTreeMap<&'r str, &'r RawEvent>,
    /// Each context pushed as a global event, with the releases it is.
    globals: Vec<(&'r RawGroup, Option<Version>, Option<Version>)>,
}

impl<'r> Index<'r> {
    fn new(raw: &'r RawSchema) -> Self {
        Index {
            groups: raw
                .groups
                .iter()
                .map(|g| (g.name.value.as_str(), g))
                .collect(),
            events: raw
                .events
                .iter()
                .map(|e| (e.name.value.as_str(), e))
                .collect(),
            globals: raw
                .groups
                .iter()
                .filter_map(|g| {
                    let (since, removed) = g.context.as_ref()?.global.as_ref()?;
                    Some((g, value(since), value(removed)))
                })
                .collect(),
        }
    }
}

fn context_info(raw: &RawContext) -> ContextInfo {
    let categories: Vec<ContextCategory> = raw
        .categories
        .iter()
        .map(|c| ContextCategory {
            name: c.name.value.clone(),
            lifetime: Lifetime {
                since: value(&c.since),
                deprecated: None,
                removed: value(&c.removed),
            },
        })
        .collect();
    let recognised_by = match &raw.recognised_by {
        Some(names) => names.iter().map(|n| n.value.clone()).collect(),
        None => categories.iter().map(|c| c.name.clone()).collect(),
    };
    ContextInfo {
        categories,
        recognised_by,
        global: raw.global.as_ref().map(|(since, removed)| Lifetime {
            since: value(since),
            deprecated: None,
            removed: value(removed),
        }),
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
    let contexts = inherit_into(index, &e.inherits, &mut fields, None, (since, removed));
    for global in global_fields {
        let global = bound(global.clone(), since, removed);
        if alive(&global) && !fields.iter().any(|f| f.name == global.name) {
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
                removed: value(&i.removed),
            })
            .collect(),
        contexts,
        fields,
        changes: changes(&e.changes),
        index: crate::model::FieldIndex::default(),
    }
}

/// Appends the fields of every inherited group, context or event, depth
/// first, in `inherits` order; a name already present keeps its
/// definition. `since`/`removed` on an inherits entry narrow everything
/// reached through it. Each field records the contexts that bring it (the
/// nearest context on each path; `start` when the walk starts inside one),
/// unless some path brings it without a context. Global contexts join the
/// walk when one of their parents was reached; only their own fields and
/// groups join, not their other parents. Returns every context reached,
/// sorted.
fn inherit_into(
    index: &Index<'_>,
    inherits: &[RawInherit],
    fields: &mut Vec<Field>,
    start: Option<&str>,
    (since, removed): (Option<Version>, Option<Version>),
) -> Vec<String> {
    // (name, since, removed, nearest context, whether its parent contexts
    // are walked too)
    type Step<'a> = (
        &'a str,
        Option<Version>,
        Option<Version>,
        Option<&'a str>,
        bool,
    );
    let narrow = |i: &RawInherit, since: Option<Version>, removed: Option<Version>| {
        (
            value(&i.since).max(since),
            min_removed(value(&i.removed), removed),
        )
    };
    // The same group may be reached by several paths with different bounds
    // and contexts; each (name, bounds, context) is walked once.
    let mut seen = BTreeSet::new();
    // Every context reached, with the release windows it is reached in.
    let mut reached: BTreeMap<&str, BTreeSet<Window>> = BTreeMap::new();
    let mut direct: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<Step<'_>> = inherits
        .iter()
        .rev()
        .map(|i| {
            let (s, r) = narrow(i, since, removed);
            (i.name.value.as_str(), s, r, start, true)
        })
        .collect();
    let mut globals_added: BTreeSet<(&str, Window)> = BTreeSet::new();
    loop {
        while let Some((name, since, removed, via, parents)) = stack.pop() {
            if !seen.insert((name, since, removed, via, parents)) {
                continue;
            }
            let (own, next, origin, via): (&[RawField], &[RawInherit], Origin, Option<&str>) =
                if let Some(g) = index.groups.get(name) {
                    let via = if g.context.is_some() {
                        reached
                            .entry(g.name.value.as_str())
                            .or_default()
                            .insert((since, removed));
                        Some(g.name.value.as_str())
                    } else {
                        via
                    };
                    (&g.fields, &g.inherits, Origin::Group(name.to_owned()), via)
                } else if let Some(e) = index.events.get(name) {
                    (&e.fields, &e.inherits, Origin::Event(name.to_owned()), via)
                } else {
                    continue;
                };
            for f in own {
                let mut candidate = field(f, origin.clone(), since, removed);
                // A group field removed before this event (or this
                // inheritance path) began is never sent with it.
                if !alive(&candidate) {
                    continue;
                }
                match via {
                    Some(context) => candidate.contexts = vec![context.to_owned()],
                    None => {
                        direct.insert(candidate.name.clone());
                    }
                }
                match fields.iter_mut().find(|have| have.name == candidate.name) {
                    None => fields.push(candidate),
                    // Reached again by another path: the field is sent while
                    // any path gives it, from the earliest release to the
                    // latest removal, by any of the paths' contexts.
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
                        for context in candidate.contexts {
                            if !have.contexts.contains(&context) {
                                have.contexts.push(context);
                            }
                        }
                    }
                    Some(_) => {}
                }
            }
            let is_context = |i: &&RawInherit| {
                index
                    .groups
                    .get(i.name.value.as_str())
                    .is_some_and(|g| g.context.is_some())
            };
            stack.extend(
                next.iter()
                    .rev()
                    .filter(|i| parents || !is_context(i))
                    .map(|i| {
                        let (s, r) = narrow(i, since, removed);
                        (i.name.value.as_str(), s, r, via, parents)
                    }),
            );
        }
        // A global context is an ancestor of whatever its process emits
        // while it is pushed: of every event below one of its parents. Its
        // other parents are not the event's ancestors, so they are not
        // walked.
        let before = globals_added.len();
        for (g, g_since, g_removed) in &index.globals {
            let name = g.name.value.as_str();
            if reached.contains_key(name) {
                continue;
            }
            // The global joins while it is pushed and one of its parents
            // is an ancestor, each parent in the releases it is one.
            let global = ((*g_since).max(since), min_removed(*g_removed, removed));
            for parent in &g.inherits {
                let Some(windows) = reached.get(parent.name.value.as_str()) else {
                    continue;
                };
                let bounded = narrow(parent, global.0, global.1);
                for &(p_since, p_removed) in windows {
                    let window = (bounded.0.max(p_since), min_removed(bounded.1, p_removed));
                    if !is_open(window) || !globals_added.insert((name, window)) {
                        continue;
                    }
                    stack.push((name, window.0, window.1, None, false));
                }
            }
        }
        if globals_added.len() == before {
            break;
        }
    }
    for f in fields.iter_mut() {
        if direct.contains(&f.name) || f.origin == Origin::Own {
            f.contexts.clear();
        }
        f.contexts.sort();
    }
    reached.into_keys().map(str::to_owned).collect()
}

/// A release window: since (`None` meaning always) and removed (`None`
/// meaning never).
type Window = (Option<Version>, Option<Version>);

/// Whether a window holds at least one release.
fn is_open((since, removed): Window) -> bool {
    match (since, removed) {
        (Some(since), Some(removed)) => since < removed,
        _ => true,
    }
}

/// The earlier of two removals, `None` meaning never.
fn min_removed(a: Option<Version>, b: Option<Version>) -> Option<Version> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
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
            contexts: Vec::new(),
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
