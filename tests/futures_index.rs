//! Index price: reported with the mark–index basis; margin and liquidation stay on the mark.

use serde_json::{json, Value};

fn run(index: Option<&str>) -> Value {
    let mut market = json!({"symbol": "BTCUSDT", "preset": "binance-btcusdt-perp-2024-10", "markPrice": "60300"});
    if let Some(i) = index {
        market["indexPrice"] = json!(i);
    }
    let request = json!({
        "account": {"walletBalance": "5000", "marginMode": "cross"},
        "markets": [market],
        "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1", "entryPrice": "59000", "leverage": "20"}]
    });
    serde_json::from_str(&imr::calculate_json(&request.to_string())).unwrap()
}

#[test]
fn index_price_gives_the_basis_and_leaves_margin_on_the_mark() {
    let with = run(Some("60000"));
    let without = run(None);
    let p = &with["result"]["positions"][0];
    assert_eq!(p["indexPrice"], json!("60000"));
    // (60300 − 60000) / 60000 = 0.5 %
    assert_eq!(p["markIndexBasisPercent"], json!("0.5"));
    let q = &without["result"]["positions"][0];
    assert!(q.get("indexPrice").is_none() && q.get("markIndexBasisPercent").is_none());
    for key in [
        "initialMargin",
        "maintenanceMargin",
        "unrealizedPnl",
        "liquidation",
    ] {
        assert_eq!(p[key], q[key], "{key} must not depend on the index price");
    }
}

#[test]
fn bad_index_prices_are_named() {
    for (bad, code) in [
        ("-1", "not_positive"),
        ("NaN", "not_a_number"),
        ("abc", "not_a_number"),
    ] {
        let out = run(Some(bad));
        assert_eq!(out["ok"], json!(false));
        assert_eq!(out["errors"][0]["field"], json!("markets[0].indexPrice"));
        assert_eq!(out["errors"][0]["code"], json!(code), "{bad}");
    }
}
