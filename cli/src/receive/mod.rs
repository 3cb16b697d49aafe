//! `dovecot-eventgen receive`: a live receiver for Dovecot's event exporter
//! that checks every event against a release and keeps every event it
//! acknowledges.
//!
//! The transports (http-post, unix socket, followed file) come from the
//! `dovecot-events-receiver` crate; each event goes through the
//! `pipeline::Pipeline`: read once, normalized to one JSON line, appended
//! to the `spool` (a write-ahead journal) and only then acknowledged,
//! then checked by the [`Verifier`](crate::verify::Verifier) and counted
//! for [`Coverage`](crate::coverage::Coverage). The `output` thread writes
//! the spool, in order, to standard output or a rotated file.

mod metrics;
mod normalize;
mod output;
mod pipeline;
mod report;
mod spool;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use dovecot_events_codegen::{EventModel, Version};
use dovecot_events_receiver::{
    FollowConfig, HttpConfig, LineConfig, StartAt, Workers, follow_file, serve_http, serve_unix,
};
use tokio::sync::watch;

pub use report::{ReportFormat, Severity};

use metrics::Metrics;
use output::{Destination, Drained, Output, OutputConfig};
use pipeline::Pipeline;
use spool::{Spool, SpoolConfig};

/// Options of `receive`.
#[derive(Debug, clap::Args)]
pub struct ReceiveArgs {
    /// Serve Dovecot's http-post exporters on this address (repeatable),
    /// e.g. `127.0.0.1:8090`; `/metrics` and `/report` are served there too.
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<SocketAddr>,
    /// Allow a --listen address other than loopback: anyone who reaches it
    /// can send events.
    #[arg(long)]
    pub allow_remote: bool,
    /// Accept Dovecot 2.4's `unix` exporter driver on a socket at PATH.
    #[arg(long, value_name = "PATH")]
    pub unix: Option<PathBuf>,
    /// The unix socket's permission bits, in octal: Dovecot's stats
    /// process must be able to write to it.
    #[arg(long, value_name = "MODE", default_value = "660", value_parser = parse_mode)]
    pub unix_mode: u32,
    /// Follow the file Dovecot 2.4's `file` exporter driver appends to;
    /// the position is kept in the spool across restarts.
    #[arg(long, value_name = "FILE")]
    pub follow: Option<PathBuf>,
    /// The release to check against, e.g. `2.4.1`; a series (`2.3`) means
    /// its newest release (default: the newest release).
    #[arg(long)]
    pub target: Option<Version>,
    /// Write the events here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Rotate --out past this size (`K`, `M`, `G` suffixes allowed).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub rotate_bytes: Option<u64>,
    /// How many rotated files to keep (FILE.1 is the newest).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub rotate_keep: usize,
    /// The spool directory: every acknowledged event is written here before
    /// the answer (default: $STATE_DIRECTORY, else ./dovecot-events-spool).
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// The most the spool may hold; events beyond it are answered 503 and
    /// counted as lost.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1G")]
    pub spool_max_bytes: u64,
    /// Sync each spool write to disk before answering (survives a power
    /// loss, not only a crash of the receiver; slower).
    #[arg(long)]
    pub fsync: bool,
    /// The longest event accepted (`K`, `M` suffixes allowed).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "1M")]
    pub max_body: u64,
    /// How long a client may take to send a request's headers, and then
    /// its body, in seconds; slower clients are cut off.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub request_timeout: u64,
    /// The report's format (on SIGUSR1, at exit, and /report's default).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub report_format: ReportFormat,
    /// Write the report to this file (replaced each time) instead of
    /// standard error.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Exit 1 when the live check found anything of this severity or
    /// worse.
    #[arg(long, value_enum)]
    pub fail_on: Option<Severity>,
    /// Exit 1 when less than this percentage of the target's events was
    /// seen.
    #[arg(long, value_name = "PERCENT")]
    pub min_coverage: Option<f64>,
    /// At shutdown, how long to wait for the output to write what the spool
    /// holds, in seconds; the rest is written at the next start.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub drain_timeout: u64,
    /// Threads serving HTTP connections (default: one per core); each
    /// connection stays on one of them for its life.
    #[arg(long)]
    pub threads: Option<usize>,
    /// The schema directory (default: the embedded schema).
    #[arg(long)]
    pub schema: Option<PathBuf>,
}

