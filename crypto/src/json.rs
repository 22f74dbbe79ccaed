//! The one place where JSON is decoded into protocol, record and API types (`spec/record.md`
//! §2.2).
//!
//! serde's derived `Deserialize` is more lenient than the record's grammar: it takes a JSON
//! **array** for any struct (its fields by position, which `deny_unknown_fields` does not stop)
//! and a one-key object (`{"first_final": null}`) for a unit enum value. Two verifiers that
//! decode differently could disagree on one record, so every decode of a protocol type goes
//! through [`from_str`], [`from_slice`], [`from_reader`] or [`from_value`], which wrap the
//! `serde_json` deserializer in [`Strict`]:
//!
//! * a struct is decoded only from a JSON object; an array in its place is refused, at any
//!   depth;
//! * an enum of unit values is decoded only from a string (`"first_final"`); the object forms
//!   (`{"first_final": null}`) are refused, at any depth;
//! * everything else is `serde_json`'s own: a field given twice is refused (derived structs),
//!   a lone surrogate escape (`"\ud800"`) is refused where a string is decoded, trailing
//!   characters after the value are refused.
//!
//! [`Strict`] wraps the deserializer and every deserializer it hands to a nested value (the
//! pattern of `serde_ignored`), so it holds at every depth without a second pass and without
//! an intermediate `Value`: the 10,000 ballots of a board log decode as fast as before.
//!
//! serde's tagged and flattened representations buffer their input in an internal form that
//! takes arrays for structs and integers for tags, out of reach of any wrapper. The protocol's
//! types therefore use none of them for decoding: the board entry (`board::entry`), the signed
//! tree head (`board::head`) and the decision rule (`rules`) decode by hand, through this
//! module's deserializers.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};

