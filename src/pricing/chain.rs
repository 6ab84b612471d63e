//! The batch price-and-delta kernel: two options at a time in SIMD lanes.
//!
//! The scalar functions ([`super::black76`], [`super::black_scholes`]) follow Jäckel's
//! normalised Black function region by region to machine precision everywhere, a chain of
//! data-dependent branches per option. A chain is priced here two options at a time in [`F2`]
//! lanes (one WebAssembly SIMD register) by the two-term formula, which is exact to a few ulps
//! wherever its two terms do not cancel; every option it cannot price to that accuracy goes to
//! the scalar function instead:
//!
//! * `V = D·[F·Φ(d1) − K·Φ(d2)]` (call), `D·[K·Φ(−d2) − F·Φ(−d1)]` (put) (Black 1976; for
//!   Black–Scholes the same in present values, `S` and `K·D`), evaluated for the
//!   out-of-the-money option of the pair (the call when `F ≤ K`) with the intrinsic value added,
//!   as the scalar code does;
//! * `Φ` by Cody's (1969) erfc on his three intervals (`normal.rs`: the same coefficients and
//!   operation order); one Gaussian factor per option, `exp(−d1²/2)` with `d1²` split exactly
//!   (Dekker), and `exp(−d2²/2) = exp(−d1²/2)·F/K`; `exp` and `ln` as fdlibm's `e_exp.c` and
//!   `e_log.c` (the same reductions and polynomials, within an ulp);
//! * where the time value is less than a sixteenth of the larger term (more than four bits
//!   would cancel: deep out of the money at small `σ√T`), Jäckel's small-`t` expansion (his
//!   region 2, as the scalar code evaluates it) gives the time value instead, in the same
//!   lanes ([`small_t_time_value`]);
//! * an option goes to the scalar path when it cancels outside that expansion's domain
//!   (Jäckel's region 1, `h < −10`, or `t ≥ τ`), when `|d1|` or `|d2|` exceeds 37 (the
//!   Gaussian factor nears the bottom of the normal range), when `|ln(F/K)|` or `|rT|` exceeds
//!   700, and for every invalid input (which the scalar path then reports). On the benchmark's
//!   chain that is none of 10,000 options (480 before the expansion was vectorised).
//!
//! The results are within 2e-14 relative of the scalar function's for the price and 2e-15 for
//! the delta (`tests/pricing_batch.rs`, on chains far beyond any market; in the far tails,
//! where `Φ(d)` moves by `d²` ulps per ulp of `d`, within that times `d²`), and bit-identical
//! natively and in WebAssembly (both backends of [`F2`] perform the same IEEE 754 operations;
//! `tests/vectors/determinism/price_delta_batch.json` is checked on both).
//!
//! Speed, in V8: every constant is read from one table ([`Constants`]) behind an opaque
//! reference, because a `v128.const` is rebuilt from immediates at each use (three
//! instructions); refused lanes are not sanitised (no floating-point or integer operation here
//! traps, and their results are discarded); and the per-vector interval tests (`all`/`any`)
//! skip the rational functions no lane needs. The kernel runs in three stages ([`front`]: the
//! checks, discount, log-moneyness and `d1, d2`; [`cdfs`]: the four CDF values; [`finish`]:
//! price and delta), each over a block of [`BLOCK`] pairs before the next: one pair's whole
//! computation is a chain of dependent divisions and polynomials longer than the processor's
//! reordering window, so pairs priced one after another barely overlap, while a stage's shorter
//! loop body lets consecutive pairs run side by side, with fewer values live at once (V8 has 16
//! SIMD registers; the unstaged kernel spilled some 190 of them per pair). Same operations in
//! the same order per lane: the results are the same bits. Measured in alternated runs of
//! `benches/wasm.mjs`: wide chain 29.2–32.5 → 24.0–24.3 ns per option, near the money
//! 22.8–27.8 → 16.1–17.2.

use super::black::{
    black76_price_delta_unchecked, black_scholes_price_delta_unchecked,
    ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD, SMALL_T_A1, SMALL_T_A2, SMALL_T_A3, SMALL_T_A4,
    SMALL_T_A5, SMALL_T_A6, SMALL_T_B1, SMALL_T_B2, SMALL_T_B3, SMALL_T_B4, SMALL_T_B5, SMALL_T_B6,
    SMALL_T_EXPANSION_THRESHOLD, SMALL_T_ORDER_BOUNDS, SQRT_PI,
};
use super::lanes::{F2, M2};
use super::normal::{
    CODY_A, CODY_B, CODY_C, CODY_D, CODY_P, CODY_Q, CODY_THRESHOLD, ONE_OVER_SQRT_TWO_PI,
    SQRT_TWO_PI,
};
use super::{OptionKind, PricingError};

