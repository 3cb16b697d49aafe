//! The events reference as JSON for tools: events by category with typed
//! fields, and the version matrix.

use serde_json::{Value, json};

use super::{by_category, inherited_from, matrix, table_fields};
use crate::model::{Event, EventModel, Field, Origin};

/// The reference as pretty-printed JSON.
#[must_use]
pub fn generate(model: &EventModel) -> String {
    let categories: Vec<Value> = by_category(model)
        .into_iter()
        .map(|(category, events)| {
            json!({
                "category": category,
                "description": category.and_then(|c| model.categories.get(c)).map(|c| &c.description),
                "events": events.into_iter().map(event).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = json!({
        "generated_from": { "source_hash": model.source_hash },
        "versions": model.versions,
        "categories": model.categories.values().collect::<Vec<_>>(),
        "global_fields": model.global_fields.iter().map(field).collect::<Vec<_>>(),
        "contexts": model.groups.values().filter_map(|g| {
            let context = g.context.as_ref()?;
            Some(json!({
                "name": g.name,
                "description": g.description,
                "categories": context.categories,
                "recognised_by": context.recognised_by,
                "global": context.global,
                "parents": g.inherits.iter().filter(|p| model.groups.get(*p).is_some_and(|p| p.context.is_some())).collect::<Vec<_>>(),
                "fields": super::context_fields(g).map(field).collect::<Vec<_>>(),
            }))
        }).collect::<Vec<_>>(),
        "field_groups": model.groups.values().filter(|g| g.context.is_none()).map(|g| json!({
            "name": g.name,
            "description": g.description,
            "note": g.note,
            "inherits": g.inherits,
            "fields": g.fields.iter().filter(|f| f.origin == Origin::Own).map(field).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "events_by_category": categories,
        "version_matrix": matrix(model),
    });
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

fn event(e: &Event) -> Value {
    json!({
        "name": e.name,
        "description": e.description,
        "categories": e.categories,
        "since": e.lifetime.since,
        "deprecated": e.lifetime.deprecated,
        "removed": e.lifetime.removed,
        "renamed_to": e.renamed_to,
        "emitted": e.emitted,
        "edition": e.edition,
        "note": e.note,
        "inherits": e.inherits,
        "contexts": e.contexts,
        "fields": table_fields(e).map(field).collect::<Vec<_>>(),
        "changes": e.changes,
    })
}

fn field(f: &Field) -> Value {
    // An inherited field's notes and changes are on its group.
    if let Some(from) = inherited_from(f) {
        return json!({
            "name": f.name,
            "type": f.ty,
            "unit": f.unit,
            "enum": f.enum_name,
            "description": f.description,
            "since": f.lifetime.since,
            "removed": f.lifetime.removed,
            "renamed_to": f.renamed_to,
            "emitted": f.emitted,
            "pattern": f.pattern,
            "inherited_from": from,
            "contexts": f.contexts,
        });
    }
    json!({
        "name": f.name,
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
        "inherited_from": inherited_from(f),
        "contexts": f.contexts,
        "note": f.note,
        "changes": f.changes,
    })
}
