//! `dovecot-eventgen receive` on the real binary without a Dovecot: the
//! captured events replayed over http-post against an older release (the
//! report lists what is newer, the gate fails), the unix socket, a
//! followed file through rotation and a restart, and the output's own
//! rotation by size.

mod receive_support;

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use receive_support::{Client, Receiver, event, output_ids, scratch};

fn fixture(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/exports")
        .join(path);
    std::fs::read_to_string(path).expect("fixture")
}

/// Posts every line of a capture on one keep-alive connection.
fn replay(client: &mut Client, content_type: &str, text: &str) -> usize {
    let mut sent = 0;
    for line in text.lines().filter(|line| !line.is_empty()) {
        let (status, body) = client.post(content_type, line.as_bytes());
        assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
        sent += 1;
    }
    sent
}

#[test]
fn a_2_4_capture_checked_against_2_3_lists_the_newer_items_and_fails_the_gate() {
    let dir = scratch("older-target");
    let (spool, out, report) = (
        dir.join("spool"),
        dir.join("out.jsonl"),
        dir.join("report.json"),
    );
    let receiver = Receiver::start(
        &dir,
        "receiver",
        &[
            "--listen",
            "127.0.0.1:0",
            "--target",
            "2.3",
            "--fail-on",
            "error",
            "--report-format",
            "json",
            "--spool",
            &spool.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--report",
            &report.display().to_string(),
        ],
    );
    let mut client = Client::connect(receiver.address());
    let json = replay(
        &mut client,
        "application/json",
        &fixture("2.4.1/json-rfc3339.jsonl"),
    );
    let tab = replay(&mut client, "text/plain", &fixture("2.4.1/tab-text.txt"));
    let (status, markdown) = client.get("/report?format=markdown");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&markdown).starts_with("# Live check"));
    let (status, log) = receiver.stop();
    assert_eq!(status.code(), Some(1), "--fail-on error must fail:\n{log}");
    assert!(log.contains("live-check errors (--fail-on error)"), "{log}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert_eq!(report["counters"]["accepted"], json as u64 + tab as u64);
    let findings = report["findings"]["findings"].as_array().expect("findings");
    let has = |kind: &str, event: &str| {
        findings
            .iter()
            .any(|f| f["kind"] == kind && f["event"] == event)
    };
    // Events and fields that only 2.4 sends.
    assert!(has("event_not_in_target", "imap_id_received"), "{report:#}");
    assert!(has("event_not_in_target", "login_aborted"), "{report:#}");
    assert!(
        findings.iter().any(|f| f["kind"] == "field_not_in_target"),
        "{report:#}"
    );
    // `--target 2.3` is the newest 2.3 release the schema knows.
    assert!(
        report["coverage"]["target"]
            .as_str()
            .is_some_and(|target| target.starts_with("2.3.")),
        "{}",
        report["coverage"]["target"]
    );
    assert_eq!(output_ids(&[out]).len(), 0, "no test ids in a replay");
}

#[test]
fn the_own_release_is_clean_and_min_coverage_gates() {
    let dir = scratch("own-release");
    let spool = dir.join("spool").display().to_string();
    let out = dir.join("out.jsonl").display().to_string();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--target",
        "2.3.19",
        "--fail-on",
        "warning",
        "--spool",
        &spool,
        "--out",
        &out,
    ];
    let receiver = Receiver::start(&dir, "clean", &args);
    let mut client = Client::connect(receiver.address());
    replay(
        &mut client,
        "application/json",
        &fixture("2.3.19/json-unix.jsonl"),
    );
    replay(&mut client, "text/plain", &fixture("2.3.19/tab-text.txt"));
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("0 errors, 0 warnings"), "{log}");

    let mut gated = args.to_vec();
    gated.extend(["--min-coverage", "99"]);
    let receiver = Receiver::start(&dir, "gated", &gated);
    let mut client = Client::connect(receiver.address());
    replay(
        &mut client,
        "application/json",
        &fixture("2.3.19/json-rfc3339.jsonl"),
    );
    let (status, log) = receiver.stop();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("below --min-coverage 99"), "{log}");
}

