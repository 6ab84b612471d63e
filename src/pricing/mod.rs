//! Option model math in plain `f64`: the standard normal distribution, Black-76 and
//! Black–Scholes prices and Greeks, implied volatility (Jäckel's "Let's Be Rational") and
//! coin-settled (inverse) option conventions.
//!
//! Everything here is deterministic, allocation-free and independent of the rest of the crate,
//! so that it can run unchanged natively and in WebAssembly.
//!
//! # Conventions (identical to the test vectors in `tests/vectors/options/`)
//!
//! * Black-76 (Black 1976, "The pricing of commodity contracts", J. Financial Economics 3,
//!   167–179): `V = D·[F·N(d1) − K·N(d2)]` (call), `V = D·[K·N(−d2) − F·N(−d1)]` (put) with
//!   `D = exp(−r·T)`, `d1 = (ln(F/K) + σ²T/2)/(σ√T)`, `d2 = d1 − σ√T`.
//! * Black–Scholes on spot without dividends (Black & Scholes 1973, J. Political Economy 81,
//!   637–654): the same formula with `F = S·exp(r·T)`.
//! * Units: `T` in years, `r` continuously compounded per year (discounting only in Black-76),
//!   `σ` as a decimal (0.6 = 60 %). Vega is per 1.00 of volatility (divide by 100 for one vol
//!   point), theta is per year of calendar time (`−∂V/∂T`; divide by 365 for one day), rho is per
//!   1.00 of rate. Black-76 delta and gamma are with respect to the forward and include `D`.
//!
//! # Errors
//!
//! Every entry point validates its inputs and returns [`PricingError`]; non-finite or
//! out-of-domain inputs never panic and never produce a NaN. Batch functions report the index
//! of the first failing element.

pub mod black;
mod chain;
pub mod implied_vol;
pub mod inverse;
mod lanes;
pub mod normal;
mod owned_chain;
pub mod scenario_batch;

use core::fmt;

pub use black::{
    black76, black76_greeks_batch, black76_price, black76_price_delta_batch,
    black76_scenario_premium, black76_scenario_premium_ln, black_scholes,
    black_scholes_greeks_batch, black_scholes_price, black_scholes_price_delta_batch, greeks,
    GreeksBatchOut,
};
pub use implied_vol::{
    implied_vol, implied_vol_batch, implied_vol_batch_each, implied_vol_black76,
    implied_vol_black_scholes,
};
pub use inverse::{
    implied_vol_inverse, inverse_black76, inverse_payoff_coin, payoff_usd, InverseGreeks,
};
pub use owned_chain::{ChainLengthError, OwnedChain};

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionKind {
    /// Right to buy at the strike.
    Call,
    /// Right to sell at the strike.
    Put,
}

impl OptionKind {
    /// `Call` for `true`, `Put` for `false`.
    #[inline]
    pub fn from_is_call(is_call: bool) -> Self {
        if is_call {
            OptionKind::Call
        } else {
            OptionKind::Put
        }
    }

    /// Decodes the byte encoding used by the batch functions: `1` = call, `0` = put.
    ///
    /// Any other value is rejected with [`PricingError::InvalidKind`] rather than guessed.
    #[inline]
    pub fn from_code(code: u8) -> Result<Self, PricingError> {
        match code {
            1 => Ok(OptionKind::Call),
            0 => Ok(OptionKind::Put),
            _ => Err(PricingError::InvalidKind),
        }
    }

    /// The byte encoding used by the batch functions: `1` = call, `0` = put.
    #[inline]
    pub fn code(self) -> u8 {
        match self {
            OptionKind::Call => 1,
            OptionKind::Put => 0,
        }
    }

    /// `true` for a call.
    #[inline]
    pub fn is_call(self) -> bool {
        matches!(self, OptionKind::Call)
    }

    /// `+1.0` for a call, `−1.0` for a put (Jäckel's `θ`/`q`).
    #[inline]
    pub fn sign(self) -> f64 {
        match self {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        }
    }

