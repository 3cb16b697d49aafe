#!/usr/bin/env python3
"""Derive Dovecot's event contexts (parent event kinds) from its C source.

Dovecot creates every event as a child of a parent event (a mail user, an
IMAP client, a command, a mailbox, a dict, a connection, ...), and an
exported event carries the fields and categories of all its ancestors.
This script reads the same bare git mirrors as scan.py and, at every release
tag, works out:

  * which object's event each event_create()/event_create_passthrough()
    call makes (the "context" it is stored into), and which context its
    parent expression refers to;
  * the fields and categories each context sets on its own event;
  * for every named event, which context it is created under (or whose own
    event it is).

It is a static text analysis with a small C reader: functions, struct
members, local, parameter and global variable types, assignments and calls
are recognised with brackets balanced, but there is no preprocessor and no
real type checker.  See README.md ("Contexts") for the heuristics.

Only derived facts (names, kinds, tags, file paths) are written; no Dovecot
source text is copied, except the short unresolved parent expressions that
are listed as such.

Usage:
    python3 tools/source-scan/contexts.py --git-dir DIR \
        [--pigeonhole-git-dir DIR] --out tools/source-scan/

It uses the Python 3 standard library only.
"""

import argparse
import os
import re
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan  # noqa: E402  (the helpers of the name/field scanner)

# ---------------------------------------------------------------------------
# Lexical helpers
# ---------------------------------------------------------------------------

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
IDENT_RE = re.compile(IDENT)
C_KEYWORDS = {
    "if", "else", "while", "for", "do", "switch", "case", "default",
    "return", "sizeof", "goto", "break", "continue", "typeof",
    "__typeof__", "defined", "struct", "union", "enum", "static", "const",
    "unsigned", "signed", "volatile", "inline", "extern", "register",
}
# Methods of struct event_passthrough: a chain "X->m(...)" with one of these
# is the same event object as X.
PASSTHROUGH_METHODS = {
    "append_log_prefix", "replace_log_prefix", "set_name", "set_source",
    "set_always_log_source", "set_min_log_level", "set_ptr",
    "add_category", "add_categories", "add_str", "add_int",
    "add_int_nonzero", "add_timeval", "add_ip", "add_fields",
    "strlist_append", "strlist_replace", "inc_int", "clear_field",
    "event", "set_forced_debug", "add_strlist",
}
FIELD_FUNCS = dict(scan.FIELD_FUNCS)
FIELD_METHODS = dict(scan.FIELD_METHODS)
EVENT_TYPES = ("event", "event_passthrough")
# Struct types that are generic building blocks embedded by value into an
# owner struct, whose event's parent each owner sets on its own.  An event
# reached through such an embedding ("conn->conn.event") belongs to a
# context named after the owner and the member ("<owner>.conn").
QUALIFIED_BASES = {"connection"}
# Event members with these names are handed to a library as "the parent to
# use", not events of their own.
PARENT_MEMBER_RE = re.compile(r"parent")


SETTINGS_STRUCT_RE = re.compile(r"(?:settings|_set|_input|_params)$")


def is_parent_member(struct_name, member):
    """Tell whether a struct member hands a parent event to a library.

    Members named like "event_parent" or "parent_event" are; so is an
    "event" member of a settings or input struct (http_server_settings,
    program_client_settings, ...).
    """
    if PARENT_MEMBER_RE.search(member):
        return True
    return member == "event" and bool(SETTINGS_STRUCT_RE.search(
        struct_name.split("::")[0]))


def mask_literals(code):
    """Replace the contents of string and character literals by 'x'.

    The result has the same length and line breaks, so offsets into it are
    offsets into code; brackets inside literals no longer count.
    """
    if '"' not in code and "'" not in code:
        return code
    return LITERAL_RE.sub(_mask_one, code)


LITERAL_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?')


def _mask_one(m):
    text = m.group(0)
    q = text[0]
    closed = len(text) > 1 and text.endswith(q) and not text.endswith("\\" + q)
    inner = len(text) - (2 if closed else 1)
    return q + "x" * inner + (q if closed else "")


COMMENT_RE = re.compile(r'/\*.*?(?:\*/|$)|//[^\n]*|"(?:[^"\\\n]|\\.)*"?|'
                        r"'(?:[^'\\\n]|\\.)*'?", re.S)


def _blank_comment(m):
    text = m.group(0)
    if text[0] in "\"'":
        return text
    return "".join("\n" if ch == "\n" else " " for ch in text)


def strip_comments(text):
    """Blank out C comments, keeping literals and line breaks.

    The same as scan.strip_comments(), with one regular expression.
    """
    return COMMENT_RE.sub(_blank_comment, text)


def blank_preprocessor(code):
    """Blank out preprocessor lines (with continuations), keeping newlines."""
    lines = code.split("\n")
    cont = False
    for i, line in enumerate(lines):
        if cont or line.lstrip().startswith("#"):
            cont = line.endswith("\\")
            lines[i] = " " * len(line)
        else:
            cont = False
    return "\n".join(lines)


