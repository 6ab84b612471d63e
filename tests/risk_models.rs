//! `imr::risk` model layer: the portfolio-margin vectors of `tests/vectors/venues.json`
//! (SPAN-COVERED-WRITE, PDX-MIN-DELTA) read from the file and named after their ids, the
//! size-scaled IMR vectors (DRB-*) and the dYdX liquidation vectors through the book-level root
//! search, every IMR model at documented points, the shipped grids, stress tests and errors.

use imr::pricing::{black76_price, OptionKind};
use imr::risk::imr::{maintenance_from_initial, z_score, ImrInputs, ImrModel};
use imr::risk::roots::{liquidation_roots, Crossing, RootSearch};
use imr::risk::scenario::{
    builtin_grid, builtin_grids, combine_risk_arrays, min_delta_charge, scenario_margin,
    scenario_margin_from_pnls, span_with_extreme_multiple, Dominant, MinDeltaRule, PriceUnit,
    ScanInputs, VolConvention, VolUnit, Weighting, MIN_SHOCKED_VOL, OKX_PM_BTC_ETH, PARADEX_PM,
    SPAN_16,
};
use imr::risk::stress::{stress_test, StressScenario};
use imr::risk::RiskError;
use serde_json::Value;

const VENUES: &str = include_str!("vectors/venues.json");

fn vector(id: &str) -> Value {
    let root: Value = serde_json::from_str(VENUES).expect("venues.json is valid JSON");
    root["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("vector {id} missing from venues.json"))
        .clone()
}

/// A decimal string or number of the vector file as f64.
fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        Value::Number(n) => n.as_f64().expect("f64"),
        other => panic!("not a number: {other}"),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn close(got: f64, expected: f64, tol: f64) -> bool {
    (got - expected).abs() <= tol
}

// ---------------------------------------------------------------------------------------------
// Venue vectors
// ---------------------------------------------------------------------------------------------

#[test]
fn span_covered_write() {
    let v = vector("SPAN-COVERED-WRITE");
    let future = nums(&v["inputs"]["longFuture"]);
    let call = nums(&v["inputs"]["longCall"]);
    let expected = nums(&v["expected"]["portfolioArray"]);
    // "long 1 future, short 1 call".
    let portfolio = combine_risk_arrays(&[(&future, 1.0), (&call, -1.0)]).unwrap();
    assert_eq!(portfolio, expected, "combined risk array");
    let inputs = ScanInputs::at(1.0);
    let m = scenario_margin_from_pnls(&SPAN_16, &portfolio, Weighting::AlreadyApplied, &inputs)
        .unwrap();
    assert_eq!(m.requirement, num(&v["expected"]["requirement"]));
    assert_eq!(m.worst_scenario, Some(12));
    assert_eq!(m.dominant, Dominant::Scenario(12));
    assert!(m
        .dominant_label
        .starts_with("13: price down 3/3 range, vol up"));
    assert_eq!((m.initial_margin, m.maintenance_margin), (6620.0, 6620.0));

    let alone = |array: &[f64]| {
        scenario_margin_from_pnls(&SPAN_16, array, Weighting::AlreadyApplied, &inputs)
            .unwrap()
            .requirement
    };
    assert_eq!(alone(&call), num(&v["expected"]["longCallAlone"]));
    assert_eq!(alone(&future), num(&v["expected"]["futureAlone"]));
}

/// The future's risk array of SPAN-COVERED-WRITE from the grid by full revaluation: a future
/// worth `S` per point with a scan range of 10 000 gives ±3 333.33 (the book rounds to 3 330),
/// ±6 666.67, ±10 000 and the extremes ±2 × 10 000 × 35 % = ±7 000.
#[test]
fn span_covered_write_future_by_revaluation() {
    let v = vector("SPAN-COVERED-WRITE");
    let book = nums(&v["inputs"]["longFuture"]);
    let inputs = ScanInputs {
        price_scan_range: Some(10_000.0),
        vol_scan_range: Some(0.05),
        ..ScanInputs::at(100_000.0)
    };
    let m = scenario_margin(&SPAN_16, &inputs, |s, _dv, _d| s).unwrap();
    for (row, expected) in m.scenarios.iter().zip(&book) {
        assert!(
            close(row.weighted_pnl, *expected, 3.34),
            "{}: {} vs {expected}",
            row.label,
            row.weighted_pnl
        );
    }
    assert!(close(
        m.requirement,
        num(&v["expected"]["futureAlone"]),
        1e-9
    ));
    // ±3 × range variant.
    let g3 = span_with_extreme_multiple(3.0).unwrap();
    let m3 = scenario_margin(&g3, &inputs, |s, _dv, _d| s).unwrap();
    assert!(close(m3.requirement, 10_500.0, 1e-9), "{}", m3.requirement);
    assert_eq!(m3.dominant, Dominant::Scenario(15));
}

#[test]
fn pdx_min_delta() {
    let v = vector("PDX-MIN-DELTA");
    let inp = &v["inputs"];
    let deltas: Vec<f64> = inp["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let size = num(&p["size"]);
            match p.get("deltaEach") {
                Some(d) => size * num(d),
                None => size * num(&p["delta"]),
            }
        })
        .collect();
    let rule = MinDeltaRule {
        unhedged: num(&inp["unhedgedFactor"]),
        hedged: num(&inp["hedgedFactor"]),
    };
    // The shipped Paradex grid carries the same factors.
    assert_eq!(PARADEX_PM.min_delta, Some(rule));
    let spot = num(&inp["spot"]);
    let c = min_delta_charge(&deltas, spot, &rule).unwrap();
    let e = &v["expected"];
    // Tolerance "0" in decimals; in f64 the products are exact to the last bit or one ulp.
    assert!(close(c.net_delta, num(&e["netDelta"]), 1e-12));
    assert!(close(c.gross_delta, num(&e["grossDelta"]), 1e-12));
    assert!(close(c.hedged_delta, num(&e["hedgedDelta"]), 1e-12));
    assert!(close(c.charge, num(&e["minDeltaRisk"]), 1e-9));

    // Through the grid: a book with zero scenario risk is set by the minimum delta charge.
    let inputs = ScanInputs {
        deltas: Some(&deltas),
        ..ScanInputs::at(spot)
    };
    let m = scenario_margin(&PARADEX_PM, &inputs, |_s, _dv, _d| 0.0).unwrap();
    assert_eq!(m.scan_risk, 0.0);
    assert_eq!(m.dominant, Dominant::MinimumDelta);
    assert_eq!(m.dominant_label, "minimum delta charge");
    assert!(close(m.initial_margin, 1400.0, 1e-9));
    assert!(close(m.maintenance_margin, 700.0, 1e-9));
}

