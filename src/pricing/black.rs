//! Black-76 (forward) and Black–Scholes (spot) prices and Greeks.
//!
//! Sources:
//! * F. Black, "The pricing of commodity contracts", Journal of Financial Economics 3 (1976),
//!   167–179 (the forward formula and its discounting).
//! * F. Black and M. Scholes, "The pricing of options and corporate liabilities", Journal of
//!   Political Economy 81 (1973), 637–654 (spot formula; here without dividends).
//! * The Greeks are the analytic derivatives of those formulas as stated, with units, in the
//!   `meta.conventions` of `tests/vectors/options/black76.json` and `black_scholes.json`; see
//!   also J. Hull, "Options, Futures, and Other Derivatives", ch. 18–19.
//! * The normalised Black function is evaluated as in P. Jäckel, "Let's Be Rational",
//!   Wilmott Magazine, January 2015, 40–53 (reference implementation © 2013–2014 P. Jäckel):
//!   out-of-the-money only (in-the-money via put–call parity), an asymptotic expansion for far
//!   out-of-the-money, a small-`t` expansion for small total volatility, and otherwise
//!   `b = ½·exp(−½(h²+t²))·[erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)]` with Cody's `erfcx`. This
//!   keeps full relative precision even for prices of 1e-300 and uses a single exponential per
//!   evaluation, which the Greeks reuse (`F·φ(d1) = √(FK)·exp(−½(h²+t²))/√(2π)`).
//!
//! In normalised coordinates `x = ln(F/K)`, `s = σ√T`, `h = x/s`, `t = s/2`,
//! `d1 = h + t`, `d2 = h − t`, the undiscounted call price is `√(FK)·b(x, s)` with
//! `b(x, s) = exp(x/2)·Φ(d1) − exp(−x/2)·Φ(d2)`.

use super::normal::{
    erf_central, erfcx_far_correction, erfcx_positive, CODY_THRESHOLD, ONE_OVER_SQRT_TWO,
    ONE_OVER_SQRT_TWO_PI, SQRT_TWO_PI,
};
use super::{check_finite, check_positive, Field, Greeks, Model, OptionKind, PricingError};
use crate::fmath::DetMath;

/// `√π`.
pub(crate) const SQRT_PI: f64 = 1.7724538509055159;

/// Jäckel's `η`: below `h = x/s = η` the asymptotic expansion is used (Jäckel 2015; reference `asymptotic_expansion_accuracy_threshold`).
pub(crate) const ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD: f64 = -10.0;
/// Jäckel's `τ = 2·ε^(1/16)`: below `t = s/2 = τ` the small-`t` expansion is used.
pub(crate) const SMALL_T_EXPANSION_THRESHOLD: f64 = 0.21022410381342865;
/// Largest accepted `|ln(F/K)|`: beyond it `exp(±x/2)` leaves the comfortable range of `f64`.
pub(crate) const MAX_ABS_LOG_MONEYNESS: f64 = 700.0;
/// Below this Gaussian factor the per-term factors are recomputed directly (subnormal guard).
const GAUSS_SUBNORMAL_GUARD: f64 = 1e-290;

/// `exp(z)` for `|z| ≤ 0.025` by its Taylor series to `z⁸/8!` (truncation below `3e-21`).
#[inline(always)]
fn exp_small(z: f64) -> f64 {
    const C: [f64; 9] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
    ];
    horner(&C, z)
}

/// Clamp at zero while letting NaN through to the final finiteness check (Jäckel's
/// `fabs(max(b, 0))`).
#[inline(always)]
fn non_negative(b: f64) -> f64 {
    if b < 0.0 {
        0.0
    } else {
        b
    }
}

/// `(Φ(d), Φ(−d), tail_form, erfcx(|d|/√2))` given `g() = exp(−d²/2)` (only evaluated in the
/// tail).
///
/// For `|d|/√2 ≤ 0.46875` Cody's erf rational is used (no exponential); otherwise the smaller
/// tail is `½·g·erfcx(|d|/√2)` with Cody's exponential-free erfcx rationals (Cody 1969).
#[inline(always)]
fn cdf_pair(d: f64, g: impl FnOnce() -> f64) -> (f64, f64, bool, f64) {
    let y = d.abs() * ONE_OVER_SQRT_TWO;
    if y <= CODY_THRESHOLD {
        let e = erf_central(d * ONE_OVER_SQRT_TWO);
        (0.5 + 0.5 * e, 0.5 - 0.5 * e, false, 0.0)
    } else {
        let xc = erfcx_positive(y);
        let tail = 0.5 * g() * xc;
        if d < 0.0 {
            (tail, 1.0 - tail, true, xc)
        } else {
            (1.0 - tail, tail, false, xc)
        }
    }
}

/// Asymptotic expansion of the normalised Black call for `h < η` (Jäckel 2015 and the
/// reference `asymptotic_expansion_of_normalized_black_call`; Abramowitz & Stegun 26.2.12):
/// `b = exp(−½(h²+t²))/√(2π)·(t/r)·A(h, t)` with `r = (h+t)(h−t)` and, in `q = (h/r)²`,
/// `e = (t/h)²`, the series of Jäckel's 17th-order expansion
/// `A = Σₖ (−1)ᵏ (2k−1)!! qᵏ Pₖ(e)`, `Pₖ(e) = 2·Σⱼ C(2k+1, 2j+1)·eʲ`.
///
/// The coefficient polynomials satisfy `Pₖ₊₁ = 2(1+e)·Pₖ − (1−e)²·Pₖ₋₁` (they are
/// `((1+√e)^(2k+1) − (1−√e)^(2k+1))/√e`), so each order costs a handful of operations, and the
/// summation stops once a term no longer affects the sum; at most the reference's 17 orders are
/// used. `gauss = exp(−½(h²+t²))`.
#[inline]
fn asymptotic_expansion_of_normalised_black_call(h: f64, t: f64, gauss: f64) -> f64 {
    let e = (t / h) * (t / h);
    let r = (h + t) * (h - t);
    let q = (h / r) * (h / r);
    let two_one_plus_e = 2.0 * (1.0 + e);
    let one_minus_e_squared = (1.0 - e) * (1.0 - e);
    let mut p_previous = 2.0;
    let mut p = 6.0 + 2.0 * e;
    let mut coefficient = -q;
    let mut sum = 2.0 + coefficient * p;
    for k in 1..17 {
        let p_next = two_one_plus_e * p - one_minus_e_squared * p_previous;
        p_previous = p;
        p = p_next;
        coefficient *= -f64::from(2 * k + 1) * q;
        let term = coefficient * p;
        sum += term;
        if term.abs() <= 0.125 * f64::EPSILON * sum.abs() {
            break;
        }
    }
    non_negative(ONE_OVER_SQRT_TWO_PI * gauss * (t / r) * sum)
}

