//! The escaping `calculateJson` applies, written independently of the engine's JSON writer, so
//! the tests can state "the wasm answer is the native answer with its non-ASCII characters
//! escaped" byte for byte.

/// `text` with every non-ASCII character replaced by `\uXXXX` (lower-case hex, UTF-16 surrogate
/// pairs beyond the BMP): what `imr::calculate_json_ascii` writes for the same response.
pub fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}
