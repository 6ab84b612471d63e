//! An option chain that owns its struct-of-arrays buffers: inputs are written into them, the
//! batch kernels ([`price_delta_batch`](super::black::black76_price_delta_batch),
//! [`implied_vol_batch_each`]) read and write them in place, and nothing is allocated after
//! construction.
//!
//! This is what the JavaScript `OptionChain` class exposes: its arrays live in the wasm
//! module's memory and JavaScript reads and writes them through typed-array views, so a chain
//! repriced on every tick crosses the boundary without copying (the `priceDeltaBatch` export
//! copies seven arrays in and two out on every call, 2–4 ns of its ~27 ns per option on the
//! benchmark chain, 2026-12-07).

use super::{
    black76_price_delta_batch, black_scholes_price_delta_batch, implied_vol_batch_each, Model,
    PricingError,
};

/// Why a chain of the asked length could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainLengthError {
    /// The length is zero.
    Empty,
    /// The length is over [`OwnedChain::MAX_LEN`].
    TooLong,
    /// The allocator could not provide the buffers.
    OutOfMemory,
}

/// A chain of `len` options on one model, as struct-of-arrays buffers it owns.
///
/// Inputs: `is_call` (`1` call, `0` put), `underlying` (the forward for Black-76, the spot for
/// Black–Scholes), `strike`, `time` (years), `rate`, `volatility` (for
/// [`price_delta`](Self::price_delta)) and `price` (for [`implied_vol`](Self::implied_vol)).
/// Outputs: `price` and `delta` ([`price_delta`](Self::price_delta)), `implied_volatility`
/// and `status` ([`implied_vol`](Self::implied_vol)). Every buffer has length `len`, fixed at
/// construction and zero-filled (so an unfilled chain is refused on its first element's
/// underlying, never priced), and is never reallocated.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedChain {
    model: Model,
    /// `1` for a call, `0` for a put.
    pub is_call: Vec<u8>,
    /// Forward (Black-76) or spot (Black–Scholes).
    pub underlying: Vec<f64>,
    /// Strike.
    pub strike: Vec<f64>,
    /// Time to expiry in years.
    pub time: Vec<f64>,
    /// Continuously compounded rate per year.
    pub rate: Vec<f64>,
    /// Volatility (0.6 = 60 %), the input of [`price_delta`](Self::price_delta).
    pub volatility: Vec<f64>,
    /// Premium: the output of [`price_delta`](Self::price_delta) and the input of
    /// [`implied_vol`](Self::implied_vol).
    pub price: Vec<f64>,
    /// Delta, the output of [`price_delta`](Self::price_delta).
    pub delta: Vec<f64>,
    /// Implied volatility, the output of [`implied_vol`](Self::implied_vol) (`NaN` where none).
    pub implied_volatility: Vec<f64>,
    /// Status of each implied volatility: `0` when one was found, else
    /// [`PricingError::status`] of why not (4 below intrinsic, 5 above maximum, 6 undetermined,
    /// ...).
    pub status: Vec<u8>,
}

/// A zero-filled vector of exactly `len` elements, or `OutOfMemory`.
fn zeroed<T: Copy + Default>(len: usize) -> Result<Vec<T>, ChainLengthError> {
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(len)
        .map_err(|_| ChainLengthError::OutOfMemory)?;
    buffer.resize(len, T::default());
    Ok(buffer)
}

impl OwnedChain {
    /// The longest chain: 2²⁰ options (66 MiB of buffers), far more than every listed crypto
    /// option together.
    pub const MAX_LEN: usize = 1 << 20;

    /// A zero-filled chain of `len` options on `model`.
    pub fn new(model: Model, len: usize) -> Result<Self, ChainLengthError> {
        if len == 0 {
            return Err(ChainLengthError::Empty);
        }
        if len > Self::MAX_LEN {
            return Err(ChainLengthError::TooLong);
        }
        Ok(OwnedChain {
            model,
            is_call: zeroed(len)?,
            underlying: zeroed(len)?,
            strike: zeroed(len)?,
            time: zeroed(len)?,
            rate: zeroed(len)?,
            volatility: zeroed(len)?,
            price: zeroed(len)?,
            delta: zeroed(len)?,
            implied_volatility: zeroed(len)?,
            status: zeroed(len)?,
        })
    }

