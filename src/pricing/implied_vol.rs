//! Implied Black volatility at machine precision.
//!
//! This is a port of the reference implementation of P. Jäckel, "Let's Be Rational", Wilmott
//! Magazine, January 2015, 40–53 (© 2013–2014 Peter Jäckel, source at
//! `www.jaeckel.org/LetsBeRational.7z`, "permission to use, copy, modify, and distribute this
//! software is freely granted, provided that this notice is preserved"; the same algorithm as
//! the `py_lets_be_rational` 1.1.2 port used to cross-check the test vectors):
//!
//! 1. in-the-money prices are mapped to out-of-the-money ones by put–call parity and puts to
//!    calls by the reciprocal-strike symmetry, leaving a normalised call price
//!    `β = (price/D − intrinsic)/√(FK)` at log-moneyness `x = −|ln(F/K)| ≤ 0`;
//! 2. the initial guess comes from one of four branches: rational cubic interpolation
//!    (R. Delbourgo and J. A. Gregory, "Shape preserving piecewise rational interpolation",
//!    SIAM J. Sci. Stat. Comput. 6 (1985), 967–976) of the transformed lower map
//!    `f(β)` (lowest branch), of `s(β)` itself (two middle branches), or of the upper map;
//! 3. two third-order Householder iterations on an objective adapted to the branch
//!    (`1/ln b(s) − 1/ln β` lowest, `b(s) − β` middle, `ln((b_max−β)/(b_max−b(s)))` upper),
//!    with bracketing and bisection fall-back for extreme inputs.
//!
//! The normalised Black function comes from [`super::black`] (same branches as Jäckel's
//! `normalised_black_call`), so deep out-of-the-money prices down to the smallest normal
//! doubles are resolved to full relative precision.
//!
//! # Error policy
//!
//! * `price < intrinsic` → [`PricingError::BelowIntrinsic`] (negative prices included). When a
//!   discount factor is involved (`r ≠ 0`), a price below the intrinsic value by no more than the
//!   rounding of the comparison itself is treated as equal to it: `4·ε·max(p, intrinsic)` for
//!   Black-76 (undiscounting rounds `p = price/D`), `4·ε·max(F, K)` for an in- or at-the-money
//!   Black–Scholes option (the spot→forward conversion rounds `F = S/D`).
//! * `price ≥ D·F` (call) or `≥ D·K` (put) → [`PricingError::AboveMaximum`].
//! * price equal to the intrinsic value (including an out-of-the-money price of exactly 0) →
//!   `Ok(0.0)`: zero volatility reproduces the price exactly (Jäckel's convention, and the
//!   `expected` of the vectors `iv_bad_06`/`iv_bad_07`).
//! * positive time value that cannot determine σ — one ulp of the price (plus the rounding
//!   allowance above) moves σ by at least 10 % of itself, or the normalised time value is
//!   subnormal → [`PricingError::Undetermined`].

// Negated comparisons (`!(a < b)`) are deliberate throughout: they let NaN fail a condition
// exactly as in the C++ reference implementation.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::black::{check_len, log_moneyness, otm_call, spot_to_forward};
use super::normal::{inverse_norm_cdf, norm_cdf, norm_pdf, ONE_OVER_SQRT_TWO_PI};
use super::{check_finite, check_positive, Field, Model, OptionKind, PricingError};
use crate::fmath::DetMath;

const TWO_PI: f64 = core::f64::consts::TAU;
const SQRT_PI_OVER_TWO: f64 = 1.2533141373155001;
const SQRT_THREE: f64 = 1.7320508075688772;
const SQRT_ONE_OVER_THREE: f64 = 0.5773502691896257;
const TWO_PI_OVER_SQRT_TWENTY_SEVEN: f64 = 1.2091995761561452;
const PI_OVER_SIX: f64 = core::f64::consts::FRAC_PI_6;
const SQRT_DBL_MAX: f64 = 1.3407807929942596e154;
const DBL_EPSILON: f64 = f64::EPSILON;
const DBL_MIN: f64 = f64::MIN_POSITIVE;
const DBL_MAX: f64 = f64::MAX;
/// Jäckel's iteration limit: two Householder(3) steps reach machine precision.
const MAX_ITERATIONS: usize = 2;
/// `−(1 − √ε)`: smallest admissible rational cubic control parameter (Delbourgo–Gregory).
const MINIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE: f64 = -0.9999999850988388;
/// `2/ε²`: control parameter value that makes the rational cubic linear.
const MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE: f64 = 4.056481920730334e31;
/// σ is undetermined when one ulp of the price moves it by this fraction of itself or more.
const UNDETERMINED_RESOLUTION: f64 = 0.1;
/// Below-intrinsic rounding allowance, in units of `ε·max(F, K)`, when `D ≠ 1`.
const INTRINSIC_ROUNDING_ULPS: f64 = 4.0;

