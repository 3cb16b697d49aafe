#!/usr/bin/env python3
"""Peak memory of `dovecot-eventgen verify` on large exports, streamed
through standard input (nothing is written to disk).

    tools/verify-memory/measure.py [MEGABYTES]     (default 200)

Builds the release binary, then feeds it, for each variant, MEGABYTES of
exported events and prints the maximum resident set size the kernel
recorded for the process (wait4's ru_maxrss), its exit code and the
report's last line. Variants:

- json: the real 2.4.1 JSON exports of tests/fixtures (every configuration),
  repeated; checked against 2.3.19, so most lines have findings;
- tab-text: the same for tab-text;
- long-lines: lines just under verify's line cap (4 MiB), each a JSON
  object of tiny unknown fields (the most a line can cost to hold and
  parse);
- over-cap: lines of 20 MiB, past the cap (skipped without being held).

Exits 1 when a variant's peak is 128 MiB or more.
"""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIMIT_KB = 128 * 1024
# verify's default `Limits::line_bytes`.
LINE_CAP = 4 << 20


def fixture_lines(name):
    lines = []
    for path in sorted((ROOT / "tests/fixtures/exports/2.4.1").rglob(name)):
        lines.extend(l for l in path.read_bytes().splitlines(keepends=True) if l.strip())
    return lines


def repeated(lines, total):
    block = b"".join(lines)
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def long_lines(total, line_bytes):
    field = b'"a":1,'
    count = (line_bytes - 64) // len(field)
    line = b'{"event":"imap_command_finished","fields":{' + field * count + b'"b":2}}\n'
    sent = 0
    while sent < total:
        yield line
        sent += len(line)


def run(binary, chunks):
    child = subprocess.Popen(
        [binary, "verify", "-", "--target", "2.3.19"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    sent = 0
    # The report is small, but read it on the side so that the child never
    # blocks on a full pipe while this process writes.
    import threading

    out = []
    reader = threading.Thread(target=lambda: out.append(child.stdout.read()))
    reader.start()
    for chunk in chunks:
        child.stdin.write(chunk)
        sent += len(chunk)
    child.stdin.close()
    reader.join()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    last = out[0].decode(errors="replace").strip().splitlines()[-1:] or [""]
    return sent, usage.ru_maxrss, child.returncode, last[0]


def main():
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    total = megabytes << 20
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "-p", "dovecot-eventgen"],
        cwd=ROOT,
        check=True,
    )
    binary = str(ROOT / "target/release/dovecot-eventgen")
    variants = [
        ("json", lambda: repeated(fixture_lines("json-unix.jsonl"), total)),
        ("tab-text", lambda: repeated(fixture_lines("tab-text.txt"), total)),
        ("long-lines", lambda: long_lines(total, LINE_CAP - 1)),
        ("over-cap", lambda: long_lines(total, 20 << 20)),
    ]
    worst = 0
    for name, chunks in variants:
        sent, peak_kb, code, last = run(binary, chunks())
        worst = max(worst, peak_kb)
        print(f"{name:<11} {sent / (1 << 20):7.1f} MiB in  peak RSS {peak_kb / 1024:6.1f} MiB  exit {code}  {last}")
    sys.exit(0 if worst < LIMIT_KB else 1)


if __name__ == "__main__":
    main()