#[test]
fn drb_size_linear_vectors() {
    for id in [
        "DRB-BTC-IM-25",
        "DRB-BTC-IM-350",
        "DRB-BTC-MM-25",
        "DRB-SOL-IM-25",
    ] {
        let v = vector(id);
        let i = &v["inputs"];
        let size = num(i.get("sizeBtc").unwrap_or(&i["size"]));
        let model = ImrModel::SizeLinear {
            base: num(&i["baseRate"]),
            slope_per_unit: num(&i["slopePerUnit"]),
        };
        let r = model.rate(&ImrInputs::new(size, num(&i["price"]))).unwrap();
        let expected = num(&v["expected"]["rate"]);
        assert!(
            close(r.rate, expected, 1e-15),
            "{id}: {} vs {expected}",
            r.rate
        );
        assert_eq!(r.rule, "base + slope·size");
    }
}

#[test]
fn dydx_iso_lp_by_root_search() {
    let v = vector("DYDX-ISO-LP");
    let i = &v["inputs"];
    let (e, s, p, mmf) = (
        num(&i["equity"]),
        num(&i["size"]),
        num(&i["price"]),
        num(&i["mmf"]),
    );
    let r = liquidation_roots(
        p,
        |x| e + s * (x - p),
        |x| s.abs() * x * mmf,
        &RootSearch::default(),
    )
    .unwrap();
    let expected = num(&v["expected"]["liquidationPrice"]);
    let tol = num(&v["tolerance"]);
    assert!(r.below.is_empty(), "{:?}", r.below);
    assert_eq!(r.above.len(), 1);
    assert_eq!(r.above[0].crossing, Crossing::IntoLiquidation);
    assert!(close(r.nearest_above.unwrap(), expected, tol));
    // Closed form of the vector's model.
    let closed = (e - s * p) / (s.abs() * mmf - s);
    assert!(close(r.nearest_above.unwrap(), closed, 1e-8 * closed));
}

