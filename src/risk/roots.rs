//! Liquidation prices of a whole book: the roots of `f(P) = equity(P) − MM(P)` below and above
//! the mark (margin-models.md §7: "for a portfolio with options this is the root of
//! `equity(P) = MM(P)` below and above the mark, possibly none").
//!
//! Method: `f` is evaluated on a graded geometric grid walking outward from the mark on each
//! side: the spacing in `ln P` starts at `first_step` at the mark and grows by a constant factor
//! so that `steps_per_side` points reach the end of the range (fine where liquidation prices
//! matter, coarse where only a far-away root can hide). Every sign change between consecutive
//! finite values is a bracket; so is a dip between grid points: where three consecutive values
//! of one sign come closest to zero in the middle and the parabola through them crosses zero, a
//! golden-section search looks for the sign change that two close roots would leave. Each
//! bracket is refined with Brent's method (R. P. Brent, "Algorithms for Minimization without
//! Derivatives", 1973, ch. 4: inverse quadratic interpolation, secant and bisection steps, the
//! bracket kept at every step) until it is narrower than the relative tolerance. All roots found
//! are reported, nearest first, each with the direction of the crossing. Points where a closure
//! is not finite are gaps that no bracket spans.
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
use crate::money::Float;

/// Stable insertion sort for the few roots or prices of one search (tens at most): the order
/// `slice::sort_by` gives, without one more instantiation of the standard library's driftsort
/// (~2–3 KB of wasm per element type and comparison).
pub(crate) fn sort_few_by<T>(items: &mut [T], mut order: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && order(&items[j - 1], &items[j]) == std::cmp::Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Sorts doubles in `f64::total_cmp` order (−NaN, −∞, …, −0, +0, …, +∞, +NaN) by heapsort:
/// the result of `sort_by(f64::total_cmp)` (elements equal in that order are identical bits, so
/// stability cannot show), in O(n log n) for the VaR window's scenario P&L and a book's
/// liquidation roots, without the standard library's driftsort in the module (~4.6 KB of wasm).
pub(crate) fn sort_floats(values: &mut [f64]) {
    fn sift_down(values: &mut [f64], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && values[child].total_cmp(&values[child + 1]).is_lt() {
                child += 1;
            }
            if values[root].total_cmp(&values[child]).is_ge() {
                return;
            }
            values.swap(root, child);
            root = child;
        }
    }
    let len = values.len();
    for root in (0..len / 2).rev() {
        sift_down(values, root, len);
    }
    for end in (1..len).rev() {
        values.swap(0, end);
        sift_down(values, 0, end);
    }
}

/// Search settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RootSearch {
    /// Lowest price searched, as a fraction of the mark (`1e-4`).
    pub min_factor: f64,
    /// Highest price searched, as a multiple of the mark (`1e4`).
    pub max_factor: f64,
    /// Grid points on each side (`160`).
    pub steps_per_side: usize,
    /// Spacing of the first grid step in `ln P` (`0.0025`, a quarter of a percent); later
    /// steps grow geometrically (uniform spacing if that already reaches the end).
    pub first_step: f64,
    /// Relative width at which a bracket's refinement stops (`1e-12`).
    pub rel_tolerance: f64,
}