#[test]
fn unix_socket_lines_of_both_formats() {
    let dir = scratch("unix");
    let socket = dir.join("receive.sock");
    let out = dir.join("out.jsonl");
    let receiver = Receiver::start(
        &dir,
        "receiver",
        &[
            "--unix",
            &socket.display().to_string(),
            "--spool",
            &dir.join("spool").display().to_string(),
            "--out",
            &out.display().to_string(),
            "--max-body",
            "4K",
        ],
    );
    let mut stream = UnixStream::connect(&socket).expect("connect");
    let mut text = Vec::new();
    for id in 0..50 {
        text.extend_from_slice(&event(id));
        text.push(b'\n');
    }
    text.extend_from_slice(b"\n");
    text.extend_from_slice(&vec![b'x'; 10_000]);
    text.push(b'\n');
    text.extend_from_slice(b"event:imap_command_finished\tfield:user=id-50\tfield:cmd_name=NOOP\n");
    stream.write_all(&text).expect("write");
    drop(stream);
    std::thread::sleep(Duration::from_millis(300));
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    let ids: Vec<u64> = output_ids(&[out]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, (0..=50).collect::<Vec<_>>(), "{log}");
    assert!(log.contains("longer than the limit of 4096 bytes"), "{log}");
}

#[test]
fn a_followed_file_through_rotation_and_restart() {
    let dir = scratch("follow");
    let file = dir.join("events.jsonl");
    let out = dir.join("out.jsonl");
    let args = [
        "--follow".to_owned(),
        file.display().to_string(),
        "--spool".to_owned(),
        dir.join("spool").display().to_string(),
        "--out".to_owned(),
        out.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let append = |ids: std::ops::Range<u64>| {
        let mut handle = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .expect("open");
        for id in ids {
            let mut line = event(id);
            line.push(b'\n');
            handle.write_all(&line).expect("append");
        }
    };
    append(0..10);
    let receiver = Receiver::start(&dir, "first", &args);
    append(10..20);
    std::thread::sleep(Duration::from_millis(400));
    // Rotation: the file is renamed away, more lines reach the old file
    // (Dovecot writes on until it reopens), then a new file begins.
    std::fs::rename(&file, dir.join("events.jsonl.1")).expect("rotate");
    {
        let mut old = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("events.jsonl.1"))
            .expect("old file");
        old.write_all(&[event(20), b"\n".to_vec()].concat())
            .expect("append");
    }
    std::thread::sleep(Duration::from_millis(300));
    append(21..30);
    std::thread::sleep(Duration::from_millis(400));
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    // A restart goes on where the first run stopped: no line twice.
    append(30..35);
    let receiver = Receiver::start(&dir, "second", &args);
    std::thread::sleep(Duration::from_millis(400));
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");
    let ids: Vec<u64> = output_ids(&[out]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, (0..35).collect::<Vec<_>>(), "{log}");
}

/// `--rotate-bytes` and `--rotate-keep` on a regular `--out` (written
/// straight from the requests while nothing waits in the spool): each file
/// stays within the size, the kept files hold the newest events in order,
/// and older files beyond `--rotate-keep` are removed.
#[test]
fn the_output_rotates_by_size_and_keeps_the_newest_files() {
    let dir = scratch("rotation");
    let (spool, out) = (dir.join("spool"), dir.join("events.jsonl"));
    let receiver = Receiver::spooled(
        &dir,
        "receiver",
        &spool,
        &out,
        &["--rotate-bytes", "4096", "--rotate-keep", "3"],
    );
    receiver.post_events(0..300);
    let (status, log) = receiver.stop();
    assert!(status.success(), "{log}");

    let numbered = |n: usize| dir.join(format!("events.jsonl.{n}"));
    assert!(!numbered(4).exists(), "only 3 rotated files are kept");
    // Oldest first: events.jsonl.3, .2, .1, then events.jsonl.
    let files = [numbered(3), numbered(2), numbered(1), out.clone()];
    for file in &files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        assert!(size > 0 && size <= 4096, "{}: {size} bytes", file.display());
    }
    let lines = output_ids(&files);
    let ids: Vec<u64> = lines.iter().map(|(_, id)| *id).collect();
    let first = ids[0];
    assert_eq!(
        ids,
        (first..300).collect::<Vec<_>>(),
        "the kept files hold the newest events, in order"
    );
    assert!(
        lines.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "seq rises through the files"
    );
}
