#!/usr/bin/env python3
"""Capture real Dovecot event exports as test fixtures.

This script runs a private, throw-away Dovecot instance that listens only on
loopback addresses, configures it to export every named event three times
(JSON with RFC 3339 timestamps, JSON with Unix timestamps, and tab-text), and
sends those exports over HTTP POST to a small collector that runs inside this
script.  It then drives real traffic through IMAP, POP3, LMTP (with a Sieve
script that files and redirects), SMTP submission (relayed to a small SMTP
sink inside this script) and doveadm, waits for the exported events to
arrive, stops Dovecot, and writes the captured events into an output
directory:

    json-rfc3339.jsonl   one JSON event per line (RFC 3339 times)
    json-unix.jsonl      one JSON event per line (Unix times)
    tab-text.txt         one tab-text event per line (RFC 3339 times)

Two Dovecot series are supported, with the same traffic and one code path;
only the configuration differs (2.4 renamed many settings):

    - 2.3: the host's Dovecot (Debian 12: 2.3.19.1);
    - 2.4: the Dovecot installed in a Debian chroot given with --chroot
      (Debian 13 "trixie": 2.4.1), see tests/live/install.sh.  The instance
      runs inside the chroot; the temporary directory is created under the
      chroot's /tmp, and loopback is shared with the host.

The bodies are written exactly as Dovecot sent them.  Dovecot sends one event
per POST without a trailing newline, so the script joins them with a newline
and ends each file with one.  Lines are in arrival order, which differs
between the three files because each exporter posts over its own
connections.  Events that arrive after Dovecot begins to shut down are left
out, because they reach some exporters but not others.

Usage (as root, after tests/live/install.sh):

    python3 tests/live/capture.py tests/fixtures/exports/2.3.19
    python3 tests/live/capture.py --chroot /var/cache/dovecot-events/trixie \\
        tests/fixtures/exports/2.4.1

Only the Python 3 standard library is used.  The script needs root because
the Dovecot master process must start as root to switch to its unprivileged
service users (and because of chroot); the test mailboxes belong to the
"nobody" user.  Dovecot is stopped by the pid in its master.pid, also when
the script fails or receives SIGTERM, SIGINT or SIGHUP.
"""

import argparse
import base64
import collections
import http.server
import imaplib
import json
import os
import poplib
import shutil
import signal
import smtplib
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# The three exporters: (name, format, time format, output file, the
# Content-Type Dovecot is expected to send).  The name is also the URL path
# that the exporter posts to.  The time format is spelled `time-rfc3339` in
# 2.3's `format_args` and `rfc3339` in 2.4's `time_format`.
EXPORTERS = [
    ("json-rfc3339", "json", "rfc3339", "json-rfc3339.jsonl", "application/json"),
    ("json-unix", "json", "unix", "json-unix.jsonl", "application/json"),
    ("tab-text", "tab-text", "rfc3339", "tab-text.txt", "text/plain"),
]

# The test users.  Their passwords are plain, throw-away test values and are
# stored in the passwd-file with the {PLAIN} scheme.
USERS = {
    "alice@example.test": "alice-test-pass",
    "bob@example.test": "bob-test-pass",
    "carol@example.test": "carol-test-pass",
}

# carol's logins are proxied by imap-login to the same instance's IMAP
# listener, where they log in as alice.  These are the passdb extra fields
# (the port is filled in).
PROXIED = {
    "carol@example.test": "proxy=y host=127.0.0.1 port={imap} destuser=alice@example.test pass=alice-test-pass",
}

# The password of doveadm's HTTP API (user "doveadm"), a throw-away value.
DOVEADM_PASSWORD = "doveadm-test-pass"

# A small Sieve script for alice: messages whose subject contains
# "[important]" are filed into a folder named "Important", messages whose
# subject contains "[forward]" are redirected (through submission_host, to
# the SMTP sink) and kept, everything else is kept in the INBOX.  This makes
# LMTP deliveries run the Sieve interpreter and its SMTP submission.
SIEVE_SCRIPT = """require ["fileinto", "mailbox"];
if header :contains "subject" "[important]" {
  fileinto :create "Important";
  stop;
}
if header :contains "subject" "[forward]" {
  redirect "carol@elsewhere.test";
}
keep;
"""

# Every wait in this script is bounded by one of these limits (in seconds).
START_TIMEOUT = 20
STOP_TIMEOUT = 15
CLIENT_TIMEOUT = 30
EXPORT_SETTLE = 2
EXPORT_TIMEOUT = 60
COMMAND_TIMEOUT = 60

