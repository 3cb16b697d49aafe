//! Holds the schema's contexts against the context tables in
//! `tools/source-scan/` (`context-fields.tsv`, `context-categories.tsv` and
//! their Pigeonhole twins), which `contexts.py` derives from Dovecot's and
//! Pigeonhole's C source at every release tag.
//!
//! The tables name contexts by C struct; `tools/source-scan/schema-contexts.tsv`
//! says which schema contexts stand for each. Every field and category the
//! source gives a context must be in the schema's context with a compatible
//! type and the same releases, and everything a schema context has must be
//! given by the source. Every parent the source creates a context or a named
//! event below (`contexts.tsv`, `event-parents.tsv`) must be above it in the
//! schema, looking through the contexts the schema leaves out (settings
//! events and the like) to their own parents. A difference fails the test unless a note explains
//! it: the field's note naming the release the source points at, or the
//! context's note naming the field (or category) and that release.

mod scan_tables;

use std::collections::{BTreeMap, BTreeSet};

use dovecot_events_codegen::model::{EventModel, Field, FieldType, Group, Origin};
use dovecot_events_codegen::{Version, load_dir};
use scan_tables::{Problems, Tags, dovecot_version, removed_after, repo, show, table};

/// Category names the tables keep as the C expression they could not
/// resolve, and the name that expression stands for.
const CATEGORY_CONSTANTS: &[(&str, &str)] = &[("FTS_FLATCURVE_LABEL", "fts-flatcurve")];

/// Where a table context's facts are in the schema.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Context(String),
    /// A context whose only named event is its own event.
    Event(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Context(name) => write!(f, "context {name}"),
            Target::Event(name) => write!(f, "event {name}"),
        }
    }
}

/// `schema-contexts.tsv`: per table context, its schema targets, or `None`
/// when the schema leaves it out (with a reason).
fn mapping() -> BTreeMap<String, Option<Vec<Target>>> {
    let mut map = BTreeMap::new();
    for row in table("schema-contexts.tsv") {
        let targets = match row["schema"].as_str() {
            "-" => {
                assert!(
                    row.get("why").is_some_and(|why| !why.is_empty()),
                    "schema-contexts.tsv: {} is left out without a reason",
                    row["table_context"]
                );
                None
            }
            list => Some(
                list.split(',')
                    .map(|name| match name.strip_prefix("event:") {
                        Some(event) => Target::Event(event.to_owned()),
                        None => Target::Context(name.to_owned()),
                    })
                    .collect(),
            ),
        };
        let previous = map.insert(row["table_context"].clone(), targets);
        assert!(
            previous.is_none(),
            "schema-contexts.tsv: {} is listed twice",
            row["table_context"]
        );
    }
    map
}

/// One row of a context table: a field or a category the source gives a
/// context over a span of releases.
struct Fact {
    context: String,
    name: String,
    /// The field's kind (`str`, `int`, ...) or how the category was found.
    kind: String,
    since: Version,
    removed: Option<Version>,
    file: String,
}

fn facts(model: &EventModel, tags: &Tags, what: &str) -> Vec<Fact> {
    let mut facts = Vec::new();
    for (file, pigeonhole) in [
        (format!("context-{what}.tsv"), false),
        (format!("pigeonhole-context-{what}.tsv"), true),
    ] {
        for row in table(&file) {
            let name = match what {
                "categories" => row["category"].clone(),
                _ => row["field"].clone(),
            };
            let name = CATEGORY_CONSTANTS
                .iter()
                .find(|(constant, _)| *constant == name)
                .map_or(name, |(_, category)| (*category).to_owned());
            facts.push(Fact {
                context: row["context"].clone(),
                name,
                kind: row
                    .get("kind")
                    .or(row.get("how"))
                    .cloned()
                    .unwrap_or_default(),
                since: dovecot_version(model, &row["first_tag"], pigeonhole),
                removed: removed_after(model, tags, &row["last_tag"], pigeonhole),
                file: row["file"].clone(),
            });
        }
    }
    facts
}

fn context<'m>(model: &'m EventModel, name: &str) -> Option<&'m Group> {
    model.groups.get(name).filter(|g| g.context.is_some())
}

/// The fields a target sets on its own event: a context's own fields and
/// those of the plain groups it includes (not its parents'); an event's own
/// fields.
fn own_fields<'m>(model: &'m EventModel, target: &Target) -> Vec<&'m Field> {
    match target {
        Target::Context(name) => context(model, name).map_or_else(Vec::new, |g| {
            g.fields
                .iter()
                .filter(|f| f.origin == Origin::Own || f.contexts.iter().any(|c| c == name))
                .collect()
        }),
        Target::Event(name) => model.events.get(name).map_or_else(Vec::new, |e| {
            e.fields
                .iter()
                .filter(|f| f.origin == Origin::Own)
                .collect()
        }),
    }
}

