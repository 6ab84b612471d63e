//! The batch price-and-delta functions (two options per SIMD instruction, `pricing::chain`)
//! against the scalar functions: agreement to a few parts in 10¹⁴ on wide random chains, the
//! same refusals at the same index, and bit-identical results natively and in WebAssembly (the
//! wasm half of the golden is in `tests/wasm_api.rs`).

use imr::pricing::{
    black76, black76_price, black76_price_delta_batch, black_scholes, black_scholes_price,
    black_scholes_price_delta_batch, Model, OptionKind, PricingError,
};
use proptest::prelude::*;

#[path = "support/wide_chain.rs"]
mod wide_chain;
use wide_chain::{golden_text, ordinary_chain, run, wide_chain, Chain};

/// The kernel's documented bounds, relative, for price and delta (in the tails multiplied by
/// [`conditioning`]). Measured worst on the wide chains: 5.0e-15 and 5.1e-16.
const PRICE_TOLERANCE: f64 = 2e-14;
const DELTA_TOLERANCE: f64 = 2e-15;

type Batch = fn(
    &[u8],
    &[f64],
    &[f64],
    &[f64],
    &[f64],
    &[f64],
    &mut [f64],
    &mut [f64],
) -> Result<(), (usize, PricingError)>;

fn batch_of(model: Model) -> Batch {
    match model {
        Model::Black76 => black76_price_delta_batch,
        Model::BlackScholes => black_scholes_price_delta_batch,
    }
}

/// One option by the scalar functions: the price (and its refusals) of `black76_price` /
/// `black_scholes_price`, which share the batch's validation, and the delta of the full Greeks
/// (NaN where only a Greek the batch does not compute overflows).
fn scalar(
    model: Model,
    code: u8,
    x: f64,
    k: f64,
    t: f64,
    r: f64,
    v: f64,
) -> Result<(f64, f64), PricingError> {
    let kind = OptionKind::from_code(code)?;
    let (price, greeks) = match model {
        Model::Black76 => (
            black76_price(kind, x, k, t, r, v)?,
            black76(kind, x, k, t, r, v),
        ),
        Model::BlackScholes => (
            black_scholes_price(kind, x, k, t, r, v)?,
            black_scholes(kind, x, k, t, r, v),
        ),
    };
    Ok((price, greeks.map_or(f64::NAN, |g| g.delta)))
}

fn relative(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / a.abs().max(b.abs())
    }
}

/// How far `Φ(±d1)`, `Φ(±d2)` move relative to an ulp of `d`: `Φ(−d)` changes by a relative
/// `d·δd` and `δd ≈ d·ε`, so in the tails two correct evaluations of the same option that
/// round `ln(F/K)` or `d` differently differ by up to `d²` ulps. The tolerances scale with it.
fn conditioning(model: Model, x: f64, k: f64, t: f64, r: f64, v: f64) -> f64 {
    let s = v * t.sqrt();
    let m = (x / k).ln()
        + if model == Model::BlackScholes {
            r * t
        } else {
            0.0
        };
    let d1 = m / s + s / 2.0;
    let d2 = d1 - s;
    1f64.max(d1 * d1).max(d2 * d2)
}

#[test]
fn batch_agrees_with_the_scalar_functions_on_wide_random_chains() {
    for (model, seed) in [(Model::Black76, 1), (Model::BlackScholes, 2)] {
        let c = wide_chain(100_000, seed);
        let (price, delta) = run(model, &c);
        let (mut worst_price, mut worst_delta) = (0.0f64, 0.0f64);
        for i in 0..c.is_call.len() {
            let (x, k, t, r, v) = (c.underlying[i], c.strike[i], c.time[i], c.rate[i], c.vol[i]);
            let (p, d) = scalar(model, c.is_call[i], x, k, t, r, v).expect("valid");
            let cond = conditioning(model, x, k, t, r, v);
            let (ep, ed) = (relative(price[i], p) / cond, relative(delta[i], d) / cond);
            assert!(
                ep <= PRICE_TOLERANCE && ed <= DELTA_TOLERANCE,
                "{model:?} #{i}: batch ({}, {}) vs scalar ({p}, {d})",
                price[i],
                delta[i]
            );
            worst_price = worst_price.max(ep);
            worst_delta = worst_delta.max(ed);
        }
        // Not vacuous: the kernel's results are not the scalar path's bit for bit.
        assert!(worst_price > 0.0 && worst_delta > 0.0, "{model:?}");
    }
}

