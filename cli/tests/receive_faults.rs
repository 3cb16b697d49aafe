//! Fault tests of `dovecot-eventgen receive`, on the real binary: a crash
//! (SIGKILL) under load, SIGTERM with a slow output, an output blocked for
//! 30 s under load (the longest test, about 35 s), a full spool, and
//! requests that are not Dovecot events.

mod receive_support;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use receive_support::{Client, Receiver, copy_fifo, event, fifo, output_ids, scratch};

/// Posts numbered events from `connections` keep-alive connections until
/// `stop` is set or `limit` events were sent per connection; returns the
/// ids answered 2xx, the other statuses seen, and the slowest answer.
fn load(
    address: SocketAddr,
    connections: u64,
    limit: u64,
    stop: &Arc<AtomicBool>,
) -> (BTreeSet<u64>, Vec<u16>, Duration) {
    let acked = Arc::new(Mutex::new((BTreeSet::new(), Vec::new(), Duration::ZERO)));
    let threads: Vec<_> = (0..connections)
        .map(|c| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let Ok(stream) = std::net::TcpStream::connect(address) else {
                    return;
                };
                drop(stream);
                let mut client = Client::connect(address);
                for i in 0..limit {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let id = c * 1_000_000 + i;
                    let body = event(id);
                    let head = format!(
                        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n",
                        body.len()
                    );
                    let sent = Instant::now();
                    if client.raw().write_all(head.as_bytes()).is_err()
                        || client.raw().write_all(&body).is_err()
                    {
                        return;
                    }
                    let Some((status, _)) = client.response() else {
                        return;
                    };
                    let took = sent.elapsed();
                    let mut acked = acked.lock().expect("lock");
                    acked.2 = acked.2.max(took);
                    if (200..300).contains(&status) {
                        acked.0.insert(id);
                    } else {
                        acked.1.push(status);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    let acked = acked.lock().expect("lock");
    (acked.0.clone(), acked.1.clone(), acked.2)
}

#[test]
fn sigkill_under_load_then_restart_delivers_every_acknowledged_event() {
    let dir = scratch("sigkill");
    let spool = dir.join("spool").display().to_string();
    let out = dir.join("out.jsonl");
    let out_arg = out.display().to_string();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--spool",
        &spool,
        "--out",
        &out_arg,
        "--target",
        "2.3.19",
    ];
    let first = Receiver::start(&dir, "first", &args);
    let stop = Arc::new(AtomicBool::new(false));
    let address = first.address();
    let loader = {
        let stop = stop.clone();
        std::thread::spawn(move || load(address, 4, u64::MAX, &stop))
    };
    std::thread::sleep(Duration::from_millis(1500));
    first.signal("KILL");
    stop.store(true, Ordering::SeqCst);
    let (acked, refused, _) = loader.join().expect("load");
    drop(first);
    assert!(acked.len() > 100, "too little load: {}", acked.len());
    assert!(refused.is_empty(), "refused: {refused:?}");

    let second = Receiver::start(&dir, "second", &args);
    // Events after the restart are numbered after every one before it.
    second.post_events(9_000_000..9_000_020);
    let (status, log) = second.stop();
    assert!(status.success(), "{log}");
    let lines = output_ids(&[out]);
    // At least once: an event may come twice, but always with its seq, and
    // no seq is given to two events (the restart numbers on past what the
    // first run wrote straight to the output).
    let mut events_of = std::collections::BTreeMap::new();
    for &(seq, id) in &lines {
        let first = *events_of.entry(seq).or_insert(id);
        assert_eq!(first, id, "seq {seq} was given to two events");
    }
    let before_restart = lines
        .iter()
        .filter(|(_, id)| *id < 9_000_000)
        .map(|(seq, _)| *seq)
        .max();
    let after_restart = lines
        .iter()
        .filter(|(_, id)| *id >= 9_000_000)
        .map(|(seq, _)| *seq)
        .min();
    assert!(
        before_restart < after_restart,
        "the restart numbered events from {after_restart:?}, not after {before_restart:?}"
    );
    let delivered: BTreeSet<u64> = lines
        .into_iter()
        .map(|(_, id)| id)
        .filter(|id| *id < 9_000_000)
        .collect();
    let missing: Vec<_> = acked.difference(&delivered).take(10).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events were not delivered after the restart, e.g. {missing:?}\n{log}",
        acked.difference(&delivered).count()
    );
    eprintln!(
        "SIGKILL after {} acknowledged events: all delivered after the restart ({} lines)",
        acked.len(),
        delivered.len()
    );
}

#[test]
fn sigterm_drains_the_spool_into_a_slow_output() {
    let dir = scratch("sigterm");
    let out = dir.join("out.fifo");
    fifo(&out);
    let receiver = Receiver::spooled(&dir, "receiver", &dir.join("spool"), &out, &[]);
    receiver.post_events(0..2000);
    receiver.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    let mut text = Vec::new();
    std::fs::File::open(&out)
        .expect("open the FIFO")
        .read_to_end(&mut text)
        .expect("read");
    let mut receiver = receiver;
    let status = receiver.wait(Duration::from_secs(30));
    assert!(status.success(), "{}", receiver.log_text());
    let copy = dir.join("out.jsonl");
    std::fs::write(&copy, &text).expect("copy");
    let ids: Vec<u64> = output_ids(&[copy]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        ids,
        (0..2000).collect::<Vec<_>>(),
        "not every event, or not in order"
    );
}

#[test]
fn output_blocked_for_30_seconds_under_load_loses_nothing() {
    let dir = scratch("blocked");
    let out = dir.join("out.fifo");
    fifo(&out);
    let receiver = Receiver::spooled(&dir, "receiver", &dir.join("spool"), &out, &[]);
    // Nobody reads the FIFO for 30 s while four connections post.
    let stop = Arc::new(AtomicBool::new(false));
    let address = receiver.address();
    let loader = {
        let stop = stop.clone();
        std::thread::spawn(move || load(address, 4, u64::MAX, &stop))
    };
    std::thread::sleep(Duration::from_secs(30));
    let depth = receiver.metric("dovecot_receive_spool_depth");
    stop.store(true, Ordering::SeqCst);
    let (acked, refused, slowest) = loader.join().expect("load");
    assert!(
        refused.is_empty(),
        "Dovecot would have been refused: {refused:?}"
    );
    assert!(
        depth > 1000,
        "the output was not blocked: spool depth {depth}"
    );
    let reader = copy_fifo(out, dir.join("out.jsonl"));
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    let copy = reader.join().expect("reader");
    let delivered: BTreeSet<u64> = output_ids(&[copy]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(acked.difference(&delivered).count(), 0, "events lost");
    eprintln!(
        "output blocked 30 s: {} events acknowledged (spool depth {depth} at the end), none \
         refused, slowest answer {slowest:?}, all delivered once the output was read",
        acked.len()
    );
    // Not a timing test: a request that waited for the blocked output would
    // have taken the whole 30 s.
    assert!(
        slowest < Duration::from_secs(5),
        "an answer took {slowest:?}"
    );
}

/// A spool far smaller than a segment's usual 64 MiB still empties
/// itself: what passed through it is removed once written, so
/// `--spool-max-bytes` bounds the backlog, not the traffic.
#[test]
fn a_small_spool_keeps_taking_events_while_the_output_keeps_up() {
    let dir = scratch("small");
    // A FIFO, read all along: events go through the spool, not straight
    // to a file.
    let out = dir.join("out.fifo");
    fifo(&out);
    let reader = copy_fifo(out.clone(), dir.join("out.jsonl"));
    let receiver = Receiver::spooled(
        &dir,
        "receiver",
        &dir.join("spool"),
        &out,
        &["--spool-max-bytes", "64K"],
    );
    let mut client = Client::connect(receiver.address());
    let mut bytes = 0;
    for id in 0..2000 {
        let body = event(id);
        bytes += body.len();
        assert_eq!(client.post("application/json", &body).0, 204, "event {id}");
    }
    assert!(bytes > 4 * 64 * 1024, "{bytes} bytes are many spools full");
    assert_eq!(receiver.metric("dovecot_receive_lost_total"), 0);
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    assert_eq!(output_ids(&[reader.join().expect("reader")]).len(), 2000);
}

#[test]
fn a_full_spool_refuses_and_counts_instead_of_dropping() {
    let dir = scratch("full");
    let out = dir.join("out.fifo");
    fifo(&out);
    let receiver = Receiver::spooled(
        &dir,
        "receiver",
        &dir.join("spool"),
        &out,
        &["--spool-max-bytes", "64K"],
    );
    let mut client = Client::connect(receiver.address());
    let (mut ok, mut refused) = (0, 0);
    for id in 0..400 {
        match client.post("application/json", &event(id)).0 {
            204 => ok += 1,
            503 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(ok > 0 && refused > 0, "{ok} kept, {refused} refused");
    assert_eq!(receiver.metric("dovecot_receive_lost_total"), refused);
    let reader = copy_fifo(out, dir.join("out.jsonl"));
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains(&format!("{refused} lost")), "{log}");
    assert!(log.contains("the spool is full"), "{log}");
    assert_eq!(output_ids(&[reader.join().expect("reader")]).len(), ok);
}

#[test]
fn requests_that_are_not_events_get_a_4xx_and_leave_others_alone() {
    let dir = scratch("bad-requests");
    let receiver = Receiver::spooled(
        &dir,
        "receiver",
        &dir.join("spool"),
        &dir.join("out.jsonl"),
        &["--request-timeout", "1"],
    );
    let address = receiver.address();
    let mut good = Client::connect(address);
    assert_eq!(good.post("application/json", &event(1)).0, 204);

    let (status, body) = Client::connect(address).post("text/html", b"<p>hi</p>");
    assert_eq!(status, 415);
    assert!(String::from_utf8_lossy(&body).contains("Content-Type"));
    let (status, body) = Client::connect(address).post("application/json", b"\x00garbage{");
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, _) = Client::connect(address).post("text/plain", b"\xff\xfe\x00\x01");
    assert!(
        status == 400 || status == 204,
        "tab-text is lossy: {status}"
    );

    // 100 MB announced: refused before any of it is read.
    let mut huge = Client::connect(address);
    huge.raw()
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 104857600\r\n\r\n",
        )
        .expect("write");
    assert_eq!(huge.response().map(|r| r.0), Some(413));
    // 100 MB chunked: cut off once past the limit.
    let mut chunked = Client::connect(address);
    chunked
        .raw()
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Transfer-Encoding: chunked\r\n\r\n",
        )
        .expect("write");
    let chunk = vec![b' '; 1 << 20];
    let mut sent = 0;
    while sent < 100 {
        let head = format!("{:x}\r\n", chunk.len());
        if chunked.raw().write_all(head.as_bytes()).is_err()
            || chunked.raw().write_all(&chunk).is_err()
            || chunked.raw().write_all(b"\r\n").is_err()
        {
            break;
        }
        sent += 1;
    }
    assert!(sent < 100, "the server read a 100 MB body");
    assert!(
        receiver.rss_kib() < 100 * 1024,
        "{} KiB",
        receiver.rss_kib()
    );

    // Slowloris: half a header line, then nothing; cut off after the
    // request timeout while other connections go on.
    let mut slow = Client::connect(address);
    slow.raw()
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .expect("write");
    let started = Instant::now();
    for id in 2..20 {
        assert_eq!(good.post("application/json", &event(id)).0, 204);
    }
    let closed = slow.response();
    assert!(
        closed.is_none() || closed.as_ref().is_some_and(|r| r.0 == 408),
        "the slow client got {closed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A slow body: headers, then part of the body, then nothing.
    let mut slow_body = Client::connect(address);
    slow_body
        .raw()
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ev")
        .expect("write");
    assert_eq!(slow_body.response().map(|r| r.0), Some(408));

    assert_eq!(good.post("application/json", &event(20)).0, 204);
    assert!(receiver.metric("dovecot_receive_rejected_total") >= 5);
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    let ids: Vec<u64> = output_ids(&[dir.join("out.jsonl")])
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    assert_eq!(ids, (1..=20).collect::<Vec<_>>());
}
