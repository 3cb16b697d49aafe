"""`ldap`: LDAP passdbs (password lookup, then authentication binds), an
LDAP userdb with iteration and a read-only LDAP dict (through the dict
proxy), against a private slapd on loopback.

alice and bob are found by the lookup passdb (their entries carry
`description: lookup`); carol only by the second passdb, which checks her
password with an LDAP bind as her DN.
"""

from harness.backends import LDAP_ADMIN, LDAP_PASSWORD, LDAP_SUFFIX, Slapd
from harness.clients import Background, failed_imap_login, imap, lmtp_deliver, pop3_session
from harness.common import log
from harness.config import Config

USERS = {
    "alice@example.test": "alice-test-pass",
    "bob@example.test": "bob-test-pass",
    "carol@example.test": "carol-test-pass",
}
PEOPLE = "ou=people," + LDAP_SUFFIX

ENTRY = """dn: uid={user},{people}
objectClass: inetOrgPerson
objectClass: posixAccount
cn: {name}
sn: {name}
uid: {user}
uidNumber: {uid}
gidNumber: {gid}
homeDirectory: {home}
userPassword: {password}
{description}

"""

LOOKUP_2_3 = """uris = ldap://127.0.0.1:{port}
dn = {admin}
dnpass = {admin_password}
base = {people}
default_pass_scheme = PLAIN
pass_filter = (&(objectClass=posixAccount)(uid=%u)(description=lookup))
pass_attrs = uid=user,userPassword=password
user_filter = (&(objectClass=posixAccount)(uid=%u))
user_attrs = homeDirectory=home,uidNumber=uid,gidNumber=gid
iterate_filter = (objectClass=posixAccount)
iterate_attrs = uid=user
"""

BIND_2_3 = """uris = ldap://127.0.0.1:{port}
dn = {admin}
dnpass = {admin_password}
base = {people}
auth_bind = yes
pass_filter = (&(objectClass=posixAccount)(uid=%u))
pass_attrs = uid=user
"""

DICT_2_3 = """uri = ldap://127.0.0.1:{port}
bind_dn = {admin}
password = {admin_password}
map {{
  pattern = priv/home
  filter = (objectClass=posixAccount)
  base_dn = {people}
  username_attribute = uid
  value_attribute = homeDirectory
}}
"""

SETTINGS_2_3 = """
dict {{
  ldap = ldap:{dict}
}}
# 2.3.19's dict process with an LDAP connection ignores the master's
# shutdown; let it end on its own once idle.
service dict {{
  idle_kill = 1 secs
  unix_listener dict {{
    mode = 0666
  }}
}}
passdb {{
  driver = ldap
  args = {lookup}
}}
passdb {{
  driver = ldap
  args = {bind}
}}
userdb {{
  driver = ldap
  args = {lookup}
}}
"""

SETTINGS_2_4 = """
ldap_uris = ldap://127.0.0.1:{port}
ldap_auth_dn = {admin}
ldap_auth_dn_password = {admin_password}
ldap_base = {people}

passdb ldap-lookup {{
  driver = ldap
  default_password_scheme = PLAIN
  ldap_filter = (&(objectClass=posixAccount)(uid=%{{user}})(description=lookup))
  fields {{
    user = %{{ldap:uid}}
    password = %{{ldap:userPassword}}
  }}
}}
passdb ldap-bind {{
  driver = ldap
  ldap_bind = yes
  ldap_filter = (&(objectClass=posixAccount)(uid=%{{user}}))
  fields {{
    user = %{{ldap:uid}}
  }}
}}
userdb ldap {{
  ldap_filter = (&(objectClass=posixAccount)(uid=%{{user}}))
  fields {{
    home = %{{ldap:homeDirectory}}
    uid = %{{ldap:uidNumber}}
    gid = %{{ldap:gidNumber}}
  }}
  ldap_iterate_filter = (objectClass=posixAccount)
  ldap_iterate_fields {{
    user = %{{ldap:uid}}
  }}
}}

# A read-only LDAP dict, reached through the dict proxy as the dict of
# the mail_attribute filter (doveadm dict names dicts by filter).
dict_server {{
  dict ldap {{
    driver = ldap
    dict_map priv/home {{
      ldap_filter = (&(objectClass=posixAccount)(uid=%{{user}}))
      value = %{{ldap:homeDirectory}}
    }}
  }}
}}
service dict {{
  unix_listener dict {{
    mode = 0666
  }}
}}
mail_attribute {{
  dict proxy {{
    dict_proxy_name = ldap
  }}
}}
"""


class Ldap(Config):
    name = "ldap"
    summary = "LDAP passdb (lookup and auth bind) and userdb (with iteration) against a private slapd"

    def setup(self, run):
        dovecot = self.dovecot = run.instance()
        ldif = ("dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n"
                "dn: %s\nobjectClass: organizationalUnit\nou: people\n\n" % (LDAP_SUFFIX, PEOPLE))
        for user, password in USERS.items():
            ldif += ENTRY.format(
                user=user, people=PEOPLE, name=user.split("@")[0], uid=run.uid, gid=run.gid, password=password,
                home=run.target.inside(dovecot.home(user)),
                description="" if user.startswith("carol@") else "description: lookup",
            )
        self.slapd = run.backend(Slapd(ldif))
        values = {"port": self.slapd.port, "admin": LDAP_ADMIN, "admin_password": LDAP_PASSWORD, "people": PEOPLE}
        if run.v24:
            dovecot.render(SETTINGS_2_4.format(**values))
        else:
            lookup = dovecot.write("ldap-lookup.conf.ext", LOOKUP_2_3.format(**values), mode=0o600)
            bind = dovecot.write("ldap-bind.conf.ext", BIND_2_3.format(**values), mode=0o600)
            dict_conf = dovecot.write("dict-ldap.conf.ext", DICT_2_3.format(**values))
            dovecot.render(SETTINGS_2_3.format(lookup=lookup, bind=bind, dict=dict_conf))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        background = Background()
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.2", "alice@example.test", "wrong-password")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.3", "carol@example.test", "wrong-password")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.4", "mallory@example.test", "any-password")
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "hello alice"), ("bob@example.test", "hello bob"),
                                     ("carol@example.test", "hello carol")])
        for user in ("alice@example.test", "carol@example.test"):
            client = imap(ports["imap"], user, USERS[user])
            client.select("INBOX")
            client.logout()
        pop3_session(ports["pop3"], "bob@example.test", USERS["bob@example.test"])
        dovecot.doveadm(["user", "carol@example.test"])
        dovecot.doveadm(["user", "*"])
        dovecot.doveadm(["auth", "test", "carol@example.test", USERS["carol@example.test"]])
        for user in ("alice@example.test", "mallory@example.test"):
            dovecot.doveadm(["dict", "get", "-u", user, run.pick("proxy::ldap", "mail_attribute"), "priv/home"],
                            check=False)
        background.join()
        log("LDAP: done")
