#![cfg(not(target_arch = "wasm32"))]
//! Dynamic initial-margin models on option markets (margin-models.md §3: "a margin model that
//! uses delta-equivalent exposure charges |Δ|·N"): the model's rate is evaluated on the
//! option's delta-equivalent size `|Δ|·Q` at the underlying price, the charge is
//! `rate · |Δ|·Q·S`, a short option's initial margin is `max(standard rule, charge + Q·mark)`,
//! a long option keeps its premium.
//!
//! The hand-computed example's expected numbers were worked out outside the engine (Python's
//! `math.erf` for N(d1), `statistics.NormalDist().inv_cdf(0.99)` for z) and are written here as
//! literals; the properties check monotonicity through `calculate_json` on random books.

use imr::risk::imr::{delta_equivalent_charge, ImrInputs, ImrModel};
use proptest::prelude::*;
use serde_json::{json, Value};

const VALUATION: &str = "2025-06-01T08:00:00Z";
const EXPIRY: &str = "2025-06-27T08:00:00Z";

fn run(request: &Value) -> Value {
    let out: Value = serde_json::from_str(&imr::calculate_json(&request.to_string())).unwrap();
    assert_eq!(out["ok"], true, "request failed: {out}");
    out["result"].clone()
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        Value::Number(n) => n.as_f64().unwrap(),
        other => panic!("expected a number, got {other}"),
    }
}

#[track_caller]
fn assert_rel(what: &str, got: f64, expected: f64, rel: f64) {
    assert!(
        (got - expected).abs() <= rel * expected.abs().max(1.0),
        "{what}: got {got}, expected {expected}"
    );
}

/// One option market `OPT` (strike, type, S, IV, 26 days), a position of `size` units, and an
/// optional model.
#[allow(clippy::too_many_arguments)]
fn option_request(
    option_type: &str,
    strike: f64,
    underlying: f64,
    iv: f64,
    side: &str,
    size: f64,
    model: Option<Value>,
    settlement: &str,
) -> Value {
    let mut market = json!({
        "symbol": "OPT", "kind": "option", "optionType": option_type,
        "settlement": settlement,
        "strike": strike.to_string(), "expiry": EXPIRY,
        "underlyingPrice": underlying.to_string(), "impliedVolatility": iv.to_string(),
        "margin": {"type": "standardOption", "initialRate": "0.15",
                   "initialFloorRate": "0.1", "maintenanceRate": "0.075"}
    });
    if let Some(m) = model {
        market["initialMarginModel"] = m;
    }
    json!({
        "account": {"walletBalance": if settlement == "inverse" { "100" } else { "1000000" }},
        "valuationTime": VALUATION,
        "markets": [market],
        "positions": [{"symbol": "OPT", "side": side, "size": size.to_string(),
                       "entryPrice": "0.0001"}]
    })
}

fn vol_model(sigma: f64, horizon: f64, multiplier: f64) -> Value {
    json!({"type": "volatility", "floor": "0.02", "confidence": "0.99",
           "horizonDays": horizon.to_string(), "multiplier": multiplier.to_string(),
           "volatility": sigma.to_string()})
}

// Hand-computed: S = 60 000, K = 50 000, σ_implied = 0.6, T = 26/365 = 0.0712328767123288
// d1 = (ln 1.2 + 0.18·T) / (0.6·√T) = 1.2186038373073724, Δ = N(d1) = 0.8885027040470473.
const DELTA_50K_CALL: f64 = 0.888_502_704_047_047_3;
// Volatility model: z_0.99 = 2.3263478740408408, σ 0.8, h = 2 days, m = 3:
// rate = 2.3263478740408408 × 0.8 × √(2/365) × 3 = 0.4132895891610302.
const RATE_H2_M3: f64 = 0.413_289_589_161_030_2;
// h = 1 day, m = 1: rate = 2.3263478740408408 × 0.8 × √(1/365) = 0.0974132903631889.
const RATE_H1_M1: f64 = 0.097_413_290_363_188_9;

