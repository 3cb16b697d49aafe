#!/usr/bin/env python3
"""Run one statistics configuration on a private Dovecot and scrape /metrics.

The instance is the `base` configuration of capture.py (passwd-file users,
LMTP with Sieve, IMAP, POP3, submission, doveadm), without capture.py's
event exporters, plus the given statistics configuration and an HTTP
listener of the stats service on a free loopback port. The script drives
the base traffic, waits until the stats service's numbers stop changing,
and writes what the OpenMetrics endpoint answered:

    {"version": "2.3.19.1", "metrics": "<the /metrics body>",
     "posts": <events the http-post exporters sent to the collector>}

In the configuration, `@COLLECTOR@` stands for the collector's URL
(`http://127.0.0.1:PORT`), so exporters of the http-post transport (or
driver) have somewhere to send to.

Usage (as root, after tests/live/install.sh):

    python3 tests/live/stats_run.py STATS.conf OUT.json
    python3 tests/live/stats_run.py --chroot /var/cache/dovecot-events/trixie STATS.conf OUT.json

Only the Python 3 standard library is used; every process is stopped by
its pid, also on failure.
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import harness.config  # noqa: E402
import harness.dovecot  # noqa: E402
from harness.common import CaptureError, Processes, Target, free_port, log  # noqa: E402
from harness.configs.base import Base  # noqa: E402
from harness.sinks import Collector, SmtpSink  # noqa: E402

# How long the numbers must stay the same, and how long to wait at most.
SETTLE = 2.0
SETTLE_TIMEOUT = 30.0

STATS_LISTENER = """
service stats {{
  inet_listener http {{
    port = {port}
  }}
}}
"""


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as answer:
        return answer.read().decode("utf-8")


def without_times(text):
    """The body without the lines that change by themselves."""
    return [line for line in text.splitlines() if not line.startswith("process_start_time_seconds")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stats_conf", help="the statistics configuration (metric and event_exporter blocks)")
    parser.add_argument("out", help="the JSON file to write")
    parser.add_argument("--chroot", metavar="DIR", help="run the Dovecot installed in this chroot")
    options = parser.parse_args()
    if os.geteuid() != 0:
        raise CaptureError("run this script as root: the Dovecot master must start as root")
    with open(options.stats_conf) as handle:
        stats_conf = handle.read()

    target = Target(options.chroot)
    target.check_installed()
    version = target.version()
    series = ".".join(version.split(".")[:2])
    log("Dovecot version %s%s" % (version, " in " + target.chroot if target.chroot else ""))

    # No event exporters of capture.py: only the given configuration's
    # metrics are on the endpoint.
    harness.dovecot.EXPORTERS[:] = []
    collector = Collector()
    collector.start()
    smtp_sink = SmtpSink()
    smtp_sink.start()
    stats_port = free_port()
    extra = (
        "\n# --- the statistics configuration under test ---\n"
        + stats_conf.replace("@COLLECTOR@", "http://127.0.0.1:%d" % collector.port)
        + STATS_LISTENER.format(port=stats_port)
    )

    class StatsDovecot(harness.dovecot.Dovecot):
        def render(self, settings):
            super().render(settings + extra)

    harness.config.Dovecot = StatsDovecot
    run = harness.config.Run(series, target, collector, smtp_sink, Processes(), False)
    ok = False
    try:
        config = Base()
        config.setup(run)
        for instance in run.instances:
            instance.start()
        config.drive(run)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        last = without_times(scrape(stats_port))
        stable_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = without_times(scrape(stats_port))
            if now != last:
                last, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= SETTLE:
                break
        body = scrape(stats_port)
        ok = True
    except Exception:
        for instance in run.instances:
            sys.stderr.write(instance.log_tail() + "\n")
        raise
    finally:
        run.close(ok)
        collector.stop()
        smtp_sink.stop()
    with open(options.out, "w") as handle:
        json.dump({"version": version, "metrics": body, "posts": collector.count()}, handle, indent=1)
        handle.write("\n")
    log("Scraped %d lines of /metrics; the collector received %d events"
        % (len(body.splitlines()), collector.count()))


if __name__ == "__main__":
    try:
        main()
    except CaptureError as exc:
        print("stats_run.py: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
