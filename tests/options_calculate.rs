//! Options inside `calculate`: the standard option margin of every option preset recomputed
//! here from the published formula (margin-models.md §4) and the preset's own parameters, in
//! both the linear (USD) and inverse (coin) forms; a published worked example (OKX); premiums
//! against the pricing module; a mixed book of futures and options whose every reported book
//! liquidation price is checked to put equity on maintenance margin; margin monotone in
//! volatility; and refusals (expired options, bad option inputs) naming their field.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

const VALUATION: &str = "2025-06-01T08:00:00Z";
const EXPIRY: &str = "2025-06-27T08:00:00Z";

fn d(v: &Value) -> Decimal {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("expected a decimal, got {other}"),
    };
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .unwrap_or_else(|_| panic!("not a decimal: {s}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn run_raw(request: &Value) -> Value {
    serde_json::from_str(&imr::calculate_json(&request.to_string())).expect("JSON out")
}

fn run(request: &Value) -> Value {
    let out = run_raw(request);
    assert_eq!(out["ok"], true, "request {request} failed: {out}");
    out["result"].clone()
}

/// The (field, code) pairs of a refused request.
fn errors(request: &Value) -> Vec<(String, String)> {
    let out = run_raw(request);
    assert_eq!(out["ok"], false, "request {request} should fail: {out}");
    out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_close(what: &str, actual: Decimal, expected: Decimal, tol: Decimal) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, expected {expected} (tolerance {tol})"
    );
}

/// Standard option rule parameters as a preset publishes them.
#[derive(Debug, Clone)]
struct Params {
    a: Decimal,
    b: Decimal,
    c: Decimal,
    c_itm: Option<Decimal>,
    factor: Decimal,
    premium_multiplier: Decimal,
    liquidation_fee: Decimal,
    at_least_entry: bool,
}

fn params(margin: &Value) -> Params {
    let opt = |k: &str, default: &str| {
        margin
            .get(k)
            .filter(|v| !v.is_null())
            .map_or_else(|| dec(default), d)
    };
    Params {
        a: d(&margin["initialRate"]),
        b: d(&margin["initialFloorRate"]),
        c: d(&margin["maintenanceRate"]),
        c_itm: margin
            .get("maintenanceItmRate")
            .filter(|v| !v.is_null())
            .map(d),
        factor: opt("marginFactor", "1"),
        premium_multiplier: opt("maintenancePremiumMultiplier", "1"),
        liquidation_fee: opt("liquidationFeeRate", "0"),
        at_least_entry: margin["premiumAtLeastEntry"] == true,
    }
}

struct Case {
    call: bool,
    long: bool,
    underlying: Decimal,
    strike: Decimal,
    mark: Decimal,
    entry: Decimal,
    inverse: bool,
    quantity: Decimal,
}

/// Position IM and MM from the published standard option formula (margin-models.md §4), per
/// unit then times `Q`:
/// short `IM = max(MF·max(a·S − OTM, b·S) + mark, MM)`, `MM = MF·max(c·S, c·mark) + p·mark + f·S`
/// (Paradex form `MF·max(c'·S − OTM, c·S) + p·mark + f·S`); inverse: the same divided by `S`,
/// i.e. `max(a − OTM/S, b) + mark_coin` and `max(c, c·mark_coin) + mark_coin`; long:
/// `IM = MM = mark`.
fn formula(p: &Params, x: &Case) -> (Decimal, Decimal) {
    if x.long {
        return (x.quantity * x.mark, x.quantity * x.mark);
    }
    let otm_usd = if x.call {
        (x.strike - x.underlying).max(Decimal::ZERO)
    } else {
        (x.underlying - x.strike).max(Decimal::ZERO)
    };
    let (u, otm) = if x.inverse {
        (Decimal::ONE, otm_usd / x.underlying)
    } else {
        (x.underlying, otm_usd)
    };
    let mm_base = match p.c_itm {
        Some(ci) => (ci * u - otm).max(p.c * u),
        None => (p.c * u).max(p.c * x.mark),
    };
    let mm = p.factor * mm_base + p.premium_multiplier * x.mark + p.liquidation_fee * u;
    let premium = if p.at_least_entry {
        x.mark.max(x.entry)
    } else {
        x.mark
    };
    let im = (p.factor * (p.a * u - otm).max(p.b * u) + premium).max(mm);
    (x.quantity * im, x.quantity * mm)
}

