//! imr: a margin engine for crypto derivatives.
//!
//! Perpetuals, dated futures and options, linear (quote-settled) or inverse (coin-settled):
//! initial and maintenance margin, equity, leverage, liquidation prices and a breakdown of every
//! number, in exact decimals. The engine is plain Rust; [`wasm`] (compiled only for `wasm32`)
//! exports it to JavaScript.
//!
//! ```
//! let response = imr::calculate_json(r#"{
//!   "account": {"walletBalance": "1000", "marginMode": "isolated"},
//!   "markets": [{"symbol": "BTCUSDT", "markPrice": "20000",
//!                "margin": {"type": "fixed", "maintenanceMarginRate": "0.005"}}],
//!   "positions": [{"symbol": "BTCUSDT", "side": "long", "size": "1",
//!                  "entryPrice": "20000", "leverage": "50"}]
//! }"#);
//! assert!(response.contains(r#""initialMargin":"400""#));
//! ```
//!
//! Options: a market of kind `"option"` (call/put, `strike`, `expiry`, `underlyingPrice`, and
//! `impliedVolatility` or the option's `markPrice`) with a `standardOption` margin rule or an
//! option preset; the request then needs `valuationTime` (ISO 8601 UTC — the engine has no
//! clock). Time to expiry is ACT/365 at minute resolution. **An option whose expiry is at or
//! before `valuationTime` is refused** with code `expired` on `markets[i].expiry`. Books holding
//! options report every root of `equity(P) = MM(P)` in `account.bookLiquidation`
//! ([`options`]).
//!
//! ```
//! let response = imr::calculate_json(r#"{
//!   "account": {"walletBalance": "1"},
//!   "valuationTime": "2025-06-01T08:00:00Z",
//!   "markets": [{"preset": "deribit-btc-option", "symbol": "BTC-27JUN25-63000-C",
//!                "optionType": "call", "strike": "63000", "expiry": "2025-06-27T08:00:00Z",
//!                "underlyingPrice": "60000", "markPrice": "0.02"}],
//!   "positions": [{"symbol": "BTC-27JUN25-63000-C", "side": "short", "size": "1",
//!                  "entryPrice": "0.02"}]
//! }"#);
//! // Deribit: max(0.15 − 3000/60000, 0.1) + 0.02 = 0.12 BTC.
//! assert!(response.contains(r#""initialMargin":"0.12""#));
//! ```

pub mod account;
pub mod error;
pub mod expiry;
pub mod fmath;
#[cfg(any(target_arch = "wasm32", test))]
mod heap;
pub mod instrument;
pub mod json;
pub mod liquidation;
pub mod money;
pub mod options;
pub mod orders;
pub mod portfolio;
pub mod presets;
pub mod pricing;
pub mod quote;
pub mod request;
pub mod response;
pub mod risk;
pub mod rules;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod wire;

pub use error::{FieldError, InputErrors};
pub use request::Request;
pub use response::Response;

use serde::Serialize;

/// Validates a request and computes every figure.
/// With `orders`, the response also carries the margin the open orders hold and, for each
/// order, the account if it filled ([`orders::evaluate`]; in portfolio mode
/// [`orders::evaluate_portfolio`], the scenario grid re-run on the filled book).
///
/// The whole-book blocks — portfolio margin, book liquidation with touch probabilities, stress
/// tests, VaR/ES, dynamic initial-margin models and collateral — are validated and added by
/// [`portfolio`].
pub fn calculate(request: &Request) -> Result<Response, InputErrors> {
    let book = request.validate()?;
    let orders = request.validate_orders(&book)?;
    let risk = portfolio::validate(request, &book)?;
    let wallet = book.account.wallet_balance;
    let book = risk.with_collateral(book);
    let mut response = account::compute_figures(&book, &risk.imr, risk.portfolio.is_none());
    portfolio::extend(&book, &risk, wallet, &mut response)?;
    if !orders.is_empty() {
        response.orders = Some(match &risk.portfolio {
            Some(pm) => {
                let fee = book.account.liquidation_fee_rate.unwrap_or_default();
                orders::evaluate_portfolio(
                    &book,
                    &response,
                    &orders,
                    &|b| portfolio::grid_figures(b, pm),
                    &|b, p| {
                        let model = risk.imr.get(p.market).and_then(Option::as_ref);
                        account::standalone_margins(&b.markets[p.market], p, fee, model)
                    },
                )
            }
            None => orders::evaluate(&book, &response, &orders, &risk.imr),
        });
    }
    Ok(response)
}

/// The outcome envelope used on every boundary (JS, command line, JSON):
/// `{"ok": true, "result": …}` or `{"ok": false, "errors": [{field, code, message}, …]}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome<T: Serialize> {
    /// Success.
    Ok {
        /// Always true.
        ok: bool,
        /// The result.
        result: T,
    },
    /// Failure, with every field error found.
    Err {
        /// Always false.
        ok: bool,
        /// The errors.
        errors: Vec<FieldError>,
    },
}

impl<T: Serialize> From<Result<T, InputErrors>> for Outcome<T> {
    fn from(r: Result<T, InputErrors>) -> Self {
        match r {
            Ok(result) => Outcome::Ok { ok: true, result },
            Err(e) => Outcome::Err {
                ok: false,
                errors: e.errors,
            },
        }
    }
}

