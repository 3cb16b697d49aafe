//! What happens to each received event: read once, checked live against
//! the target release, written to the spool as one normalized line, and
//! only then acknowledged.

use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::LocalKey;
use std::time::SystemTime;

use dovecot_events::Timestamp;
use dovecot_events_codegen::Version;
use dovecot_events_codegen::lookup::Lookup;
use dovecot_events_codegen::model::EventModel;
use dovecot_events_receiver::{Handler, Page, Received, Refusal, Rejection, Source};

use super::metrics::{Counter, Metrics, State, thread_number};
use super::normalize;
use super::report::{Counters, LiveReport, ReportFormat, totals};
use super::spool::{Shared, Spool};
use crate::coverage::Coverage;
use crate::verify::{Limits, Matched, Report, Verifier};

/// The handler every transport feeds.
pub struct Pipeline {
    /// The model and target, and how events are found in it.
    lookup: Arc<Lookup<'static>>,
    /// The live check, in shards: each thread checks into its own (see
    /// [`thread_number`]), and a report adds them up.
    checks: Box<[Mutex<Check>]>,
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
    /// A pipeline checking against `target`, its live check in `shards`
    /// parts (one per thread that receives events keeps them from waiting
    /// for each other).
    pub fn new(
        model: &'static EventModel,
        target: Version,
        shards: usize,
        spool: Spool,
        shared: Arc<Shared>,
        metrics: Arc<Metrics>,
    ) -> Pipeline {
        let lookup = Arc::new(Lookup::new(model, target));
        let checks = (0..shards.max(1))
            .map(|_| {
                Mutex::new(Check {
                    verifier: Verifier::with_lookup(lookup.clone(), Limits::default()),
                    coverage: Coverage::new(model, target),
                })
            })
            .collect();
        Pipeline {
            lookup,
            checks,
            spool,
            shared,
            metrics,
            file_position: Mutex::new(None),
        }
    }

    /// The calling thread's shard of the live check.
    fn check(&self) -> std::sync::MutexGuard<'_, Check> {
        let shard = thread_number() % self.checks.len();
        self.checks[shard].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The findings and coverage of every shard, added up.
    fn checked(&self) -> (Report, crate::coverage::CoverageReport) {
        let checks: Vec<_> = self
            .checks
            .iter()
            .map(|check| check.lock().unwrap_or_else(|e| e.into_inner()))
            .collect();
        let mut coverage = Coverage::new(self.lookup.model(), self.lookup.target());
        for check in &checks {
            coverage.merge(&check.coverage);
        }
        let findings = Report::merged(
            checks.iter().map(|check| check.verifier.report()),
            &Limits::default(),
        );
        (findings, coverage.report())
    }

    /// The report so far, and the gate's inputs: (text, errors, warnings,
    /// coverage).
    pub fn report(
        &self,
        format: ReportFormat,
    ) -> (String, u64, u64, crate::coverage::CoverageReport) {
        let counters = self.counters();
        let (findings, coverage) = self.checked();
        let (errors, warnings) = totals(&findings);
        let text = LiveReport {
            counters,
            errors,
            warnings,
            findings: &findings,
            coverage: &coverage,
        }
        .render(format);
        (text, errors, warnings, coverage)
    }

    fn counters(&self) -> Counters {
        let metrics = &self.metrics;
        Counters {
            accepted: metrics.events.iter().map(Counter::get).sum(),
            written: metrics.written.load(Ordering::Relaxed),
            rejected: metrics.rejected_total(),
            lost: metrics.lost.load(Ordering::Relaxed),
            spool_depth: self.spool_depth(),
        }
    }

    /// The last sequence number given out, kept or not.
    pub fn numbered(&self) -> u64 {
        self.shared.numbered()
    }

    /// Events spooled and not yet written to the output.
    pub fn spool_depth(&self) -> u64 {
        self.shared.pending()
    }

    fn metrics_page(&self) -> String {
        let (errors, warnings, coverage) = {
            let (findings, coverage) = self.checked();
            let (errors, warnings) = totals(&findings);
            (errors, warnings, coverage.event_percent() / 100.0)
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

thread_local! {
    /// Memory of earlier [`Matched`]s of the calling thread, for the next.
    static MATCHED: RefCell<Vec<Vec<Option<usize>>>> = const { RefCell::new(Vec::new()) };
    /// Buffers of earlier event lines of the calling thread, for the next.
    static LINES: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `pool`, empty, or a new one of `capacity`. Each thread
/// keeps a few, since the requests it serves interleave while they wait
/// for the spool.
fn take<T>(pool: &'static LocalKey<RefCell<Vec<Vec<T>>>>, capacity: usize) -> Vec<T> {
    let mut buffer = pool
        .with_borrow_mut(Vec::pop)
        .unwrap_or_else(|| Vec::with_capacity(capacity));
    buffer.clear();
    buffer.reserve(capacity);
    buffer
}

/// Keeps `buffer` in `pool` for the next [`take`], unless the pool is
/// full or the buffer held a rare large event.
fn give<T>(pool: &'static LocalKey<RefCell<Vec<Vec<T>>>>, buffer: Vec<T>, most: usize) {
    if buffer.capacity() <= most {
        pool.with_borrow_mut(|pool| {
            if pool.len() < 16 {
                pool.push(buffer);
            }
        });
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
        let mut matched = Matched {
            event: None,
            fields: take(&MATCHED, 64),
        };
        matched.find(&self.lookup, &raw);
        // A line is about as long as the body; time stamps and names add
        // a little.
        let mut line = take(&LINES, received.body.len().saturating_add(512));
        normalize::write(
            &mut line,
            &raw,
            &matched,
            received.format,
            &received.source,
            now(),
        );
        let (appended, line) = self.spool.append(line).await;
        give(&LINES, line, 64 << 10);
        let seq = match appended {
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
        self.metrics.events[transport].add(1);
        self.metrics.bytes.add(received.body.len() as u64);
        {
            let mut check = self.check();
            check.verifier.matched(seq, &raw, &matched);
            check.coverage.observe(&matched);
        }
        give(&MATCHED, matched.fields, 1 << 12);
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