// Jäckel's small-`t` expansion `b = 2t·exp(−½(h²+t²))/√(2π)·Σₖ wᵏ·cₖ(a, h²)`, `w = t²`,
// `cₖ` linear in `a`, regrouped as `A(w, h²) + a·B(w, h²)`: row `k` holds the coefficients of
// `wᵏ` as polynomials in `h²` (lowest power first). Exact rationals of the reference expansion
// (e.g. (−7 − h²)/120 for w² in A); `B = exp(w/2)·sinh(ht)/(ht)`.
pub(crate) const SMALL_T_A1: [f64; 1] = [-1.0 / 6.0];
pub(crate) const SMALL_T_A2: [f64; 2] = [-7.0 / 120.0, -1.0 / 120.0];
pub(crate) const SMALL_T_A3: [f64; 3] = [-19.0 / 1680.0, -1.0 / 280.0, -1.0 / 5040.0];
pub(crate) const SMALL_T_A4: [f64; 4] = [
    -187.0 / 120960.0,
    -19.0 / 24192.0,
    -11.0 / 120960.0,
    -1.0 / 362880.0,
];
pub(crate) const SMALL_T_A5: [f64; 5] = [
    -437.0 / 2661120.0,
    -13.0 / 110880.0,
    -1.0 / 47520.0,
    -13.0 / 9979200.0,
    -1.0 / 39916800.0,
];
pub(crate) const SMALL_T_A6: [f64; 6] = [
    -1979.0 / 138378240.0,
    -263.0 / 19768320.0,
    -97.0 / 29652480.0,
    -107.0 / 345945600.0,
    -1.0 / 83026944.0,
    -1.0 / 6227020800.0,
];
pub(crate) const SMALL_T_B1: [f64; 2] = [1.0 / 2.0, 1.0 / 6.0];
pub(crate) const SMALL_T_B2: [f64; 3] = [1.0 / 8.0, 1.0 / 12.0, 1.0 / 120.0];
pub(crate) const SMALL_T_B3: [f64; 4] = [1.0 / 48.0, 1.0 / 48.0, 1.0 / 240.0, 1.0 / 5040.0];
pub(crate) const SMALL_T_B4: [f64; 5] = [
    1.0 / 384.0,
    1.0 / 288.0,
    1.0 / 960.0,
    1.0 / 10080.0,
    1.0 / 362880.0,
];
pub(crate) const SMALL_T_B5: [f64; 6] = [
    1.0 / 3840.0,
    1.0 / 2304.0,
    1.0 / 5760.0,
    1.0 / 40320.0,
    1.0 / 725760.0,
    1.0 / 39916800.0,
];
pub(crate) const SMALL_T_B6: [f64; 7] = [
    1.0 / 46080.0,
    1.0 / 23040.0,
    1.0 / 46080.0,
    1.0 / 241920.0,
    1.0 / 2903040.0,
    1.0 / 79833600.0,
    1.0 / 6227020800.0,
];

/// Horner evaluation of `Σ c[i]·zⁱ`: `(…(c[N−1]·z + c[N−2])·z + …)·z + c[0]`.
///
/// Written out for the lengths used here rather than as a loop so that, once inlined, it is
/// straight-line code with immediate constants even at the size-optimised release profile (which
/// never unrolls loops); the operations and their order are those of the loop, so the result is
/// bit-identical.
#[inline(always)]
fn horner<const N: usize>(c: &[f64; N], z: f64) -> f64 {
    match N {
        1 => c[0],
        2 => c[1] * z + c[0],
        3 => (c[2] * z + c[1]) * z + c[0],
        4 => ((c[3] * z + c[2]) * z + c[1]) * z + c[0],
        5 => (((c[4] * z + c[3]) * z + c[2]) * z + c[1]) * z + c[0],
        6 => ((((c[5] * z + c[4]) * z + c[3]) * z + c[2]) * z + c[1]) * z + c[0],
        7 => (((((c[6] * z + c[5]) * z + c[4]) * z + c[3]) * z + c[2]) * z + c[1]) * z + c[0],
        9 => {
            (((((((c[8] * z + c[7]) * z + c[6]) * z + c[5]) * z + c[4]) * z + c[3]) * z + c[2]) * z
                + c[1])
                * z
                + c[0]
        }
        _ => {
            let mut acc = c[N - 1];
            for &ci in c[..N - 1].iter().rev() {
                acc = acc * z + ci;
            }
            acc
        }
    }
}

/// Below `t = SMALL_T_ORDER_BOUNDS[n − 1]` the small-`t` expansion stops after `wⁿ` (order `n`;
/// at or above the last bound it uses all six): the truncation error after `wⁿ` stays below
/// 3e-17 relative for all `h ∈ [−10, 0]` (checked against 40-digit evaluations of `b`).
pub(crate) const SMALL_T_ORDER_BOUNDS: [f64; 5] = [1e-5, 0.003, 0.02, 0.05, 0.1];

