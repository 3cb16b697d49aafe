#!/usr/bin/env python3
"""Derive a machine-readable summary of Dovecot event names and fields.

This script reads a bare git mirror of the Dovecot core repository (and,
optionally, of Pigeonhole) and, for every release tag of the 2.3 and 2.4
release lines, extracts the event names and event fields that the C code
under src/ sets.  It never checks out a work tree: it lists each tag's tree
with "git ls-tree", reads every distinct blob once with "git cat-file
--batch" and caches the per-blob parse result in memory, so files that do
not change between releases are parsed only once.

Only derived facts (names, kinds, tags, file paths) are written; no Dovecot
source text is copied into the outputs.

Usage:
    python3 tools/source-scan/scan.py --git-dir DIR \
        [--pigeonhole-git-dir DIR] --out tools/source-scan/

It uses the Python 3 standard library only.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

# These regular expressions select the release tags we scan.  Release
# candidates, alphas and betas are skipped because their names contain
# letters.
CORE_TAG_RE = re.compile(r"^2\.(3|4)\.\d+(\.\d+)?$")
PIGEONHOLE_TAG_RE = re.compile(r"^(0\.5|2\.4)\.\d+(\.\d+)?$")

# These calls set an event's name; the name is their last argument.  The
# plain functions take the event first, the passthrough methods
# ("->set_name(") take only the name.
NAME_FUNCS = {"event_set_name": 1, "e_set_name": None}
NAME_METHODS = {"set_name": 0}

# These calls add a field; the value maps the call to the field kind and to
# the index of the key argument.  Functions take the event as their first
# argument, so their key is argument 1; passthrough methods take the key as
# argument 0.
FIELD_FUNCS = {
    "event_add_str": ("str", 1),
    "event_add_int": ("int", 1),
    "event_add_int_nonzero": ("int", 1),
    "event_inc_int": ("int", 1),
    "event_add_timeval": ("timeval", 1),
    "event_add_ip": ("ip", 1),
    "event_strlist_append": ("strlist", 1),
    "event_strlist_replace": ("strlist", 1),
    "event_add_strlist": ("strlist", 1),
}
FIELD_METHODS = {
    "add_str": ("str", 0),
    "add_int": ("int", 0),
    "add_int_nonzero": ("int", 0),
    "inc_int": ("int", 0),
    "add_timeval": ("timeval", 0),
    "add_ip": ("ip", 0),
    "strlist_append": ("strlist", 0),
    "strlist_replace": ("strlist", 0),
}
# The event_add_fields() helper (and its passthrough twin) takes an array of
# struct event_add_field initialisers; the member that is set decides the
# kind of the field.
ADD_FIELDS_MEMBER_KIND = {
    "value": "str",
    "value_intmax": "int",
    "value_timeval": "timeval",
    "value_ip": "ip",
}

FUNC_CALL_RE = re.compile(
    r"(?<![A-Za-z0-9_>.])(" +
    "|".join(sorted(list(NAME_FUNCS) + list(FIELD_FUNCS) +
                    ["event_add_fields"], key=len, reverse=True)) +
    r")\s*\(")
METHOD_CALL_RE = re.compile(
    r"->\s*(" +
    "|".join(sorted(list(NAME_METHODS) + list(FIELD_METHODS) +
                    ["add_fields"], key=len, reverse=True)) +
    r")\s*\(")
DEFINE_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)"
                       r"[ \t]+([^\n]*)$", re.M)
ADD_FIELD_INIT_RE = re.compile(
    r"\.key\s*=\s*([^,}]+?)\s*,\s*\.(value(?:_intmax|_timeval|_ip)?)\s*=")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The printf conversion specification regex turns a format string into a
# glob by replacing every conversion with "*".
PRINTF_SPEC_RE = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|j|z|t|L)?"
                            r"[diouxXeEfgGcspn%]|%\"\s*PRI[A-Za-z0-9_]+\s*\"")


def run_git(git_dir, *args):
    """Run a git command against the bare repository and return stdout."""
    return subprocess.run(["git", "-C", git_dir] + list(args), check=True,
                          stdout=subprocess.PIPE).stdout


def version_key(tag):
    """Return a sort key that orders dotted numeric tags numerically."""
    return tuple(int(p) for p in tag.split("."))


def list_tags(git_dir, tag_re):
    """Return the release tags matching tag_re, oldest first."""
    tags = run_git(git_dir, "tag").decode().split()
    return sorted((t for t in tags if tag_re.match(t)), key=version_key)


def release_line(repo, tag):
    """Map a tag to the Dovecot release line ("2.3" or "2.4") it belongs to.

    Pigeonhole 0.5.x was released alongside Dovecot 2.3.x, and from 2.4 on
    Pigeonhole uses Dovecot's version numbers.
    """
    if repo == "pigeonhole" and tag.startswith("0.5."):
        return "2.3"
    return ".".join(tag.split(".")[:2])


def is_excluded(path):
    """Tell whether a source path is a test or fuzzer, or not C at all.

    Test programs set made-up event names and fields, so they would only add
    noise.
    """
    base = os.path.basename(path)
    if base.startswith("test-") or base.startswith("fuzz-"):
        return True
    if "/test-" in path or "/lib-test/" in path:
        return True
    return not path.endswith((".c", ".h", ".cc", ".cpp", ".cxx"))


def is_event_library(path):
    """Tell whether a path is the event library itself.

    The event library (lib-event.c/.h) mostly passes names through
    variables (its passthrough wrappers), so only the literal names it sets
    (such as "user_cpu_usecs") are kept; its unresolved expressions are not
    listed in dynamic.tsv.
    """
    return os.path.basename(path) in ("lib-event.c", "lib-event.h",
                                      "lib-event-private.h")


def strip_comments(text):
    """Blank out C comments while keeping string literals and line breaks.

    Comments are replaced by spaces (newlines are kept) so that example code
    inside comments is not mistaken for real calls.
    """
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join("\n" if ch == "\n" else " "
                               for ch in text[i:j]))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_args(text, pos):
    """Split the argument list that starts just after the "(" at pos.

    The function returns the list of top-level arguments (as stripped source
    text), taking nested brackets, string and character literals into
    account.
    """
    depth = 0
    args = []
    cur = []
    i = pos
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append("".join(cur).strip())
                return args
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    args.append("".join(cur).strip())
    return args


def split_top(expr, sep):
    """Split expr at top-level occurrences of the one-character sep."""
    parts = []
    depth = 0
    cur = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < len(expr) and expr[j] != c:
                j += 2 if expr[j] == "\\" else 1
            cur.append(expr[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return parts


def unescape(body):
    """Decode the simple C escapes that can appear in event and field names."""
    return (body.replace('\\"', '"').replace("\\\\", "\\")
            .replace("\\n", "\n").replace("\\t", "\t"))


TOKEN_RE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))')


def strip_parens(expr):
    """Remove parentheses that enclose the whole expression."""
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, c in enumerate(expr):
            depth += c == "("
            depth -= c == ")"
            if depth == 0:
                break
        if i != len(expr) - 1:
            break
        expr = expr[1:-1].strip()
    return expr


def concat_literal(expr, defines, depth=0):
    """Evaluate a sequence of string literals and literal macros.

    It returns the concatenated string, or None when the expression contains
    anything else.  Macros are looked up in the defines callable, which
    returns the macro's body or None.
    """
    expr = strip_parens(expr)
    if not expr or depth > 5:
        return None
    pos = 0
    out = []
    while pos < len(expr):
        m = TOKEN_RE.match(expr, pos)
        if not m or m.end() == pos:
            if expr[pos:].strip() == "":
                break
            return None
        if m.group(1) is not None:
            out.append(unescape(m.group(1)))
        else:
            body = defines(m.group(2))
            if body is None:
                return None
            val = concat_literal(body, defines, depth + 1)
            if val is None:
                return None
            out.append(val)
        pos = m.end()
    return "".join(out) if out else None


def analyze(expr, defines, text, depth=0):
    """Turn a name or key argument into a list of (value, how) pairs.

    "how" is one of:
      literal  - a string literal (possibly concatenated),
      define   - a macro that expands to a literal,
      ternary  - one branch of a "cond ? a : b" expression,
      variable - a local variable assigned a literal in the same file,
      pattern  - a run-time built name; value is a glob ("id_param_*"),
      dynamic  - nothing could be resolved; value is the source expression.
    """
    expr = " ".join(expr.split())
    lit = concat_literal(expr, defines)
    if lit is not None:
        how = "literal" if expr.lstrip().startswith('"') and \
            re.fullmatch(r'\s*("(?:[^"\\]|\\.)*"\s*)+', expr) else "define"
        return [(lit, how)]
    if depth > 2:
        return [(expr, "dynamic")]
    # A conditional expression yields both branches.
    q = split_top(expr, "?")
    if len(q) == 2:
        branches = split_top(q[1], ":")
        if len(branches) == 2:
            res = []
            for b in branches:
                for val, how in analyze(b, defines, text, depth + 1):
                    res.append((val, "ternary" if how in
                                ("literal", "define") else how))
            return res
    # Strings built at run time become glob patterns.
    m = re.match(r"^(t_strconcat|p_strconcat|t_strdup_printf|"
                 r"p_strdup_printf)\s*\(", expr)
    if m:
        args = read_args(expr, m.end())
        if m.group(1).startswith("p_"):
            args = args[1:]
        if m.group(1).endswith("printf") and args:
            fmt = concat_literal(args[0], defines)
            if fmt is not None:
                return [(PRINTF_SPEC_RE.sub("*", fmt), "pattern")]
        elif args:
            parts = []
            for a in args:
                if a == "NULL":
                    break
                v = concat_literal(a, defines)
                parts.append("*" if v is None else v)
            glob = re.sub(r"\*+", "*", "".join(parts))
            if glob.strip("*"):
                return [(glob, "pattern")]
        return [(expr, "dynamic")]
    # A plain local variable is resolved through its assignments in the
    # same file.
    if IDENT_RE.match(expr) and not expr.isupper():
        res = []
        for am in re.finditer(r"(?<![A-Za-z0-9_.>])" + re.escape(expr) +
                              r"\s*=(?!=)\s*([^;]+);", text):
            for val, how in analyze(am.group(1), defines, text, depth + 1):
                if how != "dynamic":
                    res.append((val, "variable" if how in
                                ("literal", "define", "ternary") else how))
        if res:
            return sorted(set(res))
    return [(expr, "dynamic")]


def parse_blob(text):
    """Extract defines and raw (unresolved) name/field expressions.

    The result is cached per blob, so it must not depend on the tag.  It
    returns (defines, names, fields) where names is a list of argument
    expressions and fields a list of (expression, kind) pairs.
    """
    defines = {}
    for m in DEFINE_RE.finditer(text):
        body = m.group(2).strip()
        if body.startswith('"') or IDENT_RE.match(body):
            defines.setdefault(m.group(1), body)
    if "set_name" not in text and "add_" not in text and \
            "strlist" not in text and "inc_int" not in text:
        return defines, [], []
    code = strip_comments(text)
    names = []
    fields = []
    for regex, is_method in ((FUNC_CALL_RE, False), (METHOD_CALL_RE, True)):
        for m in regex.finditer(code):
            func = m.group(1)
            args = read_args(code, m.end())
            if func in ("event_add_fields", "add_fields"):
                for fm in ADD_FIELD_INIT_RE.finditer(" ".join(args)):
                    fields.append((fm.group(1),
                                   ADD_FIELDS_MEMBER_KIND[fm.group(2)]))
                continue
            if not is_method and func in NAME_FUNCS:
                if len(args) >= 2:
                    names.append(args[-1])
                continue
            if is_method and func in NAME_METHODS:
                if args and args[0]:
                    names.append(args[0])
                continue
            kind, idx = (FIELD_METHODS if is_method else FIELD_FUNCS)[func]
            if len(args) > idx and args[idx]:
                fields.append((args[idx], kind))
    return defines, names, fields


class BlobReader:
    """Read blobs through one long-running "git cat-file --batch" process."""

    def __init__(self, git_dir):
        self.proc = subprocess.Popen(
            ["git", "-C", git_dir, "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read_many(self, shas):
        """Return a dict of sha -> decoded text for all requested blobs."""
        out = {}
        # Requests are written in chunks so the pipe never deadlocks.
        shas = list(shas)
        for i in range(0, len(shas), 200):
            chunk = shas[i:i + 200]
            self.proc.stdin.write("".join(s + "\n" for s in chunk).encode())
            self.proc.stdin.flush()
            for sha in chunk:
                header = self.proc.stdout.readline().split()
                size = int(header[2])
                data = self.proc.stdout.read(size)
                self.proc.stdout.read(1)
                out[sha] = data.decode("utf-8", "replace")
        return out

    def close(self):
        """Stop the cat-file process."""
        self.proc.stdin.close()
        self.proc.wait()


def scan_repo(git_dir, repo, tags, fallback_defines=None):
    """Scan every tag of one repository.

    It returns {tag: {"events": {name: {file: how}}, "fields": {(name, kind):
    {file: how}}, "dynamic": [(type, kind, expr, file)], "defines": {...}}}.
    """
    reader = BlobReader(git_dir)
    cache = {}
    result = {}
    for tag in tags:
        listing = run_git(git_dir, "ls-tree", "-r", "--full-tree", tag,
                          "src/").decode("utf-8", "replace")
        files = {}
        for line in listing.splitlines():
            meta, path = line.split("\t", 1)
            mode, otype, sha = meta.split()
            if otype == "blob" and not is_excluded(path):
                files[path] = sha
        missing = [s for s in set(files.values()) if s not in cache]
        for sha, text in reader.read_many(missing).items():
            cache[sha] = (parse_blob(text), text)
        # The tag-wide define table resolves macros defined in headers; a
        # file's own defines take precedence over it.
        global_defs = {}
        for path in sorted(files):
            for k, v in cache[files[path]][0][0].items():
                global_defs.setdefault(k, v)
        fb = fallback_defines or {}
        events = defaultdict(dict)
        fields = defaultdict(dict)
        dynamic = []
        for path, sha in sorted(files.items()):
            (local_defs, names, fexprs), text = cache[sha]
            if not names and not fexprs:
                continue

            def lookup(name, local_defs=local_defs):
                return local_defs.get(name, global_defs.get(name,
                                                            fb.get(name)))
            for expr in names:
                for val, how in analyze(expr, lookup, text):
                    if how == "dynamic":
                        if not is_event_library(path):
                            dynamic.append(("event", "-", val, path))
                    else:
                        events[val].setdefault(path, how)
            for expr, kind in fexprs:
                for val, how in analyze(expr, lookup, text):
                    if how == "dynamic":
                        if not is_event_library(path):
                            dynamic.append(("field", kind, val, path))
                    else:
                        fields[(val, kind)].setdefault(path, how)
        result[tag] = {"events": events, "fields": fields,
                       "dynamic": dynamic, "defines": global_defs}
        print("%s %s: %d files, %d event names, %d fields" %
              (repo, tag, len(files), len(events), len(fields)),
              file=sys.stderr)
    reader.close()
    return result


def spans(tags, present):
    """Split the tags where present(tag) is true into contiguous spans.

    It yields (first_index, last_index) pairs over the ordered tag list.
    """
    start = None
    for i, tag in enumerate(tags):
        if present(tag):
            if start is None:
                start = i
        elif start is not None:
            yield start, i - 1
            start = None
    if start is not None:
        yield start, len(tags) - 1


def tsv_escape(value):
    """Make a value safe for a TSV cell while keeping leading spaces.

    Tabs, newlines and backslashes are written as C-style escapes; every
    other character (including a leading space) is kept as is.
    """
    return (value.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n"))


def write_tables(out_dir, prefix, tags, data):
    """Write the events, fields, by-file, lines and dynamic tables."""
    newest = tags[-1]

    def last(i):
        return "-" if tags[i] == newest else tags[i]

    def key_sort(s):
        return (s.lstrip(), s)

    all_events = sorted({e for t in tags for e in data[t]["events"]},
                        key=key_sort)
    with open(os.path.join(out_dir, prefix + "events.tsv"), "w") as f:
        f.write("name\tfirst_tag\tlast_tag\tfiles\n")
        for name in all_events:
            for a, b in spans(tags, lambda t: name in data[t]["events"]):
                files = sorted({p for t in tags[a:b + 1]
                                for p in data[t]["events"].get(name, {})})
                f.write("%s\t%s\t%s\t%s\n" % (tsv_escape(name), tags[a],
                                              last(b), ",".join(files)))
    all_fields = sorted({k for t in tags for k in data[t]["fields"]},
                        key=lambda k: (key_sort(k[0]), k[1]))
    with open(os.path.join(out_dir, prefix + "fields.tsv"), "w") as f:
        f.write("field\tkind\tfirst_tag\tlast_tag\tfiles\n")
        for key in all_fields:
            for a, b in spans(tags, lambda t: key in data[t]["fields"]):
                files = sorted({p for t in tags[a:b + 1]
                                for p in data[t]["fields"].get(key, {})})
                f.write("%s\t%s\t%s\t%s\t%s\n" % (
                    tsv_escape(key[0]), key[1], tags[a], last(b),
                    ",".join(files)))
    # The by-file table is the per-(tag, file) record, compressed into
    # spans of consecutive tags: which names each file sets and which fields
    # it adds, and how each value was resolved.
    rows = set()
    for t in tags:
        for name, per in data[t]["events"].items():
            for path, how in per.items():
                rows.add((path, "event", name, "-", how))
        for (name, kind), per in data[t]["fields"].items():
            for path, how in per.items():
                rows.add((path, "field", name, kind, how))
    with open(os.path.join(out_dir, prefix + "by-file.tsv"), "w") as f:
        f.write("file\ttype\tname\tkind\thow\tfirst_tag\tlast_tag\n")
        for path, typ, name, kind, how in sorted(rows):
            def present(t):
                src = data[t]["events"].get(name, {}) if typ == "event" \
                    else data[t]["fields"].get((name, kind), {})
                return src.get(path) == how
            for a, b in spans(tags, present):
                f.write("%s\t%s\t%s\t%s\t%s\t%s\t%s\n" % (
                    path, typ, tsv_escape(name), kind, how, tags[a],
                    last(b)))
    # The lines table holds the global set per release line.
    by_line = defaultdict(set)
    for t in tags:
        line = data[t]["line"]
        for name in data[t]["events"]:
            by_line[line].add(("event", name, "-"))
        for name, kind in data[t]["fields"]:
            by_line[line].add(("field", name, kind))
    with open(os.path.join(out_dir, prefix + "lines.tsv"), "w") as f:
        f.write("line\ttype\tname\tkind\n")
        for line in sorted(by_line):
            for typ, name, kind in sorted(by_line[line]):
                f.write("%s\t%s\t%s\t%s\n" % (line, typ, tsv_escape(name),
                                              kind))
    # Names that could not be resolved are listed with their expression.
    dyn = set()
    for t in tags:
        for item in data[t]["dynamic"]:
            dyn.add(item)
    with open(os.path.join(out_dir, prefix + "dynamic.tsv"), "w") as f:
        f.write("type\tkind\texpression\tfirst_tag\tlast_tag\tfile\n")
        for item in sorted(dyn):
            for a, b in spans(tags, lambda t: item in data[t]["dynamic"]):
                f.write("%s\t%s\t%s\t%s\t%s\t%s\n" % (
                    item[0], item[1], tsv_escape(item[2]), tags[a], last(b),
                    item[3]))
    return by_line


def main():
    """Parse arguments, scan the repositories and write all tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir", required=True,
                    help="bare git directory of dovecot/core")
    ap.add_argument("--pigeonhole-git-dir",
                    help="bare git directory of dovecot/pigeonhole")
    ap.add_argument("--out", required=True, help="output directory")
    opts = ap.parse_args()
    started = time.time()
    os.makedirs(opts.out, exist_ok=True)

    summary = []
    core_tags = list_tags(opts.git_dir, CORE_TAG_RE)
    core = scan_repo(opts.git_dir, "core", core_tags)
    for t in core_tags:
        core[t]["line"] = release_line("core", t)
    lines = write_tables(opts.out, "", core_tags, core)
    tag_rows = [("core", t, run_git(opts.git_dir, "rev-parse",
                                    t + "^{commit}").decode().strip())
                for t in core_tags]
    for line in sorted(lines):
        summary.append("core %s: %d event names, %d (field, kind) pairs" % (
            line, sum(1 for x in lines[line] if x[0] == "event"),
            sum(1 for x in lines[line] if x[0] == "field")))

    if opts.pigeonhole_git_dir:
        ph_tags = list_tags(opts.pigeonhole_git_dir, PIGEONHOLE_TAG_RE)
        # Pigeonhole uses macros from Dovecot's headers, so the defines of
        # the newest core tag of the same release line are a fallback.
        newest_core = {}
        for t in core_tags:
            newest_core[release_line("core", t)] = core[t]["defines"]
        ph = {}
        for line in ("2.3", "2.4"):
            line_tags = [t for t in ph_tags
                         if release_line("pigeonhole", t) == line]
            if line_tags:
                ph.update(scan_repo(opts.pigeonhole_git_dir, "pigeonhole",
                                    line_tags, newest_core.get(line)))
        for t in ph_tags:
            ph[t]["line"] = release_line("pigeonhole", t)
        lines = write_tables(opts.out, "pigeonhole-", ph_tags, ph)
        tag_rows += [("pigeonhole", t,
                      run_git(opts.pigeonhole_git_dir, "rev-parse",
                              t + "^{commit}").decode().strip())
                     for t in ph_tags]
        for line in sorted(lines):
            summary.append(
                "pigeonhole %s: %d event names, %d (field, kind) pairs" % (
                    line, sum(1 for x in lines[line] if x[0] == "event"),
                    sum(1 for x in lines[line] if x[0] == "field")))

    with open(os.path.join(opts.out, "tags.tsv"), "w") as f:
        f.write("repo\ttag\tline\tcommit\n")
        for repo, tag, commit in tag_rows:
            f.write("%s\t%s\t%s\t%s\n" % (repo, tag,
                                          release_line(repo, tag), commit))
    for s in summary:
        print(s)
    print("elapsed: %.1fs" % (time.time() - started))


if __name__ == "__main__":
    main()