fn target_note<'m>(model: &'m EventModel, target: &Target) -> Option<&'m str> {
    match target {
        Target::Context(name) => context(model, name).and_then(|g| g.note.as_deref()),
        Target::Event(name) => model.events.get(name).and_then(|e| e.note.as_deref()),
    }
}

/// Whether a context's note explains a difference about `name`: it names
/// the item and the release.
fn note_names(note: Option<&str>, name: &str, version: Option<Version>) -> bool {
    note.is_some_and(|n| n.contains(name.trim())) && scan_tables::explained(note, version)
}

/// Every wire type a schema field has over its lifetime.
fn types(field: &Field) -> BTreeSet<FieldType> {
    let mut all: BTreeSet<FieldType> = field.changes.iter().filter_map(|c| c.ty).collect();
    all.insert(field.ty);
    all
}

fn compatible(kind: &str, ty: FieldType) -> bool {
    match kind {
        "str" => matches!(
            ty,
            FieldType::String
                | FieldType::Enum
                | FieldType::Flag
                | FieldType::Ip
                | FieldType::Timestamp
        ),
        "int" => matches!(ty, FieldType::Integer | FieldType::Flag),
        "timeval" => ty == FieldType::Timestamp,
        "ip" => ty == FieldType::Ip,
        "strlist" => ty == FieldType::StringList,
        other => panic!("unknown kind {other} in a context table"),
    }
}

/// The span a set of facts covers: the earliest first release, and the
/// latest removal (`None` when one of them is still set).
fn span<'f>(facts: impl Iterator<Item = &'f Fact>) -> (Version, Option<Version>) {
    let mut since: Option<Version> = None;
    let mut removed: Option<Option<Version>> = None;
    for fact in facts {
        since = Some(since.map_or(fact.since, |s| s.min(fact.since)));
        removed = Some(match (removed, fact.removed) {
            (None, r) => r,
            (Some(Some(a)), Some(b)) => Some(a.max(b)),
            _ => None,
        });
    }
    (
        since.expect("a span of at least one fact"),
        removed.flatten(),
    )
}

fn load() -> (EventModel, Tags, BTreeMap<String, Option<Vec<Target>>>) {
    let model = load_dir(&repo().join("schema")).expect("the schema is valid");
    (model, Tags::load(), mapping())
}

#[test]
fn every_context_of_the_tables_is_mapped_to_the_schema() {
    let (model, tags, map) = load();
    let mut problems = Problems(Vec::new());
    let with_facts: BTreeSet<String> = facts(&model, &tags, "fields")
        .into_iter()
        .chain(facts(&model, &tags, "categories"))
        .map(|f| f.context)
        .collect();
    for name in &with_facts {
        if !map.contains_key(name) {
            problems.0.push(format!(
                "{name}: the tables give it fields or categories, but schema-contexts.tsv does not map it"
            ));
        }
    }
    let mut mapped: BTreeSet<&str> = BTreeSet::new();
    for (table_context, targets) in &map {
        for target in targets.iter().flatten() {
            let known = match target {
                Target::Context(name) => {
                    mapped.insert(name);
                    context(&model, name).is_some()
                }
                Target::Event(name) => model.events.contains_key(name),
            };
            if !known {
                problems.0.push(format!(
                    "schema-contexts.tsv maps {table_context} to {target}, which the schema does not have"
                ));
            }
        }
    }
    for group in model.groups.values().filter(|g| g.context.is_some()) {
        if !mapped.contains(group.name.as_str()) {
            problems.0.push(format!(
                "context {}: no context of the tables stands for it in schema-contexts.tsv",
                group.name
            ));
        }
    }
    problems.finish();
}