/// Decodes a value of `T` from JSON text, strictly (`spec/record.md` §2.2).
pub fn from_str<'a, T: de::Deserialize<'a>>(text: &'a str) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Strict(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decodes a value of `T` from JSON bytes, strictly (`spec/record.md` §2.2).
pub fn from_slice<'a, T: de::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(Strict(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decodes a value of `T` from a reader of JSON, strictly (`spec/record.md` §2.2).
pub fn from_reader<R: std::io::Read, T: de::DeserializeOwned>(
    reader: R,
) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let value = T::deserialize(Strict(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Decodes a value of `T` from a `serde_json::Value` already parsed (a part of an API answer),
/// strictly (`spec/record.md` §2.2).
pub fn from_value<T: de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, serde_json::Error> {
    T::deserialize(Strict(value))
}

/// The strict deserializer: `D` with structs taken only from objects and unit enum values only
/// from strings, at every depth (see the module documentation).
pub struct Strict<D>(pub D);

/// A visitor of a value under [`Strict`]: hands [`Strict`] deserializers to what it visits.
struct Wrap<V>(V);

/// A visitor of a struct under [`Strict`]: an object, never an array.
struct ObjectOnly<V>(V);

/// A visitor of an enum under [`Strict`]: the name of a unit value, as a string.
struct UnitName<V> {
    visitor: V,
    name: &'static str,
}

/// A sequence, map, enum or variant access under [`Strict`].
struct Access<A>(A);

/// A seed under [`Strict`]: gives the seed a [`Strict`] deserializer.
struct Seed<S>(S);

macro_rules! forward {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Wrap(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    /// A struct: an object only.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_struct(name, fields, ObjectOnly(visitor))
    }

    /// An enum: the protocol's externally tagged enums have unit values only, written as
    /// strings; the one-key object forms are refused.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(UnitName { visitor, name })
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! visit {
    ($($method:ident: $ty:ty)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    visit! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64
        visit_i128: i128 visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64
        visit_u128: u128 visit_f32: f32 visit_f64: f64 visit_char: char visit_str: &str
        visit_borrowed_str: &'de str visit_string: String visit_bytes: &[u8]
        visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Access(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Access(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Access(data))
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for ObjectOnly<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with named fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Access(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<V::Value, A::Error> {
        Err(de::Error::invalid_type(Unexpected::Seq, &self))
    }
}

impl<'de, V: Visitor<'de>> UnitName<V> {
    fn name<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.visitor
            .visit_enum(IntoDeserializer::<E>::into_deserializer(v))
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for UnitName<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a string naming a value of {}", self.name)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.name(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.name(&v)
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Access<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Access<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Access<A> {
    type Error = A::Error;
    type Variant = Access<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, variant) = self.0.variant_seed(Seed(seed))?;
        Ok((value, Access(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Access<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, ObjectOnly(visitor))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

/// A field that may be absent but, when present, is not `null`: for hand-written decoders whose
/// optional slots stand for required fields of one variant (`#[serde(default, deserialize_with =
/// "json::present")]`).
pub fn present<'de, D: Deserializer<'de>, T: de::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Reads a string that must be one of `names` (an enum's tag, or an object's key), without
/// allocating; an integer, an object or another string is refused (`spec/record.md` §2.2).
#[derive(Clone, Copy)]
pub struct Name {
    /// The strings allowed.
    pub names: &'static [&'static str],
    /// Whether they are an object's keys (else a tag's values): only the error differs.
    pub key: bool,
}

impl<'de> DeserializeSeed<'de> for Name {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "one of the strings {:?}", self.names)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<&'static str, E> {
        match self.names.iter().find(|name| **name == v) {
            Some(name) => Ok(name),
            None if self.key => Err(E::unknown_field(v, self.names)),
            None => Err(E::unknown_variant(v, self.names)),
        }
    }
}

/// An adjacently tagged enum (`{"kind": …, "data": …}`): its keys, its tags, and its derived
/// decoder, which [`Adjacent`] calls with the tag first and the content second.
pub trait AdjacentlyTagged: Sized {
    /// The tag's key.
    const TAG: &'static str;
    /// The content's key.
    const CONTENT: &'static str;
    /// Every tag.
    const TAGS: &'static [&'static str];
    /// The enum's derived decoder, given the object as a [`Tagged`].
    fn from_tagged<'de, D: Deserializer<'de>>(
        tagged: Tagged<'_, D, D::Error>,
    ) -> Result<Self, D::Error>;
}

/// Decodes an adjacently tagged enum, strictly, in any key order: the tag is a string, each key
/// once, no other key; when the content comes first it is held as a `Value` and decoded through
/// [`Strict`] once the tag is known (writers put the tag first, so this is not the usual path).
/// Keys besides the tag and the content (a board entry's `index` …) are the caller's.
pub struct Adjacent<T> {
    tag: Option<&'static str>,
    value: Option<T>,
    early: Option<serde_json::Value>,
}

impl<T: AdjacentlyTagged> Default for Adjacent<T> {
    fn default() -> Self {
        Adjacent {
            tag: None,
            value: None,
            early: None,
        }
    }
}

impl<T: AdjacentlyTagged> Adjacent<T> {
    /// Takes the value of `key`, if it is the tag's or the content's; `false` for another key,
    /// whose value the caller reads.
    pub fn take<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        if key == T::TAG {
            if self.tag.is_some() {
                return Err(de::Error::duplicate_field(T::TAG));
            }
            let tag = map.next_value_seed(Name {
                names: T::TAGS,
                key: false,
            })?;
            self.tag = Some(tag);
        } else if key == T::CONTENT {
            if self.value.is_some() || self.early.is_some() {
                return Err(de::Error::duplicate_field(T::CONTENT));
            }
            match self.tag {
                Some(tag) => {
                    self.value = Some(map.next_value_seed(ContentSeed::<T>(tag, PhantomData))?)
                }
                None => self.early = Some(map.next_value()?),
            }
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// The enum, once the object is read.
    pub fn finish<E: de::Error>(self) -> Result<T, E> {
        let tag = self.tag.ok_or_else(|| E::missing_field(T::TAG))?;
        match (self.value, self.early) {
            (Some(value), _) => Ok(value),
            (None, Some(content)) => ContentSeed::<T>(tag, PhantomData)
                .deserialize(Strict(content))
                .map_err(E::custom),
            (None, None) => T::from_tagged(Tagged::<de::value::UnitDeserializer<E>, E> {
                tag_key: T::TAG,
                tag,
                content_key: T::CONTENT,
                content: None,
                error: PhantomData,
            }),
        }
    }
}

/// Decodes the content of the variant `tag` through the derived decoder.
struct ContentSeed<T>(&'static str, PhantomData<T>);

impl<'de, T: AdjacentlyTagged> DeserializeSeed<'de> for ContentSeed<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::from_tagged(Tagged {
            tag_key: T::TAG,
            tag: self.0,
            content_key: T::CONTENT,
            content: Some(d),
            error: PhantomData,
        })
    }
}

/// `Deserialize` of an adjacently tagged enum that is a whole object (not flattened into
/// another): an object of the tag and the content only ([`Adjacent`]).
pub fn adjacently_tagged<'de, D: Deserializer<'de>, T: AdjacentlyTagged>(
    d: D,
    name: &'static str,
) -> Result<T, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: AdjacentlyTagged> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "an object with the fields {} and {}", T::TAG, T::CONTENT)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut adjacent = Adjacent::<T>::default();
            while let Some(key) = map.next_key::<String>()? {
                if !adjacent.take(&key, &mut map)? {
                    return Err(de::Error::custom(format_args!(
                        "unknown field `{key}`, expected `{}` or `{}`",
                        T::TAG,
                        T::CONTENT
                    )));
                }
            }
            adjacent.finish()
        }
    }
    d.deserialize_struct(name, &[], V(PhantomData))
}

/// A deserializer of one variant of an adjacently tagged enum (`{"kind": …, "data": …}`) whose
/// tag is already read: it shows the enum's derived `Deserialize` the object `{"kind": tag,
/// "data": …}` with `data` decoded from `content` (absent when `None`). So the derived code
/// never buffers the data, and the data is decoded by `content`'s deserializer, strictly.
pub struct Tagged<'t, D, E> {
    /// The tag's key.
    pub tag_key: &'static str,
    /// The tag, already read.
    pub tag: &'t str,
    /// The content's key.
    pub content_key: &'static str,
    /// The content's deserializer, if the content is present.
    pub content: Option<D>,
    /// The error type, when `D` is absent.
    pub error: PhantomData<E>,
}

impl<'de, D: Deserializer<'de, Error = E>, E: de::Error> Deserializer<'de> for Tagged<'_, D, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_map(TaggedMap {
            tag: Some((self.tag_key, self.tag)),
            content: self.content.map(|c| (self.content_key, c)),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// The two-key map of [`Tagged`].
struct TaggedMap<'t, D> {
    tag: Option<(&'static str, &'t str)>,
    content: Option<(&'static str, D)>,
    value: Option<Pending<'t, D>>,
}

enum Pending<'t, D> {
    Tag(&'t str),
    Content(D),
}

impl<'de, D: Deserializer<'de>> MapAccess<'de> for TaggedMap<'_, D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, D::Error> {
        let (key, pending) = if let Some((key, tag)) = self.tag.take() {
            (key, Pending::Tag(tag))
        } else if let Some((key, content)) = self.content.take() {
            (key, Pending::Content(content))
        } else {
            return Ok(None);
        };
        self.value = Some(pending);
        seed.deserialize(StrDeserializer::<D::Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, D::Error> {
        match self.value.take() {
            Some(Pending::Tag(tag)) => seed.deserialize(StrDeserializer::<D::Error>::new(tag)),
            Some(Pending::Content(content)) => seed.deserialize(content),
            None => Err(de::Error::custom("a value asked for before its key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: u32,
        b: String,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Unit {
        FirstFinal,
        LastCounts,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        inner: Inner,
        list: Vec<Inner>,
        maybe: Option<Inner>,
        unit: Unit,
        pair: [u64; 2],
    }

    const GOOD: &str = r#"{"inner":{"a":1,"b":"x"},"list":[{"a":2,"b":"y"}],"maybe":{"a":3,"b":"z"},"unit":"last_counts","pair":[4,5]}"#;

    #[test]
    fn objects_and_strings_are_taken() {
        let o: Outer = from_str(GOOD).unwrap();
        assert_eq!(o.unit, Unit::LastCounts);
        assert_eq!(o.pair, [4, 5]);
        assert_eq!(from_slice::<Outer>(GOOD.as_bytes()).unwrap(), o);
        assert_eq!(from_reader::<_, Outer>(GOOD.as_bytes()).unwrap(), o);
        let v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        assert_eq!(from_value::<Outer>(v).unwrap(), o);
    }

    /// Each refused input, and serde_json's own verdict on it (which took every one of the
    /// array and object forms).
    #[test]
    fn arrays_for_structs_and_objects_for_unit_values_are_refused() {
        let cases = [
            // A struct as an array, at the top, nested, in a list, in an option.
            r#"[{"a":1,"b":"x"},[],null,"first_final",[4,5]]"#,
            r#"{"inner":[1,"x"],"list":[],"maybe":null,"unit":"first_final","pair":[4,5]}"#,
            r#"{"inner":{"a":1,"b":"x"},"list":[[2,"y"]],"maybe":null,"unit":"first_final","pair":[4,5]}"#,
            r#"{"inner":{"a":1,"b":"x"},"list":[],"maybe":[3,"z"],"unit":"first_final","pair":[4,5]}"#,
            // A unit value as a one-key object.
            r#"{"inner":{"a":1,"b":"x"},"list":[],"maybe":null,"unit":{"first_final":null},"pair":[4,5]}"#,
            r#"{"inner":{"a":1,"b":"x"},"list":[],"maybe":null,"unit":{"last_counts":null},"pair":[4,5]}"#,
        ];
        for case in cases {
            let err = from_str::<Outer>(case).unwrap_err().to_string();
            assert!(
                err.contains("an object with named fields") || err.contains("a string naming"),
                "{case}: {err}"
            );
            assert!(
                serde_json::from_str::<Outer>(case).is_ok(),
                "serde_json refused {case}"
            );
            let v: serde_json::Value = serde_json::from_str(case).unwrap();
            assert!(from_value::<Outer>(v).is_err(), "{case}");
        }
    }

    #[test]
    fn duplicate_fields_lone_surrogates_and_trailing_text_are_refused() {
        let dup = r#"{"a":1,"a":2,"b":"x"}"#;
        assert!(
            from_str::<Inner>(dup)
                .unwrap_err()
                .to_string()
                .contains("duplicate field")
        );
        assert!(from_str::<Inner>(r#"{"a":1,"b":"\ud800"}"#).is_err());
        assert!(from_str::<Inner>(r#"{"a":1,"b":"\udc00x"}"#).is_err());
        assert!(from_str::<Inner>(r#"{"a":1,"b":"x"} x"#).is_err());
        assert_eq!(
            from_str::<Inner>(r#"{"b":"\ud83d\ude00","a":1}"#).unwrap(),
            Inner {
                a: 1,
                b: "😀".into()
            }
        );
    }

    #[test]
    fn tag_names_are_strings_only() {
        const NAMES: &[&str] = &["counts", "top_k"];
        let read = |t: &str| {
            let names = Name {
                names: NAMES,
                key: false,
            };
            names.deserialize(Strict(&mut serde_json::Deserializer::from_str(t)))
        };
        assert_eq!(read(r#""top_k""#).unwrap(), "top_k");
        for bad in [
            "1",
            "0",
            r#"{"top_k":null}"#,
            r#"["top_k"]"#,
            r#""TopK""#,
            "null",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