def match_close(masked, pos):
    """Return the index of the bracket closing the one at pos, or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    for m in BRACKET_RE.finditer(masked, pos):
        c = m.group(0)
        if c in pairs:
            stack.append(pairs[c])
        else:
            if not stack or stack[-1] != c:
                return -1
            stack.pop()
            if not stack:
                return m.start()
    return -1


BRACKET_RE = re.compile(r"[()\[\]{}]")


def match_open(masked, pos):
    """Return the index of the bracket opening the one closed at pos."""
    pairs = {")": "(", "]": "[", "}": "{"}
    depth = 0
    want = pairs[masked[pos]]
    close = masked[pos]
    i = pos
    while i >= 0:
        c = masked[i]
        if c == close:
            depth += 1
        elif c == want:
            depth -= 1
            if depth == 0:
                return i
        i -= 1
    return -1


def split_top_masked(text, sep=","):
    """Split text at top-level sep characters, aware of literals."""
    masked = mask_literals(text)
    parts = []
    depth = 0
    start = 0
    for i, c in enumerate(masked):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def norm(expr):
    """Collapse whitespace in an expression."""
    return " ".join(expr.split())


def strip_outer_parens(expr):
    """Remove parentheses around the whole expression."""
    expr = expr.strip()
    while expr.startswith("("):
        masked = mask_literals(expr)
        end = match_close(masked, 0)
        if end != len(expr) - 1:
            break
        expr = expr[1:-1].strip()
    return expr


CAST_RE = re.compile(r"^\(\s*(?:const\s+)?(?:struct\s+(" + IDENT + r")|(" +
                     IDENT + r"))\s*(?:const\s*)?(\**)\s*(?:const\s*)?\)")


def strip_cast(expr):
    """Remove a leading C cast; return (inner, struct name or None)."""
    expr = strip_outer_parens(expr)
    m = CAST_RE.match(expr)
    if m and m.end() < len(expr):
        rest = expr[m.end():].strip()
        if rest and (rest[0] in "(&*_" or rest[0].isalnum()):
            return rest, m.group(1)
    return expr, None


# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------

DECL_START_RE = re.compile(
    r"^(?:(?:static|const|extern|register|volatile|inline|unsigned|signed)"
    r"\s+)*(?:(struct|union|enum)\s+(" + IDENT + r")|(" + IDENT + r"))"
    r"(?=[\s*])")
NOT_TYPES = C_KEYWORDS | {"return", "else", "goto", "case"}


def parse_declarators(rest):
    """Parse "*a = x, b[3], *const c" into (name, ptr, init or None)."""
    out = []
    for part in split_top_masked(rest):
        if not part:
            continue
        init = None
        masked = mask_literals(part)
        depth = 0
        for i, c in enumerate(masked):
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == "=" and depth == 0 and masked[i + 1:i + 2] != "=":
                init = part[i + 1:].strip()
                part = part[:i]
                break
        decl = part.strip()
        if "(" in decl:
            # A function pointer or a prototype: not a variable we track.
            continue
        ptr = decl.count("*")
        decl = re.sub(r"\bconst\b|\*|\s", "", decl)
        decl = re.sub(r"\[.*$", "", decl)
        decl = decl.split(":")[0]
        if IDENT_RE.fullmatch(decl):
            out.append((decl, ptr, init))
    return out


ARRAY_DECL_RE = re.compile(r"^(?:const\s+)?ARRAY\s*\(\s*(?:const\s+)?"
                           r"struct\s+(" + IDENT + r")\s*(\**)\s*\)\s*(" +
                           IDENT + r")\s*$")


def parse_decl(stmt):
    """Parse a declaration statement.

    Returns (type_name, is_struct, [(name, ptr, init)]) or None.  type_name
    is the struct/union tag for struct types, else the type identifier.
    An ARRAY(struct T *) is declared as its element type.
    """
    stmt = stmt.strip().rstrip(";")
    m = ARRAY_DECL_RE.match(stmt)
    if m:
        return m.group(1), True, [(m.group(3), len(m.group(2)), None)]
    m = DECL_START_RE.match(stmt)
    if not m:
        return None
    if m.group(3):
        tname = m.group(3)
        if tname in NOT_TYPES or tname.startswith("e_") or \
                tname.startswith("i_") or tname.isupper() and \
                tname not in ("ARRAY",):
            return None
        rest = stmt[m.end():]
        # "type name" needs a declarator that starts with * or an ident.
        if not re.match(r"\s*[*]*\s*(?:const\s+)?" + IDENT + r"\s*"
                        r"(?:[=,;\[]|$)", rest):
            return None
        is_struct = False
    else:
        if m.group(1) == "enum":
            tname = "enum " + m.group(2)
            is_struct = False
        else:
            tname = m.group(2)
            is_struct = True
        rest = stmt[m.end():]
        if rest.lstrip().startswith("{"):
            return None
    decls = parse_declarators(rest)
    if not decls:
        return None
    return tname, is_struct, decls


# ---------------------------------------------------------------------------
# Designated initialisers
# ---------------------------------------------------------------------------

def designated_pairs(body, prefix=""):
    """Yield (member path, value) from a "{ .a = x, .b = { .c = y } }" body.

    body is the text between the braces.  Array elements without
    designators are walked into, keeping the prefix.
    """
    for part in split_top_masked(body):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^\.(" + IDENT + r")\s*(?:\[[^\]]*\]\s*)?=\s*(.*)$",
                     part, re.S)
        if m:
            path = prefix + m.group(1)
            value = m.group(2).strip()
            if value.startswith("{") and value.endswith("}"):
                yield path, value
                yield from designated_pairs(value[1:-1], path + ".")
            else:
                yield path, value
        elif part.startswith("{") and part.endswith("}"):
            yield from designated_pairs(part[1:-1], prefix)


# ---------------------------------------------------------------------------
# Per-blob parse
# ---------------------------------------------------------------------------

class Func:
    """One function definition and the event facts inside it."""

    __slots__ = ("name", "static", "ret", "params", "locals", "sites",
                 "assigns", "fields", "cats", "names", "calls", "icalls",
                 "returns", "callback", "cur", "depths", "site_at",
                 "pushes")

    def __init__(self, name, static, ret):
        self.name = name
        self.static = static
        self.ret = ret            # return type: "event", "struct:T" or ""
        self.params = []          # [(name, type, is_struct, ptr)]
        self.locals = {}          # name -> (type, is_struct, ptr)
        self.sites = []           # [(parent expression, passthrough)]
        self.assigns = []         # [(lhs, rhs)]
        self.fields = []          # [(target, key expression, kind)]
        self.cats = []            # [(target, category expression)]
        self.names = []           # [(target, name expression)]
        self.calls = []           # [(callee, (args...))]
        self.icalls = []          # [(member, (args...))]
        self.returns = []         # [expression]
        self.callback = False     # an event-creation callback (root events)
        # Every record above ends with the index of its statement; depths
        # holds each statement's block depth (1 = the function's own
        # block), site_at the statement of each site.
        self.pushes = []          # [(event pushed as the global event, at)]
        self.cur = 0
        self.depths = []
        self.site_at = []


class BlobFacts:
    """What one file defines: structs, functions, globals, initialisers."""

    __slots__ = ("structs", "funcs", "globals", "inits", "categories",
                 "includes", "defines", "cat_names")

    def __init__(self):
        self.structs = {}     # name -> {member: (type, is_struct, ptr)}
        self.funcs = []       # [Func]
        self.globals = {}     # name -> (type, is_struct, ptr)
        self.inits = []       # [(struct type, member path, value)]
        self.categories = {}  # variable -> (name expression, parent var)
        self.cat_names = []   # [(category variable, name expression)]
        self.includes = set()
        self.defines = {}


SITE_CALL_RE = re.compile(r"(?<![A-Za-z0-9_>.])(event_create_passthrough|"
                          r"event_create)\s*\(")
CALL_RE = re.compile(r"(->|\.)?\s*(" + IDENT + r")\s*\(")
CONTROL_RE = re.compile(
    r"^(?:(?:else\b)|(?:do\b)|(?:case\b[^:]*:(?!:))|(?:default\s*:)|"
    r"(?:(?:if|while|for|switch|array_foreach\w*|hash_table_\w*|"
    r"T_BEGIN|T_END|" + IDENT + r"_foreach\w*)\s*(?=\())|"
    r"(?:T_BEGIN\b)|(?:T_END\b)|(?:" + IDENT + r"\s*:(?!:)))\s*")


def strip_control(stmt):
    """Remove leading control-flow keywords and their conditions."""
    while True:
        s = stmt.lstrip()
        m = CONTROL_RE.match(s)
        if not m:
            return s
        rest = s[m.end():]
        if m.group(0).rstrip().endswith(("if", "while", "for", "switch")) \
                or rest.startswith("(") and not m.group(0).rstrip() \
                .endswith(":"):
            if rest.startswith("("):
                masked = mask_literals(rest)
                end = match_close(masked, 0)
                if end < 0:
                    return rest
                rest = rest[end + 1:]
        stmt = rest
        if not stmt.strip():
            return ""


def statements(body, masked):
    """Split a function body into simple statements (text, not nested).

    Returns [(raw text, text without leading control flow, block depth)].
    """
    out = []
    start = 0
    depth = 0
    block = 1
    skip_to = -1
    for m in STMT_CHAR_RE.finditer(masked):
        i = m.start()
        if i < skip_to:
            continue
        c = m.group(0)
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth > 0:
            continue
        elif c == "{":
            before = masked[start:i].rstrip()
            if before.endswith("=") or before.endswith("return") or \
                    COMPOUND_LIT_RE.search(before):
                # An initialiser: keep it inside the statement.
                end = match_close(masked, i)
                if end < 0:
                    break
                skip_to = end + 1
                continue
            out.append((body[start:i], block))
            block += 1
            start = i + 1
        elif c == "}":
            out.append((body[start:i], block))
            block -= 1
            start = i + 1
        else:
            out.append((body[start:i], block))
            start = i + 1
    out.append((body[start:], block))
    res = []
    for s, b in out:
        s = s.strip()
        if s:
            stripped = strip_control(s).strip()
            # A statement under an if/else/loop without braces is
            # conditional: count it one level deeper.
            if stripped != s:
                b += 1
            res.append((s, stripped, b))
    return res


STMT_CHAR_RE = re.compile(r"[()\[\]{};]")
COMPOUND_LIT_RE = re.compile(
    r"\(\s*(?:const\s+)?struct\s+\w+\s*(?:\[\s*\])?\s*\)$")


def top_assignment(stmt):
    """Split "lhs = rhs" at a top-level plain '='; None if there is none."""
    masked = mask_literals(stmt)
    depth = 0
    for i, c in enumerate(masked):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "=" and depth == 0:
            if masked[i + 1:i + 2] == "=" or (i > 0 and masked[i - 1] in
                                               "=!<>+-*/%&|^?:"):
                continue
            return stmt[:i].strip(), stmt[i + 1:].strip()
        elif c == "?" and depth == 0:
            return None
    return None


def receiver(masked, pos):
    """Return the start of the postfix expression that ends before pos."""
    i = pos
    while True:
        while i > 0 and masked[i - 1].isspace():
            i -= 1
        if i > 0 and masked[i - 1] in ")]":
            j = match_open(masked, i - 1)
            if j < 0:
                return i
            k = j
            while k > 0 and masked[k - 1].isspace():
                k -= 1
            m = re.search(IDENT + r"$", masked[:k])
            if m and m.group(0) not in C_KEYWORDS:
                i = m.start()
            elif masked[i - 1] == "]":
                i = j
                continue
            else:
                return j
        else:
            m = re.search(IDENT + r"$", masked[:i])
            if not m:
                return i
            i = m.start()
        k = i
        while k > 0 and masked[k - 1].isspace():
            k -= 1
        if masked[k - 2:k] == "->":
            i = k - 2
        elif k > 0 and masked[k - 1] == "." and not masked[k - 2:k - 1] \
                .isdigit():
            i = k - 1
        else:
            return i


def substitute_sites(body, func):
    """Replace event_create*() calls by __site_N tokens, innermost first."""
    while True:
        masked = mask_literals(body)
        last = None
        for m in SITE_CALL_RE.finditer(masked):
            last = m
        if last is None:
            return body
        open_pos = last.end() - 1
        end = match_close(masked, open_pos)
        if end < 0:
            return body
        args = scan.read_args(body, open_pos + 1)
        parent = args[0] if args else ""
        n = len(func.sites)
        func.sites.append((norm(parent),
                           last.group(1) == "event_create_passthrough"))
        body = body[:last.start()] + " __site_%d " % n + body[end + 1:]


def is_eventish(arg, env):
    """Tell whether an argument looks like an event expression."""
    if "event" in arg or "__site_" in arg:
        return True
    a = arg.strip()
    if IDENT_RE.fullmatch(a):
        t = env.get(a)
        return t is not None and t[0] in EVENT_TYPES
    return False


def is_struct_var(arg, env):
    """Tell whether an argument is a struct variable (or its address).

    Such arguments can carry an event_parent member into the callee.
    """
    a = arg.lstrip("&").strip()
    if IDENT_RE.fullmatch(a):
        t = env.get(a)
        return t is not None and t[1]
    return False


def parse_function_body(func, body):
    """Collect sites, assignments, calls and event API uses of a function."""
    body = substitute_sites(body, func)
    masked = mask_literals(body)
    env = dict((p[0], p[1:]) for p in func.params)
    stmts = statements(body, masked)
    for idx, (raw, stmt, depth) in enumerate(stmts):
        func.cur = idx
        func.depths.append(depth)
        for n in re.findall(r"__site_(\d+)", raw):
            while len(func.site_at) <= int(n):
                func.site_at.append(idx)
            func.site_at[int(n)] = idx
        decl = parse_decl(stmt)
        assigns = []
        if decl:
            tname, is_struct, decls = decl
            for name, ptr, init in decls:
                func.locals[name] = (tname, is_struct, ptr)
                env[name] = (tname, is_struct, ptr)
                if init is None:
                    continue
                if init.startswith("{") and init.endswith("}"):
                    for path, value in designated_pairs(init[1:-1]):
                        assigns.append((name + "." + path, value))
                else:
                    assigns.append((name, init))
        else:
            a = top_assignment(stmt)
            # "a = b = x" assigns x to both.
            lhss = []
            while a:
                lhss.append(a[0])
                a2 = top_assignment(a[1])
                if not a2 or not re.fullmatch(r"[\w\s>.()*\[\]-]+", a2[0]):
                    break
                a = a2
            for lhs in lhss:
                assigns.append((lhs, a[1]))
        for lhs, rhs in assigns:
            lhs = norm(lhs)
            rhs = norm(rhs)
            if "event" in lhs or "event" in rhs or "__site_" in rhs or \
                    (IDENT_RE.fullmatch(lhs) and env.get(lhs, ("",))[0]
                     in EVENT_TYPES):
                func.assigns.append((lhs, rhs, func.cur))
        if stmt.startswith("return") and re.match(r"return\b", stmt):
            func.returns.append((norm(stmt[6:]), func.cur))
        parse_calls(func, raw, env)
    if "EVENT_CALLBACK_TYPE_CREATE" in body and "parent" in body:
        func.callback = True


def parse_calls(func, stmt, env):
    """Record event API calls and event-carrying calls of one statement."""
    if "event" not in stmt and "__site_" not in stmt:
        # Only calls that pass a struct variable or NULL can matter.
        tokens = set(IDENT_RE.findall(stmt))
        if "NULL" not in tokens and not any(
                env.get(t, (0, False))[1] for t in tokens):
            return
    masked = mask_literals(stmt)
    for m in CALL_RE.finditer(masked):
        arrow, name = m.group(1), m.group(2)
        if name in C_KEYWORDS:
            continue
        open_pos = m.end() - 1
        args = [norm(a) for a in scan.read_args(stmt, open_pos + 1)]
        if args == [""]:
            args = []
        if arrow:
            if arrow == "->" and name in PASSTHROUGH_METHODS:
                start = receiver(masked, masked.rfind("->", 0, m.end()))
                recv = norm(stmt[start:masked.rfind("->", 0, m.end())])
                if name == "set_name" and args:
                    func.names.append((recv, args[0], func.cur))
                elif name in FIELD_METHODS and args:
                    func.fields.append((recv, args[0],
                                        FIELD_METHODS[name][0], func.cur))
                elif name == "add_fields" and args:
                    add_fields(func, recv, args[0])
                elif name in ("add_category", "add_categories") and args:
                    func.cats.append((recv, args[0], func.cur))
                continue
            if any(is_eventish(a, env) or is_struct_var(a, env)
                   for a in args):
                recv = norm(stmt[receiver(masked, m.start()):m.start()])
                func.icalls.append((name, recv, tuple(args), func.cur))
            continue
        if name in ("event_set_name", "e_set_name"):
            if len(args) >= 2:
                func.names.append((args[0], args[-1], func.cur))
        elif name in FIELD_FUNCS:
            idx = FIELD_FUNCS[name][1]
            if len(args) > idx:
                func.fields.append((args[0], args[idx],
                                    FIELD_FUNCS[name][0], func.cur))
        elif name == "event_add_fields":
            if len(args) >= 2:
                add_fields(func, args[0], args[1])
        elif name in ("event_add_category", "event_add_categories"):
            if len(args) >= 2:
                func.cats.append((args[0], args[1], func.cur))
        elif name == "event_push_global":
            if args:
                func.pushes.append((args[0], func.cur))
        elif name in ("array_push_back", "array_append", "array_push_front",
                      "array_idx_set") and len(args) >= 2 and \
                args[0].startswith("&") and is_eventish(
                    args[1 if name == "array_append" else -1].lstrip("&")
                    .strip(), env):
            func.assigns.append((norm(args[0][1:]), norm(
                args[1 if name == "array_append" else -1].lstrip("&")),
                func.cur))
        elif name.startswith("event_") or name.startswith("e_") or \
                name.startswith("i_"):
            continue
        elif any(is_eventish(a, env) or a == "NULL" or
                 is_struct_var(a, env) for a in args):
            func.calls.append((name, tuple(args), func.cur))


def add_fields(func, target, array):
    """Record the fields of an event_add_fields() initialiser array."""
    for fm in scan.ADD_FIELD_INIT_RE.finditer(array):
        func.fields.append((target, fm.group(1).strip(),
                            scan.ADD_FIELDS_MEMBER_KIND[fm.group(2)],
                            func.cur))


def parse_struct_body(facts, name, body, masked):
    """Parse the members of a struct (or union) body."""
    members = facts.structs.setdefault(name, {})
    start = 0
    i = 0
    n = len(body)
    while i < n:
        c = masked[i]
        if c == "{":
            end = match_close(masked, i)
            if end < 0:
                return
            after = re.match(r"\s*(" + IDENT + r")?\s*(?:\[[^\]]*\])?\s*;",
                             masked[end + 1:])
            mname = after.group(1) if after and after.group(1) else None
            if mname:
                pseudo = name + "::" + mname
                parse_struct_body(facts, pseudo, body[i + 1:end],
                                  masked[i + 1:end])
                members[mname] = (pseudo, True, 0)
                i = end + 1 + after.end()
            else:
                # An anonymous struct or union: its members are ours.
                parse_struct_body(facts, name, body[i + 1:end],
                                  masked[i + 1:end])
                i = end + 1
                if after:
                    i += after.end()
            start = i
            continue
        if c == ";":
            stmt = norm(body[start:i])
            start = i + 1
            decl = parse_decl(stmt)
            if decl:
                tname, is_struct, decls = decl
                for dname, ptr, _ in decls:
                    members[dname] = (tname, is_struct, ptr)
        i += 1


FUNC_HEAD_RE = re.compile(r"(" + IDENT + r")\s*$")
ATTR_TAIL_RE = re.compile(r"\s*(?:ATTR_[A-Z_]+(?:\s*\([^()]*\))?|"
                          r"__attribute__\s*\(\(.*?\)\))\s*$")


def parse_params(text):
    """Parse a parameter list into [(name, type, is_struct, ptr)]."""
    out = []
    for p in split_top_masked(text):
        p = norm(p)
        if not p or p == "void" or p == "...":
            continue
        p = re.sub(r"\bATTR_\w+(\s*\([^()]*\))?", "", p).strip()
        decl = parse_decl(p)
        if decl and decl[2]:
            name, ptr, _ = decl[2][0]
            out.append((name, decl[0], decl[1], ptr))
        else:
            out.append(("", "", False, 0))
    return out


def parse_blob(path, text):
    """Parse one file into BlobFacts (cached per blob)."""
    facts = BlobFacts()
    for m in scan.DEFINE_RE.finditer(text):
        body = m.group(2).strip()
        if body.startswith('"') or IDENT_RE.fullmatch(body):
            facts.defines.setdefault(m.group(1), body)
    for m in re.finditer(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', text, re.M):
        facts.includes.add(os.path.basename(m.group(1)))
    # Function bodies of files that never mention events are not read:
    # only their structs, globals and function signatures matter.
    has_events = "event" in text
    code = blank_preprocessor(strip_comments(text))
    masked = mask_literals(code)
    n = len(code)
    start = 0
    i = 0
    while i < n:
        c = masked[i]
        if c == "(" or c == "[":
            end = match_close(masked, i)
            if end < 0:
                break
            i = end + 1
            continue
        if c == ";":
            top_decl(facts, norm(code[start:i]))
            start = i + 1
        elif c == "{":
            end = match_close(masked, i)
            if end < 0:
                break
            head = code[start:i]
            mhead = masked[start:i]
            kind = classify_head(mhead)
            if kind == "struct":
                sname = re.search(r"(?:struct|union)\s+(" + IDENT + r")\s*$",
                                  mhead).group(1)
                parse_struct_body(facts, sname, code[i + 1:end],
                                  masked[i + 1:end])
                i = end + 1
                continue  # the declaration goes on to its ';'
            if kind == "init":
                top_init(facts, norm(head), code[i + 1:end])
                i = end + 1
                continue
            if kind == "func":
                func = make_func(head)
                if func is not None:
                    if has_events:
                        parse_function_body(func, code[i + 1:end])
                    facts.funcs.append(func)
                start = end + 1
                i = end + 1
                continue
            if kind == "extern":
                # extern "C" { ... }: walk into the block.
                start = i + 1
                i += 1
                continue
            start = end + 1
            i = end + 1
            continue
        i += 1
    return facts


def classify_head(mhead):
    """Classify the text before a top-level '{'."""
    h = mhead.strip()
    if re.search(r"\bextern\s+\"x*\"$", h):
        return "extern"
    if re.search(r"(?:^|\s)(?:typedef\s+)?(?:struct|union)\s+" + IDENT +
                 r"\s*$", h) and "=" not in h and "(" not in h:
        return "struct"
    if "=" in h:
        return "init"
    while True:
        m = ATTR_TAIL_RE.search(h)
        if not m or m.start() == len(h):
            break
        h = h[:m.start()].rstrip()
    if h.endswith(")"):
        return "func"
    return "other"


def make_func(head):
    """Build a Func from a function definition's head, or None."""
    mhead = mask_literals(head)
    h = mhead.rstrip()
    while True:
        m = ATTR_TAIL_RE.search(h)
        if not m or m.start() == len(h):
            break
        h = h[:m.start()].rstrip()
    if not h.endswith(")"):
        return None
    open_pos = match_open(h, len(h) - 1)
    if open_pos < 0:
        return None
    m = FUNC_HEAD_RE.search(h[:open_pos])
    if not m or m.group(1) in C_KEYWORDS:
        return None
    name = m.group(1)
    rtype = norm(head[:m.start()])
    static = bool(re.search(r"\bstatic\b", rtype))
    ret = ""
    rm = re.search(r"struct\s+(" + IDENT + r")\s*\*", rtype)
    if rm:
        ret = "event" if rm.group(1) in EVENT_TYPES else "struct:" + \
            rm.group(1)
    func = Func(name, static, ret)
    func.params = parse_params(head[open_pos + 1:len(h) - 1])
    for p in func.params:
        if p[0]:
            func.locals[p[0]] = p[1:]
    return func


