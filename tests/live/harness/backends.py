"""Private instances of the real servers behind Dovecot's drivers.

Every server runs on the host (Debian 12's packages, installed by
tests/live/install.sh) for both Dovecot releases: the chroot shares the
host's loopback, so the 2.4 instance reaches them just the same. Each one
gets its own data directory under a host temp directory, listens on
127.0.0.1 on a free high port, runs in the foreground as a child of this
script and is stopped by its pid (`common.Processes`). No system-wide
instance (and no system configuration file) is ever used: PostgreSQL gets
its own `initdb` cluster, MariaDB its own `mariadb-install-db` data
directory and `--no-defaults`, slapd its own slapd.conf and database.
"""

import glob
import os
import shutil
import subprocess
import time

from harness.common import (
    START_TIMEOUT,
    CaptureError,
    Unavailable,
    free_port,
    log,
    run,
    tail,
    user_ids,
    wait_for_port,
)

# Throw-away passwords of the backing servers' accounts.
DB_USER = "dovecot"
DB_PASSWORD = "db-test-pass"
LDAP_SUFFIX = "dc=example,dc=test"
LDAP_ADMIN = "cn=admin," + LDAP_SUFFIX
LDAP_PASSWORD = "ldap-test-pass"


def need(path, package):
    if not os.path.exists(path):
        raise Unavailable("%s is missing (Debian package %s; run tests/live/install.sh)" % (path, package))


def chown_tree(path, user):
    uid, gid = user_ids(user)
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, uid, gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), uid, gid)


