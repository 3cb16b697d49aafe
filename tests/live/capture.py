#!/usr/bin/env python3
"""Capture real Dovecot event exports as test fixtures.

This script runs a private, throw-away Dovecot instance that listens only on
loopback addresses, configures it to export every named event three times
(JSON with RFC 3339 timestamps, JSON with Unix timestamps, and tab-text), and
sends those exports over HTTP POST to a small collector that runs inside this
script.  It then drives real traffic through IMAP, POP3, LMTP (with a Sieve
script) and doveadm, waits for the exported events to arrive, stops Dovecot,
and writes the captured events into an output directory:

    json-rfc3339.jsonl   one JSON event per line (time-rfc3339)
    json-unix.jsonl      one JSON event per line (time-unix)
    tab-text.txt         one tab-text event per line (time-rfc3339)

The bodies are written exactly as Dovecot sent them.  Dovecot sends one event
per POST without a trailing newline, so the script joins them with a newline
and ends each file with one.  Lines are in arrival order, which differs
between the three files because each exporter posts over its own
connections.  Events that arrive after Dovecot begins to shut down are left
out, because they reach some exporters but not others.

Usage (as root, with the Debian dovecot packages installed):

    python3 tests/live/capture.py tests/fixtures/exports/2.3.19

Only the Python 3 standard library is used.  The script needs root because
the Dovecot master process must start as root to switch to its unprivileged
service users; the test mailboxes belong to the "nobody" user.
"""

import argparse
import collections
import http.server
import imaplib
import json
import os
import poplib
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

# The three exporters.  Each key is the name of the exporter, which is also
# the URL path that the exporter posts to and the stem of the output file.
# The values are the exporter's format, its format_args, the output file
# name, and the Content-Type that Dovecot is expected to send.
EXPORTERS = collections.OrderedDict(
    [
        ("json-rfc3339", ("json", "time-rfc3339", "json-rfc3339.jsonl", "application/json")),
        ("json-unix", ("json", "time-unix", "json-unix.jsonl", "application/json")),
        ("tab-text", ("tab-text", "time-rfc3339", "tab-text.txt", "text/plain")),
    ]
)

# The test users.  Their passwords are plain, throw-away test values and are
# stored in the passwd-file with the {PLAIN} scheme.
USERS = {
    "alice@example.test": "alice-test-pass",
    "bob@example.test": "bob-test-pass",
}

# A small Sieve script for alice: messages whose subject contains
# "[important]" are filed into a folder named "Important", everything else is
# kept in the INBOX.  This makes LMTP deliveries run the Sieve interpreter.
SIEVE_SCRIPT = """require ["fileinto", "mailbox"];
if header :contains "subject" "[important]" {
  fileinto :create "Important";
  stop;
}
keep;
"""

# Every wait in this script is bounded by one of these limits (in seconds).
START_TIMEOUT = 20
STOP_TIMEOUT = 15
CLIENT_TIMEOUT = 30
EXPORT_SETTLE = 3
EXPORT_TIMEOUT = 60
DOVEADM_TIMEOUT = 60


def log(message):
    """Prints a progress message on stderr, prefixed with the elapsed time."""
    print("[%6.1fs] %s" % (time.monotonic() - STARTED, message), file=sys.stderr, flush=True)


STARTED = time.monotonic()


class CaptureError(Exception):
    """Raised for any failure that should end the script with a clear message."""


# ---------------------------------------------------------------------------
# The HTTP collector
# ---------------------------------------------------------------------------


class Collector:
    """Records every HTTP POST that Dovecot's http-post transport sends.

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
                    collector.records.append(
                        (self.path, self.headers.get("Content-Type", ""), body)
                    )
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
        """Starts serving requests in the background thread."""
        self.thread.start()

    def stop(self):
        """Stops the background thread and closes the listening socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def count(self):
        """Returns how many POST requests have been recorded so far."""
        with self.lock:
            return len(self.records)

    def snapshot(self):
        """Returns a copy of the records collected so far."""
        with self.lock:
            return list(self.records)


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


