//! Standard normal distribution and error functions to full double precision.
//!
//! * `erf`, `erfc`, `erfcx`: W. J. Cody, "Rational Chebyshev approximations for the error
//!   function", Mathematics of Computation 23 (1969), 631–637, as implemented in Cody's
//!   SPECFUN routine `CALERF` (netlib `specfun/erf`, revision of March 19, 1990). The rational
//!   approximations are accurate to at least 18 significant digits on their intervals; the
//!   Gaussian factor `exp(−y²)` is evaluated as `exp(−y₀²)·exp(−(y−y₀)(y+y₀))` with `y₀` the
//!   argument truncated to 1/16, which avoids the loss of accuracy caused by rounding `y²`.
//! * `norm_cdf`: `Φ(z) = ½·erfc(−z/√2)`, evaluated as `½·exp(−z²/2)·erfcx(|z|/√2)` in the tails
//!   with the same exact splitting of `z²/2`, so that the relative error stays at the level of a
//!   few ulps down to the underflow threshold (`z ≈ −37.5`).
//! * `inverse_norm_cdf`: M. J. Wichura, "Algorithm AS 241: The percentage points of the normal
//!   distribution", Applied Statistics 37 (1988), 477–484 (`PPND16`, about 1 part in 10¹⁶).

use crate::fmath::DetMath;

/// `1/√(2π)`.
pub const ONE_OVER_SQRT_TWO_PI: f64 = 0.398_942_280_401_432_7;
/// `√(2π)`.
pub const SQRT_TWO_PI: f64 = 2.506_628_274_631_000_2;
/// `1/√2`.
pub const ONE_OVER_SQRT_TWO: f64 = core::f64::consts::FRAC_1_SQRT_2;
/// `1/√π` (Cody's `SQRPI`).
const ONE_OVER_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// Cody's `THRESH`: below this |argument| erf is evaluated directly.
pub(crate) const CODY_THRESHOLD: f64 = 0.46875;
/// Cody's `XSMALL`: below this, `erf(x) = 2x/√π` to machine precision.
const XSMALL: f64 = 1.11e-16;
/// Cody's `XBIG`: `erfc(x)` underflows for `x ≥ XBIG`.
const XBIG: f64 = 26.543;
/// Cody's `XHUGE`: `erfcx(x) = 1/(x√π)` to machine precision for `x ≥ XHUGE`.
const XHUGE: f64 = 6.71e7;
/// Cody's `XMAX`: `erfcx(x)` underflows for `x ≥ XMAX`.
const XMAX: f64 = 2.53e307;
/// Cody's `XNEG`: `erfcx(x)` overflows for `x < XNEG`.
const XNEG: f64 = -26.628;

// Cody (1969), coefficients for erf on |x| <= 0.46875.
pub(crate) const CODY_A: [f64; 5] = [
    3.1611237438705655,
    113.86415415105016,
    377.485237685302,
    3209.3775891384694,
    0.18577770618460315,
];
pub(crate) const CODY_B: [f64; 4] = [
    23.601290952344122,
    244.02463793444417,
    1282.6165260773723,
    2844.236833439171,
];
// Cody (1969), coefficients for erfcx on 0.46875 <= x <= 4.
pub(crate) const CODY_C: [f64; 9] = [
    0.5641884969886701,
    8.883149794388377,
    66.11919063714163,
    298.6351381974001,
    881.952221241769,
    1712.0476126340707,
    2051.0783778260716,
    1230.3393547979972,
    2.1531153547440383e-08,
];
pub(crate) const CODY_D: [f64; 8] = [
    15.744926110709835,
    117.6939508913125,
    537.1811018620099,
    1621.3895745666903,
    3290.7992357334597,
    4362.619090143247,
    3439.3676741437216,
    1230.3393548037495,
];
// Cody (1969), coefficients for erfcx on x > 4 (asymptotic rational form).
pub(crate) const CODY_P: [f64; 6] = [
    0.30532663496123236,
    0.36034489994980445,
    0.12578172611122926,
    0.016083785148742275,
    0.0006587491615298378,
    0.016315387137302097,
];
pub(crate) const CODY_Q: [f64; 5] = [
    2.568520192289822,
    1.8729528499234604,
    0.5279051029514285,
    0.06051834131244132,
    0.0023352049762686918,
];

