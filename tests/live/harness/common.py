"""Logging, errors, time limits, running programs and processes by pid."""

import fcntl
import os
import pwd
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Every wait of the harness is bounded by one of these limits (in seconds).
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


class Unavailable(Exception):
    """Raised when a configuration cannot run on a release (a package or a
    feature the release does not have); the message says why."""


def tail(path, lines=30):
    """Returns the last lines of a file, for error messages."""
    try:
        with open(path, "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return "(no log at %s)" % path
    return "--- last lines of %s ---\n%s" % (path, "\n".join(data.splitlines()[-lines:]))


_HANDED_OUT = set()
_RESERVATIONS = []
_LOCK_WARNED = False
_PORT_LOCKS = os.path.join(tempfile.gettempdir(), "dovecot-events-ports")


def _listen_ports():
    """The range free_port draws from: below the kernel's ephemeral range
    (from which outgoing connections and bind-to-port-0 take their local
    ports), or above it when too little room is left below."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            low, high = (int(part) for part in handle.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    if low - 10000 >= 4096:
        return max(10000, low - 16384), low
    if 65535 - high >= 4096:
        return high + 1, 65536
    return None


def _reserve(port):
    """Takes a lock that tells other harness processes on this machine the
    port is handed out. The lock is held until this process exits, so a
    killed run leaves nothing reserved."""
    try:
        if not os.path.isdir(_PORT_LOCKS):
            os.makedirs(_PORT_LOCKS, exist_ok=True)
            os.chmod(_PORT_LOCKS, 0o1777)
        # Never through a link another user may have planted.
        fd = os.open(os.path.join(_PORT_LOCKS, "%d.lock" % port),
                     os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o666)
        handle = os.fdopen(fd, "w")
    except OSError as error:
        # Without a lock (a directory of another user's, say), the range
        # alone keeps ports apart; the 2.3 and 2.4 runs could then pick
        # the same one, about once in 16,000 ports.
        global _LOCK_WARNED
        if not _LOCK_WARNED:
            _LOCK_WARNED = True
            log("warning: ports are not locked across harness processes (%s)" % error)
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _RESERVATIONS.append(handle)
    return True


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    """Returns a TCP port on 127.0.0.1 that is free now, for a server this
    harness starts.

    The port is released again before the server binds it. So that nothing
    takes it in between, it comes from outside the kernel's ephemeral range:
    a CI run opens thousands of outgoing connections (every exported event
    is a POST), and any of them could otherwise get the port as its local
    port, which fails the server with "Address already in use". Ports are
    also reserved with a lock across harness processes (the 2.3 and 2.4
    captures run at the same time), and never handed out twice within one
    process (one configuration with the same port for two listeners fails
    `doveconf` with "duplicate listener").
    """
    span = _listen_ports()
    for _ in range(1000):
        if span is None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
        else:
            port = random.randrange(*span)
        if port in _HANDED_OUT or not _reserve(port):
            continue
        _HANDED_OUT.add(port)
        if _bindable(port):
            return port
    raise RuntimeError("no free TCP port on 127.0.0.1 that was not handed out already")


def wait_for_port(port, deadline):
    """Waits until 127.0.0.1:port accepts connections or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def pid_alive(pid):
    """Tells whether pid is a live (not zombie) process."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            stat = handle.read()
    except OSError:
        return False
    # The state letter follows the parenthesised command name.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def pid_runs(pid, program):
    """Tells whether pid still runs a binary whose base name is program.

    This guards against signalling an unrelated process that happens to have
    reused the pid after ours exited.
    """
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv0 = handle.read().split(b"\0")[0]
    except OSError:
        return False
    return os.path.basename(argv0) == program.encode()


def process_start(pid):
    """(parent pid, start time) of a process from /proc, or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[19])


def children_of(pid):
    """{child pid: start time} of the live children of pid."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = process_start(int(entry))
            if info is not None and info[0] == pid:
                children[int(entry)] = info[1]
    return children


def wait_for_exit(processes, what, grace=1, term=3):
    """Waits until the processes {pid: start time} have exited: `grace`
    seconds on their own, then SIGTERM and up to `term` seconds, then
    SIGKILL (2.3.19's dict process with an LDAP connection ignores both the
    master's exit and SIGTERM). The start time guards against signalling a process that
    reused a pid."""

    def running():
        return [pid for pid, start in processes.items()
                if pid_alive(pid) and (process_start(pid) or (0, None))[1] == start]

    def name(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                return handle.read().split(b"\0")[0].decode("utf-8", "replace")
        except OSError:
            return "?"

    for signum, seconds in ((None, grace), (signal.SIGTERM, term), (signal.SIGKILL, 0)):
        if signum is not None:
            for pid in running():
                log("%s: process %d (%s) is still running; sending %s"
                    % (what, pid, name(pid), signal.Signals(signum).name))
                os.kill(pid, signum)
        deadline = time.monotonic() + seconds
        while running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not running():
            return


def user_ids(name):
    """(uid, gid) of a host user."""
    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


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

    def has(self, path):
        """Tells whether a file exists as Dovecot sees it."""
        return os.path.exists(self.host_path(path))

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


def run(target, args, logdir, name, timeout=COMMAND_TIMEOUT, check=True, stdin_text=None):
    """Runs a program (through target, or on the host when target is None)
    with its output in files under logdir.

    The output goes to files rather than pipes, because processes started by
    Dovecot inherit the starter's standard streams and would keep a pipe open.
    Returns the completed process together with the captured output text.
    """
    out_path = os.path.join(logdir, name + ".out")
    err_path = os.path.join(logdir, name + ".err")
    argv = target.argv(args) if target is not None else list(args)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        if stdin_text is None:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=timeout)
        else:
            proc = subprocess.run(argv, input=stdin_text.encode(), stdout=out, stderr=err, timeout=timeout)
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


class Processes:
    """The backing-server processes this script started, stopped by pid.

    Each is started in the foreground (never daemonized) with its output in
    a log file, so its pid is the Popen's pid; `stop_all` ends them in
    reverse order: SIGTERM, then SIGKILL after a bounded wait.
    """

    def __init__(self):
        self.started = []  # (Popen, program base name, description)

    def start(self, argv, log_path, what, user=None, cwd=None, env=None):
        program = os.path.basename(argv[0])
        preexec = None
        if user is not None:
            uid, gid = user_ids(user)

            def preexec():
                os.setgid(gid)
                os.setgroups([])
                os.setuid(uid)

        with open(log_path, "ab") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=preexec,
                cwd=cwd,
                env=env,
                # Its own process group, so a ^C at the terminal reaches only
                # this script, which then stops the servers in order.
                start_new_session=True,
            )
        self.started.append((proc, program, what))
        log("Started %s (pid %d)" % (what, proc.pid))
        return proc

    def stop_all(self):
        # A child that has not been waited for keeps its pid, so signalling
        # proc.pid cannot reach an unrelated process.
        while self.started:
            proc, _program, what = self.started.pop()
            if proc.poll() is not None:
                continue
            log("Stopping %s (pid %d) with SIGTERM" % (what, proc.pid))
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log("%s did not exit within %ds; sending SIGKILL to pid %d" % (what, STOP_TIMEOUT, proc.pid))
                proc.kill()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    log("warning: %s (pid %d) is still running" % (what, proc.pid))
