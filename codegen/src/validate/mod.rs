//! Validate: cross-checks on the raw schema, one function per rule.
//!
//! Every rule records its findings and returns, so all of them run and the
//! user sees every problem at once. Every rule takes time in proportion to
//! the schema's size (names are looked up in ordered maps, inheritance
//! through [`graph::Graph`]), so a schema of many thousands of events
//! validates in seconds.

mod graph;
mod names;
mod versions;

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Diagnostics, Location, did_you_mean};
use crate::ident;
use crate::model::FieldType;
use crate::raw::*;

use versions::{
    fields_start_after_their_event, lifetimes_are_ordered, version_list, versions_are_known,
};

/// Runs every rule. `incomplete` (a file failed to parse) skips the rules
/// about references, which would only echo that failure.
pub fn check(raw: &RawSchema, incomplete: bool, cx: &mut Diagnostics) {
    names::names_follow_the_grammar(raw, cx);
    names::text_is_plain(raw, cx);
    let mut suggest = Suggestions::default();
    let versions = version_list(raw, incomplete, cx);
    versions_are_known(raw, &versions, cx);
    no_duplicate_names(raw, cx);
    lifetimes_are_ordered(raw, cx);
    field_kinds_are_consistent(raw, &mut suggest, cx);
    enums_have_values(raw, cx);
    rust_names_do_not_collide(raw, cx);
    if !incomplete {
        let graph = graph::Graph::new(raw);
        graph.report_cycles(cx);
        // The rules that flatten inheritance would only repeat the work
        // the bounds refuse.
        let bounded = graph.report_bounds(raw, cx);
        references_resolve(raw, bounded.then_some(&graph), &mut suggest, cx);
        fields_start_after_their_event(raw, cx);
        if bounded {
            inherited_rust_names_do_not_collide(raw, &graph, cx);
        }
    }
}

/// A name defined twice would make one definition silently win.
fn no_duplicate_names(raw: &RawSchema, cx: &mut Diagnostics) {
    fn unique<'a>(
        what: &str,
        within: &str,
        names: impl Iterator<Item = &'a Spanned<String>>,
        cx: &mut Diagnostics,
    ) {
        let mut seen: BTreeMap<&str, &Location> = BTreeMap::new();
        for name in names {
            if let Some(first) = seen.get(name.value.as_str()) {
                cx.error_with_hint(
                    &name.location,
                    format!("duplicate {what} `{}`{within}", name.value),
                    format!("it is already defined at {first}; remove or rename one of them"),
                );
            } else {
                seen.insert(&name.value, &name.location);
            }
        }
    }
    unique("category", "", raw.categories.iter().map(|c| &c.name), cx);
    unique("reason", "", raw.reasons.iter().map(|r| &r.name), cx);
    unique("enum", "", raw.enums.iter().map(|e| &e.name), cx);
    unique(
        "global field",
        "",
        raw.global_fields.iter().map(|f| &f.name),
        cx,
    );
    unique("group", "", raw.groups.iter().map(|g| &g.name), cx);
    unique("event", "", raw.events.iter().map(|e| &e.name), cx);
    for e in &raw.enums {
        unique(
            "value",
            &format!(" in enum `{}`", e.name.value),
            e.values.iter().map(|v| &v.name),
            cx,
        );
    }
    for g in &raw.groups {
        unique(
            "field",
            &format!(" in group `{}`", g.name.value),
            g.fields.iter().map(|f| &f.name),
            cx,
        );
    }
    for e in &raw.events {
        unique(
            "field",
            &format!(" in event `{}`", e.name.value),
            e.fields.iter().map(|f| &f.name),
            cx,
        );
    }
    // An `inherits` entry names a group or an event; one name for both
    // would make it ambiguous.
    let groups: BTreeSet<&str> = raw.groups.iter().map(|g| g.name.value.as_str()).collect();
    for e in &raw.events {
        if groups.contains(e.name.value.as_str()) {
            cx.error_with_hint(
                &e.name.location,
                format!("event `{}` has the same name as a group", e.name.value),
                "rename the group, since `inherits` could not tell them apart",
            );
        }
    }
}

