//! Every futures vector of `tests/vectors/venues.json` (a copy of `shared/vectors/venues.json`:
//! published venue examples, recomputed independently) checked through the public JSON entry
//! point [`imr::calculate_json`], at the tolerance the vector states. Inputs and expected values
//! are read from the file; each test only maps the vector's inputs onto a request.

use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::str::FromStr;

const VENUES: &str = include_str!("vectors/venues.json");

/// Prefixes of the futures vectors (the others — PDX-*, SPAN-* — are portfolio margin).
const FUTURES_PREFIXES: &[&str] = &["BIN-", "BINCM-", "BYB-", "DRB-", "DYDX-", "KUCOIN-"];

/// The vectors this file has a test for; `every_futures_vector_has_a_test` keeps it honest.
const COVERED: &[&str] = &[
    "BIN-LP-OLD-BTC-SHORT",
    "BIN-LP-OLD-ETH-LONG",
    "BIN-LP-CROSS-ETH",
    "BIN-LP-CROSS-BTC",
    "BIN-LP-FAQ-500",
    "BIN-CUM-RECURSION",
    "BIN-CUM-L5",
    "BINCM-MM",
    "BYB-USDT-ISO-LONG",
    "BYB-BANKRUPTCY",
    "BYB-INV-IM",
    "DRB-BTC-IM-25",
    "DRB-BTC-IM-350",
    "DRB-BTC-MM-25",
    "DRB-SOL-IM-25",
    "DYDX-ISO-LP",
    "DYDX-CROSS-LP",
    "KUCOIN-LP-SHORT",
];

fn all_vectors() -> Vec<Value> {
    let root: Value = serde_json::from_str(VENUES).expect("venues.json is valid JSON");
    root["vectors"]
        .as_array()
        .expect("venues.json has a vectors array")
        .clone()
}

fn vector(id: &str) -> Value {
    all_vectors()
        .into_iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("no vector {id} in venues.json"))
}

/// A decimal string of the vector file.
fn d(v: &Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a decimal string, got {v}"));
    Decimal::from_str(s)
        .or_else(|_| Decimal::from_scientific(s))
        .unwrap_or_else(|_| panic!("not a decimal: {s}"))
}

/// The same value as a request field (requests take decimal strings).
fn s(v: &Value) -> Value {
    Value::String(d(v).to_string())
}

fn tolerance(v: &Value) -> Decimal {
    d(&v["tolerance"])
}

/// Runs a request through the public JSON entry and returns `result`, failing on errors.
fn run(request: &Value) -> Value {
    let out: Value =
        serde_json::from_str(&imr::calculate_json(&request.to_string())).expect("JSON out");
    assert_eq!(out["ok"], true, "request {request} failed: {out}");
    out["result"].clone()
}

/// Asserts `|actual − expected| ≤ tol`, naming the vector and the figure.
fn check(id: &str, what: &str, actual: &Value, expected: &Value, tol: Decimal) {
    let a = d(actual);
    let e = d(expected);
    assert!(
        (a - e).abs() <= tol,
        "{id}: {what} is {a}, expected {e} ± {tol}"
    );
}

fn side_of(size: Decimal) -> &'static str {
    if size < Decimal::ZERO {
        "short"
    } else {
        "long"
    }
}

#[test]
fn every_futures_vector_has_a_test() {
    let in_file: BTreeSet<String> = all_vectors()
        .iter()
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .filter(|id| FUTURES_PREFIXES.iter().any(|p| id.starts_with(p)))
        .collect();
    let covered: BTreeSet<String> = COVERED.iter().map(|s| s.to_string()).collect();
    assert_eq!(in_file, covered);
}

/// Old Binance FAQ example: one position in a cross account, the others given as totals
/// (`TMM1`, `UPNL1`), mark = entry.
fn binance_old(id: &str) {
    let v = vector(id);
    let i = &v["inputs"];
    let request = json!({
        "account": {
            "walletBalance": s(&i["walletBalance"]),
            "marginMode": "cross",
            "otherMaintenanceMargin": s(&i["otherMaintenanceMargin"]),
            "otherUnrealizedPnl": s(&i["otherUnrealizedPnl"]),
        },
        "markets": [{
            "symbol": "X", "markPrice": s(&i["entryPrice"]),
            "margin": {"type": "fixed",
                       "maintenanceMarginRate": s(&i["maintenanceMarginRate"]),
                       "maintenanceAmount": s(&i["maintenanceAmount"])},
        }],
        // Leverage only sets initial margin; a cross liquidation price does not depend on it.
        "positions": [{"symbol": "X", "side": i["side"], "size": s(&i["quantity"]),
                       "entryPrice": s(&i["entryPrice"]), "leverage": "10"}],
    });
    let r = run(&request);
    check(
        id,
        "liquidation price",
        &r["positions"][0]["liquidation"]["price"],
        &v["expected"]["liquidationPrice"],
        tolerance(&v),
    );
}

