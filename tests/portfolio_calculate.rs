//! Whole-book risk through `calculate_json`: portfolio (scenario) margin under the SPAN,
//! Paradex, OKX and inline grids, the PDX-MIN-DELTA vector through a real book, historical VaR /
//! ES against `risk::var` on the same series, stress P&L against an independent revaluation,
//! whole-book liquidation prices (equity = maintenance margin at each, touch probability and
//! distance in σ recomputed), margin monotone in volatility, dynamic initial-margin models,
//! collateral with haircuts, and bad inputs naming their field.
//!
//! Expected values are recomputed here from the formulas (Black-76 from `imr::pricing`, the
//! grids as margin-models.md §5 states them), not copied from the engine's output.

use imr::pricing::normal::{inverse_norm_cdf, norm_cdf};
use imr::pricing::{black76, black76_price, OptionKind};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

const EXPIRY: &str = "2025-06-27T08:00:00Z";
/// 26 days, ACT/365 at minute resolution.
const YEARS: f64 = (26 * 1440) as f64 / 525_600.0;

fn run_raw(request: &Value) -> Value {
    serde_json::from_str(&imr::calculate_json(&request.to_string())).expect("JSON out")
}

fn run(request: &Value) -> Value {
    let out = run_raw(request);
    assert_eq!(out["ok"], true, "request failed: {out}");
    out["result"].clone()
}