# The Debian packages install the binaries here, on the host and in the
# chroot alike.
DOVECOT = "/usr/sbin/dovecot"
DOVECONF = "/usr/bin/doveconf"
DOVEADM = "/usr/bin/doveadm"

STARTED = time.monotonic()


def log(message):
    """Prints a progress message on stderr, prefixed with the elapsed time."""
    print("[%6.1fs] %s" % (time.monotonic() - STARTED, message), file=sys.stderr, flush=True)


class CaptureError(Exception):
    """Raised for any failure that should end the script with a clear message."""


class Stopped(Exception):
    """Raised by the signal handler, so that the cleanup code runs."""


# ---------------------------------------------------------------------------
# Where Dovecot runs: on the host or inside a chroot
# ---------------------------------------------------------------------------


class Target:
    """Runs Dovecot's programs on the host or inside a chroot.

    Paths are kept as host paths in this script; `inside` turns them into the
    paths Dovecot sees, which differ only when a chroot is used.
    """

    def __init__(self, chroot):
        self.chroot = os.path.realpath(chroot) if chroot else None

    def host_path(self, path):
        """The host path of an absolute path as seen by Dovecot."""
        return self.chroot + path if self.chroot else path

    def inside(self, host_path):
        """The path Dovecot sees for a host path below the chroot."""
        if not self.chroot:
            return host_path
        if not host_path.startswith(self.chroot + "/"):
            raise CaptureError("%s is not inside the chroot %s" % (host_path, self.chroot))
        return host_path[len(self.chroot):]

    def argv(self, args):
        """The command line that runs args (an absolute program path first)."""
        return (["chroot", self.chroot] if self.chroot else []) + list(args)

    def check_installed(self):
        """Raises a CaptureError naming what is missing."""
        if self.chroot and not os.path.isdir(self.chroot):
            raise CaptureError(
                "the chroot %s does not exist; run `bash tests/live/install.sh` as root" % self.chroot
            )
        for program in (DOVECOT, DOVECONF, DOVEADM):
            if not os.access(self.host_path(program), os.X_OK):
                raise CaptureError(
                    "%s is not installed%s; run `bash tests/live/install.sh` as root"
                    % (program, " in the chroot " + self.chroot if self.chroot else "")
                )

    def version(self):
        """The output of `dovecot --version`, such as `2.4.1-4 (7d8c0e5759)`."""
        proc = subprocess.run(
            self.argv([DOVECOT, "--version"]),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        if proc.returncode != 0:
            raise CaptureError("`dovecot --version` failed: %s" % proc.stderr.strip())
        return proc.stdout.strip()

    def user(self, name):
        """(uid, gid) of a user in the passwd file Dovecot sees."""
        with open(self.host_path("/etc/passwd")) as handle:
            for line in handle:
                parts = line.rstrip("\n").split(":")
                if parts[0] == name:
                    return int(parts[2]), int(parts[3])
        raise CaptureError("no user %r in %s" % (name, self.host_path("/etc/passwd")))

    def mkdtemp(self):
        """A new temporary directory that Dovecot can see (a host path)."""
        return tempfile.mkdtemp(prefix="dovecot-capture-", dir=self.host_path("/tmp") if self.chroot else None)


# ---------------------------------------------------------------------------
# The HTTP collector and the SMTP sink
# ---------------------------------------------------------------------------


class Collector:
    """Records every HTTP POST that Dovecot's http-post driver sends.

    The collector is a plain single-threaded http.server.HTTPServer that runs
    in one background thread.  It speaks HTTP/1.0, so every request arrives on
    its own connection and the server can handle the connections one after the
    other without a slow keep-alive connection blocking the others.
    """

    def __init__(self):
        self.lock = threading.Lock()
        # Each record is a tuple of (path, content type, body bytes).
        self.records = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                # Read exactly Content-Length bytes; Dovecot always sends it.
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length > 0 else b""
                with collector.lock:
                    collector.records.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, fmt, *args):
                # Keep the collector quiet; the script reports counts itself.
                pass

        class Server(http.server.HTTPServer):
            # A generous accept queue, so that bursts of connections from the
            # stats process wait in the kernel instead of being refused.
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def count(self):
        with self.lock:
            return len(self.records)

    def snapshot(self):
        with self.lock:
            return list(self.records)


