#!/usr/bin/env python3
"""Capture real Dovecot event exports as test fixtures.

For each named configuration (`--config NAME`, several separated by commas,
or `--config all`), this script starts the real servers the configuration
needs, each private and on loopback only: one or two throw-away Dovecot
instances and, as the configuration requires, Redis, memcached, PostgreSQL
(its own initdb cluster), MariaDB (its own mariadb-install-db data
directory) and slapd (its own slapd.conf and database), plus small servers
inside this script (an HTTP collector for the events, an SMTP sink, an auth
policy server, a push-notification endpoint). Every Dovecot instance exports
every named event three times (JSON with RFC 3339 timestamps, JSON with Unix
timestamps, and tab-text) over HTTP POST to the collector. The script drives
traffic that exercises the configuration, waits for the exported events to
arrive, stops everything by pid, and writes the captured events:

    OUT/json-rfc3339.jsonl, json-unix.jsonl, tab-text.txt     (base)
    OUT/CONFIG/json-rfc3339.jsonl, json-unix.jsonl, tab-text.txt

The `base` configuration writes into OUT itself, where the first captures
have always been; every other configuration into its own subdirectory.
The configurations are in tests/live/harness/configs/ (`--list` prints
them); the fixtures README describes what each exercises.

Two Dovecot series are supported, with one code path; only the Dovecot
configuration differs (2.4 renamed many settings):

    - 2.3: the host's Dovecot (Debian 12: 2.3.19.1);
    - 2.4: the Dovecot installed in a Debian chroot given with --chroot
      (Debian 13 "trixie": 2.4.1), see tests/live/install.sh.  The instance
      runs inside the chroot; its temporary directory is created under the
      chroot's /tmp, and loopback is shared with the host, so the backing
      servers (which always run on the host) are reached the same way.

The bodies are written exactly as Dovecot sent them.  Dovecot sends one event
per POST without a trailing newline, so the script joins them with a newline
and ends each file with one.  Lines are in arrival order, which differs
between the three files because each exporter posts over its own
connections.  Events that arrive after Dovecot begins to shut down are left
out, because they reach some exporters but not others.

Usage (as root, after tests/live/install.sh):

    python3 tests/live/capture.py --config all tests/fixtures/exports/2.3.19
    python3 tests/live/capture.py --config all \\
        --chroot /var/cache/dovecot-events/trixie tests/fixtures/exports/2.4.1

Only the Python 3 standard library is used.  The script needs root because
the Dovecot master process must start as root to switch to its unprivileged
service users (and because of chroot); the test mailboxes belong to the
"nobody" user.  Every server is stopped by its pid, also when the script
fails or receives SIGTERM, SIGINT or SIGHUP.
"""

import sys

# Keep the repository free of __pycache__ directories.
sys.dont_write_bytecode = True

import argparse  # noqa: E402
import imaplib  # noqa: E402
import os  # noqa: E402
import poplib  # noqa: E402
import signal  # noqa: E402
import smtplib  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402

from harness import configs  # noqa: E402
from harness.common import (  # noqa: E402
    EXPORT_SETTLE,
    EXPORT_TIMEOUT,
    CaptureError,
    Processes,
    Stopped,
    Target,
    Unavailable,
    log,
)
from harness.config import Run  # noqa: E402
from harness.dovecot import EXPORTERS  # noqa: E402
from harness.output import summarize, write_outputs  # noqa: E402
from harness.sinks import Collector, SmtpSink  # noqa: E402

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def wait_for_exports(collector):
    """Waits until no new POST has arrived for EXPORT_SETTLE seconds.

    The whole wait is bounded by EXPORT_TIMEOUT seconds.
    """
    deadline = time.monotonic() + EXPORT_TIMEOUT
    last_count = collector.count()
    last_change = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        count = collector.count()
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif time.monotonic() - last_change >= EXPORT_SETTLE:
            break
    log("Collector holds %d POST bodies" % last_count)


def on_signal(signum, _frame):
    raise Stopped("received signal %d" % signum)


