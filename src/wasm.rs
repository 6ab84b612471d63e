//! The JavaScript boundary (compiled only for `wasm32`): thin wasm-bindgen exports over the
//! engine. Every input is validated by the engine; every failure comes back as a structured
//! `{ok: false, errors: [{field, code, message}]}` object, never a panic or an untyped throw.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::error::{FieldError, InputErrors};
#[cfg(feature = "pricing-exports")]
use crate::pricing;
#[cfg(feature = "pricing-exports")]
use crate::quote::{self, QuoteRequest};
use crate::{calculate as engine_calculate, Outcome, Request};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Serialises `value` as JSON text and hands it to `JSON.parse`: one string crosses the
/// boundary instead of one call per object member (measured 2.5× faster than building the
/// object member by member, and one serializer in the module instead of two).
///
/// The text is pure ASCII (non-ASCII characters escaped): JavaScript decodes ASCII from wasm
/// memory about 2.5× faster than UTF-8, and `JSON.parse` reads the escapes as fast. It crosses
/// as bytes, decoded by `parseAscii` ([`ascii_js_string`]'s decoder). A value that cannot be
/// serialised becomes an `internal` error outcome ([`crate::outcome_ascii_bytes`]).
fn to_js<T: Serialize>(value: &T) -> JsValue {
    let text = crate::outcome_ascii_bytes(value);
    // SAFETY: the view is of `text`, which outlives it; nothing allocates while JavaScript
    // reads it (`parseAscii` calls `JSON.parse` on the decoded string only).
    let view = unsafe { js_sys::Uint8Array::view(&text) };
    parse_ascii(&view).unwrap_or(JsValue::NULL)
}

/// ASCII bytes as a JavaScript string, decoded from the module's memory by `asciiText` (Node's
/// `Buffer` where there is one, else `TextDecoder`) instead of wasm-bindgen's `String` return,
/// which always uses `TextDecoder`: 6 % of a 1,000-position `calculateJson` in Node.
fn ascii_js_string(text: &[u8]) -> js_sys::JsString {
    debug_assert!(text.is_ascii());
    // SAFETY: as in `to_js`.
    let view = unsafe { js_sys::Uint8Array::view(text) };
    ascii_text(&view)
}

// JS values become JSON text on the JS side (`JSON.stringify`, natively fast), keeping what it
// would lose or mangle: NaN and ±Infinity become the strings "NaN", "Infinity" and "-Infinity"
// so validation can name them; `undefined` members are dropped (null in arrays) as in JSON;
// functions, symbols and bigints are refused (`not_data`) rather than silently dropped, and a
// cycle or absurd nesting is `too_deep` (the engine's JSON reader also stops at 128 levels).
#[wasm_bindgen(inline_js = r#"
function replacer(key, v) {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    case 'function': case 'symbol': case 'bigint': throw 'not_data';
    default: return v;
  }
}
// True when JSON.stringify alone keeps every value (finite numbers, strings, booleans, null, plain
// arrays and objects, at most 128 deep): it is then used without the replacer, whose call per
// value doubles the time; anything else takes the replacer's path, which names the problem.
function plainData(v, depth) {
  switch (typeof v) {
    case 'string': case 'boolean': return true;
    case 'number': return Number.isFinite(v);
    case 'object':
      if (v === null) return true;
      if (depth > 128 || typeof v.toJSON === 'function') return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!plainData(v[i], depth + 1)) return false;
        return true;
      }
      for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k) && !plainData(v[k], depth + 1)) return false;
      return true;
    default: return false;
  }
}
const utf8 = new TextEncoder();
// UTF-8 of a string into `view` (wasm memory): the bytes written when the whole string fit,
// else -1. No JavaScript loop over the text (wasm-bindgen's `&str` glue copies ASCII one
// character at a time: 3.6 % of a 1,000-position calculateJson in Node).
export function encodeUtf8Into(text, view) {
  const { read, written } = utf8.encodeInto(text, view);
  return read === text.length ? written : -1;
}
// ASCII text in wasm memory as a JS string. Node's Buffer makes the one-byte string ~5× faster
// than TextDecoder (1.85 MB: 0.3 against 1.5 ms, Node 20); elsewhere TextDecoder, renewed every
// 2 GB as wasm-bindgen does (Safari's decoder fails past that). Only for ASCII: Buffer's
// 'ascii' drops the high bit of other bytes.
const nodeBuffer = globalThis.process?.versions?.node && typeof globalThis.Buffer?.from === 'function' ? globalThis.Buffer : null;
let decoder = new TextDecoder('utf-8', { ignoreBOM: true });
let decoded = 0;
export function asciiText(view) {
  if (nodeBuffer) return nodeBuffer.from(view.buffer, view.byteOffset, view.byteLength).toString('ascii');
  decoded += view.byteLength;
  if (decoded > 2146435072) { decoder = new TextDecoder('utf-8', { ignoreBOM: true }); decoded = view.byteLength; }
  return decoder.decode(view);
}
export function parseAscii(view) { return JSON.parse(asciiText(view)); }
export function requestJson(value) {
  try { return (plainData(value, 0) ? JSON.stringify(value) : JSON.stringify(value, replacer)) ?? 'null'; } catch (e) {
    if (e === 'not_data') return e;
    if (e instanceof RangeError || (e instanceof TypeError && /circular/i.test(e.message))) return 'too_deep';
    throw e;
  }
}
"#)]
extern "C" {
    /// JSON text of a JS value (a JS string), or the code `too_deep` / `not_data`.
    #[wasm_bindgen(js_name = requestJson)]
    fn request_json(value: &JsValue) -> js_sys::JsString;

    /// The JS string of ASCII bytes (a view into the module's memory).
    #[wasm_bindgen(js_name = asciiText)]
    fn ascii_text(view: &js_sys::Uint8Array) -> js_sys::JsString;

    /// `JSON.parse` of ASCII JSON text (a view into the module's memory).
    #[wasm_bindgen(js_name = parseAscii, catch)]
    fn parse_ascii(view: &js_sys::Uint8Array) -> Result<JsValue, JsValue>;

    /// `TextEncoder.encodeInto(text, view)`: the bytes written, or -1 when `view` was too short.
    #[wasm_bindgen(js_name = encodeUtf8Into)]
    fn encode_utf8_into(text: &js_sys::JsString, view: &js_sys::Uint8Array) -> f64;
}