fn errors(request: &Value) -> Vec<(String, String, String)> {
    let out = run_raw(request);
    assert_eq!(out["ok"], false, "request should fail: {out}");
    out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has_error(request: &Value, field: &str, code: &str) -> String {
    let errs = errors(request);
    errs.iter()
        .find(|(f, c, _)| f == field && c == code)
        .unwrap_or_else(|| panic!("expected {field}/{code}, got {errs:?}"))
        .2
        .clone()
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {s}")),
        Value::Number(n) => n.as_f64().unwrap(),
        other => panic!("expected a number, got {other}"),
    }
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap(),
        other => panic!("expected a decimal string, got {other}"),
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

#[track_caller]
fn assert_close(what: &str, actual: f64, expected: f64, rel: f64) {
    assert!(
        close(actual, expected, rel),
        "{what}: got {actual}, expected {expected}"
    );
}

/// One leg of a test book: an option on the common underlying or a linear perpetual.
#[derive(Clone, Copy)]
struct Leg {
    kind: Option<OptionKind>,
    strike: f64,
    short: bool,
    size: f64,
    entry: f64,
}

fn call(strike: f64, short: bool, size: f64, entry: f64) -> Leg {
    Leg {
        kind: Some(OptionKind::Call),
        strike,
        short,
        size,
        entry,
    }
}

fn put(strike: f64, short: bool, size: f64, entry: f64) -> Leg {
    Leg {
        kind: Some(OptionKind::Put),
        strike,
        short,
        size,
        entry,
    }
}

fn perp(short: bool, size: f64, entry: f64) -> Leg {
    Leg {
        kind: None,
        strike: 0.0,
        short,
        size,
        entry,
    }
}

/// The state the book is valued in: underlying `s`, implied volatility `iv` for every option,
/// `days` whole days after 2025-06-01T08:00:00Z.
#[derive(Clone, Copy)]
struct State {
    s: f64,
    iv: f64,
    days: u32,
}

fn valuation_time(days: u32) -> String {
    format!("2025-06-{:02}T08:00:00Z", 1 + days)
}

/// A cross (or portfolio) request for `legs` in `state`; `account` is merged into the account.
fn request(wallet: &str, legs: &[Leg], state: State, account: Value, extra: Value) -> Value {
    let mut markets = Vec::new();
    let mut positions = Vec::new();
    for (i, leg) in legs.iter().enumerate() {
        let symbol = format!("M{i}");
        match leg.kind {
            Some(kind) => markets.push(json!({
                "symbol": symbol, "kind": "option",
                "optionType": if kind == OptionKind::Call { "call" } else { "put" },
                "strike": format!("{}", leg.strike), "expiry": EXPIRY,
                "underlyingPrice": format!("{}", state.s),
                "impliedVolatility": format!("{}", state.iv),
                "margin": {"type": "standardOption", "initialRate": "0.15",
                           "initialFloorRate": "0.1", "maintenanceRate": "0.075"}
            })),
            None => markets.push(json!({
                "symbol": symbol, "markPrice": format!("{}", state.s),
                "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}
            })),
        }
        let mut p = json!({
            "symbol": symbol, "side": if leg.short { "short" } else { "long" },
            "size": format!("{}", leg.size), "entryPrice": format!("{}", leg.entry)
        });
        if leg.kind.is_none() {
            p["leverage"] = json!("10");
        }
        positions.push(p);
    }
    let mut acc = json!({"walletBalance": wallet});
    if let Value::Object(extra_acc) = account {
        for (k, v) in extra_acc {
            acc[k] = v;
        }
    }
    let mut r = json!({
        "account": acc, "valuationTime": valuation_time(state.days),
        "markets": markets, "positions": positions,
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            r[k] = v;
        }
    }
    r
}

/// Book P&L by revaluation: options Black-76 (r = 0) at `s`, volatility `iv`, `years` left
/// (intrinsic once expired); perpetuals linear.
fn book_pnl(legs: &[Leg], s: f64, iv: f64, years: f64) -> f64 {
    legs.iter()
        .map(|l| {
            let sign = if l.short { -1.0 } else { 1.0 };
            let value = match l.kind {
                Some(kind) if years > 0.0 => {
                    black76_price(kind, s, l.strike, years, 0.0, iv.max(1e-4)).unwrap()
                }
                Some(OptionKind::Call) => (s - l.strike).max(0.0),
                Some(OptionKind::Put) => (l.strike - s).max(0.0),
                None => s,
            };
            sign * l.size * (value - l.entry)
        })
        .sum()
}

fn strangle() -> Vec<Leg> {
    vec![
        call(65_000.0, true, 1.0, 1_500.0),
        put(55_000.0, true, 1.0, 1_200.0),
    ]
}

// ---------------------------------------------------------------------------------------------
// Portfolio margin
// ---------------------------------------------------------------------------------------------

/// SPAN (margin-models.md §5): price 0, ±1/3, ±2/3, ±1 of the scan range × vol up/down by the
/// vol scan range, then ±2 × range at 35 %; requirement = the largest loss; IM = MM = R.
#[test]
fn short_strangle_under_span16_requirement_is_the_worst_scenario() {
    let legs = strangle();
    let state = State {
        s: 60_000.0,
        iv: 0.6,
        days: 0,
    };
    let (range, vol_range) = (6_000.0, 0.05);
    let r = run(&request(
        "20000",
        &legs,
        state,
        json!({"marginMode": "portfolio",
               "portfolioMargin": {"grid": "span16", "priceScanRange": "6000", "volScanRange": "0.05"}}),
        json!({}),
    ));
    let pm = &r["account"]["portfolioMargin"];
    assert_eq!(r["account"]["marginMode"], "portfolio");
    assert_eq!(pm["grid"], "span-16");
    let mut expected = Vec::new();
    for k in [0.0, 1.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0, -2.0 / 3.0, 1.0, -1.0] {
        for v in [1.0, -1.0] {
            expected.push((k, v, 1.0));
        }
    }
    expected.push((2.0, 0.0, 0.35));
    expected.push((-2.0, 0.0, 0.35));
    let base = book_pnl(&legs, state.s, state.iv, YEARS);
    let rows = pm["scenarios"].as_array().unwrap();
    assert_eq!(rows.len(), 16);
    let mut worst = (0.0, None);
    for (i, ((k, v, w), row)) in expected.iter().zip(rows).enumerate() {
        let pnl = book_pnl(&legs, state.s + k * range, state.iv + v * vol_range, YEARS) - base;
        assert_close(&format!("scenario {i} P&L"), num(&row["pnl"]), pnl, 1e-9);
        assert_close(
            &format!("scenario {i} weighted"),
            num(&row["weightedPnl"]),
            w * pnl,
            1e-9,
        );
        if -w * pnl > worst.0 {
            worst = (-w * pnl, Some(i));
        }
    }
    let i = worst.1.expect("a short strangle loses somewhere");
    assert_close("requirement", num(&pm["requirement"]), worst.0, 1e-9);
    assert_eq!(pm["dominant"], rows[i]["label"]);
    assert_eq!(pm["worstScenario"], rows[i]["label"]);
    // IM = MM = R (rounded up to 10 places), and they are the account's.
    let im = dec(&r["account"]["initialMargin"]);
    let mm = dec(&r["account"]["maintenanceMargin"]);
    assert_close("IM", num(&r["account"]["initialMargin"]), worst.0, 1e-9);
    assert_eq!(im, mm);
    assert_eq!(im, dec(&pm["initialMargin"]));
    // The short-option minimum: per unit × 2 short units, when it exceeds the scan risk.
    let r2 = run(&request(
        "20000",
        &legs,
        state,
        json!({"marginMode": "portfolio",
               "portfolioMargin": {"grid": "span16", "priceScanRange": "6000", "volScanRange": "0.05",
                                   "shortOptionMinimum": "50000"}}),
        json!({}),
    ));
    assert_eq!(r2["account"]["portfolioMargin"]["dominant"], "minimum");
    assert_close(
        "short-option minimum",
        num(&r2["account"]["initialMargin"]),
        100_000.0,
        1e-12,
    );
}

/// Paradex: the PDX-MIN-DELTA vector (1 perpetual long, 5 calls short at delta 0.3 each, spot
/// 70 000) reproduced through a real book: the call's strike is chosen so that its Black-76
/// delta is exactly 0.3.
#[test]
fn paradex_min_delta_vector_through_calculate() {
    let vectors: Value =
        serde_json::from_str(include_str!("vectors/venues.json")).expect("venues.json");
    let v = vectors
        .as_array()
        .or_else(|| vectors["vectors"].as_array())
        .unwrap()
        .iter()
        .find(|v| v["id"] == "PDX-MIN-DELTA")
        .unwrap()
        .clone();
    let spot = num(&v["inputs"]["spot"]);
    let delta_each = num(&v["inputs"]["positions"][1]["deltaEach"]);
    let calls = -num(&v["inputs"]["positions"][1]["size"]);
    let iv = 0.5;
    let sd = iv * YEARS.sqrt();
    let d1 = inverse_norm_cdf(delta_each);
    let strike = spot * (-d1 * sd + 0.5 * sd * sd).exp();
    let strike = format!("{strike:.6}").parse::<f64>().unwrap();
    let g = black76(OptionKind::Call, spot, strike, YEARS, 0.0, iv).unwrap();
    assert!((g.delta - delta_each).abs() < 1e-6);
    let legs = vec![perp(false, 1.0, spot), call(strike, true, calls, 1_000.0)];
    let state = State {
        s: spot,
        iv,
        days: 0,
    };
    let r = run(&request(
        "50000",
        &legs,
        state,
        json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "paradex"}}),
        json!({}),
    ));
    let pm = &r["account"]["portfolioMargin"];
    let md = &pm["minimumDelta"];
    let net = 1.0 - calls * g.delta;
    let gross = 1.0 + calls * g.delta;
    let hedged = (gross - net.abs()) / 2.0;
    let charge = (0.02 * net.abs() + 0.01 * hedged) * spot;
    assert_close("net delta", num(&md["netDelta"]), net, 1e-12);
    assert_close("gross delta", num(&md["grossDelta"]), gross, 1e-12);
    assert_close("hedged delta", num(&md["hedgedDelta"]), hedged, 1e-12);
    assert_close("charge", num(&md["charge"]), charge, 1e-12);
    // …and these are the vector's numbers, to the precision the strike was rounded to.
    let e = &v["expected"];
    assert_close("vector net", net, num(&e["netDelta"]), 1e-5);
    assert_close("vector gross", gross, num(&e["grossDelta"]), 1e-5);
    assert_close("vector hedged", hedged, num(&e["hedgedDelta"]), 1e-5);
    assert_close("vector charge", charge, num(&e["minDeltaRisk"]), 1e-5);
    // Requirement = max(scan risk, charge); MM = 50 % of IM.
    let scan = num(&pm["scanRisk"]);
    assert_close(
        "requirement",
        num(&pm["requirement"]),
        scan.max(charge),
        1e-12,
    );
    // Scan risk recomputed: Paradex scenarios with DTE-scaled relative vol shocks.
    let dte = YEARS * 365.0;
    let vol_scale = |shift: f64| {
        let p = if dte < 30.0 { 0.30 } else { 0.13 };
        iv * (1.0 + shift * (30.0 / dte.max(1.0)).powf(p))
    };
    let grid: [(f64, f64, f64); 24] = [
        (0.16, 0.40, 1.0),
        (0.12, 0.40, 1.0),
        (0.12, -0.22, 1.0),
        (0.08, 0.40, 1.0),
        (0.08, -0.22, 1.0),
        (0.04, 0.40, 1.0),
        (0.04, -0.22, 1.0),
        (0.0, 0.40, 1.0),
        (0.0, -0.22, 1.0),
        (-0.04, 0.40, 1.0),
        (-0.04, -0.22, 1.0),
        (-0.08, 0.40, 1.0),
        (-0.08, -0.22, 1.0),
        (-0.12, 0.40, 1.0),
        (-0.12, -0.22, 1.0),
        (-0.16, 0.40, 1.0),
        (-0.66, 0.40, 0.24),
        (-0.33, 0.40, 0.48),
        (0.50, 0.40, 0.32),
        (1.00, 0.40, 0.16),
        (2.00, 0.40, 0.08),
        (3.00, 0.40, 0.0533),
        (4.00, 0.40, 0.04),
        (5.00, 0.40, 0.032),
    ];
    let base = book_pnl(&legs, spot, iv, YEARS);
    let worst = grid
        .iter()
        .map(|(m, v, w)| -w * (book_pnl(&legs, spot * (1.0 + m), vol_scale(*v), YEARS) - base))
        .fold(0.0, f64::max);
    assert_close("scan risk", scan, worst, 1e-9);
    let im = num(&r["account"]["initialMargin"]);
    let mm = num(&r["account"]["maintenanceMargin"]);
    assert_close("MM = 50% IM", mm, 0.5 * im, 1e-9);

    // The block names the factors applied.
    assert_eq!(num(&md["unhedgedFactor"]), 0.02);
    assert_eq!(num(&md["hedgedFactor"]), 0.01);
}

