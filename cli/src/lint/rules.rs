//! Checks a parsed filter, and the field names a metric lists, against the
//! model for one target release.
//!
//! A field comparison is judged against the events its filter selects: the
//! `event=` comparisons ANDed with it (through any depth of parentheses,
//! `event=a OR event=b` counting as either). Dovecot looks a field up on
//! the event and then on its parents, so a field of a mail user's session
//! (`user`, `session`, …) and the global fields are accepted on any event.

use std::collections::BTreeSet;

use super::filter::{Cmp, Expr, Op};
use super::names::{
    Availability, LOG_TYPES, all_field_names, ambient_field, availability, availability_problem,
    event_field, field_anywhere, has_wildcards, suggest, type_name, wildcard_match,
};
use super::{Rule, Sink};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;
use dovecot_events_codegen::model::{EventModel, Field, FieldType};

/// From this release on values may carry size and time units.
const UNITS: Version = Version::new(&[2, 4, 0]);

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
    fn escapes(&self) -> bool {
        self.target >= UNITS
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
            Expr::And(a, b) => intersect(self.event_set(a), self.event_set(b)),
            Expr::Or(a, b) => match (self.event_set(a), self.event_set(b)) {
                (Some(a), Some(b)) => Some(a.union(&b).copied().collect()),
                _ => None,
            },
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
            Expr::Or(a, b) => {
                self.walk(a, ctx);
                self.walk(b, ctx);
            }
            Expr::Not(a) => self.walk(a, ctx),
            Expr::And(a, b) => {
                let (sa, sb) = (self.event_set(a), self.event_set(b));
                if let (Some(x), Some(y)) = (&sa, &sb)
                    && !x.is_empty()
                    && !y.is_empty()
                    && x.is_disjoint(y)
                    && let Some(second) = first_event_cmp(b)
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
                let here = intersect(ctx.cloned(), intersect(sa, sb));
                self.walk(a, here.as_ref());
                self.walk(b, here.as_ref());
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

    /// Operator and value checks for a field comparison.
    fn field_comparison(&mut self, c: &Cmp, defs: &[&Field]) {
        let target = self.target;
        let types: BTreeSet<FieldType> = defs.iter().map(|f| f.type_at(target)).collect();
        let name = &c.key;
        if types.iter().all(|t| *t == FieldType::Timestamp) {
            self.sink.error(
                Rule::UnsupportedOperator,
                c.key_at.clone(),
                format!("`{name}` is a timestamp, and Dovecot's filters cannot compare timestamps"),
                Some("remove the comparison".to_owned()),
            );
            return;
        }
        if c.op != Op::Eq && !types.contains(&FieldType::Integer) {
            let ty = types.iter().next().copied().unwrap_or(FieldType::String);
            self.sink.error(
                Rule::UnsupportedOperator,
                c.key_at.clone(),
                format!(
                    "`{name}` is {}, which Dovecot compares only with `=`, so `{}` never matches",
                    type_name(ty),
                    c.op.as_str()
                ),
                Some(format!(
                    "use `{name}=` (with `*` and `?` wildcards if needed)"
                )),
            );
            return;
        }
        if types.len() != 1 {
            return;
        }
        let value = c.value.as_str();
        match types.iter().next() {
            Some(FieldType::Integer) => self.integer_value(c),
            Some(FieldType::Enum) if !value.is_empty() => {
                let Some(def) = defs
                    .iter()
                    .find_map(|f| f.enum_name.as_ref())
                    .and_then(|e| self.model.enums.get(e))
                else {
                    return;
                };
                let values: Vec<&str> = def
                    .values
                    .iter()
                    .filter(|v| {
                        availability(v.lifetime.since, v.lifetime.removed, None, target)
                            == Availability::Yes
                    })
                    .map(|v| v.name.as_str())
                    .collect();
                if !values
                    .iter()
                    .any(|v| wildcard_match(value, v, true, self.escapes()))
                {
                    self.sink.warning(
                        Rule::ValueNeverMatches,
                        c.value_at.clone(),
                        format!(
                            "`{name}` is one of `{}` in Dovecot {target}, never `{value}`",
                            values.join("`, `")
                        ),
                        suggest(&value.to_ascii_uppercase(), values.iter().copied())
                            .or_else(|| suggest(value, values.iter().copied())),
                    );
                }
            }
            Some(FieldType::Flag)
                if !value.is_empty() && !wildcard_match(value, "yes", true, self.escapes()) =>
            {
                self.sink.warning(
                    Rule::ValueNeverMatches,
                    c.value_at.clone(),
                    format!("`{name}` is only ever `yes` when present, so `{value}` never matches"),
                    Some(format!("use `NOT {name}=yes` to match its absence")),
                );
            }
            _ => {}
        }
    }

    fn integer_value(&mut self, c: &Cmp) {
        let value = c.value.as_str();
        let target = self.target;
        if value.is_empty() && c.op == Op::Eq || value.parse::<i64>().is_ok() {
            return;
        }
        if c.op == Op::Eq
            && value
                .chars()
                .all(|ch| ch.is_ascii_digit() || ch == '*' || ch == '?')
        {
            return;
        }
        let unit = units(value);
        if target >= UNITS {
            match unit {
                Some(Unit::Ambiguous) => {
                    self.sink.warning(
                        Rule::ValueNeverMatches,
                        c.value_at.clone(),
                        format!("`{value}` is ambiguous (megabytes or minutes), so Dovecot compares it as text and it never matches"),
                        Some("write `MB` or `mins`".to_owned()),
                    );
                    return;
                }
                Some(_) => return,
                None => {}
            }
        }
        let fix = match unit {
            Some(_) => Some(format!(
                "size and time units need Dovecot {UNITS}; write the plain number (bytes, or microseconds for durations)"
            )),
            None => Some("compare with a whole number".to_owned()),
        };
        self.sink.error(
            Rule::ValueNeverMatches,
            c.value_at.clone(),
            format!(
                "`{}` is a number, so comparing it with `{value}` never matches",
                c.key
            ),
            fix,
        );
    }
}

fn first_event_cmp(expr: &Expr) -> Option<&Cmp> {
    match expr {
        Expr::Cmp(c) => (c.key == "event").then_some(c),
        Expr::And(a, b) | Expr::Or(a, b) => first_event_cmp(a).or_else(|| first_event_cmp(b)),
        Expr::Not(_) => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Size,
    Time,
    Ambiguous,
}

/// Whether `value` is a number with a size unit (`1KB`, `2 gib`) or a time
/// unit (`5mins`, `100ms`), as `str_parse_get_size()` and
/// `str_parse_get_interval_msecs()` accept them in 2.4.
fn units(value: &str) -> Option<Unit> {
    let digits = value.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let rest = value[digits..].trim_start_matches(' ').to_ascii_lowercase();
    if rest == "m" {
        return Some(Unit::Ambiguous);
    }
    let size = [
        "b", "k", "ki", "kb", "kib", "m", "mi", "mb", "mib", "g", "gi", "gb", "gib", "t", "ti",
        "tb", "tib",
    ];
    if size.contains(&rest.as_str()) {
        return Some(Unit::Size);
    }
    // A prefix of one of these words, starting with its first letter.
    let words = [
        "secs",
        "seconds",
        "mins",
        "minutes",
        "msecs",
        "mseconds",
        "millisecs",
        "milliseconds",
        "hours",
        "days",
        "weeks",
    ];
    let time = !rest.is_empty()
        && words.iter().any(|w| w.starts_with(rest.as_str()))
        && !matches!(rest.as_str(), "m" | "mi");
    time.then_some(Unit::Time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_values() {
        assert_eq!(units("1KB"), Some(Unit::Size));
        assert_eq!(units("1tB"), Some(Unit::Size));
        assert_eq!(units("1mins"), Some(Unit::Time));
        assert_eq!(units("100ms"), Some(Unit::Time));
        assert_eq!(units("1m"), Some(Unit::Ambiguous));
        assert_eq!(units("1x"), None);
        assert_eq!(units("KB"), None);
    }
}
