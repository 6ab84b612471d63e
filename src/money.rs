//! Money: exact decimals, input parsing, rounding rules, and the one place where
//! decimals and `f64` meet (model math — pricing, volatility, root finding — is `f64`).

use crate::error::FieldError;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

/// A numeric input as it arrives on the wire: a decimal string (preferred, exact)
/// or a JSON/JS number (converted through its shortest round-trip representation).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum NumberInput {
    /// A JSON/JS number.
    Number(f64),
    /// A decimal string such as `"60000.5"`.
    Text(String),
}

/// Absurd-size guard for every money input (sizes, prices, balances): 1e12. Products of two
/// such numbers still fit comfortably in `Decimal`'s 96-bit mantissa.
pub fn max_input() -> Decimal {
    Decimal::from(1_000_000_000_000i64)
}

/// Rejects NaN (`not_a_number`) and ±∞ (`not_finite`), naming `field`.
pub fn finite(field: &str, x: f64) -> Result<f64, FieldError> {
    if x.is_nan() {
        return Err(FieldError::new(
            field,
            "not_a_number",
            "must be a number, got NaN",
        ));
    }
    if x.is_infinite() {
        return Err(FieldError::new(field, "not_finite", "must be finite"));
    }
    Ok(x)
}

/// Parses a wire number into an exact decimal, naming `field` on failure.
/// Rejects NaN, infinities, empty and garbage strings, and magnitudes above [`max_input`].
pub fn parse_decimal(field: &str, input: &NumberInput) -> Result<Decimal, FieldError> {
    let mut buf = [0u8; 32];
    let text = match input {
        NumberInput::Number(x) => {
            finite(field, *x)?;
            // Shortest round-trip text of the double: 0.1 stays 0.1, not 0.1000000000000000055.
            float_text(*x, &mut buf)
        }
        NumberInput::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err(FieldError::new(field, "required", "must not be empty"));
            }
            if t.len() > 64 {
                return Err(FieldError::new(
                    field,
                    "not_a_number",
                    "is not a decimal number (too long)",
                ));
            }
            // Only text with letters can name NaN or an infinity.
            if t.bytes().any(|b| b.is_ascii_alphabetic()) {
                let lower = t.to_ascii_lowercase();
                if crate::find_text(&lower, "nan").is_some() {
                    return Err(FieldError::new(
                        field,
                        "not_a_number",
                        "must be a number, got NaN",
                    ));
                }
                if crate::find_text(&lower, "inf").is_some() {
                    return Err(FieldError::new(field, "not_finite", "must be finite"));
                }
            }
            t
        }
    };
    let value = decimal_from_text(text, false).map_err(|refusal| match refusal {
        TextRefusal::TooLarge => too_large(field),
        TextRefusal::TooSmall | TextRefusal::Inexact => FieldError::new(
            field,
            "too_small",
            "is below the smallest representable amount (1e-28)",
        ),
        TextRefusal::Garbage => FieldError::new(
            field,
            "not_a_number",
            format!("'{}' is not a decimal number", short(text)),
        ),
    })?;
    if value.abs() > max_input() {
        return Err(too_large(field));
    }
    Ok(value.normalize())
}

fn too_large(field: &str) -> FieldError {
    FieldError::new(field, "too_large", "is absurdly large (limit 1e12)")
}

fn short(s: &str) -> String {
    crate::text_prefix(s, 24)
}

/// A number's text split as `[+-]mantissa[(e|E)[+-]digits]`: the sign, the mantissa's bytes
/// (not yet validated) and the exponent, saturated at ±2^40 (far beyond any meaningful one).
/// `None` when an exponent marker has no digits after it, or garbage among them.
fn split_number(text: &str) -> Option<(bool, &[u8], i64)> {
    fn sign(bytes: &[u8]) -> (bool, &[u8]) {
        match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, bytes),
        }
    }
    let (negative, unsigned) = sign(text.as_bytes());
    let Some(at) = unsigned.iter().position(|&b| b | 0x20 == b'e') else {
        return Some((negative, unsigned, 0));
    };
    let (mantissa, marker_and_exponent) = unsigned.split_at(at);
    let (below, digits) = sign(marker_and_exponent.get(1..).unwrap_or_default());
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut exponent: i64 = 0;
    for &b in digits {
        exponent = (exponent * 10 + i64::from(b - b'0')).min(1 << 40);
    }
    Some((negative, mantissa, if below { -exponent } else { exponent }))
}

