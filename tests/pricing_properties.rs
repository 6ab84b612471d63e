//! Property tests of `imr::pricing`: Greeks are the derivatives of the price (central finite
//! differences), put–call parity holds, implied volatility inverts the price, and invalid inputs
//! are named errors rather than panics or NaN.

use imr::pricing::{
    black76, black76_price, black_scholes, black_scholes_price, implied_vol, inverse_black76,
    Greeks, Model, OptionKind, PricingError,
};
use proptest::prelude::*;

fn kind_strategy() -> impl Strategy<Value = OptionKind> {
    prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)]
}

fn model_strategy() -> impl Strategy<Value = Model> {
    prop_oneof![Just(Model::Black76), Just(Model::BlackScholes)]
}

/// Log-uniform value in `[lo, hi]`.
fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

/// Market inputs in a range where finite differences are well conditioned:
/// (underlying, strike, time, rate, vol).
fn market() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
    (
        log_uniform(10.0, 1e5),
        -1.0..1.0f64,
        log_uniform(0.01, 3.0),
        -0.05..0.15f64,
        0.05..2.0f64,
    )
        .prop_map(|(x, m, t, r, v)| (x, x * m.exp(), t, r, v))
}

fn price(model: Model, kind: OptionKind, x: f64, k: f64, t: f64, r: f64, v: f64) -> f64 {
    match model {
        Model::Black76 => black76_price(kind, x, k, t, r, v),
        Model::BlackScholes => black_scholes_price(kind, x, k, t, r, v),
    }
    .expect("valid inputs")
}

fn all_greeks(model: Model, kind: OptionKind, x: f64, k: f64, t: f64, r: f64, v: f64) -> Greeks {
    match model {
        Model::Black76 => black76(kind, x, k, t, r, v),
        Model::BlackScholes => black_scholes(kind, x, k, t, r, v),
    }
    .expect("valid inputs")
}

/// Central difference of `f` at `a` with step `h`.
fn central(f: impl Fn(f64) -> f64, a: f64, h: f64) -> f64 {
    (f(a + h) - f(a - h)) / (2.0 * h)
}

fn ulp(v: f64) -> f64 {
    f64::from_bits(v.abs().to_bits() + 1) - v.abs()
}

