//! The declarative macros the generated code is written in: each event
//! struct, each enum and the [`Event`](crate::Event) enum is declared once,
//! field by field, and these macros expand the declaration into the type
//! and everything it implements. Generated code in other crates (the
//! `schema!` macro, a build script's `Builder`) uses them too, through
//! `$crate`.
//!
//! Not part of the public API: their input is whatever the code generator
//! of the same release writes.

/// The Rust type that holds a field of one of the runtime's value kinds
/// ([`Repr`](crate::Repr)): `Text`, `I64`, `U64`, `U16`, `Timestamp`, `Ip`,
/// `TextList`, `Flag`, or `Enum<Type>`.
#[doc(hidden)]
#[macro_export]
macro_rules! __field_type {
    (Text) => { ::std::borrow::Cow<'a, str> };
    (I64) => { i64 };
    (U64) => { u64 };
    (U16) => { u16 };
    (Timestamp) => { $crate::Timestamp };
    (Ip) => { ::std::net::IpAddr };
    (TextList) => { ::std::vec::Vec<::std::borrow::Cow<'a, str>> };
    (Flag) => { bool };
    (Enum<$ty:ty>) => { $ty };
}

/// One event struct: the struct with its documentation and gates, and its
/// impls of [`EventFields`](crate::EventFields), `Debug`, `into_owned`,
/// `into_fields` and `field`.
///
/// ```text
/// __event! {
///     /// Docs.
///     pub struct Name = "wire_name", meta 3, if feature = "v2_3_7" {
///         /// Docs.
///         pub field: U64 = "field", if feature = "v2_3_9";
///     }
/// }
/// ```
///
/// `meta N` is the event's index in `EVENTS`, two modules up (the structs
/// live in `events::<category>`).
#[doc(hidden)]
#[macro_export]
macro_rules! __event {
    (
        $(#[$attr:meta])*
        pub struct $name:ident = $wire:literal, meta $meta:literal $(, if $cfg:meta)? {
            $(
                $(#[$fattr:meta])*
                pub $field:ident: $kind:ident $(<$enum:ty>)? = $fwire:literal $(, if $fcfg:meta)?;
            )*
        }
    ) => {
        $(#[$attr])*
        $(#[cfg($cfg)])?
        #[non_exhaustive]
        pub struct $name<'a> {
            $(
                $(#[$fattr])*
                $(#[cfg($fcfg)])?
                pub $field: ::core::option::Option<$crate::__field_type!($kind $(<$enum>)?)>,
            )*
            /// Fields the schema does not know, in arrival order.
            pub unknown_fields: $crate::Fields<'a>,
        }

        $(#[cfg($cfg)])?
        #[allow(deprecated)]
        impl<'a> $name<'a> {
            /// The event with no fields.
            pub const EMPTY: Self = $name {
                $( $(#[cfg($fcfg)])? $field: ::core::option::Option::None, )*
                unknown_fields: $crate::Fields::new(),
            };

            /// Copies borrowed text so the event outlives its input.
            #[must_use]
            pub fn into_owned(mut self) -> $name<'static> {
                let mut owned = $name::EMPTY;
                $crate::__private::own_slots(&mut self, &mut owned);
                owned.unknown_fields = ::core::mem::take(&mut self.unknown_fields).into_owned();
                owned
            }
        }

        // Each field is named once more, in the two matches that reach a
        // field by its index in `NAMES`; every operation over the fields
        // goes through them (`event_api.rs`), so that the compiler sees
        // two lines per field instead of one per operation. A match on an
        // enum of the fields rather than on integers, because the macro
        // cannot count.
        $(#[cfg($cfg)])?
        const _: () = {
            #[allow(non_camel_case_types)]
            enum Field {
                $( $field, )*
            }
            const NAMES: &[&str] = &[$( $fwire, )*];
            const FIELDS: &[Field] = &[$( Field::$field, )*];

            #[allow(deprecated)]
            #[automatically_derived]
            impl<'a> $crate::__private::Slots<'a> for $name<'a> {
                fn names(&self) -> &'static [&'static str] {
                    NAMES
                }

                #[inline]
                #[allow(unreachable_patterns, unreachable_code)]
                fn slot(&self, i: usize) -> ::core::option::Option<&dyn $crate::__private::Slot<'a>> {
                    ::core::option::Option::Some(match FIELDS.get(i)? {
                        $(
                            $(#[cfg($fcfg)])?
                            Field::$field => &self.$field,
                        )*
                        _ => return ::core::option::Option::None,
                    })
                }

                #[inline]
                #[allow(unreachable_patterns, unreachable_code)]
                fn slot_mut(&mut self, i: usize) -> ::core::option::Option<&mut dyn $crate::__private::Slot<'a>> {
                    ::core::option::Option::Some(match FIELDS.get(i)? {
                        $(
                            $(#[cfg($fcfg)])?
                            Field::$field => &mut self.$field,
                        )*
                        _ => return ::core::option::Option::None,
                    })
                }
            }

            #[allow(deprecated)]
            #[automatically_derived]
            impl<'a> $crate::EventFields<'a> for $name<'a> {
                const NAME: &'static str = $wire;

                fn meta() -> &'static $crate::EventMeta {
                    &super::super::EVENTS[$meta]
                }

                // Inlined into `Event::set_field`, which the parsers call
                // for every field.
                #[inline]
                fn set_field(
                    &mut self,
                    name: ::std::borrow::Cow<'a, str>,
                    value: $crate::Value<'a>,
                ) -> ::core::result::Result<(), $crate::FieldError> {
                    let slot = $crate::__private::slot(NAMES, &name)
                        .and_then(|i| $crate::__private::Slots::slot_mut(self, i));
                    match slot {
                        ::core::option::Option::Some(slot) => $crate::__private::store(slot, &name, value),
                        ::core::option::Option::None => {
                            self.unknown_fields.push(name, value);
                            ::core::result::Result::Ok(())
                        }
                    }
                }

                fn for_each_field<'s>(&'s self, f: &mut dyn FnMut(&'s str, $crate::Value<'s>)) {
                    $crate::__private::visit_slots(self, f);
                    for (name, value) in self.unknown_fields.iter() {
                        f(name, value.reborrow());
                    }
                }

                fn take_fields(&mut self) -> $crate::Fields<'a> {
                    let mut fields = $crate::Fields::default();
                    $crate::__private::take_slots(self, &mut fields);
                    fields.extend(::core::mem::take(&mut self.unknown_fields));
                    fields
                }

                fn unknown_fields(&self) -> &$crate::Fields<'a> {
                    &self.unknown_fields
                }

                fn unknown_fields_mut(&mut self) -> &mut $crate::Fields<'a> {
                    &mut self.unknown_fields
                }
            }
        };

        /// A copy; borrowed text stays borrowed.
        $(#[cfg($cfg)])?
        #[automatically_derived]
        impl ::core::clone::Clone for $name<'_> {
            fn clone(&self) -> Self {
                let mut copy = Self::EMPTY;
                $crate::__private::clone_slots(self, &mut copy);
                copy.unknown_fields = self.unknown_fields.clone();
                copy
            }
        }

        /// Equal when both carry the same fields with the same values, as
        /// Dovecot would send them.
        $(#[cfg($cfg)])?
        #[automatically_derived]
        impl ::core::default::Default for $name<'_> {
            fn default() -> Self {
                Self::EMPTY
            }
        }

        /// Equal when both carry the same fields with the same values, as
        /// Dovecot would send them.
        $(#[cfg($cfg)])?
        #[automatically_derived]
        impl ::core::cmp::PartialEq for $name<'_> {
            fn eq(&self, other: &Self) -> bool {
                $crate::__private::same_fields(self, other)
            }
        }

        $(#[cfg($cfg)])?
        #[automatically_derived]
        impl ::core::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                $crate::__private::debug_event(f, stringify!($name), self)
            }
        }
    };
}

/// The [`Event`](crate::Event) enum over the event structs in `events`,
/// and [`UnknownEvent`](crate::UnknownEvent).
///
/// ```text
/// __events! {
///     /// Docs.
///     Name = "wire_name", if feature = "v2_3_7";
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __events {
    (
        $(
            $(#[$attr:meta])*
            $variant:ident = $wire:literal $(, if $cfg:meta)?;
        )*
    ) => {
        /// Any Dovecot event: a typed variant for every event the schema
        /// knows, [`Event::Unknown`] for the rest.
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        #[allow(deprecated)]
        // Which variant is largest depends on the version features, and the
        // parsers fill the event in place: boxing would cost an allocation
        // per event.
        #[allow(clippy::large_enum_variant)]
        pub enum Event<'a> {
            $(
                $(#[$attr])*
                $(#[cfg($cfg)])?
                $variant(events::$variant<'a>),
            )*
            /// An event the schema does not know, with all its fields.
            Unknown(UnknownEvent<'a>),
        }

        /// An event the schema does not know, kept whole.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct UnknownEvent<'a> {
            /// The event's name.
            pub name: ::std::borrow::Cow<'a, str>,
            /// Its fields, in arrival order.
            pub fields: $crate::Fields<'a>,
        }

        #[automatically_derived]
        impl<'a> $crate::__private::UnknownParts<'a> for UnknownEvent<'a> {
            fn name(&self) -> &str {
                &self.name
            }

            fn take_name(&mut self) -> ::std::borrow::Cow<'a, str> {
                ::core::mem::take(&mut self.name)
            }

            fn fields(&self) -> &$crate::Fields<'a> {
                &self.fields
            }

            fn fields_mut(&mut self) -> &mut $crate::Fields<'a> {
                &mut self.fields
            }
        }

        impl UnknownEvent<'_> {
            /// Copies borrowed text so the event outlives its input.
            #[must_use]
            pub fn into_owned(self) -> UnknownEvent<'static> {
                UnknownEvent {
                    name: ::std::borrow::Cow::Owned(self.name.into_owned()),
                    fields: self.fields.into_owned(),
                }
            }
        }

        #[allow(deprecated)]
        impl<'a> Event<'a> {
            /// An event with no fields yet: the typed variant when the
            /// schema knows `name`, [`Event::Unknown`] otherwise.
            #[must_use]
            pub fn new(name: ::std::borrow::Cow<'a, str>) -> Self {
                match &*name {
                    $(
                        $(#[cfg($cfg)])?
                        $wire => Self::$variant(::core::default::Default::default()),
                    )*
                    _ => Self::Unknown(UnknownEvent {
                        name,
                        fields: ::core::default::Default::default(),
                    }),
                }
            }

            /// The typed event behind the variant, or the unknown one.
            fn typed(&self) -> ::core::result::Result<&dyn $crate::__private::DynEvent<'a>, &UnknownEvent<'a>> {
                match self {
                    $(
                        $(#[cfg($cfg)])?
                        Self::$variant(event) => ::core::result::Result::Ok(event),
                    )*
                    Self::Unknown(event) => ::core::result::Result::Err(event),
                }
            }

            /// [`Event::typed`], to change.
            fn typed_mut(
                &mut self,
            ) -> ::core::result::Result<&mut dyn $crate::__private::DynEvent<'a>, &mut UnknownEvent<'a>> {
                match self {
                    $(
                        $(#[cfg($cfg)])?
                        Self::$variant(event) => ::core::result::Result::Ok(event),
                    )*
                    Self::Unknown(event) => ::core::result::Result::Err(event),
                }
            }

            /// Stores one field; see `EventFields::set_field`.
            ///
            /// # Errors
            ///
            /// Returns a `FieldError` when a known field's value does not
            /// fit its type.
            #[inline]
            pub fn set_field(
                &mut self,
                name: ::std::borrow::Cow<'a, str>,
                value: $crate::Value<'a>,
            ) -> ::core::result::Result<(), $crate::FieldError> {
                // A direct match rather than `typed_mut`: the parsers call
                // this for every field, and each arm inlines its struct's
                // `set_field`.
                match self {
                    $(
                        $(#[cfg($cfg)])?
                        Self::$variant(event) => $crate::EventFields::set_field(event, name, value),
                    )*
                    Self::Unknown(event) => {
                        event.fields.push(name, value);
                        ::core::result::Result::Ok(())
                    }
                }
            }

            /// The typed event for an export read without the schema
            /// (`dovecot_events::json::from_str_raw`,
            /// `tab_text::from_str_raw`): the event's name picks the
            /// variant, and every field is stored as [`Event::set_field`]
            /// stores it. The envelope (host name, times, categories) stays
            /// behind; take what you need of it first. The same as
            /// `Event::try_from(raw)`.
            ///
            /// # Errors
            ///
            /// Returns a `FieldError` naming the first known field whose
            /// value does not fit its type.
            pub fn from_raw(raw: $crate::RawEvent<'a>) -> ::core::result::Result<Self, $crate::FieldError> {
                Self::from_parts(raw.name.unwrap_or_default(), raw.fields)
            }

            /// The typed event for an export read with the readers'
            /// own schema (`dovecot_events::json::from_str`,
            /// `tab_text::from_str`), whatever version features that
            /// schema was built with: as [`Event::from_raw`], from the
            /// event's name and fields. The same as
            /// `Event::try_from(exported)`.
            ///
            /// # Errors
            ///
            /// Returns a `FieldError` naming the first known field whose
            /// value does not fit its type.
            pub fn from_exported(
                exported: $crate::ExportedEvent<'a>,
            ) -> ::core::result::Result<Self, $crate::FieldError> {
                let (name, fields) = $crate::__private::into_parts(exported.event);
                Self::from_parts(name, fields)
            }

            fn from_parts(
                name: ::std::borrow::Cow<'a, str>,
                fields: $crate::Fields<'a>,
            ) -> ::core::result::Result<Self, $crate::FieldError> {
                let mut event = Self::new(name);
                for (name, value) in fields {
                    event.set_field(name, value)?;
                }
                ::core::result::Result::Ok(event)
            }

            /// The event's name as Dovecot sends it.
            #[must_use]
            pub fn name(&self) -> &str {
                $crate::__private::EventEnum::name(self)
            }

            /// The schema's metadata, unless the event is unknown.
            #[must_use]
            pub fn meta(&self) -> ::core::option::Option<&'static $crate::EventMeta> {
                $crate::__private::EventEnum::meta(self)
            }

            /// Calls `f` with every present field: known ones first in
            /// schema order, then unknown ones in arrival order.
            pub fn for_each_field<'s>(&'s self, f: &mut dyn FnMut(&'s str, $crate::Value<'s>)) {
                $crate::__private::EventEnum::for_each_field(self, f);
            }

            /// The value of the field Dovecot calls `name`, known or not, if
            /// present. Looks through the present fields, so reading many
            /// fields is faster with [`Event::fields`] or the typed struct.
            #[must_use]
            pub fn field(&self, name: &str) -> ::core::option::Option<$crate::Value<'_>> {
                $crate::__private::EventEnum::field(self, name)
            }

            /// Every present field with its name, in the order of
            /// [`Event::for_each_field`].
            #[must_use]
            pub fn fields(&self) -> ::std::vec::Vec<(&str, $crate::Value<'_>)> {
                $crate::__private::EventEnum::fields(self)
            }

            /// The fields the schema does not know.
            #[must_use]
            pub fn unknown_fields(&self) -> &$crate::Fields<'a> {
                $crate::__private::EventEnum::unknown_fields(self)
            }

            /// The fields the schema does not know, to add to or change.
            #[must_use]
            pub fn unknown_fields_mut(&mut self) -> &mut $crate::Fields<'a> {
                $crate::__private::EventEnum::unknown_fields_mut(self)
            }

            /// Every present field as a wire value (known fields first, then
            /// unknown ones); borrowed text stays borrowed.
            #[must_use]
            pub fn into_fields(mut self) -> $crate::Fields<'a> {
                $crate::__private::EventEnum::take_fields(&mut self)
            }

            /// Copies borrowed text so the event outlives its input.
            #[must_use]
            pub fn into_owned(self) -> Event<'static> {
                match self {
                    $(
                        $(#[cfg($cfg)])?
                        Self::$variant(event) => Event::$variant(event.into_owned()),
                    )*
                    Self::Unknown(event) => Event::Unknown(event.into_owned()),
                }
            }
        }

        #[automatically_derived]
        impl<'a> ::core::convert::TryFrom<$crate::RawEvent<'a>> for Event<'a> {
            type Error = $crate::FieldError;

            fn try_from(raw: $crate::RawEvent<'a>) -> ::core::result::Result<Self, Self::Error> {
                Self::from_raw(raw)
            }
        }

        #[automatically_derived]
        impl<'a> ::core::convert::TryFrom<$crate::ExportedEvent<'a>> for Event<'a> {
            type Error = $crate::FieldError;

            fn try_from(
                exported: $crate::ExportedEvent<'a>,
            ) -> ::core::result::Result<Self, Self::Error> {
                Self::from_exported(exported)
            }
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for Event<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.typed() {
                    ::core::result::Result::Ok(event) => event.debug(f),
                    ::core::result::Result::Err(event) => {
                        f.debug_tuple("Unknown").field(event).finish()
                    }
                }
            }
        }

        #[automatically_derived]
        impl<'a> $crate::__private::EventEnum<'a> for Event<'a> {
            type Unknown = UnknownEvent<'a>;

            fn typed(&self) -> ::core::result::Result<&dyn $crate::__private::DynEvent<'a>, &UnknownEvent<'a>> {
                Event::typed(self)
            }

            fn typed_mut(
                &mut self,
            ) -> ::core::result::Result<&mut dyn $crate::__private::DynEvent<'a>, &mut UnknownEvent<'a>> {
                Event::typed_mut(self)
            }
        }
    };
}