/// Small-`t` expansion of the normalised Black call to twelfth order in `t`, accurate to
/// machine precision for `h ≤ 0`, `t < τ` (Jäckel 2015 and the reference
/// `small_t_expansion_of_normalized_black_call`), with `Y(h) = Φ(h)/φ(h) =
/// √(π/2)·erfcx(−h/√2)` and `a = 1 + h·Y(h)`.
///
/// Evaluated as `2t/√(2π)·[gauss·A + (gauss·a)·B]` (see the coefficient tables above): `A`
/// and `B` do not depend on `a` or on the exponential, and `gauss·a = gauss +
/// h·√(π/2)·gauss·erfcx(−h/√2)`, where near the money (`−h/√2 ≤ 0.46875`)
/// `gauss·erfcx(−h/√2) = exp(−t²/2)·erfc(−h/√2)` needs no exponential at all. Far from the
/// money (`−h/√2 > 4`) `a` is taken directly from Cody's asymptotic rational, which removes the
/// cancellation in `1 + h·Y(h)` that the reference notes as its main loss of precision.
#[inline]
pub(crate) fn small_t_expansion_of_normalised_black_call(h: f64, t: f64, gauss: f64) -> f64 {
    let y = -ONE_OVER_SQRT_TWO * h;
    let gauss_a = if y > 4.0 {
        // a = 1 − √π·y·erfcx(y) = √π·c with Cody's far-tail correction c: no cancellation.
        gauss * (SQRT_PI * erfcx_far_correction(y))
    } else {
        let gauss_erfcx = if y <= CODY_THRESHOLD {
            exp_small(-0.5 * t * t) * (1.0 - erf_central(y))
        } else {
            gauss * erfcx_positive(y)
        };
        gauss + h * (0.5 * SQRT_TWO_PI) * gauss_erfcx
    };
    let w = t * t;
    let h2 = h * h;
    // Highest power of w that still matters (`SMALL_T_ORDER_BOUNDS`); the reference always
    // uses N = 6.
    let bound = &SMALL_T_ORDER_BOUNDS;
    let order = if t < bound[0] {
        1
    } else if t < bound[1] {
        2
    } else if t < bound[2] {
        3
    } else if t < bound[3] {
        4
    } else if t < bound[4] {
        5
    } else {
        6
    };
    let (mut a_sum, mut b_sum) = (0.0, 0.0);
    if order >= 6 {
        a_sum = horner(&SMALL_T_A6, h2);
        b_sum = horner(&SMALL_T_B6, h2);
    }
    if order >= 5 {
        a_sum = a_sum * w + horner(&SMALL_T_A5, h2);
        b_sum = b_sum * w + horner(&SMALL_T_B5, h2);
    }
    if order >= 4 {
        a_sum = a_sum * w + horner(&SMALL_T_A4, h2);
        b_sum = b_sum * w + horner(&SMALL_T_B4, h2);
    }
    if order >= 3 {
        a_sum = a_sum * w + horner(&SMALL_T_A3, h2);
        b_sum = b_sum * w + horner(&SMALL_T_B3, h2);
    }
    if order >= 2 {
        a_sum = a_sum * w + horner(&SMALL_T_A2, h2);
        b_sum = b_sum * w + horner(&SMALL_T_B2, h2);
    }
    a_sum = (a_sum * w + horner(&SMALL_T_A1, h2)) * w;
    b_sum = (b_sum * w + horner(&SMALL_T_B1, h2)) * w + 1.0;
    non_negative(ONE_OVER_SQRT_TWO_PI * (2.0 * t) * (gauss * a_sum + gauss_a * b_sum))
}

/// Everything the prices and Greeks need from one evaluation of the normalised Black
/// function of an out-of-the-money call (`x ≤ 0`).
///
/// The Gaussian factors are evaluated only where they are needed: near the money (both
/// `|d1|/√2` and `|d2|/√2` within Cody's first interval) the price and the probabilities need no
/// exponential at all, so `exp(−½(h²+t²))` is left to the callers that ask for it (vega, gamma,
/// the implied-volatility iteration) through [`OtmCall::gauss`], [`OtmCall::g1`] and
/// [`OtmCall::g2`] — which evaluate exactly the expressions an eager evaluation would.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OtmCall {
    /// Normalised price `b(x, s)` of the out-of-the-money call.
    pub b: f64,
    h: f64,
    t: f64,
    r: f64,
    rinv: f64,
    d1: f64,
    d2: f64,
    /// `exp(−½(h²+t²))` when already computed.
    gauss: Option<f64>,
    /// `(exp(−d1²/2), exp(−d2²/2))` when fixed without `gauss` (zero total volatility).
    g12: Option<(f64, f64)>,
    /// `(Φ(d1), Φ(−d1))` when already computed.
    pair1: Option<(f64, f64)>,
    /// `(Φ(d2), Φ(−d2))` when already computed.
    pair2: Option<(f64, f64)>,
}

/// `exp(−½(h²+t²))`.
#[inline(always)]
pub(crate) fn gauss_of(h: f64, t: f64) -> f64 {
    (-0.5 * (h * h + t * t)).dexp()
}

/// `(exp(−d1²/2), exp(−d2²/2))` from `gauss = exp(−½(h²+t²))`:
/// `exp(−d1²/2) = gauss·exp(−x/2)`, `exp(−d2²/2) = gauss·exp(x/2)`, recomputed directly when
/// `gauss` is close to underflow.
#[inline(always)]
fn g12_of(gauss: f64, d1: f64, d2: f64, r: f64, rinv: f64) -> (f64, f64) {
    if gauss > GAUSS_SUBNORMAL_GUARD {
        (gauss * rinv, gauss * r)
    } else {
        ((-0.5 * d1 * d1).dexp(), (-0.5 * d2 * d2).dexp())
    }
}

impl OtmCall {
    /// `exp(−½(h²+t²))`; the normalised vega is `gauss/√(2π)`.
    #[inline(always)]
    pub fn gauss(&self) -> f64 {
        match self.gauss {
            Some(g) => g,
            None => gauss_of(self.h, self.t),
        }
    }

    #[inline(always)]
    fn g12(&self) -> (f64, f64) {
        match self.g12 {
            Some(g) => g,
            None => g12_of(self.gauss(), self.d1, self.d2, self.r, self.rinv),
        }
    }

    /// `exp(−d1²/2)`.
    #[inline(always)]
    pub fn g1(&self) -> f64 {
        self.g12().0
    }

    /// `exp(−d2²/2)`.
    #[inline(always)]
    pub fn g2(&self) -> f64 {
        self.g12().1
    }

    /// `(Φ(d1), Φ(−d1))`.
    #[inline(always)]
    pub fn pair1(&self) -> (f64, f64) {
        match self.pair1 {
            Some(p) => p,
            None => {
                let (n, m, _, _) = cdf_pair(self.d1, || self.g1());
                (n, m)
            }
        }
    }

    /// `(Φ(d2), Φ(−d2))`.
    #[inline(always)]
    pub fn pair2(&self) -> (f64, f64) {
        match self.pair2 {
            Some(p) => p,
            None => {
                let (n, m, _, _) = cdf_pair(self.d2, || self.g2());
                (n, m)
            }
        }
    }
}