/// `1/ln 2` (fdlibm `e_exp.c` `invln2`).
const INV_LN2: f64 = core::f64::consts::LOG2_E;
/// `ln 2` in two parts (fdlibm `ln2HI`, `ln2LO`): the high part has 32 trailing zero bits, so
/// `k·LN2_HI` is exact for the exponents used here.
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// fdlibm `e_exp.c`: the minimax polynomial of `r·(e^r + 1)/(e^r − 1)` on `|r| ≤ ½ln 2`.
const EXP_P: [f64; 5] = [
    1.666_666_666_666_660_2e-1,
    -2.777_777_777_701_559_3e-3,
    6.613_756_321_437_934e-5,
    -1.653_390_220_546_525_2e-6,
    4.138_136_797_057_238_4e-8,
];
/// fdlibm `e_log.c`: the minimax polynomial of `(log(1+s) − log(1−s))/s` in `s²`.
const LOG_LG: [f64; 7] = [
    6.666_666_666_666_735e-1,
    3.999_999_999_940_942e-1,
    2.857_142_874_366_239e-1,
    2.222_219_843_214_978_4e-1,
    1.818_357_216_161_805e-1,
    1.531_383_769_920_937_3e-1,
    1.479_819_860_511_658_6e-1,
];
/// Arguments of the exponential beyond this are left to the scalar path (`2^k` stays normal).
const EXP_LIMIT: f64 = 700.0;
/// `|d|` beyond this: `exp(k, −d²/2)` is near the bottom of the normal range.
const D_LIMIT: f64 = 37.0;
/// The time value must be at least this fraction of the larger term (four bits of
/// cancellation at most).
const CANCELLATION_LIMIT: f64 = 0.0625;

/// Every constant of the kernel as a two-lane vector.
pub(super) struct Constants {
    pub(super) zero: F2,
    pub(super) half: F2,
    minus_half: F2,
    one: F2,
    two: F2,
    pub(super) four: F2,
    inv_ln2: F2,
    ln2_hi: F2,
    ln2_lo: F2,
    exp_p: [F2; 5],
    log_lg: [F2; 7],
    erf_a: [F2; 5],
    erf_b: [F2; 4],
    mid_c: [F2; 9],
    mid_d: [F2; 8],
    far_p: [F2; 6],
    far_q: [F2; 5],
    one_over_sqrt_pi: F2,
    one_over_sqrt_two: F2,
    cody_threshold: F2,
    pub(super) min_positive: F2,
    pub(super) infinity: F2,
    exp_limit: F2,
    d_limit: F2,
    cancellation_limit: F2,
    /// Jäckel's `τ` and `η` (the small-`t` expansion's domain, `t < τ`, `h ≥ η`).
    small_t_tau: F2,
    small_t_eta: F2,
    small_t_order_bounds: [F2; 5],
    small_t_a1: [F2; 1],
    small_t_a2: [F2; 2],
    small_t_a3: [F2; 3],
    small_t_a4: [F2; 4],
    small_t_a5: [F2; 5],
    small_t_a6: [F2; 6],
    small_t_b1: [F2; 2],
    small_t_b2: [F2; 3],
    small_t_b3: [F2; 4],
    small_t_b4: [F2; 5],
    small_t_b5: [F2; 6],
    small_t_b6: [F2; 7],
    sqrt_pi: F2,
    sqrt_half_pi: F2,
    one_over_sqrt_two_pi: F2,
}

/// `[x; N]` as vectors.
const fn splat_all<const N: usize>(x: [f64; N]) -> [F2; N] {
    let mut out = [F2::splat(0.0); N];
    let mut i = 0;
    while i < N {
        out[i] = F2::splat(x[i]);
        i += 1;
    }
    out
}

pub(super) static CONSTANTS: Constants = Constants {
    zero: F2::splat(0.0),
    half: F2::splat(0.5),
    minus_half: F2::splat(-0.5),
    one: F2::splat(1.0),
    two: F2::splat(2.0),
    four: F2::splat(4.0),
    inv_ln2: F2::splat(INV_LN2),
    ln2_hi: F2::splat(LN2_HI),
    ln2_lo: F2::splat(LN2_LO),
    exp_p: splat_all(EXP_P),
    log_lg: splat_all(LOG_LG),
    erf_a: splat_all(CODY_A),
    erf_b: splat_all(CODY_B),
    mid_c: splat_all(CODY_C),
    mid_d: splat_all(CODY_D),
    far_p: splat_all(CODY_P),
    far_q: splat_all(CODY_Q),
    one_over_sqrt_pi: F2::splat(ONE_OVER_SQRT_PI),
    one_over_sqrt_two: F2::splat(ONE_OVER_SQRT_TWO),
    cody_threshold: F2::splat(CODY_THRESHOLD),
    min_positive: F2::splat(f64::MIN_POSITIVE),
    infinity: F2::splat(f64::INFINITY),
    exp_limit: F2::splat(EXP_LIMIT),
    d_limit: F2::splat(D_LIMIT),
    cancellation_limit: F2::splat(CANCELLATION_LIMIT),
    small_t_tau: F2::splat(SMALL_T_EXPANSION_THRESHOLD),
    small_t_eta: F2::splat(ASYMPTOTIC_EXPANSION_ACCURACY_THRESHOLD),
    small_t_order_bounds: splat_all(SMALL_T_ORDER_BOUNDS),
    small_t_a1: splat_all(SMALL_T_A1),
    small_t_a2: splat_all(SMALL_T_A2),
    small_t_a3: splat_all(SMALL_T_A3),
    small_t_a4: splat_all(SMALL_T_A4),
    small_t_a5: splat_all(SMALL_T_A5),
    small_t_a6: splat_all(SMALL_T_A6),
    small_t_b1: splat_all(SMALL_T_B1),
    small_t_b2: splat_all(SMALL_T_B2),
    small_t_b3: splat_all(SMALL_T_B3),
    small_t_b4: splat_all(SMALL_T_B4),
    small_t_b5: splat_all(SMALL_T_B5),
    small_t_b6: splat_all(SMALL_T_B6),
    sqrt_pi: F2::splat(SQRT_PI),
    sqrt_half_pi: F2::splat(0.5 * SQRT_TWO_PI),
    one_over_sqrt_two_pi: F2::splat(ONE_OVER_SQRT_TWO_PI),
};

