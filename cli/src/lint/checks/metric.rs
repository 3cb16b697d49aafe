//! One `metric` block: its settings for the target release, its filter
//! (the unified expression or the pre-2.3.12 selection settings), the
//! fields it lists, its `group_by` and its exporter.

use std::collections::{BTreeMap, BTreeSet};

use super::super::facts::{
    AGGREGATION, INCLUDE_PARTS, LEGACY_SELECTORS, UNIFIED, V2_4, metric_keys,
};
use super::super::report::Rule;
use super::super::syntax::config::{Section, Setting, ValueKind};
use super::super::syntax::filter::{Cmp, Expr, Op};
use super::super::syntax::text::Text;
use super::filter::{Cx, Events};
use super::group_by::{self, group_by_field};
use super::names::suggest;
use super::parse_filter;
use dovecot_events_codegen::diag::Location;

/// Checks one metric; true when it had a filter to check.
pub(crate) fn check(
    cx: &mut Cx<'_, '_>,
    section: &Section,
    exporters: &BTreeMap<&str, &Section>,
) -> bool {
    Metric::check(cx, section, exporters)
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
                        group_by::word_for(block)
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
            let legacy = LEGACY_SELECTORS
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
                // Put together from several settings: no one text.
                key_span: (0, 0),
                value_span: (0, 0),
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
        let expr = parts.into_iter().reduce(|a, b| Expr::join(a, true, b))?;
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
                group_by::block(self.cx, block, events);
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
                    group_by::block_for(field, func, &args)
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
