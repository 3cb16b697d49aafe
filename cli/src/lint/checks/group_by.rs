//! The 2.4 `group_by FIELD { method NAME { … } }` blocks of a metric, as
//! `src/stats/stats-settings.c` and `stats-metrics.c` (2.4) define them.

use std::collections::BTreeSet;

use super::super::facts::{METHODS, method_defaults, method_keys};
use super::super::report::Rule;
use super::super::syntax::config::{Section, Setting};
use super::filter::Cx;
use super::names::{suggest, type_name};
use dovecot_events_codegen::diag::Location;
use dovecot_events_codegen::model::FieldType;

/// The 2.4 block equivalent to a 2.3 `FIELD:FUNCTION:A:B:C` word.
pub(crate) fn block_for(field: &str, func: &str, args: &[&str]) -> String {
    let keys = method_keys(func);
    let settings: Vec<String> = keys
        .iter()
        .zip(args)
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    format!(
        "group_by {field} {{ method {func} {{ {} }} }}",
        settings.join("; ")
    )
}

/// The 2.3 `FIELD[:FUNCTION:A:B:C]` word equivalent to a 2.4 block.
pub(crate) fn word_for(block: &Section) -> String {
    let field = block.name.as_deref().unwrap_or("FIELD");
    let Some(method) = block.sections().find(|s| s.kind == "method") else {
        return field.to_owned();
    };
    let name = method.name.as_deref().unwrap_or("discrete");
    let Some(defaults) = method_defaults(name) else {
        return field.to_owned();
    };
    let args: Vec<String> = method_keys(name)
        .iter()
        .zip(defaults)
        .map(|(key, default)| {
            method
                .settings()
                .filter(|s| {
                    let k = s
                        .key
                        .strip_prefix("metric_group_by_method_")
                        .unwrap_or(&s.key);
                    k == *key || k.strip_prefix(name).and_then(|k| k.strip_prefix('_')) == Some(key)
                })
                .last()
                .map_or_else(|| default.to_owned(), |s| s.value.string())
        })
        .collect();
    format!("{field}:{name}:{}", args.join(":"))
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

/// Checks one `group_by FIELD { … }` block.
pub(crate) fn block<'m>(cx: &mut Cx<'m, '_>, block: &Section, events: Option<&BTreeSet<&'m str>>) {
    let Some(field) = block.name.as_deref() else {
        cx.sink.error(
            Rule::ConfigSyntax,
            block.at.clone(),
            "a group_by block needs the field's name",
            Some("write `group_by FIELD {`".to_owned()),
        );
        return;
    };
    for setting in block.settings() {
        let key = setting
            .key
            .strip_prefix("metric_group_by_")
            .unwrap_or(&setting.key);
        if key != "field" && key != "method" {
            cx.sink.error(
                Rule::UnknownSetting,
                setting.key_at.clone(),
                format!("`{key}` is not a setting of a group_by block"),
                suggest(key, ["method"])
                    .or_else(|| Some("put method settings inside `method NAME { }`".to_owned())),
            );
        }
    }
    let methods: Vec<&Section> = block
        .sections()
        .filter(|s| s.kind.strip_prefix("metric_group_by_").unwrap_or(&s.kind) == "method")
        .collect();
    for other in block
        .sections()
        .filter(|s| !methods.iter().any(|m| std::ptr::eq(*m, *s)))
    {
        cx.sink.error(
            Rule::UnknownSetting,
            other.at.clone(),
            format!("`{} {{ }}` is not a block of group_by", other.kind),
            Some("write `method discrete|exponential|linear { }`".to_owned()),
        );
    }
    if let Some(second) = methods.get(1) {
        cx.sink.error(
            Rule::InvalidGroupBy,
            second.at.clone(),
            "a group_by block takes only one method",
            Some("remove all but one `method` block".to_owned()),
        );
    }
    let mut quantized = None;
    if let Some(method) = methods.first() {
        match method.name.as_deref() {
            Some(name) if METHODS.contains(&name) => {
                method_settings(cx, method, name);
                if name != "discrete" {
                    quantized = Some(name);
                }
            }
            name => {
                let name = name.unwrap_or_default();
                cx.sink.error(
                    Rule::InvalidGroupBy,
                    method.name_at.clone(),
                    format!("unknown group_by method `{name}`"),
                    suggest(name, METHODS)
                        .or_else(|| Some(format!("use one of `{}`", METHODS.join("`, `")))),
                );
            }
        }
    }
    group_by_field(cx, field, &block.name_at, events, quantized);
}

fn number(cx: &mut Cx<'_, '_>, setting: &Setting) -> Option<u64> {
    let text = setting.value.string();
    match text.parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            cx.sink.error(
                Rule::InvalidGroupBy,
                setting.value.location(0),
                format!(
                    "`{}` needs a whole number of 0 or more, not `{text}`",
                    setting.key
                ),
                None,
            );
            None
        }
    }
}

fn method_settings(cx: &mut Cx<'_, '_>, method: &Section, name: &str) {
    let keys = method_keys(name);
    let mut values: [Option<u64>; 3] = [None; 3];
    let mut locations: [Option<Location>; 3] = [None, None, None];
    for setting in method.settings() {
        let key = setting
            .key
            .strip_prefix("metric_group_by_method_")
            .unwrap_or(&setting.key);
        let key = key
            .strip_prefix(name)
            .and_then(|k| k.strip_prefix('_'))
            .unwrap_or(key);
        let Some(index) = keys.iter().position(|k| *k == key) else {
            cx.sink.error(
                Rule::UnknownSetting,
                setting.key_at.clone(),
                format!("`{key}` is not a setting of group_by method `{name}`"),
                suggest(key, keys.iter().copied())
                    .or_else(|| Some(format!("use `{}`", keys.join("`, `")))),
            );
            continue;
        };
        if name != "discrete" {
            values[index] = number(cx, setting);
            locations[index] = Some(setting.value.location(0));
        }
    }
    let problem = match name {
        "exponential" => {
            let (min, max, base) = (
                values[0].unwrap_or(0),
                values[1].unwrap_or(0),
                values[2].unwrap_or(10),
            );
            if base != 2 && base != 10 {
                Some((
                    2,
                    format!("the exponential base must be 2 or 10, not {base}"),
                ))
            } else if min > max {
                Some((
                    1,
                    format!("min_magnitude ({min}) must not be above max_magnitude ({max})"),
                ))
            } else {
                None
            }
        }
        "linear" => {
            let (min, max, step) = (
                values[0].unwrap_or(0),
                values[1].unwrap_or(0),
                values[2].unwrap_or(0),
            );
            if step == 0 {
                Some((2, "linear grouping needs `step` above 0".to_owned()))
            } else if min >= max {
                Some((
                    1,
                    format!("linear `min` ({min}) must be below `max` ({max})"),
                ))
            } else if min.saturating_add(step) > max {
                Some((
                    2,
                    format!(
                        "linear `min` + `step` ({}) must not be above `max` ({max})",
                        min + step
                    ),
                ))
            } else {
                None
            }
        }
        _ => None,
    };
    if let Some((index, message)) = problem {
        let at = locations[index]
            .clone()
            .unwrap_or_else(|| method.at.clone());
        cx.sink.error(Rule::InvalidGroupBy, at, message, None);
    }
}
