#!/usr/bin/env python3
"""Counts what the checked-in captures of real Dovecot exports show.

Reads tests/fixtures/exports/<release>/ (the `base` capture) and every
configuration subdirectory, and prints, per release and configuration, the
distinct event names and the distinct event/field pairs the exporters sent,
plus the union per release. Global fields (duration, reason_code) are left
out of the pairs, as `dovecot-eventgen stats` leaves them out of the
schema's pairs. The captures are trimmed to one event per name, categories
and field names, so these distinct counts are those of the untrimmed runs.

Usage: python3 tools/export-coverage/coverage.py [--markdown] [EXPORTS_DIR]
"""

import json
import sys
from pathlib import Path

GLOBAL_FIELDS = {"duration", "reason_code"}
CAPTURE = "json-unix.jsonl"


def read(path):
    """The distinct event names and event/field pairs of one capture file."""
    names, pairs = set(), set()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            name = event["event"]
            names.add(name)
            pairs.update(
                (name, field) for field in event.get("fields", {}) if field not in GLOBAL_FIELDS
            )
    return names, pairs


def main(argv):
    markdown = "--markdown" in argv
    args = [a for a in argv if a != "--markdown"]
    root = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "tests/fixtures/exports"
    releases = sorted(d for d in root.iterdir() if d.is_dir())
    rows = []
    for release in releases:
        configs = [("base", release)] + sorted(
            (d.name, d) for d in release.iterdir() if d.is_dir()
        )
        all_names, all_pairs = set(), set()
        for config, directory in configs:
            names, pairs = read(directory / CAPTURE)
            all_names |= names
            all_pairs |= pairs
            rows.append((release.name, config, len(names), len(pairs)))
        rows.append((release.name, "all", len(all_names), len(all_pairs)))
    if markdown:
        print("| release | configuration | event names | event/field pairs |")
        print("| --- | --- | ---: | ---: |")
        for release, config, names, pairs in rows:
            label = "**all**" if config == "all" else f"`{config}`"
            print(f"| {release} | {label} | {names} | {pairs} |")
    else:
        for release, config, names, pairs in rows:
            print(f"{release}\t{config}\t{names}\t{pairs}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