class SmtpSink:
    """A minimal SMTP server that accepts and discards every message.

    Dovecot's submission service relays to it, and Sieve's redirect action
    sends through it.  It answers EHLO without extensions, so clients use
    plain MAIL/RCPT/DATA.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = 0
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = CLIENT_TIMEOUT

            def reply(self, text):
                self.wfile.write(text.encode("ascii") + b"\r\n")

            def handle(self):
                self.reply("220 sink.example.test ESMTP test sink")
                in_data = False
                while True:
                    try:
                        line = self.rfile.readline(65536)
                    except OSError:
                        return
                    if not line:
                        return
                    if in_data:
                        if line.rstrip(b"\r\n") == b".":
                            in_data = False
                            with sink.lock:
                                sink.messages += 1
                            self.reply("250 2.0.0 Ok: queued")
                        continue
                    verb = line.split(b" ", 1)[0].strip().upper()
                    if verb == b"EHLO":
                        self.reply("250 sink.example.test")
                    elif verb == b"DATA":
                        in_data = True
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                    elif verb == b"QUIT":
                        self.reply("221 2.0.0 Bye")
                        return
                    else:
                        self.reply("250 2.0.0 Ok")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


def free_port():
    """Asks the kernel for a free TCP port on 127.0.0.1 and returns it.

    The port is released again before Dovecot binds it, which leaves a tiny
    window for another program to take it; Dovecot would then fail to start
    and the script would report that clearly.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The settings that differ between the series, written as each expects.
CONFIG_2_3 = """# Generated by tests/live/capture.py for Dovecot 2.3; do not edit.
disable_plaintext_auth = no
mail_location = maildir:~/Maildir

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users.passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/users.passwd
}}

# LMTP deliveries run the user's Sieve script.
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}

# IMAP METADATA is stored in a file dict.
mail_attribute_dict = file:%h/dovecot-attributes
"""

EXPORTER_2_3 = """
event_exporter {ident} {{
  format = {fmt}
  format_args = time-{time}
  transport = http-post
  transport_args = {url}
  transport_timeout = 5sec
}}
metric export_{ident} {{
  exporter = {ident}
  filter = event=*
}}
"""

CONFIG_2_4 = """# Generated by tests/live/capture.py for Dovecot 2.4; do not edit.
dovecot_config_version = 2.4.1
dovecot_storage_version = 2.4.0

auth_allow_cleartext = yes
mail_driver = maildir
mail_path = %{{home}}/Maildir

passdb passwd-file {{
  passwd_file_path = {root}/users.passwd
}}
userdb passwd-file {{
  passwd_file_path = {root}/users.passwd
}}

# LMTP deliveries run the user's Sieve script.
protocol lmtp {{
  mail_plugins {{
    sieve = yes
  }}
}}
sieve_script personal {{
  driver = file
  path = ~/sieve
  active_path = ~/.dovecot.sieve
}}

# IMAP METADATA is stored in a file dict.
mail_attribute {{
  dict file {{
    path = %{{home}}/dovecot-attributes
  }}
}}
"""

EXPORTER_2_4 = """
event_exporter {ident} {{
  driver = http-post
  http_post_url = {url}
  http_client_request_absolute_timeout = 5s
  format = {fmt}
  time_format = {time}
}}
metric export_{ident} {{
  exporter = {ident}
  filter = event=*
}}
"""

# The settings both series spell alike.
CONFIG_COMMON = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
debug_log_path = {root}/log/dovecot.log

# Listen on loopback only (`listen` applies to every inet_listener); every
# listener gets a free high port and the TLS listeners are disabled.
listen = 127.0.0.1
protocols = imap pop3 lmtp submission
ssl = no
auth_mechanisms = plain login
auth_verbose = yes
hostname = mail.example.test

default_internal_user = dovecot
default_login_user = dovenull

# The mail users all map to one unprivileged system user.
first_valid_uid = {uid}
first_valid_gid = {gid}
postmaster_address = postmaster@example.test

# Submission relays to the script's SMTP sink, and Sieve's redirect
# sends through it.
submission_relay_host = 127.0.0.1
submission_relay_port = {smtp_sink}
submission_host = 127.0.0.1:{smtp_sink}

namespace inbox {{
  inbox = yes
  separator = /
}}

imap_metadata = yes
# An IDLE client hibernates after a second; the imap-master socket must
# belong to the internal user for the hibernation to work.
imap_hibernate_timeout = 1s
service imap {{
  unix_listener imap-master {{
    user = dovecot
  }}
}}

# doveadm's HTTP API.
doveadm_password = {doveadm_password}
service doveadm {{
  inet_listener http {{
    port = {doveadm_http}
  }}
}}

