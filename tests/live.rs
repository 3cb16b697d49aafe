//! Live test: runs real Dovecot servers, captures what their event exporters
//! send, and reads every captured event with the `dovecot-events` parsers.
//!
//! For each supported series, `tests/live/capture.py --config all` runs every
//! named configuration (`base`, `dict`, `sql-*`, `ldap`, `auth`, `lua`,
//! `plugins`, `fts`, `sieve`, `proxy`, `director`, `replication`,
//! `migration`; see
//! `tests/fixtures/exports/README.md`): private Dovecot instances on loopback
//! (2.3 from the host's packages, 2.4 inside the Debian trixie chroot that
//! `tests/live/install.sh` builds) and the real servers behind them
//! (PostgreSQL, MariaDB, slapd, Redis, memcached), with traffic that
//! exercises each subsystem, and writes the events the three exporters sent
//! (JSON with RFC 3339 times, JSON with Unix times, tab-text). For the `base`
//! configuration (IMAP, POP3, LMTP + Sieve, submission, doveadm and doveadm
//! HTTP traffic) the test checks that
//!
//! - every event of every format parses,
//! - no event is [`Event::Unknown`] (the failure lists every missing name),
//! - every event has its envelope (host name, times, categories), and every
//!   format holds the same events,
//! - the traffic shows up as concrete values: an IMAP `SELECT` gives
//!   `imap_command_finished` with `cmd_name` `SELECT` and
//!   `tagged_reply_state` `OK`, failed logins give the auth failure events,
//!   LMTP deliveries give `mail_delivery_finished`, and so on.
//!
//! Every other configuration gets the same checks of the schema: every event
//! parses, none is [`Event::Unknown`], has its envelope, every format holds
//! the same events, and the configuration's traffic shows up as the events
//! named in [`CONFIGS`].
//!
//! Every capture, `base` and the others, is also held against the schema's
//! parent contexts: no field the schema knows lands in a typed event's
//! `unknown_fields` (only fields of a name pattern, such as `id_param_*`,
//! may), `dovecot-eventgen verify --target <the release>` finds nothing, and
//! on 2.4 captures `verify --target 2.3.19` reports every event and field
//! name that no 2.3.19 event has, so the contexts do not make the check
//! permissive.
//!
//! The live tests need root and the packages `tests/live/install.sh`
//! installs. Without them they print a `SKIPPED` line naming what is
//! missing and pass, or fail under `DOVECOT_EVENTS_REQUIRE_LIVE=1` (which
//! `.ci/run` sets): [`test_support::require`] decides. The same checks also
//! run, without any server, on the captures checked in under
//! `tests/fixtures/exports/` (`base` in the release directory itself, every
//! other configuration in a subdirectory); those always run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dovecot_eventgen::verify;
use dovecot_events::Event;
use dovecot_events::enums::ImapTaggedReplyState;
use test_support::{LIVE_HARNESS, Need, fixture, repo_root, require};

/// The three files a capture holds: (file, format, parser).
const FILES: [(&str, Format); 3] = [
    ("json-rfc3339.jsonl", Format::Json),
    ("json-unix.jsonl", Format::Json),
    ("tab-text.txt", Format::TabText),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    TabText,
}

/// A Dovecot release series the harness can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Series {
    /// 2.3 (2.3.19.1 from Debian 12), on the host.
    V2_3,
    /// 2.4 (2.4.1 from Debian 13), in the chroot.
    V2_4,
}

// ---------------------------------------------------------------------------
// Running the harness
// ---------------------------------------------------------------------------

/// Runs `capture.py --config all` for one series (2.4 in `chroot`) into a
/// fresh directory under the target directory and returns that directory
/// (the `base` capture, with one subdirectory per other configuration) and
/// the Dovecot version.
fn capture(series: Series, chroot: Option<PathBuf>) -> (PathBuf, String) {
    let label = match series {
        Series::V2_3 => "2.3",
        Series::V2_4 => "2.4",
    };

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("live-{label}"));
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("remove the previous capture");
    }
    let mut command = Command::new("python3");
    command.arg(repo_root().join("tests/live/capture.py"));
    if let Some(chroot) = &chroot {
        command.arg("--chroot").arg(chroot);
    }
    command
        .args(["--config", "all"])
        .arg(&out)
        .stdin(Stdio::null());
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run python3: {err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the capture harness failed for Dovecot {label} ({}):\n{stderr}",
        output.status
    );
    // Shown by `cargo test -- --nocapture`: the harness's timeline and the
    // event counts.
    println!("{stderr}{}", String::from_utf8_lossy(&output.stdout));
    let version = stderr
        .lines()
        .find_map(|line| line.split("Dovecot version ").nth(1))
        .map_or_else(
            || "?".to_owned(),
            |v| v.split(' ').next().unwrap_or("?").to_owned(),
        );
    (out, version)
}