def capture_one(config, series, target, out_dir, keep, trim, extra=None):
    """Runs one configuration; returns False when the release cannot run it."""
    started = time.monotonic()
    log("=== configuration %s: %s" % (config.name, config.summary))
    for part, reason in config.skipped(series):
        log("not on %s: %s (%s)" % (series, part, reason))
    collector = Collector()
    collector.start()
    smtp_sink = SmtpSink()
    smtp_sink.start()
    run = Run(series, target, collector, smtp_sink, Processes(), keep)
    run.extra = dict(extra or {})
    log("Working directories %s and %s; collector on 127.0.0.1:%d, SMTP sink on 127.0.0.1:%d"
        % (run.root, run.backend_dir, collector.port, smtp_sink.port))
    ok = False
    records = []
    for signum in SIGNALS:
        signal.signal(signum, on_signal)
    try:
        try:
            config.setup(run)
        except Unavailable as exc:
            log("configuration %s cannot run on Dovecot %s: %s" % (config.name, series, exc))
            ok = True
            return False
        for instance in run.instances:
            instance.start()
        config.drive(run)
        wait_for_exports(collector)
        # Keep only what arrived before shutdown.  Events emitted while
        # Dovecot stops reach some exporters but not others, which would
        # make the three files disagree.
        records = collector.snapshot()
        ok = True
    except (OSError, urllib.error.URLError, imaplib.IMAP4.error, poplib.error_proto, smtplib.SMTPException,
            subprocess.TimeoutExpired) as exc:
        logs = "\n".join(instance.log_tail() for instance in run.instances)
        raise CaptureError("configuration %s: %s: %s\n%s" % (config.name, type(exc).__name__, exc, logs))
    finally:
        # Signals during the cleanup would interrupt it.
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        run.close(ok)
        collector.stop()
        smtp_sink.stop()
        for signum in SIGNALS:
            signal.signal(signum, on_signal)

    late = collector.count() - len(records)
    if late:
        log("Discarded %d POST bodies that arrived during shutdown" % late)
    log("The SMTP sink received %d messages" % smtp_sink.messages)
    counts = write_outputs(records, out_dir, trim)
    if trim is not None:
        log("Kept at most %d events per event name, categories and field names" % trim)
    log("Wrote %s to %s" % (", ".join("%s: %d events" % item for item in counts.items()), out_dir))
    if not any(counts.values()):
        raise CaptureError("Nothing was captured: no exporter sent any event")
    if len(set(counts.values())) != 1:
        log("warning: the exporters sent different numbers of events: %r" % dict(counts))
    names = summarize(out_dir)
    log("configuration %s: %d events captured, %d written, %d names, %.1fs"
        % (config.name, len(records) // len(EXPORTERS), counts[EXPORTERS[0][0]], len(names),
           time.monotonic() - started))
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", help="directory that receives the captures")
    parser.add_argument(
        "--chroot", metavar="DIR", help="run the Dovecot installed in this chroot (see tests/live/install.sh)"
    )
    parser.add_argument("--config", default="base",
                        help="configurations to run: NAME[,NAME...] or `all` (default: base)")
    parser.add_argument("--list", action="store_true", help="list the configurations and exit")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories for inspection")
    parser.add_argument("--also-http", metavar="URL",
                        help="also export every event in every format to this URL (path: the format's name)")
    parser.add_argument("--also-file", metavar="PATH",
                        help="2.4: also export every event as JSON lines with the file driver to PATH (a host path)")
    parser.add_argument("--also-unix", metavar="PATH",
                        help="2.4: also export every event as tab-text with the unix driver to the socket PATH")
    parser.add_argument("--trim", type=int, metavar="N",
                        help="keep at most N events of each event name, categories and field names")
    options = parser.parse_args()

    if options.list:
        for config in configs.ALL:
            print("%-12s %s" % (config.name, config.summary))
        return
    if not options.out_dir:
        parser.error("the output directory is required")
    if options.config == "all":
        chosen = list(configs.ALL)
    else:
        chosen = []
        for name in options.config.split(","):
            if name not in configs.BY_NAME:
                parser.error("unknown configuration %r (known: %s)" % (name, ", ".join(configs.BY_NAME)))
            chosen.append(configs.BY_NAME[name])

    if os.geteuid() != 0:
        raise CaptureError("run this script as root: the Dovecot master must start as root")
    target = Target(options.chroot)
    target.check_installed()
    version = target.version()
    series = ".".join(version.split(".")[:2])
    if series not in ("2.3", "2.4"):
        raise CaptureError("unsupported Dovecot version %s (2.3 and 2.4 are supported)" % version)
    log("Dovecot version %s%s" % (version, " in " + target.chroot if target.chroot else ""))

    if (options.also_file or options.also_unix) and series != "2.4":
        parser.error("--also-file and --also-unix need Dovecot 2.4 (its file and unix drivers)")
    extra = {"http": options.also_http, "file": options.also_file, "unix": options.also_unix}
    timings = []
    for config_class in chosen:
        config = config_class()
        out_dir = options.out_dir if config.name == "base" else os.path.join(options.out_dir, config.name)
        started = time.monotonic()
        captured = capture_one(config, series, target, out_dir, options.keep, options.trim, extra)
        timings.append((config.name, time.monotonic() - started, captured))
    log("Done: %s" % ", ".join("%s %.1fs%s" % (name, seconds, "" if captured else " (cannot run here)")
                               for name, seconds, captured in timings))


if __name__ == "__main__":
    try:
        main()
    except (CaptureError, Stopped) as exc:
        print("capture.py: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
