//! A compact JSON writer for responses: a `serde::Serializer` that produces exactly the text of
//! `serde_json::to_string` (checked by the tests below and by the determinism goldens), tuned
//! for what responses are: struct field names, written without escaping (they are the
//! crate's own ASCII identifiers), and strings, copied in one piece when nothing in them needs
//! escaping. Numbers are written by `serde_json`'s own formatter, so floats keep its shortest
//! round-trip spelling.
//!
//! Measured on a 1,000-position book: serialisation took a third of the time of `calculate`
//! with `serde_json`'s writer (keys escaped byte by byte like any string).

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};
use std::fmt;

/// Serialises `value` to a JSON string (as `serde_json::to_string`).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_string_with_capacity(value, 256)
}

/// [`to_string`] into a buffer of `capacity` bytes to start with.
pub fn to_string_with_capacity<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
) -> Result<String, Error> {
    write(value, capacity, false)
}

/// [`to_string`] with every non-ASCII character escaped as `\uXXXX` (the same JSON data as
/// text that is pure ASCII).
pub fn to_ascii_string<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<String, Error> {
    write(value, capacity, true)
}

/// `value` as JSON text into a buffer of `capacity` bytes to start with; in ASCII mode every
/// non-ASCII character is escaped as `\uXXXX` ([`to_ascii_string`]).
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
    ascii: bool,
) -> Result<String, Error> {
    // Only UTF-8 was written: `str` contents, ASCII syntax and escapes.
    String::from_utf8(write_bytes(value, capacity, ascii)?)
        .map_err(|_| Error("response is not UTF-8".into()))
}

