"""`fts`: full-text search with the backend each release ships (Lucene on
Debian 12's 2.3, Flatcurve on Debian 13's 2.4), indexed automatically on
delivery through the indexer service and its workers, and on demand.

Traffic: LMTP deliveries (fts_autoindex queues them to the indexer),
IMAP SEARCH BODY/TEXT/SUBJECT, doveadm index (directly and queued with -q
through the indexer), doveadm fts rescan/optimize, doveadm search body.
"""

from harness.clients import imap, lmtp_deliver, message
from harness.common import log
from harness.config import Config

USERS = {"alice@example.test": "alice-test-pass"}

SETTINGS_2_3 = """
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
mail_plugins = $mail_plugins fts fts_lucene
plugin {{
  fts = lucene
  fts_lucene = whitespace_chars=@.
  fts_autoindex = yes
  fts_enforced = yes
}}
service indexer-worker {{
  process_limit = 2
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
  fts = yes
  fts_flatcurve = yes
}}
fts flatcurve {{
  substring_search = yes
}}
fts_autoindex = yes
fts_search_add_missing = yes
language en {{
  default = yes
}}
language_tokenizers = generic email-address
service indexer-worker {{
  process_limit = 2
}}
"""

BODIES = [
    ("quarterly report", "The quarterly numbers for the sunflower project look excellent."),
    ("lunch", "Shall we meet for lunch near the harbour on Friday?"),
    ("invoice", "Please find the invoice for the sunflower seeds attached."),
]


class Fts(Config):
    name = "fts"
    summary = "full-text search (Lucene on 2.3, Flatcurve on 2.4), indexer service, doveadm index/fts"

    def skipped(self, series):
        if series == "2.4":
            return [("fts-lucene", "not in Dovecot 2.4 (Debian 13 ships dovecot-flatcurve instead)"),
                    ("fts-solr", "no Solr server in Debian; the dovecot-solr client has nothing to talk to")]
        return [("fts-flatcurve", "Debian 12 (2.3.19) ships no dovecot-flatcurve package"),
                ("fts-solr", "no Solr server in Debian; the dovecot-solr client has nothing to talk to")]

    def setup(self, run):
        dovecot = self.dovecot = run.instance()
        users = dovecot.passwd_file(USERS)
        dovecot.render(run.pick(SETTINGS_2_3, SETTINGS_2_4).format(users=users))

    def drive(self, run):
        dovecot = self.dovecot
        ports = dovecot.ports
        user = "alice@example.test"
        lmtp_deliver(ports["lmtp"], [(user, subject, body) for subject, body in BODIES])
        client = imap(ports["imap"], user, USERS[user])
        client.create("Archive")
        client.append("Archive", None, None, message(user, user, "archived sunflower notes", "Sunflowers, again."))
        client.select("INBOX")
        client.search(None, "BODY", "sunflower")
        client.search(None, "TEXT", "harbour")
        client.search(None, "SUBJECT", "invoice")
        client.uid("SEARCH", None, "OR", "BODY", "numbers", "BODY", "seeds")
        client.logout()
        dovecot.doveadm(["index", "-u", user, "*"])
        dovecot.doveadm(["index", "-u", user, "-q", "Archive"])
        dovecot.doveadm(["fts", "rescan", "-u", user])
        dovecot.doveadm(["index", "-u", user, "INBOX"])
        dovecot.doveadm(["fts", "optimize", "-u", user])
        dovecot.doveadm(["search", "-u", user, "mailbox", "*", "body", "sunflower"])
        client = imap(ports["imap"], user, USERS[user])
        client.select("Archive", readonly=True)
        client.search(None, "BODY", "sunflowers")
        client.logout()
        log("FTS: done")
