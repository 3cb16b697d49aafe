//! Stopping and starting `dovecot-eventgen receive` again, on the real
//! binary: what a stop that could not drain leaves to the next start, and
//! how numbering goes on after a clean one, and that a segment the spool
//! removed is not held open.

mod receive_support;

use std::io::Read;
use std::time::{Duration, Instant};

use receive_support::{Client, Receiver, event, fifo, leave_in_spool, output_ids, scratch};

/// A receiver that cannot serve (its port is taken) still writes out what
/// an earlier run left in the spool before it exits with the error.
#[test]
fn a_receiver_that_cannot_listen_still_writes_what_its_spool_holds() {
    let dir = scratch("cannot-listen");
    let spool = dir.join("spool");
    leave_in_spool(&dir, &spool, &[], |first| first.post_events(0..500));

    // The second run's output is a FIFO whose reader comes only once the
    // receiver said the port is taken: the events reach it only if the
    // receiver drains before it exits.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").to_string();
    let out = dir.join("out.fifo");
    fifo(&out);
    let log = dir.join("second.log");
    let reader = {
        let (out, log) = (out.clone(), log.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("cannot listen")
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            let mut text = Vec::new();
            let _ = std::fs::File::open(&out).and_then(|mut fifo| fifo.read_to_end(&mut text));
            text
        })
    };
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
        .args(["receive", "--listen", &port, "--spool"])
        .arg(&spool)
        .arg("--out")
        .arg(&out)
        .stdin(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .status()
        .expect("run the receiver");
    // A receiver that exited without draining leaves the reader waiting
    // for a writer: open the FIFO for writing (without blocking, O_NONBLOCK)
    // until the reader is there, so that it sees the end.
    while !reader.is_finished() {
        use std::os::unix::fs::OpenOptionsExt as _;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(0o4000)
            .open(&out);
        std::thread::sleep(Duration::from_millis(50));
    }
    let copy = dir.join("out.jsonl");
    std::fs::write(&copy, reader.join().expect("reader")).expect("copy");
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("cannot listen on"), "{log}");
    assert!(log.contains("500 events from an earlier run"), "{log}");
    let ids: Vec<u64> = output_ids(&[copy]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, (0..500).collect::<Vec<_>>(), "{log}");
}