// ---------------------------------------------------------------------------
// Reading a capture
// ---------------------------------------------------------------------------

/// One parsed event, with its fields in wire form as text.
struct Parsed {
    event: Event<'static>,
    fields: BTreeMap<String, String>,
}

impl Parsed {
    fn name(&self) -> &str {
        self.event.name()
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Everything read from one capture directory.
#[derive(Default)]
struct Capture {
    /// Per file, the parsed events.
    files: BTreeMap<&'static str, Vec<Parsed>>,
    /// Every problem, each a line of the failure message.
    problems: Vec<String>,
    /// Names that came out as [`Event::Unknown`], with how often.
    unknown: BTreeMap<String, usize>,
}

fn text_of(value: &dovecot_events::Value<'_>) -> String {
    use dovecot_events::Value;
    match value {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::List(items) => items.join(","),
    }
}

fn read_capture(dir: &Path) -> Capture {
    let mut capture = Capture::default();
    for (file, format) in FILES {
        let path = dir.join(file);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                capture.problems.push(format!("{file}: not UTF-8: {err}"));
                continue;
            }
        };
        let mut events = Vec::new();
        // One event per line; the capture ends every line with a newline.
        for (index, line) in text.split('\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let at = format!("{file}:{}", index + 1);
            let parsed = match format {
                Format::Json => dovecot_events::json::from_str(line),
                Format::TabText => dovecot_events::tab_text::from_str(line),
            };
            let exported = match parsed {
                Ok(exported) => exported,
                Err(err) => {
                    capture
                        .problems
                        .push(format!("{at}: does not parse: {err}"));
                    continue;
                }
            };
            let name = exported.name().unwrap_or("").to_owned();
            match exported.event.meta() {
                None => *capture.unknown.entry(name.clone()).or_default() += 1,
                Some(meta) => {
                    // A typed event keeps in `unknown_fields` only what its
                    // struct has no member for: fields of a name pattern.
                    for (key, _) in exported.event.unknown_fields().iter() {
                        if !meta.field(key).is_some_and(|f| f.pattern) {
                            capture.problems.push(format!(
                                "{at}: {name}: field `{key}` lands in unknown_fields"
                            ));
                        }
                    }
                }
            }
            if exported.hostname.as_deref().is_none_or(str::is_empty) {
                capture.problems.push(format!("{at}: {name}: no hostname"));
            }
            if exported.start_time.is_none() || exported.end_time.is_none() {
                capture
                    .problems
                    .push(format!("{at}: {name}: no start_time or end_time"));
            }
            if exported.categories.is_empty() {
                capture.problems.push(format!("{at}: {name}: no category"));
            }
            let mut fields = BTreeMap::new();
            exported.event.for_each_field(&mut |key, value| {
                fields.insert(key.to_owned(), text_of(&value));
            });
            events.push(Parsed {
                event: exported.event.into_owned(),
                fields,
            });
        }
        if events.is_empty() {
            capture.problems.push(format!("{file}: no events"));
        }
        capture.files.insert(file, events);
    }
    capture
}

// ---------------------------------------------------------------------------
// What the traffic must produce
// ---------------------------------------------------------------------------

/// At least one `event` whose wire fields have these values (as text).
struct Expect {
    what: &'static str,
    event: &'static str,
    fields: &'static [(&'static str, &'static str)],
    /// Only for this series; `None` for both.
    only: Option<Series>,
}

const fn expect(
    what: &'static str,
    event: &'static str,
    fields: &'static [(&'static str, &'static str)],
) -> Expect {
    Expect {
        what,
        event,
        fields,
        only: None,
    }
}

