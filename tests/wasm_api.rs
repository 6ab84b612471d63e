//! wasm-bindgen tests of the exported JavaScript API. `cargo xtask test` runs this file twice:
//! in Node, and in headless Chromium (`WASM_BINDGEN_USE_BROWSER=1`).
#![cfg(target_arch = "wasm32")]

use imr::wasm;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |acc, key| {
        let key: JsValue = key
            .parse::<u32>()
            .map(JsValue::from)
            .unwrap_or_else(|_| JsValue::from_str(key));
        Reflect::get(&acc, &key).unwrap()
    })
}

const BYBIT_ISO_LONG: &str = r#"{
  "account": {"walletBalance": "1000", "marginMode": "isolated"},
  "markets": [{"symbol": "BTCUSDT", "markPrice": "20000", "marginBasis": "entry",
               "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}],
  "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1", "entryPrice": "20000", "leverage": "50"}]
}"#;

#[wasm_bindgen_test]
fn valid_request_returns_plain_object_with_decimal_strings() {
    let out = wasm::calculate(js(BYBIT_ISO_LONG));
    assert!(out.is_object());
    assert_eq!(get(&out, "ok"), JsValue::TRUE);
    // BYB-USDT-ISO-LONG (Bybit help "Liquidation Price (USDT Contract)").
    assert_eq!(
        get(&out, "result.positions.0.initialMargin")
            .as_string()
            .unwrap(),
        "400"
    );
    assert_eq!(
        get(&out, "result.positions.0.maintenanceMargin")
            .as_string()
            .unwrap(),
        "100"
    );
    assert_eq!(
        get(&out, "result.positions.0.liquidation.price")
            .as_string()
            .unwrap(),
        "19700"
    );
    assert!(get(&out, "result.positions.0.breakdown").is_instance_of::<Array>());
}

#[wasm_bindgen_test]
fn numbers_are_accepted_on_input() {
    let out = wasm::calculate(js(
        r#"{"account": {"walletBalance": 1000, "marginMode": "isolated"},
      "markets": [{"symbol": "X", "markPrice": 28000, "marginBasis": "entry", "margin": {"type": "fixed", "maintenanceMarginRate": 0.004}}],
      "positions": [{"symbol": "X", "side": "short", "size": 1, "entryPrice": 28000, "leverage": 100}]}"#,
    ));
    // KUCOIN-LP-SHORT: EP·(1 + IMR − MMR) = 28168.
    assert_eq!(
        get(&out, "result.positions.0.liquidation.price")
            .as_string()
            .unwrap(),
        "28168"
    );
}

#[wasm_bindgen_test]
fn invalid_request_returns_structured_errors_naming_fields() {
    let req = js(BYBIT_ISO_LONG);
    let position = get(&req, "positions.0");
    Reflect::set(&position, &"leverage".into(), &JsValue::from_f64(0.0)).unwrap();
    Reflect::set(
        &position,
        &"entryPrice".into(),
        &JsValue::from_f64(f64::NAN),
    )
    .unwrap();
    let out = wasm::calculate(req);
    assert_eq!(get(&out, "ok"), JsValue::FALSE);
    let errors: Array = get(&out, "errors").into();
    let fields: Vec<String> = errors
        .iter()
        .map(|e| get(&e, "field").as_string().unwrap())
        .collect();
    let codes: Vec<String> = errors
        .iter()
        .map(|e| get(&e, "code").as_string().unwrap())
        .collect();
    assert!(
        fields.contains(&"positions[0].leverage".to_string()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"positions[0].entryPrice".to_string()),
        "{fields:?}"
    );
    assert!(codes.contains(&"not_a_number".to_string()), "{codes:?}");
}

#[wasm_bindgen_test]
fn garbage_never_throws() {
    for bad in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from_str("nonsense"),
        JsValue::from_f64(3.0),
        Object::new().into(),
        js(r#"{"account": 5}"#),
        js(r#"{"account": {}, "bogus": 1}"#),
    ] {
        let out = wasm::calculate(bad);
        assert_eq!(get(&out, "ok"), JsValue::FALSE);
        let errors: Array = get(&out, "errors").into();
        assert!(errors.length() >= 1);
        assert!(get(&errors.get(0), "field").as_string().is_some());
    }
    let out = wasm::calculate(js(r#"{"account": {}, "bogus": 1}"#));
    assert_eq!(
        get(&out, "errors.0.code").as_string().unwrap(),
        "unknown_field"
    );
    assert_eq!(get(&out, "errors.0.field").as_string().unwrap(), "bogus");
}

#[wasm_bindgen_test]
fn json_entry_agrees_with_object_entry() {
    let text = wasm::calculate_json(BYBIT_ISO_LONG);
    let via_object = JSON::stringify(&wasm::calculate(js(BYBIT_ISO_LONG)))
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(text, via_object);
}

#[wasm_bindgen_test]
fn presets_are_listed_with_date_and_source() {
    let list: Array = wasm::list_presets().into();
    assert!(list.length() >= 1);
    for p in list.iter() {
        assert!(get(&p, "asOf").as_string().is_some_and(|s| s.len() == 10));
        assert!(get(&p, "source").as_string().is_some_and(|s| !s.is_empty()));
    }
}
