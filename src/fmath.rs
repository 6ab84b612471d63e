//! Deterministic floating-point transcendentals for model math.
//!
//! `f64::exp`, `ln` and friends call the platform's C library natively (glibc here) and Rust's
//! own `libm` port in WebAssembly; the two can differ in the last bit, so the same request would
//! give different Greeks natively and in the browser. Model code calls these instead: the `libm`
//! crate (the Rust project's port of musl's libm, the same code std uses on wasm32) on every
//! target, so native and wasm results are bit-identical. `sqrt` needs no wrapper: IEEE 754
//! requires it correctly rounded everywhere.

/// Transcendental functions with the same result on every target.
pub trait DetMath: Sized {
    /// `e^x`.
    fn dexp(self) -> Self;
    /// Natural logarithm.
    fn dln(self) -> Self;
    /// `e^x − 1`, accurate near 0.
    fn dexp_m1(self) -> Self;
    /// `self^y`.
    fn dpowf(self, y: Self) -> Self;
    /// Cube root.
    fn dcbrt(self) -> Self;
}

impl DetMath for f64 {
    #[inline]
    fn dexp(self) -> f64 {
        libm::exp(self)
    }

    #[inline]
    fn dln(self) -> f64 {
        libm::log(self)
    }

    #[inline]
    fn dexp_m1(self) -> f64 {
        libm::expm1(self)
    }

    #[inline]
    fn dpowf(self, y: f64) -> f64 {
        libm::pow(self, y)
    }

    #[inline]
    fn dcbrt(self) -> f64 {
        libm::cbrt(self)
    }
}

#[cfg(test)]
mod tests {
    use super::DetMath;

    #[test]
    fn agrees_with_std_to_an_ulp() {
        for x in [-700.0, -20.5, -1.0, -1e-9, 0.0, 1e-9, 0.5, 1.0, 3.7, 700.0] {
            let (a, b) = (x.dexp(), f64::exp(x));
            assert!((a - b).abs() <= b.abs() * 2.0 * f64::EPSILON, "exp({x})");
            let (a, b) = (x.dexp_m1(), f64::exp_m1(x));
            assert!((a - b).abs() <= b.abs() * 2.0 * f64::EPSILON, "expm1({x})");
        }
        for x in [1e-300, 1e-9, 0.5, 1.0, 2.0, 1e300] {
            let (a, b) = (x.dln(), f64::ln(x));
            assert!(
                (a - b).abs() <= b.abs() * 2.0 * f64::EPSILON + f64::MIN_POSITIVE,
                "ln({x})"
            );
            assert!((x.dpowf(0.3) - x.powf(0.3)).abs() <= x.powf(0.3) * 2.0 * f64::EPSILON);
            assert!((x.dcbrt() - x.cbrt()).abs() <= x.cbrt() * 2.0 * f64::EPSILON);
        }
    }
}
