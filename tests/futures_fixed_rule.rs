//! The fixed rule's leverage cap (`maxLeverage`): an initial-rate floor `1 / maxLeverage`
//! (margin-models.md §1, `IMR = 1 / leverage`), applied and warned about like a tier's.

use serde_json::{json, Value};

fn run(margin: Value, leverage: &str) -> Value {
    let request = json!({
        "account": {"walletBalance": "5000", "marginMode": "cross"},
        "markets": [{"symbol": "BTCUSDT", "markPrice": "20000", "tickSize": "0.1",
                     "margin": margin}],
        "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1",
                       "entryPrice": "20000", "leverage": leverage}],
    });
    let out: Value =
        serde_json::from_str(&imr::calculate_json(&request.to_string())).expect("JSON out");
    assert_eq!(out["ok"], true, "{out}");
    out["result"].clone()
}

fn warning_codes(r: &Value) -> Vec<String> {
    r["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| w["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_leverage_above_the_fixed_cap_is_lowered_to_it_and_warned() {
    let r = run(
        json!({"type": "fixed", "maintenanceMarginRate": "0.005", "maxLeverage": "20"}),
        "50",
    );
    // 20000 notional at 1/20 = 1000, not the requested 1/50 = 400.
    assert_eq!(r["account"]["initialMargin"], "1000", "{r}");
    assert_eq!(r["positions"][0]["leverage"], "20", "{r}");
    assert!(
        warning_codes(&r).contains(&"above_max_leverage".to_string()),
        "{r}"
    );
}

#[test]
fn a_leverage_within_the_fixed_cap_is_kept_without_a_warning() {
    let r = run(
        json!({"type": "fixed", "maintenanceMarginRate": "0.005", "maxLeverage": "20"}),
        "10",
    );
    assert_eq!(r["account"]["initialMargin"], "2000", "{r}");
    assert!(
        !warning_codes(&r).contains(&"above_max_leverage".to_string()),
        "{r}"
    );
}

#[test]
fn the_larger_of_the_cap_and_the_venue_initial_rate_floor_applies() {
    let r = run(
        json!({"type": "fixed", "maintenanceMarginRate": "0.005",
               "initialMarginRate": "0.08", "maxLeverage": "20"}),
        "50",
    );
    // max(1/50, 1/20, 0.08) = 0.08 → 1600.
    assert_eq!(r["account"]["initialMargin"], "1600", "{r}");
    let r = run(
        json!({"type": "fixed", "maintenanceMarginRate": "0.005",
               "initialMarginRate": "0.02", "maxLeverage": "20"}),
        "50",
    );
    assert_eq!(r["account"]["initialMargin"], "1000", "{r}");
}
