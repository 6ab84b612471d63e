//! Two-lane `f64` vectors for the batch pricing kernel ([`super::chain`]).
//!
//! With WebAssembly SIMD (`target_feature = "simd128"`, which the wasm build enables) an [`F2`]
//! is one `v128` and every operation one SIMD instruction; elsewhere it is a pair of scalars and
//! the compiler vectorises what it can. Both backends perform the same IEEE 754 operations
//! (add, subtract, multiply, divide, square root, exact integer bit manipulation; no fused
//! multiply-add), so a kernel written with them gives bit-identical results natively and in the
//! browser — the property `fmath` provides for the scalar code.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// Two `f64` lanes.
    #[derive(Clone, Copy)]
    pub struct F2(v128);

    /// A per-lane condition (all bits set = true).
    #[derive(Clone, Copy)]
    pub struct M2(v128);

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            F2(f64x2(a, b))
        }
        #[inline(always)]
        pub const fn splat(x: f64) -> Self {
            F2(f64x2(x, x))
        }
        #[inline(always)]
        pub fn lane0(self) -> f64 {
            f64x2_extract_lane::<0>(self.0)
        }
        #[inline(always)]
        pub fn lane1(self) -> f64 {
            f64x2_extract_lane::<1>(self.0)
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            F2(f64x2_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            F2(f64x2_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            F2(f64x2_mul(self.0, o.0))
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            F2(f64x2_div(self.0, o.0))
        }
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            F2(f64x2_sqrt(self.0))
        }
        #[inline(always)]
        pub fn abs(self) -> Self {
            F2(f64x2_abs(self.0))
        }
        #[inline(always)]
        pub fn neg(self) -> Self {
            F2(f64x2_neg(self.0))
        }
        /// Round to the nearest integer, ties to even.
        #[inline(always)]
        pub fn round_even(self) -> Self {
            F2(f64x2_nearest(self.0))
        }
        #[inline(always)]
        pub fn lt(self, o: Self) -> M2 {
            M2(f64x2_lt(self.0, o.0))
        }
        #[inline(always)]
        pub fn le(self, o: Self) -> M2 {
            M2(f64x2_le(self.0, o.0))
        }
        #[inline(always)]
        pub fn gt(self, o: Self) -> M2 {
            M2(f64x2_gt(self.0, o.0))
        }
        /// Clears the low `bits` bits of each lane's significand.
        #[inline(always)]
        pub fn clear_low_bits(self, mask: u64) -> Self {
            F2(v128_and(self.0, u64x2_splat(!mask)))
        }
        /// `(k, m)` with `self = 2^k·m`, `m ∈ [√½·(1−ε), √2)`, for positive normal lanes
        /// (fdlibm's `e_log.c` reduction, on whole 64-bit words).
        #[inline(always)]
        pub fn log_reduce(self) -> (Self, Self) {
            let bits = i64x2_add(self.0, u64x2_splat(super::LOG_SHIFT));
            let k = i64x2_sub(u64x2_shr(bits, 52), u64x2_splat(1023));
            let m = i64x2_add(
                v128_and(bits, u64x2_splat(super::SIGNIFICAND_MASK)),
                u64x2_splat(super::LOG_BASE),
            );
            (F2(small_int_to_f64(k)), F2(m))
        }
        /// `2^k` for integral lanes `k ∈ [−1022, 1023]`.
        #[inline(always)]
        pub fn pow2(k: Self) -> Self {
            let biased = f64x2_add(k.0, f64x2_splat(super::ROUNDING_MAGIC));
            let e = i64x2_sub(biased, u64x2_splat(super::ROUNDING_MAGIC_BITS - 1023));
            F2(i64x2_shl(e, 52))
        }
    }

    /// Signed 64-bit integers of small magnitude (< 2^51) to `f64`, exactly.
    #[inline(always)]
    fn small_int_to_f64(k: v128) -> v128 {
        let biased = i64x2_add(k, u64x2_splat(super::ROUNDING_MAGIC_BITS));
        f64x2_sub(biased, f64x2_splat(super::ROUNDING_MAGIC))
    }

    impl M2 {
        /// Both lanes false.
        pub const FALSE: Self = M2(i64x2(0, 0));
        #[inline(always)]
        pub fn new(a: bool, b: bool) -> Self {
            M2(i64x2(-(a as i64), -(b as i64)))
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            M2(v128_and(self.0, o.0))
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            M2(v128_or(self.0, o.0))
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            v128_any_true(self.0)
        }
        #[inline(always)]
        pub fn all(self) -> bool {
            i64x2_all_true(self.0)
        }
        /// Lane 0 as bit 0, lane 1 as bit 1.
        #[inline(always)]
        pub fn bits(self) -> u32 {
            u32::from(i64x2_bitmask(self.0))
        }
        #[inline(always)]
        pub fn lane0(self) -> bool {
            i64x2_extract_lane::<0>(self.0) != 0
        }
        #[inline(always)]
        pub fn lane1(self) -> bool {
            i64x2_extract_lane::<1>(self.0) != 0
        }
        /// `if self { a } else { b }` per lane.
        #[inline(always)]
        pub fn select(self, a: F2, b: F2) -> F2 {
            F2(v128_bitselect(a.0, b.0, self.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// Two `f64` lanes.
    #[derive(Clone, Copy)]
    pub struct F2([f64; 2]);

    /// A per-lane condition.
    #[derive(Clone, Copy)]
    pub struct M2([bool; 2]);

    #[inline(always)]
    fn map(a: F2, f: impl Fn(f64) -> f64) -> F2 {
        F2([f(a.0[0]), f(a.0[1])])
    }

    #[inline(always)]
    fn zip(a: F2, b: F2, f: impl Fn(f64, f64) -> f64) -> F2 {
        F2([f(a.0[0], b.0[0]), f(a.0[1], b.0[1])])
    }

    #[inline(always)]
    fn cmp(a: F2, b: F2, f: impl Fn(f64, f64) -> bool) -> M2 {
        M2([f(a.0[0], b.0[0]), f(a.0[1], b.0[1])])
    }

    impl F2 {
        #[inline(always)]
        pub fn new(a: f64, b: f64) -> Self {
            F2([a, b])
        }
        #[inline(always)]
        pub const fn splat(x: f64) -> Self {
            F2([x, x])
        }
        #[inline(always)]
        pub fn lane0(self) -> f64 {
            self.0[0]
        }
        #[inline(always)]
        pub fn lane1(self) -> f64 {
            self.0[1]
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            zip(self, o, |a, b| a + b)
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            zip(self, o, |a, b| a - b)
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            zip(self, o, |a, b| a * b)
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            zip(self, o, |a, b| a / b)
        }
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            map(self, f64::sqrt)
        }
        #[inline(always)]
        pub fn abs(self) -> Self {
            map(self, f64::abs)
        }
        #[inline(always)]
        pub fn neg(self) -> Self {
            map(self, |a| -a)
        }
        /// Round to the nearest integer, ties to even.
        #[inline(always)]
        pub fn round_even(self) -> Self {
            map(self, f64::round_ties_even)
        }
        #[inline(always)]
        pub fn lt(self, o: Self) -> M2 {
            cmp(self, o, |a, b| a < b)
        }
        #[inline(always)]
        pub fn le(self, o: Self) -> M2 {
            cmp(self, o, |a, b| a <= b)
        }
        #[inline(always)]
        pub fn gt(self, o: Self) -> M2 {
            cmp(self, o, |a, b| a > b)
        }
        /// Clears the bits of `mask` in each lane.
        #[inline(always)]
        pub fn clear_low_bits(self, mask: u64) -> Self {
            map(self, |a| f64::from_bits(a.to_bits() & !mask))
        }
        /// `(k, m)` with `self = 2^k·m`, `m ∈ [√½·(1−ε), √2)`, for positive normal lanes
        /// (fdlibm's `e_log.c` reduction, on whole 64-bit words).
        #[inline(always)]
        pub fn log_reduce(self) -> (Self, Self) {
            let one = |a: f64| {
                let bits = a.to_bits().wrapping_add(super::LOG_SHIFT);
                let k = (bits >> 52) as i64 - 1023;
                let m = (bits & super::SIGNIFICAND_MASK) + super::LOG_BASE;
                (k as f64, f64::from_bits(m))
            };
            let (k0, m0) = one(self.0[0]);
            let (k1, m1) = one(self.0[1]);
            (F2([k0, k1]), F2([m0, m1]))
        }
        /// `2^k` for integral lanes `k ∈ [−1022, 1023]`.
        #[inline(always)]
        pub fn pow2(k: Self) -> Self {
            // Wrapping: a refused lane may carry any value (see `chain`); its result is unused.
            map(k, |k| {
                f64::from_bits(((k as i64).wrapping_add(1023) as u64) << 52)
            })
        }
    }

    impl M2 {
        /// Both lanes false.
        pub const FALSE: Self = M2([false, false]);
        #[inline(always)]
        pub fn new(a: bool, b: bool) -> Self {
            M2([a, b])
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            M2([self.0[0] && o.0[0], self.0[1] && o.0[1]])
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            M2([self.0[0] || o.0[0], self.0[1] || o.0[1]])
        }
        #[inline(always)]
        pub fn any(self) -> bool {
            self.0[0] | self.0[1]
        }
        #[inline(always)]
        pub fn all(self) -> bool {
            self.0[0] & self.0[1]
        }
        /// Lane 0 as bit 0, lane 1 as bit 1.
        #[inline(always)]
        pub fn bits(self) -> u32 {
            u32::from(self.0[0]) | (u32::from(self.0[1]) << 1)
        }
        #[inline(always)]
        pub fn lane0(self) -> bool {
            self.0[0]
        }
        #[inline(always)]
        pub fn lane1(self) -> bool {
            self.0[1]
        }
        /// `if self { a } else { b }` per lane.
        #[inline(always)]
        pub fn select(self, a: F2, b: F2) -> F2 {
            F2([
                if self.0[0] { a.0[0] } else { b.0[0] },
                if self.0[1] { a.0[1] } else { b.0[1] },
            ])
        }
    }
}

pub(crate) use imp::{F2, M2};

/// fdlibm `e_log.c`: adding `0x3ff00000 − 0x3fe6a09e` to the high word moves the exponent step
/// from 1 to √2/2 (so that the reduced argument lies in `[√½, √2)`).
const LOG_SHIFT: u64 = (0x3ff0_0000 - 0x3fe6_a09e) << 32;
/// The significand bits of an `f64`.
const SIGNIFICAND_MASK: u64 = (1 << 52) - 1;
/// fdlibm `e_log.c`: the high word of √2/2 re-applied after the shift.
const LOG_BASE: u64 = 0x3fe6_a09e << 32;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
/// `1.5·2^52`: adding it to a small integral `f64` puts the integer in the low bits.
const ROUNDING_MAGIC: f64 = 6_755_399_441_055_744.0;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
/// The bit pattern of [`ROUNDING_MAGIC`].
const ROUNDING_MAGIC_BITS: u64 = 0x4338_0000_0000_0000;
