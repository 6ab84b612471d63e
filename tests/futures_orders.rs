//! Open orders and what-if (see `imr::orders`), checked on a hand-worked account:
//! wallet 5000 USDT, cross, long 1 BTC at 20000 (mark 20000), 10x, MMR 0.5 %, tick 0.1;
//! resting buy 1 @ 19000 and sell 3 @ 21000.

use serde_json::{json, Value};

fn run(request: &Value) -> Value {
    let out: Value =
        serde_json::from_str(&imr::calculate_json(&request.to_string())).expect("JSON out");
    assert_eq!(out["ok"], true, "{out}");
    out["result"].clone()
}

fn account(orders: Value) -> Value {
    json!({
        "account": {"walletBalance": "5000", "marginMode": "cross"},
        "markets": [{"symbol": "BTCUSDT", "markPrice": "20000", "tickSize": "0.1",
                     "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}],
        "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1",
                       "entryPrice": "20000", "leverage": "10"}],
        "orders": orders,
    })
}

#[test]
fn open_orders_hold_the_larger_side_net_of_the_position() {
    let r = run(&account(json!([
        {"symbol": "BTCUSDT", "side": "buy", "size": "1", "price": "19000"},
        {"symbol": "BTCUSDT", "side": "sell", "size": "3", "price": "21000"}])));
    let o = &r["orders"];
    // max(20000 + 19000, 63000 − 20000) = 43000 at 10 % = 4300, minus the position's 2000.
    assert_eq!(o["markets"][0]["exposure"], "43000");
    assert_eq!(o["markets"][0]["initialMargin"], "2300");
    assert_eq!(o["initialMarginWithOrders"], "4300");
    // Available 5000 − 2000 = 3000 before; 700 after the orders.
    assert_eq!(r["account"]["availableBalance"], "3000");
    assert_eq!(o["availableBalanceWithOrders"], "700");
    assert_eq!(o["allowed"], true);
}

#[test]
fn a_buy_fill_averages_the_entry_and_moves_the_liquidation_price() {
    let r = run(&account(json!([
        {"symbol": "BTCUSDT", "side": "buy", "size": "1", "price": "19000"}])));
    let f = &r["orders"]["orders"][0]["ifFilled"];
    assert_eq!(f["position"]["size"], "2");
    assert_eq!(f["position"]["entryPrice"], "19500");
    assert_eq!(f["incrementalInitialMargin"], "2000");
    // (5000 − 2·19500) / (2·0.005 − 2) = 17085.43…, rounded up to the tick for a long.
    assert_eq!(f["position"]["liquidationPrice"], "17085.5");
    assert_eq!(f["liquidationPrices"][0]["price"], "17085.5");
    assert_eq!(f["allowed"], true);
}

#[test]
fn a_sell_larger_than_the_position_realises_pnl_and_flips() {
    let r = run(&account(json!([
        {"symbol": "BTCUSDT", "side": "sell", "size": "3", "price": "21000"}])));
    let f = &r["orders"]["orders"][0]["ifFilled"];
    assert_eq!(f["realizedPnl"], "1000");
    assert_eq!(f["position"]["side"], "short");
    assert_eq!(f["position"]["size"], "2");
    assert_eq!(f["position"]["entryPrice"], "21000");
    // Wallet 6000 + unrealised 2·(21000 − 20000) − IM 2·20000·10 % = 4000.
    assert_eq!(f["availableBalance"], "4000");
}

#[test]
fn an_order_beyond_the_balance_is_refused_and_a_closing_one_allowed() {
    let r = run(&account(json!([
        {"symbol": "BTCUSDT", "side": "buy", "size": "5", "price": "20000"},
        {"symbol": "BTCUSDT", "side": "sell", "size": "1"}])));
    let big = &r["orders"]["orders"][0]["ifFilled"];
    // IM 6·20000·10 % = 12000 against equity 5000.
    assert_eq!(big["incrementalInitialMargin"], "10000");
    assert_eq!(big["allowed"], false);
    let close = &r["orders"]["orders"][1];
    assert_eq!(close["price"], "20000", "no price: the mark");
    assert!(close["ifFilled"]["position"].is_null());
    assert_eq!(close["ifFilled"]["allowed"], true);
    assert_eq!(r["orders"]["allowed"], false);
}

#[test]
fn an_order_alone_is_a_what_if_before_opening() {
    let r = run(&json!({
        "account": {"walletBalance": "1000", "marginMode": "isolated"},
        "markets": [{"symbol": "BTCUSDT", "markPrice": "20000",
                     "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}],
        "orders": [{"symbol": "BTCUSDT", "side": "buy", "size": "1", "leverage": "50"}]}));
    assert_eq!(r["positions"].as_array().map(Vec::len), Some(0));
    let f = &r["orders"]["orders"][0]["ifFilled"];
    assert_eq!(f["incrementalInitialMargin"], "400");
    // Isolated, margin 400: (400 − 20000) / (0.005 − 1) = 19698.49…
    let lp: f64 = f["position"]["liquidationPrice"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((lp - 19698.492462).abs() < 1e-5, "{lp}");
    assert_eq!(r["orders"]["markets"][0]["initialMargin"], "400");
}

#[test]
fn order_errors_name_their_field() {
    let out = imr::calculate_json(
        &account(json!([{"symbol": "ETHUSDT", "side": "hold", "size": "-1"}])).to_string(),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["orders[0].symbol", "orders[0].side", "orders[0].size"]
    );
}

#[test]
fn orders_and_fills_use_the_markets_dynamic_initial_margin_model() {
    // Square-root-of-size model (Drift form, margin-models.md §3): 0.1 at 1 BTC (the 10x
    // leverage binds), 0.08 + 0.01·√100 = 0.18 at 100 BTC.
    let mut request = account(json!([
        {"symbol": "BTCUSDT", "side": "buy", "size": "99", "price": "20000"}]));
    request["markets"][0]["initialMarginModel"] =
        json!({"type": "sqrtSize", "base": "0.1", "k": "0.01"});
    let r = run(&request);
    let num = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .expect("decimal string")
    };
    let m = &r["orders"]["markets"][0];
    assert_eq!(m["exposure"], "2000000");
    assert!((num(&m["initialMarginRate"]) - 0.18).abs() < 1e-12, "{m}");
    // 2 000 000 · 0.18 − the position's own 20 000 · 0.1.
    assert!((num(&m["initialMargin"]) - 358_000.0).abs() < 1e-6, "{m}");
    let f = &r["orders"]["orders"][0]["ifFilled"];
    assert_eq!(f["position"]["size"], "100");
    assert!((num(&f["initialMargin"]) - 360_000.0).abs() < 1e-6, "{f}");
    assert!(
        (num(&f["incrementalInitialMargin"]) - 358_000.0).abs() < 1e-6,
        "{f}"
    );
    assert_eq!(f["allowed"], false, "{f}");
    // Without the model the rule's 10 % applies to the same exposure.
    let plain = run(&account(json!([
        {"symbol": "BTCUSDT", "side": "buy", "size": "99", "price": "20000"}])));
    assert_eq!(plain["orders"]["markets"][0]["initialMargin"], "198000");
}
