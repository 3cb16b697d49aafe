//! The unified event filter language of Dovecot 2.3.12 and later: lexer,
//! parser and syntax tree, with character positions for every part.
//!
//! The grammar is that of `src/lib/event-filter-parser.y` and
//! `event-filter-lexer.l`:
//!
//! ```text
//! filter    := expr | (empty)
//! expr      := expr AND expr | expr OR expr | NOT expr | '(' expr ')' | key op value
//! key       := TOKEN | STRING
//! op        := '=' | '<' | '>' | '<' '=' | '>' '='
//! value     := TOKEN | STRING | AND | OR | NOT
//! ```
//!
//! `AND`, `OR` and `NOT` are case-insensitive. `AND` and `OR` have the same
//! precedence and group to the left, so `a OR b AND c` is `(a OR b) AND c`;
//! a run of one operator is kept as one node (`a AND b AND c`), so long
//! chains do not nest. Whether `NOT` binds tighter than both (or, as in
//! the first releases of the language, looser: `NOT a AND b` was
//! `NOT (a AND b)`) and which characters an unquoted TOKEN may hold
//! besides `A-Za-z0-9:.*_-` depend on the release: the caller passes them
//! as a [`Dialect`]. Only fields may be compared with anything but `=`.
//!
//! Nesting (parentheses, `NOT`, alternating `AND` and `OR`) deeper than
//! [`MAX_DEPTH`] is a located error, so hostile input cannot exhaust the
//! stack of the parser or of anything that walks the tree.

pub(crate) use super::lexer::{Dialect, SyntaxError};
use super::lexer::{Tok, Token, lex};
use super::text::Text;
use dovecot_events_codegen::diag::Location;

/// How deeply an expression may nest.
pub(crate) const MAX_DEPTH: usize = 100;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

impl Op {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
        }
    }
}

/// `key op value`, with the location of the key and of the value, and the
/// characters of the text each was written with (`start..end`, quotes
/// included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cmp {
    pub(crate) key: String,
    pub(crate) key_at: Location,
    pub(crate) op: Op,
    pub(crate) value: String,
    pub(crate) value_at: Location,
    pub(crate) key_span: (usize, usize),
    pub(crate) value_span: (usize, usize),
}

/// A parsed filter expression. `And` and `Or` hold two or more operands,
/// grouped to the left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    Cmp(Cmp),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    /// `left AND right` (`Or` likewise), appending to a run of the same
    /// operator instead of nesting.
    pub(crate) fn join(left: Expr, and: bool, right: Expr) -> Expr {
        match (left, and) {
            (Expr::And(mut items), true) => {
                items.push(right);
                Expr::And(items)
            }
            (Expr::Or(mut items), false) => {
                items.push(right);
                Expr::Or(items)
            }
            (left, true) => Expr::And(vec![left, right]),
            (left, false) => Expr::Or(vec![left, right]),
        }
    }
}

/// Parses `text` as a filter in `dialect`; `Ok(None)` for an empty filter.
pub(crate) fn parse(text: &Text, dialect: Dialect) -> Result<Option<Expr>, SyntaxError> {
    let tokens = lex(text, dialect)?;
    let chars = &text.chars;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        text,
        chars,
        tokens,
        next: 0,
        dialect,
        depth: 0,
    };
    let expr = parser.expr()?;
    if let Some(token) = parser.peek() {
        let token = token.clone();
        return Err(match token.tok {
            Tok::Close => SyntaxError {
                at: text.location(token.start),
                message: "this `)` has no matching `(`".to_owned(),
                fix: Some("remove it or add the `(` it closes".to_owned()),
            },
            Tok::Other(c) => parser.bad_char(c, token.start),
            _ => SyntaxError {
                at: text.location(token.start),
                message: format!(
                    "expected AND or OR before {}",
                    describe(&token.tok, chars, &token)
                ),
                fix: Some("join comparisons with AND or OR".to_owned()),
            },
        });
    }
    Ok(Some(expr))
}

struct Parser<'a> {
    text: &'a Text,
    chars: &'a [char],
    tokens: Vec<Token>,
    next: usize,
    dialect: Dialect,
    /// How many `expr` levels are open.
    depth: usize,
}

