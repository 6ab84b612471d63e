#![cfg(not(target_arch = "wasm32"))]
//! Properties of `imr::risk` on random inputs:
//! - the margin of a short option book (requirement + the options' mark liability, the way
//!   venues quote option margin: margin-models.md §4 "… + mark") is non-decreasing in implied
//!   volatility under the Paradex grid, with Black-76 valuation in the closure;
//! - SPAN's requirement for a short option book is non-decreasing in the volatility scan range;
//! - every IMR model is non-decreasing in the quantity it scales with;
//! - VaR and ES are positively homogeneous, ES (Acerbi–Tasche) ≥ VaR, numpy quantiles are
//!   monotone in `q` and within the data's range;
//! - EWMA equals its closed-form weighted sum; the sample volatility is scale-equivariant;
//! - the root search finds the closed-form liquidation price of a linear position;
//! - touch probabilities lie in `[0, 1]` and no input makes a parser or model panic.

use imr::pricing::{black76_price, OptionKind};
use imr::risk::imr::{ImrInputs, ImrModel};
use imr::risk::roots::{liquidation_roots, RootSearch};
use imr::risk::scenario::{
    scenario_margin, PriceUnit, ScanInputs, Scenario, ScenarioGrid, VolConvention, VolUnit,
    PARADEX_PM, SPAN_16,
};
use imr::risk::stress::{stress_test, StressScenario};
use imr::risk::touch::distance_sigmas;
use imr::risk::touch::{touch_probability, Drift};
use imr::risk::var::{
    es_from_pnls, numpy_quantile, var_from_pnls, EsMethod, KRule, QuantileMethod, VarMethod,
};
use imr::risk::var::{historical_var, Horizon, HsVarSpec};
use imr::risk::volatility::{
    ewma_volatility, parse_series, sample_volatility, Column, EwmaSeed, SeriesFormat, SeriesKind,
};
use proptest::prelude::*;
use std::borrow::Cow;

fn cases(default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("IMR_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
        ..ProptestConfig::default()
    }
}

/// A short option: (is call, strike as a multiple of the forward, days to expiry, contracts).
fn short_option() -> impl Strategy<Value = (bool, f64, f64, f64)> {
    (any::<bool>(), 0.6..1.5f64, 1.0..180.0f64, 0.1..5.0f64)
}

