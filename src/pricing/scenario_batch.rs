//! Scenario premiums two at a time: [`black76_scenario_premium_ln`] over slices, in [`F2`]
//! lanes, with the same bits as the scalar function.
//!
//! The whole-book liquidation search of the portfolio model revalues every option of a book at
//! every scenario of the grid for each price it tries (`portfolio::MaintenanceScan`): some
//! 12 000 premiums for the benchmark's ten-position book, half of `calculate`'s time. They are
//! independent, so two of them go through one WebAssembly SIMD register here (the wasm build
//! with the `scenario-kernel` feature uses it; elsewhere [`F2`] is a pair of scalars and one at
//! a time is faster).
//!
//! Every lane performs the IEEE 754 operations of the scalar function in the same order:
//! Cody's (1969) `erf` and `erfcx` rationals (`normal.rs`; the first two intervals as
//! [`super::chain`]'s `erf_central` and `erfcx_mid`, the third in the scalar form
//! `(1/√π − y⁻²·P/Q)/y`), and the table-driven exponential of [`crate::fmath::exp`] (Tang 1989
//! in the form of ARM's optimized-routines: the reduction and polynomial in lanes, the table
//! read per lane). No fused multiply-add is formed on either target, so a pair's results are
//! the scalar function's bits, which the tests check on grids of inputs far beyond any market.
//!
//! The kernel runs in stages over blocks of [`BLOCK`] pairs, as the chain kernel does: the
//! checks, intrinsic values and `y1 = (|h| − t)/√2`, `y2 = (|h| + t)/√2` of every pair with its
//! branch of the formula (tail `y1 > 0.46875`: one exponential and two `erfcx`; near
//! `y1 ≤ 0.46875 < y2`: `erf`, one exponential and one `erfcx`; central `y2 ≤ 0.46875`: two
//! `erf`), then the time values branch by branch (each a loop of straight-line code; a pair
//! whose lanes take different branches evaluates each branch's formula and selects), then the
//! premiums. A pair goes to the scalar function instead when it holds an input that function
//! treats specially (a non-positive, subnormal or non-finite price, total volatility or
//! log-moneyness, or `y1 < −0.46875` in the near branch, where its normal CDF leaves Cody's
//! first interval) and when an exponential or `erfcx` argument of a lane that uses it leaves
//! the range the lanes handle (`|x| < 2⁻⁵⁴` or `|x| ≥ 512`, `y ≥ 26.543`); a lane whose time
//! value is negligible takes the intrinsic value, as the scalar function does. On a grid of
//! 200 000 options far beyond any market, 6 % of the pairs go to the scalar function.
//!
//! Measured on 2026-12-07 (alternated runs in Node, the benchmark's mixed portfolio book):
//! `calculateJson` 974–1 041 → 856–952 µs. Pairs priced one after another without the stages
//! were slower than the scalar function, and so was the first staged kernel before the branch
//! tests became lane masks (`M2::bits`) instead of per-lane extractions.

use super::black::{black76_scenario_premium_ln, SCENARIO_TAIL_CUTOFF};
use super::chain::{erf_central, erfcx_mid, far_rational, within, Constants, CONSTANTS};
use super::lanes::{F2, M2};
use super::normal::{CODY_THRESHOLD, ONE_OVER_SQRT_TWO};
use super::OptionKind;
use crate::fmath::{
    EXP_INV_LN2_N, EXP_LN2_N_HI, EXP_LN2_N_LO, EXP_ROUNDING_SHIFT, EXP_TABLE, EXP_TABLE_BITS,
};

/// Cody's `XBIG` (`normal.rs`): from it on `erfcx_positive` takes its own branches.
const XBIG: f64 = 26.543;
/// `1/√π` (`normal.rs`).
const ONE_OVER_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// Pairs per block of the staged kernel: each stage runs over a block before the next, as in
/// the chain kernel ([`super::chain`]), so that consecutive pairs' long chains of dependent
/// operations overlap, and every branch of the formula is one loop of straight-line code.
const BLOCK: usize = 32;