/// `e^(hi + lo)` for `|hi| ≤ 700`, `|lo| ≪ 1` (fdlibm `e_exp.c` with the low part folded into
/// the reduction; within 1 ulp).
#[inline(always)]
fn exp(k: &Constants, hi: F2, lo: F2) -> F2 {
    let n = hi.mul(k.inv_ln2).round_even();
    let r_hi = hi.sub(n.mul(k.ln2_hi));
    let r_lo = n.mul(k.ln2_lo).sub(lo);
    let r = r_hi.sub(r_lo);
    let rr = r.mul(r);
    let p = k.exp_p[3].add(rr.mul(k.exp_p[4]));
    let p = k.exp_p[2].add(rr.mul(p));
    let p = k.exp_p[1].add(rr.mul(p));
    let p = k.exp_p[0].add(rr.mul(p));
    let cr = r.sub(rr.mul(p));
    let y = k.one.sub(r_lo.sub(r.mul(cr).div(k.two.sub(cr))).sub(r_hi));
    y.mul(F2::pow2(n))
}

/// `ln x` for positive normal lanes (fdlibm `e_log.c`; within 1 ulp).
#[inline(always)]
fn ln(k: &Constants, x: F2) -> F2 {
    let (e, m) = x.log_reduce();
    let f = m.sub(k.one);
    let hfsq = k.half.mul(f).mul(f);
    let s = f.div(k.two.add(f));
    let z = s.mul(s);
    let w = z.mul(z);
    let t1 = w.mul(k.log_lg[5].mul(w).add(k.log_lg[3]).mul(w).add(k.log_lg[1]));
    let t2 = k.log_lg[6].mul(w).add(k.log_lg[4]).mul(w).add(k.log_lg[2]);
    let t2 = z.mul(t2.mul(w).add(k.log_lg[0]));
    let big_r = t2.add(t1);
    let inner = s.mul(hfsq.add(big_r)).add(e.mul(k.ln2_lo));
    e.mul(k.ln2_hi).sub(hfsq.sub(inner).sub(f))
}

/// `erf(x)` for `|x| ≤ 0.46875` (Cody's first interval, as `normal::erf_central`, whose
/// `XSMALL` test changes nothing: below it `x²` adds nothing to the rationals' constants).
#[inline(always)]
pub(super) fn erf_central(k: &Constants, x: F2) -> F2 {
    let ysq = x.mul(x);
    let a = &k.erf_a;
    let b = &k.erf_b;
    let num = a[4].mul(ysq).add(a[0]).mul(ysq).add(a[1]);
    let num = num.mul(ysq).add(a[2]).mul(ysq);
    let den = ysq.add(b[0]).mul(ysq).add(b[1]).mul(ysq).add(b[2]).mul(ysq);
    x.mul(num.add(a[3])).div(den.add(b[3]))
}

/// `erfcx(y)` for `0.46875 < y ≤ 4` (Cody's second interval, as `normal::erfcx_positive`).
#[inline(always)]
pub(super) fn erfcx_mid(k: &Constants, y: F2) -> F2 {
    let p = &k.mid_c;
    let q = &k.mid_d;
    // Cody's loop over i = 0..7 written out (the size-optimised profile does not unroll).
    let step = |acc: F2, coefficient: F2| acc.add(coefficient).mul(y);
    let num = p[8].mul(y);
    let num = step(step(step(step(num, p[0]), p[1]), p[2]), p[3]);
    let num = step(step(step(num, p[4]), p[5]), p[6]);
    let den = step(step(step(step(y, q[0]), q[1]), q[2]), q[3]);
    let den = step(step(step(den, q[4]), q[5]), q[6]);
    num.add(p[7]).div(den.add(q[7]))
}

