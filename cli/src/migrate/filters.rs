//! Event filters to the target release: renamed events and fields, the
//! pre-2.3.12 global syntax to the unified language, and parentheses
//! where `NOT` changed precedence (2.3.14).

use std::collections::BTreeSet;

use super::edit::Edit;
use super::renames::{self, Fate};
use super::{Migrator, quote_value};
use crate::lint::checks::filter::{Cx, dialect};
use crate::lint::checks::names::{all_field_names, has_wildcards};
use crate::lint::facts::{NOT_BINDS_TIGHT, units_and_escapes};
use crate::lint::report::Sink;
use crate::lint::syntax::filter::{self, Cmp, Expr, Op};
use crate::lint::syntax::legacy;
use crate::lint::syntax::text::Text;
use dovecot_events_codegen::diag::did_you_mean;

/// What a filter selects, and what could not be migrated in it.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The events it names, before and after their renames; `None` when it
    /// names none.
    pub(crate) events: Option<BTreeSet<String>>,
    /// Why parts of it could not be migrated.
    pub(crate) gone: Vec<String>,
}

fn cmps<'e>(expr: &'e Expr, out: &mut Vec<&'e Cmp>) {
    match expr {
        Expr::Cmp(c) => out.push(c),
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| cmps(e, out)),
        Expr::Not(inner) => cmps(inner, out),
    }
}

/// Renders an expression in the unified language, every compound operand
/// in parentheses.
fn render(expr: &Expr, rename: &dyn Fn(&Cmp) -> (String, String)) -> String {
    let operand = |e: &Expr| match e {
        Expr::Cmp(_) => render(e, rename),
        _ => format!("({})", render(e, rename)),
    };
    match expr {
        Expr::Cmp(c) => {
            let (key, value) = rename(c);
            format!("{key}{}{}", c.op.as_str(), quote_value(&value))
        }
        Expr::And(items) => items.iter().map(operand).collect::<Vec<_>>().join(" AND "),
        Expr::Or(items) => items.iter().map(operand).collect::<Vec<_>>().join(" OR "),
        Expr::Not(inner) => format!("NOT {}", operand(inner)),
    }
}