def top_decl(facts, stmt):
    """Record a top-level variable declaration's type."""
    if not stmt or "(" in stmt.split("=")[0]:
        return
    decl = parse_decl(stmt)
    if decl and decl[1]:
        for name, ptr, init in decl[2]:
            facts.globals[name] = (decl[0], decl[1], ptr)


def top_init(facts, head, body):
    """Record a top-level initialised variable and its designated members."""
    lhs = head.rstrip("= ")
    decl = parse_decl(lhs)
    if not decl or not decl[1]:
        return
    tname = decl[0]
    var = decl[2][0][0] if decl[2] else ""
    facts.globals[var] = (tname, True, decl[2][0][1] if decl[2] else 0)
    pairs = list(designated_pairs(body))
    if tname == "event_category":
        d = dict(pairs)
        facts.categories[var] = (norm(d.get("name", "")),
                                 norm(d.get("parent", "")).lstrip("&").strip())
    for path, value in pairs:
        facts.inits.append((tname, path, norm(value)))


def resolve_texts(facts, text):
    """Resolve name and key expressions that need the file's own text.

    scan.analyze() resolves local variables through the file text, which is
    not kept after parsing; what it cannot resolve locally is resolved
    again per tag with the tag-wide macro table.
    """
    local = facts.defines.get
    cache = {}

    def res(expr):
        if expr not in cache:
            cache[expr] = tuple(scan.analyze(expr, local, text))
        return cache[expr]
    for func in facts.funcs:
        func.names = [(t, e, res(e), at) for t, e, at in func.names]
        func.fields = [(t, e, k, res(e), at) for t, e, k, at in func.fields]
    facts.cat_names = [(v, e, res(e)) for v, (e, p) in
                       facts.categories.items() if e and e != "NULL"]
    # A category whose name is set at run time ("cat.name = var", as for
    # the master service's "service:<name>" category): i_strdup_printf()
    # and i_strconcat() build names like their t_ twins.
    if facts.categories:
        ttext = re.sub(r"\bi_(strdup_printf|strconcat)\s*\(", r"t_\1(", text)
        for m in re.finditer(r"(?<![\w.>])(" + IDENT + r")\.name\s*=\s*"
                             r"([^;=]+);", strip_comments(ttext)):
            var, expr = m.group(1), norm(m.group(2))
            if var in facts.categories and expr != "NULL":
                facts.cat_names.append(
                    (var, expr, tuple(scan.analyze(expr, local, ttext))))
    return facts