/// Runs `receive` until SIGTERM or SIGINT; the exit code is 1 when the gate
/// (`--fail-on`, `--min-coverage`) fails or the receiver could not run.
#[must_use]
pub fn run(args: &ReceiveArgs) -> ExitCode {
    match receive(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn receive(args: &ReceiveArgs) -> Result<ExitCode, String> {
    let model = match &args.schema {
        Some(dir) => dovecot_events_codegen::load_dir(dir),
        None => dovecot_events_codegen::load_embedded().map_err(Into::into),
    }
    .map_err(|error| error.to_string())?;
    let model: &'static EventModel = Box::leak(Box::new(model));
    let target = resolve_target(model, args.target)?;
    if args.listen.is_empty() && args.unix.is_none() && args.follow.is_none() {
        return Err("nothing to receive from: give --listen, --unix or --follow".to_owned());
    }
    for address in &args.listen {
        if !address.ip().is_loopback() && !args.allow_remote {
            return Err(format!(
                "--listen {address} accepts events from other machines; pass --allow-remote \
                 to listen beyond loopback"
            ));
        }
    }
    let dir = args.spool.clone().unwrap_or_else(|| {
        std::env::var_os("STATE_DIRECTORY")
            .map_or_else(|| PathBuf::from("dovecot-events-spool"), PathBuf::from)
    });
    let metrics = Arc::new(Metrics::new());
    let destination = Destination::new(
        OutputConfig {
            path: args.out.clone(),
            rotate_bytes: args.rotate_bytes,
            keep: args.rotate_keep,
        },
        metrics.clone(),
    );
    let (spool, shared, recovered) = Spool::open(
        SpoolConfig {
            dir: dir.clone(),
            // The output removes a segment once it is delivered and a newer
            // one begun: a segment of at most a quarter of the spool's room
            // lets the spool empty itself however small that room is.
            segment_bytes: (64u64 << 20).min(args.spool_max_bytes / 4).max(1),
            max_bytes: args.spool_max_bytes,
            fsync: args.fsync,
        },
        Some(destination.clone()),
    )
    .map_err(|error| format!("cannot open the spool {}: {error}", dir.display()))?;
    eprintln!(
        "checking events against Dovecot {target}; spool {} ({} events from an earlier run \
         to deliver)",
        dir.display(),
        recovered.pending
    );
    let output = Output::start(shared.clone(), destination).map_err(|error| error.to_string())?;
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
        .max(1);
    // One shard of the live check per thread that handles events: the
    // HTTP threads and the one running everything else.
    let pipeline = Arc::new(Pipeline::new(
        model,
        target,
        threads + 1,
        spool,
        shared,
        metrics,
    ));

    // HTTP connections are served on threads of their own, each keeping
    // its connections (see `Workers`); the unix socket, the followed file
    // and the signals are served on this thread.
    let workers = Workers::start(threads).map_err(|error| error.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    // A transport that failed ends the serving, not the draining: what was
    // acknowledged is written out either way.
    let served = runtime.block_on(serve(args, &dir, workers.handles(), pipeline.clone()));
    drop(runtime);
    drop(workers);
    if let Err(error) = &served {
        // Said now, not after the drain, which may take a while.
        eprintln!("error: {error}; stopping once the output has what the spool holds");
    }

    let drained = output.drain(Duration::from_secs(args.drain_timeout));
    if drained == Drained::All {
        // Nothing is left and nothing more is numbered: the next start
        // numbers on from here, without skipping what was reserved.
        let _ = spool::write_reserved(&dir, pipeline.numbered());
    }
    save_position(&dir, &pipeline);
    let (text, errors, warnings, coverage) = pipeline.report(args.report_format);
    emit_report(args.report.as_deref(), &text);
    let why = match drained {
        Drained::All => None,
        Drained::TimedOut => Some(format!(
            "did not take every event within {} s",
            args.drain_timeout
        )),
        Drained::Broken => {
            Some("broke (its reader went away) before it had every event".to_owned())
        }
    };
    if let Some(why) = why {
        eprintln!(
            "warning: the output {why}; {} events stay in the spool and are written at the next \
             start",
            pipeline.spool_depth()
        );
    }
    if served.is_err() {
        return Ok(ExitCode::from(1));
    }
    let failures = report::gate(errors, warnings, args.fail_on, &coverage, args.min_coverage);
    for failure in &failures {
        eprintln!("failed: {failure}");
    }
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Serves every transport until SIGTERM or SIGINT, then lets each finish.
async fn serve(
    args: &ReceiveArgs,
    dir: &Path,
    runtimes: Vec<tokio::runtime::Handle>,
    pipeline: Arc<Pipeline>,
) -> Result<(), String> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let watcher = stop_rx.clone();
    let stopped = move || {
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    let config = HttpConfig {
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        header_timeout: Duration::from_secs(args.request_timeout.max(1)),
        body_timeout: Duration::from_secs(args.request_timeout.max(1)),
        runtimes,
        ..HttpConfig::default()
    };
    for address in &args.listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| format!("cannot listen on {address}: {error}"))?;
        let local = listener.local_addr().map_err(|error| error.to_string())?;
        eprintln!("listening on http://{local}/");
        let server = serve_http(listener, pipeline.clone(), config.clone(), stopped());
        tasks.spawn(async move { server.await.map_err(|e| format!("http: {e}")) });
    }
    if let Some(path) = &args.unix {
        let config = LineConfig {
            max_line: config.max_body,
            mode: args.unix_mode,
            ..LineConfig::default()
        };
        let (socket, handler, stop) = (path.clone(), pipeline.clone(), stopped());
        // Bind before announcing, so a client started after the message
        // finds the socket.
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn(async move {
            let announce = async {
                let _ = ready_tx.send(());
                stop.await;
            };
            serve_unix(&socket, handler, config, announce)
                .await
                .map_err(|e| format!("cannot serve the unix socket {}: {e}", socket.display()))
        });
        let _ = ready_rx.await;
        eprintln!("listening on unix:{}", path.display());
    }
    if let Some(path) = &args.follow {
        let start = read_position(dir).map_or(StartAt::Start, |(inode, offset)| StartAt::Resume {
            inode,
            offset,
        });
        let config = FollowConfig {
            start,
            max_line: config.max_body,
            ..FollowConfig::default()
        };
        let (file, handler, stop) = (path.clone(), pipeline.clone(), stopped());
        eprintln!("following {}", path.display());
        tasks.spawn(async move {
            follow_file(file.clone(), handler, config, stop)
                .await
                .map_err(|e| format!("cannot follow {}: {e}", file.display()))
        });
        let (dir, saver, mut stop) = (dir.to_path_buf(), pipeline.clone(), watcher);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = stop.wait_for(|stop| *stop) => return,
                    _ = tick.tick() => save_position(&dir, &saver),
                }
            }
        });
    }
    signals(args, pipeline.clone(), stop_tx, &mut tasks).await
}