#[test]
fn every_context_field_the_source_sets_is_in_the_schema_context() {
    let (model, tags, map) = load();
    let globals: BTreeSet<&str> = model
        .global_fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let mut problems = Problems(Vec::new());
    let mut explained = 0;
    // Per (target, field), the facts it stands for, to compare lifetimes.
    let mut found: BTreeMap<(Target, String), Vec<&Fact>> = BTreeMap::new();
    let all = facts(&model, &tags, "fields");
    for fact in &all {
        let Some(Some(targets)) = map.get(&fact.context) else {
            continue;
        };
        if globals.contains(fact.name.as_str()) {
            // Any event may carry a global field.
            continue;
        }
        let holders: Vec<(&Target, Vec<&Field>)> = targets
            .iter()
            .map(|t| {
                let defs: Vec<&Field> = own_fields(&model, t)
                    .into_iter()
                    .filter(|f| f.name == fact.name)
                    .collect();
                (t, defs)
            })
            .filter(|(_, defs)| !defs.is_empty())
            .collect();
        if holders.is_empty() {
            let ok = targets
                .iter()
                .any(|t| note_names(target_note(&model, t), &fact.name, Some(fact.since)));
            explained += usize::from(problems.difference(ok, || {
                format!(
                    "{}: the source ({}) sets {} ({}) from {}, but {} does not have it",
                    fact.context,
                    fact.file,
                    fact.name,
                    fact.kind,
                    fact.since,
                    targets
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            }));
            continue;
        }
        let defs: Vec<&Field> = holders
            .iter()
            .flat_map(|(_, d)| d.iter().copied())
            .collect();
        let typed = defs
            .iter()
            .any(|f| types(f).iter().any(|t| compatible(&fact.kind, *t)));
        if !typed {
            let ok = defs
                .iter()
                .any(|f| scan_tables::explained(f.note.as_deref(), Some(fact.since)));
            explained += usize::from(problems.difference(ok, || {
                let schema: BTreeSet<&str> = defs
                    .iter()
                    .flat_map(|f| types(f).into_iter().map(FieldType::as_str))
                    .collect();
                format!(
                    "{}: the source sets {} as {} (from {}), the schema types it {}",
                    fact.context,
                    fact.name,
                    fact.kind,
                    fact.since,
                    schema.into_iter().collect::<Vec<_>>().join("/")
                )
            }));
        }
        for (target, _) in holders {
            found
                .entry((target.clone(), fact.name.clone()))
                .or_default()
                .push(fact);
        }
    }
    let first = model.versions.first().copied();
    for ((target, name), facts) in found {
        let (since, removed) = span(facts.iter().copied());
        let field = own_fields(&model, &target)
            .into_iter()
            .find(|f| f.name == name)
            .expect("found above");
        let note = field.note.as_deref();
        let context_note = target_note(&model, &target);
        let ok = |version: Option<Version>| {
            scan_tables::explained(note, version) || note_names(context_note, &name, version)
        };
        let schema_since = field.lifetime.since.or(first);
        // A field only this context gives must have the source's releases
        // exactly. One that a parent gives too (the lifetimes of every path
        // are merged), or an event's own field that the event's own code
        // sets as well, must cover them.
        let only_here = matches!(&target, Target::Context(c) if field.origin == Origin::Own
            || field.contexts == [c.clone()]);
        let since_differs = if only_here {
            schema_since != Some(since)
        } else {
            schema_since > Some(since)
        };
        if since_differs {
            explained += usize::from(problems.difference(
                ok(Some(since)) || ok(schema_since),
                || {
                    format!(
                        "{target}: field {name}: the schema has it from {}, the source from {since}",
                        show(schema_since)
                    )
                },
            ));
        }
        let removed_differs = if only_here {
            field.lifetime.removed != removed
        } else {
            match (field.lifetime.removed, removed) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(a), Some(b)) => a < b,
            }
        };
        if removed_differs {
            explained += usize::from(problems.difference(
                ok(removed) || ok(field.lifetime.removed),
                || {
                    format!(
                        "{target}: field {name}: the schema removes it in {}, the source in {}",
                        show(field.lifetime.removed),
                        show(removed)
                    )
                },
            ));
        }
    }
    println!("fields the source sets: {explained} difference(s) explained by notes");
    problems.finish();
}

