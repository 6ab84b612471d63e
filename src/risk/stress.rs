//! Stress tests: the book's P&L under named scenarios of (price move, volatility shift, days
//! forward), by full revaluation with the valuation closure:
//! `PnL = V(S·(1 + move), volShift, days) − V(S, 0, 0)`.
//!
//! ```
//! use imr::risk::stress::{stress_test, StressScenario};
//! let scenarios = [StressScenario::new("crash -30%", -0.30, 0.0, 0.0)];
//! let r = stress_test(100.0, &scenarios, |s, _, _| 2.0 * s).unwrap();
//! assert!((r[0].pnl + 60.0).abs() < 1e-12);
//! ```

use super::{finite, non_negative, positive, valuation, RiskError};
use crate::money::Float;

/// One stress scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct StressScenario {
    /// Name shown in the breakdown.
    pub name: String,
    /// Relative price move as a fraction (`−0.2` = −20 %), `> −1`.
    pub price_move: f64,
    /// Volatility shift passed to the closure (the closure's convention, e.g. additive).
    pub vol_shift: f64,
    /// Calendar days forward, `≥ 0`.
    pub days_forward: f64,
}

impl StressScenario {
    /// A scenario.
    pub fn new(
        name: impl Into<String>,
        price_move: f64,
        vol_shift: f64,
        days_forward: f64,
    ) -> Self {
        Self {
            name: name.into(),
            price_move,
            vol_shift,
            days_forward,
        }
    }
}

/// A stress result.
#[derive(Debug, Clone, PartialEq)]
pub struct StressResult {
    /// The scenario's name.
    pub name: String,
    /// Shocked underlying price `S·(1 + move)`.
    pub price: f64,
    /// The volatility shift.
    pub vol_shift: f64,
    /// Days forward.
    pub days_forward: f64,
    /// Book value in the scenario.
    pub value: f64,
    /// `value − V(S, 0, 0)`.
    pub pnl: f64,
}

/// Revalues the book in every scenario. The closure is called `1 + scenarios` times.
///
/// Errors: `price` `not_positive`; `scenarios[i].priceMove` `out_of_range` (`≤ −1`) or
/// `not_finite`; `scenarios[i].volShift` `not_finite`; `scenarios[i].daysForward` `negative`;
/// `scenarios[i]` `valuation_not_finite`.
pub fn stress_test<V>(
    price: f64,
    scenarios: &[StressScenario],
    value: V,
) -> Result<Vec<StressResult>, RiskError>
where
    V: Fn(f64, f64, f64) -> f64,
{
    positive("price", price)?;
    for (i, sc) in scenarios.iter().enumerate() {
        let f = format!("scenarios[{i}]");
        finite(&crate::error::dotted(&f, "priceMove"), sc.price_move)?;
        if sc.price_move <= -1.0 {
            return Err(RiskError::new(
                crate::error::dotted(&f, "priceMove"),
                "out_of_range",
                format!(
                    "a move of {} takes the price to zero or below",
                    Float(sc.price_move)
                ),
            ));
        }
        finite(&crate::error::dotted(&f, "volShift"), sc.vol_shift)?;
        non_negative(&crate::error::dotted(&f, "daysForward"), sc.days_forward)?;
    }
    let base = valuation(&value, "price", "the base case", price, 0.0, 0.0)?;
    scenarios
        .iter()
        .enumerate()
        .map(|(i, sc)| {
            let p = price * (1.0 + sc.price_move);
            let v = valuation(
                &value,
                &format!("scenarios[{i}]"),
                &format!("stress scenario '{}'", sc.name),
                p,
                sc.vol_shift,
                sc.days_forward,
            )?;
            let pnl = v - base;
            if !pnl.is_finite() {
                return Err(RiskError::new(
                    format!("scenarios[{i}]"),
                    "valuation_not_finite",
                    "the scenario P&L overflows the range of f64",
                ));
            }
            Ok(StressResult {
                name: sc.name.clone(),
                price: p,
                vol_shift: sc.vol_shift,
                days_forward: sc.days_forward,
                value: v,
                pnl,
            })
        })
        .collect()
}
