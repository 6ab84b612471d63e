//! Historical-simulation VaR/ES against `tests/vectors/options/hs_var.json` (numpy 2.4.6 on the
//! 1000 synthetic BTC log returns of `hs_returns_btc_synthetic.csv`): every VaR and ES figure of
//! the 1-day blocks (full revaluation and linear), under every convention, read from the file
//! and checked at the file's suggested relative tolerance 1e-12; the sample statistics; the
//! h-day windows; and the volatility estimators on the same CSV against independent
//! straightforward computations.

use imr::risk::var::{
    es_from_pnls, historical_var, kth_rank, numpy_quantile, tail_size, EsMethod, Horizon,
    HsVarSpec, KRule, PnlModel, QuantileMethod, VarMethod,
};
use imr::risk::volatility::{
    ewma_volatility, log_returns, parse_series, sample_volatility, Column, EwmaSeed, SeriesFormat,
    SeriesKind, DEFAULT_LAMBDA,
};
use serde_json::Value;

const HS: &str = include_str!("vectors/options/hs_var.json");
const CSV: &str = include_str!("vectors/options/hs_returns_btc_synthetic.csv");

fn doc() -> Value {
    serde_json::from_str(HS).expect("hs_var.json is valid JSON")
}

fn returns() -> Vec<f64> {
    let s = parse_series(
        CSV,
        &SeriesFormat {
            kind: SeriesKind::LogReturns,
            column: Column::Name("log_return".into()),
        },
    )
    .expect("the CSV parses");
    assert_eq!(s.header.as_deref(), Some("log_return"));
    assert_eq!(s.column, 2);
    s.returns
}

/// Independent reading of the CSV: split on commas, skip the header.
fn returns_plain() -> Vec<f64> {
    CSV.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').nth(1).unwrap().trim().parse().unwrap())
        .collect()
}

