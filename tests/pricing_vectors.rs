//! Checks `imr::pricing` against every case of the option vectors in `tests/vectors/options/`
//! (exact closed forms evaluated with 110-digit arithmetic, cross-checked against QuantLib and
//! py_vollib), with the tolerances their `meta` blocks recommend.

use imr::pricing::{
    black76, black76_greeks_batch, black76_price, black76_price_delta_batch,
    black76_scenario_premium, black_scholes, black_scholes_greeks_batch, black_scholes_price,
    black_scholes_price_delta_batch, implied_vol, implied_vol_batch, implied_vol_batch_each,
    implied_vol_inverse, inverse_black76, inverse_payoff_coin, payoff_usd, Greeks, GreeksBatchOut,
    Model, OptionKind, PricingError,
};
use serde_json::Value;

const BLACK76: &str = include_str!("vectors/options/black76.json");
const BLACK_SCHOLES: &str = include_str!("vectors/options/black_scholes.json");
const IMPLIED_VOL: &str = include_str!("vectors/options/implied_vol.json");
const INVERSE: &str = include_str!("vectors/options/inverse_options.json");

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("vector file is valid JSON")
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("field {key} missing or not a number in {v}"))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("field {key} missing or not a string in {v}"))
}

fn kind(v: &Value) -> OptionKind {
    match text(v, "type") {
        "call" => OptionKind::Call,
        "put" => OptionKind::Put,
        other => panic!("unknown option type {other}"),
    }
}

fn cases(doc: &Value, key: &str) -> Vec<Value> {
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array"))
        .clone()
}

/// The recommended check of black76.json / black_scholes.json:
/// `|got − exp| ≤ 1e-12·scale + 1e-10·|exp|`.
fn within(got: f64, expected: f64, scale: f64) -> bool {
    (got - expected).abs() <= 1e-12 * scale + 1e-10 * expected.abs()
}

/// Per-field scales from the vectors' `disagreement.definition`.
fn greek_scales(x: f64, sigma: f64, t: f64) -> [(&'static str, f64); 6] {
    let sqrt_t = t.sqrt();
    [
        ("price", x),
        ("delta", 1.0),
        ("gamma", 1.0 / (x * sigma * sqrt_t)),
        ("vega", x * sqrt_t),
        ("theta", x * sigma / sqrt_t),
        ("rho", x * t),
    ]
}

fn greek(g: &Greeks, field: &str) -> f64 {
    match field {
        "price" => g.price,
        "delta" => g.delta,
        "gamma" => g.gamma,
        "vega" => g.vega,
        "theta" => g.theta,
        "rho" => g.rho,
        other => panic!("unknown greek {other}"),
    }
}

/// Compares all six fields of every case; returns the failures (empty when all pass).
fn check_greeks_file(doc: &Value, underlying_key: &str, model: Model) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases(doc, "cases") {
        let id = text(&case, "id");
        let (x, k, t, r, sigma) = (
            num(&case, underlying_key),
            num(&case, "K"),
            num(&case, "T"),
            num(&case, "r"),
            num(&case, "sigma"),
        );
        let g = match model {
            Model::Black76 => black76(kind(&case), x, k, t, r, sigma),
            Model::BlackScholes => black_scholes(kind(&case), x, k, t, r, sigma),
        };
        let g = match g {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{id}: error {e}"));
                continue;
            }
        };
        let price_only = match model {
            Model::Black76 => black76_price(kind(&case), x, k, t, r, sigma),
            Model::BlackScholes => black_scholes_price(kind(&case), x, k, t, r, sigma),
        };
        if price_only != Ok(g.price) {
            failures.push(format!("{id}: price-only {price_only:?} != {}", g.price));
        }
        let expected = &case["expected"];
        for (field, scale) in greek_scales(x, sigma, t) {
            let want = num(expected, field);
            let got = greek(&g, field);
            if !within(got, want, scale) {
                failures.push(format!(
                    "{id} {field}: got {got:e}, expected {want:e} (scale {scale:e})"
                ));
            }
        }
    }
    failures
}