service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = {submission}
  }}
  inet_listener submissions {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    port = {lmtp}
  }}
}}
"""


def render_config(series, root, ports, collector_port, smtp_sink_port, uid, gid):
    """Returns the text of a self-contained dovecot.conf for the instance.

    root is the temporary directory as Dovecot sees it.
    """
    head, exporter = {"2.3": (CONFIG_2_3, EXPORTER_2_3), "2.4": (CONFIG_2_4, EXPORTER_2_4)}[series]
    exporters = []
    for name, fmt, time_format, _file, _ctype in EXPORTERS:
        # Each exporter gets its own metric, so every named event is exported
        # once per format.  Exporter and metric names may not contain dashes.
        exporters.append(
            exporter.format(
                ident=name.replace("-", "_"),
                fmt=fmt,
                time=time_format,
                url="http://127.0.0.1:%d/%s" % (collector_port, name),
            )
        )
    # The version settings of 2.4 must come first, so the series' part is
    # the head of the file.
    return (
        head.format(root=root)
        + CONFIG_COMMON.format(
            root=root, uid=uid, gid=gid, smtp_sink=smtp_sink_port, doveadm_password=DOVEADM_PASSWORD, **ports
        )
        + "".join(exporters)
    )


def prepare_root(target, root, ports, mail_uid, mail_gid):
    """Creates the directory layout, the users file and the Sieve script."""
    # The login and mail processes run as unprivileged users and must be
    # able to traverse the temporary directory.
    os.chmod(root, 0o755)
    for sub in ("run", "state", "log", "home"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)

    lines = []
    for user, password in USERS.items():
        home = os.path.join(root, "home", user.split("@")[0])
        os.makedirs(home, exist_ok=True)
        extra = PROXIED.get(user, "").format(**ports)
        lines.append(
            "%s:{PLAIN}%s:%d:%d::%s::%s\n" % (user, password, mail_uid, mail_gid, target.inside(home), extra)
        )
        if user.startswith("alice@"):
            # Store the Sieve script in ~/sieve and activate it through the
            # ~/.dovecot.sieve symlink, the layout Pigeonhole expects.
            sieve_dir = os.path.join(home, "sieve")
            os.makedirs(sieve_dir, exist_ok=True)
            with open(os.path.join(sieve_dir, "capture.sieve"), "w") as handle:
                handle.write(SIEVE_SCRIPT)
            os.symlink("sieve/capture.sieve", os.path.join(home, ".dovecot.sieve"))
        # Hand the whole home directory to the mail user.
        for dirpath, dirnames, filenames in os.walk(home):
            os.lchown(dirpath, mail_uid, mail_gid)
            for entry in dirnames + filenames:
                os.lchown(os.path.join(dirpath, entry), mail_uid, mail_gid)

    users_file = os.path.join(root, "users.passwd")
    with open(users_file, "w") as handle:
        handle.writelines(lines)
    # The auth worker reads the file as the internal dovecot user.
    os.chmod(users_file, 0o644)


# ---------------------------------------------------------------------------
# Running and stopping Dovecot
# ---------------------------------------------------------------------------


def run(target, args, root, name, timeout=COMMAND_TIMEOUT, check=True):
    """Runs one of Dovecot's programs with its output in files under root/log.

    The output goes to files rather than pipes, because processes started by
    Dovecot inherit the starter's standard streams and would keep a pipe open.
    Returns the completed process together with the captured output text.
    """
    out_path = os.path.join(root, "log", name + ".out")
    err_path = os.path.join(root, "log", name + ".err")
    argv = target.argv(args)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout)
    with open(out_path, "rb") as handle:
        out_text = handle.read().decode("utf-8", "replace")
    with open(err_path, "rb") as handle:
        err_text = handle.read().decode("utf-8", "replace")
    if check and proc.returncode != 0:
        # The error output comes first because it names the problem; the
        # standard output (for doveconf, the whole config) follows, shortened.
        raise CaptureError(
            "%s failed with exit code %d:\n%s\n(stdout, first lines:)\n%s"
            % (" ".join(argv), proc.returncode, err_text.strip(), "\n".join(out_text.splitlines()[:10]))
        )
    return proc, out_text, err_text


def read_pid(root):
    """Returns the master pid from BASE_DIR/master.pid, or None if absent.

    Without a pid namespace, the pid of a Dovecot inside the chroot is a
    host pid too.
    """
    try:
        with open(os.path.join(root, "run", "master.pid")) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid):
    """Tells whether pid is a live (not zombie) process."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            stat = handle.read()
    except OSError:
        return False
    # The state letter follows the parenthesised command name.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def pid_is_dovecot(pid):
    """Tells whether pid still runs the dovecot master binary.

    This guards against signalling an unrelated process that happens to have
    reused the pid after Dovecot exited.
    """
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv0 = handle.read().split(b"\0")[0]
    except OSError:
        return False
    return os.path.basename(argv0) == b"dovecot"