#[test]
fn every_schema_context_field_is_set_by_the_source() {
    let (model, tags, map) = load();
    // Per schema target, the field names the source sets on a table
    // context that maps to it.
    let mut set: BTreeMap<Target, BTreeSet<String>> = BTreeMap::new();
    for fact in facts(&model, &tags, "fields") {
        for target in map.get(&fact.context).into_iter().flatten().flatten() {
            set.entry(target.clone())
                .or_default()
                .insert(fact.name.clone());
        }
    }
    // The contexts that include each plain group directly: a group's field
    // is set by the source when any of them gets it.
    let mut includers: BTreeMap<&str, Vec<Target>> = BTreeMap::new();
    for g in model.groups.values().filter(|g| g.context.is_some()) {
        for inherited in &g.inherits {
            if model
                .groups
                .get(inherited)
                .is_some_and(|i| i.context.is_none())
            {
                includers
                    .entry(inherited.as_str())
                    .or_default()
                    .push(Target::Context(g.name.clone()));
            }
        }
    }
    let mut problems = Problems(Vec::new());
    let mut explained = 0;
    for g in model.groups.values().filter(|g| g.context.is_some()) {
        let target = Target::Context(g.name.clone());
        for field in own_fields(&model, &target) {
            if !field.emitted || field.pattern {
                continue;
            }
            let mut sources = vec![target.clone()];
            if let Origin::Group(group) = &field.origin {
                sources.extend(includers.get(group.as_str()).into_iter().flatten().cloned());
            }
            let by_source = sources
                .iter()
                .any(|t| set.get(t).is_some_and(|names| names.contains(&field.name)));
            if by_source {
                continue;
            }
            let since = field.lifetime.since;
            let ok = scan_tables::explained(field.note.as_deref(), since)
                || note_names(g.note.as_deref(), &field.name, since);
            explained += usize::from(problems.difference(ok, || {
                format!(
                    "context {}: field {} (from {}) is set by no context of the tables that maps to it",
                    g.name,
                    field.name,
                    show(since)
                )
            }));
        }
    }
    println!("fields of schema contexts: {explained} difference(s) explained by notes");
    problems.finish();
}

#[test]
fn every_context_category_matches_the_source() {
    let (model, tags, map) = load();
    let first = model.versions.first().copied();
    let mut problems = Problems(Vec::new());
    let mut explained = 0;
    let all = facts(&model, &tags, "categories");
    let mut found: BTreeMap<(String, String), Vec<&Fact>> = BTreeMap::new();
    for fact in &all {
        let Some(Some(targets)) = map.get(&fact.context) else {
            continue;
        };
        let holders: Vec<&str> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Context(name) => Some(name.as_str()),
                Target::Event(_) => None,
            })
            .filter(|name| {
                context(&model, name).is_some_and(|g| {
                    g.context
                        .as_ref()
                        .is_some_and(|c| c.categories.iter().any(|c| c.name == fact.name))
                })
            })
            .collect();
        if holders.is_empty() {
            let ok = targets
                .iter()
                .any(|t| note_names(target_note(&model, t), &fact.name, Some(fact.since)));
            explained += usize::from(problems.difference(ok, || {
                format!(
                    "{}: the source ({}) adds category {} from {}, but no context it maps to has it",
                    fact.context, fact.file, fact.name, fact.since
                )
            }));
            continue;
        }
        for name in holders {
            found
                .entry((name.to_owned(), fact.name.clone()))
                .or_default()
                .push(fact);
        }
    }
    for g in model.groups.values() {
        let Some(info) = &g.context else {
            continue;
        };
        for category in &info.categories {
            let key = (g.name.clone(), category.name.clone());
            let since = category.lifetime.since.or(first);
            let removed = category.lifetime.removed;
            let ok =
                |version: Option<Version>| note_names(g.note.as_deref(), &category.name, version);
            let Some(facts) = found.get(&key) else {
                explained += usize::from(problems.difference(ok(since), || {
                    format!(
                        "context {}: category {} (from {}) is added by no context of the tables that maps to it",
                        g.name,
                        category.name,
                        show(since)
                    )
                }));
                continue;
            };
            let (source_since, source_removed) = span(facts.iter().copied());
            if since != Some(source_since) {
                explained += usize::from(problems.difference(
                    ok(since) || ok(Some(source_since)),
                    || {
                        format!(
                            "context {}: category {}: the schema has it from {}, the source from {source_since}",
                            g.name,
                            category.name,
                            show(since)
                        )
                    },
                ));
            }
            if removed != source_removed {
                explained += usize::from(problems.difference(
                    ok(removed) || ok(source_removed),
                    || {
                        format!(
                            "context {}: category {}: the schema removes it in {}, the source in {}",
                            g.name,
                            category.name,
                            show(removed),
                            show(source_removed)
                        )
                    },
                ));
            }
        }
    }
    println!("categories: {explained} difference(s) explained by notes");
    problems.finish();
}

/// The contexts a schema context is below: its parents, their parents and
/// so on (whatever the releases), by name.
fn ancestors<'m>(model: &'m EventModel, name: &str) -> BTreeSet<&'m str> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = model
        .groups
        .get(name)
        .map(|g| g.inherits.iter().map(String::as_str).collect())
        .unwrap_or_default();
    while let Some(next) = stack.pop() {
        let Some(group) = model.groups.get(next) else {
            continue;
        };
        if group.context.is_some() && !seen.insert(group.name.as_str()) {
            continue;
        }
        stack.extend(group.inherits.iter().map(String::as_str));
    }
    seen
}

/// One `parent` row of the context graph.
struct Parent {
    context: String,
    parent: String,
    since: Version,
    via: String,
}

