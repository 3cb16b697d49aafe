//! What Dovecot's OpenMetrics endpoint (`/metrics` of the stats service)
//! exposes for each `metric` block of a configuration, for one release:
//! the series names, their label keys, the histogram buckets, the events
//! that feed the metric, and warnings where the answer is "nothing" or the
//! number of series has no bound.
//!
//! The naming follows `src/stats/stats-service-openmetrics.c`: every metric
//! is `dovecot_<metric>`; without a histogram it has `_total` and
//! `_duration_seconds_total` (labelled once per group_by level, with an
//! unlabelled `_count` and `_duration_seconds_sum` when it is grouped); a
//! metric whose last group_by level (and only that one) is exponential or
//! linear is a histogram instead (`_bucket` with `le`, `_sum`, `_count`,
//! labelled by the discrete levels before it); from 2.3.21 each `fields`
//! entry adds `_<field>_total` (and `_<field>_sum` when grouped). The
//! grouping descends only through discrete levels, and only through fields
//! whose names OpenMetrics accepts.
//!
//! ```
//! use dovecot_eventgen::metrics;
//!
//! let model = dovecot_events_codegen::load_embedded().unwrap();
//! let conf = "metric imap {\n  filter = event=imap_command_finished\n  group_by = cmd_name\n}\n";
//! let plan = metrics::predict_str(&model, "dovecot.conf", conf, "2.3.19".parse().unwrap());
//! let names: Vec<&str> = plan.metrics[0].series.iter().map(|s| s.name.as_str()).collect();
//! assert_eq!(names, ["dovecot_imap_total", "dovecot_imap_count",
//!     "dovecot_imap_duration_seconds_total", "dovecot_imap_duration_seconds_sum"]);
//! ```

mod render;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::lint::checks::filter::{Cx, parse_filter};
use crate::lint::checks::group_by::{Level, Method, levels};
use crate::lint::checks::names::{Availability, availability, field_anywhere};
use crate::lint::checks::read;
use crate::lint::facts::{
    OPENMETRICS_FIELDS, OPENMETRICS_STACK_FIX, UNIFIED, V2_4, openmetrics_name,
};
use crate::lint::report::Sink;
use crate::lint::syntax::config::{Item, Section, ValueKind};
use crate::lint::{self, Rule, Severity};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::{EventModel, FieldType};

/// One series name with the label keys it carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Series {
    /// The full name, e.g. `dovecot_imap_command_total`.
    pub name: String,
    /// The label keys, in Dovecot's order (`le` last for buckets).
    pub labels: Vec<String>,
    /// Whether Dovecot prints it before any event was counted; the others
    /// appear with the first event that has the labels' fields.
    pub always: bool,
}

/// The prediction for one `metric` block.
#[derive(Clone, Debug, Serialize)]
pub struct MetricPlan {
    /// The block's name.
    pub name: String,
    /// Where the block starts.
    pub location: String,
    /// `counter` or `histogram`.
    pub kind: &'static str,
    /// Every series the endpoint can show for it.
    pub series: Vec<Series>,
    /// The histogram's `le` values, `+Inf` last.
    pub buckets: Vec<String>,
    /// The events that can feed it in the release; empty with
    /// `any_event` when the filter names none.
    pub events: Vec<String>,
    /// Whether the filter does not restrict the event name.
    pub any_event: bool,
    /// Why it may expose nothing, or too many series.
    pub warnings: Vec<String>,
}

/// The prediction for a whole configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    /// The release predicted for.
    pub target: Version,
    /// The `metric` blocks, in file order.
    pub metrics: Vec<MetricPlan>,
}

/// Predicts the series of the configuration file at `path`.
///
/// # Errors
///
/// The I/O error when `path` cannot be read.
pub fn predict_file(
    model: &EventModel,
    path: &Path,
    target: Version,
) -> std::io::Result<Prediction> {
    let text = lint::read_config(path)?;
    Ok(predict_str(
        model,
        &path.display().to_string(),
        &text,
        target,
    ))
}

/// Predicts the series of configuration text read as the file `name`.
#[must_use]
pub fn predict_str(model: &EventModel, name: &str, text: &str, target: Version) -> Prediction {
    let report = lint::lint_str(model, name, text, target);
    let mut sink = Sink::new();
    let config = read(name, text, &mut sink);
    let mut sections = Vec::new();
    collect(&config.root, &mut sections);
    let mut cx = Cx {
        model,
        target,
        sink: &mut sink,
    };
    let mut metrics: Vec<MetricPlan> = Vec::new();
    // The last metric that left a stale entry on the endpoint's stack.
    let mut stale: Option<String> = None;
    for section in sections {
        let Some(mut plan) = plan(&mut cx, section, &report) else {
            continue;
        };
        let first = levels(section, target >= V2_4).first().map(|l| l.method);
        if target < OPENMETRICS_STACK_FIX && openmetrics_name(&plan.name) {
            match first {
                Some(Method::Discrete) => {
                    if let Some(previous) = stale.take() {
                        plan.warnings.push(format!(
                            "Dovecot {target} may also print sub-metrics of `{previous}` under this metric's name, with a label without a key (fixed in {OPENMETRICS_STACK_FIX})"
                        ));
                    }
                }
                Some(_) => stale = Some(plan.name.clone()),
                None => {}
            }
        }
        metrics.push(plan);
    }
    Prediction { target, metrics }
}