/// [`write`]'s bytes, not checked as UTF-8: in ASCII mode they are pure ASCII (every byte of a
/// `str` ≥ 0x80 is escaped), which the wasm boundary hands to JavaScript as bytes, so it need
/// not pay for a `String` (`from_utf8` was 1.7 % of a 10-position `calculateJson` in Node).
pub(crate) fn write_bytes<T: Serialize + ?Sized>(
    value: &T,
    capacity: usize,
    ascii: bool,
) -> Result<Vec<u8>, Error> {
    let mut writer = Writer {
        out: Vec::with_capacity(capacity),
        ascii,
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// A serialisation failure (a map key that is not a string, or a `Serialize` impl's error).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// The output buffer.
struct Writer {
    out: Vec<u8>,
    /// Escape every non-ASCII character (`\uXXXX`): for text handed to JavaScript, which
    /// decodes pure ASCII from wasm memory more than twice as fast as UTF-8.
    ascii: bool,
}

/// `serde_json`'s escape for each byte: 0 for none, else the letter after the backslash (`u`
/// for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of the eight bytes of `word` is a control character (`< 0x20`), `"`, `\\` or
/// non-ASCII (`≥ 0x80`): the bytes [`Writer::string`] must look at. The bit tricks are the
/// classic "has zero byte" / "has byte less than n" tests (S. E. Anderson, "Bit Twiddling
/// Hacks", Stanford): exact about whether such a byte is present, which is all that is asked.
#[inline(always)]
fn may_need_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = has_zero(word ^ (ONES * b'"' as u64));
    let backslash = has_zero(word ^ (ONES * b'\\' as u64));
    (control | quote | backslash | word) & HIGH != 0
}

impl Writer {
    /// Appends `bytes`: a capacity check and a copy (for the constant punctuation, one or two
    /// stores) at each call site, the growth path in one cold function, where `Vec::push` and
    /// `Vec::extend_from_slice` are calls that the wasm build's inliner mostly keeps out of
    /// line. Measured 2026-12-04 (alternated runs in Node against the same code with `Vec`'s
    /// own methods): `calculateJson` 10 futures 196–198 → 181–185 µs, 1,000 futures
    /// 21.4–23.2 → 20.2–21.1 ms, for 0.2 KB gzipped.
    #[inline(always)]
    fn bytes(&mut self, bytes: &[u8]) {
        let len = self.make_room(bytes.len());
        // SAFETY: the buffer has room for `bytes.len()` more bytes past `len` (`make_room`
        // just above), the source is a different allocation (a borrowed slice cannot alias the
        // writer's buffer, which `&mut self` holds exclusively), and after the copy the first
        // `len + bytes.len()` bytes are initialised.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.out.as_mut_ptr().add(len),
                bytes.len(),
            );
            self.out.set_len(len + bytes.len());
        }
    }

    /// Appends one byte (see [`Writer::bytes`]).
    #[inline(always)]
    fn byte(&mut self, byte: u8) {
        self.bytes(&[byte]);
    }

    /// Room for at least `additional` more bytes past the end (a check here, growth out of
    /// line); the length, which growing does not change (returned so that callers need not
    /// read it again after the call).
    #[inline(always)]
    fn make_room(&mut self, additional: usize) -> usize {
        let len = self.out.len();
        if self.out.capacity() - len < additional {
            self.grow(additional);
        }
        len
    }

    /// The slow path of [`Writer::make_room`].
    #[cold]
    #[inline(never)]
    fn grow(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    fn number<F>(&mut self, write: F) -> Result<(), Error>
    where
        F: FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    {
        write(&mut CompactFormatter, &mut self.out).map_err(|e| Error(e.to_string()))
    }

    /// A JSON string, escaped exactly as `serde_json` escapes it (and, in ASCII mode, every
    /// non-ASCII character as `\uXXXX`, UTF-16 surrogate pairs beyond the BMP).
    fn string(&mut self, value: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = value.as_bytes();
        self.make_room(bytes.len() + 2);
        self.byte(b'"');
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            // Eight bytes at a time while none needs a look (most text needs no escape).
            if i + 8 <= bytes.len() {
                // Element by element: `copy_from_slice` is an out-of-line call at opt-level "z".
                let c = &bytes[i..i + 8];
                let word = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
                if !may_need_escape(u64::from_le_bytes(word)) {
                    i += 8;
                    continue;
                }
            }
            let byte = bytes[i];
            let escape = if byte >= 0x80 && self.ascii {
                b'U'
            } else {
                ESCAPE[byte as usize]
            };
            if escape == 0 {
                i += 1;
                continue;
            }
            self.bytes(&bytes[start..i]);
            match escape {
                b'u' => {
                    self.bytes(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[(byte >> 4) as usize],
                        HEX[(byte & 0xf) as usize],
                    ]);
                    i += 1;
                }
                b'U' => {
                    let c = value
                        .get(i..)
                        .and_then(|rest| rest.chars().next())
                        .unwrap_or('\u{fffd}');
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let u = *unit as usize;
                        self.bytes(&[
                            b'\\',
                            b'u',
                            HEX[u >> 12],
                            HEX[(u >> 8) & 0xf],
                            HEX[(u >> 4) & 0xf],
                            HEX[u & 0xf],
                        ]);
                    }
                    i += c.len_utf8().max(1);
                }
                _ => {
                    self.bytes(&[b'\\', escape]);
                    i += 1;
                }
            }
            start = i;
        }
        self.bytes(&bytes[start..]);
        self.byte(b'"');
    }

    /// A struct field name: the crate's own identifiers need no escaping (checked in debug
    /// builds and by the tests, which compare with `serde_json`).
    fn field_name(&mut self, key: &'static str) {
        debug_assert!(key.bytes().all(|b| ESCAPE[b as usize] == 0));
        self.byte(b'"');
        self.bytes(key.as_bytes());
        self.bytes(b"\":");
    }
}

/// An object or array being written: whether a separator is needed before the next member.
pub struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
}