/// Cody's third-interval rational for `y > 4`: `(y⁻², N, D)` with `erfcx(y) = (1/√π −
/// y⁻²·N/D)/y` (as `normal::erfcx_positive` and `normal::erfcx_far_correction`).
#[inline(always)]
pub(super) fn far_rational(k: &Constants, y: F2) -> (F2, F2, F2) {
    let p = &k.far_p;
    let q = &k.far_q;
    let ysq = k.one.div(y.mul(y));
    let step = |acc: F2, coefficient: F2| acc.add(coefficient).mul(ysq);
    let num = p[5].mul(ysq);
    let num = step(step(step(step(num, p[0]), p[1]), p[2]), p[3]);
    let den = step(step(step(step(ysq, q[0]), q[1]), q[2]), q[3]);
    (ysq, num.add(p[4]), den.add(q[4]))
}

/// `erfcx(y)` for `y > 4` (Cody's third interval, as `normal::erfcx_positive`).
#[inline(always)]
fn erfcx_far(k: &Constants, y: F2) -> F2 {
    let (ysq, num, den) = far_rational(k, y);
    // (1/√π − ysq·N/D)/y as (D/√π − ysq·N)/(D·y): one division fewer, and no cancellation
    // (ysq·N/D ≤ 0.02·1/√π for y > 4).
    den.mul(k.one_over_sqrt_pi)
        .sub(ysq.mul(num))
        .div(den.mul(y))
}

/// `Σ c[i]·zⁱ` by Horner's rule (the operations and order of `black::horner`).
#[inline(always)]
fn horner<const N: usize>(c: &[F2; N], z: F2) -> F2 {
    let mut acc = c[N - 1];
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = acc.mul(z).add(c[i]);
    }
    acc
}

/// The time value `√(a·b)·b(−|x|, s)` of the out-of-the-money option by Jäckel's small-`t`
/// expansion of the normalised Black function (his region 2; the scalar
/// `black::small_t_expansion_of_normalised_black_call`, same coefficients, orders and
/// branches), for the lanes where the two-term formula cancels; returns it with the lanes
/// inside the expansion's domain (`t = s/2 < τ`, `h = −|x|/s ≥ η`).
///
/// `exp(−½(h²+t²))` is formed with `h²` split exactly ([`minus_half_square`]), and far from the money
/// (`−h/√2 > 4`) `a = 1 + h·Y(h)` is `√π` times Cody's far-tail correction, without
/// cancellation.
///
/// `accurate` marks the lanes the caller keeps from the two-term formula (they do not set the
/// expansion's order); `gauss1 = exp(−d1²/2)` when the caller has it, which gives
/// `exp(−½(h²+t²)) = exp(−d1²/2)·√(a/b)` without another exponential.
#[inline(never)]
fn small_t_time_value(
    k: &Constants,
    accurate: M2,
    (x, s, a, b): (F2, F2, F2, F2),
    gauss1: Option<F2>,
) -> (F2, M2) {
    let t = k.half.mul(s);
    let h = x.abs().div(s).neg();
    let in_domain = t.lt(k.small_t_tau).and(k.small_t_eta.le(h));
    let root_ratio = a.div(b).sqrt();
    let half_t_squared = k.minus_half.mul(t.mul(t));
    let gauss = match gauss1 {
        Some(g1) => g1.mul(root_ratio),
        None => {
            // −½h² = hi + lo exactly, −½t² added by Knuth's TwoSum.
            let (hi, lo) = minus_half_square(k, h);
            let sum = hi.add(half_t_squared);
            let virtual_t = sum.sub(hi);
            let rounding = hi
                .sub(sum.sub(virtual_t))
                .add(half_t_squared.sub(virtual_t));
            exp(k, sum, lo.add(rounding))
        }
    };
    // gauss·a = gauss + h·√(π/2)·gauss·erfcx(y), y = −h/√2 (near the money gauss·erfcx(y) =
    // exp(−t²/2)·erfc(y)); beyond y = 4, gauss·√π·c(y) with Cody's correction c.
    let y = h.neg().mul(k.one_over_sqrt_two);
    let central = y.le(k.cody_threshold);
    let mid = y.le(k.four);
    let near = |gauss_erfcx: F2| gauss.add(h.mul(k.sqrt_half_pi).mul(gauss_erfcx));
    let central_gauss_erfcx = || exp(k, half_t_squared, k.zero).mul(k.one.sub(erf_central(k, y)));
    let far = || {
        let (ysq, num, den) = far_rational(k, y);
        gauss.mul(k.sqrt_pi.mul(ysq.mul(num).div(den)))
    };
    let gauss_a = if central.all() {
        near(central_gauss_erfcx())
    } else if mid.all() {
        let mid_gauss_erfcx = gauss.mul(erfcx_mid(k, y));
        if central.any() {
            near(central.select(central_gauss_erfcx(), mid_gauss_erfcx))
        } else {
            near(mid_gauss_erfcx)
        }
    } else if !mid.any() {
        far()
    } else {
        let mid_gauss_erfcx = gauss.mul(erfcx_mid(k, y));
        mid.select(
            near(central.select(central_gauss_erfcx(), mid_gauss_erfcx)),
            far(),
        )
    };
    let w = t.mul(t);
    let h2 = h.mul(h);
    let bound = &k.small_t_order_bounds;
    // The highest order a lane the expansion prices needs (more terms never hurt).
    let t_needed = accurate.select(k.zero, t);
    let order = if t_needed.lt(bound[4]).all() {
        if t_needed.lt(bound[3]).all() {
            if t_needed.lt(bound[2]).all() {
                if t_needed.lt(bound[1]).all() {
                    if t_needed.lt(bound[0]).all() {
                        1
                    } else {
                        2
                    }
                } else {
                    3
                }
            } else {
                4
            }
        } else {
            5
        }
    } else {
        6
    };
    let (mut a_sum, mut b_sum) = (k.zero, k.zero);
    if order >= 6 {
        a_sum = horner(&k.small_t_a6, h2);
        b_sum = horner(&k.small_t_b6, h2);
    }
    if order >= 5 {
        a_sum = a_sum.mul(w).add(horner(&k.small_t_a5, h2));
        b_sum = b_sum.mul(w).add(horner(&k.small_t_b5, h2));
    }
    if order >= 4 {
        a_sum = a_sum.mul(w).add(horner(&k.small_t_a4, h2));
        b_sum = b_sum.mul(w).add(horner(&k.small_t_b4, h2));
    }
    if order >= 3 {
        a_sum = a_sum.mul(w).add(horner(&k.small_t_a3, h2));
        b_sum = b_sum.mul(w).add(horner(&k.small_t_b3, h2));
    }
    if order >= 2 {
        a_sum = a_sum.mul(w).add(horner(&k.small_t_a2, h2));
        b_sum = b_sum.mul(w).add(horner(&k.small_t_b2, h2));
    }
    a_sum = a_sum.mul(w).add(horner(&k.small_t_a1, h2)).mul(w);
    b_sum = b_sum
        .mul(w)
        .add(horner(&k.small_t_b1, h2))
        .mul(w)
        .add(k.one);
    let normalised = k
        .one_over_sqrt_two_pi
        .mul(k.two.mul(t))
        .mul(gauss.mul(a_sum).add(gauss_a.mul(b_sum)));
    let normalised = normalised.lt(k.zero).select(k.zero, normalised);
    // √(a·b)·b(−|x|, s) with √(a·b) = b·√(a/b).
    (b.mul(root_ratio).mul(normalised), in_domain)
}