fn parents(model: &EventModel) -> Vec<Parent> {
    let mut all = Vec::new();
    for (file, pigeonhole) in [("contexts.tsv", false), ("pigeonhole-contexts.tsv", true)] {
        for row in table(file) {
            if row["relation"] != "parent" {
                continue;
            }
            all.push(Parent {
                context: row["context"].clone(),
                parent: row["other"].clone(),
                since: dovecot_version(model, &row["first_tag"], pigeonhole),
                via: row["via"].clone(),
            });
        }
    }
    all
}

/// The schema contexts a table context stands for, looking through the
/// contexts the schema leaves out or does not map (settings events and the
/// like) to their own parents; empty when only the root is above.
fn schema_parents(
    name: &str,
    map: &BTreeMap<String, Option<Vec<Target>>>,
    graph: &BTreeMap<&str, Vec<&str>>,
    seen: &mut BTreeSet<String>,
) -> BTreeSet<String> {
    if !seen.insert(name.to_owned()) {
        return BTreeSet::new();
    }
    if let Some(Some(targets)) = map.get(name) {
        return targets
            .iter()
            .filter_map(|t| match t {
                Target::Context(c) => Some(c.clone()),
                Target::Event(_) => None,
            })
            .collect();
    }
    graph
        .get(name)
        .into_iter()
        .flatten()
        .flat_map(|p| schema_parents(p, map, graph, seen))
        .collect()
}

#[test]
fn every_parent_the_source_gives_a_context_is_an_ancestor_in_the_schema() {
    let (model, _, map) = load();
    let rows = parents(&model);
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &rows {
        graph.entry(&row.context).or_default().push(&row.parent);
    }
    let mut problems = Problems(Vec::new());
    let mut explained = 0;
    for row in &rows {
        let Some(Some(targets)) = map.get(&row.context) else {
            continue;
        };
        let expected = schema_parents(&row.parent, &map, &graph, &mut BTreeSet::new());
        let names: Vec<&str> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Context(name) => Some(name.as_str()),
                Target::Event(_) => None,
            })
            .collect();
        // One of the schema contexts that stand for the table's context must
        // have one of the parent's schema contexts above it (or be it).
        // A context that stands only for an event is checked with the
        // event's parents.
        let found = expected.is_empty()
            || names.is_empty()
            || names.iter().any(|name| {
                expected.contains(*name) || {
                    let above = ancestors(&model, name);
                    expected.iter().any(|p| above.contains(p.as_str()))
                }
            });
        if found {
            continue;
        }
        let ok = targets.iter().any(|t| {
            let note = target_note(&model, t);
            note_names(note, &row.parent, Some(row.since))
                || expected
                    .iter()
                    .any(|p| note_names(note, p, Some(row.since)))
        });
        explained += usize::from(problems.difference(ok, || {
            format!(
                "{} ({}): the source ({}) creates it below {} from {}, which the schema does not have above it ({})",
                row.context,
                names.join(", "),
                row.via,
                row.parent,
                row.since,
                expected.iter().cloned().collect::<Vec<_>>().join(" or ")
            )
        }));
    }
    println!("parents: {explained} difference(s) explained by notes");
    problems.finish();
}

#[test]
fn every_context_the_source_creates_an_event_below_is_in_the_schema() {
    let (model, _, map) = load();
    let rows = parents(&model);
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &rows {
        graph.entry(&row.context).or_default().push(&row.parent);
    }
    let mut problems = Problems(Vec::new());
    let mut explained = 0;
    for (file, pigeonhole) in [
        ("event-parents.tsv", false),
        ("pigeonhole-event-parents.tsv", true),
    ] {
        for row in table(file) {
            let name = &row["event"];
            let Some(event) = model.events.get(name) else {
                continue;
            };
            let since = dovecot_version(&model, &row["first_tag"], pigeonhole);
            let expected = schema_parents(&row["context"], &map, &graph, &mut BTreeSet::new());
            if expected.is_empty() || expected.iter().any(|c| event.contexts.contains(c)) {
                continue;
            }
            let ok = note_names(event.note.as_deref(), &row["context"], Some(since))
                || expected
                    .iter()
                    .any(|c| note_names(event.note.as_deref(), c, Some(since)));
            explained += usize::from(problems.difference(ok, || {
                format!(
                    "event {name}: the source ({}) creates it {} {} from {since}, but none of {} is among its contexts",
                    row["file"],
                    if row["relation"] == "self" { "as the own event of" } else { "below" },
                    row["context"],
                    expected.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            }));
        }
    }
    println!("event parents: {explained} difference(s) explained by notes");
    problems.finish();
}
