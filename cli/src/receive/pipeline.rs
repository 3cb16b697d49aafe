//! What happens to each received event: read once, checked live against
//! the target release, written to the spool as one normalized line, and
//! only then acknowledged.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use dovecot_events::Timestamp;
use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::EventModel;
use dovecot_events_receiver::{Handler, Page, Received, Refusal, Rejection, Source};

use super::metrics::{Metrics, State};
use super::normalize;
use super::report::{Counters, LiveReport, ReportFormat, totals};
use super::spool::{Shared, Spool};
use crate::coverage::Coverage;
use crate::verify::{Limits, Verifier};

/// The handler every transport feeds.
pub struct Pipeline {
    model: &'static EventModel,
    target: Version,
    check: Mutex<Check>,
    spool: Spool,
    shared: Arc<Shared>,
    pub metrics: Arc<Metrics>,
    /// The position after the last line of a followed file that was
    /// spooled: (inode, offset).
    pub file_position: Mutex<Option<(u64, u64)>>,
}

struct Check {
    verifier: Verifier<'static>,
    coverage: Coverage<'static>,
}

impl Pipeline {
    pub fn new(
        model: &'static EventModel,
        target: Version,
        spool: Spool,
        shared: Arc<Shared>,
        metrics: Arc<Metrics>,
    ) -> Pipeline {
        Pipeline {
            model,
            target,
            check: Mutex::new(Check {
                verifier: Verifier::new(model, target, Limits::default()),
                coverage: Coverage::new(model, target),
            }),
            spool,
            shared,
            metrics,
            file_position: Mutex::new(None),
        }
    }

    fn check(&self) -> std::sync::MutexGuard<'_, Check> {
        self.check.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The report so far, and the gate's inputs: (text, errors, warnings,
    /// coverage).
    pub fn report(
        &self,
        format: ReportFormat,
    ) -> (String, u64, u64, crate::coverage::CoverageReport) {
        let counters = self.counters();
        let check = self.check();
        let findings = check.verifier.report();
        let coverage = check.coverage.report();
        let (errors, warnings) = totals(findings);
        let text = LiveReport {
            counters,
            errors,
            warnings,
            findings,
            coverage: &coverage,
        }
        .render(format);
        (text, errors, warnings, coverage)
    }

    fn counters(&self) -> Counters {
        let metrics = &self.metrics;
        Counters {
            accepted: metrics
                .events
                .iter()
                .map(|n| n.load(Ordering::Relaxed))
                .sum(),
            written: metrics.written.load(Ordering::Relaxed),
            rejected: metrics.rejected_total(),
            lost: metrics.lost.load(Ordering::Relaxed),
            spool_depth: self.spool_depth(),
        }
    }

    /// Events spooled and not yet written to the output.
    pub fn spool_depth(&self) -> u64 {
        self.shared
            .written()
            .saturating_sub(self.shared.delivered.load(Ordering::Relaxed))
    }

    fn metrics_page(&self) -> String {
        let (errors, warnings, coverage) = {
            let check = self.check();
            let (errors, warnings) = totals(check.verifier.report());
            (
                errors,
                warnings,
                check.coverage.report().event_percent() / 100.0,
            )
        };
        self.metrics.render(&State {
            errors,
            warnings,
            spool_depth: self.spool_depth(),
            spool_bytes: self.shared.bytes.load(Ordering::Relaxed),
            coverage,
        })
    }
}

/// The current time; `None` only on a clock set before 1970.
fn now() -> Option<Timestamp> {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?;
    Timestamp::from_unix(
        i64::try_from(since.as_secs()).ok()?,
        since.subsec_micros() * 1000,
    )
}

impl Handler for Pipeline {
    async fn event(&self, received: Received) -> Result<(), Refusal> {
        let raw = match received.parse_raw() {
            Ok(raw) => raw,
            Err(error) => {
                // Counted as a finding too: a Dovecot whose events do not
                // parse fails the live check.
                self.check()
                    .verifier
                    .line(0, &received.body, verify_format(received.format));
                return Err(Refusal::Malformed(error.to_string()));
            }
        };
        let mut line = Vec::with_capacity(received.body.len() + 192);
        normalize::write(
            &mut line,
            self.model,
            self.target,
            &raw,
            received.format,
            &received.source,
            now(),
        );
        let seq = match self.spool.append(line).await {
            Ok(seq) => seq,
            Err(why) => {
                self.metrics.lost.fetch_add(1, Ordering::Relaxed);
                return Err(Refusal::Unavailable(why));
            }
        };
        let transport = match received.source {
            Source::Http { .. } => 0,
            Source::Unix { .. } => 1,
            Source::File { inode, end } => {
                *self.file_position.lock().unwrap_or_else(|e| e.into_inner()) = Some((inode, end));
                2
            }
        };
        self.metrics.events[transport].fetch_add(1, Ordering::Relaxed);
        self.metrics
            .bytes
            .fetch_add(received.body.len() as u64, Ordering::Relaxed);
        let mut check = self.check();
        check.verifier.event(seq, &raw);
        check.coverage.observe(&raw);
        Ok(())
    }

    fn page(&self, path: &str, query: Option<&str>) -> Option<Page> {
        match path {
            "/metrics" => Some(Page {
                content_type: "text/plain; version=0.0.4; charset=utf-8",
                body: self.metrics_page().into_bytes(),
            }),
            "/report" => {
                let format = ReportFormat::from_query(query);
                Some(Page {
                    content_type: format.content_type(),
                    body: self.report(format).0.into_bytes(),
                })
            }
            "/health" => Some(Page {
                content_type: "text/plain; charset=utf-8",
                body: b"ok\n".to_vec(),
            }),
            _ => None,
        }
    }

    fn rejected(&self, rejection: &Rejection) {
        self.metrics
            .reject(rejection.reason(), &rejection.to_string());
    }
}

fn verify_format(format: dovecot_events_receiver::Format) -> crate::verify::InputFormat {
    match format {
        dovecot_events_receiver::Format::Json => crate::verify::InputFormat::Json,
        dovecot_events_receiver::Format::TabText => crate::verify::InputFormat::TabText,
    }
}