// Default configuration: 256 cases per property (override with `PROPTEST_CASES`).
proptest! {

    /// delta, gamma, vega, theta and rho against central differences of the price (and of
    /// delta for gamma), each compared on its natural scale (vectors' `disagreement`
    /// scales): delta 1, gamma 1/(Xσ√T), vega X√T, theta Xσ/√T, rho XT.
    #[test]
    fn greeks_match_finite_differences(
        model in model_strategy(),
        kind in kind_strategy(),
        (x, k, t, r, v) in market(),
    ) {
        let g = all_greeks(model, kind, x, k, t, r, v);
        let sqrt_t = t.sqrt();
        let s = v * sqrt_t;
        let hx = 1e-4 * x * s;
        let delta_fd = central(|y| price(model, kind, y, k, t, r, v), x, hx);
        prop_assert!((delta_fd - g.delta).abs() <= 1e-7, "delta {} vs fd {}", g.delta, delta_fd);
        let gamma_fd = central(|y| all_greeks(model, kind, y, k, t, r, v).delta, x, hx);
        let gamma_scale = 1.0 / (x * s);
        prop_assert!((gamma_fd - g.gamma).abs() <= 1e-6 * gamma_scale,
            "gamma {} vs fd {}", g.gamma, gamma_fd);
        let vega_fd = central(|w| price(model, kind, x, k, t, r, w), v, 1e-4 * v);
        prop_assert!((vega_fd - g.vega).abs() <= 1e-7 * x * sqrt_t,
            "vega {} vs fd {}", g.vega, vega_fd);
        let theta_fd = -central(|u| price(model, kind, x, k, u, r, v), t, 1e-4 * t);
        prop_assert!((theta_fd - g.theta).abs() <= 1e-7 * x * v / sqrt_t,
            "theta {} vs fd {}", g.theta, theta_fd);
        let rho_fd = central(|q| price(model, kind, x, k, t, q, v), r, 1e-5);
        prop_assert!((rho_fd - g.rho).abs() <= 1e-7 * x * t, "rho {} vs fd {}", g.rho, rho_fd);
    }

    /// Put–call parity: C − P = D·(F − K) for Black-76, S − K·D for Black–Scholes; and the
    /// parity-implied relations of the Greeks.
    #[test]
    fn put_call_parity(model in model_strategy(), (x, k, t, r, v) in market()) {
        let c = all_greeks(model, OptionKind::Call, x, k, t, r, v);
        let p = all_greeks(model, OptionKind::Put, x, k, t, r, v);
        let d = (-r * t).exp();
        let (forward_value, delta_gap) = match model {
            Model::Black76 => (d * (x - k), d),
            Model::BlackScholes => (x - k * d, 1.0),
        };
        let tol = 1e-14 * x.max(k);
        prop_assert!((c.price - p.price - forward_value).abs() <= tol,
            "C−P = {} vs {}", c.price - p.price, forward_value);
        prop_assert!((c.delta - p.delta - delta_gap).abs() <= 1e-15);
        prop_assert!((c.gamma - p.gamma).abs() <= 1e-14 * c.gamma.abs().max(1e-300));
        prop_assert!((c.vega - p.vega).abs() <= 1e-14 * c.vega.abs().max(1e-300));
        prop_assert!(c.price >= 0.0 && p.price >= 0.0);
        // No-arbitrage bounds: C ≤ D·F (= S), P ≤ D·K.
        let max_call = if model == Model::Black76 { d * x } else { x };
        prop_assert!(c.price <= max_call * (1.0 + 1e-15) && p.price <= d * k * (1.0 + 1e-15));
    }

    /// Implied volatility recovers σ from the model price to the price's own resolution,
    /// from 1-minute to 5-year expiries and up to ±10 standard deviations of moneyness.
    #[test]
    fn implied_vol_round_trips_price(
        model in model_strategy(),
        kind in kind_strategy(),
        f in log_uniform(1.0, 1e5),
        z in -10.0..10.0f64,
        t in log_uniform(1.9e-6, 5.0),
        r in -0.02..0.1f64,
        v in 0.01..4.0f64,
    ) {
        let s = v * t.sqrt();
        let k = f * (z * s).exp();
        let g = all_greeks(model, kind, f, k, t, r, v);
        let got = implied_vol(model, kind, g.price, f, k, t, r);
        // σ change that moves the price by one ulp: no solver can do better than this. With
        // Black–Scholes and r ≠ 0 the intrinsic part S − K·e^{−rT} is itself only known to
        // about ε·max(S, K) (e^{−rT} is rounded), which bounds what any price can carry.
        let in_the_money = kind == OptionKind::Call && k <= f || kind == OptionKind::Put && k >= f;
        let intrinsic_rounding = if model == Model::BlackScholes && r != 0.0 && in_the_money {
            4.0 * f64::EPSILON * f.max(k)
        } else {
            0.0
        };
        let resolution = if g.price > 0.0 {
            (ulp(g.price) + intrinsic_rounding) / g.vega
        } else {
            f64::INFINITY
        };
        if resolution < 1e-3 * v {
            let sigma = got.map_err(|e| TestCaseError::fail(format!("{e} at price {}", g.price)))?;
            prop_assert!((sigma - v).abs() <= 1e-12 * v + 64.0 * resolution,
                "σ {} vs {} (resolution {:e})", sigma, v, resolution);
        } else {
            // Time value (nearly) lost in rounding: σ = 0, a σ that reproduces the price, or
            // the named `undetermined` error are the only acceptable answers.
            match got {
                Ok(0.0) => {
                    let d = (-r * t).exp();
                    let intrinsic = match (model, kind) {
                        (Model::Black76, OptionKind::Call) => d * (f - k),
                        (Model::Black76, OptionKind::Put) => d * (k - f),
                        (Model::BlackScholes, OptionKind::Call) => f - k * d,
                        (Model::BlackScholes, OptionKind::Put) => k * d - f,
                    }.max(0.0);
                    prop_assert!((g.price - intrinsic).abs() <= 8.0 * f64::EPSILON * f.max(k),
                        "σ = 0 but price {} ≠ intrinsic {}", g.price, intrinsic);
                }
                Ok(sigma) => {
                    let again = price(model, kind, f, k, t, r, sigma);
                    // One ulp of σ may move a far out-of-the-money price by many ulps.
                    let tol = 4.0 * ulp(g.price) + intrinsic_rounding + 2.0 * g.vega * ulp(sigma);
                    prop_assert!((again - g.price).abs() <= tol,
                        "σ {} reprices to {} ≠ {}", sigma, again, g.price);
                }
                // A price that rounds to its upper bound (huge σ√T) is rightly refused.
                Err(PricingError::AboveMaximum) => {
                    let d = (-r * t).exp();
                    let bound = match (model, kind) {
                        (Model::Black76, OptionKind::Call) => d * f,
                        (Model::BlackScholes, OptionKind::Call) => f,
                        (_, OptionKind::Put) => d * k,
                    };
                    prop_assert!(g.price >= bound * (1.0 - 4.0 * f64::EPSILON),
                        "above_maximum for {} < {}", g.price, bound);
                }
                Err(e) => prop_assert_eq!(e, PricingError::Undetermined),
            }
        }
    }

    /// Prices strictly outside the no-arbitrage band are named errors, never a volatility.
    #[test]
    fn implied_vol_rejects_prices_outside_the_band(
        model in model_strategy(),
        kind in kind_strategy(),
        (x, k, t, r, _v) in market(),
        excess in 1e-6..10.0f64,
    ) {
        let d = (-r * t).exp();
        let (intrinsic, maximum) = match (model, kind) {
            (Model::Black76, OptionKind::Call) => ((d * (x - k)).max(0.0), d * x),
            (Model::Black76, OptionKind::Put) => ((d * (k - x)).max(0.0), d * k),
            (Model::BlackScholes, OptionKind::Call) => ((x - k * d).max(0.0), x),
            (Model::BlackScholes, OptionKind::Put) => ((k * d - x).max(0.0), k * d),
        };
        let unit = 1e-6 * x.max(k);
        let below = implied_vol(model, kind, intrinsic - excess * unit, x, k, t, r);
        prop_assert_eq!(below.map_err(|e| e.code()), Err("below_intrinsic"));
        let above = implied_vol(model, kind, maximum + excess * unit, x, k, t, r);
        prop_assert_eq!(above.map_err(|e| e.code()), Err("above_maximum"));
    }

    /// Coin-settled Greeks: d(price_coin)/dF by central differences, and the premium-adjusted
    /// delta equals F·d(price_coin)/dF.
    #[test]
    fn inverse_coin_delta_matches_finite_difference(
        kind in kind_strategy(),
        (f, k, t, r, v) in market(),
    ) {
        let g = inverse_black76(kind, f, k, t, r, v).expect("valid");
        let h = 1e-5 * f * v * t.sqrt();
        let coin = |y: f64| inverse_black76(kind, y, k, t, r, v).expect("valid").price_coin;
        let fd = central(coin, f, h);
        prop_assert!((fd - g.dprice_coin_dforward).abs() * f <= 1e-7,
            "{} vs fd {}", g.dprice_coin_dforward, fd);
        prop_assert!((g.delta_coin_premium_adjusted - f * g.dprice_coin_dforward).abs() <= 1e-15);
        prop_assert!((g.price_coin * f - g.price_usd).abs() <= 1e-15 * g.price_usd.max(1e-300) * 4.0);
    }

    /// Invalid inputs name the offending field and never panic or yield NaN.
    #[test]
    fn invalid_inputs_are_named_errors(
        model in model_strategy(),
        kind in kind_strategy(),
        (x, k, t, r, v) in market(),
        which in 0usize..5,
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY),
                           Just(0.0), Just(-1.0), Just(-1e-300)],
    ) {
        let mut inputs = [x, k, t, r, v];
        inputs[which] = bad;
        let [x2, k2, t2, r2, v2] = inputs;
        let fields = [
            if model == Model::Black76 { "forward" } else { "spot" },
            "strike", "time", "rate", "volatility",
        ];
        let result = match model {
            Model::Black76 => black76(kind, x2, k2, t2, r2, v2),
            Model::BlackScholes => black_scholes(kind, x2, k2, t2, r2, v2),
        };
        if which == 3 && bad.is_finite() {
            // Zero and negative rates are legitimate.
            prop_assert!(result.is_ok_and(|g| g.is_finite()));
        } else {
            let e = result.expect_err("invalid input accepted");
            prop_assert_eq!(e.field(), fields[which]);
            let expected_code = if bad.is_finite() { "non_positive" } else { "not_finite" };
            prop_assert_eq!(e.code(), expected_code);
            prop_assert!(!e.to_string().is_empty());
        }
        // The implied-volatility solver applies the same rules to its inputs (σ slot = price).
        let p = if which == 4 { bad } else { price(model, kind, x, k, t, r, v) };
        let iv = implied_vol(model, kind, p, x2, k2, t2, r2);
        match which {
            4 if !bad.is_finite() => prop_assert_eq!(iv.map_err(|e| (e.code(), e.field())),
                Err(("not_finite", "price"))),
            4 if bad < 0.0 => prop_assert_eq!(iv.map_err(|e| e.code()), Err("below_intrinsic")),
            3 if bad.is_finite() => {}
            4 => prop_assert!(iv.is_ok() || iv.is_err_and(|e| e.field() == "price")),
            _ => prop_assert_eq!(iv.map_err(|e| e.field()), Err(fields[which])),
        }
    }
}
