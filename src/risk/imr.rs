//! Dynamic initial-margin ratios as data: each [`ImrModel`] is a formula with its parameters,
//! evaluated by [`ImrModel::rate`] on the position's size, price, the market's open interest and
//! a volatility assumption. The result, [`ImrRate`], carries the rate **and** the rule that
//! produced it (which branch of a `max`/`min` was binding, the formula with numbers substituted,
//! and the inputs used), so that a breakdown can show where a number comes from.
//!
//! Formulas are those of margin-models.md §3 ("Size-, liquidity- and volatility-dependent
//! initial margin ratios"); each variant cites the venue documentation it comes from.
//!
//! ```
//! use imr::risk::imr::{ImrInputs, ImrModel};
//! // Deribit BTC linear perpetual: 2 % + 0.005 % per BTC; 25 BTC → 2.125 %.
//! let m = ImrModel::SizeLinear { base: 0.02, slope_per_unit: 0.00005 };
//! let r = m.rate(&ImrInputs::new(25.0, 100_000.0)).unwrap();
//! assert!((r.rate - 0.02125).abs() < 1e-15);
//! assert_eq!(r.model, "size_linear");
//! ```

use super::{finite, non_negative, positive, RiskError, DAYS_PER_YEAR};
use crate::money::Float;
use crate::pricing::normal::inverse_norm_cdf;

/// A dynamic initial-margin-rate model. Rates are decimals (`0.02` = 2 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImrModel {
    /// Linear in size (Deribit futures): `IMR = base + slope_per_unit · size`.
    ///
    /// Source: Deribit support "Linear Perpetual" (BTC: `2 % + 0.005 %` per BTC of position;
    /// maintenance `1 % + 0.005 %` per BTC uses the same form); margin-models.md §3. Not capped.
    SizeLinear {
        /// Rate at size zero (`0.02`).
        base: f64,
        /// Added rate per unit of size (`0.00005` per BTC).
        slope_per_unit: f64,
    },
    /// Square root of size (Drift): `IMR = max(base, 0.8 · base + k · √size)`.
    ///
    /// Source: margin-models.md §3 (Drift's size-premium margin ratio; the on-chain code,
    /// `calculateSizePremiumLiabilityWeight` in the Drift SDK, evaluates the same shape in
    /// fixed point with its own size scaling, so `k` is in this formula's units: rate per
    /// √(base unit)).
    SqrtSize {
        /// Base initial-margin rate (`0.1`).
        base: f64,
        /// Size-premium factor `k` (rate per √unit).
        k: f64,
    },
    /// Square root of notional (dYdX v4 chain before December 2023):
    /// `IMR = min(1, base · max(1, √(N / baseNotional)))`, `N = size · price`.
    ///
    /// Source: margin-models.md §3; dYdX v4-chain `LiquidityTier.base_position_notional`
    /// (proto docs: "above this position size, the margin requirements increase at a rate of
    /// sqrt(size)"; deprecated since protocol v3.x in favour of [`ImrModel::OpenInterest`]).
    SqrtNotional {
        /// Base initial-margin rate.
        base: f64,
        /// Notional up to which the base rate applies.
        base_notional: f64,
    },
    /// Open-interest scaling (dYdX v4):
    /// `IMR = min(base + max(0, (OI·P − lower_cap) / (upper_cap − lower_cap)) · (1 − base), 1)`.
    ///
    /// Source: dYdX v4 documentation, "Margin" (open-interest-based IMF); margin-models.md §3.
    /// `OI` is the market's open interest in base units, `lower_cap`/`upper_cap` are notionals.
    OpenInterest {
        /// Base initial-margin rate (IMF).
        base: f64,
        /// Open-interest notional below which the base rate applies.
        lower_cap: f64,
        /// Open-interest notional at which the rate reaches 100 %.
        upper_cap: f64,
    },
    /// Volatility-scaled (parametric VaR, CCP practice):
    /// `IMR = max(floor, z_α · σ · √(h / 365) · m)` with `z_α = Φ⁻¹(confidence)`.
    ///
    /// Source: margin-models.md §3 (`z_0.99 = 2.3263`, `z_0.995 = 2.5758`); `Φ⁻¹` is Wichura's
    /// AS 241 ([`inverse_norm_cdf`]). `σ` is the annualised volatility assumption of
    /// [`ImrInputs::sigma`] (implied, sample or EWMA: see [`crate::risk::volatility`]).
    /// Not capped at 100 %.
    Volatility {
        /// Minimum rate.
        floor: f64,
        /// One-sided confidence level `α` in `(0.5, 1)` (`0.99`).
        confidence: f64,
        /// Margin period of risk `h` in days.
        horizon_days: f64,
        /// Liquidity multiplier `m ≥ 1`.
        multiplier: f64,
    },
}