/// One open enum: the variants with their wire spellings, `Other` for
/// values the schema does not list, and the conversions.
///
/// ```text
/// __open_enum! {
///     /// Docs.
///     pub enum Name {
///         /// Docs.
///         Variant = "WIRE";
///     }
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __open_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident {
            $(
                $(#[$vattr:meta])*
                $variant:ident = $wire:literal;
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vattr])*
                $variant,
            )*
            /// A value the schema does not list, kept as sent.
            Other(::std::string::String),
        }

        impl $name {
            /// Every value the schema lists, as Dovecot sends it.
            pub const VALUES: &'static [&'static str] = &[$($wire),*];

            /// The value as Dovecot sends it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(other) => other,
                }
            }

            /// The variant for a value as Dovecot sends it.
            #[must_use]
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.into()),
                }
            }
        }

        #[automatically_derived]
        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[automatically_derived]
        impl<'a> $crate::FromValue<'a> for $name {
            fn from_value(
                value: $crate::Value<'a>,
            ) -> ::core::result::Result<Self, $crate::FieldError> {
                let text: ::std::borrow::Cow<'a, str> = $crate::FromValue::from_value(value)?;
                ::core::result::Result::Ok(Self::from_wire(&text))
            }
        }

        #[automatically_derived]
        impl $crate::ToValue for $name {
            fn to_value(&self) -> $crate::Value<'_> {
                $crate::Value::Str(::std::borrow::Cow::Borrowed(self.as_str()))
            }
        }

        #[automatically_derived]
        impl<'a> $crate::IntoValue<'a> for $name {
            fn into_value(self) -> $crate::Value<'a> {
                match self {
                    $( Self::$variant => $crate::Value::Str(::std::borrow::Cow::Borrowed($wire)), )*
                    Self::Other(text) => $crate::Value::Str(::std::borrow::Cow::Owned(text)),
                }
            }
        }

        $crate::__static_field_value!($name);
    };
}