const fn expect_2_4(
    what: &'static str,
    event: &'static str,
    fields: &'static [(&'static str, &'static str)],
) -> Expect {
    Expect {
        what,
        event,
        fields,
        only: Some(Series::V2_4),
    }
}

/// IMAP commands of alice's session that must finish with a tagged OK.
const IMAP_OK_COMMANDS: &[&str] = &[
    "CAPABILITY",
    "ID",
    "LIST",
    "CREATE",
    "SELECT",
    "SETMETADATA",
    "GETMETADATA",
    "APPEND",
    "NOOP",
    "UID SEARCH",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "STATUS",
    "UID STORE",
    "EXPUNGE",
    "EXAMINE",
    "CLOSE",
    "LOGOUT",
];

const EXPECTATIONS: &[Expect] = &[
    // Failed IMAP logins: a wrong password and an unknown user.
    expect(
        "wrong password: passdb result",
        "auth_passdb_request_finished",
        &[
            ("user", "alice@example.test"),
            ("result", "password_mismatch"),
        ],
    ),
    expect(
        "unknown user: passdb result",
        "auth_passdb_request_finished",
        &[("user", "mallory@example.test"), ("result", "user_unknown")],
    ),
    expect(
        "wrong password: auth client error",
        "auth_client_request_finished",
        &[
            ("user", "alice@example.test"),
            ("error", "Authentication failed"),
        ],
    ),
    expect(
        "unknown user: auth client error",
        "auth_client_request_finished",
        &[
            ("user", "mallory@example.test"),
            ("error", "Authentication failed"),
        ],
    ),
    expect(
        "unknown user: auth request",
        "auth_request_finished",
        &[("user", "mallory@example.test"), ("policy_result", "ok")],
    ),
    expect_2_4(
        "failed login: login aborted",
        "login_aborted",
        &[("user", "alice@example.test"), ("reason", "auth_failed")],
    ),
    expect_2_4(
        "client that left before logging in",
        "login_aborted",
        &[("reason", "no_auth_attempts"), ("service", "imap-login")],
    ),
    // Successful logins.
    expect(
        "successful login",
        "auth_request_finished",
        &[("user", "alice@example.test"), ("success", "yes")],
    ),
    expect(
        "successful login: passdb result",
        "auth_passdb_request_finished",
        &[("user", "alice@example.test"), ("result", "ok")],
    ),
    expect_2_4(
        "IMAP ID before login",
        "imap_id_received",
        &[("id_param_name", "capture.py"), ("id_param_version", "1")],
    ),
    // IMAP METADATA through the file dict.
    expect(
        "SETMETADATA writes the dict",
        "dict_set_key",
        &[("cmd_name", "SETMETADATA")],
    ),
    expect(
        "GETMETADATA reads the dict",
        "dict_lookup_finished",
        &[("cmd_name", "GETMETADATA")],
    ),
    expect(
        "dict transaction",
        "dict_transaction_finished",
        &[("mailbox", "INBOX")],
    ),
    // IDLE until hibernated.
    expect(
        "IDLE hibernates",
        "imap_client_hibernated",
        &[("user", "bob@example.test"), ("mailbox", "INBOX")],
    ),
    expect(
        "DONE wakes up",
        "imap_client_unhibernated",
        &[("user", "bob@example.test"), ("reason", "idle_done")],
    ),
    // The proxied login.
    expect(
        "proxied IMAP login",
        "proxy_session_established",
        &[("user", "carol@example.test")],
    ),
    expect(
        "proxied IMAP session",
        "proxy_session_finished",
        &[("user", "carol@example.test"), ("dest_host", "127.0.0.1")],
    ),
    // POP3 (2.3 sends no POP3 command events).
    expect_2_4(
        "POP3 RETR",
        "pop3_command_finished",
        &[
            ("cmd_name", "RETR"),
            ("reply_state", "OK"),
            ("user", "bob@example.test"),
        ],
    ),
    expect_2_4(
        "POP3 DELE",
        "pop3_command_finished",
        &[("cmd_name", "DELE"), ("reply_state", "OK")],
    ),
    // LMTP deliveries and Sieve.
    expect(
        "LMTP delivery to alice",
        "mail_delivery_finished",
        &[
            ("rcpt_to", "alice@example.test"),
            ("message_subject", "hello alice"),
        ],
    ),
    expect(
        "LMTP delivery to bob",
        "mail_delivery_finished",
        &[
            ("rcpt_to", "bob@example.test"),
            ("user", "bob@example.test"),
        ],
    ),
    expect(
        "LMTP RCPT for an unknown user",
        "smtp_server_command_finished",
        &[("cmd_name", "RCPT"), ("status_code", "550")],
    ),
    expect(
        "LMTP transaction",
        "smtp_server_transaction_finished",
        &[("mail_from", "sender@example.test")],
    ),
    expect(
        "Sieve fileinto",
        "sieve_action_finished",
        &[("fileinto_mailbox_name", "Important")],
    ),
    expect(
        "Sieve redirect",
        "sieve_action_finished",
        &[("redirect_target", "carol@elsewhere.test")],
    ),
    expect(
        "Sieve redirect submits",
        "smtp_submit_finished",
        &[("mail_from", "sender@example.test"), ("recipients", "1")],
    ),
    expect(
        "Sieve script run",
        "sieve_runtime_script_finished",
        &[("user", "alice@example.test")],
    ),
    // Submission, relayed to the SMTP sink.
    expect(
        "submission AUTH",
        "smtp_server_command_finished",
        &[("cmd_name", "AUTH")],
    ),
    expect(
        "submission relay transaction",
        "smtp_client_transaction_finished",
        &[],
    ),
    expect(
        "submission relay DATA",
        "smtp_client_command_finished",
        &[("cmd_name", "DATA")],
    ),
    // doveadm.
    expect("doveadm user '*'", "auth_client_userdb_list_finished", &[]),
    expect(
        "doveadm user lookup",
        "auth_client_userdb_lookup_finished",
        &[("user", "alice@example.test")],
    ),
    expect(
        "doveadm auth test",
        "auth_client_request_finished",
        &[("user", "bob@example.test")],
    ),
    expect(
        "doveadm HTTP API",
        "http_server_request_finished",
        &[
            ("method", "POST"),
            ("target", "/doveadm/v1"),
            ("status_code", "200"),
        ],
    ),
    expect(
        "doveadm expunge",
        "mail_expunged",
        &[("mailbox", "Archive")],
    ),
];

