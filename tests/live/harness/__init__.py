"""The modules behind tests/live/capture.py (Python standard library only).

- common: logging, errors, time limits, running programs, the chroot target,
  processes started and stopped by pid;
- sinks: the HTTP event collector and the other small servers that run
  inside the script (SMTP sink, auth policy server, push-notification sink);
- backends: private instances of the real backing servers (Redis,
  memcached, PostgreSQL, MariaDB, slapd) on loopback;
- dovecot: one private Dovecot instance (configuration, start, stop);
- clients: protocol clients that drive traffic;
- configs: the named capture configurations.
"""
