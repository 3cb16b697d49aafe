//! The global filter syntax of Dovecot before 2.3.12 (`log_debug`,
//! `log_core_filter`), as `master_service_log_filter_parse()` in
//! `src/lib-master/master-service-settings.c` (2.3.11) reads it.
//!
//! The value is an OR of space-separated queries; a query is one term or
//! several terms in parentheses, which are ANDed. Terms are `event:NAME`,
//! `source:FILE[:LINE]`, `category:NAME` (or `cat:NAME`), `service:NAME`
//! (short for `category:service:NAME`) and `field:KEY=VALUE`. The result is
//! the same syntax tree the unified language produces.

use super::filter::{Cmp, Expr, Op, SyntaxError};
use super::text::Text;

/// Parses a pre-2.3.12 global filter; `Ok(None)` when it is empty.
pub(crate) fn parse_global(text: &Text) -> Result<Option<Expr>, SyntaxError> {
    let chars = &text.chars;
    let n = chars.len();
    let mut i = 0;
    let mut out: Option<Expr> = None;
    while i < n {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let (start, end, next) = if chars[i] == '(' {
            let Some(close) = chars[i + 1..].iter().position(|c| *c == ')') else {
                return Err(SyntaxError {
                    at: text.location(i),
                    message: "this `(` is never closed".to_owned(),
                    fix: Some("add the missing `)`".to_owned()),
                });
            };
            (i + 1, i + 1 + close, i + 2 + close)
        } else {
            match chars[i..].iter().position(|c| *c == ' ') {
                Some(sp) => (i, i + sp, i + sp + 1),
                None => (i, n, n),
            }
        };
        let query = parse_query(text, start, end)?;
        out = Some(match out {
            None => query,
            Some(left) => Expr::join(left, false, query),
        });
        i = next;
    }
    Ok(out)
}

/// The terms in `chars[start..end]`, ANDed.
fn parse_query(text: &Text, start: usize, end: usize) -> Result<Expr, SyntaxError> {
    let chars = &text.chars;
    let mut i = start;
    let mut out: Option<Expr> = None;
    loop {
        while i < end && chars[i] == ' ' {
            i += 1;
        }
        let term_end = chars[i..end]
            .iter()
            .position(|c| *c == ' ')
            .map_or(end, |p| i + p);
        let term = term(text, i, term_end)?;
        out = Some(match out {
            None => term,
            Some(left) => Expr::join(left, true, term),
        });
        if term_end >= end {
            break;
        }
        i = term_end + 1;
    }
    Ok(out.unwrap_or_else(|| unreachable!()))
}

fn term(source: &Text, start: usize, end: usize) -> Result<Expr, SyntaxError> {
    let text = source.slice(start, end);
    let cmp = |key: &str, value: &str, value_at: usize| {
        Expr::Cmp(Cmp {
            key: key.to_owned(),
            key_at: source.location(start),
            op: Op::Eq,
            value: value.to_owned(),
            value_at: source.location(value_at),
            key_span: (start, value_at),
            value_span: (value_at, end),
        })
    };
    // Offsets below are in characters; every prefix is ASCII.
    if let Some(name) = text.strip_prefix("event:") {
        return Ok(cmp("event", name, start + 6));
    }
    if let Some(file_line) = text.strip_prefix("source:") {
        if let Some((_, line)) = file_line.rsplit_once(':')
            && line.parse::<u32>().is_err()
        {
            return Err(SyntaxError {
                at: source.location(start),
                message: format!("invalid line number in `{text}`"),
                fix: Some("write `source:FILE` or `source:FILE:LINE`".to_owned()),
            });
        }
        return Ok(cmp("source_location", file_line, start + 7));
    }
    if let Some(field) = text.strip_prefix("field:") {
        let Some((key, value)) = field.split_once('=') else {
            return Err(SyntaxError {
                at: source.location(start),
                message: format!("`{text}` has no `=`"),
                fix: Some("write `field:KEY=VALUE`".to_owned()),
            });
        };
        let key_at = start + 6;
        let value_at = key_at + key.chars().count() + 1;
        return Ok(Expr::Cmp(Cmp {
            key: key.to_owned(),
            key_at: source.location(key_at),
            op: Op::Eq,
            value: value.to_owned(),
            value_at: source.location(value_at),
            key_span: (key_at, value_at - 1),
            value_span: (value_at, end),
        }));
    }
    if let Some(name) = text.strip_prefix("cat:") {
        return Ok(cmp("category", name, start + 4));
    }
    if let Some(name) = text.strip_prefix("category:") {
        return Ok(cmp("category", name, start + 9));
    }
    if text.starts_with("service:") {
        return Ok(cmp("category", &text, start));
    }
    let fix = if text.contains('=')
        || matches!(text.to_ascii_uppercase().as_str(), "AND" | "OR" | "NOT")
    {
        "the `key=value` filter language with AND, OR and NOT needs Dovecot 2.3.12 or later; \
         before that write `event:NAME`, `category:NAME` or `field:KEY=VALUE`, \
         with `(a b)` for AND and a space for OR"
            .to_owned()
    } else {
        "use `event:`, `category:` (or `cat:`), `service:`, `source:` or `field:KEY=VALUE`"
            .to_owned()
    };
    Err(SyntaxError {
        at: source.location(start),
        message: if text.is_empty() {
            "empty filter term (a stray space inside parentheses?)".to_owned()
        } else {
            format!("`{text}` is not a filter term")
        },
        fix: Some(fix),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Option<Expr>, SyntaxError> {
        parse_global(&Text::plain(text))
    }

    #[test]
    fn or_of_ands() {
        let e = p("(event:http_request_finished category:imap) event:b")
            .expect("parses")
            .expect("not empty");
        let Expr::Or(items) = e else { panic!() };
        assert!(matches!(items[0], Expr::And(_)));
        let Expr::Cmp(c) = &items[1] else { panic!() };
        assert_eq!(
            (c.key.as_str(), c.value.as_str(), c.value_at.column),
            ("event", "b", 51)
        );
        let e = p("field:user=test*").expect("parses").expect("not empty");
        let Expr::Cmp(c) = e else { panic!() };
        assert_eq!(
            (
                c.key.as_str(),
                c.key_at.column,
                c.value.as_str(),
                c.value_at.column
            ),
            ("user", 7, "test*", 12)
        );
    }

    #[test]
    fn errors() {
        assert_eq!(p("(event:a").expect_err("malformed").at.column, 1);
        assert_eq!(p("event:a event=b").expect_err("malformed").at.column, 9);
        assert_eq!(p("field:user").expect_err("malformed").at.column, 1);
        assert_eq!(p("(event:a )").expect_err("malformed").at.column, 10);
        assert_eq!(p(""), Ok(None));
    }
}