fn matches(event: &Parsed, name: &str, fields: &[(&str, &str)]) -> bool {
    event.name() == name
        && fields
            .iter()
            .all(|(key, value)| event.field(key) == Some(*value))
}

/// The checks every configuration gets: every event parses into its typed
/// variant and has its envelope, no known field lands in `unknown_fields`,
/// and every format holds the same events.
fn check_common(dir: &Path, version: &str) -> (String, Capture) {
    let capture = read_capture(dir);
    let mut report = String::new();
    let total: usize = capture.files.values().map(Vec::len).sum();

    if !capture.unknown.is_empty() {
        let mut unknown = String::new();
        let _ = writeln!(
            unknown,
            "{} event names that the schema does not know (Event::Unknown) in Dovecot {version}:",
            capture.unknown.len()
        );
        for (name, count) in &capture.unknown {
            let _ = writeln!(unknown, "  {name} ({} per format)", count / FILES.len());
        }
        report.push_str(&unknown);
    }
    if !capture.problems.is_empty() {
        let _ = writeln!(
            report,
            "{} problems in {total} events:",
            capture.problems.len()
        );
        for problem in capture.problems.iter().take(100) {
            let _ = writeln!(report, "  {problem}");
        }
        if capture.problems.len() > 100 {
            let _ = writeln!(report, "  ... and {} more", capture.problems.len() - 100);
        }
    }

    // Every format holds the same events.
    let counts: BTreeMap<&str, BTreeMap<&str, usize>> = capture
        .files
        .iter()
        .map(|(file, events)| {
            let mut by_name = BTreeMap::new();
            for event in events {
                *by_name.entry(event.name()).or_default() += 1;
            }
            (*file, by_name)
        })
        .collect();
    let mut distinct = counts.values().collect::<Vec<_>>();
    distinct.dedup();
    if distinct.len() > 1 {
        let _ = writeln!(report, "the formats hold different events: {counts:?}");
    }
    (report, capture)
}