/// Short 10 deep in-the-money calls: the delta-equivalent charge 0.41329 × 0.88850 × 10 × 60 000
/// = 220 325.35 plus the premium exceeds the standard rule's max(0.15·S − 0, 0.1·S) = 9 000 per
/// unit plus premium, so the model binds.
#[test]
fn short_call_delta_equivalent_charge_binds_hand_computed() {
    let r = run(&option_request(
        "call",
        50_000.0,
        60_000.0,
        0.6,
        "short",
        10.0,
        Some(vol_model(0.8, 2.0, 3.0)),
        "linear",
    ));
    let p = &r["positions"][0];
    let mark = num(&p["markPrice"]);
    // Black-76 call at the inputs above: 10 556.227970257969 (same hand computation).
    assert_rel("mark premium", mark, 10_556.227_970_257_969, 1e-9);
    let charge = RATE_H2_M3 * DELTA_50K_CALL * 10.0 * 60_000.0;
    assert_rel("charge", charge, 220_325.350_514_441_15, 1e-12);
    let src = &p["imrSource"];
    assert_eq!(src["model"], "volatility");
    assert!(
        src["rule"]
            .as_str()
            .unwrap()
            .contains("delta-equivalent charge"),
        "{src}"
    );
    assert_rel(
        "delta shown",
        num(&src["inputs"]["delta"]),
        DELTA_50K_CALL,
        1e-12,
    );
    assert_rel(
        "|Δ|·Q",
        num(&src["inputs"]["deltaEquivalentSize"]),
        DELTA_50K_CALL * 10.0,
        1e-12,
    );
    assert_rel(
        "|Δ|·Q·S",
        num(&src["inputs"]["deltaEquivalentNotional"]),
        DELTA_50K_CALL * 10.0 * 60_000.0,
        1e-12,
    );
    assert_rel(
        "delta charge",
        num(&src["inputs"]["deltaCharge"]),
        charge,
        1e-12,
    );
    assert_rel(
        "rule IM",
        num(&src["inputs"]["ruleInitialMargin"]),
        10.0 * (9_000.0 + mark),
        1e-12,
    );
    assert_rel("IM", num(&p["initialMargin"]), charge + 10.0 * mark, 1e-12);
    assert_rel(
        "account IM",
        num(&r["account"]["initialMargin"]),
        charge + 10.0 * mark,
        1e-12,
    );
    // Maintenance stays the rule's: 0.075 · S + mark per unit.
    assert_rel(
        "MM",
        num(&p["maintenanceMargin"]),
        10.0 * (4_500.0 + mark),
        1e-12,
    );
    // The rate shown is IM / notional (Q·S), the rule's alongside.
    assert_rel(
        "rate",
        num(&src["rate"]),
        (charge + 10.0 * mark) / 600_000.0,
        1e-9,
    );
    assert_rel(
        "rule rate",
        num(&src["ruleRate"]),
        (9_000.0 + mark) / 60_000.0,
        1e-9,
    );
}

/// The same option under a gentler model (h = 1, m = 1): 0.09741 × 0.8885 × 600 000 = 51 931.18
/// + premium is below the rule's 90 000 + premium: the rule binds and says so.
#[test]
fn standard_rule_binds_when_the_delta_charge_is_lower() {
    let r = run(&option_request(
        "call",
        50_000.0,
        60_000.0,
        0.6,
        "short",
        10.0,
        Some(vol_model(0.8, 1.0, 1.0)),
        "linear",
    ));
    let p = &r["positions"][0];
    let mark = num(&p["markPrice"]);
    assert_rel(
        "IM",
        num(&p["initialMargin"]),
        10.0 * (9_000.0 + mark),
        1e-12,
    );
    let src = &p["imrSource"];
    assert!(
        src["rule"].as_str().unwrap().contains("the rule binds"),
        "{src}"
    );
    assert_rel(
        "delta charge",
        num(&src["inputs"]["deltaCharge"]),
        RATE_H1_M1 * DELTA_50K_CALL * 600_000.0,
        1e-12,
    );
    // Without the model the figures are the same.
    let plain = run(&option_request(
        "call", 50_000.0, 60_000.0, 0.6, "short", 10.0, None, "linear",
    ));
    assert_eq!(p["initialMargin"], plain["positions"][0]["initialMargin"]);
    assert_eq!(
        plain["positions"][0]["imrSource"]["model"],
        "standardOption"
    );
}

/// A long option can lose at most its premium: the model is evaluated and shown, the premium
/// stays the margin.
#[test]
fn long_option_keeps_its_premium() {
    let r = run(&option_request(
        "call",
        50_000.0,
        60_000.0,
        0.6,
        "long",
        10.0,
        Some(vol_model(0.8, 2.0, 3.0)),
        "linear",
    ));
    let p = &r["positions"][0];
    let mark = num(&p["markPrice"]);
    assert_rel("IM = premium", num(&p["initialMargin"]), 10.0 * mark, 1e-12);
    assert!(p["imrSource"]["rule"]
        .as_str()
        .unwrap()
        .contains("premium binds"));
}

/// Coin-settled: the USD charge divided by S, i.e. rate · |Δ|·Q coin, plus Q · mark (coin).
#[test]
fn inverse_option_charge_is_in_coin() {
    let r = run(&option_request(
        "call",
        50_000.0,
        60_000.0,
        0.6,
        "short",
        10.0,
        Some(vol_model(0.8, 2.0, 3.0)),
        "inverse",
    ));
    let p = &r["positions"][0];
    let mark = num(&p["markPrice"]);
    assert_rel("coin mark", mark, 10_556.227_970_257_969 / 60_000.0, 1e-9);
    let charge = RATE_H2_M3 * DELTA_50K_CALL * 10.0;
    // Margins are rounded up to 10 places.
    assert_rel(
        "IM (coin)",
        num(&p["initialMargin"]),
        charge + 10.0 * mark,
        2e-10,
    );
}

