//! Liquidation distance in standard deviations of the horizon move and the probability of
//! touching a price level within the horizon under a lognormal (geometric Brownian motion)
//! model with the user's volatility (margin-models.md §7).
//!
//! With `X_t = ln(S_t / S_0) = ν·t + σ·W_t` (`t` in years), the probability that `X` reaches
//! `b = ln(L / S_0)` before `T = h / 365` is, for `b > 0` (first-passage distribution of Brownian
//! motion with drift; Shreve, *Stochastic Calculus for Finance II*, 2004, §7.2 "Maximum of
//! Brownian motion with drift"; Harrison, *Brownian Motion and Stochastic Flow Systems*, 1985,
//! ch. 1):
//!
//! ```text
//! P(max_{t≤T} X_t ≥ b) = Φ((νT − b)/(σ√T)) + e^{2νb/σ²} · Φ((−b − νT)/(σ√T))
//! ```
//!
//! and, by the symmetry `X → −X`, the same with `(b, ν) → (−b, −ν)` for a level below the price.
//! With `ν = 0` this is the reflection principle, `2·Φ(−|b|/(σ√T))` (Shreve II, §3.7 "Reflection principle").
//! The second term is evaluated as `½·erfcx(y/√2)·exp(−(|b| − ν'T)²/(2σ²T))` when its argument is
//! negative, so no `∞ · 0` arises for tiny volatilities.
//!
//! ```
//! use imr::risk::touch::{distance_sigmas, touch_probability, Drift};
//! // Liquidation 10 % below a 60 000 mark, σ = 60 %, one day.
//! let d = distance_sigmas(60_000.0, 54_000.0, 0.6, 1.0).unwrap();
//! assert!((d - (0.9f64).ln() / (0.6 * (1.0f64 / 365.0).sqrt())).abs() < 1e-12);
//! let p = touch_probability(60_000.0, 54_000.0, 0.6, 1.0, Drift::ZeroLogDrift).unwrap();
//! assert!(p.probability > 0.0 && p.probability < 0.01);
//! ```

use super::{positive, RiskError, DAYS_PER_YEAR};
use crate::fmath::DetMath;
use crate::pricing::normal::{erfcx, norm_cdf};

/// Drift of the log price `ν` (per year).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Drift {
    /// Driftless price, `dS = σ·S·dW` (a martingale): `ν = −σ²/2`. Default.
    #[default]
    Martingale,
    /// Driftless log price, `ν = 0`: the reflection principle, `P = 2·Φ(−|d|)` with `d` the
    /// distance in standard deviations.
    ZeroLogDrift,
    /// A given log drift `ν` per year.
    Log(f64),
}

impl Drift {
    /// `ν` per year for volatility `sigma`.
    pub fn nu(&self, sigma: f64) -> f64 {
        match *self {
            Drift::Martingale => -0.5 * sigma * sigma,
            Drift::ZeroLogDrift => 0.0,
            Drift::Log(nu) => nu,
        }
    }

    /// Name: `martingale`, `zero_log_drift`, `log_drift`.
    pub fn name(&self) -> &'static str {
        match self {
            Drift::Martingale => "martingale",
            Drift::ZeroLogDrift => "zero_log_drift",
            Drift::Log(_) => "log_drift",
        }
    }
}

/// A touch probability and the numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct TouchProbability {
    /// Probability in `[0, 1]` of touching the level within the horizon.
    pub probability: f64,
    /// `ln(L/P) / (σ·√(h/365))`, signed (negative below the price).
    pub distance_sigmas: f64,
    /// `ln(L/P)`.
    pub log_distance: f64,
    /// `σ·√(h/365)`.
    pub horizon_sigma: f64,
    /// `ν` per year used.
    pub nu: f64,
    /// The drift convention's name.
    pub drift: &'static str,
}

fn check(price: f64, level: f64, sigma: f64, horizon_days: f64) -> Result<(), RiskError> {
    positive("price", price)?;
    positive("level", level)?;
    positive("sigma", sigma)?;
    positive("horizonDays", horizon_days)?;
    Ok(())
}

/// Signed distance from `price` to `level` in standard deviations of the horizon's log move:
/// `ln(L/P) / (σ·√(h/365))` (margin-models.md §7).
///
/// Errors: `price`, `level`, `sigma`, `horizonDays` `not_finite`/`not_positive`;
/// `sigma` `out_of_range` when `σ·√(h/365)` underflows to zero.
pub fn distance_sigmas(
    price: f64,
    level: f64,
    sigma: f64,
    horizon_days: f64,
) -> Result<f64, RiskError> {
    check(price, level, sigma, horizon_days)?;
    let s = sigma * (horizon_days / DAYS_PER_YEAR).sqrt();
    let d = (level / price).dln() / s;
    if s > 0.0 && d.is_finite() {
        Ok(d)
    } else {
        Err(RiskError::new(
            "sigma",
            "out_of_range",
            "σ·√(h/365) is too small to measure a distance",
        ))
    }
}

/// Signed distance as a fraction of the price, `L/P − 1` (`−0.1` = 10 % below).
pub fn distance_fraction(price: f64, level: f64) -> Result<f64, RiskError> {
    positive("price", price)?;
    positive("level", level)?;
    Ok(level / price - 1.0)
}

/// Probability that the price touches `level` within `horizon_days` (see the module
/// documentation for the formula and its sources). A level equal to the price has
/// probability 1.
///
/// Errors: as [`distance_sigmas`]; `drift` `not_finite` for a non-finite [`Drift::Log`].
pub fn touch_probability(
    price: f64,
    level: f64,
    sigma: f64,
    horizon_days: f64,
    drift: Drift,
) -> Result<TouchProbability, RiskError> {
    check(price, level, sigma, horizon_days)?;
    let nu = drift.nu(sigma);
    super::finite("drift", nu)?;
    let t = horizon_days / DAYS_PER_YEAR;
    let s = sigma * t.sqrt();
    let b = (level / price).dln();
    if s <= 0.0 || !(b / s).is_finite() {
        return Err(RiskError::new(
            "sigma",
            "out_of_range",
            "σ·√(h/365) is too small to measure a distance",
        ));
    }
    let probability = if b == 0.0 {
        1.0
    } else {
        // Reflect a lower barrier to an upper one: B = |b|, ν' = sign(b)·ν.
        let big_b = b.abs();
        let nu_r = if b > 0.0 { nu } else { -nu };
        let first = norm_cdf((nu_r * t - big_b) / s);
        let y = (big_b + nu_r * t) / s;
        let second = if y > 0.0 {
            let gap = (big_b - nu_r * t) / s;
            0.5 * erfcx(y * core::f64::consts::FRAC_1_SQRT_2) * (-0.5 * gap * gap).dexp()
        } else {
            // Here ν' < 0, so the exponent 2ν'B/σ² is negative: no overflow.
            (2.0 * nu_r * big_b / (sigma * sigma)).dexp() * norm_cdf(-y)
        };
        let p = first + second;
        if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            return Err(RiskError::new(
                "sigma",
                "out_of_range",
                "the touch probability cannot be evaluated for these inputs",
            ));
        }
    };
    Ok(TouchProbability {
        probability,
        distance_sigmas: b / s,
        log_distance: b,
        horizon_sigma: s,
        nu,
        drift: drift.name(),
    })
}