#[test]
fn okx_and_custom_grids() {
    let legs = vec![perp(false, 2.0, 30_000.0), call(32_000.0, true, 1.0, 900.0)];
    let state = State {
        s: 30_000.0,
        iv: 0.7,
        days: 0,
    };
    let r = run(&request(
        "20000",
        &legs,
        state,
        json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "okx"}}),
        json!({}),
    ));
    let pm = &r["account"]["portfolioMargin"];
    let base = book_pnl(&legs, state.s, state.iv, YEARS);
    let worst = [0.0, 0.04, -0.04, 0.08, -0.08, 0.12, -0.12, 0.24, -0.24]
        .iter()
        .map(|m| -(book_pnl(&legs, state.s * (1.0 + m), state.iv, YEARS) - base))
        .fold(0.0, f64::max);
    assert_close("OKX requirement", num(&pm["requirement"]), worst, 1e-9);
    assert_close(
        "OKX MM",
        num(&r["account"]["maintenanceMargin"]),
        worst,
        1e-9,
    );
    assert_close(
        "OKX IM = 1.3 MM",
        num(&r["account"]["initialMargin"]),
        1.3 * worst,
        1e-9,
    );

    // An inline grid: two relative moves with an additive vol shock, IM = 1.5 R, MM = R.
    let r = run(&request(
        "20000",
        &legs,
        state,
        json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "custom", "customGrid": {
            "name": "two shocks", "volConvention": "additive",
            "initialPerRequirement": "1.5", "maintenancePerRequirement": "1",
            "scenarios": [{"label": "down 10%", "priceMove": "-0.1", "volMove": "0.1"},
                          {"label": "up 25%", "priceMove": "0.25", "weight": "0.5"}]}}}),
        json!({}),
    ));
    let pm = &r["account"]["portfolioMargin"];
    let down = -(book_pnl(&legs, state.s * 0.9, state.iv + 0.1, YEARS) - base);
    let up = -0.5 * (book_pnl(&legs, state.s * 1.25, state.iv, YEARS) - base);
    let req = down.max(up).max(0.0);
    assert_eq!(pm["grid"], "custom");
    assert_close("custom requirement", num(&pm["requirement"]), req, 1e-9);
    assert_close("custom IM", num(&pm["initialMargin"]), 1.5 * req, 1e-9);
    assert_eq!(
        pm["dominant"],
        if down >= up { "down 10%" } else { "up 25%" }
    );
}