/// `1/√π`.
const ONE_OVER_SQRT_PI: f64 = 0.564_189_583_547_756_3;
/// `1/√2`.
const ONE_OVER_SQRT_TWO: f64 = core::f64::consts::FRAC_1_SQRT_2;
/// Clears the low 27 bits of the significand (Dekker's split for an exact square).
const SPLIT_MASK: u64 = (1 << 27) - 1;

/// `−z²/2` as `hi + lo` exactly, from `z² = zh² + (2·zh + zl)·zl` (Dekker: `zh` has 26
/// significant bits, so `zh²` is exact).
#[inline(always)]
fn minus_half_square(k: &Constants, z: F2) -> (F2, F2) {
    let az = z.abs();
    let zh = az.clear_low_bits(SPLIT_MASK);
    let zl = az.sub(zh);
    let hi = k.minus_half.mul(zh.mul(zh));
    let lo = zh.mul(zl).add(k.half.mul(zl.mul(zl))).neg();
    (hi, lo)
}

/// `exp(k, −z²/2)` for `|z| ≤ 37` from [`minus_half_square`], which keeps the relative error
/// at an ulp or two where rounding `z²` would cost `z²` ulps.
#[inline(always)]
fn gaussian(k: &Constants, z: F2) -> F2 {
    let (hi, lo) = minus_half_square(k, z);
    exp(k, hi, lo)
}

/// `y = |z|/√2` and whether it lies in Cody's first interval (no exponential needed).
#[inline(always)]
fn cdf_argument(k: &Constants, z: F2) -> (F2, F2, M2) {
    let x = z.mul(k.one_over_sqrt_two);
    let y = x.abs();
    (x, y, y.le(k.cody_threshold))
}

/// `(Φ(z), Φ(−z))` for `|z| ≤ 37`, each to a few ulps relative (as `normal::norm_cdf_pair`),
/// from [`cdf_argument`] and `gauss = exp(k, −z²/2)` (unused in lanes of the first interval).
#[inline(always)]
fn cdf_pair(k: &Constants, z: F2, (x, y, central): (F2, F2, M2), gauss: F2) -> (F2, F2) {
    let half = k.half;
    if central.all() {
        let e = half.mul(erf_central(k, x));
        return (half.add(e), half.sub(e));
    }
    let mid = y.le(k.four);
    let scaled = if mid.all() {
        erfcx_mid(k, y)
    } else if !mid.any() {
        erfcx_far(k, y)
    } else {
        mid.select(erfcx_mid(k, y), erfcx_far(k, y))
    };
    let tail = half.mul(gauss).mul(scaled);
    let upper = k.one.sub(tail);
    let negative = z.lt(k.zero);
    let (mut lower_z, mut upper_z) = (negative.select(tail, upper), negative.select(upper, tail));
    if central.any() {
        let e = half.mul(erf_central(k, x));
        lower_z = central.select(half.add(e), lower_z);
        upper_z = central.select(half.sub(e), upper_z);
    }
    (lower_z, upper_z)
}