/// Text → `f64` for model inputs (volatilities, times, rates, price series): Rust's `f64`
/// grammar (`[+-]digits[.digits][(e|E)[+-]digits]`, `5.`, `.5`, and `inf`, `infinity`, `nan`
/// in any case) and its value, correctly rounded, for every text of at most 19 significant
/// digits whose last digit is at most 31 places after the point and that is below 1e38 in
/// magnitude: the shortest round-trip text of every double from 1e-14 to 1e38 reads back as
/// that double. Beyond (more digits: the first 19 are read; smaller last places), within a
/// few units in the last place, as the request's JSON numbers
/// are read (`wire`, serde_json's default reader). Overflow gives ±∞ and underflow zero, as
/// `str::parse` does. `core`'s reader (`dec2flt`) is not used: its tables and big-number
/// fallback are ~14 KB of the gzipped module.
pub fn parse_float_text(text: &str) -> Option<f64> {
    let (negative, mantissa, exponent) = split_number(text)?;
    let marker = text.bytes().any(|b| b | 0x20 == b'e');
    let named = |name: &[u8]| !marker && mantissa.eq_ignore_ascii_case(name);
    let magnitude = if named(b"nan") {
        f64::NAN
    } else if named(b"inf") || named(b"infinity") {
        f64::INFINITY
    } else {
        let mut significand: u64 = 0;
        let mut power = exponent;
        let mut point = false;
        let mut any_digit = false;
        for &b in mantissa {
            match b {
                b'0'..=b'9' => {
                    any_digit = true;
                    if significand < 1_000_000_000_000_000_000 {
                        significand = significand * 10 + u64::from(b - b'0');
                        if point {
                            power -= 1;
                        }
                    } else if !point {
                        // A dropped integer digit still counts as a power of ten.
                        power += 1;
                    }
                }
                b'.' if !point => point = true,
                _ => return None,
            }
        }
        if !any_digit {
            return None;
        }
        scale_by_ten(significand, power)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `significand · 10^power` in `f64`, correctly rounded for powers from −31 to 38 (as far as
/// the product or quotient fits 128-bit arithmetic); beyond, within a few units in the last
/// place (powers of ten applied in turn, as the JSON reader does).
fn scale_by_ten(significand: u64, power: i64) -> f64 {
    // Clinger's fast path (significand ≤ 2^53, power ≤ 22: exact operands, one rounding) is
    // the JSON reader's scaling; beyond it, exact 128-bit arithmetic where it fits.
    if significand > 1 << 53 || power.unsigned_abs() > 22 {
        // An exact integer product: one rounding, in the conversion.
        if (0..=38).contains(&power) {
            if let Some(product) = 10u128
                .checked_pow(power as u32)
                .and_then(|p| u128::from(significand).checked_mul(p))
            {
                return product as f64;
            }
        }
        // n / 10^q = (n · 2^s / 5^q) · 2^−(s+q): with n's top bit at bit 127 the quotient keeps
        // at least 55 bits for q ≤ 31, so setting its lowest bit when the division is inexact
        // rounds exactly as the true quotient would; the power of two then scales exactly (no
        // subnormals).
        if (-31..0).contains(&power) && significand != 0 {
            let q = power.unsigned_abs() as u32;
            let five = 5u128.pow(q);
            let shift = significand.leading_zeros() + 64;
            let numerator = u128::from(significand) << shift;
            let quotient = (numerator / five) | u128::from(numerator % five != 0);
            return quotient as f64 * f64::from_bits(u64::from(1023 - shift - q) << 52);
        }
    }
    crate::wire::scale_by_powers_of_ten(significand as f64, power)
}

/// Why [`decimal_from_text`] refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRefusal {
    /// Not of the form `[+-]digits[.digits][(e|E)[+-]digits]`.
    Garbage,
    /// 1e13 or more in magnitude: beyond every input limit (and far from `Decimal`'s range).
    TooLarge,
    /// Not zero, but it rounds to zero at `Decimal`'s smallest step, 1e-28.
    TooSmall,
    /// `exact` was asked for and the value needs rounding to fit a `Decimal`.
    Inexact,
}

/// Decimal text → `Decimal`, exactly: `[+-]digits[.digits][(e|E)[+-]digits]` with at least one
/// mantissa digit (`5.`, `.5`, `1e-3`, `+2E4`). Digits beyond what a `Decimal` holds (28
/// decimal places, a 96-bit mantissa) round half away from zero on the first dropped digit, as
/// `Decimal::from_str` rounds plain text — or are refused as [`TextRefusal::Inexact`] when
/// `exact`. Magnitudes of 1e13 and more are refused as [`TextRefusal::TooLarge`] before any
/// arithmetic, so no length or exponent can overflow.
pub fn decimal_from_text(text: &str, exact: bool) -> Result<Decimal, TextRefusal> {
    let (negative, mantissa, exponent) = split_number(text).ok_or(TextRefusal::Garbage)?;
    // One pass to validate and locate: digits after the point, first non-zero digit.
    let mut point = false;
    let mut digit_count = 0i64;
    let mut fraction_digits = 0i64;
    let mut leading_zeros = 0i64;
    let mut seen_non_zero = false;
    for &b in mantissa {
        match b {
            b'0'..=b'9' => {
                digit_count += 1;
                if point {
                    fraction_digits += 1;
                }
                if b != b'0' {
                    seen_non_zero = true;
                } else if !seen_non_zero {
                    leading_zeros += 1;
                }
            }
            b'.' if !point => point = true,
            _ => return Err(TextRefusal::Garbage),
        }
    }
    if digit_count == 0 {
        return Err(TextRefusal::Garbage);
    }
    if !seen_non_zero {
        return Ok(Decimal::ZERO);
    }
    let significant = digit_count - leading_zeros;
    // Power of ten of the last digit, and of the first significant one.
    let last_power = exponent - fraction_digits;
    let top_power = last_power + significant - 1;
    if top_power >= 13 {
        return Err(TextRefusal::TooLarge);
    }
    if top_power < -29 {
        return Err(if exact {
            TextRefusal::Inexact
        } else {
            TextRefusal::TooSmall
        });
    }
    const MANTISSA_LIMIT: u128 = 1 << 96;
    let mut value: u128 = 0;
    let mut power = top_power + 1;
    let mut digits = mantissa
        .iter()
        .filter(|b| b.is_ascii_digit())
        .skip(leading_zeros as usize)
        .map(|b| u128::from(b - b'0'));
    // Power of ten of the last digit kept.
    let mut kept_power = power;
    let mut round_down_scale = false;
    for digit in digits.by_ref() {
        power -= 1;
        let next = value * 10 + digit;
        if power < -28 || next >= MANTISSA_LIMIT {
            // The first digit that does not fit: round on it, then refuse or drop the rest.
            if exact && (digit != 0 || digits.any(|d| d != 0)) {
                return Err(TextRefusal::Inexact);
            }
            if digit >= 5 {
                value += 1;
                round_down_scale = value >= MANTISSA_LIMIT;
            }
            break;
        }
        value = next;
        kept_power = power;
    }
    if round_down_scale {
        // 2^96 after rounding up (29 nines): one digit fewer.
        value = (value + 5) / 10;
        kept_power += 1;
    }
    if value == 0 {
        return Err(TextRefusal::TooSmall);
    }
    // A last kept digit above the units (1.2e3, 5e2): scale the mantissa up (below 1e13).
    for _ in 0..kept_power.max(0) {
        value *= 10;
    }
    let scale = (-kept_power).max(0) as u32;
    Ok(Decimal::from_parts(
        value as u32,
        (value >> 32) as u32,
        (value >> 64) as u32,
        negative,
        scale,
    ))
}

/// Parses a required field: `None` is a `required` error.
pub fn required(field: &str, input: Option<&NumberInput>) -> Result<Decimal, FieldError> {
    match input {
        Some(v) => parse_decimal(field, v),
        None => Err(FieldError::new(field, "required", "is required")),
    }
}

/// Parses a field that must be strictly positive.
pub fn positive(field: &str, input: Option<&NumberInput>) -> Result<Decimal, FieldError> {
    let v = required(field, input)?;
    if v <= Decimal::ZERO {
        return Err(FieldError::new(
            field,
            "not_positive",
            "must be greater than zero",
        ));
    }
    Ok(v)
}

/// Parses a field that must be zero or positive.
pub fn non_negative(field: &str, input: Option<&NumberInput>) -> Result<Decimal, FieldError> {
    let v = required(field, input)?;
    if v < Decimal::ZERO {
        return Err(FieldError::new(field, "negative", "must not be negative"));
    }
    Ok(v)
}

/// Parses a rate that must lie in `[0, 1]`.
pub fn rate(field: &str, input: Option<&NumberInput>) -> Result<Decimal, FieldError> {
    let v = non_negative(field, input)?;
    if v > Decimal::ONE {
        return Err(FieldError::new(
            field,
            "out_of_range",
            "must be a fraction between 0 and 1 (e.g. 0.004 for 0.4%)",
        ));
    }
    Ok(v)
}

/// Decimal → `f64` for model math. Exact for any value a user can type to 15 significant digits.
#[inline(never)]
pub fn to_f64(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// `f64` → Decimal at the model/money boundary; `None` for NaN, infinities and out-of-range values.
pub fn from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    Decimal::from_f64(value)
}

/// The shortest text that reads back as `x`, as the response writer prints numbers
/// (`serde_json`'s writer: Schubfach via `zmij`): `0.1`, `3.0`, `1e+21`, `-1e-7`. Ties between
/// two shortest candidates go to the even digit, as in JavaScript's `Number.prototype.toString`
/// (ECMA-262 §6.1.6.1.20). Finite `x` only (NaN and infinities come out as some finite text).
pub fn float_text(x: f64, buf: &mut [u8; 32]) -> &str {
    use serde_json::ser::Formatter;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = serde_json::ser::CompactFormatter.write_f64(&mut cursor, x);
    let len = cursor.position() as usize;
    // The writer emits ASCII digits, sign, point and exponent only (at most 24 bytes).
    std::str::from_utf8(&buf[..len]).unwrap_or("0")
}

/// An `f64` that displays as its shortest round-trip decimal written out in full (no
/// exponent), as `f64`'s own `Display` does (`0.0000001`, `1000000000000000000000`, `3`,
/// `-0`, `NaN`, `inf`), but with the digits of [`float_text`]: the one float formatter in the
/// module, so `core`'s (Grisu/Dragon, ~8 KB gzipped of wasm) is not linked. The digits agree
/// with `core`'s except on exact ties between two shortest candidates, where these round to
/// even (JavaScript's choice) and `core` rounds up; only doubles that need 16–17 significant
/// digits can tie. A precision (`{:.10}`) rounds the double's value
/// half to even at that many places, as `core` does, through [`Decimal::from_f64_retain`]
/// (28 significant digits of the binary value; see [`write_fixed`]). Width flags are ignored.
#[derive(Debug, Clone, Copy)]
pub struct Float(pub f64);

impl std::fmt::Display for Float {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_infinite() {
            return f.write_str(if x < 0.0 { "-inf" } else { "inf" });
        }
        if let Some(places) = f.precision() {
            return write_fixed(f, x, places);
        }
        let mut buf = [0u8; 32];
        let text = float_text(x, &mut buf);
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m, e.trim_start_matches('+').parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        // Every digit of the text, the point removed (the text fits in `buf`'s 32 bytes).
        let mut digits = [b'0'; 32];
        let count = whole.len() + fraction.len();
        for (slot, d) in digits.iter_mut().zip(whole.bytes().chain(fraction.bytes())) {
            *slot = d;
        }
        let digits = &digits[..count];
        // Index in `digits` of the first digit after the decimal point.
        let point = whole.len() as i32 + exponent;
        let digit = |i: i32| {
            usize::try_from(i)
                .ok()
                .and_then(|i| digits.get(i))
                .map_or('0', |&d| d as char)
        };
        if negative {
            f.write_char('-')?;
        }
        let (Some(first), Some(last)) = (
            digits.iter().position(|&d| d != b'0'),
            digits.iter().rposition(|&d| d != b'0'),
        ) else {
            return f.write_char('0');
        };
        if point <= 0 {
            f.write_char('0')?;
        } else {
            for i in (first as i32).min(point - 1)..point {
                f.write_char(digit(i))?;
            }
        }
        if last as i32 >= point {
            f.write_char('.')?;
            for i in point..=last as i32 {
                f.write_char(digit(i))?;
            }
        }
        Ok(())
    }
}

/// `x` with exactly `places` decimals (`{:.N}` of [`Float`]): the binary value, held to
/// Decimal's 28 significant digits, rounded half to even. It differs from `core`'s exact
/// rounding only if those 28 digits land exactly on a midpoint the full expansion is not on
/// (a double-rounding case that needs 18 or more zeros or nines after the cut). Beyond
/// Decimal's range (|x| ≥ 7.9·10²⁸) or past 28 places, the shortest text is written instead.
fn write_fixed(f: &mut std::fmt::Formatter<'_>, x: f64, places: usize) -> std::fmt::Result {
    let exact = u32::try_from(places)
        .ok()
        .filter(|&p| p <= 28)
        .and_then(|p| Decimal::from_f64_retain(x).map(|d| (d, p)));
    let Some((value, places)) = exact else {
        return write!(f, "{}", Float(x));
    };
    let mut rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    // Pad to the requested places (round_dp never adds trailing zeros).
    rounded.rescale(places);
    // The sign of the double, even when it rounds to zero (`-0.0000000000`), as `core` writes it.
    rounded.set_sign_positive(true);
    if x.is_sign_negative() {
        f.write_str("-")?;
    }
    write_decimal(f, rounded)
}

/// Writes `value` exactly as `Decimal`'s `Display` writes it (sign, every digit of the
/// mantissa, the decimal point at the scale, trailing zeros kept), without its digit-by-digit
/// 96-bit division: the mantissa is cut into 19-digit `u64` chunks and written two digits at a
/// time. Responses hold tens of decimals per position, so this is on the hot path.
pub fn write_decimal<W: std::fmt::Write>(out: &mut W, value: Decimal) -> std::fmt::Result {
    let mut buf = [0u8; 64];
    let text = decimal_text(value, &mut buf);
    out.write_str(text)
}

/// The `Display` text of `value` in `buf` (see [`write_decimal`]): digits are written from the
/// right end of `buf`, zero-padded to one more than the scale, and the whole part is moved one
/// place left to make room for the point.
fn decimal_text(value: Decimal, buf: &mut [u8; 64]) -> &str {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";
    const CHUNK: u128 = 10_000_000_000_000_000_000; // 10^19
    const END: usize = 64;
    let mut pos = END;
    let mut rest = value.mantissa().unsigned_abs();
    // The mantissa (< 2^96, at most 29 digits) in 19-digit chunks, the last one unpadded.
    loop {
        let (mut n, pad) = if rest >= CHUNK {
            let low = (rest % CHUNK) as u64;
            rest /= CHUNK;
            (low, true)
        } else {
            (rest as u64, false)
        };
        let chunk_end = pos;
        // Eight-digit pieces by one 64-bit division each, then two digits at a time in 32-bit
        // arithmetic (WebAssembly has no 64-bit multiply-high, so a `u64` division by a
        // constant is a real division there; a `u32` one is a multiplication).
        while n >= 100_000_000 {
            let mut low = (n % 100_000_000) as u32;
            n /= 100_000_000;
            for _ in 0..4 {
                let pair = (low % 100) as usize * 2;
                low /= 100;
                pos -= 2;
                buf[pos] = PAIRS[pair];
                buf[pos + 1] = PAIRS[pair + 1];
            }
        }
        let mut n = n as u32;
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            pos -= 2;
            buf[pos] = PAIRS[pair];
            buf[pos + 1] = PAIRS[pair + 1];
        }
        if n >= 10 {
            let pair = n as usize * 2;
            pos -= 2;
            buf[pos] = PAIRS[pair];
            buf[pos + 1] = PAIRS[pair + 1];
        } else if n > 0 {
            pos -= 1;
            buf[pos] = b'0' + n as u8;
        }
        if !pad {
            break;
        }
        while chunk_end - pos < 19 {
            pos -= 1;
            buf[pos] = b'0';
        }
    }
    let scale = value.scale() as usize;
    // At least one whole digit, and every fraction digit.
    while END - pos < scale + 1 {
        pos -= 1;
        buf[pos] = b'0';
    }
    if scale > 0 {
        let point = END - scale;
        buf.copy_within(pos..point, pos - 1);
        pos -= 1;
        buf[point - 1] = b'.';
    }
    if value.is_sign_negative() {
        pos -= 1;
        buf[pos] = b'-';
    }
    // Only ASCII digits, '-' and '.' were written.
    std::str::from_utf8(&buf[pos..]).unwrap_or("0")
}