/// Checks the `base` capture; returns the failure report, empty when all is
/// well.
fn check(dir: &Path, series: Series, version: &str) -> String {
    let (mut report, capture) = check_common(dir, version);
    let total: usize = capture.files.values().map(Vec::len).sum();

    for (file, events) in &capture.files {
        let mut missing = Vec::new();

        // Typed checks of IMAP commands.
        let imap = |cmd: &str, state: &ImapTaggedReplyState| {
            events.iter().any(|e| match &e.event {
                Event::ImapCommandFinished(c) => {
                    c.cmd_name.as_deref() == Some(cmd)
                        && c.tagged_reply_state.as_ref() == Some(state)
                }
                _ => false,
            })
        };
        for cmd in IMAP_OK_COMMANDS {
            if !imap(cmd, &ImapTaggedReplyState::Ok) {
                missing.push(format!("IMAP {cmd}: imap_command_finished {{cmd_name: {cmd:?}, tagged_reply_state: Ok}}"));
            }
        }
        if !imap("SELECT", &ImapTaggedReplyState::No) {
            missing.push("SELECT of a missing mailbox: imap_command_finished {cmd_name: \"SELECT\", tagged_reply_state: No}".to_owned());
        }
        if !events.iter().any(|e| match &e.event {
            Event::ImapCommandFinished(c) => {
                c.cmd_input_name.as_deref() == Some("XNOSUCHCOMMAND")
                    && c.tagged_reply_state == Some(ImapTaggedReplyState::Bad)
            }
            _ => false,
        }) {
            missing.push("unknown IMAP command: imap_command_finished {cmd_input_name: \"XNOSUCHCOMMAND\", tagged_reply_state: Bad}".to_owned());
        }
        if events
            .iter()
            .filter(|e| matches!(e.event, Event::MailDeliveryFinished(_)))
            .count()
            < 4
        {
            missing.push("4 LMTP deliveries: 4 typed mail_delivery_finished".to_owned());
        }

        for expectation in EXPECTATIONS {
            if expectation.only.is_some_and(|only| only != series) {
                continue;
            }
            if !events
                .iter()
                .any(|e| matches(e, expectation.event, expectation.fields))
            {
                missing.push(format!(
                    "{}: {} {:?}",
                    expectation.what, expectation.event, expectation.fields
                ));
            }
        }
        if !missing.is_empty() {
            let _ = writeln!(report, "{file}: the traffic did not show up as expected:");
            for line in &missing {
                let _ = writeln!(report, "  {line}");
            }
            // What was there, to compare against.
            let seen: BTreeSet<&str> = events.iter().map(Parsed::name).collect();
            let _ = writeln!(report, "  event names seen: {seen:?}");
        }
    }

    report.push_str(&check_verify(dir, series, version, &capture));

    if report.is_empty() {
        let names: BTreeSet<&str> = capture.files.values().flatten().map(Parsed::name).collect();
        println!(
            "Dovecot {version} ({series:?}): {} events per format, {} names: {}",
            total / FILES.len(),
            names.len(),
            names.into_iter().collect::<Vec<_>>().join(" ")
        );
    } else {
        report.insert_str(
            0,
            &format!("Dovecot {version}, capture in {}:\n", dir.display()),
        );
    }
    report
}

