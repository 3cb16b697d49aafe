//! Rust source from generated tokens, laid out for reading.
//!
//! The generated code is mostly invocations of the runtime's declarative
//! macros, which rustfmt and prettyplease leave as one long line. This
//! layout knows the few shapes the emitter writes: doc attributes become
//! `///` lines, attributes and statements get lines of their own, item
//! bodies are indented blocks, struct literals list one member per line,
//! and long arrays of names fill lines. It reads the tokens once, so a
//! build script pays about what `to_string()` costs.

use proc_macro2::{Delimiter, Group, Literal, Spacing, TokenStream, TokenTree};

/// Lines longer than this are broken where the layout can.
const WIDTH: usize = 100;
/// A brace group whose one-line form is at most this long stays on one
/// line (`Lifetime { since: Some(V2_3_7), ..Lifetime::ALWAYS }`).
const INLINE_BRACES: usize = 72;

/// The tokens as Rust source.
#[must_use]
pub fn render(tokens: &TokenStream) -> String {
    let atoms = atoms(tokens.clone());
    let mut out = Out::default();
    block_body(&atoms, 0, &mut out);
    out.finish()
}

/// A token, with joint punctuation combined into one operator (`::`, `->`,
/// `..`) and a lifetime into one word.
#[derive(Clone, Debug)]
enum Atom {
    Word(String),
    Literal(Literal),
    Op(String),
    Group(Delimiter, Vec<Atom>),
}

fn atoms(tokens: TokenStream) -> Vec<Atom> {
    let mut out = Vec::new();
    let mut op = String::new();
    for tree in tokens {
        match tree {
            TokenTree::Punct(punct) => {
                op.push(punct.as_char());
                if punct.spacing() == Spacing::Alone {
                    out.push(Atom::Op(std::mem::take(&mut op)));
                }
            }
            TokenTree::Ident(ident) if op == "'" => {
                op.clear();
                out.push(Atom::Word(format!("'{ident}")));
            }
            other => {
                if !op.is_empty() {
                    out.push(Atom::Op(std::mem::take(&mut op)));
                }
                match other {
                    TokenTree::Ident(ident) => out.push(Atom::Word(ident.to_string())),
                    TokenTree::Literal(lit) => out.push(Atom::Literal(lit)),
                    TokenTree::Group(group) => out.push(group_atom(&group)),
                    TokenTree::Punct(_) => {}
                }
            }
        }
    }
    if !op.is_empty() {
        out.push(Atom::Op(op));
    }
    out
}

fn group_atom(group: &Group) -> Atom {
    Atom::Group(group.delimiter(), atoms(group.stream()))
}

/// Words after which `::` or a group keeps its space.
const KEYWORDS: &[&str] = &[
    "as", "const", "dyn", "else", "enum", "fn", "for", "if", "impl", "in", "let", "match", "mod",
    "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "type", "unsafe", "use",
    "where", "while",
];

fn is_keyword(atom: &Atom) -> bool {
    matches!(atom, Atom::Word(w) if KEYWORDS.contains(&w.as_str()))
}

/// Whether a space separates `next` from `prev` on one line.
fn space_between(prev: &Atom, next: &Atom) -> bool {
    use Atom::{Group, Literal, Op, Word};
    match (prev, next) {
        (Op(p), _) if p == "::" || p == "#" || p == "#!" || p == "&" || p == "'" => false,
        (Op(p), _) if p == ".." || p == "." || p == "<" => false,
        (_, Op(n)) if matches!(n.as_str(), "," | ";" | ":" | "." | "?" | ">" | "<") => false,
        (_, Op(n)) if n == "!" => !matches!(prev, Word(_)),
        (Op(p), _) if p == "!" => matches!(next, Group(Delimiter::Brace, _)),
        (_, Op(n)) if n == "::" => {
            !(matches!(prev, Word(_) | Group(..)) || matches!(prev, Op(p) if p == ">"))
                || is_keyword(prev)
        }
        (Word(w), Group(Delimiter::Parenthesis | Delimiter::Bracket, _)) => {
            is_keyword(prev) && w != "pub"
        }
        (Op(p), Group(Delimiter::Bracket, _)) if p == "#" || p == "#!" || p == "&" => false,
        (Group(..), Group(Delimiter::Parenthesis | Delimiter::Bracket, _)) => false,
        (_, Group(Delimiter::Brace, _)) => true,
        (Op(_), _) => true,
        (Word(_) | Literal(_) | Group(..), _) => true,
    }
}

