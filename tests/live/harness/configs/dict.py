"""`dict`: the dict proxy service with file, SQLite and Redis backends (and
memcached on 2.3), dict-backed quota, last_login and IMAP METADATA.

The dict server (`service dict`) serves named dicts: `file` (a flat file),
`sqlite` (an SQLite database with dict_map mappings) and `redis` (a private
redis-server); on 2.3 also `memcached` (binary protocol, lookups only) and
`memcachedascii` against a private memcached. The mail processes use them
through the proxy: IMAP METADATA (SQLite), last_login (Redis) and quota:
on 2.3 the `dict` quota backend (SQLite), on 2.4 (which removed it) the
`count` backend with quota_clone into the file dict. doveadm dict commands
run get/set/inc/iter/unset against every backend.
"""

import os
import sqlite3

from harness.backends import Memcached, Redis
from harness.clients import imap, lmtp_deliver, pop3_session
from harness.common import log
from harness.config import Config

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}

SQLITE_SCHEMA = """
CREATE TABLE quota (username TEXT PRIMARY KEY, bytes INTEGER NOT NULL DEFAULT 0,
                    messages INTEGER NOT NULL DEFAULT 0);
CREATE TABLE attributes (username TEXT NOT NULL, guid TEXT NOT NULL, attr_key TEXT NOT NULL,
                         value TEXT, PRIMARY KEY (username, guid, attr_key));
CREATE TABLE kv (k TEXT PRIMARY KEY, value TEXT);
"""

DICT_SQL_2_3 = """connect = {db}
map {{
  pattern = priv/quota/storage
  table = quota
  username_field = username
  value_field = bytes
}}
map {{
  pattern = priv/quota/messages
  table = quota
  username_field = username
  value_field = messages
}}
map {{
  pattern = priv/$guid/$key
  table = attributes
  username_field = username
  value_field = value
  fields {{
    guid = $guid
    attr_key = $key
  }}
}}
map {{
  pattern = shared/kv/$k
  table = kv
  value_field = value
  fields {{
    k = $k
  }}
}}
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

dict {{
  file = file:{dictfile}
  sqlite = sqlite:{dict_sql}
  redis = redis:host=127.0.0.1:port={redis}
  memcached = memcached:host=127.0.0.1:port={memcached}
  memcachedascii = memcached_ascii:host=127.0.0.1:port={memcached}
}}
service dict {{
  unix_listener dict {{
    mode = 0666
  }}
}}

mail_plugins = $mail_plugins quota last_login
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
mail_attribute_dict = proxy::sqlite
plugin {{
  quota = dict:User quota::proxy::sqlite
  quota_rule = *:storage=10M:messages=1000
  last_login_dict = proxy::redis
  last_login_key = last-login/%u
}}
"""

SETTINGS_2_4 = """
passdb passwd-file {{
  passwd_file_path = {users}
}}
userdb passwd-file {{
  passwd_file_path = {users}
}}

dict_server {{
  dict file {{
    driver = file
    file_path = {dictfile}
  }}
  dict sqlite {{
    driver = sql
    sql_driver = sqlite
    sqlite_path = {db}
    dict_map priv/quota/storage {{
      sql_table = quota
      username_field = username
      value_field bytes {{
        type = uint
      }}
    }}
    dict_map priv/quota/messages {{
      sql_table = quota
      username_field = username
      value_field messages {{
        type = uint
      }}
    }}
    dict_map priv/$guid/$key {{
      sql_table = attributes
      username_field = username
      value_field value {{
      }}
      key_field guid {{
        value = $guid
      }}
      key_field attr_key {{
        value = $key
      }}
    }}
    dict_map shared/kv/$k {{
      sql_table = kv
      value_field value {{
      }}
      key_field k {{
        value = $k
      }}
    }}
  }}
  dict redis {{
    driver = redis
    redis_host = 127.0.0.1
    redis_port = {redis}
  }}
}}
service dict {{
  unix_listener dict {{
    mode = 0666
  }}
}}

mail_plugins {{
  quota = yes
  quota_clone = yes
  last_login = yes
}}
protocol imap {{
  mail_plugins {{
    imap_quota = yes
  }}
}}
quota "User quota" {{
  driver = count
  storage_size = 10M
  message_count = 1000
}}
quota_clone {{
  dict proxy {{
    dict_proxy_name = file
  }}
}}
mail_attribute {{
  dict proxy {{
    dict_proxy_name = sqlite
  }}
}}
last_login {{
  dict proxy {{
    dict_proxy_name = redis
  }}
  last_login_key = last-login/%{{user}}
}}
"""


