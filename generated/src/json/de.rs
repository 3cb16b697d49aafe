//! `impl Deserialize for ExportedEvent`: Dovecot's JSON shape read through
//! serde visitors, for an exported event inside a larger document or a
//! format other than JSON. [`super::from_str`] uses its own scanner instead,
//! which is faster and gives better positions.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::assemble::{Assembler, Member, TIMESTAMP};
use crate::error::{Error, shown};
use crate::export::ExportedEvent;
use crate::{Timestamp, Value};

const FORMAT: &str = "JSON";

/// The event being built, and what the visitors know when something goes
/// wrong. The event is built in place by the assembler rather than passed
/// up through serde's return values, which would copy it at every level.
///
/// A visitor that finds a semantic problem stores a structured [`Error`]
/// here and hands serde_json a placeholder, whose position is then added.
struct State<'de> {
    asm: Assembler<'de, ExportedEvent<'de>>,
    error: Option<Error>,
    field: Option<String>,
    member: Option<&'static str>,
}

impl State<'_> {
    fn new() -> Self {
        State {
            asm: Assembler::new(FORMAT, None),
            error: None,
            field: None,
            member: None,
        }
    }

    fn fail<E: de::Error>(&mut self, error: Error) -> E {
        let message = error.to_string();
        self.error = Some(error);
        E::custom(message)
    }

    fn mismatch<E: de::Error>(&mut self, expected: &'static str, found: impl Into<String>) -> E {
        self.fail(Error::mismatch(FORMAT, expected, found))
    }

    /// Marks a member as seen; an error if it was seen before.
    fn enter<E: de::Error>(&mut self, member: Member) -> Result<(), E> {
        self.member = Some(member.name());
        self.asm.enter(member).map_err(|error| self.fail(error))
    }

    /// Hands the assembler's verdict to serde.
    fn check<E: de::Error>(&mut self, result: Result<(), Error>) -> Result<(), E> {
        result.map_err(|error| self.fail(error))
    }
}

/// Implements the visitor methods for the JSON types a visitor rejects,
/// each storing a structured type error.
macro_rules! reject {
    ($expected:expr; $($kind:ident)*) => { $( reject!(@ $kind $expected); )* };
    (@ bool $e:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Err(self.state.mismatch($e, v.to_string()))
        }
    };
    (@ unit $e:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(self.state.mismatch($e, "null"))
        }
    };
    (@ num $e:expr) => {
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(self.state.mismatch($e, v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Err(self.state.mismatch($e, v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(self.state.mismatch($e, v.to_string()))
        }
    };
    (@ str $e:expr) => {
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Err(self.state.mismatch($e, shown(v)))
        }
    };
    (@ seq $e:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(self.state.mismatch($e, "an array"))
        }
    };
    (@ map $e:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(self.state.mismatch($e, "an object"))
        }
    };
}

/// The whole document.
struct Top<'s, 'de> {
    state: &'s mut State<'de>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match &*key {
                "event" => {
                    state.enter(Member::Event)?;
                    let name = map.next_value_seed(StrSeed { state: &mut *state })?;
                    let result = state.asm.name(name);
                    state.check(result)?;
                }
                "hostname" => {
                    state.enter(Member::Hostname)?;
                    let hostname = map.next_value_seed(StrSeed { state: &mut *state })?;
                    state.asm.hostname(hostname);
                }
                "start_time" | "end_time" => {
                    let member = if &*key == "start_time" {
                        Member::StartTime
                    } else {
                        Member::EndTime
                    };
                    state.enter(member)?;
                    let time = map.next_value_seed(TimeSeed { state: &mut *state })?;
                    state.asm.time(member, time);
                }
                "categories" => {
                    state.enter(Member::Categories)?;
                    let categories = map.next_value_seed(ListSeed { state: &mut *state })?;
                    state.asm.categories(categories);
                }
                "fields" => {
                    state.enter(Member::Fields)?;
                    map.next_value_seed(FieldsSeed { state: &mut *state })?;
                }
                // A member a newer Dovecot may add: skipped (serde_json
                // bounds its nesting).
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            state.member = None;
        }
        Ok(())
    }

    reject!("a JSON object"; bool unit num str seq);
}

