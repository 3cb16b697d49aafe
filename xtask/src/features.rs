//! The version features of the `dovecot-events` and `dovecot-events-derive`
//! manifests: one feature per Dovecot release that introduced or removed an
//! event or field, each enabling the one before it.
//!
//! Only the part between the two marker lines of a manifest is generated;
//! the rest stays hand-written.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use dovecot_events_codegen::EventModel;
use dovecot_events_codegen::Version;

/// The line that opens the generated part of a manifest.
pub const BEGIN: &str = "# @generated version features: begin (dovecot-eventgen generate)";
/// The line that closes it.
pub const END: &str = "# @generated version features: end";

/// The releases that introduced or removed something, oldest first; the
/// schema's oldest release is the baseline and gets no feature.
#[must_use]
pub fn feature_versions(model: &EventModel) -> Vec<Version> {
    let oldest = model.versions.first().copied();
    let mut set = BTreeSet::new();
    let mut add = |v: Option<Version>| {
        if let Some(v) = v.filter(|v| Some(*v) > oldest) {
            set.insert(v);
        }
    };
    for event in model.events.values().filter(|e| e.in_rust()) {
        add(event.lifetime.since);
        add(event.lifetime.removed);
        for field in event.fields.iter().filter(|f| f.in_struct()) {
            add(field
                .lifetime
                .since
                .filter(|s| Some(*s) > event.lifetime.since));
            add(field.lifetime.removed);
        }
    }
    // Sorted by release order, which `Version`'s `Ord` gives.
    let mut out: Vec<Version> = set.into_iter().collect();
    out.sort();
    out
}

/// The generated `[features]` lines of the `dovecot-events` manifest.
/// Each feature also turns on the derive macro's feature of the same name,
/// so that `#[derive(DovecotEvent)]` checks against the same release.
#[must_use]
pub fn runtime_features(model: &EventModel) -> String {
    features(model, Some("dovecot-events-derive"))
}

/// The generated `[features]` lines of the `dovecot-events-derive`
/// manifest.
#[must_use]
pub fn derive_features(model: &EventModel) -> String {
    features(model, None)
}

fn features(model: &EventModel, forward_to: Option<&str>) -> String {
    let versions = feature_versions(model);
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    if let Some(newest) = versions.last() {
        let _ = writeln!(out, "default = [\"{}\"]", newest.feature_name());
    }
    let mut previous: Option<String> = None;
    for v in &versions {
        let name = v.feature_name();
        let mut deps: Vec<String> = previous.iter().map(|p| format!("\"{p}\"")).collect();
        if let Some(dep) = forward_to {
            deps.push(format!("\"{dep}?/{name}\""));
        }
        let _ = writeln!(out, "{name} = [{}]", deps.join(", "));
        previous = Some(name);
    }
    let _ = writeln!(out, "{END}");
    out
}

/// `manifest` with its generated part replaced by `section`; `None` when
/// the markers are missing or out of order.
#[must_use]
pub fn splice(manifest: &str, section: &str) -> Option<String> {
    let begin = manifest.find(BEGIN)?;
    let end_marker = manifest[begin..].find(END)? + begin;
    let end = manifest[end_marker..]
        .find('\n')
        .map_or(manifest.len(), |n| end_marker + n + 1);
    Some(format!(
        "{}{section}{}",
        &manifest[..begin],
        &manifest[end..]
    ))
}
