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
/// prices" (`benches/mixed-book.json`, shared with `benches/wasm.mjs`): a BTC book of two
/// futures (a perpetual and a quarterly) and eight options (calls and puts, long and short,
/// three expiries) in portfolio mode on the Paradex grid, with a volatility assumption, whose
/// whole-book liquidation prices lie below and above the reference (σ distances and touch
/// probabilities included).
pub fn mixed_book() -> String {
    include_str!("mixed-book.json").to_string()
}