/// A decimal that formats with [`write_decimal`] (for `format!` on hot paths); width and
/// precision flags fall back to `Decimal`'s own `Display`.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub Decimal);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.precision().is_some() || f.width().is_some() || f.sign_plus() {
            return std::fmt::Display::fmt(&self.0, f);
        }
        write_decimal(f, self.0)
    }
}

/// `value.to_string()`, faster ([`write_decimal`]).
#[inline(never)]
pub fn decimal_string(value: Decimal) -> String {
    let mut buf = [0u8; 64];
    decimal_text(value, &mut buf).to_owned()
}

/// Serde `serialize_with` for decimals: the same string as `Decimal`'s own `Serialize`
/// (`"123.45"`), written with [`write_decimal`].
#[inline(never)]
pub fn serialize_decimal<S: serde::Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 64];
    s.serialize_str(decimal_text(*value, &mut buf))
}

/// [`serialize_decimal`] for an optional decimal (`null` when absent).
pub fn serialize_optional_decimal<S: serde::Serializer>(
    value: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serialize_decimal(v, s),
        None => s.serialize_none(),
    }
}

/// Output scale for quantities that have no tick: 10 decimal places.
pub const OUTPUT_DP: u32 = 10;

/// Rounds a margin requirement up (conservative for the trader) to [`OUTPUT_DP`] places.
#[inline(never)]
pub fn round_margin(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(OUTPUT_DP, RoundingStrategy::AwayFromZero)
        .normalize()
}