def wait_for_port(port, deadline):
    """Waits until 127.0.0.1:port accepts connections or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def dovecot_log(root):
    return tail(os.path.join(root, "log", "dovecot.log"))


def start_dovecot(target, conf, root, ports):
    """Starts the master process and waits until all listeners answer."""
    proc, out, err = run(target, [DOVECOT, "-c", conf], root, "dovecot-start", timeout=START_TIMEOUT, check=False)
    if proc.returncode != 0:
        # The starter reports listener and config errors before it
        # daemonizes, so a non-zero exit means there is nothing to wait for.
        raise CaptureError(
            "Dovecot failed to start (exit code %d).\n%s%s\n%s" % (proc.returncode, out, err, dovecot_log(root))
        )
    deadline = time.monotonic() + START_TIMEOUT
    while read_pid(root) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = read_pid(root)
    if pid is None or not pid_alive(pid):
        raise CaptureError(
            "Dovecot did not start (no live pid in %s/run/master.pid).\n%s%s\n%s" % (root, out, err, dovecot_log(root))
        )
    for name, port in ports.items():
        if not wait_for_port(port, deadline):
            raise CaptureError(
                "Dovecot started (pid %d) but its %s listener on 127.0.0.1:%d never answered.\n%s"
                % (pid, name, port, dovecot_log(root))
            )
    log("Dovecot is running with master pid %d" % pid)
    return pid


def stop_dovecot(root):
    """Stops Dovecot by the pid in master.pid: SIGTERM, then SIGKILL."""
    pid = read_pid(root)
    if pid is None or not pid_alive(pid) or not pid_is_dovecot(pid):
        return
    log("Stopping Dovecot (pid %d) with SIGTERM" % pid)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid) and pid_is_dovecot(pid):
        log("Dovecot did not exit within %ds; sending SIGKILL to pid %d" % (STOP_TIMEOUT, pid))
        os.kill(pid, signal.SIGKILL)


def tail(path, lines=30):
    """Returns the last lines of a file, for error messages."""
    try:
        with open(path, "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return "(no log at %s)" % path
    return "--- last lines of %s ---\n%s" % (path, "\n".join(data.splitlines()[-lines:]))


# ---------------------------------------------------------------------------
# Traffic
# ---------------------------------------------------------------------------

# imaplib does not know the ID command (RFC 2971); it is valid in every state.
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))


class SourcedIMAP4(imaplib.IMAP4):
    """An IMAP4 client that connects from a chosen loopback source address.

    Dovecot delays and penalises failed logins per source IP, so the failing
    logins come from their own 127.0.0.x addresses.
    """

    def __init__(self, host, port, source, timeout):
        self._source = source
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


def message(sender, recipient, subject, body):
    """Builds a small RFC 5322 message with CRLF line endings."""
    return (
        "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
        "Message-ID: <%s@example.test>\r\n\r\n%s\r\n"
        % (sender, recipient, subject, "".join(c if c.isalnum() else "-" for c in subject).strip("-"), body)
    ).encode("ascii")


def drive_lmtp(port):
    """Delivers a few messages over LMTP, one recipient per transaction.

    smtplib reads only one reply after DATA, which matches LMTP only when a
    transaction has a single recipient.
    """
    deliveries = [
        ("alice@example.test", "hello alice"),
        ("alice@example.test", "[important] quarterly report"),
        ("alice@example.test", "[forward] for carol"),
        ("bob@example.test", "hello bob"),
    ]
    with smtplib.LMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT) as lmtp:
        lmtp.ehlo("client.example.test")
        for recipient, subject in deliveries:
            refused = lmtp.sendmail(
                "sender@example.test", [recipient], message("sender@example.test", recipient, subject, "body")
            )
            if refused:
                raise CaptureError("LMTP refused %s: %r" % (recipient, refused))
        # A recipient that does not exist, to capture a rejected RCPT.
        lmtp.mail("sender@example.test")
        code, reply = lmtp.rcpt("nobody@example.test")
        log("LMTP RCPT for an unknown user answered %d %s" % (code, reply.decode("ascii", "replace")))
        lmtp.rset()
    log("LMTP: delivered %d messages" % len(deliveries))


def failed_imap_login(port, source, user, password):
    """One IMAP login that must fail, from its own source address."""
    client = SourcedIMAP4("127.0.0.1", port, source, CLIENT_TIMEOUT)
    try:
        client.login(user, password)
        raise CaptureError("IMAP login as %s with a wrong password unexpectedly succeeded" % user)
    except imaplib.IMAP4.error as exc:
        log("IMAP: login as %s from %s rejected as expected: %s" % (user, source, exc))
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def idle_until_hibernated(port):
    """Logs in as bob and IDLEs long enough for the session to hibernate
    (imap_hibernate_timeout) and to be woken up again by DONE.

    imaplib has no IDLE, so this speaks IMAP on a plain socket.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT, source_address=("127.0.0.5", 0)) as sock:
        reader = sock.makefile("rb")

        def command(tag, text, until=None):
            sock.sendall(("%s %s\r\n" % (tag, text)).encode("ascii"))
            while True:
                line = reader.readline()
                if not line:
                    raise CaptureError("IMAP IDLE client: connection closed after %s" % text)
                if until is not None and line.startswith(until):
                    return line
                if line.startswith(tag.encode("ascii") + b" "):
                    if not line.startswith(tag.encode("ascii") + b" OK"):
                        raise CaptureError("IMAP IDLE client: %s answered %r" % (text, line))
                    return line

        reader.readline()  # the greeting
        command("h1", "LOGIN bob@example.test %s" % USERS["bob@example.test"])
        command("h2", "SELECT INBOX")
        command("h3", "IDLE", until=b"+")
        time.sleep(2.5)
        sock.sendall(b"DONE\r\n")
        while not reader.readline().startswith(b"h3 "):
            pass
        command("h4", "LOGOUT")
    log("IMAP: IDLE session finished")