#[test]
fn bin_lp_old_btc_short() {
    binance_old("BIN-LP-OLD-BTC-SHORT");
}

#[test]
fn bin_lp_old_eth_long() {
    binance_old("BIN-LP-OLD-ETH-LONG");
}

/// The two-position cross account of the current Binance FAQ, both positions in the request.
fn binance_cross_account() -> Value {
    let v = vector("BIN-LP-CROSS-ETH");
    let i = &v["inputs"];
    let positions = i["positions"].as_array().expect("positions");
    let markets: Vec<Value> = positions
        .iter()
        .map(|p| {
            json!({"symbol": p["symbol"], "markPrice": s(&p["markPrice"]),
                   "margin": {"type": "fixed",
                              "maintenanceMarginRate": s(&p["maintenanceMarginRate"]),
                              "maintenanceAmount": s(&p["maintenanceAmount"])}})
        })
        .collect();
    let positions: Vec<Value> = positions
        .iter()
        .map(|p| {
            json!({"symbol": p["symbol"], "side": p["side"], "size": s(&p["quantity"]),
                   "entryPrice": s(&p["entryPrice"]), "leverage": "10"})
        })
        .collect();
    let request = json!({
        "account": {"walletBalance": s(&i["walletBalance"]), "marginMode": "cross"},
        "markets": markets,
        "positions": positions,
    });
    run(&request)
}

fn position<'a>(result: &'a Value, symbol: &str) -> &'a Value {
    result["positions"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["symbol"] == symbol))
        .unwrap_or_else(|| panic!("no position {symbol} in {result}"))
}

#[test]
fn bin_lp_cross_eth() {
    let v = vector("BIN-LP-CROSS-ETH");
    let (e, tol) = (&v["expected"], tolerance(&v));
    let r = binance_cross_account();
    let (btc, eth) = (position(&r, "BTCUSDT"), position(&r, "ETHUSDT"));
    check(
        "BIN-LP-CROSS-ETH",
        "ETH liquidation price",
        &eth["liquidation"]["price"],
        &e["liquidationPriceETHUSDT"],
        tol,
    );
    check(
        "BIN-LP-CROSS-ETH",
        "BTC maintenance margin",
        &btc["maintenanceMargin"],
        &e["maintenanceMarginBTC"],
        tol,
    );
    check(
        "BIN-LP-CROSS-ETH",
        "ETH maintenance margin",
        &eth["maintenanceMargin"],
        &e["maintenanceMarginETH"],
        tol,
    );
}

#[test]
fn bin_lp_cross_btc() {
    let v = vector("BIN-LP-CROSS-BTC");
    assert_eq!(v["inputs"], "as BIN-LP-CROSS-ETH");
    let r = binance_cross_account();
    check(
        "BIN-LP-CROSS-BTC",
        "BTC liquidation price",
        &position(&r, "BTCUSDT")["liquidation"]["price"],
        &v["expected"]["liquidationPriceBTCUSDT"],
        tolerance(&v),
    );
}

#[test]
fn bin_lp_faq_500() {
    let v = vector("BIN-LP-FAQ-500");
    let i = &v["inputs"];
    // The FAQ states the position by notional: quantity = notional / entry price.
    let quantity = d(&i["notional"]) / d(&i["entryPrice"]);
    let request = json!({
        "account": {"walletBalance": s(&i["walletBalance"]), "marginMode": "cross"},
        "markets": [{"symbol": "BTCUSDT", "markPrice": s(&i["entryPrice"]),
                     "margin": {"type": "fixed",
                                "maintenanceMarginRate": s(&i["maintenanceMarginRate"]),
                                "maintenanceAmount": s(&i["maintenanceAmount"])}}],
        "positions": [{"symbol": "BTCUSDT", "side": i["side"], "size": quantity.to_string(),
                       "entryPrice": s(&i["entryPrice"]), "leverage": s(&i["leverage"])}],
    });
    let r = run(&request);
    let p = &r["positions"][0];
    let tol = tolerance(&v);
    check(
        "BIN-LP-FAQ-500",
        "quantity",
        &p["quantity"],
        &v["expected"]["quantity"],
        tol,
    );
    check(
        "BIN-LP-FAQ-500",
        "liquidation price",
        &p["liquidation"]["price"],
        &v["expected"]["liquidationPrice"],
        tol,
    );
    // Initial margin = notional / leverage.
    assert_eq!(
        d(&p["initialMargin"]),
        d(&i["notional"]) / d(&i["leverage"])
    );
}