/// C++ `std::max(a, b)`: `(a < b) ? b : a` (NaN semantics kept as in the reference).
#[inline(always)]
fn cmax(a: f64, b: f64) -> f64 {
    if a < b {
        b
    } else {
        a
    }
}

#[inline(always)]
fn is_zero(x: f64) -> bool {
    x.abs() < DBL_MIN
}

#[inline(always)]
fn square(x: f64) -> f64 {
    x * x
}

/// Rational cubic interpolation, Delbourgo & Gregory (1985) formulas (2.4)/(2.5); linear when
/// the control parameter `r` reaches its maximum.
#[allow(clippy::too_many_arguments)]
fn rational_cubic_interpolation(
    x: f64,
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    r: f64,
) -> f64 {
    let h = x_r - x_l;
    if h.abs() <= 0.0 {
        return 0.5 * (y_l + y_r);
    }
    let t = (x - x_l) / h;
    if !(r >= MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE) {
        let omt = 1.0 - t;
        let t2 = t * t;
        let omt2 = omt * omt;
        return (y_r * t2 * t
            + (r * y_r - h * d_r) * t2 * omt
            + (r * y_l + h * d_l) * t * omt2
            + y_l * omt2 * omt)
            / (1.0 + (r - 3.0) * t * omt);
    }
    y_r * t + y_l * (1.0 - t)
}

fn rational_cubic_control_parameter_to_fit_second_derivative_at_left_side(
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    second_derivative_l: f64,
) -> f64 {
    let h = x_r - x_l;
    let numerator = 0.5 * h * second_derivative_l + (d_r - d_l);
    if is_zero(numerator) {
        return 0.0;
    }
    let denominator = (y_r - y_l) / h - d_l;
    if is_zero(denominator) {
        return if numerator > 0.0 {
            MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE
        } else {
            MINIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE
        };
    }
    numerator / denominator
}

fn rational_cubic_control_parameter_to_fit_second_derivative_at_right_side(
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    second_derivative_r: f64,
) -> f64 {
    let h = x_r - x_l;
    let numerator = 0.5 * h * second_derivative_r + (d_r - d_l);
    if is_zero(numerator) {
        return 0.0;
    }
    let denominator = d_r - (y_r - y_l) / h;
    if is_zero(denominator) {
        return if numerator > 0.0 {
            MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE
        } else {
            MINIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE
        };
    }
    numerator / denominator
}

/// Smallest control parameter that preserves monotonicity and convexity, Delbourgo & Gregory
/// (1985) conditions (3.8) and (3.18).
fn minimum_rational_cubic_control_parameter(
    d_l: f64,
    d_r: f64,
    s: f64,
    prefer_shape_preservation_over_smoothness: bool,
) -> f64 {
    let monotonic = d_l * s >= 0.0 && d_r * s >= 0.0;
    let convex = d_l <= s && s <= d_r;
    let concave = d_l >= s && s >= d_r;
    if !monotonic && !convex && !concave {
        return MINIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE;
    }
    let d_r_m_d_l = d_r - d_l;
    let d_r_m_s = d_r - s;
    let s_m_d_l = s - d_l;
    let mut r1 = -DBL_MAX;
    let mut r2 = r1;
    if monotonic {
        if !is_zero(s) {
            r1 = (d_r + d_l) / s;
        } else if prefer_shape_preservation_over_smoothness {
            r1 = MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE;
        }
    }
    if convex || concave {
        if !(is_zero(s_m_d_l) || is_zero(d_r_m_s)) {
            r2 = cmax((d_r_m_d_l / d_r_m_s).abs(), (d_r_m_d_l / s_m_d_l).abs());
        } else if prefer_shape_preservation_over_smoothness {
            r2 = MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE;
        }
    } else if monotonic && prefer_shape_preservation_over_smoothness {
        r2 = MAXIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE;
    }
    cmax(MINIMUM_RATIONAL_CUBIC_CONTROL_PARAMETER_VALUE, cmax(r1, r2))
}