/// Normalised Black call `b(x, s)` for `x ≤ 0` (out of the money) and `s ≥ 0`, with the
/// by-products needed for the Greeks. `r = exp(x/2) ≤ 1` and `rinv = exp(−x/2)` are passed in
/// because callers obtain them from `√F`, `√K` without an exponential.
///
/// Branches as in Jäckel (2015), `normalised_black_call`: region 1 asymptotic expansion
/// (`h < η` and `t < τ + |h| − |η|`), region 2 small-`t` expansion (`t < τ`), regions 3 and 4
/// the two-term formula with each term in a cancellation-free form.
#[inline(always)]
pub(crate) fn otm_call(x: f64, s: f64, r: f64, rinv: f64) -> OtmCall {
    if s <= 0.0 {
        // Zero total volatility: the out-of-the-money option is worthless.
        let at_the_money = x == 0.0;
        let (half, unit) = if at_the_money { (0.5, 1.0) } else { (0.0, 0.0) };
        let d = if at_the_money { 0.0 } else { f64::NEG_INFINITY };
        return OtmCall {
            b: 0.0,
            h: d,
            t: 0.0,
            r,
            rinv,
            d1: d,
            d2: d,
            gauss: Some(unit),
            g12: Some((unit, unit)),
            pair1: Some((half, 1.0 - half)),
            pair2: Some((half, 1.0 - half)),
        };
    }
    let h = x / s;
    let t = 0.5 * s;
    let d1 = h + t;
    let d2 = h - t;
    let eta = ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD;
    let tau = SMALL_T_EXPANSION_THRESHOLD;
    let mut gauss = None;
    let mut pair1 = None;
    let mut pair2 = None;
    let b = if x < s * eta && 0.5 * s * s + x < s * (tau + eta) {
        // Region 1.
        let g = gauss_of(h, t);
        gauss = Some(g);
        if g > 0.0 {
            asymptotic_expansion_of_normalised_black_call(h, t, g)
        } else {
            0.0
        }
    } else if t < tau {
        // Region 2.
        let g = gauss_of(h, t);
        gauss = Some(g);
        if g > 0.0 {
            small_t_expansion_of_normalised_black_call(h, t, g)
        } else {
            0.0
        }
    } else {
        // Regions 3 and 4: b = exp(x/2)Φ(d1) − exp(−x/2)Φ(d2); a lower-tail term is written as
        // ½·exp(−½(h²+t²))·erfcx(−d/√2) (Jäckel's region 4), otherwise as exp(±x/2)·Φ(d).
        // Near the money neither term needs the Gaussian factor.
        // (Two comparisons rather than `f64::max`, which is a libm call in WebAssembly.)
        let central = d1.abs() * ONE_OVER_SQRT_TWO <= CODY_THRESHOLD
            && d2.abs() * ONE_OVER_SQRT_TWO <= CODY_THRESHOLD;
        let (g, g1, g2) = if central {
            (0.0, 0.0, 0.0)
        } else {
            let g = gauss_of(h, t);
            gauss = Some(g);
            let (g1, g2) = g12_of(g, d1, d2, r, rinv);
            (g, g1, g2)
        };
        let (n1, m1, tail1, x1) = cdf_pair(d1, || g1);
        let (n2, m2, tail2, x2) = cdf_pair(d2, || g2);
        pair1 = Some((n1, m1));
        pair2 = Some((n2, m2));
        let t1 = if tail1 { 0.5 * g * x1 } else { r * n1 };
        let t2 = if tail2 { 0.5 * g * x2 } else { rinv * n2 };
        non_negative(t1 - t2)
    };
    OtmCall {
        b,
        h,
        t,
        r,
        rinv,
        d1,
        d2,
        gauss,
        g12: None,
        pair1,
        pair2,
    }
}

/// `ln(F/K)`, robust to `F/K` leaving the normal range, limited to `|x| ≤ 700`.
#[inline(always)]
pub(crate) fn log_moneyness(f: f64, k: f64) -> Result<f64, PricingError> {
    let ratio = f / k;
    let x = if ratio.is_normal() {
        ratio.dln()
    } else {
        f.dln() - k.dln()
    };
    if x.abs() <= MAX_ABS_LOG_MONEYNESS {
        Ok(x)
    } else {
        Err(PricingError::OutOfRange(Field::Strike))
    }
}

/// Undiscounted Black evaluation in the original (not out-of-the-money) frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Undiscounted {
    /// `√F·√K·b` of the out-of-the-money option in the frame (time value).
    pub time_value: f64,
    /// `√F·√K`.
    pub sqrt_fk: f64,
    core: OtmCall,
    /// `true` when the frame is the put (`F > K`): `d1' = −d2`, `d2' = −d1`.
    flipped: bool,
}

impl Undiscounted {
    /// `exp(−½(h²+t²))`.
    #[inline(always)]
    pub fn gauss(&self) -> f64 {
        self.core.gauss()
    }

    /// `exp(−d1²/2)` of the original option.
    #[inline(always)]
    pub fn g_d1(&self) -> f64 {
        if self.flipped {
            self.core.g2()
        } else {
            self.core.g1()
        }
    }

    /// `(Φ(d1), Φ(−d1))` of the original option.
    #[inline(always)]
    pub fn d1_pair(&self) -> (f64, f64) {
        if self.flipped {
            let (n, m) = self.core.pair2();
            (m, n)
        } else {
            self.core.pair1()
        }
    }

    /// `(Φ(d2), Φ(−d2))` of the original option.
    #[inline(always)]
    pub fn d2_pair(&self) -> (f64, f64) {
        if self.flipped {
            let (n, m) = self.core.pair1();
            (m, n)
        } else {
            self.core.pair2()
        }
    }
}

/// Evaluates the out-of-the-money option of the pair (call if `F ≤ K`, else put) and maps the
/// normal probabilities back to the original `d1`, `d2`. Put–call symmetry in normalised
/// coordinates: `b_put(x, s) = b_call(−x, s)` (Jäckel 2015; reference `normalised_black`).
#[inline(always)]
pub(crate) fn undiscounted(f: f64, k: f64, x: f64, s: f64) -> Undiscounted {
    // q = √(F/K) = exp(x/2); |x| ≤ 700 keeps F/K in the normal range. √(FK) = K·q.
    let q = (f / k).sqrt();
    let sqrt_fk = k * q;
    let flipped = x > 0.0;
    let core = if flipped {
        otm_call(-x, s, 1.0 / q, q)
    } else {
        otm_call(x, s, q, 1.0 / q)
    };
    Undiscounted {
        time_value: sqrt_fk * core.b,
        sqrt_fk,
        core,
        flipped,
    }
}