#[test]
fn dydx_cross_lp_by_root_search() {
    let v = vector("DYDX-CROSS-LP");
    let i = &v["inputs"];
    let (e, s, p, mmf) = (
        num(&i["equity"]),
        num(&i["size"]),
        num(&i["price"]),
        num(&i["mmf"]),
    );
    let other_mm = num(&i["other"]["size"]) * num(&i["other"]["price"]) * num(&i["other"]["mmf"]);
    assert!(close(
        other_mm,
        num(&v["expected"]["otherMaintenance"]),
        1e-9
    ));
    let r = liquidation_roots(
        p,
        |x| e + s * (x - p),
        |x| s.abs() * x * mmf + other_mm,
        &RootSearch::default(),
    )
    .unwrap();
    let expected = num(&v["expected"]["liquidationPrice"]);
    assert!(close(
        r.nearest_above.unwrap(),
        expected,
        num(&v["tolerance"])
    ));
}

// ---------------------------------------------------------------------------------------------
// IMR models at documented points
// ---------------------------------------------------------------------------------------------

#[test]
fn sqrt_size_drift() {
    let m = ImrModel::SqrtSize { base: 0.1, k: 0.01 };
    // Small size: 0.08 + 0.01·√1 = 0.09 < 0.1 → base.
    let r = m.rate(&ImrInputs::new(1.0, 50.0)).unwrap();
    assert_eq!((r.rate, r.rule), (0.1, "base"));
    // Break-even: 0.08 + 0.01·√s = 0.1 at s = 4.
    let r = m.rate(&ImrInputs::new(4.0, 50.0)).unwrap();
    assert!(close(r.rate, 0.1, 1e-15));
    // 100 units: 0.08 + 0.1 = 0.18.
    let r = m.rate(&ImrInputs::new(100.0, 50.0)).unwrap();
    assert!(close(r.rate, 0.18, 1e-15));
    assert!(r.rule.starts_with("size premium"));
    assert!(r.formula.contains("max(0.1"), "{}", r.formula);
}

#[test]
fn sqrt_notional_dydx_pre_2023() {
    let m = ImrModel::SqrtNotional {
        base: 0.05,
        base_notional: 1_000_000.0,
    };
    // N = 500 000 ≤ base notional: base.
    let r = m.rate(&ImrInputs::new(10.0, 50_000.0)).unwrap();
    assert_eq!(r.rate, 0.05);
    // N = 4 000 000: 0.05·√4 = 0.10.
    let r = m.rate(&ImrInputs::new(80.0, 50_000.0)).unwrap();
    assert!(close(r.rate, 0.10, 1e-15));
    assert_eq!(r.rule, "base·√(N/baseNotional)");
    // N = 400 000 000 → 0.05·20 = 1.0: capped.
    let r = m.rate(&ImrInputs::new(8000.0, 50_000.0)).unwrap();
    assert_eq!((r.rate, r.rule), (1.0, "capped at 100%"));
    assert!(r.inputs.contains(&("notional", 400_000_000.0)));
}

#[test]
fn open_interest_dydx_v4() {
    let m = ImrModel::OpenInterest {
        base: 0.05,
        lower_cap: 25_000_000.0,
        upper_cap: 50_000_000.0,
    };
    let at = |oi: f64| m.rate(&ImrInputs::new(1.0, 50_000.0).with_open_interest(oi));
    // OI notional 10 M < lower cap: base.
    assert_eq!(at(200.0).unwrap().rate, 0.05);
    // 37.5 M: halfway → 0.05 + 0.5·0.95 = 0.525.
    let r = at(750.0).unwrap();
    assert!(close(r.rate, 0.525, 1e-15));
    assert_eq!(r.rule, "base + scaled by open interest");
    // 60 M > upper cap: 100 %.
    assert_eq!(at(1200.0).unwrap().rate, 1.0);
    // Caps in the wrong order are refused.
    let bad = ImrModel::OpenInterest {
        base: 0.05,
        lower_cap: 2.0,
        upper_cap: 1.0,
    };
    let e = bad.rate(&ImrInputs::new(1.0, 1.0)).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("upperCap", "out_of_range"));
}

