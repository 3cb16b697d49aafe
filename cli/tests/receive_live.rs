//! Live test of `dovecot-eventgen receive`: real Dovecot 2.3.19.1 and
//! 2.4.1 instances (the `base` configuration of `tests/live/capture.py`)
//! export every event to the harness's own collector (the raw capture)
//! and, through extra exporters, to the receiver: over http-post as JSON
//! with both time formats and as tab-text, and on 2.4 also through the
//! `file` driver (JSON lines) and the `unix` driver (tab-text). The test
//! checks that every event of the raw capture is in the receiver's output
//! for each of those paths, that every output line parses into a typed
//! event, and that the live check against the server's own release is
//! clean (`--fail-on warning` exits 0).
//!
//! Needs root and the servers of `tests/live/install.sh`. Without them the
//! tests say loudly that they skipped; with `DOVECOT_EVENTS_REQUIRE_LIVE=1`
//! they fail instead.

mod receive_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use dovecot_events::Event;
use receive_support::{Receiver, scratch};

const REQUIRE: &str = "DOVECOT_EVENTS_REQUIRE_LIVE";

fn chroot() -> PathBuf {
    std::env::var_os("DOVECOT_EVENTS_CACHE")
        .map_or_else(|| PathBuf::from("/var/cache/dovecot-events"), PathBuf::from)
        .join("trixie")
}

/// Why the live test cannot run here, if it cannot.
fn missing(v24: bool) -> Option<String> {
    let root = if v24 { chroot() } else { PathBuf::from("/") };
    let dovecot = root.join("usr/sbin/dovecot");
    // A regular file: a machine set up without it may have anything else
    // there (tools/without-prerequisites.sh mounts /dev/null over it).
    if !dovecot.is_file() {
        return Some(format!("{} is missing", dovecot.display()));
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("the harness must run as root".to_owned());
    }
    None
}

fn skip_or_fail(what: &str, why: &str) {
    let message = format!(
        "{what}: {why}; install the servers with `sudo bash tests/live/install.sh` and run as root"
    );
    assert!(
        std::env::var_os(REQUIRE).is_none_or(|v| v != "1"),
        "{message} ({REQUIRE}=1)"
    );
    // Straight to the process's standard error: the test harness captures
    // `eprintln!` of passing tests, and a skip must not go unnoticed.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr().lock(),
        format!("\nSKIPPED: {message}\n").as_bytes(),
    );
}

/// An event's identity across formats: name, times and number of fields.
type Key = (String, String, String, usize);

fn capture_keys(file: &Path, tab_text: bool) -> Vec<Key> {
    let text = std::fs::read_to_string(file).expect("capture file");
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let raw = if tab_text {
                dovecot_events::tab_text::from_str_raw(line)
            } else {
                dovecot_events::json::from_str_raw(line)
            }
            .unwrap_or_else(|error| panic!("capture line does not parse ({error}): {line}"));
            let time =
                |t: Option<dovecot_events::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
            (
                raw.name.as_deref().unwrap_or_default().to_owned(),
                time(raw.start_time),
                time(raw.end_time),
                raw.fields.iter().count(),
            )
        })
        .collect()
}

/// The receiver's output per (transport, format), with every line checked
/// to parse into a typed, known event.
fn output_keys(file: &Path) -> BTreeMap<(String, String), Vec<Key>> {
    let text = std::fs::read_to_string(file).expect("receiver output");
    let mut keys: BTreeMap<_, Vec<Key>> = BTreeMap::new();
    for line in text.lines() {
        let exported = dovecot_events::json::from_str(line)
            .unwrap_or_else(|error| panic!("output line is not typed ({error}): {line}"));
        assert!(
            !matches!(exported.event, Event::Unknown(_)),
            "unknown event in the output: {line}"
        );
        let value: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        let fields = value["fields"].as_object().map_or(0, serde_json::Map::len);
        keys.entry((text("transport"), text("format")))
            .or_default()
            .push((text("event"), text("start_time"), text("end_time"), fields));
    }
    keys
}

/// Whether every key of `wanted` is in `have` (as a multiset).
fn missing_from(wanted: &[Key], have: &[Key]) -> Vec<Key> {
    let mut counts: BTreeMap<&Key, i64> = BTreeMap::new();
    for key in have {
        *counts.entry(key).or_default() += 1;
    }
    let mut missing = Vec::new();
    for key in wanted {
        let count = counts.entry(key).or_default();
        *count -= 1;
        if *count < 0 {
            missing.push(key.clone());
        }
    }
    missing
}