/// [`black76_scenario_premium_ln`]`(kinds[i], forwards[i], strikes[i], log_moneyness[i],
/// scaled_vols[i])` into `out[i]` for every `i`, bit for bit; the slices must have the same
/// length (`out` and the inputs are cut to the shortest). In WebAssembly with the
/// `scenario-kernel` feature two at a time by the SIMD kernel (module documentation),
/// otherwise one at a time: elsewhere the lanes are pairs of scalars, 15 % slower.
pub fn black76_scenario_premiums_ln(
    kinds: &[OptionKind],
    forwards: &[f64],
    strikes: &[f64],
    log_moneyness: &[f64],
    scaled_vols: &[f64],
    out: &mut [f64],
) {
    #[cfg(all(target_arch = "wasm32", feature = "scenario-kernel"))]
    in_lanes(kinds, forwards, strikes, log_moneyness, scaled_vols, out);
    #[cfg(not(all(target_arch = "wasm32", feature = "scenario-kernel")))]
    for ((((out, &kind), &f), &k), (&ln_f_k, &s)) in out
        .iter_mut()
        .zip(kinds)
        .zip(forwards)
        .zip(strikes)
        .zip(log_moneyness.iter().zip(scaled_vols))
    {
        *out = black76_scenario_premium_ln(kind, f, k, ln_f_k, s);
    }
}

/// The SIMD kernel of [`black76_scenario_premiums_ln`].
#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "scenario-kernel")),
    allow(dead_code)
)]
fn in_lanes(
    kinds: &[OptionKind],
    forwards: &[f64],
    strikes: &[f64],
    log_moneyness: &[f64],
    scaled_vols: &[f64],
    out: &mut [f64],
) {
    let n = kinds
        .len()
        .min(forwards.len())
        .min(strikes.len())
        .min(log_moneyness.len())
        .min(scaled_vols.len())
        .min(out.len());
    let scalar = |i: usize| {
        black76_scenario_premium_ln(
            kinds[i],
            forwards[i],
            strikes[i],
            log_moneyness[i],
            scaled_vols[i],
        )
    };
    // Read through an opaque reference, as the chain kernel does: V8 rebuilds a `v128.const`
    // from immediates at each use, and loads from memory are cheaper.
    let k: &Constants = core::hint::black_box(&CONSTANTS);
    let mut fronts = [EMPTY_FRONT; BLOCK];
    let mut plans = [Plan::Scalar; BLOCK];
    let mut values = [k.zero; BLOCK];
    let pairs = n / 2;
    let mut first = 0;
    while first < pairs {
        let m = (pairs - first).min(BLOCK);
        // Stage 1: the checks, the intrinsic values, `y1` and `y2`, and each pair's branch,
        // with the pairs of each branch listed.
        let mut lists = [[0u8; BLOCK]; 4];
        let mut counts = [0usize; 4];
        for j in 0..m {
            let i = 2 * (first + j);
            let calls = M2::new(
                kinds[i] == OptionKind::Call,
                kinds[i + 1] == OptionKind::Call,
            );
            let (front, plan) = front(
                k,
                calls,
                F2::new(forwards[i], forwards[i + 1]),
                F2::new(strikes[i], strikes[i + 1]),
                F2::new(log_moneyness[i], log_moneyness[i + 1]),
                F2::new(scaled_vols[i], scaled_vols[i + 1]),
            );
            fronts[j] = front;
            plans[j] = plan;
            let list = match plan {
                Plan::Tail => 0,
                Plan::Near => 1,
                Plan::Central => 2,
                Plan::Mixed => 3,
                Plan::Intrinsic | Plan::Scalar => continue,
            };
            lists[list][counts[list]] = j as u8;
            counts[list] += 1;
        }
        // Stage 2: the time values, one branch after another.
        for &j in &lists[0][..counts[0]] {
            let j = j as usize;
            match tail_value(k, &fronts[j]) {
                Some(v) => values[j] = v,
                None => plans[j] = Plan::Scalar,
            }
        }
        for &j in &lists[1][..counts[1]] {
            let j = j as usize;
            match near_value(k, &fronts[j]) {
                Some(v) => values[j] = v,
                None => plans[j] = Plan::Scalar,
            }
        }
        for &j in &lists[2][..counts[2]] {
            let j = j as usize;
            values[j] = central_value(k, &fronts[j]);
        }
        for &j in &lists[3][..counts[3]] {
            let j = j as usize;
            match mixed_value(k, &fronts[j]) {
                Some(v) => values[j] = v,
                None => plans[j] = Plan::Scalar,
            }
        }
        // Stage 3: the premiums (the scalar function for the pairs it must price).
        for j in 0..m {
            let i = 2 * (first + j);
            let f = &fronts[j];
            let premium = match plans[j] {
                Plan::Scalar => {
                    out[i] = scalar(i);
                    out[i + 1] = scalar(i + 1);
                    continue;
                }
                Plan::Intrinsic => f.intrinsic,
                Plan::Tail | Plan::Near | Plan::Central | Plan::Mixed => f
                    .active
                    .select(f.intrinsic.add(non_negative(k, values[j])), f.intrinsic),
            };
            out[i] = premium.lane0();
            out[i + 1] = premium.lane1();
        }
        first += m;
    }
    if n % 2 == 1 {
        out[n - 1] = scalar(n - 1);
    }
}