#[test]
fn volatility_scaled() {
    // z values quoted in margin-models.md §3.
    assert!(close(z_score(0.99).unwrap(), 2.3263, 5e-5));
    assert!(close(z_score(0.995).unwrap(), 2.5758, 5e-5));
    let m = ImrModel::Volatility {
        floor: 0.02,
        confidence: 0.99,
        horizon_days: 1.0,
        multiplier: 1.0,
    };
    // σ = 80 %: 2.3263·0.8/√365 = 0.0974.
    let r = m.rate(&ImrInputs::new(1.0, 1.0).with_sigma(0.8)).unwrap();
    let z = z_score(0.99).unwrap();
    assert!(close(r.rate, z * 0.8 / 365f64.sqrt(), 1e-15));
    assert_eq!(r.rule, "z·σ·√(h/365)·m");
    assert!(r.inputs.iter().any(|(k, v)| *k == "z" && *v == z));
    // σ = 10 %: 0.0122 < floor.
    let r = m.rate(&ImrInputs::new(1.0, 1.0).with_sigma(0.1)).unwrap();
    assert_eq!((r.rate, r.rule), (0.02, "floor"));
    // Horizon and multiplier: h = 4 doubles, m = 1.5 multiplies.
    let m4 = ImrModel::Volatility {
        floor: 0.0,
        confidence: 0.99,
        horizon_days: 4.0,
        multiplier: 1.5,
    };
    let r4 = m4.rate(&ImrInputs::new(1.0, 1.0).with_sigma(0.8)).unwrap();
    assert!(close(r4.rate, 3.0 * z * 0.8 / 365f64.sqrt(), 1e-15));
    // Zero volatility is an error, not a zero rate.
    let e = m.rate(&ImrInputs::new(1.0, 1.0)).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("sigma", "not_positive"));
    assert!(close(
        maintenance_from_initial(0.1, 0.5).unwrap(),
        0.05,
        1e-17
    ));
}

