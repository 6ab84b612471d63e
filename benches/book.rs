// Shared benchmark inputs (included by benches/engine.rs; benches/wasm.mjs builds the same).

/// A deterministic linear congruential generator, so every run prices the same inputs.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A cross book of `n` linear perpetuals on tiered and fixed rules, as a JSON request.
pub fn futures_book(n: usize) -> String {
    let mut markets = Vec::new();
    let mut positions = Vec::new();
    let mut rng = Lcg(7);
    for i in 0..n {
        let mark = 100.0 + 1000.0 * rng.next_f64();
        let entry = mark * (0.9 + 0.2 * rng.next_f64());
        let margin = if i % 2 == 0 {
            r#"{"type":"tiered","tiers":[{"notionalFloor":"0","notionalCap":"50000","maintenanceMarginRate":"0.004","maxLeverage":"125"},{"notionalFloor":"50000","notionalCap":"600000","maintenanceMarginRate":"0.005","maxLeverage":"100"},{"notionalFloor":"600000","maintenanceMarginRate":"0.01","maxLeverage":"50"}]}"#.to_string()
        } else {
            r#"{"type":"fixed","maintenanceMarginRate":"0.005"}"#.to_string()
        };
        markets.push(format!(
            r#"{{"symbol":"M{i}","markPrice":"{mark:.2}","margin":{margin}}}"#
        ));
        positions.push(format!(
            r#"{{"symbol":"M{i}","side":"{}","size":"{:.3}","entryPrice":"{entry:.2}","leverage":"10"}}"#,
            if i % 3 == 0 { "short" } else { "long" },
            1.0 + 10.0 * rng.next_f64()
        ));
    }
    format!(
        r#"{{"account":{{"walletBalance":"{}","marginMode":"cross"}},"markets":[{}],"positions":[{}]}}"#,
        2000 * n,
        markets.join(","),
        positions.join(",")
    )
}

/// The performance issue's "10-position mixed book with scenario margin and both liquidation
/// prices": a BTC book of two futures (a perpetual and a quarterly) and eight options (calls and
/// puts, long and short, three expiries) in portfolio mode on the Paradex grid, with a
/// volatility assumption so that the whole-book liquidation prices below and above the
/// reference get their σ distances and touch probabilities.
pub fn mixed_book() -> String {
    let option = |symbol: &str, kind: &str, strike: u32, expiry: &str, iv: &str| {
        format!(
            r#"{{"symbol":"{symbol}","kind":"option","optionType":"{kind}","strike":"{strike}","expiry":"{expiry}","underlyingPrice":"60000","impliedVolatility":"{iv}","margin":{{"type":"standardOption","initialRate":"0.15","initialFloorRate":"0.1","maintenanceRate":"0.075"}}}}"#
        )
    };
    let markets = [
        r#"{"symbol":"BTC-PERP","markPrice":"60000","margin":{"type":"fixed","maintenanceMarginRate":"0.005"}}"#.to_string(),
        r#"{"symbol":"BTC-27JUN25","kind":"future","markPrice":"60450","margin":{"type":"fixed","maintenanceMarginRate":"0.005"}}"#.to_string(),
        option("C-65000-JUN", "call", 65000, "2025-06-27T08:00:00Z", "0.58"),
        option("P-55000-JUN", "put", 55000, "2025-06-27T08:00:00Z", "0.62"),
        option("C-70000-JUN", "call", 70000, "2025-06-27T08:00:00Z", "0.60"),
        option("P-50000-JUN", "put", 50000, "2025-06-27T08:00:00Z", "0.66"),
        option("C-60000-SEP", "call", 60000, "2025-09-26T08:00:00Z", "0.55"),
        option("P-60000-SEP", "put", 60000, "2025-09-26T08:00:00Z", "0.57"),
        option("C-80000-DEC", "call", 80000, "2025-12-26T08:00:00Z", "0.61"),
        option("P-45000-DEC", "put", 45000, "2025-12-26T08:00:00Z", "0.70"),
    ];
    let positions = [
        ("BTC-PERP", "long", "0.5", "59000"),
        ("BTC-27JUN25", "short", "0.3", "61000"),
        ("C-65000-JUN", "short", "2", "1500"),
        ("P-55000-JUN", "short", "2", "1300"),
        ("C-70000-JUN", "long", "1", "600"),
        ("P-50000-JUN", "short", "1", "500"),
        ("C-60000-SEP", "short", "1", "5200"),
        ("P-60000-SEP", "long", "1", "5000"),
        ("C-80000-DEC", "short", "1", "3000"),
        ("P-45000-DEC", "short", "1", "2400"),
    ]
    .iter()
    .map(|(symbol, side, size, entry)| {
        format!(r#"{{"symbol":"{symbol}","side":"{side}","size":"{size}","entryPrice":"{entry}","leverage":"10"}}"#)
    })
    .collect::<Vec<_>>();
    format!(
        r#"{{"account":{{"walletBalance":"40000","marginMode":"portfolio","portfolioMargin":{{"grid":"paradex"}}}},"valuationTime":"2025-06-01T08:00:00Z","volatility":"0.6","horizonDays":"1","markets":[{}],"positions":[{}]}}"#,
        markets.join(","),
        positions.join(",")
    )
}