fn option_presets() -> Vec<(String, Value)> {
    imr::list_presets()
        .iter()
        .filter(|p| p.market.kind.as_deref() == Some("option"))
        .map(|p| {
            (
                p.name.clone(),
                serde_json::to_value(&p.market.margin).expect("margin serialises"),
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)] // one request, every field named at the call site
fn option_request(
    preset: &str,
    settlement: &str,
    call: bool,
    strike: &str,
    underlying: &str,
    mark: &str,
    side: &str,
    entry: &str,
) -> Value {
    json!({
        "account": {"walletBalance": "1000000"},
        "valuationTime": VALUATION,
        "markets": [{"preset": preset, "symbol": "OPT", "settlement": settlement,
                     "contractSize": "0.1",
                     "optionType": if call { "call" } else { "put" }, "strike": strike,
                     "expiry": EXPIRY, "underlyingPrice": underlying, "markPrice": mark}],
        "positions": [{"symbol": "OPT", "side": side, "size": "3", "entryPrice": entry}]
    })
}

/// Every option preset, linear and inverse: a short call (out of the money), a short put (out
/// of the money), a deep in-the-money short put whose maintenance floor `c·mark` binds, and a
/// long option, each recomputed from the formula with the preset's parameters.
#[test]
fn every_option_preset_matches_the_published_formula() {
    let presets = option_presets();
    assert!(presets.len() >= 7, "option presets: {presets:?}");
    let tol = dec("0.0000000001");
    for (name, margin) in &presets {
        let p = params(margin);
        for inverse in [false, true] {
            let settlement = if inverse { "inverse" } else { "linear" };
            // (call, long, strike, mark in USD)
            let cases = [
                (true, false, "63000", "1200"),
                (false, false, "58000", "900"),
                (false, false, "150000", "90010"),
                (true, true, "63000", "1200"),
                (false, true, "58000", "900"),
            ];
            for (call, long, strike, mark_usd) in cases {
                let s = dec("60000");
                // Inverse premiums are quoted in coin: USD / S, given to 12 places.
                let mark = if inverse {
                    (dec(mark_usd) / s).round_dp(12)
                } else {
                    dec(mark_usd)
                };
                // Shorts entered above the mark (exercises Bybit's max(entry, mark)), longs below.
                let entry = mark * if long { dec("0.9") } else { dec("1.1") };
                let req = option_request(
                    name,
                    settlement,
                    call,
                    strike,
                    "60000",
                    &mark.to_string(),
                    if long { "long" } else { "short" },
                    &entry.to_string(),
                );
                let r = run(&req);
                let pos = &r["positions"][0];
                let case = Case {
                    call,
                    long,
                    underlying: s,
                    strike: dec(strike),
                    mark,
                    entry,
                    inverse,
                    quantity: dec("0.3"),
                };
                let (im, mm) = formula(&p, &case);
                let what = format!("{name} {settlement} call={call} long={long} K={strike}");
                assert_close(&format!("{what} IM"), d(&pos["initialMargin"]), im, tol);
                assert_close(&format!("{what} MM"), d(&pos["maintenanceMargin"]), mm, tol);
                let pnl = if long { dec("0.3") } else { dec("-0.3") } * (mark - entry);
                assert_close(&format!("{what} PnL"), d(&pos["unrealizedPnl"]), pnl, tol);
                assert_close(
                    &format!("{what} account IM"),
                    d(&r["account"]["initialMargin"]),
                    im,
                    tol,
                );
                if strike == "150000" && p.c_itm.is_none() {
                    // The put's floor binds: c·mark > c·S (mark above one unit of underlying).
                    let unit_mm = mm / dec("0.3");
                    assert!(
                        unit_mm > p.factor * p.c * if inverse { Decimal::ONE } else { s } + mark
                    );
                }
            }
        }
    }
}

/// Deribit's coin formula with literal numbers: S = 60000, K = 63000, mark 0.02 BTC:
/// IM = max(0.15 − 3000/60000, 0.1) + 0.02 = 0.12 BTC; MM = 0.075 + 0.02 = 0.095 BTC per BTC.
#[test]
fn deribit_short_call_in_coin_literal() {
    let mut req = option_request(
        "deribit-btc-option",
        "inverse",
        true,
        "63000",
        "60000",
        "0.02",
        "short",
        "0.02",
    );
    req["markets"][0]["contractSize"] = json!("1");
    req["positions"][0]["size"] = json!("1");
    let pos = &run(&req)["positions"][0];
    assert_eq!(d(&pos["initialMargin"]), dec("0.12"));
    assert_eq!(d(&pos["maintenanceMargin"]), dec("0.095"));
    assert_eq!(pos["settlement"], "inverse");
}

/// OKX help "Option Margin" worked example (single-currency margin, tier-2 margin factor 1.02):
/// selling a BTCUSD call $100 out of the money, forward 5900, mark 0.0575 BTC, multiplier 0.1:
/// position margin `[max(0.1, 0.15 − 100/5900) × 1.02 + 0.0575] × 0.1 = 0.01932 BTC`.
#[test]
fn okx_published_example() {
    let req = json!({
        "account": {"walletBalance": "10"},
        "valuationTime": VALUATION,
        "markets": [{"preset": "okx-btc-usd-option", "symbol": "BTC-USD-C", "contractSize": "0.1",
                     "optionType": "call", "strike": "6000", "expiry": EXPIRY,
                     "underlyingPrice": "5900", "markPrice": "0.0575",
                     "margin": {"type": "standardOption", "initialRate": "0.15",
                                "initialFloorRate": "0.1", "maintenanceRate": "0.03",
                                "marginFactor": "1.02"}}],
        "positions": [{"symbol": "BTC-USD-C", "side": "short", "size": "1", "entryPrice": "0.0575"}]
    });
    let pos = &run(&req)["positions"][0];
    let exact =
        ((dec("0.15") - dec("100") / dec("5900")) * dec("1.02") + dec("0.0575")) * dec("0.1");
    assert_close(
        "OKX IM",
        d(&pos["initialMargin"]),
        exact,
        dec("0.0000000001"),
    );
    assert_eq!(d(&pos["initialMargin"]).round_dp(5), dec("0.01932"));
    // MM (short call) = (c·MF + mark)·0.1 = (0.03·1.02 + 0.0575)·0.1.
    assert_close(
        "OKX MM",
        d(&pos["maintenanceMargin"]),
        (dec("0.03") * dec("1.02") + dec("0.0575")) * dec("0.1"),
        dec("0.0000000001"),
    );
}

/// With a volatility, the mark is the Black-76 premium (r = 0) at T = 26 days / 365; inverse:
/// divided by the forward. Greeks are the pricing module's, times side × Q for the position.
#[test]
fn premium_and_greeks_from_volatility() {
    let t = 26.0 / 365.0;
    for (settlement, call) in [
        ("linear", true),
        ("linear", false),
        ("inverse", true),
        ("inverse", false),
    ] {
        let req = json!({
            "account": {"walletBalance": "1000000"},
            "valuationTime": VALUATION,
            "markets": [{"preset": "deribit-btc-option", "symbol": "O", "settlement": settlement,
                         "optionType": if call { "call" } else { "put" }, "strike": "70000",
                         "expiry": EXPIRY, "underlyingPrice": "65000", "impliedVolatility": "0.6"}],
            "positions": [{"symbol": "O", "side": "short", "size": "2", "entryPrice": "0.01"}]
        });
        let r = run(&req);
        let o = &r["positions"][0]["option"];
        let kind = if call {
            imr::pricing::OptionKind::Call
        } else {
            imr::pricing::OptionKind::Put
        };
        let g = imr::pricing::black76(kind, 65000.0, 70000.0, t, 0.0, 0.6).unwrap();
        let expected = if settlement == "inverse" {
            g.price / 65000.0
        } else {
            g.price
        };
        let mark: f64 = o["markPremium"].as_str().unwrap().parse().unwrap();
        assert!(
            (mark - expected).abs() <= 1e-11 * expected.max(1.0),
            "{settlement} {call}: {mark} vs {expected}"
        );
        assert_eq!(o["timeToExpiryYears"].as_f64().unwrap(), t);
        assert_eq!(o["volatilitySource"], "given");
        let delta = o["greeks"]["delta"].as_f64().unwrap();
        assert!((delta - g.delta).abs() < 1e-15);
        assert!((o["positionGreeks"]["vega"].as_f64().unwrap() + 2.0 * g.vega).abs() < 1e-9);
        assert!((o["greeks"]["theta"].as_f64().unwrap() - g.theta).abs() < 1e-9);
        if settlement == "inverse" {
            let pa = o["deltaPremiumAdjusted"].as_f64().unwrap();
            assert!((pa - (g.delta - g.price / 65000.0)).abs() < 1e-12);
        }
    }
}

/// A given mark is kept exactly and its volatility implied: pricing at that volatility gives the
/// mark back.
#[test]
fn volatility_implied_from_mark() {
    let req = option_request(
        "bybit-btc-usdc-option",
        "linear",
        false,
        "58000",
        "60000",
        "900",
        "short",
        "900",
    );
    let o = run(&req)["positions"][0]["option"].clone();
    assert_eq!(o["volatilitySource"], "impliedFromMark");
    assert_eq!(d(&o["markPremium"]), dec("900"));
    let vol = o["volatility"].as_f64().unwrap();
    let p = imr::pricing::black76_price(
        imr::pricing::OptionKind::Put,
        60000.0,
        58000.0,
        26.0 / 365.0,
        0.0,
        vol,
    )
    .unwrap();
    assert!((p - 900.0).abs() < 1e-8, "{p}");
}

/// A mixed book: a short strangle on BTC, a long perpetual and a short dated future.
fn mixed_book() -> Value {
    json!({
        "account": {"walletBalance": "30000"},
        "valuationTime": VALUATION,
        "markets": [
            {"preset": "deribit-btc-option", "symbol": "C70", "settlement": "linear",
             "optionType": "call", "strike": "70000", "expiry": EXPIRY,
             "underlyingPrice": "65000", "impliedVolatility": "0.55"},
            {"preset": "deribit-btc-option", "symbol": "P60", "settlement": "linear",
             "optionType": "put", "strike": "60000", "expiry": EXPIRY,
             "underlyingPrice": "65000", "markPrice": "1500"},
            {"symbol": "BTC-PERP", "markPrice": "65000",
             "margin": {"type": "tiered", "tiers": [
                 {"notionalFloor": "0", "notionalCap": "50000", "maintenanceMarginRate": "0.004", "maxLeverage": "125"},
                 {"notionalFloor": "50000", "maintenanceMarginRate": "0.005", "maxLeverage": "100"}]}},
            {"symbol": "BTC-FUT", "kind": "future", "markPrice": "65300",
             "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}
        ],
        "positions": [
            {"symbol": "C70", "side": "short", "size": "1", "entryPrice": "2100"},
            {"symbol": "P60", "side": "short", "size": "1.5", "entryPrice": "1400"},
            {"symbol": "BTC-PERP", "side": "long", "size": "0.4", "entryPrice": "64000", "leverage": "20"},
            {"symbol": "BTC-FUT", "side": "short", "size": "0.1", "entryPrice": "66000", "leverage": "10"}
        ]
    })
}

#[test]
fn mixed_book_totals_include_options() {
    let r = run(&mixed_book());
    let positions = r["positions"].as_array().unwrap();
    let sum = |k: &str| positions.iter().map(|p| d(&p[k])).sum::<Decimal>();
    let acc = &r["account"];
    let tol = dec("0.00000001");
    assert_close(
        "IM total",
        d(&acc["initialMargin"]),
        sum("initialMargin"),
        tol,
    );
    assert_close(
        "MM total",
        d(&acc["maintenanceMargin"]),
        sum("maintenanceMargin"),
        tol,
    );
    assert_close(
        "PnL total",
        d(&acc["unrealizedPnl"]),
        sum("unrealizedPnl"),
        tol,
    );
    assert_close(
        "equity",
        d(&acc["equity"]),
        d(&acc["walletBalance"]) + d(&acc["unrealizedPnl"]),
        tol,
    );
    // Option positions carry their valuation; futures do not.
    assert!(positions[0]["option"].is_object() && positions[1]["option"].is_object());
    assert!(positions[2].get("option").is_none() && positions[3].get("option").is_none());
    // Futures keep their per-position closed form; options defer to the book.
    assert_eq!(positions[2]["liquidation"]["method"], "closedForm");
    assert_eq!(positions[0]["liquidation"]["method"], "bookRootSearch");
    let book = &acc["bookLiquidation"];
    assert_eq!(book["alreadyLiquidatable"], false);
    assert!(!book["prices"].as_array().unwrap().is_empty(), "{book}");
}

#[test]
fn futures_only_books_are_unchanged_in_shape() {
    let mut req = mixed_book();
    req["markets"] = json!([req["markets"][2].clone(), req["markets"][3].clone()]);
    req["positions"] = json!([req["positions"][2].clone(), req["positions"][3].clone()]);
    req.as_object_mut().unwrap().remove("valuationTime");
    let r = run(&req);
    assert!(r["account"].get("bookLiquidation").is_none());
    assert!(r["positions"][0].get("option").is_none());
    assert_eq!(r["positions"][0]["liquidation"]["method"], "closedForm");
}

/// The book revalued at underlying `price`: every market moved by `price / reference`, every
/// option at the volatility the engine reports (held), futures' marks scaled alike.
fn book_at(req: &Value, result: &Value, reference: Decimal, price: Decimal) -> Value {
    let mut req = req.clone();
    let factor = price / reference;
    let markets = req["markets"].as_array_mut().unwrap();
    for m in markets.iter_mut() {
        let symbol = m["symbol"].as_str().unwrap().to_string();
        let pos = result["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["symbol"] == symbol)
            .unwrap();
        if m["kind"] == "option" || m.get("optionType").is_some() {
            let o = &pos["option"];
            m["underlyingPrice"] = json!((d(&o["underlyingPrice"]) * factor).to_string());
            m["impliedVolatility"] = json!(o["volatility"].as_f64().unwrap());
            m.as_object_mut().unwrap().remove("markPrice");
        } else {
            m["markPrice"] = json!((d(&m["markPrice"]) * factor).to_string());
        }
    }
    req
}

fn check_roots(req: &Value, expect_roots: usize) {
    let r = run(req);
    let book = &r["account"]["bookLiquidation"];
    let reference = d(&book["referencePrice"]);
    let prices = book["prices"].as_array().unwrap();
    assert_eq!(prices.len(), expect_roots, "{book}");
    for p in prices {
        let lp = d(&p["price"]);
        let at = run(&book_at(req, &r, reference, lp));
        let equity = d(&at["account"]["equity"]);
        let mm = d(&at["account"]["maintenanceMargin"]);
        let scale = d(&at["account"]["grossNotional"]).max(Decimal::ONE);
        assert!(
            (equity - mm).abs() <= scale * dec("0.000000001"),
            "at {lp}: equity {equity} vs MM {mm}"
        );
        let dist = (lp - reference).abs() / reference * dec("100");
        assert_close("distance", d(&p["distancePercent"]), dist, dec("0.0000001"));
        assert_eq!(
            p["direction"],
            if lp < reference { "below" } else { "above" }
        );
    }
}

/// At each reported book liquidation price, the book revalued there has equity = MM.
#[test]
fn book_liquidation_prices_put_equity_on_maintenance() {
    check_roots(&mixed_book(), 2);
    // Inverse: a coin-settled short put with a coin wallet.
    let req = json!({
        "account": {"walletBalance": "0.5"},
        "valuationTime": VALUATION,
        "markets": [{"preset": "deribit-btc-option", "symbol": "P", "optionType": "put",
                     "strike": "60000", "expiry": EXPIRY, "underlyingPrice": "65000",
                     "impliedVolatility": "0.7"}],
        "positions": [{"symbol": "P", "side": "short", "size": "2", "entryPrice": "0.02"}]
    });
    let r = run(&req);
    let n = r["account"]["bookLiquidation"]["prices"]
        .as_array()
        .unwrap()
        .len();
    assert!(n >= 1, "{}", r["account"]["bookLiquidation"]);
    check_roots(&req, n);
}

/// A long option bought with cash is never liquidated: no root.
#[test]
fn long_option_alone_has_no_liquidation() {
    let req = json!({
        "account": {"walletBalance": "3000"},
        "valuationTime": VALUATION,
        "markets": [{"preset": "bybit-btc-usdc-option", "symbol": "C", "optionType": "call",
                     "strike": "70000", "expiry": EXPIRY, "underlyingPrice": "65000",
                     "impliedVolatility": "0.6"}],
        "positions": [{"symbol": "C", "side": "long", "size": "1", "entryPrice": "2500"}]
    });
    let r = run(&req);
    let book = &r["account"]["bookLiquidation"];
    assert!(book["prices"].as_array().unwrap().is_empty(), "{book}");
    assert_eq!(book["below"], Value::Null);
    let pos = &r["positions"][0];
    assert_eq!(pos["initialMargin"], pos["maintenanceMargin"]);
}

#[test]
fn expired_options_are_refused() {
    for expiry in [
        "2025-06-01T08:00:00Z",
        "2025-05-31T08:00:00Z",
        "2025-06-01T08:00:59Z",
    ] {
        let mut req = option_request(
            "deribit-btc-option",
            "inverse",
            true,
            "70000",
            "65000",
            "0.01",
            "short",
            "0.01",
        );
        req["markets"][0]["expiry"] = json!(expiry);
        let e = errors(&req);
        assert_eq!(
            e,
            vec![("markets[0].expiry".to_string(), "expired".to_string())],
            "{expiry}"
        );
    }
    // One minute before expiry is still valued.
    let mut req = option_request(
        "deribit-btc-option",
        "inverse",
        true,
        "70000",
        "65000",
        "0.01",
        "short",
        "0.01",
    );
    req["valuationTime"] = json!("2025-06-27T07:59:00Z");
    req["markets"][0]
        .as_object_mut()
        .unwrap()
        .remove("markPrice");
    req["markets"][0]["impliedVolatility"] = json!("0.5");
    let r = run(&req);
    assert_eq!(
        r["positions"][0]["option"]["timeToExpiryYears"]
            .as_f64()
            .unwrap(),
        1.0 / 525_600.0
    );
}

/// An option worth more than 1e18 at its strike (USD, or coin when coin-settled) is refused on
/// the position's size, as a future's notional is, instead of overflowing the account's sums:
/// the first case is the request the `calculate_options` fuzz target found (a short
/// coin-settled put at S = 1e-12 whose P&L and margin were each in range, but not the
/// available balance, their difference: a panic natively, a trap in wasm).
#[test]
fn options_worth_more_than_the_engine_can_sum_are_refused_on_their_size() {
    let fuzzed = json!({
        "account": {"marginMode": "cross", "walletBalance": "0"},
        "valuationTime": VALUATION,
        "markets": [{"preset": "deribit-btc-option", "symbol": "M0", "underlying": "BTC",
                     "optionType": "put", "strike": "55000", "expiry": EXPIRY,
                     "underlyingPrice": "1e-12", "impliedVolatility": "0.999999"}],
        "positions": [{"symbol": "M0", "side": "short", "size": "999999999999", "entryPrice": "3e-7"}]
    });
    // The one error of a refused request: (field, code, message).
    let refusal = |request: &Value| {
        let out = run_raw(request);
        assert_eq!(out["ok"], false, "{out}");
        let errors = out["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{out}");
        let text = |key: &str| errors[0][key].as_str().unwrap().to_string();
        (text("field"), text("code"), text("message"))
    };
    assert_eq!(
        refusal(&fuzzed),
        (
            "positions[0].size".into(),
            "too_large".into(),
            "value at the strike in coin is absurdly large (limit 1e18)".into()
        )
    );

    // Linear (USD): Q·K = 1e12 · 1e7 = 1e19.
    let mut linear = base_option();
    linear["markets"][0]["strike"] = json!("10000000");
    linear["markets"][0]["underlyingPrice"] = json!("1");
    linear["positions"][0]["size"] = json!("1000000000000");
    assert_eq!(
        errors(&linear),
        vec![("positions[0].size".to_string(), "too_large".to_string())]
    );
    // The same through an order (options take orders in portfolio mode) on a position in range.
    let mut order = base_option();
    order["account"]["marginMode"] = json!("portfolio");
    order["account"]["portfolioMargin"] =
        json!({"grid": "paradex", "priceScanRange": "0.15", "volScanRange": "0.1"});
    order["markets"][0]["strike"] = json!("10000000");
    order["markets"][0]["underlyingPrice"] = json!("1");
    order["orders"] =
        json!([{"symbol": "O", "side": "sell", "size": "1000000000000", "price": "1"}]);
    assert_eq!(
        refusal(&order),
        (
            "orders[0].size".into(),
            "too_large".into(),
            "value at the strike is absurdly large (limit 1e18)".into()
        )
    );

    // Within the bound, the same shapes are valued: Q·K/S = 1e12 coin.
    let mut within = fuzzed.clone();
    within["markets"][0]["underlyingPrice"] = json!("1");
    within["markets"][0]["strike"] = json!("1000000000000");
    within["positions"][0]["size"] = json!("1");
    within["account"]["walletBalance"] = json!("1000000000000");
    let r = run(&within);
    assert!(d(&r["positions"][0]["option"]["markPremium"]) > dec("900000000000"));
}

fn base_option() -> Value {
    json!({
        "account": {"walletBalance": "100000"},
        "valuationTime": VALUATION,
        "markets": [{"preset": "deribit-btc-option", "symbol": "O", "settlement": "linear",
                     "optionType": "call", "strike": "70000", "expiry": EXPIRY,
                     "underlyingPrice": "65000", "impliedVolatility": "0.6"}],
        "positions": [{"symbol": "O", "side": "short", "size": "1", "entryPrice": "2000"}]
    })
}

#[test]
fn bad_option_inputs_name_their_field() {
    let set = |pointer: &str, v: Value| {
        let mut r = base_option();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        r.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap()
            .insert(key.to_string(), v);
        r
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            set("/markets/0/strike", json!("-70000")),
            "markets[0].strike",
            "not_positive",
        ),
        (
            set("/markets/0/strike", json!("0")),
            "markets[0].strike",
            "not_positive",
        ),
        (
            set("/markets/0/impliedVolatility", json!("0")),
            "markets[0].impliedVolatility",
            "not_positive",
        ),
        (
            set("/markets/0/impliedVolatility", json!("NaN")),
            "markets[0].impliedVolatility",
            "not_a_number",
        ),
        (
            set("/markets/0/impliedVolatility", json!(-0.2)),
            "markets[0].impliedVolatility",
            "not_positive",
        ),
        (
            set("/markets/0/impliedVolatility", json!("60")),
            "markets[0].impliedVolatility",
            "out_of_range",
        ),
        (
            set("/markets/0/underlyingPrice", json!("abc")),
            "markets[0].underlyingPrice",
            "not_a_number",
        ),
        (
            set("/markets/0/optionType", json!("straddle")),
            "markets[0].optionType",
            "invalid_choice",
        ),
        (
            set("/markets/0/expiry", json!("2025-06-27")),
            "markets[0].expiry",
            "invalid_timestamp",
        ),
        (
            set("/markets/0/expiry", json!("2025-06-27T08:00:00")),
            "markets[0].expiry",
            "invalid_timestamp",
        ),
        (
            set("/valuationTime", json!("yesterday")),
            "valuationTime",
            "invalid_timestamp",
        ),
        (
            set("/account/marginMode", json!("isolated")),
            "account.marginMode",
            "unsupported",
        ),
    ];
    for (req, field, code) in cases {
        let e = errors(&req);
        assert!(
            e.iter().any(|(f, c)| f == field && c == code),
            "expected {field}/{code}, got {e:?}"
        );
    }
    // Missing pieces.
    let mut r = base_option();
    r.as_object_mut().unwrap().remove("valuationTime");
    assert_eq!(
        errors(&r),
        vec![("valuationTime".into(), "required".into())]
    );
    let mut r = base_option();
    r["markets"][0]
        .as_object_mut()
        .unwrap()
        .remove("impliedVolatility");
    assert_eq!(
        errors(&r),
        vec![("markets[0].impliedVolatility".into(), "required".into())]
    );
    let mut r = base_option();
    r["markets"][0].as_object_mut().unwrap().remove("expiry");
    assert_eq!(
        errors(&r),
        vec![("markets[0].expiry".into(), "required".into())]
    );
    // Both a volatility and a mark: ambiguous.
    let mut r = base_option();
    r["markets"][0]["markPrice"] = json!("2000");
    assert_eq!(
        errors(&r),
        vec![("markets[0].impliedVolatility".into(), "conflict".into())]
    );
    // A mark below intrinsic (call, S 80000, K 70000, mark 5000 < 10000).
    let mut r = base_option();
    r["markets"][0]
        .as_object_mut()
        .unwrap()
        .remove("impliedVolatility");
    r["markets"][0]["underlyingPrice"] = json!("80000");
    r["markets"][0]["markPrice"] = json!("5000");
    assert_eq!(
        errors(&r),
        vec![("markets[0].markPrice".into(), "below_intrinsic".into())]
    );
    // Option fields on a perpetual, and an option rule on a perpetual.
    let r = json!({
        "account": {"walletBalance": "1000"},
        "markets": [{"symbol": "P", "markPrice": "100", "strike": "90",
                     "margin": {"type": "fixed", "maintenanceMarginRate": "0.01"}}],
        "positions": [{"symbol": "P", "side": "long", "size": "1", "entryPrice": "100", "leverage": "2"}]
    });
    assert_eq!(
        errors(&r),
        vec![("markets[0].strike".into(), "not_applicable".into())]
    );
    let r = json!({
        "account": {"walletBalance": "1000"},
        "markets": [{"preset": "deribit-btc-option", "symbol": "P", "kind": "perpetual", "markPrice": "100"}],
        "positions": [{"symbol": "P", "side": "long", "size": "1", "entryPrice": "100", "leverage": "2"}]
    });
    assert_eq!(
        errors(&r),
        vec![("markets[0].margin".into(), "invalid_choice".into())]
    );
    // Orders on options are not supported yet, and say so.
    let mut r = base_option();
    r["orders"] = json!([{"symbol": "O", "side": "sell", "size": "1"}]);
    assert_eq!(
        errors(&r),
        vec![("orders[0].symbol".into(), "unsupported".into())]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Short-option margin never falls as volatility rises (the mark rises with it and every
    /// term of the formula is non-decreasing in the mark).
    #[test]
    fn short_margin_non_decreasing_in_volatility(
        call in any::<bool>(),
        inverse in any::<bool>(),
        strike in 20_000u32..150_000,
        v1 in 5u32..300,
        dv in 1u32..100,
    ) {
        let margin = |vol: f64| {
            let mut req = base_option();
            req["markets"][0]["optionType"] = json!(if call { "call" } else { "put" });
            req["markets"][0]["settlement"] = json!(if inverse { "inverse" } else { "linear" });
            req["markets"][0]["strike"] = json!(strike.to_string());
            req["markets"][0]["impliedVolatility"] = json!(vol);
            req["positions"][0]["entryPrice"] = json!("0.001");
            let pos = run(&req)["positions"][0].clone();
            (d(&pos["initialMargin"]), d(&pos["maintenanceMargin"]))
        };
        let lo = f64::from(v1) / 100.0;
        let hi = lo + f64::from(dv) / 100.0;
        let (im1, mm1) = margin(lo);
        let (im2, mm2) = margin(hi);
        prop_assert!(im2 >= im1, "IM {im1} at {lo} > {im2} at {hi}");
        prop_assert!(mm2 >= mm1, "MM {mm1} at {lo} > {mm2} at {hi}");
    }

    /// No option input makes the engine panic or answer with a plausible-looking number for
    /// nonsense: every request is either computed or refused with named field errors.
    #[test]
    fn option_inputs_never_panic(
        strike in prop_oneof![Just("1e-13".to_string()), Just("1e12".to_string()), (1u64..u64::MAX).prop_map(|x| (x as f64 / 1e6).to_string())],
        underlying in prop_oneof![Just("1e-12".to_string()), Just("999999999999".to_string()), (1u64..u64::MAX).prop_map(|x| (x as f64 / 1e7).to_string())],
        vol in prop_oneof![Just(json!(1e-9)), Just(json!("10")), (1u32..5000).prop_map(|v| json!(f64::from(v) / 1000.0))],
        mark in prop_oneof![Just(None), (1u64..1_000_000_000).prop_map(|x| Some((x as f64 / 1e4).to_string()))],
        expiry in prop_oneof![Just("2025-06-01T08:01Z"), Just("9999-12-31T23:59Z"), Just(EXPIRY)],
        size in prop_oneof![Just("1e12"), Just("0.00000001"), Just("3")],
        inverse in any::<bool>(),
        call in any::<bool>(),
    ) {
        let mut req = base_option();
        let m = &mut req["markets"][0];
        m["strike"] = json!(strike);
        m["underlyingPrice"] = json!(underlying);
        m["expiry"] = json!(expiry);
        m["settlement"] = json!(if inverse { "inverse" } else { "linear" });
        m["optionType"] = json!(if call { "call" } else { "put" });
        match mark {
            Some(p) => {
                m.as_object_mut().unwrap().remove("impliedVolatility");
                m["markPrice"] = json!(p);
            }
            None => m["impliedVolatility"] = vol,
        }
        req["positions"][0]["size"] = json!(size);
        let out = run_raw(&req);
        if out["ok"] == true {
            let acc = &out["result"]["account"];
            prop_assert!(d(&acc["initialMargin"]) >= Decimal::ZERO);
            prop_assert!(d(&acc["maintenanceMargin"]) >= Decimal::ZERO);
        } else {
            let errs = out["errors"].as_array().unwrap();
            prop_assert!(!errs.is_empty());
            for e in errs {
                prop_assert!(e["field"].as_str().is_some_and(|f| !f.is_empty()));
            }
        }
    }
}
