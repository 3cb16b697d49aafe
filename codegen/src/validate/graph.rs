//! The inheritance graph of groups and events, indexed once by name, so
//! that every rule about inheritance costs time in proportion to what each
//! event inherits rather than to the size of the whole schema.
//!
//! Flattening inheritance multiplies: every event gets a copy of every field
//! it inherits. The bounds here keep that product, and the work of finding
//! it, small enough for any input: an event may reach at most
//! [`MAX_INHERITED`] groups and events, and the resolved schema may hold at
//! most [`MAX_FIELD_PAIRS`] event/field pairs.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Diagnostics, Location};
use crate::raw::{RawField, RawInherit, RawSchema};

/// How many groups and events one event may inherit from, directly or
/// through others (the repository's schema needs 27).
pub const MAX_INHERITED: usize = 256;

/// How many event/field pairs the resolved schema may hold (the
/// repository's has about 5,300).
pub const MAX_FIELD_PAIRS: usize = 500_000;

/// How many inheritance cycles are reported; past that the schema has a
/// problem the first ones already show.
const MAX_CYCLES: usize = 20;

/// One definition of a name: its own fields and what it inherits.
type Node<'a> = (&'a [RawField], &'a [RawInherit]);

/// Every group and event by name (events first, as the schema lists them).
pub struct Graph<'a> {
    nodes: BTreeMap<&'a str, Vec<Node<'a>>>,
    locations: BTreeMap<&'a str, &'a Location>,
}

/// What one event reaches through `inherits`.
pub struct Closure<'a> {
    /// The names reached, each once.
    pub names: Vec<&'a str>,
    /// Whether the walk stopped at [`MAX_INHERITED`].
    pub over: bool,
}

impl<'a> Graph<'a> {
    pub fn new(raw: &'a RawSchema) -> Self {
        let mut nodes: BTreeMap<&str, Vec<Node<'a>>> = BTreeMap::new();
        let mut locations = BTreeMap::new();
        for e in &raw.events {
            let name = e.name.value.as_str();
            nodes
                .entry(name)
                .or_default()
                .push((&e.fields, &e.inherits));
            locations.entry(name).or_insert(&e.name.location);
        }
        for g in &raw.groups {
            let name = g.name.value.as_str();
            nodes
                .entry(name)
                .or_default()
                .push((&g.fields, &g.inherits));
            locations.entry(name).or_insert(&g.name.location);
        }
        Graph { nodes, locations }
    }

    /// The groups and events `inherits` reaches, depth first in the order
    /// the rules have always walked them, bounded by [`MAX_INHERITED`].
    pub fn closure(&self, inherits: &'a [RawInherit]) -> Closure<'a> {
        let mut names = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = inherits.iter().map(|i| i.name.value.as_str()).collect();
        while let Some(name) = stack.pop() {
            if !seen.insert(name) {
                continue;
            }
            names.push(name);
            for (_, next) in self.nodes.get(name).into_iter().flatten() {
                // A bound on the work as well as on the result: a node may
                // name thousands of others, most of them seen already.
                if names.len() > MAX_INHERITED || stack.len() + next.len() > 4 * MAX_INHERITED {
                    return Closure { names, over: true };
                }
                stack.extend(next.iter().map(|i| i.name.value.as_str()));
            }
        }
        let over = names.len() > MAX_INHERITED;
        Closure { names, over }
    }

    /// The fields an owner with `inherits` gets from them, then the global
    /// fields, each name once (the first definition found wins).
    pub fn inherited_fields(
        &self,
        raw: &'a RawSchema,
        inherits: &'a [RawInherit],
    ) -> Vec<&'a RawField> {
        let mut out: Vec<&RawField> = Vec::new();
        let mut names = BTreeSet::new();
        for name in self.closure(inherits).names {
            for (fields, _) in self.nodes.get(name).into_iter().flatten() {
                out.extend(
                    fields
                        .iter()
                        .filter(|f| names.insert(f.name.value.as_str())),
                );
            }
        }
        out.extend(
            raw.global_fields
                .iter()
                .filter(|f| names.insert(f.name.value.as_str())),
        );
        out
    }