/// Higher implied volatility never makes a short-option book safer.
///
/// Standard margin (premium + rate terms) is itself non-decreasing in volatility. A scenario
/// requirement is a loss measured from today's mark, and the mark of a short option already
/// rises with volatility (deep tail scenarios, nearly vega-free, then lose *less* from the
/// higher mark), so the requirement alone need not be monotone; what is, for every grid with
/// `IM, MM ≤ 1 × requirement`, is the excess `equity − IM` and `equity − MM`: non-increasing.
#[test]
fn margin_non_decreasing_in_volatility_for_short_options() {
    let legs = strangle();
    for (account, standard) in [
        (json!({}), true),
        (
            json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "paradex"}}),
            false,
        ),
        (
            json!({"marginMode": "portfolio",
                   "portfolioMargin": {"grid": "span16", "priceScanRange": "5000", "volScanRange": "0.04"}}),
            false,
        ),
    ] {
        let mut last: Option<[f64; 4]> = None;
        for iv in [0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.3] {
            let state = State {
                s: 60_000.0,
                iv,
                days: 0,
            };
            let r = run(&request("50000", &legs, state, account.clone(), json!({})));
            let a = &r["account"];
            let (im, mm, eq) = (
                num(&a["initialMargin"]),
                num(&a["maintenanceMargin"]),
                num(&a["equity"]),
            );
            let now = [im, mm, eq - im, eq - mm];
            if let Some(prev) = last {
                assert!(
                    now[2] <= prev[2] + 1e-9 && now[3] <= prev[3] + 1e-9,
                    "{account}: at iv {iv} the excess over margin rose: {now:?} after {prev:?}"
                );
                if standard {
                    assert!(
                        now[0] >= prev[0] - 1e-9 && now[1] >= prev[1] - 1e-9,
                        "standard margin fell at iv {iv}: {now:?} after {prev:?}"
                    );
                }
            }
            last = Some(now);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-book liquidation
// ---------------------------------------------------------------------------------------------

/// Touch probability of a level `l` from `s` within `h` days under `dS = σS dW` (log drift
/// `−σ²/2`), first passage of Brownian motion with drift (margin-models.md §7).
fn touch(s: f64, l: f64, sigma: f64, h: f64) -> f64 {
    let t = h / 365.0;
    let sd = sigma * t.sqrt();
    let b = (l / s).ln();
    let nu = -0.5 * sigma * sigma;
    let (big_b, nu_r) = if b > 0.0 { (b, nu) } else { (-b, -nu) };
    norm_cdf((nu_r * t - big_b) / sd)
        + (2.0 * nu_r * big_b / (sigma * sigma)).exp() * norm_cdf((-big_b - nu_r * t) / sd)
}

#[test]
fn portfolio_book_liquidation_puts_equity_on_maintenance_margin() {
    let legs = vec![
        call(75_000.0, true, 3.0, 2_000.0),
        perp(false, 1.0, 70_000.0),
    ];
    let state = State {
        s: 70_000.0,
        iv: 0.55,
        days: 0,
    };
    let account = json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "paradex"}});
    let extra = json!({"volatility": "0.6", "horizonDays": "7"});
    let r = run(&request(
        "40000",
        &legs,
        state,
        account.clone(),
        extra.clone(),
    ));
    let bl = &r["account"]["bookLiquidation"];
    assert_eq!(bl["maintenanceBasis"], "portfolio");
    let prices = bl["prices"].as_array().unwrap();
    assert!(!prices.is_empty(), "{bl}");
    for p in prices {
        let price = num(&p["price"]);
        // The same request with every price moved to the root.
        let at = run(&request(
            "40000",
            &legs,
            State { s: price, ..state },
            account.clone(),
            json!({}),
        ));
        let surplus = num(&at["account"]["equity"]) - num(&at["account"]["maintenanceMargin"]);
        assert!(
            surplus.abs() < 1e-4,
            "at {price}: equity − MM = {surplus} ({})",
            at["account"]
        );
        // Distance in σ of the 7-day move and the touch probability, recomputed.
        let sd = 0.6 * (7.0f64 / 365.0).sqrt();
        assert_close(
            "distance in σ",
            num(&p["distanceSigmas"]),
            (price / 70_000.0).ln() / sd,
            1e-12,
        );
        assert_close(
            "touch probability",
            num(&p["touchProbability"]),
            touch(70_000.0, price, 0.6, 7.0),
            1e-10,
        );
        let pct = (price - 70_000.0).abs() / 70_000.0 * 100.0;
        assert_close("distance %", num(&p["distancePercent"]), pct, 1e-9);
    }
}

#[test]
fn futures_only_book_liquidation_when_asked() {
    // Long 1 at 20 000, MMR 0.5 %, wallet 1 000, cross: the closed form of margin-models.md §1,
    // LP = (WB − s·Q·EP) / (Q·MMR − s·Q), and the whole-book root agree.
    let legs = vec![perp(false, 1.0, 20_000.0)];
    let state = State {
        s: 20_000.0,
        iv: 0.5,
        days: 0,
    };
    let plain = run(&request("1000", &legs, state, json!({}), json!({})));
    assert!(plain["account"].get("bookLiquidation").is_none());
    let r = run(&request(
        "1000",
        &legs,
        state,
        json!({"bookLiquidation": true}),
        json!({"volatility": "0.8", "horizonDays": "1"}),
    ));
    let bl = &r["account"]["bookLiquidation"];
    let lp = (1000.0 - 20_000.0) / (0.005 - 1.0);
    let below = num(&bl["below"]);
    assert_close("root", below, lp, 1e-9);
    assert_close(
        "position liquidation",
        num(&r["positions"][0]["liquidation"]["price"]),
        lp,
        1e-9,
    );
    assert!(bl["above"].is_null());
    let p = &bl["prices"][0];
    assert_close(
        "touch",
        num(&p["touchProbability"]),
        touch(20_000.0, below, 0.8, 1.0),
        1e-10,
    );
    // Two perpetuals moving together: equity = MM at every root.
    let legs = vec![perp(false, 3.0, 20_000.0), perp(true, 1.0, 20_500.0)];
    let r = run(&request(
        "2000",
        &legs,
        state,
        json!({"bookLiquidation": true}),
        json!({}),
    ));
    for p in r["account"]["bookLiquidation"]["prices"]
        .as_array()
        .unwrap()
    {
        let x = num(&p["price"]);
        let equity = 2000.0 + 3.0 * (x - 20_000.0) - (x - 20_500.0);
        let mm = 4.0 * x * 0.005;
        assert!((equity - mm).abs() < 1e-6, "at {x}: {equity} vs {mm}");
    }
}

