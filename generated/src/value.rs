//! Field values as Dovecot sends them, and their conversion into typed Rust
//! values.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use dovecot_events_vocab::Repr;

use crate::timestamp::Timestamp;

/// A field value in its wire form: what a JSON export or a tab-text line
/// carries, before the schema gives it a type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// Text (tab-text carries every value as text).
    Str(Cow<'a, str>),
    /// A JSON integer.
    Int(i64),
    /// A JSON number with a fraction (Unix timestamps with `time-unix`).
    Float(f64),
    /// A list of strings.
    List(Vec<Cow<'a, str>>),
}

impl Value<'_> {
    /// Copies borrowed text so the value outlives its input.
    #[must_use]
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::List(items) => Value::List(
                items
                    .into_iter()
                    .map(|s| Cow::Owned(s.into_owned()))
                    .collect(),
            ),
        }
    }

    /// A borrowed view of this value.
    #[must_use]
    pub fn reborrow(&self) -> Value<'_> {
        match self {
            Value::Str(s) => Value::Str(Cow::Borrowed(s)),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::List(items) => Value::List(items.iter().map(|s| Cow::Borrowed(&**s)).collect()),
        }
    }

    /// Whether this is text that Dovecot cut short: it ends in `...`, the
    /// mark the exporter appends to a value longer than its
    /// `format_max_field_len`. Such a value is kept as sent when it does
    /// not fit its field's type.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        matches!(self, Value::Str(text) if text.ends_with("..."))
    }

    /// How this value fits a field held as `repr`, by the same conversion
    /// the typed events use: [`Fit::Typed`], [`Fit::Truncated`] when it does
    /// not fit but was cut short (and is kept as sent), or the error a
    /// parser reports.
    ///
    /// # Errors
    ///
    /// The value does not fit and is not truncated.
    pub fn fit(&self, repr: Repr) -> Result<Fit, FieldError> {
        fn convert<'v, T: FromValue<'v>>(value: Value<'v>) -> Result<(), FieldError> {
            T::from_value(value).map(drop)
        }
        let value = self.reborrow();
        let converted = match repr {
            Repr::Text | Repr::Enum => convert::<Cow<'_, str>>(value),
            Repr::I64 => convert::<i64>(value),
            Repr::U64 => convert::<u64>(value),
            Repr::U16 => convert::<u16>(value),
            Repr::Timestamp => convert::<Timestamp>(value),
            Repr::Ip => convert::<IpAddr>(value),
            Repr::TextList => convert::<Vec<Cow<'_, str>>>(value),
            Repr::Flag => convert::<bool>(value),
        };
        match converted {
            Ok(()) => Ok(Fit::Typed),
            Err(_) if self.is_truncated() => Ok(Fit::Truncated),
            Err(error) => Err(error),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number with a fraction",
            Value::List(_) => "a list",
        }
    }
}

/// How a wire value fits its field's type; see [`Value::fit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// It converts to the field's type.
    Typed,
    /// It does not, but Dovecot cut it short; it is kept as sent.
    Truncated,
}

/// Why a value could not be converted to a field's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, once known.
    pub field: Option<String>,
    /// The type the schema expects, e.g. `integer (bytes)`.
    pub expected: &'static str,
    /// What was found instead, shortened.
    pub found: String,
}

impl FieldError {
    #[cold]
    #[inline(never)]
    pub(crate) fn new(expected: &'static str, value: &Value<'_>) -> Self {
        let found = match value {
            Value::Str(s) => crate::error::shown(s),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{} ({f})", value.kind()),
            Value::List(_) => value.kind().to_owned(),
        };
        FieldError {
            field: None,
            expected,
            found,
        }
    }

    /// Names the field the error is about.
    #[must_use]
    pub fn in_field(mut self, name: &str) -> Self {
        self.field = Some(name.to_owned());
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

impl std::error::Error for FieldError {}

/// Conversion from a wire value into a field's Rust type.
pub trait FromValue<'a>: Sized {
    /// Converts, or says what was expected.
    ///
    /// # Errors
    ///
    /// Returns a [`FieldError`] when the value does not fit the type.
    fn from_value(value: Value<'a>) -> Result<Self, FieldError>;
}

/// Conversion from a field's Rust type back to its wire value.
pub trait ToValue {
    /// The wire value, borrowing where possible.
    fn to_value(&self) -> Value<'_>;
}

impl<'a> FromValue<'a> for Cow<'a, str> {
    #[inline]
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        match value {
            Value::Str(s) => Ok(s),
            // Dovecot sends text fields as JSON strings; a number here means
            // the field changed type, and keeping its digits loses nothing.
            Value::Int(i) => Ok(Cow::Owned(i.to_string())),
            other => Err(FieldError::new("a string", &other)),
        }
    }
}

impl ToValue for Cow<'_, str> {
    fn to_value(&self) -> Value<'_> {
        Value::Str(Cow::Borrowed(self))
    }
}

/// Dovecot's integers are `intmax_t`: anything outside `i64` cannot be one.
#[inline]
fn integer(value: &Value<'_>, expected: &'static str) -> Result<i64, FieldError> {
    match value {
        Value::Int(i) => Ok(*i),
        Value::Str(s) => match digits(s.as_bytes()) {
            Some(i) => Ok(i),
            None => s
                .parse::<i64>()
                .map_err(|_| FieldError::new(expected, value)),
        },
        other => Err(FieldError::new(expected, other)),
    }
}