/// `dovecot-eventgen verify`, as a library, over every file of a capture:
/// nothing the release sent may be unknown, mistyped, outside the release's
/// lifetime in the schema, or come with a parent context the event's
/// categories rule out. On a 2.4 capture, `verify --target 2.3.19` must
/// report every event name and field name that no 2.3.19 event has.
fn check_verify(dir: &Path, series: Series, version: &str, capture: &Capture) -> String {
    let mut report = String::new();
    let model = dovecot_events_codegen::load_dir(&repo_root().join("schema"))
        .expect("the repository schema is valid");
    // Dovecot reports e.g. `2.4.1-4` (with the Debian revision) or
    // `2.3.19.1 (9b53102964)`; the release is the leading number.
    let release = version
        .split(['-', '+', '~', ' '])
        .next()
        .unwrap_or(version);
    let target: dovecot_events_codegen::Version = release.parse().expect("a release number");
    let old: dovecot_events_codegen::Version = "2.3.19".parse().expect("a release number");
    let too_new = names_newer_than(&model, old);
    // Names Dovecot's source sets only from 2.4.0 (tools/source-scan), so
    // that a schema that made them older would fail here too.
    for event in ["imap_id_received", "pop3_command_finished", "login_aborted"] {
        if !too_new.events.contains(event) {
            let _ = writeln!(report, "the schema has event {event} before 2.4.0");
        }
    }
    for field in [
        "net_in_bytes",
        "dict_driver",
        "remote_gid",
        "passdb_driver",
        "userdb_driver",
        "sql_driver",
        "channel_binding",
    ] {
        if !too_new.fields.contains(field) {
            let _ = writeln!(report, "the schema has field {field} before 2.4.0");
        }
    }
    for (file, format) in FILES {
        let bytes = std::fs::read(dir.join(file)).expect("read capture");
        let input = match format {
            Format::Json => verify::InputFormat::Json,
            Format::TabText => verify::InputFormat::TabText,
        };
        let found = verify::verify(
            &model,
            &bytes[..],
            Some(input),
            target,
            verify::Limits::default(),
        )
        .expect("read from memory");
        if !found.is_clean() {
            let _ = writeln!(report, "{file}: verify --target {target}:\n{found}");
        }
        if series != Series::V2_4 {
            continue;
        }
        // An older target must see the newer release's names as too new,
        // whatever parent contexts the events have.
        let against_old = verify::verify(
            &model,
            &bytes[..],
            Some(input),
            old,
            verify::Limits::default(),
        )
        .expect("read from memory");
        let flagged: BTreeSet<(String, String)> = against_old
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    verify::FindingKind::EventNotInTarget | verify::FindingKind::FieldNotInTarget
                )
            })
            .map(|f| {
                (
                    f.event.clone().unwrap_or_default(),
                    f.field.clone().unwrap_or_default(),
                )
            })
            .collect();
        let mut missed = BTreeSet::new();
        for event in capture.files.get(file).into_iter().flatten() {
            let name = event.name();
            let expected: Vec<(String, String)> = if too_new.events.contains(name) {
                vec![(name.to_owned(), String::new())]
            } else {
                event
                    .fields
                    .keys()
                    .filter(|f| too_new.fields.contains(f.as_str()))
                    .map(|f| (name.to_owned(), f.clone()))
                    .collect()
            };
            missed.extend(expected.into_iter().filter(|e| !flagged.contains(e)));
        }
        for (event, field) in missed {
            let _ = writeln!(
                report,
                "{file}: verify --target 2.3.19 did not flag {event}{}{field} as newer than 2.3.19",
                if field.is_empty() { "" } else { "." }
            );
        }
    }
    report
}

/// Event names and field names that no event of `release` has: no event
/// that exists then has that name, and no definition of that field (on an
/// event, a context, a group, or global) is sent then.
struct NewerNames {
    events: BTreeSet<String>,
    fields: BTreeSet<String>,
}

fn names_newer_than(
    model: &dovecot_events_codegen::model::EventModel,
    release: dovecot_events_codegen::Version,
) -> NewerNames {
    let events = model
        .events
        .values()
        .filter(|e| e.emitted && e.lifetime.since.is_some_and(|since| since > release))
        .map(|e| e.name.clone())
        .collect();
    let all_fields = model
        .events
        .values()
        .flat_map(|e| &e.fields)
        .chain(model.groups.values().flat_map(|g| &g.fields))
        .chain(&model.global_fields);
    let mut fields: BTreeSet<String> = BTreeSet::new();
    let mut old: BTreeSet<&str> = BTreeSet::new();
    for field in all_fields {
        if field.exists_in(release) {
            old.insert(&field.name);
        } else if field.emitted && !field.pattern {
            fields.insert(field.name.clone());
        }
    }
    fields.retain(|f| !old.contains(f.as_str()));
    NewerNames { events, fields }
}

// ---------------------------------------------------------------------------
// The other configurations
// ---------------------------------------------------------------------------

/// A configuration of `capture.py` other than `base`, and events its traffic
/// must produce. The field values are checked only on fresh captures: the
/// checked-in ones keep one event per name, categories and field names, so
/// only the names are checked there.
struct ConfigExpect {
    name: &'static str,
    /// The series that can run it (`None`: both).
    runs_on: Option<Series>,
    events: &'static [EventExpect],
}