    /// Lower-case name: `"call"` or `"put"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionKind::Call => "call",
            OptionKind::Put => "put",
        }
    }
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pricing model selector for the model-generic entry points and batch functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// Black-76 on the forward/futures price; the premium is discounted with `exp(−rT)`.
    Black76,
    /// Black–Scholes on spot, no dividends (`F = S·exp(rT)`).
    BlackScholes,
}

impl Model {
    /// Name used by the test vectors and the JSON API: `"black76"` or `"black_scholes"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Model::Black76 => "black76",
            Model::BlackScholes => "black_scholes",
        }
    }

    /// The input field that holds the underlying price for this model.
    pub fn underlying_field(self) -> Field {
        match self {
            Model::Black76 => Field::Forward,
            Model::BlackScholes => Field::Spot,
        }
    }
}

/// Names the input (or output) an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Option kind (batch byte encoding).
    Kind,
    /// Forward / futures price `F`.
    Forward,
    /// Spot price `S`.
    Spot,
    /// Strike `K`.
    Strike,
    /// Year fraction to expiry `T`.
    Time,
    /// Continuously compounded rate `r`.
    Rate,
    /// Volatility `σ`.
    Volatility,
    /// Option premium (input of the implied-volatility solver).
    Price,
    /// Settlement (delivery) price at expiry.
    Settlement,
    /// Index price used for display conversion.
    Index,
    /// A computed result (overflow of an output).
    Result,
    /// A batch output buffer.
    Output,
}

impl Field {
    /// snake_case name of the field, as used in API error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Kind => "kind",
            Field::Forward => "forward",
            Field::Spot => "spot",
            Field::Strike => "strike",
            Field::Time => "time",
            Field::Rate => "rate",
            Field::Volatility => "volatility",
            Field::Price => "price",
            Field::Settlement => "settlement",
            Field::Index => "index",
            Field::Result => "result",
            Field::Output => "output",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a pricing or implied-volatility computation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PricingError {
    /// The input is NaN or ±∞.
    NotFinite(Field),
    /// The input must be strictly positive (prices, strikes, time, volatility).
    NonPositive(Field),
    /// The input lies outside the range the model can represent in `f64`
    /// (e.g. `σ√T` underflows to zero, or `|ln(F/K)| > 700`).
    OutOfRange(Field),
    /// The option price is below its (discounted) intrinsic value, so no volatility exists.
    BelowIntrinsic,
    /// The option price is at or above its upper bound (`D·F` for a call, `D·K` for a put).
    AboveMaximum,
    /// The price carries a positive time value that is too small to determine a volatility:
    /// one unit in the last place of the price moves σ by at least 10 % of itself (the
    /// `undetermined` status of the test vectors).
    Undetermined,
    /// A computed result overflowed to ±∞ (inputs of extreme magnitude).
    Overflow,
    /// A batch option-kind byte was neither `1` (call) nor `0` (put).
    InvalidKind,
    /// A batch input or output slice does not have the same length as the others.
    LengthMismatch(Field),
}

impl PricingError {
    /// Stable snake_case code, e.g. `"below_intrinsic"`, `"not_finite"`.
    pub fn code(&self) -> &'static str {
        match self {
            PricingError::NotFinite(_) => "not_finite",
            PricingError::NonPositive(_) => "non_positive",
            PricingError::OutOfRange(_) => "out_of_range",
            PricingError::BelowIntrinsic => "below_intrinsic",
            PricingError::AboveMaximum => "above_maximum",
            PricingError::Undetermined => "undetermined",
            PricingError::Overflow => "overflow",
            PricingError::InvalidKind => "invalid_kind",
            PricingError::LengthMismatch(_) => "length_mismatch",
        }
    }