#[allow(clippy::too_many_arguments)]
fn convex_rational_cubic_control_parameter_to_fit_second_derivative_at_left_side(
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    second_derivative_l: f64,
    prefer_shape_preservation_over_smoothness: bool,
) -> f64 {
    let r = rational_cubic_control_parameter_to_fit_second_derivative_at_left_side(
        x_l,
        x_r,
        y_l,
        y_r,
        d_l,
        d_r,
        second_derivative_l,
    );
    let r_min = minimum_rational_cubic_control_parameter(
        d_l,
        d_r,
        (y_r - y_l) / (x_r - x_l),
        prefer_shape_preservation_over_smoothness,
    );
    cmax(r, r_min)
}

#[allow(clippy::too_many_arguments)]
fn convex_rational_cubic_control_parameter_to_fit_second_derivative_at_right_side(
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    second_derivative_r: f64,
    prefer_shape_preservation_over_smoothness: bool,
) -> f64 {
    let r = rational_cubic_control_parameter_to_fit_second_derivative_at_right_side(
        x_l,
        x_r,
        y_l,
        y_r,
        d_l,
        d_r,
        second_derivative_r,
    );
    let r_min = minimum_rational_cubic_control_parameter(
        d_l,
        d_r,
        (y_r - y_l) / (x_r - x_l),
        prefer_shape_preservation_over_smoothness,
    );
    cmax(r, r_min)
}

/// The normalised Black call at fixed `x ≤ 0`, with `exp(±x/2)` precomputed.
struct NormalisedCall {
    x: f64,
    r: f64,
    rinv: f64,
}

impl NormalisedCall {
    /// `r = exp(x/2)` is the caller's (it is also the maximum normalised price `b_max`).
    #[inline]
    fn new(x: f64, r: f64) -> Self {
        NormalisedCall {
            x,
            r,
            rinv: 1.0 / r,
        }
    }

    /// `(b(x, s), ∂b/∂s)`; the normalised vega is `exp(−½(h²+t²))/√(2π)` (Jäckel's
    /// `normalised_vega`, which is zero for `s ≤ 0` away from the money).
    #[inline]
    fn b_and_vega(&self, s: f64) -> (f64, f64) {
        if s <= 0.0 && self.x != 0.0 {
            return (0.0, 0.0);
        }
        let c = otm_call(self.x, s, self.r, self.rinv);
        (c.b, ONE_OVER_SQRT_TWO_PI * c.gauss())
    }
}

/// `∂b/∂s` alone, exactly as [`NormalisedCall::b_and_vega`] returns it but without evaluating
/// `b`: `exp(−½(h²+t²))/√(2π)`, zero for `s ≤ 0` away from the money.
#[inline]
fn normalised_vega(x: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return if x != 0.0 { 0.0 } else { ONE_OVER_SQRT_TWO_PI };
    }
    let h = x / s;
    let t = 0.5 * s;
    ONE_OVER_SQRT_TWO_PI * (-0.5 * (h * h + t * t)).dexp()
}

/// Householder(3) step factor: `s₊ = s + newton·(1 + halley·newton/2)/(1 + newton·(halley +
/// hh3·newton/6))` (Jäckel 2015; reference `householder_factor`).
#[inline(always)]
fn householder_factor(newton: f64, halley: f64, hh3: f64) -> f64 {
    (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))
}

/// Lower map `f(β) = 2π/√27·|x|·Φ(−|x|/(√3·s))³` at `s` and its first two derivatives with
/// respect to `β` (Jäckel 2015; reference
/// `compute_f_lower_map_and_first_two_derivatives`).
fn compute_f_lower_map_and_first_two_derivatives(x: f64, s: f64) -> (f64, f64, f64) {
    let ax = x.abs();
    let z = SQRT_ONE_OVER_THREE * ax / s;
    let y = z * z;
    let s2 = s * s;
    let phi_cap = norm_cdf(-z);
    let phi = norm_pdf(z);
    let fpp = PI_OVER_SIX * y / (s2 * s)
        * phi_cap
        * (8.0 * SQRT_THREE * s * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * phi_cap / phi)
        * (2.0 * y + 0.25 * s2).dexp();
    let phi2 = phi_cap * phi_cap;
    let fp = TWO_PI * y * phi2 * (y + 0.125 * s * s).dexp();
    let f = TWO_PI_OVER_SQRT_TWENTY_SEVEN * ax * (phi2 * phi_cap);
    (f, fp, fpp)
}

