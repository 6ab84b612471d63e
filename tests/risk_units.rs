#![cfg(not(target_arch = "wasm32"))]
//! Risk units: markets grouped by `underlying`. In portfolio mode the grid runs per unit and
//! the account's margin is the sum over units (OKX: MMR per risk unit, summed; Deribit: per
//! currency pair); book liquidation prices are reported per unit, that unit moving and the
//! others held. Checked against `calculate` on the units' books alone and on books whose
//! prices were moved to each reported root (equity = maintenance margin there).

use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

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

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

/// A leg: (symbol, underlying, option (type, strike) or perpetual, side, size, entry).
#[derive(Clone)]
struct Leg {
    symbol: &'static str,
    underlying: &'static str,
    option: Option<(&'static str, f64)>,
    short: bool,
    size: f64,
    entry: f64,
}

const BTC: f64 = 60_000.0;
const ETH: f64 = 3_000.0;

fn legs() -> Vec<Leg> {
    vec![
        Leg {
            symbol: "BTC-C65",
            underlying: "BTC",
            option: Some(("call", 65_000.0)),
            short: true,
            size: 1.0,
            entry: 1_500.0,
        },
        Leg {
            symbol: "BTC-P55",
            underlying: "BTC",
            option: Some(("put", 55_000.0)),
            short: true,
            size: 1.0,
            entry: 1_200.0,
        },
        Leg {
            symbol: "ETH-C33",
            underlying: "ETH",
            option: Some(("call", 3_300.0)),
            short: true,
            size: 20.0,
            entry: 80.0,
        },
        Leg {
            symbol: "ETH-PERP",
            underlying: "ETH",
            option: None,
            short: false,
            size: 5.0,
            entry: 2_900.0,
        },
    ]
}

/// A request for `legs` with the underlyings at `prices(underlying)`; `name_units` puts each
/// market's `underlying` in the request.
fn request(
    legs: &[Leg],
    prices: &dyn Fn(&str) -> f64,
    name_units: bool,
    account: Value,
    extra: Value,
) -> Value {
    let mut markets = Vec::new();
    let mut positions = Vec::new();
    for l in legs {
        let s = prices(l.underlying);
        let mut m = match l.option {
            Some((kind, strike)) => json!({
                "symbol": l.symbol, "kind": "option", "optionType": kind,
                "strike": strike.to_string(), "expiry": "2025-06-27T08:00:00Z",
                "underlyingPrice": s.to_string(), "impliedVolatility": "0.6",
                "margin": {"type": "standardOption", "initialRate": "0.15",
                           "initialFloorRate": "0.1", "maintenanceRate": "0.075"}
            }),
            None => json!({"symbol": l.symbol, "markPrice": s.to_string(),
                           "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}),
        };
        if name_units {
            m["underlying"] = json!(l.underlying);
        }
        markets.push(m);
        let mut p = json!({"symbol": l.symbol, "side": if l.short { "short" } else { "long" },
                           "size": l.size.to_string(), "entryPrice": l.entry.to_string()});
        if l.option.is_none() {
            p["leverage"] = json!("10");
        }
        positions.push(p);
    }
    let mut acc = json!({"walletBalance": "60000"});
    if let Value::Object(a) = account {
        for (k, v) in a {
            acc[k] = v;
        }
    }
    let mut r = json!({"account": acc, "valuationTime": "2025-06-01T08:00:00Z",
                       "markets": markets, "positions": positions});
    if let Value::Object(e) = extra {
        for (k, v) in e {
            r[k] = v;
        }
    }
    r
}

fn today(u: &str) -> f64 {
    if u == "BTC" {
        BTC
    } else {
        ETH
    }
}

fn portfolio() -> Value {
    json!({"marginMode": "portfolio", "portfolioMargin": {"grid": "paradex"}})
}

#[test]
fn portfolio_margin_is_the_sum_over_risk_units() {
    let all = legs();
    let r = run(&request(&all, &today, true, portfolio(), json!({})));
    let pm = &r["account"]["portfolioMargin"];
    let units = pm["riskUnits"]
        .as_array()
        .expect("riskUnits with two underlyings");
    assert_eq!(units.len(), 2);
    let mut im = Decimal::ZERO;
    let mut mm = Decimal::ZERO;
    let mut largest = (f64::MIN, String::new());
    for u in units {
        let name = u["underlying"].as_str().unwrap();
        let alone: Vec<Leg> = all
            .iter()
            .filter(|l| l.underlying == name)
            .cloned()
            .collect();
        // The unit's book alone, as one unit (no underlying named): same grid, same figures.
        let a = run(&request(&alone, &today, false, portfolio(), json!({})));
        assert_eq!(
            u["initialMargin"], a["account"]["initialMargin"],
            "{name} IM"
        );
        assert_eq!(
            u["maintenanceMargin"], a["account"]["portfolioMargin"]["maintenanceMargin"],
            "{name} MM"
        );
        assert_eq!(u["dominant"], a["account"]["portfolioMargin"]["dominant"]);
        assert_eq!(num(&u["referencePrice"]), today(name));
        let symbols: Vec<&str> = alone.iter().map(|l| l.symbol).collect();
        assert_eq!(u["symbols"], json!(symbols));
        im += dec(&u["initialMargin"]);
        mm += dec(&u["maintenanceMargin"]);
        if num(&u["requirement"]) > largest.0 {
            largest = (num(&u["requirement"]), name.to_string());
        }
    }
    assert_eq!(dec(&r["account"]["initialMargin"]), im);
    assert_eq!(dec(&r["account"]["maintenanceMargin"]), mm);
    assert!(
        pm["dominant"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}: ", largest.1)),
        "{}",
        pm["dominant"]
    );
    assert_eq!(num(&pm["referencePrice"]), today(&largest.1));
}

#[test]
fn one_named_unit_is_the_whole_book() {
    let btc: Vec<Leg> = legs()
        .into_iter()
        .filter(|l| l.underlying == "BTC")
        .collect();
    let named = run(&request(&btc, &today, true, portfolio(), json!({})));
    let plain = run(&request(&btc, &today, false, portfolio(), json!({})));
    assert_eq!(named["account"], plain["account"]);
    assert!(named["account"]["portfolioMargin"]
        .get("riskUnits")
        .is_none());
    assert!(named["account"]["bookLiquidation"]
        .get("byRiskUnit")
        .is_none());
}

/// Equity − MM of the whole book with `unit`'s underlying at `price` (the other unit at today's
/// price), through `calculate`.
fn surplus_at(unit: &str, price: f64, account: &Value) -> (f64, f64) {
    let at = |u: &str| if u == unit { price } else { today(u) };
    let r = run(&request(&legs(), &at, true, account.clone(), json!({})));
    (
        num(&r["account"]["equity"]),
        num(&r["account"]["maintenanceMargin"]),
    )
}

#[track_caller]
fn check_unit_roots(r: &Value, account: &Value) {
    let by_unit = r["account"]["bookLiquidation"]["byRiskUnit"]
        .as_array()
        .expect("byRiskUnit with two underlyings");
    assert_eq!(by_unit.len(), 2);
    let mut roots = 0;
    for u in by_unit {
        let name = u["underlying"].as_str().unwrap();
        assert_eq!(num(&u["referencePrice"]), today(name));
        for p in u["prices"].as_array().unwrap() {
            let price = num(&p["price"]);
            let (equity, mm) = surplus_at(name, price, account);
            assert!(
                (equity - mm).abs() <= 1e-6 * mm.abs().max(1.0),
                "{name} root {price}: equity {equity} vs MM {mm}"
            );
            roots += 1;
        }
    }
    assert!(roots >= 2, "expected roots on both units: {by_unit:?}");
}

#[test]
fn portfolio_book_liquidation_per_unit_puts_equity_on_maintenance_margin() {
    let account = portfolio();
    let r = run(&request(&legs(), &today, true, account.clone(), json!({})));
    check_unit_roots(&r, &account);
}

#[test]
fn standard_book_liquidation_per_unit_puts_equity_on_maintenance_margin() {
    let account = json!({});
    let r = run(&request(
        &legs(),
        &today,
        true,
        account.clone(),
        json!({"volatility": "0.7", "horizonDays": "2"}),
    ));
    check_unit_roots(&r, &account);
    // Each unit's roots get their distance in σ with the request's volatility.
    let u = &r["account"]["bookLiquidation"]["byRiskUnit"][0];
    assert_eq!(num(&u["volatility"]), 0.7);
    let p = &u["prices"][0];
    let expected = (num(&p["price"]) / today(u["underlying"].as_str().unwrap())).ln()
        / (0.7 * (2.0f64 / 365.0).sqrt());
    assert!((num(&p["distanceSigmas"]) - expected).abs() < 1e-9);
}

#[test]
fn stress_and_what_if_sum_over_units() {
    // Stress: every price × 0.9; maintenance margin = calculate on the shocked book.
    let r = run(&request(
        &legs(),
        &today,
        true,
        portfolio(),
        json!({"stress": [{"name": "down 10%", "priceMovePercent": "-10"}]}),
    ));
    let shocked = run(&request(
        &legs(),
        &|u| today(u) * 0.9,
        true,
        portfolio(),
        json!({}),
    ));
    let s = &r["stress"]["scenarios"][0];
    let expected = num(&shocked["account"]["maintenanceMargin"]);
    assert!(
        (num(&s["maintenanceMargin"]) - expected).abs() <= 1e-8 * expected,
        "{s} vs {expected}"
    );

    // What-if: buying 1 ETH perpetual more = calculate on the book with 6.
    let r = run(&request(
        &legs(),
        &today,
        true,
        portfolio(),
        json!({"orders": [{"symbol": "ETH-PERP", "side": "buy", "size": "1", "price": "3000"}]}),
    ));
    let mut more = legs();
    more[3].size = 6.0;
    more[3].entry = (5.0 * 2_900.0 + 3_000.0) / 6.0;
    let filled = run(&request(&more, &today, true, portfolio(), json!({})));
    let w = &r["orders"]["orders"][0]["ifFilled"];
    assert_eq!(w["initialMargin"], filled["account"]["initialMargin"]);
    assert_eq!(
        w["maintenanceMargin"],
        filled["account"]["maintenanceMargin"]
    );
}

#[test]
fn underlyings_differing_only_in_case_are_one_unit() {
    let mut lower = request(&legs(), &today, true, portfolio(), json!({}));
    for m in lower["markets"].as_array_mut().expect("markets") {
        let u = m["underlying"].as_str().expect("named").to_lowercase();
        m["underlying"] = json!(u);
    }
    // "btc"/"eth" for every market but the first, which keeps "BTC".
    lower["markets"][0]["underlying"] = json!("BTC");
    let upper = run(&request(&legs(), &today, true, portfolio(), json!({})));
    let lower = run(&lower);
    assert_eq!(lower["account"], upper["account"]);
    let units = upper["account"]["portfolioMargin"]["riskUnits"]
        .as_array()
        .expect("two units");
    assert_eq!(units.len(), 2);
}

#[test]
fn span_scan_range_is_refused_for_several_risk_units() {
    let span = json!({"marginMode": "portfolio", "portfolioMargin":
        {"grid": "span16", "priceScanRange": "6000", "volScanRange": "0.05"}});
    let out: Value = serde_json::from_str(&imr::calculate_json(
        &request(&legs(), &today, true, span.clone(), json!({})).to_string(),
    ))
    .expect("JSON out");
    assert_eq!(out["ok"], false, "{out}");
    assert_eq!(
        out["errors"][0]["field"], "account.portfolioMargin.grid",
        "{out}"
    );
    assert_eq!(out["errors"][0]["code"], "unsupported", "{out}");
    let message = out["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("BTC") && message.contains("ETH"),
        "{message}"
    );
    // One unit (BTC alone) is margined by the same grid.
    let btc: Vec<Leg> = legs()
        .into_iter()
        .filter(|l| l.underlying == "BTC")
        .collect();
    let r = run(&request(&btc, &today, true, span, json!({})));
    assert!(num(&r["account"]["initialMargin"]) > 0.0, "{r}");
}