/// What the models read. Each model validates only the fields it uses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImrInputs {
    /// Position size in base units (`≥ 0`, side-independent).
    pub size: f64,
    /// Mark price (`> 0`).
    pub price: f64,
    /// Market open interest in base units (`≥ 0`; [`ImrModel::OpenInterest`] only).
    pub open_interest: f64,
    /// Annualised volatility (`> 0`; [`ImrModel::Volatility`] only).
    pub sigma: f64,
}

impl ImrInputs {
    /// Size and price; open interest and volatility zero.
    pub fn new(size: f64, price: f64) -> Self {
        Self {
            size,
            price,
            open_interest: 0.0,
            sigma: 0.0,
        }
    }

    /// With the market's open interest (base units).
    pub fn with_open_interest(mut self, open_interest: f64) -> Self {
        self.open_interest = open_interest;
        self
    }

    /// With an annualised volatility assumption.
    pub fn with_sigma(mut self, sigma: f64) -> Self {
        self.sigma = sigma;
        self
    }
}

/// A rate and how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct ImrRate {
    /// The initial-margin rate (decimal).
    pub rate: f64,
    /// Model name: `size_linear`, `sqrt_size`, `sqrt_notional`, `open_interest`, `volatility`.
    pub model: &'static str,
    /// The binding branch: e.g. `base + slope·size`, `floor`, `size premium`, `capped at 100%`.
    pub rule: &'static str,
    /// The formula with the numbers substituted.
    pub formula: String,
    /// The inputs the model used (name, value), including derived ones (`notional`, `z`).
    pub inputs: Vec<(&'static str, f64)>,
    /// Where the formula comes from.
    pub source: &'static str,
}

fn rate_param(field: &str, x: f64) -> Result<f64, RiskError> {
    non_negative(field, x)?;
    if x <= 1.0 {
        Ok(x)
    } else {
        Err(RiskError::new(
            field,
            "out_of_range",
            format!("must be a rate between 0 and 1, got {x}", x = Float(x)),
        ))
    }
}

#[inline(never)]
fn checked(rate: f64) -> Result<f64, RiskError> {
    if rate.is_finite() {
        Ok(rate)
    } else {
        Err(RiskError::new(
            "rate",
            "out_of_range",
            "the rate overflows the range of f64 (inputs of extreme magnitude)",
        ))
    }
}

