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

/// How one level of a metric's grouping splits events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// One sub-metric per value.
    Discrete,
    /// Buckets `base^min` … `base^max`.
    Exponential { min: u64, max: u64, base: u64 },
    /// Buckets `min`, `min + step` … `max`.
    Linear { min: u64, max: u64, step: u64 },
}

/// One level of a metric's grouping, in order.
#[derive(Clone, Debug)]
pub(crate) struct Level {
    pub(crate) field: String,
    pub(crate) method: Method,
}

fn method_of(name: &str, args: [Option<u64>; 3]) -> Option<Method> {
    let defaults = method_defaults(name).map(|d| d.map(|v| v.parse::<u64>().unwrap_or(0)));
    let [a, b, c] = match defaults {
        Some([d0, d1, d2]) => [
            args[0].unwrap_or(d0),
            args[1].unwrap_or(d1),
            args[2].unwrap_or(d2),
        ],
        None => [0; 3],
    };
    match name {
        "discrete" => Some(Method::Discrete),
        "exponential" => Some(Method::Exponential {
            min: a,
            max: b,
            base: c,
        }),
        "linear" => Some(Method::Linear {
            min: a,
            max: b,
            step: c,
        }),
        _ => None,
    }
}

/// A metric's grouping levels as Dovecot `target` reads them: the 2.3
/// `FIELD[:FUNCTION:A:B:C]` words, or the 2.4 list of names and
/// `group_by FIELD { method … }` blocks. Malformed entries (which the lint
/// reports) are left out.
pub(crate) fn levels(section: &Section, v2_4: bool) -> Vec<Level> {
    let key = |k: &str| k.strip_prefix("metric_").unwrap_or(k).to_owned();
    let mut out: Vec<Level> = Vec::new();
    if let Some(setting) = section
        .settings()
        .filter(|s| key(&s.key) == "group_by")
        .last()
    {
        for (word, _) in setting.value.words() {
            let mut parts = word.split(':');
            let field = parts.next().unwrap_or_default().to_owned();
            let func = parts.next();
            if v2_4 && func.is_some() {
                continue;
            }
            let args: Vec<Option<u64>> = parts.map(|p| p.parse().ok()).collect();
            let method = match func {
                None => Some(Method::Discrete),
                Some(func) if args.len() == 3 => method_of(func, [args[0], args[1], args[2]])
                    .filter(|_| args.iter().all(Option::is_some)),
                Some("discrete") if args.is_empty() => Some(Method::Discrete),
                Some(_) => None,
            };
            if let Some(method) = method {
                out.push(Level { field, method });
            }
        }
    }
    if v2_4 {
        for block in section.sections().filter(|b| key(&b.kind) == "group_by") {
            let Some(field) = block.name.clone() else {
                continue;
            };
            let method = match block.sections().find(|m| m.kind.ends_with("method")) {
                None => Some(Method::Discrete),
                Some(m) => {
                    let name = m.name.as_deref().unwrap_or("discrete");
                    let keys = method_keys(name);
                    let mut args = [None; 3];
                    for s in m.settings() {
                        let k = s
                            .key
                            .strip_prefix("metric_group_by_method_")
                            .unwrap_or(&s.key);
                        let k = k
                            .strip_prefix(name)
                            .and_then(|k| k.strip_prefix('_'))
                            .unwrap_or(k);
                        if let Some(i) = keys.iter().position(|x| *x == k)
                            && i < 3
                        {
                            args[i] = s.value.string().parse().ok();
                        }
                    }
                    method_of(name, args)
                }
            };
            if let Some(method) = method {
                out.retain(|l| l.field != field);
                out.push(Level { field, method });
            }
        }
    }
    out
}