/// What the first stage leaves for the second, per pair.
#[derive(Clone, Copy)]
struct Front {
    /// The intrinsic value.
    intrinsic: F2,
    /// `(A, B) = (min(F, K), max(F, K))`.
    a: F2,
    b: F2,
    /// `(|h| − t)/√2` and `(|h| + t)/√2`.
    y1: F2,
    y2: F2,
    /// The lanes whose time value counts (`|h| − t` within the cut-off).
    active: M2,
    /// The active lanes in the tail branch, and in the near branch (module documentation).
    tail: M2,
    near: M2,
}

/// A front whose lanes are all inactive (for the block's initial contents and refused pairs).
const EMPTY_FRONT: Front = Front {
    intrinsic: F2::splat(0.0),
    a: F2::splat(0.0),
    b: F2::splat(0.0),
    y1: F2::splat(0.0),
    y2: F2::splat(0.0),
    active: M2::FALSE,
    tail: M2::FALSE,
    near: M2::FALSE,
};

/// How a pair is priced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// No active lane: the intrinsic values.
    Intrinsic,
    /// Every active lane in the tail branch (`y1 > 0.46875`).
    Tail,
    /// Every active lane in the near branch (`y1 ≤ 0.46875 < y2`) with `y1 ≥ −0.46875`.
    Near,
    /// Every active lane in the central branch (`y2 ≤ 0.46875`).
    Central,
    /// Active lanes in different branches (those in the near branch with `y1 ≥ −0.46875`):
    /// every branch's formula, each lane's selected.
    Mixed,
    /// By the scalar function, lane by lane.
    Scalar,
}

/// The first stage for one pair (module documentation for what goes to the scalar function).
#[inline(always)]
fn front(k: &Constants, calls: M2, f: F2, strike: F2, lm: F2, s: F2) -> (Front, Plan) {
    let usual = within(f, k.min_positive, k.infinity)
        .and(within(strike, k.min_positive, k.infinity))
        .and(within(s, k.min_positive, k.infinity))
        .and(lm.abs().lt(k.infinity));
    if !usual.all() {
        return (EMPTY_FRONT, Plan::Scalar);
    }
    let intrinsic = calls.select(
        non_negative(k, f.sub(strike)),
        non_negative(k, strike.sub(f)),
    );
    let below = f.lt(strike);
    let (a, b) = (below.select(f, strike), below.select(strike, f));
    let abs_h = lm.abs().div(s);
    let t = k.half.mul(s);
    let h_minus_t = abs_h.sub(t);
    // abs_h is finite or +∞ here, never NaN: `le` is the negation of the scalar's `>`.
    let active = h_minus_t.le(F2::splat(SCENARIO_TAIL_CUTOFF));
    let sqrt_half = F2::splat(ONE_OVER_SQRT_TWO);
    let y1 = h_minus_t.mul(sqrt_half);
    let y2 = abs_h.add(t).mul(sqrt_half);
    // Each lane's branch (`branch`), as masks: y1 and y2 are never NaN here, so `le` is the
    // negation of `gt`.
    let threshold = F2::splat(CODY_THRESHOLD);
    let tail = y1.gt(threshold).and(active);
    let near = y1.le(threshold).and(y2.gt(threshold)).and(active);
    let (on, tail_bits, near_bits) = (active.bits(), tail.bits(), near.bits());
    // The scalar's norm_cdf_pair(|h| − t) is Cody's first interval only for y1 ≥ −0.46875.
    if near_bits & y1.lt(threshold.neg()).bits() != 0 {
        return (EMPTY_FRONT, Plan::Scalar);
    }
    let central_bits = on & !tail_bits & !near_bits;
    let plan = if on == 0 {
        Plan::Intrinsic
    } else if tail_bits == on {
        Plan::Tail
    } else if near_bits == on {
        Plan::Near
    } else if central_bits == on {
        Plan::Central
    } else {
        Plan::Mixed
    };
    let front = Front {
        intrinsic,
        a,
        b,
        y1,
        y2,
        active,
        tail,
        near,
    };
    (front, plan)
}