#[test]
fn imr_bad_inputs_are_named_errors() {
    let cases: Vec<(ImrModel, ImrInputs, &str, &str)> = vec![
        (
            ImrModel::SizeLinear {
                base: f64::NAN,
                slope_per_unit: 0.0,
            },
            ImrInputs::new(1.0, 1.0),
            "base",
            "not_finite",
        ),
        (
            ImrModel::SizeLinear {
                base: 0.02,
                slope_per_unit: 0.0,
            },
            ImrInputs::new(-1.0, 1.0),
            "size",
            "negative",
        ),
        (
            ImrModel::SqrtSize { base: 1.5, k: 0.0 },
            ImrInputs::new(1.0, 1.0),
            "base",
            "out_of_range",
        ),
        (
            ImrModel::SqrtNotional {
                base: 0.1,
                base_notional: 0.0,
            },
            ImrInputs::new(1.0, 1.0),
            "baseNotional",
            "not_positive",
        ),
        (
            ImrModel::SqrtNotional {
                base: 0.1,
                base_notional: 1.0,
            },
            ImrInputs::new(1.0, f64::INFINITY),
            "price",
            "not_finite",
        ),
        (
            ImrModel::Volatility {
                floor: 0.0,
                confidence: 0.4,
                horizon_days: 1.0,
                multiplier: 1.0,
            },
            ImrInputs::new(1.0, 1.0).with_sigma(0.5),
            "confidence",
            "out_of_range",
        ),
        (
            ImrModel::Volatility {
                floor: 0.0,
                confidence: 0.99,
                horizon_days: 0.0,
                multiplier: 1.0,
            },
            ImrInputs::new(1.0, 1.0).with_sigma(0.5),
            "horizonDays",
            "not_positive",
        ),
        (
            ImrModel::Volatility {
                floor: 0.0,
                confidence: 0.99,
                horizon_days: 1.0,
                multiplier: 0.5,
            },
            ImrInputs::new(1.0, 1.0).with_sigma(0.5),
            "multiplier",
            "out_of_range",
        ),
        (
            ImrModel::SizeLinear {
                base: 0.02,
                slope_per_unit: f64::MAX,
            },
            ImrInputs::new(f64::MAX, 1.0),
            "rate",
            "out_of_range",
        ),
    ];
    for (model, inputs, field, code) in cases {
        let e = model.rate(&inputs).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), (field, code), "{model:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Grids
// ---------------------------------------------------------------------------------------------

#[test]
fn shipped_grids_are_well_formed_and_sourced() {
    for g in builtin_grids() {
        assert!(!g.as_of.is_empty() && !g.source.is_empty(), "{}", g.id);
        assert_eq!(
            builtin_grid(&g.id).map(|x| x.id.clone()),
            Some(g.id.clone())
        );
        for s in g.scenarios.iter() {
            assert!(s.weight > 0.0 && s.weight <= 1.0, "{}: {}", g.id, s.label);
            assert!(s.price_move.is_finite() && s.vol_move.is_finite());
        }
    }
    assert_eq!(SPAN_16.scenarios.len(), 16);
    assert_eq!(SPAN_16.price_unit, PriceUnit::ScanRange);
    assert_eq!(SPAN_16.vol_unit, VolUnit::ScanRange);
    let extremes: Vec<_> = SPAN_16.scenarios[14..]
        .iter()
        .map(|s| (s.price_move, s.vol_move, s.weight))
        .collect();
    assert_eq!(extremes, vec![(2.0, 0.0, 0.35), (-2.0, 0.0, 0.35)]);
    assert_eq!(PARADEX_PM.scenarios.len(), 24);
    assert_eq!(PARADEX_PM.maintenance_per_requirement, 0.5);
    let tails: Vec<_> = PARADEX_PM.scenarios[16..]
        .iter()
        .map(|s| (s.price_move, s.weight))
        .collect();
    assert_eq!(
        tails,
        vec![
            (-0.66, 0.24),
            (-0.33, 0.48),
            (0.5, 0.32),
            (1.0, 0.16),
            (2.0, 0.08),
            (3.0, 0.0533),
            (4.0, 0.04),
            (5.0, 0.032)
        ]
    );
    assert_eq!(OKX_PM_BTC_ETH.initial_per_requirement, 1.3);
    assert_eq!(OKX_PM_BTC_ETH.scenarios.len(), 9);
    assert!(builtin_grid("nope").is_none());
}

#[test]
fn dte_scaled_vol_shock() {
    let c = VolConvention::PARADEX;
    // 30 days: exactly the shock.
    assert!(close(c.shocked_vol(0.5, 0.4, 30.0), 0.5 * 1.4, 1e-15));
    // 15 days: (30/15)^0.30.
    assert!(close(
        c.shocked_vol(0.5, 0.4, 15.0),
        0.5 * (1.0 + 0.4 * 2f64.powf(0.30)),
        1e-15
    ));
    // 90 days: (30/90)^0.13.
    assert!(close(
        c.shocked_vol(0.5, -0.22, 90.0),
        0.5 * (1.0 - 0.22 * (1.0f64 / 3.0).powf(0.13)),
        1e-15
    ));
    // Below one day the floor of 1 day applies.
    assert_eq!(c.shocked_vol(0.5, 0.4, 0.1), c.shocked_vol(0.5, 0.4, 1.0));
    // Never below the floor, never NaN.
    assert_eq!(
        VolConvention::Additive.shocked_vol(0.1, -0.5, 10.0),
        MIN_SHOCKED_VOL
    );
    assert_eq!(c.shocked_vol(f64::NAN, 0.4, 10.0), MIN_SHOCKED_VOL);
    assert_eq!(
        VolConvention::Relative.shocked_vol(0.5, 0.2, 1.0),
        0.5 * 1.2
    );
}

/// A short call under the Paradex grid, valued with Black-76 and the grid's DTE-scaled vol.
#[test]
fn paradex_short_call_names_the_dominant_scenario() {
    let (f, k, dte, iv, qty) = (70_000.0, 80_000.0, 7.0, 0.5, -2.0);
    let book = |s: f64, dv: f64, d: f64| {
        let t = ((dte - d) / 365.0).max(1e-9);
        let vol = PARADEX_PM.vol_convention.shocked_vol(iv, dv, dte - d);
        qty * black76_price(OptionKind::Call, s, k, t, 0.0, vol).unwrap()
    };
    let deltas = [qty * 0.2];
    let inputs = ScanInputs {
        deltas: Some(&deltas),
        ..ScanInputs::at(f)
    };
    let m = scenario_margin(&PARADEX_PM, &inputs, book).unwrap();
    assert_eq!(m.scenarios.len(), 24);
    let i = m.worst_scenario.unwrap();
    // Every weighted loss is at most the requirement; the named one attains it.
    for row in &m.scenarios {
        assert!(-row.weighted_pnl <= m.scan_risk);
    }
    assert_eq!(-m.scenarios[i].weighted_pnl, m.scan_risk);
    assert_eq!(m.dominant_label, m.scenarios[i].label);
    assert!(m.requirement >= m.min_delta.unwrap().charge);
    assert_eq!(m.maintenance_margin, 0.5 * m.initial_margin);
    // The +500 % tail at 3.2 % (loss ≈ 2·0.032·(350 000 − 80 000) = 17 280) beats +16 %.
    assert!(
        m.dominant_label.starts_with("24: +500%"),
        "{}",
        m.dominant_label
    );
}

#[test]
fn okx_grid_im_is_1_3_mm() {
    // Long 2 BTC perpetual at 100 000: the −24 % MR6 move sets MM = 48 000, IM = 62 400.
    let m = scenario_margin(&OKX_PM_BTC_ETH, &ScanInputs::at(100_000.0), |s, _, _| {
        2.0 * s
    })
    .unwrap();
    assert!(close(m.maintenance_margin, 48_000.0, 1e-6));
    assert!(close(m.initial_margin, 62_400.0, 1e-6));
    assert_eq!(m.dominant_label, "MR6: -24% extreme move");
    assert!(m.notes.iter().any(|n| n.contains("MR6")));
}

#[test]
fn scenario_margin_edge_cases() {
    // A book that gains everywhere: zero requirement, "no loss".
    let m = scenario_margin(&OKX_PM_BTC_ETH, &ScanInputs::at(100.0), |_, _, _| 5.0).unwrap();
    assert_eq!((m.requirement, m.dominant), (0.0, Dominant::NoLoss));
    // A floor.
    let inputs = ScanInputs {
        minimum: 7.0,
        ..ScanInputs::at(100.0)
    };
    let m = scenario_margin(&OKX_PM_BTC_ETH, &inputs, |s, _, _| s).unwrap();
    assert_eq!((m.requirement, m.dominant), (24.0, Dominant::Scenario(8)));
    let inputs = ScanInputs {
        minimum: 30.0,
        ..ScanInputs::at(100.0)
    };
    let m = scenario_margin(&OKX_PM_BTC_ETH, &inputs, |s, _, _| s).unwrap();
    assert_eq!((m.requirement, m.dominant), (30.0, Dominant::Minimum));
    // Paradex without deltas: noted, not silently zero.
    let m = scenario_margin(&PARADEX_PM, &ScanInputs::at(100.0), |s, _, _| s).unwrap();
    assert!(m.min_delta.is_none());
    assert!(m.notes[0].contains("minimum delta charge not computed"));
}

#[test]
fn scenario_margin_errors() {
    fn err<T: std::fmt::Debug>(r: Result<T, RiskError>) -> (String, &'static str) {
        let e = r.unwrap_err();
        (e.field, e.code)
    }
    // SPAN without scan ranges.
    assert_eq!(
        err(scenario_margin(
            &SPAN_16,
            &ScanInputs::at(100.0),
            |s, _, _| s
        )),
        ("priceScanRange".to_string(), "required")
    );
    let only_price = ScanInputs {
        price_scan_range: Some(10.0),
        ..ScanInputs::at(100.0)
    };
    assert_eq!(
        err(scenario_margin(&SPAN_16, &only_price, |s, _, _| s)),
        ("volScanRange".to_string(), "required")
    );
    // A scan range larger than half the price takes the extreme scenario below zero.
    let wide = ScanInputs {
        price_scan_range: Some(60.0),
        vol_scan_range: Some(0.1),
        ..ScanInputs::at(100.0)
    };
    assert_eq!(
        err(scenario_margin(&SPAN_16, &wide, |s, _, _| s)),
        ("scenarios[15]".to_string(), "out_of_range")
    );
    // Non-finite valuation, named by scenario.
    assert_eq!(
        err(scenario_margin(
            &PARADEX_PM,
            &ScanInputs::at(100.0),
            |s, _, _| if s > 250.0 { f64::NAN } else { s }
        )),
        ("scenarios[20]".to_string(), "valuation_not_finite")
    );
    assert_eq!(
        err(scenario_margin(
            &PARADEX_PM,
            &ScanInputs::at(f64::NAN),
            |s, _, _| s
        )),
        ("price".to_string(), "not_finite")
    );
    // Risk arrays of the wrong length, NaN in an array, bad deltas.
    assert_eq!(
        err(scenario_margin_from_pnls(
            &SPAN_16,
            &[1.0; 15],
            Weighting::Apply,
            &ScanInputs::at(1.0)
        )),
        ("pnls".to_string(), "length_mismatch")
    );
    let mut nan = [0.0; 16];
    nan[3] = f64::NAN;
    assert_eq!(
        err(scenario_margin_from_pnls(
            &SPAN_16,
            &nan,
            Weighting::Apply,
            &ScanInputs::at(1.0)
        )),
        ("pnls[3]".to_string(), "not_finite")
    );
    assert_eq!(
        err(combine_risk_arrays(&[(&[1.0, 2.0], 1.0), (&[1.0], 1.0)])),
        ("arrays[1]".to_string(), "length_mismatch")
    );
    assert_eq!(
        err(min_delta_charge(
            &[1.0, f64::INFINITY],
            1.0,
            &MinDeltaRule {
                unhedged: 0.02,
                hedged: 0.01
            }
        )),
        ("deltas[1]".to_string(), "not_finite")
    );
    assert_eq!(
        err(span_with_extreme_multiple(0.0)),
        ("extremeMultiple".to_string(), "not_positive")
    );
}

// ---------------------------------------------------------------------------------------------
// Stress tests and the root search
// ---------------------------------------------------------------------------------------------

#[test]
fn stress_scenarios_revalue_the_book() {
    // Short put, K = 60 000, 30 days, 60 % vol, additive vol shifts.
    let book = |s: f64, dv: f64, d: f64| {
        -black76_price(
            OptionKind::Put,
            s,
            60_000.0,
            (30.0 - d) / 365.0,
            0.0,
            0.6 + dv,
        )
        .unwrap()
    };
    let scenarios = [
        StressScenario::new("flat", 0.0, 0.0, 0.0),
        StressScenario::new("crash -30%, vol +40 pts", -0.30, 0.40, 0.0),
        StressScenario::new("one week, unchanged", 0.0, 0.0, 7.0),
    ];
    let r = stress_test(65_000.0, &scenarios, book).unwrap();
    assert_eq!(r[0].pnl, 0.0);
    assert!(r[1].pnl < -10_000.0, "{}", r[1].pnl);
    assert!(close(r[1].price, 45_500.0, 1e-9));
    assert!(r[2].pnl > 0.0, "theta earns the short: {}", r[2].pnl);
    let e = stress_test(
        100.0,
        &[StressScenario::new("gone", -1.0, 0.0, 0.0)],
        |s, _, _| s,
    )
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code),
        ("scenarios[0].priceMove", "out_of_range")
    );
    let e = stress_test(
        100.0,
        &[StressScenario::new("back", 0.1, 0.0, -1.0)],
        |s, _, _| s,
    )
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.code),
        ("scenarios[0].daysForward", "negative")
    );
}