def wait_ready(name, port, proc, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    if not wait_for_port(port, deadline) or proc.poll() is not None:
        raise CaptureError("%s did not start on 127.0.0.1:%d\n%s" % (name, port, tail(log_path)))


class Redis:
    name = "redis"

    def start(self, procs, workdir):
        need("/usr/bin/redis-server", "redis-server")
        self.port = free_port()
        data = os.path.join(workdir, "redis")
        os.makedirs(data)
        log_path = os.path.join(workdir, "redis.log")
        proc = procs.start(
            ["/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", data, "--daemonize", "no", "--protected-mode", "no"],
            log_path, "redis-server on 127.0.0.1:%d" % self.port,
        )
        wait_ready("redis-server", self.port, proc, log_path)
        return self


class Memcached:
    name = "memcached"

    def start(self, procs, workdir):
        need("/usr/bin/memcached", "memcached")
        self.port = free_port()
        log_path = os.path.join(workdir, "memcached.log")
        proc = procs.start(
            ["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", "16", "-u", "nobody"],
            log_path, "memcached on 127.0.0.1:%d" % self.port,
        )
        wait_ready("memcached", self.port, proc, log_path)
        return self


class Postgres:
    """A PostgreSQL cluster of its own (initdb), run as the postgres user."""

    name = "postgresql"

    def start(self, procs, workdir):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
        if not bins:
            raise Unavailable("PostgreSQL is not installed (Debian package postgresql)")
        bindir = os.path.dirname(bins[-1])
        self.port = free_port()
        self.bindir = bindir
        self.workdir = workdir
        data = os.path.join(workdir, "pgdata")
        sock = os.path.join(workdir, "pgsock")
        os.makedirs(data, mode=0o700)
        os.makedirs(sock)
        chown_tree(data, "postgres")
        chown_tree(sock, "postgres")
        log_path = os.path.join(workdir, "postgres.log")
        started = time.monotonic()
        init = procs.start(
            [os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-sync", "--no-instructions"],
            log_path, "initdb", user="postgres", cwd=data,
        )
        try:
            init.wait(timeout=START_TIMEOUT * 3)
        except subprocess.TimeoutExpired:
            raise CaptureError("initdb did not finish\n%s" % tail(log_path))
        if init.returncode != 0:
            raise CaptureError("initdb failed\n%s" % tail(log_path))
        proc = procs.start(
            [os.path.join(bindir, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(self.port), "-k", sock,
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            log_path, "postgres on 127.0.0.1:%d" % self.port, user="postgres", cwd=data,
        )
        wait_ready("postgres", self.port, proc, log_path)
        # The port answers before the cluster accepts queries; retry.
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            result = subprocess.run(
                [os.path.join(bindir, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=START_TIMEOUT,
            )
            if result.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise CaptureError("postgres never became ready\n%s" % tail(log_path))
            time.sleep(0.1)
        self.sql(
            "CREATE ROLE %s LOGIN PASSWORD '%s';\nCREATE DATABASE mail OWNER %s;\n" % (DB_USER, DB_PASSWORD, DB_USER),
            database="postgres", user="postgres",
        )
        log("PostgreSQL ready in %.1fs" % (time.monotonic() - started))
        return self

    def sql(self, text, database="mail", user=DB_USER):
        run(None, [os.path.join(self.bindir, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", user,
                   "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"],
            self.workdir, "psql", stdin_text=text)


class MariaDB:
    """A MariaDB data directory of its own (mariadb-install-db)."""

    name = "mariadb"

    def start(self, procs, workdir):
        need("/usr/sbin/mariadbd", "mariadb-server")
        self.port = free_port()
        self.workdir = workdir
        data = os.path.join(workdir, "mysql")
        self.sock = os.path.join(workdir, "mysql", "mysqld.sock")
        os.makedirs(data)
        chown_tree(data, "mysql")
        log_path = os.path.join(workdir, "mariadb.log")
        started = time.monotonic()
        # Small and fast: no binary log, a tiny buffer pool, no fsync.
        server_options = [
            "--no-defaults", "--datadir=" + data, "--user=mysql", "--skip-log-bin",
            "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0", "--skip-name-resolve",
        ]
        install = procs.start(
            ["/usr/bin/mariadb-install-db"] + server_options + ["--auth-root-authentication-method=socket",
                                                                "--skip-test-db"],
            log_path, "mariadb-install-db",
        )
        try:
            install.wait(timeout=START_TIMEOUT * 3)
        except subprocess.TimeoutExpired:
            raise CaptureError("mariadb-install-db did not finish\n%s" % tail(log_path))
        if install.returncode != 0:
            raise CaptureError("mariadb-install-db failed\n%s" % tail(log_path))
        proc = procs.start(
            ["/usr/sbin/mariadbd"] + server_options + [
                "--bind-address=127.0.0.1", "--port=%d" % self.port, "--socket=" + self.sock,
                "--pid-file=" + os.path.join(data, "mariadbd.pid"), "--log-error=" + os.path.join(data, "error.log")],
            log_path, "mariadbd on 127.0.0.1:%d" % self.port,
        )
        wait_ready("mariadbd", self.port, proc, os.path.join(data, "error.log"))
        # The port answers a little before the server takes queries; retry.
        deadline = time.monotonic() + START_TIMEOUT
        while subprocess.run(
            ["/usr/bin/mariadb", "--no-defaults", "--socket=" + self.sock, "-u", "root", "-e", "SELECT 1"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=START_TIMEOUT,
        ).returncode != 0:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise CaptureError("mariadbd never took queries\n%s" % tail(os.path.join(data, "error.log")))
            time.sleep(0.1)
        self.sql(
            "CREATE DATABASE mail;\n"
            "CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s';\n"
            "CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';\n"
            "GRANT ALL ON mail.* TO '%s'@'127.0.0.1';\n"
            "GRANT ALL ON mail.* TO '%s'@'localhost';\n"
            % (DB_USER, DB_PASSWORD, DB_USER, DB_PASSWORD, DB_USER, DB_USER),
            database=None,
        )
        log("MariaDB ready in %.1fs" % (time.monotonic() - started))
        return self

    def sql(self, text, database="mail"):
        args = ["/usr/bin/mariadb", "--no-defaults", "--socket=" + self.sock, "-u", "root"]
        if database:
            args.append(database)
        run(None, args, self.workdir, "mariadb", stdin_text=text)


class Slapd:
    """An OpenLDAP server with its own slapd.conf and MDB database."""

    name = "slapd"

    def __init__(self, ldif):
        self.ldif = ldif

    def start(self, procs, workdir):
        need("/usr/sbin/slapd", "slapd")
        self.port = free_port()
        base = os.path.join(workdir, "ldap")
        data = os.path.join(base, "data")
        os.makedirs(data)
        conf = os.path.join(base, "slapd.conf")
        with open(conf, "w") as handle:
            handle.write(
                "include /etc/ldap/schema/core.schema\n"
                "include /etc/ldap/schema/cosine.schema\n"
                "include /etc/ldap/schema/nis.schema\n"
                "include /etc/ldap/schema/inetorgperson.schema\n"
                "modulepath /usr/lib/ldap\n"
                "moduleload back_mdb\n"
                "pidfile %(base)s/slapd.pid\n"
                "argsfile %(base)s/slapd.args\n"
                "database mdb\n"
                "maxsize 16777216\n"
                "suffix \"%(suffix)s\"\n"
                "rootdn \"%(admin)s\"\n"
                "rootpw %(password)s\n"
                "directory %(data)s\n"
                "index objectClass eq\n"
                "index uid eq\n"
                "access to attrs=userPassword by anonymous auth by * none\n"
                "access to * by * read\n"
                % {"base": base, "suffix": LDAP_SUFFIX, "admin": LDAP_ADMIN, "password": LDAP_PASSWORD, "data": data}
            )
        ldif_path = os.path.join(base, "data.ldif")
        with open(ldif_path, "w") as handle:
            handle.write(self.ldif)
        run(None, ["/usr/sbin/slapadd", "-f", conf, "-l", ldif_path], workdir, "slapadd")
        log_path = os.path.join(workdir, "slapd.log")
        # -d keeps slapd in the foreground (a child of this script).
        proc = procs.start(
            ["/usr/sbin/slapd", "-d", "0", "-f", conf, "-h", "ldap://127.0.0.1:%d/" % self.port],
            log_path, "slapd on 127.0.0.1:%d" % self.port,
        )
        wait_ready("slapd", self.port, proc, log_path)
        return self


def remove_workdir(path):
    shutil.rmtree(path, ignore_errors=True)