def parse_file(path, text):
    """Parse a file; files without events or types yield a small record."""
    facts = parse_blob(path, text)
    return resolve_texts(facts, text)


# ---------------------------------------------------------------------------
# Per-tag program model and resolution
# ---------------------------------------------------------------------------

ROOT = ("root",)
# The current global event (event_get_global()), if any, else no parent.
GLOBAL = ("global",)
LMEMBER_RE = re.compile(r"^(" + IDENT + r")\s*(?:\.|->)\s*(" + IDENT + r")$")


class Program:
    """All parsed files of one tag, with the indexes the resolver needs."""

    def __init__(self, files, defines):
        self.files = files                      # path -> BlobFacts
        self.defines = defines                  # tag-wide macro table
        self.struct_defs = defaultdict(list)    # name -> [path]
        self.func_defs = defaultdict(list)      # name -> [(path, fi)]
        self.globals = defaultdict(list)        # name -> [(path, type)]
        self.inits = defaultdict(list)          # (type, member) -> [value]
        self.init_by_value = defaultdict(set)   # func name -> {member}
        self.categories = defaultdict(list)     # var -> [(path, names)]
        self.calls = defaultdict(list)          # callee -> [(ctx, args)]
        self.icalls = defaultdict(list)         # member -> [(ctx, args)]
        self.assigned = defaultdict(list)         # lvalue node -> [(rhs, ctx)]
        # "var.event_parent = x" / "var->event_parent = x" in a function:
        # (ctx, var, member) -> [(rhs, ctx, at)]
        self.lmember_assigns = defaultdict(list)
        self.name_recs = []                     # [(ctx, target, names)]
        self.field_recs = []                    # [(ctx, target, keys, kind)]
        self.cat_recs = []                      # [(ctx, target, cat expr)]
        self.push_recs = []                     # [(ctx, target, at)]
        self.struct_cache = {}
        self.type_cache = {}
        self.eval_cache = {}
        self.obj_cache = {}
        for path, facts in files.items():
            for name in facts.structs:
                self.struct_defs[name].append(path)
            for fi, func in enumerate(facts.funcs):
                self.func_defs[func.name].append((path, fi))
            for name, t in facts.globals.items():
                self.globals[name].append((path, t))
            for tname, mpath, value in facts.inits:
                self.inits[(tname, mpath)].append((path, value))
                if IDENT_RE.fullmatch(value):
                    self.init_by_value[value].add((path, tname, mpath))
            for var, expr, names in facts.cat_names:
                self.categories[var].append((path, names))
        for path, facts in files.items():
            for fi, func in enumerate(facts.funcs):
                ctx = (path, fi)
                for callee, args, at in func.calls:
                    self.calls[callee].append((ctx, args, at))
                for member, recv, args, at in func.icalls:
                    self.icalls[member].append((ctx, recv, args, at))
                for lhs, rhs, at in func.assigns:
                    lm = LMEMBER_RE.match(lhs)
                    if lm and is_parent_member(
                            func.locals.get(lm.group(1), ("",))[0],
                            lm.group(2)):
                        self.lmember_assigns[(ctx, lm.group(1),
                                              lm.group(2))].append(
                            (rhs, ctx, at))
                    node = self.eval_lvalue(lhs, ctx)
                    if node is not None:
                        self.assigned[node].append((rhs, ctx, at))
                for target, expr, names, at in func.names:
                    self.name_recs.append((ctx, target, names, at))
                for target, expr, kind, keys, at in func.fields:
                    self.field_recs.append((ctx, target, keys, kind, at))
                for target, expr, at in func.cats:
                    self.cat_recs.append((ctx, target, expr, at))
                for target, at in func.pushes:
                    self.push_recs.append((ctx, target, at))

    # -- types -------------------------------------------------------------

    def func(self, ctx):
        return self.files[ctx[0]].funcs[ctx[1]]

    def includes(self, path):
        """Basenames of headers included by path, two levels deep."""
        facts = self.files.get(path)
        if facts is None:
            return set()
        inc = set(facts.includes)
        by_base = self.header_index()
        for h in list(inc):
            for hp in by_base.get(h, ()):
                inc |= self.files[hp].includes
        return inc

    def header_index(self):
        if not hasattr(self, "_hdr"):
            self._hdr = defaultdict(list)
            for p in self.files:
                self._hdr[os.path.basename(p)].append(p)
        return self._hdr

    def struct_key(self, name, from_path):
        """Pick the definition of struct name that from_path sees."""
        key = (name, from_path)
        if key in self.struct_cache:
            return self.struct_cache[key]
        cands = self.struct_defs.get(name, [])
        if not cands:
            res = None
        elif len(cands) == 1:
            res = (name, cands[0])
        else:
            res = None
            if from_path in cands:
                res = (name, from_path)
            if res is None:
                inc = self.includes(from_path)
                hits = [c for c in cands if os.path.basename(c) in inc]
                if len(hits) >= 1:
                    d = os.path.dirname(from_path)
                    same = [c for c in hits if os.path.dirname(c) == d]
                    res = (name, sorted(same or hits)[0])
            if res is None:
                d = os.path.dirname(from_path)
                same = [c for c in cands if os.path.dirname(c) == d]
                if same:
                    res = (name, sorted(same)[0])
            if res is None:
                # A plugin named after its process ("imap-quota") sees
                # that process's structs.
                base = os.path.basename(os.path.dirname(from_path))
                pref = [c for c in cands if base.startswith(
                    os.path.basename(os.path.dirname(c)) + "-")]
                res = (name, sorted(pref or cands)[0])
        self.struct_cache[key] = res
        return res

    def member(self, skey, mname):
        """Return (type, is_struct, ptr) of member mname of struct skey."""
        name, path = skey
        members = self.files[path].structs.get(name, {})
        return members.get(mname)

    def var_type(self, ident, ctx):
        """Type tuple of a local, parameter or global variable."""
        if ctx is not None:
            func = self.func(ctx)
            t = func.locals.get(ident)
            if t is not None:
                return t
            t = self.files[ctx[0]].globals.get(ident)
            if t is not None:
                return t
        for path, t in self.globals.get(ident, ()):
            return t
        return None

    def type_of(self, expr, ctx):
        """Return (struct key, ptr, qualified owner or None) of expr."""
        expr, cast = strip_cast(expr)
        if cast:
            k = self.struct_key(cast, ctx[0])
            return (k, 1, None) if k else None
        expr = expr.lstrip("&").strip()
        if expr.startswith("*"):
            t = self.type_of(expr[1:], ctx)
            return t
        m = re.match(r"^(" + IDENT + r")\s*$", expr)
        if m:
            t = self.var_type(m.group(1), ctx)
            if t and t[1]:
                k = self.struct_key(t[0], ctx[0])
                return (k, t[2], None) if k else None
            return None
        m = re.match(r"^container_of\s*\(", expr)
        if m:
            args = scan.read_args(expr, m.end())
            if len(args) >= 2:
                sm = re.match(r"(?:const\s+)?struct\s+(" + IDENT + r")",
                              args[1].strip())
                if sm:
                    k = self.struct_key(sm.group(1), ctx[0])
                    return (k, 1, None) if k else None
            return None
        split = self.split_member(expr)
        if split:
            base, mname = split
            bt = self.type_of(base, ctx)
            if not bt:
                return None
            mt = self.member(bt[0], mname)
            if not mt or not mt[1]:
                return None
            k = self.struct_key(mt[0], bt[0][1]) if "::" not in mt[0] \
                else (mt[0], bt[0][1])
            if k is None:
                return None
            return (k, mt[2], (bt[0], mname) if mt[2] == 0 else None)
        m = re.match(r"^(" + IDENT + r")\s*\(", expr)
        if m:
            for path, fi in self.pick_funcs(m.group(1), ctx[0]):
                ret = self.files[path].funcs[fi].ret
                if ret.startswith("struct:"):
                    k = self.struct_key(ret[7:], path)
                    return (k, 1, None) if k else None
        m = re.match(r"^(.*)\[[^\[\]]*\]$", expr)
        if m:
            return self.type_of(m.group(1), ctx)
        return None

    def recv_types(self, recv, ctx):
        """Struct names a vfunc call's receiver can be initialised as.

        "dict->v" is the dict's vfunc struct, but driver tables often
        initialise it positionally inside the struct dict initialiser, so
        both struct names count.
        """
        out = set()
        rt = self.type_of(recv, ctx)
        if rt is not None:
            out.add(rt[0][0])
        split = self.split_member(recv)
        if split:
            bt = self.type_of(split[0], ctx)
            if bt is not None:
                out.add(bt[0][0])
        return out

    def vtable_type(self, tname, mpath, path):
        """The struct type that holds the last member of an initialiser."""
        parts = mpath.split(".")
        skey = self.struct_key(tname, path)
        for p in parts[:-1]:
            if skey is None:
                return None
            mt = self.member(skey, p)
            if not mt or not mt[1]:
                return None
            skey = self.struct_key(mt[0], skey[1]) if "::" not in mt[0] \
                else (mt[0], skey[1])
        return skey[0] if skey else None

    @staticmethod
    def split_member(expr):
        """Split "a->b.c" into ("a->b", "c"), or None."""
        masked = mask_literals(expr)
        m = re.search(r"(->|\.)\s*(" + IDENT + r")\s*$", masked)
        if not m or m.start() == 0:
            return None
        return expr[:m.start()].strip(), m.group(2)

    def pick_funcs(self, name, from_path):
        """The definitions a call of name from from_path can reach."""
        key = ("pick", name, from_path)
        if key in self.struct_cache:
            return self.struct_cache[key]
        defs = self.func_defs.get(name, [])
        res = [d for d in defs if d[0] == from_path]
        if not res:
            res = [d for d in defs if not self.files[d[0]].funcs[d[1]].static
                   or d[0].endswith(".h")]
        if len(res) > 1:
            # A non-static name defined by several programs (client_create
            # in imap, pop3, lmtp, ...): a caller links with the one in its
            # own directory, or the one whose header it includes.
            d = os.path.dirname(from_path)
            same = [x for x in res if os.path.dirname(x[0]) == d]
            if not same:
                inc = self.includes(from_path)
                same = [x for x in res if os.path.basename(x[0])[:-2] + ".h"
                        in inc]
            if not same:
                base = os.path.basename(d)
                same = [x for x in res if base.startswith(
                    os.path.basename(os.path.dirname(x[0])) + "-")]
            res = same or res
        self.struct_cache[key] = res
        return res

    # -- nodes ---------------------------------------------------------------

    def ctx_node(self, base, mname, ctx):
        """The node of member mname of base's struct, or None."""
        bt = self.type_of(base, ctx)
        if not bt:
            return None
        skey, _, qual = bt
        if qual is not None and skey[0] in QUALIFIED_BASES:
            return ("ctx", ("Q", qual[0], qual[1]), mname)
        mt = self.member(skey, mname)
        if mt is None or mt[0] not in EVENT_TYPES:
            return None
        return ("ctx", skey, mname)

    def eval_lvalue(self, lhs, ctx):
        """The node an assignment target stands for, or None."""
        lhs = strip_outer_parens(lhs)
        if IDENT_RE.fullmatch(lhs):
            func = self.func(ctx)
            t = func.locals.get(lhs)
            if t is not None:
                return ("local", ctx, lhs) if t[0] in EVENT_TYPES else None
            t = self.var_type(lhs, None) or \
                self.files[ctx[0]].globals.get(lhs)
            if t is not None and t[0] in EVENT_TYPES:
                return ("gvar", lhs)
            return None
        split = self.split_member(lhs)
        if split:
            return self.ctx_node(split[0], split[1], ctx)
        return None

    def eval(self, expr, ctx, at=None):
        """The set of nodes an event expression can stand for.

        at is the index of the statement the expression is in; a local
        variable then stands for the values assigned to it before that
        statement (see values()).
        """
        key = (expr, ctx, at)
        if key in self.eval_cache:
            return self.eval_cache[key]
        self.eval_cache[key] = ()
        # A sorted tuple: every traversal is in the same order, whatever
        # the string hash seed, so the output is reproducible.
        res = tuple(sorted(set(self._eval(expr, ctx, at)), key=repr))
        self.eval_cache[key] = res
        return res

    def _eval(self, expr, ctx, at):
        expr, _ = strip_cast(norm(expr))
        if not expr:
            return {("unres", "", ctx[0])}
        if expr == "NULL":
            return {ROOT}
        if re.fullmatch(r"-?\d+[uUlL]*|'.*'|\".*\"|TRUE|FALSE", expr):
            return set()
        parts = split_top_masked(expr, "?")
        if len(parts) == 2:
            branches = split_top_masked(parts[1], ":")
            if len(branches) == 2:
                return set(self.eval(branches[0], ctx, at)) | \
                    set(self.eval(branches[1], ctx, at))
        if expr.startswith("*"):
            return self.eval(expr[1:], ctx, at)
        m = re.fullmatch(r"__site_(\d+)", expr)
        if m:
            return {("site", ctx, int(m.group(1)))}
        masked = mask_literals(expr)
        if masked.endswith(")"):
            open_pos = match_open(masked, len(masked) - 1)
            head = masked[:open_pos]
            mm = re.search(r"->\s*(" + IDENT + r")\s*$", head)
            if mm and mm.group(1) in PASSTHROUGH_METHODS:
                return self.eval(expr[:mm.start()], ctx, at)
            mm = re.fullmatch(r"\s*(" + IDENT + r")\s*", head)
            if mm:
                fname = mm.group(1)
                args = scan.read_args(expr, open_pos + 1)
                if fname in ("event_ref", "event_minimal_dup") and args:
                    return self.eval(args[0], ctx, at)
                if fname == "event_get_parent" and args:
                    return {("parentof", n)
                            for n in self.eval(args[0], ctx, at)}
                if fname.startswith("array_") and args and \
                        args[0].strip().startswith("&"):
                    return self.eval(args[0].strip()[1:], ctx, at)
                if fname == "event_get_global":
                    return {GLOBAL}
                defs = [d for d in self.pick_funcs(fname, ctx[0])
                        if self.files[d[0]].funcs[d[1]].ret == "event"]
                if defs:
                    return {("ret", d) for d in defs}
                return {("unres", norm(expr), ctx[0])}
        if IDENT_RE.fullmatch(expr):
            func = self.func(ctx)
            t = func.locals.get(expr)
            if t is not None:
                return {("local", ctx, expr, at)}
            t = self.files[ctx[0]].globals.get(expr) or \
                self.var_type(expr, None)
            if t is not None and t[0] in EVENT_TYPES:
                return {("gvar", expr)}
            return {("unres", expr, ctx[0])}
        split = self.split_member(expr)
        if split:
            base, mname = split
            t = self.func(ctx).locals.get(base) \
                if IDENT_RE.fullmatch(base) else None
            if t is not None and is_parent_member(t[0], mname) and \
                    (t[2] == 0 or SETTINGS_STRUCT_RE.search(t[0])):
                # A parent handed over in a local or parameter struct
                # (settings, input): follow that very variable.
                return {("lmember", ctx, base, mname, at)}
            node = self.ctx_node(base, mname, ctx)
            if node is not None:
                return {node}
        return {("unres", norm(expr), ctx[0])}

    def is_indirection(self, node):
        if node[0] != "ctx":
            return False
        sname = "" if node[1][0] == "Q" else node[1][0]
        return is_parent_member(sname, node[2])

    def values(self, node):
        """The (rhs, ctx, at, step) a non-terminal node takes values from.

        rhs None means "the objects of the node in ctx" (a parameter).
        For a local used at statement `at`, the assignments before it are
        taken, latest first, up to one in the function's own block (which
        overwrites all earlier values); the parameter's incoming value
        counts only if no such assignment was found.
        """
        out = []
        kind = node[0]
        if kind == "local":
            ctx, var, at = node[1], node[2], node[3]
            func = self.func(ctx)
            assigns = [a for a in self.assigned.get(("local", ctx, var), ())]
            if at is not None:
                assigns = [a for a in assigns if a[2] < at]
            assigns.sort(key=lambda a: -a[2])
            killed = False
            for rhs, actx, aat in assigns:
                out.append((rhs, actx, aat, "local"))
                if at is not None and func.depths[aat] <= 1:
                    killed = True
                    break
            if not killed:
                for i, p in enumerate(func.params):
                    if p[0] == var:
                        out.append((None, ("param", ctx, i), None, "param"))
        elif kind == "lmember":
            ctx, var, mname, at = node[1:]
            func = self.func(ctx)
            assigns = list(self.lmember_assigns.get((ctx, var, mname), ()))
            if at is not None:
                assigns = [a for a in assigns if a[2] < at]
            assigns.sort(key=lambda a: -a[2])
            killed = False
            for rhs, actx, aat in assigns:
                out.append((rhs, actx, aat, "event_parent"))
                if at is not None and func.depths[aat] <= 1:
                    killed = True
                    break
            if not killed:
                pidx = [i for i, p in enumerate(func.params) if p[0] == var]
                if pidx:
                    out.append((None, ("pmember", ctx, pidx[0], mname),
                                None, "param"))
                elif not assigns:
                    t = func.locals.get(var)
                    if t is not None and t[2] == 0:
                        # A local struct whose parent member is never set:
                        # zero-initialised, so no parent.
                        out.append(("NULL", ctx, None, "unset"))
                    else:
                        generic = self.ctx_node(var, mname, ctx)
                        if generic is not None:
                            out.append((None, generic, None,
                                        "event_parent"))
        elif kind == "pmember":
            ctx, idx, mname = node[1:]
            for arg, cctx, at, step in self.values(("param", ctx, idx)):
                arg = norm(arg)
                if arg == "NULL":
                    # No settings struct at all: the parent stays NULL.
                    out.append(("NULL", cctx, at, "unset"))
                    continue
                if arg.startswith("&"):
                    expr = strip_outer_parens(arg[1:]) + "." + mname
                else:
                    expr = arg + "->" + mname
                out.append((expr, cctx, at, step))
            if not out:
                generic = self.ctx_node(self.func(ctx).params[idx][0],
                                        mname, ctx)
                if generic is not None:
                    out.append((None, generic, None, "event_parent"))
        elif kind in ("gvar", "ctx"):
            step = "global" if kind == "gvar" else "event_parent"
            for rhs, ctx, at in self.assigned.get(node, ()):
                out.append((rhs, ctx, at, step))
            if kind == "ctx" and not out and node[1][0] != "Q":
                # A parent member that no code of the tag assigns: it is
                # left zero (NULL), or only set in static initialisers.
                out.append((None, ROOT, None, "unset"))
        elif kind == "ret":
            path, fi = node[1]
            for r, at in self.files[path].funcs[fi].returns:
                out.append((r, node[1], at, "return"))
        elif kind == "param":
            ctx, idx = node[1], node[2]
            func = self.func(ctx)
            direct = [c for c in self.calls.get(func.name, ())
                      if ctx in self.pick_funcs(func.name, c[0][0])]
            for cctx, args, at in direct:
                if idx < len(args):
                    out.append((args[idx], cctx, at, "param"))
            for ipath, tname, mpath in self.init_by_value.get(func.name, ()):
                vtable = self.vtable_type(tname, mpath, ipath)
                member = mpath.split(".")[-1]
                for cctx, recv, args, at in self.icalls.get(member, ()):
                    if idx >= len(args) or len(args) != len(func.params):
                        continue
                    if vtable in self.recv_types(recv, cctx):
                        out.append((args[idx], cctx, at, "vfunc"))
        return out

    def objects(self, node, depth=0):
        """Resolve a node to terminal objects.

        Returns {object: (steps, via)} where objects are sites, contexts
        (ctx nodes that are not parent indirections), global event
        variables that hold a created event, ROOT and unresolved
        expressions; steps is the tuple of indirections taken and via the
        file where the object was named.
        """
        if node in self.obj_cache:
            return self.obj_cache[node]
        kind = node[0]
        if kind in ("site", "root", "unres", "global"):
            return {node: ((), node[1][0] if kind == "site" else
                           (node[2] if kind == "unres" else ""))}
        if kind == "ctx" and not self.is_indirection(node):
            return {node: ((), "")}
        if depth > 12:
            return {}
        self.obj_cache[node] = {}
        res = {}
        if kind == "parentof":
            for obj in self.objects(node[1], depth + 1):
                for p, (steps, via) in self.parents_of(obj).items():
                    add_obj(res, p, ("parent",) + steps, via)
        else:
            for rhs, ctx, at, step in self.values(node):
                if rhs is None:
                    sub = self.objects(ctx, depth + 1)
                    for obj, (steps, via) in sub.items():
                        add_obj(res, obj, (step,) + steps, via)
                    continue
                for n in self.eval(rhs, ctx, at):
                    for obj, (steps, via) in self.objects(n, depth + 1) \
                            .items():
                        via = via or ctx[0]
                        add_obj(res, obj, (step,) + steps, via)
            if kind == "gvar" and any(o[0] == "site" for o in res):
                res = {node: ((), "")}
        self.obj_cache[node] = res
        return res

    def eval_objects(self, expr, ctx, at=None):
        """objects() of every node an expression evaluates to."""
        res = {}
        for n in self.eval(expr, ctx, at):
            for obj, (steps, via) in self.objects(n).items():
                add_obj(res, obj, steps, via or ctx[0])
        return res

    def context_sites(self, node):
        """The creation sites and aliased contexts a context's event is."""
        key = ("sites", node)
        if key in self.obj_cache:
            return self.obj_cache[key]
        self.obj_cache[key] = {}
        res = {}
        for rhs, ctx, at in self.assigned.get(node, ()):
            for n in self.eval(rhs, ctx, at):
                if n == node:
                    continue
                objs = self.objects(n) if n[0] != "ctx" or \
                    self.is_indirection(n) else {n: ((), "")}
                for obj, (steps, via) in objs.items():
                    if obj != node:
                        add_obj(res, obj, steps, via or ctx[0])
        if not res and node[0] == "ctx" and node[1][0] == "Q":
            # An embedded connection: its event is made by the base
            # struct's code.
            base = self.base_ctx(node)
            if base is not None:
                for obj, sv in self.context_sites(base).items():
                    res[obj] = sv
        self.obj_cache[key] = res
        return res

    def base_ctx(self, qnode):
        """The generic context of a qualified (embedded) context."""
        owner, field = qnode[1][1], qnode[1][2]
        mt = self.member(owner, field)
        if not mt:
            return None
        skey = self.struct_key(mt[0], owner[1])
        if skey is None:
            return None
        return ("ctx", skey, qnode[2])

    def parents_of(self, obj):
        """The parent objects of a site or context."""
        key = ("parents", obj)
        if key in self.obj_cache:
            return self.obj_cache[key]
        self.obj_cache[key] = {}
        res = {}
        if obj[0] == "site":
            res = self.site_parent(obj)
        elif obj[0] in ("ctx", "gvar"):
            qual = obj[0] == "ctx" and obj[1][0] == "Q"
            for sub in self.context_sites(obj):
                if sub[0] != "site":
                    continue
                if qual:
                    sub_res = self.qualify(obj, sub)
                else:
                    sub_res = self.site_parent(sub)
                for p, (psteps, pvia) in sub_res.items():
                    add_obj(res, p, psteps, pvia)
        self.obj_cache[key] = res
        return res

    def site_at(self, site):
        ctx, n = site[1], site[2]
        func = self.func(ctx)
        return func.site_at[n] if n < len(func.site_at) else None

    def site_parent(self, site):
        """The objects a creation site's parent expression stands for."""
        ctx, n = site[1], site[2]
        parent = self.func(ctx).sites[n][0]
        return self.eval_objects(parent, ctx, self.site_at(site))

    def qualify(self, qnode, site):
        """A base struct's site parent, resolved for one embedding.

        The generic connection code creates the event from its own
        event_parent member; for the connection embedded in struct X as
        member m, that is whatever X's code assigns to "x->m.event_parent".
        """
        ctx, n = site[1], site[2]
        parent = self.func(ctx).sites[n][0]
        at = self.site_at(site)
        out = {}
        split = self.split_member(parent)
        if split and PARENT_MEMBER_RE.search(split[1]):
            nodes = [("ctx", qnode[1], split[1])]
        else:
            nodes = self.eval(parent, ctx, at)
        for n in nodes:
            if n[0] == "ctx" and n[1] == qnode[1]:
                qn = n
                objs = self.objects(qn)
                if not objs and not self.assigned.get(qn):
                    # Never set: the struct is zero-filled, so the
                    # connection's event is a root event.
                    add_obj(out, ROOT, ("unset",), qnode[1][1][1])
                for obj, (steps, via) in objs.items():
                    add_obj(out, obj, steps, via)
            else:
                for obj, (steps, via) in self.objects(n).items():
                    add_obj(out, obj, steps, via or ctx[0])
        return out


    # -- categories ----------------------------------------------------------

    def category_names(self, expr, ctx, depth=0):
        """Resolve a category expression to [(name, how)]."""
        expr = norm(expr).lstrip("&").strip()
        expr = strip_outer_parens(expr).lstrip("&").strip()
        if depth > 4:
            return [(expr, "dynamic")]
        if IDENT_RE.fullmatch(expr):
            out = []
            defs = self.categories.get(expr, [])
            local = [d for d in defs if d[0] == ctx[0]]
            for path, names in (local or defs):
                for val, how in names:
                    out.append((val, how))
            if out:
                return out
            return [(expr, "dynamic")]
        split = self.split_member(expr)
        if split:
            bt = self.type_of(split[0], ctx)
            if bt:
                tname = bt[0][0]
                out = []
                for path, value in self.inits.get((tname, split[1]), ()):
                    if not value.startswith("{"):
                        out += self.category_names(value, ctx, depth + 1)
                for path, value in self.inits.get(
                        (tname, split[1] + ".name"), ()):
                    for val, how in scan.analyze(value, self.lookup, ""):
                        out.append((val, "init" if how != "dynamic"
                                    else how))
                if out:
                    return out
        m = re.match(r"^(" + IDENT + r")\s*\(", expr)
        if m:
            out = []
            for path, fi in self.pick_funcs(m.group(1), ctx[0]):
                for r, _ in self.files[path].funcs[fi].returns:
                    out += self.category_names(r, (path, fi), depth + 1)
            if out:
                return out
        return [(expr, "dynamic")]

    def lookup(self, name):
        return self.defines.get(name)


