//! Stable-Rust property test over arbitrary requests (the fuzzers' companion in the normal suite):
//! whatever JSON arrives — well-shaped with hostile values, or any shape at all — the engine answers
//! with JSON that is either a result or a non-empty list of errors each naming a field. It never
//! panics and never returns a non-finite number.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::{json, Value};

fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_map(|x| serde_json::Number::from_f64(x)
            .map(Value::Number)
            .unwrap_or(json!("NaN"))),
        any::<i64>().prop_map(|x| json!(x)),
        any::<f64>().prop_map(|x| json!(format!("{x}"))),
        prop::sample::select(vec![
            "0",
            "-0",
            "1e-28",
            "1e12",
            "1e13",
            "79228162514264337593543950335",
            "-1",
            "NaN",
            "Infinity",
            "",
            " 5 ",
            "1e",
            "0x1"
        ])
        .prop_map(|s| json!(s)),
        (1u32..1_000_000, 0u32..8)
            .prop_map(|(m, e)| json!(format!("{}", m as f64 / 10f64.powi(e as i32)))),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        hostile_number(),
        "[a-zA-Z]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "account",
                    "markets",
                    "positions",
                    "orders",
                    "symbol",
                    "side",
                    "size",
                    "entryPrice",
                    "markPrice",
                    "leverage",
                    "walletBalance",
                    "margin",
                    "type",
                    "tiers",
                    "valuationTime",
                    "expiry",
                    "strike",
                    "kind",
                    "x"
                ]),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn shaped_request() -> impl Strategy<Value = Value> {
    (
        hostile_number(),
        prop::sample::select(vec!["cross", "isolated", "bogus"]),
        prop::collection::vec((hostile_number(), hostile_number(), hostile_number(), hostile_number(), any::<bool>(), 0u8..4), 1..4),
    )
        .prop_map(|(wallet, mode, legs)| {
            let mut markets = Vec::new();
            let mut positions = Vec::new();
            for (i, (mark, size, entry, leverage, long, rule)) in legs.into_iter().enumerate() {
                let margin = match rule {
                    0 => json!({"type": "fixed", "maintenanceMarginRate": "0.005"}),
                    1 => json!({"type": "sizeScaled", "initialBaseRate": "0.02", "maintenanceBaseRate": "0.01", "slopePerUnit": "0.00005"}),
                    2 => json!({"type": "fixed", "maintenanceMarginRate": mark.clone()}),
                    _ => json!({"type": "tiered", "tiers": [{"notionalFloor": "0", "notionalCap": size.clone(), "maintenanceMarginRate": "0.004", "maxLeverage": "125"}, {"notionalFloor": size.clone(), "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]}),
                };
                markets.push(json!({"symbol": format!("M{i}"), "markPrice": mark, "margin": margin}));
                positions.push(json!({"symbol": format!("M{i}"), "side": if long { "long" } else { "short" }, "size": size, "entryPrice": entry, "leverage": leverage}));
            }
            json!({"account": {"walletBalance": wallet, "marginMode": mode}, "markets": markets, "positions": positions})
        })
}

fn check(out: &str) -> Result<(), TestCaseError> {
    let v: Value =
        serde_json::from_str(out).map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
    match v["ok"].as_bool() {
        Some(true) => {
            prop_assert!(v["result"]["account"].is_object());
            // Model outputs are numbers; a non-finite one could not have been serialised as JSON.
            prop_assert!(!out.contains("NaN") && !out.contains("inf"), "{}", out);
        }
        Some(false) => {
            let errors = v["errors"]
                .as_array()
                .ok_or_else(|| TestCaseError::fail("errors missing"))?;
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(e["field"].as_str().is_some_and(|f| !f.is_empty()), "{}", e);
                prop_assert!(e["code"].as_str().is_some_and(|c| !c.is_empty()), "{}", e);
            }
        }
        None => prop_assert!(false, "no ok flag: {}", out),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_json_gets_an_answer(request in any_json()) {
        check(&imr::calculate_json(&request.to_string()))?;
    }

    #[test]
    fn well_shaped_requests_with_hostile_numbers_get_an_answer(request in shaped_request()) {
        check(&imr::calculate_json(&request.to_string()))?;
    }
}
