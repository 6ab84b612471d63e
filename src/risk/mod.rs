//! Risk models in plain `f64`: dynamic initial-margin ratios, volatility estimates, scenario
//! (portfolio) margin, historical-simulation VaR / Expected Shortfall, liquidation distance and
//! touch probability, stress tests and the liquidation-price root search of a whole book.
//!
//! This layer knows nothing of JSON, JavaScript or positions. Whatever depends on the book is
//! passed in as a **valuation closure** with one fixed signature,
//!
//! ```text
//! value(underlying_price: f64, vol_shift: f64, days_forward: f64) -> f64   // book value
//! ```
//!
//! returning the value of the whole book (in the quote currency) when the underlying is at
//! `underlying_price`, implied volatilities are moved by `vol_shift` (in the convention of the
//! grid being evaluated, see [`scenario::VolConvention`]) and `days_forward` calendar days have
//! passed. `value(S, 0.0, 0.0)` is the book at the mark. Scenario P&L is always
//! `value(shocked) − value(S, 0, 0)`. The closure is called a bounded number of times (stated on
//! each function); a NaN or infinite value is reported as a [`RiskError`] naming the scenario,
//! never propagated.
//!
//! Sources are cited on every formula; the reference document is
//! `shared/reference/margin-models.md` (§3 dynamic IMR, §5 portfolio margin, §6 HS VaR/ES,
//! §7 distance and touch probability).
//!
//! # Errors
//!
//! Every entry point validates its inputs and returns a [`RiskError`] carrying the field name
//! (camelCase, as the JSON layer will spell it), a stable code and a message; pasted series add
//! the 1-based line and column. No input panics and no result is NaN.

pub mod imr;
pub mod roots;
pub mod scenario;
pub mod stress;
pub mod touch;
pub mod var;
pub mod volatility;

use crate::error::FieldError;
use crate::money::Float;
use core::fmt;

/// Days per year used to annualise and de-annualise volatility (crypto trades every day;
/// margin-models.md §3 and §7 use `√(h/365)`).
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Why a risk computation was refused: which input, a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskError {
    /// The offending input, camelCase (`sigma`, `horizonDays`, `series`, `scenarios[3]`).
    pub field: String,
    /// Stable machine-readable code: `not_finite`, `not_positive`, `negative`, `out_of_range`,
    /// `required`, `empty`, `too_few`, `too_large`, `not_a_number`, `missing_column`,
    /// `zero_volatility`, `valuation_not_finite`, `length_mismatch`, `too_many_digits`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// 1-based line of a pasted series, when the error is about one cell.
    pub line: Option<usize>,
    /// 1-based column of a pasted series, when the error is about one cell.
    pub column: Option<usize>,
}

impl RiskError {
    /// A new error about `field`.
    #[inline(never)]
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// Adds the 1-based line and column of a pasted series.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// The crate-wide field error, with `prefix` (e.g. `risk.volatility`) prepended to the field
    /// path and the line/column, if any, added to the message.
    pub fn to_field_error(&self, prefix: &str) -> FieldError {
        let field = if prefix.is_empty() {
            self.field.clone()
        } else {
            format!("{prefix}.{}", self.field)
        };
        let message = match (self.line, self.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: {}", self.message),
            _ => self.message.clone(),
        };
        FieldError::new(field, self.code, message)
    }
}

impl fmt::Display for RiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(
                f,
                "{} (line {l}, column {c}): {} ({})",
                self.field, self.message, self.code
            ),
            _ => write!(f, "{}: {} ({})", self.field, self.message, self.code),
        }
    }
}

impl std::error::Error for RiskError {}

impl From<RiskError> for FieldError {
    fn from(e: RiskError) -> Self {
        e.to_field_error("")
    }
}

/// Rejects NaN and ±∞.
pub(crate) fn finite(field: &str, x: f64) -> Result<f64, RiskError> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(RiskError::new(
            field,
            "not_finite",
            format!("must be a finite number, got {x}", x = Float(x)),
        ))
    }
}

/// Rejects NaN, ±∞, zero and negatives.
pub(crate) fn positive(field: &str, x: f64) -> Result<f64, RiskError> {
    finite(field, x)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(RiskError::new(
            field,
            "not_positive",
            format!("must be greater than zero, got {x}", x = Float(x)),
        ))
    }
}

/// Rejects NaN, ±∞ and negatives (zero allowed).
pub(crate) fn non_negative(field: &str, x: f64) -> Result<f64, RiskError> {
    finite(field, x)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err(RiskError::new(
            field,
            "negative",
            format!("must not be negative, got {x}", x = Float(x)),
        ))
    }
}

/// Requires `0 < x < 1` (open interval), finite.
pub(crate) fn open_unit(field: &str, x: f64) -> Result<f64, RiskError> {
    finite(field, x)?;
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(RiskError::new(
            field,
            "out_of_range",
            format!("must lie strictly between 0 and 1, got {x}", x = Float(x)),
        ))
    }
}

/// Calls the valuation closure and rejects a non-finite book value, naming `what`.
pub(crate) fn valuation<V>(
    value: &V,
    field: &str,
    what: &str,
    price: f64,
    vol_shift: f64,
    days_forward: f64,
) -> Result<f64, RiskError>
where
    V: Fn(f64, f64, f64) -> f64 + ?Sized,
{
    let v = value(price, vol_shift, days_forward);
    if v.is_finite() {
        Ok(v)
    } else {
        Err(RiskError::new(
            field,
            "valuation_not_finite",
            format!(
                "the book value is {v} in {what} (price {price}, vol shift {vol_shift}, \
                 {days_forward} days forward)",
                v = Float(v),
                price = Float(price),
                vol_shift = Float(vol_shift),
                days_forward = Float(days_forward)
            ),
        ))
    }
}