fn rel_close(got: f64, expected: f64, rel: f64) -> bool {
    (got - expected).abs() <= rel * expected.abs()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Maps a VaR key of the vector file onto a method.
fn var_method(key: &str) -> VarMethod {
    if let Some(m) = key.strip_prefix("loss_quantile_") {
        VarMethod::LossQuantile(QuantileMethod::from_numpy_name(m).expect(m))
    } else if let Some(m) = key.strip_prefix("neg_pnl_quantile_") {
        VarMethod::NegPnlQuantile(QuantileMethod::from_numpy_name(m).expect(m))
    } else if key == "kth_worst_k=ceil(n(1-a))" {
        VarMethod::KthWorst(KRule::Ceil)
    } else if key == "kth_worst_k=floor(n(1-a))+1" {
        VarMethod::KthWorst(KRule::FloorPlusOne)
    } else {
        panic!("unsupported VaR key {key}")
    }
}

/// Maps an ES key onto (ES method, VaR method used by `mean_loss_ge_VaR`).
fn es_method(key: &str) -> (EsMethod, VarMethod) {
    let default = VarMethod::default();
    match key {
        "acerbi_tasche_exact_weight" => (EsMethod::AcerbiTasche, default),
        "mean_worst_ceil(n(1-a))" => (EsMethod::MeanWorst(KRule::Ceil), default),
        "mean_worst_floor(n(1-a))+1" => (EsMethod::MeanWorst(KRule::FloorPlusOne), default),
        _ => {
            let inner = key
                .strip_prefix("mean_loss_ge_VaR[")
                .and_then(|k| k.strip_suffix(']'))
                .unwrap_or_else(|| panic!("unsupported ES key {key}"));
            (EsMethod::MeanLossAtLeastVar, var_method(inner))
        }
    }
}

fn check_block(block: &str, pnl: PnlModel) {
    let d = doc();
    let alpha = f(&d["meta"]["alpha"]);
    let price = f(&d["meta"]["position"]["price"]);
    let qty = f(&d["meta"]["position"]["quantity"]);
    let r = returns();
    let rel = 1e-12; // meta.suggested_tolerance for 1-day figures
    let b = &d[block];
    let mut checked = 0;
    for (key, expected) in b["VaR"].as_object().unwrap() {
        let spec = HsVarSpec {
            var_method: var_method(key),
            pnl,
            ..HsVarSpec::new(alpha)
        };
        let rep = historical_var(price, &r, &spec, |s, _, _| qty * s).unwrap();
        assert_eq!(rep.var_method, *key);
        assert!(
            rel_close(rep.var, f(expected), rel),
            "{block} VaR {key}: {} vs {}",
            rep.var,
            f(expected)
        );
        checked += 1;
    }
    for (key, expected) in b["ES"].as_object().unwrap() {
        let (es, var) = es_method(key);
        let spec = HsVarSpec {
            var_method: var,
            es_method: es,
            pnl,
            ..HsVarSpec::new(alpha)
        };
        let rep = historical_var(price, &r, &spec, |s, _, _| qty * s).unwrap();
        assert!(
            rel_close(rep.es, f(expected), rel),
            "{block} ES {key}: {} vs {}",
            rep.es,
            f(expected)
        );
        checked += 1;
    }
    assert_eq!(checked, 28 + 7, "every figure of {block} is checked");

    // Order statistics.
    let rep = historical_var(
        price,
        &r,
        &HsVarSpec {
            pnl,
            ..HsVarSpec::new(alpha)
        },
        |s, _, _| qty * s,
    )
    .unwrap();
    let os = &b["order_stats"];
    assert_eq!(rep.scenarios as u64, os["n"].as_u64().unwrap());
    assert_eq!(
        rep.tail_size,
        os["n_times_(1-alpha)_exact"].as_str().unwrap()
    );
    let mut desc: Vec<f64> = rep.pnls.iter().map(|p| -p).collect();
    desc.sort_by(|a, b| b.total_cmp(a));
    for (got, expected) in desc
        .iter()
        .zip(os["worst_12_losses_desc"].as_array().unwrap())
    {
        assert!(rel_close(*got, f(expected), rel), "{got} vs {expected}");
    }
    let mut asc = desc.clone();
    asc.reverse();
    assert!(rel_close(asc[989], f(&os["sorted_asc_index_989"]), rel));
    assert!(rel_close(asc[990], f(&os["sorted_asc_index_990"]), rel));
    assert!(rel_close(rep.worst_loss, desc[0], 0.0));
}

#[test]
fn hs_var_full_revaluation_1d_every_convention() {
    check_block("full_revaluation_1d", PnlModel::FullRevaluation);
}

#[test]
fn hs_var_linear_1d_every_convention() {
    check_block("linear_1d", PnlModel::Linear { delta: 1.0 });
}

/// The documented defaults: VaR = ⌊n(1−α)⌋+1-th worst (= numpy inverted_cdf on losses),
/// ES = Acerbi–Tasche.
#[test]
fn hs_var_defaults() {
    let d = doc();
    let b = &d["full_revaluation_1d"];
    let rep = historical_var(60_000.0, &returns(), &HsVarSpec::new(0.99), |s, _, _| s).unwrap();
    assert!(rel_close(
        rep.var,
        f(&b["VaR"]["loss_quantile_inverted_cdf"]),
        1e-12
    ));
    assert!(rel_close(
        rep.es,
        f(&b["ES"]["acerbi_tasche_exact_weight"]),
        1e-12
    ));
    assert_eq!(rep.var_method, "kth_worst_k=floor(n(1-a))+1");
    assert_eq!(rep.es_method, "acerbi_tasche_exact_weight");
}

/// The 1000·(1−0.99) pitfall: the exact tail size is 10, so k = 10 (ceil) and 11 (floor + 1);
/// the floating-point product would give ceil = 11.
#[test]
fn tail_size_is_exact() {
    assert!(
        (1000.0 * (1.0 - 0.99f64)).ceil() == 11.0,
        "the pitfall exists"
    );
    assert_eq!(tail_size(1000, 0.99).unwrap().normalize().to_string(), "10");
    assert_eq!(kth_rank(1000, 0.99, KRule::Ceil).unwrap(), 10);
    assert_eq!(kth_rank(1000, 0.99, KRule::FloorPlusOne).unwrap(), 11);
    assert_eq!(
        tail_size(991, 0.99).unwrap().normalize().to_string(),
        "9.91"
    );
    assert_eq!(kth_rank(991, 0.99, KRule::Ceil).unwrap(), 10);
    assert_eq!(kth_rank(991, 0.99, KRule::FloorPlusOne).unwrap(), 10);
    assert_eq!(kth_rank(100, 0.99, KRule::Ceil).unwrap(), 1);
    assert_eq!(kth_rank(100, 0.99, KRule::FloorPlusOne).unwrap(), 2);
    assert_eq!(kth_rank(1000, 0.975, KRule::Ceil).unwrap(), 25);
}

/// 10-day figures: windows as the vector file defines them (no 10-day values ship in the file,
/// so they are checked against a direct computation).
#[test]
fn ten_day_horizons() {
    let r = returns();
    let one = historical_var(60_000.0, &r, &HsVarSpec::new(0.99), |s, _, _| s).unwrap();
    let sqrt = historical_var(
        60_000.0,
        &r,
        &HsVarSpec {
            horizon: Horizon::SqrtTime(10),
            ..HsVarSpec::new(0.99)
        },
        |s, _, _| s,
    )
    .unwrap();
    assert!(rel_close(sqrt.var, one.var * 10f64.sqrt(), 1e-15));
    assert!(rel_close(sqrt.es, one.es * 10f64.sqrt(), 1e-15));

    for (horizon, step, n) in [
        (Horizon::Overlapping(10), 1, 991),
        (Horizon::NonOverlapping(10), 10, 100),
    ] {
        let spec = HsVarSpec {
            horizon,
            var_method: VarMethod::KthWorst(KRule::Ceil),
            es_method: EsMethod::MeanWorst(KRule::Ceil),
            ..HsVarSpec::new(0.99)
        };
        let rep = historical_var(60_000.0, &r, &spec, |s, _, _| s).unwrap();
        assert_eq!(rep.scenarios, n);
        // Direct: R_j summed left to right, loss = −P·expm1(R_j).
        let mut losses: Vec<f64> = (0..n)
            .map(|w| {
                let j = w * step;
                let mut s = 0.0;
                for x in &r[j..j + 10] {
                    s += x;
                }
                -60_000.0 * s.exp_m1()
            })
            .collect();
        losses.sort_by(|a, b| b.total_cmp(a));
        let k = if n == 991 { 10 } else { 1 };
        assert!(rel_close(rep.var, losses[k - 1], 1e-12), "{horizon:?}");
        let es: f64 = losses[..k].iter().sum::<f64>() / k as f64;
        assert!(rel_close(rep.es, es, 1e-12), "{horizon:?}");
    }
    // Non-overlapping, n(1−α) = 1: ES = VaR = worst loss under Acerbi–Tasche and ⌈m⌉.
    let rep = historical_var(
        60_000.0,
        &r,
        &HsVarSpec {
            horizon: Horizon::NonOverlapping(10),
            var_method: VarMethod::KthWorst(KRule::Ceil),
            ..HsVarSpec::new(0.99)
        },
        |s, _, _| s,
    )
    .unwrap();
    assert_eq!(rep.tail_size, "1");
    assert!(rel_close(rep.es, rep.var, 1e-15));
    assert!(rel_close(rep.var, rep.worst_loss, 0.0));
}

/// numpy's documented examples: `np.quantile([1,2,3,4], q)` for a few methods.
#[test]
fn numpy_quantile_small_examples() {
    let a = [1.0, 2.0, 3.0, 4.0];
    let q = |q, m| numpy_quantile(&a, q, m).unwrap();
    assert_eq!(q(0.5, QuantileMethod::Linear), 2.5);
    assert_eq!(q(0.5, QuantileMethod::Lower), 2.0);
    assert_eq!(q(0.5, QuantileMethod::Higher), 3.0);
    assert_eq!(q(0.5, QuantileMethod::Midpoint), 2.5);
    // Nearest rounds the virtual index half to even: 1.5 → 2 here, 2.5 → 2 for six values.
    assert_eq!(q(0.5, QuantileMethod::Nearest), 3.0);
    let six = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    assert_eq!(
        numpy_quantile(&six, 0.5, QuantileMethod::Nearest).unwrap(),
        3.0
    );
    assert_eq!(q(0.5, QuantileMethod::InvertedCdf), 2.0);
    assert_eq!(q(0.5, QuantileMethod::AveragedInvertedCdf), 2.5);
    assert_eq!(q(0.5, QuantileMethod::ClosestObservation), 2.0);
    assert_eq!(q(0.0, QuantileMethod::Weibull), 1.0);
    assert_eq!(q(1.0, QuantileMethod::Weibull), 4.0);
    assert_eq!(q(0.25, QuantileMethod::Hazen), 1.5);
    for m in QuantileMethod::ALL {
        assert_eq!(QuantileMethod::from_numpy_name(m.numpy_name()), Some(m));
        assert_eq!(numpy_quantile(&[7.0], 0.3, m).unwrap(), 7.0);
    }
}

#[test]
fn var_errors_are_named() {
    let r = returns();
    let e = historical_var(60_000.0, &r, &HsVarSpec::new(1.0), |s, _, _| s).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("alpha", "out_of_range"));
    let e = historical_var(60_000.0, &[], &HsVarSpec::new(0.99), |s, _, _| s).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns", "empty"));
    let e = historical_var(
        60_000.0,
        &[0.1, f64::NAN],
        &HsVarSpec::new(0.99),
        |s, _, _| s,
    )
    .unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns[1]", "not_finite"));
    let e = historical_var(
        60_000.0,
        &r[..5],
        &HsVarSpec {
            horizon: Horizon::Overlapping(10),
            ..HsVarSpec::new(0.99)
        },
        |s, _, _| s,
    )
    .unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns", "too_few"));
    let e = historical_var(
        60_000.0,
        &r,
        &HsVarSpec {
            horizon: Horizon::SqrtTime(0),
            ..HsVarSpec::new(0.99)
        },
        |s, _, _| s,
    )
    .unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("horizon", "out_of_range"));
    let e = historical_var(60_000.0, &r, &HsVarSpec::new(0.99), |s, _, _| {
        if s < 50_000.0 {
            f64::INFINITY
        } else {
            s
        }
    })
    .unwrap_err();
    assert_eq!(e.code, "valuation_not_finite");
    assert!(e.field.starts_with("scenarios["), "{}", e.field);
    let e = es_from_pnls(&[], 0.99, EsMethod::AcerbiTasche, VarMethod::default()).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("pnls", "empty"));
}

