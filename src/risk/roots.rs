//! Liquidation prices of a whole book: the roots of `f(P) = equity(P) − MM(P)` below and above
//! the mark (margin-models.md §7: "for a portfolio with options this is the root of
//! `equity(P) = MM(P)` below and above the mark, possibly none").
//!
//! Method: `f` is evaluated on a geometric grid walking outward from the mark on each side
//! (`P_k = mark · factor^(k/steps)`); every sign change between consecutive finite values is a
//! bracket, refined by bisection on the geometric mean until the bracket is narrower than the
//! relative tolerance. All roots found are reported, nearest first, each with the direction of
//! the crossing. A pair of roots closer together than one grid step (about 0.5 % with the
//! defaults) can be missed; points where a closure is not finite are gaps that no bracket spans.
//!
//! ```
//! use imr::risk::roots::{liquidation_roots, RootSearch};
//! // dYdX isolated short: equity 1000 − 3·(P − 3000), MM 3·P·5 % → P = 3174.603…
//! let r = liquidation_roots(3000.0, |p| 1000.0 - 3.0 * (p - 3000.0), |p| 3.0 * p * 0.05,
//!                           &RootSearch::default()).unwrap();
//! assert!(r.below.is_empty());
//! assert!((r.nearest_above.unwrap() - 3174.6031746).abs() < 1e-6);
//! ```

use super::{positive, RiskError};
use crate::fmath::DetMath;

/// Search settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RootSearch {
    /// Lowest price searched, as a fraction of the mark (`1e-4`).
    pub min_factor: f64,
    /// Highest price searched, as a multiple of the mark (`1e4`).
    pub max_factor: f64,
    /// Grid points on each side (`2000`: steps of about 0.46 % with the default range).
    pub steps_per_side: usize,
    /// Relative width at which bisection stops (`1e-12`).
    pub rel_tolerance: f64,
}

impl Default for RootSearch {
    fn default() -> Self {
        RootSearch {
            min_factor: 1e-4,
            max_factor: 1e4,
            steps_per_side: 2000,
            rel_tolerance: 1e-12,
        }
    }
}

/// Direction of a crossing, moving away from the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// `equity − MM` turns negative: the account becomes liquidatable beyond this price.
    IntoLiquidation,
    /// `equity − MM` turns positive again (after an earlier `IntoLiquidation`, or when the
    /// account is already below maintenance at the mark).
    OutOfLiquidation,
}

/// One root.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Root {
    /// The price (midpoint of the final bracket).
    pub price: f64,
    /// The final bracket `(lo, hi)`, `lo < hi`.
    pub bracket: (f64, f64),
    /// Direction, moving away from the mark.
    pub crossing: Crossing,
}

/// Every root found.
#[derive(Debug, Clone, PartialEq)]
pub struct LiquidationRoots {
    /// The mark.
    pub mark: f64,
    /// `equity(mark) − MM(mark)`.
    pub margin_at_mark: f64,
    /// `true` when `equity(mark) < MM(mark)`.
    pub liquidatable_at_mark: bool,
    /// Roots below the mark, nearest first.
    pub below: Vec<Root>,
    /// Roots above the mark, nearest first.
    pub above: Vec<Root>,
    /// The nearest `IntoLiquidation` root below the mark (the liquidation price for a fall).
    pub nearest_below: Option<f64>,
    /// The nearest `IntoLiquidation` root above the mark (the liquidation price for a rise).
    pub nearest_above: Option<f64>,
    /// The price range searched.
    pub searched: (f64, f64),
    /// Grid points where a closure was not finite.
    pub gaps: usize,
    /// Closure evaluations (each calls both closures once).
    pub evaluations: usize,
}

