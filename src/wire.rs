//! The request reader: a small JSON tokenizer and the means for the request types to read
//! themselves from it, without an intermediate tree and without `serde`'s deserialisation
//! machinery (a quarter of the wasm module's code went to reading requests through it).
//!
//! It accepts exactly what `serde_json` (without `float_roundtrip`) accepted through the
//! derived `Deserialize` impls it replaces, and fails the same way: the same syntax errors at
//! the same line and column, the same recursion limit (128 levels), the same data-error
//! messages (`unknown field`, `missing field`, `invalid type`, …) at the same field path:
//!
//! - structs read from an object (`deny_unknown_fields`, first missing required field reported
//!   after the object, duplicate fields refused) or, as `serde_json` allowed, from an array of
//!   their fields in declaration order;
//! - `Option` fields are `None` when absent or `null`;
//! - internally tagged enums (`{"type": …}`) first buffer their value ([`Content`]), as serde
//!   does, so errors inside one are reported at the enum's path;
//! - numbers become `f64` exactly as `serde_json` computed them (the same significand and
//!   power-of-ten steps), so decimal inputs given as JSON numbers are unchanged.

use crate::money::NumberInput;
use std::borrow::Cow;

/// A reading failure.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Not JSON: the message names the problem and its line and column.
    Syntax(String),
    /// Nested deeper than 127 levels.
    TooDeep,
    /// JSON of the wrong shape: the path of the value (`positions[0].size`, `.` for the root)
    /// and what was wrong.
    Data {
        /// Where, as `serde_path_to_error` printed it.
        path: String,
        /// What, in serde's words (`invalid type: …, expected …`).
        message: String,
    },
}

/// The result of a read; the error is boxed to keep the happy path's values small.
pub type Result<T> = std::result::Result<T, Box<Error>>;

/// A type that reads itself from the request text.
pub trait Wire: Sized {
    /// Reads one value at the reader's position.
    fn read(r: &mut Reader<'_>) -> Result<Self>;
}

/// A type that reads itself from a buffered value (inside a tagged enum). The error is the
/// message alone: its path is the enum's.
pub trait FromContent: Sized {
    /// Converts a buffered value.
    fn from_content(c: Content) -> std::result::Result<Self, String>;
}

/// Reads a whole text as one `T`; anything but whitespace after it is an error.
pub fn parse<T: Wire>(text: &str) -> Result<T> {
    let mut r = Reader::new(text);
    let value = T::read(&mut r)?;
    if r.ws().is_some() {
        return Err(r.peek_error("trailing characters"));
    }
    Ok(value)
}

/// A buffered JSON value, as serde's `Content` holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// Any other number.
    F64(f64),
    /// A string.
    Str(String),
    /// An array.
    Seq(Vec<Content>),
    /// An object, members in order.
    Map(Vec<(String, Content)>),
}

#[derive(Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// A value as an error message names it (serde's `Unexpected`, as `serde_json` prints it).
enum Unexpected<'a> {
    Unit,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(&'a str),
    Seq,
    Map,
}

impl std::fmt::Display for Unexpected<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unexpected::Unit => f.write_str("null"),
            Unexpected::Bool(b) => write!(f, "boolean `{b}`"),
            Unexpected::U64(x) => write!(f, "integer `{x}`"),
            Unexpected::I64(x) => write!(f, "integer `{x}`"),
            Unexpected::F64(x) => {
                let mut buf = [0u8; 32];
                write!(
                    f,
                    "floating point `{}`",
                    crate::money::float_text(*x, &mut buf)
                )
            }
            Unexpected::Str(s) => {
                f.write_str("string ")?;
                write_quoted(f, s)
            }
            Unexpected::Seq => f.write_str("sequence"),
            Unexpected::Map => f.write_str("map"),
        }
    }
}

/// `s` in double quotes as `{:?}` writes it for the text a request can hold: quotes,
/// backslashes and the C0/C1 control characters escaped (`\n`, `\u{7f}`), everything else as
/// is. (`{:?}` would also escape other unprintable characters, with Unicode's printability
/// tables, ~8 KB gzipped, in the module for one error message.)
fn write_quoted(f: &mut std::fmt::Formatter<'_>, s: &str) -> std::fmt::Result {
    use std::fmt::Write;
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\0' => f.write_str("\\0")?,
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                write!(f, "\\u{{{:x}}}", c as u32)?
            }
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[inline(never)]
fn invalid_type(unexp: Unexpected, expected: &str) -> String {
    format!("invalid type: {unexp}, expected {expected}")
}

fn invalid_value(unexp: Unexpected, expected: &str) -> String {
    format!("invalid value: {unexp}, expected {expected}")
}

fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [a] => format!("`{a}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        _ => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

fn unknown_field(key: &str, names: &[&str]) -> String {
    if names.is_empty() {
        format!("unknown field `{key}`, there are no fields")
    } else {
        format!("unknown field `{key}`, expected {}", one_of(names))
    }
}

fn unknown_variant(tag: &str, names: &[&str]) -> String {
    format!("unknown variant `{tag}`, expected {}", one_of(names))
}

#[inline(never)]
fn missing_field(name: &str) -> String {
    format!("missing field `{name}`")
}

#[inline(never)]
fn duplicate_field(name: &str) -> String {
    format!("duplicate field `{name}`")
}

fn elements(expecting: &str, n: usize) -> String {
    if n == 1 {
        format!("{expecting} with 1 element")
    } else {
        format!("{expecting} with {n} elements")
    }
}

/// A struct's wire shape: what serde_derive generated from its fields and attributes.
pub struct Fields {
    /// `struct Request`, `struct variant MarginRuleInput::Fixed`.
    pub expecting: &'static str,
    /// The JSON names (camelCase), in declaration order.
    pub names: &'static [&'static str],
    /// Bit i set: field i must be present in an object (not `Option`, no default).
    pub required: u32,
    /// Bit i set: field i may be missing from an array form (`#[serde(default)]`).
    pub seq_default: u32,
}

/// A number as `serde_json` parsed it.
#[derive(Clone, Copy)]
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Number {
    fn f64(self) -> f64 {
        match self {
            Number::U64(x) => x as f64,
            Number::I64(x) => x as f64,
            Number::F64(x) => x,
        }
    }
    fn unexpected(self) -> Unexpected<'static> {
        match self {
            Number::U64(x) => Unexpected::U64(x),
            Number::I64(x) => Unexpected::I64(x),
            Number::F64(x) => Unexpected::F64(x),
        }
    }
}