/// With no volatility given, the volatility model on an option market takes the option's
/// implied volatility, and says so.
#[test]
fn volatility_model_defaults_to_the_implied_volatility() {
    let model =
        json!({"type": "volatility", "floor": "0.02", "horizonDays": "2", "multiplier": "3"});
    let r = run(&option_request(
        "put",
        55_000.0,
        60_000.0,
        0.45,
        "short",
        1.0,
        Some(model),
        "linear",
    ));
    let v = &r["positions"][0]["imrSource"]["volatility"];
    assert_eq!(v["method"], "implied");
    assert_rel("σ = IV", num(&v["annualised"]), 0.45, 1e-15);
}

/// The maximum additional size under a model fills the available balance: adding it raises the
/// initial margin by at most the available balance, adding a little more exceeds it.
#[test]
fn max_additional_size_honours_the_model() {
    let base = option_request(
        "call",
        50_000.0,
        60_000.0,
        0.6,
        "short",
        10.0,
        Some(json!({"type": "sizeLinear", "base": "0.3", "slopePerUnit": "0.01"})),
        "linear",
    );
    let r = run(&base);
    let p = &r["positions"][0];
    assert!(p["imrSource"]["rule"]
        .as_str()
        .unwrap()
        .contains("delta-equivalent"));
    let available = num(&r["account"]["availableBalance"]);
    let im = num(&p["initialMargin"]);
    let extra = num(&p["maxAdditionalSize"]);
    assert!(extra > 0.0);
    let with = |add: f64| {
        let mut req = base.clone();
        req["positions"][0]["size"] = json!(format!("{:.8}", 10.0 + add));
        num(&run(&req)["positions"][0]["initialMargin"])
    };
    assert!(with(extra) - im <= available + 1e-6, "fits");
    assert!(
        with(extra + 1e-4) - im > available,
        "a little more does not"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The delta charge `rate(|Δ|·Q)·|Δ|·Q·S` is non-decreasing in |Δ| for every model.
    #[test]
    fn model_charge_non_decreasing_in_delta(
        d1 in 0.0f64..1.0, d2 in 0.0f64..1.0, q in 0.01f64..500.0, s in 100.0f64..200_000.0,
        which in 0usize..5,
    ) {
        let models = [
            ImrModel::SizeLinear { base: 0.02, slope_per_unit: 0.0005 },
            ImrModel::SqrtSize { base: 0.1, k: 0.01 },
            ImrModel::SqrtNotional { base: 0.05, base_notional: 1e6 },
            ImrModel::OpenInterest { base: 0.05, lower_cap: 1e6, upper_cap: 1e8 },
            ImrModel::Volatility { floor: 0.02, confidence: 0.99, horizon_days: 1.0, multiplier: 1.0 },
        ];
        let inputs = ImrInputs::new(q, s).with_open_interest(1000.0).with_sigma(0.7);
        let (lo, hi) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
        let (_, _, c_lo) = delta_equivalent_charge(&models[which], &inputs, -lo).unwrap();
        let (_, _, c_hi) = delta_equivalent_charge(&models[which], &inputs, hi).unwrap();
        prop_assert!(c_lo <= c_hi * (1.0 + 1e-12), "{c_lo} > {c_hi}");
    }

    /// Through `calculate`: for a short option book, two strikes with |Δ₁| ≥ |Δ₂| (same S, size
    /// and model) give delta charges charge₁ ≥ charge₂.
    #[test]
    fn short_option_delta_charge_non_decreasing_in_delta(
        k1 in 30_000.0f64..90_000.0, k2 in 30_000.0f64..90_000.0, iv in 0.2f64..1.5,
        size in 0.1f64..50.0, put in any::<bool>(),
    ) {
        let kind = if put { "put" } else { "call" };
        let model = json!({"type": "sqrtSize", "base": "0.1", "k": "0.02"});
        let at = |k: f64| {
            let r = run(&option_request(kind, k.round(), 60_000.0, iv, "short", size, Some(model.clone()), "linear"));
            let inputs = r["positions"][0]["imrSource"]["inputs"].clone();
            (num(&inputs["delta"]).abs(), num(&inputs["deltaCharge"]))
        };
        let (a, b) = (at(k1), at(k2));
        let ((_, c_small), (_, c_big)) = if a.0 <= b.0 { (a, b) } else { (b, a) };
        prop_assert!(c_small <= c_big * (1.0 + 1e-12) + 1e-9, "{a:?} {b:?}");
    }

    /// Through `calculate`: a short option book's initial margin is non-decreasing in the
    /// volatility model's σ.
    #[test]
    fn short_option_initial_margin_non_decreasing_in_model_volatility(
        k in 30_000.0f64..90_000.0, iv in 0.2f64..1.5, size in 0.1f64..50.0,
        s1 in 0.05f64..3.0, s2 in 0.05f64..3.0, put in any::<bool>(),
    ) {
        let kind = if put { "put" } else { "call" };
        let (lo, hi) = if s1 <= s2 { (s1, s2) } else { (s2, s1) };
        let im = |sigma: f64| {
            let r = run(&option_request(kind, k.round(), 60_000.0, iv, "short", size,
                                        Some(vol_model(sigma, 2.0, 3.0)), "linear"));
            num(&r["account"]["initialMargin"])
        };
        let (a, b) = (im(lo), im(hi));
        prop_assert!(a <= b, "σ {lo} → IM {a}, σ {hi} → IM {b}");
    }
}
