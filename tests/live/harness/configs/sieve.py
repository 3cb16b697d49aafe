"""`sieve`: ManageSieve, Sieve extprograms (pipe, filter, execute), a
global `before` script, vacation, enotify mailto, redirect (sent through
submission_host to the SMTP sink) and IMAPSieve on COPY into Spam.

Traffic: a ManageSieve session (CAPABILITY, HAVESPACE, CHECKSCRIPT of a
broken script, PUTSCRIPT, LISTSCRIPTS, SETACTIVE, GETSCRIPT,
RENAMESCRIPT, DELETESCRIPT, a failed login), LMTP deliveries that run the
uploaded script, and an IMAP COPY into Spam.
"""

import os

from harness.clients import ManageSieve, imap, lmtp_deliver
from harness.common import log
from harness.config import Config

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}

# Uploaded over ManageSieve and activated.
USER_SCRIPT = """require ["fileinto", "mailbox", "copy", "vacation", "enotify", "editheader", "variables",
         "vnd.dovecot.pipe", "vnd.dovecot.filter", "vnd.dovecot.execute"];
if header :contains "subject" "[pipe]" {
  pipe :copy "archive.sh" ["pipe"];
}
if header :contains "subject" "[filter]" {
  filter "stamp.sh";
  addheader "X-Filtered" "yes";
  fileinto :create "Filtered";
  stop;
}
if execute :pipe :output "verdict" "classify.sh" {
  addheader "X-Verdict" "${verdict}";
}
if header :contains "subject" "[redirect]" {
  redirect :copy "carol@elsewhere.test";
}
if header :contains "subject" "[vacation]" {
  vacation :days 1 :subject "Away" "I am away.";
}
if header :contains "subject" "[notify]" {
  notify :message "new mail" "mailto:dave@elsewhere.test";
}
keep;
"""

BROKEN_SCRIPT = 'require ["fileinto"];\nfileinto\n'

BEFORE_SCRIPT = """require ["imap4flags"];
if header :contains "subject" "[flag]" {
  addflag "\\\\Flagged";
}
"""

SPAM_SCRIPT = """require ["imapsieve", "environment", "variables", "copy", "vnd.dovecot.pipe"];
if environment :matches "imap.user" "*" {
  set "user" "${1}";
}
pipe :copy "archive.sh" ["spam", "${user}"];
"""

PROGRAM = """#!/bin/sh
# A Sieve extprogram: pipe/execute read the message and succeed, filter
# copies it through.
case "$(basename "$0")" in
stamp.sh) cat ;;
classify.sh) cat >/dev/null; printf 'clean' ;;
*) cat >/dev/null ;;
esac
exit 0
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
namespace inbox {{
  mailbox Spam {{
    auto = create
    special_use = \\Junk
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_sieve
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_before = {before}
  sieve_plugins = sieve_imapsieve sieve_extprograms
  sieve_extensions = +editheader +vnd.dovecot.pipe +vnd.dovecot.filter +vnd.dovecot.execute
  sieve_pipe_bin_dir = {bin}
  sieve_filter_bin_dir = {bin}
  sieve_execute_bin_dir = {bin}
  imapsieve_mailbox1_name = Spam
  imapsieve_mailbox1_causes = COPY
  imapsieve_mailbox1_before = file:{spam}
}}
"""

SETTINGS_2_4 = """
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}
namespace inbox {{
  mailbox Spam {{
    auto = create
    special_use = \\Junk
  }}
}}
protocol lmtp {{
  mail_plugins {{
    sieve = yes
  }}
}}
protocol imap {{
  mail_plugins {{
    imap_sieve = yes
  }}
}}
sieve_script personal {{
  driver = file
  path = ~/sieve
  active_path = ~/.dovecot.sieve
}}
sieve_script before {{
  type = before
  driver = file
  path = {before}
}}
sieve_plugins {{
  sieve_imapsieve = yes
  sieve_extprograms = yes
}}
sieve_extensions {{
  editheader = yes
  vnd.dovecot.pipe = yes
  vnd.dovecot.filter = yes
  vnd.dovecot.execute = yes
}}
sieve_pipe_bin_dir = {bin}
sieve_filter_bin_dir = {bin}
sieve_execute_bin_dir = {bin}
mailbox Spam {{
  sieve_script report-spam {{
    type = before
    cause = copy
    path = {spam}
  }}
}}
"""


class Sieve(Config):
    name = "sieve"
    summary = "ManageSieve, extprograms, before script, vacation, enotify, redirect via submission_host, IMAPSieve"

    def setup(self, run):
        dovecot = self.dovecot = run.instance(
            ports=("imap", "pop3", "lmtp", "submission", "doveadm_http", "managesieve"),
            protocols="imap pop3 lmtp submission sieve")
        users = dovecot.passwd_file(USERS)
        for user in USERS:
            os.makedirs(os.path.join(dovecot.home(user), "sieve"))
            dovecot.give(dovecot.home(user))
        # The global scripts are compiled by the mail processes, which must
        # be able to write the binaries next to them.
        scripts = dovecot.host("global")
        os.makedirs(scripts)
        before = dovecot.write("global/before.sieve", BEFORE_SCRIPT)
        spam = dovecot.write("global/report-spam.sieve", SPAM_SCRIPT)
        dovecot.give(scripts)
        for program in ("archive.sh", "stamp.sh", "classify.sh"):
            dovecot.write("bin/%s" % program, PROGRAM, mode=0o755)
        values = {"users": users, "before": before, "spam": spam, "bin": dovecot.path("bin")}
        dovecot.render(run.pick(SETTINGS_2_3, SETTINGS_2_4).format(**values))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        user = "alice@example.test"
        # A failed ManageSieve login.
        client = ManageSieve(ports["managesieve"], "127.0.0.2")
        try:
            client.response()
            client.command('AUTHENTICATE "PLAIN" "%s"' % __import__("base64").b64encode(
                ("\0%s\0wrong-password" % user).encode()).decode(), expect=None)
        finally:
            client.close()
        client = ManageSieve(ports["managesieve"])
        try:
            client.login(user, USERS[user])
            client.command("CAPABILITY")
            client.command('HAVESPACE "main" 10000')
            status, _ = client.command("CHECKSCRIPT %s" % ManageSieve.literal(BROKEN_SCRIPT), expect=None)
            log("ManageSieve CHECKSCRIPT of a broken script: %s" % " ".join(status.decode().split()))
            client.command('PUTSCRIPT "draft" %s' % ManageSieve.literal("keep;\n"))
            client.command('RENAMESCRIPT "draft" "old"')
            client.command('PUTSCRIPT "main" %s' % ManageSieve.literal(USER_SCRIPT))
            client.command("LISTSCRIPTS")
            client.command('SETACTIVE "main"')
            client.command('GETSCRIPT "main"')
            client.command('DELETESCRIPT "old"')
            client.command('GETSCRIPT "missing"', expect=b"NO")
            client.command("LOGOUT")
        finally:
            client.close()
        log("ManageSieve: session finished")
        lmtp_deliver(ports["lmtp"], [
            (user, "[pipe] for the archive"),
            (user, "[filter] stamp me"),
            (user, "[redirect] for carol"),
            (user, "[vacation] are you there"),
            (user, "[notify] ping"),
            (user, "[flag] plain"),
            ("bob@example.test", "no script here"),
        ])
        client = imap(ports["imap"], user, USERS[user])
        client.select("INBOX")
        client.copy("1", "Spam")
        client.logout()
        dovecot.doveadm(["sieve", "list", "-u", user])
        log("Sieve: done")