/// Rounds a plain figure (PnL, equity, ratios) half-even to [`OUTPUT_DP`] places.
#[inline(never)]
pub fn round_plain(value: Decimal) -> Decimal {
    value.round_dp(OUTPUT_DP).normalize()
}

/// Rounds a liquidation price against the trader: a long is liquidated sooner when the
/// price is rounded up, a short when it is rounded down. With a tick, to the tick; else to
/// [`OUTPUT_DP`] places.
pub fn round_price_against(value: Decimal, long: bool, tick: Option<Decimal>) -> Decimal {
    match tick {
        Some(t) if t > Decimal::ZERO => {
            let units = value / t;
            let units = if long { units.ceil() } else { units.floor() };
            (units * t).normalize()
        }
        _ => {
            let strategy = if long {
                RoundingStrategy::ToPositiveInfinity
            } else {
                RoundingStrategy::ToNegativeInfinity
            };
            value
                .round_dp_with_strategy(OUTPUT_DP, strategy)
                .normalize()
        }
    }
}

/// `Decimal` arithmetic as out-of-line calls. `rust_decimal` marks its operators and `checked_*`
/// methods `#[inline(always)]`, so every `a * b` on a `Decimal` pastes a whole 96-bit
/// multiplication (about a kilobyte of wasm) into its caller; these methods keep one copy of
/// each operation in the module, which matters for the download (issue #7) and costs a call
/// per operation. Same results as the operators, bit for bit (they are the operators).
pub trait DecimalOps: Sized {
    /// `self · rhs`, `None` on overflow ([`Decimal::checked_mul`]).
    fn checked_times(self, rhs: Decimal) -> Option<Decimal>;
    /// `self + rhs`, `None` on overflow ([`Decimal::checked_add`]).
    fn checked_plus(self, rhs: Decimal) -> Option<Decimal>;
    /// `self − rhs`, `None` on overflow ([`Decimal::checked_sub`]).
    fn checked_minus(self, rhs: Decimal) -> Option<Decimal>;
    /// `self / rhs`, `None` on overflow or division by zero ([`Decimal::checked_div`]).
    fn checked_over(self, rhs: Decimal) -> Option<Decimal>;
    /// `self + rhs` (the `+` operator: panics on overflow, so only where the operands are
    /// bounded by validation).
    fn plus(self, rhs: Decimal) -> Decimal;
    /// `self − rhs` (the `-` operator; see [`DecimalOps::plus`]).
    fn minus(self, rhs: Decimal) -> Decimal;
}