/// The reader: a position in the text, the nesting budget and the path of the value being read.
pub struct Reader<'a> {
    /// The text, and `s` its bytes: strings are sliced from `text` (an O(1) char-boundary
    /// check) rather than re-validated as UTF-8.
    text: &'a str,
    s: &'a [u8],
    i: usize,
    depth: u32,
    path: Vec<Seg>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Reader {
            text,
            s: text.as_bytes(),
            i: 0,
            depth: 128,
            path: Vec::with_capacity(8),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_or_null(&self) -> u8 {
        self.peek().unwrap_or(0)
    }

    fn eat(&mut self) {
        self.i += 1;
    }

    fn next_char(&mut self) -> Option<u8> {
        let c = self.peek();
        if c.is_some() {
            self.i += 1;
        }
        c
    }

    /// Skips whitespace; the next byte, not consumed. The test for "no whitespace here" (the
    /// common case: compact JSON) is inlined at every call site; skipping is out of line.
    #[inline(always)]
    fn ws(&mut self) -> Option<u8> {
        match self.peek() {
            Some(b' ' | b'\n' | b'\t' | b'\r') => self.skip_ws(),
            next => next,
        }
    }

    /// The slow path of [`Reader::ws`].
    #[inline(never)]
    fn skip_ws(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
        self.peek()
    }

    #[cold]
    fn syntax_at(&self, i: usize, code: &str) -> Box<Error> {
        let before = &self.s[..i.min(self.s.len())];
        let start_of_line = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = 1 + before[..start_of_line]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let column = before.len() - start_of_line;
        Box::new(Error::Syntax(format!(
            "{code} at line {line} column {column}"
        )))
    }

    #[cold]
    fn error(&self, code: &str) -> Box<Error> {
        self.syntax_at(self.i, code)
    }

    #[cold]
    #[inline(never)]
    fn peek_error(&self, code: &str) -> Box<Error> {
        self.syntax_at((self.i + 1).min(self.s.len()), code)
    }

    /// A data error at the path being read.
    #[cold]
    pub fn data(&self, message: String) -> Box<Error> {
        self.data_at(message, None)
    }

    #[cold]
    fn data_at(&self, message: String, key: Option<&str>) -> Box<Error> {
        let mut path = String::new();
        let mut separator = "";
        let keys = self.path.iter().map(|s| match s {
            Seg::Key(k) => (Some(*k), 0),
            Seg::Index(i) => (None, *i),
        });
        for (k, i) in keys.chain(key.map(|k| (Some(k), 0))) {
            match k {
                Some(k) => {
                    path.push_str(separator);
                    path.push_str(k);
                }
                None => path.push_str(&format!("[{i}]")),
            }
            separator = ".";
        }
        if path.is_empty() {
            path.push('.');
        }
        Box::new(Error::Data { path, message })
    }

    fn enter(&mut self) -> Result<()> {
        self.depth -= 1;
        if self.depth == 0 {
            return Err(Box::new(Error::TooDeep));
        }
        self.eat();
        Ok(())
    }

    fn leave(&mut self) {
        self.depth += 1;
    }

    fn eof_value(&self) -> Box<Error> {
        self.peek_error("EOF while parsing a value")
    }

    fn parse_ident(&mut self, ident: &[u8]) -> Result<()> {
        for expected in ident {
            match self.next_char() {
                None => return Err(self.error("EOF while parsing a value")),
                Some(c) if c != *expected => return Err(self.error("expected ident")),
                Some(_) => {}
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ strings

    /// Reads a string whose opening quote has been consumed.
    fn parse_str(&mut self) -> Result<Cow<'a, str>> {
        let s = self.s;
        let mut scratch: Vec<u8> = Vec::new();
        let mut start = self.i;
        loop {
            while self.i < s.len() && !matches!(s[self.i], b'"' | b'\\' | 0..=0x1f) {
                self.i += 1;
            }
            if self.i == s.len() {
                return Err(self.error("EOF while parsing a string"));
            }
            match s[self.i] {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    if scratch.is_empty() {
                        // The quotes are ASCII: both ends are char boundaries.
                        return Ok(Cow::Borrowed(self.text.get(start..end).unwrap_or_default()));
                    }
                    scratch.extend_from_slice(&s[start..end]);
                    return Ok(Cow::Owned(String::from_utf8(scratch).unwrap_or_default()));
                }
                b'\\' => {
                    scratch.extend_from_slice(&s[start..self.i]);
                    self.i += 1;
                    self.parse_escape(&mut scratch)?;
                    start = self.i;
                }
                _ => {
                    self.i += 1;
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
    }

    fn parse_escape(&mut self, scratch: &mut Vec<u8>) -> Result<()> {
        let Some(c) = self.next_char() else {
            return Err(self.error("EOF while parsing a string"));
        };
        let byte = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.parse_unicode_escape(scratch),
            _ => return Err(self.error("invalid escape")),
        };
        scratch.push(byte);
        Ok(())
    }

    fn decode_hex_escape(&mut self) -> Result<u16> {
        match self.s.get(self.i..self.i + 4) {
            Some(digits) => {
                self.i += 4;
                let mut n: u16 = 0;
                for &d in digits {
                    let v = match d {
                        b'0'..=b'9' => d - b'0',
                        b'a'..=b'f' => d - b'a' + 10,
                        b'A'..=b'F' => d - b'A' + 10,
                        _ => return Err(self.error("invalid escape")),
                    };
                    n = (n << 4) | u16::from(v);
                }
                Ok(n)
            }
            None => {
                self.i = self.s.len();
                Err(self.error("EOF while parsing a string"))
            }
        }
    }

    fn peek_or_eof(&self) -> Result<u8> {
        self.peek()
            .ok_or_else(|| self.error("EOF while parsing a string"))
    }

    fn parse_unicode_escape(&mut self, scratch: &mut Vec<u8>) -> Result<()> {
        let n = self.decode_hex_escape()?;
        if (0xDC00..=0xDFFF).contains(&n) {
            return Err(self.error("lone leading surrogate in hex escape"));
        }
        let code = if (0xD800..=0xDBFF).contains(&n) {
            for expected in [b'\\', b'u'] {
                let c = self.peek_or_eof()?;
                self.eat();
                if c != expected {
                    return Err(self.error("unexpected end of hex escape"));
                }
            }
            let n2 = self.decode_hex_escape()?;
            if !(0xDC00..=0xDFFF).contains(&n2) {
                return Err(self.error("lone leading surrogate in hex escape"));
            }
            ((u32::from(n - 0xD800) << 10) | u32::from(n2 - 0xDC00)) + 0x1_0000
        } else {
            u32::from(n)
        };
        let ch = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buf = [0u8; 4];
        scratch.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    // ------------------------------------------------------------------ numbers

    fn parse_integer(&mut self, positive: bool) -> Result<Number> {
        let Some(c) = self.next_char() else {
            return Err(self.error("EOF while parsing a value"));
        };
        match c {
            b'0' => {
                if self.peek_or_null().is_ascii_digit() {
                    return Err(self.peek_error("invalid number"));
                }
                self.parse_number(positive, 0)
            }
            b'1'..=b'9' => {
                let mut significand = u64::from(c - b'0');
                loop {
                    let c = self.peek_or_null();
                    if !c.is_ascii_digit() {
                        return self.parse_number(positive, significand);
                    }
                    let digit = u64::from(c - b'0');
                    match significand
                        .checked_mul(10)
                        .and_then(|m| m.checked_add(digit))
                    {
                        Some(next) => {
                            self.eat();
                            significand = next;
                        }
                        None => {
                            return Ok(Number::F64(self.parse_long_integer(positive, significand)?))
                        }
                    }
                }
            }
            _ => Err(self.error("invalid number")),
        }
    }

    fn parse_number(&mut self, positive: bool, significand: u64) -> Result<Number> {
        Ok(match self.peek_or_null() {
            b'.' => Number::F64(self.parse_decimal(positive, significand, 0)?),
            b'e' | b'E' => Number::F64(self.parse_exponent(positive, significand, 0)?),
            _ => {
                if positive {
                    Number::U64(significand)
                } else {
                    let neg = (significand as i64).wrapping_neg();
                    if neg >= 0 {
                        Number::F64(-(significand as f64))
                    } else {
                        Number::I64(neg)
                    }
                }
            }
        })
    }

    fn parse_decimal(&mut self, positive: bool, mut significand: u64, before: i32) -> Result<f64> {
        self.eat();
        let mut after = 0;
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            let digit = u64::from(c - b'0');
            match significand
                .checked_mul(10)
                .and_then(|m| m.checked_add(digit))
            {
                Some(next) => {
                    self.eat();
                    significand = next;
                    after -= 1;
                }
                None => {
                    // Further digits are ignored, as serde_json ignores them.
                    while self.peek_or_null().is_ascii_digit() {
                        self.eat();
                    }
                    let exponent = before + after;
                    return match self.peek_or_null() {
                        b'e' | b'E' => self.parse_exponent(positive, significand, exponent),
                        _ => self.f64_from_parts(positive, significand, exponent),
                    };
                }
            }
        }
        if after == 0 {
            return Err(match self.peek() {
                Some(_) => self.peek_error("invalid number"),
                None => self.peek_error("EOF while parsing a value"),
            });
        }
        let exponent = before + after;
        match self.peek_or_null() {
            b'e' | b'E' => self.parse_exponent(positive, significand, exponent),
            _ => self.f64_from_parts(positive, significand, exponent),
        }
    }

    fn parse_exponent(&mut self, positive: bool, significand: u64, starting: i32) -> Result<f64> {
        self.eat();
        let positive_exp = match self.peek_or_null() {
            b'+' => {
                self.eat();
                true
            }
            b'-' => {
                self.eat();
                false
            }
            _ => true,
        };
        let Some(c) = self.next_char() else {
            return Err(self.error("EOF while parsing a value"));
        };
        let mut exp = match c {
            b'0'..=b'9' => i32::from(c - b'0'),
            _ => return Err(self.error("invalid number")),
        };
        while let c @ b'0'..=b'9' = self.peek_or_null() {
            self.eat();
            let digit = i32::from(c - b'0');
            match exp.checked_mul(10).and_then(|m| m.checked_add(digit)) {
                Some(next) => exp = next,
                None => {
                    if significand != 0 && positive_exp {
                        return Err(self.error("number out of range"));
                    }
                    while self.peek_or_null().is_ascii_digit() {
                        self.eat();
                    }
                    return Ok(if positive { 0.0 } else { -0.0 });
                }
            }
        }
        let exponent = if positive_exp {
            starting.saturating_add(exp)
        } else {
            starting.saturating_sub(exp)
        };
        self.f64_from_parts(positive, significand, exponent)
    }

    fn parse_long_integer(&mut self, positive: bool, significand: u64) -> Result<f64> {
        let mut exponent = 0;
        loop {
            match self.peek_or_null() {
                b'0'..=b'9' => {
                    self.eat();
                    exponent += 1;
                }
                b'.' => return self.parse_decimal(positive, significand, exponent),
                b'e' | b'E' => return self.parse_exponent(positive, significand, exponent),
                _ => return self.f64_from_parts(positive, significand, exponent),
            }
        }
    }

    fn f64_from_parts(&mut self, positive: bool, significand: u64, exponent: i32) -> Result<f64> {
        let f = scale_by_powers_of_ten(significand as f64, i64::from(exponent));
        if f.is_infinite() {
            return Err(self.error("number out of range"));
        }
        Ok(if positive { f } else { -f })
    }

    /// A number whose first byte (`-` or a digit) is next.
    #[inline(never)]
    fn number(&mut self) -> Result<Number> {
        if self.peek() == Some(b'-') {
            self.eat();
            self.parse_integer(false)
        } else {
            self.parse_integer(true)
        }
    }

    // ------------------------------------------------------------------ structure

    /// The error for a value of the wrong type: the value is read (a string or number, to name
    /// it) or, for arrays and objects, only peeked at — as serde_json does.
    #[cold]
    #[inline(never)]
    fn invalid_type(&mut self, expected: &str) -> Box<Error> {
        let message = match self.peek_or_null() {
            b'n' => {
                self.eat();
                if let Err(e) = self.parse_ident(b"ull") {
                    return e;
                }
                invalid_type(Unexpected::Unit, expected)
            }
            b't' => {
                self.eat();
                if let Err(e) = self.parse_ident(b"rue") {
                    return e;
                }
                invalid_type(Unexpected::Bool(true), expected)
            }
            b'f' => {
                self.eat();
                if let Err(e) = self.parse_ident(b"alse") {
                    return e;
                }
                invalid_type(Unexpected::Bool(false), expected)
            }
            b'-' | b'0'..=b'9' => match self.number() {
                Ok(n) => invalid_type(n.unexpected(), expected),
                Err(e) => return e,
            },
            b'"' => {
                self.eat();
                match self.parse_str() {
                    Ok(s) => invalid_type(Unexpected::Str(&s), expected),
                    Err(e) => return e,
                }
            }
            b'[' => invalid_type(Unexpected::Seq, expected),
            b'{' => invalid_type(Unexpected::Map, expected),
            _ => return self.peek_error("expected value"),
        };
        self.data(message)
    }

    /// Is there another array element? (`first`: none read yet.)
    fn has_next_element(&mut self, first: &mut bool) -> Result<bool> {
        let Some(peek) = self.ws() else {
            return Err(self.peek_error("EOF while parsing a list"));
        };
        if peek == b']' {
            Ok(false)
        } else if *first {
            *first = false;
            Ok(true)
        } else if peek == b',' {
            self.eat();
            match self.ws() {
                Some(b']') => Err(self.peek_error("trailing comma")),
                Some(_) => Ok(true),
                None => Err(self.eof_value()),
            }
        } else {
            Err(self.peek_error("expected `,` or `]`"))
        }
    }

    /// Is there another object member? If so its key's opening quote is next.
    fn has_next_key(&mut self, first: &mut bool) -> Result<bool> {
        let Some(peek) = self.ws() else {
            return Err(self.peek_error("EOF while parsing an object"));
        };
        if peek == b'}' {
            Ok(false)
        } else if *first {
            *first = false;
            if peek == b'"' {
                Ok(true)
            } else {
                Err(self.peek_error("key must be a string"))
            }
        } else if peek == b',' {
            self.eat();
            match self.ws() {
                Some(b'"') => Ok(true),
                Some(b'}') => Err(self.peek_error("trailing comma")),
                Some(_) => Err(self.peek_error("key must be a string")),
                None => Err(self.eof_value()),
            }
        } else {
            Err(self.peek_error("expected `,` or `}`"))
        }
    }

    fn key(&mut self) -> Result<Cow<'a, str>> {
        self.eat();
        self.parse_str()
    }

    fn colon(&mut self) -> Result<()> {
        match self.ws() {
            Some(b':') => {
                self.eat();
                Ok(())
            }
            Some(_) => Err(self.peek_error("expected `:`")),
            None => Err(self.peek_error("EOF while parsing an object")),
        }
    }

    fn end_seq(&mut self) -> Result<()> {
        match self.ws() {
            Some(b']') => {
                self.eat();
                Ok(())
            }
            Some(b',') => {
                self.eat();
                match self.ws() {
                    Some(b']') => Err(self.peek_error("trailing comma")),
                    _ => Err(self.peek_error("trailing characters")),
                }
            }
            Some(_) => Err(self.peek_error("trailing characters")),
            None => Err(self.peek_error("EOF while parsing a list")),
        }
    }

    fn end_map(&mut self) -> Result<()> {
        match self.ws() {
            Some(b'}') => {
                self.eat();
                Ok(())
            }
            Some(b',') => Err(self.peek_error("trailing comma")),
            Some(_) => Err(self.peek_error("trailing characters")),
            None => Err(self.peek_error("EOF while parsing an object")),
        }
    }

    /// Reads a struct (object, or array of its fields in order); `set` reads field `i`.
    pub fn read_struct<T: Default>(
        &mut self,
        fields: &Fields,
        mut set: impl FnMut(&mut T, usize, &mut Self) -> Result<()>,
    ) -> Result<T> {
        let mut value = T::default();
        self.read_fields(fields, &mut |index, r| set(&mut value, index, r))?;
        Ok(value)
    }

    /// The body of [`Reader::read_struct`], one copy for every struct: it is the same walk of
    /// keys, bits and errors whatever the type, and the wasm build would otherwise paste it
    /// (~1.5 KB) into each struct's reader; the field setter is called through `dyn`.
    #[inline(never)]
    fn read_fields(
        &mut self,
        fields: &Fields,
        set: &mut dyn FnMut(usize, &mut Self) -> Result<()>,
    ) -> Result<()> {
        match self.ws() {
            None => Err(self.eof_value()),
            Some(b'{') => {
                self.enter()?;
                let mut first = true;
                let mut seen = 0u32;
                while self.has_next_key(&mut first)? {
                    let key = self.key()?;
                    let Some(index) = fields.names.iter().position(|n| *n == key) else {
                        return Err(self.data_at(unknown_field(&key, fields.names), Some(&key)));
                    };
                    let name = fields.names[index];
                    if seen & (1 << index) != 0 {
                        return Err(self.data(duplicate_field(name)));
                    }
                    seen |= 1 << index;
                    self.colon()?;
                    self.path.push(Seg::Key(name));
                    set(index, self)?;
                    self.path.pop();
                }
                self.leave();
                let missing = fields.required & !seen;
                if missing != 0 {
                    let name = fields.names[missing.trailing_zeros() as usize];
                    return Err(self.data(missing_field(name)));
                }
                self.end_map()?;
                Ok(())
            }
            Some(b'[') => {
                self.enter()?;
                let mut first = true;
                let mut more = true;
                for index in 0..fields.names.len() {
                    more = more && self.has_next_element(&mut first)?;
                    if !more {
                        if fields.seq_default & (1 << index) != 0 {
                            continue;
                        }
                        let expected = elements(fields.expecting, fields.names.len());
                        return Err(
                            self.data(format!("invalid length {index}, expected {expected}"))
                        );
                    }
                    self.path.push(Seg::Index(index));
                    set(index, self)?;
                    self.path.pop();
                }
                self.leave();
                self.end_seq()?;
                Ok(())
            }
            Some(_) => Err(self.invalid_type(fields.expecting)),
        }
    }

    /// The walk of [`Vec::read`](Wire::read) (brackets, commas, element paths, errors), one copy
    /// for every element type; `each` reads one element at the reader's position.
    #[inline(never)]
    fn read_elements(&mut self, each: &mut dyn FnMut(&mut Self) -> Result<()>) -> Result<()> {
        match self.ws() {
            None => Err(self.eof_value()),
            Some(b'[') => {
                self.enter()?;
                let mut first = true;
                let mut index = 0;
                while self.has_next_element(&mut first)? {
                    self.path.push(Seg::Index(index));
                    each(self)?;
                    self.path.pop();
                    index += 1;
                }
                self.leave();
                self.end_seq()
            }
            Some(_) => Err(self.invalid_type("a sequence")),
        }
    }

    /// Reads an internally tagged enum (`tag` names the variant): the variant's index in
    /// `variants` and the rest of the value, buffered.
    pub fn read_tagged(
        &mut self,
        expecting: &str,
        tag: &'static str,
        variants: &'static [&'static str],
    ) -> Result<(usize, Content)> {
        match self.ws() {
            None => Err(self.eof_value()),
            Some(b'[') => {
                self.enter()?;
                let mut first = true;
                if !self.has_next_element(&mut first)? {
                    return Err(self.data(missing_field(tag)));
                }
                self.path.push(Seg::Index(0));
                let variant = self.identifier(variants)?;
                self.path.pop();
                let mut rest = Vec::new();
                while self.has_next_element(&mut first)? {
                    rest.push(self.content()?);
                }
                self.leave();
                self.end_seq()?;
                Ok((variant, Content::Seq(rest)))
            }
            Some(b'{') => {
                self.enter()?;
                let mut first = true;
                let mut variant = None;
                let mut rest = Vec::new();
                while self.has_next_key(&mut first)? {
                    let key = self.key()?;
                    if key == tag {
                        if variant.is_some() {
                            return Err(self.data(duplicate_field(tag)));
                        }
                        self.colon()?;
                        self.path.push(Seg::Key(tag));
                        variant = Some(self.identifier(variants)?);
                        self.path.pop();
                    } else {
                        self.colon()?;
                        let value = self.content()?;
                        rest.push((key.into_owned(), value));
                    }
                }
                self.leave();
                let Some(variant) = variant else {
                    return Err(self.data(missing_field(tag)));
                };
                self.end_map()?;
                Ok((variant, Content::Map(rest)))
            }
            Some(_) => Err(self.invalid_type(expecting)),
        }
    }

    fn identifier(&mut self, variants: &'static [&'static str]) -> Result<usize> {
        match self.ws() {
            None => Err(self.eof_value()),
            Some(b'"') => {
                self.eat();
                let s = self.parse_str()?;
                variants
                    .iter()
                    .position(|v| *v == s)
                    .ok_or_else(|| self.data(unknown_variant(&s, variants)))
            }
            Some(_) => Err(self.invalid_type("variant identifier")),
        }
    }

    /// Buffers any value.
    fn content(&mut self) -> Result<Content> {
        match self.ws() {
            None => Err(self.eof_value()),
            Some(b'n') => {
                self.eat();
                self.parse_ident(b"ull")?;
                Ok(Content::Null)
            }
            Some(b't') => {
                self.eat();
                self.parse_ident(b"rue")?;
                Ok(Content::Bool(true))
            }
            Some(b'f') => {
                self.eat();
                self.parse_ident(b"alse")?;
                Ok(Content::Bool(false))
            }
            Some(b'-' | b'0'..=b'9') => Ok(match self.number()? {
                Number::U64(x) => Content::U64(x),
                Number::I64(x) => Content::I64(x),
                Number::F64(x) => Content::F64(x),
            }),
            Some(b'"') => {
                self.eat();
                Ok(Content::Str(self.parse_str()?.into_owned()))
            }
            Some(b'[') => {
                self.enter()?;
                let mut first = true;
                let mut items = Vec::new();
                while self.has_next_element(&mut first)? {
                    items.push(self.content()?);
                }
                self.leave();
                self.end_seq()?;
                Ok(Content::Seq(items))
            }
            Some(b'{') => {
                self.enter()?;
                let mut first = true;
                let mut members = Vec::new();
                while self.has_next_key(&mut first)? {
                    let key = self.key()?.into_owned();
                    self.colon()?;
                    members.push((key, self.content()?));
                }
                self.leave();
                self.end_map()?;
                Ok(Content::Map(members))
            }
            Some(_) => Err(self.peek_error("expected value")),
        }
    }
}

