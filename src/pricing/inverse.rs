//! Coin-settled ("inverse") options, as quoted by Deribit and other coin-margined venues.
//!
//! Conventions (`meta.convention` of `tests/vectors/options/inverse_options.json`; Deribit
//! "Options" and "Inverse options" documentation and FAQ):
//!
//! * The USD premium is the Black-76 price on the forward `F` of the expiry
//!   (`D·Black(F, K, σ, T)`, Black 1976); the coin premium is `price_coin = price_usd / F`.
//! * `delta_bs = ∂V_usd/∂F` is the Black-76 delta shown per option; the coin exposure of a long
//!   option in a coin-margined account is the premium-adjusted delta
//!   `delta_bs − price_coin = F·∂(price_coin)/∂F` (buying a 0.50-delta call for 0.10 BTC
//!   raises the account delta by 0.40).
//! * Coin vega/theta/rho are the USD Greeks divided by `F` (at fixed `F`).
//! * The display USD value uses the index: `price_coin · index`.
//! * Payoff at expiry in coin: `max(S_T − K, 0)/S_T` (call), `max(K − S_T, 0)/S_T` (put).

use super::black::black76;
use super::implied_vol::implied_vol_black76;
use super::{check_finite, check_positive, Field, OptionKind, PricingError};

/// Price and Greeks of a coin-settled option, USD and coin units side by side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InverseGreeks {
    /// Black-76 discounted premium in USD.
    pub price_usd: f64,
    /// Premium in coin: `price_usd / F` (Deribit's mark price).
    pub price_coin: f64,
    /// Black-76 forward delta `∂V_usd/∂F` (includes the discount factor).
    pub delta_bs: f64,
    /// Coin exposure of a long option: `delta_bs − price_coin`.
    pub delta_coin_premium_adjusted: f64,
    /// `∂(price_coin)/∂F` in coin per USD: `(delta_bs − price_coin)/F`.
    pub dprice_coin_dforward: f64,
    /// Black-76 gamma `∂²V_usd/∂F²`.
    pub gamma_usd: f64,
    /// Vega in USD per 1.00 vol.
    pub vega_usd: f64,
    /// Vega in coin per 1.00 vol: `vega_usd / F`.
    pub vega_coin: f64,
    /// Theta in USD per year (F fixed).
    pub theta_usd: f64,
    /// Theta in coin per year: `theta_usd / F`.
    pub theta_coin: f64,
    /// Rho in USD per 1.00 rate (F fixed): `−T·price_usd`.
    pub rho_usd: f64,
    /// Rho in coin per 1.00 rate: `rho_usd / F`.
    pub rho_coin: f64,
}

impl InverseGreeks {
    /// USD value displayed against the index price: `price_coin · index` (differs from
    /// `price_usd` when the index differs from the forward). `index` must be finite and `> 0`.
    pub fn usd_at_index(&self, index: f64) -> Result<f64, PricingError> {
        check_positive(index, Field::Index)?;
        let v = self.price_coin * index;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(PricingError::Overflow)
        }
    }

    fn is_finite(&self) -> bool {
        [
            self.price_usd,
            self.price_coin,
            self.delta_bs,
            self.delta_coin_premium_adjusted,
            self.dprice_coin_dforward,
            self.gamma_usd,
            self.vega_usd,
            self.vega_coin,
            self.theta_usd,
            self.theta_coin,
            self.rho_usd,
            self.rho_coin,
        ]
        .iter()
        .all(|v| v.is_finite())
    }
}

/// Price and Greeks of a coin-settled option from Black-76 on the forward (see the module
/// documentation for the conventions). Inputs and errors as in [`black76`]; Deribit uses
/// `rate = 0`.
pub fn inverse_black76(
    kind: OptionKind,
    forward: f64,
    strike: f64,
    time: f64,
    rate: f64,
    vol: f64,
) -> Result<InverseGreeks, PricingError> {
    let g = black76(kind, forward, strike, time, rate, vol)?;
    let price_coin = g.price / forward;
    let delta_coin_premium_adjusted = g.delta - price_coin;
    let out = InverseGreeks {
        price_usd: g.price,
        price_coin,
        delta_bs: g.delta,
        delta_coin_premium_adjusted,
        dprice_coin_dforward: delta_coin_premium_adjusted / forward,
        gamma_usd: g.gamma,
        vega_usd: g.vega,
        vega_coin: g.vega / forward,
        theta_usd: g.theta,
        theta_coin: g.theta / forward,
        rho_usd: g.rho,
        rho_coin: g.rho / forward,
    };
    if out.is_finite() {
        Ok(out)
    } else {
        Err(PricingError::Overflow)
    }
}

/// Implied volatility from a coin premium: the Black-76 implied volatility of
/// `price_coin · F` (Jäckel 2015). Errors as in [`implied_vol_black76`]; a coin premium at or
/// above 1 for a call is `above_maximum`.
pub fn implied_vol_inverse(
    kind: OptionKind,
    price_coin: f64,
    forward: f64,
    strike: f64,
    time: f64,
    rate: f64,
) -> Result<f64, PricingError> {
    check_finite(price_coin, Field::Price)?;
    check_positive(forward, Field::Forward)?;
    let price_usd = price_coin * forward;
    if !price_usd.is_finite() {
        return Err(PricingError::Overflow);
    }
    implied_vol_black76(kind, price_usd, forward, strike, time, rate)
}

/// Payoff at expiry in USD per unit: `max(S_T − K, 0)` (call), `max(K − S_T, 0)` (put).
/// `strike` and `settlement` must be finite and `> 0`.
pub fn payoff_usd(kind: OptionKind, strike: f64, settlement: f64) -> Result<f64, PricingError> {
    check_positive(strike, Field::Strike)?;
    check_positive(settlement, Field::Settlement)?;
    let v = match kind {
        OptionKind::Call => settlement - strike,
        OptionKind::Put => strike - settlement,
    };
    Ok(if v > 0.0 { v } else { 0.0 })
}

/// Payoff at expiry in coin per unit of a coin-settled option: the USD payoff divided by the
/// settlement (delivery) price, `max(S_T − K, 0)/S_T` (call), `max(K − S_T, 0)/S_T` (put).
pub fn inverse_payoff_coin(
    kind: OptionKind,
    strike: f64,
    settlement: f64,
) -> Result<f64, PricingError> {
    Ok(payoff_usd(kind, strike, settlement)? / settlement)
}