impl ImrModel {
    /// Model name, as in [`ImrRate::model`].
    pub fn name(&self) -> &'static str {
        match self {
            ImrModel::SizeLinear { .. } => "size_linear",
            ImrModel::SqrtSize { .. } => "sqrt_size",
            ImrModel::SqrtNotional { .. } => "sqrt_notional",
            ImrModel::OpenInterest { .. } => "open_interest",
            ImrModel::Volatility { .. } => "volatility",
        }
    }

    /// Evaluates the model. Errors name the offending parameter (`base`, `slopePerUnit`, `k`,
    /// `baseNotional`, `lowerCap`, `upperCap`, `floor`, `confidence`, `horizonDays`,
    /// `multiplier`) or input (`size`, `price`, `openInterest`, `sigma`).
    pub fn rate(&self, inputs: &ImrInputs) -> Result<ImrRate, RiskError> {
        match *self {
            ImrModel::SizeLinear {
                base,
                slope_per_unit,
            } => {
                rate_param("base", base)?;
                non_negative("slopePerUnit", slope_per_unit)?;
                let size = non_negative("size", inputs.size)?;
                let rate = checked(base + slope_per_unit * size)?;
                Ok(ImrRate {
                    rate,
                    model: self.name(),
                    rule: "base + slope·size",
                    formula: format!(
                        "{base} + {slope_per_unit} × {size} = {rate}",
                        base = Float(base),
                        slope_per_unit = Float(slope_per_unit),
                        size = Float(size),
                        rate = Float(rate)
                    ),
                    inputs: vec![
                        ("base", base),
                        ("slopePerUnit", slope_per_unit),
                        ("size", size),
                    ],
                    source: "Deribit support 'Linear Perpetual'; margin-models.md §3",
                })
            }
            ImrModel::SqrtSize { base, k } => {
                rate_param("base", base)?;
                non_negative("k", k)?;
                let size = non_negative("size", inputs.size)?;
                let premium = checked(0.8 * base + k * size.sqrt())?;
                let (rate, rule) = if premium > base {
                    (premium, "size premium 0.8·base + k·√size")
                } else {
                    (base, "base")
                };
                Ok(ImrRate {
                    rate,
                    model: self.name(),
                    rule,
                    formula: format!(
                        "max({base}, 0.8 × {base} + {k} × √{size}) = max({base}, {premium}) = {rate}", base = Float(base), k = Float(k), size = Float(size), premium = Float(premium), rate = Float(rate)
                    ),
                    inputs: vec![("base", base), ("k", k), ("size", size)],
                    source: "Drift size-premium margin ratio; margin-models.md §3",
                })
            }
            ImrModel::SqrtNotional {
                base,
                base_notional,
            } => {
                rate_param("base", base)?;
                positive("baseNotional", base_notional)?;
                let size = non_negative("size", inputs.size)?;
                let price = positive("price", inputs.price)?;
                let notional = checked(size * price)?;
                let scale = (notional / base_notional).sqrt().max(1.0);
                let scaled = checked(base * scale)?;
                let (rate, rule) = if scaled >= 1.0 {
                    (1.0, "capped at 100%")
                } else if scale > 1.0 {
                    (scaled, "base·√(N/baseNotional)")
                } else {
                    (base, "base (notional within baseNotional)")
                };
                Ok(ImrRate {
                    rate,
                    model: self.name(),
                    rule,
                    formula: format!(
                        "min(1, {base} × max(1, √({notional} / {base_notional}))) = {rate}", base = Float(base), notional = Float(notional), base_notional = Float(base_notional), rate = Float(rate)
                    ),
                    inputs: vec![
                        ("base", base),
                        ("baseNotional", base_notional),
                        ("size", size),
                        ("price", price),
                        ("notional", notional),
                    ],
                    source: "dYdX v4 LiquidityTier.base_position_notional (before Dec 2023); margin-models.md §3",
                })
            }
            ImrModel::OpenInterest {
                base,
                lower_cap,
                upper_cap,
            } => {
                rate_param("base", base)?;
                non_negative("lowerCap", lower_cap)?;
                finite("upperCap", upper_cap)?;
                if upper_cap <= lower_cap {
                    return Err(RiskError::new(
                        "upperCap",
                        "out_of_range",
                        format!(
                            "must be greater than lowerCap ({lower_cap}), got {upper_cap}",
                            lower_cap = Float(lower_cap),
                            upper_cap = Float(upper_cap)
                        ),
                    ));
                }
                let oi = non_negative("openInterest", inputs.open_interest)?;
                let price = positive("price", inputs.price)?;
                let oi_notional = checked(oi * price)?;
                let fraction = ((oi_notional - lower_cap) / (upper_cap - lower_cap)).max(0.0);
                let raw = base + fraction * (1.0 - base);
                let (rate, rule) = if raw >= 1.0 {
                    (1.0, "capped at 100%")
                } else if fraction > 0.0 {
                    (raw, "base + scaled by open interest")
                } else {
                    (base, "base (open interest below lowerCap)")
                };
                Ok(ImrRate {
                    rate,
                    model: self.name(),
                    rule,
                    formula: format!(
                        "min({base} + max(0, ({oi} × {price} − {lower_cap}) / ({upper_cap} − \
                         {lower_cap})) × (1 − {base}), 1) = {rate}",
                        base = Float(base),
                        oi = Float(oi),
                        price = Float(price),
                        lower_cap = Float(lower_cap),
                        upper_cap = Float(upper_cap),
                        rate = Float(rate)
                    ),
                    inputs: vec![
                        ("base", base),
                        ("lowerCap", lower_cap),
                        ("upperCap", upper_cap),
                        ("openInterest", oi),
                        ("price", price),
                        ("openInterestNotional", oi_notional),
                    ],
                    source: "dYdX v4 docs 'Margin' (open-interest-based IMF); margin-models.md §3",
                })
            }
            ImrModel::Volatility {
                floor,
                confidence,
                horizon_days,
                multiplier,
            } => {
                rate_param("floor", floor)?;
                finite("confidence", confidence)?;
                if !(confidence > 0.5 && confidence < 1.0) {
                    return Err(RiskError::new(
                        "confidence",
                        "out_of_range",
                        format!(
                            "must lie strictly between 0.5 and 1, got {confidence}",
                            confidence = Float(confidence)
                        ),
                    ));
                }
                positive("horizonDays", horizon_days)?;
                finite("multiplier", multiplier)?;
                if multiplier < 1.0 {
                    return Err(RiskError::new(
                        "multiplier",
                        "out_of_range",
                        format!(
                            "must be at least 1, got {multiplier}",
                            multiplier = Float(multiplier)
                        ),
                    ));
                }
                let sigma = positive("sigma", inputs.sigma)?;
                let z = z_score(confidence)?;
                let scaled =
                    checked(z * sigma * (horizon_days / DAYS_PER_YEAR).sqrt() * multiplier)?;
                let (rate, rule) = if scaled > floor {
                    (scaled, "z·σ·√(h/365)·m")
                } else {
                    (floor, "floor")
                };
                Ok(ImrRate {
                    rate,
                    model: self.name(),
                    rule,
                    formula: format!(
                        "max({floor}, {z} × {sigma} × √({horizon_days} / 365) × {multiplier}) = {rate}", floor = Float(floor), z = Float(z), sigma = Float(sigma), horizon_days = Float(horizon_days), multiplier = Float(multiplier), rate = Float(rate)
                    ),
                    inputs: vec![
                        ("floor", floor),
                        ("confidence", confidence),
                        ("z", z),
                        ("sigma", sigma),
                        ("horizonDays", horizon_days),
                        ("multiplier", multiplier),
                    ],
                    source: "parametric VaR margin (CCP practice); margin-models.md §3",
                })
            }
        }
    }
}

