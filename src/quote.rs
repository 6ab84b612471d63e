//! Single option quotes for the API: price and Greeks from a volatility, or the implied
//! volatility from a price. Model inputs and outputs are `f64` (model math; a deep
//! out-of-the-money premium of 1e-180 is a valid input that no decimal type holds); every input
//! is validated and every refusal names the request field.

use crate::error::{FieldError, InputErrors};
use crate::money::{finite, NumberInput};
use crate::pricing::{
    black76, black_scholes, implied_vol_black76, implied_vol_black_scholes, implied_vol_inverse,
    inverse_black76, Field, Model, OptionKind, PricingError,
};
use serde::Serialize;

/// A quote request: `volatility` for a price, `price` for an implied volatility.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteRequest {
    /// `"black76"` (default: forward/futures price, what crypto venues quote IV against) or
    /// `"blackScholes"` (spot, no dividends).
    pub model: Option<String>,
    /// `"call"` or `"put"`.
    pub option_type: Option<String>,
    /// `"linear"` (default: premium in USD/quote) or `"inverse"` (premium in coin =
    /// USD premium / forward, Deribit style; Black-76 only).
    pub settlement: Option<String>,
    /// Forward (Black-76) or spot (Black–Scholes) price.
    pub underlying: Option<NumberInput>,
    /// Strike.
    pub strike: Option<NumberInput>,
    /// Time to expiry in years (ACT/365).
    pub time_years: Option<NumberInput>,
    /// Continuously compounded rate (default 0).
    pub rate: Option<NumberInput>,
    /// Volatility as a decimal (0.6 = 60 %), for a price.
    pub volatility: Option<NumberInput>,
    /// Premium (coin for inverse), for an implied volatility.
    pub price: Option<NumberInput>,
}

// The wire reading of [`QuoteRequest`] ([`crate::wire`]).
crate::wire::wire_struct!(QuoteRequest, "struct QuoteRequest", required = 0, seq_default = 0, {
    0 "model" => model,
    1 "optionType" => option_type,
    2 "settlement" => settlement,
    3 "underlying" => underlying,
    4 "strike" => strike,
    5 "timeYears" => time_years,
    6 "rate" => rate,
    7 "volatility" => volatility,
    8 "price" => price,
});

/// Price and Greeks. Units: delta and gamma with respect to the underlying of the model
/// (Black-76: the forward, discounted); vega per 1.00 of volatility (divide by 100 for one vol
/// point); theta per year (`−∂V/∂T`, divide by 365 for one day); rho per 1.00 of rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// Premium in USD/quote.
    pub price: f64,
    /// ∂V/∂underlying.
    pub delta: f64,
    /// ∂²V/∂underlying².
    pub gamma: f64,
    /// ∂V/∂σ per 1.00 of volatility.
    pub vega: f64,
    /// −∂V/∂T per year.
    pub theta: f64,
    /// ∂V/∂r per 1.00 of rate.
    pub rho: f64,
    /// Inverse only: premium in coin (`price / forward`).
    pub price_coin: Option<f64>,
    /// Inverse only: premium-adjusted delta (`delta − price_coin`), the coin delta a
    /// coin-margined book carries.
    pub delta_premium_adjusted: Option<f64>,
    /// Inverse only: vega in coin per 1.00 of volatility.
    pub vega_coin: Option<f64>,
    /// Inverse only: theta in coin per year.
    pub theta_coin: Option<f64>,
    /// The units of each figure, spelled out.
    pub units: &'static str,
}

/// An implied volatility.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpliedVolatility {
    /// Volatility as a decimal (0.6 = 60 %).
    pub volatility: f64,
}

const UNITS: &str = "delta/gamma per unit of underlying (Black-76: forward, discounted); vega per 1.00 volatility; theta per year; rho per 1.00 rate";

/// Parses a model input as `f64` (not Decimal: model math), naming the field on failure.
pub fn parse_f64(field: &str, input: Option<&NumberInput>) -> Result<f64, FieldError> {
    let x = match input {
        None => return Err(FieldError::new(field, "required", "is required")),
        Some(NumberInput::Number(x)) => *x,
        Some(NumberInput::Text(s)) => {
            let t = s.trim();
            if t.is_empty() {
                return Err(FieldError::new(field, "required", "must not be empty"));
            }
            if t.len() > 64 {
                return Err(FieldError::new(
                    field,
                    "not_a_number",
                    "is not a number (too long)",
                ));
            }
            crate::money::parse_float_text(t)
                .ok_or_else(|| FieldError::new(field, "not_a_number", "is not a number"))?
        }
    };
    finite(field, x)
}