/// Finds the roots of `equity(P) − MM(P)` around `mark` (see the module documentation).
///
/// Errors: `mark` `not_positive`; `minFactor` (must be in `(0, 1)`), `maxFactor` (`> 1`),
/// `stepsPerSide` (1 … 1 000 000), `relTolerance` (`> 0`) `out_of_range`; `mark`
/// `valuation_not_finite` when either closure is not finite at the mark.
pub fn liquidation_roots<E, M>(
    mark: f64,
    equity: E,
    maintenance: M,
    search: &RootSearch,
) -> Result<LiquidationRoots, RiskError>
where
    E: Fn(f64) -> f64,
    M: Fn(f64) -> f64,
{
    positive("mark", mark)?;
    super::open_unit("minFactor", search.min_factor)?;
    positive("maxFactor", search.max_factor)?;
    if search.max_factor <= 1.0 {
        return Err(RiskError::new(
            "maxFactor",
            "out_of_range",
            format!("must be greater than 1, got {}", search.max_factor),
        ));
    }
    if search.steps_per_side == 0 || search.steps_per_side > 1_000_000 {
        return Err(RiskError::new(
            "stepsPerSide",
            "out_of_range",
            format!(
                "must lie between 1 and 1000000, got {}",
                search.steps_per_side
            ),
        ));
    }
    positive("relTolerance", search.rel_tolerance)?;
    let mut evaluations = 0usize;
    let mut f = |p: f64| {
        evaluations += 1;
        let v = equity(p) - maintenance(p);
        if v.is_finite() {
            Some(v)
        } else {
            None
        }
    };
    let Some(f_mark) = f(mark) else {
        return Err(RiskError::new(
            "mark",
            "valuation_not_finite",
            "equity or maintenance margin is not finite at the mark",
        ));
    };
    let mut gaps = 0usize;
    let mut sides: [Vec<Root>; 2] = [Vec::new(), Vec::new()];
    let lo_price = mark * search.min_factor;
    let hi_price = mark * search.max_factor;
    for (side, factor) in [search.min_factor, search.max_factor]
        .into_iter()
        .enumerate()
    {
        let step = factor.dln() / search.steps_per_side as f64;
        // Last point with a non-zero finite value: (price, value).
        let mut last = if f_mark != 0.0 {
            Some((mark, f_mark))
        } else {
            None
        };
        for k in 1..=search.steps_per_side {
            let p = if k == search.steps_per_side {
                mark * factor
            } else {
                mark * (step * k as f64).dexp()
            };
            if !(p.is_finite() && p > 0.0) {
                break;
            }
            match f(p) {
                None => {
                    gaps += 1;
                    last = None;
                }
                Some(0.0) => {}
                Some(v) => {
                    if let Some((p0, v0)) = last {
                        if (v0 > 0.0) != (v > 0.0) {
                            let (root, bracket) = bisect(&mut f, p0, v0, p, search.rel_tolerance);
                            sides[side].push(Root {
                                price: root,
                                bracket,
                                crossing: if v0 > 0.0 {
                                    Crossing::IntoLiquidation
                                } else {
                                    Crossing::OutOfLiquidation
                                },
                            });
                        }
                    }
                    last = Some((p, v));
                }
            }
        }
    }
    let [below, above] = sides;
    let nearest = |roots: &[Root]| {
        roots
            .iter()
            .find(|r| r.crossing == Crossing::IntoLiquidation)
            .map(|r| r.price)
    };
    Ok(LiquidationRoots {
        mark,
        margin_at_mark: f_mark,
        liquidatable_at_mark: f_mark < 0.0,
        nearest_below: nearest(&below),
        nearest_above: nearest(&above),
        below,
        above,
        searched: (lo_price, hi_price),
        gaps,
        evaluations,
    })
}

/// Bisection on the geometric mean between `a` (value `fa ≠ 0`) and `b` (opposite sign).
fn bisect<F>(f: &mut F, a: f64, fa: f64, b: f64, tol: f64) -> (f64, (f64, f64))
where
    F: FnMut(f64) -> Option<f64>,
{
    let (mut lo, mut hi) = if a < b { (a, b) } else { (b, a) };
    // Sign of f at `lo`.
    let mut lo_positive = if a < b { fa > 0.0 } else { fa <= 0.0 };
    for _ in 0..200 {
        if hi - lo <= tol * lo {
            break;
        }
        let mid = (lo * hi).sqrt();
        if !(mid > lo && mid < hi) {
            break;
        }
        match f(mid) {
            Some(0.0) => return (mid, (mid, mid)),
            Some(v) => {
                if (v > 0.0) == lo_positive {
                    lo = mid;
                    lo_positive = v > 0.0;
                } else {
                    hi = mid;
                }
            }
            // A gap inside the bracket: stop and report the bracket as found.
            None => break,
        }
    }
    (0.5 * (lo + hi), (lo, hi))
}