#[test]
fn bin_cum_recursion() {
    // The bundled preset is the snapshot the vector names; one market per bracket, each
    // position at a notional inside that bracket (mark 1, so notional = size).
    let v = vector("BIN-CUM-RECURSION");
    let expected = v["expected"]["cum"].as_array().expect("cum list").clone();
    let tol = tolerance(&v);
    let preset = imr::list_presets()
        .iter()
        .find(|p| p.name == "binance-btcusdt-perp-2024-10")
        .expect("bundled Binance preset");
    let table = match &preset.market.margin {
        Some(imr::request::MarginRuleInput::Tiered { tiers }) => tiers.clone(),
        other => panic!("preset is not tiered: {other:?}"),
    };
    assert_eq!(table.len(), expected.len(), "one cum per bracket");
    let num = |n: &Option<imr::money::NumberInput>| -> Decimal {
        match n {
            Some(imr::money::NumberInput::Text(t)) => Decimal::from_str(t).expect("decimal"),
            other => panic!("preset numbers are strings, got {other:?}"),
        }
    };
    let mut markets = Vec::new();
    let mut positions = Vec::new();
    let mut notionals = Vec::new();
    for (k, t) in table.iter().enumerate() {
        let floor = num(&t.notional_floor);
        let n = match &t.notional_cap {
            Some(_) => (floor + num(&t.notional_cap)) / Decimal::TWO,
            None => floor + Decimal::ONE,
        };
        notionals.push(n);
        let symbol = format!("B{}", k + 1);
        markets.push(json!({"symbol": symbol, "preset": preset.name, "markPrice": "1"}));
        positions.push(
            json!({"symbol": symbol, "side": "long", "size": n.to_string(),
                              "entryPrice": "1", "leverage": "1"}),
        );
    }
    let r = run(&json!({
        "account": {"walletBalance": "1000000000000", "marginMode": "cross"},
        "markets": markets, "positions": positions,
    }));
    for (k, cum) in expected.iter().enumerate() {
        let p = &r["positions"][k];
        assert_eq!(p["tier"]["tier"], k + 1, "bracket {}", k + 1);
        check(
            "BIN-CUM-RECURSION",
            &format!("bracket {} maintenance amount", k + 1),
            &p["tier"]["maintenanceAmount"],
            cum,
            tol,
        );
        // And the amount is the one used: MM = N · MMR_k − cum_k.
        let mm = notionals[k] * d(&p["tier"]["maintenanceMarginRate"]) - d(cum);
        assert_eq!(d(&p["maintenanceMargin"]), mm, "bracket {}", k + 1);
    }
}

#[test]
fn bin_cum_l5() {
    // A table whose second tier has the vector's previous rate and previous amount (a first
    // tier at rate 0 ending at previousCum / previousMmr gives exactly that amount), and whose
    // third tier starts at the vector's floor with its rate.
    let v = vector("BIN-CUM-L5");
    let i = &v["inputs"];
    let (floor, mmr, prev_mmr, prev_cum) = (
        d(&i["floor"]),
        d(&i["mmr"]),
        d(&i["previousMmr"]),
        d(&i["previousCum"]),
    );
    let first_cap = prev_cum / prev_mmr;
    assert!(first_cap > Decimal::ZERO && first_cap < floor);
    let request = json!({
        "account": {"walletBalance": "100000000", "marginMode": "cross"},
        "markets": [{"symbol": "X", "markPrice": "1", "margin": {"type": "tiered", "tiers": [
            {"notionalFloor": "0", "notionalCap": first_cap.to_string(),
             "maintenanceMarginRate": "0", "maxLeverage": "100"},
            {"notionalFloor": first_cap.to_string(), "notionalCap": floor.to_string(),
             "maintenanceMarginRate": prev_mmr.to_string(), "maxLeverage": "50",
             "maintenanceAmount": prev_cum.to_string()},
            {"notionalFloor": floor.to_string(),
             "maintenanceMarginRate": mmr.to_string(), "maxLeverage": "20"}]}}],
        "positions": [{"symbol": "X", "side": "short", "size": (floor * Decimal::TWO).to_string(),
                       "entryPrice": "1", "leverage": "1"}],
    });
    let r = run(&request);
    let tier = &r["positions"][0]["tier"];
    assert_eq!(tier["tier"], 3);
    check(
        "BIN-CUM-L5",
        "maintenance amount",
        &tier["maintenanceAmount"],
        &v["expected"]["cum"],
        tolerance(&v),
    );
}

