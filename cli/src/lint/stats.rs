//! Walks the configuration: the global filter settings, every `metric`
//! block (the 2.3 and 2.4 forms) and every `event_exporter` block.
//!
//! Settings, their versions and Dovecot's own checks come from
//! `src/stats/stats-settings.c`: before 2.3.12 a metric is selected by
//! `event_name`, `source_location`, `categories` and a `filter { }` block of
//! field values; from 2.3.12 on by one `filter` expression. In 2.3
//! `group_by` is a string of `field[:discrete|:exponential:MIN:MAX:BASE|
//! :linear:MIN:MAX:STEP]` words (2.3.10, functions 2.3.11); in 2.4 it is a
//! list of field names or `group_by FIELD { method NAME { … } }` blocks.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Config, Item, Section, Setting, ValueKind};
use super::filter::{self, Cmp, Expr, Op};
use super::names::{suggest, type_name};
use super::rules::{Cx, Events};
use super::text::Text;
use super::{Rule, Sink, exporter, legacy};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;
use dovecot_events_codegen::model::{EventModel, FieldType};

/// The unified filter language and the `filter` metric setting.
pub(crate) const UNIFIED: Version = Version::new(&[2, 3, 12]);
/// `metric { group_by }`.
const GROUP_BY: Version = Version::new(&[2, 3, 10]);
/// `group_by` aggregation functions and `metric { description }`.
const AGGREGATION: Version = Version::new(&[2, 3, 11]);
/// `event_exporter` and `metric { exporter, exporter_include }`.
pub(crate) const EXPORTERS: Version = Version::new(&[2, 3, 7]);
/// The 2.4 settings syntax.
pub(crate) const V2_4: Version = Version::new(&[2, 4, 0]);

/// Settings anywhere in the configuration that hold an event filter.
pub(crate) const FILTER_SETTINGS: [&str; 3] =
    ["log_debug", "log_core_filter", "process_shutdown_filter"];