def add_obj(res, obj, steps, via):
    """Keep the shortest indirection path to each object."""
    dedup = []
    for s in steps:
        if not dedup or dedup[-1] != s:
            dedup.append(s)
    steps = tuple(dedup)
    old = res.get(obj)
    if old is None or (len(steps), steps, via) < (len(old[0]), old[0],
                                                   old[1]):
        res[obj] = (steps, via)


# ---------------------------------------------------------------------------
# Per-tag facts
# ---------------------------------------------------------------------------

def steps_text(steps):
    """The "how" cell: the indirections taken, or "direct"."""
    return "+".join(steps) if steps else "direct"


def analyze_tag(prog):
    """Derive the per-tag fact rows from a Program.

    Object references in rows are raw: ("C", struct key, member),
    ("V", global variable), ("A", file of an anonymous event), ("R",) for
    a root event and ("U", expression) for an unresolved one.  They are
    turned into display names once all tags are known.
    """
    rows = {"contexts": set(), "cfields": set(), "ccats": set(),
            "evparents": set(), "evfields": set(), "evcats": set()}
    # Which contexts (or global variables) store each creation site.
    owners = defaultdict(set)
    candidates = set()
    for node in list(prog.assigned):
        if node[0] == "gvar" or (node[0] == "ctx" and
                                 not prog.is_indirection(node)):
            candidates.add(node)
    for node in sorted(candidates, key=repr):
        for obj in prog.context_sites(node):
            if obj[0] == "site":
                owners[obj].add(node)

    def ref(obj):
        kind = obj[0]
        if kind == "ctx":
            return ("C", obj[1], obj[2])
        if kind == "gvar":
            return ("V", obj[1])
        if kind == "root":
            return ("R",)
        if kind == "global":
            return ("G",)
        if kind == "unres":
            return ("U", obj[1])
        return None

    def refs(obj):
        """Context references for an object (a site maps to its owners)."""
        if obj[0] == "site":
            if owners.get(obj):
                return [ref(o) for o in sorted(owners[obj], key=repr)]
            return [("A", obj[1][0])]
        return [ref(obj)]

    def names_of(names, ctx):
        out = []
        for val, how in names:
            if how == "dynamic":
                out += [v for v, h in scan.analyze(val, prog.lookup, "")
                        if h != "dynamic"]
            else:
                out.append(val)
        return out

    # Named events.
    named = defaultdict(set)        # object -> event names
    func_named = defaultdict(dict)  # ctx -> {object: names}
    wanted = set()                  # contexts whose chain is reported
    for ctx, target, names, at in prog.name_recs:
        evnames = names_of(names, ctx)
        if not evnames:
            continue
        path = ctx[0]
        for obj, (steps, via) in prog.eval_objects(target, ctx, at).items():
            named[obj].update(evnames)
            func_named[ctx].setdefault(obj, set()).update(evnames)
            if obj[0] == "site":
                parents = prog.parents_of(obj)
                if not parents:
                    parents = {("unres", "(no parent found)", path):
                               ((), path)}
                for p, (psteps, pvia) in parents.items():
                    for r in refs(p):
                        for ev in evnames:
                            rows["evparents"].add((
                                ev, "child", r, steps_text(steps + psteps),
                                path, pvia or path))
                        if p[0] in ("ctx", "gvar", "site"):
                            wanted.add(p)
            elif obj[0] in ("ctx", "gvar"):
                for ev in evnames:
                    rows["evparents"].add((ev, "self", ref(obj),
                                           steps_text(steps), path,
                                           via or path))
                wanted.add(obj)
            else:
                for ev in evnames:
                    rows["evparents"].add((ev, "unresolved", ref(obj),
                                           steps_text(steps), path,
                                           via or path))

    # Events pushed as the global event: while pushed, they act as the
    # root of every event the process emits (lib-event.c).
    for ctx, target, at in prog.push_recs:
        for obj, (steps, via) in prog.eval_objects(target, ctx, at).items():
            if obj[0] in ("root", "global"):
                continue
            for r in refs(obj):
                rows["contexts"].add((r, "global", "-", steps_text(steps),
                                      ctx[0], via or ctx[0]))
            if obj[0] in ("ctx", "gvar", "site"):
                wanted.add(obj)

    # The context graph: the contexts named events are created under (or
    # are the own events of), and all their ancestors.
    qualified = defaultdict(set)     # generic base ctx -> embedded ctxs
    for path, facts in prog.files.items():
        for sname, members in facts.structs.items():
            for mname, (tname, is_struct, ptr) in members.items():
                if is_struct and ptr == 0 and tname in QUALIFIED_BASES:
                    q = ("ctx", ("Q", (sname, path), mname), "event")
                    base = prog.base_ctx(q)
                    if base is not None:
                        qualified[base].add(q)
    in_graph = set()
    seen = set()
    # First the contexts of named events and their ancestors, then every
    # other context of the tag (kept in the tables only if it is in the
    # first set at some tag, see main()).
    named_graph = None
    todo = sorted(wanted, key=repr, reverse=True)
    later = sorted(candidates, key=repr, reverse=True)
    while todo or later:
        if not todo:
            named_graph = set(in_graph)
            todo, later = later, []
            continue
        obj = todo.pop()
        if obj in seen:
            continue
        seen.add(obj)
        if obj[0] == "site":
            if owners.get(obj):
                todo.extend(sorted(owners[obj], key=repr))
                continue
            src = ("A", obj[1][0])
            sites = {obj: ((), obj[1][0])}
        else:
            src = ref(obj)
            sites = prog.context_sites(obj)
        in_graph.add(src)
        if obj[0] == "ctx" and obj[1][0] == "Q":
            base = prog.base_ctx(obj)
            if base is not None:
                rows["contexts"].add((src, "embeds", ref(base), "direct",
                                      obj[1][1][1], obj[1][1][1]))
        if obj in qualified:
            # A generic building block (the connection): its parent is set
            # by each struct that embeds it.
            for q in sorted(qualified[obj], key=repr):
                rows["contexts"].add((src, "variant", ref(q), "direct",
                                      q[1][1][1], q[1][1][1]))
                todo.append(q)
            continue
        found = False
        for sub, (steps, via) in sites.items():
            if sub[0] in ("ctx", "gvar"):
                rows["contexts"].add((src, "alias", ref(sub),
                                      steps_text(steps), via, via))
                todo.append(sub)
                found = True
        site_list = [sub for sub in sites if sub[0] == "site"]
        if site_list:
            found = True
            ps = prog.parents_of(obj) if obj[0] != "site" else \
                prog.site_parent(obj)
            spath = ",".join(sorted({sub[1][0] for sub in site_list}))
            for p, (psteps, pvia) in ps.items():
                for r in refs(p):
                    rows["contexts"].add((src, "parent", r,
                                          steps_text(psteps), spath,
                                          pvia or spath))
                if p[0] in ("ctx", "gvar", "site"):
                    todo.append(p)
            if not ps:
                rows["contexts"].add((src, "parent", ("U", "(none)"),
                                      "direct", spath, spath))
        if not found and obj[0] in ("ctx", "gvar"):
            rows["contexts"].add((src, "parent",
                                  ("U", "(no creation site found)"),
                                  "direct", "-", "-"))

    # Fields and categories: on the named event itself (added in the
    # function that names it, or on a site that is named), or on a context
    # of the graph.
    def attach(ctx, at, target, values, event_key, ctx_key, callback=False):
        path = ctx[0]
        if callback:
            for v in values:
                rows[ctx_key].add((("R",),) + v + (path,))
            return
        local_named = func_named.get(ctx, {})
        for obj in prog.eval_objects(target, ctx, at):
            if obj in local_named or (obj[0] == "site" and obj in named):
                evs = local_named.get(obj) or named[obj]
                for ev in evs:
                    for v in values:
                        rows[event_key].add((ev,) + v + (path,))
                # Fields that the function creating an event adds to it
                # belong to the struct that keeps that event, even if some
                # caller names it (dict_event_create()).
                if obj in local_named or not owners.get(obj) or \
                        obj[1] != ctx:
                    continue
            if obj[0] in ("root", "unres", "global"):
                continue
            for r in refs(obj):
                if r in in_graph:
                    for v in values:
                        rows[ctx_key].add((r,) + v + (path,))

    for ctx, target, keys, kind, at in prog.field_recs:
        fnames = names_of(keys, ctx)
        attach(ctx, at, target, [(f, kind) for f in fnames], "evfields",
               "cfields")
    for ctx, target, expr, at in prog.cat_recs:
        cats = prog.category_names(expr, ctx)
        attach(ctx, at, target, cats, "evcats", "ccats",
               callback=prog.func(ctx).callback)
    rows["named_graph"] = named_graph if named_graph is not None \
        else set(in_graph)
    return rows