def render_config(root, ports, collector_port, mail_uid, mail_gid):
    """Returns the text of a self-contained dovecot.conf for the instance."""
    exporters = []
    for name, (fmt, fmt_args, _file, _ctype) in EXPORTERS.items():
        # Each exporter gets its own metric, so every named event is exported
        # once per format.  Exporter and metric names may not contain dashes.
        ident = name.replace("-", "_")
        exporters.append(
            """
event_exporter {ident} {{
  format = {fmt}
  format_args = {fmt_args}
  transport = http-post
  transport_args = http://127.0.0.1:{port}/{name}
  transport_timeout = 5sec
}}
metric export_{ident} {{
  exporter = {ident}
  filter = event=*
}}
""".format(ident=ident, fmt=fmt, fmt_args=fmt_args, port=collector_port, name=name)
        )

    return """# Generated by tests/live/capture.py; do not edit.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
info_log_path = {root}/log/dovecot.log
debug_log_path = {root}/log/dovecot.log

# Listen on loopback only; every listener gets a free high port and the
# TLS listeners are disabled.
listen = 127.0.0.1
protocols = imap pop3 lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes

default_internal_user = dovecot
default_login_user = dovenull

# The mail users all map to one unprivileged system user.
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
postmaster_address = postmaster@example.test

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users.passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/users.passwd
}}

namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}

# LMTP deliveries run the user's Sieve script.
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}
{exporters}""".format(
        root=root,
        uid=mail_uid,
        gid=mail_gid,
        imap=ports["imap"],
        pop3=ports["pop3"],
        lmtp=ports["lmtp"],
        exporters="".join(exporters),
    )


def prepare_root(root, mail_uid, mail_gid):
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
        lines.append("%s:{PLAIN}%s:%d:%d::%s::\n" % (user, password, mail_uid, mail_gid, home))
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


def run(argv, root, name, timeout=DOVEADM_TIMEOUT, check=True):
    """Runs a command with its output in files under root/log.

    The output goes to files rather than pipes, because processes started by
    Dovecot inherit the starter's standard streams and would keep a pipe open.
    Returns the completed process together with the captured output text.
    """
    out_path = os.path.join(root, "log", name + ".out")
    err_path = os.path.join(root, "log", name + ".err")
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
    """Returns the master pid from BASE_DIR/master.pid, or None if absent."""
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
            time.sleep(0.2)
    return False