/// `a ≤ x < ∞` per lane (false for NaN).
#[inline(always)]
pub(super) fn within(x: F2, low: F2, high: F2) -> M2 {
    low.le(x).and(x.lt(high))
}

/// What the first stage of the kernel ([`front`]) leaves for the others, per pair.
#[derive(Clone, Copy)]
struct Front {
    /// `ln(a/b)`: the log-moneyness in forward terms.
    x: F2,
    /// `σ√T`.
    s: F2,
    /// `(a, b) = (F, K)` (Black-76) or `(S, K·D)` (Black–Scholes), `e^x = a/b`.
    a: F2,
    b: F2,
    /// `e^(−rT)`.
    discount: F2,
    d1: F2,
    d2: F2,
    /// The lanes whose inputs the kernel may price.
    ok: M2,
}

/// What the second stage ([`cdfs`]) leaves for the last, per pair.
#[derive(Clone, Copy)]
struct Cdfs {
    /// `Φ(d1), Φ(−d1), Φ(d2), Φ(−d2)`.
    n1: F2,
    m1: F2,
    n2: F2,
    m2: F2,
    /// `exp(k, −d1²/2)` when it was formed (some lane outside Cody's first interval).
    gauss1: Option<F2>,
}

/// Pairs per block of the staged kernel ([`price_delta_chain`]): 32 pairs keep the stages'
/// intermediate values (~7 KB) in the first-level cache; 8 and 64 measured no faster.
const BLOCK: usize = 32;
const ZERO_F2: F2 = F2::splat(0.0);
const EMPTY_FRONT: Front = Front {
    x: ZERO_F2,
    s: ZERO_F2,
    a: ZERO_F2,
    b: ZERO_F2,
    discount: ZERO_F2,
    d1: ZERO_F2,
    d2: ZERO_F2,
    ok: M2::FALSE,
};
const EMPTY_CDFS: Cdfs = Cdfs {
    n1: ZERO_F2,
    m1: ZERO_F2,
    n2: ZERO_F2,
    m2: ZERO_F2,
    gauss1: None,
};

/// The kernel's first stage for two options: the input checks, the discount factor, the
/// log-moneyness and `d1, d2`.
#[inline(always)]
fn front<const SPOT: bool>(
    k: &Constants,
    underlying: F2,
    strike: F2,
    time: F2,
    rate: F2,
    vol: F2,
) -> Front {
    let mut ok = within(underlying, k.min_positive, k.infinity)
        .and(within(strike, k.min_positive, k.infinity))
        .and(within(time, k.min_positive, k.infinity))
        .and(within(vol, k.min_positive, k.infinity));
    let rt = rate.mul(time);
    ok = ok.and(rt.abs().le(k.exp_limit));
    // A refused lane computes on (garbage that may be NaN or infinite, which no floating-point
    // or integer operation here traps on, and its result is never used.
    let s = vol.mul(time.sqrt());
    let ratio = underlying.div(strike);
    ok = ok.and(within(ratio, k.min_positive, k.infinity));
    let discount = exp(k, rt.neg(), k.zero);
    // Black-76 works in forward terms and discounts at the end; Black–Scholes in present values
    // (S and K·D, so that F = S/D is never formed): (a, b) = (F, K) or (S, K·D), e^x = a/b.
    let (x, a, b) = if SPOT {
        (ln(k, ratio).add(rt), underlying, strike.mul(discount))
    } else {
        (ln(k, ratio), underlying, strike)
    };
    ok = ok.and(x.abs().le(k.exp_limit));
    let h = x.div(s);
    let half_s = k.half.mul(s);
    let d1 = h.add(half_s);
    let d2 = h.sub(half_s);
    ok = ok.and(d1.abs().le(k.d_limit)).and(d2.abs().le(k.d_limit));
    Front {
        x,
        s,
        a,
        b,
        discount,
        d1,
        d2,
        ok,
    }
}

/// The kernel's second stage: the four normal CDF values of a pair.
#[inline(always)]
fn cdfs(k: &Constants, f: &Front) -> Cdfs {
    let (d1, d2) = (f.d1, f.d2);
    // One exponential for both: exp(k, −d2²/2) = exp(k, −d1²/2)·e^x (d1² − d2² = 2x).
    let (arg1, arg2) = (cdf_argument(k, d1), cdf_argument(k, d2));
    let gauss1 = if arg1.2.and(arg2.2).all() {
        None
    } else {
        Some(gaussian(k, d1))
    };
    let (gauss1_or_zero, gauss2) = match gauss1 {
        None => (k.zero, k.zero),
        Some(g1) => (g1, g1.mul(f.a.div(f.b))),
    };
    let (n1, m1) = cdf_pair(k, d1, arg1, gauss1_or_zero);
    let (n2, m2) = cdf_pair(k, d2, arg2, gauss2);
    Cdfs {
        n1,
        m1,
        n2,
        m2,
        gauss1,
    }
}

