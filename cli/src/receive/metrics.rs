//! The receiver's own counters, served on `/metrics` in Prometheus' text
//! format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A counter that every thread adds to as events arrive: each thread adds
/// to a slot of its own, on its own cache line, so that threads counting
/// every event do not wait for each other's line; a read adds the slots.
#[derive(Default)]
pub struct Counter([Slot; SLOTS]);

#[derive(Default)]
#[repr(align(128))]
struct Slot(AtomicU64);

const SLOTS: usize = 8;

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0[thread_number() % SLOTS]
            .0
            .fetch_add(n, Ordering::Relaxed);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        self.0
            .iter()
            .map(|slot| slot.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

/// A number of the calling thread, the same for its life: threads take
/// the numbers in the order they first ask.
pub fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed));
    MINE.with(|mine| *mine)
}

/// Counters updated from every thread.
pub struct Metrics {
    /// Events accepted (spooled), per transport: http-post, unix, file.
    pub events: [Counter; 3],
    /// Bytes of the events accepted.
    pub bytes: Counter,
    /// Events written to the output.
    pub written: AtomicU64,
    /// Events that arrived but could not be kept (spool full or failing).
    pub lost: AtomicU64,
    /// Failed writes to the output (retried).
    pub output_errors: AtomicU64,
    /// Requests and lines turned away, per reason.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// When a rejection was last printed, and how many were not printed
    /// since.
    complaints: Mutex<(Option<Instant>, u64)>,
    started: SystemTime,
}

/// The transports, in the order of [`Metrics::events`].
pub const TRANSPORTS: [&str; 3] = ["http-post", "unix", "file"];

impl Metrics {
    pub fn new() -> Metrics {
        Metrics {
            events: Default::default(),
            bytes: Counter::default(),
            written: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            output_errors: AtomicU64::new(0),
            rejected: Mutex::new(BTreeMap::new()),
            complaints: Mutex::new((None, 0)),
            started: SystemTime::now(),
        }
    }

    /// Counts a rejection and prints it, at most once a second (with the
    /// number left unprinted), so a flood cannot flood the log.
    pub fn reject(&self, reason: &'static str, message: &str) {
        *self
            .rejected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(reason)
            .or_default() += 1;
        let mut complaints = self.complaints.lock().unwrap_or_else(|e| e.into_inner());
        let (last, suppressed) = &mut *complaints;
        if last.is_none_or(|at| at.elapsed().as_secs() >= 1) {
            match *suppressed {
                0 => eprintln!("rejected: {message}"),
                n => eprintln!("rejected: {message} ({n} more rejections not shown)"),
            }
            *last = Some(Instant::now());
            *suppressed = 0;
        } else {
            *suppressed += 1;
        }
    }

    /// How many were rejected in all.
    pub fn rejected_total(&self) -> u64 {
        self.rejected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }

    /// The exposition text; `state` adds the gauges only the caller knows.
    pub fn render(&self, state: &State) -> String {
        let mut text = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(text, "# HELP dovecot_receive_{name} {help}");
            let _ = writeln!(text, "# TYPE dovecot_receive_{name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(text, "dovecot_receive_{name}{labels} {value}");
            }
        };
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed) as f64;
        metric(
            "up",
            "gauge",
            "Whether the receiver runs.",
            &[(String::new(), 1.0)],
        );
        let started = self.started.duration_since(UNIX_EPOCH).unwrap_or_default();
        metric(
            "start_time_seconds",
            "gauge",
            "When the receiver started, in Unix seconds.",
            &[(String::new(), started.as_secs_f64())],
        );
        let events: Vec<(String, f64)> = TRANSPORTS
            .iter()
            .zip(&self.events)
            .map(|(transport, n)| (format!("{{transport=\"{transport}\"}}"), n.get() as f64))
            .collect();
        metric(
            "events_total",
            "counter",
            "Events accepted into the spool, per transport.",
            &events,
        );
        metric(
            "bytes_total",
            "counter",
            "Bytes of the events accepted.",
            &[(String::new(), self.bytes.get() as f64)],
        );
        metric(
            "written_total",
            "counter",
            "Events written to the output.",
            &[(String::new(), load(&self.written))],
        );
        metric(
            "lost_total",
            "counter",
            "Events that arrived but could not be kept (spool full or failing); each was \
             answered 503.",
            &[(String::new(), load(&self.lost))],
        );
        let rejected: Vec<(String, f64)> = self
            .rejected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(reason, n)| (format!("{{reason=\"{reason}\"}}"), *n as f64))
            .collect();
        metric(
            "rejected_total",
            "counter",
            "Requests and lines turned away, per reason.",
            &rejected,
        );
        metric(
            "output_errors_total",
            "counter",
            "Failed writes to the output (the events stay spooled and are retried).",
            &[(String::new(), load(&self.output_errors))],
        );
        metric(
            "findings_total",
            "counter",
            "Live-check findings against the target release, per severity.",
            &[
                ("{severity=\"error\"}".to_owned(), state.errors as f64),
                ("{severity=\"warning\"}".to_owned(), state.warnings as f64),
            ],
        );
        metric(
            "spool_depth",
            "gauge",
            "Events spooled and not yet written to the output.",
            &[(String::new(), state.spool_depth as f64)],
        );
        metric(
            "spool_bytes",
            "gauge",
            "Bytes held in the spool's segments.",
            &[(String::new(), state.spool_bytes as f64)],
        );
        metric(
            "coverage_events_ratio",
            "gauge",
            "The share of the target release's events seen.",
            &[(String::new(), state.coverage)],
        );
        text
    }
}

/// Values the metrics page shows that live elsewhere.
pub struct State {
    pub errors: u64,
    pub warnings: u64,
    pub spool_depth: u64,
    pub spool_bytes: u64,
    pub coverage: f64,
}
