//! A deterministic chain of options over every axis far beyond listed markets, and the bit
//! patterns of its batch results: shared by `tests/pricing_batch.rs` (native) and
//! `tests/wasm_api.rs` (Node and Chromium), which compare them with the same recording.

use imr::fmath::DetMath;
use imr::pricing::{black76_price_delta_batch, black_scholes_price_delta_batch, Model};

/// The recording of [`golden_text`] (re-record with `IMR_BLESS=1 cargo test --test pricing_batch`).
// Read natively only (the wasm tests embed the file with `include_str!`).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub const GOLDEN_PATH: &str = "tests/vectors/determinism/price_delta_batch.json";

/// The benchmarks' generator (PCG multiplier, top 53 bits).
pub struct Lcg(pub u64);

impl Lcg {
    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-uniform in `[lo, hi)` (with the crate's deterministic `ln`/`exp`: `std`'s differ in
    /// the last bit between glibc and WebAssembly, and so would the chain).
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.dln() + (hi.dln() - lo.dln()) * self.next_f64()).dexp()
    }
}

/// A chain as the batch functions take it (struct of arrays).
#[derive(Clone)]
pub struct Chain {
    pub is_call: Vec<u8>,
    pub underlying: Vec<f64>,
    pub strike: Vec<f64>,
    pub time: Vec<f64>,
    pub rate: Vec<f64>,
    pub vol: Vec<f64>,
}

/// Options far beyond any listed market on every axis: underlying 1e-3 to 1e6, strikes e^±4
/// away, one hour to 30 years, volatility 0.1 % to 500 %, rates −20 % to +30 %.
pub fn wide_chain(n: usize, seed: u64) -> Chain {
    let mut rng = Lcg(seed);
    let mut c = Chain {
        is_call: vec![],
        underlying: vec![],
        strike: vec![],
        time: vec![],
        rate: vec![],
        vol: vec![],
    };
    for i in 0..n {
        let x = rng.log_uniform(1e-3, 1e6);
        c.is_call.push((i % 2) as u8);
        c.underlying.push(x);
        c.strike.push(x * (8.0 * rng.next_f64() - 4.0).dexp());
        c.time.push(rng.log_uniform(1.0 / 8760.0, 30.0));
        c.rate.push(-0.2 + 0.5 * rng.next_f64());
        c.vol.push(rng.log_uniform(1e-3, 5.0));
    }
    c
}

/// A chain like the benchmark's: spot 60 000, strikes ±30 %, a day to a year, 30–110 %
/// volatility, rate 3 %, calls and puts alternating.
pub fn ordinary_chain(n: usize, seed: u64) -> Chain {
    let mut rng = Lcg(seed);
    let mut c = Chain {
        is_call: (0..n).map(|i| (i % 2) as u8).collect(),
        underlying: vec![60_000.0; n],
        strike: vec![],
        time: vec![],
        rate: vec![0.03; n],
        vol: vec![],
    };
    for _ in 0..n {
        c.strike.push(60_000.0 * (0.7 + 0.6 * rng.next_f64()));
        c.time.push(1.0 / 365.0 + rng.next_f64());
        c.vol.push(0.3 + 0.8 * rng.next_f64());
    }
    c
}

/// Prices a chain whose elements are all valid.
pub fn run(model: Model, c: &Chain) -> (Vec<f64>, Vec<f64>) {
    let n = c.is_call.len();
    let (mut price, mut delta) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    let batch = match model {
        Model::Black76 => black76_price_delta_batch,
        Model::BlackScholes => black_scholes_price_delta_batch,
    };
    batch(
        &c.is_call,
        &c.underlying,
        &c.strike,
        &c.time,
        &c.rate,
        &c.vol,
        &mut price,
        &mut delta,
    )
    .expect("every element is valid");
    (price, delta)
}

/// Bit patterns of a fixed chain's batch results (both models), as a JSON array of hex strings.
/// `tests/wasm_api.rs` computes the same in Node and Chromium and compares with the file.
pub fn golden_text() -> String {
    let mut words = Vec::new();
    for model in [Model::Black76, Model::BlackScholes] {
        for chain in [ordinary_chain(64, 11), wide_chain(64, 12)] {
            let (price, delta) = run(model, &chain);
            for v in price.iter().chain(&delta) {
                words.push(format!("\"{:016x}\"", v.to_bits()));
            }
        }
    }
    format!("[{}]\n", words.join(","))
}