/// Inverse of the lower map (Jäckel 2015; reference `inverse_f_lower_map`).
fn inverse_f_lower_map(x: f64, f: f64) -> f64 {
    (x / (SQRT_THREE * inverse_norm_cdf((f / (TWO_PI_OVER_SQRT_TWENTY_SEVEN * x.abs())).dcbrt())))
        .abs()
}

/// Upper map `f(β) = Φ(−s/2)` at `s` and its first two derivatives with respect to `β`
/// (Jäckel 2015; reference `compute_f_upper_map_and_first_two_derivatives`).
fn compute_f_upper_map_and_first_two_derivatives(x: f64, s: f64) -> (f64, f64, f64) {
    let f = norm_cdf(-0.5 * s);
    let w = square(x / s);
    let fp = -0.5 * (0.5 * w).dexp();
    let fpp = SQRT_PI_OVER_TWO * (w + 0.125 * s * s).dexp() * w / s;
    (f, fp, fpp)
}

/// Inverse of the upper map: `s = −2·Φ⁻¹(f)`.
fn inverse_f_upper_map(f: f64) -> f64 {
    -2.0 * inverse_norm_cdf(f)
}

/// Jäckel's `unchecked_normalised_implied_volatility_from_a_transformed_rational_guess_with_
/// limited_iterations` for an out-of-the-money call: `x ≤ 0`, `0 < β < exp(x/2)`.
/// Returns the total volatility `s = σ√T` and the normalised vega `∂b/∂s` at the last iterate
/// evaluated (the step before `s`; `NaN` if none was). `b_max = exp(x/2)`.
fn normalised_implied_volatility(beta: f64, x: f64, b_max: f64, n: usize) -> (f64, f64) {
    let nc = NormalisedCall::new(x, b_max);
    let mut iterations = 0usize;
    let mut direction_reversal_count = 0u32;
    let mut f = -DBL_MAX;
    let mut s;
    let mut ds = -DBL_MAX;
    let mut ds_previous = 0.0f64;
    let mut s_left = DBL_MIN;
    let mut s_right = DBL_MAX;
    let mut last_vega = f64::NAN;
    // Central point s_c = √|2x| (the inflexion point of b in s).
    let s_c = (2.0 * x).abs().sqrt();
    let (b_c, v_c) = nc.b_and_vega(s_c);

    // Shared bracketing/bisection guard of the three iteration loops.
    macro_rules! guard {
        () => {
            if ds * ds_previous < 0.0 {
                direction_reversal_count += 1;
            }
            if iterations > 0 && (direction_reversal_count == 3 || !(s > s_left && s < s_right)) {
                // Looping inefficiently or leaving the bracket: binary nesting.
                s = 0.5 * (s_left + s_right);
                if s_right - s_left <= DBL_EPSILON * s {
                    break;
                }
                direction_reversal_count = 0;
                ds = 0.0;
            }
            ds_previous = ds;
        };
    }

    if beta < b_c {
        let s_l = s_c - b_c / v_c;
        // b and vega at s_l in one evaluation (the vega is needed by the middle branch).
        let (b_l, v_l) = nc.b_and_vega(s_l);
        if beta < b_l {
            let (f_lower_map_l, d_f_lower_map_l_d_beta, d2_f_lower_map_l_d_beta2) =
                compute_f_lower_map_and_first_two_derivatives(x, s_l);
            let r_ll =
                convex_rational_cubic_control_parameter_to_fit_second_derivative_at_right_side(
                    0.0,
                    b_l,
                    0.0,
                    f_lower_map_l,
                    1.0,
                    d_f_lower_map_l_d_beta,
                    d2_f_lower_map_l_d_beta2,
                    true,
                );
            f = rational_cubic_interpolation(
                beta,
                0.0,
                b_l,
                0.0,
                f_lower_map_l,
                1.0,
                d_f_lower_map_l_d_beta,
                r_ll,
            );
            if !(f > 0.0) {
                // Round-off for extreme |x|: quadratic through f(0)=0, f(b_l), f'(0)=1.
                let t = beta / b_l;
                f = (f_lower_map_l * t + b_l * (1.0 - t)) * t;
            }
            s = inverse_f_lower_map(x, f);
            s_right = s_l;
            // Objective g(s) = 1/ln b(s) − 1/ln β (lowest branch).
            let ln_beta = beta.dln();
            while iterations < n && ds.abs() > DBL_EPSILON * s {
                guard!();
                let (b, bp) = nc.b_and_vega(s);
                last_vega = bp;
                if b > beta && s < s_right {
                    s_right = s;
                } else if b < beta && s > s_left {
                    s_left = s;
                }
                if b <= 0.0 || bp <= 0.0 {
                    ds = 0.5 * (s_left + s_right) - s;
                } else {
                    let ln_b = b.dln();
                    let bpob = bp / b;
                    let h = x / s;
                    let b_halley = h * h / s - s / 4.0;
                    let newton = (ln_beta - ln_b) * ln_b / ln_beta / bpob;
                    let halley = b_halley - bpob * (1.0 + 2.0 / ln_b);
                    let b_hh3 = b_halley * b_halley - 3.0 * square(h / s) - 0.25;
                    let hh3 = b_hh3 + 2.0 * square(bpob) * (1.0 + 3.0 / ln_b * (1.0 + 1.0 / ln_b))
                        - 3.0 * b_halley * bpob * (1.0 + 2.0 / ln_b);
                    ds = newton * householder_factor(newton, halley, hh3);
                }
                ds = cmax(-0.5 * s, ds);
                s += ds;
                iterations += 1;
            }
            return (s, last_vega);
        }
        let r_lm = convex_rational_cubic_control_parameter_to_fit_second_derivative_at_right_side(
            b_l,
            b_c,
            s_l,
            s_c,
            1.0 / v_l,
            1.0 / v_c,
            0.0,
            false,
        );
        s = rational_cubic_interpolation(beta, b_l, b_c, s_l, s_c, 1.0 / v_l, 1.0 / v_c, r_lm);
        s_left = s_l;
        s_right = s_c;
    } else {
        let s_h = if v_c > DBL_MIN {
            s_c + (b_max - b_c) / v_c
        } else {
            s_c
        };
        let (b_h, v_h) = nc.b_and_vega(s_h);
        if beta <= b_h {
            let r_hm =
                convex_rational_cubic_control_parameter_to_fit_second_derivative_at_left_side(
                    b_c,
                    b_h,
                    s_c,
                    s_h,
                    1.0 / v_c,
                    1.0 / v_h,
                    0.0,
                    false,
                );
            s = rational_cubic_interpolation(beta, b_c, b_h, s_c, s_h, 1.0 / v_c, 1.0 / v_h, r_hm);
            s_left = s_c;
            s_right = s_h;
        } else {
            let (f_upper_map_h, d_f_upper_map_h_d_beta, d2_f_upper_map_h_d_beta2) =
                compute_f_upper_map_and_first_two_derivatives(x, s_h);
            if d2_f_upper_map_h_d_beta2 > -SQRT_DBL_MAX && d2_f_upper_map_h_d_beta2 < SQRT_DBL_MAX {
                let r_hh =
                    convex_rational_cubic_control_parameter_to_fit_second_derivative_at_left_side(
                        b_h,
                        b_max,
                        f_upper_map_h,
                        0.0,
                        d_f_upper_map_h_d_beta,
                        -0.5,
                        d2_f_upper_map_h_d_beta2,
                        true,
                    );
                f = rational_cubic_interpolation(
                    beta,
                    b_h,
                    b_max,
                    f_upper_map_h,
                    0.0,
                    d_f_upper_map_h_d_beta,
                    -0.5,
                    r_hh,
                );
            }
            if f <= 0.0 {
                // Quadratic through f(b_h), f(b_max)=0, f'(b_max)=−1/2.
                let h = b_max - b_h;
                let t = (beta - b_h) / h;
                f = (f_upper_map_h * (1.0 - t) + 0.5 * h * t) * (1.0 - t);
            }
            s = inverse_f_upper_map(f);
            s_left = s_h;
            if beta > 0.5 * b_max {
                // Objective g(s) = ln((b_max−β)/(b_max−b(s))) (upper branch).
                while iterations < n && ds.abs() > DBL_EPSILON * s {
                    guard!();
                    let (b, bp) = nc.b_and_vega(s);
                    last_vega = bp;
                    if b > beta && s < s_right {
                        s_right = s;
                    } else if b < beta && s > s_left {
                        s_left = s;
                    }
                    if b >= b_max || bp <= DBL_MIN {
                        ds = 0.5 * (s_left + s_right) - s;
                    } else {
                        let b_max_minus_b = b_max - b;
                        let g = ((b_max - beta) / b_max_minus_b).dln();
                        let gp = bp / b_max_minus_b;
                        let b_halley = square(x / s) / s - s / 4.0;
                        let b_hh3 = b_halley * b_halley - 3.0 * square(x / (s * s)) - 0.25;
                        let newton = -g / gp;
                        let halley = b_halley + gp;
                        let hh3 = b_hh3 + gp * (2.0 * gp + 3.0 * b_halley);
                        ds = newton * householder_factor(newton, halley, hh3);
                    }
                    ds = cmax(-0.5 * s, ds);
                    s += ds;
                    iterations += 1;
                }
                return (s, last_vega);
            }
        }
    }
    // Objective g(s) = b(s) − β (two middle branches).
    while iterations < n && ds.abs() > DBL_EPSILON * s {
        guard!();
        let (b, bp) = nc.b_and_vega(s);
        last_vega = bp;
        if b > beta && s < s_right {
            s_right = s;
        } else if b < beta && s > s_left {
            s_left = s;
        }
        let newton = (beta - b) / bp;
        let halley = square(x / s) / s - s / 4.0;
        let hh3 = halley * halley - 3.0 * square(x / (s * s)) - 0.25;
        ds = cmax(-0.5 * s, newton * householder_factor(newton, halley, hh3));
        s += ds;
        iterations += 1;
    }
    (s, last_vega)
}

