"""`director` (2.3 only): a one-director ring in front of a backend
instance. The login processes ask the director which backend a user goes
to (imap-login/pop3-login run in director mode), LMTP proxies through the
director's userdb socket, and doveadm director commands inspect and
change the ring. Dovecot 2.4 removed the director.

Traffic: IMAP and POP3 logins through the director (a good and a bad
password), LMTP deliveries through it, doveadm director status/map/
add/update/flush/move/ring status.
"""

from harness.clients import Background, failed_imap_login, imap, lmtp_deliver, pop3_session
from harness.common import Unavailable, free_port, log
from harness.config import Config

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}

BACKEND = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
login_trusted_networks = 127.0.0.0/8
"""

DIRECTOR = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
login_trusted_networks = 127.0.0.0/8
lmtp_proxy = yes
director_servers = 127.0.0.1:{ring}
director_mail_servers = 127.0.0.1
director_user_expire = 5 min

service director {{
  unix_listener login/director {{
    mode = 0666
  }}
  fifo_listener login/proxy-notify {{
    mode = 0666
  }}
  unix_listener director-userdb {{
    mode = 0600
  }}
  inet_listener director {{
    port = {ring}
  }}
}}
service imap-login {{
  executable = imap-login director
}}
service pop3-login {{
  executable = pop3-login director
}}
protocol lmtp {{
  auth_socket_path = director-userdb
}}
service ipc {{
  unix_listener ipc {{
    user = dovecot
  }}
}}
"""


class Director(Config):
    name = "director"
    summary = "2.3's director: a one-director ring routing IMAP, POP3 and LMTP to a backend instance"

    def skipped(self, series):
        if series == "2.4":
            return [("director", "removed in Dovecot 2.4")]
        return []

    def setup(self, run):
        if run.v24:
            raise Unavailable("Dovecot 2.4 removed the director")
        backend = self.backend = run.instance("backend")
        director = self.director = run.instance("main")
        users = backend.passwd_file(USERS)
        backend.render(BACKEND.format(users=users))
        # The director picks the host; the passdb gives each protocol's
        # backend port (one passwd-file per protocol, %s is the service).
        for protocol, port in (("imap", backend.ports["imap"]), ("pop3", backend.ports["pop3"]),
                               ("lmtp", backend.ports["lmtp"]), ("submission", backend.ports["submission"])):
            director.passwd_file(USERS, relative="users-%s.passwd" % protocol,
                                 extra={user: "proxy=y port=%d" % port for user in USERS})
        director_users = director.passwd_file(USERS, relative="userdb.passwd")
        director.render(DIRECTOR.format(passwd=director.path("users-%s.passwd"), users=director_users,
                                        ring=free_port()))

    def drive(self, run):
        director = self.director
        ports = director.ports
        background = Background()
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.2", "alice@example.test", "wrong-password")
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "through the director"),
                                     ("bob@example.test", "through the director")])
        client = imap(ports["imap"], "alice@example.test", USERS["alice@example.test"])
        client.select("INBOX")
        client.fetch("1:*", "(FLAGS)")
        client.logout()
        pop3_session(ports["pop3"], "bob@example.test", USERS["bob@example.test"], delete=False)
        for args in (["director", "status"], ["director", "status", "alice@example.test"], ["director", "map"],
                     ["director", "ring", "status"], ["director", "add", "127.0.0.1", "100"],
                     ["director", "update", "127.0.0.1", "50"], ["director", "move", "bob@example.test", "127.0.0.1"],
                     ["director", "flush", "127.0.0.1"], ["director", "kick", "alice@example.test"]):
            director.doveadm(args, check=False)
        background.join()
        log("director: done")