/// The one-line form of `atoms`.
fn flat(atoms: &[Atom]) -> String {
    let mut text = String::new();
    let mut prev: Option<&Atom> = None;
    for atom in atoms {
        if prev.is_some_and(|p| space_between(p, atom)) {
            text.push(' ');
        }
        match atom {
            // A use tree, `a::{B, C}`, has no spaces inside its braces.
            Atom::Group(Delimiter::Brace, inner) if matches!(prev, Some(Atom::Op(op)) if op == "::") =>
            {
                text.push('{');
                text.push_str(&flat(inner));
                text.push('}');
            }
            _ => flat_atom(atom, &mut text),
        }
        prev = Some(atom);
    }
    text
}

fn flat_atom(atom: &Atom, text: &mut String) {
    match atom {
        Atom::Word(w) | Atom::Op(w) => text.push_str(w),
        Atom::Literal(lit) => text.push_str(&lit.to_string()),
        Atom::Group(delimiter, inner) => {
            let (open, close) = delimiters(*delimiter);
            text.push_str(open);
            let body = flat(inner);
            if *delimiter == Delimiter::Brace && !inner.is_empty() {
                text.push(' ');
                text.push_str(&body);
                text.push(' ');
            } else {
                text.push_str(&body);
            }
            text.push_str(close);
        }
    }
}

fn delimiters(delimiter: Delimiter) -> (&'static str, &'static str) {
    match delimiter {
        Delimiter::Parenthesis => ("(", ")"),
        Delimiter::Brace => ("{", "}"),
        Delimiter::Bracket => ("[", "]"),
        Delimiter::None => ("", ""),
    }
}

/// The text of a doc attribute's string, when it can be a `///` line.
fn doc_line(inner: &[Atom]) -> Option<String> {
    let [Atom::Word(doc), Atom::Op(eq), Atom::Literal(lit)] = inner else {
        return None;
    };
    if doc != "doc" || eq != "=" {
        return None;
    }
    let text = string_value(&lit.to_string())?;
    // `////` would be a plain comment, and a line break would end the
    // comment early.
    if text.starts_with('/') || text.contains(['\n', '\r']) {
        return None;
    }
    Some(text)
}

/// The value of a string literal as the emitter writes them.
fn string_value(literal: &str) -> Option<String> {
    if let Some(raw) = literal.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let body = raw.get(hashes..raw.len() - hashes)?;
        return body
            .strip_prefix('"')
            .and_then(|b| b.strip_suffix('"'))
            .map(str::to_owned);
    }
    let body = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            '0' => out.push('\0'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'u' => {
                let rest: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let code = u32::from_str_radix(rest.strip_prefix('{')?, 16).ok()?;
                out.push(char::from_u32(code)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The output, line by line.
#[derive(Default)]
struct Out {
    lines: Vec<String>,
    /// Whether the next item should be set off by a blank line.
    gap: bool,
    /// How many blank lines `gap` has added, so that a statement's size
    /// leaves them out.
    blanks: usize,
}

impl Out {
    fn line(&mut self, depth: usize, text: &str) {
        if self.gap {
            if self
                .lines
                .last()
                .is_some_and(|l| !l.trim().is_empty() && !l.ends_with('{'))
            {
                self.lines.push(String::new());
                self.blanks += 1;
            }
            self.gap = false;
        }
        self.lines.push(format!("{}{text}", "    ".repeat(depth)));
    }

    /// Appends to the last line.
    fn append(&mut self, text: &str) {
        match self.lines.last_mut() {
            Some(last) => last.push_str(text),
            None => self.lines.push(text.to_owned()),
        }
    }

    fn finish(self) -> String {
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }
}

/// Splits `atoms` at top-level `sep` operators, keeping the separator
/// with the piece before it.
fn split_after<'a>(atoms: &'a [Atom], sep: &str) -> Vec<&'a [Atom]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, atom) in atoms.iter().enumerate() {
        if matches!(atom, Atom::Op(op) if op == sep) {
            pieces.push(&atoms[start..=i]);
            start = i + 1;
        }
    }
    if start < atoms.len() {
        pieces.push(&atoms[start..]);
    }
    pieces
}

fn has_op(atoms: &[Atom], op: &str) -> bool {
    atoms.iter().any(|a| matches!(a, Atom::Op(o) if o == op))
}

fn has_item_keyword(atoms: &[Atom]) -> bool {
    atoms
        .iter()
        .any(|a| matches!(a, Atom::Word(w) if matches!(w.as_str(), "struct" | "enum" | "mod" | "fn" | "impl")))
}

/// Whether a brace group stays on one line.
fn inline_braces(inner: &[Atom]) -> bool {
    inner.is_empty()
        || (!has_op(inner, ";")
            && !has_op(inner, "#")
            && !inner
                .iter()
                .any(|a| matches!(a, Atom::Group(Delimiter::Brace, _)))
            && flat(inner).len() <= INLINE_BRACES)
}

