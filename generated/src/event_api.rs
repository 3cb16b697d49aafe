//! What every event can do, written once for all of them: the generated
//! structs and `Event` enums (here and in other crates) implement two
//! small traits, and everything else is generic code over those.

use std::borrow::Cow;
use std::fmt;

use crate::value::{FieldError, Fields, Value};
use crate::{EventMeta, Timestamp};

/// What every generated event struct can do.
pub trait EventFields<'a>: Default {
    /// The event name as Dovecot sends it.
    const NAME: &'static str;

    /// The schema's metadata for this event.
    fn meta() -> &'static EventMeta;

    /// Stores one field: a known one into its typed member, anything else
    /// into the unknown fields.
    ///
    /// # Errors
    ///
    /// Returns a [`FieldError`] naming the field when a known field's value
    /// does not fit its type; the struct is unchanged then.
    fn set_field(&mut self, name: Cow<'a, str>, value: Value<'a>) -> Result<(), FieldError>;

    /// Calls `f` with every present field, known ones first in schema order,
    /// then unknown ones in arrival order.
    fn for_each_field<'s>(&'s self, f: &mut dyn FnMut(&'s str, Value<'s>));

    /// Moves every present field out as a wire value, in the order of
    /// [`EventFields::for_each_field`], leaving the struct empty.
    fn take_fields(&mut self) -> Fields<'a>;

    /// The fields the schema does not know.
    fn unknown_fields(&self) -> &Fields<'a>;

    /// The fields the schema does not know, to add to or change.
    fn unknown_fields_mut(&mut self) -> &mut Fields<'a>;

    /// Every present field as a wire value, known ones first in schema
    /// order, then unknown ones; borrowed text stays borrowed.
    #[must_use]
    fn into_fields(mut self) -> Fields<'a> {
        self.take_fields()
    }

    /// The value of the field Dovecot calls `name`, known or not, if
    /// present. Looks through the present fields; to read many, use the
    /// struct's members or [`EventFields::for_each_field`].
    ///
    /// ```
    /// use dovecot_events::{EventFields, Value, events::ImapCommandFinished};
    ///
    /// let mut cmd = ImapCommandFinished::default();
    /// cmd.set_field("cmd_name".into(), Value::Str("SELECT".into()))?;
    /// assert_eq!(cmd.field("cmd_name"), Some(Value::Str("SELECT".into())));
    /// assert_eq!(cmd.field("mailbox"), None);
    /// # Ok::<(), dovecot_events::FieldError>(())
    /// ```
    #[must_use]
    fn field<'s>(&'s self, name: &str) -> Option<Value<'s>> {
        let mut found = None;
        self.for_each_field(&mut |field, value| {
            if found.is_none() && field == name {
                found = Some(value);
            }
        });
        found
    }
}

/// [`EventFields`] as a trait object, so that the `Event` enums need one
/// `match` to reach any of their structs.
#[doc(hidden)]
pub trait DynEvent<'a> {
    fn name(&self) -> &'static str;
    fn meta(&self) -> &'static EventMeta;
    fn for_each_field<'s>(&'s self, f: &mut dyn FnMut(&'s str, Value<'s>));
    fn take_fields(&mut self) -> Fields<'a>;
    fn unknown_fields(&self) -> &Fields<'a>;
    fn unknown_fields_mut(&mut self) -> &mut Fields<'a>;
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl<'a, T: EventFields<'a> + fmt::Debug> DynEvent<'a> for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn meta(&self) -> &'static EventMeta {
        T::meta()
    }

    fn for_each_field<'s>(&'s self, f: &mut dyn FnMut(&'s str, Value<'s>)) {
        EventFields::for_each_field(self, f);
    }

    fn take_fields(&mut self) -> Fields<'a> {
        EventFields::take_fields(self)
    }

    fn unknown_fields(&self) -> &Fields<'a> {
        EventFields::unknown_fields(self)
    }

    fn unknown_fields_mut(&mut self) -> &mut Fields<'a> {
        EventFields::unknown_fields_mut(self)
    }

    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// [`EventFields::for_each_field`] without the lifetime parameter, so that
