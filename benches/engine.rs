//! Native benchmarks (criterion): option pricing and implied volatility over a chain, and
//! `calculate` on books of 10 and 1,000 positions. Run: `cargo bench` (or `cargo xtask bench`,
//! which also runs the Node benchmark of the wasm module on the same inputs).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use imr::pricing::{black_scholes_price_delta_batch, implied_vol_batch_each, Model};
use std::hint::black_box;

#[path = "book.rs"]
mod book;
use book::{futures_book, mixed_book, Lcg};

const CHAIN: usize = 10_000;

struct Chain {
    is_call: Vec<u8>,
    spot: Vec<f64>,
    strike: Vec<f64>,
    time: Vec<f64>,
    rate: Vec<f64>,
    vol: Vec<f64>,
}

fn chain() -> Chain {
    let mut rng = Lcg(42);
    let mut c = Chain {
        is_call: vec![],
        spot: vec![],
        strike: vec![],
        time: vec![],
        rate: vec![],
        vol: vec![],
    };
    for i in 0..CHAIN {
        c.is_call.push((i % 2) as u8);
        c.spot.push(60000.0);
        c.strike.push(60000.0 * (0.7 + 0.6 * rng.next_f64()));
        c.time.push(1.0 / 365.0 + rng.next_f64());
        c.rate.push(0.03);
        c.vol.push(0.3 + 0.8 * rng.next_f64());
    }
    c
}

fn pricing(c: &mut Criterion) {
    let ch = chain();
    let mut price = vec![0.0; CHAIN];
    let mut delta = vec![0.0; CHAIN];
    let mut group = c.benchmark_group("options");
    group.throughput(Throughput::Elements(CHAIN as u64));
    group.bench_function("price_delta_black_scholes_10k", |b| {
        b.iter(|| {
            black_scholes_price_delta_batch(
                &ch.is_call,
                &ch.spot,
                &ch.strike,
                &ch.time,
                &ch.rate,
                &ch.vol,
                &mut price,
                &mut delta,
            )
            .ok();
            black_box(&price);
        })
    });
    black_scholes_price_delta_batch(
        &ch.is_call,
        &ch.spot,
        &ch.strike,
        &ch.time,
        &ch.rate,
        &ch.vol,
        &mut price,
        &mut delta,
    )
    .ok();
    let mut vol = vec![0.0; CHAIN];
    let mut status = vec![0u8; CHAIN];
    group.bench_function("implied_vol_black_scholes_10k", |b| {
        b.iter(|| {
            let failures = implied_vol_batch_each(
                Model::BlackScholes,
                &ch.is_call,
                &price,
                &ch.spot,
                &ch.strike,
                &ch.time,
                &ch.rate,
                &mut vol,
                &mut status,
                f64::NAN,
            );
            black_box(failures).ok();
        })
    });
    group.finish();
}

fn calculate(c: &mut Criterion) {
    let mut group = c.benchmark_group("calculate");
    for n in [10usize, 1000] {
        let json = futures_book(n);
        assert!(imr::calculate_json(&json).starts_with(r#"{"ok":true"#));
        group.bench_with_input(
            BenchmarkId::new("futures_book_json", n),
            &json,
            |b, json| b.iter(|| black_box(imr::calculate_json(black_box(json)))),
        );
    }
    let mixed = mixed_book();
    assert!(imr::calculate_json(&mixed).starts_with(r#"{"ok":true"#));
    group.bench_function("mixed_portfolio_book_json/10", |b| {
        b.iter(|| black_box(imr::calculate_json(black_box(&mixed))))
    });
    group.finish();
}

criterion_group!(benches, pricing, calculate);
criterion_main!(benches);