/// A short strangle has two liquidation prices, one on each side; a long-only book none; a book
/// already under water is liquidatable at the mark and reports the exit crossings.
#[test]
fn roots_of_option_books() {
    let (k_put, k_call, t, vol) = (50_000.0, 70_000.0, 30.0 / 365.0, 0.6);
    let strangle = |s: f64| {
        -black76_price(OptionKind::Put, s, k_put, t, 0.0, vol).unwrap()
            - black76_price(OptionKind::Call, s, k_call, t, 0.0, vol).unwrap()
    };
    let cash = 20_000.0;
    let mm = |s: f64| 0.075 * s * 2.0;
    let r =
        liquidation_roots(60_000.0, |s| cash + strangle(s), mm, &RootSearch::default()).unwrap();
    assert!(!r.liquidatable_at_mark);
    let (lo, hi) = (r.nearest_below.unwrap(), r.nearest_above.unwrap());
    assert!(lo < 60_000.0 && hi > 60_000.0, "{lo} {hi}");
    for p in [lo, hi] {
        let f = cash + strangle(p) - mm(p);
        assert!(f.abs() < 1e-6 * p, "f({p}) = {f}");
    }
    // Long call only: equity ≥ premium, no maintenance: no roots.
    let r = liquidation_roots(
        60_000.0,
        |s| 100.0 + black76_price(OptionKind::Call, s, k_call, t, 0.0, vol).unwrap(),
        |_| 0.0,
        &RootSearch::default(),
    )
    .unwrap();
    assert!(r.below.is_empty() && r.above.is_empty());
    assert_eq!((r.nearest_below, r.nearest_above), (None, None));
    // Under water at the mark: a long perpetual with equity below maintenance recovers above.
    let r = liquidation_roots(
        100.0,
        |s| 1.0 + (s - 100.0),
        |s| 0.05 * s,
        &RootSearch::default(),
    )
    .unwrap();
    assert!(r.liquidatable_at_mark);
    assert_eq!(r.above[0].crossing, Crossing::OutOfLiquidation);
    assert!(close(r.above[0].price, 99.0 / 0.95, 1e-9));
    assert_eq!(r.nearest_above, None);
}

