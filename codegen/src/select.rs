//! Narrowing a resolved model to what a user asked for: one Dovecot release,
//! some categories, some events. Every output (Rust, docs) is generated from
//! the narrowed model, so they agree on what "included" means.

use std::collections::BTreeSet;

use crate::model::EventModel;
use dovecot_events_vocab::Version;

/// Which part of the schema to generate for. The default is everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Keep only events and fields this release sends (or documents).
    pub target: Option<Version>,
    /// Keep only events whose root category or any other category is one of
    /// these (or a descendant of one); empty keeps all.
    pub categories: Vec<String>,
    /// Keep only these events; empty keeps all. Combined with `categories`,
    /// an event is kept when either list names it.
    pub events: Vec<String>,
}

/// A name the selection refers to that the schema does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// `category`, `event` or `release`.
    pub kind: &'static str,
    /// The name as given.
    pub name: String,
    /// A likely intended name.
    pub suggestion: Option<String>,
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the schema has no {} `{}`", self.kind, self.name)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl Selection {
    /// Whether the selection keeps everything.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.target.is_none() && self.categories.is_empty() && self.events.is_empty()
    }

    /// Names in the selection that `model` does not know.
    #[must_use]
    pub fn unknown_names(&self, model: &EventModel) -> Vec<UnknownName> {
        let mut out = Vec::new();
        if let Some(target) = self.target.filter(|t| !model.versions.contains(t)) {
            out.push(UnknownName {
                kind: "release",
                name: target.to_string(),
                suggestion: None,
            });
        }
        for name in &self.categories {
            if !model.categories.contains_key(name) {
                out.push(UnknownName {
                    kind: "category",
                    name: name.clone(),
                    suggestion: crate::diag::did_you_mean(
                        name,
                        model.categories.keys().map(String::as_str),
                    )
                    .map(str::to_owned),
                });
            }
        }
        for name in &self.events {
            if !model.events.contains_key(name) {
                out.push(UnknownName {
                    kind: "event",
                    name: name.clone(),
                    suggestion: crate::diag::did_you_mean(
                        name,
                        model.events.keys().map(String::as_str),
                    )
                    .map(str::to_owned),
                });
            }
        }
        out
    }

    /// The model narrowed to the selection: the version list ends at the
    /// target, and a selection of categories or events keeps only the enums
    /// its fields use and the categories its events are in (with their
    /// ancestors), so the generated metadata tables hold only what the
    /// selection uses. Groups are kept whole (the Rust code has none).
    #[must_use]
    pub fn apply(&self, model: &EventModel) -> EventModel {
        let mut out = model.clone();
        if let Some(target) = self.target {
            out.versions.retain(|v| *v <= target);
            out.events.retain(|_, e| e.lifetime.exists_in(target));
            for event in out.events.values_mut() {
                event.fields.retain(|f| f.lifetime.exists_in(target));
            }
            out.global_fields.retain(|f| f.lifetime.exists_in(target));
            for group in out.groups.values_mut() {
                group.fields.retain(|f| f.lifetime.exists_in(target));
            }
        }
        if !self.categories.is_empty() || !self.events.is_empty() {
            let in_category = |category: &str| {
                // A category is selected when it or one of its ancestors is.
                let mut current = Some(category);
                for _ in 0..32 {
                    let Some(name) = current else { break };
                    if self.categories.iter().any(|c| c == name) {
                        return true;
                    }
                    current = model.categories.get(name).and_then(|c| c.parent.as_deref());
                }
                false
            };
            out.events.retain(|name, e| {
                self.events.iter().any(|n| n == name)
                    || e.category.as_deref().is_some_and(in_category)
                    || e.categories.iter().any(|c| in_category(c))
            });
            let enums: BTreeSet<&str> = out
                .events
                .values()
                .flat_map(|e| &e.fields)
                .chain(&out.global_fields)
                .filter_map(|f| f.enum_name.as_deref())
                .collect();
            let mut categories = BTreeSet::new();
            for event in out.events.values() {
                for name in event.category.iter().chain(&event.categories) {
                    let mut current = Some(name.as_str());
                    // The depth bound guards against a cycle, which
                    // validation already rejects.
                    for _ in 0..32 {
                        let Some(name) = current else { break };
                        if !categories.insert(name) {
                            break;
                        }
                        current = model.categories.get(name).and_then(|c| c.parent.as_deref());
                    }
                }
            }
            let enums: BTreeSet<String> = enums.into_iter().map(str::to_owned).collect();
            let categories: BTreeSet<String> = categories.into_iter().map(str::to_owned).collect();
            out.enums.retain(|name, _| enums.contains(name));
            out.categories.retain(|name, _| categories.contains(name));
        }
        out
    }
}