/// The time value in the tail branch (`y1 > 0.46875`): `½·A·exp(−y1²)·(erfcx(y1) − erfcx(y2))`.
#[inline(always)]
fn tail_value(k: &Constants, f: &Front) -> Option<F2> {
    let e = exp(f.y1.mul(f.y1).neg(), f.active)?;
    let difference = erfcx_positive(k, f.y1, f.active)?.sub(erfcx_positive(k, f.y2, f.active)?);
    Some(k.half.mul(f.a).mul(e).mul(difference))
}

/// The time value in the near branch (`y1 ≤ 0.46875 < y2`): `A·Φ(−(|h| − t)) − ½·A·exp(−y1²)·erfcx(y2)`.
#[inline(always)]
fn near_value(k: &Constants, f: &Front) -> Option<F2> {
    let phi1 = k.half.sub(k.half.mul(erf_central(k, f.y1)));
    let e = exp(f.y1.mul(f.y1).neg(), f.active)?;
    let scaled = erfcx_positive(k, f.y2, f.active)?;
    Some(f.a.mul(phi1).sub(k.half.mul(f.a).mul(e).mul(scaled)))
}

/// The time value in the central branch (`y2 ≤ 0.46875`): `A·Φ(−(|h| − t)) − B·Φ(−(|h| + t))`.
#[inline(always)]
fn central_value(k: &Constants, f: &Front) -> F2 {
    let phi1 = k.half.sub(k.half.mul(erf_central(k, f.y1)));
    let phi2 = k.half.sub(k.half.mul(erf_central(k, f.y2)));
    f.a.mul(phi1).sub(f.b.mul(phi2))
}

/// `b` where `b ≥ 0` (and NaN), else 0: the scalar `non_negative`.
#[inline(always)]
fn non_negative(k: &Constants, b: F2) -> F2 {
    b.lt(k.zero).select(k.zero, b)
}

/// Whether every lane that `active` marks has `condition`.
#[inline(always)]
fn all_active(condition: M2, active: M2) -> bool {
    M2::new(
        condition.lane0() || !active.lane0(),
        condition.lane1() || !active.lane1(),
    )
    .all()
}

/// The time value of a pair whose active lanes take different branches: each branch's
/// formula as in [`tail_value`], [`near_value`] and [`central_value`] (the exponential and
/// `erfcx` checked only on the lanes that use them), each lane's selected.
#[inline(always)]
fn mixed_value(k: &Constants, f: &Front) -> Option<F2> {
    let in_tail = f.tail.or(f.near);
    let e = exp(f.y1.mul(f.y1).neg(), in_tail)?;
    let scaled2 = erfcx_positive(k, f.y2, in_tail)?;
    let scaled1 = erfcx_positive(k, f.y1, f.tail)?;
    let phi1 = k.half.sub(k.half.mul(erf_central(k, f.y1)));
    let phi2 = k.half.sub(k.half.mul(erf_central(k, f.y2)));
    let tail = k.half.mul(f.a).mul(e).mul(scaled1.sub(scaled2));
    let near = f.a.mul(phi1).sub(k.half.mul(f.a).mul(e).mul(scaled2));
    let central = f.a.mul(phi1).sub(f.b.mul(phi2));
    Some(f.tail.select(tail, f.near.select(near, central)))
}

