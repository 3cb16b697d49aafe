"""Protocol clients that drive traffic through Dovecot over loopback."""

import base64
import imaplib
import json
import poplib
import smtplib
import socket
import threading
import time
import urllib.request

from harness.common import CLIENT_TIMEOUT, CaptureError, log
from harness.dovecot import DOVEADM_PASSWORD

# imaplib does not know the ID command (RFC 2971); it is valid in every state.
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))


class SourcedIMAP4(imaplib.IMAP4):
    """An IMAP4 client that connects from a chosen loopback source address.

    Dovecot delays and penalises failed logins per source IP, so the failing
    logins come from their own 127.0.0.x addresses.
    """

    def __init__(self, host, port, source="127.0.0.1", timeout=CLIENT_TIMEOUT):
        self._source = source
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


def imap(port, user, password, source="127.0.0.1"):
    """A logged-in IMAP client."""
    client = SourcedIMAP4("127.0.0.1", port, source)
    client.login(user, password)
    return client


def message(sender, recipient, subject, body, extra_headers=""):
    """Builds a small RFC 5322 message with CRLF line endings."""
    return (
        "From: %s\r\nTo: %s\r\nSubject: %s\r\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
        "Message-ID: <%s@example.test>\r\n%s\r\n%s\r\n"
        % (sender, recipient, subject, "".join(c if c.isalnum() else "-" for c in subject).strip("-"),
           extra_headers, body)
    ).encode("ascii")


def lmtp_deliver(port, deliveries, sender="sender@example.test"):
    """Delivers messages over LMTP, one recipient per transaction: a list of
    (recipient, subject[, body]).

    smtplib reads only one reply after DATA, which matches LMTP only when a
    transaction has a single recipient.
    """
    with smtplib.LMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT) as lmtp:
        lmtp.ehlo("client.example.test")
        for delivery in deliveries:
            recipient, subject = delivery[0], delivery[1]
            body = delivery[2] if len(delivery) > 2 else "body"
            refused = lmtp.sendmail(sender, [recipient], message(sender, recipient, subject, body))
            if refused:
                raise CaptureError("LMTP refused %s: %r" % (recipient, refused))
    log("LMTP: delivered %d messages" % len(deliveries))


def failed_imap_login(port, source, user, password):
    """One IMAP login that must fail, from its own source address."""
    client = SourcedIMAP4("127.0.0.1", port, source)
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


class Background:
    """Runs functions in daemon threads; `join` waits (bounded) and raises
    the first error. Used for clients that wait on purpose (failed logins
    are answered after the authentication failure delay)."""

    def __init__(self):
        self.threads = []
        self.errors = []

    def spawn(self, function, *args):
        def attempt():
            try:
                function(*args)
            except Exception as exc:  # reported by join
                self.errors.append(exc)

        thread = threading.Thread(target=attempt, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self, timeout=CLIENT_TIMEOUT + 5):
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self.threads):
            raise CaptureError("a background client did not finish within %ds" % timeout)
        if self.errors:
            raise self.errors[0]


def pop3_session(port, user, password, delete=True):
    """USER/PASS, STAT, LIST, UIDL, TOP, RETR, DELE, QUIT."""
    pop = poplib.POP3("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        pop.user(user)
        pop.pass_(password)
        count, _size = pop.stat()
        pop.list()
        pop.uidl()
        if count:
            pop.top(1, 0)
            pop.retr(1)
            if delete:
                pop.dele(1)
    finally:
        pop.quit()
    log("POP3: %s's session finished (%d messages)" % (user, count))
    return count


def submit(port, user, password, recipient="dave@elsewhere.test", subject="submitted"):
    """Sends one message through a submission service."""
    with smtplib.SMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT) as smtp:
        smtp.ehlo("client.example.test")
        smtp.login(user, password)
        refused = smtp.sendmail(user, [recipient], message(user, recipient, subject, "sent through submission"))
        if refused:
            raise CaptureError("submission refused: %r" % refused)
    log("Submission: %s sent one message" % user)