class Dict(Config):
    name = "dict"
    summary = "dict proxy: file, SQLite, Redis (memcached on 2.3); quota, last_login, IMAP METADATA, doveadm dict"

    def skipped(self, series):
        if series == "2.4":
            return [("memcached dict", "Dovecot 2.4 removed the memcached and memcached_ascii dict drivers"),
                    ("dict quota backend", "Dovecot 2.4 removed it; quota `count` + quota_clone into a dict instead")]
        return []

    def setup(self, run):
        self.redis = run.backend(Redis())
        if not run.v24:
            self.memcached = run.backend(Memcached())
        dovecot = self.dovecot = run.instance()
        users = dovecot.passwd_file(USERS)
        # The dict server runs as the internal user, which must be able to
        # write the SQLite database, its journal and the flat file.
        dict_dir = dovecot.host("dict")
        os.makedirs(dict_dir)
        db = os.path.join(dict_dir, "dict.sqlite")
        with sqlite3.connect(db) as conn:
            conn.executescript(SQLITE_SCHEMA)
        uid, gid = run.target.user("dovecot")
        for path in (dict_dir, db):
            os.chown(path, uid, gid)
        values = {
            "users": users,
            "db": dovecot.path("dict", "dict.sqlite"),
            "dictfile": dovecot.path("dict", "dict.txt"),
            "redis": self.redis.port,
        }
        if run.v24:
            dovecot.render(SETTINGS_2_4.format(**values))
        else:
            values["dict_sql"] = dovecot.write("dict-sql.conf.ext", DICT_SQL_2_3.format(**values))
            values["memcached"] = self.memcached.port
            dovecot.render(SETTINGS_2_3.format(**values))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        # Deliveries update the quota (and its clone).
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "quota one"), ("alice@example.test", "quota two"),
                                     ("bob@example.test", "hello bob")])
        client = imap(ports["imap"], "alice@example.test", USERS["alice@example.test"])
        client.select("INBOX")
        client.xatom("SETMETADATA", 'INBOX (/private/comment "stored in SQLite through the dict proxy")')
        client.xatom("GETMETADATA", "INBOX (/private/comment)")
        client.xatom("SETMETADATA", 'INBOX (/private/comment NIL)')
        client.xatom("GETQUOTAROOT", "INBOX")
        client.xatom("GETQUOTA", '"User quota"')
        client.store("1", "+FLAGS", r"(\Deleted)")
        client.expunge()
        client.logout()
        pop3_session(ports["pop3"], "bob@example.test", USERS["bob@example.test"], delete=False)
        user = ["-u", "alice@example.test"]
        dovecot.doveadm(["quota", "get"] + user)
        dovecot.doveadm(["quota", "recalc"] + user)
        if run.v24:
            # doveadm dict takes the name of a configuration filter that
            # holds a dict: each of these goes through the proxy to one
            # backend.
            for filter_name, key in (("mail_attribute", "shared/kv/color"), ("last_login", "shared/kv/color"),
                                     ("quota_clone", "shared/kv/color")):
                self.dict_commands(filter_name, key)
        else:
            for uri in ("proxy::file", "proxy::sqlite", "proxy::redis", "proxy::memcachedascii"):
                self.dict_commands(uri, "shared/kv/color")
            # Binary memcached: lookups only.
            dovecot.doveadm(["dict", "get", "proxy::memcached", "shared/kv/color"], check=False)
        for key in ("priv/quota/storage", "priv/quota/messages"):
            dovecot.doveadm(["dict", "get"] + user + [run.pick("proxy::sqlite", "quota_clone"), key], check=False)
        log("doveadm dict: done")

    def dict_commands(self, dict_name, key):
        dovecot = self.dovecot
        user = ["-u", "alice@example.test"]
        dovecot.doveadm(["dict", "set"] + user + [dict_name, key, "blue"])
        dovecot.doveadm(["dict", "get"] + user + [dict_name, key])
        dovecot.doveadm(["dict", "iter"] + user + [dict_name, "shared/kv/"], check=False)
        dovecot.doveadm(["dict", "set"] + user + [dict_name, "shared/kv/counter", "1"])
        dovecot.doveadm(["dict", "inc"] + user + [dict_name, "shared/kv/counter", "2"], check=False)
        dovecot.doveadm(["dict", "unset"] + user + [dict_name, key])
        # A key that is not there.
        dovecot.doveadm(["dict", "get"] + user + [dict_name, "shared/kv/missing"], check=False)