/// The statements or items of a block, one after another.
fn block_body(atoms: &[Atom], depth: usize, out: &mut Out) {
    // A list (struct literal members, a struct's fields) breaks after each
    // comma; anything else after each `;` and each item.
    let list = has_op(atoms, ",") && !has_op(atoms, ";") && !has_item_keyword(atoms);
    let mut i = 0;
    while i < atoms.len() {
        i = statement(atoms, i, depth, list, out);
    }
}

/// Lays out one statement or item of a block from `atoms[start]`; returns
/// where the next begins.
fn statement(atoms: &[Atom], start: usize, depth: usize, list: bool, out: &mut Out) -> usize {
    let mut first_line = (out.lines.len(), out.blanks);
    let mut line = String::new();
    let mut prev: Option<&Atom> = None;
    let mut i = start;
    let flush = |line: &mut String, out: &mut Out| {
        if !line.is_empty() {
            out.line(depth, line);
            line.clear();
        }
    };
    while i < atoms.len() {
        let atom = &atoms[i];
        // Attributes: doc comments as `///`, others on their own line.
        if let Some((inner_attr, group_at)) = attribute_at(atoms, i) {
            let Atom::Group(_, inner) = &atoms[group_at] else {
                unreachable!("attribute_at finds a group")
            };
            flush(&mut line, out);
            match doc_line(inner) {
                Some(text) => {
                    let marker = if inner_attr { "//!" } else { "///" };
                    let space = if text.is_empty() || text.starts_with(' ') {
                        ""
                    } else {
                        " "
                    };
                    out.line(depth, &format!("{marker}{space}{text}"));
                }
                None => {
                    let mut text = String::from(if inner_attr { "#!" } else { "#" });
                    flat_atom(&atoms[group_at], &mut text);
                    out.line(depth, &text);
                }
            }
            i = group_at + 1;
            prev = None;
            if inner_attr {
                // An inner attribute belongs to the module, not to the item
                // after it.
                first_line = (out.lines.len(), out.blanks);
            }
            continue;
        }
        if !line.is_empty() && prev.is_some_and(|p| space_between(p, atom)) {
            line.push(' ');
        }
        match atom {
            Atom::Group(Delimiter::Brace, inner)
                if matches!(prev, Some(Atom::Op(op)) if op == "::") && inline_braces(inner) =>
            {
                line.push('{');
                line.push_str(&flat(inner));
                line.push('}');
            }
            Atom::Group(Delimiter::Brace, inner)
                if matches!(prev, Some(Atom::Op(op)) if op == "::") && !inline_braces(inner) =>
            {
                // A use tree: its names fill lines, as an array's do.
                line.push('{');
                flush(&mut line, out);
                bracket_body(inner, depth + 1, out);
                line.push('}');
            }
            Atom::Group(Delimiter::Brace, inner) if !inline_braces(inner) => {
                line.push('{');
                flush(&mut line, out);
                block_body(inner, depth + 1, out);
                out.gap = false;
                line.push('}');
                // `};`, `},` or the end of an item.
                if let Some(Atom::Op(op)) = atoms.get(i + 1)
                    && (op == ";" || op == ",")
                {
                    line.push_str(op);
                    i += 1;
                }
                out.line(depth, &line);
                line.clear();
                i += 1;
                end_statement(out, first_line, depth);
                return i;
            }
            Atom::Group(Delimiter::Bracket, inner) if list_too_long(&line, inner, depth) => {
                line.push('[');
                flush(&mut line, out);
                bracket_body(inner, depth + 1, out);
                line.push(']');
                out.line(depth, &line);
                line.clear();
                // What follows the array continues its last line.
                let mut j = i + 1;
                let mut rest = String::new();
                let mut last = atom;
                while let Some(next) = atoms.get(j) {
                    if space_between(last, next) {
                        rest.push(' ');
                    }
                    flat_atom(next, &mut rest);
                    last = next;
                    j += 1;
                    if matches!(next, Atom::Op(op) if op == ";" || (list && op == ",")) {
                        break;
                    }
                }
                out.append(&rest);
                end_statement(out, first_line, depth);
                return j;
            }
            _ => flat_atom(atom, &mut line),
        }
        i += 1;
        if matches!(atom, Atom::Op(op) if op == ";" || (list && op == ",")) {
            flush(&mut line, out);
            end_statement(out, first_line, depth);
            return i;
        }
        prev = Some(atom);
    }
    flush(&mut line, out);
    i
}

