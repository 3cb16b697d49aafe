"""Writing captures: one file per exporter, optionally trimmed."""

import collections
import json
import os

from harness.common import CaptureError, log
from harness.dovecot import EXPORTERS


def signature(fmt, body):
    """What makes an event distinct for --trim: its name, categories and
    field names (not the values)."""
    if fmt == "json":
        event = json.loads(body)
        return (event.get("event"), tuple(sorted(event.get("categories", []))),
                tuple(sorted(event.get("fields", {}))))
    name, categories, fields = None, [], []
    for item in body.split(b"\t"):
        key, _, value = item.partition(b":")
        if key == b"event":
            name = value.decode("utf-8", "replace")
        elif key == b"category":
            categories.append(value)
        elif key == b"field":
            fields.append(value.split(b"=", 1)[0])
    return (name, tuple(sorted(categories)), tuple(sorted(fields)))


def write_outputs(records, out_dir, trim=None):
    """Writes one file per exporter and returns the event count per file.

    With trim N, only the first N events of each signature (name,
    categories, field names) are kept in each file.  Every format holds
    the same events, so every file keeps the same signatures.
    """
    by_path = collections.defaultdict(list)
    for path, ctype, body in records:
        by_path[path].append((ctype, body))
    unknown = set(by_path) - {"/" + exporter[0] for exporter in EXPORTERS}
    if unknown:
        raise CaptureError("Unexpected POST paths: %s" % ", ".join(sorted(unknown)))

    os.makedirs(out_dir, exist_ok=True)
    counts = collections.OrderedDict()
    for name, fmt, _time, file_name, want_ctype in EXPORTERS:
        bodies = []
        seen = collections.Counter()
        for ctype, body in by_path.get("/" + name, []):
            if trim is not None:
                key = signature(fmt, body)
                seen[key] += 1
                if seen[key] > trim:
                    continue
            if ctype.split(";")[0].strip() != want_ctype:
                log("warning: %s sent Content-Type %r, expected %r" % (name, ctype, want_ctype))
            # One event per line only works if no body contains a newline;
            # Dovecot escapes newlines in both formats, so this must hold.
            if b"\n" in body:
                raise CaptureError("A %s body contains a raw newline: %r" % (name, body[:200]))
            bodies.append(body)
        with open(os.path.join(out_dir, file_name), "wb") as handle:
            handle.write(b"".join(body + b"\n" for body in bodies))
        counts[name] = len(bodies)
    return counts


def summarize(out_dir):
    """Prints the event names and counts found in the JSON RFC 3339 file."""
    names = collections.Counter()
    with open(os.path.join(out_dir, EXPORTERS[0][3]), "rb") as handle:
        for line in handle:
            names[json.loads(line)["event"]] += 1
    for name, count in sorted(names.items()):
        print("%5d  %s" % (count, name))
    return names