/// On a chain like the benchmark's ([`ordinary_chain`]) the kernel prices nearly every option
/// itself, the deep out-of-the-money ones at small `σ√T` by its small-`t` expansion: most
/// results differ from the scalar path's in the last bits, and none by more than the
/// tolerances (scaled by [`conditioning`] in the tails).
#[test]
fn the_kernel_prices_ordinary_chains_itself() {
    let n = 10_000;
    let c = ordinary_chain(n, 42);
    let (price, delta) = run(Model::BlackScholes, &c);
    let mut identical = 0;
    for i in 0..n {
        let (x, k, t, r, v) = (60_000.0, c.strike[i], c.time[i], 0.03, c.vol[i]);
        let (p, d) = scalar(Model::BlackScholes, c.is_call[i], x, k, t, r, v).expect("valid");
        let cond = conditioning(Model::BlackScholes, x, k, t, r, v);
        assert!(
            relative(price[i], p) <= PRICE_TOLERANCE * cond,
            "#{i}: {} vs {p}",
            price[i]
        );
        assert!(
            relative(delta[i], d) <= DELTA_TOLERANCE * cond,
            "#{i}: {} vs {d}",
            delta[i]
        );
        identical += usize::from(price[i] == p && delta[i] == d);
    }
    assert!(
        identical < n / 2,
        "{identical} of {n} bit-identical to the scalar path"
    );
}

/// The first `n` elements of `c`.
fn prefix(c: &Chain, n: usize) -> Chain {
    Chain {
        is_call: c.is_call[..n].to_vec(),
        underlying: c.underlying[..n].to_vec(),
        strike: c.strike[..n].to_vec(),
        time: c.time[..n].to_vec(),
        rate: c.rate[..n].to_vec(),
        vol: c.vol[..n].to_vec(),
    }
}

/// Chain lengths around the kernel's blocks of 32 pairs (64 options) as well as the short ones.
const LENGTHS: [usize; 20] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 62, 63, 64, 65, 66, 127, 128, 129, 130, 131,
];

#[test]
fn batch_handles_every_chain_length_and_an_odd_last_element() {
    let c = wide_chain(131, 7);
    let (full_price, full_delta) = run(Model::BlackScholes, &c);
    for n in LENGTHS {
        let (price, delta) = run(Model::BlackScholes, &prefix(&c, n));
        for i in 0..n {
            // Element i is priced alone or in a pair, by the kernel or the scalar path: always
            // within the tolerance of the full chain's result; in the same pair (every element
            // but an odd last one), the same bits, wherever the blocks fall.
            assert!(
                relative(price[i], full_price[i]) <= PRICE_TOLERANCE,
                "n {n} #{i}"
            );
            assert!(
                relative(delta[i], full_delta[i]) <= DELTA_TOLERANCE,
                "n {n} #{i}"
            );
            if n % 2 == 0 || i + 1 < n {
                assert_eq!(price[i].to_bits(), full_price[i].to_bits(), "n {n} #{i}");
                assert_eq!(delta[i].to_bits(), full_delta[i].to_bits(), "n {n} #{i}");
            }
        }
    }
}

