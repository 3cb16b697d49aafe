"""`sql-sqlite`, `sql-pgsql`, `sql-mysql`: SQL passdb and userdb (with
user iteration) and an SQL dict (last_login through the dict proxy), on
SQLite, a private PostgreSQL cluster and a private MariaDB server.

Traffic: good and bad IMAP logins, an unknown user, LMTP deliveries
(userdb lookups), POP3, doveadm user/auth test/user '*' (iteration) and
doveadm dict against the SQL dict.
"""

import os
import sqlite3

from harness.backends import DB_PASSWORD, DB_USER, MariaDB, Postgres
from harness.clients import Background, failed_imap_login, imap, lmtp_deliver, pop3_session
from harness.common import log
from harness.config import Config

USERS = {"alice@example.test": "alice-test-pass", "bob@example.test": "bob-test-pass"}

SCHEMA = """
CREATE TABLE users (username VARCHAR(255) PRIMARY KEY, password VARCHAR(255) NOT NULL,
                    home VARCHAR(255) NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL);
CREATE TABLE last_login (username VARCHAR(255) PRIMARY KEY, last_login BIGINT NOT NULL);
"""

QUERIES_2_3 = """default_pass_scheme = PLAIN
password_query = SELECT username AS user, password FROM users WHERE username = '%u'
user_query = SELECT home, uid, gid FROM users WHERE username = '%u'
iterate_query = SELECT username AS user FROM users
"""

DICT_MAP_2_3 = """map {
  pattern = shared/last-login/$user
  table = last_login
  value_field = last_login
  value_type = uint
  fields {
    username = $user
  }
}
"""

SETTINGS_2_3 = """
passdb {{
  driver = sql
  args = {sql_conf}
}}
userdb {{
  driver = sql
  args = {sql_conf}
}}
dict {{
  sql = {driver}:{dict_conf}
}}
service dict {{
  unix_listener dict {{
    mode = 0666
  }}
}}
mail_plugins = $mail_plugins last_login
plugin {{
  last_login_dict = proxy::sql
  last_login_key = last-login/%u
}}
"""

SETTINGS_2_4 = """
{connection}
passdb sql {{
  default_password_scheme = PLAIN
  query = SELECT username AS user, password FROM users WHERE username = '%{{user}}'
}}
userdb sql {{
  query = SELECT home, uid, gid FROM users WHERE username = '%{{user}}'
  iterate_query = SELECT username AS user FROM users
}}
dict_server {{
  dict sql {{
    driver = sql
{connection}
    dict_map shared/last-login/$user {{
      sql_table = last_login
      value_field last_login {{
        type = uint
      }}
      key_field username {{
        value = $user
      }}
    }}
  }}
}}
service dict {{
  unix_listener dict {{
    mode = 0666
  }}
}}
mail_plugins {{
  last_login = yes
}}
last_login {{
  dict proxy {{
    dict_proxy_name = sql
  }}
  last_login_key = last-login/%{{user}}
}}
"""