# ---------------------------------------------------------------------------
# Display names and tables
# ---------------------------------------------------------------------------

# Library directories that 2.4 renamed or split: a context keeps one name.
RENAMED_DIRS = {"lib-auth-client": "lib-auth", "lib-dns-client": "lib-dns",
                "lib-dict-extra": "lib-dict"}


class Namer:
    """Turns raw context references into stable display names.

    A context is named after its struct.  A struct name that is defined in
    more than one directory among the contexts of all tags (of both
    repositories) is shown as "<dir>/<struct>", <dir> being the last
    component of the defining file's directory (imap/client,
    pop3/client, login-common/client, ...), with the 2.4 renames of
    RENAMED_DIRS undone so that a context keeps its name.
    """

    def __init__(self):
        self.dirs = defaultdict(set)

    def add_rows(self, rows):
        for key, refcols in REF_COLUMNS.items():
            for row in rows[key]:
                for i in refcols:
                    self.note(row[i])

    def note(self, r):
        if isinstance(r, str) or r[0] != "C":
            return
        skey = r[1]
        while skey[0] == "Q":
            skey = skey[1]
        name = skey[0].split("::")[0]
        self.dirs[name].add(self.comp(skey[1]))

    @staticmethod
    def comp(path):
        d = os.path.basename(os.path.dirname(path.split(":", 1)[-1]))
        return RENAMED_DIRS.get(d, d)

    def struct(self, skey):
        if skey[0] == "Q":
            return self.struct(skey[1]) + "." + skey[2]
        name, path = skey
        shown = name.replace("::", ".")
        base = name.split("::")[0]
        if len(self.dirs.get(base, ())) > 1:
            return self.comp(path) + "/" + shown
        return shown

    def ref(self, r):
        if isinstance(r, str):
            return r
        kind = r[0]
        if kind == "C":
            s = self.struct(r[1])
            return s if r[2] in ("event", "_event") else s + "." + r[2]
        if kind == "V":
            return "var:" + r[1]
        if kind == "A":
            return "anon:" + show_path(r[1])
        if kind == "R":
            return "root"
        if kind == "G":
            return "global"
        return "unresolved:" + r[1]


