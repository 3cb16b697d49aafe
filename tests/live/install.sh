#!/usr/bin/env bash
# Installs what the live tests (tests/live.rs, tests/live/capture.py) need,
# idempotently; run as root:
#
#   - on the host (Debian 12): python3, debootstrap, the Dovecot 2.3.19
#     packages with every plugin package the capture configurations use,
#     and the backing servers those configurations start privately on
#     loopback (redis-server, memcached, postgresql, mariadb-server, slapd);
#   - a Debian trixie chroot (debootstrap --variant=minbase) with the
#     Dovecot 2.4.1 packages and plugin packages, cached under
#     $DOVECOT_EVENTS_CACHE (default /var/cache/dovecot-events). The backing
#     servers run on the host for both releases (the chroot shares loopback),
#     so the chroot holds only Dovecot and its client modules.
#
# The chroot is built in a `trixie-KEY.partial.PID` directory and renamed to
# `trixie-KEY` only once it is complete, so a half-built chroot is never
# used; KEY is a hash of the suite, mirror and package list. The stable
# path `$DOVECOT_EVENTS_CACHE/trixie` is a symlink to the current complete
# chroot, and is what capture.py and tests/live.rs use. A second run finds
# everything in place and takes about a second.
#
# No system service (Dovecot, PostgreSQL, MariaDB, slapd, Redis, memcached)
# is started: a policy-rc.d that exits 101 is in place while packages are
# installed, on the host and in the chroot. capture.py never uses a
# system-wide instance of any of them: it starts its own, with private data
# directories, and stops them by pid.
set -euo pipefail

SUITE=trixie
MIRROR=${DOVECOT_EVENTS_MIRROR:-http://deb.debian.org/debian}
CACHE=${DOVECOT_EVENTS_CACHE:-/var/cache/dovecot-events}
# Dovecot and the plugin packages both releases ship under these names.
DOVECOT_PACKAGES=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-submissiond dovecot-sieve
    dovecot-managesieved dovecot-sqlite dovecot-pgsql dovecot-mysql dovecot-ldap dovecot-auth-lua)
# Full-text search: Debian 12 ships the Lucene backend (2.3 only), Debian 13
# the Flatcurve backend (2.4 only).
HOST_DOVECOT_PACKAGES=("${DOVECOT_PACKAGES[@]}" dovecot-lucene)
CHROOT_DOVECOT_PACKAGES=("${DOVECOT_PACKAGES[@]}" dovecot-flatcurve)
# The servers behind the capture configurations; capture.py starts private
# instances of them on loopback.
BACKING_PACKAGES=(redis-server memcached postgresql mariadb-server slapd)
# chromium: the headless browser of tests/docs_html.rs.
HOST_PACKAGES=(python3 debootstrap chromium "${HOST_DOVECOT_PACKAGES[@]}" "${BACKING_PACKAGES[@]}")
# Bump when the way the chroot is built changes, to force a rebuild.
RECIPE=2

say() { printf 'install.sh: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    say "must run as root (it installs packages and builds a chroot)"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Runs "$@" with a policy-rc.d under $1 that forbids starting services.
# An existing policy-rc.d is left alone.
with_policy() {
    local root=$1
    shift
    local policy=$root/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        created=1
    fi
    local rc=0
    "$@" || rc=$?
    if [ "$created" = 1 ]; then rm -f "$policy"; fi
    return "$rc"
}

# --- host packages ----------------------------------------------------------
missing=()
for pkg in "${HOST_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing on the host: ${missing[*]}"
    apt-get update -qq
    with_policy "" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "host packages already installed"
fi

# --- the trixie chroot ------------------------------------------------------
key=$(printf '%s\n' "$RECIPE" "$SUITE" "$MIRROR" "${CHROOT_DOVECOT_PACKAGES[@]}" | sha256sum | cut -c1-12)
final=$CACHE/$SUITE-$key
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

# Removes a directory that is not (or no longer) the current chroot. It
# never crosses into a mounted file system (builds run in their own mount
# namespace, so none should be left, but a path could still be mounted).
remove_tree() {
    if grep -q " $1/" /proc/mounts; then
        say "not removing $1: something is mounted below it"
        return 0
    fi
    rm -rf --one-file-system "$1"
}

if [ ! -d "$final" ]; then
    for stale in "$CACHE/$SUITE"-*.partial.*; do
        [ -e "$stale" ] || continue
        say "removing an unfinished chroot: $stale"
        remove_tree "$stale"
    done
    work=$final.partial.$$
    started=$(date +%s)
    say "building the $SUITE chroot in $work (about a minute)"
    # A private mount namespace: whatever debootstrap and the package
    # scripts mount inside the chroot disappears when they exit, even if
    # they fail.
    unshare --mount --propagation private \
        debootstrap --variant=minbase "$SUITE" "$work" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
        say "debootstrap failed; last lines of $CACHE/debootstrap.log:"
        tail -n 30 "$CACHE/debootstrap.log" >&2
        exit 1
    }
    with_policy "$work" unshare --mount --propagation private sh -c '
        set -e
        mount -t proc proc "$1/proc"
        root=$1
        shift
        chroot "$root" apt-get install -y -qq --no-install-recommends "$@"
        chroot "$root" apt-get clean
    ' sh "$work" "${CHROOT_DOVECOT_PACKAGES[@]}" >"$CACHE/apt.log" 2>&1 || {
        say "installing Dovecot in the chroot failed; last lines of $CACHE/apt.log:"
        tail -n 30 "$CACHE/apt.log" >&2
        exit 1
    }
    chroot "$work" dpkg-query -W "${CHROOT_DOVECOT_PACKAGES[@]}" >"$work/.dovecot-events-packages"
    mv -T "$work" "$final"
    say "chroot ready in $(($(date +%s) - started)) s: $final"
else
    say "chroot cached: $final"
fi

ln -sfn "$(basename "$final")" "$CACHE/$SUITE.new"
mv -T "$CACHE/$SUITE.new" "$CACHE/$SUITE"

# Chroots built from an older recipe or package list.
for old in "$CACHE/$SUITE"-*; do
    case $old in
    "$final" | *.partial.*) ;;
    *)
        if [ -d "$old" ] && [ ! -L "$old" ]; then
            say "removing an outdated chroot: $old"
            remove_tree "$old"
        fi
        ;;
    esac
done

say "Dovecot on the host: $(dovecot --version)"
say "Dovecot in $CACHE/$SUITE: $(chroot "$CACHE/$SUITE" dovecot --version)"