/// Whether an attribute starts at `atoms[i]`: whether it is an inner one,
/// and where its bracket group is.
fn attribute_at(atoms: &[Atom], i: usize) -> Option<(bool, usize)> {
    let bracket = |at: usize| matches!(atoms.get(at), Some(Atom::Group(Delimiter::Bracket, _)));
    match atoms.get(i)? {
        Atom::Op(op) if op == "#" && bracket(i + 1) => Some((false, i + 1)),
        Atom::Op(op) if op == "#!" && bracket(i + 1) => Some((true, i + 1)),
        Atom::Op(op)
            if op == "#"
                && matches!(atoms.get(i + 1), Some(Atom::Op(b)) if b == "!")
                && bracket(i + 2) =>
        {
            Some((true, i + 2))
        }
        _ => None,
    }
}

/// Sets a statement that took several lines off from the next.
/// Deeper than items in a macro's body (the members of a declared struct
/// or enum), statements follow each other without blank lines.
fn end_statement(out: &mut Out, (lines, blanks): (usize, usize), depth: usize) {
    if depth < 2 && out.lines.len() - lines - (out.blanks - blanks) > 1 {
        out.gap = true;
    }
}

fn list_too_long(line: &str, inner: &[Atom], depth: usize) -> bool {
    let blocks = inner
        .iter()
        .any(|a| matches!(a, Atom::Group(Delimiter::Brace, g) if !inline_braces(g)));
    blocks || depth * 4 + line.len() + flat(inner).len() + 2 > WIDTH
}

/// The elements of a long array: short ones fill lines, others get lines
/// of their own.
fn bracket_body(atoms: &[Atom], depth: usize, out: &mut Out) {
    let elements = split_after(atoms, ",");
    let simple = elements.iter().all(|e| {
        !e.iter()
            .any(|a| matches!(a, Atom::Group(Delimiter::Brace, g) if !inline_braces(g)))
    });
    if !simple {
        for element in elements {
            let mut i = 0;
            while i < element.len() {
                i = statement(element, i, depth, true, out);
            }
        }
        return;
    }
    let mut line = String::new();
    for element in elements {
        let text = flat(element);
        if !line.is_empty() && depth * 4 + line.len() + 1 + text.len() > WIDTH {
            out.line(depth, &line);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&text);
    }
    if !line.is_empty() {
        out.line(depth, &line);
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::render;

    #[test]
    fn lays_out_the_emitters_shapes() {
        let tokens = quote! {
            #![doc = "A module."]
            use crate::{FieldMeta, Lifetime};
            crate::__event! {
                #[doc = " The event."]
                #[cfg_attr(feature = "v2_4_0", deprecated(since = "2.4.0", note = "gone"))]
                pub struct AuthFinished = "auth_finished", meta 0, if feature = "v2_3_7" {
                    #[doc = " A field."]
                    pub user: Text = "user";
                    pub state: Enum<enums::State> = "state", if feature = "v2_3_9";
                }
            }
            pub(crate) const F0: FieldMeta = FieldMeta {
                name: "user",
                lifetime: Lifetime { since: Some(V2_3_7), ..Lifetime::ALWAYS },
                ..FieldMeta::DEFAULT
            };
            pub static VERSIONS: &[Version] = &[V2_3_0, V2_3_7];
        };
        let text = render(&tokens);
        assert_eq!(
            text,
            "//! A module.\n\
             use crate::{FieldMeta, Lifetime};\n\
             crate::__event! {\n    \
                 /// The event.\n    \
                 #[cfg_attr(feature = \"v2_4_0\", deprecated(since = \"2.4.0\", note = \"gone\"))]\n    \
                 pub struct AuthFinished = \"auth_finished\", meta 0, if feature = \"v2_3_7\" {\n        \
                     /// A field.\n        \
                     pub user: Text = \"user\";\n        \
                     pub state: Enum<enums::State> = \"state\", if feature = \"v2_3_9\";\n    \
                 }\n\
             }\n\
             \n\
             pub(crate) const F0: FieldMeta = FieldMeta {\n    \
                 name: \"user\",\n    \
                 lifetime: Lifetime { since: Some(V2_3_7), ..Lifetime::ALWAYS },\n    \
                 ..FieldMeta::DEFAULT\n\
             };\n\
             \n\
             pub static VERSIONS: &[Version] = &[V2_3_0, V2_3_7];\n"
        );
        // The text reads back as the same code.
        let reparsed: proc_macro2::TokenStream = text.parse().expect("valid tokens");
        assert_eq!(render(&reparsed), text);
    }

    #[test]
    fn long_arrays_fill_lines() {
        let names: Vec<proc_macro2::Ident> =
            (0..40).map(|i| quote::format_ident!("F{i}")).collect();
        let tokens = quote!(pub static A: &[X] = &[#(#names),*];);
        let text = render(&tokens);
        assert!(text.lines().count() > 2, "{text}");
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
        let reparsed: proc_macro2::TokenStream = text.parse().expect("valid tokens");
        assert_eq!(reparsed.to_string(), tokens.to_string());
    }
}
