//! wasm-bindgen tests of the exported JavaScript API. `cargo xtask test` runs this file twice:
//! in Node, and in headless Chromium (`WASM_BINDGEN_USE_BROWSER=1`).
#![cfg(target_arch = "wasm32")]

use imr::wasm;
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

#[path = "support/ascii.rs"]
mod ascii;

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
    // Compare as data: JSON text writes a model float 50 as `50.0`, JS as `50`.
    let text = JSON::stringify(
        &JSON::parse(&String::from(wasm::calculate_json(&BYBIT_ISO_LONG.into()))).unwrap(),
    )
    .unwrap()
    .as_string()
    .unwrap();
    let via_object = JSON::stringify(&wasm::calculate(js(BYBIT_ISO_LONG)))
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(text, via_object);
}

/// `calculateJson` reads its text through `TextEncoder.encodeInto` into the module's memory:
/// ASCII, two-, three- and four-byte characters and an unpaired surrogate (U+FFFD, as
/// `TextEncoder` writes it) arrive as the Rust text would; anything but a string is refused.
#[wasm_bindgen_test]
fn json_text_crosses_into_the_module_exactly() {
    for symbol in [
        "BTCUSDT",
        "BTC·USDT",
        "BTC–USDT€",
        "😀BTC",
        "BTC\u{1F600}USDT😀",
    ] {
        let request = BYBIT_ISO_LONG.replace("BTCUSDT", symbol);
        let from_js = String::from(wasm::calculate_json(&request.as_str().into()));
        assert!(from_js.contains(r#""ok":true"#), "{symbol}: {from_js}");
        assert_eq!(from_js, imr::calculate_json_ascii(&request), "{symbol}");
    }
    // A lone surrogate in a JS string (no Rust &str can hold one): U+FFFD, then the engine
    // reads the symbol "BTC\u{FFFD}" like any other.
    let lone = js_sys::JsString::from_char_code(&[0xD800]);
    let symbol = js_sys::JsString::from("BTC").concat(&lone);
    let mut pieces = BYBIT_ISO_LONG.split("BTCUSDT");
    let mut request = js_sys::JsString::from(pieces.next().unwrap());
    for piece in pieces {
        request = request.concat(&symbol).concat(&piece.into());
    }
    let from_js = String::from(wasm::calculate_json(&request.into()));
    let expected = imr::calculate_json_ascii(&BYBIT_ISO_LONG.replace("BTCUSDT", "BTC\u{FFFD}"));
    assert_eq!(from_js, expected);
    for not_text in [
        JsValue::from(12),
        JsValue::NULL,
        JsValue::UNDEFINED,
        js("{}"),
    ] {
        let out = JSON::parse(&String::from(wasm::calculate_json(&not_text))).unwrap();
        assert_eq!(get(&out, "ok"), JsValue::FALSE);
        assert_eq!(get(&out, "errors.0.field").as_string().unwrap(), "request");
        assert_eq!(
            get(&out, "errors.0.code").as_string().unwrap(),
            "wrong_type"
        );
    }
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

#[wasm_bindgen_test]
fn price_option_and_implied_vol_round_trip_through_js() {
    let out = wasm::price_option(js(
        r#"{"optionType": "call", "underlying": 60000, "strike": 65000, "timeYears": 0.25, "volatility": 0.6}"#,
    ));
    assert_eq!(get(&out, "ok"), JsValue::TRUE);
    let price = get(&out, "result.price").as_f64().unwrap();
    let delta = get(&out, "result.delta").as_f64().unwrap();
    assert!(price > 0.0 && delta > 0.0 && delta < 1.0);
    let request =
        js(r#"{"optionType": "call", "underlying": 60000, "strike": 65000, "timeYears": 0.25}"#);
    Reflect::set(&request, &"price".into(), &JsValue::from_f64(price)).unwrap();
    let iv = wasm::implied_vol(request);
    let vol = get(&iv, "result.volatility").as_f64().unwrap();
    assert!((vol - 0.6).abs() < 1e-12, "{vol}");
}

#[wasm_bindgen_test]
fn pricing_refusals_are_named() {
    let out = wasm::implied_vol(js(
        r#"{"optionType": "put", "underlying": 100, "strike": 120, "timeYears": 1, "price": 5}"#,
    ));
    assert_eq!(get(&out, "ok"), JsValue::FALSE);
    assert_eq!(get(&out, "errors.0.field").as_string().unwrap(), "price");
    assert_eq!(
        get(&out, "errors.0.code").as_string().unwrap(),
        "below_intrinsic"
    );
    let out = wasm::price_option(js(
        r#"{"optionType": "call", "underlying": 100, "strike": 100, "timeYears": 1, "volatility": 0.5, "spot": 1}"#,
    ));
    assert_eq!(
        get(&out, "errors.0.code").as_string().unwrap(),
        "unknown_field"
    );
}

/// Three Black-76 options (call, put, short-dated call) and their `priceDeltaBatch` results.
struct ThreeOptions {
    is_call: [u8; 3],
    forward: [f64; 3],
    strike: [f64; 3],
    time: [f64; 3],
    rate: [f64; 3],
    vol: [f64; 3],
    price: [f64; 3],
    delta: [f64; 3],
}

fn three_options() -> ThreeOptions {
    let mut o = ThreeOptions {
        is_call: [1, 0, 1],
        forward: [60000.0, 60000.0, 3000.0],
        strike: [65000.0, 55000.0, 3100.0],
        time: [0.25, 0.5, 1.0 / 365.0],
        rate: [0.0, 0.05, 0.0],
        vol: [0.6, 0.7, 0.9],
        price: [0.0; 3],
        delta: [0.0; 3],
    };
    let ok = wasm::price_delta_batch(
        "black76",
        &o.is_call,
        &o.forward,
        &o.strike,
        &o.time,
        &o.rate,
        &o.vol,
        &mut o.price,
        &mut o.delta,
    );
    assert_eq!(get(&ok, "ok"), JsValue::TRUE);
    o
}

#[wasm_bindgen_test]
fn batches_agree_with_single_quotes() {
    let ThreeOptions {
        is_call,
        forward,
        strike,
        time,
        rate,
        vol,
        mut price,
        mut delta,
    } = three_options();
    for i in 0..3 {
        let single = wasm::price_option(js(&format!(
            r#"{{"optionType": "{}", "underlying": {}, "strike": {}, "timeYears": {}, "rate": {}, "volatility": {}}}"#,
            if is_call[i] == 1 { "call" } else { "put" },
            forward[i],
            strike[i],
            time[i],
            rate[i],
            vol[i]
        )));
        // The batch kernel agrees with the scalar path to a few parts in 10^14.
        let single_price = get(&single, "result.price").as_f64().unwrap();
        let single_delta = get(&single, "result.delta").as_f64().unwrap();
        assert!(
            (single_price - price[i]).abs() <= 2e-14 * single_price,
            "#{i} price"
        );
        assert!(
            (single_delta - delta[i]).abs() <= 2e-15 * single_delta.abs(),
            "#{i} delta"
        );
    }
    let (mut iv, mut status) = ([0.0; 3], [9u8; 3]);
    let mut bad_price = price;
    bad_price[2] = -1.0; // a negative premium has no volatility
    let out = wasm::implied_vol_batch(
        "black76",
        &is_call,
        &bad_price,
        &forward,
        &strike,
        &time,
        &rate,
        &mut iv,
        &mut status,
    );
    assert_eq!(get(&out, "ok"), JsValue::TRUE);
    assert!((iv[0] - 0.6).abs() < 1e-12);
    assert_eq!(status[0], 0);
    assert!(iv[2].is_nan() && status[2] != 0);
    let short = wasm::price_delta_batch(
        "black76",
        &is_call,
        &forward[..2],
        &strike,
        &time,
        &rate,
        &vol,
        &mut price,
        &mut delta,
    );
    assert_eq!(get(&short, "ok"), JsValue::FALSE);
    assert_eq!(get(&short, "code").as_string().unwrap(), "length_mismatch");
}

#[path = "support/wide_chain.rs"]
mod wide_chain;

/// Determinism of the SIMD batch kernel: in Node and Chromium the chain's price and delta bits
/// are those recorded natively by `tests/pricing_batch.rs`.
#[wasm_bindgen_test]
fn batch_kernel_bits_match_the_native_recording() {
    assert_eq!(
        wide_chain::golden_text(),
        include_str!("vectors/determinism/price_delta_batch.json")
    );
}

/// The portfolio search's SIMD scenario kernel gives the scalar function's bits in WebAssembly
/// too (its own tests check the same natively, where the lanes are pairs of scalars), on options
/// from far below to far above the strike and from hours to years at 5 % to 300 %.
#[wasm_bindgen_test]
fn scenario_kernel_bits_match_the_scalar_function() {
    use imr::fmath::DetMath;
    use imr::pricing::scenario_batch::black76_scenario_premiums_ln;
    use imr::pricing::{black76_scenario_premium_ln, OptionKind};
    let mut rng = wide_chain::Lcg(11);
    let mut next = || rng.next_f64();
    let n = 50_000;
    let (mut kinds, mut f, mut k, mut ln, mut s) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let forward = 60_000.0 * (0.02 + 8.0 * next() * next());
        kinds.push(if i % 3 == 0 {
            OptionKind::Put
        } else {
            OptionKind::Call
        });
        f.push(forward);
        k.push(60_000.0);
        ln.push((forward / 60_000.0).dln());
        s.push(0.0005 + 4.0 * next() * next() * next());
    }
    let mut out = vec![0.0; n];
    black76_scenario_premiums_ln(&kinds, &f, &k, &ln, &s, &mut out);
    for i in 0..n {
        let expected = black76_scenario_premium_ln(kinds[i], f[i], k[i], ln[i], s[i]);
        assert_eq!(out[i].to_bits(), expected.to_bits(), "element {i}");
    }
}

/// Determinism, wasm half: the same recorded responses as `tests/determinism_golden.rs` (native),
/// byte for byte, in Node and in Chromium.
#[wasm_bindgen_test]
fn responses_match_the_native_recording() {
    let requests: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("vectors/determinism/requests.json")).unwrap();
    let recorded: Vec<String> =
        serde_json::from_str(include_str!("vectors/determinism/responses.json")).unwrap();
    assert_eq!(requests.len(), recorded.len());
    for (i, (request, then)) in requests.iter().zip(&recorded).enumerate() {
        // calculateJson answers in ASCII: the recording with its non-ASCII characters escaped.
        let now = String::from(wasm::calculate_json(&request.to_string().into()));
        assert_eq!(
            now,
            ascii::ascii_escaped(then),
            "request {i} differs from the native recording"
        );
    }
}

#[wasm_bindgen_test]
fn values_that_are_not_data_are_named_errors() {
    // A cycle (the object contains itself) is refused as too deep, never a stack overflow.
    let cyclic = js(BYBIT_ISO_LONG);
    Reflect::set(&get(&cyclic, "account"), &"self".into(), &cyclic).unwrap();
    let out = wasm::calculate(cyclic);
    assert_eq!(get(&out, "ok"), JsValue::FALSE);
    assert_eq!(get(&out, "errors.0.code").as_string().unwrap(), "too_deep");
    // A function or a bigint where data is expected.
    for bad in [
        js_sys::Function::default().into(),
        JsValue::bigint_from_str("12"),
    ] {
        let req = js(BYBIT_ISO_LONG);
        Reflect::set(&get(&req, "positions.0"), &"size".into(), &bad).unwrap();
        let out = wasm::calculate(req);
        assert_eq!(get(&out, "ok"), JsValue::FALSE);
        assert_eq!(
            get(&out, "errors.0.code").as_string().unwrap(),
            "wrong_type"
        );
    }
    // Undefined members are dropped, as JSON.stringify does: the request stays valid.
    let req = js(BYBIT_ISO_LONG);
    Reflect::set(
        &get(&req, "positions.0"),
        &"isolatedMargin".into(),
        &JsValue::UNDEFINED,
    )
    .unwrap();
    assert_eq!(get(&wasm::calculate(req), "ok"), JsValue::TRUE);
    // NaN and infinities arrive as named errors on their field.
    for (x, code) in [
        (f64::NAN, "not_a_number"),
        (f64::INFINITY, "not_finite"),
        (f64::NEG_INFINITY, "not_finite"),
    ] {
        let req = js(BYBIT_ISO_LONG);
        Reflect::set(
            &get(&req, "positions.0"),
            &"entryPrice".into(),
            &JsValue::from_f64(x),
        )
        .unwrap();
        let out = wasm::calculate(req);
        assert_eq!(
            get(&out, "errors.0.field").as_string().unwrap(),
            "positions[0].entryPrice"
        );
        assert_eq!(get(&out, "errors.0.code").as_string().unwrap(), code);
    }
}

/// Calls `object.method()` through JavaScript (the generated class's glue).
fn call(object: &JsValue, method: &str) -> JsValue {
    Reflect::get(object, &method.into())
        .unwrap()
        .unchecked_into::<js_sys::Function>()
        .call0(object)
        .unwrap()
}

/// The byte length of the module's memory (it changes only when the memory grows).
fn memory_bytes() -> f64 {
    get(&wasm_bindgen::memory(), "buffer.byteLength")
        .as_f64()
        .unwrap()
}

#[wasm_bindgen_test]
fn option_chains_refuse_bad_lengths_and_models_by_name() {
    let cases: [(JsValue, JsValue, &str, &str); 8] = [
        (f64::NAN.into(), "black76".into(), "length", "not_a_number"),
        (
            f64::INFINITY.into(),
            "black76".into(),
            "length",
            "not_finite",
        ),
        ("3".into(), "black76".into(), "length", "wrong_type"),
        (0.into(), "black76".into(), "length", "out_of_range"),
        ((-2).into(), "black76".into(), "length", "out_of_range"),
        (1.5.into(), "black76".into(), "length", "out_of_range"),
        (
            1_048_577.into(),
            "blackScholes".into(),
            "length",
            "out_of_range",
        ),
        (3.into(), "heston".into(), "model", "invalid_choice"),
    ];
    for (length, model, field, code) in cases {
        let out = wasm::option_chain(length.clone(), model);
        assert_eq!(get(&out, "ok"), JsValue::FALSE, "{length:?}");
        assert_eq!(get(&out, "errors.length").as_f64(), Some(1.0));
        assert_eq!(get(&out, "errors.0.field").as_string().unwrap(), field);
        assert_eq!(get(&out, "errors.0.code").as_string().unwrap(), code);
    }
    // Both refusals at once.
    let out = wasm::option_chain(JsValue::NULL, JsValue::UNDEFINED);
    assert_eq!(get(&out, "errors.length").as_f64(), Some(2.0));
    let out = wasm::option_chain(2.into(), " BlackScholes ".into());
    assert_eq!(get(&out, "ok"), JsValue::TRUE);
    assert_eq!(
        get(&out, "result.model").as_string().unwrap(),
        "blackScholes"
    );
    assert_eq!(get(&out, "result.length").as_f64(), Some(2.0));
}

/// `OptionChain` prices in place with the kernel of `priceDeltaBatch` (the same bits), solves
/// implied volatilities back, reports bad options by index, and none of its calls grows the
/// module's memory, so views taken once stay attached.
#[wasm_bindgen_test]
fn option_chains_price_in_place_without_growing_memory() {
    let batch = three_options();

    let chain = get(&wasm::option_chain(3.into(), "black76".into()), "result");
    let view = |name: &str| get(&chain, name);
    view("isCall")
        .unchecked_into::<js_sys::Uint8Array>()
        .copy_from(&batch.is_call);
    for (name, values) in [
        ("underlying", &batch.forward),
        ("strike", &batch.strike),
        ("timeYears", &batch.time),
        ("rate", &batch.rate),
        ("volatility", &batch.vol),
    ] {
        view(name)
            .unchecked_into::<js_sys::Float64Array>()
            .copy_from(values);
    }
    let price_view: js_sys::Float64Array = view("price").unchecked_into();
    let delta_view: js_sys::Float64Array = view("delta").unchecked_into();
    let vol_view: js_sys::Float64Array = view("volatility").unchecked_into();
    let iv_view: js_sys::Float64Array = view("impliedVolatility").unchecked_into();
    let status_view: js_sys::Uint8Array = view("status").unchecked_into();
    let bytes = memory_bytes();
    for _ in 0..50 {
        let out = call(&chain, "priceDelta");
        assert_eq!(get(&out, "ok"), JsValue::TRUE);
        assert_eq!(get(&out, "failures").as_f64(), Some(0.0));
    }
    assert_eq!(price_view.to_vec(), batch.price);
    assert_eq!(delta_view.to_vec(), batch.delta);

    price_view.set_index(2, -1.0); // below intrinsic: no volatility
    for _ in 0..50 {
        let out = call(&chain, "impliedVol");
        assert_eq!(get(&out, "failures").as_f64(), Some(1.0));
    }
    let iv = iv_view.to_vec();
    assert!(
        (iv[0] - 0.6).abs() < 1e-12 && (iv[1] - 0.7).abs() < 1e-12,
        "{iv:?}"
    );
    assert!(iv[2].is_nan());
    assert_eq!(status_view.to_vec(), [0, 0, 4]);

    vol_view.set_index(1, f64::NAN);
    let out = call(&chain, "priceDelta");
    assert_eq!(get(&out, "ok"), JsValue::FALSE);
    assert_eq!(get(&out, "index").as_f64(), Some(1.0));
    assert_eq!(get(&out, "field").as_string().unwrap(), "volatility");
    assert_eq!(get(&out, "code").as_string().unwrap(), "not_finite");
    assert_eq!(
        get(&out, "message").as_string().unwrap(),
        "volatility must be a finite number"
    );

    // No call of the chain grew the memory: the views taken before them are still attached.
    assert_eq!(memory_bytes(), bytes);
    assert_eq!(price_view.length(), 3);
    assert_eq!(price_view.get_index(0), batch.price[0]);
    call(&chain, "free");
}