fn describe(tok: &Tok, chars: &[char], token: &Token) -> String {
    match tok {
        Tok::And => "AND".to_owned(),
        Tok::Or => "OR".to_owned(),
        Tok::Not => "NOT".to_owned(),
        _ => format!(
            "`{}`",
            chars[token.start..token.end].iter().collect::<String>()
        ),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn end(&self) -> usize {
        self.chars.len()
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    /// `expr (AND|OR expr)*`, grouping to the left. A change between AND
    /// and OR nests the run so far one level deeper.
    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        let mut nested = 0;
        let result = loop {
            let (and, at) = match self.peek() {
                Some(t) if t.tok == Tok::And => (true, t.start),
                Some(t) if t.tok == Tok::Or => (false, t.start),
                _ => break Ok(left),
            };
            self.next += 1;
            let switches = matches!((&left, and), (Expr::Or(_), true) | (Expr::And(_), false));
            if switches {
                nested += 1;
                if let Err(e) = self.deeper(at) {
                    break Err(e);
                }
            }
            let right = match self.unary() {
                Ok(right) => right,
                Err(e) => break Err(e),
            };
            left = Expr::join(left, and, right);
        };
        self.depth -= nested;
        result
    }

    /// Opens one more level of nesting at character `at`, or fails there
    /// past [`MAX_DEPTH`].
    fn deeper(&mut self, at: usize) -> Result<(), SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(SyntaxError {
                at: self.text.location(at),
                message: format!("the filter nests deeper than {MAX_DEPTH} levels"),
                fix: Some("split it into simpler filters".to_owned()),
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let at = self.peek().map_or(self.end(), |t| t.start);
        self.deeper(at)?;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, SyntaxError> {
        let Some(token) = self.bump() else {
            return Err(SyntaxError {
                at: self.text.location(self.end()),
                message: "the filter ends where a comparison such as `event=name` should follow"
                    .to_owned(),
                fix: Some("complete the expression or remove the trailing operator".to_owned()),
            });
        };
        match &token.tok {
            Tok::Not => {
                let inner = if self.dialect.not_binds_tight {
                    self.unary()?
                } else {
                    self.expr()?
                };
                Ok(Expr::Not(Box::new(inner)))
            }
            Tok::Open => {
                let inner = self.expr()?;
                match self.bump() {
                    Some(Token {
                        tok: Tok::Close, ..
                    }) => Ok(inner),
                    Some(Token {
                        tok: Tok::Other(c),
                        start,
                        ..
                    }) => Err(self.bad_char(c, start)),
                    Some(other) => Err(SyntaxError {
                        at: self.text.location(other.start),
                        message: format!(
                            "expected AND, OR or `)` before {}",
                            describe(&other.tok, self.chars, &other)
                        ),
                        fix: Some("join comparisons with AND or OR".to_owned()),
                    }),
                    None => Err(SyntaxError {
                        at: self.text.location(token.start),
                        message: "this `(` is never closed".to_owned(),
                        fix: Some("add the missing `)`".to_owned()),
                    }),
                }
            }
            Tok::Word(key) | Tok::Str(key) => {
                let key = if matches!(token.tok, Tok::Str(_)) {
                    unescape(key)
                } else {
                    key.clone()
                };
                self.comparison(key, &token)
            }
            Tok::Other(c) => Err(self.bad_char(*c, token.start)),
            _ => Err(SyntaxError {
                at: self.text.location(token.start),
                message: format!(
                    "expected a comparison such as `event=name`, found {}",
                    describe(&token.tok, self.chars, &token)
                ),
                fix: None,
            }),
        }
    }

    fn comparison(&mut self, key: String, key_token: &Token) -> Result<Expr, SyntaxError> {
        let op_token = self.bump();
        let op = match op_token.as_ref().map(|t| &t.tok) {
            Some(Tok::Eq) => Op::Eq,
            Some(Tok::Lt | Tok::Gt) => {
                let lt = matches!(op_token.as_ref().map(|t| &t.tok), Some(Tok::Lt));
                if matches!(self.peek().map(|t| &t.tok), Some(Tok::Eq)) {
                    self.next += 1;
                    if lt { Op::Le } else { Op::Ge }
                } else if lt {
                    Op::Lt
                } else {
                    Op::Gt
                }
            }
            _ => return Err(self.missing_op(&key, key_token, op_token.as_ref())),
        };
        let op_at = op_token.map_or(self.end(), |t| t.start);
        let value_token = self.bump();
        let value = match value_token.as_ref().map(|t| &t.tok) {
            Some(Tok::Word(v) | Tok::Str(v)) => v.clone(),
            Some(Tok::And) => "and".to_owned(),
            Some(Tok::Or) => "or".to_owned(),
            Some(Tok::Not) => "not".to_owned(),
            Some(Tok::Other(c)) => {
                let start = value_token.as_ref().map_or(0, |t| t.start);
                return Err(self.bad_char(*c, start));
            }
            _ => {
                let (at, found) = match &value_token {
                    Some(t) => (t.start, describe(&t.tok, self.chars, t)),
                    None => (self.end(), "the end of the filter".to_owned()),
                };
                return Err(SyntaxError {
                    at: self.text.location(at),
                    message: format!(
                        "expected a value after `{key}{}`, found {found}",
                        op.as_str()
                    ),
                    fix: Some(format!(
                        "write a value, or `{key}{}\"\"` to match an empty or missing value",
                        op.as_str()
                    )),
                });
            }
        };
        let value_span = value_token.map_or((self.end(), self.end()), |t| (t.start, t.end));
        let value_at = value_span.0;
        if op != Op::Eq && matches!(key.as_str(), "event" | "category" | "source_location") {
            return Err(SyntaxError {
                at: self.text.location(op_at),
                message: format!(
                    "only fields can be compared with `{}`; `{key}` only supports `=`",
                    op.as_str()
                ),
                fix: Some(format!("use `{key}=`")),
            });
        }
        Ok(Expr::Cmp(Cmp {
            key,
            key_at: self.text.location(key_token.start),
            op,
            value,
            value_at: self.text.location(value_at),
            key_span: (key_token.start, key_token.end),
            value_span,
        }))
    }

    fn missing_op(&self, key: &str, key_token: &Token, found: Option<&Token>) -> SyntaxError {
        if let Some(Token {
            tok: Tok::Other(c),
            start,
            ..
        }) = found
        {
            return self.bad_char(*c, *start);
        }
        let found_text = found.map_or("the end of the filter".to_owned(), |t| {
            describe(&t.tok, self.chars, t)
        });
        // The pre-2.3.12 global syntax: `event:name`, `category:name`,
        // `field:key=value`.
        let old = [
            "event:",
            "cat:",
            "category:",
            "service:",
            "source:",
            "field:",
        ]
        .iter()
        .find(|p| key.starts_with(**p));
        let fix = match old {
            Some(prefix) => {
                let rest = &key[prefix.len()..];
                let new = match *prefix {
                    "event:" => format!("event={rest}"),
                    "cat:" | "category:" => format!("category={rest}"),
                    "service:" => format!("category={key}"),
                    "source:" => format!("source_location={rest}"),
                    _ => rest.to_owned(),
                };
                format!(
                    "`{key}` is the syntax of Dovecot before 2.3.12; from 2.3.12 on write `{new}` and join comparisons with AND or OR"
                )
            }
            None => "write a comparison such as `event=name` or `field>=1`".to_owned(),
        };
        // Point at the old-style term itself, otherwise at what follows.
        let at = match (old, found) {
            (Some(_), _) => key_token.start,
            (None, Some(t)) => t.start,
            (None, None) => key_token.end,
        };
        SyntaxError {
            at: self.text.location(at),
            message: format!(
                "expected `=`, `<`, `>`, `<=` or `>=` after `{key}`, found {found_text}"
            ),
            fix: Some(fix),
        }
    }

    /// A character no lexer rule accepts outside quotes.
    fn bad_char(&self, c: char, at: usize) -> SyntaxError {
        let since = match c {
            '?' => Some(self.dialect.question_since),
            '/' | '%' => Some(self.dialect.slash_since),
            _ => None,
        };
        let message = match since {
            Some(since) => format!(
                "`{c}` is allowed in an unquoted value only from Dovecot {since} on, not in {}",
                self.dialect.release
            ),
            None => format!("`{c}` cannot appear outside quotes in a filter"),
        };
        // The run of non-blank characters around it is what needs quotes.
        let is_part = |c: &char| !c.is_whitespace() && !matches!(c, '(' | ')' | '=' | '<' | '>');
        let mut start = at;
        while start > 0 && is_part(&self.chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < self.chars.len() && is_part(&self.chars[end]) {
            end += 1;
        }
        let word: String = self.chars[start..end].iter().collect();
        SyntaxError {
            at: self.text.location(at),
            message,
            fix: Some(format!("put the value in double quotes: `\"{word}\"`")),
        }
    }
}

/// Removes backslash escapes (`str_unescape()`).
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dovecot_events_codegen::Version;

    const V2_3_19: Version = Version::new(&[2, 3, 19]);
    const V2_4: Version = Version::new(&[2, 4, 0]);

    fn p(text: &str, release: Version) -> Result<Option<Expr>, SyntaxError> {
        let dialect = Dialect {
            release,
            not_binds_tight: release >= Version::new(&[2, 3, 14]),
            question_since: Version::new(&[2, 3, 16]),
            slash_since: V2_4,
        };
        parse(&Text::plain(text), dialect)
    }

    fn at(e: &SyntaxError) -> usize {
        e.at.column - 1
    }

    fn show(e: &Expr) -> String {
        match e {
            Expr::Cmp(c) => format!("{}{}{}", c.key, c.op.as_str(), c.value),
            Expr::And(items) => {
                format!(
                    "({})",
                    items.iter().map(show).collect::<Vec<_>>().join(" AND ")
                )
            }
            Expr::Or(items) => {
                format!(
                    "({})",
                    items.iter().map(show).collect::<Vec<_>>().join(" OR ")
                )
            }
            Expr::Not(a) => format!("NOT {}", show(a)),
        }
    }

    fn shown(text: &str, target: Version) -> String {
        show(&p(text, target).expect("parses").expect("not empty"))
    }

    #[test]
    fn precedence_follows_bison() {
        assert_eq!(
            shown("a=1 OR b=2 AND c=3", V2_3_19),
            "((a=1 OR b=2) AND c=3)"
        );
        assert_eq!(shown("NOT a=1 AND b=2", V2_3_19), "(NOT a=1 AND b=2)");
        assert_eq!(
            shown("NOT a=1 AND b=2", Version::new(&[2, 3, 13])),
            "NOT (a=1 AND b=2)"
        );
        assert_eq!(
            shown("a = 1 and (b>=2 or c <= 3)", V2_3_19),
            "(a=1 AND (b>=2 OR c<=3))"
        );
        assert_eq!(shown("cmd_name=not", V2_3_19), "cmd_name=not");
        assert_eq!(
            shown("a=1 AND b=2 AND c=3 OR d=4", V2_3_19),
            "((a=1 AND b=2 AND c=3) OR d=4)"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a=1{}", "(".repeat(7000), ")".repeat(7000));
        let e = p(&deep, V2_3_19).expect_err("too deep");
        assert_eq!(at(&e), MAX_DEPTH);
        assert!(e.message.contains("deeper than"));
        let nots = format!("{}a=1", "NOT ".repeat(13_000));
        assert!(p(&nots, V2_3_19).is_err());
        assert!(p(&nots, Version::new(&[2, 3, 13])).is_err());
        let ands = vec!["a=1"; 22_000].join(" AND ");
        assert!(p(&ands, V2_3_19).is_ok());
        let mixed = vec!["a=1"; 1000].join(" AND b=2 OR ");
        assert!(p(&mixed, V2_3_19).is_err());
        let fine = format!(
            "{}a=1{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(p(&fine, V2_3_19).is_ok());
    }

    #[test]
    fn quoted_strings() {
        let e = p(r#""user"="a b\"c\\d\e""#, V2_3_19)
            .expect("parses")
            .expect("not empty");
        let Expr::Cmp(c) = e else { panic!() };
        assert_eq!(c.key, "user");
        assert_eq!(c.value, r#"a b"c\d\e"#);
        assert_eq!(c.value_at.column, 8);
    }

    #[test]
    fn empty_is_fine() {
        assert_eq!(p("  ", V2_3_19), Ok(None));
    }

    #[test]
    fn errors_are_located() {
        let e = p("event=a AND (b=1 OR c=2", V2_3_19).expect_err("malformed");
        assert_eq!(at(&e), 12);
        let e = p("event=a b=2", V2_3_19).expect_err("malformed");
        assert_eq!(at(&e), 8);
        let e = p("user=foo@example.com", V2_3_19).expect_err("malformed");
        assert_eq!(at(&e), 8);
        assert_eq!(
            e.fix.as_deref(),
            Some("put the value in double quotes: `\"foo@example.com\"`")
        );
        let e = p("event<a", V2_3_19).expect_err("malformed");
        assert_eq!(at(&e), 5);
        let e = p("event:imap_command_finished", V2_3_19).expect_err("malformed");
        assert!(
            e.fix
                .expect("present")
                .contains("event=imap_command_finished")
        );
        let e = p("a=1 AND", V2_3_19).expect_err("malformed");
        assert_eq!(at(&e), 7);
        let e = p("a=\"x", V2_3_19).expect_err("malformed");
        assert_eq!(at(&e), 2);
        let e = p("a=x?", Version::new(&[2, 3, 13])).expect_err("malformed");
        assert_eq!(at(&e), 3);
        assert!(p("a=x?", V2_3_19).is_ok());
        assert!(p("ip=10.0.0.0/8", V2_3_19).is_err());
        assert!(p("ip=10.0.0.0/8", V2_4).is_ok());
    }
}