/// The text of a JavaScript string, UTF-8-encoded by `TextEncoder.encodeInto` straight into
/// the module's memory: first into as many bytes as the string has UTF-16 units (enough for
/// ASCII, the usual request), else again into three times as many (the most UTF-8 needs per
/// unit, so the second try always fits). Unpaired surrogates become U+FFFD, as `TextEncoder`
/// (and wasm-bindgen's `&str`) do. `None` only if the encoder broke its contract.
fn js_text(text: &js_sys::JsString) -> Option<String> {
    let units = text.length() as usize;
    for capacity in [units, units.saturating_mul(3)] {
        let mut bytes: Vec<u8> = Vec::with_capacity(capacity);
        // SAFETY: the view covers the vector's allocation (`capacity` bytes, or none), and
        // nothing allocates while JavaScript writes into it (the encoder runs synchronously
        // and allocates no wasm memory); the view is dropped before the vector is used.
        let view = unsafe { js_sys::Uint8Array::view_mut_raw(bytes.as_mut_ptr(), capacity) };
        let written = encode_utf8_into(text, &view);
        drop(view);
        if written >= 0.0 && written <= capacity as f64 {
            // SAFETY: `encodeInto` wrote `written` ≤ capacity initialised bytes.
            unsafe { bytes.set_len(written as usize) };
            // `encodeInto` writes well-formed UTF-8; checked all the same (and cheap for ASCII).
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

/// The refusal of request text that is not a string (or could not be read).
fn not_text() -> Outcome<()> {
    Err(InputErrors::one(FieldError::new(
        "request",
        "wrong_type",
        "must be JSON text (a string)",
    )))
    .into()
}

fn from_js(value: JsValue) -> Result<Request, InputErrors> {
    from_js_as(value)
}

fn from_js_as<T: crate::wire::Wire>(value: JsValue) -> Result<T, InputErrors> {
    if value.is_undefined() || value.is_null() {
        return Err(InputErrors::one(FieldError::new(
            "request",
            "required",
            "pass a request object",
        )));
    }
    let Some(text) = js_text(&request_json(&value)) else {
        return Err(InputErrors::one(FieldError::new(
            "request",
            "wrong_type",
            "could not be read as text",
        )));
    };
    match text.as_str() {
        "too_deep" => Err(InputErrors::one(FieldError::new(
            "request",
            "too_deep",
            "is nested too deeply (or is cyclic)",
        ))),
        "not_data" => Err(InputErrors::one(FieldError::new(
            "request",
            "wrong_type",
            "contains a value that is not data (function, symbol or bigint)",
        ))),
        json => crate::parse_json(json),
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A decimal as a string (exact) or a number (read through its shortest representation). */
export type DecimalInput = string | number;
/** One field error or warning: the request path, a stable code, a human message. */
export interface FieldError { field: string; code: string; message: string; }
export type Outcome<T> = { ok: true; result: T } | { ok: false; errors: FieldError[] };

export type MarginRuleInput =
  | { type: "fixed"; maintenanceMarginRate: DecimalInput; maintenanceAmount?: DecimalInput; initialMarginRate?: DecimalInput; maxLeverage?: DecimalInput }
  | { type: "tiered"; tiers: { notionalFloor: DecimalInput; notionalCap?: DecimalInput; maintenanceMarginRate: DecimalInput; maxLeverage: DecimalInput; maintenanceAmount?: DecimalInput; bracket?: number }[] }
  | { type: "sizeScaled"; initialBaseRate: DecimalInput; maintenanceBaseRate: DecimalInput; slopePerUnit: DecimalInput }
  | { type: "standardOption"; initialRate?: DecimalInput; initialFloorRate?: DecimalInput; maintenanceRate?: DecimalInput; maintenanceItmRate?: DecimalInput; marginFactor?: DecimalInput; maintenancePremiumMultiplier?: DecimalInput; liquidationFeeRate?: DecimalInput; premiumAtLeastEntry?: boolean };

export type ImrModelInput =
  | { type: "sizeLinear"; base: DecimalInput; slopePerUnit: DecimalInput }
  | { type: "sqrtSize"; base: DecimalInput; k: DecimalInput }
  | { type: "sqrtNotional"; base: DecimalInput; baseNotional: DecimalInput }
  | { type: "openInterest"; base: DecimalInput; lowerCap: DecimalInput; upperCap: DecimalInput; openInterest: DecimalInput }
  | { type: "volatility"; floor: DecimalInput; confidence?: DecimalInput; horizonDays?: DecimalInput; multiplier?: DecimalInput;
      volatility?: DecimalInput; series?: string; seriesFormat?: "prices" | "logReturns"; estimator?: "sample" | "ewma"; lambda?: DecimalInput };
export interface CustomGridInput {
  name?: string; priceUnit?: "relative" | "scanRange"; volUnit?: "literal" | "scanRange"; volConvention?: "additive" | "relative" | "dteScaled";
  scenarios: { label?: string; priceMove: DecimalInput; volMove?: DecimalInput; weight?: DecimalInput }[];
  minDelta?: { unhedged: DecimalInput; hedged: DecimalInput }; initialPerRequirement?: DecimalInput; maintenancePerRequirement?: DecimalInput;
}
export interface PortfolioMarginInput {
  grid?: "span16" | "paradex" | "okx" | "custom"; customGrid?: CustomGridInput;
  priceScanRange?: DecimalInput; volScanRange?: DecimalInput; extremeMultiple?: DecimalInput; daysForward?: DecimalInput; shortOptionMinimum?: DecimalInput;
}
export interface MarketInput {
  symbol?: string; preset?: string; initialMarginModel?: ImrModelInput;
  kind?: "perpetual" | "future" | "option"; settlement?: "linear" | "inverse";
  contractSize?: DecimalInput; markPrice?: DecimalInput; indexPrice?: DecimalInput; tickSize?: DecimalInput;
  marginBasis?: "mark" | "entry"; margin?: MarginRuleInput;
  optionType?: "call" | "put"; strike?: DecimalInput; expiry?: string;
  underlyingPrice?: DecimalInput; impliedVolatility?: DecimalInput;
  /** The underlying the market moves with: its risk unit ("BTC", "ETH"); markets naming none share one. */
  underlying?: string;
}
export interface PositionInput { symbol: string; side: "long" | "short" | "buy" | "sell"; size: DecimalInput; entryPrice: DecimalInput; leverage?: DecimalInput; isolatedMargin?: DecimalInput; }
export interface OrderInput { symbol: string; side: "buy" | "sell" | "long" | "short"; size: DecimalInput; price?: DecimalInput; leverage?: DecimalInput; }
export interface CalculateRequest {
  account: {
    walletBalance: DecimalInput; marginMode?: "cross" | "isolated" | "portfolio"; includeFees?: boolean; takerFeeRate?: DecimalInput;
    otherMaintenanceMargin?: DecimalInput; otherUnrealizedPnl?: DecimalInput; bookLiquidation?: boolean;
    portfolioMargin?: PortfolioMarginInput; collateral?: { asset: string; amount: DecimalInput; price: DecimalInput; haircut?: DecimalInput }[];
  };
  markets: MarketInput[];
  positions: PositionInput[];
  orders?: OrderInput[];
  /** ISO 8601 UTC; required when the book holds options (the engine has no clock). */
  valuationTime?: string;
  /** Annualised volatility and horizon for liquidation distances in sigma and touch probabilities. */
  volatility?: DecimalInput; horizonDays?: DecimalInput;
  var?: { series: string; seriesFormat?: "prices" | "logReturns"; column?: string; confidence?: DecimalInput; horizonDays?: DecimalInput;
          windows?: "sqrtTime" | "overlapping" | "nonOverlapping"; quantile?: string; expectedShortfall?: "acerbiTasche" | "meanWorstCeil" | "meanWorstFloorPlusOne" | "meanLossAtLeastVar" };
  stress?: { name?: string; priceMovePercent: DecimalInput; volMove?: DecimalInput; daysForward?: DecimalInput }[];
}

/** Decimal figures are strings; model outputs (Greeks, volatility) are numbers. */
export interface Step { label: string; formula: string; value: string; }
export interface Liquidation {
  price: string | null; distancePercent: string | null; tier: number | null; reason: string | null; alreadyLiquidatable: boolean; method: string;
  /** With `volatility`: ln(price / mark) / (σ·√(h/365)), signed, and the probability of touching it within `horizonDays` (1 when already liquidatable). */
  distanceSigmas?: number; touchProbability?: number;
}
export interface PositionResult {
  symbol: string; side: "long" | "short"; settlement: "linear" | "inverse";
  size: string; quantity: string; entryPrice: string; markPrice: string; indexPrice?: string; markIndexBasisPercent?: string;
  notional: string; notionalQuote: string;
  leverage: string | null; initialMarginRate: string; initialMargin: string;
  maintenanceMarginRate: string; maintenanceAmount: string; maintenanceMargin: string; maintenanceMarginRatio: string | null;
  tier: { tier: number; notionalFloor: string; notionalCap: string | null; maintenanceMarginRate: string; maintenanceAmount: string; maxLeverage: string } | null;
  unrealizedPnl: string; isolatedMargin: string | null; bankruptcyPrice: string | null;
  liquidation: Liquidation; maxAdditionalSize: string; breakdown: Step[];
  /** Which rule set the initial margin rate, and with what inputs. */
  imrSource?: { model: string; rule: string; formula: string; rate: string | number; inputs: Record<string, number>; source: string; [more: string]: unknown };
  option?: { optionType: string; strike: string; expiry: string; valuationTime: string; timeToExpiryYears: number; underlyingPrice: string; volatility: number; markPremium: string; markPremiumUsd: string; greeks: Greeks; positionGreeks: Greeks; units: string; [more: string]: unknown };
}
export interface Greeks { delta: number; gamma: number; vega: number; theta: number; }
export interface ScenarioPnl { label: string; price: number; volShift: number; weight: number; pnl: number; weightedPnl: number; }
/** Roots of equity = maintenance margin in the underlying price. */
export interface BookLiquidation {
  referencePrice: string; prices: { price: string; direction: string; distancePercent: string; distanceSigmas?: number; touchProbability?: number; [more: string]: unknown }[];
  below: string | null; above: string | null; alreadyLiquidatable: boolean; searchedFrom: string; searchedTo: string; method: string;
  maintenanceBasis?: string; volatility?: number; horizonDays?: number; touchModel?: string;
  /** Books of several risk units: each unit's roots, that unit moving and the others held. */
  byRiskUnit?: (BookLiquidation & { underlying: string })[];
  underlying?: string;
}
export interface AccountResult {
  marginMode: "cross" | "isolated" | "portfolio"; settlement: "linear" | "inverse";
  walletBalance: string; unrealizedPnl: string; equity: string; initialMargin: string; initialMarginRatio: string | null;
  maintenanceMargin: string; marginRatio: string | null; availableBalance: string; grossNotional: string;
  effectiveLeverage: string | null; liquidationFeeRate: string | null; notes: string[];
  bookLiquidation?: BookLiquidation;
  /** Portfolio mode: every scenario's P&L, the requirement and the scenario that sets it. */
  portfolioMargin?: { grid: string; scenarios: ScenarioPnl[]; requirement: unknown; dominant: unknown; initialMargin: unknown; maintenanceMargin: unknown;
    /** Books of several underlyings: each risk unit's grid margin (the account's is their sum). */
    riskUnits?: { underlying: string; referencePrice: number; symbols: string[]; scenarios: ScenarioPnl[]; scanRisk: number; worstScenario: string | null; minimumDelta: unknown; shortOptionMinimum: number; requirement: number; dominant: string; initialMargin: string; maintenanceMargin: string }[];
    [more: string]: unknown };
  collateral?: CollateralResult;
}
/** `account.collateral`: each asset at amount × price × (1 − haircut), added to the wallet in equity. */
export interface CollateralResult {
  assets: { asset: string; amount: string; price: string; haircut: string; value: string; valueAfterHaircut: string }[];
  grossValue: string; valueAfterHaircuts: string; totalCollateral: string;
  /** total collateral / initial margin; null without initial margin. */
  collateralisationRatio: string | null;
}
/** Historical-simulation VaR / ES of the whole book, with the conventions used. */
export interface VarResult {
  confidence: number; var: number; expectedShortfall: number; varConvention: string; esConvention: string; defaultConventions: boolean;
  horizonDays: number; horizon: string; scale: number; scenarios: number; observations: number; tailSize: string; worstLoss: number;
  referencePrice: number; method: string;
}
/** What happens if one order fills now, at its price. */
export interface FillResult {
  position: { side: "long" | "short"; size: string; entryPrice: string; initialMargin: string; maintenanceMargin: string; liquidationPrice: string | null } | null;
  realizedPnl: string; incrementalInitialMargin: string; initialMargin: string; availableBalance: string; allowed: boolean;
  liquidationPrices: { symbol: string; price: string | null }[];
  /** Portfolio mode only: the scenario grid re-run on the filled book. */
  maintenanceMargin?: string; equity?: string; marginRatio?: string; dominantScenario?: string;
}
export interface OrderResult { symbol: string; side: "buy" | "sell"; size: string; price: string; notional: string; ifFilled: FillResult | null; reason: string | null; }
/** Open orders: the margin they hold (per market; none in portfolio mode) and each order's what-if. */
export interface OrdersResult {
  markets: { symbol: string; positionNotional: string; buyNotional: string; sellNotional: string; exposure: string; initialMarginRate: string; initialMargin: string }[];
  initialMargin: string; initialMarginWithOrders: string; availableBalanceWithOrders: string; allowed: boolean; orders: OrderResult[]; notes: string[];
}
export interface CalculateResult {
  account: AccountResult; positions: PositionResult[]; warnings: FieldError[]; orders?: OrdersResult;
  var?: VarResult;
  stress?: { method: string; scenarios: { name: string; priceMovePercent: unknown; pnl: unknown; equity: unknown; maintenanceMargin: unknown; marginRatio: unknown; liquidated: boolean; [more: string]: unknown }[] };
}

export interface QuoteRequest { model?: "black76" | "blackScholes"; optionType: "call" | "put"; settlement?: "linear" | "inverse"; underlying: DecimalInput; strike: DecimalInput; timeYears: DecimalInput; rate?: DecimalInput; volatility?: DecimalInput; price?: DecimalInput; }
export interface Quote { price: number; delta: number; gamma: number; vega: number; theta: number; rho: number; priceCoin: number | null; deltaPremiumAdjusted: number | null; vegaCoin: number | null; thetaCoin: number | null; units: string; }
export type BatchOutcome = { ok: true; failures: number } | { ok: false; index: number; field: string; code: string; message: string };
export interface Preset { name: string; venue: string; symbol: string; asOf: string; source: string; notes: string; market: MarketInput; }
"#;

/// `calculate(request)`: the full margin calculation. Returns `{ok: true, result}` or
/// `{ok: false, errors}`; decimal figures are strings.
#[wasm_bindgen(js_name = calculate, unchecked_return_type = "Outcome<CalculateResult>")]
pub fn calculate(
    #[wasm_bindgen(unchecked_param_type = "CalculateRequest")] request: JsValue,
) -> JsValue {
    let outcome: Outcome<_> = from_js(request).and_then(|r| engine_calculate(&r)).into();
    to_js(&outcome)
}

/// `calculateJson(text)`: the same from and to JSON text. The answer is pure ASCII (non-ASCII
/// characters escaped as `\uXXXX`, the same JSON data as the native `imr::calculate_json`),
/// which JavaScript decodes from wasm memory several times faster than UTF-8.
///
/// The text crosses into the module by `TextEncoder.encodeInto` (`js_text`); anything but a
/// string is refused as `wrong_type` on `request`.
#[wasm_bindgen(js_name = calculateJson)]
pub fn calculate_json(
    #[wasm_bindgen(unchecked_param_type = "string")] text: &JsValue,
) -> js_sys::JsString {
    let answer = match text.dyn_ref::<js_sys::JsString>().and_then(js_text) {
        Some(text) => crate::calculate_json_ascii_bytes(&text),
        None => crate::outcome_ascii_bytes(&not_text()),
    };
    ascii_js_string(&answer)
}

/// `listPresets()`: the bundled, dated and sourced presets, as their files are written.
#[wasm_bindgen(js_name = listPresets, unchecked_return_type = "Preset[]")]
pub fn list_presets() -> JsValue {
    js_sys::JSON::parse(crate::presets::json_text()).unwrap_or_else(|_| js_sys::Array::new().into())
}

/// `version()`: the engine's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(feature = "pricing-exports")]
/// `priceOption({model?, optionType, settlement?, underlying, strike, timeYears, rate?, volatility})`:
/// price and Greeks (`{ok: true, result: {price, delta, gamma, vega, theta, rho, ...}}`).
#[wasm_bindgen(js_name = priceOption, unchecked_return_type = "Outcome<Quote>")]
pub fn price_option(
    #[wasm_bindgen(unchecked_param_type = "QuoteRequest")] request: JsValue,
) -> JsValue {
    let outcome: Outcome<_> = from_js_as::<QuoteRequest>(request)
        .and_then(|r| quote::price_option(&r))
        .into();
    to_js(&outcome)
}

#[cfg(feature = "pricing-exports")]
/// `impliedVol({model?, optionType, settlement?, underlying, strike, timeYears, rate?, price})`:
/// `{ok: true, result: {volatility}}` or a named error (`below_intrinsic`, `above_maximum`, ...).
#[wasm_bindgen(js_name = impliedVol, unchecked_return_type = "Outcome<{ volatility: number }>")]
pub fn implied_vol(
    #[wasm_bindgen(unchecked_param_type = "QuoteRequest")] request: JsValue,
) -> JsValue {
    let outcome: Outcome<_> = from_js_as::<QuoteRequest>(request)
        .and_then(|r| quote::implied_volatility(&r))
        .into();
    to_js(&outcome)
}

#[cfg(feature = "pricing-exports")]
/// A plain JS object built on the JavaScript side (no allocation in the module's memory).
fn js_object(members: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in members {
        // Setting a data property of a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

#[cfg(feature = "pricing-exports")]
/// `{ok: true, failures}`, the outcome of a batch (and of an `OptionChain` call).
fn batch_ok(failures: usize) -> JsValue {
    js_object(&[
        ("ok", JsValue::TRUE),
        ("failures", JsValue::from(failures as f64)),
    ])
}

#[cfg(feature = "pricing-exports")]
/// A batch refusal `{ok: false, index, field, code, message}`: the element index, the input
/// that was wrong, and why (`message` is `e`'s text, passed in so that `OptionChain` can write
/// it into room it reserved).
fn batch_error_with(index: usize, e: pricing::PricingError, message: &str) -> JsValue {
    js_object(&[
        ("ok", JsValue::FALSE),
        ("index", JsValue::from(index as f64)),
        (
            "field",
            JsValue::from_str(quote::request_field(e.field_enum())),
        ),
        ("code", JsValue::from_str(e.code())),
        ("message", JsValue::from_str(message)),
    ])
}

#[cfg(feature = "pricing-exports")]
fn batch_error(index: usize, e: pricing::PricingError) -> JsValue {
    batch_error_with(index, e, &e.to_string())
}

#[cfg(feature = "pricing-exports")]
fn model_or_error(model: &str) -> Result<pricing::Model, JsValue> {
    quote::parse_model(model).map_err(|e| {
        let outcome: Outcome<()> = Err(InputErrors::one(e)).into();
        to_js(&outcome)
    })
}

#[cfg(feature = "pricing-exports")]
/// `priceDeltaBatch(model, isCall, underlying, strike, timeYears, rate, volatility, outPrice, outDelta)`:
/// prices a whole chain in one call. `isCall` is a `Uint8Array` (1 call, 0 put), the rest
/// `Float64Array`s of one length; results are written into `outPrice` and `outDelta`. Returns
/// `{ok: true}` or `{ok: false, index, field, code, message}` for the first bad element.
/// Options are priced two per SIMD instruction (`pricing::chain`), within 2e-14 (price) and
/// 2e-15 (delta) relative of `priceOption`.
#[wasm_bindgen(js_name = priceDeltaBatch, unchecked_return_type = "BatchOutcome")]
#[allow(clippy::too_many_arguments)]
pub fn price_delta_batch(
    model: &str,
    is_call: &[u8],
    underlying: &[f64],
    strike: &[f64],
    time_years: &[f64],
    rate: &[f64],
    volatility: &[f64],
    out_price: &mut [f64],
    out_delta: &mut [f64],
) -> JsValue {
    let model = match model_or_error(model) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let result = match model {
        pricing::Model::Black76 => pricing::black76_price_delta_batch(
            is_call, underlying, strike, time_years, rate, volatility, out_price, out_delta,
        ),
        pricing::Model::BlackScholes => pricing::black_scholes_price_delta_batch(
            is_call, underlying, strike, time_years, rate, volatility, out_price, out_delta,
        ),
    };
    match result {
        Ok(()) => batch_ok(0),
        Err((index, e)) => batch_error(index, e),
    }
}

#[cfg(feature = "pricing-exports")]
/// `impliedVolBatch(model, isCall, price, underlying, strike, timeYears, rate, outVolatility, outStatus)`:
/// implied volatilities of a whole chain. Elements that have none get `NaN` in `outVolatility`
/// and a non-zero code in `outStatus` (4 below intrinsic, 5 above maximum, 6 undetermined, ...);
/// returns `{ok: true, failures}` or a batch error for mis-sized arrays.
#[wasm_bindgen(js_name = impliedVolBatch, unchecked_return_type = "BatchOutcome")]
#[allow(clippy::too_many_arguments)]
pub fn implied_vol_batch(
    model: &str,
    is_call: &[u8],
    price: &[f64],
    underlying: &[f64],
    strike: &[f64],
    time_years: &[f64],
    rate: &[f64],
    out_volatility: &mut [f64],
    out_status: &mut [u8],
) -> JsValue {
    let model = match model_or_error(model) {
        Ok(m) => m,
        Err(e) => return e,
    };
    match pricing::implied_vol_batch_each(
        model,
        is_call,
        price,
        underlying,
        strike,
        time_years,
        rate,
        out_volatility,
        out_status,
        f64::NAN,
    ) {
        Ok(failures) => batch_ok(failures),
        Err((index, e)) => batch_error(index, e),
    }
}

#[cfg(feature = "pricing-exports")]
/// `optionChain(length, model)`: a chain of `length` options (1 to 1 048 576) on `model`
/// (`"black76"` on forwards or `"blackScholes"` on spot) whose arrays live in the module's
/// memory: `{ok: true, result: OptionChain}`, or `{ok: false, errors}` naming `length` or
/// `model`. See [`OptionChain`].
#[wasm_bindgen(js_name = optionChain, unchecked_return_type = "Outcome<OptionChain>")]
pub fn option_chain(
    #[wasm_bindgen(unchecked_param_type = "number")] length: JsValue,
    #[wasm_bindgen(unchecked_param_type = "\"black76\" | \"blackScholes\"")] model: JsValue,
) -> JsValue {
    use pricing::{ChainLengthError, OwnedChain};
    let mut errors = Vec::new();
    let model = match model.as_string() {
        Some(name) => quote::parse_model(&name).map_err(|e| errors.push(e)).ok(),
        None => {
            errors.push(FieldError::new(
                "model",
                "invalid_choice",
                "must be black76 or blackScholes",
            ));
            None
        }
    };
    let limit = OwnedChain::MAX_LEN;
    let length = match length.as_f64() {
        None => {
            errors.push(FieldError::new("length", "wrong_type", "must be a number"));
            None
        }
        Some(n) if n.is_nan() => {
            errors.push(FieldError::new(
                "length",
                "not_a_number",
                "must be a number, got NaN",
            ));
            None
        }
        Some(n) if n.is_infinite() => {
            errors.push(FieldError::new(
                "length",
                "not_finite",
                format!("must be a finite number, got {}", crate::money::Float(n)),
            ));
            None
        }
        Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= limit as f64 => Some(n as usize),
        Some(n) => {
            errors.push(FieldError::new(
                "length",
                "out_of_range",
                format!(
                    "must be a whole number from 1 to {limit}, got {}",
                    crate::money::Float(n)
                ),
            ));
            None
        }
    };
    let (Some(model), Some(length)) = (model, length) else {
        let outcome: Outcome<()> = Err(InputErrors { errors }).into();
        return to_js(&outcome);
    };
    match OwnedChain::new(model, length) {
        Ok(chain) => {
            let chain = OptionChain {
                chain,
                message: String::with_capacity(CHAIN_MESSAGE_CAPACITY),
            };
            js_object(&[("ok", JsValue::TRUE), ("result", chain.into())])
        }
        Err(e) => {
            let message = match e {
                ChainLengthError::OutOfMemory => {
                    format!("the module could not allocate the arrays of {length} options")
                }
                ChainLengthError::Empty | ChainLengthError::TooLong => {
                    format!("must be a whole number from 1 to {limit}, got {length}")
                }
            };
            let outcome: Outcome<()> = Err(InputErrors::one(FieldError::new(
                "length",
                "too_large",
                message,
            )))
            .into();
            to_js(&outcome)
        }
    }
}

#[cfg(feature = "pricing-exports")]
/// Bytes an `OptionChain` reserves for an error message (the longest is ~130).
const CHAIN_MESSAGE_CAPACITY: usize = 256;

#[cfg(feature = "pricing-exports")]
/// An option chain whose arrays live in the module's memory (made by `optionChain`), so that a
/// chain priced again on every tick crosses no copy: write the inputs through the typed-array
/// views `isCall` (`Uint8Array`, 1 call, 0 put), `underlying`, `strike`, `timeYears`, `rate`,
/// `volatility` and `price` (`Float64Array`s), call `priceDelta()` or `impliedVol()`, and read
/// `price`, `delta`, `impliedVolatility` and `status` (`Uint8Array`) the same way.
///
/// The views are valid while the module's memory does not grow. The chain's own calls never
/// allocate in it, so views taken once stay valid across any number of `priceDelta()` and
/// `impliedVol()` calls; any other call into the module (`calculate`, another `optionChain`,
/// ...) may grow it, after which take the views again (a view of grown memory is detached: its
/// `length` reads 0 and writes to it are lost). `free()` releases the arrays; views of a freed
/// chain must not be used.
#[wasm_bindgen]
pub struct OptionChain {
    chain: pricing::OwnedChain,
    /// Room for an error message, reserved at construction so that errors allocate nothing.
    message: String,
}

#[cfg(feature = "pricing-exports")]
#[wasm_bindgen]
impl OptionChain {
    /// The number of options.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.chain.len()).unwrap_or(u32::MAX)
    }

    /// `"black76"` or `"blackScholes"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"black76\" | \"blackScholes\"")]
    pub fn model(&self) -> JsValue {
        JsValue::from_str(match self.chain.model() {
            pricing::Model::Black76 => "black76",
            pricing::Model::BlackScholes => "blackScholes",
        })
    }

    /// Option kinds, `1` for a call and `0` for a put (a view into the module's memory).
    #[wasm_bindgen(getter, js_name = isCall)]
    pub fn is_call(&self) -> js_sys::Uint8Array {
        // SAFETY: the view is of a buffer the chain owns and never reallocates; it is valid
        // until the module's memory grows or the chain is freed, as the class documents. No
        // Rust code reads the buffer while JavaScript may write it (single-threaded).
        unsafe { js_sys::Uint8Array::view(&self.chain.is_call) }
    }

    /// Forwards (Black-76) or spot prices (Black–Scholes); a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn underlying(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.underlying) }
    }

    /// Strikes; a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn strike(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.strike) }
    }

    /// Times to expiry in years; a view, as `isCall`.
    #[wasm_bindgen(getter, js_name = timeYears)]
    pub fn time_years(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.time) }
    }

    /// Continuously compounded rates per year; a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn rate(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.rate) }
    }

    /// Volatilities (0.6 = 60 %), read by `priceDelta()`; a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn volatility(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.volatility) }
    }

    /// Premiums: written by `priceDelta()`, read by `impliedVol()`; a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn price(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.price) }
    }

    /// Deltas, written by `priceDelta()`; a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn delta(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.delta) }
    }

    /// Implied volatilities written by `impliedVol()` (`NaN` where none); a view, as `isCall`.
    #[wasm_bindgen(getter, js_name = impliedVolatility)]
    pub fn implied_volatility(&self) -> js_sys::Float64Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Float64Array::view(&self.chain.implied_volatility) }
    }

    /// Status of each implied volatility: `0` found, else why not (4 below intrinsic, 5 above
    /// maximum, 6 undetermined, ..., as `impliedVolBatch`); a view, as `isCall`.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> js_sys::Uint8Array {
        // SAFETY: as in `is_call`.
        unsafe { js_sys::Uint8Array::view(&self.chain.status) }
    }

    /// `priceDelta()`: premium and delta of every option into `price` and `delta`, in place
    /// (the kernel of `priceDeltaBatch`, the same bits). `{ok: true, failures: 0}`, or
    /// `{ok: false, index, field, code, message}` for the first invalid option (the ones before
    /// it are written).
    #[wasm_bindgen(js_name = priceDelta, unchecked_return_type = "BatchOutcome")]
    pub fn price_delta(&mut self) -> JsValue {
        match self.chain.price_delta() {
            Ok(()) => batch_ok(0),
            Err((index, e)) => self.error_in_place(index, e),
        }
    }

    /// `impliedVol()`: implied volatility of every option from `price` into
    /// `impliedVolatility`, with `status` (as `impliedVolBatch`). `{ok: true, failures}`.
    #[wasm_bindgen(js_name = impliedVol, unchecked_return_type = "BatchOutcome")]
    pub fn implied_vol(&mut self) -> JsValue {
        match self.chain.implied_vol() {
            Ok(failures) => batch_ok(failures),
            Err((index, e)) => self.error_in_place(index, e),
        }
    }
}

#[cfg(feature = "pricing-exports")]
impl OptionChain {
    /// `{ok: false, index, field, code, message}` with the message written into the room
    /// reserved for it, so that it allocates nothing in the module's memory either.
    fn error_in_place(&mut self, index: usize, e: pricing::PricingError) -> JsValue {
        use core::fmt::Write;
        self.message.clear();
        let _ = write!(self.message, "{e}");
        batch_error_with(index, e, &self.message)
    }
}

/// Test hook: traps on purpose (a WebAssembly `unreachable`), exactly as a bug would. The page's
/// trap guard must report it and re-instantiate the module; the e2e suite checks that it does.
#[doc(hidden)]
#[wasm_bindgen(js_name = __testTrap)]
pub fn test_trap() {
    core::arch::wasm32::unreachable()
}
