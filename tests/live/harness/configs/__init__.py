"""The named capture configurations, in the order `--config all` runs them.

Each module defines one or more subclasses of `harness.config.Config`.
"""

from harness.configs.auth import Auth
from harness.configs.base import Base
from harness.configs.dict import Dict
from harness.configs.director import Director
from harness.configs.fts import Fts
from harness.configs.ldap import Ldap
from harness.configs.lua import Lua
from harness.configs.migration import Migration
from harness.configs.plugins import Plugins
from harness.configs.proxy import Proxy
from harness.configs.replication import Replication
from harness.configs.sieve import Sieve
from harness.configs.sql import SqlMysql, SqlPgsql, SqlSqlite

ALL = [Base, Dict, SqlSqlite, SqlPgsql, SqlMysql, Ldap, Auth, Lua, Plugins, Fts, Sieve, Proxy, Director, Replication, Migration]
BY_NAME = {config.name: config for config in ALL}