/// An event a configuration's traffic must produce: its name, wire fields
/// one such event must carry, and the series it is expected on (`None`:
/// both).
type EventExpect = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<Series>,
);

const ALICE: (&str, &str) = ("user", "alice@example.test");
const OK: (&str, &str) = ("result", "ok");

/// Every configuration but `base`, as `capture.py --list` names them.
const CONFIGS: &[ConfigExpect] = &[
    ConfigExpect {
        name: "dict",
        runs_on: None,
        events: &[
            ("dict_lookup_finished", &[], None),
            ("dict_set_key", &[], None),
            ("dict_unset_key", &[], None),
            ("dict_increment_key", &[], None),
            ("dict_iteration_finished", &[], None),
            ("dict_server_transaction_finished", &[], None),
            ("sql_query_finished", &[], None),
        ],
    },
    ConfigExpect {
        name: "sql-sqlite",
        runs_on: None,
        events: SQL_EVENTS,
    },
    ConfigExpect {
        name: "sql-pgsql",
        runs_on: None,
        events: SQL_EVENTS,
    },
    ConfigExpect {
        name: "sql-mysql",
        runs_on: None,
        events: SQL_EVENTS,
    },
    ConfigExpect {
        name: "ldap",
        runs_on: None,
        events: &[
            (
                "auth_passdb_request_finished",
                &[("user", "carol@example.test"), OK],
                None,
            ),
            (
                "auth_passdb_request_finished",
                &[ALICE, ("result", "password_mismatch")],
                None,
            ),
            ("auth_client_userdb_list_finished", &[], None),
        ],
    },
    ConfigExpect {
        name: "auth",
        runs_on: None,
        events: &[
            ("auth_policy_request_finished", &[], None),
            ("auth_passdb_request_finished", &[ALICE, OK], None),
            (
                "auth_request_finished",
                &[("user", "bob@example.test"), ("success", "yes")],
                None,
            ),
            ("auth_client_cache_flush_finished", &[], Some(Series::V2_3)),
        ],
    },
    ConfigExpect {
        name: "lua",
        runs_on: None,
        events: &[
            (
                "auth_passdb_request_finished",
                &[("user", "erin@example.test"), OK],
                None,
            ),
            ("auth_client_userdb_list_finished", &[], None),
            ("push_notification_lua_call_finished", &[], None),
        ],
    },
    ConfigExpect {
        name: "plugins",
        runs_on: None,
        events: &[
            ("push_notification_finished", &[], None),
            ("http_request_finished", &[], None),
            ("mail_expunged", &[], None),
            ("imap_command_finished", &[("cmd_name", "SETACL")], None),
            (
                "imap_command_finished",
                &[("cmd_name", "GETQUOTAROOT")],
                None,
            ),
        ],
    },
    ConfigExpect {
        name: "fts",
        runs_on: None,
        events: &[
            ("indexer_worker_indexing_finished", &[], None),
            ("imap_command_finished", &[("cmd_name", "SEARCH")], None),
            ("fts_flatcurve_query", &[], Some(Series::V2_4)),
        ],
    },
    ConfigExpect {
        name: "sieve",
        runs_on: None,
        events: &[
            (
                "managesieve_command_finished",
                &[("cmd_name", "PUTSCRIPT")],
                None,
            ),
            ("sieve_script_activated", &[], None),
            ("sieve_storage_save_finished", &[], None),
            ("sieve_action_finished", &[], None),
        ],
    },
    ConfigExpect {
        name: "proxy",
        runs_on: None,
        events: &[
            ("proxy_session_finished", &[ALICE], None),
            (
                "proxy_session_established",
                &[("user", "bob@example.test")],
                None,
            ),
            ("smtp_client_transaction_finished", &[], None),
        ],
    },
    ConfigExpect {
        name: "director",
        runs_on: Some(Series::V2_3),
        events: &[
            ("proxy_session_established", &[ALICE], None),
            ("auth_client_passdb_lookup_finished", &[], None),
        ],
    },
    ConfigExpect {
        name: "replication",
        runs_on: None,
        events: &[
            (
                "http_server_request_finished",
                &[("target", "/doveadm/v1")],
                None,
            ),
            ("mail_user_session_finished", &[ALICE], None),
        ],
    },
    ConfigExpect {
        name: "migration",
        runs_on: None,
        events: &[
            (
                "imap_command_finished",
                &[("cmd_name", "UID FETCH"), ("user", "gina@example.test")],
                None,
            ),
            (
                "pop3_command_finished",
                &[("cmd_name", "TOP")],
                Some(Series::V2_4),
            ),
        ],
    },
];