/// `erf(x)` for `|x| ≤ 0.46875` (Cody 1969, first interval). No exponential is needed.
#[inline]
pub(crate) fn erf_central(x: f64) -> f64 {
    let y = x.abs();
    let ysq = if y > XSMALL { y * y } else { 0.0 };
    // Cody's loop `xnum = (xnum + A[i])·ysq` written out: the same operations in the same order
    // (bit-identical), but straight-line code with immediate constants — the size-optimised
    // release profile never unrolls loops, and the rolled loop reloads the coefficients from
    // memory in WebAssembly.
    let xnum = (((CODY_A[4] * ysq + CODY_A[0]) * ysq + CODY_A[1]) * ysq + CODY_A[2]) * ysq;
    let xden = (((ysq + CODY_B[0]) * ysq + CODY_B[1]) * ysq + CODY_B[2]) * ysq;
    x * (xnum + CODY_A[3]) / (xden + CODY_B[3])
}

/// For `y > 4`, the correction `c` in Cody's third-interval form `erfcx(y) = (1/√π − c)/y`
/// (Cody 1969): `c = y⁻²·P(y⁻²)/Q(y⁻²)`. It gives `1 − √π·y·erfcx(y) = √π·c` without
/// cancellation.
#[inline]
pub(crate) fn erfcx_far_correction(y: f64) -> f64 {
    let ysq = 1.0 / (y * y);
    // Cody's loop over i = 0..4, written out (see `erf_central`).
    let xnum = ((((CODY_P[5] * ysq + CODY_P[0]) * ysq + CODY_P[1]) * ysq + CODY_P[2]) * ysq
        + CODY_P[3])
        * ysq;
    let xden = ((((ysq + CODY_Q[0]) * ysq + CODY_Q[1]) * ysq + CODY_Q[2]) * ysq + CODY_Q[3]) * ysq;
    ysq * (xnum + CODY_P[4]) / (xden + CODY_Q[4])
}

/// `erfcx(y) = exp(y²)·erfc(y)` for `y > 0.46875` (Cody 1969, second and third intervals).
/// Pure rational functions: no exponential is evaluated.
#[inline]
pub(crate) fn erfcx_positive(y: f64) -> f64 {
    if y <= 4.0 {
        // Cody's loop over i = 0..7, written out (see `erf_central`).
        let xnum = (((((((CODY_C[8] * y + CODY_C[0]) * y + CODY_C[1]) * y + CODY_C[2]) * y
            + CODY_C[3])
            * y
            + CODY_C[4])
            * y
            + CODY_C[5])
            * y
            + CODY_C[6])
            * y;
        let xden = (((((((y + CODY_D[0]) * y + CODY_D[1]) * y + CODY_D[2]) * y + CODY_D[3]) * y
            + CODY_D[4])
            * y
            + CODY_D[5])
            * y
            + CODY_D[6])
            * y;
        (xnum + CODY_C[7]) / (xden + CODY_D[7])
    } else {
        if y >= XBIG {
            if y >= XMAX {
                return 0.0;
            }
            if y >= XHUGE {
                return ONE_OVER_SQRT_PI / y;
            }
        }
        (ONE_OVER_SQRT_PI - erfcx_far_correction(y)) / y
    }
}

/// `exp(−y²)` with `y²` split exactly as in Cody's `CALERF`: `y₀ = trunc(16y)/16`,
/// `exp(−y₀²)·exp(−(y−y₀)(y+y₀))`.
#[inline]
fn exp_minus_square(y: f64) -> f64 {
    let y0 = (y * 16.0).trunc() / 16.0;
    let del = (y - y0) * (y + y0);
    (-y0 * y0).dexp() * (-del).dexp()
}

/// `exp(+y²)` with the same exact splitting as [`exp_minus_square`].
#[inline]
fn exp_plus_square(y: f64) -> f64 {
    let y0 = (y * 16.0).trunc() / 16.0;
    let del = (y - y0) * (y + y0);
    (y0 * y0).dexp() * del.dexp()
}