/// One unit in the last place of a positive finite `v`.
#[inline]
fn ulp(v: f64) -> f64 {
    f64::from_bits(v.to_bits() + 1) - v
}

/// Common solver: `price` is the discounted premium, `d` the discount factor, `f` the forward,
/// `x = ln(F/K)`; `model` decides how much rounding the intrinsic value carries.
#[allow(clippy::too_many_arguments)]
fn solve(
    model: Model,
    kind: OptionKind,
    price: f64,
    d: f64,
    f: f64,
    k: f64,
    x: f64,
    time: f64,
) -> Result<f64, PricingError> {
    if price < 0.0 {
        return Err(PricingError::BelowIntrinsic);
    }
    let p = price / d;
    if !p.is_finite() {
        return Err(PricingError::OutOfRange(Field::Rate));
    }
    let (intrinsic, max_price) = match kind {
        OptionKind::Call => (if x > 0.0 { f - k } else { 0.0 }, f),
        OptionKind::Put => (if x < 0.0 { k - f } else { 0.0 }, k),
    };
    let intrinsic = if intrinsic > 0.0 { intrinsic } else { 0.0 };
    // Rounding carried by `p − intrinsic` beyond the price's own last place: undiscounting
    // (Black-76) rounds `p`; the spot→forward conversion (Black–Scholes) rounds `F` itself.
    let allowance = if d == 1.0 {
        0.0
    } else {
        match model {
            Model::Black76 => INTRINSIC_ROUNDING_ULPS * DBL_EPSILON * cmax(p, intrinsic),
            Model::BlackScholes => {
                // Only matters where an intrinsic value is (or may be, by rounding) present.
                let a = INTRINSIC_ROUNDING_ULPS * DBL_EPSILON * cmax(f, k);
                if kind.sign() * (f - k) > -a {
                    a
                } else {
                    0.0
                }
            }
        }
    };
    if p < intrinsic - allowance {
        return Err(PricingError::BelowIntrinsic);
    }
    if p >= max_price {
        return Err(PricingError::AboveMaximum);
    }
    // Map in-the-money to out-of-the-money (put–call parity).
    let time_value = if p > intrinsic { p - intrinsic } else { 0.0 };
    if time_value == 0.0 {
        // The price equals the intrinsic value: σ = 0 reproduces it exactly.
        return Ok(0.0);
    }
    let sqrt_fk = f.sqrt() * k.sqrt();
    let beta = time_value / sqrt_fk;
    if beta < DBL_MIN {
        // Subnormal normalised time value: no volatility can be resolved.
        return Err(PricingError::Undetermined);
    }
    // Out-of-the-money call frame (puts map to calls by x → −x). `b_max = exp(−|x|/2) =
    // √(min(F,K)/max(F,K))`, by a square root rather than an exponential, the same `exp(x/2)`
    // the pricing side uses (`black::undiscounted`); `|x| ≤ 700` keeps the ratio normal.
    let xn = -x.abs();
    let b_max = if f < k {
        (f / k).sqrt()
    } else {
        (k / f).sqrt()
    };
    if beta >= b_max {
        return Err(PricingError::AboveMaximum);
    }
    let (s, last_vega) = normalised_implied_volatility(beta, xn, b_max, MAX_ITERATIONS);
    let sqrt_t = time.sqrt();
    let sigma = s / sqrt_t;
    if !(sigma >= 0.0) {
        return Err(PricingError::Undetermined);
    }
    if !sigma.is_finite() {
        return Err(PricingError::Overflow);
    }
    // Identifiability: the volatility change that moves the price by one ulp. The normalised
    // vega is the one the last iteration evaluated, one converging step before `s` (immaterial
    // to a one-in-ten threshold); it is recomputed only if none is usable.
    let unit_vega = if last_vega > 0.0 {
        last_vega
    } else {
        normalised_vega(xn, s)
    };
    let vega = d * sqrt_fk * unit_vega * sqrt_t;
    let resolution = (ulp(price) + d * allowance) / vega;
    if !(resolution < UNDETERMINED_RESOLUTION * sigma) {
        return Err(PricingError::Undetermined);
    }
    Ok(sigma)
}

