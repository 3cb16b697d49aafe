//! The resolved model as JSON, for other tools (`dovecot-eventgen resolve`).
//!
//! The core keys (`versions`, `events.*.category/since/removed/renamed_to`,
//! `events.*.fields.*.type/since/removed/renamed_to`) are a stable interface;
//! other keys may be added.

use serde_json::{Map, Value, json};

use dovecot_events_codegen::model::{EventModel, Field};

/// The resolved model as pretty-printed JSON, keys sorted.
#[must_use]
pub fn generate(model: &EventModel) -> String {
    let events: Map<String, Value> = model
        .events
        .values()
        .map(|e| {
            let fields: Map<String, Value> = e
                .fields
                .iter()
                .map(|f| (f.name.clone(), field(f)))
                .collect();
            let value = json!({
                "category": e.category,
                "categories": e.categories,
                "description": e.description,
                "since": e.lifetime.since,
                "deprecated": e.lifetime.deprecated,
                "removed": e.lifetime.removed,
                "renamed_to": e.renamed_to,
                "emitted": e.emitted,
                "edition": e.edition,
                "note": e.note,
                "inherits": e.inherits,
                "changes": e.changes,
                "fields": fields,
            });
            (e.name.clone(), value)
        })
        .collect();
    let out = json!({
        "versions": model.versions,
        "categories": model.categories,
        "reasons": model.reasons,
        "enums": model.enums,
        "global_fields": model.global_fields.iter().map(|f| (f.name.clone(), field(f))).collect::<Map<_, _>>(),
        "groups": model.groups.values().map(|g| (g.name.clone(), json!({
            "description": g.description,
            "note": g.note,
            "inherits": g.inherits,
            "fields": g.fields.iter().map(|f| (f.name.clone(), field(f))).collect::<Map<_, _>>(),
        }))).collect::<Map<_, _>>(),
        "events": events,
        "source_hash": model.source_hash,
    });
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

fn field(f: &Field) -> Value {
    json!({
        "type": f.ty,
        "unit": f.unit,
        "enum": f.enum_name,
        "description": f.description,
        "since": f.lifetime.since,
        "deprecated": f.lifetime.deprecated,
        "removed": f.lifetime.removed,
        "renamed_to": f.renamed_to,
        "emitted": f.emitted,
        "pattern": f.pattern,
        "note": f.note,
        "changes": f.changes,
        "origin": f.origin,
        "rust_name": f.in_struct().then_some(&f.rust_name),
    })
}
