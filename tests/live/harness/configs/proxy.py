"""`proxy`: a login-proxy instance in front of a second (backend)
instance: IMAP, POP3 and submission proxying by the login processes, LMTP
proxying (`lmtp_proxy`), and a user whose mail lives on the backend,
reached through the `imapc` storage.

The proxy's passdb is a passwd-file per protocol (`users-<protocol>`),
each pointing at the backend's listener for that protocol. Traffic:
proxied IMAP (with ID), POP3 and submission sessions, a wrong password at
the proxy, a password the backend rejects, a backend that refuses the
connection, LMTP deliveries proxied to the backend, and imapc sessions
(IMAP and doveadm) as dave, whose mailbox is bob's on the backend.
"""

from harness.clients import Background, failed_imap_login, imap, lmtp_deliver, pop3_session, submit
from harness.common import free_port, log
from harness.config import Config

# Users of the backend.
USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass",
         "erin@example.test": "erin-backend-pass"}
# At the proxy: erin's password differs from the backend's, frank's
# backend port is closed, dave is local (imapc).
PROXY_USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass",
               "erin@example.test": "erin-proxy-pass", "frank@example.test": "frank-test-pass",
               "dave@example.test": "dave-test-pass"}

PASSDB_2_3 = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {userdb}
}}
"""

PASSDB_2_4 = """
passdb passwd-file {{
  passwd_file_path = {passwd}
}}
userdb passwd-file {{
  passwd_file_path = {userdb}
}}
"""

BACKEND = """
# The proxy is trusted: it forwards the client's address and session.
login_trusted_networks = 127.0.0.0/8
"""

PROXY_2_3 = """
lmtp_proxy = yes
login_trusted_networks = 127.0.0.0/8
"""

PROXY_2_4 = """
lmtp_proxy = yes
login_trusted_networks = 127.0.0.0/8
"""


class Proxy(Config):
    name = "proxy"
    summary = "login proxy (IMAP, POP3, submission) and LMTP proxy to a backend instance, imapc storage"

    def setup(self, run):
        backend = self.backend = run.instance("backend")
        proxy = self.proxy = run.instance("main")
        backend_users = backend.passwd_file(USERS)
        backend.render(run.pick(PASSDB_2_3, PASSDB_2_4).format(passwd=backend_users, userdb=backend_users)
                       + BACKEND)
        closed = free_port()
        # One passdb file per protocol, each pointing at the backend's
        # listener for it. Login proxying passes the password on.
        for protocol, port in (("imap", backend.ports["imap"]), ("pop3", backend.ports["pop3"]),
                               ("submission", backend.ports["submission"]), ("lmtp", backend.ports["lmtp"])):
            extra = {}
            for user in PROXY_USERS:
                if user.startswith("dave@"):
                    continue
                target = closed if user.startswith("frank@") else port
                extra[user] = "proxy=y host=127.0.0.1 port=%d proxy_timeout=10" % target
            proxy.passwd_file(PROXY_USERS, relative="users-%s.passwd" % protocol, extra=extra)
        # dave's mail is bob's mailbox on the backend, through imapc.
        imapc = {"dave@example.test": (
            "userdb_mail=imapc:~/imapc userdb_imapc_host=127.0.0.1 userdb_imapc_port=%d "
            "userdb_imapc_user=bob@example.test userdb_imapc_password=%s"
            if not run.v24 else
            "userdb_mail_driver=imapc userdb_mail_path=~/imapc userdb_imapc_host=127.0.0.1 userdb_imapc_port=%d "
            "userdb_imapc_user=bob@example.test userdb_imapc_password=%s")
            % (backend.ports["imap"], USERS["bob@example.test"])}
        userdb = proxy.passwd_file(PROXY_USERS, relative="userdb.passwd", extra=imapc)
        passwd = proxy.path(run.pick("users-%s.passwd", "users-%{protocol}.passwd"))
        proxy.render(run.pick(PASSDB_2_3, PASSDB_2_4).format(passwd=passwd, userdb=userdb)
                     + run.pick(PROXY_2_3, PROXY_2_4))

    def drive(self, run):
        ports = self.proxy.ports
        background = Background()
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.2", "alice@example.test", "wrong-password")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.3", "erin@example.test", "erin-proxy-pass")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.4", "frank@example.test", "frank-test-pass")
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "proxied to alice"), ("bob@example.test", "proxied to bob"),
                                     ("bob@example.test", "second for bob")])
        client = imap(ports["imap"], "alice@example.test", USERS["alice@example.test"], source="127.0.0.5")
        client.xatom("ID", '("name" "capture.py" "version" "1")')
        client.select("INBOX")
        client.fetch("1:*", "(FLAGS ENVELOPE)")
        client.logout()
        pop3_session(ports["pop3"], "bob@example.test", USERS["bob@example.test"], delete=False)
        submit(ports["submission"], "alice@example.test", USERS["alice@example.test"])
        # imapc: dave's INBOX is bob's on the backend.
        client = imap(ports["imap"], "dave@example.test", PROXY_USERS["dave@example.test"])
        client.list()
        client.select("INBOX")
        client.fetch("1:*", "(UID FLAGS RFC822.SIZE)")
        client.fetch("1", "(BODY.PEEK[])")
        client.store("1", "+FLAGS", r"(\Seen)")
        client.create("FromImapc")
        client.status("INBOX", "(MESSAGES UNSEEN)")
        client.logout()
        self.proxy.doveadm(["mailbox", "list", "-u", "dave@example.test"])
        self.proxy.doveadm(["fetch", "-u", "dave@example.test", "uid hdr.subject", "mailbox", "INBOX", "ALL"])
        background.join()
        log("proxy: done")