def start_dovecot(conf, root, ports):
    """Starts the master process and waits until all listeners answer."""
    proc, out, err = run(["dovecot", "-c", conf], root, "dovecot-start", timeout=START_TIMEOUT, check=False)
    if proc.returncode != 0:
        # The starter reports listener and config errors before it
        # daemonizes, so a non-zero exit means there is nothing to wait for.
        raise CaptureError(
            "Dovecot failed to start (exit code %d).\n%s%s\n%s"
            % (proc.returncode, out, err, tail(os.path.join(root, "log", "dovecot.log")))
        )
    deadline = time.monotonic() + START_TIMEOUT
    while read_pid(root) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    pid = read_pid(root)
    if pid is None or not pid_alive(pid):
        raise CaptureError(
            "Dovecot did not start (no live pid in %s/run/master.pid).\n%s%s\n%s"
            % (root, out, err, tail(os.path.join(root, "log", "dovecot.log")))
        )
    for name, port in ports.items():
        if not wait_for_port(port, deadline):
            raise CaptureError(
                "Dovecot started (pid %d) but its %s listener on 127.0.0.1:%d never answered.\n%s"
                % (pid, name, port, tail(os.path.join(root, "log", "dovecot.log")))
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
        time.sleep(0.1)
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


def drive_imap(port):
    """Runs one failed login and one full IMAP session."""
    # A failed login from its own source address; Dovecot answers after its
    # authentication failure delay (about five seconds).
    bad = SourcedIMAP4("127.0.0.1", port, "127.0.0.2", CLIENT_TIMEOUT)
    try:
        bad.login("alice@example.test", "wrong-password")
        raise CaptureError("IMAP login with a wrong password unexpectedly succeeded")
    except imaplib.IMAP4.error as exc:
        log("IMAP: failed login rejected as expected: %s" % exc)
    finally:
        try:
            bad.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    # A login for a user that does not exist, from yet another address.
    unknown = SourcedIMAP4("127.0.0.1", port, "127.0.0.3", CLIENT_TIMEOUT)
    try:
        unknown.login("mallory@example.test", "any-password")
        raise CaptureError("IMAP login for an unknown user unexpectedly succeeded")
    except imaplib.IMAP4.error as exc:
        log("IMAP: unknown user rejected as expected: %s" % exc)
    finally:
        try:
            unknown.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    imap = SourcedIMAP4("127.0.0.1", port, "127.0.0.1", CLIENT_TIMEOUT)
    try:
        imap.login("alice@example.test", USERS["alice@example.test"])
        imap.capability()
        imap.list()
        imap.create("Archive")
        imap.select("INBOX")
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


def drive_pop3(port):
    """Runs one POP3 session for bob: USER/PASS, STAT, LIST, RETR, QUIT."""
    pop = poplib.POP3("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        pop.user("bob@example.test")
        pop.pass_(USERS["bob@example.test"])
        count, _size = pop.stat()
        pop.list()
        if count:
            pop.retr(1)
            pop.uidl()
    finally:
        pop.quit()
    log("POP3: session finished (%d messages)" % count)


def drive_doveadm(conf, root):
    """Runs a few doveadm commands against the instance."""
    commands = [
        ["mailbox", "list", "-u", "alice@example.test"],
        ["mailbox", "status", "-u", "alice@example.test", "messages unseen vsize", "INBOX"],
        ["fetch", "-u", "alice@example.test", "uid flags mailbox hdr.subject", "mailbox", "INBOX", "ALL"],
        ["search", "-u", "alice@example.test", "mailbox", "*", "ALL"],
        ["mailbox", "create", "-u", "bob@example.test", "Projects"],
        ["user", "alice@example.test"],
        # Listing users iterates the userdb (auth_client_userdb_list_* events).
        ["user", "*"],
        ["auth", "test", "bob@example.test", USERS["bob@example.test"]],
        ["who"],
    ]
    for index, args in enumerate(commands):
        run(["doveadm", "-c", conf] + args, root, "doveadm-%d" % index)
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
        time.sleep(0.25)
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
    unknown = set(by_path) - {"/" + name for name in EXPORTERS}
    if unknown:
        raise CaptureError("Unexpected POST paths: %s" % ", ".join(sorted(unknown)))

    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for name, (_fmt, _args, file_name, want_ctype) in EXPORTERS.items():
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
    with open(os.path.join(out_dir, EXPORTERS["json-rfc3339"][2]), "rb") as handle:
        for line in handle:
            names[json.loads(line)["event"]] += 1
    for name, count in sorted(names.items()):
        print("%5d  %s" % (count, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", help="directory that receives the three capture files")
    parser.add_argument("--keep", action="store_true", help="keep the temporary Dovecot directory for inspection")
    options = parser.parse_args()

    if os.geteuid() != 0:
        raise CaptureError("run this script as root: the Dovecot master must start as root")
    for tool in ("dovecot", "doveconf", "doveadm"):
        if shutil.which(tool) is None:
            raise CaptureError("%s is not installed (apt-get install dovecot-core ...)" % tool)

    version = subprocess.run(["dovecot", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    log("Dovecot version %s" % version)

    nobody = pwd.getpwnam("nobody")
    root = tempfile.mkdtemp(prefix="dovecot-capture-")
    log("Working directory %s" % root)
    collector = Collector()
    collector.start()
    log("Collector listening on 127.0.0.1:%d" % collector.port)

    ports = {"imap": free_port(), "pop3": free_port(), "lmtp": free_port()}
    conf = os.path.join(root, "dovecot.conf")
    ok = False
    try:
        prepare_root(root, nobody.pw_uid, nobody.pw_gid)
        with open(conf, "w") as handle:
            handle.write(render_config(root, ports, collector.port, nobody.pw_uid, nobody.pw_gid))
        # Let doveconf parse and validate the rendered configuration first.
        run(["doveconf", "-c", conf, "-n"], root, "doveconf")
        log("doveconf accepted %s" % conf)

        start_dovecot(conf, root, ports)
        drive_lmtp(ports["lmtp"])
        drive_imap(ports["imap"])
        drive_pop3(ports["pop3"])
        drive_doveadm(conf, root)
        wait_for_exports(collector)
        # Keep only what arrived before shutdown.  Events emitted while
        # Dovecot stops reach some exporters but not others, which would
        # make the three files disagree.
        records = collector.snapshot()
        ok = True
    finally:
        stop_dovecot(root)
        collector.stop()
        if not ok or options.keep:
            log("Kept %s for inspection (log: %s/log/dovecot.log)" % (root, root))
        else:
            shutil.rmtree(root, ignore_errors=True)

    late = collector.count() - len(records)
    if late:
        log("Discarded %d POST bodies that arrived during shutdown" % late)
    counts = write_outputs(records, options.out_dir)
    log("Wrote %s" % ", ".join("%s: %d events" % item for item in counts.items()))
    if not any(counts.values()):
        raise CaptureError("Nothing was captured: no exporter sent any event")
    if len(set(counts.values())) != 1:
        log("warning: the exporters sent different numbers of events: %r" % counts)
    summarize(options.out_dir)
    log("Done")


if __name__ == "__main__":
    try:
        main()
    except CaptureError as exc:
        print("capture.py: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
