//! Helpers shared by the cross-crate integration tests in `tests/`.
//!
//! [`require`] is the one place that decides whether a test that needs
//! something beyond the Rust toolchain (real Dovecot servers, the Dovecot
//! 2.4 chroot, a headless browser) can run. On a machine without it, the
//! test says loudly on standard error that it skipped and how to enable it,
//! and passes; with `DOVECOT_EVENTS_REQUIRE_LIVE=1` (set by `.ci/run`) it
//! fails instead, naming what is missing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable under which a missing prerequisite fails the
/// test instead of skipping it.
pub const REQUIRE_LIVE: &str = "DOVECOT_EVENTS_REQUIRE_LIVE";

/// What installs every prerequisite.
pub const INSTALL: &str = "sudo bash tests/live/install.sh";

/// The repository root (this package's manifest directory).
#[must_use]
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path below `tests/fixtures/`.
#[must_use]
pub fn fixture(relative: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(relative)
}

/// Something a test needs from the machine; `tests/live/install.sh`
/// provides all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Running as root: the Dovecot master process starts as root.
    Root,
    /// `python3` on `PATH`, which runs `tests/live/capture.py`.
    Python3,
    /// Dovecot 2.3 from the host's packages (`/usr/sbin/dovecot`).
    Dovecot23,
    /// The Debian trixie chroot with Dovecot 2.4
    /// (`$DOVECOT_EVENTS_CACHE/trixie`, by default under
    /// `/var/cache/dovecot-events`).
    Dovecot24Chroot,
    /// The servers the capture configurations put behind Dovecot: Redis,
    /// memcached, PostgreSQL, MariaDB and slapd.
    BackingServers,
    /// A headless Chromium (`chromium`, `chromium-browser` or
    /// `google-chrome` on `PATH`).
    Chromium,
}

/// Every prerequisite of a test that runs `tests/live/capture.py` for one
/// Dovecot series, apart from that series' Dovecot.
pub const LIVE_HARNESS: [Need; 3] = [Need::Root, Need::Python3, Need::BackingServers];

/// What [`require`] found, for the prerequisites that have a location.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The browser, when [`Need::Chromium`] was asked for.
    pub chromium: Option<PathBuf>,
    /// The chroot's root directory, when [`Need::Dovecot24Chroot`] was
    /// asked for.
    pub chroot: Option<PathBuf>,
}

/// The Dovecot 2.4 chroot that `tests/live/install.sh` builds (a symbolic
/// link to the complete, keyed build), whether or not it exists.
#[must_use]
pub fn chroot_dir() -> PathBuf {
    let cache = std::env::var_os("DOVECOT_EVENTS_CACHE")
        .map_or_else(|| PathBuf::from("/var/cache/dovecot-events"), PathBuf::from);
    cache.join("trixie")
}

/// Whether `DOVECOT_EVENTS_REQUIRE_LIVE` asks for every prerequisite to be
/// present (any value but empty and `0`).
#[must_use]
pub fn live_required() -> bool {
    std::env::var_os(REQUIRE_LIVE).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Checks that everything `test` needs is present.
///
/// Returns what was found when it is. Otherwise, without
/// `DOVECOT_EVENTS_REQUIRE_LIVE`, prints a `SKIPPED` line naming each
/// missing prerequisite and the install command to standard error (past
/// the test harness's output capture, so `cargo test` shows it) and returns
/// `None`: the test returns early and passes. With the variable set, it
/// panics with the same text.
///
/// ```no_run
/// use test_support::{Need, require};
///
/// let Some(found) = require("search_works_in_a_browser", &[Need::Chromium]) else {
///     return;
/// };
/// let browser = found.chromium.expect("asked for");
/// ```
///
/// # Panics
///
/// When something is missing and `DOVECOT_EVENTS_REQUIRE_LIVE` is set.
#[must_use]
pub fn require(test: &str, needs: &[Need]) -> Option<Found> {
    let mut found = Found::default();
    let mut missing = Vec::new();
    let mut needs = needs.to_vec();
    needs.sort();
    needs.dedup();
    for need in needs {
        if let Err(what) = check(need, &mut found) {
            missing.push(what);
        }
    }
    if missing.is_empty() {
        return Some(found);
    }
    let list = missing.join("; ");
    if live_required() {
        panic!(
            "{test} cannot run, and {REQUIRE_LIVE}=1 requires it to: {list}. \
             Run `{INSTALL}` first"
        );
    }
    let message = format!(
        "SKIPPED: {test}: {list}. Run `{INSTALL}` to enable it \
         ({REQUIRE_LIVE}=1 turns this skip into a failure)\n"
    );
    // Straight to the process's standard error: the test harness captures
    // `eprintln!` of passing tests, and a skip must not go unnoticed.
    let _ = std::io::stderr().lock().write_all(message.as_bytes());
    None
}

/// Looks for one prerequisite; the error says what is missing.
fn check(need: Need, found: &mut Found) -> Result<(), String> {
    match need {
        Need::Root => match effective_uid() {
            Some(0) => Ok(()),
            Some(uid) => Err(format!(
                "it must run as root (the Dovecot master process starts as root), \
                 not as uid {uid}"
            )),
            None => Err("it must run as root, and the user id is unknown".to_owned()),
        },
        Need::Python3 => on_path(&["python3"])
            .map(drop)
            .ok_or_else(|| "python3 is not on PATH".to_owned()),
        Need::Dovecot23 => executable(Path::new("/usr/sbin/dovecot"))
            .then_some(())
            .ok_or_else(|| "Dovecot 2.3 is not installed (no /usr/sbin/dovecot)".to_owned()),
        Need::Dovecot24Chroot => {
            let chroot = chroot_dir();
            if executable(&chroot.join("usr/sbin/dovecot")) {
                found.chroot = Some(chroot);
                Ok(())
            } else {
                Err(format!(
                    "the Dovecot 2.4 chroot is not built (no {}/usr/sbin/dovecot)",
                    chroot.display()
                ))
            }
        }
        Need::BackingServers => {
            let postgres = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .any(|version| executable(&version.path().join("bin/postgres")));
            let mut absent: Vec<&str> = [
                ("/usr/bin/redis-server", "redis-server"),
                ("/usr/bin/memcached", "memcached"),
                ("/usr/sbin/mariadbd", "mariadb-server"),
                ("/usr/sbin/slapd", "slapd"),
            ]
            .into_iter()
            .filter(|(path, _)| !executable(Path::new(path)))
            .map(|(_, package)| package)
            .collect();
            if !postgres {
                absent.push("postgresql");
            }
            if absent.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "the servers behind the capture configurations are not installed \
                     (missing packages: {})",
                    absent.join(", ")
                ))
            }
        }
        Need::Chromium => match on_path(&["chromium", "chromium-browser", "google-chrome"]) {
            Some(path) => {
                found.chromium = Some(path);
                Ok(())
            }
            None => Err(
                "no headless browser is installed (none of chromium, chromium-browser, \
                 google-chrome is on PATH)"
                    .to_owned(),
            ),
        },
    }
}

/// The first of `names` that is an executable file in a `PATH` directory.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| executable(candidate))
    })
}

/// Whether `path` is a regular file (after following links) that someone
/// may execute.
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The process's effective user id: the owner of `/proc/self`.
fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}