/// Validates the common inputs; returns `√T`.
#[inline(always)]
fn validate(
    underlying: f64,
    underlying_field: Field,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<(f64, f64), PricingError> {
    check_positive(underlying, underlying_field)?;
    check_positive(strike, Field::Strike)?;
    check_positive(time, Field::Time)?;
    check_finite(rate, Field::Rate)?;
    check_positive(vol, Field::Volatility)?;
    let sqrt_t = time.sqrt();
    let s = vol * sqrt_t;
    if s > 0.0 {
        Ok((sqrt_t, s))
    } else {
        Err(PricingError::OutOfRange(Field::Volatility))
    }
}

/// Discount factor `exp(−rT)` (exactly 1 for `r = 0`).
#[inline(always)]
fn discount_factor(rate: f64, time: f64) -> f64 {
    if rate == 0.0 {
        1.0
    } else {
        (-rate * time).dexp()
    }
}

/// Black-76 price and delta without the remaining Greeks (the batch hot path).
#[inline(always)]
pub(crate) fn black76_price_delta_unchecked(
    kind: OptionKind,
    f: f64,
    k: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<(f64, f64), PricingError> {
    let (_, s) = validate(f, Field::Forward, k, time, rate, vol)?;
    let x = log_moneyness(f, k)?;
    let u = undiscounted(f, k, x, s);
    let d = discount_factor(rate, time);
    let (n_d1, n_md1) = u.d1_pair();
    let (intrinsic, delta) = match kind {
        OptionKind::Call => (if x > 0.0 { f - k } else { 0.0 }, d * n_d1),
        OptionKind::Put => (if x < 0.0 { k - f } else { 0.0 }, -d * n_md1),
    };
    let price = d * non_negative(intrinsic + u.time_value);
    if price.is_finite() && delta.is_finite() {
        Ok((price, delta))
    } else {
        Err(PricingError::Overflow)
    }
}

/// Black-76 price and Greeks of an option on a forward/futures price (Black 1976).
///
/// `V = D·[F·Φ(d1) − K·Φ(d2)]` (call), `D·[K·Φ(−d2) − F·Φ(−d1)]` (put), `D = exp(−rT)`;
/// delta `= D·Φ(d1)` / `−D·Φ(−d1)`, gamma `= D·φ(d1)/(F·σ√T)`, vega `= D·F·φ(d1)·√T`
/// (per 1.00 vol), theta `= r·V − D·F·φ(d1)·σ/(2√T)` (per year, F fixed), rho `= −T·V`.
///
/// Inputs: `forward`, `strike`, `time` (years) and `vol` must be finite and `> 0`; `rate` finite
/// (negative rates are allowed). Errors: `not_finite`, `non_positive`, `out_of_range`
/// (`σ√T` underflows, or `|ln(F/K)| > 700`), `overflow`.
///
/// ```
/// use imr::pricing::{black76, OptionKind};
/// // Hull's futures-option example: F = K = 20, r = 9 %, σ = 25 %, 4 months: put ≈ 1.12.
/// let g = black76(OptionKind::Put, 20.0, 20.0, 4.0 / 12.0, 0.09, 0.25).unwrap();
/// assert!((g.price - 1.12).abs() < 0.005);
/// assert!(g.delta < 0.0 && g.gamma > 0.0 && g.vega > 0.0);
/// let err = black76(OptionKind::Call, f64::NAN, 20.0, 1.0, 0.0, 0.25).unwrap_err();
/// assert_eq!((err.code(), err.field()), ("not_finite", "forward"));
/// ```
pub fn black76(
    kind: OptionKind,
    forward: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<Greeks, PricingError> {
    let (sqrt_t, s) = validate(forward, Field::Forward, strike, time, rate, vol)?;
    let x = log_moneyness(forward, strike)?;
    let u = undiscounted(forward, strike, x, s);
    let d = discount_factor(rate, time);
    let (n_d1, n_md1) = u.d1_pair();
    let (intrinsic, delta) = match kind {
        OptionKind::Call => (if x > 0.0 { forward - strike } else { 0.0 }, d * n_d1),
        OptionKind::Put => (if x < 0.0 { strike - forward } else { 0.0 }, -d * n_md1),
    };
    let price = d * non_negative(intrinsic + u.time_value);
    // D·F·φ(d1) = D·√(FK)·exp(−½(h²+t²))/√(2π).
    let d_f_phi = d * u.sqrt_fk * u.gauss() * ONE_OVER_SQRT_TWO_PI;
    let g = Greeks {
        price,
        delta,
        gamma: d * (u.g_d1() * ONE_OVER_SQRT_TWO_PI) / (forward * s),
        vega: d_f_phi * sqrt_t,
        theta: rate * price - d_f_phi * (0.5 * vol / sqrt_t),
        rho: -time * price,
    };
    if g.is_finite() {
        Ok(g)
    } else {
        Err(PricingError::Overflow)
    }
}

/// Beyond this `|h| − t` (in standard deviations) the out-of-the-money option's time value is
/// below `Φ(−8.5)·min(F, K) < 10⁻¹⁶·min(F, K)`: [`black76_scenario_premium`] returns the
/// intrinsic value.
pub(crate) const SCENARIO_TAIL_CUTOFF: f64 = 8.5;

/// Undiscounted Black-76 premium (`r = 0`) for the risk models' revaluations — scenario grids,
/// stress tests, VaR, the whole-book root search — which price every option of a book at
/// hundreds of shocked forwards and volatilities, and compare premiums of the order of the
/// forward: an absolute accuracy of a few ulps of `max(F, K)` is what they can use, not the full
/// relative precision of deep out-of-the-money prices that [`black76_price`] keeps (its
/// asymptotic and small-`t` expansions, Jäckel 2015).
///
/// Same formula (Black 1976) in the same normalised coordinates, with no input validation:
/// intrinsic value plus the time value of the out-of-the-money side,
/// `A·Φ(−|h| + t) − B·Φ(−|h| − t)` with `(A, B) = (min(F, K), max(F, K))`, `h = ln(F/K)/s`,
/// `t = s/2`, `s = σ√T`. In the tails both terms share one exponential, since
/// `B·exp(−½(|h| + t)²) = A·exp(−½(|h| − t)²)`: the time value is
/// `½·A·exp(−½(|h| − t)²)·[erfcx((|h| − t)/√2) − erfcx((|h| + t)/√2)]` with Cody's
/// exponential-free `erfcx`. Returns the intrinsic value when `s ≤ 0` or the time value is
/// negligible ([`SCENARIO_TAIL_CUTOFF`]); NaN for non-positive or non-finite prices.
pub fn black76_scenario_premium(kind: OptionKind, f: f64, k: f64, years: f64, vol: f64) -> f64 {
    black76_scenario_premium_ln(kind, f, k, (f / k).dln(), vol * years.sqrt())
}

/// [`black76_scenario_premium`] given `ln(F/K)` and the total volatility `s = σ√T`, for callers
/// that obtain the log-moneyness of a shocked forward as a sum of logarithms computed once.
pub fn black76_scenario_premium_ln(
    kind: OptionKind,
    f: f64,
    k: f64,
    log_moneyness: f64,
    s: f64,
) -> f64 {
    if !(f > 0.0 && k > 0.0 && f.is_finite() && k.is_finite()) {
        return f64::NAN;
    }
    let intrinsic = match kind {
        OptionKind::Call => non_negative(f - k),
        OptionKind::Put => non_negative(k - f),
    };
    if !(s > 0.0 && s.is_finite() && log_moneyness.is_finite()) {
        return intrinsic;
    }
    let (a, b) = if f < k { (f, k) } else { (k, f) };
    let abs_h = log_moneyness.abs() / s;
    let t = 0.5 * s;
    if abs_h - t > SCENARIO_TAIL_CUTOFF {
        return intrinsic;
    }
    // Arguments of Φ(−y·√2): y1 = (|h| − t)/√2 (may be negative), y2 = (|h| + t)/√2 > 0.
    let y1 = (abs_h - t) * ONE_OVER_SQRT_TWO;
    let y2 = (abs_h + t) * ONE_OVER_SQRT_TWO;
    let time_value = if y1 > CODY_THRESHOLD {
        let e = (-(y1 * y1)).dexp();
        0.5 * a * e * (erfcx_positive(y1) - erfcx_positive(y2))
    } else if y2 > CODY_THRESHOLD {
        // Near the money: the first term by Cody's erf (or its tail), the second, in the tail,
        // through the same shared exponential: B·Φ(−(|h| + t)) = ½·B·exp(−y2²)·erfcx(y2) =
        // ½·A·exp(−y1²)·erfcx(y2), one exponential of a small argument instead of Cody's split
        // pair of a large one.
        let (_, phi1) = super::normal::norm_cdf_pair(abs_h - t);
        a * phi1 - 0.5 * a * (-(y1 * y1)).dexp() * erfcx_positive(y2)
    } else {
        let (_, phi1) = super::normal::norm_cdf_pair(abs_h - t);
        let (_, phi2) = super::normal::norm_cdf_pair(abs_h + t);
        a * phi1 - b * phi2
    };
    intrinsic + non_negative(time_value)
}

/// Black-76 premium only; see [`black76`].
pub fn black76_price(
    kind: OptionKind,
    forward: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<f64, PricingError> {
    black76_price_delta_unchecked(kind, forward, strike, time, rate, vol).map(|(p, _)| p)
}

/// Black–Scholes price and Greeks of an option on spot without dividends
/// (Black & Scholes 1973).
///
/// `V = S·Φ(d1) − K·e^{−rT}·Φ(d2)` (call), `K·e^{−rT}·Φ(−d2) − S·Φ(−d1)` (put) with
/// `d1 = (ln(S/K) + (r + σ²/2)T)/(σ√T)`; delta `= Φ(d1)` / `−Φ(−d1)`, gamma `= φ(d1)/(S·σ√T)`,
/// vega `= S·φ(d1)·√T`, theta `= −S·φ(d1)·σ/(2√T) ∓ r·K·e^{−rT}·Φ(±d2)` (per year),
/// rho `= ±K·T·e^{−rT}·Φ(±d2)`.
///
/// Evaluated as Black-76 on `F = S·e^{rT}` with `ln(F/K) = ln(S/K) + rT`. Same input rules and
/// errors as [`black76`] with `spot` in place of `forward`.
pub fn black_scholes(
    kind: OptionKind,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<Greeks, PricingError> {
    let (sqrt_t, s) = validate(spot, Field::Spot, strike, time, rate, vol)?;
    let (d, f, x) = spot_to_forward(spot, strike, time, rate)?;
    let u = undiscounted(f, strike, x, s);
    let kd = strike * d;
    let (n_d1, n_md1) = u.d1_pair();
    let (n_d2, n_md2) = u.d2_pair();
    let (intrinsic, delta) = match kind {
        OptionKind::Call => (if x > 0.0 { spot - kd } else { 0.0 }, n_d1),
        OptionKind::Put => (if x < 0.0 { kd - spot } else { 0.0 }, -n_md1),
    };
    let price = non_negative(intrinsic + d * u.time_value);
    let phi_d1 = u.g_d1() * ONE_OVER_SQRT_TWO_PI;
    let s_phi = spot * phi_d1;
    let decay = -s_phi * (0.5 * vol / sqrt_t);
    let (theta, rho) = match kind {
        OptionKind::Call => (decay - rate * kd * n_d2, time * kd * n_d2),
        OptionKind::Put => (decay + rate * kd * n_md2, -time * kd * n_md2),
    };
    let g = Greeks {
        price,
        delta,
        gamma: phi_d1 / (spot * s),
        vega: s_phi * sqrt_t,
        theta,
        rho,
    };
    if g.is_finite() {
        Ok(g)
    } else {
        Err(PricingError::Overflow)
    }
}

/// Black–Scholes premium only; see [`black_scholes`].
pub fn black_scholes_price(
    kind: OptionKind,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<f64, PricingError> {
    black_scholes_price_delta_unchecked(kind, spot, strike, time, rate, vol).map(|(p, _)| p)
}

/// `(D, F, ln(F/K))` for a spot-based option: `D = e^{−rT}`, `F = S/D`,
/// `ln(F/K) = ln(S/K) + rT`.
#[inline(always)]
pub(crate) fn spot_to_forward(
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
) -> Result<(f64, f64, f64), PricingError> {
    let d = discount_factor(rate, time);
    let f = spot / d;
    if !(f.is_finite() && f > 0.0 && d.is_finite()) {
        return Err(PricingError::OutOfRange(Field::Rate));
    }
    let x = log_moneyness(spot, strike)? + rate * time;
    if x.abs() <= MAX_ABS_LOG_MONEYNESS {
        Ok((d, f, x))
    } else {
        Err(PricingError::OutOfRange(Field::Strike))
    }
}

#[inline(always)]
pub(crate) fn black_scholes_price_delta_unchecked(
    kind: OptionKind,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<(f64, f64), PricingError> {
    let (_, s) = validate(spot, Field::Spot, strike, time, rate, vol)?;
    let (d, f, x) = spot_to_forward(spot, strike, time, rate)?;
    let u = undiscounted(f, strike, x, s);
    let (n_d1, n_md1) = u.d1_pair();
    let (intrinsic, delta) = match kind {
        OptionKind::Call => (if x > 0.0 { spot - strike * d } else { 0.0 }, n_d1),
        OptionKind::Put => (if x < 0.0 { strike * d - spot } else { 0.0 }, -n_md1),
    };
    let price = non_negative(intrinsic + d * u.time_value);
    if price.is_finite() && delta.is_finite() {
        Ok((price, delta))
    } else {
        Err(PricingError::Overflow)
    }
}

/// Model-generic price and Greeks: [`black76`] for [`Model::Black76`] (`underlying` is the
/// forward) or [`black_scholes`] for [`Model::BlackScholes`] (`underlying` is spot).
pub fn greeks(
    model: Model,
    kind: OptionKind,
    underlying: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<Greeks, PricingError> {
    match model {
        Model::Black76 => black76(kind, underlying, strike, time, rate, vol),
        Model::BlackScholes => black_scholes(kind, underlying, strike, time, rate, vol),
    }
}

/// Checks that a batch slice has the common length `n`.
#[inline]
pub(crate) fn check_len(len: usize, n: usize, field: Field) -> Result<(), (usize, PricingError)> {
    if len == n {
        Ok(())
    } else {
        Err((len.min(n), PricingError::LengthMismatch(field)))
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn price_delta_batch(
    model: Model,
    is_call: &[u8],
    underlying: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    out_price: &mut [f64],
    out_delta: &mut [f64],
) -> Result<(), (usize, PricingError)> {
    let n = is_call.len();
    check_len(underlying.len(), n, model.underlying_field())?;
    check_len(strike.len(), n, Field::Strike)?;
    check_len(time.len(), n, Field::Time)?;
    check_len(rate.len(), n, Field::Rate)?;
    check_len(vol.len(), n, Field::Volatility)?;
    check_len(out_price.len(), n, Field::Output)?;
    check_len(out_delta.len(), n, Field::Output)?;
    match model {
        Model::Black76 => super::chain::price_delta_chain::<false>(
            is_call, underlying, strike, time, rate, vol, out_price, out_delta,
        ),
        Model::BlackScholes => super::chain::price_delta_chain::<true>(
            is_call, underlying, strike, time, rate, vol, out_price, out_delta,
        ),
    }
}

/// Black-76 premium and delta for a whole chain (struct-of-arrays, allocation-free).
///
/// Two options at a time in SIMD lanes by the two-term formula (`pricing::chain`), and by
/// Jäckel's small-`t` expansion where the two terms cancel (deep out of the money at small
/// `σ√T`); an option neither prices to full accuracy (deeper still, extreme exponents,
/// invalid input) goes to [`black76`]'s path. The results agree with [`black76`] to
/// within 2e-14 relative for the price and 2e-15 for the delta (in the far tails, where `Φ(d)`
/// itself is sensitive to the last bit of `d`, within that times `d²`), and are bit-identical
/// natively and in WebAssembly.
///
/// `is_call[i]` is `1` for a call and `0` for a put; all slices must have the same length.
/// Stops at the first invalid element and returns its index with the error (outputs before
/// that index are written, the rest are left untouched). A length mismatch is reported as
/// `(min(len, n), LengthMismatch(field))`.
#[allow(clippy::too_many_arguments)]
pub fn black76_price_delta_batch(
    is_call: &[u8],
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    out_price: &mut [f64],
    out_delta: &mut [f64],
) -> Result<(), (usize, PricingError)> {
    price_delta_batch(
        Model::Black76,
        is_call,
        forward,
        strike,
        time,
        rate,
        vol,
        out_price,
        out_delta,
    )
}

/// Black–Scholes premium and delta for a whole chain; as [`black76_price_delta_batch`] with
/// spot prices in place of forwards (and [`black_scholes`] as the reference and fallback).
#[allow(clippy::too_many_arguments)]
pub fn black_scholes_price_delta_batch(
    is_call: &[u8],
    spot: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    out_price: &mut [f64],
    out_delta: &mut [f64],
) -> Result<(), (usize, PricingError)> {
    price_delta_batch(
        Model::BlackScholes,
        is_call,
        spot,
        strike,
        time,
        rate,
        vol,
        out_price,
        out_delta,
    )
}

/// Output buffers for the Greeks batch functions; every slice must have the batch length.
#[derive(Debug)]
pub struct GreeksBatchOut<'a> {
    /// Premium.
    pub price: &'a mut [f64],
    /// Delta.
    pub delta: &'a mut [f64],
    /// Gamma.
    pub gamma: &'a mut [f64],
    /// Vega per 1.00 vol.
    pub vega: &'a mut [f64],
    /// Theta per year.
    pub theta: &'a mut [f64],
    /// Rho per 1.00 rate.
    pub rho: &'a mut [f64],
}

#[allow(clippy::too_many_arguments)]
fn greeks_batch(
    model: Model,
    is_call: &[u8],
    underlying: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    out: GreeksBatchOut<'_>,
) -> Result<(), (usize, PricingError)> {
    let n = is_call.len();
    check_len(underlying.len(), n, model.underlying_field())?;
    check_len(strike.len(), n, Field::Strike)?;
    check_len(time.len(), n, Field::Time)?;
    check_len(rate.len(), n, Field::Rate)?;
    check_len(vol.len(), n, Field::Volatility)?;
    for len in [
        out.price.len(),
        out.delta.len(),
        out.gamma.len(),
        out.vega.len(),
        out.theta.len(),
        out.rho.len(),
    ] {
        check_len(len, n, Field::Output)?;
    }
    for i in 0..n {
        let kind = OptionKind::from_code(is_call[i]).map_err(|e| (i, e))?;
        let g = greeks(
            model,
            kind,
            underlying[i],
            strike[i],
            time[i],
            rate[i],
            vol[i],
        )
        .map_err(|e| (i, e))?;
        out.price[i] = g.price;
        out.delta[i] = g.delta;
        out.gamma[i] = g.gamma;
        out.vega[i] = g.vega;
        out.theta[i] = g.theta;
        out.rho[i] = g.rho;
    }
    Ok(())
}

/// Black-76 price and all Greeks for a whole chain; input rules and error reporting as in
/// [`black76_price_delta_batch`].
pub fn black76_greeks_batch(
    is_call: &[u8],
    forward: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    out: GreeksBatchOut<'_>,
) -> Result<(), (usize, PricingError)> {
    greeks_batch(
        Model::Black76,
        is_call,
        forward,
        strike,
        time,
        rate,
        vol,
        out,
    )
}

/// Black–Scholes price and all Greeks for a whole chain; input rules and error reporting as in
/// [`black76_price_delta_batch`].
pub fn black_scholes_greeks_batch(
    is_call: &[u8],
    spot: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    vol: &[f64],
    out: GreeksBatchOut<'_>,
) -> Result<(), (usize, PricingError)> {
    greeks_batch(
        Model::BlackScholes,
        is_call,
        spot,
        strike,
        time,
        rate,
        vol,
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::super::normal::norm_cdf;
    use super::*;

    #[test]
    fn zero_total_volatility_core_is_intrinsic() {
        let c = otm_call(-0.1, 0.0, (-0.05f64).dexp(), 0.05f64.dexp());
        assert_eq!((c.b, c.pair1()), (0.0, (0.0, 1.0)));
        let c = otm_call(0.0, 0.0, 1.0, 1.0);
        assert_eq!((c.b, c.pair1()), (0.0, (0.5, 0.5)));
    }

    fn b(x: f64, s: f64) -> f64 {
        otm_call(x, s, (0.5 * x).dexp(), (-0.5 * x).dexp()).b
    }

    /// Relative change of `b` across a region boundary, net of the change the step itself
    /// explains (`∂b/∂s·Δs` with the normalised vega), in units of the size of `b`.
    fn jump(x0: f64, s0: f64, x1: f64, s1: f64) -> f64 {
        let (b0, b1) = (b(x0, s0), b(x1, s1));
        let c = otm_call(x0, s0, (0.5 * x0).dexp(), (-0.5 * x0).dexp());
        let vega = c.gauss() * ONE_OVER_SQRT_TWO_PI;
        // ∂b/∂x = exp(x/2)·Φ(d1) − b/2 ... bounded by b_max; use the exact partials.
        let (n1, _) = c.pair1();
        let db_dx = (0.5 * x0).dexp() * n1 - 0.5 * b0;
        ((b1 - b0) - vega * (s1 - s0) - db_dx * (x1 - x0)).abs() / b0
    }

    /// Every branch evaluates `exp(−½(h²+t²))` from a rounded argument, so its relative error
    /// is of order `ε·(1 + ½(h²+t²))` — the accuracy floor of the reference as well.
    fn floor(h: f64, t: f64) -> f64 {
        8.0 * f64::EPSILON * (1.0 + 0.5 * (h * h + t * t))
    }

    #[test]
    fn regions_join_continuously() {
        let tau = SMALL_T_EXPANSION_THRESHOLD;
        let eta = ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD;
        let below = |v: f64| v * (1.0 - 1e-13);
        let above = |v: f64| v * (1.0 + 1e-13);
        // Small-t expansion (region 2) against the two-term formula (regions 3/4) at t = τ.
        for &h in &[-9.5, -6.0, -3.0, -1.0, -0.3, 0.0] {
            let s = 2.0 * tau;
            let (s0, s1) = (below(s), above(s));
            let j = jump(h * s0, s0, h * s0, s1);
            assert!(j < floor(h, tau), "h={h}: {j:e}");
        }
        // Asymptotic expansion (region 1) against the small-t expansion (region 2) at h = η.
        for &s in &[1e-4, 0.01, 0.1, 0.4] {
            let (x0, x1) = (above(eta * s), below(eta * s));
            let j = jump(x0, s, x1, s);
            assert!(j < floor(eta, 0.5 * s), "s={s}: {j:e}");
        }
        // Asymptotic expansion (region 1) against regions 3/4 along t = τ + |h| − |η|.
        for &h in &[-10.5, -12.0, -20.0, -30.0] {
            let t = tau + (-h) + eta;
            let (t0, t1) = (above(t), below(t));
            let j = jump(2.0 * t0 * h, 2.0 * t0, 2.0 * t0 * h, 2.0 * t1);
            assert!(j < floor(h, t), "h={h}: {j:e}");
        }
    }

    #[test]
    fn agrees_with_textbook_formula_where_it_is_well_conditioned() {
        // Near the money with s = O(1) the plain Black formula loses nothing.
        for &x in &[-0.5f64, -0.2, 0.0] {
            for &s in &[0.5, 1.0, 2.0] {
                let (d1, d2) = (x / s + 0.5 * s, x / s - 0.5 * s);
                let naive = (0.5 * x).dexp() * norm_cdf(d1) - (-0.5 * x).dexp() * norm_cdf(d2);
                let got = b(x, s);
                assert!(((got - naive) / naive).abs() < 4e-15, "x={x} s={s}");
            }
        }
    }

    #[test]
    fn extreme_inputs_never_give_nan() {
        let kinds = [OptionKind::Call, OptionKind::Put];
        let values = [1e-300, 1e-12, 1.0, 1e12, 1e300];
        for &kind in &kinds {
            for &f in &values {
                for &k in &values {
                    for &t in &values {
                        for &v in &values {
                            for &r in &[-1.0, 0.0, 1.0] {
                                let results = [
                                    black76(kind, f, k, t, r, v),
                                    black_scholes(kind, f, k, t, r, v),
                                ];
                                for g in results.into_iter().flatten() {
                                    assert!(g.is_finite(), "{kind} {f} {k} {t} {r} {v}");
                                    assert!(g.price >= 0.0);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
