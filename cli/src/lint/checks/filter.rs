//! Checks a parsed filter, and the field names a metric lists, against the
//! model for one target release.
//!
//! A field comparison is judged against the events its filter selects: the
//! `event=` comparisons ANDed with it (through any depth of parentheses,
//! `event=a OR event=b` counting as either). Dovecot looks a field up on
//! the event and then on its parents, so a field of a mail user's session
//! (`user`, `session`, …) and the global fields are accepted on any event.

use std::collections::BTreeSet;

use super::super::facts::{
    LOG_TYPES, NOT_BINDS_TIGHT, QUESTION_IN_TOKENS, V2_4, units_and_escapes,
};
use super::super::report::{Rule, Sink};
use super::super::syntax::filter::{self as syntax, Cmp, Dialect, Expr};
use super::super::syntax::legacy;
use super::super::syntax::text::Text;
use super::names::{
    Availability, all_field_names, ambient_field, availability, availability_problem, event_field,
    field_anywhere, has_wildcards, suggest, wildcard_match,
};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;
use dovecot_events_codegen::model::{EventModel, Field};

/// The filter language of release `target`.
pub(crate) fn dialect(target: Version) -> Dialect {
    Dialect {
        release: target,
        not_binds_tight: target >= NOT_BINDS_TIGHT,
        question_since: QUESTION_IN_TOKENS,
        slash_since: V2_4,
    }
}
/// Parses and checks a filter value; `None` when it is malformed, empty or
/// not final (variables).
pub(crate) fn parse_filter(cx: &mut Cx<'_, '_>, value: &Text, legacy_global: bool) -> Option<Expr> {
    let parsed = if legacy_global {
        legacy::parse_global(value)
    } else {
        syntax::parse(value, dialect(cx.target))
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

/// The events a part of a filter can match: `None` for any.
pub(crate) type Events<'m> = Option<BTreeSet<&'m str>>;

/// What the checks need.
pub(crate) struct Cx<'m, 's> {
    pub(crate) model: &'m EventModel,
    pub(crate) target: Version,
    pub(crate) sink: &'s mut Sink,
}

fn intersect<'m>(a: Events<'m>, b: Events<'m>) -> Events<'m> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.intersection(&b).copied().collect()),
    }
}