/// An object key, borrowed when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A string member (`event`, `hostname`), or a list item.
struct StrSeed<'s, 'd> {
    state: &'s mut State<'d>,
}

impl<'de> DeserializeSeed<'de> for StrSeed<'_, '_> {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrSeed<'_, '_> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    reject!("a string"; bool unit num seq map);
}

/// A list of strings (`categories`, a string-list field).
struct ListSeed<'s, 'd> {
    state: &'s mut State<'d>,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn read_list<'de, A: SeqAccess<'de>>(
    mut seq: A,
    state: &mut State<'_>,
) -> Result<Vec<Cow<'de, str>>, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
    while let Some(item) = seq.next_element_seed(StrSeed { state: &mut *state })? {
        items.push(item);
    }
    Ok(items)
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(seq, self.state)
    }

    reject!("a list of strings"; bool unit num str map);
}

/// `start_time` or `end_time`: RFC 3339 text or Unix seconds.
struct TimeSeed<'s, 'd> {
    state: &'s mut State<'d>,
}

impl<'de> DeserializeSeed<'de> for TimeSeed<'_, '_> {
    type Value = Timestamp;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TimeSeed<'_, '_> {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(TIMESTAMP)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Timestamp::parse(v).ok_or_else(|| self.state.mismatch(TIMESTAMP, shown(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Timestamp::from_unix(v, 0).ok_or_else(|| self.state.mismatch(TIMESTAMP, v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .ok()
            .and_then(|secs| Timestamp::from_unix(secs, 0))
            .ok_or_else(|| self.state.mismatch(TIMESTAMP, v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Timestamp::from_unix_f64(v).ok_or_else(|| self.state.mismatch(TIMESTAMP, v.to_string()))
    }

    reject!(TIMESTAMP; bool unit seq map);
}

/// The `fields` object.
struct FieldsSeed<'s, 'de> {
    state: &'s mut State<'de>,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(name) = map.next_key_seed(KeySeed)? {
            let value = match map.next_value_seed(WireSeed { state: &mut *state }) {
                Ok(value) => value,
                Err(error) => {
                    state.field = Some(name.into_owned());
                    return Err(error);
                }
            };
            let result = state.asm.field(name, value);
            state.check(result)?;
        }
        Ok(())
    }

    reject!("an object of fields"; bool unit num str seq);
}

/// One field's value in its wire form.
struct WireSeed<'s, 'd> {
    state: &'s mut State<'d>,
}

impl<'de> DeserializeSeed<'de> for WireSeed<'_, '_> {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

const WIRE: &str = "a string, an integer, a number or a list of strings";

impl<'de> Visitor<'de> for WireSeed<'_, '_> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(WIRE)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map(Value::Int).map_err(|_| {
            self.state
                .mismatch("an integer Dovecot can send (signed 64-bit)", v.to_string())
        })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_list(seq, self.state).map(Value::List)
    }

    reject!(WIRE; bool unit map);
}

impl<'de> serde::Deserialize<'de> for ExportedEvent<'de> {
    /// Reads Dovecot's JSON shape from any self-describing serde format, so
    /// an exported event can sit inside a larger document. For a whole
    /// export, [`from_str`](super::from_str) gives better errors.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut state = State::new();
        let read = (Top { state: &mut state }).deserialize(deserializer);
        let error = match read {
            Ok(()) => match state.asm.finish() {
                Ok(event) => return Ok(event),
                Err(error) => return Err(de::Error::custom(error)),
            },
            Err(error) => error,
        };
        match state.error.take() {
            Some(mut structured) => {
                if let Some(field) = &state.field {
                    structured = structured.in_field(field);
                }
                if let Some(member) = state.member {
                    structured = structured.in_member(member);
                }
                Err(de::Error::custom(state.asm.locate(structured)))
            }
            None => Err(error),
        }
    }
}