/// Turns a data error of the request reader into a field error: `path` is where it happened
/// (`.` for the whole request), the code says whether a field was unknown, missing, or of the
/// wrong type (from serde's wording, which [`wire`] keeps).
pub fn deserialize_error(path: &str, message: &str) -> FieldError {
    let mut field = path.to_string();
    if field == "." {
        field = String::new();
    }
    let code = if message.starts_with("unknown field") {
        // serde names the field in backticks: unknown field `foo`, expected ...
        if let Some(name) = message.split('`').nth(1) {
            if !field.ends_with(name) {
                field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
            }
        }
        "unknown_field"
    } else if message.starts_with("unknown variant") {
        "invalid_choice"
    } else if message.starts_with("missing field") {
        "required"
    } else if find_text(message, "invalid type").is_some()
        || find_text(message, "did not match any variant").is_some()
    {
        "wrong_type"
    } else {
        "invalid_json"
    };
    let message = match find_text(message, " at line ") {
        Some(at) => message.get(..at).unwrap_or(message),
        None => message,
    }
    .to_string();
    FieldError::new(
        if field.is_empty() {
            "request".to_string()
        } else {
            field
        },
        code,
        message,
    )
}

/// Parses a JSON request (field paths on every error), computes, and returns the outcome as JSON.
/// This is the entry the command-line tool, the fuzzer and the tests share.
pub fn calculate_json(json: &str) -> String {
    let outcome: Outcome<Response> = parse_json_request(json).and_then(|r| calculate(&r)).into();
    outcome_json(&outcome)
}

/// [`calculate_json`] in pure ASCII: the same JSON data, every non-ASCII character of its text
/// (the breakdown's ×, −, σ, ≥ …) escaped as `\uXXXX` (UTF-16 surrogate pairs beyond the BMP),
/// so the text is exactly [`calculate_json`]'s with those characters escaped. The wasm export
/// `calculateJson` answers with it: JavaScript decodes ASCII from wasm memory much faster than
/// UTF-8 (2026-12-07, Node 20: the 1 000-position book's 1.8 MB response in 1.4 instead of
/// 5.0–5.5 ms) and `JSON.parse` reads the one-byte string faster too (7.8 instead of 11.0 ms).
pub fn calculate_json_ascii(json: &str) -> String {
    let outcome: Outcome<Response> = parse_json_request(json).and_then(|r| calculate(&r)).into();
    outcome_json_ascii(&outcome)
}

/// An outcome as JSON text ([`json`]); a serialisation failure becomes an `internal` error.
pub fn outcome_json<T: Serialize>(outcome: &T) -> String {
    outcome_text(outcome, false)
}

/// [`outcome_json`] in pure ASCII (non-ASCII characters escaped as `\uXXXX`).
pub fn outcome_json_ascii<T: Serialize>(outcome: &T) -> String {
    outcome_text(outcome, true)
}

/// The bytes of [`calculate_json_ascii`] (pure ASCII), for the wasm boundary, which hands them
/// to JavaScript as bytes.
#[cfg(target_arch = "wasm32")]
pub(crate) fn calculate_json_ascii_bytes(json: &str) -> Vec<u8> {
    let outcome: Outcome<Response> = parse_json_request(json).and_then(|r| calculate(&r)).into();
    outcome_ascii_bytes(&outcome)
}

/// The bytes of [`outcome_json_ascii`] (pure ASCII), for the wasm boundary.
#[cfg(target_arch = "wasm32")]
pub(crate) fn outcome_ascii_bytes<T: Serialize>(outcome: &T) -> Vec<u8> {
    json::write_bytes(outcome, 4096, true)
        .unwrap_or_else(|e| json::write_bytes(&internal_error(e), 256, true).unwrap_or_default())
}

fn outcome_text<T: Serialize>(outcome: &T, ascii: bool) -> String {
    json::write(outcome, 4096, ascii)
        .unwrap_or_else(|e| json::write(&internal_error(e), 256, ascii).unwrap_or_default())
}

/// The outcome that reports a response that could not be serialised.
fn internal_error(e: json::Error) -> Outcome<()> {
    Err(InputErrors::one(FieldError::new(
        "response",
        "internal",
        e.to_string(),
    )))
    .into()
}

/// Parses a JSON request, naming the field path of any error. The request types are read
/// straight from the text (one deserializer, here and at the JS boundary, which hands over
/// JSON text too), without building an intermediate JSON tree.
pub fn parse_json_request(json: &str) -> Result<Request, InputErrors> {
    parse_json(json)
}

/// Reads any request type from JSON text ([`wire`]), naming the field path of any error
/// (`invalid_json` for text that is not JSON at all, `too_deep` past 127 levels of nesting).
pub fn parse_json<T: wire::Wire>(json: &str) -> Result<T, InputErrors> {
    wire::parse(json).map_err(|e| {
        InputErrors::one(match *e {
            wire::Error::TooDeep => {
                FieldError::new("request", "too_deep", "is nested too deeply (or is cyclic)")
            }
            wire::Error::Syntax(message) => FieldError::new("request", "invalid_json", message),
            wire::Error::Data { path, message } => deserialize_error(&path, &message),
        })
    })
}

/// The bundled presets (name, venue, date, source and parameters).
pub fn list_presets() -> &'static [presets::Preset] {
    presets::all()
}

/// The first `chars` characters of `text` (all of it when shorter): how error messages quote
/// what the user typed. One out-of-line copy instead of the same `chars().take(n).collect()`
/// expanded at every message that quotes input.
#[inline(never)]
pub(crate) fn text_prefix(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Where `needle` first occurs in `haystack` (a byte offset), by a plain byte-window scan.
/// The crate's few substring searches (short, ASCII needles in error texts) use this instead of
/// `str::contains`/`split` with a `&str` pattern, whose Two-Way searcher links core's
/// string-slicing panic and, through its message, Unicode's printability tables (~8 KB gzipped).
#[inline(never)]
pub(crate) fn find_text(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window == needle.as_bytes())
}
