#![cfg(not(target_arch = "wasm32"))]
//! Orders and what-if fills in portfolio mode: each fill re-runs the scenario grid on the filled
//! book. The what-if of an order must equal `calculate` on the book with that fill already in
//! it (the same grid, IM, MM, equity and dominant scenario, reached through request validation
//! rather than through the fill), fills average premiums and realise P&L on the premium, an
//! order beyond the equity is refused, and resting orders hold the larger of "every buy fills"
//! and "every sell fills".

use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn run(request: &Value) -> Value {
    let out: Value = serde_json::from_str(&imr::calculate_json(&request.to_string())).unwrap();
    assert_eq!(out["ok"], true, "request failed: {out}");
    out["result"].clone()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

fn option_market(symbol: &str, kind: &str, strike: &str) -> Value {
    json!({"symbol": symbol, "kind": "option", "optionType": kind, "strike": strike,
           "expiry": "2025-06-27T08:00:00Z", "underlyingPrice": "60000",
           "impliedVolatility": "0.6",
           "margin": {"type": "standardOption", "initialRate": "0.15",
                      "initialFloorRate": "0.1", "maintenanceRate": "0.075"}})
}

fn request(wallet: &str, grid: &str, positions: Vec<Value>, orders: Vec<Value>) -> Value {
    let mut pm = json!({"grid": grid});
    if grid == "span16" {
        pm["priceScanRange"] = json!("6000");
        pm["volScanRange"] = json!("0.1");
    }
    json!({
        "account": {"walletBalance": wallet, "marginMode": "portfolio", "portfolioMargin": pm},
        "valuationTime": "2025-06-01T08:00:00Z",
        "markets": [
            option_market("C65", "call", "65000"),
            option_market("P55", "put", "55000"),
            option_market("P50", "put", "50000"),
            {"symbol": "PERP", "markPrice": "60000",
             "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}
        ],
        "positions": positions,
        "orders": orders,
    })
}

fn strangle() -> Vec<Value> {
    vec![
        json!({"symbol": "C65", "side": "short", "size": "1", "entryPrice": "1500"}),
        json!({"symbol": "P55", "side": "short", "size": "1", "entryPrice": "1200"}),
    ]
}

/// The what-if of `order` against `calculate` on `filled` (the book with the fill as a
/// position).
#[track_caller]
fn assert_what_if_is_the_filled_book(what_if: &Value, base: &Value, filled: &Value) {
    let f = &filled["account"];
    assert_eq!(what_if["initialMargin"], f["initialMargin"], "IM");
    assert_eq!(what_if["maintenanceMargin"], f["maintenanceMargin"], "MM");
    assert_eq!(what_if["equity"], f["equity"], "equity");
    assert_eq!(what_if["marginRatio"], f["marginRatio"], "margin ratio");
    assert_eq!(
        what_if["dominantScenario"], f["portfolioMargin"]["dominant"],
        "dominant scenario"
    );
    assert_eq!(
        dec(&what_if["incrementalInitialMargin"]),
        dec(&f["initialMargin"]) - dec(&base["account"]["initialMargin"]),
        "incremental IM"
    );
    assert_eq!(
        dec(&what_if["availableBalance"]),
        dec(&f["equity"]) - dec(&f["initialMargin"]),
        "available"
    );
}

#[test]
fn buying_a_protective_put_is_the_grid_on_the_filled_book() {
    for grid in ["paradex", "okx", "span16"] {
        let order = json!({"symbol": "P50", "side": "buy", "size": "1", "price": "400"});
        let r = run(&request("20000", grid, strangle(), vec![order]));
        let mut with = strangle();
        with.push(json!({"symbol": "P50", "side": "long", "size": "1", "entryPrice": "400"}));
        let filled = run(&request("20000", grid, with, vec![]));
        let what_if = &r["orders"]["orders"][0]["ifFilled"];
        assert_what_if_is_the_filled_book(what_if, &r, &filled);
        assert_eq!(what_if["allowed"], true);
        assert_eq!(what_if["position"]["side"], "long");
        assert_eq!(what_if["position"]["liquidationPrice"], Value::Null);
        assert_eq!(what_if["liquidationPrices"], json!([]));
        // The filled position's own (standalone) margin: a long option's premium, Q × mark.
        let p50 = &filled["positions"][2];
        assert_eq!(what_if["position"]["initialMargin"], p50["initialMargin"]);
    }
}

#[test]
fn a_perpetual_order_needs_no_leverage_in_portfolio_mode() {
    let order = json!({"symbol": "PERP", "side": "buy", "size": "0.5"});
    let r = run(&request("20000", "paradex", strangle(), vec![order]));
    let mut with = strangle();
    // The grid ignores leverage; the position needs one for its standalone figures.
    with.push(
        json!({"symbol": "PERP", "side": "long", "size": "0.5", "entryPrice": "60000", "leverage": "10"}),
    );
    let filled = run(&request("20000", "paradex", with, vec![]));
    assert_what_if_is_the_filled_book(&r["orders"]["orders"][0]["ifFilled"], &r, &filled);
}

#[test]
fn fills_average_premiums_and_realise_pnl_on_the_premium() {
    // Adding 1 at 1700 to short 1 at 1500: short 2 at 1600.
    let add = json!({"symbol": "C65", "side": "sell", "size": "1", "price": "1700"});
    // Buying back the short call at 1000: realises −1 × 1 × (1000 − 1500) = +500.
    let close = json!({"symbol": "C65", "side": "buy", "size": "1", "price": "1000"});
    let r = run(&request("20000", "paradex", strangle(), vec![add, close]));
    let added = &r["orders"]["orders"][0]["ifFilled"];
    assert_eq!(dec(&added["position"]["size"]), Decimal::from(2));
    assert_eq!(dec(&added["position"]["entryPrice"]), Decimal::from(1600));
    assert_eq!(dec(&added["realizedPnl"]), Decimal::ZERO);

    let closed = &r["orders"]["orders"][1]["ifFilled"];
    assert_eq!(dec(&closed["realizedPnl"]), Decimal::from(500));
    assert_eq!(closed["position"], Value::Null);
    // Equity after = equity before − the call's unrealised PnL + the realised 500.
    let call_upnl = dec(&r["positions"][0]["unrealizedPnl"]);
    assert_eq!(
        dec(&closed["equity"]),
        dec(&r["account"]["equity"]) - call_upnl + Decimal::from(500)
    );
    // And the grid on the book without the call.
    let filled = run(&request(
        "20500",
        "paradex",
        vec![strangle()[1].clone()],
        vec![],
    ));
    assert_what_if_is_the_filled_book(closed, &r, &filled);
}

#[test]
fn an_order_beyond_the_equity_is_refused_and_resting_orders_hold_the_larger_side() {
    let sell = json!({"symbol": "C65", "side": "sell", "size": "10", "price": "1500"});
    let buy = json!({"symbol": "P50", "side": "buy", "size": "1", "price": "400"});
    let r = run(&request(
        "3000",
        "paradex",
        strangle(),
        vec![buy.clone(), sell],
    ));
    let refused = &r["orders"]["orders"][1]["ifFilled"];
    assert!(
        dec(&refused["availableBalance"]) < Decimal::ZERO,
        "{refused}"
    );
    assert!(dec(&refused["incrementalInitialMargin"]) > Decimal::ZERO);
    assert_eq!(refused["allowed"], false);

    // Resting orders: max(IM(book), IM(book + buys), IM(book + sells)) − IM(book).
    let mut buys = strangle();
    buys.push(json!({"symbol": "P50", "side": "long", "size": "1", "entryPrice": "400"}));
    let mut sells = strangle();
    sells[0]["size"] = json!("11");
    sells[0]["entryPrice"] = json!("1500");
    let im = |positions: Vec<Value>| {
        dec(&run(&request("3000", "paradex", positions, vec![]))["account"]["initialMargin"])
    };
    let now = dec(&r["account"]["initialMargin"]);
    let expected = now.max(im(buys)).max(im(sells));
    let o = &r["orders"];
    assert_eq!(dec(&o["initialMarginWithOrders"]), expected);
    assert_eq!(dec(&o["initialMargin"]), expected - now);
    assert_eq!(
        dec(&o["availableBalanceWithOrders"]),
        dec(&r["account"]["equity"]) - expected
    );
    assert_eq!(o["allowed"], false);
    assert_eq!(o["markets"], json!([]));
    // Buying back half the short call lowers the requirement (the grid is dominated by the
    // up moves): allowed even though the account does not cover its initial margin.
    let reduce = json!({"symbol": "C65", "side": "buy", "size": "0.5"});
    let r = run(&request("3000", "paradex", strangle(), vec![reduce]));
    let w = &r["orders"]["orders"][0]["ifFilled"];
    assert!(dec(&w["incrementalInitialMargin"]) < Decimal::ZERO, "{w}");
    assert!(dec(&w["availableBalance"]) < Decimal::ZERO, "{w}");
    assert_eq!(w["allowed"], true);
}