/// The parts of `exporter_include`.
const INCLUDE_PARTS: [&str; 5] = ["name", "hostname", "timestamps", "categories", "fields"];

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
        if Metric::check(&mut cx, metric, &exporters) {
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

/// Parses and checks a filter value; `None` when it is malformed, empty or
/// not final (variables).
fn parse_filter(cx: &mut Cx<'_, '_>, value: &Text, legacy_global: bool) -> Option<Expr> {
    let parsed = if legacy_global {
        legacy::parse_global(value)
    } else {
        filter::parse(value, cx.target)
    };
    match parsed {
        Ok(expr) => expr,
        Err(e) => {
            cx.sink.error(
                Rule::FilterSyntax,
                e.at,
                format!("malformed filter: {}", e.message),
                e.fix,
            );
            None
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

/// The keys of a metric block for the target, with the release that added
/// each.
fn metric_keys(target: Version) -> Vec<(&'static str, Version)> {
    let base = Version::new(&[2, 3, 0]);
    let mut keys = vec![
        ("fields", base),
        ("exporter", EXPORTERS),
        ("exporter_include", EXPORTERS),
        ("description", AGGREGATION),
        ("group_by", GROUP_BY),
    ];
    if target >= UNIFIED {
        keys.push(("filter", UNIFIED));
    } else {
        keys.extend([
            ("event_name", base),
            ("source_location", base),
            ("categories", base),
        ]);
    }
    keys
}

struct Metric<'a, 'm, 's, 'c> {
    cx: &'a mut Cx<'m, 's>,
    section: &'c Section,
    name: String,
}

impl<'m> Metric<'_, 'm, '_, '_> {
    /// Checks one metric; true when it had a filter to check.
    fn check(cx: &mut Cx<'m, '_>, section: &Section, exporters: &BTreeMap<&str, &Section>) -> bool {
        let Some(name) = section.name.clone() else {
            cx.sink.error(
                Rule::ConfigSyntax,
                section.at.clone(),
                "a metric block needs a name",
                Some("write `metric NAME {`".to_owned()),
            );
            return false;
        };
        let mut metric = Metric { cx, section, name };
        metric.keys();
        let (events, checked) = if metric.cx.target >= UNIFIED {
            metric.filter()
        } else {
            (metric.legacy_filter(), true)
        };
        metric.fields(events.as_ref());
        metric.group_by(events.as_ref());
        metric.exporter(exporters);
        checked
    }

    fn key(setting: &Setting) -> &str {
        setting.key.strip_prefix("metric_").unwrap_or(&setting.key)
    }

    /// Unknown, too new and replaced settings and blocks.
    fn keys(&mut self) {
        let target = self.cx.target;
        let keys = metric_keys(target);
        for setting in self.section.settings() {
            let key = Self::key(setting);
            let at = setting.key_at.clone();
            if let Some((_, since)) = keys.iter().find(|(k, _)| *k == key) {
                if *since > target {
                    self.cx.sink.error(
                        Rule::NotInTarget,
                        at,
                        format!("metric setting `{key}` first appears in Dovecot {since}, after the target {target}"),
                        Some(format!("remove it, or upgrade to Dovecot {since} or later")),
                    );
                }
                continue;
            }
            match key {
                "filter" => self.cx.sink.error(
                    Rule::NotInTarget,
                    at,
                    format!("`filter = …` is the filter language of Dovecot {UNIFIED} and later, not {target}"),
                    Some("before 2.3.12 select events with `event_name = …`, `categories = …` and a `filter { FIELD = VALUE }` block".to_owned()),
                ),
                "event_name" | "source_location" | "categories" => {
                    let fix = self.converted_filter();
                    self.cx.sink.error(
                        Rule::Removed,
                        at,
                        format!("metric setting `{key}` was replaced by `filter` in Dovecot {UNIFIED}"),
                        Some(format!("write `filter = {fix}`")),
                    );
                }
                _ => {
                    let fix = suggest(key, keys.iter().map(|(k, _)| *k));
                    self.cx.sink.error(
                        Rule::UnknownSetting,
                        at,
                        format!("`{key}` is not a setting of a metric block in Dovecot {target}"),
                        fix,
                    );
                }
            }
        }
        for block in self.section.sections() {
            let kind = block.kind.strip_prefix("metric_").unwrap_or(&block.kind);
            match kind {
                "filter" if target < UNIFIED => {}
                "filter" => {
                    let fix = self.converted_filter();
                    self.cx.sink.error(
                        Rule::Removed,
                        block.at.clone(),
                        format!("`filter {{ }}` blocks were replaced by the `filter` expression in Dovecot {UNIFIED}"),
                        Some(format!("write `filter = {fix}`")),
                    );
                }
                // 2.4 boolean lists may also be written as blocks.
                "group_by" | "fields" | "exporter_include" if target >= V2_4 => {}
                "group_by" => self.cx.sink.error(
                    Rule::NotInTarget,
                    block.at.clone(),
                    format!(
                        "`group_by FIELD {{ }}` blocks are Dovecot {V2_4} syntax, not {target}"
                    ),
                    Some(format!(
                        "write `group_by = {}` (all fields in one setting)",
                        super::group_by::word_for(block)
                    )),
                ),
                _ => self.cx.sink.error(
                    Rule::UnknownSetting,
                    block.at.clone(),
                    format!("`{kind} {{ }}` is not a block of a metric"),
                    None,
                ),
            }
        }
    }

    /// The 2.3.12+ equivalent of the old selection settings.
    fn converted_filter(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.section.setting("event_name") {
            parts.push(format!("event={}", s.value.string()));
        }
        if let Some(s) = self.section.setting("source_location") {
            parts.push(format!("source_location={}", s.value.string()));
        }
        if let Some(s) = self.section.setting("categories") {
            parts.extend(
                s.value
                    .words()
                    .into_iter()
                    .map(|(w, _)| format!("category={w}")),
            );
        }
        for block in self.section.sections().filter(|b| b.kind == "filter") {
            for s in block.settings() {
                parts.push(format!("{}={}", s.key, quote_value(&s.value.string())));
            }
        }
        if parts.is_empty() {
            "event=NAME".to_owned()
        } else {
            parts.join(" AND ")
        }
    }

    /// The 2.3.12+ `filter` setting.
    fn filter(&mut self) -> (Events<'m>, bool) {
        let Some(setting) = self
            .section
            .settings()
            .filter(|s| Self::key(s) == "filter")
            .last()
        else {
            let legacy = ["event_name", "source_location", "categories"]
                .iter()
                .any(|k| self.section.setting(k).is_some())
                || self.section.sections().any(|b| b.kind == "filter");
            if legacy {
                // `keys()` already explained the replacement.
                return (None, false);
            }
            let fix = "event=NAME";
            self.cx.sink.error(
                Rule::MissingFilter,
                self.section.at.clone(),
                format!(
                    "metric `{}` has no filter, so Dovecot refuses it",
                    self.name
                ),
                Some(format!("add `filter = {fix}`")),
            );
            return (None, false);
        };
        if setting.kind == ValueKind::Variable {
            return (None, false);
        }
        if setting.value.chars.iter().all(|c| c.is_whitespace()) {
            self.cx.sink.error(
                Rule::MissingFilter,
                setting.key_at.clone(),
                format!(
                    "metric `{}` has an empty filter, which Dovecot refuses",
                    self.name
                ),
                Some("write `filter = event=NAME`".to_owned()),
            );
            return (None, true);
        }
        match parse_filter(self.cx, &setting.value, false) {
            Some(expr) => (self.cx.filter(&expr), true),
            None => (None, true),
        }
    }

    /// The pre-2.3.12 selection settings as one ANDed expression.
    fn legacy_filter(&mut self) -> Events<'m> {
        let mut parts = Vec::new();
        let cmp = |key: &str, value: String, key_at: Location, value_at: Location| {
            Expr::Cmp(Cmp {
                key: key.to_owned(),
                key_at,
                op: Op::Eq,
                value,
                value_at,
            })
        };
        if let Some(s) = self.section.setting("event_name") {
            let value = s.value.string();
            if !value.is_empty() {
                parts.push(cmp("event", value, s.key_at.clone(), s.value.location(0)));
            }
        }
        if let Some(s) = self.section.setting("categories") {
            for (word, at) in s.value.words() {
                parts.push(cmp(
                    "category",
                    word,
                    s.key_at.clone(),
                    s.value.location(at),
                ));
            }
        }
        if let Some(s) = self.section.setting("source_location") {
            let value = s.value.string();
            let line_ok = value
                .split_once(':')
                .is_some_and(|(_, line)| line.parse::<u32>().is_ok_and(|n| n > 0));
            if !line_ok {
                self.cx.sink.error(
                    Rule::FilterSyntax,
                    s.value.location(0),
                    "`source_location` needs `FILE:LINE` with a line number above 0",
                    None,
                );
            }
        }
        for block in self.section.sections().filter(|b| b.kind == "filter") {
            for s in block.settings() {
                parts.push(cmp(
                    &s.key,
                    s.value.string(),
                    s.key_at.clone(),
                    s.value.location(0),
                ));
            }
        }
        let expr = parts
            .into_iter()
            .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))?;
        self.cx.filter(&expr)
    }

    /// `fields = a b c`: each must be a field of the filtered events.
    fn fields(&mut self, events: Option<&BTreeSet<&'m str>>) {
        let Some(setting) = self
            .section
            .settings()
            .filter(|s| Self::key(s) == "fields")
            .last()
        else {
            return;
        };
        for (word, at) in setting.value.words() {
            self.cx.field(&word, &setting.value.location(at), events);
        }
    }

    fn exporter(&mut self, exporters: &BTreeMap<&str, &Section>) {
        if let Some(setting) = self
            .section
            .settings()
            .filter(|s| Self::key(s) == "exporter")
            .last()
        {
            let name = setting.value.string();
            if !name.is_empty() && !exporters.contains_key(name.as_str()) {
                self.cx.sink.error(
                    Rule::UnknownExporter,
                    setting.value.location(0),
                    format!(
                        "metric `{}` refers to event_exporter `{name}`, which is not defined",
                        self.name
                    ),
                    suggest(&name, exporters.keys().copied())
                        .or_else(|| Some(format!("add an `event_exporter {name} {{ … }}` block"))),
                );
            }
        }
        if let Some(setting) = self
            .section
            .settings()
            .filter(|s| Self::key(s) == "exporter_include")
            .last()
        {
            for (word, at) in setting.value.words() {
                if !INCLUDE_PARTS.contains(&word.as_str()) {
                    self.cx.sink.warning(
                        Rule::UnknownSetting,
                        setting.value.location(at),
                        format!("Dovecot ignores the unknown exporter_include part `{word}`"),
                        suggest(&word, INCLUDE_PARTS).or_else(|| {
                            Some(format!("use some of `{}`", INCLUDE_PARTS.join("`, `")))
                        }),
                    );
                }
            }
        }
    }

    fn group_by(&mut self, events: Option<&BTreeSet<&'m str>>) {
        if let Some(setting) = self
            .section
            .settings()
            .filter(|s| Self::key(s) == "group_by")
            .last()
        {
            for (word, at) in setting.value.words() {
                self.group_by_word(&word, &setting.value, at, events);
            }
        }
        if self.cx.target >= V2_4 {
            let blocks: Vec<&Section> = self
                .section
                .sections()
                .filter(|b| b.kind.strip_prefix("metric_").unwrap_or(&b.kind) == "group_by")
                .collect();
            for block in blocks {
                super::group_by::block(self.cx, block, events);
            }
        }
    }

    /// One word of a `group_by` string.
    fn group_by_word(
        &mut self,
        word: &str,
        text: &Text,
        at: usize,
        events: Option<&BTreeSet<&'m str>>,
    ) {
        let target = self.cx.target;
        let location = text.location(at);
        let mut parts = word.split(':');
        let field = parts.next().unwrap_or_default();
        let func = parts.next();
        let args: Vec<&str> = parts.collect();
        if target >= V2_4 {
            if let Some(func) = func {
                let fix = if matches!(func, "exponential" | "linear") && args.len() == 3 {
                    super::group_by::block_for(field, func, &args)
                } else {
                    format!("group_by {field} {{ }}")
                };
                self.cx.sink.error(
                    Rule::InvalidGroupBy,
                    location,
                    format!("Dovecot {target} reads `{word}` as one field name: `FIELD:{func}` is 2.3 syntax"),
                    Some(format!("write `{fix}`, one setting per line")),
                );
                return;
            }
        } else if let Some(func) = func {
            let func_at = text.location(at + field.chars().count() + 1);
            if let Err(message) = check_function(func, &args) {
                self.cx
                    .sink
                    .error(Rule::InvalidGroupBy, func_at, message, None);
                return;
            }
            if func != "discrete" && target < AGGREGATION {
                self.cx.sink.error(
                    Rule::NotInTarget,
                    func_at,
                    format!("group_by function `{func}` first appears in Dovecot {AGGREGATION}, after the target {target}"),
                    Some(format!("group by the plain field, or upgrade to Dovecot {AGGREGATION} or later")),
                );
                return;
            }
        }
        let quantized = matches!(func, Some("exponential" | "linear"));
        self.group_by_field(
            field,
            &location,
            events,
            quantized.then(|| func.unwrap_or_default()),
        );
    }

    fn group_by_field(
        &mut self,
        field: &str,
        at: &Location,
        events: Option<&BTreeSet<&'m str>>,
        quantized: Option<&str>,
    ) {
        group_by_field(self.cx, field, at, events, quantized);
    }
}