/// The sum of `values` through the out-of-line [`DecimalOps::plus`] (`Iterator::sum` on
/// `Decimal` pastes a whole addition into every caller). Panics on overflow, as `sum` does, so
/// only for validated, bounded amounts.
pub fn sum_of<I: IntoIterator<Item = Decimal>>(values: I) -> Decimal {
    values.into_iter().fold(Decimal::ZERO, DecimalOps::plus)
}

impl DecimalOps for Decimal {
    #[inline(never)]
    fn checked_times(self, rhs: Decimal) -> Option<Decimal> {
        self.checked_mul(rhs)
    }
    #[inline(never)]
    fn checked_plus(self, rhs: Decimal) -> Option<Decimal> {
        self.checked_add(rhs)
    }
    #[inline(never)]
    fn checked_minus(self, rhs: Decimal) -> Option<Decimal> {
        self.checked_sub(rhs)
    }
    #[inline(never)]
    fn checked_over(self, rhs: Decimal) -> Option<Decimal> {
        self.checked_div(rhs)
    }
    #[inline(never)]
    fn plus(self, rhs: Decimal) -> Decimal {
        self + rhs
    }
    #[inline(never)]
    fn minus(self, rhs: Decimal) -> Decimal {
        self - rhs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// `Float`'s text against `f64`'s own `Display`: identical, or (exact ties between two
    /// shortest candidates, where `Float` rounds to even) the same length and both reading
    /// back as `x`.
    fn assert_displays_like_core(x: f64) {
        let ours = Float(x).to_string();
        let core = format!("{x}");
        if ours != core {
            assert_eq!(ours.len(), core.len(), "{x:e}: {ours} vs {core}");
            assert_eq!(
                ours.parse::<f64>().unwrap().to_bits(),
                x.to_bits(),
                "{x:e}: {ours}"
            );
            assert_eq!(
                core.parse::<f64>().unwrap().to_bits(),
                x.to_bits(),
                "{x:e}: {core}"
            );
        }
    }

    #[test]
    fn float_displays_like_core_on_edge_cases() {
        let cases = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            3.0,
            0.1,
            0.3,
            1e21,
            1e22,
            1e-7,
            1e-5,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e15,
            1e16,
            1e17,
            123.456,
            -2.5,
            100.0,
            0.00048828125,
            9007199254740993.0,
            1.7976931348623157e308,
        ];
        for x in cases {
            assert_displays_like_core(x);
        }
        assert_eq!(Float(f64::NAN).to_string(), "NaN");
        assert_eq!(Float(f64::INFINITY).to_string(), "inf");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-inf");
        assert_eq!(Float(1e21).to_string(), "1000000000000000000000");
        assert_eq!(Float(-1e-7).to_string(), "-0.0000001");
        assert_eq!(Float(-0.0).to_string(), "-0");
        assert_eq!(Float(3.0).to_string(), "3");
        // An exact tie (…695.125 needs 16 digits either way): to even, as JavaScript prints it.
        let tie = 99_668_657_679_695.0 + 0.125;
        assert_eq!(Float(tie).to_string(), "99668657679695.12");
        assert_eq!(format!("{tie}"), "99668657679695.13");
    }