/// Validates the common implied-volatility inputs.
#[inline]
fn validate(
    price: f64,
    underlying: f64,
    underlying_field: Field,
    strike: f64,
    time: f64,
    rate: f64,
) -> Result<(), PricingError> {
    check_finite(price, Field::Price)?;
    check_positive(underlying, underlying_field)?;
    check_positive(strike, Field::Strike)?;
    check_positive(time, Field::Time)?;
    check_finite(rate, Field::Rate)?;
    Ok(())
}

/// Black-76 implied volatility from a discounted premium (Jäckel 2015, "Let's Be Rational").
///
/// `price` is `D·Black(F, K, σ, T)` with `D = exp(−rT)`. See the module documentation for the
/// error policy (`below_intrinsic`, `above_maximum`, `undetermined`; `Ok(0.0)` exactly at
/// intrinsic) and the input errors (`not_finite`, `non_positive`, `out_of_range`).
///
/// ```
/// use imr::pricing::{black76_price, implied_vol_black76, OptionKind};
/// // A 1-minute, 3-standard-deviation out-of-the-money BTC put round-trips exactly.
/// let (f, k, t) = (65000.0, 64800.0, 1.0 / (365.0 * 24.0 * 60.0));
/// let price = black76_price(OptionKind::Put, f, k, t, 0.0, 0.45).unwrap();
/// let sigma = implied_vol_black76(OptionKind::Put, price, f, k, t, 0.0).unwrap();
/// assert!((sigma - 0.45).abs() < 1e-12);
/// let below = implied_vol_black76(OptionKind::Call, 4999.0, 65000.0, 60000.0, 0.02, 0.0);
/// assert_eq!(below.unwrap_err().code(), "below_intrinsic");
/// ```
pub fn implied_vol_black76(
    kind: OptionKind,
    price: f64,
    forward: f64,
    strike: f64,
    time: f64,
    rate: f64,
) -> Result<f64, PricingError> {
    validate(price, forward, Field::Forward, strike, time, rate)?;
    let x = log_moneyness(forward, strike)?;
    let d = if rate == 0.0 {
        1.0
    } else {
        (-rate * time).dexp()
    };
    solve(Model::Black76, kind, price, d, forward, strike, x, time)
}