    /// The model the chain is priced with.
    pub fn model(&self) -> Model {
        self.model
    }

    /// The number of options.
    pub fn len(&self) -> usize {
        self.is_call.len()
    }

    /// Always `false`: a chain has at least one option.
    pub fn is_empty(&self) -> bool {
        self.is_call.is_empty()
    }

    /// Premium and delta of every option into `price` and `delta`, by the batch kernel of the
    /// chain's model ([`black76_price_delta_batch`] or [`black_scholes_price_delta_batch`]:
    /// the same results, bit for bit). Stops at the first invalid element and returns its
    /// index and error; outputs before it are written.
    pub fn price_delta(&mut self) -> Result<(), (usize, PricingError)> {
        let batch = match self.model {
            Model::Black76 => black76_price_delta_batch,
            Model::BlackScholes => black_scholes_price_delta_batch,
        };
        batch(
            &self.is_call,
            &self.underlying,
            &self.strike,
            &self.time,
            &self.rate,
            &self.volatility,
            &mut self.price,
            &mut self.delta,
        )
    }

    /// Implied volatility of every option from `price` into `implied_volatility`, with each
    /// element's status in `status` ([`implied_vol_batch_each`]: an option that has no
    /// volatility, an invalid kind byte included, gets `NaN` and a non-zero status, and the
    /// others are still solved). Returns how many have none. The `Err` of
    /// [`implied_vol_batch_each`] is a length mismatch, which a chain cannot have.
    pub fn implied_vol(&mut self) -> Result<usize, (usize, PricingError)> {
        implied_vol_batch_each(
            self.model,
            &self.is_call,
            &self.price,
            &self.underlying,
            &self.strike,
            &self.time,
            &self.rate,
            &mut self.implied_volatility,
            &mut self.status,
            f64::NAN,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked_at_construction() {
        assert_eq!(
            OwnedChain::new(Model::Black76, 0),
            Err(ChainLengthError::Empty)
        );
        assert_eq!(
            OwnedChain::new(Model::Black76, OwnedChain::MAX_LEN + 1),
            Err(ChainLengthError::TooLong)
        );
        let chain = OwnedChain::new(Model::Black76, 3).unwrap();
        assert_eq!(chain.len(), 3);
        assert!(!chain.is_empty());
        assert_eq!(chain.model(), Model::Black76);
    }

    #[test]
    fn an_unfilled_chain_is_refused_on_its_first_underlying() {
        let mut chain = OwnedChain::new(Model::BlackScholes, 4).unwrap();
        let (index, error) = chain.price_delta().unwrap_err();
        assert_eq!(index, 0);
        assert_eq!(error.code(), "non_positive");
        assert_eq!(error.field_enum(), super::super::Field::Spot);
    }

    #[test]
    fn in_place_results_are_the_batch_results_and_round_trip() {
        let strikes = [50_000.0, 58_000.0, 60_000.0, 66_000.0, 90_000.0];
        let mut chain = OwnedChain::new(Model::Black76, strikes.len()).unwrap();
        for (i, &strike) in strikes.iter().enumerate() {
            chain.is_call[i] = (i % 2) as u8;
            chain.underlying[i] = 60_000.0;
            chain.strike[i] = strike;
            chain.time[i] = 0.05 + 0.2 * i as f64;
            chain.rate[i] = 0.03;
            chain.volatility[i] = 0.4 + 0.1 * i as f64;
        }
        chain.price_delta().unwrap();
        let (mut price, mut delta) = ([0.0; 5], [0.0; 5]);
        black76_price_delta_batch(
            &chain.is_call,
            &chain.underlying,
            &chain.strike,
            &chain.time,
            &chain.rate,
            &chain.volatility,
            &mut price,
            &mut delta,
        )
        .unwrap();
        assert_eq!(chain.price, price);
        assert_eq!(chain.delta, delta);
        chain.price[4] = -1.0; // below intrinsic: no volatility gives a negative premium
        assert_eq!(chain.implied_vol(), Ok(1));
        for i in 0..4 {
            assert_eq!(chain.status[i], 0);
            assert!((chain.implied_volatility[i] - chain.volatility[i]).abs() < 1e-12);
        }
        assert!(chain.implied_volatility[4].is_nan());
        assert_eq!(chain.status[4], PricingError::BelowIntrinsic.status());
    }
}