def doveadm_http(port, commands):
    """Runs commands through doveadm's HTTP API: a list of [name, params]."""
    request = urllib.request.Request(
        "http://127.0.0.1:%d/doveadm/v1" % port,
        data=json.dumps([[name, params, "c%d" % index] for index, (name, params) in enumerate(commands)]).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(("doveadm:" + DOVEADM_PASSWORD).encode()).decode(),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
        answer = json.loads(response.read())
    log("doveadm HTTP API: %s" % ", ".join("%s: %s" % (cmd[0], reply[0]) for cmd, reply in zip(commands, answer)))
    return answer


class LineClient:
    """A line-based client on a plain socket (ManageSieve, IMAP IDLE,
    postfix policy)."""

    def __init__(self, port, source="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT,
                                             source_address=(source, 0))
        self.reader = self.sock.makefile("rb")

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def line(self):
        line = self.reader.readline()
        if not line:
            raise CaptureError("connection closed by the server")
        return line

    def close(self):
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass


class ManageSieve(LineClient):
    """A minimal ManageSieve (RFC 5804) client."""

    def response(self):
        """Reads up to the OK/NO/BYE line; returns (status line, lines)."""
        lines = []
        while True:
            line = self.line()
            if line.startswith((b"OK", b"NO", b"BYE")):
                # A response text can come as a literal: NO {N}.
                if line.rstrip().endswith(b"}") and b"{" in line:
                    size = int(line.rstrip()[line.rindex(b"{") + 1:-1].rstrip(b"+"))
                    line = line + self.reader.read(size) + self.line()
                return line, lines
            # A literal: {N} or {N+} followed by N bytes.
            if line.rstrip().endswith(b"}") and b"{" in line:
                size = int(line.rstrip()[line.rindex(b"{") + 1:-1].rstrip(b"+"))
                lines.append(self.reader.read(size))
                continue
            lines.append(line)

    def command(self, text, expect=b"OK"):
        self.send(text + "\r\n")
        status, lines = self.response()
        if expect and not status.startswith(expect):
            raise CaptureError("ManageSieve %s answered %r" % (text.split(" ")[0], status))
        return status, lines

    def login(self, user, password):
        self.response()  # the greeting (capabilities, then OK)
        token = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        self.command('AUTHENTICATE "PLAIN" "%s"' % token)

    @staticmethod
    def literal(text):
        data = text.encode()
        return "{%d+}\r\n%s" % (len(data), text)


def postfix_policy(port, attributes):
    """One request in Postfix's policy delegation protocol (the protocol of
    Dovecot's quota-status service); returns the action."""
    client = LineClient(port)
    try:
        client.send("".join("%s=%s\n" % item for item in attributes.items()) + "\n")
        reply = []
        while True:
            line = client.line().rstrip(b"\n")
            if not line:
                break
            reply.append(line.decode())
    finally:
        client.close()
    return reply


def idle_until_hibernated(port, user, password, source, wait=2.5):
    """Logs in, SELECTs INBOX and IDLEs long enough for the session to
    hibernate (imap_hibernate_timeout) and be woken by DONE.

    imaplib has no IDLE, so this speaks IMAP on a plain socket.
    """
    client = LineClient(port, source)
    try:
        def command(tag, text, until=None):
            client.send("%s %s\r\n" % (tag, text))
            while True:
                line = client.line()
                if until is not None and line.startswith(until):
                    return line
                if line.startswith(tag.encode() + b" "):
                    if not line.startswith(tag.encode() + b" OK"):
                        raise CaptureError("IMAP IDLE client: %s answered %r" % (text.split(" ")[0], line))
                    return line

        client.line()  # the greeting
        command("h1", "LOGIN %s %s" % (user, password))
        command("h2", "SELECT INBOX")
        command("h3", "IDLE", until=b"+")
        time.sleep(wait)
        client.send(b"DONE\r\n")
        while not client.line().startswith(b"h3 "):
            pass
        command("h4", "LOGOUT")
    finally:
        client.close()
    log("IMAP: %s's IDLE session finished" % user)
