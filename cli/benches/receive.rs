//! Load benchmark of `dovecot-eventgen receive`: posts the captured events
//! of `tests/fixtures/exports/` over loopback, with keep-alive connections
//! as Dovecot's HTTP client uses them, at increasing rates, and reports per
//! rate the events/s achieved, the requests that failed and the p50/p99
//! request latency, side by side with a bare hyper server that only
//! answers 204 (the ceiling of the HTTP stack on this machine).
//!
//! ```sh
//! cargo bench -p dovecot-eventgen --bench receive
//! ```
//!
//! Settings (environment): `BENCH_RATES` (comma-separated events/s, default
//! `10000,25000,50000,60000,70000,80000,90000,100000,125000,150000`: steps
//! of 10,000 where the receiver's and bare hyper's peaks lie, so neither is
//! cut to the step below it), `BENCH_SECONDS` per rate and round (default
//! 2), `BENCH_ROUNDS` (default 3: each rate is offered to the bare server
//! and then the receiver, this many times, and the median is reported), `BENCH_CONNECTIONS` (default 16),
//! `BENCH_THREADS` for the servers (default 2), `BENCH_RECEIVER` (another
//! build's `dovecot-eventgen`, to compare two builds), `BENCH_BARE_WORKERS`
//! (set: bare hyper serves each connection on one single-threaded runtime
//! per thread, as the receiver does). The receiver runs with
//! live-check on (it always is), its spool and `--out` in a temporary
//! directory. The sustained rate is the highest one the server kept up
//! with (at least 95% of the offered rate) without losing a request.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1 as server;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;

const BARE: &str = "DOVECOT_RECEIVE_BENCH_BARE";