#[test]
fn bincm_mm() {
    let v = vector("BINCM-MM");
    let i = &v["inputs"];
    let request = json!({
        "account": {"walletBalance": "1", "marginMode": "cross"},
        "markets": [{"symbol": "BTCUSD_PERP", "settlement": "inverse",
                     "contractSize": s(&i["contractSizeUsd"]), "markPrice": s(&i["markPrice"]),
                     "margin": {"type": "fixed",
                                "maintenanceMarginRate": s(&i["maintenanceMarginRate"]),
                                "maintenanceAmount": s(&i["maintenanceAmount"])}}],
        "positions": [{"symbol": "BTCUSD_PERP", "side": "long", "size": s(&i["contracts"]),
                       "entryPrice": s(&i["markPrice"]), "leverage": "20"}],
    });
    let r = run(&request);
    let p = &r["positions"][0];
    let tol = tolerance(&v);
    check(
        "BINCM-MM",
        "coin notional",
        &p["notional"],
        &v["expected"]["notionalCoin"],
        tol,
    );
    check(
        "BINCM-MM",
        "maintenance margin (coin)",
        &p["maintenanceMargin"],
        &v["expected"]["maintenanceMarginCoin"],
        tol,
    );
    assert_eq!(r["account"]["settlement"], "inverse");
}

#[test]
fn byb_usdt_iso_long() {
    let v = vector("BYB-USDT-ISO-LONG");
    let i = &v["inputs"];
    let request = json!({
        "account": {"walletBalance": "1000000", "marginMode": "isolated"},
        "markets": [{"symbol": "BTCUSDT", "markPrice": s(&i["entryPrice"]), "marginBasis": "entry",
                     "margin": {"type": "fixed",
                                "maintenanceMarginRate": s(&i["maintenanceMarginRate"]),
                                "maintenanceAmount": s(&i["mmDeduction"])}}],
        "positions": [{"symbol": "BTCUSDT", "side": i["side"], "size": s(&i["quantity"]),
                       "entryPrice": s(&i["entryPrice"]), "leverage": s(&i["leverage"])}],
    });
    let r = run(&request);
    let p = &r["positions"][0];
    let (e, tol) = (&v["expected"], tolerance(&v));
    check(
        "BYB-USDT-ISO-LONG",
        "initial margin",
        &p["initialMargin"],
        &e["initialMargin"],
        tol,
    );
    check(
        "BYB-USDT-ISO-LONG",
        "maintenance margin",
        &p["maintenanceMargin"],
        &e["maintenanceMargin"],
        tol,
    );
    check(
        "BYB-USDT-ISO-LONG",
        "liquidation price",
        &p["liquidation"]["price"],
        &e["liquidationPrice"],
        tol,
    );
}

#[test]
fn byb_bankruptcy() {
    // BP = EP · (1 − s/leverage) for a fresh isolated position: independent of its size and of
    // the maintenance rate, so two sizes and two rates must agree.
    let v = vector("BYB-BANKRUPTCY");
    let i = &v["inputs"];
    for (size, mmr) in [("1", "0.005"), ("37.5", "0.01")] {
        let request = json!({
            "account": {"walletBalance": "100000000", "marginMode": "isolated"},
            "markets": [{"symbol": "BTCUSDT", "markPrice": s(&i["entryPrice"]),
                         "margin": {"type": "fixed", "maintenanceMarginRate": mmr}}],
            "positions": [{"symbol": "BTCUSDT", "side": i["side"], "size": size,
                           "entryPrice": s(&i["entryPrice"]), "leverage": s(&i["leverage"])}],
        });
        let r = run(&request);
        check(
            "BYB-BANKRUPTCY",
            "bankruptcy price",
            &r["positions"][0]["bankruptcyPrice"],
            &v["expected"]["bankruptcyPrice"],
            tolerance(&v),
        );
    }
}

