//! Standard (non-portfolio) option margin, per unit of underlying (margin-models.md §4).
//!
//! Short option, linear (premium and margin in USD/USDC):
//!
//! - `IM = max(MF · max(a·S − OTM, b·S) + m_IM, MM)`
//! - `MM = MF · max(c·S, c·m) + p·m + f·S`, or with an in-the-money rate `c'` (Paradex form)
//!   `MM = MF · max(c'·S − OTM, c·S) + p·m + f·S`
//!
//! with `S` the underlying (forward) price, `m` the option's mark premium, `OTM = max(0, K − S)`
//! for a call and `max(0, S − K)` for a put, `MF` a margin factor (OKX position tiers; 1 elsewhere),
//! `p` the premium multiplier in maintenance (1 except Paradex), `f` a liquidation fee rate (Bybit;
//! 0 elsewhere) and `m_IM = m`, or `max(m, entry)` where the venue charges the larger of the two
//! (Bybit "Initial Margin and Maintenance Margin Calculations (Options)").
//!
//! Sources:
//! - Deribit (support "Margin requirements — options"; reproduced by TSLab's Deribit guide):
//!   short call `IM = max(0.15 − OTM/S, 0.1) + mark`, `MM = 0.075 + mark`; short put
//!   `IM = max(max(0.15 − OTM/S, 0.1) + mark, MM)`, `MM = max(0.075, 0.075·mark) + mark`, in BTC.
//! - OKX help "Option Margin" (unified account, non-PM): `IM = max(0.1, 0.15 − OTM/F)·MF + mark`,
//!   short call `MM = c·MF + mark`, short put `MM = max(c, c·mark)·MF + mark`; USDⓈ-margined
//!   options multiply the rate terms by the index price.
//! - Bybit help "Initial Margin and Maintenance Margin Calculations (Options)":
//!   `IM = max(15%·Index − OTM, 10%·Index) + max(entry, mark)`,
//!   `MM = max(3%·Index, 3%·mark) + mark (+ liquidation fee)`, times `|q|`.
//! - Paradex docs "Margin Requirements for Options" (cross margin, example fractions):
//!   short `max(short_itm·S − OTM, short_otm·S)`, with a premium multiplier on the mark.
//!
//! `max(c·S, c·m)` is the put form of every venue. For a call it equals the published `c·S`,
//! because a call's premium never exceeds the (undiscounted) forward `S`; one expression serves
//! both.
//!
//! Inverse (coin-settled) venues state the same per unit in coin: divide every USD term by `S`
//! (`max(a − OTM/S, b) + mark_coin`, `max(c, c·mark_coin) + mark_coin`); here `u = 1` replaces
//! `S` and `OTM/S` replaces `OTM`.
//!
//! Long options: the premium is the whole requirement, `IM = MM = m` ("Long options: margin =
//! premium"; Bybit: long options are not liquidated). The long's value backs itself and nothing
//! else.

use crate::money::DecimalOps;
use crate::pricing::OptionKind;
use rust_decimal::Decimal;

/// Parameters of the standard option rule for one underlying.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionRule {
    /// `a`: short initial rate before the out-of-the-money reduction (0.15 BTC/ETH).
    pub initial_rate: Decimal,
    /// `b`: short initial floor rate (0.10 BTC/ETH).
    pub initial_floor_rate: Decimal,
    /// `c`: short maintenance rate (Deribit 0.075; OKX BTC 0.03, ETH 0.05; Bybit 0.03).
    pub maintenance_rate: Decimal,
    /// `c'`: in-the-money maintenance rate of the Paradex form, if the venue uses it.
    pub maintenance_itm_rate: Option<Decimal>,
    /// `MF`: multiplies the rate terms (OKX margin factor of the position tier; default 1).
    pub margin_factor: Decimal,
    /// `p`: multiplies the mark in maintenance (Paradex 0.5 in its example; default 1).
    pub maintenance_premium_multiplier: Decimal,
    /// `f`: liquidation fee rate on the underlying added to maintenance (Bybit; default 0).
    pub liquidation_fee_rate: Decimal,
    /// Initial margin charges `max(entry, mark)` instead of the mark (Bybit).
    pub premium_at_least_entry: bool,
}

/// Per-unit margin of one option position, in the settlement currency, with the pieces the
/// breakdown shows.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMargin {
    /// Initial margin per unit of underlying.
    pub initial: Decimal,
    /// Maintenance margin per unit of underlying.
    pub maintenance: Decimal,
    /// Out-of-the-money amount per unit, in the settlement currency (inverse: `OTM/S`).
    pub otm: Decimal,
    /// The initial formula with numbers substituted.
    pub initial_formula: String,
    /// The maintenance formula with numbers substituted.
    pub maintenance_formula: String,
}

/// What the rule needs about one option and its market, per unit of underlying.
#[derive(Debug, Clone, Copy)]
pub struct UnitInputs {
    /// Call or put.
    pub kind: OptionKind,
    /// Long (`true`) or short.
    pub long: bool,
    /// Underlying (forward) price `S`, USD.
    pub underlying: Decimal,
    /// Strike `K`, USD.
    pub strike: Decimal,
    /// Mark premium per unit in the settlement currency (USD linear, coin inverse).
    pub mark: Decimal,
    /// Entry premium per unit in the settlement currency.
    pub entry: Decimal,
    /// Coin-settled: terms in coin per unit (`u = 1`, `OTM/S`).
    pub inverse: bool,
}

