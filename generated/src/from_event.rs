//! The runtime of `#[derive(DovecotEvent)]`: building a user's own struct
//! from a parsed event.
//!
//! The derive implements [`FromEvent`] and `TryFrom<ExportedEvent>` /
//! `TryFrom<Event>`; the conversions of single values live here.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use crate::value::{FieldError, FromValue, Value};
use crate::{Event, Fields, Timestamp};

/// A struct that can be built from one kind of Dovecot event; implemented by
/// `#[derive(DovecotEvent)]`.
pub trait FromEvent<'a>: Sized {
    /// The event name the struct reads.
    const EVENT: &'static str;

    /// Builds the struct from the event's fields (known and unknown ones).
    ///
    /// # Errors
    ///
    /// A required field is missing or a value does not fit its Rust type.
    fn from_fields(fields: Fields<'a>) -> Result<Self, FromEventError>;
}

/// Why an event could not become a user's struct.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FromEventError {
    /// The event is a different one.
    WrongEvent {
        /// The event the struct reads.
        expected: &'static str,
        /// The event that was given.
        found: String,
    },
    /// A field the struct requires (not an `Option`) was not sent.
    Missing {
        /// The field's name.
        field: &'static str,
    },
    /// A field's value does not fit the struct's type.
    Field(FieldError),
}

impl fmt::Display for FromEventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FromEventError::WrongEvent { expected, found } => {
                write!(f, "expected event `{expected}`, found `{found}`")
            }
            FromEventError::Missing { field } => write!(f, "field `{field}` is missing"),
            FromEventError::Field(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for FromEventError {}

/// Builds `T` from `event`, after checking it is the right event.
///
/// # Errors
///
/// As [`FromEvent::from_fields`], or the wrong event.
pub fn from_event<'a, T: FromEvent<'a>>(event: Event<'a>) -> Result<T, FromEventError> {
    if event.name() != T::EVENT {
        return Err(FromEventError::WrongEvent {
            expected: T::EVENT,
            found: event.name().to_owned(),
        });
    }
    T::from_fields(event.into_fields())
}

/// Conversion of a typed field back into its wire value, by value (so
/// borrowed text stays borrowed).
pub trait IntoValue<'a> {
    /// The wire value.
    fn into_value(self) -> Value<'a>;
}

impl<'a> IntoValue<'a> for Cow<'a, str> {
    fn into_value(self) -> Value<'a> {
        Value::Str(self)
    }
}

impl<'a> IntoValue<'a> for Vec<Cow<'a, str>> {
    fn into_value(self) -> Value<'a> {
        Value::List(self)
    }
}

macro_rules! int_into_value {
    ($($ty:ty),*) => {$(
        impl<'a> IntoValue<'a> for $ty {
            fn into_value(self) -> Value<'a> {
                Value::Int(i64::from(self))
            }
        }
    )*};
}
int_into_value!(i64, u16);

impl<'a> IntoValue<'a> for u64 {
    fn into_value(self) -> Value<'a> {
        // Dovecot's integers are signed 64-bit (intmax_t); a u64 field holds
        // a non-negative one, so this never saturates for real data.
        Value::Int(i64::try_from(self).unwrap_or(i64::MAX))
    }
}

impl<'a> IntoValue<'a> for bool {
    fn into_value(self) -> Value<'a> {
        Value::Str(Cow::Borrowed(if self { "yes" } else { "no" }))
    }
}

impl<'a> IntoValue<'a> for IpAddr {
    fn into_value(self) -> Value<'a> {
        Value::Str(Cow::Owned(self.to_string()))
    }
}

impl<'a> IntoValue<'a> for Timestamp {
    fn into_value(self) -> Value<'a> {
        Value::Str(Cow::Owned(self.to_string()))
    }
}

impl<'a> FromValue<'a> for String {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        match value {
            Value::Int(i) => Ok(i.to_string()),
            other => Cow::<'a, str>::from_value(other).map(Cow::into_owned),
        }
    }
}

impl<'a> FromValue<'a> for &'a str {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        match value {
            Value::Str(Cow::Borrowed(text)) => Ok(text),
            Value::Str(Cow::Owned(_)) => Err(FieldError::new(
                "borrowed text (the value was unescaped or converted, so it \
                 cannot borrow from the input; use String or Cow<str>)",
                &value,
            )),
            other => Err(FieldError::new("text", &other)),
        }
    }
}

impl<'a> FromValue<'a> for Vec<String> {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        Vec::<Cow<'a, str>>::from_value(value)
            .map(|list| list.into_iter().map(Cow::into_owned).collect())
    }
}

impl<'a> FromValue<'a> for Vec<&'a str> {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        Vec::<Cow<'a, str>>::from_value(value)?
            .into_iter()
            .map(|item| <&'a str>::from_value(Value::Str(item)))
            .collect()
    }
}

impl<'a, T: FromValue<'a>> FromValue<'a> for Option<T> {
    fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
        T::from_value(value).map(Some)
    }
}

macro_rules! narrow_ints {
    ($($ty:ty => $what:literal),*) => {$(
        impl<'a> FromValue<'a> for $ty {
            fn from_value(value: Value<'a>) -> Result<Self, FieldError> {
                let wide = i64::from_value(value.reborrow())?;
                <$ty>::try_from(wide).map_err(|_| FieldError::new($what, &value))
            }
        }
    )*};
}
narrow_ints!(
    i8 => "an integer that fits i8",
    i16 => "an integer that fits i16",
    i32 => "an integer that fits i32",
    i128 => "an integer",
    isize => "an integer that fits isize",
    u8 => "an integer that fits u8",
    u32 => "an integer that fits u32",
    u128 => "a non-negative integer",
    usize => "an integer that fits usize"
);
