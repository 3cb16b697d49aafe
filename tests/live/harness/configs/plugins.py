"""`plugins`: the mail plugins that need no outside server.

quota (with the quota-status service, asked over the Postfix policy
protocol, and imap_quota), acl with a shared namespace (SETACL, LIST and
SELECT of another user's mailbox), lazy_expunge, trash, virtual,
mail_crypt (per-user keys), zlib (2.3) / mail_compress (2.4), mail_log
and notify, push-notification with the OX driver (to an HTTP endpoint
inside this script, enabled per user through METADATA), welcome (a script
service run at the first login) and last_login (into a file dict).
"""

import os

from harness.clients import imap, lmtp_deliver, message, postfix_policy
from harness.common import CaptureError, free_port, log
from harness.config import Config
from harness.sinks import push_answer

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}

WELCOME = """#!/bin/sh
# The welcome script: runs once, at a user's first login.
exit 0
"""

VIRTUAL_ALL = "*\n  all\n"

SETTINGS_2_3 = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}

mail_plugins = $mail_plugins quota acl lazy_expunge trash virtual mail_crypt zlib notify mail_log push_notification welcome last_login
protocol imap {{
  mail_plugins = $mail_plugins imap_quota imap_acl
}}
mail_attribute_dict = file:%h/dovecot-attributes

namespace inbox {{
  mailbox Trash {{
    auto = create
    special_use = \\Trash
  }}
  mailbox Expunged {{
    auto = create
  }}
}}
namespace shared {{
  type = shared
  separator = /
  prefix = shared/%%u/
  location = maildir:%%h/Maildir:INDEXPVT=~/Maildir/shared/%%u
  subscriptions = no
  list = children
}}
namespace virtual {{
  prefix = virtual/
  separator = /
  location = virtual:{virtual}
}}

plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=1M:messages=5
  quota_status_success = DUNNO
  quota_status_nouser = DUNNO
  quota_status_overquota = 552 5.2.2 Mailbox is full

  acl = vfile
  acl_shared_dict = file:{root}/dicts/shared-mailboxes.db

  lazy_expunge = Expunged
  trash = {trash}

  mail_crypt_curve = prime256v1
  mail_crypt_save_version = 2
  zlib_save = gz

  mail_log_events = delete undelete expunge copy save mailbox_create mailbox_delete mailbox_rename flag_change
  mail_log_fields = uid box msgid size vsize flags

  push_notification_driver = ox:url=http://127.0.0.1:{push}/push user_from_metadata

  welcome_script = welcome %u
  last_login_dict = file:{root}/dicts/last-login.db
}}

service quota-status {{
  executable = quota-status -p postfix
  inet_listener quota-status {{
    port = {quota_status}
  }}
  client_limit = 1
}}
service welcome {{
  executable = script {welcome}
  user = dovecot
  unix_listener welcome {{
    mode = 0666
  }}
}}
"""

SETTINGS_2_4 = """
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}

mail_plugins {{
  quota = yes
  acl = yes
  lazy_expunge = yes
  trash = yes
  virtual = yes
  mail_crypt = yes
  mail_compress = yes
  notify = yes
  mail_log = yes
  push_notification = yes
  welcome = yes
  last_login = yes
}}
protocol imap {{
  mail_plugins {{
    imap_quota = yes
    imap_acl = yes
  }}
}}
mail_attribute {{
  dict file {{
    path = %{{home}}/dovecot-attributes
  }}
}}

namespace inbox {{
  mailbox Trash {{
    auto = create
    special_use = \\Trash
    trash_priority = 1
  }}
  mailbox Expunged {{
    auto = create
  }}
}}
namespace shared {{
  type = shared
  separator = /
  prefix = shared/$user/
  mail_path = %{{owner_home}}/Maildir
  mail_index_private_path = ~/Maildir/shared/%{{owner_user}}
  subscriptions = no
  list = children
}}
namespace virtual {{
  prefix = virtual/
  separator = /
  mail_driver = virtual
  mail_path = {virtual}
}}

quota "User quota" {{
  driver = count
  storage_size = 1M
  message_count = 5
}}
quota_status_success = DUNNO
quota_status_nouser = DUNNO
quota_status_overquota = 552 5.2.2 Mailbox is full

acl_driver = vfile
acl_sharing_map {{
  dict file {{
    path = {root}/dicts/shared-mailboxes.db
  }}
}}
lazy_expunge_mailbox = Expunged
crypt_user_key_curve = prime256v1
crypt_write_algorithm = aes-256-gcm-sha256
mail_compress_write_method = gz

mail_log_events = delete undelete expunge copy save mailbox_create mailbox_delete mailbox_rename flag_change
mail_log_fields = uid box msgid size vsize flags