// ---------------------------------------------------------------------------------- primitives

impl Wire for String {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        match r.ws() {
            None => Err(r.eof_value()),
            Some(b'"') => {
                r.eat();
                Ok(r.parse_str()?.into_owned())
            }
            Some(_) => Err(r.invalid_type("a string")),
        }
    }
}

impl Wire for bool {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        match r.ws() {
            None => Err(r.eof_value()),
            Some(b't') => {
                r.eat();
                r.parse_ident(b"rue")?;
                Ok(true)
            }
            Some(b'f') => {
                r.eat();
                r.parse_ident(b"alse")?;
                Ok(false)
            }
            Some(_) => Err(r.invalid_type("a boolean")),
        }
    }
}

fn u32_from(n: Number) -> std::result::Result<u32, String> {
    match n {
        Number::U64(x) => u32::try_from(x).map_err(|_| invalid_value(Unexpected::U64(x), "u32")),
        Number::I64(x) => u32::try_from(x).map_err(|_| invalid_value(Unexpected::I64(x), "u32")),
        Number::F64(x) => Err(invalid_type(Unexpected::F64(x), "u32")),
    }
}

impl Wire for u32 {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        match r.ws() {
            None => Err(r.eof_value()),
            Some(b'-' | b'0'..=b'9') => {
                let n = r.number()?;
                u32_from(n).map_err(|m| r.data(m))
            }
            Some(_) => Err(r.invalid_type("u32")),
        }
    }
}

