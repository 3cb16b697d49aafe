//! The checks layer: reads the configuration tree of the syntax layer
//! against Dovecot's statistics facts and the event schema for one target
//! release. This walks the configuration: the global filter settings,
//! every `metric` block (the 2.3 and 2.4 forms) and every `event_exporter`
//! block.
//!
//! Settings, their versions and Dovecot's own checks come from
//! `src/stats/stats-settings.c`: before 2.3.12 a metric is selected by
//! `event_name`, `source_location`, `categories` and a `filter { }` block of
//! field values; from 2.3.12 on by one `filter` expression. In 2.3
//! `group_by` is a string of `field[:discrete|:exponential:MIN:MAX:BASE|
//! :linear:MIN:MAX:STEP]` words (2.3.10, functions 2.3.11); in 2.4 it is a
//! list of field names or `group_by FIELD { method NAME { … } }` blocks.

pub(crate) mod exporter;
pub(crate) mod filter;
pub(crate) mod group_by;
pub(crate) mod metric;
pub(crate) mod names;
pub(crate) mod values;

use std::collections::BTreeMap;

use super::facts::{FILTER_SETTINGS, STATS_BLOCKS, UNIFIED};
use super::report::{Rule, Sink};
use super::syntax::config::{self, Config, Item, Section, Setting, ValueFiles, ValueKind};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::EventModel;
use filter::{Cx, parse_filter};

/// The `<file` values the checks need to see.
pub(crate) const VALUE_FILES: ValueFiles<'static> = ValueFiles {
    keys: &FILTER_SETTINGS,
    sections: &STATS_BLOCKS,
};

/// Reads a configuration for the checks.
pub(crate) fn read(name: &str, text: &str, sink: &mut Sink) -> Config {
    config::read(name, text, VALUE_FILES, sink)
}

/// What was checked, for the report's summary.
pub(crate) struct Counts {
    pub(crate) metrics: usize,
    pub(crate) filters: usize,
}

/// Runs every check on `config`.
pub(crate) fn check(
    model: &EventModel,
    config: &Config,
    target: Version,
    sink: &mut Sink,
) -> Counts {
    let mut found = Found::default();
    collect(&config.root, &mut found);
    let mut cx = Cx {
        model,
        target,
        sink,
    };
    if let Some((version, at)) = &config.doveconf
        && *version != target
    {
        cx.sink.warning(
            Rule::VersionMismatch,
            at.clone(),
            format!(
                "this `doveconf -n` output comes from Dovecot {version}, but it is checked against {target}"
            ),
            Some(format!(
                "pass `--target {version}` to check it for the release that printed it"
            )),
        );
    }
    let mut counts = Counts {
        metrics: found.metrics.len(),
        filters: 0,
    };
    for setting in &found.filters {
        if global_filter(&mut cx, setting) {
            counts.filters += 1;
        }
    }
    let exporters: BTreeMap<&str, &Section> = found
        .exporters
        .iter()
        .filter_map(|e| Some((e.name.as_deref()?, *e)))
        .collect();
    for metric in &found.metrics {
        if metric::check(&mut cx, metric, &exporters) {
            counts.filters += 1;
        }
    }
    for section in &found.exporters {
        exporter::check(&mut cx, section);
    }
    counts
}

#[derive(Default)]
struct Found<'c> {
    metrics: Vec<&'c Section>,
    exporters: Vec<&'c Section>,
    filters: Vec<&'c Setting>,
}

fn collect<'c>(section: &'c Section, found: &mut Found<'c>) {
    for item in &section.items {
        match item {
            Item::Setting(s) if FILTER_SETTINGS.contains(&s.key.as_str()) => found.filters.push(s),
            Item::Setting(_) => {}
            Item::Section(s) if s.kind == "metric" => found.metrics.push(s),
            Item::Section(s) if s.kind == "event_exporter" => found.exporters.push(s),
            Item::Section(s) => collect(s, found),
        }
    }
}

/// `log_debug` and friends; true when a filter was checked.
fn global_filter(cx: &mut Cx<'_, '_>, setting: &Setting) -> bool {
    if setting.kind == ValueKind::Variable {
        return false;
    }
    let legacy_global = cx.target < UNIFIED;
    if let Some(expr) = parse_filter(cx, &setting.value, legacy_global) {
        cx.filter(&expr);
    }
    true
}
