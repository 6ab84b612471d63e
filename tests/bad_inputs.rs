//! The bad-input catalogue: every request here is wrong in one way, and the engine must answer
//! with a structured error naming the field path and a stable code — never a panic, never a
//! plausible number.

use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "account": {"walletBalance": "10000", "marginMode": "cross"},
        "markets": [
            {"symbol": "BTCUSDT", "markPrice": "60000",
             "margin": {"type": "fixed", "maintenanceMarginRate": "0.004"}},
            {"symbol": "BTCUSD", "settlement": "linear", "markPrice": "60000",
             "margin": {"type": "tiered", "tiers": [
                 {"notionalFloor": "0", "notionalCap": "50000", "maintenanceMarginRate": "0.004", "maxLeverage": "125"},
                 {"notionalFloor": "50000", "maintenanceMarginRate": "0.005", "maxLeverage": "100", "maintenanceAmount": "50"}]}}
        ],
        "positions": [
            {"symbol": "BTCUSDT", "side": "long", "size": "0.5", "entryPrice": "59000", "leverage": "10"},
            {"symbol": "BTCUSD", "side": "short", "size": "1", "entryPrice": "61000", "leverage": "20"}
        ]
    })
}

/// Sets `value` at a `/`-separated pointer, creating nothing: the parent must exist.
fn set(mut req: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    let target = req
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match target {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().expect("index")] = value,
        _ => panic!("{parent} is not a container"),
    }
    req
}

fn remove(mut req: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
    match req.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(key);
        }
        Some(Value::Array(items)) => {
            items.remove(key.parse::<usize>().expect("index"));
        }
        _ => panic!("no {parent}"),
    }
    req
}

struct Case {
    name: &'static str,
    request: String,
    field: &'static str,
    code: &'static str,
}

fn case(name: &'static str, request: Value, field: &'static str, code: &'static str) -> Case {
    Case {
        name,
        request: request.to_string(),
        field,
        code,
    }
}

