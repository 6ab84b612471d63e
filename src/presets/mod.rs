//! Dated, sourced parameter files bundled at compile time. A new venue preset is a data file:
//! add the JSON here and one line to [`SOURCES`].

use crate::request::MarketInput;
use serde::Serialize;
use std::sync::OnceLock;

/// A bundled preset: a market's contract and margin parameters, with provenance.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    /// Name used in requests (`markets[i].preset`).
    pub name: String,
    /// Venue and product.
    pub venue: String,
    /// Default symbol.
    pub symbol: String,
    /// Date the parameters were taken (ISO 8601).
    pub as_of: String,
    /// Where they come from.
    pub source: String,
    /// Remarks.
    pub notes: String,
    /// The market fields the preset supplies.
    pub market: MarketInput,
}

// The wire reading of [`Preset`] ([`crate::wire`]): every field but `notes` is required.
crate::wire::wire_struct!(Preset, "struct Preset", required = 0x5F, seq_default = 0x20, {
    0 "name" => name,
    1 "venue" => venue,
    2 "symbol" => symbol,
    3 "asOf" => as_of,
    4 "source" => source,
    5 "notes" => notes,
    6 "market" => market,
});

/// The preset files, embedded in the binary.
pub const SOURCES: &[&str] = &[
    include_str!("binance-btcusdt-perp-2024-10.json"),
    include_str!("binance-ethusdt-perp-2024-10.json"),
    include_str!("deribit-btc-usdc-perp.json"),
    include_str!("deribit-eth-usdc-perp.json"),
    include_str!("deribit-sol-usdc-perp.json"),
    include_str!("hyperliquid-btc-perp.json"),
    include_str!("dydx-v4-docs-example.json"),
    include_str!("deribit-btc-option.json"),
    include_str!("deribit-eth-option.json"),
    include_str!("okx-btc-usd-option.json"),
    include_str!("okx-eth-usd-option.json"),
    include_str!("bybit-btc-usdc-option.json"),
    include_str!("bybit-eth-usdc-option.json"),
    include_str!("paradex-options-docs-example.json"),
];

/// The presets that parse, and the JSON array of their files as written (see [`json_text`]),
/// both built on first use from one parse of each file.
struct Bundled {
    presets: Vec<Preset>,
    json: String,
}

fn bundled() -> &'static Bundled {
    static BUNDLED: OnceLock<Bundled> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        let mut presets = Vec::with_capacity(SOURCES.len());
        let mut files = Vec::with_capacity(SOURCES.len());
        for source in SOURCES {
            if let Ok(preset) = crate::wire::parse::<Preset>(source) {
                presets.push(preset);
                files.push(*source);
            }
        }
        Bundled {
            presets,
            json: format!("[{}]", files.join(",")),
        }
    })
}

/// All presets, parsed once. A preset file that fails to parse is a build-time bug caught by
/// the test suite; at run time it is skipped rather than panicking.
pub fn all() -> &'static [Preset] {
    &bundled().presets
}

/// The presets as one JSON array of the bundled files exactly as written (their fields, order
/// and remarks such as a venue's bracket numbers); files that do not parse are left out as
/// [`all`] leaves them out. `listPresets()` hands this text to `JSON.parse` instead of
/// re-serialising every parsed preset (one serializer of the whole request model fewer in the
/// module).
pub fn json_text() -> &'static str {
    &bundled().json
}

/// The preset named `name` (case-insensitive).
pub fn find(name: &str) -> Option<&'static Preset> {
    all()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_file_parses_and_names_are_unique() {
        for s in SOURCES {
            let p: Result<Preset, _> = crate::wire::parse(s);
            assert!(p.is_ok(), "{p:?}");
        }
        let names: Vec<_> = all().iter().map(|p| p.name.to_lowercase()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names.len(), sorted.len());
        assert_eq!(names.len(), SOURCES.len());
        for p in all() {
            assert!(!p.as_of.is_empty() && !p.source.is_empty(), "{}", p.name);
        }
    }

    /// The JSON text lists the same presets, in order, each reading back as the parsed preset.
    #[test]
    fn json_text_is_the_presets() {
        let list: Vec<serde_json::Value> = serde_json::from_str(json_text()).unwrap();
        assert_eq!(list.len(), all().len());
        for (value, preset) in list.iter().zip(all()) {
            // The TypeScript `Preset` type: every text field present, and a market object.
            for key in ["name", "venue", "symbol", "asOf", "source", "notes"] {
                assert!(value[key].is_string(), "{}: {key}", preset.name);
            }
            assert!(value["market"].is_object(), "{}", preset.name);
            let back: Preset = crate::wire::parse(&value.to_string()).unwrap();
            assert_eq!(format!("{back:?}"), format!("{preset:?}"));
        }
    }

    /// Every preset is usable: a request built on it alone validates and computes.
    #[test]
    fn every_preset_computes() {
        for p in all() {
            let json = if p.market.kind.as_deref() == Some("option") {
                format!(
                    r#"{{"account": {{"walletBalance": "1000000"}},
                        "valuationTime": "2025-06-01T08:00:00Z",
                        "markets": [{{"preset": "{}", "optionType": "put", "strike": "90",
                                      "expiry": "2025-06-27T08:00:00Z", "underlyingPrice": "100",
                                      "impliedVolatility": "0.6"}}],
                        "positions": [{{"symbol": "{}", "side": "short", "size": "1",
                                        "entryPrice": "0.01"}}]}}"#,
                    p.name, p.symbol
                )
            } else {
                format!(
                    r#"{{"account": {{"walletBalance": "1000000"}},
                    "markets": [{{"preset": "{}", "markPrice": "100"}}],
                    "positions": [{{"symbol": "{}", "side": "long", "size": "1",
                                    "entryPrice": "100", "leverage": "2"}}]}}"#,
                    p.name, p.symbol
                )
            };
            let out = crate::calculate_json(&json);
            assert!(out.starts_with(r#"{"ok":true"#), "{}: {out}", p.name);
        }
    }
}