// ---------------------------------------------------------------------------------------------
// Volatility estimators on the same CSV
// ---------------------------------------------------------------------------------------------

#[test]
fn csv_parses_to_the_plain_reading() {
    let r = returns();
    assert_eq!(r.len(), 1000);
    assert_eq!(r, returns_plain());
}

#[test]
fn sample_volatility_matches_the_file_and_a_direct_computation() {
    let d = doc();
    let r = returns();
    let v = sample_volatility(&r).unwrap();
    let stats = &d["meta"]["sample_stats"];
    assert!(rel_close(v.daily, f(&stats["std_ddof1"]), 1e-12));
    assert!(rel_close(
        v.annualised,
        f(&stats["annualised_vol_sqrt365"]),
        1e-12
    ));
    // Direct: one-pass sums (a different algorithm), same value to rounding.
    let n = r.len() as f64;
    let (s1, s2) = r.iter().fold((0.0, 0.0), |(a, b), x| (a + x, b + x * x));
    let var = (s2 - s1 * s1 / n) / (n - 1.0);
    assert!(rel_close(v.daily, var.sqrt(), 1e-10));
    assert_eq!(v.observations, 1000);
}

#[test]
fn ewma_matches_the_closed_form_weights() {
    let r = returns();
    let lambda = DEFAULT_LAMBDA;
    let v = ewma_volatility(&r, lambda, EwmaSeed::default()).unwrap();
    // Closed form: σ²_n = λⁿ·σ²_0 + (1−λ)·Σ_i λ^(n−1−i)·r_i², σ²_0 = r_0².
    let n = r.len();
    let mut var = lambda.powi(n as i32) * r[0] * r[0];
    for (i, x) in r.iter().enumerate() {
        var += (1.0 - lambda) * lambda.powi((n - 1 - i) as i32) * x * x;
    }
    assert!(
        rel_close(v.daily, var.sqrt(), 1e-12),
        "{} vs {}",
        v.daily,
        var.sqrt()
    );
    assert!(rel_close(v.annualised, var.sqrt() * 365f64.sqrt(), 1e-12));
    // Other seeds differ only through λⁿ·σ²_0 (negligible after 1000 days at λ = 0.94).
    let v2 = ewma_volatility(&r, lambda, EwmaSeed::MeanSquare).unwrap();
    assert!(rel_close(v.daily, v2.daily, 1e-12));
    let v3 = ewma_volatility(&r[..3], 0.5, EwmaSeed::Variance(0.0004)).unwrap();
    let mut var3: f64 = 0.0004;
    for x in &r[..3] {
        var3 = 0.5 * var3 + 0.5 * x * x;
    }
    assert!(rel_close(v3.daily, var3.sqrt(), 1e-15));
}

