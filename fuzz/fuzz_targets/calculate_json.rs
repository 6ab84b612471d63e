//! Arbitrary bytes as a JSON request: the answer is always JSON with `ok` true or a non-empty
//! list of errors that each name a field; and the answer the wasm module gives
//! (`calculate_json_ascii`) is pure ASCII and the same JSON data.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod support;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let out = imr::calculate_json(text);
    let v = support::checked_answer(&out);
    let ascii = imr::calculate_json_ascii(text);
    assert!(ascii.is_ascii(), "the wasm module's answer is not ASCII");
    let same: serde_json::Value = serde_json::from_str(&ascii).expect("ASCII response is JSON");
    assert_eq!(same, v, "the ASCII answer is other data than the UTF-8 one");
});