fn catalogue() -> Vec<Case> {
    let p0 = "/positions/0";
    let m0 = "/markets/0";
    vec![
        // Prices
        case(
            "nan entry (string)",
            set(base(), &format!("{p0}/entryPrice"), json!("NaN")),
            "positions[0].entryPrice",
            "not_a_number",
        ),
        case(
            "infinite entry",
            set(base(), &format!("{p0}/entryPrice"), json!("Infinity")),
            "positions[0].entryPrice",
            "not_finite",
        ),
        case(
            "minus infinity mark",
            set(base(), &format!("{m0}/markPrice"), json!("-inf")),
            "markets[0].markPrice",
            "not_finite",
        ),
        case(
            "negative entry",
            set(base(), &format!("{p0}/entryPrice"), json!("-1")),
            "positions[0].entryPrice",
            "not_positive",
        ),
        case(
            "zero entry",
            set(base(), &format!("{p0}/entryPrice"), json!(0)),
            "positions[0].entryPrice",
            "not_positive",
        ),
        case(
            "negative mark",
            set(base(), &format!("{m0}/markPrice"), json!(-60000)),
            "markets[0].markPrice",
            "not_positive",
        ),
        case(
            "zero mark",
            set(base(), &format!("{m0}/markPrice"), json!("0")),
            "markets[0].markPrice",
            "not_positive",
        ),
        case(
            "garbage entry",
            set(base(), &format!("{p0}/entryPrice"), json!("12abc")),
            "positions[0].entryPrice",
            "not_a_number",
        ),
        case(
            "empty entry",
            set(base(), &format!("{p0}/entryPrice"), json!("")),
            "positions[0].entryPrice",
            "required",
        ),
        case(
            "whitespace entry",
            set(base(), &format!("{p0}/entryPrice"), json!("   ")),
            "positions[0].entryPrice",
            "required",
        ),
        case(
            "missing entry",
            remove(base(), &format!("{p0}/entryPrice")),
            "positions[0].entryPrice",
            "required",
        ),
        case(
            "missing mark",
            remove(base(), &format!("{m0}/markPrice")),
            "markets[0].markPrice",
            "required",
        ),
        case(
            "absurd mark",
            set(base(), &format!("{m0}/markPrice"), json!("1e30")),
            "markets[0].markPrice",
            "too_large",
        ),
        case(
            "absurd mark as a number",
            set(base(), &format!("{m0}/markPrice"), json!(1e300)),
            "markets[0].markPrice",
            "too_large",
        ),
        case(
            "tiny mark as a number",
            set(base(), &format!("{m0}/markPrice"), json!(1e-300)),
            "markets[0].markPrice",
            "too_small",
        ),
        case(
            "mark beyond Decimal",
            set(
                base(),
                &format!("{m0}/markPrice"),
                json!("79228162514264337593543950336"),
            ),
            "markets[0].markPrice",
            "too_large",
        ),
        case(
            "entry as boolean",
            set(base(), &format!("{p0}/entryPrice"), json!(true)),
            "positions[0].entryPrice",
            "wrong_type",
        ),
        case(
            "entry as object",
            set(base(), &format!("{p0}/entryPrice"), json!({"v": 1})),
            "positions[0].entryPrice",
            "wrong_type",
        ),
        case(
            "entry as array",
            set(base(), &format!("{p0}/entryPrice"), json!([1])),
            "positions[0].entryPrice",
            "wrong_type",
        ),
        case(
            "hex entry",
            set(base(), &format!("{p0}/entryPrice"), json!("0x10")),
            "positions[0].entryPrice",
            "not_a_number",
        ),
        case(
            "two dots",
            set(base(), &format!("{p0}/entryPrice"), json!("1.2.3")),
            "positions[0].entryPrice",
            "not_a_number",
        ),
        case(
            "10 MB string",
            set(
                base(),
                &format!("{p0}/entryPrice"),
                json!("9".repeat(10 * 1024 * 1024)),
            ),
            "positions[0].entryPrice",
            "not_a_number",
        ),
        case(
            "10 MB symbol",
            set(
                base(),
                &format!("{p0}/symbol"),
                json!("X".repeat(10 * 1024 * 1024)),
            ),
            "positions[0].symbol",
            "too_long",
        ),
        // Sizes
        case(
            "zero size",
            set(base(), &format!("{p0}/size"), json!("0")),
            "positions[0].size",
            "not_positive",
        ),
        case(
            "negative size",
            set(base(), &format!("{p0}/size"), json!(-2)),
            "positions[0].size",
            "not_positive",
        ),
        case(
            "absurd size",
            set(base(), &format!("{p0}/size"), json!("1000000000000000")),
            "positions[0].size",
            "too_large",
        ),
        case(
            "size at Decimal max",
            set(
                base(),
                &format!("{p0}/size"),
                json!("79228162514264337593543950335"),
            ),
            "positions[0].size",
            "too_large",
        ),
        case(
            "size below Decimal precision",
            set(base(), &format!("{p0}/size"), json!("1e-40")),
            "positions[0].size",
            "too_small",
        ),
        case(
            "nan size (number as string)",
            set(base(), &format!("{p0}/size"), json!("nan")),
            "positions[0].size",
            "not_a_number",
        ),
        case(
            "missing size",
            remove(base(), &format!("{p0}/size")),
            "positions[0].size",
            "required",
        ),
        // Leverage
        case(
            "zero leverage",
            set(base(), &format!("{p0}/leverage"), json!(0)),
            "positions[0].leverage",
            "not_positive",
        ),
        case(
            "negative leverage",
            set(base(), &format!("{p0}/leverage"), json!("-5")),
            "positions[0].leverage",
            "not_positive",
        ),
        case(
            "leverage below one",
            set(base(), &format!("{p0}/leverage"), json!("0.5")),
            "positions[0].leverage",
            "out_of_range",
        ),
        case(
            "absurd leverage",
            set(base(), &format!("{p0}/leverage"), json!("100000")),
            "positions[0].leverage",
            "out_of_range",
        ),
        case(
            "missing leverage on a fixed rule",
            remove(base(), &format!("{p0}/leverage")),
            "positions[0].leverage",
            "required",
        ),
        // Choices and text
        case(
            "bad side",
            set(base(), &format!("{p0}/side"), json!("up")),
            "positions[0].side",
            "invalid_choice",
        ),
        case(
            "missing side",
            remove(base(), &format!("{p0}/side")),
            "positions[0].side",
            "required",
        ),
        case(
            "bad margin mode",
            set(base(), "/account/marginMode", json!("portfolio!")),
            "account.marginMode",
            "invalid_choice",
        ),
        case(
            "bad settlement",
            set(base(), &format!("{m0}/settlement"), json!("quanto")),
            "markets[0].settlement",
            "invalid_choice",
        ),
        case(
            "bad kind",
            set(base(), &format!("{m0}/kind"), json!("swaption")),
            "markets[0].kind",
            "invalid_choice",
        ),
        case(
            "bad margin basis",
            set(base(), &format!("{m0}/marginBasis"), json!("index")),
            "markets[0].marginBasis",
            "invalid_choice",
        ),
        case(
            "unknown rule type",
            set(base(), &format!("{m0}/margin"), json!({"type": "magic"})),
            "markets[0].margin.type",
            "invalid_choice",
        ),
        case(
            "unknown market",
            set(base(), &format!("{p0}/symbol"), json!("DOGEUSDT")),
            "positions[0].symbol",
            "unknown_market",
        ),
        case(
            "empty symbol",
            set(base(), &format!("{p0}/symbol"), json!("")),
            "positions[0].symbol",
            "required",
        ),
        case(
            "duplicate market",
            set(base(), "/markets/1/symbol", json!("BTCUSDT")),
            "markets[1].symbol",
            "duplicate",
        ),
        case(
            "unknown preset",
            set(base(), &format!("{m0}/preset"), json!("nowhere-2020")),
            "markets[0].preset",
            "unknown_preset",
        ),
        // Structure
        case(
            "unknown top-level field",
            set(base(), "/bogus", json!(1)),
            "bogus",
            "unknown_field",
        ),
        case(
            "unknown account field",
            set(base(), "/account/leverage", json!(10)),
            "account.leverage",
            "unknown_field",
        ),
        case(
            "unknown position field",
            set(base(), &format!("{p0}/price"), json!(1)),
            "positions[0].price",
            "unknown_field",
        ),
        case(
            "unknown rule field",
            set(base(), &format!("{m0}/margin/rate"), json!("0.1")),
            "markets[0].margin.rate",
            "unknown_field",
        ),
        case(
            "missing account",
            remove(base(), "/account"),
            "account",
            "required",
        ),
        case(
            "account is a number",
            set(base(), "/account", json!(5)),
            "account",
            "wrong_type",
        ),
        case(
            "positions not an array",
            set(base(), "/positions", json!({})),
            "positions",
            "wrong_type",
        ),
        case(
            "empty book",
            set(base(), "/positions", json!([])),
            "positions",
            "required",
        ),
        // Account
        case(
            "negative wallet",
            set(base(), "/account/walletBalance", json!("-1")),
            "account.walletBalance",
            "negative",
        ),
        case(
            "nan wallet",
            set(base(), "/account/walletBalance", json!("NaN")),
            "account.walletBalance",
            "not_a_number",
        ),
        case(
            "missing wallet",
            remove(base(), "/account/walletBalance"),
            "account.walletBalance",
            "required",
        ),
        case(
            "fee above one",
            set(
                set(base(), "/account/includeFees", json!(true)),
                "/account/takerFeeRate",
                json!("2"),
            ),
            "account.takerFeeRate",
            "out_of_range",
        ),
        case(
            "negative other maintenance",
            set(base(), "/account/otherMaintenanceMargin", json!("-3")),
            "account.otherMaintenanceMargin",
            "negative",
        ),
        // Rules
        case(
            "mmr above one",
            set(
                base(),
                &format!("{m0}/margin/maintenanceMarginRate"),
                json!("1.5"),
            ),
            "markets[0].margin.maintenanceMarginRate",
            "out_of_range",
        ),
        case(
            "negative mmr",
            set(
                base(),
                &format!("{m0}/margin/maintenanceMarginRate"),
                json!("-0.01"),
            ),
            "markets[0].margin.maintenanceMarginRate",
            "negative",
        ),
        case(
            "imr below mmr",
            set(
                base(),
                &format!("{m0}/margin/initialMarginRate"),
                json!("0.001"),
            ),
            "markets[0].margin.initialMarginRate",
            "inconsistent",
        ),
        case(
            "tiers with a gap",
            set(
                base(),
                "/markets/1/margin/tiers/1/notionalFloor",
                json!("60000"),
            ),
            "markets[1].margin.tiers[1].notionalFloor",
            "inconsistent_tiers",
        ),
        case(
            "tiers not starting at zero",
            set(
                base(),
                "/markets/1/margin/tiers/0/notionalFloor",
                json!("10"),
            ),
            "markets[1].margin.tiers[0].notionalFloor",
            "inconsistent_tiers",
        ),
        case(
            "wrong published maintenance amount",
            set(
                base(),
                "/markets/1/margin/tiers/1/maintenanceAmount",
                json!("49"),
            ),
            "markets[1].margin.tiers[1].maintenanceAmount",
            "inconsistent_tiers",
        ),
        case(
            "falling tier rate",
            set(
                base(),
                "/markets/1/margin/tiers/1/maintenanceMarginRate",
                json!("0.003"),
            ),
            "markets[1].margin.tiers[1].maintenanceMarginRate",
            "inconsistent_tiers",
        ),
        case(
            "rising tier leverage",
            set(
                base(),
                "/markets/1/margin/tiers/1/maxLeverage",
                json!("200"),
            ),
            "markets[1].margin.tiers[1].maxLeverage",
            "inconsistent_tiers",
        ),
        case(
            "empty tier table",
            set(base(), "/markets/1/margin/tiers", json!([])),
            "markets[1].margin.tiers",
            "required",
        ),
        case(
            "inverse without face value",
            set(
                set(base(), "/markets/1/settlement", json!("inverse")),
                "/markets/0/settlement",
                json!("inverse"),
            ),
            "markets[0].contractSize",
            "required",
        ),
        case(
            "mixed linear and inverse",
            set(
                set(base(), "/markets/1/settlement", json!("inverse")),
                "/markets/1/contractSize",
                json!("100"),
            ),
            "markets",
            "mixed_settlement",
        ),
        case(
            "zero contract size",
            set(base(), &format!("{m0}/contractSize"), json!("0")),
            "markets[0].contractSize",
            "not_positive",
        ),
        case(
            "zero tick",
            set(base(), &format!("{m0}/tickSize"), json!("0")),
            "markets[0].tickSize",
            "not_positive",
        ),
        // Dynamic initial-margin models on option markets (delta-equivalent exposure).
        case(
            "option model: negative floor",
            option_with_model(json!({"type": "volatility", "floor": "-0.1", "volatility": "0.8"})),
            "markets[0].initialMarginModel.floor",
            "negative",
        ),
        case(
            "option model: base above 100 %",
            option_with_model(json!({"type": "sizeLinear", "base": "1.5", "slopePerUnit": "0"})),
            "markets[0].initialMarginModel.base",
            "out_of_range",
        ),
        case(
            "option model: NaN volatility",
            option_with_model(json!({"type": "volatility", "floor": "0.02", "volatility": "NaN"})),
            "markets[0].initialMarginModel.volatility",
            "not_a_number",
        ),
        case(
            "option model: missing baseNotional",
            option_with_model(json!({"type": "sqrtNotional", "base": "0.05"})),
            "markets[0].initialMarginModel.baseNotional",
            "required",
        ),
        case(
            "option model: unknown field",
            option_with_model(
                json!({"type": "sqrtSize", "base": "0.1", "k": "0.01", "delta": "0.5"}),
            ),
            "markets[0].initialMarginModel.delta",
            "unknown_field",
        ),
        // Risk units.
        case(
            "empty underlying",
            set(base(), &format!("{m0}/underlying"), json!("  ")),
            "markets[0].underlying",
            "required",
        ),
        case(
            "underlying too long",
            set(base(), &format!("{m0}/underlying"), json!("B".repeat(65))),
            "markets[0].underlying",
            "too_long",
        ),
        case(
            "underlying not a string",
            set(base(), &format!("{m0}/underlying"), json!(7)),
            "markets[0].underlying",
            "wrong_type",
        ),
        // Orders in portfolio mode (option orders are evaluated there only).
        case(
            "portfolio order: zero size",
            portfolio_with_order(json!({"symbol": "OPT", "side": "sell", "size": "0"})),
            "orders[0].size",
            "not_positive",
        ),
        case(
            "portfolio order: garbage premium",
            portfolio_with_order(
                json!({"symbol": "OPT", "side": "buy", "size": "1", "price": "abc"}),
            ),
            "orders[0].price",
            "not_a_number",
        ),
        case(
            "portfolio order: negative premium",
            portfolio_with_order(
                json!({"symbol": "OPT", "side": "buy", "size": "1", "price": "-5"}),
            ),
            "orders[0].price",
            "not_positive",
        ),
        case(
            "portfolio order: bad side",
            portfolio_with_order(json!({"symbol": "OPT", "side": "hold", "size": "1"})),
            "orders[0].side",
            "invalid_choice",
        ),
        case(
            "option order outside portfolio mode",
            set(
                option_with_model(json!({"type": "sqrtSize", "base": "0.1", "k": "0.01"})),
                "/orders",
                json!([{"symbol": "OPT", "side": "buy", "size": "1"}]),
            ),
            "orders[0].symbol",
            "unsupported",
        ),
    ]
}