#[test]
fn standard_option_book_roots_get_distance_in_sigma_and_touch_probability() {
    let legs = strangle();
    let state = State {
        s: 60_000.0,
        iv: 0.6,
        days: 0,
    };
    let without = run(&request("30000", &legs, state, json!({}), json!({})));
    let bl0 = &without["account"]["bookLiquidation"];
    assert!(bl0["prices"][0].get("touchProbability").is_none());
    let r = run(&request(
        "30000",
        &legs,
        state,
        json!({}),
        json!({"volatility": 0.75, "horizonDays": 30}),
    ));
    let bl = &r["account"]["bookLiquidation"];
    // The roots themselves do not depend on the touch inputs.
    assert_eq!(
        bl["prices"].as_array().unwrap().len(),
        bl0["prices"].as_array().unwrap().len()
    );
    let prices = bl["prices"].as_array().unwrap();
    assert!(
        prices.len() >= 2,
        "a short strangle has a root on each side: {bl}"
    );
    for (p, p0) in prices.iter().zip(bl0["prices"].as_array().unwrap()) {
        assert_eq!(p["price"], p0["price"]);
        let x = num(&p["price"]);
        let sd = 0.75 * (30.0f64 / 365.0).sqrt();
        assert_close(
            "σ distance",
            num(&p["distanceSigmas"]),
            (x / 60_000.0).ln() / sd,
            1e-12,
        );
        assert_close(
            "touch",
            num(&p["touchProbability"]),
            touch(60_000.0, x, 0.75, 30.0),
            1e-10,
        );
    }
    assert_eq!(num(&bl["horizonDays"]), 30.0);
}