#[test]
fn roots_tolerate_gaps_and_report_errors() {
    // Non-finite outside [50, 200]: gaps, no panic, the root at 120 is still found.
    let r = liquidation_roots(
        100.0,
        |s| {
            if (50.0..=200.0).contains(&s) {
                120.0 - s
            } else {
                f64::NAN
            }
        },
        |_| 0.0,
        &RootSearch::default(),
    )
    .unwrap();
    assert!(r.gaps > 0);
    assert!(close(r.nearest_above.unwrap(), 120.0, 1e-9));
    let e = liquidation_roots(100.0, |_| f64::NAN, |_| 0.0, &RootSearch::default()).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("mark", "valuation_not_finite"));
    let bad = RootSearch {
        steps_per_side: 0,
        ..RootSearch::default()
    };
    let e = liquidation_roots(100.0, |s| s, |_| 0.0, &bad).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("stepsPerSide", "out_of_range"));
    let e = liquidation_roots(-1.0, |s| s, |_| 0.0, &RootSearch::default()).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("mark", "not_positive"));
}

#[test]
fn risk_error_converts_to_field_error() {
    let e = RiskError::new("series", "not_a_number", "'x' is not a number").at(3, 2);
    let f = e.to_field_error("risk.volatility");
    assert_eq!(f.field, "risk.volatility.series");
    assert_eq!(f.code, "not_a_number");
    assert_eq!(f.message, "line 3, column 2: 'x' is not a number");
    assert!(e.to_string().contains("line 3, column 2"));
}