impl Migrator<'_> {
    /// The successor text of a name token as written (quotes kept).
    fn token(text: &Text, span: (usize, usize), new: &str) -> String {
        if text.chars.get(span.0) == Some(&'"') {
            format!("\"{}\"", new.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            new.to_owned()
        }
    }

    /// The event a name means in the target; in fix mode also an unknown
    /// name's only suggestion.
    pub(crate) fn event_fate(&self, name: &str) -> Fate {
        let fate = renames::event(self.model, name, self.to);
        if fate != Fate::Keep || !self.options.fix || self.model.events.contains_key(name) {
            return fate;
        }
        let names = || self.model.events.keys().map(String::as_str);
        names()
            .find(|n| n.eq_ignore_ascii_case(name))
            .or_else(|| did_you_mean(name, names()))
            .map_or(Fate::Keep, |n| Fate::Rename(n.to_owned()))
    }

    /// The field a name means on `events` in the target; in fix mode also an
    /// unknown name's only suggestion.
    pub(crate) fn field_fate(&self, events: Option<&BTreeSet<String>>, name: &str) -> Fate {
        let fate = renames::field(self.model, events, name, self.to);
        if fate != Fate::Keep || !self.options.fix || all_field_names(self.model).contains(name) {
            return fate;
        }
        let theirs: BTreeSet<&str> = events
            .into_iter()
            .flatten()
            .filter_map(|e| self.model.events.get(e))
            .flat_map(|e| e.fields.iter())
            .filter(|f| !f.pattern)
            .map(|f| f.name.as_str())
            .collect();
        did_you_mean(name, theirs.iter().copied())
            .map_or(Fate::Keep, |n| Fate::Rename(n.to_owned()))
    }

    /// Migrates one filter value written for `from`.
    pub(crate) fn filter(&mut self, text: &Text, legacy_global: bool) -> Outcome {
        let parsed = if legacy_global {
            legacy::parse_global(text)
        } else {
            filter::parse(text, dialect(self.from))
        };
        let expr = match parsed {
            Ok(Some(expr)) => expr,
            Ok(None) => return Outcome::default(),
            Err(e) => {
                return Outcome {
                    events: None,
                    gone: vec![format!("malformed filter: {}", e.message)],
                };
            }
        };
        let mut scratch = Sink::new();
        let mut cx = Cx {
            model: self.model,
            target: self.from,
            sink: &mut scratch,
        };
        let mut events: Option<BTreeSet<String>> = cx
            .filter(&expr)
            .map(|set| set.into_iter().map(str::to_owned).collect());
        let mut list = Vec::new();
        cmps(&expr, &mut list);
        let escapes = units_and_escapes(self.from);
        // Event renames first: fields are looked up on the new events too.
        let mut renamed_events = Vec::new();
        for c in &list {
            if c.key == "event"
                && !has_wildcards(&c.value, escapes)
                && let Fate::Rename(new) = self.event_fate(&c.value)
            {
                // An unknown name (fixed in fix mode) selected nothing the
                // lint could use; its fix does.
                let set = events.get_or_insert_with(BTreeSet::new);
                set.insert(c.value.clone());
                set.insert(new.clone());
                renamed_events.push((*c, new));
            }
        }
        let mut outcome = Outcome {
            events: events.clone(),
            gone: Vec::new(),
        };
        let mut new_names: Vec<(&Cmp, Option<String>, Option<String>)> = Vec::new();
        for c in &list {
            match c.key.as_str() {
                "event" => {
                    if let Some((_, new)) =
                        renamed_events.iter().find(|(r, _)| std::ptr::eq(*r, *c))
                    {
                        new_names.push((c, None, Some(new.clone())));
                    } else if !has_wildcards(&c.value, escapes)
                        && let Fate::Gone(reason) = self.event_fate(&c.value)
                    {
                        outcome.gone.push(reason);
                    }
                }
                "category" | "source_location" => {}
                key => match self.field_fate(events.as_ref(), key) {
                    Fate::Keep => {}
                    Fate::Rename(new) => new_names.push((c, Some(new), None)),
                    Fate::Gone(reason) => outcome.gone.push(reason),
                },
            }
        }
        if legacy_global && self.to >= crate::lint::facts::UNIFIED {
            let rename = |c: &Cmp| {
                let found = new_names.iter().find(|(r, _, _)| std::ptr::eq(*r, c));
                let key = found
                    .and_then(|(_, k, _)| k.clone())
                    .unwrap_or_else(|| c.key.clone());
                let value = found
                    .and_then(|(_, _, v)| v.clone())
                    .unwrap_or_else(|| c.value.clone());
                (key, value)
            };
            let unified = render(&expr, &rename);
            match Edit::in_text(text, (0, text.chars.len()), &unified) {
                Some(edit) => self.edits.push(edit),
                None => outcome.gone.push(
                    "this pre-2.3.12 filter is continued over lines; rewrite it by hand".to_owned(),
                ),
            }
            return outcome;
        }
        for (c, key, value) in &new_names {
            if let Some(key) = key
                && let Some(edit) =
                    Edit::in_text(text, c.key_span, &Self::token(text, c.key_span, key))
            {
                self.edits.push(edit);
            }
            if let Some(value) = value
                && let Some(edit) =
                    Edit::in_text(text, c.value_span, &Self::token(text, c.value_span, value))
            {
                self.edits.push(edit);
            }
        }
        if self.from < NOT_BINDS_TIGHT && self.to >= NOT_BINDS_TIGHT {
            self.group_nots(text, &expr);
        }
        outcome
    }

    /// Before 2.3.14 `NOT a AND b` meant `NOT (a AND b)`: write it so.
    fn group_nots(&mut self, text: &Text, expr: &Expr) {
        match expr {
            Expr::Cmp(_) => {}
            Expr::And(items) | Expr::Or(items) => {
                items.iter().for_each(|e| self.group_nots(text, e))
            }
            Expr::Not(inner) => {
                if matches!(**inner, Expr::And(_) | Expr::Or(_)) {
                    let mut list = Vec::new();
                    cmps(inner, &mut list);
                    if let (Some(first), Some(last)) = (list.first(), list.last()) {
                        let open =
                            Edit::in_text(text, (first.key_span.0, first.key_span.0 + 1), "");
                        let close =
                            Edit::in_text(text, (last.value_span.1 - 1, last.value_span.1), "");
                        if let (Some(mut open), Some(mut close)) = (open, close) {
                            open.end = open.start;
                            open.text = "(".to_owned();
                            close.start = close.end;
                            close.text = ")".to_owned();
                            self.edits.push(open);
                            self.edits.push(close);
                        }
                    }
                }
                self.group_nots(text, inner);
            }
        }
    }
}

/// `key=value` for a converted pre-2.3.12 selection.
pub(crate) fn comparison(key: &str, value: &str) -> String {
    format!("{key}{}{}", Op::Eq.as_str(), quote_value(value))
}