fn main() {
    if std::env::var_os(BARE).is_some() {
        bare_server();
        return;
    }
    let rates: Vec<u64> = env(
        "BENCH_RATES",
        "10000,25000,50000,60000,70000,80000,90000,100000,125000,150000",
    )
    .split(',')
    .filter_map(|rate| rate.trim().parse().ok())
    .collect();
    let seconds: u64 = env("BENCH_SECONDS", "2").parse().unwrap_or(2);
    let rounds: usize = env("BENCH_ROUNDS", "3").parse().unwrap_or(3).max(1);
    let connections: usize = env("BENCH_CONNECTIONS", "16").parse().unwrap_or(16);
    let threads = env("BENCH_THREADS", "2");
    let events = Arc::new(load_events());
    eprintln!(
        "{} captured events; {connections} keep-alive connections, {seconds} s per rate and \
         round, {rounds} rounds, servers on {threads} threads",
        events.len()
    );

    let dir = std::env::temp_dir().join(format!("receive-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    // Both servers run for the whole benchmark, and each rate is offered to
    // one and then the other, `rounds` times: a shared machine's speed
    // drifts over a run, and interleaving gives both servers the same
    // drift. Each row is the median of its rounds.
    let servers = ["bare hyper", "receive"];
    let mut started: Vec<(Child, SocketAddr)> = servers
        .iter()
        .map(|server| start(server, &dir, &threads))
        .collect();
    let cpu_before: Vec<f64> = started
        .iter()
        .map(|(child, _)| cpu_seconds(child.id()))
        .collect();
    let mut results: Vec<Vec<Row>> = vec![Vec::new(), Vec::new()];
    let mut served = [0u64; 2];
    for &rate in &rates {
        let mut rounds_of: Vec<Vec<Row>> = vec![Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (i, (child, address)) in started.iter().enumerate() {
                let (server, generator) =
                    (cpu_seconds(child.id()), cpu_seconds(std::process::id()));
                let mut row = load(*address, &events, rate, seconds, connections);
                let per_request = 1e6 / row.ok.max(1) as f64;
                row.server_us = (cpu_seconds(child.id()) - server) * per_request;
                row.generator_us = (cpu_seconds(std::process::id()) - generator) * per_request;
                served[i] += row.ok;
                rounds_of[i].push(row);
            }
        }
        for (i, server) in servers.iter().enumerate() {
            let row = median(std::mem::take(&mut rounds_of[i]));
            eprintln!(
                "{server:>10} {rate:>7}/s offered: {:>8.0}/s, {} failed, p50 {:.2} ms, p99 {:.2} ms, \
                 CPU per event: server {:.1} µs, load generator {:.1} µs (median of {rounds})",
                row.achieved, row.failed, row.p50_ms, row.p99_ms, row.server_us, row.generator_us
            );
            results[i].push(row);
        }
    }
    let mut cpu_costs = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let cpu = cpu_seconds(started[i].0.id()) - cpu_before[i];
        let per_event = cpu * 1e6 / served[i].max(1) as f64;
        eprintln!(
            "{server}: {per_event:.1} µs of CPU per event (user + system), so 2 dedicated cores \
             serve about {:.0} events/s",
            2e6 / per_event.max(0.001)
        );
        cpu_costs.push(per_event);
    }
    let accepted = accepted(started[1].1);
    eprintln!(
        "receive: {} acknowledged, {accepted} accepted by its metrics",
        served[1]
    );
    assert_eq!(served[1], accepted, "the receiver lost acknowledged events");
    for (child, _) in &mut started {
        stop(child);
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "| offered events/s | bare hyper: events/s | p50 ms | p99 ms | failed | CPU µs/event \
         | receive: events/s | p50 ms | p99 ms | failed | CPU µs/event |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, rate) in rates.iter().enumerate() {
        let (bare, recv) = (&results[0][i], &results[1][i]);
        println!(
            "| {rate} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {:.0} | {:.2} | {:.2} | {} | {:.1} |",
            bare.achieved,
            bare.p50_ms,
            bare.p99_ms,
            bare.failed,
            bare.server_us,
            recv.achieved,
            recv.p50_ms,
            recv.p99_ms,
            recv.failed,
            recv.server_us
        );
    }
    let sustained = |rows: &[Row]| {
        rows.iter()
            .zip(&rates)
            .filter(|(row, rate)| row.failed == 0 && row.achieved >= **rate as f64 * 0.95)
            .map(|(row, _)| row.achieved)
            .fold(0.0, f64::max)
    };
    let peak = |rows: &[Row]| rows.iter().map(|row| row.achieved).fold(0.0, f64::max);
    let (bare, recv) = (&results[0], &results[1]);
    println!(
        "\nsustained with zero loss: bare hyper {:.0}/s, receive {:.0}/s; peak: bare {:.0}/s, \
         receive {:.0}/s ({:.0}% of bare)",
        sustained(bare),
        sustained(recv),
        peak(bare),
        peak(recv),
        peak(recv) * 100.0 / peak(bare).max(1.0)
    );
    println!(
        "sustained: receive {:.0}% of bare",
        sustained(recv) * 100.0 / sustained(bare).max(1.0)
    );
    println!(
        "CPU per event: bare hyper {:.1} µs, receive {:.1} µs; on 2 dedicated cores that is about \
         {:.0} and {:.0} events/s (receive: {:.0}% of bare)",
        cpu_costs[0],
        cpu_costs[1],
        2e6 / cpu_costs[0].max(0.001),
        2e6 / cpu_costs[1].max(0.001),
        cpu_costs[0] * 100.0 / cpu_costs[1].max(0.001)
    );
}

/// The row of the median rate, with the failures of all rounds, so that a
/// failure in any round shows.
fn median(mut rows: Vec<Row>) -> Row {
    rows.sort_by(|a, b| a.achieved.total_cmp(&b.achieved));
    let failed = rows.iter().map(|row| row.failed).sum();
    let mut row = rows.swap_remove(rows.len() / 2);
    row.failed = failed;
    row
}

/// The CPU time (user + system) a process used so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 here;
    // the kernel counts in clock ticks of 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Every captured event of every release and configuration, with its
/// Content-Type.
fn load_events() -> Vec<(&'static str, Bytes)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/exports");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut events = Vec::new();
    for file in files {
        let content_type = match file.extension().and_then(|e| e.to_str()) {
            Some("jsonl") => "application/json",
            Some("txt") => "text/plain",
            _ => continue,
        };
        let text = std::fs::read(&file).expect("fixture");
        for line in text.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            events.push((content_type, Bytes::copy_from_slice(line)));
        }
    }
    assert!(
        !events.is_empty(),
        "no captured events under {}",
        root.display()
    );
    events
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("fixtures directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

// The child is returned to the caller, which stops and waits for it.
#[allow(clippy::zombie_processes)]
fn start(server: &str, dir: &Path, threads: &str) -> (Child, SocketAddr) {
    let log = dir.join(format!("{}.log", server.replace(' ', "-")));
    let mut command = if server == "receive" {
        let binary = std::env::var_os("BENCH_RECEIVER")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_dovecot-eventgen").into());
        let mut command = Command::new(binary);
        command
            .args(["receive", "--listen", "127.0.0.1:0", "--threads", threads])
            .arg("--spool")
            .arg(dir.join("spool"))
            .arg("--out")
            .arg(dir.join("events.jsonl"));
        command
    } else {
        let mut command = Command::new(std::env::current_exe().expect("bench binary"));
        command.env(BARE, threads);
        command
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start the server");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(address) = text
            .lines()
            .find_map(|line| line.strip_prefix("listening on http://"))
        {
            let address = address.trim_end_matches('/').parse().expect("address");
            return (child, address);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{server} did not start: {text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop(child: &mut Child) {
    // SIGTERM by pid: the receiver drains its spool and exits.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

struct Row {
    achieved: f64,
    ok: u64,
    failed: u64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU time (user + system) per answered request of the server and of
    /// this process, the load generator, while the rate was offered.
    server_us: f64,
    generator_us: f64,
}

/// Offers `rate` events/s for `seconds` over `connections` keep-alive
/// connections, each sending its next request at its scheduled time (or at
/// once when it is behind).
fn load(
    address: SocketAddr,
    events: &Arc<Vec<(&'static str, Bytes)>>,
    rate: u64,
    seconds: u64,
    connections: usize,
) -> Row {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let per_connection = rate as f64 / connections as f64;
        let total = rate * seconds / connections as u64;
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        // Each request prepared once, as Dovecot's client writes it: one
        // write of head and body on a keep-alive connection.
        let requests: Arc<Vec<Vec<u8>>> = Arc::new(
            events
                .iter()
                .map(|(content_type, body)| {
                    let mut request = format!(
                        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
                         Content-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    request.extend_from_slice(body);
                    request
                })
                .collect(),
        );
        for c in 0..connections {
            let requests = requests.clone();
            tasks.spawn(async move {
                let (mut ok, mut failed, mut latencies) = (0u64, 0u64, Vec::new());
                let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else {
                    return (0, total, latencies);
                };
                let _ = stream.set_nodelay(true);
                let mut answer = Vec::with_capacity(4096);
                for i in 0..total {
                    let due = started + Duration::from_secs_f64(i as f64 / per_connection);
                    tokio::time::sleep_until(due.into()).await;
                    let request = &requests[(c + i as usize * 7919) % requests.len()];
                    let sent = Instant::now();
                    if stream.write_all(request).await.is_err()
                        || !read_answer(&mut stream, &mut answer).await
                    {
                        failed += total - i;
                        break;
                    }
                    ok += 1;
                    latencies.push(sent.elapsed());
                }
                (ok, failed, latencies)
            });
        }
        let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
        while let Some(Ok((o, f, l))) = tasks.join_next().await {
            ok += o;
            failed += f;
            latencies.extend(l);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        Row {
            achieved: ok as f64 / elapsed,
            ok,
            failed,
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            server_us: 0.0,
            generator_us: 0.0,
        }
    })
}

/// Reads one answer without a body (204); `false` for anything else or a
/// closed connection. The load generator is a plain socket loop so that it
/// takes as little of the shared cores as it can.
async fn read_answer(stream: &mut tokio::net::TcpStream, answer: &mut Vec<u8>) -> bool {
    use tokio::io::AsyncReadExt;
    answer.clear();
    loop {
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            return answer.starts_with(b"HTTP/1.1 204");
        }
        match stream.read_buf(answer).await {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// `events_total` summed over transports, from the receiver's `/metrics`.
fn accepted(address: SocketAddr) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let text = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let request = Request::get("/metrics")
            .header("Host", "127.0.0.1")
            .body(Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("metrics");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        String::from_utf8_lossy(&body).into_owned()
    });
    text.lines()
        .filter(|line| line.starts_with("dovecot_receive_events_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|n| n as u64)
        .sum()
}

/// The ceiling: hyper on the same runtime settings, reading each body and
/// answering 204, nothing else.
fn bare_server() {
    let threads: usize = std::env::var(BARE)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    // BENCH_BARE_WORKERS=1: each connection on one of `threads`
    // single-threaded runtimes, as the receiver serves them, instead of
    // tasks of one work-stealing runtime (what hyper's own examples do).
    let workers = std::env::var_os("BENCH_BARE_WORKERS")
        .map(|_| dovecot_events_receiver::Workers::start(threads).expect("worker threads"));
    let runtimes = workers
        .as_ref()
        .map(dovecot_events_receiver::Workers::handles)
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        eprintln!(
            "listening on http://{}/",
            listener.local_addr().expect("address")
        );
        let mut turn = 0;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let serve = |stream| async move {
                let service = hyper::service::service_fn(
                    |request: Request<hyper::body::Incoming>| async move {
                        let _ = request.into_body().collect().await;
                        let mut response = Response::new(Empty::<Bytes>::new());
                        *response.status_mut() = hyper::StatusCode::NO_CONTENT;
                        Ok::<_, std::convert::Infallible>(response)
                    },
                );
                let _ = server::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            };
            if runtimes.is_empty() {
                tokio::spawn(serve(stream));
            } else {
                turn = (turn + 1) % runtimes.len();
                let stream = stream.into_std().expect("socket");
                runtimes[turn].spawn(async move {
                    serve(tokio::net::TcpStream::from_std(stream).expect("socket")).await;
                });
            }
        }
    });
}