/// An output whose reader goes away while the receiver drains does not
/// count as drained: the receiver says so, and the next start writes what
/// the reader did not take.
#[test]
fn an_output_that_breaks_while_draining_keeps_the_rest_for_the_next_start() {
    let dir = scratch("broken-drain");
    let spool = dir.join("spool");
    let fifo_path = dir.join("out.fifo");
    fifo(&fifo_path);
    let receiver = Receiver::spooled(&dir, "first", &spool, &fifo_path, &[]);
    receiver.post_events(0..3000);
    receiver.signal("TERM");
    // Once the receiver is writing out its spool, the reader takes 100
    // lines and goes away. (Gone before that, the output would wait for a
    // new reader until --drain-timeout, a drain cut short too.)
    let deadline = Instant::now() + Duration::from_secs(60);
    while !receiver
        .log_text()
        .contains("events still in the spool to the output")
    {
        assert!(
            Instant::now() < deadline,
            "no drain:\n{}",
            receiver.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let fifo = std::fs::File::open(&fifo_path).expect("open the FIFO");
    let read: Vec<String> = std::io::BufRead::lines(std::io::BufReader::new(fifo))
        .take(100)
        .collect::<Result<_, _>>()
        .expect("read the FIFO");
    let mut receiver = receiver;
    let status = receiver.wait(Duration::from_secs(60));
    let log = receiver.log_text();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("the output broke (its reader went away)"),
        "a broken output was taken for a drained one:\n{log}"
    );

    let out = dir.join("out.jsonl");
    let second = Receiver::spooled(&dir, "second", &spool, &out, &[]);
    let (status, second_log) = second.stop();
    assert!(status.success(), "{second_log}");
    let copy = dir.join("read.jsonl");
    std::fs::write(&copy, read.join("\n") + "\n").expect("copy");
    let first: Vec<u64> = output_ids(&[copy]).into_iter().map(|(_, id)| id).collect();
    let rest: Vec<u64> = output_ids(&[out]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(first, (0..100).collect::<Vec<_>>());
    // The next start writes again from the last event the output had
    // confirmed (at least once: some twice, with their seq), to the end.
    assert_eq!(rest.last(), Some(&2999), "{second_log}");
    assert!(
        rest.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "not in order: {rest:?}"
    );
    assert!(rest[0] <= 100, "events {}..100 are lost", rest[0]);
}

/// After a clean stop the next start numbers on from the last event:
/// numbers reserved ahead for events written straight to the output are
/// given back, so a consumer sees no gap it would take for a loss.
#[test]
fn numbering_goes_on_without_a_gap_after_a_clean_stop() {
    let dir = scratch("numbering");
    let (spool, out) = (dir.join("spool"), dir.join("out.jsonl"));
    for (run, ids) in [(0, 0..10), (1, 10..15)] {
        let receiver = Receiver::spooled(&dir, &format!("run{run}"), &spool, &out, &[]);
        receiver.post_events(ids);
        let (status, log) = receiver.stop();
        assert!(status.success(), "{log}");
    }
    let lines = output_ids(&[out]);
    assert_eq!(
        lines,
        (0..15).map(|id| (id + 1, id)).collect::<Vec<_>>(),
        "(seq, id) of every line"
    );
}

/// Once the output has written everything and the spool makes room by
/// removing its segments, the output does not keep the removed segment
/// open: its disk space is freed while the receiver runs on.
#[test]
fn the_output_lets_go_of_segments_the_spool_removed() {
    let dir = scratch("let-go");
    let spool = dir.join("spool");
    // One event of about 3 KiB fills a 4 KiB spool past its half.
    let room = ["--spool-max-bytes", "4K"];
    let large = |id: u64| {
        let mut body = event(id);
        let pad = format!(r#","pad":"{}"}}}}"#, "x".repeat(2500));
        body.truncate(body.len() - 2);
        body.extend_from_slice(pad.as_bytes());
        body
    };
    leave_in_spool(&dir, &spool, &room, |first| {
        let (status, body) = Client::connect(first.address()).post("application/json", &large(0));
        assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    });

    // The second run writes it to a file; its output then waits at the
    // end of that segment. The next event finds the spool past half full
    // and all of it written, so the spool removes the segment and the
    // event goes straight to the file.
    let out = dir.join("out.jsonl");
    let second = Receiver::spooled(&dir, "second", &spool, &out, &room);
    let deadline = Instant::now() + Duration::from_secs(30);
    // Once `delivered` says so, the output has recorded the event as
    // written (it records it in memory first), so the spool may remove it.
    let delivered = || {
        std::fs::read_to_string(spool.join("delivered"))
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
    };
    while output_ids(std::slice::from_ref(&out)).is_empty() || delivered() != Some(1) {
        assert!(Instant::now() < deadline, "{}", second.log_text());
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, body) = Client::connect(second.address()).post("application/json", &large(1));
    assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    let fds = format!("/proc/{}/fd", second.child.id());
    let open_files = || -> Vec<String> {
        let mut targets = Vec::new();
        for entry in std::fs::read_dir(&fds).expect("the receiver's open files") {
            // A descriptor closed meanwhile has no link to read.
            if let Ok(target) = std::fs::read_link(entry.expect("an open file").path()) {
                targets.push(target.display().to_string());
            }
        }
        targets
    };
    let removed = || -> Vec<String> {
        let mut targets = open_files();
        targets.retain(|target| target.ends_with(" (deleted)"));
        targets
    };
    // The listing works: the output file is among them.
    let out_name = out.display().to_string();
    assert!(open_files().contains(&out_name), "{:?}", open_files());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !removed().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(removed(), Vec::<String>::new(), "removed files held open");
    let (status, log) = second.stop();
    assert!(status.success(), "{log}");
    let ids: Vec<u64> = output_ids(&[out]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, [0, 1], "{log}");
}
