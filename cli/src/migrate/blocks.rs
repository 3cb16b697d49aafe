//! `metric` and `event_exporter` blocks to the target release: the
//! pre-2.3.12 selection settings to one `filter`, renamed fields in
//! `fields` and `group_by`, 2.3 `group_by` words to 2.4 blocks, and 2.3
//! exporter settings to their 2.4 forms.

use std::collections::BTreeSet;

use super::Migrator;
use super::edit::{Edit, setting_lines};
use super::filters::comparison;
use super::renames::Fate;
use crate::lint::facts::{LEGACY_SELECTORS, UNIFIED, V2_4, exporter_setting_2_4, method_keys};
use crate::lint::syntax::config::{Section, Setting, ValueKind};

fn key(setting: &Setting) -> &str {
    setting.key.strip_prefix("metric_").unwrap_or(&setting.key)
}

fn last<'s>(section: &'s Section, name: &str) -> Option<&'s Setting> {
    section.settings().filter(|s| key(s) == name).last()
}

impl Migrator<'_> {
    /// One `metric` block.
    pub(crate) fn metric(&mut self, section: &Section) {
        let legacy = LEGACY_SELECTORS
            .iter()
            .any(|k| section.setting(k).is_some())
            || section.sections().any(|b| b.kind == "filter");
        let events = if self.from < UNIFIED && legacy {
            self.legacy_selection(section)
        } else if let Some(setting) =
            last(section, "filter").filter(|s| s.kind != ValueKind::Variable)
        {
            let outcome = self.filter(&setting.value, false);
            for reason in outcome.gone {
                self.unmigratable(setting, reason);
            }
            outcome.events
        } else {
            None
        };
        if let Some(setting) = last(section, "fields") {
            for (word, at) in setting.value.words() {
                let span = (at, at + word.chars().count());
                self.rename_word(setting, events.as_ref(), &word, span);
            }
        }
        self.group_by(section, events.as_ref());
    }

    /// Renames one field name written at `span` of a setting's value.
    fn rename_word(
        &mut self,
        setting: &Setting,
        events: Option<&BTreeSet<String>>,
        field: &str,
        span: (usize, usize),
    ) {
        match self.field_fate(events, field) {
            Fate::Keep => {}
            Fate::Rename(new) => {
                if let Some(edit) = Edit::in_text(&setting.value, span, &new) {
                    self.edits.push(edit);
                }
            }
            Fate::Gone(reason) => self.note(setting.value.location(span.0), reason, false),
        }
    }

    fn renamed(&self, events: Option<&BTreeSet<String>>, field: &str) -> String {
        match self.field_fate(events, field) {
            Fate::Rename(new) => new,
            _ => field.to_owned(),
        }
    }

    fn group_by(&mut self, section: &Section, events: Option<&BTreeSet<String>>) {
        let Some(setting) = last(section, "group_by") else {
            for block in section.sections().filter(|b| b.kind.ends_with("group_by")) {
                let (Some(name), Fate::Rename(new)) = (
                    block.name.as_deref(),
                    block
                        .name
                        .as_deref()
                        .map_or(Fate::Keep, |n| self.field_fate(events, n)),
                ) else {
                    continue;
                };
                let at = &block.name_at;
                self.edits.push(Edit {
                    file: at.file.clone(),
                    start: (at.line, at.column),
                    end: (at.line, at.column + name.chars().count()),
                    text: new,
                });
            }
            return;
        };
        // `lint --fix` for a 2.4 target also converts 2.3 functions, which
        // 2.4 would read as part of the field name.
        let fix_words = self.options.fix && setting.value.chars.contains(&':');
        if (self.from >= V2_4 && !fix_words) || self.to < V2_4 {
            for (word, at) in setting.value.words() {
                let field = word.split(':').next().unwrap_or_default().to_owned();
                let span = (at, at + field.chars().count());
                self.rename_word(setting, events, &field, span);
            }
            return;
        }
        // 2.3 words to 2.4 blocks, in the same order.
        let (pad, unit) = self.indent(&setting.key_at.file, setting.key_at.line);
        let mut text = String::new();
        for (word, _) in setting.value.words() {
            let mut parts = word.split(':');
            let field = self.renamed(events, parts.next().unwrap_or_default());
            let func = parts.next().unwrap_or("discrete");
            let args: Vec<&str> = parts.collect();
            text.push_str(&format!("{pad}group_by {field} {{\n"));
            if func != "discrete" {
                text.push_str(&format!("{pad}{unit}method {func} {{\n"));
                for (k, v) in method_keys(func).iter().zip(&args) {
                    text.push_str(&format!("{pad}{unit}{unit}{k} = {v}\n"));
                }
                text.push_str(&format!("{pad}{unit}}}\n"));
            }
            text.push_str(&format!("{pad}}}\n"));
        }
        let (file, first, last) = setting_lines(setting);
        self.edits.push(Edit::lines(file, first, last, text));
    }

    /// The pre-2.3.12 `event_name`, `categories`, `source_location` and
    /// `filter { }` of a metric as one `filter` setting (from 2.3.12 on), or
    /// with the event renamed (within the old syntax).
    fn legacy_selection(&mut self, section: &Section) -> Option<BTreeSet<String>> {
        let mut events = BTreeSet::new();
        let mut parts = Vec::new();
        if let Some(s) = section.setting("event_name") {
            let name = s.value.string();
            events.insert(name.clone());
            let new = match self.event_fate(&name) {
                Fate::Rename(new) => {
                    events.insert(new.clone());
                    new
                }
                Fate::Gone(reason) => {
                    self.unmigratable(s, reason);
                    name.clone()
                }
                Fate::Keep => name.clone(),
            };
            if self.to < UNIFIED
                && new != name
                && let Some(edit) = Edit::in_text(&s.value, (0, s.value.chars.len()), &new)
            {
                self.edits.push(edit);
            }
            parts.push(comparison("event", &new));
        }
        if self.to < UNIFIED {
            return Some(events);
        }
        if let Some(s) = section.setting("source_location") {
            parts.push(comparison("source_location", &s.value.string()));
        }
        if let Some(s) = section.setting("categories") {
            parts.extend(
                s.value
                    .words()
                    .into_iter()
                    .map(|(w, _)| comparison("category", &w)),
            );
        }
        let events = Some(events);
        for block in section.sections().filter(|b| b.kind == "filter") {
            for s in block.settings() {
                let field = self.renamed(events.as_ref(), &s.key);
                parts.push(comparison(&field, &s.value.string()));
            }
        }
        // The first selection line becomes the filter; the others go.
        let mut lines: Vec<(std::sync::Arc<str>, usize, usize, String)> = Vec::new();
        for name in LEGACY_SELECTORS {
            if let Some(s) = section.setting(name) {
                let (file, first, last) = setting_lines(s);
                let (pad, _) = self.indent(&file, first);
                lines.push((file, first, last, pad));
            }
        }
        for block in section.sections().filter(|b| b.kind == "filter") {
            let (pad, _) = self.indent(&block.at.file, block.at.line);
            lines.push((block.at.file.clone(), block.at.line, block.end_at.line, pad));
        }
        lines.sort_by_key(|(_, first, _, _)| *first);
        for (i, (file, first, last, pad)) in lines.into_iter().enumerate() {
            let text = if i == 0 {
                format!("{pad}filter = {}\n", parts.join(" AND "))
            } else {
                String::new()
            };
            self.edits.push(Edit::lines(file, first, last, text));
        }
        events
    }

    /// One `event_exporter` block.
    pub(crate) fn exporter(&mut self, section: &Section) {
        // `lint --fix` for a 2.4 target also converts 2.3 settings left in
        // the block; 2.4 settings have no conversion and stay.
        if (self.from >= V2_4 && !self.options.fix) || self.to < V2_4 {
            return;
        }
        let transport = section.setting("transport").map(|s| s.value.string());
        for setting in section.settings() {
            let value = setting.value.string();
            let old = setting.key.as_str();
            match exporter_setting_2_4(old, &value, transport.as_deref()) {
                Some((new, _)) if new == old => {}
                Some((new, new_value)) => {
                    let (file, first, last) = setting_lines(setting);
                    let (pad, _) = self.indent(&file, first);
                    let text = format!("{pad}{new} = {new_value}\n");
                    self.edits.push(Edit::lines(file, first, last, text));
                }
                None if old == "transport_args" && value.is_empty() => {
                    let (file, first, last) = setting_lines(setting);
                    self.edits
                        .push(Edit::lines(file, first, last, String::new()));
                }
                None if old == "transport_args" => self.unmigratable(
                    setting,
                    format!(
                        "the `{}` transport has no arguments in Dovecot {V2_4}",
                        transport.as_deref().unwrap_or("default")
                    ),
                ),
                None => {}
            }
        }
    }
}
