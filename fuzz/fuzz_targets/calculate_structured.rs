//! Well-shaped requests with fuzzer-chosen numbers (edge values included), so the fuzzer spends
//! its time in the margin and liquidation arithmetic rather than in the JSON parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod support;
use serde_json::json;

fn number(bytes: &mut impl Iterator<Item = u8>) -> serde_json::Value {
    support::number(bytes, &[support::EDGES], 128)
}

fuzz_target!(|data: &[u8]| {
    let mut b = data.iter().copied();
    let inverse = b.next().unwrap_or(0) & 1 == 1;
    let isolated = b.next().unwrap_or(0) & 1 == 1;
    let tiered = b.next().unwrap_or(0) & 1 == 1;
    let entry_basis = b.next().unwrap_or(0) & 1 == 1;
    let fees = b.next().unwrap_or(0) & 1 == 1;
    let rule = if tiered {
        json!({"type": "tiered", "tiers": [
            {"notionalFloor": "0", "notionalCap": number(&mut b), "maintenanceMarginRate": number(&mut b), "maxLeverage": number(&mut b)},
            {"notionalFloor": number(&mut b), "maintenanceMarginRate": number(&mut b), "maxLeverage": number(&mut b)}]})
    } else {
        json!({"type": "fixed", "maintenanceMarginRate": number(&mut b), "maintenanceAmount": number(&mut b)})
    };
    let n = 1 + (b.next().unwrap_or(0) % 3) as usize;
    let mut markets = Vec::new();
    let mut positions = Vec::new();
    for i in 0..n {
        markets.push(json!({
            "symbol": format!("M{i}"),
            "settlement": if inverse { "inverse" } else { "linear" },
            "contractSize": number(&mut b),
            "markPrice": number(&mut b),
            "marginBasis": if entry_basis { "entry" } else { "mark" },
            "margin": rule.clone(),
        }));
        positions.push(json!({
            "symbol": format!("M{i}"),
            "side": if b.next().unwrap_or(0) & 1 == 1 { "long" } else { "short" },
            "size": number(&mut b),
            "entryPrice": number(&mut b),
            "leverage": number(&mut b),
        }));
    }
    let request = json!({
        "account": {"walletBalance": number(&mut b), "marginMode": if isolated { "isolated" } else { "cross" },
                    "includeFees": fees, "otherUnrealizedPnl": number(&mut b)},
        "markets": markets,
        "positions": positions,
    });
    let out = imr::calculate_json(&request.to_string());
    support::checked_answer(&out);
});