def proxied_imap_login(port):
    """Logs in as carol, whom imap-login proxies to the same listener."""
    imap = SourcedIMAP4("127.0.0.1", port, "127.0.0.6", CLIENT_TIMEOUT)
    imap.login("carol@example.test", USERS["carol@example.test"])
    imap.select("INBOX", readonly=True)
    imap.logout()
    log("IMAP: proxied session finished")


def drive_imap(port):
    """Runs failed, aborted, proxied and hibernating logins and one full
    IMAP session."""
    # Failed logins are answered only after the authentication failure
    # delay, and the IDLE client waits for its session to hibernate, so
    # they run in parallel with everything else.  The failing logins (a
    # wrong password, an unknown user) each come from their own source
    # address.
    errors = []

    def attempt(function, *args):
        try:
            function(*args)
        except Exception as exc:  # reported after the join
            errors.append(exc)

    failures = [
        threading.Thread(
            target=attempt, args=(failed_imap_login, port, "127.0.0.2", "alice@example.test", "wrong-password")
        ),
        threading.Thread(
            target=attempt, args=(failed_imap_login, port, "127.0.0.3", "mallory@example.test", "any-password")
        ),
        threading.Thread(target=attempt, args=(idle_until_hibernated, port)),
    ]
    for thread in failures:
        # Daemon threads: a failing run must not wait for them to end.
        thread.daemon = True
        thread.start()

    # A client that connects and leaves without logging in.
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT, source_address=("127.0.0.4", 0)) as sock:
        sock.recv(4096)

    imap = SourcedIMAP4("127.0.0.1", port, "127.0.0.1", CLIENT_TIMEOUT)
    try:
        imap.xatom("ID", '("name" "capture.py" "version" "1")')
        imap.login("alice@example.test", USERS["alice@example.test"])
        imap.capability()
        imap.xatom("ID", "NIL")
        imap.list()
        imap.create("Archive")
        # A mailbox that does not exist: a tagged NO.
        typ, _ = imap.select("No-Such-Mailbox")
        if typ != "NO":
            raise CaptureError("SELECT of a missing mailbox answered %s" % typ)
        # A command Dovecot does not know: a tagged BAD.
        try:
            imap.xatom("XNOSUCHCOMMAND")
        except imaplib.IMAP4.error:
            pass
        imap.select("INBOX")
        imap.xatom("SETMETADATA", 'INBOX (/private/comment "captured by capture.py")')
        imap.xatom("GETMETADATA", "INBOX (/private/comment)")
        imap.append("INBOX", r"(\Flagged)", None, message("alice@example.test", "alice@example.test", "appended", "appended body"))
        imap.noop()
        typ, data = imap.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        imap.search(None, "SUBJECT", "hello")
        imap.fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)")
        imap.fetch("1", "(BODY.PEEK[])")
        imap.store("1", "+FLAGS", r"(\Seen)")
        imap.copy("1:*", "Archive")
        imap.status("Archive", "(MESSAGES UNSEEN UIDNEXT)")
        if uids:
            imap.uid("STORE", uids[-1], "+FLAGS", r"(\Deleted)")
        imap.expunge()
        imap.select("Important", readonly=True)
        imap.fetch("1:*", "(FLAGS)")
        imap.close()
        imap.logout()
    except imaplib.IMAP4.error as exc:
        raise CaptureError("IMAP session failed: %s" % exc)
    log("IMAP: session finished")
    proxied_imap_login(port)

    for thread in failures:
        thread.join(CLIENT_TIMEOUT + 5)
    if errors:
        raise errors[0]