/// `z_α = Φ⁻¹(α)`, the one-sided standard-normal quantile (Wichura 1988, AS 241), for
/// `0 < α < 1`. `z_score(0.99) ≈ 2.3263`, `z_score(0.995) ≈ 2.5758`.
pub fn z_score(confidence: f64) -> Result<f64, RiskError> {
    super::open_unit("confidence", confidence)?;
    let z = inverse_norm_cdf(confidence);
    if z.is_finite() {
        Ok(z)
    } else {
        Err(RiskError::new(
            "confidence",
            "out_of_range",
            format!(
                "Φ⁻¹({confidence}) is not finite",
                confidence = Float(confidence)
            ),
        ))
    }
}

/// Maintenance rate as a fixed fraction of the initial rate (margin-models.md §3: "Maintenance
/// is a fixed fraction of initial (e.g. 50 %)"); `fraction` in `[0, 1]`.
pub fn maintenance_from_initial(initial_rate: f64, fraction: f64) -> Result<f64, RiskError> {
    non_negative("initialRate", initial_rate)?;
    rate_param("maintenanceFraction", fraction)?;
    Ok(initial_rate * fraction)
}

/// An option position's delta-equivalent exposure: `|Δ|·Q` units of underlying, worth
/// `|Δ|·Q·S` (margin-models.md §3: "a margin model that uses delta-equivalent exposure charges
/// `|Δ|·N`", with `N = Q·S` the option's underlying notional).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeltaExposure {
    /// The option's delta per unit of underlying (Black-76 `∂V/∂F`, signed: call `> 0`).
    pub delta: f64,
    /// `|Δ|·Q`: units of underlying a future of the same exposure would hold.
    pub size: f64,
    /// `|Δ|·Q·S`: that future's notional (USD).
    pub notional: f64,
}

