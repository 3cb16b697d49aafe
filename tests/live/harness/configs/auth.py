"""`auth`: a passdb chain with master users, passwd-file and
checkpassword (2.3), `auth_username_format`, the auth cache, and the auth policy
server (an HTTP server inside this script that answers Dovecot's policy
protocol).

Traffic: mixed-case logins (lowercased by auth_username_format), repeated
logins (served from the auth cache), master-user logins
(`user*master`) over IMAP and POP3, a checkpassword login (2.3), failed
logins, a submission AUTH, doveadm auth test/lookup/cache flush.
"""


from harness.clients import Background, failed_imap_login, imap, lmtp_deliver, pop3_session, submit
from harness.common import CaptureError, log
from harness.config import Config
from harness.sinks import policy_answer

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}
MASTER = ("master@example.test", "master-test-pass")
# dave's password is checked by the checkpassword script (2.3).
DAVE = ("dave@example.test", "dave-test-pass")
POLICY_NONCE = "capture-nonce"

# The checkpassword protocol: "user\0password\0timestamp\0" arrives on fd 3;
# on success the script runs the program given as its arguments
# (checkpassword-reply) with USER and HOME set, on failure it exits 1.
CHECKPASSWORD = """#!/bin/sh
input=$(dd bs=512 count=1 <&3 2>/dev/null | tr '\\0' '\\n')
user=$(printf '%s\\n' "$input" | sed -n 1p)
pass=$(printf '%s\\n' "$input" | sed -n 2p)
if [ "$user" = "{user}" ] && [ "$pass" = "{password}" ]; then
  USER=$user
  HOME={home}
  export USER HOME
  exec "$@"
fi
exit 1
"""

SETTINGS_2_3 = """
auth_master_user_separator = *
auth_username_format = %Lu
auth_cache_size = 1M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour
auth_policy_server_url = http://127.0.0.1:{policy}/
auth_policy_hash_nonce = {nonce}
auth_policy_check_before_auth = yes
auth_policy_check_after_auth = yes
auth_policy_report_after_auth = yes

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {masters}
  master = yes
  pass = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
passdb {{
  driver = checkpassword
  args = {checkpassword}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
"""

SETTINGS_2_4 = """
auth_master_user_separator = *
auth_username_format = %{{user | lower}}
auth_cache_size = 1M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour
auth_policy_server_url = http://127.0.0.1:{policy}/
auth_policy_hash_nonce = {nonce}
auth_policy_check_before_auth = yes
auth_policy_check_after_auth = yes
auth_policy_report_after_auth = yes

passdb masters {{
  driver = passwd-file
  passwd_file_path = {masters}
  master = yes
  result_success = continue
}}
passdb users {{
  driver = passwd-file
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}
"""


class Auth(Config):
    name = "auth"
    summary = "master users, checkpassword (2.3), passwd-file, auth_username_format, auth cache, auth policy server"

    def skipped(self, series):
        if series == "2.4":
            return [("checkpassword passdb", "Dovecot 2.4 removed the checkpassword driver")]
        return []

    def setup(self, run):
        self.policy = run.http_sink(policy_answer)
        dovecot = self.dovecot = run.instance()
        users = dict(USERS)
        if not run.v24:
            users[DAVE[0]] = DAVE[1]
        users_file = dovecot.passwd_file(users)
        masters = dovecot.write("masters.passwd", "%s:{PLAIN}%s\n" % MASTER)
        values = {"users": users_file, "masters": masters, "policy": self.policy.port, "nonce": POLICY_NONCE}
        if run.v24:
            dovecot.render(SETTINGS_2_4.format(**values))
        else:
            values["checkpassword"] = dovecot.write(
                "checkpassword.sh",
                CHECKPASSWORD.format(user=DAVE[0], password=DAVE[1], home=run.target.inside(dovecot.home(DAVE[0]))),
                mode=0o755,
            )
            dovecot.render(SETTINGS_2_3.format(**values))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        background = Background()
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.2", "alice@example.test", "wrong-password")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.3", "mallory@example.test", "any-password")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.4",
                         "bob@example.test*" + MASTER[0], "wrong-master-password")
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "hello alice"), ("bob@example.test", "hello bob")])
        # Mixed case: auth_username_format lowercases it. The second login
        # is answered from the auth cache.
        for login in ("Alice@Example.TEST", "alice@example.test"):
            client = imap(ports["imap"], login, USERS["alice@example.test"])
            client.select("INBOX")
            client.logout()
        # A master user logs in as bob, over IMAP and POP3.
        client = imap(ports["imap"], "bob@example.test*" + MASTER[0], MASTER[1])
        client.select("INBOX")
        client.logout()
        pop3_session(ports["pop3"], "bob@example.test*" + MASTER[0], MASTER[1], delete=False)
        if not run.v24:
            client = imap(ports["imap"], DAVE[0], DAVE[1])
            client.list()
            client.logout()
        submit(ports["submission"], "alice@example.test", USERS["alice@example.test"])
        dovecot.doveadm(["auth", "test", "bob@example.test", USERS["bob@example.test"]])
        dovecot.doveadm(["auth", "lookup", "alice@example.test"])
        dovecot.doveadm(["auth", "cache", "flush"])
        dovecot.doveadm(["auth", "test", "alice@example.test", USERS["alice@example.test"]])
        background.join()
        if not self.policy.count():
            raise CaptureError("the auth policy server received no request")
        log("auth: the policy server answered %d requests" % self.policy.count())