def drive_pop3(port):
    """Runs one POP3 session for bob: USER/PASS, STAT, LIST, UIDL, TOP,
    RETR, DELE, QUIT."""
    pop = poplib.POP3("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        pop.user("bob@example.test")
        pop.pass_(USERS["bob@example.test"])
        count, _size = pop.stat()
        pop.list()
        pop.uidl()
        if count:
            pop.top(1, 0)
            pop.retr(1)
            pop.dele(1)
    finally:
        pop.quit()
    log("POP3: session finished (%d messages)" % count)


def drive_submission(port):
    """Sends one message through the submission service, which relays it
    to the SMTP sink."""
    with smtplib.SMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT) as smtp:
        smtp.ehlo("client.example.test")
        smtp.login("alice@example.test", USERS["alice@example.test"])
        refused = smtp.sendmail(
            "alice@example.test",
            ["dave@elsewhere.test"],
            message("alice@example.test", "dave@elsewhere.test", "submitted", "sent through submission"),
        )
        if refused:
            raise CaptureError("submission refused: %r" % refused)
    log("Submission: sent one message")


def drive_doveadm_http(port):
    """Runs one command through doveadm's HTTP API."""
    request = urllib.request.Request(
        "http://127.0.0.1:%d/doveadm/v1" % port,
        data=json.dumps([["mailboxList", {"user": "alice@example.test"}, "c1"]]).encode("ascii"),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(("doveadm:" + DOVEADM_PASSWORD).encode("ascii")).decode(),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
        answer = json.loads(response.read())
    if not answer or answer[0][0] != "doveadmResponse":
        raise CaptureError("doveadm HTTP API answered %r" % answer)
    log("doveadm HTTP API: listed %d mailboxes" % len(answer[0][1]))


def drive_doveadm(target, conf, root):
    """Runs a few doveadm commands against the instance."""
    commands = [
        ["mailbox", "list", "-u", "alice@example.test"],
        ["mailbox", "status", "-u", "alice@example.test", "messages unseen vsize", "INBOX"],
        ["fetch", "-u", "alice@example.test", "uid flags mailbox hdr.subject", "mailbox", "INBOX", "ALL"],
        ["search", "-u", "alice@example.test", "mailbox", "*", "ALL"],
        ["mailbox", "create", "-u", "bob@example.test", "Projects"],
        ["expunge", "-u", "alice@example.test", "mailbox", "Archive", "SUBJECT", "appended"],
        ["user", "alice@example.test"],
        # Listing users iterates the userdb (auth_client_userdb_list_* events).
        ["user", "*"],
        ["auth", "test", "bob@example.test", USERS["bob@example.test"]],
        ["who"],
    ]
    for index, args in enumerate(commands):
        run(target, [DOVEADM, "-c", conf] + args, root, "doveadm-%d" % index)
    log("doveadm: ran %d commands" % len(commands))


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


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


def write_outputs(records, out_dir):
    """Writes one file per exporter and returns a summary of event counts."""
    by_path = collections.defaultdict(list)
    for path, ctype, body in records:
        by_path[path].append((ctype, body))
    unknown = set(by_path) - {"/" + exporter[0] for exporter in EXPORTERS}
    if unknown:
        raise CaptureError("Unexpected POST paths: %s" % ", ".join(sorted(unknown)))

    os.makedirs(out_dir, exist_ok=True)
    counts = collections.OrderedDict()
    for name, _fmt, _time, file_name, want_ctype in EXPORTERS:
        bodies = []
        for ctype, body in by_path.get("/" + name, []):
            if ctype.split(";")[0].strip() != want_ctype:
                log("warning: %s sent Content-Type %r, expected %r" % (name, ctype, want_ctype))
            # One event per line only works if no body contains a newline;
            # Dovecot escapes newlines in both formats, so this must hold.
            if b"\n" in body:
                raise CaptureError("A %s body contains a raw newline: %r" % (name, body[:200]))
            bodies.append(body)
        with open(os.path.join(out_dir, file_name), "wb") as handle:
            handle.write(b"".join(body + b"\n" for body in bodies))
        counts[name] = len(bodies)
    return counts


def summarize(out_dir):
    """Prints the event names and counts found in the JSON RFC 3339 file."""
    names = collections.Counter()
    with open(os.path.join(out_dir, EXPORTERS[0][3]), "rb") as handle:
        for line in handle:
            names[json.loads(line)["event"]] += 1
    for name, count in sorted(names.items()):
        print("%5d  %s" % (count, name))


def on_signal(signum, _frame):
    raise Stopped("received signal %d" % signum)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="directory that receives the three capture files")
    parser.add_argument(
        "--chroot", metavar="DIR", help="run the Dovecot installed in this chroot (see tests/live/install.sh)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary Dovecot directory for inspection")
    options = parser.parse_args()

    if os.geteuid() != 0:
        raise CaptureError("run this script as root: the Dovecot master must start as root")
    target = Target(options.chroot)
    target.check_installed()
    version = target.version()
    series = ".".join(version.split(".")[:2])
    if series not in ("2.3", "2.4"):
        raise CaptureError("unsupported Dovecot version %s (2.3 and 2.4 are supported)" % version)
    log("Dovecot version %s%s" % (version, " in " + target.chroot if target.chroot else ""))

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)

    mail_uid, mail_gid = target.user("nobody")
    root = target.mkdtemp()
    log("Working directory %s" % root)
    collector = Collector()
    collector.start()
    sink = SmtpSink()
    sink.start()
    log("Collector on 127.0.0.1:%d, SMTP sink on 127.0.0.1:%d" % (collector.port, sink.port))

    ports = collections.OrderedDict(
        (name, free_port()) for name in ("imap", "pop3", "lmtp", "submission", "doveadm_http")
    )
    conf = os.path.join(root, "dovecot.conf")
    conf_inside = target.inside(conf)
    ok = False
    records = []
    try:
        prepare_root(target, root, ports, mail_uid, mail_gid)
        with open(conf, "w") as handle:
            handle.write(
                render_config(series, target.inside(root), ports, collector.port, sink.port, mail_uid, mail_gid)
            )
        # Let doveconf parse and validate the rendered configuration first.
        run(target, [DOVECONF, "-c", conf_inside, "-n"], root, "doveconf")
        log("doveconf accepted %s" % conf)

        start_dovecot(target, conf_inside, root, ports)
        drive_lmtp(ports["lmtp"])
        drive_imap(ports["imap"])
        drive_pop3(ports["pop3"])
        drive_submission(ports["submission"])
        drive_doveadm(target, conf_inside, root)
        drive_doveadm_http(ports["doveadm_http"])
        wait_for_exports(collector)
        # Keep only what arrived before shutdown.  Events emitted while
        # Dovecot stops reach some exporters but not others, which would
        # make the three files disagree.
        records = collector.snapshot()
        ok = True
    except (OSError, urllib.error.URLError, imaplib.IMAP4.error, poplib.error_proto, smtplib.SMTPException, subprocess.TimeoutExpired) as exc:
        raise CaptureError("%s: %s\n%s" % (type(exc).__name__, exc, dovecot_log(root)))
    finally:
        # Signals during the cleanup would interrupt it.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop_dovecot(root)
        collector.stop()
        sink.stop()
        if not ok or options.keep:
            log("Kept %s for inspection (log: %s/log/dovecot.log)" % (root, root))
        else:
            shutil.rmtree(root, ignore_errors=True)

    late = collector.count() - len(records)
    if late:
        log("Discarded %d POST bodies that arrived during shutdown" % late)
    log("The SMTP sink received %d messages" % sink.messages)
    counts = write_outputs(records, options.out_dir)
    log("Wrote %s" % ", ".join("%s: %d events" % item for item in counts.items()))
    if not any(counts.values()):
        raise CaptureError("Nothing was captured: no exporter sent any event")
    if len(set(counts.values())) != 1:
        log("warning: the exporters sent different numbers of events: %r" % dict(counts))
    summarize(options.out_dir)
    log("Done")


if __name__ == "__main__":
    try:
        main()
    except (CaptureError, Stopped) as exc:
        print("capture.py: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