    /// The offending input: `"forward"`, `"spot"`, `"strike"`, `"time"`, `"volatility"`,
    /// `"price"`, `"rate"`, `"kind"`, `"settlement"`, `"index"`; `"result"` for an overflowing
    /// output and `"output"` for a mis-sized batch output buffer.
    pub fn field(&self) -> &'static str {
        self.field_enum().as_str()
    }

    /// The offending input as a [`Field`].
    pub fn field_enum(&self) -> Field {
        match *self {
            PricingError::NotFinite(f)
            | PricingError::NonPositive(f)
            | PricingError::OutOfRange(f)
            | PricingError::LengthMismatch(f) => f,
            PricingError::BelowIntrinsic
            | PricingError::AboveMaximum
            | PricingError::Undetermined => Field::Price,
            PricingError::Overflow => Field::Result,
            PricingError::InvalidKind => Field::Kind,
        }
    }

    /// Small non-zero integer for per-element status arrays (0 is reserved for success):
    /// 1 not_finite, 2 non_positive, 3 out_of_range, 4 below_intrinsic, 5 above_maximum,
    /// 6 undetermined, 7 overflow, 8 invalid_kind, 9 length_mismatch.
    pub fn status(&self) -> u8 {
        match self {
            PricingError::NotFinite(_) => 1,
            PricingError::NonPositive(_) => 2,
            PricingError::OutOfRange(_) => 3,
            PricingError::BelowIntrinsic => 4,
            PricingError::AboveMaximum => 5,
            PricingError::Undetermined => 6,
            PricingError::Overflow => 7,
            PricingError::InvalidKind => 8,
            PricingError::LengthMismatch(_) => 9,
        }
    }
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PricingError::NotFinite(field) => write!(f, "{field} must be a finite number"),
            PricingError::NonPositive(field) => write!(f, "{field} must be greater than zero"),
            PricingError::OutOfRange(field) => {
                write!(f, "{field} is outside the range the model can represent")
            }
            PricingError::BelowIntrinsic => {
                f.write_str("price is below the option's intrinsic value: no volatility exists")
            }
            PricingError::AboveMaximum => f.write_str(
                "price is at or above the option's maximum value (discounted forward for a call, discounted strike for a put)",
            ),
            PricingError::Undetermined => f.write_str(
                "price's time value is too small to determine a volatility (one ulp of the price moves it by more than 10%)",
            ),
            PricingError::Overflow => f.write_str("result overflows the range of f64"),
            PricingError::InvalidKind => f.write_str("kind must be 1 (call) or 0 (put)"),
            PricingError::LengthMismatch(field) => {
                write!(f, "{field} slice length differs from the other batch slices")
            }
        }
    }
}

impl std::error::Error for PricingError {}

/// Price and Greeks of one option, in the conventions of the module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Greeks {
    /// Premium (discounted), same currency as the underlying and strike.
    pub price: f64,
    /// `∂V/∂F` (Black-76, includes the discount factor) or `∂V/∂S` (Black–Scholes).
    pub delta: f64,
    /// Second derivative with respect to the underlying.
    pub gamma: f64,
    /// `∂V/∂σ` per 1.00 of volatility.
    pub vega: f64,
    /// `−∂V/∂T` per year of calendar time (F or S, r and σ held fixed).
    pub theta: f64,
    /// `∂V/∂r` per 1.00 of rate (Black-76: F held fixed, only `D` moves).
    pub rho: f64,
}

impl Greeks {
    /// `true` when every field is finite.
    #[inline]
    pub fn is_finite(&self) -> bool {
        self.price.is_finite()
            && self.delta.is_finite()
            && self.gamma.is_finite()
            && self.vega.is_finite()
            && self.theta.is_finite()
            && self.rho.is_finite()
    }
}

/// Rejects NaN/±∞.
#[inline]
pub(crate) fn check_finite(value: f64, field: Field) -> Result<f64, PricingError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(PricingError::NotFinite(field))
    }
}

/// Rejects NaN/±∞, zero and negative values.
#[inline]
pub(crate) fn check_positive(value: f64, field: Field) -> Result<f64, PricingError> {
    if !value.is_finite() {
        Err(PricingError::NotFinite(field))
    } else if value > 0.0 {
        Ok(value)
    } else {
        Err(PricingError::NonPositive(field))
    }
}