const SQL_EVENTS: &[EventExpect] = &[
    ("sql_query_finished", &[], None),
    ("sql_transaction_finished", &[], None),
    ("auth_passdb_request_finished", &[ALICE, OK], None),
    ("auth_client_userdb_list_finished", &[], None),
    ("dict_server_lookup_finished", &[], None),
];

/// Checks the capture of one configuration other than `base`; returns the
/// failure report, empty when all is well. `fresh` tells whether the capture
/// is untrimmed (a live run), so field values can be checked.
fn check_config(
    dir: &Path,
    series: Series,
    version: &str,
    config: &ConfigExpect,
    fresh: bool,
) -> String {
    if !dir.join(FILES[0].0).exists() {
        if config.runs_on.is_some_and(|only| only != series) {
            return String::new();
        }
        return format!(
            "configuration {}: no capture in {}\n",
            config.name,
            dir.display()
        );
    }
    let (mut report, capture) = check_common(dir, version);
    for (file, events) in &capture.files {
        for (event, fields, only) in config.events {
            if only.is_some_and(|only| only != series) {
                continue;
            }
            let fields: &[(&str, &str)] = if fresh { fields } else { &[] };
            if !events.iter().any(|e| matches(e, event, fields)) {
                let _ = writeln!(
                    report,
                    "configuration {}: {file}: no {event} {fields:?}",
                    config.name
                );
            }
        }
    }

    report.push_str(&check_verify(dir, series, version, &capture));
    let total: usize = capture.files.values().map(Vec::len).sum();
    println!(
        "Dovecot {version}, configuration {}: {} events per format",
        config.name,
        total / FILES.len(),
    );
    if !report.is_empty() {
        report.insert_str(
            0,
            &format!("Dovecot {version}, capture in {}:\n", dir.display()),
        );
    }
    report
}

/// Checks a directory that holds the `base` capture and one subdirectory
/// per other configuration.
fn check_all(dir: &Path, series: Series, version: &str, fresh: bool) -> String {
    let mut report = check(dir, series, version);
    for config in CONFIGS {
        report.push_str(&check_config(
            &dir.join(config.name),
            series,
            version,
            config,
            fresh,
        ));
    }
    // A configuration directory the test does not know is a capture that
    // nothing checks.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !CONFIGS.iter().any(|c| c.name == name) {
                let _ = writeln!(
                    report,
                    "{}: configuration {name} is not in CONFIGS",
                    dir.display()
                );
            }
        }
    }
    report
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

#[test]
fn live_dovecot_2_3() {
    let needs = [LIVE_HARNESS.as_slice(), &[Need::Dovecot23]].concat();
    if require("live_dovecot_2_3", &needs).is_none() {
        return;
    }
    let (dir, version) = capture(Series::V2_3, None);
    let report = check_all(&dir, Series::V2_3, &version, true);
    assert!(report.is_empty(), "{report}");
}

#[test]
fn live_dovecot_2_4() {
    let needs = [LIVE_HARNESS.as_slice(), &[Need::Dovecot24Chroot]].concat();
    let Some(found) = require("live_dovecot_2_4", &needs) else {
        return;
    };
    let (dir, version) = capture(Series::V2_4, found.chroot);
    let report = check_all(&dir, Series::V2_4, &version, true);
    assert!(report.is_empty(), "{report}");
}

/// The checked-in captures pass the same checks, with no server needed:
/// `base` in each release directory, every other configuration in its
/// subdirectory.
#[test]
fn checked_in_captures() {
    let mut report = String::new();
    for (dir, series, version) in [
        ("exports/2.3.19", Series::V2_3, "2.3.19.1"),
        ("exports/2.4.1", Series::V2_4, "2.4.1"),
    ] {
        report.push_str(&check_all(&fixture(dir), series, version, false));
    }
    assert!(report.is_empty(), "{report}");
}