/// A portfolio-mode short option book with one order.
fn portfolio_with_order(order: Value) -> Value {
    let mut r = option_with_model(json!({"type": "sqrtSize", "base": "0.1", "k": "0.01"}));
    r["account"]["marginMode"] = json!("portfolio");
    r["account"]["portfolioMargin"] = json!({"grid": "paradex"});
    r["orders"] = json!([order]);
    r
}

/// A short option book whose market carries `model` as its initial-margin model.
fn option_with_model(model: Value) -> Value {
    json!({
        "account": {"walletBalance": "100000"},
        "valuationTime": "2025-06-01T08:00:00Z",
        "markets": [{"symbol": "OPT", "kind": "option", "optionType": "call", "strike": "65000",
                     "expiry": "2025-06-27T08:00:00Z", "underlyingPrice": "60000",
                     "impliedVolatility": "0.6",
                     "margin": {"type": "standardOption", "initialRate": "0.15",
                                "initialFloorRate": "0.1", "maintenanceRate": "0.075"},
                     "initialMarginModel": model}],
        "positions": [{"symbol": "OPT", "side": "short", "size": "1", "entryPrice": "1000"}]
    })
}

fn errors_of(out: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(out).expect("the response is JSON");
    assert_eq!(
        v["ok"],
        json!(false),
        "expected an error, got {}",
        &out[..out.len().min(400)]
    );
    v["errors"]
        .as_array()
        .expect("errors is an array")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or("").to_string(),
                e["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn catalogue_has_at_least_fifty_cases() {
    assert!(catalogue().len() >= 50, "{}", catalogue().len());
}

#[test]
fn the_base_request_is_valid() {
    let out = imr::calculate_json(&base().to_string());
    assert!(out.starts_with(r#"{"ok":true"#), "{out}");
}

#[test]
fn every_bad_request_names_its_field_and_code() {
    let mut failures = Vec::new();
    for c in catalogue() {
        let out = imr::calculate_json(&c.request);
        let errors = errors_of(&out);
        if !errors
            .iter()
            .any(|(f, code)| f == c.field && code == c.code)
        {
            failures.push(format!(
                "{}: expected {} / {}, got {:?}",
                c.name, c.field, c.code, errors
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        catalogue().len(),
        failures.join("\n")
    );
}

#[test]
fn malformed_json_is_a_request_error() {
    for text in ["", "{", "[1,2", "null", "\"text\"", "42", "{\"account\": }"] {
        let errors = errors_of(&imr::calculate_json(text));
        assert!(!errors.is_empty());
        assert!(
            errors.iter().all(|(f, _)| !f.is_empty()),
            "{text}: {errors:?}"
        );
    }
}

#[test]
fn absurd_nesting_is_a_named_type_error_and_trailing_text_is_invalid() {
    // 200 levels of arrays where a string belongs: the field is named as the wrong type (the
    // reader never descends into it), not a stack overflow.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let request = base().to_string().replacen(r#""BTCUSDT""#, &deep, 1);
    assert_eq!(
        errors_of(&imr::calculate_json(&request)),
        vec![("markets[0].symbol".to_string(), "wrong_type".to_string())]
    );
    let trailing = format!("{} {{}}", base());
    assert_eq!(
        errors_of(&imr::calculate_json(&trailing)),
        vec![("request".to_string(), "invalid_json".to_string())]
    );
}