/// the generic code behind `Debug` and `PartialEq` is compiled once for all
/// structs.
#[doc(hidden)]
pub trait FieldVisit {
    fn visit_fields<'s>(&'s self, f: &mut dyn FnMut(&'s str, Value<'s>));
}

impl<'a, T: EventFields<'a>> FieldVisit for T {
    fn visit_fields<'s>(&'s self, f: &mut dyn FnMut(&'s str, Value<'s>)) {
        self.for_each_field(f);
    }
}

/// The unknown event of a generated `Event` enum.
#[doc(hidden)]
pub trait UnknownParts<'a> {
    fn name(&self) -> &str;
    fn take_name(&mut self) -> Cow<'a, str>;
    fn fields(&self) -> &Fields<'a>;
    fn fields_mut(&mut self) -> &mut Fields<'a>;
}

/// A generated `Event` enum: a typed struct, or the unknown event. Its
/// inherent methods call these.
#[doc(hidden)]
pub trait EventEnum<'a> {
    type Unknown: UnknownParts<'a>;

    fn typed(&self) -> Result<&dyn DynEvent<'a>, &Self::Unknown>;
    fn typed_mut(&mut self) -> Result<&mut dyn DynEvent<'a>, &mut Self::Unknown>;

    fn name<'s>(&'s self) -> &'s str
    where
        'a: 's,
    {
        match self.typed() {
            Ok(event) => event.name(),
            Err(event) => event.name(),
        }
    }

    fn meta<'s>(&'s self) -> Option<&'static EventMeta>
    where
        'a: 's,
    {
        self.typed().ok().map(DynEvent::meta)
    }

    fn for_each_field<'s>(&'s self, f: &mut dyn FnMut(&'s str, Value<'s>))
    where
        'a: 's,
    {
        match self.typed() {
            Ok(event) => event.for_each_field(f),
            Err(event) => {
                for (name, value) in event.fields().iter() {
                    f(name, value.reborrow());
                }
            }
        }
    }

    fn field<'s>(&'s self, name: &str) -> Option<Value<'s>>
    where
        'a: 's,
    {
        let mut found = None;
        self.for_each_field(&mut |field, value| {
            if found.is_none() && field == name {
                found = Some(value);
            }
        });
        found
    }

    fn fields<'s>(&'s self) -> Vec<(&'s str, Value<'s>)>
    where
        'a: 's,
    {
        let mut out = Vec::new();
        self.for_each_field(&mut |name, value| out.push((name, value)));
        out
    }

    fn unknown_fields<'s>(&'s self) -> &'s Fields<'a>
    where
        'a: 's,
    {
        match self.typed() {
            Ok(event) => event.unknown_fields(),
            Err(event) => event.fields(),
        }
    }

    fn unknown_fields_mut<'s>(&'s mut self) -> &'s mut Fields<'a>
    where
        'a: 's,
    {
        match self.typed_mut() {
            Ok(event) => event.unknown_fields_mut(),
            Err(event) => event.fields_mut(),
        }
    }

    fn take_fields<'s>(&'s mut self) -> Fields<'a>
    where
        'a: 's,
    {
        match self.typed_mut() {
            Ok(event) => event.take_fields(),
            Err(event) => std::mem::take(event.fields_mut()),
        }
    }
}

/// An event's name and its fields, moved out; borrowed text stays
/// borrowed.
#[doc(hidden)]
pub fn into_parts<'a, E: EventEnum<'a>>(mut event: E) -> (Cow<'a, str>, Fields<'a>) {
    let fields = event.take_fields();
    let name = match event.typed_mut() {
        Ok(typed) => Cow::Borrowed(typed.name()),
        Err(unknown) => unknown.take_name(),
    };
    (name, fields)
}

/// Calls `f` with one field of a struct, if present; what the generated
/// `for_each_field` does for each field, in one call.
#[doc(hidden)]
#[inline]
pub fn visit<'s, T: crate::ToValue>(
    f: &mut dyn FnMut(&'s str, Value<'s>),
    name: &'static str,
    slot: &'s Option<T>,
) {
    if let Some(value) = slot {
        f(name, value.to_value());
    }
}

