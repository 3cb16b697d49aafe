//! The error both parsers return: what was wrong, and where.

use std::borrow::Cow;
use std::fmt;

use crate::value::FieldError;

/// What kind of problem a parser met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not well-formed JSON or tab-text (this includes input
    /// cut short, and a top-level member given twice).
    Syntax,
    /// The input is not valid UTF-8.
    Encoding,
    /// A value does not have the type its place needs: a known field whose
    /// value does not fit the schema's type, or an envelope member such as
    /// `start_time` that is not a timestamp.
    Type,
}

/// Why an exported event could not be parsed, with everything known about
/// where: the line, the column, the event, and the field or envelope member.
///
/// Positions are 1-based. The parsers count lines within the text they were
/// given (a one-line export is line 1); [`Error::with_line`] shifts them to
/// the caller's numbering, and the `from_lines` helpers do so themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    format: &'static str,
    line: Option<u64>,
    column: Option<u64>,
    event: Option<String>,
    place: Option<Place>,
    expected: Option<Cow<'static, str>>,
    found: Option<String>,
    message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Field(String),
    Member(&'static str),
}

impl Error {
    fn new(kind: ErrorKind, format: &'static str) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                format,
                line: None,
                column: None,
                event: None,
                place: None,
                expected: None,
                found: None,
                message: None,
            }),
        }
    }

    pub(crate) fn syntax(format: &'static str, message: impl Into<String>) -> Self {
        let mut error = Error::new(ErrorKind::Syntax, format);
        error.inner.message = Some(message.into());
        error
    }

    pub(crate) fn encoding(format: &'static str, message: impl Into<String>) -> Self {
        let mut error = Error::new(ErrorKind::Encoding, format);
        error.inner.message = Some(message.into());
        error
    }

    pub(crate) fn mismatch(
        format: &'static str,
        expected: impl Into<Cow<'static, str>>,
        found: impl Into<String>,
    ) -> Self {
        let mut error = Error::new(ErrorKind::Type, format);
        error.inner.expected = Some(expected.into());
        error.inner.found = Some(found.into());
        error
    }

    pub(crate) fn from_field(format: &'static str, error: FieldError) -> Self {
        let mut out = Error::mismatch(format, error.expected, error.found);
        out.inner.place = error.field.map(Place::Field);
        out
    }

    pub(crate) fn at(mut self, line: u64, column: u64) -> Self {
        self.inner.line.get_or_insert(line);
        self.inner.column.get_or_insert(column);
        self
    }

    pub(crate) fn in_event(mut self, event: Option<&str>) -> Self {
        if self.inner.event.is_none() {
            self.inner.event = event.filter(|e| !e.is_empty()).map(str::to_owned);
        }
        self
    }

    pub(crate) fn in_field(mut self, field: &str) -> Self {
        self.inner
            .place
            .get_or_insert_with(|| Place::Field(field.to_owned()));
        self
    }

    pub(crate) fn in_member(mut self, member: &'static str) -> Self {
        self.inner.place.get_or_insert(Place::Member(member));
        self
    }

    /// Renumbers the error's line for input that starts at line `first_line`
    /// of a larger text (1-based): an error on the input's line 1 is then on
    /// line `first_line`.
    #[must_use]
    pub fn with_line(mut self, first_line: u64) -> Self {
        let within = self.inner.line.unwrap_or(1);
        self.inner.line = Some(first_line.saturating_add(within - 1));
        self
    }

    /// What kind of problem this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The line (1-based), when known.
    #[must_use]
    pub fn line(&self) -> Option<u64> {
        self.inner.line
    }

    /// The column (1-based, in bytes), when known.
    #[must_use]
    pub fn column(&self) -> Option<u64> {
        self.inner.column
    }

    /// The name of the event being parsed, once it was read.
    #[must_use]
    pub fn event(&self) -> Option<&str> {
        self.inner.event.as_deref()
    }

    /// The field (under `fields`, or a `field:` item) the error is in.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match &self.inner.place {
            Some(Place::Field(name)) => Some(name),
            _ => None,
        }
    }

    /// The envelope member (`event`, `hostname`, `start_time`, `end_time`,
    /// `categories`, `fields`) the error is in, when it is not in a field.
    #[must_use]
    pub fn member(&self) -> Option<&str> {
        match &self.inner.place {
            Some(Place::Member(name)) => Some(name),
            _ => None,
        }
    }

    /// For [`ErrorKind::Type`], the expected type, e.g. `a port number
    /// (0-65535)`.
    #[must_use]
    pub fn expected(&self) -> Option<&str> {
        self.inner.expected.as_deref()
    }

    /// For [`ErrorKind::Type`], what was found instead, shortened.
    #[must_use]
    pub fn found(&self) -> Option<&str> {
        self.inner.found.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        match (inner.line, inner.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            (None, Some(column)) => write!(f, "column {column}: ")?,
            (None, None) => {}
        }
        if let Some(event) = &inner.event {
            write!(f, "event `{event}`: ")?;
        }
        match &inner.place {
            Some(Place::Field(name)) => write!(f, "field `{name}`: ")?,
            Some(Place::Member(name)) => write!(f, "`{name}`: ")?,
            None => {}
        }
        match inner.kind {
            ErrorKind::Type => write!(
                f,
                "expected {}, found {}",
                inner.expected.as_deref().unwrap_or("another type"),
                inner.found.as_deref().unwrap_or("something else")
            ),
            ErrorKind::Syntax => write!(
                f,
                "invalid {}: {}",
                inner.format,
                inner.message.as_deref().unwrap_or("malformed input")
            ),
            ErrorKind::Encoding => write!(
                f,
                "invalid UTF-8 in {}: {}",
                inner.format,
                inner.message.as_deref().unwrap_or("malformed input")
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Shortens text for an error message.
pub(crate) fn shown(text: &str) -> String {
    let mut shown: String = text.chars().take(40).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}