/// Checks a `group_by` field; `quantized` names the method when it needs
/// numbers.
pub(crate) fn group_by_field<'m>(
    cx: &mut Cx<'m, '_>,
    field: &str,
    at: &Location,
    events: Option<&BTreeSet<&'m str>>,
    quantized: Option<&str>,
) {
    let Some(defs) = cx.field(field, at, events) else {
        return;
    };
    let Some(method) = quantized else {
        return;
    };
    let types: BTreeSet<FieldType> = defs.iter().map(|f| f.type_at(cx.target)).collect();
    if !types.contains(&FieldType::Integer) {
        let ty = types.iter().next().copied().unwrap_or(FieldType::String);
        cx.sink.error(
            Rule::NonNumericAggregation,
            at.clone(),
            format!(
                "`{method}` groups numbers into ranges, but `{field}` is {}",
                type_name(ty)
            ),
            Some(format!("group by `{field}` without a method (discrete), or pick a numeric field such as `duration`")),
        );
    }
}

/// Dovecot 2.3's checks of `FIELD:FUNCTION:ARGS`.
fn check_function(func: &str, args: &[&str]) -> Result<(), String> {
    match func {
        "discrete" if args.is_empty() => Ok(()),
        "discrete" => Err("group_by function `discrete` takes no arguments".to_owned()),
        "exponential" | "linear" => {
            let numbers: Vec<i64> = args.iter().filter_map(|a| a.parse().ok()).collect();
            if args.len() != 3 || numbers.len() != 3 {
                let shape = if func == "exponential" {
                    "MIN:MAX:BASE"
                } else {
                    "MIN:MAX:STEP"
                };
                return Err(format!(
                    "group_by function `{func}` takes three whole numbers, `{func}:{shape}`"
                ));
            }
            let (min, max, other) = (numbers[0], numbers[1], numbers[2]);
            if min < 0 || max < 0 || other < 0 {
                return Err(format!(
                    "the arguments of group_by function `{func}` must be 0 or more"
                ));
            }
            if min >= max {
                return Err(format!(
                    "group_by function `{func}` needs MIN < MAX ({min} is not below {max})"
                ));
            }
            if func == "exponential" && other != 2 && other != 10 {
                return Err(format!(
                    "the base of group_by function `exponential` must be 2 or 10, not {other}"
                ));
            }
            if func == "linear" && min + other > max {
                return Err(format!(
                    "group_by function `linear` needs MIN + STEP <= MAX ({} is above {max})",
                    min + other
                ));
            }
            Ok(())
        }
        _ => Err(format!(
            "unknown group_by function `{func}`{}",
            suggest(func, ["discrete", "exponential", "linear"])
                .map_or_else(String::new, |s| format!("; {s}"))
        )),
    }
}

/// A filter value, quoted when the unquoted form would not lex.
fn quote_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '*' | '_' | '-'));
    if plain {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
