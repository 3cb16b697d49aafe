"""`replication`: two instances that sync mailboxes: dsync over doveadm's
TCP protocol (`doveadm sync`/`backup` to the other instance's doveadm
listener), doveadm mail commands run remotely over that protocol (`-S
host:port`), doveadm's HTTP API, and on 2.3 the replication plugin with
the replicator and aggregator services replicating every change to the
replica on its own.

Traffic: LMTP deliveries and IMAP changes on the main instance (on 2.3
each one is replicated), doveadm sync/backup of each user to the replica,
doveadm replicator status/replicate/dsync-status (2.3), remote doveadm
commands, doveadm HTTP API commands.
"""

import time

from harness.clients import doveadm_http, imap, lmtp_deliver, message
from harness.common import log
from harness.config import Config

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}

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

REPLICATION_2_3 = """
mail_plugins = $mail_plugins notify replication
plugin {{
  mail_replica = tcp:127.0.0.1:{replica_port}
}}
service replicator {{
  unix_listener replicator-doveadm {{
    mode = 0666
  }}
}}
service aggregator {{
  fifo_listener replication-notify-fifo {{
    mode = 0666
  }}
  unix_listener replication-notify {{
    mode = 0666
  }}
}}
"""


class Replication(Config):
    name = "replication"
    summary = "doveadm sync/backup between two instances over doveadm's TCP protocol, remote doveadm, " \
              "HTTP API; replicator + aggregator on 2.3"

    def skipped(self, series):
        if series == "2.4":
            return [("replicator/aggregator and the replication plugin", "removed in Dovecot 2.4 "
                     "(doveadm sync over TCP still runs)")]
        return [("synchronous replication (replication_sync_timeout)", "the 2.3.19.1 replicator panics "
                 "(data stack: out of memory) on every sync request; asynchronous replication runs")]

    def setup(self, run):
        ports = ("imap", "pop3", "lmtp", "submission", "doveadm_http", "doveadm")
        replica = self.replica = run.instance("replica", ports=ports)
        main = self.main = run.instance("main", ports=ports)
        for instance, extra in ((replica, ""), (main, run.pick(REPLICATION_2_3, ""))):
            users = instance.passwd_file(USERS)
            instance.render(run.pick(PASSDB_2_3, PASSDB_2_4).format(users=users)
                + extra.format(replica_port=replica.ports["doveadm"]))

    def drive(self, run):
        main, replica = self.main, self.replica
        ports = main.ports
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "replicate me"), ("bob@example.test", "and me")])
        client = imap(ports["imap"], "alice@example.test", USERS["alice@example.test"])
        client.create("Projects")
        client.select("INBOX")
        client.store("1", "+FLAGS", r"(\Flagged)")
        client.append("Projects", None, None, message("alice@example.test", "alice@example.test", "plan", "body"))
        client.logout()
        remote = "tcp:127.0.0.1:%d" % replica.ports["doveadm"]
        if not run.v24:
            # The replicator picks the changes up by itself; give it a
            # moment, then ask it about them and force a full sync.
            time.sleep(1)
            main.doveadm(["replicator", "status", "*"])
            main.doveadm(["replicator", "replicate", "-f", "alice@example.test"])
            main.doveadm(["replicator", "dsync-status"])
            main.doveadm(["replicator", "add", "bob@example.test"], check=False)
        main.doveadm(["sync", "-u", "alice@example.test", remote])
        main.doveadm(["backup", "-u", "bob@example.test", remote])
        # A second sync after a change on the replica: both directions.
        replica.doveadm(["mailbox", "create", "-u", "alice@example.test", "FromReplica"])
        main.doveadm(["sync", "-u", "alice@example.test", remote])
        # doveadm mail commands run on the replica over its TCP protocol.
        target = "127.0.0.1:%d" % replica.ports["doveadm"]
        main.doveadm(["mailbox", "list", "-u", "alice@example.test", "-S", target])
        main.doveadm(["fetch", "-u", "alice@example.test", "-S", target, "uid hdr.subject", "mailbox", "INBOX", "ALL"])
        main.doveadm(["mailbox", "status", "-u", "bob@example.test", "-S", target, "messages", "INBOX"])
        # The HTTP API: a few commands in one request, one that fails.
        doveadm_http(ports["doveadm_http"], [
            ["mailboxList", {"user": "alice@example.test"}],
            ["mailboxStatus", {"user": "alice@example.test", "field": ["messages", "unseen"],
                               "mailboxMask": ["INBOX"]}],
            ["fetch", {"user": "bob@example.test", "field": ["uid", "flags"], "query": ["mailbox", "INBOX", "all"]}],
            ["mailboxCreate", {"user": "bob@example.test", "mailbox": ["ViaHttp"]}],
            ["mailboxList", {"user": "nobody@example.test"}],
        ])
        if not run.v24:
            time.sleep(1)
            main.doveadm(["replicator", "status", "*"])
        log("replication: done")
