//! Dovecot's statistics facts per release, in one place: which releases
//! changed the filter language, the `metric` and `event_exporter` settings
//! of each release, the `group_by` methods, and the 2.4 renames.
//!
//! These come from Dovecot's source, not from the event schema:
//! `src/lib/event-filter-lexer.l` and `event-filter-parser.y` (the filter
//! language), `src/stats/stats-settings.c` (the blocks and their checks),
//! `src/lib-master/master-service-settings.c` (the global filter settings).
//! The syntax layer knows none of this; the checks read it from here.

use dovecot_events_codegen::Version;

/// `metric { group_by }`.
pub(crate) const GROUP_BY: Version = Version::new(&[2, 3, 10]);
/// `group_by` aggregation functions and `metric { description }`.
pub(crate) const AGGREGATION: Version = Version::new(&[2, 3, 11]);
/// `event_exporter` and `metric { exporter, exporter_include }`.
pub(crate) const EXPORTERS: Version = Version::new(&[2, 3, 7]);
/// The unified filter language and the `filter` metric setting.
pub(crate) const UNIFIED: Version = Version::new(&[2, 3, 12]);
/// From this release on `NOT` binds tighter than `AND` and `OR`.
pub(crate) const NOT_BINDS_TIGHT: Version = Version::new(&[2, 3, 14]);
/// From this release on `?` may appear in unquoted filter tokens.
pub(crate) const QUESTION_IN_TOKENS: Version = Version::new(&[2, 3, 16]);
/// The 2.4 settings syntax: `group_by` blocks, exporter drivers, `/` and
/// `%` in unquoted filter tokens, backslash escapes kept for the matcher,
/// size and time units in filter values.
pub(crate) const V2_4: Version = Version::new(&[2, 4, 0]);

/// Whether filter values may carry size and time units, and keep their
/// backslash escapes for the wildcard matcher.
pub(crate) fn units_and_escapes(target: Version) -> bool {
    target >= V2_4
}

/// Settings anywhere in the configuration that hold an event filter.
pub(crate) const FILTER_SETTINGS: [&str; 3] =
    ["log_debug", "log_core_filter", "process_shutdown_filter"];

/// The blocks whose `<file` values the lint reads, besides the filter
/// settings.
pub(crate) const STATS_BLOCKS: [&str; 2] = ["metric", "event_exporter"];

/// The pre-2.3.12 metric settings that select events.
pub(crate) const LEGACY_SELECTORS: [&str; 3] = ["event_name", "source_location", "categories"];

/// The keys of a metric block in the target, with the release that added
/// each.
pub(crate) fn metric_keys(target: Version) -> Vec<(&'static str, Version)> {
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
        keys.extend(LEGACY_SELECTORS.map(|k| (k, base)));
    }
    keys
}

/// The parts of `exporter_include`.
pub(crate) const INCLUDE_PARTS: [&str; 5] =
    ["name", "hostname", "timestamps", "categories", "fields"];

/// The log types `category=` also accepts.
pub(crate) const LOG_TYPES: [&str; 6] = ["debug", "info", "warning", "error", "fatal", "panic"];

/// Exporter formats, the same in 2.3 and 2.4.
pub(crate) const FORMATS: [&str; 3] = ["json", "tab-text", "none"];
/// Exporter settings in 2.3.
pub(crate) const EXPORTER_KEYS_2_3: [&str; 5] = [
    "format",
    "format_args",
    "transport",
    "transport_args",
    "transport_timeout",
];
/// Exporter transports in 2.3.
pub(crate) const TRANSPORTS_2_3: [&str; 3] = ["drop", "http-post", "log"];
/// The time arguments of `format_args` in 2.3.
pub(crate) const TIME_ARGS_2_3: [&str; 2] = ["time-rfc3339", "time-unix"];
/// Exporter settings in 2.4 (besides `http_client_*` and `ssl_*`).
pub(crate) const EXPORTER_KEYS_2_4: [&str; 7] = [
    "driver",
    "format",
    "time_format",
    "http_post_url",
    "file_path",
    "unix_path",
    "unix_connect_timeout",
];
/// Exporter drivers in 2.4.
pub(crate) const DRIVERS_2_4: [&str; 5] = ["log", "file", "unix", "http-post", "drop"];
/// The values of `time_format` in 2.4.
pub(crate) const TIME_FORMATS_2_4: [&str; 2] = ["rfc3339", "unix"];
/// Prefixes of further exporter settings in 2.4.
pub(crate) const EXPORTER_PREFIXES_2_4: [&str; 2] = ["http_client_", "ssl_"];

/// The 2.4 setting that replaced the 2.3 `transport_timeout`.
pub(crate) const TIMEOUT_2_4: &str = "http_client_request_absolute_timeout";

/// The 2.4 form of a 2.3 exporter setting: its new key and value, given
/// the block's 2.3 `transport`. `None` for a setting 2.4 has no place for
/// (a `transport_args` of the `log` or `drop` transport).
pub(crate) fn exporter_setting_2_4(
    key: &str,
    value: &str,
    transport: Option<&str>,
) -> Option<(&'static str, String)> {
    match key {
        "format" => Some(("format", value.to_owned())),
        "transport" => Some(("driver", value.to_owned())),
        "transport_args" if transport == Some("http-post") || value.contains("://") => {
            Some(("http_post_url", value.to_owned()))
        }
        "transport_args" => None,
        // 2.3 reads a bare number as milliseconds; 2.4 wants a unit.
        "transport_timeout" if value.chars().all(|c| c.is_ascii_digit()) => {
            Some((TIMEOUT_2_4, format!("{value}ms")))
        }
        "transport_timeout" => Some((TIMEOUT_2_4, value.to_owned())),
        "format_args" => Some((
            "time_format",
            if value.contains("time-unix") {
                "unix"
            } else {
                "rfc3339"
            }
            .to_owned(),
        )),
        _ => None,
    }
}

/// The `group_by` methods (2.3 functions, 2.4 `method` blocks).
pub(crate) const METHODS: [&str; 3] = ["discrete", "exponential", "linear"];

/// The settings of each `group_by` method in 2.4, in the order of the 2.3
/// function's arguments, without the `metric_group_by_method_` prefix.
pub(crate) fn method_keys(method: &str) -> &'static [&'static str] {
    match method {
        "discrete" => &["modifier"],
        "exponential" => &["min_magnitude", "max_magnitude", "base"],
        "linear" => &["min", "max", "step"],
        _ => &[],
    }
}

/// The defaults of the 2.4 method settings, in `method_keys` order.
pub(crate) fn method_defaults(method: &str) -> Option<[&'static str; 3]> {
    match method {
        "exponential" => Some(["0", "0", "10"]),
        "linear" => Some(["0", "0", "0"]),
        _ => None,
    }
}

/// From this release on the OpenMetrics endpoint also exports the sum of
/// each field a metric lists in `fields` (`dovecot_<metric>_<field>_total`).
pub(crate) const OPENMETRICS_FIELDS: Version = Version::new(&[2, 3, 21]);

/// Whether OpenMetrics accepts `name` as a metric or label name
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`); Dovecot skips a metric whose name is not,
/// and does not split a metric by a group_by field whose name is not.
pub(crate) fn openmetrics_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Before this release the OpenMetrics endpoint kept a stale entry of a
/// metric whose first group_by level is exponential or linear, and could
/// print that metric's buckets under the name of the next grouped metric,
/// as a label without a key (`dovecot_<next>_total{"duration_1_50000"}`).
pub(crate) const OPENMETRICS_STACK_FIX: Version = Version::new(&[2, 3, 20]);