const NUMBER_EXPECTED: &str = "a number or a decimal string";

impl Wire for NumberInput {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let unexpected = match r.ws() {
            None => return Err(r.eof_value()),
            Some(b'"') => {
                r.eat();
                return Ok(NumberInput::Text(r.parse_str()?.into_owned()));
            }
            Some(b'-' | b'0'..=b'9') => return Ok(NumberInput::Number(r.number()?.f64())),
            Some(b'n') => {
                r.eat();
                r.parse_ident(b"ull")?;
                Unexpected::Unit
            }
            Some(b't') => {
                r.eat();
                r.parse_ident(b"rue")?;
                Unexpected::Bool(true)
            }
            Some(b'f') => {
                r.eat();
                r.parse_ident(b"alse")?;
                Unexpected::Bool(false)
            }
            Some(b'[') => {
                r.enter()?;
                Unexpected::Seq
            }
            Some(b'{') => {
                r.enter()?;
                Unexpected::Map
            }
            Some(_) => return Err(r.peek_error("expected value")),
        };
        Err(r.data(invalid_type(unexpected, NUMBER_EXPECTED)))
    }
}

impl<T: Wire> Wire for Option<T> {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        if r.ws() == Some(b'n') {
            r.eat();
            r.parse_ident(b"ull")?;
            return Ok(None);
        }
        T::read(r).map(Some)
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let mut items = Vec::new();
        r.read_elements(&mut |r| {
            items.push(T::read(r)?);
            Ok(())
        })?;
        Ok(items)
    }
}