#[test]
fn black76_all_cases_within_recommended_tolerance() {
    let doc = parse(BLACK76);
    assert!(cases(&doc, "cases").len() >= 100);
    let failures = check_greeks_file(&doc, "F", Model::Black76);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn black_scholes_all_cases_within_recommended_tolerance() {
    let doc = parse(BLACK_SCHOLES);
    assert!(cases(&doc, "cases").len() >= 100);
    let failures = check_greeks_file(&doc, "S", Model::BlackScholes);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Struct-of-arrays inputs of a whole vector file.
struct Chain {
    is_call: Vec<u8>,
    x: Vec<f64>,
    k: Vec<f64>,
    t: Vec<f64>,
    r: Vec<f64>,
    sigma: Vec<f64>,
    expected: Vec<Value>,
}

fn chain(doc: &Value, underlying_key: &str) -> Chain {
    let all = cases(doc, "cases");
    Chain {
        is_call: all.iter().map(|c| kind(c).code()).collect(),
        x: all.iter().map(|c| num(c, underlying_key)).collect(),
        k: all.iter().map(|c| num(c, "K")).collect(),
        t: all.iter().map(|c| num(c, "T")).collect(),
        r: all.iter().map(|c| num(c, "r")).collect(),
        sigma: all.iter().map(|c| num(c, "sigma")).collect(),
        expected: all.iter().map(|c| c["expected"].clone()).collect(),
    }
}

#[test]
fn batches_match_the_vectors_and_the_scalar_functions() {
    for (doc, key, model) in [
        (parse(BLACK76), "F", Model::Black76),
        (parse(BLACK_SCHOLES), "S", Model::BlackScholes),
    ] {
        let c = chain(&doc, key);
        let n = c.x.len();
        let (mut price, mut delta) = (vec![0.0; n], vec![0.0; n]);
        let batch = match model {
            Model::Black76 => black76_price_delta_batch,
            Model::BlackScholes => black_scholes_price_delta_batch,
        };
        batch(
            &c.is_call, &c.x, &c.k, &c.t, &c.r, &c.sigma, &mut price, &mut delta,
        )
        .expect("all vector inputs are valid");
        let mut all: Vec<Vec<f64>> = vec![vec![0.0; n]; 6];
        let [p, d, g, v, th, rh] = &mut all[..] else {
            unreachable!()
        };
        let out = GreeksBatchOut {
            price: p,
            delta: d,
            gamma: g,
            vega: v,
            theta: th,
            rho: rh,
        };
        let greeks_batch = match model {
            Model::Black76 => black76_greeks_batch,
            Model::BlackScholes => black_scholes_greeks_batch,
        };
        greeks_batch(&c.is_call, &c.x, &c.k, &c.t, &c.r, &c.sigma, out)
            .expect("all vector inputs are valid");
        for i in 0..n {
            let kind = OptionKind::from_code(c.is_call[i]).expect("valid code");
            let scalar = match model {
                Model::Black76 => black76(kind, c.x[i], c.k[i], c.t[i], c.r[i], c.sigma[i]),
                Model::BlackScholes => {
                    black_scholes(kind, c.x[i], c.k[i], c.t[i], c.r[i], c.sigma[i])
                }
            }
            .expect("valid");
            // The batch kernel (`pricing::chain`) agrees with the scalar functions to a few
            // parts in 10^14 (tests/pricing_batch.rs), in the tails times max(1, d1², d2²)
            // (where Φ(d) moves by d² ulps per ulp of d); the Greeks batch is the scalar path.
            let s = c.sigma[i] * c.t[i].sqrt();
            let m = (c.x[i] / c.k[i]).ln()
                + if model == Model::BlackScholes {
                    c.r[i] * c.t[i]
                } else {
                    0.0
                };
            let (d1, d2) = (m / s + s / 2.0, m / s - s / 2.0);
            let conditioning = 1f64.max(d1 * d1).max(d2 * d2);
            let close = |a: f64, b: f64, tolerance: f64| {
                (a - b).abs() <= tolerance * conditioning * b.abs()
            };
            assert!(close(price[i], scalar.price, 2e-14), "{model:?} #{i} price");
            assert!(close(delta[i], scalar.delta, 2e-15), "{model:?} #{i} delta");
            for (j, field) in ["price", "delta", "gamma", "vega", "theta", "rho"]
                .iter()
                .enumerate()
            {
                assert_eq!(all[j][i], greek(&scalar, field), "{model:?} #{i} {field}");
            }
            let scales = greek_scales(c.x[i], c.sigma[i], c.t[i]);
            assert!(within(price[i], num(&c.expected[i], "price"), scales[0].1));
            assert!(within(delta[i], num(&c.expected[i], "delta"), 1.0));
        }
    }
}

#[test]
fn batch_reports_the_first_bad_element_and_length_mismatches() {
    let is_call = [1u8, 0, 1];
    let f = [100.0, 100.0, 100.0];
    let k = [90.0, 110.0, 100.0];
    let t = [0.5, 0.5, 0.5];
    let r = [0.0, 0.0, 0.0];
    let mut sigma = [0.5, 0.5, 0.5];
    let (mut p, mut d) = ([0.0; 3], [0.0; 3]);
    sigma[1] = f64::NAN;
    let err = black76_price_delta_batch(&is_call, &f, &k, &t, &r, &sigma, &mut p, &mut d);
    assert_eq!(
        err,
        Err((1, PricingError::NotFinite(imr::pricing::Field::Volatility)))
    );
    assert!(p[0] > 10.0, "element before the failure is written");
    sigma[1] = 0.5;
    let bad_kind = [1u8, 2, 1];
    let err = black76_price_delta_batch(&bad_kind, &f, &k, &t, &r, &sigma, &mut p, &mut d);
    assert_eq!(
        err.map_err(|(i, e)| (i, e.code())),
        Err((1, "invalid_kind"))
    );
    let err = black76_price_delta_batch(&is_call, &f[..2], &k, &t, &r, &sigma, &mut p, &mut d);
    let (_, e) = err.expect_err("length mismatch");
    assert_eq!((e.code(), e.field()), ("length_mismatch", "forward"));
    let err = black76_price_delta_batch(&is_call, &f, &k, &t, &r, &sigma, &mut p[..1], &mut d);
    assert_eq!(err.expect_err("short output").1.field(), "output");
}

/// One ulp of a positive double.
fn ulp(v: f64) -> f64 {
    f64::from_bits(v.abs().to_bits() + 1) - v.abs()
}

fn iv_inputs(case: &Value) -> (Model, OptionKind, f64, f64, f64, f64, f64) {
    let model = match text(case, "model") {
        "black76" => Model::Black76,
        "black_scholes" => Model::BlackScholes,
        other => panic!("unknown model {other}"),
    };
    let underlying = match model {
        Model::Black76 => num(case, "F"),
        Model::BlackScholes => num(case, "S"),
    };
    (
        model,
        kind(case),
        num(case, "price"),
        underlying,
        num(case, "K"),
        num(case, "T"),
        num(case, "r"),
    )
}

#[test]
fn implied_vol_all_cases() {
    let doc = parse(IMPLIED_VOL);
    let all = cases(&doc, "cases");
    assert!(all.len() >= 130);
    let mut failures = Vec::new();
    let mut identifiable = 0;
    for case in &all {
        let id = text(case, "id");
        let (model, kind, price, x, k, t, r) = iv_inputs(case);
        let got = implied_vol(model, kind, price, x, k, t, r);
        match text(case, "status") {
            "well_conditioned" | "ill_conditioned" => {
                identifiable += 1;
                let want = num(case, "sigma_true");
                let tol = num(case, "tolerance");
                match got {
                    Ok(s) if (s - want).abs() <= tol => {}
                    other => failures.push(format!(
                        "{id}: got {other:?}, expected {want} ± {tol:e} ({})",
                        text(case, "group")
                    )),
                }
            }
            "undetermined" => {
                // Any σ that reproduces the price to an ulp is acceptable, as is the named error.
                let intrinsic = num(case, "intrinsic");
                let ok = match got {
                    Ok(0.0) => (price - intrinsic).abs() <= 2.0 * ulp(intrinsic.max(price)),
                    Ok(s) => {
                        let repriced = match model {
                            Model::Black76 => black76_price(kind, x, k, t, r, s),
                            Model::BlackScholes => black_scholes_price(kind, x, k, t, r, s),
                        };
                        repriced.is_ok_and(|p| (p - price).abs() <= 2.0 * ulp(price))
                    }
                    Err(e) => e == PricingError::Undetermined,
                };
                if !ok {
                    failures.push(format!("{id} (undetermined): got {got:?}"));
                }
            }
            "underflow" => {
                // The price underflowed to 0 = intrinsic: σ = 0 reproduces it exactly.
                assert_eq!(price, 0.0, "{id}");
                if got != Ok(0.0) {
                    failures.push(format!("{id} (underflow): got {got:?}"));
                }
            }
            other => panic!("unknown status {other}"),
        }
    }
    assert!(identifiable >= 100, "{identifiable}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn implied_vol_invalid_inputs_give_the_named_error() {
    let doc = parse(IMPLIED_VOL);
    let invalid = cases(&doc, "invalid_inputs");
    assert!(invalid.len() >= 9);
    for case in &invalid {
        let id = text(case, "id");
        let (model, kind, price, x, k, t, r) = iv_inputs(case);
        let got = implied_vol(model, kind, price, x, k, t, r);
        let expected = text(case, "expected");
        if let Some(code) = expected.strip_prefix("error:") {
            let err = got.expect_err(id);
            assert_eq!(err.code(), code, "{id}");
            assert_eq!(err.field(), "price", "{id}");
        } else {
            assert!(expected.starts_with("sigma=0"), "{id}: {expected}");
            assert_eq!(got, Ok(0.0), "{id}");
        }
    }
}

#[test]
fn implied_vol_batches_agree_with_scalar_solver() {
    let doc = parse(IMPLIED_VOL);
    let mut all = cases(&doc, "cases");
    all.extend(cases(&doc, "invalid_inputs"));
    for model in [Model::Black76, Model::BlackScholes] {
        let subset: Vec<&Value> = all.iter().filter(|c| iv_inputs(c).0 == model).collect();
        let n = subset.len();
        let mut cols: [Vec<f64>; 5] = Default::default();
        let mut is_call = Vec::with_capacity(n);
        for c in &subset {
            let (_, kind, price, x, k, t, r) = iv_inputs(c);
            is_call.push(kind.code());
            for (col, v) in cols.iter_mut().zip([price, x, k, t, r]) {
                col.push(v);
            }
        }
        let [price, x, k, t, r] = &cols;
        let mut vol = vec![0.0; n];
        let mut status = vec![0u8; n];
        let failures = implied_vol_batch_each(
            model,
            &is_call,
            price,
            x,
            k,
            t,
            r,
            &mut vol,
            &mut status,
            f64::NAN,
        )
        .expect("equal lengths");
        let mut expected_failures = 0;
        let mut first_failure = None;
        for i in 0..n {
            let kind = OptionKind::from_code(is_call[i]).expect("valid");
            match implied_vol(model, kind, price[i], x[i], k[i], t[i], r[i]) {
                Ok(s) => {
                    assert_eq!(status[i], 0);
                    assert_eq!(vol[i], s);
                }
                Err(e) => {
                    expected_failures += 1;
                    first_failure.get_or_insert((i, e));
                    assert_eq!(status[i], e.status());
                    assert!(vol[i].is_nan());
                }
            }
        }
        assert_eq!(failures, expected_failures);
        let mut strict = vec![0.0; n];
        let result = implied_vol_batch(model, &is_call, price, x, k, t, r, &mut strict);
        match first_failure {
            None => assert_eq!(result, Ok(())),
            Some(first) => assert_eq!(result, Err(first)),
        }
    }
}

#[test]
fn inverse_options_all_cases() {
    let doc = parse(INVERSE);
    let all = cases(&doc, "cases");
    assert!(all.len() >= 7);
    let mut failures = Vec::new();
    for case in &all {
        let name = text(case, "name");
        let (f, index, k, t, sigma, r) = (
            num(case, "F"),
            num(case, "index"),
            num(case, "K"),
            num(case, "T"),
            num(case, "sigma"),
            num(case, "r"),
        );
        let g = inverse_black76(kind(case), f, k, t, r, sigma).expect(name);
        let sqrt_t = t.sqrt();
        let display = g.usd_at_index(index).expect(name);
        let checks = [
            ("price_usd", g.price_usd, f),
            ("price_coin", g.price_coin, 1.0),
            ("usd_display_index", display, index),
            ("delta_bs", g.delta_bs, 1.0),
            (
                "delta_coin_premium_adjusted",
                g.delta_coin_premium_adjusted,
                1.0,
            ),
            ("dprice_coin_dF", g.dprice_coin_dforward, 1.0 / f),
            ("gamma_usd", g.gamma_usd, 1.0 / (f * sigma * sqrt_t)),
            ("vega_usd", g.vega_usd, f * sqrt_t),
            ("vega_coin", g.vega_coin, sqrt_t),
            ("theta_usd", g.theta_usd, f * sigma / sqrt_t),
            ("theta_coin", g.theta_coin, sigma / sqrt_t),
        ];
        let expected = &case["expected"];
        for (field, got, scale) in checks {
            let want = num(expected, field);
            if !within(got, want, scale) {
                failures.push(format!("{name} {field}: got {got:e}, expected {want:e}"));
            }
        }
        // The coin premium inverts back to the volatility.
        let back =
            implied_vol_inverse(kind(case), num(expected, "price_coin"), f, k, t, r).expect(name);
        if (back - sigma).abs() > 1e-12 {
            failures.push(format!(
                "{name}: implied vol from coin price {back} != {sigma}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inverse_payoffs_at_expiry() {
    let doc = parse(INVERSE);
    let all = cases(&doc, "payoff_at_expiry");
    assert!(all.len() >= 4);
    for case in &all {
        let (k, settlement) = (num(case, "K"), num(case, "settlement"));
        for (kind, prefix) in [(OptionKind::Call, "call"), (OptionKind::Put, "put")] {
            let coin = inverse_payoff_coin(kind, k, settlement).expect("valid");
            let usd = payoff_usd(kind, k, settlement).expect("valid");
            let want_coin = num(case, &format!("{prefix}_payoff_coin"));
            let want_usd = num(case, &format!("{prefix}_payoff_usd"));
            assert!(
                (coin - want_coin).abs() <= 1e-15 * want_coin.max(1e-300),
                "{case}"
            );
            assert_eq!(usd, want_usd, "{case}");
        }
    }
    let e = inverse_payoff_coin(OptionKind::Call, 100.0, 0.0).expect_err("zero settlement");
    assert_eq!((e.code(), e.field()), ("non_positive", "settlement"));
}

/// The risk models' revaluation premium agrees with the 110-digit reference prices of
/// black76.json (undiscounted: price / exp(−rT)) to a few ulps of max(F, K), and with
/// `black76_price` at r = 0 over a sweep far beyond the vectors (moneyness e^±12, σ√T from
/// 10⁻⁴ to 5): the absolute accuracy scenario P&L needs.
#[test]
fn scenario_premium_is_accurate_to_ulps_of_the_forward() {
    let doc = parse(BLACK76);
    for case in cases(&doc, "cases") {
        let (f, k, t, r, sigma) = (
            num(&case, "F"),
            num(&case, "K"),
            num(&case, "T"),
            num(&case, "r"),
            num(&case, "sigma"),
        );
        let want = num(&case["expected"], "price") / (-r * t).exp();
        let got = black76_scenario_premium(kind(&case), f, k, t, sigma);
        let err = (got - want).abs() / f.max(k);
        assert!(
            err <= 8.0 * f64::EPSILON,
            "{}: {got} vs {want} ({err:e} of max(F, K))",
            text(&case, "id")
        );
    }
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..200_000 {
        let f = 60_000.0;
        let k = f * (24.0 * next() - 12.0).exp();
        let t = 1e-4 + 2.0 * next();
        let s = 1e-4 * (5e4f64).powf(next());
        let sigma = s / t.sqrt();
        let kind = if next() < 0.5 {
            OptionKind::Call
        } else {
            OptionKind::Put
        };
        let want = black76_price(kind, f, k, t, 0.0, sigma).unwrap();
        let got = black76_scenario_premium(kind, f, k, t, sigma);
        let err = (got - want).abs() / f.max(k);
        assert!(
            err <= 8.0 * f64::EPSILON,
            "{kind:?} F {f} K {k} T {t} σ {sigma}: {got} vs {want}"
        );
    }
}