impl Default for RootSearch {
    fn default() -> Self {
        RootSearch {
            min_factor: 1e-4,
            max_factor: 1e4,
            steps_per_side: 160,
            first_step: 0.0025,
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
/// `stepsPerSide` (1 … 1 000 000), `firstStep`, `relTolerance` (`> 0`) `out_of_range`; `mark`
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
            format!("must be greater than 1, got {}", Float(search.max_factor)),
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
    positive("firstStep", search.first_step)?;
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
    let tol = search.rel_tolerance;
    for (side, factor) in [search.min_factor, search.max_factor]
        .into_iter()
        .enumerate()
    {
        let grid = Grid::new(factor.dln(), search.steps_per_side, search.first_step);
        // The last two points with a non-zero finite value, nearest the mark last: (price, value).
        let mut last: Option<(f64, f64)> = (f_mark != 0.0).then_some((mark, f_mark));
        let mut before: Option<(f64, f64)> = None;
        for k in 1..=search.steps_per_side {
            let p = if k == search.steps_per_side {
                mark * factor
            } else {
                mark * grid.offset(k).dexp()
            };
            if !(p.is_finite() && p > 0.0) {
                break;
            }
            match f(p) {
                None => {
                    gaps += 1;
                    last = None;
                    before = None;
                }
                Some(0.0) => {}
                Some(v) => {
                    if let Some((p0, v0)) = last {
                        if (v0 > 0.0) != (v > 0.0) {
                            sides[side].push(refine(&mut f, (p0, v0), (p, v), tol));
                        } else if let Some(b) = before {
                            // Same sign three times: two close roots may hide between
                            // `before` and `p` if the middle value dips towards zero.
                            if let Some(q) = dip(&mut f, b, (p0, v0), (p, v)) {
                                sides[side].push(refine(&mut f, b, q, tol));
                                sides[side].push(refine(&mut f, q, (p, v), tol));
                            }
                        }
                    }
                    before = last;
                    last = Some((p, v));
                }
            }
        }
        // Nearest the mark first, whatever order the dips were found in.
        sort_few_by(&mut sides[side], |a, b| {
            let da = (a.price / mark).dln().abs();
            let db = (b.price / mark).dln().abs();
            da.total_cmp(&db)
        });
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

/// Offsets `u_k` (in `ln P`, from the mark) of a graded grid: `u_k = h·(g^k − 1)/(g − 1)`,
/// `g ≥ 1` chosen so that `u_steps = end`.
struct Grid {
    end: f64,
    first: f64,
    growth: f64,
}

impl Grid {
    fn new(end: f64, steps: usize, first_step: f64) -> Grid {
        let length = end.abs();
        let n = steps as f64;
        if first_step * n >= length || steps < 2 {
            // Uniform spacing already reaches the end.
            return Grid {
                end,
                first: length / n,
                growth: 1.0,
            };
        }
        // Σ_{k<n} h·g^k = length, increasing in g: bisection between 1 and an upper bound.
        let reach = |g: f64| first_step * ((g.dln() * n).dexp() - 1.0) / (g - 1.0);
        let (mut lo, mut hi) = (1.0, 2.0);
        while reach(hi) < length {
            hi *= 2.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if reach(mid) < length {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Grid {
            end,
            first: first_step,
            growth: hi,
        }
    }

    fn offset(&self, k: usize) -> f64 {
        let u = if self.growth == 1.0 {
            self.first * k as f64
        } else {
            self.first * ((self.growth.dln() * k as f64).dexp() - 1.0) / (self.growth - 1.0)
        };
        u.min(self.end.abs()).copysign(self.end)
    }
}

/// Between `a` and `c` (same sign as `b`, nearer the mark last), where `|f(b)|` is below both
/// neighbours and the parabola through the three (in `ln P`) reaches zero, a golden-section
/// search for a point of the opposite sign: returns it, or `None` when the dip stays on one side.
fn dip<F>(f: &mut F, a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> Option<(f64, f64)>
where
    F: FnMut(f64) -> Option<f64>,
{
    let sign = if b.1 > 0.0 { 1.0 } else { -1.0 };
    let (ya, yb, yc) = (sign * a.1, sign * b.1, sign * c.1);
    if !(yb < ya && yb < yc) {
        return None;
    }
    let (ua, ub, uc) = (a.0.dln(), b.0.dln(), c.0.dln());
    // Vertex of the parabola through the three points.
    let (d1, d2) = ((yb - ya) / (ub - ua), (yc - yb) / (uc - ub));
    let curvature = (d2 - d1) / (uc - ua);
    if curvature.is_nan() || curvature <= 0.0 {
        return None;
    }
    let slope_at_b = d1 + curvature * (ub - ua);
    let lowest = yb - slope_at_b * slope_at_b / (4.0 * curvature);
    if lowest > 0.0 {
        return None;
    }
    // Golden-section search for the minimum of sign·f over [ua, uc], stopping at the first
    // point of the opposite sign.
    const INV_PHI: f64 = 0.618_033_988_749_895;
    let (mut lo, mut hi) = if ua < uc { (ua, uc) } else { (uc, ua) };
    let mut x1 = hi - INV_PHI * (hi - lo);
    let mut x2 = lo + INV_PHI * (hi - lo);
    let eval = |f: &mut F, u: f64| -> Option<(f64, f64)> {
        let p = u.dexp();
        f(p).map(|v| (p, v))
    };
    let (mut p1, mut v1) = eval(f, x1)?;
    let (mut p2, mut v2) = eval(f, x2)?;
    for _ in 0..60 {
        if sign * v1 < 0.0 {
            return Some((p1, v1));
        }
        if sign * v2 < 0.0 {
            return Some((p2, v2));
        }
        if hi - lo <= 1e-9 * (1.0 + lo.abs()) {
            break;
        }
        if sign * v1 < sign * v2 {
            hi = x2;
            x2 = x1;
            (p2, v2) = (p1, v1);
            x1 = hi - INV_PHI * (hi - lo);
            (p1, v1) = eval(f, x1)?;
        } else {
            lo = x1;
            x1 = x2;
            (p1, v1) = (p2, v2);
            x2 = lo + INV_PHI * (hi - lo);
            (p2, v2) = eval(f, x2)?;
        }
    }
    None
}

/// The root between `near` (nearer the mark) and `far`, whose values have opposite signs.
#[inline(never)]
fn refine<F>(f: &mut F, near: (f64, f64), far: (f64, f64), tol: f64) -> Root
where
    F: FnMut(f64) -> Option<f64>,
{
    let (price, bracket) = brent(f, near, far, tol);
    Root {
        price,
        bracket,
        crossing: if near.1 > 0.0 {
            Crossing::IntoLiquidation
        } else {
            Crossing::OutOfLiquidation
        },
    }
}

/// Brent's method on the bracket `[a, b]` (values of opposite signs) to a bracket narrower
/// than `tol` relative: returns the best estimate and the final bracket `(lo, hi)`. A value
/// that is not finite inside the bracket stops the refinement at the bracket found so far.
fn brent<F>(f: &mut F, a: (f64, f64), b: (f64, f64), tol: f64) -> (f64, (f64, f64))
where
    F: FnMut(f64) -> Option<f64>,
{
    let ((mut a, mut fa), (mut b, mut fb)) = (a, b);
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    let bracket = |b: f64, c: f64| if b < c { (b, c) } else { (c, b) };
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            // Keep c on the other side of the root from b.
            (c, fc) = (a, fa);
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            (a, fa) = (b, fb);
            (b, fb) = (c, fc);
            (c, fc) = (a, fa);
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol * b.abs();
        let m = 0.5 * (c - b);
        if m.abs() <= tol1 || fb == 0.0 {
            return (b, bracket(b, c));
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            // Interpolation: secant (two points) or inverse quadratic (three).
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * m * s, 1.0 - s)
            } else {
                let q = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * m * q * (q - r) - (b - a) * (r - 1.0)),
                    (q - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        (a, fa) = (b, fb);
        b += if d.abs() > tol1 { d } else { tol1.copysign(m) };
        match f(b) {
            Some(v) => fb = v,
            None => return (0.5 * (a + c), bracket(a, c)),
        }
    }
    (b, bracket(b, c))
}

#[cfg(test)]
mod tests {
    use super::{sort_few_by, sort_floats};
    use proptest::strategy::Strategy;

    proptest::proptest! {
        /// Bit for bit the order of `sort_by(f64::total_cmp)`, NaNs and signed zeros included.
        #[test]
        fn sort_floats_is_total_cmp_order(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<f64>(),
                    proptest::sample::select(vec![0.0, -0.0, f64::NAN, -f64::NAN, f64::INFINITY, 1.0, -1.0]),
                    (0u8..4).prop_map(f64::from),
                ],
                0..300,
            )
        ) {
            let mut ours = values.clone();
            let mut std_sorted = values;
            sort_floats(&mut ours);
            std_sorted.sort_by(f64::total_cmp);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&ours), bits(&std_sorted));
        }
    }

    #[test]
    fn sort_few_by_is_the_stable_sort() {
        // Pseudo-random keys with many ties; the payload records the original position.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for len in 0..60 {
            let items: Vec<(u64, usize)> = (0..len)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 7, i)
                })
                .collect();
            let mut ours = items.clone();
            let mut std_sorted = items;
            sort_few_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std_sorted.sort_by_key(|a| a.0);
            assert_eq!(ours, std_sorted, "length {len}");
        }
    }
}