// ---------------------------------------------------------------------------------- content

impl Content {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Content::Null => Unexpected::Unit,
            Content::Bool(b) => Unexpected::Bool(*b),
            Content::U64(x) => Unexpected::U64(*x),
            Content::I64(x) => Unexpected::I64(*x),
            Content::F64(x) => Unexpected::F64(*x),
            Content::Str(s) => Unexpected::Str(s),
            Content::Seq(_) => Unexpected::Seq,
            Content::Map(_) => Unexpected::Map,
        }
    }

    #[inline(never)]
    fn invalid_type(&self, expected: &str) -> String {
        invalid_type(self.unexpected(), expected)
    }

    /// Reads a struct from a buffered object or array (serde's `ContentDeserializer`);
    /// `set` converts field `i`.
    pub fn read_struct<T: Default>(
        self,
        fields: &Fields,
        mut set: impl FnMut(&mut T, usize, Content) -> std::result::Result<(), String>,
    ) -> std::result::Result<T, String> {
        let mut value = T::default();
        self.read_fields(fields, &mut |index, c| set(&mut value, index, c))?;
        Ok(value)
    }

    /// The body of [`Content::read_struct`], one copy for every struct (see
    /// [`Reader::read_fields`]).
    #[inline(never)]
    fn read_fields(
        self,
        fields: &Fields,
        set: &mut dyn FnMut(usize, Content) -> std::result::Result<(), String>,
    ) -> std::result::Result<(), String> {
        match self {
            Content::Map(members) => {
                let mut seen = 0u32;
                for (key, v) in members {
                    let Some(index) = fields.names.iter().position(|n| *n == key) else {
                        return Err(unknown_field(&key, fields.names));
                    };
                    if seen & (1 << index) != 0 {
                        return Err(duplicate_field(fields.names[index]));
                    }
                    seen |= 1 << index;
                    set(index, v)?;
                }
                let missing = fields.required & !seen;
                if missing != 0 {
                    return Err(missing_field(
                        fields.names[missing.trailing_zeros() as usize],
                    ));
                }
                Ok(())
            }
            Content::Seq(items) => {
                let total = items.len();
                let n = fields.names.len();
                let mut items = items.into_iter();
                for index in 0..n {
                    match items.next() {
                        Some(v) => set(index, v)?,
                        None if fields.seq_default & (1 << index) != 0 => {}
                        None => {
                            let expected = elements(fields.expecting, n);
                            return Err(format!("invalid length {index}, expected {expected}"));
                        }
                    }
                }
                if total > n {
                    let expected = if n == 1 {
                        "1 element in sequence".to_string()
                    } else {
                        format!("{n} elements in sequence")
                    };
                    return Err(format!("invalid length {total}, expected {expected}"));
                }
                Ok(())
            }
            other => Err(other.invalid_type(fields.expecting)),
        }
    }
}