fn model(value: Option<&String>) -> Result<Model, FieldError> {
    match value.map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(Model::Black76),
        Some(s) if s == "black76" => Ok(Model::Black76),
        Some(s) if s == "blackscholes" || s == "black_scholes" => Ok(Model::BlackScholes),
        Some(_) => Err(FieldError::new(
            "model",
            "invalid_choice",
            "must be black76 or blackScholes",
        )),
    }
}

fn kind(value: Option<&String>) -> Result<OptionKind, FieldError> {
    match value.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("call") => Ok(OptionKind::Call),
        Some("put") => Ok(OptionKind::Put),
        None => Err(FieldError::new(
            "optionType",
            "required",
            "is required (call or put)",
        )),
        Some(_) => Err(FieldError::new(
            "optionType",
            "invalid_choice",
            "must be call or put",
        )),
    }
}

fn inverse(value: Option<&String>) -> Result<bool, FieldError> {
    match value.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("linear") => Ok(false),
        Some("inverse") => Ok(true),
        Some(_) => Err(FieldError::new(
            "settlement",
            "invalid_choice",
            "must be linear or inverse",
        )),
    }
}

/// The request field a pricing error is about.
pub fn request_field(field: Field) -> &'static str {
    match field {
        Field::Forward | Field::Spot | Field::Index => "underlying",
        Field::Strike => "strike",
        Field::Time => "timeYears",
        Field::Rate => "rate",
        Field::Volatility => "volatility",
        Field::Price => "price",
        Field::Kind => "optionType",
        Field::Settlement => "settlement",
        Field::Result | Field::Output => "request",
    }
}

/// A pricing error as a field error on the request.
pub fn pricing_error(e: PricingError) -> FieldError {
    FieldError::new(request_field(e.field_enum()), e.code(), e.to_string())
}

struct Common {
    model: Model,
    kind: OptionKind,
    inverse: bool,
    underlying: f64,
    strike: f64,
    time: f64,
    rate: f64,
}

fn common(r: &QuoteRequest) -> Result<Common, InputErrors> {
    let mut errors = Vec::new();
    let mut take = |res: Result<f64, FieldError>| res.map_err(|e| errors.push(e)).ok();
    let underlying = take(parse_f64("underlying", r.underlying.as_ref()));
    let strike = take(parse_f64("strike", r.strike.as_ref()));
    let time = take(parse_f64("timeYears", r.time_years.as_ref()));
    let rate = match &r.rate {
        Some(v) => take(parse_f64("rate", Some(v))),
        None => Some(0.0),
    };
    let model = model(r.model.as_ref()).map_err(|e| errors.push(e)).ok();
    let kind = kind(r.option_type.as_ref())
        .map_err(|e| errors.push(e))
        .ok();
    let inverse = inverse(r.settlement.as_ref())
        .map_err(|e| errors.push(e))
        .ok();
    if inverse == Some(true) && model == Some(Model::BlackScholes) {
        errors.push(FieldError::new(
            "settlement",
            "inconsistent",
            "inverse options are priced with black76 on the forward",
        ));
    }
    match (model, kind, inverse, underlying, strike, time, rate) {
        (
            Some(model),
            Some(kind),
            Some(inverse),
            Some(underlying),
            Some(strike),
            Some(time),
            Some(rate),
        ) if errors.is_empty() => Ok(Common {
            model,
            kind,
            inverse,
            underlying,
            strike,
            time,
            rate,
        }),
        _ => Err(InputErrors { errors }),
    }
}

/// The common inputs and one more, with the errors of both collected.
fn with_common(
    r: &QuoteRequest,
    extra: Result<f64, FieldError>,
) -> Result<(Common, f64), InputErrors> {
    match (common(r), extra) {
        (Ok(c), Ok(x)) => Ok((c, x)),
        (Err(mut e), Err(x)) => {
            e.errors.push(x);
            Err(e)
        }
        (Err(e), _) => Err(e),
        (_, Err(x)) => Err(x.into()),
    }
}

