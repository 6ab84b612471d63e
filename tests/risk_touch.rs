//! Touch probability against a seeded Monte Carlo simulation of the log price, and the
//! liquidation distance in standard deviations.
//!
//! The simulation is independent of the closed form: SplitMix64 uniforms, Box–Muller normals,
//! `X_(i+1) = X_i + ν·Δt + σ·√Δt·Z` on 64 steps per path, and on each step the exact Brownian
//! bridge probability of crossing the barrier between two monitored points,
//! `exp(−2·(B − X_i)(B − X_(i+1)) / (σ²Δt))` (Glasserman, *Monte Carlo Methods in Financial
//! Engineering*, 2004, §6.4), so that continuous monitoring is simulated without the
//! discrete-monitoring bias. Each path contributes `1 − Π(1 − p_i)`; the estimate must lie
//! within 3 standard errors of the formula.

use imr::pricing::normal::norm_cdf;
use imr::risk::touch::{distance_fraction, distance_sigmas, touch_probability, Drift};

/// SplitMix64 (Steele, Lea & Flood 2014).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Two independent standard normals (Box–Muller).
    fn normals(&mut self) -> (f64, f64) {
        let u1 = self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f64::consts::TAU * u2;
        (r * t.cos(), r * t.sin())
    }
}

/// Monte Carlo touch probability of `b = ln(L/P)` within `T` years: (mean, standard error).
fn simulate(
    b: f64,
    sigma: f64,
    t: f64,
    nu: f64,
    paths: usize,
    steps: usize,
    seed: u64,
) -> (f64, f64) {
    let mut rng = SplitMix64(seed);
    // Work with an upper barrier: reflect a lower one.
    let (barrier, drift) = if b > 0.0 { (b, nu) } else { (-b, -nu) };
    let dt = t / steps as f64;
    let sd = sigma * dt.sqrt();
    let two_over_var = 2.0 / (sigma * sigma * dt);
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    let mut spare: Option<f64> = None;
    for _ in 0..paths {
        let mut x = 0.0;
        let mut survive = 1.0;
        for _ in 0..steps {
            let z = match spare.take() {
                Some(z) => z,
                None => {
                    let (a, c) = rng.normals();
                    spare = Some(c);
                    a
                }
            };
            let y = x + drift * dt + sd * z;
            if y >= barrier {
                survive = 0.0;
                break;
            }
            survive *= 1.0 - (-two_over_var * (barrier - x) * (barrier - y)).exp();
            x = y;
        }
        let hit = 1.0 - survive;
        sum += hit;
        sum_sq += hit * hit;
    }
    let n = paths as f64;
    let mean = sum / n;
    let var = (sum_sq / n - mean * mean).max(0.0) * n / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn touch_probability_matches_monte_carlo() {
    let start = std::time::Instant::now();
    // (price, level, σ, horizon days, drift)
    let cases = [
        (60_000.0, 54_000.0, 0.8, 30.0, Drift::Martingale),
        (60_000.0, 54_000.0, 0.8, 30.0, Drift::ZeroLogDrift),
        (60_000.0, 69_000.0, 0.6, 10.0, Drift::Martingale),
        (100.0, 80.0, 1.2, 60.0, Drift::Log(0.9)),
        (100.0, 130.0, 1.2, 60.0, Drift::Log(-0.9)),
    ];
    for (i, (p, l, sigma, days, drift)) in cases.into_iter().enumerate() {
        let exact = touch_probability(p, l, sigma, days, drift).unwrap();
        let t = days / 365.0;
        let (mc, se) = simulate(
            (l / p).ln(),
            sigma,
            t,
            drift.nu(sigma),
            20_000,
            64,
            0x5EED_0000 + i as u64,
        );
        assert!(
            (mc - exact.probability).abs() <= 3.0 * se + 1e-12,
            "case {i}: formula {} vs Monte Carlo {mc} ± {se}",
            exact.probability
        );
        assert!(se > 0.0 && se < 0.005, "case {i}: standard error {se}");
    }
    assert!(
        start.elapsed().as_secs_f64() < 3.0,
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn zero_log_drift_is_the_reflection_principle() {
    for (l, sigma, days) in [
        (54_000.0, 0.8, 30.0),
        (63_000.0, 0.5, 1.0),
        (30_000.0, 2.0, 365.0),
    ] {
        let d = distance_sigmas(60_000.0, l, sigma, days).unwrap();
        let p = touch_probability(60_000.0, l, sigma, days, Drift::ZeroLogDrift).unwrap();
        assert!((p.probability - 2.0 * norm_cdf(-d.abs())).abs() < 1e-15);
        assert_eq!(p.distance_sigmas, d);
        assert_eq!(p.nu, 0.0);
    }
}

#[test]
fn distance_and_probability_properties() {
    // Distance as the formula of margin-models.md §7.
    let d = distance_sigmas(60_000.0, 54_000.0, 0.6, 7.0).unwrap();
    assert!((d - (0.9f64).ln() / (0.6 * (7.0f64 / 365.0).sqrt())).abs() < 1e-14);
    assert!((distance_fraction(60_000.0, 54_000.0).unwrap() + 0.1).abs() < 1e-15);
    // At the level: certain. Far away: tiny but not NaN. Farther or shorter: less likely.
    let at = touch_probability(100.0, 100.0, 0.5, 1.0, Drift::Martingale).unwrap();
    assert_eq!(at.probability, 1.0);
    let far = touch_probability(100.0, 1.0, 0.5, 1.0, Drift::Martingale).unwrap();
    assert!(far.probability >= 0.0 && far.probability < 1e-300);
    let mut last = 1.0;
    for l in [99.0, 95.0, 90.0, 80.0, 60.0] {
        let p = touch_probability(100.0, l, 0.8, 30.0, Drift::Martingale)
            .unwrap()
            .probability;
        assert!(p < last, "{l}: {p} !< {last}");
        last = p;
    }
    let short = touch_probability(100.0, 90.0, 0.8, 1.0, Drift::Martingale).unwrap();
    let long = touch_probability(100.0, 90.0, 0.8, 30.0, Drift::Martingale).unwrap();
    assert!(short.probability < long.probability);
    // Martingale drift (ν = −σ²/2) makes a fall slightly likelier than a rise of the same log size.
    let down = touch_probability(100.0, 80.0, 1.0, 90.0, Drift::Martingale).unwrap();
    let up = touch_probability(100.0, 125.0, 1.0, 90.0, Drift::Martingale).unwrap();
    assert!(down.probability > up.probability);
    // Tiny volatility with a strong drift: no ∞·0.
    let p = touch_probability(100.0, 101.0, 1e-6, 365.0, Drift::Log(0.5)).unwrap();
    assert_eq!(p.probability, 1.0);
    let p = touch_probability(100.0, 99.0, 1e-6, 365.0, Drift::Log(0.5)).unwrap();
    assert!(p.probability.is_finite() && p.probability < 1e-300);
}

#[test]
fn touch_errors_are_named() {
    let e = |r: Result<_, imr::risk::RiskError>| {
        let e: imr::risk::RiskError = r.map(|_: f64| ()).unwrap_err();
        (e.field, e.code)
    };
    assert_eq!(
        e(distance_sigmas(100.0, 90.0, 0.0, 1.0)),
        ("sigma".to_string(), "not_positive")
    );
    assert_eq!(
        e(distance_sigmas(100.0, f64::NAN, 0.5, 1.0)),
        ("level".to_string(), "not_finite")
    );
    assert_eq!(
        e(distance_sigmas(100.0, 90.0, 0.5, -1.0)),
        ("horizonDays".to_string(), "not_positive")
    );
    assert_eq!(
        e(distance_sigmas(100.0, 90.0, 1e-300, 1e-30)),
        ("sigma".to_string(), "out_of_range")
    );
    let err = touch_probability(100.0, 90.0, 0.5, 1.0, Drift::Log(f64::NAN)).unwrap_err();
    assert_eq!((err.field.as_str(), err.code), ("drift", "not_finite"));
    let err = touch_probability(0.0, 90.0, 0.5, 1.0, Drift::Martingale).unwrap_err();
    assert_eq!((err.field.as_str(), err.code), ("price", "not_positive"));
}
