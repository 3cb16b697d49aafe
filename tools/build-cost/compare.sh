#!/usr/bin/env bash
# Clean `cargo build -p dovecot-events` (all default features), this
# checkout against a baseline commit, in one run.
#
# Each side builds in a target directory of its own, deleted before every
# build, with CARGO_INCREMENTAL=0 (as a clean build by a user or CI). The
# runs alternate between the two sides so that a change in machine load
# hits both alike; the table shows the median and range of N wall times,
# and the median CPU time (user + system of cargo and every compiler it
# ran), which other processes disturb less.
#
# Usage: tools/build-cost/compare.sh [N] [BASELINE]
#   N         runs per side (default 3)
#   BASELINE  a commit (default 7ce5aa6, the last commit with the single
#             generated.rs file, before the declarative generated code)
# Environment: KEEP=1 keeps the temporary directory.
#
# Run it on an otherwise idle machine; the load average is printed before
# and after.

set -euo pipefail

runs=${1:-3}
baseline=${2:-7ce5aa6}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [N] [BASELINE]" >&2
    exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dovecot-build-compare.XXXXXX")
cleanup() {
    git -C "$repo" worktree remove --force "$work/baseline" >/dev/null 2>&1 || true
    if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
unset RUSTFLAGS CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never

git -C "$repo" worktree add --quiet --detach "$work/baseline" "$baseline"
# Fetch every dependency first, so no run pays for downloads.
(cd "$work/baseline" && cargo fetch -q)
(cd "$repo" && cargo fetch -q)

declare -A walls cpus
one() { # side dir
    local side=$1 dir=$2 target=$work/target-$1 wall user sys
    rm -rf "$target"
    /usr/bin/time -o "$work/time" -f '%e %U %S' \
        cargo build -q -p dovecot-events --manifest-path "$dir/Cargo.toml" --target-dir "$target" \
        >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
    read -r wall user sys <"$work/time"
    walls[$side]+="$wall "
    cpus[$side]+="$(echo "$user + $sys" | bc) "
    printf '  %-9s %6.2f s wall, %6.2f s CPU\n' "$side" "$wall" "$(echo "$user + $sys" | bc)"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
    echo "run $i/$runs"
    one baseline "$work/baseline"
    one current "$repo"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
range() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk 'NR==1{lo=$1} {hi=$1} END {printf "%s-%s", lo, hi}'; }
base_wall=$(median <<<"${walls[baseline]}")
cur_wall=$(median <<<"${walls[current]}")
echo
echo "| side | clean build, wall (median of $runs) | range | CPU (median) |"
echo "| --- | --- | --- | --- |"
echo "| baseline $baseline | ${base_wall} s | $(range <<<"${walls[baseline]}") | $(median <<<"${cpus[baseline]}") s |"
echo "| current $(git -C "$repo" rev-parse --short HEAD) | ${cur_wall} s | $(range <<<"${walls[current]}") | $(median <<<"${cpus[current]}") s |"
echo
awk -v b="$base_wall" -v c="$cur_wall" 'BEGIN { printf "current is %.0f%% faster than the baseline (wall, median)\n", (1 - c / b) * 100 }'