/// Price and Greeks from a volatility (Black 1976; Black & Scholes 1973; inverse: premium in
/// coin = USD premium / forward — see [`crate::pricing::inverse`]).
pub fn price_option(r: &QuoteRequest) -> Result<Quote, InputErrors> {
    let (c, vol) = with_common(r, parse_f64("volatility", r.volatility.as_ref()))?;
    if c.inverse {
        let g = inverse_black76(c.kind, c.underlying, c.strike, c.time, c.rate, vol)
            .map_err(pricing_error)?;
        return Ok(Quote {
            price: g.price_usd,
            delta: g.delta_bs,
            gamma: g.gamma_usd,
            vega: g.vega_usd,
            theta: g.theta_usd,
            rho: g.rho_usd,
            price_coin: Some(g.price_coin),
            delta_premium_adjusted: Some(g.delta_coin_premium_adjusted),
            vega_coin: Some(g.vega_coin),
            theta_coin: Some(g.theta_coin),
            units: UNITS,
        });
    }
    let g = match c.model {
        Model::Black76 => black76(c.kind, c.underlying, c.strike, c.time, c.rate, vol),
        Model::BlackScholes => black_scholes(c.kind, c.underlying, c.strike, c.time, c.rate, vol),
    }
    .map_err(pricing_error)?;
    Ok(Quote {
        price: g.price,
        delta: g.delta,
        gamma: g.gamma,
        vega: g.vega,
        theta: g.theta,
        rho: g.rho,
        price_coin: None,
        delta_premium_adjusted: None,
        vega_coin: None,
        theta_coin: None,
        units: UNITS,
    })
}

/// Implied volatility from a premium (Jäckel 2015, "Let's Be Rational"; see
/// [`crate::pricing::implied_vol`]). Below-intrinsic, above-maximum and undetermined prices are
/// named errors on `price`.
pub fn implied_volatility(r: &QuoteRequest) -> Result<ImpliedVolatility, InputErrors> {
    let (c, price) = with_common(r, parse_f64("price", r.price.as_ref()))?;
    let vol = if c.inverse {
        implied_vol_inverse(c.kind, price, c.underlying, c.strike, c.time, c.rate)
    } else {
        match c.model {
            Model::Black76 => {
                implied_vol_black76(c.kind, price, c.underlying, c.strike, c.time, c.rate)
            }
            Model::BlackScholes => {
                implied_vol_black_scholes(c.kind, price, c.underlying, c.strike, c.time, c.rate)
            }
        }
    }
    .map_err(pricing_error)?;
    Ok(ImpliedVolatility { volatility: vol })
}

/// Parses the model name used by the batch exports.
pub fn parse_model(name: &str) -> Result<Model, FieldError> {
    model(Some(&name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> QuoteRequest {
        crate::parse_json(json).unwrap()
    }

    #[test]
    fn price_then_implied_vol_round_trips() {
        let q = price_option(&req(r#"{"optionType":"call","underlying":60000,"strike":65000,"timeYears":0.25,"volatility":0.6}"#)).unwrap();
        assert!(q.price > 0.0 && q.delta > 0.0 && q.delta < 1.0);
        let iv = implied_volatility(&QuoteRequest {
            price: Some(NumberInput::Number(q.price)),
            volatility: None,
            ..req(r#"{"optionType":"call","underlying":60000,"strike":65000,"timeYears":0.25}"#)
        })
        .unwrap();
        assert!((iv.volatility - 0.6).abs() < 1e-12, "{}", iv.volatility);
    }

    #[test]
    fn refusals_name_the_field() {
        let e = implied_volatility(&req(
            r#"{"optionType":"put","underlying":100,"strike":120,"timeYears":1,"price":5}"#,
        ))
        .unwrap_err();
        assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].code.as_str()),
            ("price", "below_intrinsic")
        );
        let e = price_option(&req(r#"{"optionType":"call","underlying":"NaN","strike":-1,"timeYears":1,"volatility":0.5}"#)).unwrap_err();
        let fields: Vec<_> = e
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert!(
            fields.contains(&("underlying", "not_a_number")),
            "{fields:?}"
        );
        let e = price_option(&req(
            r#"{"optionType":"call","underlying":100,"strike":-1,"timeYears":1,"volatility":0.5}"#,
        ))
        .unwrap_err();
        assert_eq!(e.errors[0].field, "strike");
    }

    #[test]
    fn inverse_premium_is_usd_over_forward() {
        let q = price_option(&req(r#"{"optionType":"call","settlement":"inverse","underlying":50000,"strike":50000,"timeYears":0.1,"volatility":0.8}"#)).unwrap();
        let coin = q.price_coin.unwrap();
        assert!((coin - q.price / 50000.0).abs() < 1e-15);
    }
}