/// `enum:` goes with `type: enum` and `unit:` with `type: integer`; anything
/// else is a typo that would silently lose the refinement.
fn field_kinds_are_consistent(raw: &RawSchema, suggest: &mut Suggestions, cx: &mut Diagnostics) {
    let enums: BTreeSet<&str> = raw.enums.iter().map(|e| e.name.value.as_str()).collect();
    for f in all_fields(raw) {
        match (&f.ty.value, &f.enum_name) {
            (FieldType::Enum, None) => cx.error_with_hint(
                &f.ty.location,
                format!("field `{}` has `type: enum` but no `enum:`", f.name.value),
                "add `enum: NAME` naming an entry of `enums`",
            ),
            (FieldType::Enum, Some(name)) if !enums.contains(name.value.as_str()) => {
                let hint = match suggest.close(&name.value, enums.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("define `{}` under `enums`", name.value),
                };
                cx.error_with_hint(
                    &name.location,
                    format!("unknown enum `{}`", name.value),
                    hint,
                );
            }
            (FieldType::Enum, Some(_)) => {}
            (ty, Some(name)) => cx.error_with_hint(
                &name.location,
                format!(
                    "field `{}` has `enum:` but its type is {}",
                    f.name.value,
                    ty.as_str()
                ),
                "set `type: enum`, or remove `enum:`",
            ),
            (_, None) => {}
        }
        if let Some(unit) = &f.unit
            && f.ty.value != FieldType::Integer
        {
            cx.error_with_hint(
                &unit.location,
                format!(
                    "field `{}` has a unit but its type is {}",
                    f.name.value,
                    f.ty.value.as_str()
                ),
                "units refine integers only: set `type: integer` or remove `unit:`",
            );
        }
    }
}

/// An enum without values could never match anything.
fn enums_have_values(raw: &RawSchema, cx: &mut Diagnostics) {
    for e in &raw.enums {
        if e.values.is_empty() {
            cx.error_with_hint(
                &e.name.location,
                format!("enum `{}` has no values", e.name.value),
                "list its values under `values:`, or use `type: string` for open-ended text",
            );
        }
    }
}

/// The variant that keeps enum values the schema does not list.
const RESERVED_VARIANT: &str = "Other";

/// The struct member that keeps fields the schema does not know.
const RESERVED_FIELD: &str = "unknown_fields";

/// Two schema names that become one Rust name would make the generated code
/// fail to compile, far from the cause.
fn rust_names_do_not_collide(raw: &RawSchema, cx: &mut Diagnostics) {
    let types = raw
        .events
        .iter()
        .filter(|e| e.emitted)
        .map(|e| (&e.name, ident::type_name(&e.name.value).name))
        .chain(
            raw.enums
                .iter()
                .map(|e| (&e.name, ident::type_name(&e.name.value).name)),
        );
    collisions("type", "", types, cx);
    for e in &raw.enums {
        for v in &e.values {
            if ident::variant_name(&v.name.value).name == RESERVED_VARIANT {
                cx.error_with_hint(
                    &v.name.location,
                    format!(
                        "enum value `{}` becomes the Rust variant `{RESERVED_VARIANT}`, which holds unknown values",
                        v.name.value
                    ),
                    "this cannot be generated yet; report it to the dovecot-events maintainers",
                );
            }
        }
        collisions(
            "variant",
            &format!(" of enum `{}`", e.name.value),
            e.values
                .iter()
                .map(|v| (&v.name, ident::variant_name(&v.name.value).name)),
            cx,
        );
    }
}

fn collisions<'a>(
    what: &str,
    within: &str,
    items: impl Iterator<Item = (&'a Spanned<String>, String)>,
    cx: &mut Diagnostics,
) {
    let mut seen: BTreeMap<String, &Spanned<String>> = BTreeMap::new();
    for (name, rust) in items {
        match seen.get(&rust) {
            Some(first) if first.value != name.value => cx.error_with_hint(
                &name.location,
                format!(
                    "`{}` and `{}` both become the Rust {what} `{rust}`{within}",
                    first.value, name.value
                ),
                format!("rename one of them (the other is at {})", first.location),
            ),
            Some(_) => {}
            None => {
                seen.insert(rust, name);
            }
        }
    }
}

