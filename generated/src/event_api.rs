//! What every event can do, written once for all of them: the generated
//! structs and `Event` enums (here and in other crates) implement two
//! small traits, and everything else is generic code over those.

use std::any::Any;
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

/// A generated struct's typed fields, by their index in the struct's
/// table of wire names. The declaration macro writes one `match` per
/// direction; every operation over all fields (visiting, taking, owning,
/// cloning) is the generic code below, compiled once for all structs.
#[doc(hidden)]
pub trait Slots<'a> {
    /// The wire names of the declared fields, gated ones included.
    fn names(&self) -> &'static [&'static str];
    /// The field with index `i`; `None` when gated away.
    fn slot(&self, i: usize) -> Option<&dyn Slot<'a>>;
    /// [`Slots::slot`], to change.
    fn slot_mut(&mut self, i: usize) -> Option<&mut dyn Slot<'a>>;
}

/// Calls `f` with every present typed field, in declaration order.
#[doc(hidden)]
pub fn visit_slots<'s, 'a: 's>(event: &'s dyn Slots<'a>, f: &mut dyn FnMut(&'s str, Value<'s>)) {
    for (i, name) in event.names().iter().enumerate() {
        if let Some(value) = event.slot(i).and_then(|slot| slot.get()) {
            f(name, value);
        }
    }
}

/// Moves every present typed field out, in declaration order.
#[doc(hidden)]
pub fn take_slots<'a>(event: &mut dyn Slots<'a>, fields: &mut Fields<'a>) {
    for (i, name) in event.names().iter().enumerate() {
        if let Some(value) = event.slot_mut(i).and_then(|slot| slot.take()) {
            fields.push(Cow::Borrowed(*name), value);
        }
    }
}

/// Moves every typed field of `from` into the same field of `to`, its
/// copy that owns its text.
#[doc(hidden)]
pub fn own_slots<'a>(from: &mut dyn Slots<'a>, to: &mut dyn Slots<'static>) {
    for i in 0..from.names().len() {
        if let (Some(from), Some(to)) = (from.slot_mut(i), to.slot_mut(i)) {
            from.own_into(to);
        }
    }
}

/// Copies every typed field of `from` into the same field of `to`.
#[doc(hidden)]
pub fn clone_slots<'a>(from: &dyn Slots<'a>, to: &mut dyn Slots<'a>) {
    for i in 0..from.names().len() {
        if let (Some(from), Some(to)) = (from.slot(i), to.slot_mut(i)) {
            from.clone_into(to);
        }
    }
}

/// A struct's field (an `Option` of one of the runtime's value types)
/// behind a trait object.
#[doc(hidden)]
pub trait Slot<'a> {
    /// Converts and stores the value; unchanged on error.
    fn set(&mut self, value: Value<'a>) -> Result<(), FieldError>;
    /// The value as sent, if present.
    fn get(&self) -> Option<Value<'_>>;
    /// Moves the value out as sent, if present.
    fn take(&mut self) -> Option<Value<'a>>;
    /// Moves the value, with its text owned, into `to`: the same field of
    /// the struct's `'static` copy.
    fn own_into(&mut self, to: &mut dyn Slot<'static>);
    /// Copies the value into `to`: the same field of another struct.
    fn clone_into(&self, to: &mut dyn Slot<'a>);
    /// Stores a value handed over by [`FieldValue::hand`] for the same
    /// field; a value of another type (which the callers above never
    /// pass) leaves the slot unchanged.
    fn put(&mut self, value: Carry<'_, 'a>);
}

/// A field's value on its way from one slot to the same slot of another
/// struct: the types that borrow text by value, the others (all
/// `'static`) behind `Any`, as `&mut Option<T>`.
#[doc(hidden)]
pub enum Carry<'s, 'a> {
    Text(Cow<'a, str>),
    List(Vec<Cow<'a, str>>),
    Other(&'s mut dyn Any),
}

/// A type a generated struct's field can hold.
#[doc(hidden)]
pub trait FieldValue<'a>:
    Clone + crate::FromValue<'a> + crate::ToValue + crate::IntoValue<'a> + Sized
{
    /// The same type owning its text.
    type Static: FieldValue<'static>;
    fn into_static(self) -> Self::Static;
    /// Hands the value to `to`'s [`Slot::put`].
    fn hand(self, to: &mut dyn Slot<'a>);
    /// The value handed over, if it is of this type.
    fn receive(value: Carry<'_, 'a>) -> Option<Self>;
}

impl<'a> FieldValue<'a> for Cow<'a, str> {
    type Static = Cow<'static, str>;

    fn into_static(self) -> Self::Static {
        Cow::Owned(self.into_owned())
    }

    fn hand(self, to: &mut dyn Slot<'a>) {
        to.put(Carry::Text(self));
    }

    fn receive(value: Carry<'_, 'a>) -> Option<Self> {
        match value {
            Carry::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl<'a> FieldValue<'a> for Vec<Cow<'a, str>> {
    type Static = Vec<Cow<'static, str>>;

    fn into_static(self) -> Self::Static {
        self.into_iter()
            .map(|s| Cow::Owned(s.into_owned()))
            .collect()
    }

    fn hand(self, to: &mut dyn Slot<'a>) {
        to.put(Carry::List(self));
    }

    fn receive(value: Carry<'_, 'a>) -> Option<Self> {
        match value {
            Carry::List(items) => Some(items),
            _ => None,
        }
    }
}

/// [`FieldValue`] for a `'static` type: the declaration macro's open
/// enums and the scalar types.
#[doc(hidden)]
#[macro_export]
macro_rules! __static_field_value {
    ($($ty:ty),* $(,)?) => {$(
        #[automatically_derived]
        impl<'a> $crate::__private::FieldValue<'a> for $ty {
            type Static = $ty;

            fn into_static(self) -> Self {
                self
            }

            fn hand(self, to: &mut dyn $crate::__private::Slot<'a>) {
                to.put($crate::__private::Carry::Other(&mut ::core::option::Option::Some(self)));
            }

            fn receive(value: $crate::__private::Carry<'_, 'a>) -> ::core::option::Option<Self> {
                match value {
                    $crate::__private::Carry::Other(any) => any
                        .downcast_mut::<::core::option::Option<$ty>>()
                        .and_then(::core::option::Option::take),
                    _ => ::core::option::Option::None,
                }
            }
        }
    )*};
}
__static_field_value!(i64, u64, u16, bool, Timestamp, std::net::IpAddr);

impl<'a, T: FieldValue<'a>> Slot<'a> for Option<T> {
    #[inline]
    fn set(&mut self, value: Value<'a>) -> Result<(), FieldError> {
        *self = Some(T::from_value(value)?);
        Ok(())
    }

    fn get(&self) -> Option<Value<'_>> {
        self.as_ref().map(crate::ToValue::to_value)
    }

    fn take(&mut self) -> Option<Value<'a>> {
        Option::take(self).map(crate::IntoValue::into_value)
    }

    fn own_into(&mut self, to: &mut dyn Slot<'static>) {
        if let Some(value) = Option::take(self) {
            value.into_static().hand(to);
        }
    }

    fn clone_into(&self, to: &mut dyn Slot<'a>) {
        if let Some(value) = self {
            value.clone().hand(to);
        }
    }

    fn put(&mut self, value: Carry<'_, 'a>) {
        if let Some(value) = T::receive(value) {
            *self = Some(value);
        }
    }
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
