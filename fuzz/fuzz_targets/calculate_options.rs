//! Well-shaped books of options and futures with fuzzer-chosen numbers (edge values included),
//! in every margin mode (portfolio grids too), with the whole-book extras (book liquidation,
//! touch probabilities, stress, orders, collateral), so the fuzzer spends its time in option
//! pricing, scenario grids and root searches. The answer is always JSON: `ok` true, or errors
//! that each name a field. `IMR_FUZZ_PRINT=1` prints each request (to reproduce a crash:
//! `IMR_FUZZ_PRINT=1 cargo fuzz run calculate_options <artifact>`).
#![no_main]
use libfuzzer_sys::fuzz_target;

mod support;
use serde_json::{json, Value};

/// Edge values beyond [`support::EDGES`]: volatilities, day counts, a strike, a scan range.
const OPTION_EDGES: &[&str] = &["0.6", "3", "100", "36500", "-0.5", "55000", "0.15"];

fn number(bytes: &mut impl Iterator<Item = u8>) -> Value {
    support::number(bytes, &[support::EDGES, OPTION_EDGES], 160)
}

fn pick<'a>(bytes: &mut impl Iterator<Item = u8>, choices: &[&'a str]) -> &'a str {
    choices[bytes.next().unwrap_or(0) as usize % choices.len()]
}

const EXPIRIES: &[&str] = &[
    "2025-06-01T08:01:00Z",
    "2025-06-27T08:00:00Z",
    "2025-12-26T08:00:00Z",
    "2030-01-01T00:00:00Z",
    "2025-06-01T08:00:00Z",
];

fuzz_target!(|data: &[u8]| {
    let mut b = data.iter().copied();
    let mode = pick(&mut b, &["cross", "isolated", "portfolio"]);
    let inverse = b.next().unwrap_or(0) & 1 == 1;
    let n = 1 + (b.next().unwrap_or(0) % 4) as usize;
    let mut markets = Vec::new();
    let mut positions = Vec::new();
    for i in 0..n {
        let symbol = format!("M{i}");
        let underlying = pick(&mut b, &["BTC", "ETH"]);
        let market = match b.next().unwrap_or(0) % 3 {
            0 => json!({
                "symbol": symbol, "kind": "perpetual", "underlying": underlying,
                "settlement": if inverse { "inverse" } else { "linear" },
                "contractSize": if inverse { json!("100") } else { number(&mut b) },
                "markPrice": number(&mut b),
                "margin": {"type": "fixed", "maintenanceMarginRate": number(&mut b)},
            }),
            1 => json!({
                "symbol": symbol, "preset": if inverse { "deribit-btc-option" } else { "bybit-btc-usdc-option" },
                "underlying": underlying,
                "optionType": pick(&mut b, &["call", "put"]),
                "strike": number(&mut b), "expiry": pick(&mut b, EXPIRIES),
                "underlyingPrice": number(&mut b), "impliedVolatility": number(&mut b),
            }),
            _ => json!({
                "symbol": symbol, "kind": "option", "underlying": underlying,
                "settlement": if inverse { "inverse" } else { "linear" },
                "optionType": pick(&mut b, &["call", "put"]),
                "strike": number(&mut b), "expiry": pick(&mut b, EXPIRIES),
                "underlyingPrice": number(&mut b), "markPrice": number(&mut b),
                "margin": {"type": "standardOption", "initialRate": number(&mut b),
                           "initialFloorRate": number(&mut b), "maintenanceRate": number(&mut b)},
            }),
        };
        markets.push(market);
        let mut position = json!({
            "symbol": format!("M{i}"),
            "side": pick(&mut b, &["long", "short"]),
            "size": number(&mut b),
            "entryPrice": number(&mut b),
        });
        if b.next().unwrap_or(0) & 1 == 1 {
            position["leverage"] = number(&mut b);
        }
        positions.push(position);
    }
    let mut account = json!({"walletBalance": number(&mut b), "marginMode": mode});
    if mode == "portfolio" {
        account["portfolioMargin"] = json!({
            "grid": pick(&mut b, &["span16", "paradex", "okx"]),
            "priceScanRange": number(&mut b), "volScanRange": number(&mut b),
            "daysForward": number(&mut b),
        });
    } else if b.next().unwrap_or(0) & 1 == 1 {
        account["bookLiquidation"] = json!(true);
    }
    if b.next().unwrap_or(0) & 1 == 1 {
        account["collateral"] = json!([{"asset": "ETH", "amount": number(&mut b), "price": number(&mut b), "haircut": number(&mut b)}]);
    }
    let mut request = json!({
        "account": account,
        "valuationTime": "2025-06-01T08:00:00Z",
        "markets": markets,
        "positions": positions,
    });
    if b.next().unwrap_or(0) & 1 == 1 {
        request["volatility"] = number(&mut b);
        request["horizonDays"] = number(&mut b);
    }
    if b.next().unwrap_or(0) & 1 == 1 {
        request["stress"] = json!([{"priceMovePercent": number(&mut b), "volMove": number(&mut b), "daysForward": number(&mut b)}]);
    }
    if b.next().unwrap_or(0) & 1 == 1 {
        request["orders"] = json!([{"symbol": "M0", "side": pick(&mut b, &["buy", "sell"]), "size": number(&mut b), "price": number(&mut b)}]);
    }
    if std::env::var_os("IMR_FUZZ_PRINT").is_some() {
        eprintln!("{request}");
    }
    let out = imr::calculate_json(&request.to_string());
    support::checked_answer(&out);
});