/// Waits for SIGTERM or SIGINT (then stops every transport and waits for
/// them) while answering SIGUSR1 with the report; a transport that fails
/// on its own ends the run too.
async fn signals(
    args: &ReceiveArgs,
    pipeline: Arc<Pipeline>,
    stop: watch::Sender<bool>,
    tasks: &mut tokio::task::JoinSet<Result<(), String>>,
) -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind| signal(kind).map_err(|error| format!("cannot handle signals: {error}"));
    let (mut term, mut int, mut usr1) = (
        listen(SignalKind::terminate())?,
        listen(SignalKind::interrupt())?,
        listen(SignalKind::user_defined1())?,
    );
    let mut failure = None;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = usr1.recv() => {
                let (text, ..) = pipeline.report(args.report_format);
                emit_report(args.report.as_deref(), &text);
            }
            Some(done) = tasks.join_next() => {
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => { failure = Some(error); break; }
                    Err(error) => { failure = Some(error.to_string()); break; }
                }
                if tasks.is_empty() {
                    break;
                }
            }
        }
    }
    eprintln!("stopping: finishing open requests, then writing what the spool holds");
    let _ = stop.send(true);
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(error)) = done {
            failure.get_or_insert(error);
        }
    }
    failure.map_or(Ok(()), Err)
}

