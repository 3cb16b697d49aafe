//! A field comparison's operator and value against the field's type in
//! the target release: enums, yes-flags, numbers and (from 2.4) units.

use std::collections::BTreeSet;

use super::super::facts::{V2_4, units_and_escapes};
use super::super::report::Rule;
use super::super::syntax::filter::{Cmp, Op};
use super::filter::Cx;
use super::names::{Availability, availability, suggest, type_name, wildcard_match};
use dovecot_events_codegen::model::{Field, FieldType};

impl Cx<'_, '_> {
    /// Operator and value checks for a field comparison.
    pub(crate) fn field_comparison(&mut self, c: &Cmp, defs: &[&Field]) {
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
        if units_and_escapes(target) {
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
                "size and time units need Dovecot {V2_4}; write the plain number (bytes, or microseconds for durations)"
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