fn book_value(
    book: &[(bool, f64, f64, f64)],
    forward0: f64,
    iv: f64,
    s: f64,
    dv: f64,
    d: f64,
) -> f64 {
    book.iter()
        .map(|&(call, k_mult, dte, qty)| {
            let left = (dte - d).max(1e-6);
            let vol = PARADEX_PM.vol_convention.shocked_vol(iv, dv, left);
            let kind = OptionKind::from_is_call(call);
            -qty * black76_price(kind, s, k_mult * forward0, left / 365.0, 0.0, vol).unwrap_or(0.0)
        })
        .sum()
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn short_option_margin_non_decreasing_in_vol(
        book in prop::collection::vec(short_option(), 1..4),
        forward in 1_000.0..100_000.0f64,
        iv0 in 0.1..1.5f64,
    ) {
        let mut last = f64::NEG_INFINITY;
        for step in 0..6 {
            let iv = iv0 * (1.0 + 0.2 * step as f64);
            let m = scenario_margin(&PARADEX_PM, &ScanInputs::at(forward), |s, dv, d| {
                book_value(&book, forward, iv, s, dv, d)
            })
            .unwrap();
            let liability = -m.base_value;
            let margin = m.initial_margin + liability;
            prop_assert!(
                margin >= last - 1e-9 * margin.abs().max(1.0),
                "iv {}: margin {} < previous {}", iv, margin, last
            );
            last = margin;
        }
    }

    #[test]
    fn span_requirement_non_decreasing_in_vol_scan_range(
        book in prop::collection::vec(short_option(), 1..4),
        forward in 1_000.0..100_000.0f64,
        iv in 0.1..1.5f64,
    ) {
        let value = |s: f64, dv: f64, _d: f64| -> f64 {
            book.iter()
                .map(|&(call, k_mult, dte, qty)| {
                    let vol = (iv + dv).max(1e-4);
                    let kind = OptionKind::from_is_call(call);
                    -qty * black76_price(kind, s, k_mult * forward, dte / 365.0, 0.0, vol)
                        .unwrap_or(0.0)
                })
                .sum()
        };
        let mut last = 0.0;
        for step in 0..6 {
            let inputs = ScanInputs {
                price_scan_range: Some(0.1 * forward),
                vol_scan_range: Some(0.05 * step as f64),
                ..ScanInputs::at(forward)
            };
            let r = scenario_margin(&SPAN_16, &inputs, value).unwrap().requirement;
            prop_assert!(r >= last - 1e-9 * r.max(1.0), "step {}: {} < {}", step, r, last);
            last = r;
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn imr_models_are_monotone(
        a in 0.0..1e4f64,
        b in 0.0..1e4f64,
        base in 0.001..0.5f64,
        price in 1.0..1e5f64,
        sigma in 0.01..3.0f64,
    ) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let models = [
            ImrModel::SizeLinear { base, slope_per_unit: 0.00005 },
            ImrModel::SqrtSize { base, k: 0.002 },
            ImrModel::SqrtNotional { base, base_notional: 1e6 },
        ];
        for m in models {
            let r_lo = m.rate(&ImrInputs::new(lo, price)).unwrap().rate;
            let r_hi = m.rate(&ImrInputs::new(hi, price)).unwrap().rate;
            prop_assert!(r_lo <= r_hi && r_lo >= base.min(1.0) - 1e-15, "{:?}", m);
        }
        let oi = ImrModel::OpenInterest { base, lower_cap: 1e6, upper_cap: 5e7 };
        let at = |x: f64| oi.rate(&ImrInputs::new(1.0, price).with_open_interest(x)).unwrap().rate;
        prop_assert!(at(lo) <= at(hi) && at(hi) <= 1.0);
        let vol = ImrModel::Volatility { floor: base, confidence: 0.99, horizon_days: 1.0, multiplier: 1.0 };
        let v = |s: f64| vol.rate(&ImrInputs::new(1.0, price).with_sigma(s)).unwrap().rate;
        prop_assert!(v(sigma) <= v(sigma * 1.5) && v(sigma) >= base);
    }

    #[test]
    fn var_es_properties(
        pnls in prop::collection::vec(-1e6..1e6f64, 1..300),
        alpha in prop::sample::select(vec![0.9, 0.95, 0.975, 0.99, 0.995]),
        scale in 0.01..100.0f64,
    ) {
        let scaled: Vec<f64> = pnls.iter().map(|p| p * scale).collect();
        for vm in [
            VarMethod::default(),
            VarMethod::KthWorst(KRule::Ceil),
            VarMethod::LossQuantile(QuantileMethod::Linear),
            VarMethod::NegPnlQuantile(QuantileMethod::Lower),
        ] {
            let v = var_from_pnls(&pnls, alpha, vm).unwrap();
            let vs = var_from_pnls(&scaled, alpha, vm).unwrap();
            prop_assert!((vs - scale * v).abs() <= 1e-9 * (scale * v).abs().max(1.0));
        }
        let var = var_from_pnls(&pnls, alpha, VarMethod::default()).unwrap();
        let es = es_from_pnls(&pnls, alpha, EsMethod::AcerbiTasche, VarMethod::default()).unwrap();
        prop_assert!(es >= var - 1e-9 * var.abs().max(1.0), "ES {} < VaR {}", es, var);
        let worst = pnls.iter().map(|p| -p).fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(es <= worst + 1e-9 * worst.abs().max(1.0));
    }

    #[test]
    fn numpy_quantiles_are_monotone_and_bounded(
        mut data in prop::collection::vec(-1e3..1e3f64, 1..60),
        q1 in 0.0..=1.0f64,
        q2 in 0.0..=1.0f64,
    ) {
        data.sort_by(f64::total_cmp);
        let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
        for m in QuantileMethod::ALL {
            let a = numpy_quantile(&data, lo, m).unwrap();
            let b = numpy_quantile(&data, hi, m).unwrap();
            prop_assert!(a <= b + 1e-9, "{:?}: q({})={} > q({})={}", m, lo, a, hi, b);
            prop_assert!(a >= data[0] - 1e-9 && b <= data[data.len() - 1] + 1e-9);
        }
    }

    #[test]
    fn ewma_is_its_closed_form_and_sample_vol_scales(
        r in prop::collection::vec(-0.3..0.3f64, 2..200),
        lambda in 0.5..0.999f64,
        k in 0.1..10.0f64,
    ) {
        prop_assume!(r.iter().any(|x| *x != r[0]));
        let v = ewma_volatility(&r, lambda, EwmaSeed::FirstSquaredReturn);
        let n = r.len();
        let mut var = lambda.powi(n as i32) * r[0] * r[0];
        for (i, x) in r.iter().enumerate() {
            var += (1.0 - lambda) * lambda.powi((n - 1 - i) as i32) * x * x;
        }
        match v {
            Ok(v) => prop_assert!((v.daily - var.sqrt()).abs() <= 1e-10 * var.sqrt()),
            Err(e) => prop_assert_eq!(e.code, "zero_volatility"),
        }
        let s1 = sample_volatility(&r).unwrap().daily;
        let scaled: Vec<f64> = r.iter().map(|x| x * k).collect();
        let s2 = sample_volatility(&scaled).unwrap().daily;
        prop_assert!((s2 - k * s1).abs() <= 1e-9 * k * s1);
    }

    #[test]
    fn root_search_finds_linear_liquidation_prices(
        qty in 0.01..100.0f64,
        long in any::<bool>(),
        entry in 10.0..1e5f64,
        leverage in 1.5..100.0f64,
        mmr in 0.001..0.05f64,
    ) {
        let s = if long { 1.0 } else { -1.0 };
        let margin = qty * entry / leverage;
        prop_assume!(1.0 / leverage > mmr * 1.05);
        let r = liquidation_roots(
            entry,
            |p| margin + s * qty * (p - entry),
            |p| qty * p * mmr,
            &RootSearch::default(),
        ).unwrap();
        // Binance form with WB = margin: LP = (margin − s·Q·EP)/(Q·MMR − s·Q).
        let closed = (margin - s * qty * entry) / (qty * mmr - s * qty);
        let found = if long { r.nearest_below } else { r.nearest_above };
        if closed > entry * 1e-4 && closed < entry * 1e4 {
            let f = found.expect("a root");
            prop_assert!((f - closed).abs() <= 1e-9 * closed, "{} vs {}", f, closed);
        } else {
            prop_assert!(found.is_none());
        }
    }

    #[test]
    fn touch_probability_is_a_probability(
        price in 1e-3..1e9f64,
        ratio in 1e-3..1e3f64,
        sigma in 1e-4..5.0f64,
        days in 1e-3..3650.0f64,
        nu in -5.0..5.0f64,
    ) {
        for drift in [Drift::Martingale, Drift::ZeroLogDrift, Drift::Log(nu)] {
            let p = touch_probability(price, price * ratio, sigma, days, drift).unwrap();
            prop_assert!((0.0..=1.0).contains(&p.probability), "{:?}", p);
        }
    }

    #[test]
    fn parser_never_panics(text in ".{0,200}", idx in 0usize..4, prices in any::<bool>()) {
        let kind = if prices { SeriesKind::Prices } else { SeriesKind::LogReturns };
        for column in [Column::Auto, Column::Index(idx), Column::Name("close".into())] {
            let r = parse_series(&text, &SeriesFormat { kind, column });
            if let Ok(s) = r {
                prop_assert!(s.returns.iter().all(|x| x.is_finite()));
            }
        }
    }

    #[test]
    fn numeric_series_round_trip(values in prop::collection::vec(1e-3..1e6f64, 2..50)) {
        let text: String = values.iter().map(|v| format!("{v}\n")).collect();
        let s = parse_series(&text, &SeriesFormat { kind: SeriesKind::Prices, column: Column::Auto }).unwrap();
        prop_assert_eq!(&s.values, &values);
        prop_assert_eq!(s.returns.len(), values.len() - 1);
    }
}

/// Any `f64`, with the special values well represented.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        -10.0..10.0f64,
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    /// No input makes a model panic; every `Ok` is finite.
    #[test]
    fn no_input_panics(
        x in prop::collection::vec(any_f64(), 8),
        scen in prop::collection::vec((any_f64(), any_f64(), any_f64()), 0..5),
        returns in prop::collection::vec(any_f64(), 0..20),
        h in 0u32..30,
    ) {
        let models = [
            ImrModel::SizeLinear { base: x[0], slope_per_unit: x[1] },
            ImrModel::SqrtSize { base: x[0], k: x[1] },
            ImrModel::SqrtNotional { base: x[0], base_notional: x[1] },
            ImrModel::OpenInterest { base: x[0], lower_cap: x[1], upper_cap: x[2] },
            ImrModel::Volatility { floor: x[0], confidence: x[1], horizon_days: x[2], multiplier: x[3] },
        ];
        let inputs = ImrInputs { size: x[4], price: x[5], open_interest: x[6], sigma: x[7] };
        for m in models {
            if let Ok(r) = m.rate(&inputs) {
                prop_assert!(r.rate.is_finite());
            }
        }
        let grid = ScenarioGrid {
            id: Cow::Borrowed("random"),
            name: Cow::Borrowed("random"),
            as_of: Cow::Borrowed("test"),
            source: Cow::Borrowed("test"),
            notes: Cow::Borrowed(""),
            price_unit: if x[0] > 0.0 { PriceUnit::Relative } else { PriceUnit::ScanRange },
            vol_unit: VolUnit::Literal,
            vol_convention: VolConvention::PARADEX,
            scenarios: Cow::Owned(
                scen.iter()
                    .map(|&(p, v, w)| Scenario { label: Cow::Borrowed("s"), price_move: p, vol_move: v, weight: w })
                    .collect(),
            ),
            min_delta: None,
            initial_per_requirement: 1.0,
            maintenance_per_requirement: 0.5,
        };
        let scan = ScanInputs {
            price_scan_range: Some(x[6]),
            days_forward: x[3].abs(),
            ..ScanInputs::at(x[5])
        };
        if let Ok(m) = scenario_margin(&grid, &scan, |s, dv, d| s * x[7] + dv - d) {
            prop_assert!(m.requirement.is_finite() && m.requirement >= 0.0);
        }
        for horizon in [Horizon::OneDay, Horizon::SqrtTime(h), Horizon::Overlapping(h), Horizon::NonOverlapping(h)] {
            let spec = HsVarSpec { horizon, ..HsVarSpec::new(x[1]) };
            if let Ok(r) = historical_var(x[5], &returns, &spec, |s, _, _| x[7] * s) {
                prop_assert!(r.var.is_finite() && r.es.is_finite());
            }
        }
        let stress = [StressScenario::new("s", x[0], x[1], x[2])];
        let _ = stress_test(x[5], &stress, |s, dv, d| s + dv + d);
        let _ = distance_sigmas(x[0], x[1], x[2], x[3]);
        if let Ok(p) = touch_probability(x[4], x[5], x[6], x[7], Drift::Log(x[0])) {
            prop_assert!((0.0..=1.0).contains(&p.probability));
        }
        let _ = sample_volatility(&returns);
        let _ = ewma_volatility(&returns, x[2], EwmaSeed::Variance(x[3]));
        let search = RootSearch { min_factor: x[0], max_factor: x[1], steps_per_side: 50, first_step: x[3], rel_tolerance: x[2] };
        let _ = liquidation_roots(x[5], |p| x[6] - p, |p| x[7] * p, &search);
    }
}
