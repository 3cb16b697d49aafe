#!/usr/bin/env bash
# What each published crate ships: files, bytes unpacked, and the size of
# the .crate archive, from `cargo package --workspace` (without
# verification, which .ci/run does separately).
#
# Usage: tools/package-sizes.sh [REPO]   (default: this checkout)
set -euo pipefail
repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$repo"
target=$(mktemp -d "${TMPDIR:-/tmp}/dovecot-package-sizes.XXXXXX")
trap 'rm -rf "$target"' EXIT
cargo package -q --workspace --no-verify --allow-dirty --target-dir "$target" >/dev/null 2>"$target/log" ||
    { cat "$target/log" >&2; exit 1; }
printf '| crate | files | unpacked | .crate |\n| --- | --- | --- | --- |\n'
# Only the crates that are published (not the tests or xtask).
published=$(cargo metadata --no-deps --format-version 1 |
    python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p.get("publish") != []:
        print(p["name"] + "-" + p["version"])')
for crate in "$target"/package/*.crate; do
    name=$(basename "$crate" .crate)
    grep -qx "$name" <<<"$published" || continue
    files=$(tar tzf "$crate" | grep -vc '/$')
    bytes=$(tar tvzf "$crate" | awk '{s += $3} END {print s + 0}')
    printf '| %s | %s | %s KiB | %s KiB |\n' "$name" "$files" $((bytes / 1024)) $(($(stat -c %s "$crate") / 1024))
done