/// `erfcx(y)` for `0.46875 < y < 26.543`: `normal::erfcx_positive` per lane (its second
/// interval up to 4, its third beyond). `None` when an active lane lies at or beyond `XBIG`.
#[inline(always)]
fn erfcx_positive(k: &Constants, y: F2, active: M2) -> Option<F2> {
    let mid = y.le(k.four);
    if mid.all() {
        return Some(erfcx_mid(k, y));
    }
    if !all_active(y.lt(F2::splat(XBIG)), active) {
        return None;
    }
    let (ysq, num, den) = far_rational(k, y);
    let far = F2::splat(ONE_OVER_SQRT_PI)
        .sub(ysq.mul(num).div(den))
        .div(y);
    Some(if mid.any() {
        mid.select(erfcx_mid(k, y), far)
    } else {
        far
    })
}

/// `e^x` per lane as [`crate::fmath::exp`] computes it for `2⁻⁵⁴ ≤ |x| < 512`; `None` when
/// an active lane lies outside that range (the scalar function's other branches).
#[inline(always)]
fn exp(x: F2, active: M2) -> Option<F2> {
    let ordinary = |v: f64| {
        let abstop = (v.to_bits() >> 52) & 0x7ff;
        abstop.wrapping_sub(0x3c9) < 0x408 - 0x3c9
    };
    if !all_active(M2::new(ordinary(x.lane0()), ordinary(x.lane1())), active) {
        return None;
    }
    let shift = F2::splat(EXP_ROUNDING_SHIFT);
    let shifted = F2::splat(EXP_INV_LN2_N).mul(x).add(shift);
    let k_bits = [shifted.lane0().to_bits(), shifted.lane1().to_bits()];
    let n = shifted.sub(shift);
    let r = x
        .sub(n.mul(F2::splat(EXP_LN2_N_HI)))
        .sub(n.mul(F2::splat(EXP_LN2_N_LO)));
    let entry = |bits: u64| {
        let j = (bits % (1 << EXP_TABLE_BITS)) as usize;
        (
            f64::from_bits(EXP_TABLE[2 * j]),
            f64::from_bits(EXP_TABLE[2 * j + 1].wrapping_add(bits << (52 - EXP_TABLE_BITS))),
        )
    };
    let ((tail0, scale0), (tail1, scale1)) = (entry(k_bits[0]), entry(k_bits[1]));
    let (tail, scale) = (F2::new(tail0, tail1), F2::new(scale0, scale1));
    let c = |v: f64| F2::splat(v);
    let r2 = r.mul(r);
    let r4 = r2.mul(r2);
    let low = r2.mul(c(1.0 / 2.0).add(r.mul(c(1.0 / 6.0))));
    let high = r4.mul(
        c(1.0 / 24.0)
            .add(r.mul(c(1.0 / 120.0)))
            .add(r2.mul(c(1.0 / 720.0).add(r.mul(c(1.0 / 5040.0))))),
    );
    let tmp = tail.add(r).add(low).add(high);
    Some(scale.add(scale.mul(tmp)))
}

#[cfg(test)]
mod tests {
    use super::super::normal;
    use super::*;

    /// The scalar function's bits for every element.
    fn check(kinds: &[OptionKind], f: &[f64], strike: &[f64], lm: &[f64], s: &[f64]) -> usize {
        let mut out = vec![0.0; kinds.len()];
        in_lanes(kinds, f, strike, lm, s, &mut out);
        for i in 0..kinds.len() {
            let expected = black76_scenario_premium_ln(kinds[i], f[i], strike[i], lm[i], s[i]);
            assert_eq!(
                out[i].to_bits(),
                expected.to_bits(),
                "element {i}: {:?} F {} K {} ln {} s {}: {} vs {}",
                kinds[i],
                f[i],
                strike[i],
                lm[i],
                s[i],
                out[i],
                expected
            );
        }
        kinds.len()
    }