impl FromContent for String {
    fn from_content(c: Content) -> std::result::Result<Self, String> {
        match c {
            Content::Str(s) => Ok(s),
            other => Err(other.invalid_type("a string")),
        }
    }
}

impl FromContent for bool {
    fn from_content(c: Content) -> std::result::Result<Self, String> {
        match c {
            Content::Bool(b) => Ok(b),
            other => Err(other.invalid_type("a boolean")),
        }
    }
}

impl FromContent for u32 {
    fn from_content(c: Content) -> std::result::Result<Self, String> {
        match c {
            Content::U64(x) => u32_from(Number::U64(x)),
            Content::I64(x) => u32_from(Number::I64(x)),
            other => Err(other.invalid_type("u32")),
        }
    }
}

impl FromContent for NumberInput {
    fn from_content(c: Content) -> std::result::Result<Self, String> {
        match c {
            Content::Str(s) => Ok(NumberInput::Text(s)),
            Content::U64(x) => Ok(NumberInput::Number(x as f64)),
            Content::I64(x) => Ok(NumberInput::Number(x as f64)),
            Content::F64(x) => Ok(NumberInput::Number(x)),
            other => Err(other.invalid_type(NUMBER_EXPECTED)),
        }
    }
}

impl<T: FromContent> FromContent for Option<T> {
    #[inline(never)]
    fn from_content(c: Content) -> std::result::Result<Self, String> {
        match c {
            Content::Null => Ok(None),
            other => T::from_content(other).map(Some),
        }
    }
}