/// A run of one to eighteen ASCII digits (which cannot overflow an `i64`)
/// as a number: how tab-text sends nearly every integer, read without the
/// general parser's sign and overflow handling.
#[inline]
fn digits(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > 18 {
        return None;
    }
    let mut n = 0i64;
    for &b in text {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n * 10 + i64::from(digit);
    }
    Some(n)
}

macro_rules! integer_impls {
    ($($ty:ty => $expected:literal),*) => {$(
        impl<'a> FromValue<'a> for $ty {
            #[inline]
            fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
                let wide = integer(&value, $expected)?;
                <$ty>::try_from(wide).map_err(|_| FieldError::new($expected, &value))
            }
        }

        impl ToValue for $ty {
            fn to_value(&self) -> Value<'_> {
                // Values above i64::MAX cannot come from Dovecot, whose
                // integers are intmax_t; saturate rather than wrap.
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}

integer_impls!(
    i64 => "an integer",
    u64 => "a non-negative integer",
    u16 => "a port number (0-65535)"
);

impl<'a> FromValue<'a> for bool {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        match &value {
            Value::Str(s) if s == "yes" => Ok(true),
            Value::Str(s) if s == "no" => Ok(false),
            _ => Err(FieldError::new("`yes`", &value)),
        }
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Str(Cow::Borrowed(if *self { "yes" } else { "no" }))
    }
}

impl<'a> FromValue<'a> for IpAddr {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        match &value {
            Value::Str(s) => s
                .parse()
                .map_err(|_| FieldError::new("an IP address", &value)),
            _ => Err(FieldError::new("an IP address", &value)),
        }
    }
}

impl ToValue for IpAddr {
    fn to_value(&self) -> Value<'_> {
        Value::Str(Cow::Owned(self.to_string()))
    }
}

impl<'a> FromValue<'a> for Vec<Cow<'a, str>> {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        match value {
            Value::List(items) => Ok(items),
            // Tab-text escapes each item, joins them with TAB and escapes the
            // result again; `s` has been unescaped once.
            Value::Str(s) => Ok(crate::tab_text::split_list_cow(s)),
            other => Err(FieldError::new("a list of strings", &other)),
        }
    }
}

impl ToValue for Vec<Cow<'_, str>> {
    fn to_value(&self) -> Value<'_> {
        Value::List(self.iter().map(|s| Cow::Borrowed(&**s)).collect())
    }
}

impl<'a> FromValue<'a> for Timestamp {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        let parsed = match &value {
            Value::Str(s) => Timestamp::parse(s),
            Value::Float(f) => Timestamp::from_unix_f64(*f),
            Value::Int(i) => Timestamp::from_unix(*i, 0),
            Value::List(_) => None,
        };
        parsed.ok_or_else(|| FieldError::new("a timestamp", &value))
    }
}

impl ToValue for Timestamp {
    fn to_value(&self) -> Value<'_> {
        Value::Str(Cow::Owned(self.to_string()))
    }
}

/// Stores a converted value into an optional struct field. Used by the
/// generated `set_field` methods.
///
/// # Errors
///
/// Returns the conversion error, naming `name`.
#[inline]
pub fn set<'a, T: FromValue<'a>>(
    slot: &mut Option<T>,
    name: &str,
    value: Value<'a>,
) -> Result<(), FieldError> {
    *slot = Some(T::from_value(value).map_err(|e| e.in_field(name))?);
    Ok(())
}

/// Writes the value as Dovecot's JSON exporter does: text as a string,
/// numbers as numbers, lists as arrays of strings.
impl serde::Serialize for Value<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(s) => serializer.serialize_str(s),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::List(items) => serializer.collect_seq(items.iter().map(|s| &**s)),
        }
    }
}

/// Fields the schema does not know (from a newer Dovecot, or a plugin), kept
/// in the order they arrived so nothing is lost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields<'a> {
    items: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Fields<'a> {
    /// No fields.
    #[must_use]
    pub const fn new() -> Self {
        Fields { items: Vec::new() }
    }

    /// No fields, with room for `capacity` of them.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Fields {
            items: Vec::with_capacity(capacity),
        }
    }

    /// Adds a field.
    pub fn push(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        self.items.push((name, value));
    }

    /// The fields in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.items.iter().map(|(n, v)| (&**n, v))
    }

    /// The value of the field `name`, if present.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.items.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Copies borrowed text so the fields outlive their input.
    #[must_use]
    pub fn into_owned(self) -> Fields<'static> {
        Fields {
            items: self
                .items
                .into_iter()
                .map(|(n, v)| (Cow::Owned(n.into_owned()), v.into_owned()))
                .collect(),
        }
    }
}

impl<'a> IntoIterator for Fields<'a> {
    type Item = (Cow<'a, str>, Value<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Value<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> Extend<(Cow<'a, str>, Value<'a>)> for Fields<'a> {
    fn extend<I: IntoIterator<Item = (Cow<'a, str>, Value<'a>)>>(&mut self, iter: I) {
        self.items.extend(iter);
    }
}
