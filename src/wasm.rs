//! The JavaScript boundary (compiled only for `wasm32`): thin wasm-bindgen exports over the
//! engine. Every input is validated by the engine; every failure comes back as a structured
//! `{ok: false, errors: [{field, code, message}]}` object, never a panic or an untyped throw.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::error::{FieldError, InputErrors};
use crate::{calculate as engine_calculate, deserialize_error, Outcome, Request};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Serialises `value` as a plain JS object (maps as objects, numbers as numbers).
fn to_js<T: Serialize>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match value.serialize(&serializer) {
        Ok(v) => v,
        Err(e) => {
            let outcome: Outcome<()> = Err(InputErrors::one(FieldError::new(
                "response",
                "internal",
                e.to_string(),
            )))
            .into();
            outcome.serialize(&serializer).unwrap_or(JsValue::NULL)
        }
    }
}

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, InputErrors> {
    if value.is_undefined() || value.is_null() {
        return Err(InputErrors::one(FieldError::new(
            "request",
            "required",
            "pass a request object",
        )));
    }
    let de = serde_wasm_bindgen::Deserializer::from(value);
    serde_path_to_error::deserialize(de)
        .map_err(|e| InputErrors::one(deserialize_error(e.path(), e.inner())))
}

/// `calculate(request)`: the full margin calculation. Returns `{ok: true, result}` or
/// `{ok: false, errors}`; decimal figures are strings.
#[wasm_bindgen(js_name = calculate)]
pub fn calculate(request: JsValue) -> JsValue {
    let outcome: Outcome<_> = from_js::<Request>(request)
        .and_then(|r| engine_calculate(&r))
        .into();
    to_js(&outcome)
}

/// `calculateJson(text)`: the same from and to JSON text.
#[wasm_bindgen(js_name = calculateJson)]
pub fn calculate_json(text: &str) -> String {
    crate::calculate_json(text)
}

/// `listPresets()`: the bundled, dated and sourced presets.
#[wasm_bindgen(js_name = listPresets)]
pub fn list_presets() -> JsValue {
    to_js(&crate::list_presets())
}

/// `version()`: the engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