impl<'m> Cx<'m, '_> {
    pub(crate) fn escapes(&self) -> bool {
        units_and_escapes(self.target)
    }

    /// The known events an `event=` value names (`None` for `*` or an
    /// unknown name, which constrains nothing the lint can use).
    fn events_named(&self, value: &str) -> Events<'m> {
        if has_wildcards(value, self.escapes()) {
            if value.chars().all(|c| c == '*') {
                return None;
            }
            let matched: BTreeSet<&str> = self
                .model
                .events
                .keys()
                .filter(|name| wildcard_match(value, name, false, self.escapes()))
                .map(String::as_str)
                .collect();
            return (!matched.is_empty()).then_some(matched);
        }
        self.model
            .events
            .get_key_value(value)
            .map(|(name, _)| BTreeSet::from([name.as_str()]))
    }

    /// The events `expr` requires, without reporting anything.
    fn event_set(&self, expr: &Expr) -> Events<'m> {
        match expr {
            Expr::Cmp(c) if c.key == "event" => self.events_named(&c.value),
            Expr::Cmp(_) | Expr::Not(_) => None,
            Expr::And(items) => items
                .iter()
                .map(|e| self.event_set(e))
                .reduce(intersect)
                .flatten(),
            Expr::Or(items) => {
                let mut union = BTreeSet::new();
                for item in items {
                    union.extend(self.event_set(item)?);
                }
                Some(union)
            }
        }
    }

    /// Checks a whole filter; returns the events it selects.
    pub(crate) fn filter(&mut self, expr: &Expr) -> Events<'m> {
        let events = self.event_set(expr);
        self.walk(expr, events.as_ref());
        events.filter(|e| !e.is_empty())
    }

    fn walk(&mut self, expr: &Expr, ctx: Option<&BTreeSet<&'m str>>) {
        match expr {
            Expr::Cmp(c) => self.comparison(c, ctx),
            Expr::Or(items) => {
                for item in items {
                    self.walk(item, ctx);
                }
            }
            Expr::Not(a) => self.walk(a, ctx),
            Expr::And(items) => {
                // The run groups to the left: each operand is ANDed with
                // everything before it.
                let sets: Vec<Events<'m>> = items.iter().map(|e| self.event_set(e)).collect();
                let mut left = sets[0].clone();
                for (item, set) in items.iter().zip(&sets).skip(1) {
                    if let (Some(x), Some(y)) = (&left, set)
                        && !x.is_empty()
                        && !y.is_empty()
                        && x.is_disjoint(y)
                        && let Some(second) = first_event_cmp(item)
                    {
                        self.sink.warning(
                            Rule::NeverMatches,
                            second.key_at.clone(),
                            format!(
                                "an event cannot also be `{}` here: this AND never matches",
                                second.value
                            ),
                            Some("did you mean OR?".to_owned()),
                        );
                    }
                    left = intersect(left, set.clone());
                }
                let here = intersect(ctx.cloned(), left);
                for item in items {
                    self.walk(item, here.as_ref());
                }
            }
        }
    }

    fn comparison(&mut self, c: &Cmp, ctx: Option<&BTreeSet<&'m str>>) {
        match c.key.as_str() {
            "event" => self.event_value(c),
            "category" => self.category_value(c),
            "source_location" => {}
            _ => {
                let ctx = ctx.filter(|e| !e.is_empty());
                if let Some(defs) = self.field(&c.key, &c.key_at, ctx) {
                    self.field_comparison(c, &defs);
                }
            }
        }
    }

    fn event_value(&mut self, c: &Cmp) {
        let value = c.value.as_str();
        let at = c.value_at.clone();
        let target = self.target;
        if has_wildcards(value, self.escapes()) {
            let Some(matched) = self.events_named(value) else {
                if !value.chars().all(|ch| ch == '*') {
                    self.sink.warning(
                        Rule::WildcardMatchesNothing,
                        at,
                        format!("`{value}` matches no event"),
                        Some(
                            "check the pattern; event names are matched case-sensitively"
                                .to_owned(),
                        ),
                    );
                }
                return;
            };
            let sent: Vec<&str> = matched
                .iter()
                .filter(|name| {
                    let e = &self.model.events[**name];
                    availability(e.lifetime.since, e.lifetime.removed, None, target)
                        == Availability::Yes
                })
                .copied()
                .collect();
            if sent.is_empty() {
                let list: Vec<&str> = matched.iter().copied().take(5).collect();
                self.sink.warning(
                    Rule::WildcardMatchesNothing,
                    at,
                    format!(
                        "`{value}` matches only events Dovecot {target} does not send (`{}`)",
                        list.join("`, `")
                    ),
                    None,
                );
            }
            return;
        }
        let Some(event) = self.model.events.get(value) else {
            let fix = self
                .model
                .events
                .keys()
                .find(|name| name.eq_ignore_ascii_case(value))
                .map(|name| format!("event names are case-sensitive: use `event={name}`"))
                .or_else(|| suggest(value, self.model.events.keys().map(String::as_str)));
            self.sink.error(
                Rule::UnknownEvent,
                at,
                format!("unknown event `{value}`"),
                fix,
            );
            return;
        };
        let available = availability(
            event.lifetime.since,
            event.lifetime.removed,
            event.renamed_to.as_deref(),
            target,
        );
        if let Some((message, fix)) =
            availability_problem(&format!("event `{value}`"), &available, target, |new| {
                format!("event={new}")
            })
        {
            let rule = match available {
                Availability::NotYet(_) => Rule::NotInTarget,
                _ => Rule::Removed,
            };
            self.sink.error(rule, at, message, fix);
            return;
        }
        if !event.emitted {
            self.sink.warning(
                Rule::NeverEmitted,
                at.clone(),
                format!("Dovecot documents event `{value}` but never sends it"),
                event
                    .renamed_to
                    .as_ref()
                    .map(|new| format!("use `event={new}`")),
            );
        }
        if let Some(deprecated) = event.lifetime.deprecated.filter(|d| *d <= target) {
            self.sink.warning(
                Rule::Deprecated,
                at,
                format!("event `{value}` is deprecated since Dovecot {deprecated}"),
                event
                    .renamed_to
                    .as_ref()
                    .map(|new| format!("use `event={new}`")),
            );
        }
    }

    fn category_value(&mut self, c: &Cmp) {
        let value = c.value.as_str();
        let at = c.value_at.clone();
        if LOG_TYPES.contains(&value) {
            return;
        }
        if has_wildcards(value, false) {
            self.sink.error(
                Rule::ValueNeverMatches,
                at,
                format!("categories are matched by exact name, so `{value}` never matches"),
                Some("name each category, joined with OR".to_owned()),
            );
            return;
        }
        if let Some(category) = self.model.categories.get(value) {
            let target = self.target;
            let available = availability(
                category.lifetime.since,
                category.lifetime.removed,
                None,
                target,
            );
            if let Some((message, fix)) = availability_problem(
                &format!("category `{value}`"),
                &available,
                target,
                str::to_owned,
            ) {
                let rule = match available {
                    Availability::NotYet(_) => Rule::NotInTarget,
                    _ => Rule::Removed,
                };
                // Categories carry no `renamed_to`; a close name that exists
                // in the target is most likely the new spelling.
                let current = self.model.categories.iter().filter(|(name, c)| {
                    *name != value
                        && availability(c.lifetime.since, c.lifetime.removed, None, target)
                            == Availability::Yes
                });
                let fix = suggest(value, current.map(|(name, _)| name.as_str())).or(fix);
                self.sink.error(rule, at, message, fix);
            }
            return;
        }
        let pattern_match = self
            .model
            .categories
            .keys()
            .any(|name| name.contains('*') && wildcard_match(name, value, false, false));
        if pattern_match {
            return;
        }
        let plain = || {
            self.model
                .categories
                .keys()
                .filter(|n| !n.contains('*'))
                .map(String::as_str)
                .chain(LOG_TYPES)
        };
        let fix = plain()
            .find(|n| n.eq_ignore_ascii_case(value))
            .map(|n| format!("category names are case-sensitive: use `category={n}`"))
            .or_else(|| suggest(value, plain()));
        self.sink.error(
            Rule::UnknownCategory,
            at,
            format!("unknown category `{value}`"),
            fix,
        );
    }

    /// Resolves a field name used with the events `ctx`; reports unknown,
    /// uncarried and unavailable fields. Returns the definitions valid in
    /// the target, or `None` after a finding.
    pub(crate) fn field(
        &mut self,
        name: &str,
        at: &Location,
        ctx: Option<&BTreeSet<&'m str>>,
    ) -> Option<Vec<&'m Field>> {
        let model = self.model;
        let target = self.target;
        // (definition, whether its event exists in the target)
        let mut defs: Vec<(&Field, bool)> = Vec::new();
        match ctx {
            Some(events) => {
                for event in events.iter().map(|e| &model.events[*e]) {
                    if let Some(field) = event_field(event, name) {
                        let live = availability(
                            event.lifetime.since,
                            event.lifetime.removed,
                            None,
                            target,
                        ) == Availability::Yes;
                        defs.push((field, live));
                    }
                }
                if defs.is_empty() {
                    if let Some(field) = ambient_field(model, name) {
                        defs.push((field, true));
                    } else {
                        self.not_carried(name, at, events);
                        return None;
                    }
                }
            }
            None => {
                defs.extend(field_anywhere(model, name).into_iter().map(|f| (f, true)));
                if defs.is_empty() {
                    let fix = suggest(name, all_field_names(model));
                    self.sink.error(
                        Rule::UnknownField,
                        at.clone(),
                        format!("no event has a field `{name}`"),
                        fix,
                    );
                    return None;
                }
            }
        }
        let live: Vec<&Field> = defs.iter().filter(|(_, l)| *l).map(|(f, _)| *f).collect();
        if live.is_empty() {
            // The event itself is not in the target; that is reported there.
            return None;
        }
        let available: Vec<&Field> = live
            .iter()
            .copied()
            .filter(|f| {
                availability(f.lifetime.since, f.lifetime.removed, None, target)
                    == Availability::Yes
            })
            .collect();
        if !available.is_empty() {
            return Some(available);
        }
        // Prefer explaining a rename.
        let field = live
            .iter()
            .find(|f| f.renamed_to.is_some())
            .or_else(|| live.first())
            .copied()?;
        let state = availability(
            field.lifetime.since,
            field.lifetime.removed,
            field.renamed_to.as_deref(),
            target,
        );
        if let Some((message, fix)) =
            availability_problem(&format!("field `{name}`"), &state, target, str::to_owned)
        {
            let rule = match state {
                Availability::NotYet(_) => Rule::NotInTarget,
                _ => Rule::Removed,
            };
            self.sink.error(rule, at.clone(), message, fix);
        }
        None
    }

    fn not_carried(&mut self, name: &str, at: &Location, events: &BTreeSet<&'m str>) {
        let model = self.model;
        let shown: Vec<&str> = events.iter().copied().take(3).collect();
        let more = if events.len() > 3 { ", …" } else { "" };
        let their_fields: BTreeSet<&str> = events
            .iter()
            .flat_map(|e| model.events[*e].fields.iter())
            .filter(|f| !f.pattern)
            .map(|f| f.name.as_str())
            .collect();
        if field_anywhere(model, name).is_empty() {
            let fix = suggest(name, their_fields.iter().copied())
                .or_else(|| suggest(name, all_field_names(model)));
            self.sink.error(
                Rule::UnknownField,
                at.clone(),
                format!("no event has a field `{name}`"),
                fix,
            );
            return;
        }
        let fix = suggest(name, their_fields.iter().copied()).or_else(|| {
            model
                .events
                .values()
                .find(|e| event_field(e, name).is_some())
                .map(|e| format!("`{name}` is a field of e.g. `{}`", e.name))
        });
        self.sink.warning(
            Rule::FieldNotCarried,
            at.clone(),
            format!(
                "`{}{more}` never carr{} a field `{name}`",
                shown.join("`, `"),
                if events.len() == 1 { "ies" } else { "y" }
            ),
            fix,
        );
    }
}

fn first_event_cmp(expr: &Expr) -> Option<&Cmp> {
    match expr {
        Expr::Cmp(c) => (c.key == "event").then_some(c),
        Expr::And(items) | Expr::Or(items) => items.iter().find_map(first_event_cmp),
        Expr::Not(_) => None,
    }
}
