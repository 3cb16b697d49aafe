"""What a named capture configuration is, and the run it happens in."""

import os
import shutil
import tempfile

from harness.common import log
from harness.dovecot import Dovecot
from harness.sinks import HttpSink


class Run:
    """Everything one configuration's capture uses: the release, the
    collector and sinks, the backing servers and the Dovecot instances.

    `close` stops everything that was started, in reverse order, by pid.
    """

    def __init__(self, series, target, collector, smtp_sink, procs, keep):
        self.series = series
        self.target = target
        self.collector = collector
        self.smtp_sink = smtp_sink
        self.procs = procs
        self.keep = keep
        self.uid, self.gid = target.user("nobody")
        # Dovecot's files live where Dovecot can see them (below the chroot
        # for 2.4); the backing servers' data directories on the host.
        self.root = target.mkdtemp()
        os.chmod(self.root, 0o755)
        self.backend_dir = tempfile.mkdtemp(prefix="dovecot-backends-")
        os.chmod(self.backend_dir, 0o755)
        self.instances = []
        self.sinks = []
        self.doveadm_count = 0
        # Exporters for an outside receiver: {"http": URL, "file": host
        # path, "unix": host path} (capture.py --also-*).
        self.extra = {}

    @property
    def v24(self):
        return self.series == "2.4"

    def instance(self, name="main", **kwargs):
        instance = Dovecot(self, name, **kwargs)
        self.instances.append(instance)
        return instance

    def backend(self, server):
        return server.start(self.procs, self.backend_dir)

    def http_sink(self, answer):
        sink = HttpSink(answer).start()
        self.sinks.append(sink)
        return sink

    def pick(self, v23, v24):
        """The 2.3 or the 2.4 spelling of something."""
        return v24 if self.v24 else v23

    def close(self, ok):
        for instance in reversed(self.instances):
            instance.stop()
        self.procs.stop_all()
        for sink in self.sinks:
            sink.stop()
        if not ok or self.keep:
            log("Kept %s and %s for inspection" % (self.root, self.backend_dir))
        else:
            shutil.rmtree(self.root, ignore_errors=True)
            shutil.rmtree(self.backend_dir, ignore_errors=True)


class Config:
    """A named configuration: the Dovecot instances and backing servers it
    runs, and the traffic that exercises them.

    Subclasses set `name` and `summary`, and implement `setup` (start the
    backing servers, create and render the instances; raise
    `common.Unavailable` when the release cannot run the configuration at
    all) and `drive` (the traffic). `skipped(series)` lists the parts that
    the release cannot run, with the reason, for the log and the fixtures
    README.
    """

    name = None
    summary = ""

    def skipped(self, series):
        return []

    def setup(self, run):
        raise NotImplementedError

    def drive(self, run):
        raise NotImplementedError