/// The kernel's last stage: the price and delta of a pair; returns `(price, delta, ok)` where
/// `ok` marks the lanes the formula priced to the kernel's accuracy (the others must go to the
/// scalar path).
#[inline(always)]
fn finish<const SPOT: bool>(k: &Constants, call: M2, f: &Front, c: &Cdfs) -> (F2, F2, M2) {
    let (x, a, b) = (f.x, f.a, f.b);
    let Cdfs { n1, m1, n2, m2, .. } = *c;
    // The out-of-the-money option of the pair: the call when F ≤ K (x ≤ 0), else the put.
    let zero = k.zero;
    let otm_call = x.le(zero);
    let term1 = otm_call.select(a.mul(n1), b.mul(m2));
    let term2 = otm_call.select(b.mul(n2), a.mul(m1));
    let mut time_value = term1.sub(term2);
    let mut accurate = zero
        .lt(term1)
        .and(term1.mul(k.cancellation_limit).le(time_value));
    if !accurate.all() {
        // Deep out of the money at small σ√T the two terms cancel: Jäckel's small-t expansion
        // prices those lanes instead (what is outside its domain goes to the scalar path).
        let (expansion, in_domain) = small_t_time_value(k, accurate, (x, f.s, a, b), c.gauss1);
        time_value = accurate.select(time_value, expansion);
        accurate = accurate.or(in_domain);
    }
    let mut ok = f.ok.and(accurate);
    let intrinsic = call.select(
        x.gt(zero).select(a.sub(b), zero),
        x.lt(zero).select(b.sub(a), zero),
    );
    let value = intrinsic.add(time_value);
    let unit_delta = call.select(n1, m1.neg());
    let (price, delta) = if SPOT {
        (value, unit_delta)
    } else {
        (f.discount.mul(value), f.discount.mul(unit_delta))
    };
    let price = price.lt(zero).select(zero, price);
    ok = ok.and(price.lt(k.infinity));
    (price, delta, ok)
}

/// Lanes `i` and `i + 1` of `s`.
#[inline(always)]
fn pair(s: &[f64], i: usize) -> F2 {
    F2::new(s[i], s[i + 1])
}