    #[test]
    fn same_bits_as_the_scalar_function_on_a_wide_grid() {
        // Forwards from deep below to far above the strike, total volatilities from a few
        // hours at 5 % to years at 300 %, calls and puts, neighbours in every combination of
        // branches (the pairs are consecutive elements).
        let (mut kinds, mut f, mut strike, mut lm, mut s) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..200_000 {
            let k = 60_000.0;
            let forward = k * (0.02 + 8.0 * next() * next());
            let total = 0.0005 + 4.0 * next() * next() * next();
            kinds.push(if i % 3 == 0 {
                OptionKind::Put
            } else {
                OptionKind::Call
            });
            f.push(forward);
            strike.push(k);
            lm.push((forward / k).ln());
            s.push(total);
        }
        assert_eq!(check(&kinds, &f, &strike, &lm, &s), 200_000);
        // Every way through the kernel is taken, most pairs in lanes.
        let k: &Constants = &CONSTANTS;
        let mut taken = [0usize; 6];
        for i in (0..kinds.len()).step_by(2) {
            let pair = |v: &[f64]| F2::new(v[i], v[i + 1]);
            let calls = M2::new(
                kinds[i] == OptionKind::Call,
                kinds[i + 1] == OptionKind::Call,
            );
            let (front, plan) = front(k, calls, pair(&f), pair(&strike), pair(&lm), pair(&s));
            let lanes = match plan {
                Plan::Tail => tail_value(k, &front).is_some(),
                Plan::Near => near_value(k, &front).is_some(),
                Plan::Mixed => mixed_value(k, &front).is_some(),
                Plan::Intrinsic | Plan::Central => true,
                Plan::Scalar => false,
            };
            let at = match plan {
                _ if !lanes => 5,
                Plan::Intrinsic => 0,
                Plan::Tail => 1,
                Plan::Near => 2,
                Plan::Central => 3,
                Plan::Mixed => 4,
                Plan::Scalar => 5,
            };
            taken[at] += 1;
        }
        assert!(taken[..5].iter().all(|&n| n > 1_000), "{taken:?}");
        assert!(taken[5] < 10_000, "{taken:?}");
    }

    #[test]
    fn special_inputs_take_the_scalar_path() {
        let kinds = [OptionKind::Call, OptionKind::Put].repeat(6);
        let f = [
            60_000.0,
            f64::NAN,
            -1.0,
            60_000.0,
            0.0,
            1e-310,
            f64::INFINITY,
            60_000.0,
            60_000.0,
            60_000.0,
            59_999.0,
            60_001.0,
        ];
        let strike = [60_000.0; 12];
        let lm: Vec<f64> = f.iter().map(|v: &f64| (v / 60_000.0).ln()).collect();
        let s = [
            0.1,
            0.1,
            0.1,
            0.0,
            0.1,
            0.1,
            0.1,
            f64::INFINITY,
            f64::NAN,
            1e-300,
            1e-9,
            2.0e3,
        ];
        assert_eq!(check(&kinds, &f, &strike, &lm, &s), 12);
    }

    #[test]
    fn the_central_rational_matches_the_scalar_one_down_to_zero() {
        // The scalar erf_central squares nothing below Cody's XSMALL; the lanes always square.
        // Halving reaches zero through the subnormals (about 1 080 steps from each start).
        let k: &Constants = &CONSTANTS;
        for start in [0.46875_f64, 0.3, 0.1234567] {
            let mut x = start;
            while x > 0.0 {
                let lanes = erf_central(k, F2::new(x, -x));
                let scalar = (normal::erf_central(x), normal::erf_central(-x));
                assert_eq!(lanes.lane0().to_bits(), scalar.0.to_bits(), "{x}");
                assert_eq!(lanes.lane1().to_bits(), scalar.1.to_bits(), "{x}");
                x *= 0.5;
            }
        }
    }

    #[test]
    fn an_odd_length_prices_the_last_element_too() {
        let kinds = [OptionKind::Call; 3];
        let f = [55_000.0, 60_000.0, 65_000.0];
        let strike = [60_000.0; 3];
        let lm: Vec<f64> = f.iter().map(|v: &f64| (v / 60_000.0).ln()).collect();
        let s = [0.2; 3];
        assert_eq!(check(&kinds, &f, &strike, &lm, &s), 3);
    }
}
