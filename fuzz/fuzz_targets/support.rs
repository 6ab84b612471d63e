//! Helpers shared by the fuzz targets (each target includes this file as `mod support`).
#![allow(dead_code)] // not every target uses every helper

use serde_json::{json, Value};

/// Edge values for decimal fields: zero, signs, the engine's limits (1e-12, 1e12) and beyond
/// them, `Decimal`'s smallest step, values just around 1, common rates and prices.
#[rustfmt::skip]
pub const EDGES: &[&str] = &[
    "0", "1", "-1", "0.0000000001", "1e-28", "1e-12", "0.5", "2", "10", "125", "1000", "1e12",
    "999999999999", "0.999999", "1.000001", "60000", "0.004", "0.1", "0.99", "1e11", "3e-7",
];

/// A number for a well-shaped request, from the fuzzer's bytes: a tag below `edge_tags` picks
/// one of the values of `edges` (the lists one after the other); any other tag takes the next
/// eight bytes as an `f64`, written as a string (even tag) or as a JSON number (odd tag; NaN and
/// ±∞, which JSON cannot hold, as "NaN").
pub fn number(bytes: &mut impl Iterator<Item = u8>, edges: &[&[&str]], edge_tags: u8) -> Value {
    let tag = bytes.next().unwrap_or(0);
    if tag < edge_tags {
        let total: usize = edges.iter().map(|list| list.len()).sum();
        let mut index = tag as usize % total;
        for list in edges {
            if index < list.len() {
                return json!(list[index]);
            }
            index -= list.len();
        }
        unreachable!("index < total")
    } else {
        let mut raw = [0u8; 8];
        for b in raw.iter_mut() {
            *b = bytes.next().unwrap_or(0);
        }
        let x = f64::from_le_bytes(raw);
        if tag & 1 == 0 {
            json!(format!("{x}"))
        } else {
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .unwrap_or(json!("NaN"))
        }
    }
}

/// An answer of `imr::calculate_json`, parsed, after checking that it is JSON with `ok` true or
/// a non-empty list of errors that each name a field.
pub fn checked_answer(out: &str) -> Value {
    let v: Value = serde_json::from_str(out).expect("response is JSON");
    if v["ok"] == Value::Bool(false) {
        let errors = v["errors"].as_array().expect("errors");
        assert!(!errors.is_empty());
        assert!(errors
            .iter()
            .all(|e| e["field"].as_str().is_some_and(|f| !f.is_empty())));
    } else {
        assert_eq!(v["ok"], Value::Bool(true));
    }
    v
}