/// An isolated book of two futures (Bybit's published long: 1 BTC at 20 000, 50×, MMR 0.5 %,
/// liquidation 19 700; a short of 10 ETH at 1 000, 10×, MMR 1 %), with the given extras.
fn isolated_pair(btc_mark: &str, extra: Value) -> Value {
    let mut r = json!({
        "account": {"walletBalance": "5000", "marginMode": "isolated"},
        "markets": [
            {"symbol": "BTCUSDT", "markPrice": btc_mark, "marginBasis": "entry",
             "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}},
            {"symbol": "ETHUSDT", "markPrice": "1000",
             "margin": {"type": "fixed", "maintenanceMarginRate": "0.01"}}
        ],
        "positions": [
            {"symbol": "BTCUSDT", "side": "long", "size": "1", "entryPrice": "20000", "leverage": "50"},
            {"symbol": "ETHUSDT", "side": "short", "size": "10", "entryPrice": "1000", "leverage": "10"}
        ]
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

#[test]
fn isolated_positions_get_distance_in_sigma_and_touch_probability() {
    // Without a volatility: no σ figures on the positions.
    let plain = run(&isolated_pair("20000", json!({})));
    for p in plain["positions"].as_array().unwrap() {
        assert!(p["liquidation"].get("distanceSigmas").is_none(), "{p}");
        assert!(p["liquidation"].get("touchProbability").is_none(), "{p}");
    }
    let r = run(&isolated_pair(
        "20000",
        json!({"volatility": "0.8", "horizonDays": "3"}),
    ));
    let sd = 0.8 * (3.0f64 / 365.0).sqrt();
    let positions = r["positions"].as_array().unwrap();
    // Bybit's example, and the closed form for the short: LP = (IM + Q·EP) / (Q·MMR + Q).
    assert_eq!(positions[0]["liquidation"]["price"], "19700");
    assert_close(
        "short liquidation",
        num(&positions[1]["liquidation"]["price"]),
        (1000.0 + 10_000.0) / (10.0 * 0.01 + 10.0),
        1e-9,
    );
    for (p, mark) in positions.iter().zip([20_000.0, 1_000.0]) {
        let liq = &p["liquidation"];
        let lp = num(&liq["price"]);
        let d = num(&liq["distanceSigmas"]);
        assert_close("σ distance", d, (lp / mark).ln() / sd, 1e-12);
        assert_close(
            "touch",
            num(&liq["touchProbability"]),
            touch(mark, lp, 0.8, 3.0),
            1e-10,
        );
        let t = num(&liq["touchProbability"]);
        assert!(t > 0.0 && t < 1.0, "{t}");
        // The breakdown says how both were found.
        let steps = p["breakdown"].as_array().unwrap();
        let step = |label: &str| {
            steps
                .iter()
                .find(|s| s["label"].as_str().unwrap().starts_with(label))
                .unwrap_or_else(|| panic!("no '{label}' step in {p}"))
                .clone()
        };
        assert_eq!(num(&step("Distance to liquidation in σ")["value"]), d);
        assert_eq!(
            num(&step("Probability of touching it within 3 days")["value"]),
            t
        );
    }
    // Below the long's mark a negative distance, above the short's a positive one.
    assert!(num(&positions[0]["liquidation"]["distanceSigmas"]) < 0.0);
    assert!(num(&positions[1]["liquidation"]["distanceSigmas"]) > 0.0);
    // A longer horizon: the same distance in price is fewer σ and more likely to be touched.
    let longer = run(&isolated_pair(
        "20000",
        json!({"volatility": "0.8", "horizonDays": "30"}),
    ));
    let l0 = &longer["positions"][0]["liquidation"];
    assert!(
        num(&l0["distanceSigmas"]).abs()
            < num(&positions[0]["liquidation"]["distanceSigmas"]).abs()
    );
    assert!(num(&l0["touchProbability"]) > num(&positions[0]["liquidation"]["touchProbability"]));
    // Already past its liquidation price at the mark: it has been touched.
    let past = run(&isolated_pair(
        "19000",
        json!({"volatility": "0.8", "horizonDays": "3"}),
    ));
    let l = &past["positions"][0]["liquidation"];
    assert_eq!(l["alreadyLiquidatable"], true, "{l}");
    assert_eq!(num(&l["touchProbability"]), 1.0);
    assert_close(
        "σ distance past",
        num(&l["distanceSigmas"]),
        (num(&l["price"]) / 19_000.0).ln() / sd,
        1e-12,
    );
    // Portfolio mode liquidates the book as a whole: no per-position figures there.
    let mut pm = isolated_pair("20000", json!({"volatility": "0.8"}));
    pm["account"]["marginMode"] = json!("portfolio");
    pm["account"]["portfolioMargin"] = json!({"grid": "okx"});
    let pm = run(&pm);
    for p in pm["positions"].as_array().unwrap() {
        assert!(p["liquidation"]["price"].is_null());
        assert!(p["liquidation"].get("distanceSigmas").is_none(), "{p}");
    }
}

// ---------------------------------------------------------------------------------------------
// Stress
// ---------------------------------------------------------------------------------------------

#[test]
fn stress_pnl_is_the_revaluation_and_margin_is_recomputed() {
    let legs = vec![
        call(65_000.0, true, 2.0, 1_500.0),
        perp(false, 1.0, 60_000.0),
    ];
    let state = State {
        s: 60_000.0,
        iv: 0.6,
        days: 0,
    };
    let scenarios = [(-20.0, 0.1, 1u32), (15.0, 0.0, 0), (-5.0, -0.2, 3)];
    let stress: Vec<Value> = scenarios
        .iter()
        .map(|(m, v, d)| json!({"priceMovePercent": m, "volMove": v, "daysForward": d}))
        .collect();
    for account in [
        json!({}),
        json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "paradex"}}),
    ] {
        let r = run(&request(
            "15000",
            &legs,
            state,
            account.clone(),
            json!({ "stress": stress }),
        ));
        let base = book_pnl(&legs, state.s, state.iv, YEARS);
        let equity0 = num(&r["account"]["equity"]);
        let rows = r["stress"]["scenarios"].as_array().unwrap();
        assert_eq!(rows.len(), scenarios.len());
        for ((m, v, d), row) in scenarios.iter().zip(rows) {
            let s = state.s * (1.0 + m / 100.0);
            let years = YEARS - f64::from(*d) / 365.0;
            let pnl = book_pnl(&legs, s, state.iv + v, years) - base;
            assert_close("stress P&L", num(&row["pnl"]), pnl, 1e-9);
            assert_close("stress equity", num(&row["equity"]), equity0 + pnl, 1e-9);
            // Maintenance margin after the shock = the same book valued in the shocked state.
            let shocked = run(&request(
                "15000",
                &legs,
                State {
                    s,
                    iv: state.iv + v,
                    days: *d,
                },
                account.clone(),
                json!({}),
            ));
            let mm = num(&shocked["account"]["maintenanceMargin"]);
            assert_close("stress MM", num(&row["maintenanceMargin"]), mm, 1e-7);
            let eq = num(&row["equity"]);
            assert_eq!(row["liquidated"], eq <= num(&row["maintenanceMargin"]));
            if eq > 0.0 {
                assert_close(
                    "margin ratio",
                    num(&row["marginRatio"]),
                    num(&row["maintenanceMargin"]) / eq,
                    1e-9,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// VaR
// ---------------------------------------------------------------------------------------------

/// A deterministic price path (a linear congruential generator driving log returns).
fn price_path(n: usize) -> Vec<f64> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut p = 60_000.0;
    let mut out = vec![p];
    for _ in 1..n {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64;
        p *= (0.05 * (u - 0.5)).exp();
        out.push((p * 100.0).round() / 100.0);
    }
    out
}

#[test]
fn var_through_calculate_equals_risk_var_on_the_same_series() {
    use imr::risk::var::{historical_var, EsMethod, Horizon, HsVarSpec, QuantileMethod, VarMethod};
    let legs = vec![
        call(65_000.0, true, 2.0, 1_500.0),
        perp(false, 1.0, 60_000.0),
    ];
    let state = State {
        s: 60_000.0,
        iv: 0.6,
        days: 0,
    };
    let prices = price_path(301);
    let csv: String = std::iter::once("date,close".to_string())
        .chain(
            prices
                .iter()
                .enumerate()
                .map(|(i, p)| format!("day{i},{p}")),
        )
        .collect::<Vec<_>>()
        .join("\n");
    let returns: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let value = |s: f64, _dv: f64, _d: f64| book_pnl(&legs, s, state.iv, YEARS);

    let r = run(&request(
        "15000",
        &legs,
        state,
        json!({}),
        json!({"var": {"series": csv, "confidence": "0.99"}}),
    ));
    let v = &r["var"];
    let expected = historical_var(state.s, &returns, &HsVarSpec::new(0.99), value).unwrap();
    assert_close("VaR", num(&v["var"]), expected.var, 1e-12);
    assert_close("ES", num(&v["expectedShortfall"]), expected.es, 1e-12);
    assert_eq!(v["defaultConventions"], true);
    assert_eq!(v["scenarios"], 300);
    // The default convention by hand: k = ⌊300 · 0.01⌋ + 1 = 4th worst loss; ES (Acerbi–Tasche,
    // m = 3) = mean of the 3 worst.
    let base = value(state.s, 0.0, 0.0);
    let mut losses: Vec<f64> = returns
        .iter()
        .map(|r| -(value(state.s * r.exp(), 0.0, 0.0) - base))
        .collect();
    losses.sort_by(|a, b| b.total_cmp(a));
    assert_close("4th worst", num(&v["var"]), losses[3], 1e-9);
    assert_close(
        "mean of 3 worst",
        num(&v["expectedShortfall"]),
        (losses[0] + losses[1] + losses[2]) / 3.0,
        1e-9,
    );

    // A numpy convention over 5-day overlapping windows, from log returns pasted as such.
    let text: String = returns
        .iter()
        .map(|r| format!("{r:e}"))
        .collect::<Vec<_>>()
        .join("\n");
    let r = run(&request(
        "15000",
        &legs,
        state,
        json!({}),
        json!({"var": {"series": text, "seriesFormat": "logReturns", "confidence": 0.975,
                       "horizonDays": 5, "windows": "overlapping", "quantile": "linear",
                       "expectedShortfall": "meanLossAtLeastVar"}}),
    ));
    let spec = HsVarSpec {
        horizon: Horizon::Overlapping(5),
        var_method: VarMethod::LossQuantile(QuantileMethod::Linear),
        es_method: EsMethod::MeanLossAtLeastVar,
        ..HsVarSpec::new(0.975)
    };
    let expected = historical_var(state.s, &returns, &spec, value).unwrap();
    let v = &r["var"];
    assert_close("VaR 5d", num(&v["var"]), expected.var, 1e-12);
    assert_close("ES 5d", num(&v["expectedShortfall"]), expected.es, 1e-12);
    assert_eq!(v["varConvention"], "loss_quantile_linear");
    assert_eq!(v["defaultConventions"], false);
    assert_eq!(v["scenarios"], 296);
}

// ---------------------------------------------------------------------------------------------
// Dynamic initial margin, collateral
// ---------------------------------------------------------------------------------------------

fn perp_request(model: Value, size: &str, extra: Value) -> Value {
    let mut r = json!({
        "account": {"walletBalance": "100000"},
        "markets": [{"symbol": "BTC-PERP", "markPrice": "50000",
                     "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"},
                     "initialMarginModel": model}],
        "positions": [{"symbol": "BTC-PERP", "side": "long", "size": size, "entryPrice": "50000"}]
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            r[k] = v;
        }
    }
    r
}

#[test]
fn dynamic_initial_margin_models() {
    // Volatility-scaled with a given σ: IMR = max(floor, z_0.99 · σ · √(h/365) · m).
    let r = run(&perp_request(
        json!({"type": "volatility", "floor": "0.02", "confidence": "0.99", "horizonDays": "2",
               "multiplier": "1.5", "volatility": "0.8"}),
        "2",
        json!({}),
    ));
    let p = &r["positions"][0];
    let rate = (inverse_norm_cdf(0.99) * 0.8 * (2.0f64 / 365.0).sqrt() * 1.5).max(0.02);
    assert_close("vol IMR", num(&p["initialMarginRate"]), rate, 1e-9);
    assert_close("vol IM", num(&p["initialMargin"]), 100_000.0 * rate, 1e-9);
    let src = &p["imrSource"];
    assert_eq!(src["model"], "volatility");
    assert_close("σ shown", num(&src["volatility"]["annualised"]), 0.8, 0.0);
    assert_close(
        "z shown",
        num(&src["inputs"]["z"]),
        inverse_norm_cdf(0.99),
        1e-15,
    );

    // σ estimated from a pasted series by EWMA (λ = 0.94, σ²_0 = r_0²).
    let prices = price_path(61);
    let text = prices
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let r = run(&perp_request(
        json!({"type": "volatility", "floor": "0.01", "horizonDays": "1",
               "series": text, "estimator": "ewma"}),
        "1",
        json!({}),
    ));
    let returns: Vec<f64> = prices.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let mut var = returns[0] * returns[0];
    for r in &returns {
        var = 0.94 * var + 0.06 * r * r;
    }
    let sigma = var.sqrt() * 365f64.sqrt();
    let src = &r["positions"][0]["imrSource"];
    assert_eq!(src["volatility"]["method"], "ewma");
    assert_close(
        "EWMA σ",
        num(&src["volatility"]["annualised"]),
        sigma,
        1e-12,
    );
    let rate = (inverse_norm_cdf(0.99) * sigma * (1.0f64 / 365.0).sqrt()).max(0.01);
    assert_close(
        "EWMA IMR",
        num(&r["positions"][0]["initialMarginRate"]),
        rate,
        1e-9,
    );

    // dYdX v4 open-interest scaling: OI 300 BTC at 50 000 = 15 M between caps 10 M and 30 M.
    let r = run(&perp_request(
        json!({"type": "openInterest", "base": "0.05", "lowerCap": "10000000",
               "upperCap": "30000000", "openInterest": "300"}),
        "1",
        json!({}),
    ));
    let rate = (0.05f64 + (15e6 - 10e6) / (30e6 - 10e6) * (1.0 - 0.05)).min(1.0);
    let p = &r["positions"][0];
    assert_close("OI IMR", num(&p["initialMarginRate"]), rate, 1e-12);
    assert_eq!(p["imrSource"]["model"], "open_interest");

    // Square root of size (Drift): max(base, 0.8·base + k·√size).
    let r = run(&perp_request(
        json!({"type": "sqrtSize", "base": "0.1", "k": "0.01"}),
        "16",
        json!({}),
    ));
    let rate = 0.1f64.max(0.08 + 0.01 * 4.0);
    assert_close(
        "sqrt IMR",
        num(&r["positions"][0]["initialMarginRate"]),
        rate,
        1e-12,
    );
    assert_eq!(
        r["positions"][0]["imrSource"]["rule"],
        "size premium 0.8·base + k·√size"
    );

    // When the leverage asks for more, the leverage binds and says so.
    let mut req = perp_request(
        json!({"type": "sizeLinear", "base": "0.02", "slopePerUnit": "0.00005"}),
        "1",
        json!({}),
    );
    req["positions"][0]["leverage"] = json!("5");
    let r = run(&req);
    let p = &r["positions"][0];
    assert_close("leverage binds", num(&p["initialMarginRate"]), 0.2, 0.0);
    assert_eq!(p["imrSource"]["model"], "size_linear");
    assert_close("rule rate", num(&p["imrSource"]["ruleRate"]), 0.2, 0.0);
}

#[test]
fn collateral_after_haircuts_feeds_equity() {
    let legs = vec![perp(false, 1.0, 20_000.0)];
    let state = State {
        s: 21_000.0,
        iv: 0.5,
        days: 0,
    };
    let r = run(&request(
        "1000",
        &legs,
        state,
        json!({"collateral": [{"asset": "ETH", "amount": "2.5", "price": "3000", "haircut": "0.1"},
                               {"asset": "SOL", "amount": "10", "price": "150.5", "haircut": "0.25"}]}),
        json!({}),
    ));
    let eth =
        Decimal::from_str("2.5").unwrap() * Decimal::from(3000) * Decimal::from_str("0.9").unwrap();
    let sol = Decimal::from(10)
        * Decimal::from_str("150.5").unwrap()
        * Decimal::from_str("0.75").unwrap();
    let c = &r["account"]["collateral"];
    assert_eq!(dec(&c["valueAfterHaircuts"]), eth + sol);
    assert_eq!(dec(&r["account"]["walletBalance"]), Decimal::from(1000));
    let pnl = Decimal::from(1000);
    assert_eq!(
        dec(&r["account"]["equity"]),
        Decimal::from(1000) + eth + sol + pnl
    );
    let total = Decimal::from(1000) + eth + sol;
    assert_eq!(dec(&c["totalCollateral"]), total);
    let im = dec(&r["account"]["initialMargin"]);
    assert_eq!(im, Decimal::from(2100));
    assert_eq!(
        dec(&c["collateralisationRatio"]),
        (total / im).round_dp(10).normalize()
    );
}

// ---------------------------------------------------------------------------------------------
// Bad inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_inputs_name_their_field() {
    let legs = strangle();
    let state = State {
        s: 60_000.0,
        iv: 0.6,
        days: 0,
    };
    let book = |account: Value, extra: Value| request("20000", &legs, state, account, extra);
    // A bad line in a pasted series: the error names the line.
    let msg = has_error(
        &book(
            json!({}),
            json!({"var": {"series": "close\n100\n101\n10x2\n103"}}),
        ),
        "var.series",
        "not_a_number",
    );
    assert!(msg.contains("line 4"), "{msg}");
    has_error(
        &book(
            json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "cme"}}),
            json!({}),
        ),
        "account.portfolioMargin.grid",
        "invalid_choice",
    );
    has_error(
        &book(json!({"marginMode": "portfolio"}), json!({})),
        "account.portfolioMargin",
        "required",
    );
    has_error(
        &book(
            json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "span16"}}),
            json!({}),
        ),
        "account.portfolioMargin.priceScanRange",
        "required",
    );
    has_error(
        &book(json!({"portfolioMargin": {"grid": "paradex"}}), json!({})),
        "account.portfolioMargin",
        "unsupported",
    );
    has_error(
        &book(
            json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "custom",
                   "customGrid": {"scenarios": [{"priceMove": "-1.5"}]}}}),
            json!({}),
        ),
        "account.portfolioMargin.customGrid.scenarios[0].priceMove",
        "out_of_range",
    );
    for confidence in ["1.5", "0", "1", "-0.2"] {
        let series = "1\n2\n3\n4";
        let errs = errors(&book(
            json!({}),
            json!({"var": {"series": series, "confidence": confidence}}),
        ));
        assert!(
            errs.iter()
                .any(|(f, c, _)| f == "var.confidence" && (c == "out_of_range" || c == "negative")),
            "{confidence}: {errs:?}"
        );
    }
    has_error(
        &book(
            json!({}),
            json!({"var": {"series": "1\n2", "windows": "weekly"}}),
        ),
        "var.windows",
        "invalid_choice",
    );
    has_error(
        &book(
            json!({}),
            json!({"var": {"series": "1\n2", "quantile": "median"}}),
        ),
        "var.quantile",
        "invalid_choice",
    );
    has_error(
        &book(json!({}), json!({"stress": [{"priceMovePercent": -150}]})),
        "stress[0].priceMovePercent",
        "out_of_range",
    );
    has_error(
        &book(json!({}), json!({"stress": [{"volMove": 0.1}]})),
        "stress[0].priceMovePercent",
        "required",
    );
    has_error(
        &book(
            json!({"collateral": [{"asset": "ETH", "amount": "1", "price": "3000", "haircut": "1.5"}]}),
            json!({}),
        ),
        "account.collateral[0].haircut",
        "out_of_range",
    );
    has_error(
        &book(json!({}), json!({"volatility": "-0.5"})),
        "volatility",
        "not_positive",
    );
    has_error(
        &perp_request(
            json!({"type": "volatility", "floor": "0.01"}),
            "1",
            json!({}),
        ),
        "markets[0].initialMarginModel.volatility",
        "required",
    );
    has_error(
        &perp_request(
            json!({"type": "openInterest", "base": "0.05", "lowerCap": "1", "upperCap": "2"}),
            "1",
            json!({}),
        ),
        "markets[0].initialMarginModel.openInterest",
        "required",
    );
    has_error(
        &perp_request(
            json!({"type": "volatility", "floor": "0.01", "series": "100\n-5\n101"}),
            "1",
            json!({}),
        ),
        "markets[0].initialMarginModel.series",
        "not_positive",
    );
    // Isolated books are liquidated position by position.
    let iso = json!({
        "account": {"walletBalance": "1000", "marginMode": "isolated", "bookLiquidation": true},
        "markets": [{"symbol": "P", "markPrice": "100", "margin": {"type": "fixed", "maintenanceMarginRate": "0.01"}}],
        "positions": [{"symbol": "P", "side": "long", "size": "1", "entryPrice": "100", "leverage": "10"}]
    });
    has_error(&iso, "account.bookLiquidation", "unsupported");
}
