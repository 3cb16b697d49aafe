//! `event_exporter NAME { … }` blocks, as `stats_exporter_settings_check()`
//! in `src/stats/stats-settings.c` checks them: in 2.3 `format` (json,
//! tab-text, none), `format_args` (time-rfc3339, time-unix; json and
//! tab-text need one), `transport` (drop, http-post, log), `transport_args`
//! and `transport_timeout`; in 2.4 `driver` (log, file, unix, http-post,
//! drop), `format` and `time_format` (rfc3339, unix), plus the driver's own
//! settings.

use super::super::facts::{
    DRIVERS_2_4, EXPORTER_KEYS_2_3, EXPORTER_KEYS_2_4, EXPORTER_PREFIXES_2_4, EXPORTERS, FORMATS,
    TIME_ARGS_2_3, TIME_FORMATS_2_4, TRANSPORTS_2_3, V2_4, exporter_setting_2_4,
};
use super::super::report::Rule;
use super::super::syntax::config::{Section, Setting};
use super::filter::Cx;
use super::names::suggest;

/// Checks one exporter block.
pub(crate) fn check(cx: &mut Cx<'_, '_>, section: &Section) {
    let target = cx.target;
    if section.name.is_none() {
        cx.sink.error(
            Rule::ConfigSyntax,
            section.at.clone(),
            "an event_exporter block needs a name",
            Some("write `event_exporter NAME {`".to_owned()),
        );
    }
    if target < EXPORTERS {
        cx.sink.error(
            Rule::NotInTarget,
            section.at.clone(),
            format!("event_exporter blocks first appear in Dovecot {EXPORTERS}, after the target {target}"),
            None,
        );
        return;
    }
    if target >= V2_4 {
        check_2_4(cx, section);
    } else {
        check_2_3(cx, section);
    }
}

fn value_of<'c>(section: &'c Section, key: &str) -> Option<&'c Setting> {
    section
        .settings()
        .filter(|s| s.key.strip_prefix("event_exporter_").unwrap_or(&s.key) == key)
        .last()
}

fn one_of(cx: &mut Cx<'_, '_>, setting: &Setting, what: &str, allowed: &[&str]) -> bool {
    let value = setting.value.string();
    if allowed.contains(&value.as_str()) {
        return true;
    }
    cx.sink.error(
        Rule::InvalidExporter,
        setting.value.location(0),
        format!("unknown exporter {what} `{value}`"),
        suggest(&value, allowed.iter().copied())
            .or_else(|| Some(format!("use one of `{}`", allowed.join("`, `")))),
    );
    false
}

fn required<'c>(cx: &mut Cx<'_, '_>, section: &'c Section, key: &str) -> Option<&'c Setting> {
    let setting = value_of(section, key).filter(|s| !s.value.chars.is_empty());
    if setting.is_none() {
        cx.sink.error(
            Rule::InvalidExporter,
            section.at.clone(),
            format!("the exporter has no `{key}`, which Dovecot requires"),
            Some(format!("add `{key} = …`")),
        );
    }
    setting
}

fn check_2_3(cx: &mut Cx<'_, '_>, section: &Section) {
    for setting in section.settings() {
        let key = setting.key.as_str();
        if EXPORTER_KEYS_2_3.contains(&key) {
            continue;
        }
        let fix = match key {
            "driver" => Some("Dovecot 2.3 calls it `transport`".to_owned()),
            "time_format" => {
                Some("Dovecot 2.3 writes `format_args = time-rfc3339` or `time-unix`".to_owned())
            }
            "http_post_url" => Some("Dovecot 2.3 writes the URL as `transport_args`".to_owned()),
            _ => suggest(key, EXPORTER_KEYS_2_3),
        };
        cx.sink.error(
            Rule::UnknownSetting,
            setting.key_at.clone(),
            format!(
                "`{key}` is not a setting of an event_exporter block in Dovecot {}",
                cx.target
            ),
            fix,
        );
    }
    let format = required(cx, section, "format");
    let format_ok = format.is_some_and(|f| one_of(cx, f, "format", &FORMATS));
    if let Some(transport) = required(cx, section, "transport") {
        one_of(cx, transport, "transport", &TRANSPORTS_2_3);
    }
    let mut time_args = 0;
    if let Some(args) = value_of(section, "format_args") {
        for (word, at) in args.value.words() {
            if TIME_ARGS_2_3.contains(&word.as_str()) {
                time_args += 1;
                if time_args == 2 {
                    cx.sink.error(
                        Rule::InvalidExporter,
                        args.value.location(at),
                        "the exporter has two time format arguments",
                        Some("keep one of `time-rfc3339` and `time-unix`".to_owned()),
                    );
                }
            } else {
                cx.sink.error(
                    Rule::InvalidExporter,
                    args.value.location(at),
                    format!("unknown exporter format argument `{word}`"),
                    suggest(&word, TIME_ARGS_2_3)
                        .or_else(|| Some(format!("use `{}`", TIME_ARGS_2_3.join("` or `")))),
                );
            }
        }
    }
    if let Some(format) = format.filter(|_| format_ok && time_args == 0) {
        let name = format.value.string();
        if name != "none" {
            cx.sink.error(
                Rule::InvalidExporter,
                format.value.location(0),
                format!("the `{name}` format needs a time format argument"),
                Some("add `format_args = time-rfc3339` (or `time-unix`)".to_owned()),
            );
        }
    }
}

fn check_2_4(cx: &mut Cx<'_, '_>, section: &Section) {
    let transport = value_of(section, "transport").map(|s| s.value.string());
    for setting in section.settings() {
        let key = setting
            .key
            .strip_prefix("event_exporter_")
            .unwrap_or(&setting.key);
        if EXPORTER_KEYS_2_4.contains(&key)
            || EXPORTER_PREFIXES_2_4.iter().any(|p| key.starts_with(p))
        {
            continue;
        }
        let value = setting.value.string();
        let replacement = match exporter_setting_2_4(key, &value, transport.as_deref()) {
            _ if key == "format" => None,
            Some((new_key, new_value)) => Some(format!("{new_key} = {new_value}")),
            None if key == "transport_args" => {
                Some("the driver's own setting (http_post_url, file_path, unix_path)".to_owned())
            }
            None => None,
        };
        if let Some(replacement) = replacement {
            cx.sink.error(
                Rule::Removed,
                setting.key_at.clone(),
                format!("exporter setting `{key}` was replaced in Dovecot {V2_4}"),
                Some(format!("write `{replacement}`")),
            );
        } else if let Some(fix) = suggest(key, EXPORTER_KEYS_2_4) {
            cx.sink.error(
                Rule::UnknownSetting,
                setting.key_at.clone(),
                format!("`{key}` is not an event_exporter setting"),
                Some(fix),
            );
        }
    }
    if let Some(format) = required(cx, section, "format") {
        one_of(cx, format, "format", &FORMATS);
    }
    if let Some(driver) = value_of(section, "driver") {
        one_of(cx, driver, "driver", &DRIVERS_2_4);
    }
    if let Some(time) = value_of(section, "time_format") {
        one_of(cx, time, "time format", &TIME_FORMATS_2_4);
    }
}
