//! Holds the schema against the tables in `tools/source-scan/`, which
//! `scan.py` derives from Dovecot's and Pigeonhole's C source at every
//! release tag.
//!
//! A difference fails the test unless the schema explains it: the item's
//! `note` must name the release the source points at, so that every
//! deliberate deviation says which tag it is about.

mod scan_tables;

use std::collections::{BTreeMap, BTreeSet};

use dovecot_events_codegen::load_dir;
use dovecot_events_codegen::model::{Edition, Field, FieldType};
use scan_tables::{Problems, Tags, dovecot_version, explained, removed_after, repo, show, table};

#[test]
fn every_event_the_source_sets_is_in_the_schema_with_its_versions() {
    let model = load_dir(&repo().join("schema")).expect("the schema is valid");
    let tags = Tags::load();
    let mut problems = Problems(Vec::new());
    for (file, pigeonhole) in [("events.tsv", false), ("pigeonhole-events.tsv", true)] {
        for row in table(file) {
            let name = &row["name"];
            let Some(event) = model.events.get(name) else {
                problems.0.push(format!(
                    "{name}: set in {} from {} but not in the schema",
                    row["files"], row["first_tag"]
                ));
                continue;
            };
            let since = dovecot_version(&model, &row["first_tag"], pigeonhole);
            if event.lifetime.since != Some(since) && !explained(event.note.as_deref(), Some(since))
            {
                problems.0.push(format!(
                    "{name}: schema says since {}, the source sets it from {since}",
                    show(event.lifetime.since)
                ));
            }
            let removed = removed_after(&model, &tags, &row["last_tag"], pigeonhole);
            if event.lifetime.removed != removed
                && !explained(event.note.as_deref(), removed.or(event.lifetime.removed))
            {
                problems.0.push(format!(
                    "{name}: schema says removed {}, the source's last tag is {} (removed {})",
                    show(event.lifetime.removed),
                    row["last_tag"],
                    show(removed)
                ));
            }
        }
    }
    problems.finish();
}

#[test]
fn every_open_source_event_in_the_schema_is_set_in_the_source() {
    let model = load_dir(&repo().join("schema")).expect("the schema is valid");
    let mut in_source = BTreeSet::new();
    for file in ["events.tsv", "pigeonhole-events.tsv"] {
        in_source.extend(table(file).into_iter().map(|row| row["name"].clone()));
    }
    let mut problems = Problems(Vec::new());
    for event in model.events.values() {
        if event.edition == Edition::Pro || !event.emitted || in_source.contains(&event.name) {
            continue;
        }
        if event.note.is_none() {
            problems.0.push(format!(
                "{}: in the schema as a sent open-source event, but no release tag sets it \
                 (mark it `emitted: false` or `edition: pro`, or explain in a note)",
                event.name
            ));
        }
    }
    problems.finish();
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
        other => panic!("unknown kind {other} in fields table"),
    }
}

#[test]
fn every_field_the_source_sets_is_in_the_schema_with_a_matching_type() {
    let model = load_dir(&repo().join("schema")).expect("the schema is valid");
    let mut by_name: BTreeMap<&str, Vec<&Field>> = BTreeMap::new();
    let groups = model.groups.values().flat_map(|g| g.fields.iter());
    let events = model.events.values().flat_map(|e| e.fields.iter());
    for field in groups.chain(events).chain(model.global_fields.iter()) {
        by_name.entry(field.name.as_str()).or_default().push(field);
    }
    let mut problems = Problems(Vec::new());
    for (file, pigeonhole) in [("fields.tsv", false), ("pigeonhole-fields.tsv", true)] {
        for row in table(file) {
            let name = row["field"].as_str();
            let kind = row["kind"].as_str();
            let Some(defs) = by_name.get(name) else {
                problems.0.push(format!(
                    "field {name} ({kind}): set in {} from {} but on no event or group of the schema",
                    row["files"], row["first_tag"]
                ));
                continue;
            };
            let since = dovecot_version(&model, &row["first_tag"], pigeonhole);
            let typed = defs
                .iter()
                .any(|f| types(f).iter().any(|t| compatible(kind, *t)));
            if !typed
                && !defs
                    .iter()
                    .any(|f| explained(f.note.as_deref(), Some(since)))
            {
                let schema: BTreeSet<&str> = defs
                    .iter()
                    .flat_map(|f| types(f).into_iter().map(FieldType::as_str))
                    .collect();
                problems.0.push(format!(
                    "field {name}: the source sets it as {kind} (from {since}), the schema types it {}",
                    schema.into_iter().collect::<Vec<_>>().join("/")
                ));
            }
        }
    }
    problems.finish();
}