#[test]
fn byb_inv_im() {
    // Inverse contracts of 1 USD face value: `contractsUsd` contracts.
    let v = vector("BYB-INV-IM");
    let i = &v["inputs"];
    let request = json!({
        "account": {"walletBalance": "10", "marginMode": "cross"},
        "markets": [{"symbol": "BTCUSD", "settlement": "inverse", "contractSize": "1",
                     "markPrice": s(&i["price"]),
                     "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}],
        "positions": [{"symbol": "BTCUSD", "side": "long", "size": s(&i["contractsUsd"]),
                       "entryPrice": s(&i["price"]), "leverage": s(&i["leverage"])}],
    });
    let r = run(&request);
    check(
        "BYB-INV-IM",
        "initial margin (coin)",
        &r["positions"][0]["initialMargin"],
        &v["expected"]["initialMarginCoin"],
        tolerance(&v),
    );
}

/// Deribit size-scaled rates. The vector gives one base rate: `initial` says whether it is the
/// initial or the maintenance one; the other base is set equal (the rule only requires
/// maintenance ≤ initial, and the checked figure does not depend on it). The linear form gives
/// the margin in USD, the inverse form (1-USD contracts) in the coin.
fn deribit(id: &str, initial: bool) {
    let v = vector(id);
    let i = &v["inputs"];
    let e = &v["expected"];
    let tol = tolerance(&v);
    let size = i.get("sizeBtc").unwrap_or(&i["size"]);
    let (size, price) = (d(size), d(&i["price"]));
    let margin_coin = e.get("marginBtc").unwrap_or(&e["marginCoin"]);
    let rule = json!({"type": "sizeScaled", "initialBaseRate": s(&i["baseRate"]),
                      "maintenanceBaseRate": s(&i["baseRate"]),
                      "slopePerUnit": s(&i["slopePerUnit"])});
    let (rate_key, margin_key) = if initial {
        ("initialMarginRate", "initialMargin")
    } else {
        ("maintenanceMarginRate", "maintenanceMargin")
    };
    for (settlement, contract_size, contracts, expected) in [
        ("linear", Decimal::ONE, size, &e["marginUsd"]),
        ("inverse", Decimal::ONE, size * price, margin_coin),
    ] {
        let request = json!({
            "account": {"walletBalance": "100000000", "marginMode": "cross"},
            "markets": [{"symbol": "BTC-PERP", "settlement": settlement,
                         "contractSize": contract_size.to_string(),
                         "markPrice": price.to_string(), "margin": rule}],
            "positions": [{"symbol": "BTC-PERP", "side": "long", "size": contracts.to_string(),
                           "entryPrice": price.to_string()}],
        });
        let r = run(&request);
        let p = &r["positions"][0];
        check(
            id,
            &format!("{settlement} rate"),
            &p[rate_key],
            &e["rate"],
            tol,
        );
        check(
            id,
            &format!("{settlement} margin"),
            &p[margin_key],
            expected,
            tol,
        );
    }
}

#[test]
fn drb_btc_im_25() {
    deribit("DRB-BTC-IM-25", true);
}

#[test]
fn drb_btc_im_350() {
    deribit("DRB-BTC-IM-350", true);
}

#[test]
fn drb_btc_mm_25() {
    deribit("DRB-BTC-MM-25", false);
}

#[test]
fn drb_sol_im_25() {
    deribit("DRB-SOL-IM-25", true);
}

#[test]
fn dydx_iso_lp() {
    // dYdX isolated: equity e backs a position of signed size at oracle price p (entry = p, so
    // the equity is all margin): isolated margin = e.
    let v = vector("DYDX-ISO-LP");
    let i = &v["inputs"];
    let size = d(&i["size"]);
    let request = json!({
        "account": {"walletBalance": s(&i["equity"]), "marginMode": "isolated"},
        "markets": [{"symbol": "ETH-USD", "markPrice": s(&i["price"]),
                     "margin": {"type": "fixed", "maintenanceMarginRate": s(&i["mmf"])}}],
        "positions": [{"symbol": "ETH-USD", "side": side_of(size), "size": size.abs().to_string(),
                       "entryPrice": s(&i["price"]), "leverage": "20",
                       "isolatedMargin": s(&i["equity"])}],
    });
    let r = run(&request);
    check(
        "DYDX-ISO-LP",
        "liquidation price",
        &r["positions"][0]["liquidation"]["price"],
        &v["expected"]["liquidationPrice"],
        tolerance(&v),
    );
}

#[test]
fn dydx_cross_lp() {
    let v = vector("DYDX-CROSS-LP");
    let i = &v["inputs"];
    let o = &i["other"];
    let (size, other_size) = (d(&i["size"]), d(&o["size"]));
    let request = json!({
        "account": {"walletBalance": s(&i["equity"]), "marginMode": "cross"},
        "markets": [
            {"symbol": "ETH-USD", "markPrice": s(&i["price"]),
             "margin": {"type": "fixed", "maintenanceMarginRate": s(&i["mmf"])}},
            {"symbol": "OTHER-USD", "markPrice": s(&o["price"]),
             "margin": {"type": "fixed", "maintenanceMarginRate": s(&o["mmf"])}}],
        "positions": [
            {"symbol": "ETH-USD", "side": side_of(size), "size": size.abs().to_string(),
             "entryPrice": s(&i["price"]), "leverage": "20"},
            {"symbol": "OTHER-USD", "side": side_of(other_size),
             "size": other_size.abs().to_string(), "entryPrice": s(&o["price"]),
             "leverage": "5"}],
    });
    let r = run(&request);
    let tol = tolerance(&v);
    check(
        "DYDX-CROSS-LP",
        "other position's maintenance",
        &position(&r, "OTHER-USD")["maintenanceMargin"],
        &v["expected"]["otherMaintenance"],
        tol,
    );
    check(
        "DYDX-CROSS-LP",
        "liquidation price",
        &position(&r, "ETH-USD")["liquidation"]["price"],
        &v["expected"]["liquidationPrice"],
        tol,
    );
}

#[test]
fn kucoin_lp_short() {
    let v = vector("KUCOIN-LP-SHORT");
    let i = &v["inputs"];
    let request = json!({
        "account": {"walletBalance": "1000000", "marginMode": "isolated"},
        "markets": [{"symbol": "XBTUSDTM", "markPrice": s(&i["entryPrice"]), "marginBasis": "entry",
                     "margin": {"type": "fixed",
                                "maintenanceMarginRate": s(&i["maintenanceMarginRate"])}}],
        "positions": [{"symbol": "XBTUSDTM", "side": i["side"], "size": "1",
                       "entryPrice": s(&i["entryPrice"]), "leverage": s(&i["leverage"])}],
    });
    let r = run(&request);
    check(
        "KUCOIN-LP-SHORT",
        "liquidation price",
        &r["positions"][0]["liquidation"]["price"],
        &v["expected"]["liquidationPrice"],
        tolerance(&v),
    );
}

/// The bundled Deribit presets reproduce the DRB-* vectors (margin in USDC, linear).
#[test]
fn deribit_presets_match_the_drb_vectors() {
    for (id, preset, key) in [
        ("DRB-BTC-IM-25", "deribit-btc-usdc-perp", "initialMargin"),
        ("DRB-BTC-IM-350", "deribit-btc-usdc-perp", "initialMargin"),
        (
            "DRB-BTC-MM-25",
            "deribit-btc-usdc-perp",
            "maintenanceMargin",
        ),
        ("DRB-SOL-IM-25", "deribit-sol-usdc-perp", "initialMargin"),
    ] {
        let v = vector(id);
        let i = &v["inputs"];
        let size = i.get("sizeBtc").unwrap_or(&i["size"]);
        let r = run(&json!({
            "account": {"walletBalance": "100000000"},
            "markets": [{"symbol": "X", "preset": preset, "markPrice": s(&i["price"])}],
            "positions": [{"symbol": "X", "side": "short", "size": s(size),
                           "entryPrice": s(&i["price"])}],
        }));
        check(
            id,
            &format!("{preset} {key}"),
            &r["positions"][0][key],
            &v["expected"]["marginUsd"],
            tolerance(&v),
        );
    }
}
