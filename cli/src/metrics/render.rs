//! The prediction as text, Markdown or JSON.

use std::fmt::Write as _;

use super::{MetricPlan, Prediction};

fn series_line(name: &str, labels: &[String]) -> String {
    if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", labels.join(","))
    }
}

fn events_text(metric: &MetricPlan) -> String {
    if metric.any_event {
        "any event the filter matches".to_owned()
    } else if metric.events.is_empty() {
        "none".to_owned()
    } else {
        metric.events.join(", ")
    }
}

impl Prediction {
    /// Plain text for people.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for m in &self.metrics {
            let _ = writeln!(out, "metric {} ({}, {}):", m.name, m.location, m.kind);
            for s in &m.series {
                let when = if s.always { "" } else { "  (once counted)" };
                let _ = writeln!(out, "  {}{when}", series_line(&s.name, &s.labels));
            }
            if !m.buckets.is_empty() {
                let _ = writeln!(out, "  buckets (le): {}", m.buckets.join(", "));
            }
            let _ = writeln!(out, "  events: {}", events_text(m));
            for w in &m.warnings {
                let _ = writeln!(out, "  warning: {w}");
            }
        }
        let warnings: usize = self.metrics.iter().map(|m| m.warnings.len()).sum();
        let _ = writeln!(
            out,
            "{} metrics, {} series names, {warnings} warnings for Dovecot {}",
            self.metrics.len(),
            self.metrics.iter().map(|m| m.series.len()).sum::<usize>(),
            self.target
        );
        out
    }

    /// Markdown: one section per metric with a table of series.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# OpenMetrics series for Dovecot {}\n", self.target);
        for m in &self.metrics {
            let _ = write!(
                out,
                "\n## `{}` ({})\n\n{} at `{}`; events: {}\n\n| series | labels | before the first event |\n| --- | --- | --- |\n",
                m.name,
                m.kind,
                m.kind,
                m.location,
                events_text(m)
            );
            for s in &m.series {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    s.name,
                    if s.labels.is_empty() {
                        "—".to_owned()
                    } else {
                        s.labels
                            .iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    if s.always { "yes" } else { "no" }
                );
            }
            if !m.buckets.is_empty() {
                let _ = writeln!(out, "\nBuckets (`le`): {}", m.buckets.join(", "));
            }
            for w in &m.warnings {
                let _ = writeln!(out, "\n> **Warning:** {w}");
            }
        }
        out
    }

    /// JSON for tools.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}