fn collect<'c>(section: &'c Section, out: &mut Vec<&'c Section>) {
    for item in &section.items {
        match item {
            Item::Section(s) if s.kind == "metric" => out.push(s),
            Item::Section(s) => collect(s, out),
            Item::Setting(_) => {}
        }
    }
}

/// The rules whose findings inside a metric mean its filter may never
/// match in the release.
const NOTHING: [Rule; 13] = [
    Rule::FilterSyntax,
    Rule::UnknownEvent,
    Rule::UnknownField,
    Rule::FieldNotCarried,
    Rule::UnknownCategory,
    Rule::NotInTarget,
    Rule::Removed,
    Rule::NeverEmitted,
    Rule::WildcardMatchesNothing,
    Rule::UnsupportedOperator,
    Rule::ValueNeverMatches,
    Rule::NeverMatches,
    Rule::MissingFilter,
];

fn plan(cx: &mut Cx<'_, '_>, section: &Section, report: &lint::Report) -> Option<MetricPlan> {
    let name = section.name.clone()?;
    let target = cx.target;
    let mut warnings = Vec::new();
    let inside = |f: &lint::Finding| {
        *f.location.file == *section.at.file
            && f.location.line >= section.at.line
            && f.location.line <= section.end_at.line
    };
    for finding in report.findings.iter().filter(|f| inside(f)) {
        let selects = NOTHING.contains(&finding.rule)
            && !(finding.rule == Rule::NotInTarget
                && finding.message.starts_with("metric setting"));
        if selects || finding.severity == Severity::Error && finding.rule == Rule::InvalidGroupBy {
            warnings.push(format!(
                "may expose nothing: {} ({})",
                finding.message, finding.location
            ));
        }
    }
    if !openmetrics_name(&name) {
        warnings.push(format!(
            "`{name}` is not a valid OpenMetrics name, so the endpoint skips this metric"
        ));
    }
    let events = feeding_events(cx, section);
    let (event_names, any_event) = match &events {
        Some(set) => (set.clone(), false),
        None => (Vec::new(), true),
    };
    if events.as_ref().is_some_and(Vec::is_empty) {
        warnings.push(format!(
            "exposes nothing: no event Dovecot {target} sends matches the filter"
        ));
    }
    let levels = levels(section, target >= V2_4);
    let fields: Vec<String> = if target >= OPENMETRICS_FIELDS {
        section
            .settings()
            .filter(|s| s.key.strip_prefix("metric_").unwrap_or(&s.key) == "fields")
            .last()
            .map(|s| s.value.words().into_iter().map(|(w, _)| w).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for level in &levels {
        if level.method == Method::Discrete && unbounded(cx.model, &level.field) {
            warnings.push(format!(
                "group_by `{}` makes one series per value, with no limit: cardinality is unbounded",
                level.field
            ));
        }
    }
    let (kind, mut series, buckets) = series(&name, &levels, &fields);
    if !openmetrics_name(&name) {
        series.clear();
    }
    Some(MetricPlan {
        name,
        location: section.at.to_string(),
        kind,
        series,
        buckets,
        events: event_names,
        any_event,
        warnings,
    })
}

/// The events the metric's filter selects that the release sends; `None`
/// when the filter does not restrict the event name.
fn feeding_events(cx: &mut Cx<'_, '_>, section: &Section) -> Option<Vec<String>> {
    let target = cx.target;
    let set: BTreeSet<&str> = if target >= UNIFIED {
        let setting = section
            .settings()
            .filter(|s| s.key.strip_prefix("metric_").unwrap_or(&s.key) == "filter")
            .last()?;
        if setting.kind == ValueKind::Variable {
            return None;
        }
        let expr = parse_filter(cx, &setting.value, false)?;
        cx.filter(&expr)?
    } else {
        let name = section.setting("event_name")?.value.string();
        let event = cx.model.events.get_key_value(name.as_str())?;
        BTreeSet::from([event.0.as_str()])
    };
    Some(
        set.into_iter()
            .filter(|e| {
                let event = &cx.model.events[*e];
                event.emitted
                    && availability(event.lifetime.since, event.lifetime.removed, None, target)
                        == Availability::Yes
            })
            .map(str::to_owned)
            .collect(),
    )
}

/// Fields with one value per user, session or address.
fn unbounded(model: &EventModel, field: &str) -> bool {
    let named = ["user", "session", "ip"].iter().any(|w| {
        field == *w || field.ends_with(&format!("_{w}")) || field.starts_with(&format!("{w}_"))
    });
    named
        || field_anywhere(model, field)
            .iter()
            .any(|f| f.ty == FieldType::Ip)
}

fn labelled(name: String, labels: &[String], always: bool) -> Series {
    Series {
        name,
        labels: labels.to_vec(),
        always,
    }
}

/// The series of a metric named `name` with grouping `levels` and the
/// exported `fields`, in the endpoint's order; with the kind and buckets.
fn series(
    name: &str,
    levels: &[Level],
    fields: &[String],
) -> (&'static str, Vec<Series>, Vec<String>) {
    let base = format!("dovecot_{name}");
    let quantized = |l: &Level| l.method != Method::Discrete;
    let histogram =
        levels.last().is_some_and(quantized) && !levels[..levels.len() - 1].iter().any(quantized);
    // The label sets of the sub-metrics the endpoint descends into: one per
    // leading discrete level, stopping at a name OpenMetrics rejects.
    let mut label_sets: Vec<Vec<String>> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for level in levels {
        if quantized(level) || !openmetrics_name(&level.field) {
            break;
        }
        keys.push(level.field.clone());
        label_sets.push(keys.clone());
    }
    let grouped = !levels.is_empty();
    let mut out = Vec::new();
    let counter = |out: &mut Vec<Series>, total: String, sum: String| {
        for labels in &label_sets {
            out.push(labelled(total.clone(), labels, false));
        }
        if grouped {
            out.push(labelled(sum, &[], true));
        } else {
            out.push(labelled(total, &[], true));
        }
    };
    let mut buckets = Vec::new();
    if histogram {
        let last = &levels[levels.len() - 1];
        buckets = bucket_labels(last);
        let discrete = &levels[..levels.len() - 1];
        let labels: Vec<String> = discrete.iter().map(|l| l.field.clone()).collect();
        let reachable = discrete.iter().all(|l| openmetrics_name(&l.field));
        if reachable {
            let top = discrete.is_empty();
            let mut with_le = labels.clone();
            with_le.push("le".to_owned());
            out.push(labelled(format!("{base}_bucket"), &with_le, top));
            out.push(labelled(format!("{base}_sum"), &labels, false));
            out.push(labelled(format!("{base}_count"), &labels, false));
        }
    } else {
        counter(&mut out, format!("{base}_total"), format!("{base}_count"));
        counter(
            &mut out,
            format!("{base}_duration_seconds_total"),
            format!("{base}_duration_seconds_sum"),
        );
    }
    for field in fields {
        counter(
            &mut out,
            format!("{base}_{field}_total"),
            format!("{base}_{field}_sum"),
        );
    }
    let kind = if histogram { "histogram" } else { "counter" };
    (kind, out, buckets)
}

/// The `le` values of a quantized level, as the endpoint prints them:
/// durations in seconds with six decimals (computed in single precision,
/// as Dovecot does), other fields as integers.
fn bucket_labels(level: &Level) -> Vec<String> {
    let limits: Vec<u64> = match level.method {
        Method::Discrete => Vec::new(),
        Method::Exponential { min, max, base } => (min..=max)
            .map(|e| {
                u32::try_from(e)
                    .ok()
                    .and_then(|e| base.checked_pow(e))
                    .unwrap_or(u64::MAX)
            })
            .collect(),
        Method::Linear { min, max, step } => {
            let count = max
                .saturating_sub(min)
                .checked_div(step)
                .map_or(0, |n| n.saturating_add(1));
            (0..count.min(10_000))
                .map(|i| min.saturating_add(i.saturating_mul(step)))
                .collect()
        }
    };
    let mut out: Vec<String> = limits
        .into_iter()
        .map(|limit| {
            if level.field == "duration" {
                #[allow(clippy::cast_precision_loss)]
                let seconds = limit as f32 / 1e6_f32;
                format!("{:.6}", f64::from(seconds))
            } else {
                limit.to_string()
            }
        })
        .collect();
    out.push("+Inf".to_owned());
    out
}

impl Prediction {
    /// Every series of every metric, as `name{label,…}` lines.
    #[must_use]
    pub fn series_keys(&self) -> BTreeSet<String> {
        self.metrics
            .iter()
            .flat_map(|m| m.series.iter())
            .map(|s| format!("{}{{{}}}", s.name, s.labels.join(",")))
            .collect()
    }
}

/// `dovecot-eventgen metrics`: exit 0, 2 for an unknown release, 3 on an
/// I/O error.
pub(crate) fn cli(args: &crate::cli::MetricsArgs) -> crate::exit::Exit {
    use std::io::Write as _;
    let model = match crate::cli::model(args.schema.as_deref()) {
        Ok(model) => model,
        Err(err) => return crate::cli::fail(&err),
    };
    let Some(target) = crate::cli::target(&model, Some(args.target), "--target") else {
        return crate::exit::Exit::BadInput;
    };
    let prediction = match predict_file(&model, &args.config, target) {
        Ok(p) => p,
        Err(source) => {
            return crate::cli::fail(&dovecot_events_codegen::Error::Io {
                path: args.config.clone(),
                source,
            });
        }
    };
    let text = match args.format {
        crate::cli::DiffFormat::Text => prediction.to_text(),
        crate::cli::DiffFormat::Markdown => prediction.to_markdown(),
        crate::cli::DiffFormat::Json => prediction.to_json(),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    crate::exit::Exit::Clean
}
