//! Determinism, native half: the responses to `tests/vectors/determinism/requests.json` (futures,
//! options, portfolio margin, stress, invalid requests) are exactly those recorded in
//! `responses.json`; `tests/wasm_api.rs` checks the same file in Node and Chromium, so native and
//! wasm agree byte for byte. After an intended change of output, re-record with
//! `IMR_BLESS=1 cargo test --test determinism_golden` and review the diff.

use serde_json::Value;

#[path = "support/ascii.rs"]
mod ascii;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/determinism");

#[test]
fn responses_match_the_recorded_ones() {
    let requests: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/requests.json")).unwrap())
            .unwrap();
    let responses: Vec<String> = requests
        .iter()
        .map(|r| imr::calculate_json(&r.to_string()))
        .collect();
    let path = format!("{DIR}/responses.json");
    if std::env::var_os("IMR_BLESS").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&responses).unwrap() + "\n",
        )
        .unwrap();
    }
    let recorded: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(recorded.len(), requests.len());
    assert!(responses.iter().any(|r| r.starts_with(r#"{"ok":true"#)));
    assert!(responses.iter().any(|r| r.starts_with(r#"{"ok":false"#)));
    for (i, (now, then)) in responses.iter().zip(&recorded).enumerate() {
        assert_eq!(now, then, "request {i} changed its response");
    }
}

/// The wasm export `calculateJson` answers with `calculate_json_ascii`: the same text with every
/// non-ASCII character escaped, and the same JSON data.
#[test]
fn the_ascii_responses_are_the_recorded_ones_escaped() {
    let requests: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/requests.json")).unwrap())
            .unwrap();
    let mut escaped = 0;
    for (i, request) in requests.iter().enumerate() {
        let text = request.to_string();
        let utf8 = imr::calculate_json(&text);
        let ascii = imr::calculate_json_ascii(&text);
        assert!(ascii.is_ascii(), "request {i}: {ascii}");
        assert_eq!(ascii, ascii::ascii_escaped(&utf8), "request {i}");
        let as_data: Value = serde_json::from_str(&ascii).unwrap();
        assert_eq!(
            as_data,
            serde_json::from_str::<Value>(&utf8).unwrap(),
            "request {i}"
        );
        if !utf8.is_ascii() {
            escaped += 1;
        }
    }
    assert!(escaped > 0, "some golden responses hold non-ASCII text");
}
