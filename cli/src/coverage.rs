//! Which of a release's events and fields a stream of exported events
//! showed (`dovecot-eventgen receive`'s coverage report).
//!
//! A [`Coverage`] is fed the same events as a
//! [`Verifier`](crate::verify::Verifier), as [`Matched`] against the
//! schema once for both; it only counts what the schema
//! lists for the target release, so its memory is bounded by the schema,
//! whatever the input.

use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::{Event, EventModel};
use serde::Serialize;

use crate::verify::Matched;

/// Counts of the target release's events and fields seen so far.
pub struct Coverage<'m> {
    target: Version,
    /// Per event of the model, by its [`Found`](dovecot_events_codegen::lookup::Found)
    /// number (name order): how often it and each of its fields were seen,
    /// or `None` when the target does not send it.
    events: Vec<Option<Counts<'m>>>,
}

struct Counts<'m> {
    event: &'m Event,
    seen: u64,
    /// Per field of `event.fields`, in schema order: how often it was
    /// seen, or `None` when the target does not send it.
    fields: Vec<Option<u64>>,
}

impl Counts<'_> {
    /// The names of the target's fields seen (`true`) or not (`false`).
    fn names(&self, seen: bool) -> impl Iterator<Item = &str> {
        self.event
            .fields
            .iter()
            .zip(&self.fields)
            .filter(move |(_, n)| n.is_some_and(|n| (n > 0) == seen))
            .map(|(field, _)| field.name.as_str())
    }
}

impl<'m> Coverage<'m> {
    /// Nothing seen yet of what `model` lists for release `target`.
    #[must_use]
    pub fn new(model: &'m EventModel, target: Version) -> Self {
        let events = model
            .events
            .values()
            .map(|event| {
                event.exists_in(target).then(|| Counts {
                    event,
                    seen: 0,
                    fields: event
                        .fields
                        .iter()
                        .map(|field| field.exists_in(target).then_some(0))
                        .collect(),
                })
            })
            .collect();
        Coverage { target, events }
    }

    /// Counts one event, matched by a [`Lookup`](dovecot_events_codegen::lookup::Lookup)
    /// of this coverage's model; events and fields the target does not
    /// send are left to the verifier's findings.
    pub fn observe(&mut self, matched: &Matched<'_>) {
        let Some(found) = matched.event else {
            return;
        };
        let Some(Some(counts)) = self.events.get_mut(found.number) else {
            return;
        };
        counts.seen += 1;
        for &index in matched.fields.iter().flatten() {
            if let Some(Some(n)) = counts.fields.get_mut(index) {
                *n += 1;
            }
        }
    }

    /// Adds what `other`, a coverage of the same model and target, counted.
    pub fn merge(&mut self, other: &Coverage<'_>) {
        for (mine, theirs) in self.events.iter_mut().zip(&other.events) {
            let (Some(mine), Some(theirs)) = (mine, theirs) else {
                continue;
            };
            mine.seen += theirs.seen;
            for (mine, theirs) in mine.fields.iter_mut().zip(&theirs.fields) {
                if let (Some(mine), Some(theirs)) = (mine, theirs) {
                    *mine += theirs;
                }
            }
        }
    }

    /// The report so far.
    #[must_use]
    pub fn report(&self) -> CoverageReport {
        let mut report = CoverageReport {
            target: self.target,
            events_total: 0,
            events_seen: 0,
            fields_total: 0,
            fields_seen: 0,
            events: Vec::new(),
        };
        for counts in self.events.iter().flatten() {
            let fields_seen: Vec<String> = counts.names(true).map(str::to_owned).collect();
            let fields_not_seen: Vec<String> = counts.names(false).map(str::to_owned).collect();
            report.events_total += 1;
            report.fields_total += (fields_seen.len() + fields_not_seen.len()) as u64;
            report.fields_seen += fields_seen.len() as u64;
            if counts.seen > 0 {
                report.events_seen += 1;
            }
            report.events.push(EventCoverage {
                event: counts.event.name.clone(),
                seen: counts.seen,
                fields_seen,
                fields_not_seen,
            });
        }
        report
    }
}