fn live(v24: bool) {
    let (series, target) = if v24 {
        ("2.4", "2.4.1")
    } else {
        ("2.3", "2.3.19")
    };
    let what = format!("receive live test against Dovecot {series}");
    if let Some(why) = missing(v24) {
        skip_or_fail(&what, &why);
        return;
    }
    let dir = scratch(&format!("live-{series}"));
    // The file and the socket must be where Dovecot in the chroot sees them.
    let shared = if v24 {
        let shared = chroot().join(format!("tmp/receive-live-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&shared);
        std::fs::create_dir_all(&shared).expect("shared directory");
        Command::new("chmod")
            .arg("777")
            .arg(&shared)
            .status()
            .expect("chmod");
        Some(shared)
    } else {
        None
    };
    let (spool, out, report) = (
        dir.join("spool"),
        dir.join("out.jsonl"),
        dir.join("report.json"),
    );
    let mut args: Vec<String> = [
        "--listen",
        "127.0.0.1:0",
        "--target",
        target,
        "--fail-on",
        "warning",
        "--report-format",
        "json",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for (flag, path) in [("--spool", &spool), ("--out", &out), ("--report", &report)] {
        args.push(flag.to_owned());
        args.push(path.display().to_string());
    }
    if let Some(shared) = &shared {
        args.extend([
            "--unix".to_owned(),
            shared.join("receive.sock").display().to_string(),
            "--unix-mode".to_owned(),
            "666".to_owned(),
            "--follow".to_owned(),
            shared.join("events.jsonl").display().to_string(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let receiver = Receiver::start(&dir, "receiver", &args);

    let capture = dir.join("capture");
    let mut command = Command::new("python3");
    command.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/live/capture.py"));
    if let Some(shared) = &shared {
        command
            .arg("--chroot")
            .arg(chroot())
            .arg("--also-file")
            .arg(shared.join("events.jsonl"))
            .arg("--also-unix")
            .arg(shared.join("receive.sock"));
    }
    let output = command
        .args(["--config", "base", "--also-http"])
        .arg(format!("http://{}/", receiver.address()))
        .arg(&capture)
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    let harness = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "the harness failed:\n{harness}");
    // The file driver's last lines are read within a poll interval.
    std::thread::sleep(Duration::from_millis(500));
    let (status, log) = receiver.stop();
    if let Some(shared) = &shared {
        let _ = std::fs::remove_dir_all(shared);
    }
    let report_text = std::fs::read_to_string(&report).unwrap_or_default();
    assert!(
        status.success(),
        "the live check against {target} is not clean ({status}):\n{log}\n{report_text}"
    );

    let outputs = output_keys(&out);
    let json: Vec<Key> = [("json-rfc3339.jsonl", false), ("json-unix.jsonl", false)]
        .iter()
        .flat_map(|(file, tab)| capture_keys(&capture.join(file), *tab))
        .collect();
    let tab = capture_keys(&capture.join("tab-text.txt"), true);
    let rfc3339 = capture_keys(&capture.join("json-rfc3339.jsonl"), false);
    let mut checks = vec![
        (("http-post", "json"), &json),
        (("http-post", "tab-text"), &tab),
    ];
    if v24 {
        checks.push((("file", "json"), &rfc3339));
        checks.push((("unix", "tab-text"), &rfc3339));
    }
    let mut summary = Vec::new();
    for ((transport, format), wanted) in checks {
        let have = outputs
            .get(&(transport.to_owned(), format.to_owned()))
            .map_or(&[][..], Vec::as_slice);
        let missing = missing_from(wanted, have);
        assert!(
            missing.is_empty(),
            "{} of {} captured events are not in the receiver's {transport} {format} output, \
             e.g. {:?}",
            missing.len(),
            wanted.len(),
            &missing[..missing.len().min(5)]
        );
        summary.push(format!(
            "{transport}/{format}: {} of {} captured",
            wanted.len(),
            have.len()
        ));
    }
    eprintln!(
        "{what}: every captured event received ({}); live check clean",
        summary.join(", ")
    );
}

#[test]
fn receive_live_dovecot_2_3() {
    live(false);
}

#[test]
fn receive_live_dovecot_2_4() {
    live(true);
}