/// The delta-equivalent charge of an option position under a dynamic model: the model's rate is
/// evaluated on the delta-equivalent size `|Δ|·Q` at the underlying price `S` (as for a future
/// of that size), and the charge is `rate · |Δ|·Q·S` (margin-models.md §3, "Option delta
/// matters: a margin model that uses delta-equivalent exposure charges `|Δ|·N`").
///
/// `inputs.size` is the option position's size `Q` (units of underlying) and `inputs.price` the
/// underlying price `S`; open interest and volatility are passed through to the model. Every
/// model of [`ImrModel`] has a rate non-decreasing in size, so the charge is non-decreasing in
/// `|Δ|` and in `Q`; the volatility model's charge is non-decreasing in `σ`.
///
/// ```
/// use imr::risk::imr::{delta_equivalent_charge, ImrInputs, ImrModel};
/// // 10 units of a 0.5-delta option at S = 60 000 under 2 % + 0.005 %·size:
/// // |Δ|·Q = 5, rate = 0.02 + 0.00005 × 5 = 0.02025, charge = 0.02025 × 5 × 60 000 = 6 075.
/// let m = ImrModel::SizeLinear { base: 0.02, slope_per_unit: 0.00005 };
/// let (rate, exposure, charge) =
///     delta_equivalent_charge(&m, &ImrInputs::new(10.0, 60_000.0), 0.5).unwrap();
/// assert!((exposure.size - 5.0).abs() < 1e-12);
/// assert!((rate.rate - 0.02025).abs() < 1e-15);
/// assert!((charge - 6_075.0).abs() < 1e-9);
/// ```
pub fn delta_equivalent_charge(
    model: &ImrModel,
    inputs: &ImrInputs,
    delta: f64,
) -> Result<(ImrRate, DeltaExposure, f64), RiskError> {
    finite("delta", delta)?;
    if delta.abs() > 1.0 + 1e-12 {
        return Err(RiskError::new(
            "delta",
            "out_of_range",
            format!(
                "an option's delta per unit lies in [−1, 1], got {delta}",
                delta = Float(delta)
            ),
        ));
    }
    let quantity = non_negative("size", inputs.size)?;
    let price = positive("price", inputs.price)?;
    let size = checked(delta.abs().min(1.0) * quantity)?;
    let notional = checked(size * price)?;
    let rate = model.rate(&ImrInputs { size, ..*inputs })?;
    let charge = checked(rate.rate * notional)?;
    Ok((
        rate,
        DeltaExposure {
            delta,
            size,
            notional,
        },
        charge,
    ))
}
