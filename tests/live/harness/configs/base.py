"""`base`: the first capture's traffic, unchanged (see the fixtures README).

passwd-file users, LMTP with a Sieve script that files and redirects,
failed/aborted/proxied/hibernating IMAP logins and one full IMAP session,
POP3, submission relayed to the SMTP sink, doveadm and its HTTP API.
"""

import imaplib
import os
import smtplib
import socket

from harness.clients import (
    Background,
    SourcedIMAP4,
    doveadm_http,
    failed_imap_login,
    idle_until_hibernated,
    lmtp_deliver,
    message,
    pop3_session,
    submit,
)
from harness.common import CLIENT_TIMEOUT, CaptureError, log
from harness.config import Config

USERS = {
    "alice@example.test": "alice-test-pass",
    "bob@example.test": "bob-test-pass",
    "carol@example.test": "carol-test-pass",
}

# carol's logins are proxied by imap-login to the same instance's IMAP
# listener, where they log in as alice.
PROXIED = "proxy=y host=127.0.0.1 port={imap} destuser=alice@example.test pass=alice-test-pass"

# A small Sieve script for alice: messages whose subject contains
# "[important]" are filed into a folder named "Important", messages whose
# subject contains "[forward]" are redirected (through submission_host, to
# the SMTP sink) and kept, everything else is kept in the INBOX.
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

SETTINGS_2_3 = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
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

SETTINGS_2_4 = """
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
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


def install_sieve_script(instance, user, script, name="capture"):
    """Stores a Sieve script in ~/sieve and activates it through the
    ~/.dovecot.sieve symlink, the layout Pigeonhole expects."""
    home = instance.home(user)
    instance.write("home/%s/sieve/%s.sieve" % (user.split("@")[0], name), script, owner="mail")
    link = "%s/.dovecot.sieve" % home
    os.symlink("sieve/%s.sieve" % name, link)
    instance.give(home)


class Base(Config):
    name = "base"
    summary = "passwd-file, LMTP + Sieve, IMAP (hibernation, proxy to itself), POP3, submission, doveadm + HTTP API"

    def setup(self, run):
        self.dovecot = run.instance()
        users = self.dovecot.passwd_file(
            USERS, extra={"carol@example.test": PROXIED.format(**self.dovecot.ports)})
        install_sieve_script(self.dovecot, "alice@example.test", SIEVE_SCRIPT)
        self.dovecot.render(run.pick(SETTINGS_2_3, SETTINGS_2_4).format(users=users))

    def drive(self, run):
        ports = self.dovecot.ports
        lmtp_deliver(ports["lmtp"], [
            ("alice@example.test", "hello alice"),
            ("alice@example.test", "[important] quarterly report"),
            ("alice@example.test", "[forward] for carol"),
            ("bob@example.test", "hello bob"),
        ])
        # A recipient that does not exist, to capture a rejected RCPT.
        with smtplib.LMTP("127.0.0.1", ports["lmtp"], timeout=CLIENT_TIMEOUT) as lmtp:
            lmtp.ehlo("client.example.test")
            lmtp.mail("sender@example.test")
            code, reply = lmtp.rcpt("nobody@example.test")
            log("LMTP RCPT for an unknown user answered %d %s" % (code, reply.decode("ascii", "replace")))
            lmtp.rset()
        drive_imap(ports["imap"])
        pop3_session(ports["pop3"], "bob@example.test", USERS["bob@example.test"])
        submit(ports["submission"], "alice@example.test", USERS["alice@example.test"])
        doveadm = [
            ["mailbox", "list", "-u", "alice@example.test"],
            ["mailbox", "status", "-u", "alice@example.test", "messages unseen vsize", "INBOX"],
            ["fetch", "-u", "alice@example.test", "uid flags mailbox hdr.subject", "mailbox", "INBOX", "ALL"],
            ["search", "-u", "alice@example.test", "mailbox", "*", "ALL"],
            ["mailbox", "create", "-u", "bob@example.test", "Projects"],
            ["expunge", "-u", "alice@example.test", "mailbox", "Archive", "SUBJECT", "appended"],
            ["user", "alice@example.test"],
            # Listing users iterates the userdb (auth_client_userdb_list_*).
            ["user", "*"],
            ["auth", "test", "bob@example.test", USERS["bob@example.test"]],
            ["who"],
        ]
        for args in doveadm:
            self.dovecot.doveadm(args)
        log("doveadm: ran %d commands" % len(doveadm))
        answer = doveadm_http(ports["doveadm_http"], [["mailboxList", {"user": "alice@example.test"}]])
        if not answer or answer[0][0] != "doveadmResponse":
            raise CaptureError("doveadm HTTP API answered %r" % answer)


def drive_imap(port):
    """Failed, aborted, proxied and hibernating logins and one full session."""
    # Failed logins are answered only after the authentication failure
    # delay, and the IDLE client waits for its session to hibernate, so
    # they run in parallel with everything else.  The failing logins (a
    # wrong password, an unknown user) each come from their own source
    # address.
    background = Background()
    background.spawn(failed_imap_login, port, "127.0.0.2", "alice@example.test", "wrong-password")
    background.spawn(failed_imap_login, port, "127.0.0.3", "mallory@example.test", "any-password")
    background.spawn(idle_until_hibernated, port, "bob@example.test", USERS["bob@example.test"], "127.0.0.5")

    # A client that connects and leaves without logging in.
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT, source_address=("127.0.0.4", 0)) as sock:
        sock.recv(4096)

    imap = SourcedIMAP4("127.0.0.1", port, "127.0.0.1")
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
        imap.append("INBOX", r"(\Flagged)", None,
                    message("alice@example.test", "alice@example.test", "appended", "appended body"))
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

    # carol is proxied by imap-login to the same listener, as alice.
    imap = SourcedIMAP4("127.0.0.1", port, "127.0.0.6")
    imap.login("carol@example.test", USERS["carol@example.test"])
    imap.select("INBOX", readonly=True)
    imap.logout()
    log("IMAP: proxied session finished")
    background.join()