/// Categories, parents, reasons' categories, inherits and renames must name
/// something that exists.
fn references_resolve(
    raw: &RawSchema,
    graph: Option<&graph::Graph<'_>>,
    suggest: &mut Suggestions,
    cx: &mut Diagnostics,
) {
    let categories: BTreeSet<&str> = raw
        .categories
        .iter()
        .map(|c| c.name.value.as_str())
        .collect();
    let events: BTreeSet<&str> = raw.events.iter().map(|e| e.name.value.as_str()).collect();
    let groups: BTreeSet<&str> = raw.groups.iter().map(|g| g.name.value.as_str()).collect();
    let category = |name: &Spanned<String>, suggest: &mut Suggestions, cx: &mut Diagnostics| {
        if name.value.is_empty() || categories.contains(name.value.as_str()) {
            return;
        }
        let hint = match suggest.close(&name.value, categories.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("define `{}` under `categories`", name.value),
        };
        cx.error_with_hint(
            &name.location,
            format!("unknown category `{}`", name.value),
            hint,
        );
    };
    for c in &raw.categories {
        if let Some(parent) = &c.parent {
            category(parent, suggest, cx);
        }
    }
    for r in &raw.reasons {
        if let Some(c) = &r.category {
            category(c, suggest, cx);
        }
    }
    for e in &raw.events {
        if let Some(c) = &e.category {
            category(c, suggest, cx);
        }
        for c in &e.categories {
            category(c, suggest, cx);
        }
        if let Some(to) = &e.renamed_to
            && !events.contains(to.value.as_str())
        {
            cx.error_with_hint(
                &to.location,
                format!(
                    "event `{}` is renamed to `{}`, which is not defined",
                    e.name.value, to.value
                ),
                "define the new event too, so users can find it",
            );
        }
    }
    let inherit_targets: Vec<&str> = events.iter().chain(groups.iter()).copied().collect();
    for inherit in raw
        .events
        .iter()
        .flat_map(|e| &e.inherits)
        .chain(raw.groups.iter().flat_map(|g| &g.inherits))
    {
        let name = &inherit.name;
        if !events.contains(name.value.as_str()) && !groups.contains(name.value.as_str()) {
            let hint = match suggest.close(&name.value, inherit_targets.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "inherit from a group under `groups` or an event under `events`".into(),
            };
            cx.error_with_hint(
                &name.location,
                format!(
                    "`inherits` names `{}`, which is neither a group nor an event",
                    name.value
                ),
                hint,
            );
        }
    }
    // A renamed field's new name must be a field of the same event, so tools
    // can map old names to new ones.
    let Some(graph) = graph else {
        return;
    };
    for e in &raw.events {
        let own: BTreeSet<&str> = e.fields.iter().map(|f| f.name.value.as_str()).collect();
        if !e.fields.iter().any(|f| f.renamed_to.is_some()) {
            continue;
        }
        let inherited: BTreeSet<&str> = graph
            .inherited_fields(raw, &e.inherits)
            .into_iter()
            .map(|f| f.name.value.as_str())
            .collect();
        for f in &e.fields {
            if let Some(to) = &f.renamed_to
                && !own.contains(to.value.as_str())
                && !inherited.contains(to.value.as_str())
            {
                cx.error_with_hint(
                    &to.location,
                    format!(
                        "field `{}` is renamed to `{}`, which event `{}` does not have",
                        f.name.value, to.value, e.name.value
                    ),
                    format!(
                        "add `{}` to the event's fields with `since:` the rename release",
                        to.value
                    ),
                );
            }
        }
    }
}

/// After inheritance is flattened, two fields of one event must not share a
/// Rust name (such as `user_mask` and the emitted ` user_mask`).
fn inherited_rust_names_do_not_collide(
    raw: &RawSchema,
    graph: &graph::Graph<'_>,
    cx: &mut Diagnostics,
) {
    for e in raw.events.iter().filter(|e| e.emitted) {
        let own = e.fields.iter().filter(|f| f.emitted && !f.pattern);
        for f in own.clone() {
            if ident::field_name(&f.name.value).name == RESERVED_FIELD {
                cx.error_with_hint(
                    &f.name.location,
                    format!(
                        "field `{}` becomes the Rust member `{RESERVED_FIELD}`, which holds fields the schema does not know",
                        f.name.value
                    ),
                    "this cannot be generated yet; report it to the dovecot-events maintainers",
                );
            }
        }
        let inherited = graph.inherited_fields(raw, &e.inherits);
        let own_names: BTreeSet<&str> = e.fields.iter().map(|f| f.name.value.as_str()).collect();
        let items = own
            .chain(
                inherited.into_iter().filter(|f| {
                    f.emitted && !f.pattern && !own_names.contains(f.name.value.as_str())
                }),
            )
            .map(|f| (&f.name, ident::field_name(&f.name.value).name));
        collisions("field", &format!(" of event `{}`", e.name.value), items, cx);
    }
}

/// "Did you mean" hints for the first [`Suggestions::LIMIT`] unknown names:
/// each compares a name with every candidate, which for a schema full of
/// unknown names would take time in the square of its size.
#[derive(Default)]
struct Suggestions {
    given: usize,
}

impl Suggestions {
    const LIMIT: usize = 100;

    fn close<'a>(
        &mut self,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<&'a str> {
        self.given += 1;
        if self.given > Self::LIMIT {
            return None;
        }
        did_you_mean(name, candidates)
    }
}

fn all_fields(raw: &RawSchema) -> impl Iterator<Item = &RawField> {
    raw.global_fields
        .iter()
        .chain(raw.groups.iter().flat_map(|g| &g.fields))
        .chain(raw.events.iter().flat_map(|e| &e.fields))
}