push_notification ox {{
  ox_url = http://127.0.0.1:{push}/push
  ox_user_from_metadata = yes
}}

welcome {{
  execute welcome {{
    args = %{{user}}
  }}
}}
last_login {{
  dict file {{
    path = {root}/dicts/last-login.db
  }}
}}

service quota-status {{
  executable = quota-status -p postfix
  inet_listener quota-status {{
    port = {quota_status}
  }}
  client_limit = 1
}}
service welcome {{
  executable = script {welcome}
  user = dovecot
  unix_listener welcome {{
    mode = 0666
  }}
}}
"""


class Plugins(Config):
    name = "plugins"
    summary = ("quota + quota-status, acl + shared mailboxes, lazy_expunge, trash, virtual, mail_crypt, "
               "zlib/mail_compress, mail_log, notify, push-notification (OX), welcome, last_login")

    def setup(self, run):
        self.push = run.http_sink(push_answer)
        dovecot = self.dovecot = run.instance()
        self.quota_status = free_port()
        users = dovecot.passwd_file(USERS)
        # The virtual mailbox virtual/All holds every message of every
        # mailbox of the user.
        for user in USERS:
            name = user.split("@")[0]
            dovecot.write("home/%s/virtual/All/dovecot-virtual" % name, VIRTUAL_ALL, owner="mail")
            dovecot.give(dovecot.home(user))
        values = {
            "users": users,
            "root": dovecot.path(),
            "virtual": "~/virtual",
            "push": self.push.port,
            "quota_status": self.quota_status,
            "welcome": dovecot.write("welcome.sh", WELCOME, mode=0o755),
        }
        # The shared-mailbox and last-login dicts are written by the mail
        # processes (the mail user) in the instance directory.
        os.makedirs(dovecot.host("dicts"))
        dovecot.give(dovecot.host("dicts"))
        if run.v24:
            dovecot.render(SETTINGS_2_4.format(**values))
        else:
            values["trash"] = dovecot.write("trash.conf", "1 Trash\n")
            dovecot.render(SETTINGS_2_3.format(**values))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        # Enable OX push notifications for alice (user_from_metadata).
        dovecot.doveadm(["mailbox", "metadata", "set", "-u", "alice@example.test", "-s", "",
                         "/private/vendor/vendor.dovecot/http-notify", "user=alice@example.test"])
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "hello alice %d" % n) for n in range(3)]
                     + [("bob@example.test", "hello bob")])
        alice = imap(ports["imap"], "alice@example.test", USERS["alice@example.test"])
        alice.create("Shared")
        alice.xatom("SETACL", "Shared bob@example.test lrs")
        alice.xatom("GETACL", "INBOX")
        alice.xatom("MYRIGHTS", "INBOX")
        alice.select("INBOX")
        alice.copy("1", "Shared")
        alice.copy("1", "Trash")
        alice.store("1", "+FLAGS", r"(\Deleted)")
        alice.expunge()  # lazy_expunge keeps a copy in Expunged
        alice.xatom("GETQUOTAROOT", "INBOX")
        # Over the message limit: trash makes room by expunging from Trash.
        for n in range(3):
            alice.append("INBOX", None, None, message("alice@example.test", "alice@example.test", "fill %d" % n, "x"))
        alice.rename("Shared", "Shared-Renamed")
        alice.select("virtual/All", readonly=True)
        alice.fetch("1:*", "(FLAGS)")
        alice.search(None, "ALL")
        alice.close()
        alice.logout()
        bob = imap(ports["imap"], "bob@example.test", USERS["bob@example.test"])
        bob.list('""', "shared/*")
        typ, _ = bob.select("shared/alice@example.test/Shared-Renamed", readonly=True)
        if typ == "OK":
            # Only flags: the bodies are encrypted with alice's folder keys.
            bob.fetch("1:*", "(FLAGS)")
        bob.xatom("MYRIGHTS", "shared/alice@example.test/Shared-Renamed")
        bob.logout()
        for recipient, size in (("alice@example.test", 1000), ("alice@example.test", 5000000), ("nobody@example.test", 10)):
            reply = postfix_policy(self.quota_status, {
                "request": "smtpd_access_policy", "protocol_state": "RCPT", "recipient": recipient, "size": size})
            log("quota-status for %s (%d bytes): %s" % (recipient, size, " ".join(reply)))
        dovecot.doveadm(["quota", "get", "-u", "alice@example.test"])
        dovecot.doveadm(["acl", "get", "-u", "alice@example.test", "INBOX"])
        dovecot.doveadm(["mailbox", "list", "-u", "alice@example.test"])
        if not self.push.count():
            raise CaptureError("the push-notification endpoint received no request")
        log("plugins: the push endpoint received %d requests" % self.push.count())