/// What [`Coverage::report`] returns.
#[derive(Clone, Debug, Serialize)]
pub struct CoverageReport {
    /// The release whose events and fields are counted.
    pub target: Version,
    /// How many events the release sends.
    pub events_total: u64,
    /// How many of them were seen.
    pub events_seen: u64,
    /// How many fields the release's events have, counted per event.
    pub fields_total: u64,
    /// How many of them were seen.
    pub fields_seen: u64,
    /// Per event, in name order.
    pub events: Vec<EventCoverage>,
}

/// One event's line of a [`CoverageReport`].
#[derive(Clone, Debug, Serialize)]
pub struct EventCoverage {
    /// The event's name.
    pub event: String,
    /// How often it was seen.
    pub seen: u64,
    /// Its fields that were seen at least once, in schema order.
    pub fields_seen: Vec<String>,
    /// Its fields never seen, in schema order.
    pub fields_not_seen: Vec<String>,
}

impl CoverageReport {
    /// The share of the release's events seen, in percent.
    #[must_use]
    pub fn event_percent(&self) -> f64 {
        percent(self.events_seen, self.events_total)
    }

    /// The share of the seen events' fields that were seen, in percent:
    /// how completely the events that did arrive were exercised.
    #[must_use]
    pub fn field_percent_of_seen(&self) -> f64 {
        let (seen, total) = self.events.iter().filter(|event| event.seen > 0).fold(
            (0, 0),
            |(seen, total), event| {
                let n = event.fields_seen.len() as u64;
                (seen + n, total + n + event.fields_not_seen.len() as u64)
            },
        );
        percent(seen, total)
    }

    /// A summary line and the events never seen, for people.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "coverage of Dovecot {}: {} of {} events seen ({:.1}%), {} of {} fields \
             ({:.1}% of the fields of the events seen)\n",
            self.target,
            self.events_seen,
            self.events_total,
            self.event_percent(),
            self.fields_seen,
            self.fields_total,
            self.field_percent_of_seen(),
        );
        let unseen: Vec<&str> = self
            .events
            .iter()
            .filter(|event| event.seen == 0)
            .map(|event| event.event.as_str())
            .collect();
        if !unseen.is_empty() {
            text.push_str(&format!("events not seen: {}\n", unseen.join(", ")));
        }
        for event in self.events.iter().filter(|event| event.seen > 0) {
            if !event.fields_not_seen.is_empty() {
                text.push_str(&format!(
                    "{} (seen {}): fields not seen: {}\n",
                    event.event,
                    event.seen,
                    event.fields_not_seen.join(", ")
                ));
            }
        }
        text
    }

    /// A Markdown section: a summary and one table row per event.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut text = format!(
            "## Coverage of Dovecot {}\n\n{} of {} events seen ({:.1}%), {} of {} fields \
             ({:.1}% of the fields of the events seen).\n\n\
             | event | seen | fields seen | fields not seen |\n|---|---|---|---|\n",
            self.target,
            self.events_seen,
            self.events_total,
            self.event_percent(),
            self.fields_seen,
            self.fields_total,
            self.field_percent_of_seen(),
        );
        for event in &self.events {
            text.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                event.event,
                event.seen,
                event.fields_seen.len(),
                event.fields_not_seen.join(", ")
            ));
        }
        text
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_the_target_release() {
        let model = dovecot_events_codegen::load_embedded().expect("embedded schema");
        let target: Version = "2.3.19".parse().expect("version");
        let mut coverage = Coverage::new(&model, target);
        let raw = dovecot_events::json::from_str_raw(
            r#"{"event":"imap_command_finished","fields":{"cmd_name":"SELECT","bogus":1}}"#,
        )
        .expect("event");
        let lookup = dovecot_events_codegen::lookup::Lookup::new(&model, target);
        let mut matched = Matched::default();
        matched.find(&lookup, &raw);
        coverage.observe(&matched);
        let mut other = Coverage::new(&model, target);
        other.observe(&matched);
        coverage.merge(&other);
        let report = coverage.report();
        assert_eq!(report.events_seen, 1);
        assert_eq!(report.fields_seen, 1);
        let imap = report
            .events
            .iter()
            .find(|event| event.event == "imap_command_finished")
            .expect("listed");
        assert_eq!(imap.seen, 2);
        assert_eq!(imap.fields_seen, ["cmd_name"]);
        assert!(
            imap.fields_not_seen
                .iter()
                .any(|field| field == "tagged_reply_state")
        );
        assert!(report.to_text().contains("1 of "));
    }
}