/// A value that is valid or one of the inputs every field must refuse.
fn maybe_bad(good: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => Just(good),
        1 => prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-1.0),
            Just(1e300),
            Just(1e-300),
        ],
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Stops at the same first bad element with the same error as pricing one by one, and
    /// what it wrote before that index agrees with the scalar results.
    #[test]
    fn batch_refuses_what_the_scalar_function_refuses(
        model in prop_oneof![Just(Model::Black76), Just(Model::BlackScholes)],
        elements in proptest::collection::vec(
            (
                prop_oneof![8 => Just(0u8), 8 => Just(1u8), 1 => Just(2u8)],
                maybe_bad(100.0),
                maybe_bad(90.0),
                maybe_bad(0.5),
                maybe_bad(0.05),
                maybe_bad(0.6),
            ),
            0..9,
        ),
    ) {
        let n = elements.len();
        let c = Chain {
            is_call: elements.iter().map(|e| e.0).collect(),
            underlying: elements.iter().map(|e| e.1).collect(),
            strike: elements.iter().map(|e| e.2).collect(),
            time: elements.iter().map(|e| e.3).collect(),
            rate: elements.iter().map(|e| e.4).collect(),
            vol: elements.iter().map(|e| e.5).collect(),
        };
        let (mut price, mut delta) = (vec![f64::NAN; n], vec![f64::NAN; n]);
        let got = batch_of(model)(
            &c.is_call, &c.underlying, &c.strike, &c.time, &c.rate, &c.vol, &mut price, &mut delta,
        );
        let mut expected = Ok(());
        for i in 0..n {
            match scalar(model, c.is_call[i], c.underlying[i], c.strike[i], c.time[i], c.rate[i], c.vol[i]) {
                Ok((p, d)) => {
                    prop_assert!(relative(price[i], p) <= PRICE_TOLERANCE, "#{} {} vs {}", i, price[i], p);
                    prop_assert!(
                        d.is_nan() || relative(delta[i], d) <= DELTA_TOLERANCE,
                        "#{} {} vs {}", i, delta[i], d
                    );
                    prop_assert!(delta[i].is_finite());
                }
                Err(e) => {
                    expected = Err((i, e));
                    break;
                }
            }
        }
        prop_assert_eq!(got, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// One bad element anywhere in a long valid chain (past the kernel's first blocks): the
    /// batch stops at its index with the scalar function's error, having written every element
    /// before it with the bits of the whole valid chain.
    #[test]
    fn batch_refuses_a_bad_element_anywhere_in_a_long_chain(
        model in prop_oneof![Just(Model::Black76), Just(Model::BlackScholes)],
        n in 1usize..200,
        at in 0usize..200,
        field in 0usize..6,
        bad in 0usize..5,
    ) {
        let at = at % n;
        let valid = wide_chain(n, 11);
        let (valid_price, valid_delta) = run(model, &valid);
        let mut c = valid.clone();
        let value = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0][bad];
        match field {
            0 => c.is_call[at] = 2,
            1 => c.underlying[at] = value,
            2 => c.strike[at] = value,
            3 => c.time[at] = value,
            4 => c.vol[at] = value,
            // A rate of zero or below is valid: only the non-finite ones.
            _ => c.rate[at] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][bad % 3],
        }
        let expected = scalar(model, c.is_call[at], c.underlying[at], c.strike[at], c.time[at], c.rate[at], c.vol[at]);
        let expected = expected.expect_err("the altered element must be refused");
        let (mut price, mut delta) = (vec![f64::NAN; n], vec![f64::NAN; n]);
        let got = batch_of(model)(
            &c.is_call, &c.underlying, &c.strike, &c.time, &c.rate, &c.vol, &mut price, &mut delta,
        );
        prop_assert_eq!(got, Err((at, expected)));
        for i in 0..at {
            prop_assert_eq!(price[i].to_bits(), valid_price[i].to_bits(), "#{}", i);
            prop_assert_eq!(delta[i].to_bits(), valid_delta[i].to_bits(), "#{}", i);
        }
    }
}

#[test]
fn batch_results_are_the_recorded_bits() {
    let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), wide_chain::GOLDEN_PATH);
    let now = golden_text();
    if std::env::var_os("IMR_BLESS").is_some() {
        std::fs::write(&path, &now).expect("writable");
    }
    let recorded = std::fs::read_to_string(&path).expect("recorded golden");
    assert_eq!(
        now, recorded,
        "re-record with IMR_BLESS=1 after an intended change"
    );
}