def show_path(path):
    """Core paths are plain in core tables; see pigeonhole_path()."""
    return path


def write_span_table(path, header, tags, per_tag, sort_key=None):
    """Write rows present at some tags as one row per contiguous span."""
    newest = tags[-1]
    all_rows = set()
    for t in tags:
        all_rows |= per_tag[t]
    with open(path, "w") as f:
        f.write("\t".join(header + ["first_tag", "last_tag"]) + "\n")
        for row in sorted(all_rows, key=sort_key):
            for a, b in scan.spans(tags, lambda t: row in per_tag[t]):
                last = "-" if tags[b] == newest else tags[b]
                f.write("\t".join([scan.tsv_escape(str(c)) for c in row] +
                                  [tags[a], last]) + "\n")
    return len(all_rows)


TABLES = [
    # (key, file, header)
    ("contexts", "contexts.tsv",
     ["context", "relation", "other", "how", "file", "via"]),
    ("cfields", "context-fields.tsv", ["context", "field", "kind", "file"]),
    ("ccats", "context-categories.tsv",
     ["context", "category", "how", "file"]),
    ("evparents", "event-parents.tsv",
     ["event", "relation", "context", "how", "file", "via"]),
    ("evfields", "event-fields.tsv", ["event", "field", "kind", "file"]),
]
REF_COLUMNS = {"contexts": (0, 2), "cfields": (0,), "ccats": (0,),
               "evparents": (2,)}