/// One option by the scalar path (the kernel's fallback and the odd last element).
#[inline(never)]
fn scalar<const SPOT: bool>(
    code: u8,
    underlying: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<(f64, f64), PricingError> {
    let kind = match code {
        1 => OptionKind::Call,
        0 => OptionKind::Put,
        _ => return Err(PricingError::InvalidKind),
    };
    if SPOT {
        black_scholes_price_delta_unchecked(kind, underlying, strike, time, rate, vol)
    } else {
        black76_price_delta_unchecked(kind, underlying, strike, time, rate, vol)
    }
}

/// Prices a chain whose slices all have length `n` (checked by the caller); errors as the
/// batch functions report them (first failing index; outputs before it written).
#[allow(clippy::too_many_arguments)]
pub(crate) fn price_delta_chain<const SPOT: bool>(
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
    let (underlying, strike, time, rate, vol) = (
        &underlying[..n],
        &strike[..n],
        &time[..n],
        &rate[..n],
        &vol[..n],
    );
    let (out_price, out_delta) = (&mut out_price[..n], &mut out_delta[..n]);
    // Read through an opaque reference: the constants are then loaded from memory where they
    // are used instead of being rebuilt from immediates at every use (three instructions each
    // in V8's code for a `v128.const`).
    let k: &Constants = core::hint::black_box(&CONSTANTS);
    // Blocks of BLOCK pairs, each stage over the whole block before the next (module docs).
    // Errors keep their order: `finish` writes the outputs and calls the scalar path pair by
    // pair, and the first two stages only compute.
    let mut fronts = [EMPTY_FRONT; BLOCK];
    let mut values = [EMPTY_CDFS; BLOCK];
    let pairs = n / 2;
    let mut first = 0;
    while first < pairs {
        let m = (pairs - first).min(BLOCK);
        let (fronts, values) = (&mut fronts[..m], &mut values[..m]);
        for (j, f) in fronts.iter_mut().enumerate() {
            let i = 2 * (first + j);
            *f = front::<SPOT>(
                k,
                pair(underlying, i),
                pair(strike, i),
                pair(time, i),
                pair(rate, i),
                pair(vol, i),
            );
        }
        for (f, c) in fronts.iter().zip(values.iter_mut()) {
            *c = cdfs(k, f);
        }
        for (j, (f, c)) in fronts.iter().zip(values.iter()).enumerate() {
            let i = 2 * (first + j);
            let (code0, code1) = (is_call[i], is_call[i + 1]);
            let (price, delta, ok) = finish::<SPOT>(k, M2::new(code0 == 1, code1 == 1), f, c);
            let ok = ok.and(M2::new(code0 <= 1, code1 <= 1));
            if ok.all() {
                out_price[i] = price.lane0();
                out_price[i + 1] = price.lane1();
                out_delta[i] = delta.lane0();
                out_delta[i + 1] = delta.lane1();
            } else {
                for (lane, code, good, p, d) in [
                    (i, code0, ok.lane0(), price.lane0(), delta.lane0()),
                    (i + 1, code1, ok.lane1(), price.lane1(), delta.lane1()),
                ] {
                    let (p, d) = if good {
                        (p, d)
                    } else {
                        scalar::<SPOT>(
                            code,
                            underlying[lane],
                            strike[lane],
                            time[lane],
                            rate[lane],
                            vol[lane],
                        )
                        .map_err(|e| (lane, e))?
                    };
                    out_price[lane] = p;
                    out_delta[lane] = d;
                }
            }
        }
        first += m;
    }
    let i = 2 * pairs;
    if i < n {
        let (p, d) = scalar::<SPOT>(
            is_call[i],
            underlying[i],
            strike[i],
            time[i],
            rate[i],
            vol[i],
        )
        .map_err(|e| (i, e))?;
        out_price[i] = p;
        out_delta[i] = d;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmath::DetMath;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_and_ln_are_within_an_ulp_of_libm() {
        let k = &CONSTANTS;
        let mut worst = (0, 0);
        let mut x = -700.0;
        while x < 700.0 {
            let e = exp(k, F2::new(x, -x), k.zero);
            worst.0 = worst
                .0
                .max(ulps(e.lane0(), x.dexp()))
                .max(ulps(e.lane1(), (-x).dexp()));
            x += 0.123_456_7;
        }
        let mut v = 1e-300;
        while v < 1e300 {
            let l = ln(k, F2::new(v, 1.0 + v.fract()));
            worst.1 = worst.1.max(ulps(l.lane0(), v.dln()));
            if (1.0 + v.fract()) != 1.0 {
                worst.1 = worst.1.max(ulps(l.lane1(), (1.0 + v.fract()).dln()));
            }
            v *= 1.37;
        }
        assert!(worst.0 <= 1 && worst.1 <= 1, "{worst:?}");
    }

    #[test]
    fn cdf_pair_agrees_with_the_scalar_function() {
        let k = &CONSTANTS;
        // Both are a few ulps from the truth; far in the tail the scalar function's two
        // exponentials drift by up to ~12 ulps (at z = 34.56 this kernel is the exact one).
        let mut worst: f64 = 0.0;
        let mut z = -37.0;
        while z <= 37.0 {
            let v = F2::new(z, -z);
            let (p, q) = cdf_pair(k, v, cdf_argument(k, v), gaussian(k, v));
            let (ps, qs) = crate::pricing::normal::norm_cdf_pair(z);
            for (got, want) in [
                (p.lane0(), ps),
                (q.lane0(), qs),
                (p.lane1(), qs),
                (q.lane1(), ps),
            ] {
                worst = worst.max((got - want).abs() / want);
            }
            z += 0.003_7;
        }
        assert!(worst < 4e-15, "worst relative difference {worst:e}");
    }

    #[test]
    fn small_t_expansion_agrees_with_the_scalar_one_over_its_domain() {
        use crate::pricing::black::{gauss_of, small_t_expansion_of_normalised_black_call};
        let k = &CONSTANTS;
        let (mut worst, mut checked) = (0.0f64, 0);
        let mut h = -9.99;
        while h < 0.0 {
            let mut t = 1e-4;
            while t < SMALL_T_EXPANSION_THRESHOLD {
                // b = 1, a = e^x: the time value is e^(x/2)·b(x, s).
                let s = 2.0 * t;
                let x = h * s;
                let (a, b) = (x.dexp(), 1.0);
                let lanes = (F2::splat(x), F2::splat(s), F2::splat(a), F2::splat(b));
                let d1 = F2::splat(x / s + t);
                let none = M2::new(false, false);
                for gauss1 in [None, Some(gaussian(k, d1))] {
                    let (value, in_domain) = small_t_time_value(k, none, lanes, gauss1);
                    assert!(in_domain.all(), "h = {h}, t = {t}");
                    let (h, t) = (x / s, 0.5 * s);
                    let want = small_t_expansion_of_normalised_black_call(h, t, gauss_of(h, t))
                        * (0.5 * x).dexp();
                    worst = worst.max((value.lane0() - want).abs() / want);
                    checked += 1;
                }
                t *= 1.7;
            }
            h += 0.37;
        }
        // Outside the domain (Jäckel's region 1, and t ≥ τ) the lanes are refused.
        let outside = (
            F2::new(-11.0 * 0.1, -0.5),
            F2::new(0.1, 0.5),
            F2::splat(1.0),
            F2::splat(1.0),
        );
        let (_, in_domain) = small_t_time_value(k, M2::new(false, false), outside, None);
        assert!(!in_domain.any());
        // The scalar's exp(−½(h²+t²)) rounds h², up to h²/2 ulps at h = −10.
        assert!(
            checked > 500 && worst < 2e-14,
            "worst relative difference {worst:e}"
        );
    }
}