/// Two roots closer together than the scan's spacing (a narrow pit far from the mark, where the
/// graded grid is coarse) are both found through the dip between scan points, each to the
/// relative tolerance, with the directions of the crossings; a smooth book needs few
/// evaluations.
#[test]
fn roots_closer_than_the_scan_spacing_are_found() {
    let mark = 100.0;
    // f(P) = (ln(P/mark) − 1)² − 10⁻⁴: negative for ln(P/mark) in (0.99, 1.01), a 2 % wide pit
    // about 172 % above the mark, where the scan points lie about 5 % apart.
    let surplus = |p: f64| ((p / mark).ln() - 1.0).powi(2) - 1e-4;
    let r = liquidation_roots(mark, surplus, |_| 0.0, &RootSearch::default()).unwrap();
    assert!(r.below.is_empty(), "{:?}", r.below);
    assert_eq!(r.above.len(), 2, "{:?}", r.above);
    let (inner, outer) = (r.above[0], r.above[1]);
    assert_eq!(inner.crossing, Crossing::IntoLiquidation);
    assert_eq!(outer.crossing, Crossing::OutOfLiquidation);
    for (root, u) in [(inner, 0.99_f64), (outer, 1.01)] {
        let exact = mark * u.exp();
        assert!(
            close(root.price, exact, 1e-11 * exact),
            "{} vs {exact}",
            root.price
        );
        assert!(root.bracket.0 <= root.price && root.price <= root.bracket.1);
    }
    assert_eq!(r.nearest_above, Some(inner.price));
    // A linear book: one root, found with a handful of evaluations beyond the scan itself.
    let search = RootSearch::default();
    let r = liquidation_roots(mark, |p| 1000.0 - 3.0 * (p - mark), |p| 0.15 * p, &search).unwrap();
    assert!(
        r.evaluations <= 2 * search.steps_per_side + 1 + 20,
        "{}",
        r.evaluations
    );
    assert!(close(
        r.nearest_above.unwrap(),
        1300.0 / 3.15,
        1e-12 * 413.0
    ));
}
