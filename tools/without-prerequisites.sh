#!/usr/bin/env bash
# Runs a command as on a machine where `tests/live/install.sh` never ran:
# in a private mount namespace, /dev/null is mounted over the Dovecot 2.3
# binary and every headless browser the tests look for, and an empty
# directory over the cache that holds the Dovecot 2.4 chroot. Nothing
# outside the namespace changes, and the mounts end with the command.
#
#   sudo tools/without-prerequisites.sh cargo test --workspace
#   sudo tools/without-prerequisites.sh env DOVECOT_EVENTS_REQUIRE_LIVE=1 cargo test --workspace
#
# The first must pass with a SKIPPED line per test that needs Dovecot or a
# browser; the second must fail, naming what is missing.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG]..." >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "$0: must run as root (it mounts in a private mount namespace)" >&2
    exit 2
fi

if [ "${WITHOUT_PREREQUISITES_INSIDE:-}" != 1 ]; then
    exec env WITHOUT_PREREQUISITES_INSIDE=1 unshare --mount --propagation private "$0" "$@"
fi
unset WITHOUT_PREREQUISITES_INSIDE

hide() { # Mounts /dev/null over a regular file (once: then it is not one).
    if [ -f "$1" ]; then
        mount --bind /dev/null "$1"
        echo "hidden: $1" >&2
    fi
}

hide /usr/sbin/dovecot
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
    for browser in chromium chromium-browser google-chrome; do
        # The real file, so that a link on PATH is hidden too.
        if [ -e "$dir/$browser" ]; then
            hide "$(readlink -f "$dir/$browser")"
        fi
    done
done
cache=${DOVECOT_EVENTS_CACHE:-/var/cache/dovecot-events}
if [ -d "$cache" ]; then
    empty=$(mktemp -d)
    mount --bind "$empty" "$cache"
    echo "hidden: $cache" >&2
fi

exec "$@"
