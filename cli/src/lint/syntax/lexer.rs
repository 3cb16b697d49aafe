//! The tokens of the event filter language (`event-filter-lexer.l`), and
//! the release-dependent parts of it the caller passes in.

use super::text::Text;
use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;

/// The release-dependent parts of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dialect {
    /// The release, named in messages.
    pub(crate) release: Version,
    /// Whether `NOT` binds tighter than `AND` and `OR`.
    pub(crate) not_binds_tight: bool,
    /// The release from which `?` may appear in unquoted tokens.
    pub(crate) question_since: Version,
    /// The release from which `/` and `%` may appear in unquoted tokens and
    /// backslash escapes inside quotes are kept for the matcher.
    pub(crate) slash_since: Version,
}

/// A malformed expression: where, what and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) at: Location,
    pub(crate) message: String,
    pub(crate) fix: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    And,
    Or,
    Not,
    Open,
    Close,
    Eq,
    Lt,
    Gt,
    Word(String),
    Str(String),
    /// A character the lexer has no rule for.
    Other(char),
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

fn is_token_char(c: char, dialect: Dialect) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, ':' | '.' | '*' | '_' | '-')
        || (c == '?' && dialect.release >= dialect.question_since)
        || (matches!(c, '/' | '%') && dialect.release >= dialect.slash_since)
}

pub(crate) fn lex(text: &Text, dialect: Dialect) -> Result<Vec<Token>, SyntaxError> {
    let chars = &text.chars;
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let tok = match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            '(' => Tok::Open,
            ')' => Tok::Close,
            '=' => Tok::Eq,
            '<' => Tok::Lt,
            '>' => Tok::Gt,
            '"' => {
                i += 1;
                let mut s = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(SyntaxError {
                                at: text.location(start),
                                message: "this quoted string has no closing `\"`".to_owned(),
                                fix: Some("add the closing `\"`".to_owned()),
                            });
                        }
                        Some('"') => break,
                        Some('\\') if i + 1 < chars.len() && chars[i + 1] != '\n' => {
                            let next = chars[i + 1];
                            if dialect.release >= dialect.slash_since || !matches!(next, '\\' | '"')
                            {
                                s.push('\\');
                            }
                            s.push(next);
                            i += 2;
                        }
                        Some(c) => {
                            s.push(*c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push(Token {
                    tok: Tok::Str(s),
                    start,
                    end: i,
                });
                continue;
            }
            c if is_token_char(c, dialect) => {
                while i < chars.len() && is_token_char(chars[i], dialect) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let tok = match word.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    _ => Tok::Word(word),
                };
                out.push(Token { tok, start, end: i });
                continue;
            }
            other => Tok::Other(other),
        };
        i += 1;
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}
