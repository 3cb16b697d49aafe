"""`migration`: moving a mailbox from an old server (a second instance)
into the main one the way Dovecot's migration guide does: `doveadm backup
-R` from the `imapc` storage, with the `pop3_migration` plugin reading the
POP3 UIDLs through a hidden `pop3c` namespace so that POP3 clients see the
same UIDLs afterwards.

Traffic: LMTP deliveries and a POP3 session on the old server, then on the
main one: doveadm backup -R from imapc (pop3_migration, pop3c), a doveadm
mailbox list over imapc, and a POP3 session on the migrated mailbox.
"""

from harness.clients import lmtp_deliver, pop3_session
from harness.common import log
from harness.config import Config

USERS = {"gina@example.test": "gina-test-pass"}

PASSDB_2_3 = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
"""

PASSDB_2_4 = """
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}
"""

MIGRATION_2_3 = """
imapc_host = 127.0.0.1
imapc_port = {imap}
imapc_user = %u
imapc_password = {password}
imapc_features = rfc822.size fetch-headers
pop3c_host = 127.0.0.1
pop3c_port = {pop3}
pop3c_user = %u
pop3c_password = {password}
namespace pop3c {{
  prefix = POP3-MIGRATION-NS/
  separator = /
  location = pop3c:
  inbox = no
  list = no
  hidden = yes
}}
mail_plugins = $mail_plugins pop3_migration
plugin {{
  pop3_migration_mailbox = POP3-MIGRATION-NS/INBOX
}}
"""

MIGRATION_2_4 = """
imapc_host = 127.0.0.1
imapc_port = {imap}
imapc_user = %{{user}}
imapc_password = {password}
pop3c_host = 127.0.0.1
pop3c_port = {pop3}
pop3c_user = %{{user}}
pop3c_password = {password}
namespace pop3c {{
  prefix = POP3-MIGRATION-NS/
  separator = /
  mail_driver = pop3c
  mail_path =
  inbox = no
  list = no
  hidden = yes
}}
mail_plugins {{
  pop3_migration = yes
}}
pop3_migration_mailbox = POP3-MIGRATION-NS/INBOX
"""


class Migration(Config):
    name = "migration"
    summary = "migration from an old server: doveadm backup -R from imapc, pop3_migration through pop3c"

    def setup(self, run):
        old = self.old = run.instance("old")
        main = self.main = run.instance("main")
        old.render(run.pick(PASSDB_2_3, PASSDB_2_4).format(users=old.passwd_file(USERS)))
        main.render(run.pick(PASSDB_2_3, PASSDB_2_4).format(users=main.passwd_file(USERS))
                    + run.pick(MIGRATION_2_3, MIGRATION_2_4).format(
                        imap=old.ports["imap"], pop3=old.ports["pop3"], password=USERS["gina@example.test"]))

    def drive(self, run):
        user = "gina@example.test"
        lmtp_deliver(self.old.ports["lmtp"], [(user, "old mail %d" % n) for n in range(3)])
        # A POP3 client on the old server has seen the messages (UIDLs).
        pop3_session(self.old.ports["pop3"], user, USERS[user], delete=False)
        # The old server's mailboxes, seen through imapc.
        imapc = run.pick(["-o", "mail_location=imapc:"], ["-o", "mail_driver=imapc", "-o", "mail_path="])
        self.main.doveadm(imapc + ["mailbox", "list", "-u", user])
        self.main.doveadm(["backup", "-R", "-u", user, "imapc:"])
        self.main.doveadm(["mailbox", "status", "-u", user, "messages", "INBOX"])
        pop3_session(self.main.ports["pop3"], user, USERS[user], delete=False)
        log("migration: done")