/// The release to check against: `requested` when the schema knows it,
/// the newest release of the series it names otherwise, the newest
/// release of all without it.
fn resolve_target(model: &EventModel, requested: Option<Version>) -> Result<Version, String> {
    let newest = |series: Option<Version>| {
        model
            .versions
            .iter()
            .rev()
            .find(|v| series.is_none_or(|series| v.is_in_series(series)))
            .copied()
    };
    match requested {
        Some(version) if model.versions.contains(&version) => Ok(version),
        requested => newest(requested).ok_or_else(|| {
            format!(
                "{} is not a release or series the schema knows; known releases: {}",
                requested.map(|v| v.to_string()).unwrap_or_default(),
                model
                    .versions
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }),
    }
}

/// A size in bytes with an optional `K`, `M` or `G` suffix (powers of
/// 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("`{text}` is not a size such as 512K, 64M or 1G")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{text}` is not a size such as 512K, 64M or 1G"))
}

fn parse_mode(text: &str) -> Result<u32, String> {
    u32::from_str_radix(text.trim_start_matches("0o"), 8)
        .ok()
        .filter(|mode| *mode <= 0o777)
        .ok_or_else(|| format!("`{text}` is not an octal permission such as 660"))
}

fn emit_report(path: Option<&Path>, text: &str) {
    match path {
        Some(path) => {
            let temporary = path.with_extension("tmp");
            if let Err(error) =
                std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path))
            {
                eprintln!(
                    "error: cannot write the report to {}: {error}",
                    path.display()
                );
            }
        }
        None => eprint!("{text}"),
    }
}

/// The followed file's position, kept in the spool directory.
fn read_position(dir: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(dir.join("follow-position")).ok()?;
    let mut words = text.split_whitespace().map(|word| word.parse::<u64>().ok());
    Some((words.next()??, words.next()??))
}

fn save_position(dir: &Path, pipeline: &Pipeline) {
    let position = *pipeline
        .file_position
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((inode, offset)) = position {
        let temporary = dir.join("follow-position.tmp");
        let _ = std::fs::write(&temporary, format!("{inode} {offset}\n"))
            .and_then(|()| std::fs::rename(&temporary, dir.join("follow-position")));
    }
}

/// An empty directory for one unit test of this module, named for it.
#[cfg(test)]
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dovecot-receive-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("directory");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn targets() {
        let model = dovecot_events_codegen::load_embedded().expect("embedded schema");
        let v = |text: &str| text.parse::<Version>().expect("version");
        assert_eq!(resolve_target(&model, Some(v("2.3.19"))), Ok(v("2.3.19")));
        let newest_2_3 = resolve_target(&model, Some(v("2.3"))).expect("series");
        assert!(newest_2_3.is_in_series(v("2.3")));
        assert_eq!(
            resolve_target(&model, None).ok(),
            model.versions.last().copied()
        );
        assert!(resolve_target(&model, Some(v("9.9"))).is_err());
    }
}