/// Moves one field of a struct into `fields`, if present; what the
/// generated `take_fields` does for each field, in one call.
#[doc(hidden)]
#[inline]
pub fn take<'a, T: crate::IntoValue<'a>>(
    fields: &mut Fields<'a>,
    name: &'static str,
    slot: &mut Option<T>,
) {
    if let Some(value) = slot.take() {
        fields.push(Cow::Borrowed(name), value.into_value());
    }
}

/// Stores a value into a struct's field, naming the field in an error.
#[doc(hidden)]
#[inline]
pub fn store<'a>(slot: &mut dyn Slot<'a>, name: &str, value: Value<'a>) -> Result<(), FieldError> {
    slot.set(value).map_err(|error| error.in_field(name))
}

/// The slot of the field called `name`, from a struct's table of field
/// names.
#[doc(hidden)]
#[inline]
pub fn slot(names: &[&str], name: &str) -> Option<usize> {
    names.iter().position(|n| *n == name)
}

/// A struct's field, to store a wire value into.
#[doc(hidden)]
pub trait Slot<'a> {
    /// Converts and stores the value; unchanged on error.
    fn set(&mut self, value: Value<'a>) -> Result<(), FieldError>;
}

impl<'a, T: crate::FromValue<'a>> Slot<'a> for Option<T> {
    #[inline]
    fn set(&mut self, value: Value<'a>) -> Result<(), FieldError> {
        *self = Some(T::from_value(value)?);
        Ok(())
    }
}

/// Moves one field of a struct out as an owned value; what the generated
/// `into_owned` does for each field, in one call.
#[doc(hidden)]
#[inline]
pub fn own<T: IntoStatic>(slot: &mut Option<T>) -> Option<T::Static> {
    slot.take().map(IntoStatic::into_static)
}

/// `PartialEq` of event structs: the same fields with the same wire values,
/// in the same order.
#[doc(hidden)]
pub fn same_fields(a: &dyn FieldVisit, b: &dyn FieldVisit) -> bool {
    let mut left = Vec::new();
    a.visit_fields(&mut |name, value| left.push((name, value)));
    let mut at = 0;
    let mut same = true;
    b.visit_fields(&mut |name, value| {
        same &= left.get(at).is_some_and(|(n, v)| *n == name && *v == value);
        at += 1;
    });
    same && at == left.len()
}

/// `Debug` of an event struct: its name and present fields, as sent.
#[doc(hidden)]
pub fn debug_event(f: &mut fmt::Formatter<'_>, name: &str, event: &dyn FieldVisit) -> fmt::Result {
    let mut out = f.debug_struct(name);
    event.visit_fields(&mut |field, value| {
        out.field(field, &value);
    });
    out.finish()
}

/// Turns a field's value into one that owns its text.
#[doc(hidden)]
pub trait IntoStatic {
    type Static: 'static;
    fn into_static(self) -> Self::Static;
}

impl IntoStatic for Cow<'_, str> {
    type Static = Cow<'static, str>;

    fn into_static(self) -> Self::Static {
        Cow::Owned(self.into_owned())
    }
}

impl IntoStatic for Vec<Cow<'_, str>> {
    type Static = Vec<Cow<'static, str>>;

    fn into_static(self) -> Self::Static {
        self.into_iter().map(IntoStatic::into_static).collect()
    }
}

impl<T: IntoStatic> IntoStatic for Option<T> {
    type Static = Option<T::Static>;

    fn into_static(self) -> Self::Static {
        self.map(IntoStatic::into_static)
    }
}

macro_rules! already_static {
    ($($ty:ty),*) => {$(
        impl IntoStatic for $ty {
            type Static = $ty;

            fn into_static(self) -> Self {
                self
            }
        }
    )*};
}
already_static!(i64, u64, u16, bool, Timestamp, std::net::IpAddr);