    #[test]
    fn float_precision_rounds_like_core() {
        for x in [
            0.0,
            -0.0,
            0.07123287671232877,
            0.6,
            1.5,
            -2.25,
            0.00048828125,
            -0.00000000001,
            12345.678901234567,
            1e-11,
            0.99999999995,
            3.0,
        ] {
            assert_eq!(format!("{:.10}", Float(x)), format!("{x:.10}"), "{x:e}");
            assert_eq!(format!("{:.2}", Float(x)), format!("{x:.2}"), "{x:e}");
        }
    }

    // proptest is a native dev-dependency only.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn float_displays_like_core_on_any_double(bits in proptest::prelude::any::<u64>()) {
            assert_displays_like_core(f64::from_bits(bits));
        }

        #[test]
        fn float_displays_like_core_on_typed_numbers(
            digits in 0u64..10_000_000_000_000_000,
            places in 0i32..30,
        ) {
            assert_displays_like_core(digits as f64 / 10f64.powi(places));
        }

        #[test]
        fn float_precision_matches_core(x in -1e6f64..1e6, places in 0usize..18) {
            proptest::prop_assert_eq!(format!("{:.*}", places, Float(x)), format!("{x:.places$}"));
        }
    }

    /// What `Decimal::from_str` (plain text) or `Decimal::from_scientific` (with an exponent)
    /// makes of `text`, for texts both accept.
    fn rust_decimal_reading(text: &str) -> Option<Decimal> {
        if text.bytes().any(|b| b | 0x20 == b'e') {
            Decimal::from_scientific(text).ok()
        } else {
            Decimal::from_str(text).ok()
        }
    }

    #[test]
    fn decimal_text_edge_cases() {
        let ok = |t: &str| decimal_from_text(t, false).map(|d| d.normalize().to_string());
        assert_eq!(ok("0.1"), Ok("0.1".into()));
        assert_eq!(ok("-12.50"), Ok("-12.5".into()));
        assert_eq!(ok("+7"), Ok("7".into()));
        assert_eq!(ok("5."), Ok("5".into()));
        assert_eq!(ok(".25"), Ok("0.25".into()));
        assert_eq!(ok("-0.000"), Ok("0".into()));
        assert_eq!(ok("1.2e3"), Ok("1200".into()));
        assert_eq!(ok("12E-4"), Ok("0.0012".into()));
        assert_eq!(ok("2e+2"), Ok("200".into()));
        assert_eq!(ok("0e999999999999999999"), Ok("0".into()));
        assert_eq!(ok("9999999999999.4"), Ok("9999999999999.4".into()));
        // The 29th decimal place rounds half away from zero, as Decimal::from_str does.
        let tiny = "0.00000000000000000000000000015";
        assert_eq!(ok(tiny), Ok("0.0000000000000000000000000002".into()));
        assert_eq!(
            decimal_from_text(tiny, false),
            Decimal::from_str(tiny).map_err(|_| TextRefusal::Garbage)
        );
        assert_eq!(decimal_from_text(tiny, true), Err(TextRefusal::Inexact));
        assert_eq!(
            decimal_from_text("0.10000000000000000000000000000000", true).map(|d| d.normalize()),
            Ok(Decimal::new(1, 1))
        );
        // 29 significant digits fit the 96-bit mantissa below 7.9e28; the 30th rounds.
        let long = "1.23456789012345678901234567895";
        assert_eq!(
            decimal_from_text(long, false),
            Decimal::from_str(long).map_err(|_| TextRefusal::Garbage)
        );
        for (text, refusal) in [
            ("", TextRefusal::Garbage),
            ("-", TextRefusal::Garbage),
            (".", TextRefusal::Garbage),
            ("1.2.3", TextRefusal::Garbage),
            ("1e", TextRefusal::Garbage),
            ("e5", TextRefusal::Garbage),
            ("1e+", TextRefusal::Garbage),
            ("1e5.5", TextRefusal::Garbage),
            ("1_000", TextRefusal::Garbage),
            ("0x10", TextRefusal::Garbage),
            ("--1", TextRefusal::Garbage),
            ("1 000", TextRefusal::Garbage),
            ("10000000000000", TextRefusal::TooLarge),
            ("1e13", TextRefusal::TooLarge),
            ("-1e999999999999999999999", TextRefusal::TooLarge),
            ("1e-29", TextRefusal::TooSmall),
            ("4e-29", TextRefusal::TooSmall),
            ("1e-999999999999999999999", TextRefusal::TooSmall),
        ] {
            assert_eq!(decimal_from_text(text, false), Err(refusal), "{text:?}");
        }
        assert_eq!(ok("5e-29"), Ok("0.0000000000000000000000000001".into()));
    }

    #[test]
    fn float_text_reads_like_str_parse_on_edge_cases() {
        for text in [
            "0",
            "-0",
            "+1",
            "0.1",
            "5.",
            ".5",
            "1e5",
            "1E-5",
            "2e+3",
            "-7.25e2",
            "0.30000000000000004",
            "60123.45",
            "1e22",
            "1e23",
            "9007199254740993",
            "1e308",
            "1e309",
            "-1e400",
            "1e-320",
            "1e-400",
            "00012",
            "123456789012345678901234567890",
            "0.000000000000000000000000001",
            "inf",
            "-Infinity",
            "INF",
            "+infinity",
        ] {
            let ours = parse_float_text(text);
            let core = text.parse::<f64>().ok();
            match (ours, core) {
                (Some(a), Some(b)) if a.is_finite() && b != 0.0 => assert!(
                    (a - b).abs() <= 2.0 * f64::EPSILON * b.abs(),
                    "{text}: {a} vs {b}"
                ),
                (a, b) => assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{text}"),
            }
        }
        for text in ["nan", "NaN", "-nan"] {
            assert!(parse_float_text(text).is_some_and(f64::is_nan), "{text}");
        }
        for text in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "1_000", "0x10", " 1", "nane0", "infe1",
            "--1", "1e5.0",
        ] {
            assert_eq!(parse_float_text(text), None, "{text:?}");
            assert!(text.parse::<f64>().is_err(), "{text:?}");
        }
    }

    proptest::proptest! {
        /// Plain and scientific texts within the input range read as rust_decimal reads them.
        #[test]
        fn decimal_text_reads_like_rust_decimal(
            negative in proptest::prelude::any::<bool>(),
            integer in 0u64..10_000_000_000_000,
            fraction in proptest::prelude::any::<u64>(),
            fraction_digits in 0usize..20,
            exponent in proptest::option::of(-12i32..12),
        ) {
            let fraction_text = format!("{fraction:020}");
            let mut text = format!("{}{integer}", if negative { "-" } else { "" });
            if fraction_digits > 0 {
                text.push('.');
                text.push_str(&fraction_text[..fraction_digits]);
            }
            if let Some(e) = exponent {
                text.push_str(&format!("e{e}"));
            }
            let ours = decimal_from_text(&text, false);
            match rust_decimal_reading(&text) {
                Some(theirs) if theirs.abs() < Decimal::from(10_000_000_000_000i64) => {
                    proptest::prop_assert_eq!(ours.map(|d| d.normalize()), Ok(theirs.normalize()));
                    if exponent.is_none() {
                        // Exact reading: from_str_exact's value, or (where only zeros are
                        // dropped, which from_str_exact also refuses) the same value as above.
                        let ours_exact = decimal_from_text(&text, true).map(|d| d.normalize());
                        match Decimal::from_str_exact(&text) {
                            Ok(exact) => proptest::prop_assert_eq!(ours_exact, Ok(exact.normalize())),
                            Err(_) => proptest::prop_assert!(
                                ours_exact == Err(TextRefusal::Inexact) || ours_exact == Ok(theirs.normalize())
                            ),
                        }
                    }
                }
                Some(_) => proptest::prop_assert_eq!(ours, Err(TextRefusal::TooLarge)),
                None => proptest::prop_assert!(ours.is_ok() || ours == Err(TextRefusal::TooLarge), "{} → {:?}", text, ours),
            }
        }

        /// Up to 15 significant digits and a power of ten up to 22: exactly `str::parse`'s
        /// double (the fast path: one correctly rounded operation).
        #[test]
        fn typed_floats_read_exactly_as_str_parse(
            negative in proptest::prelude::any::<bool>(),
            significand in 0u64..1_000_000_000_000_000,
            point in 0usize..16,
            exponent in -7i32..8,
        ) {
            let digits = significand.to_string();
            let point = point.min(digits.len());
            let mut text = format!("{}{}.{}", if negative { "-" } else { "" }, &digits[..digits.len() - point], &digits[digits.len() - point..]);
            if exponent != 0 {
                text.push_str(&format!("e{exponent}"));
            }
            let core: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(parse_float_text(&text).map(f64::to_bits), Some(core.to_bits()), "{}", text);
        }

        /// Any double's shortest text between 1e-14 and 1e38 (plain or with an exponent): read
        /// back as exactly that double.
        #[test]
        fn shortest_texts_round_trip(
            negative in proptest::prelude::any::<bool>(),
            biased_exponent in 1023u64 - 46..=1023 + 125,
            fraction in 0u64..1 << 52,
        ) {
            let x = f64::from_bits(u64::from(negative) << 63 | biased_exponent << 52 | fraction);
            for text in [Float(x).to_string(), format!("{x:e}")] {
                proptest::prop_assert_eq!(parse_float_text(&text).map(f64::to_bits), Some(x.to_bits()), "{}", text);
            }
        }

        /// Any 19-digit significand and power of ten in the correctly rounded range: exactly
        /// `str::parse`'s double.
        #[test]
        fn long_texts_read_exactly_as_str_parse(
            significand in 1_000_000_000_000_000_000u64..10_000_000_000_000_000_000,
            exponent in -31i32..=19,
        ) {
            let text = format!("{significand}e{exponent}");
            let core: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(parse_float_text(&text).map(f64::to_bits), Some(core.to_bits()), "{}", text);
        }

        /// Any double's full 17-digit text and any power of ten: within two units in the last
        /// place of `str::parse`'s double (the JSON reader's accuracy).
        #[test]
        fn long_floats_read_within_two_ulps(bits in proptest::prelude::any::<u64>()) {
            let x = f64::from_bits(bits);
            proptest::prop_assume!(x.is_finite() && x.abs() > 1e-300);
            let text = format!("{x:.16e}");
            let ours = parse_float_text(&text).unwrap();
            proptest::prop_assert!((ours - x).abs() <= 2.0 * f64::EPSILON * x.abs(), "{} → {} vs {}", text, ours, x);
        }

        /// Every double's shortest text reads as `Decimal::from_str` reads it.
        #[test]
        fn float_text_reads_like_rust_decimal(x in -1e13f64..1e13) {
            let mut buf = [0u8; 32];
            let text = float_text(x, &mut buf);
            let ours = decimal_from_text(text, false).map(|d| d.normalize());
            match Decimal::from_str(text) {
                Ok(theirs) if !theirs.is_zero() || x == 0.0 => proptest::prop_assert_eq!(ours, Ok(theirs.normalize())),
                Ok(_) => proptest::prop_assert_eq!(ours, Err(TextRefusal::TooSmall)),
                Err(_) => proptest::prop_assert_eq!(ours, Err(TextRefusal::TooLarge)),
            }
        }
    }

    #[test]
    fn numbers_keep_their_shortest_text() {
        let d = parse_decimal("x", &NumberInput::Number(0.1)).unwrap();
        assert_eq!(d.to_string(), "0.1");
    }

    #[test]
    fn garbage_is_named() {
        let e = parse_decimal("a.b", &NumberInput::Text("12abc".into())).unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("a.b", "not_a_number"));
        let e = parse_decimal("a", &NumberInput::Number(f64::NAN)).unwrap_err();
        assert_eq!(e.code, "not_a_number");
        let e = parse_decimal("a", &NumberInput::Number(f64::INFINITY)).unwrap_err();
        assert_eq!(e.code, "not_finite");
        let e = parse_decimal("a", &NumberInput::Text("1e40".into())).unwrap_err();
        assert_eq!(e.code, "too_large");
    }

    #[test]
    fn fast_decimal_text_is_decimal_display() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
        };
        let mut cases = vec![
            Decimal::ZERO,
            Decimal::new(0, 5),
            -Decimal::new(0, 3),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::new(1, 28),
            Decimal::new(-5, 28),
            Decimal::from_str("100000000000000000000").unwrap(),
            Decimal::from_str("10000000000000000000").unwrap(),
            Decimal::from_str("9999999999999999999").unwrap(),
            Decimal::from_str("0.1000000000000000000").unwrap(),
            Decimal::from_str("100000000").unwrap(),
            Decimal::from_str("99999999").unwrap(),
            Decimal::from_str("1000000000000000000").unwrap(),
            Decimal::from_str("1.00000000").unwrap(),
            Decimal::from_str("123456789012345678901234567.8").unwrap(),
        ];
        for _ in 0..20_000 {
            let lo = next() as u32;
            let mid = (next() >> (next() % 33)) as u32;
            let hi = (next() >> (next() % 64)) as u32;
            let scale = (next() % 29) as u32;
            cases.push(Decimal::from_parts(lo, mid, hi, next() % 2 == 0, scale));
            cases.push(Decimal::new((next() % 100_000) as i64, scale));
        }
        for d in cases {
            assert_eq!(decimal_string(d), d.to_string(), "{d:?}");
            assert_eq!(format!("{}", Num(d)), d.to_string());
            assert_eq!(format!("{:.2}", Num(d)), format!("{d:.2}"));
        }
    }

    #[test]
    fn liquidation_rounding_goes_against_the_trader() {
        let v = Decimal::from_str("100.05").unwrap();
        let tick = Some(Decimal::from_str("0.1").unwrap());
        assert_eq!(round_price_against(v, true, tick).to_string(), "100.1");
        assert_eq!(round_price_against(v, false, tick).to_string(), "100");
    }
}