impl<T: FromContent> FromContent for Vec<T> {
    fn from_content(c: Content) -> std::result::Result<Self, String> {
        match c {
            Content::Seq(items) => items.into_iter().map(T::from_content).collect(),
            other => Err(other.invalid_type("a sequence")),
        }
    }
}

/// serde_json's powers of ten (`f64_from_parts` multiplies or divides by one of them).
#[rustfmt::skip]
/// `value · 10^exponent` as serde_json's default reader scales a number: by the powers of ten
/// of [`POW10`] in turn, 10^308 at a time (one correctly rounded operation when the exponent is
/// at most 308); ±∞ on overflow, 0 on underflow. Shared by this reader and
/// [`crate::money::parse_float_text`].
pub(crate) fn scale_by_powers_of_ten(mut value: f64, exponent: i64) -> f64 {
    let mut left = exponent.unsigned_abs();
    while left > 0 && value != 0.0 && value.is_finite() {
        let step = left.min(308);
        let factor = POW10[step as usize];
        value = if exponent > 0 {
            value * factor
        } else {
            value / factor
        };
        left -= step;
    }
    value
}

/// `10^i` for `i` in 0..=308, exact up to 10^22.
pub(crate) static POW10: [f64; 309] = [
    1e000, 1e001, 1e002, 1e003, 1e004, 1e005, 1e006, 1e007, 1e008, 1e009, //
    1e010, 1e011, 1e012, 1e013, 1e014, 1e015, 1e016, 1e017, 1e018, 1e019, //
    1e020, 1e021, 1e022, 1e023, 1e024, 1e025, 1e026, 1e027, 1e028, 1e029, //
    1e030, 1e031, 1e032, 1e033, 1e034, 1e035, 1e036, 1e037, 1e038, 1e039, //
    1e040, 1e041, 1e042, 1e043, 1e044, 1e045, 1e046, 1e047, 1e048, 1e049, //
    1e050, 1e051, 1e052, 1e053, 1e054, 1e055, 1e056, 1e057, 1e058, 1e059, //
    1e060, 1e061, 1e062, 1e063, 1e064, 1e065, 1e066, 1e067, 1e068, 1e069, //
    1e070, 1e071, 1e072, 1e073, 1e074, 1e075, 1e076, 1e077, 1e078, 1e079, //
    1e080, 1e081, 1e082, 1e083, 1e084, 1e085, 1e086, 1e087, 1e088, 1e089, //
    1e090, 1e091, 1e092, 1e093, 1e094, 1e095, 1e096, 1e097, 1e098, 1e099, //
    1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109, //
    1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119, //
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, //
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, //
    1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149, //
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159, //
    1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169, //
    1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179, //
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, //
    1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, //
    1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209, //
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219, //
    1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229, //
    1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239, //
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, //
    1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, //
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269, //
    1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279, //
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289, //
    1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, //
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];

/// Implements [`Wire`] for a struct read field by field: `index "jsonName" => field`.
macro_rules! wire_struct {
    ($ty:ty, $expecting:literal, required = $req:expr, seq_default = $sd:expr,
     { $($idx:literal $name:literal => $field:ident),* $(,)? }) => {
        impl $crate::wire::Wire for $ty {
            fn read(r: &mut $crate::wire::Reader<'_>) -> $crate::wire::Result<Self> {
                const FIELDS: $crate::wire::Fields = $crate::wire::Fields {
                    expecting: $expecting,
                    names: &[$($name),*],
                    required: $req,
                    seq_default: $sd,
                };
                r.read_struct(&FIELDS, |v: &mut $ty, i, r| {
                    match i {
                        $($idx => v.$field = $crate::wire::Wire::read(r)?,)*
                        _ => {}
                    }
                    Ok(())
                })
            }
        }
    };
}
pub(crate) use wire_struct;

/// Reads a buffered struct (a tagged enum's variant) into `$ty` (a struct or tuple with
/// `Default`): `index "jsonName" => field`.
macro_rules! content_struct {
    ($content:expr, $ty:ty, $expecting:literal, required = $req:expr,
     { $($idx:literal $name:literal => $field:tt),* $(,)? }) => {{
        const FIELDS: $crate::wire::Fields = $crate::wire::Fields {
            expecting: $expecting,
            names: &[$($name),*],
            required: $req,
            seq_default: 0,
        };
        $content.read_struct(&FIELDS, |v: &mut $ty, i, c| {
            match i {
                $($idx => v.$field = $crate::wire::FromContent::from_content(c)?,)*
                _ => {}
            }
            Ok(())
        })
    }};
}
pub(crate) use content_struct;

#[cfg(test)]
mod tests {
    use super::Unexpected;

    /// The quoting of a string in an error message is `{:?}`'s for every character a request
    /// is likely to hold: ASCII (controls included), Latin-1, CJK, emoji.
    #[test]
    fn quoted_strings_read_as_debug_quotes_them() {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "BTC-PERP",
                "say \"hi\"",
                "a\\b",
                "é",
                "USDⓈ",
                "价格",
                "🚀 to the moon",
                "\u{85}",
            ]
            .map(String::from),
        );
        samples.push((0u8..=0x7f).map(char::from).collect());
        for s in samples {
            assert_eq!(Unexpected::Str(&s).to_string(), format!("string {s:?}"));
        }
    }
}