/// Black–Scholes implied volatility from a spot-based premium (no dividends): solved as
/// Black-76 on `F = S·e^{rT}` with the undiscounted price `price·e^{rT}`.
pub fn implied_vol_black_scholes(
    kind: OptionKind,
    price: f64,
    spot: f64,
    strike: f64,
    time: f64,
    rate: f64,
) -> Result<f64, PricingError> {
    validate(price, spot, Field::Spot, strike, time, rate)?;
    let (d, f, x) = spot_to_forward(spot, strike, time, rate)?;
    solve(Model::BlackScholes, kind, price, d, f, strike, x, time)
}

/// Model-generic implied volatility; `underlying` is the forward for [`Model::Black76`] and
/// spot for [`Model::BlackScholes`].
pub fn implied_vol(
    model: Model,
    kind: OptionKind,
    price: f64,
    underlying: f64,
    strike: f64,
    time: f64,
    rate: f64,
) -> Result<f64, PricingError> {
    match model {
        Model::Black76 => implied_vol_black76(kind, price, underlying, strike, time, rate),
        Model::BlackScholes => {
            implied_vol_black_scholes(kind, price, underlying, strike, time, rate)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_batch(
    model: Model,
    n: usize,
    price: &[f64],
    underlying: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    out_vol: &[f64],
) -> Result<(), (usize, PricingError)> {
    check_len(price.len(), n, Field::Price)?;
    check_len(underlying.len(), n, model.underlying_field())?;
    check_len(strike.len(), n, Field::Strike)?;
    check_len(time.len(), n, Field::Time)?;
    check_len(rate.len(), n, Field::Rate)?;
    check_len(out_vol.len(), n, Field::Output)
}

/// Implied volatilities for a whole chain (struct-of-arrays, allocation-free).
///
/// `is_call[i]` is `1` for a call and `0` for a put. Stops at the first element that fails and
/// returns its index and error; `out_vol` before that index is written. Use
/// [`implied_vol_batch_each`] to keep going past bad quotes.
#[allow(clippy::too_many_arguments)]
pub fn implied_vol_batch(
    model: Model,
    is_call: &[u8],
    price: &[f64],
    underlying: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    out_vol: &mut [f64],
) -> Result<(), (usize, PricingError)> {
    let n = is_call.len();
    check_batch(model, n, price, underlying, strike, time, rate, out_vol)?;
    for i in 0..n {
        let kind = OptionKind::from_code(is_call[i]).map_err(|e| (i, e))?;
        out_vol[i] = implied_vol(
            model,
            kind,
            price[i],
            underlying[i],
            strike[i],
            time[i],
            rate[i],
        )
        .map_err(|e| (i, e))?;
    }
    Ok(())
}

/// Implied volatilities for a whole chain, element by element: `out_status[i]` is `0` on
/// success or [`PricingError::status`] of the failure, in which case `out_vol[i] = fill`
/// (e.g. `f64::NAN` for a JavaScript `Float64Array`, or `0.0`).
///
/// Returns the number of failed elements; only a slice-length mismatch is an `Err`.
#[allow(clippy::too_many_arguments)]
pub fn implied_vol_batch_each(
    model: Model,
    is_call: &[u8],
    price: &[f64],
    underlying: &[f64],
    strike: &[f64],
    time: &[f64],
    rate: &[f64],
    out_vol: &mut [f64],
    out_status: &mut [u8],
    fill: f64,
) -> Result<usize, (usize, PricingError)> {
    let n = is_call.len();
    check_batch(model, n, price, underlying, strike, time, rate, out_vol)?;
    check_len(out_status.len(), n, Field::Output)?;
    let mut failures = 0;
    for i in 0..n {
        let result = match is_call[i] {
            1 => implied_vol(
                model,
                OptionKind::Call,
                price[i],
                underlying[i],
                strike[i],
                time[i],
                rate[i],
            ),
            0 => implied_vol(
                model,
                OptionKind::Put,
                price[i],
                underlying[i],
                strike[i],
                time[i],
                rate[i],
            ),
            _ => Err(PricingError::InvalidKind),
        };
        match result {
            Ok(v) => {
                out_vol[i] = v;
                out_status[i] = 0;
            }
            Err(e) => {
                out_vol[i] = fill;
                out_status[i] = e.status();
                failures += 1;
            }
        }
    }
    Ok(failures)
}