def display_rows(rows, namer, path_fn):
    """Turn raw per-tag rows into display rows."""
    out = {}
    for key, _, header in TABLES:
        conv = set()
        refcols = REF_COLUMNS.get(key, ())
        for row in rows[key]:
            row = list(row)
            for i in refcols:
                row[i] = namer.ref(row[i])
                if row[i].startswith("anon:"):
                    row[i] = "anon:" + path_fn(row[i][5:])
            for i, h in enumerate(header):
                if h in ("file", "via") and row[i] not in ("-", ""):
                    row[i] = path_fn(row[i])
            conv.add(tuple(row))
        out[key] = conv
    return out


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def list_files(git_dir, tag, prefix=""):
    """The scanned source files of a tag: {path: blob sha}."""
    listing = scan.run_git(git_dir, "ls-tree", "-r", "--full-tree", tag,
                           "src/").decode("utf-8", "replace")
    files = {}
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        _, otype, sha = meta.split()
        if otype == "blob" and not scan.is_excluded(path):
            files[prefix + path] = sha
    return files


class Parser:
    """Parses blobs of one repository once, keeping the results."""

    def __init__(self, git_dir):
        self.reader = scan.BlobReader(git_dir)
        self.cache = {}

    def facts(self, files):
        missing = [s for s in set(files.values()) if s not in self.cache]
        by_sha = {}
        for path, sha in files.items():
            by_sha.setdefault(sha, path)
        for sha, text in self.reader.read_many(missing).items():
            self.cache[sha] = parse_file(by_sha[sha], text)
        return {p: self.cache[s] for p, s in files.items()}

    def close(self):
        self.reader.close()


def tag_defines(facts_by_path):
    """The tag-wide macro table (first definition in path order wins)."""
    defs = {}
    for path in sorted(facts_by_path):
        for k, v in facts_by_path[path].defines.items():
            defs.setdefault(k, v)
    return defs


def core_tag_for(ph_tag, core_tags):
    """The core tag a Pigeonhole tag was released for."""
    if ph_tag.startswith("0.5."):
        want = "2.3." + ph_tag[4:]
    else:
        want = ph_tag
    wv = scan.version_key(want)
    same = [t for t in core_tags if scan.version_key(t)[:3] == wv[:3]]
    if same:
        return same[-1]
    line = [t for t in core_tags if t.split(".")[:2] == want.split(".")[:2]
            and scan.version_key(t) <= wv]
    return line[-1] if line else core_tags[-1]


def main():
    """Parse arguments, scan the repositories and write the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir", required=True,
                    help="bare git directory of dovecot/core")
    ap.add_argument("--pigeonhole-git-dir",
                    help="bare git directory of dovecot/pigeonhole")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--tags", help="comma-separated core tags (for testing)")
    opts = ap.parse_args()
    started = time.time()
    sys.setrecursionlimit(20000)
    os.makedirs(opts.out, exist_ok=True)
    namer = Namer()

    core_tags = scan.list_tags(opts.git_dir, scan.CORE_TAG_RE)
    if opts.tags:
        core_tags = [t for t in core_tags if t in opts.tags.split(",")]
    core_parser = Parser(opts.git_dir)
    core_raw = {}
    core_files = {}
    for tag in core_tags:
        t0 = time.time()
        facts = core_parser.facts(list_files(opts.git_dir, tag))
        core_files[tag] = facts
        prog = Program(facts, tag_defines(facts))
        core_raw[tag] = analyze_tag(prog)
        print("core %s: %d files, %d contexts rows, %d event rows (%.1fs)"
              % (tag, len(facts), len(core_raw[tag]["contexts"]),
                 len(core_raw[tag]["evparents"]), time.time() - t0),
              file=sys.stderr)
    core_parser.close()

    ph_tags = []
    ph_raw = {}
    if opts.pigeonhole_git_dir:
        ph_tags = scan.list_tags(opts.pigeonhole_git_dir,
                                 scan.PIGEONHOLE_TAG_RE)
        if opts.tags:
            ph_tags = ph_tags[-1:]
        ph_parser = Parser(opts.pigeonhole_git_dir)
        for tag in ph_tags:
            t0 = time.time()
            ctag = core_tag_for(tag, core_tags)
            facts = dict(core_files[ctag])
            facts.update(ph_parser.facts(list_files(
                opts.pigeonhole_git_dir, tag, "ph:")))
            prog = Program(facts, tag_defines(facts))
            raw = analyze_tag(prog)
            ph_raw[tag] = filter_pigeonhole(raw)
            ph_raw[tag]["named_graph"] = raw["named_graph"]
            print("pigeonhole %s (core %s): %d contexts rows, %d event rows"
                  " (%.1fs)" % (tag, ctag, len(ph_raw[tag]["contexts"]),
                                len(ph_raw[tag]["evparents"]),
                                time.time() - t0), file=sys.stderr)
        ph_parser.close()

    keep_named(core_raw)
    keep_named(ph_raw)
    for raw in list(core_raw.values()) + list(ph_raw.values()):
        namer.add_rows(raw)
    counts = []
    core_disp = {t: display_rows(core_raw[t], namer, lambda p: p)
                 for t in core_tags}
    for key, fname, header in TABLES:
        n = write_span_table(os.path.join(opts.out, fname), header,
                             core_tags, {t: core_disp[t][key]
                                         for t in core_tags})
        counts.append("%s: %d facts" % (fname, n))
    if ph_tags:
        ph_disp = {t: display_rows(ph_raw[t], namer, pigeonhole_path)
                   for t in ph_tags}
        for key, fname, header in TABLES:
            n = write_span_table(os.path.join(opts.out, "pigeonhole-" +
                                              fname), header, ph_tags,
                                 {t: ph_disp[t][key] for t in ph_tags})
            counts.append("pigeonhole-%s: %d facts" % (fname, n))
    for c in counts:
        print(c)
    print("elapsed: %.1fs" % (time.time() - started))


def keep_named(raws):
    """Drop contexts that are never an ancestor of a named event.

    A context is kept at every tag if, at some tag, a named event can
    descend from it (or is its own event); so its fields are listed from
    the tag they were first set, not only from the first named event.
    """
    union = set()
    for raw in raws.values():
        union |= raw.get("named_graph", set())
    for raw in raws.values():
        for key in ("contexts", "cfields", "ccats"):
            raw[key] = {row for row in raw[key] if row[0] in union}


def pigeonhole_path(path):
    """Pigeonhole files are shown plain, core files with "core:"."""
    if path.startswith("ph:"):
        return path[3:]
    if path in ("-", ""):
        return path
    return "core:" + path


def is_ph(path):
    return isinstance(path, str) and path.startswith("ph:")


def filter_pigeonhole(raw):
    """Keep the rows that a Pigeonhole file contributes to."""
    out = {}
    for key, rows in raw.items():
        keep = set()
        for row in rows:
            if any(is_ph(c) for c in row) or any(
                    isinstance(c, tuple) and len(c) > 1 and
                    isinstance(c[1], tuple) and any(
                        is_ph(x) for x in c[1] if isinstance(x, str))
                    for c in row) or any(
                    isinstance(c, tuple) and c[:1] == ("A",) and is_ph(c[1])
                    for c in row):
                keep.add(row)
        out[key] = keep
    return out


if __name__ == "__main__":
    main()