    /// Inheritance must be a walk that ends. One depth-first search over
    /// the whole graph finds every cycle's members (each reported once, at
    /// its first member's definition); it keeps its own stack, so a chain
    /// of any length cannot overflow the thread's.
    pub fn report_cycles(&self, cx: &mut Diagnostics) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
        // Where each open name is on the path.
        let mut on_path: BTreeMap<&str, usize> = BTreeMap::new();
        let mut reported: BTreeSet<BTreeSet<&str>> = BTreeSet::new();
        for &start in self.nodes.keys() {
            if marks.contains_key(start) {
                continue;
            }
            // (name, its successors, how many of them are done)
            let mut path: Vec<(&str, Vec<&str>, usize)> = Vec::new();
            marks.insert(start, Mark::Open);
            on_path.insert(start, 0);
            path.push((start, self.successors(start), 0));
            while let Some((name, next, done)) = path.last_mut() {
                let Some(&child) = next.get(*done) else {
                    marks.insert(*name, Mark::Done);
                    on_path.remove(*name);
                    path.pop();
                    continue;
                };
                *done += 1;
                match marks.get(child) {
                    Some(Mark::Done) => {}
                    Some(Mark::Open) => {
                        let Some(&at) = on_path.get(child) else {
                            continue;
                        };
                        let mut cycle: Vec<&str> = path[at..].iter().map(|p| p.0).collect();
                        cycle.push(child);
                        if reported.len() < MAX_CYCLES
                            && reported.insert(cycle.iter().copied().collect())
                        {
                            self.report_cycle(&cycle, cx);
                        }
                    }
                    None => {
                        marks.insert(child, Mark::Open);
                        on_path.insert(child, path.len());
                        let successors = self.successors(child);
                        path.push((child, successors, 0));
                    }
                }
            }
        }
    }

    /// The names `name` inherits from that are defined.
    fn successors(&self, name: &str) -> Vec<&'a str> {
        self.nodes
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|(_, inherits)| inherits.iter())
            .map(|i| i.name.value.as_str())
            .filter(|n| self.nodes.contains_key(n))
            .collect()
    }

    fn report_cycle(&self, cycle: &[&str], cx: &mut Diagnostics) {
        let Some(location) = cycle.first().and_then(|n| self.locations.get(n)) else {
            return;
        };
        // A cycle through thousands of names is shown by its ends.
        let shown = if cycle.len() > 12 {
            format!(
                "{} → … ({} more) … → {}",
                cycle[..6].join(" → "),
                cycle.len() - 12,
                cycle[cycle.len() - 6..].join(" → ")
            )
        } else {
            cycle.join(" → ")
        };
        cx.error_with_hint(
            location,
            format!("inheritance cycle: {shown}"),
            "remove one of the `inherits` entries in the cycle",
        );
    }

    /// Flattening stays bounded: no event reaches more than
    /// [`MAX_INHERITED`] groups and events, and all of them together hold
    /// no more than [`MAX_FIELD_PAIRS`] fields after inheritance. Returns
    /// whether both hold.
    pub fn report_bounds(&self, raw: &'a RawSchema, cx: &mut Diagnostics) -> bool {
        let mut pairs = 0usize;
        let mut bounded = true;
        let owners = raw
            .events
            .iter()
            .map(|e| ("event", &e.name, &e.fields, &e.inherits))
            .chain(
                raw.groups
                    .iter()
                    .map(|g| ("group", &g.name, &g.fields, &g.inherits)),
            );
        for (what, name, fields, inherits) in owners {
            let closure = self.closure(inherits);
            if closure.over {
                cx.error_with_hint(
                    &name.location,
                    format!(
                        "{what} `{}` inherits from more than {MAX_INHERITED} groups and events, directly or through others",
                        name.value
                    ),
                    "a schema needs far fewer; check `inherits` for a runaway chain",
                );
                bounded = false;
                continue;
            }
            let inherited: usize = closure
                .names
                .iter()
                .flat_map(|n| self.nodes.get(n).into_iter().flatten())
                .map(|(fields, _)| fields.len())
                .sum();
            let before = pairs;
            pairs = pairs
                .saturating_add(fields.len())
                .saturating_add(inherited)
                .saturating_add(raw.global_fields.len());
            if before <= MAX_FIELD_PAIRS && pairs > MAX_FIELD_PAIRS {
                cx.error_with_hint(
                    &name.location,
                    format!(
                        "with {what} `{}` the schema's events and groups hold more than {MAX_FIELD_PAIRS} fields after inheritance",
                        name.value
                    ),
                    "every inherited field is copied into each event; inherit less, or split the schema",
                );
            }
        }
        bounded && pairs <= MAX_FIELD_PAIRS
    }
}
