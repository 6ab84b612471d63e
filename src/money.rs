//! Money: exact decimals, input parsing, rounding rules, and the one place where
//! decimals and `f64` meet (model math — pricing, volatility, root finding — is `f64`).

use crate::error::FieldError;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A numeric input as it arrives on the wire: a decimal string (preferred, exact)
/// or a JSON/JS number (converted through its shortest round-trip representation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    let value = match input {
        NumberInput::Number(x) => {
            finite(field, *x)?;
            // Shortest round-trip text of the double: 0.1 stays 0.1, not 0.1000000000000000055.
            let text = format!("{x}");
            Decimal::from_str(&text)
                .or_else(|_| Decimal::from_scientific(&text))
                .map_err(|_| out_of_range_or_garbage(field, &text))?
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
            let lower = t.to_ascii_lowercase();
            if lower.contains("nan") {
                return Err(FieldError::new(
                    field,
                    "not_a_number",
                    "must be a number, got NaN",
                ));
            }
            if lower.contains("inf") {
                return Err(FieldError::new(field, "not_finite", "must be finite"));
            }
            let parsed = if lower.contains('e') {
                Decimal::from_scientific(t)
            } else {
                Decimal::from_str(t)
            };
            parsed.map_err(|_| out_of_range_or_garbage(field, t))?
        }
    };
    if value.is_zero() {
        let text = match input {
            NumberInput::Number(x) => format!("{x}"),
            NumberInput::Text(s) => s.trim().to_string(),
        };
        if text.parse::<f64>().is_ok_and(|x| x != 0.0) {
            return Err(out_of_range_or_garbage(field, &text));
        }
    }
    if value.abs() > max_input() {
        return Err(FieldError::new(
            field,
            "too_large",
            "is absurdly large (limit 1e12)",
        ));
    }
    Ok(value.normalize())
}

/// A text Decimal cannot hold: a well-formed number beyond its range or precision is
/// `too_large`/`too_small`, anything else `not_a_number`.
fn out_of_range_or_garbage(field: &str, text: &str) -> FieldError {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() >= 1.0 => {
            FieldError::new(field, "too_large", "is absurdly large (limit 1e12)")
        }
        Ok(x) if x.is_finite() => FieldError::new(
            field,
            "too_small",
            "is below the smallest representable amount (1e-28)",
        ),
        _ => FieldError::new(
            field,
            "not_a_number",
            format!("'{}' is not a decimal number", short(text)),
        ),
    }
}

fn short(s: &str) -> String {
    s.chars().take(24).collect()
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

/// Output scale for quantities that have no tick: 10 decimal places.
pub const OUTPUT_DP: u32 = 10;

/// Rounds a margin requirement up (conservative for the trader) to [`OUTPUT_DP`] places.
pub fn round_margin(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(OUTPUT_DP, RoundingStrategy::AwayFromZero)
        .normalize()
}

/// Rounds a plain figure (PnL, equity, ratios) half-even to [`OUTPUT_DP`] places.
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

/// `a · b`, `None` on overflow — out of line, for cold paths (what-if fills, option models,
/// risk units) where one shared copy of `Decimal`'s multiplication keeps the wasm module small.
#[inline(never)]
pub fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_mul(b)
}

/// `a + b`, `None` on overflow — out of line (see [`mul`]).
#[inline(never)]
pub fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_add(b)
}

/// `a − b`, `None` on overflow — out of line (see [`mul`]).
#[inline(never)]
pub fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_sub(b)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn liquidation_rounding_goes_against_the_trader() {
        let v = Decimal::from_str("100.05").unwrap();
        let tick = Some(Decimal::from_str("0.1").unwrap());
        assert_eq!(round_price_against(v, true, tick).to_string(), "100.1");
        assert_eq!(round_price_against(v, false, tick).to_string(), "100");
    }
}
