//! Option functions on arbitrary doubles: never a panic; a price is finite and non-negative when
//! the inputs are accepted; implied volatility is an error or a finite non-negative number.
#![no_main]
use imr::pricing::{black76, implied_vol_black76, OptionKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: [f64; 6]| {
    let [forward, strike, time, rate, vol, price] = data;
    for kind in [OptionKind::Call, OptionKind::Put] {
        if let Ok(g) = black76(kind, forward, strike, time, rate, vol) {
            assert!(g.price.is_finite() && g.price >= 0.0, "{g:?}");
        }
        if let Ok(iv) = implied_vol_black76(kind, price, forward, strike, time, rate) {
            // A price exactly at intrinsic value has volatility 0 (Jäckel's convention).
            assert!(iv.is_finite() && iv >= 0.0, "{iv}");
        }
    }
});