class Sql(Config):
    driver = None  # sqlite, pgsql, mysql

    def start_database(self, run):
        """Starts the server (if any); returns (2.3 connect string, 2.4
        connection settings)."""
        raise NotImplementedError

    def load(self, run, sql):
        raise NotImplementedError

    def setup(self, run):
        dovecot = self.dovecot = run.instance()
        connect, connection = self.start_database(run)
        rows = "".join(
            "INSERT INTO users VALUES ('%s', '%s', '%s', %d, %d);\n"
            % (user, password, run.target.inside(dovecot.home(user)), run.uid, run.gid)
            for user, password in USERS.items()
        )
        self.load(run, SCHEMA + rows)
        if run.v24:
            dovecot.render(SETTINGS_2_4.format(connection=connection))
        else:
            sql_conf = dovecot.write("sql.conf.ext", "driver = %s\nconnect = %s\n%s" % (self.driver, connect, QUERIES_2_3))
            dict_conf = dovecot.write("dict-sql.conf.ext", "connect = %s\n%s" % (connect, DICT_MAP_2_3))
            dovecot.render(SETTINGS_2_3.format(sql_conf=sql_conf, dict_conf=dict_conf, driver=self.driver))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        background = Background()
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.2", "alice@example.test", "wrong-password")
        background.spawn(failed_imap_login, ports["imap"], "127.0.0.3", "mallory@example.test", "any-password")
        lmtp_deliver(ports["lmtp"], [("alice@example.test", "hello alice"), ("bob@example.test", "hello bob")])
        client = imap(ports["imap"], "alice@example.test", USERS["alice@example.test"])
        client.select("INBOX")
        client.fetch("1:*", "(FLAGS)")
        client.logout()
        pop3_session(ports["pop3"], "bob@example.test", USERS["bob@example.test"])
        dovecot.doveadm(["user", "alice@example.test"])
        dovecot.doveadm(["user", "*"])
        dovecot.doveadm(["auth", "test", "bob@example.test", USERS["bob@example.test"]])
        dovecot.doveadm(["auth", "lookup", "alice@example.test"])
        key = "shared/last-login/alice@example.test"
        dovecot.doveadm(["dict", "get", run.pick("proxy::sql", "last_login"), key], check=False)
        dovecot.doveadm(["dict", "set", run.pick("proxy::sql", "last_login"), "shared/last-login/carol@example.test",
                         "1700000000"])
        dovecot.doveadm(["dict", "iter", run.pick("proxy::sql", "last_login"), "shared/last-login/"], check=False)
        background.join()
        log("SQL (%s): done" % self.driver)


class SqlSqlite(Sql):
    name = "sql-sqlite"
    summary = "SQL passdb/userdb and SQL dict (last_login) on SQLite"
    driver = "sqlite"

    def start_database(self, run):
        db_dir = self.dovecot.host("db")
        os.makedirs(db_dir)
        self.db = os.path.join(db_dir, "mail.sqlite")
        path = self.dovecot.path("db", "mail.sqlite")
        return path, "sql_driver = sqlite\nsqlite_path = %s\n" % path

    def load(self, run, sql):
        with sqlite3.connect(self.db) as conn:
            conn.executescript(sql)
        # The auth worker and the dict server run as the internal user.
        uid, gid = run.target.user("dovecot")
        for path in (os.path.dirname(self.db), self.db):
            os.chown(path, uid, gid)


class SqlPgsql(Sql):
    name = "sql-pgsql"
    summary = "SQL passdb/userdb and SQL dict (last_login) on a private PostgreSQL"
    driver = "pgsql"

    def start_database(self, run):
        self.server = run.backend(Postgres())
        connect = "host=127.0.0.1 port=%d dbname=mail user=%s password=%s" % (self.server.port, DB_USER, DB_PASSWORD)
        connection = (
            "sql_driver = pgsql\npgsql 127.0.0.1 {\n  parameters {\n    port = %d\n    dbname = mail\n"
            "    user = %s\n    password = %s\n  }\n}\n" % (self.server.port, DB_USER, DB_PASSWORD)
        )
        return connect, connection

    def load(self, run, sql):
        self.server.sql(sql)


class SqlMysql(Sql):
    name = "sql-mysql"
    summary = "SQL passdb/userdb and SQL dict (last_login) on a private MariaDB"
    driver = "mysql"

    def start_database(self, run):
        self.server = run.backend(MariaDB())
        connect = "host=127.0.0.1 port=%d dbname=mail user=%s password=%s" % (self.server.port, DB_USER, DB_PASSWORD)
        connection = (
            "sql_driver = mysql\nmysql 127.0.0.1 {\n  port = %d\n  dbname = mail\n  user = %s\n  password = %s\n}\n"
            % (self.server.port, DB_USER, DB_PASSWORD)
        )
        return connect, connection

    def load(self, run, sql):
        self.server.sql(sql)