#[test]
fn prices_series_and_log_returns() {
    let text =
        "# BTC closes\r\nDate;Close\r\n2024-01-01;100\r\n\r\n2024-01-02;110\r\n2024-01-03;99\r\n";
    let s = parse_series(
        text,
        &SeriesFormat {
            kind: SeriesKind::Prices,
            column: Column::Name("close".into()),
        },
    )
    .unwrap();
    assert_eq!(s.values, vec![100.0, 110.0, 99.0]);
    assert_eq!(s.returns, log_returns(&[100.0, 110.0, 99.0]).unwrap());
    assert!((s.returns[0] - 1.1f64.ln()).abs() < 1e-16);
    // Whitespace-separated, quoted, by index, no header.
    let s = parse_series(
        "1 \"100\"\n2   101\n3 102.5\n",
        &SeriesFormat {
            kind: SeriesKind::Prices,
            column: Column::Index(2),
        },
    )
    .unwrap();
    assert_eq!(s.values, vec![100.0, 101.0, 102.5]);
    assert_eq!(s.header, None);
}

#[test]
fn series_errors_carry_line_and_column() {
    let prices = |text: &str| {
        parse_series(
            text,
            &SeriesFormat {
                kind: SeriesKind::Prices,
                column: Column::Auto,
            },
        )
        .unwrap_err()
    };
    let rets = |text: &str| {
        parse_series(
            text,
            &SeriesFormat {
                kind: SeriesKind::LogReturns,
                column: Column::Auto,
            },
        )
        .unwrap_err()
    };
    let at = |e: imr::risk::RiskError| (e.code, e.line, e.column);
    assert_eq!(at(prices("")), ("empty", None, None));
    assert_eq!(at(prices("# only a comment\n\n")), ("empty", None, None));
    assert_eq!(at(prices("close\n")), ("empty", None, None));
    assert_eq!(at(prices("close\n100\n")), ("too_few", None, None));
    assert_eq!(
        at(prices("d,c\n1,100\n2,abc\n")),
        ("not_a_number", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,100\n2,NaN\n")),
        ("not_a_number", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,100\n2,inf\n")),
        ("not_finite", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,100\n2,0\n")),
        ("not_positive", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,100\n2,-5\n")),
        ("not_positive", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,100\n2\n")),
        ("missing_column", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,100\n2,\n")),
        ("required", Some(3), Some(2))
    );
    assert_eq!(
        at(prices("d,c\n1,1 000\n2,3\n")),
        ("not_a_number", Some(2), Some(2))
    );
    assert_eq!(at(rets("r\n")), ("empty", None, None));
    let e = parse_series(
        "a,b\n1,2\n",
        &SeriesFormat {
            kind: SeriesKind::LogReturns,
            column: Column::Name("close".into()),
        },
    )
    .unwrap_err();
    assert_eq!(at(e), ("missing_column", Some(1), Some(1)));
    // Estimators.
    let e = sample_volatility(&[0.01]).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns", "too_few"));
    let e = sample_volatility(&[0.01, 0.01, 0.01]).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns", "zero_volatility"));
    let e = sample_volatility(&[0.01, f64::NAN]).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns[1]", "not_finite"));
    let e = ewma_volatility(&[0.0, 0.0], 0.94, EwmaSeed::default()).unwrap_err();
    assert_eq!(e.code, "zero_volatility");
    let e = ewma_volatility(&[0.01], 1.0, EwmaSeed::default()).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("lambda", "out_of_range"));
    let e = ewma_volatility(&[], 0.94, EwmaSeed::default()).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns", "empty"));
    let e = ewma_volatility(&[0.01], 0.94, EwmaSeed::Variance(-1.0)).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("seed", "not_positive"));
    let e = sample_volatility(&[1e200, -1e200]).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("returns", "out_of_range"));
}