/// Out-of-the-money amount in USD: `max(0, K − S)` (call), `max(0, S − K)` (put)
/// (margin-models.md §4).
pub fn otm_usd(kind: OptionKind, underlying: Decimal, strike: Decimal) -> Decimal {
    match kind {
        OptionKind::Call => (strike - underlying).max(Decimal::ZERO),
        OptionKind::Put => (underlying - strike).max(Decimal::ZERO),
    }
}

impl OptionRule {
    /// Per-unit initial and maintenance margin (see the module documentation for the formulas
    /// and their sources). `None` if a product leaves `Decimal`'s range (inputs are validated so
    /// that it does not).
    pub fn unit_margin(&self, x: &UnitInputs) -> Option<UnitMargin> {
        let otm_abs = otm_usd(x.kind, x.underlying, x.strike);
        let (u, otm) = if x.inverse {
            (Decimal::ONE, otm_abs.checked_over(x.underlying)?)
        } else {
            (x.underlying, otm_abs)
        };
        let m = x.mark.max(Decimal::ZERO);
        if x.long {
            return Some(UnitMargin {
                initial: m,
                maintenance: m,
                otm,
                initial_formula: format!("long: premium at mark {m}"),
                maintenance_formula: format!("long: premium at mark {m}"),
            });
        }
        let mf = self.margin_factor;
        let unit = if x.inverse { "" } else { "·S" };
        // Maintenance.
        let c_s = self.maintenance_rate.checked_times(u)?;
        let (base_mm, base_text) = match self.maintenance_itm_rate {
            Some(ci) => (
                ci.checked_times(u)?.checked_minus(otm)?.max(c_s),
                format!(
                    "max({ci}{unit} − OTM {otm}, {}{unit})",
                    self.maintenance_rate
                ),
            ),
            None => (
                c_s.max(self.maintenance_rate.checked_times(m)?),
                format!("max({c}{unit}, {c}·mark)", c = self.maintenance_rate),
            ),
        };
        let fee = self.liquidation_fee_rate.checked_times(u)?;
        let maintenance = mf
            .checked_times(base_mm)?
            .checked_plus(self.maintenance_premium_multiplier.checked_times(m)?)?
            .checked_plus(fee)?;
        let maintenance_formula = format!(
            "{}{base_text} + {}mark {m}{}, S = {} = {}",
            if mf == Decimal::ONE {
                String::new()
            } else {
                format!("MF {mf} × ")
            },
            if self.maintenance_premium_multiplier == Decimal::ONE {
                String::new()
            } else {
                format!("{} × ", self.maintenance_premium_multiplier)
            },
            if fee.is_zero() {
                String::new()
            } else {
                format!(" + liquidation fee {}{unit}", self.liquidation_fee_rate)
            },
            x.underlying,
            maintenance.normalize()
        );
        // Initial.
        let m_im = if self.premium_at_least_entry {
            m.max(x.entry)
        } else {
            m
        };
        let a_s = self.initial_rate.checked_times(u)?;
        let b_s = self.initial_floor_rate.checked_times(u)?;
        let rate_part = a_s.checked_minus(otm)?.max(b_s);
        let formula_im = mf.checked_times(rate_part)?.checked_plus(m_im)?;
        let initial = formula_im.max(maintenance);
        let initial_formula = format!(
            "max({}max({a}{unit} − OTM {otm}, {b}{unit}) + {} {m_im}, MM {}), S = {} = {}",
            if mf == Decimal::ONE {
                String::new()
            } else {
                format!("MF {mf} × ")
            },
            if self.premium_at_least_entry {
                "max(entry, mark)"
            } else {
                "mark"
            },
            maintenance.normalize(),
            x.underlying,
            initial.normalize(),
            a = self.initial_rate,
            b = self.initial_floor_rate,
        );
        Some(UnitMargin {
            initial,
            maintenance,
            otm,
            initial_formula,
            maintenance_formula,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn deribit() -> OptionRule {
        OptionRule {
            initial_rate: d("0.15"),
            initial_floor_rate: d("0.1"),
            maintenance_rate: d("0.075"),
            maintenance_itm_rate: None,
            margin_factor: Decimal::ONE,
            maintenance_premium_multiplier: Decimal::ONE,
            liquidation_fee_rate: Decimal::ZERO,
            premium_at_least_entry: false,
        }
    }

    #[test]
    fn deribit_short_call_in_coin() {
        // S = 60000, K = 63000: OTM/S = 0.05, IM = max(0.15 − 0.05, 0.1) + 0.02 = 0.12.
        let x = UnitInputs {
            kind: OptionKind::Call,
            long: false,
            underlying: d("60000"),
            strike: d("63000"),
            mark: d("0.02"),
            entry: d("0.02"),
            inverse: true,
        };
        let u = deribit().unit_margin(&x).unwrap();
        assert_eq!(u.initial, d("0.12"));
        assert_eq!(u.maintenance, d("0.095"));
    }

    #[test]
    fn short_put_maintenance_floor_binds_deep_in_the_money() {
        // Linear put, deep in the money (K = 130000 > 2·S): its premium exceeds S, so the floor
        // c·mark of max(c·S, c·mark) binds (it never can for a call, whose premium is below S).
        let x = UnitInputs {
            kind: OptionKind::Put,
            long: false,
            underlying: d("60000"),
            strike: d("130000"),
            mark: d("70000"),
            entry: d("70000"),
            inverse: false,
        };
        let u = deribit().unit_margin(&x).unwrap();
        assert_eq!(u.maintenance, d("0.075") * d("70000") + d("70000"));
        assert!(u.initial >= u.maintenance);
    }
}