impl Compound<'_> {
    #[inline(always)]
    fn separate(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.writer.byte(b',');
        }
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.bytes(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.number(|f, w| f.write_i64(w, v))
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.number(|f, w| f.write_i128(w, v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.number(|f, w| f.write_u64(w, v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.number(|f, w| f.write_u128(w, v))
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if v.is_finite() {
            self.number(|f, w| f.write_f32(w, v))
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            self.number(|f, w| f.write_f64(w, v))
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    #[inline(never)]
    fn serialize_unit(self) -> Result<(), Error> {
        self.bytes(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.byte(b'{');
        self.string(variant);
        self.byte(b':');
        value.serialize(&mut *self)?;
        self.byte(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.byte(b'[');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.byte(b'{');
        self.string(variant);
        self.bytes(b":[");
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.byte(b'{');
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.byte(b'{');
        self.string(variant);
        self.bytes(b":{");
        Ok(Compound {
            writer: self,
            first: true,
        })
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        self.writer.byte(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        self.writer.bytes(b"]}");
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(MapKey(&mut *self.writer))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.writer.byte(b':');
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        self.writer.byte(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.separate();
        self.writer.field_name(key);
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeMap::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.writer.bytes(b"}}");
        Ok(())
    }
}

/// Map keys: strings (escaped) and integers (quoted), as `serde_json` writes them.
struct MapKey<'a>(&'a mut Writer);

#[cold]
#[inline(never)]
fn key_must_be_a_string() -> Error {
    Error("key must be a string".into())
}

impl MapKey<'_> {
    fn quoted<F>(self, write: F) -> Result<(), Error>
    where
        F: FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    {
        self.0.out.push(b'"');
        self.0.number(write)?;
        self.0.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.string(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.string(v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.0.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.0
            .out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.quoted(|f, w| f.write_i64(w, v))
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.quoted(|f, w| f.write_i128(w, v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.quoted(|f, w| f.write_u64(w, v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.quoted(|f, w| f.write_u128(w, v))
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn word_test_finds_every_byte_that_needs_a_look() {
        let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x80;
        let fill = u64::from_le_bytes(*b"abcdefgh");
        let mut seen = 0;
        // Every byte value at every position of a plain word, and next to every other value.
        for position in 0..8 {
            for value in 0..=255u8 {
                let mut word = fill.to_le_bytes();
                word[position] = value;
                assert_eq!(
                    may_need_escape(u64::from_le_bytes(word)),
                    needs(value),
                    "{word:?}"
                );
                for other in [
                    0x00, 0x1f, 0x20, 0x21, b'"', b'#', b'[', b'\\', b']', 0x7f, 0x80, 0xff,
                ] {
                    word[(position + 3) % 8] = other;
                    let expected = needs(value) || needs(other);
                    assert_eq!(
                        may_need_escape(u64::from_le_bytes(word)),
                        expected,
                        "{word:?}"
                    );
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 8 * 256 * 12);
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        text: String,
        maybe: Option<f64>,
        list: Vec<i64>,
        map: BTreeMap<String, f64>,
        unit: (),
        kind: Kind,
        nested: Option<Box<Sample>>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Kind {
        Plain,
        Wrapped(u32),
        Pair(i8, u8),
        Shape { width: f32 },
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let all_bytes: String = (0u8..=0x7f).map(char::from).collect();
        let mut map = BTreeMap::new();
        map.insert("a\"b\\c\n".to_string(), 1.5);
        map.insert("ünï".to_string(), f64::NAN);
        for (text, kind) in [
            (all_bytes, Kind::Plain),
            ("×−·∞ \u{1F600} é".to_string(), Kind::Wrapped(7)),
            (String::new(), Kind::Pair(-3, 250)),
            ("\"".to_string(), Kind::Shape { width: 0.1 }),
        ] {
            let value = Sample {
                text: text.clone(),
                maybe: Some(1e300),
                list: vec![i64::MIN, 0, i64::MAX],
                map: map.clone(),
                unit: (),
                kind,
                nested: Some(Box::new(Sample {
                    text,
                    maybe: Some(f64::INFINITY),
                    list: vec![],
                    map: BTreeMap::new(),
                    unit: (),
                    kind: Kind::Plain,
                    nested: None,
                })),
            };
            assert_eq!(
                to_string(&value).unwrap(),
                serde_json::to_string(&value).unwrap()
            );
        }
        let values =
            json!([1, -2.5, 0.1, 5e-324, 1.7976931348623157e308, true, null, {"k": [[], {}]}]);
        assert_eq!(
            to_string(&values).unwrap(),
            serde_json::to_string(&values).unwrap()
        );
    }

    #[test]
    fn ascii_mode_is_the_same_data_in_ascii() {
        let value = json!({"k×": ["×−·∞ \u{1F600} é\n\"", "plain", 1.5]});
        let text = to_ascii_string(&value, 0).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(
            text.contains(r"\ud83d\ude00") && text.contains(r"\u00d7"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn non_string_map_keys_are_refused_as_serde_json_does() {
        let mut map = BTreeMap::new();
        map.insert(vec![1u8], 1);
        assert!(to_string(&map).is_err());
        assert!(serde_json::to_string(&map).is_err());
        let mut ints = BTreeMap::new();
        ints.insert(-4i32, "x");
        assert_eq!(
            to_string(&ints).unwrap(),
            serde_json::to_string(&ints).unwrap()
        );
    }
}