/// The error function `erf(x) = 2/√π ∫₀ˣ exp(−t²) dt` (Cody 1969).
///
/// NaN propagates.
pub fn erf(x: f64) -> f64 {
    let y = x.abs();
    if y <= CODY_THRESHOLD {
        return erf_central(x);
    }
    let tail = if y >= XBIG {
        0.0
    } else {
        exp_minus_square(y) * erfcx_positive(y)
    };
    let r = (0.5 - tail) + 0.5;
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// The complementary error function `erfc(x) = 1 − erf(x)`, accurate to a few ulps relative
/// in the right tail down to underflow (Cody 1969).
///
/// NaN propagates.
pub fn erfc(x: f64) -> f64 {
    let y = x.abs();
    if y <= CODY_THRESHOLD {
        return 1.0 - erf_central(x);
    }
    let tail = if y >= XBIG {
        0.0
    } else {
        exp_minus_square(y) * erfcx_positive(y)
    };
    if x < 0.0 {
        2.0 - tail
    } else {
        tail
    }
}

/// The scaled complementary error function `erfcx(x) = exp(x²)·erfc(x)` (Cody 1969).
///
/// Returns `+∞` for `x < −26.628` where the result overflows; NaN propagates.
pub fn erfcx(x: f64) -> f64 {
    let y = x.abs();
    if y <= CODY_THRESHOLD {
        let ysq = if y > XSMALL { y * y } else { 0.0 };
        return ysq.dexp() * (1.0 - erf_central(x));
    }
    if x > 0.0 {
        return erfcx_positive(y);
    }
    if x.is_nan() {
        return x;
    }
    if x < XNEG {
        return f64::INFINITY;
    }
    let e = exp_plus_square(x);
    (e + e) - erfcx_positive(y)
}

/// Standard normal density `φ(x) = exp(−x²/2)/√(2π)`.
///
/// The exponent is split exactly (see the module documentation) so that the relative accuracy
/// holds in the tails as well. NaN propagates.
pub fn norm_pdf(x: f64) -> f64 {
    ONE_OVER_SQRT_TWO_PI * exp_minus_half_square(x)
}

/// `exp(−z²/2)` with `z²/2` split exactly: `z₀ = trunc(16z)/16` makes `z₀²/2` exact and the
/// remainder `(z−z₀)(z+z₀)/2` small.
#[inline]
pub(crate) fn exp_minus_half_square(z: f64) -> f64 {
    if z.abs() >= 64.0 {
        // exp(−2048) underflows; also keeps ±∞ away from the splitting below.
        return 0.0;
    }
    let z0 = (z * 16.0).trunc() / 16.0;
    let del = 0.5 * ((z - z0) * (z + z0));
    (-0.5 * (z0 * z0)).dexp() * (-del).dexp()
}

/// Standard normal cumulative distribution `Φ(z) = ½·erfc(−z/√2)`.
///
/// Relative accuracy of a few ulps for all `z` (the lower tail is evaluated as
/// `½·exp(−z²/2)·erfcx(−z/√2)` with the Gaussian factor split exactly); `Φ(z) = 0` below
/// `z ≈ −37.5` where the result leaves the normal range of f64. NaN propagates.
pub fn norm_cdf(z: f64) -> f64 {
    norm_cdf_pair(z).0
}

/// `(Φ(z), Φ(−z)) = (Φ(z), 1 − Φ(z))`, each to full relative precision (the smaller of the two is
/// never obtained by subtraction from one).
pub fn norm_cdf_pair(z: f64) -> (f64, f64) {
    let y = z.abs() * ONE_OVER_SQRT_TWO;
    if y <= CODY_THRESHOLD {
        let e = erf_central(z * ONE_OVER_SQRT_TWO);
        return (0.5 + 0.5 * e, 0.5 - 0.5 * e);
    }
    let tail = if y >= XBIG {
        0.0
    } else {
        0.5 * exp_minus_half_square(z) * erfcx_positive(y)
    };
    if z < 0.0 {
        (tail, 1.0 - tail)
    } else {
        (1.0 - tail, tail)
    }
}

/// Inverse of the standard normal distribution, `Φ⁻¹(p)` (Wichura 1988, AS 241 `PPND16`,
/// accurate to about 1 part in 10¹⁶).
///
/// Returns `−∞` for `p ≤ 0`, `+∞` for `p ≥ 1`; NaN propagates.
pub fn inverse_norm_cdf(p: f64) -> f64 {
    const SPLIT1: f64 = 0.425;
    const SPLIT2: f64 = 5.0;
    const CONST1: f64 = 0.180_625;
    const CONST2: f64 = 1.6;
    // Coefficients for p close to 0.5.
    const A: [f64; 8] = [
        3.3871328727963665,
        133.14166789178438,
        1971.5909503065513,
        13731.69376550946,
        45921.95393154987,
        67265.7709270087,
        33430.57558358813,
        2509.0809287301227,
    ];
    const B: [f64; 8] = [
        1.0,
        42.31333070160091,
        687.1870074920579,
        5394.196021424751,
        21213.794301586597,
        39307.89580009271,
        28729.085735721943,
        5226.495278852854,
    ];
    // Coefficients for p neither close to 0.5 nor to 0 or 1.
    const C: [f64; 8] = [
        1.4234371107496835,
        4.630337846156546,
        5.769497221460691,
        3.6478483247632045,
        1.2704582524523684,
        0.2417807251774506,
        0.022723844989269184,
        0.0007745450142783414,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053191626637759,
        1.6763848301838038,
        0.6897673349851,
        0.14810397642748008,
        0.015198666563616457,
        0.0005475938084995345,
        1.0507500716444169e-09,
    ];
    // Coefficients for p very close to 0 or 1.
    const E: [f64; 8] = [
        6.657904643501103,
        5.463784911164114,
        1.7848265399172913,
        0.29656057182850487,
        0.026532189526576124,
        0.0012426609473880784,
        2.7115555687434876e-05,
        2.0103343992922881e-07,
    ];
    const F: [f64; 8] = [
        1.0,
        0.599832206555888,
        0.1369298809227358,
        0.014875361290850615,
        0.0007868691311456133,
        1.8463183175100548e-05,
        1.421511758316446e-07,
        2.0442631033899397e-15,
    ];
    #[inline]
    fn poly(c: &[f64; 8], r: f64) -> f64 {
        ((((((c[7] * r + c[6]) * r + c[5]) * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]) * r
            + c[0]
    }

    if p.is_nan() {
        return p;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= SPLIT1 {
        let r = CONST1 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.dln()).sqrt();
    let ret = if r < SPLIT2 {
        let r = r - CONST2;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - SPLIT2;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 {
        -ret
    } else {
        ret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Abramowitz & Stegun 26.2.12: Φ(z) = φ(z)/|z|·Σ (−1)ⁿ (2n−1)!!/z²ⁿ for z → −∞;
    /// an independent full-precision reference for z ≤ −10.
    fn asymptotic_cdf(z: f64) -> f64 {
        let z2 = z * z;
        let mut term = 1.0f64;
        let mut sum = 1.0f64;
        for n in 1..30 {
            term *= -((2 * n - 1) as f64) / z2;
            if term.abs() < 1e-18 * sum.abs() {
                break;
            }
            sum += term;
        }
        norm_pdf(z) / -z * sum
    }

    #[test]
    fn lower_tail_matches_asymptotic_series() {
        let mut z = -10.0;
        while z > -37.0 {
            let got = norm_cdf(z);
            let want = asymptotic_cdf(z);
            assert!(
                ((got - want) / want).abs() < 4e-15,
                "z={z}: {got:e} vs {want:e}"
            );
            z -= 0.37;
        }
    }

    #[test]
    fn symmetry_and_complement() {
        let mut z = -12.0;
        while z < 12.0 {
            let (lo, hi) = norm_cdf_pair(z);
            assert_eq!(norm_cdf(-z), hi);
            assert!((lo + hi - 1.0).abs() <= 2.0 * f64::EPSILON, "{z}");
            assert!((erf(z) + erfc(z) - 1.0).abs() <= 4.0 * f64::EPSILON, "{z}");
            assert!(
                (erfc(-z) - (2.0 - erfc(z))).abs() <= 4.0 * f64::EPSILON,
                "{z}"
            );
            let x = z / 4.0;
            let via_erfcx = erfcx(x) * (-(x * x)).dexp();
            assert!(
                (via_erfcx - erfc(x)).abs() <= 1e-15 * erfc(x).max(1e-300),
                "{x}"
            );
            z += 0.173;
        }
    }

    #[test]
    fn density_is_derivative_of_cdf() {
        let mut z = -8.0;
        while z < 8.0 {
            let h = 1e-5;
            let fd = (norm_cdf(z + h) - norm_cdf(z - h)) / (2.0 * h);
            assert!(
                (fd - norm_pdf(z)).abs() <= 1e-9 * norm_pdf(z) + 1e-10,
                "{z}"
            );
            z += 0.31;
        }
    }

    #[test]
    fn inverse_round_trips() {
        for &p in &[
            1e-300, 1e-100, 1e-20, 1e-8, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.975,
        ] {
            let z = inverse_norm_cdf(p);
            let back = norm_cdf(z);
            // d p / p = z φ/Φ dz ≈ z² dz/z: allow the condition number.
            let tol = 1e-14 * (1.0 + z.abs() * z.abs());
            assert!(((back - p) / p).abs() < tol, "p={p}: z={z} back={back:e}");
        }
        assert_eq!(inverse_norm_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse_norm_cdf(1.0), f64::INFINITY);
        assert!(inverse_norm_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn erfcx_limits() {
        assert_eq!(erfcx(f64::NEG_INFINITY), f64::INFINITY);
        assert_eq!(erfcx(f64::INFINITY), 0.0);
        assert!(erfcx(f64::NAN).is_nan());
        let x = 1e8;
        assert!((erfcx(x) * x * core::f64::consts::PI.sqrt() - 1.0).abs() < 1e-15);
        assert_eq!(norm_cdf(-40.0), 0.0);
        assert_eq!(norm_cdf(40.0), 1.0);
    }
}
