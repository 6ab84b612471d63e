//! Tiered maintenance margin: Binance "leverage brackets", Bybit "risk limits", OKX tiers,
//! Hyperliquid "margin tiers".
//!
//! Source: Binance FAQ "Leverage and Margin of USDⓈ-M Futures" — `MM = N · MMR_k − cum_k` for the
//! tier `k` containing the notional `N`, with the maintenance amount derived by the recursion
//! `cum_1 = 0`, `cum_k = cum_(k−1) + floor_k · (MMR_k − MMR_(k−1))`, which makes MM continuous
//! in `N` (margin-models.md §1).

use crate::error::FieldError;
use rust_decimal::Decimal;

/// One tier (bracket) of a tier table.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Lower notional bound (inclusive), in the settlement currency's notional unit.
    pub notional_floor: Decimal,
    /// Upper notional bound (exclusive); `None` for an open-ended last tier.
    pub notional_cap: Option<Decimal>,
    /// Maintenance margin rate of this tier.
    pub maintenance_margin_rate: Decimal,
    /// Largest leverage allowed in this tier.
    pub max_leverage: Decimal,
    /// Maintenance amount (deduction) `cum_k`, derived by the recursion if not given.
    pub maintenance_amount: Decimal,
    /// The tier's initial margin rate floor `1 / maxLeverage` (margin-models.md §1), computed
    /// once here rather than at every lookup.
    pub initial_margin_rate: Decimal,
}

/// A validated tier table: contiguous, starting at zero, rates non-decreasing.
#[derive(Debug, Clone, PartialEq)]
pub struct TierTable {
    tiers: Vec<Tier>,
}

/// Raw tier values before validation; `maintenance_amount` optional.
#[derive(Debug, Clone)]
pub struct TierSpec {
    /// See [`Tier::notional_floor`].
    pub notional_floor: Decimal,
    /// See [`Tier::notional_cap`].
    pub notional_cap: Option<Decimal>,
    /// See [`Tier::maintenance_margin_rate`].
    pub maintenance_margin_rate: Decimal,
    /// See [`Tier::max_leverage`].
    pub max_leverage: Decimal,
    /// A published maintenance amount to check against the recursion, if any.
    pub maintenance_amount: Option<Decimal>,
}

/// The maintenance amount recursion, one step (Binance FAQ):
/// `cum_k = cum_(k−1) + floor_k · (MMR_k − MMR_(k−1))`.
pub fn next_maintenance_amount(
    previous_cum: Decimal,
    floor: Decimal,
    mmr: Decimal,
    previous_mmr: Decimal,
) -> Decimal {
    previous_cum + floor * (mmr - previous_mmr)
}

impl TierTable {
    /// Validates `specs` (field paths are reported under `path`, e.g. `markets[0].margin.tiers`)
    /// and derives each tier's maintenance amount. A published amount that disagrees with the
    /// recursion is an `inconsistent_tiers` error: the table would make MM jump at a boundary.
    pub fn new(path: &str, specs: &[TierSpec]) -> Result<Self, FieldError> {
        if specs.is_empty() {
            return Err(FieldError::new(path, "required", "needs at least one tier"));
        }
        let mut tiers: Vec<Tier> = Vec::with_capacity(specs.len());
        for (k, spec) in specs.iter().enumerate() {
            if spec.maintenance_margin_rate < Decimal::ZERO
                || spec.maintenance_margin_rate >= Decimal::ONE
            {
                return Err(FieldError::new(
                    format!("{path}[{k}].maintenanceMarginRate"),
                    "out_of_range",
                    "must be in [0, 1)",
                ));
            }
            if spec.max_leverage < Decimal::ONE {
                return Err(FieldError::new(
                    format!("{path}[{k}].maxLeverage"),
                    "out_of_range",
                    "must be at least 1",
                ));
            }
            // The tier's initial rate 1/maxLeverage may not be below its maintenance rate: a
            // position opened at full leverage would start liquidatable (every published table
            // satisfies it; Hyperliquid sets MMR = 1/(2·maxLeverage), margin-models.md §1).
            if spec.maintenance_margin_rate * spec.max_leverage > Decimal::ONE {
                return Err(FieldError::new(
                    format!("{path}[{k}].maintenanceMarginRate"),
                    "inconsistent_tiers",
                    format!(
                        "must not exceed the tier's initial rate 1/maxLeverage = {}",
                        (Decimal::ONE / spec.max_leverage).round_dp(8).normalize()
                    ),
                ));
            }
            let cum = match tiers.last() {
                None => {
                    if !spec.notional_floor.is_zero() {
                        return Err(FieldError::new(
                            format!("{path}[{k}].notionalFloor"),
                            "inconsistent_tiers",
                            "the first tier must start at notional 0",
                        ));
                    }
                    Decimal::ZERO
                }
                Some(prev) => {
                    if prev.notional_cap != Some(spec.notional_floor) {
                        return Err(FieldError::new(format!("{path}[{k}].notionalFloor"), "inconsistent_tiers", "must equal the previous tier's notionalCap (tiers must be contiguous and ordered)"));
                    }
                    if spec.maintenance_margin_rate < prev.maintenance_margin_rate {
                        return Err(FieldError::new(
                            format!("{path}[{k}].maintenanceMarginRate"),
                            "inconsistent_tiers",
                            "must not be lower than the previous tier's rate",
                        ));
                    }
                    if spec.max_leverage > prev.max_leverage {
                        return Err(FieldError::new(
                            format!("{path}[{k}].maxLeverage"),
                            "inconsistent_tiers",
                            "must not be higher than the previous tier's max leverage",
                        ));
                    }
                    next_maintenance_amount(
                        prev.maintenance_amount,
                        spec.notional_floor,
                        spec.maintenance_margin_rate,
                        prev.maintenance_margin_rate,
                    )
                }
            };
            if let Some(cap) = spec.notional_cap {
                if cap <= spec.notional_floor {
                    return Err(FieldError::new(
                        format!("{path}[{k}].notionalCap"),
                        "inconsistent_tiers",
                        "must be above notionalFloor",
                    ));
                }
            } else if k + 1 != specs.len() {
                return Err(FieldError::new(
                    format!("{path}[{k}].notionalCap"),
                    "required",
                    "only the last tier may be open-ended",
                ));
            }
            if let Some(given) = spec.maintenance_amount {
                if given != cum {
                    return Err(FieldError::new(
                        format!("{path}[{k}].maintenanceAmount"),
                        "inconsistent_tiers",
                        format!("is {given} but the recursion cum_k = cum_(k-1) + floor_k*(MMR_k - MMR_(k-1)) gives {cum}"),
                    ));
                }
            }
            tiers.push(Tier {
                notional_floor: spec.notional_floor,
                notional_cap: spec.notional_cap,
                maintenance_margin_rate: spec.maintenance_margin_rate,
                max_leverage: spec.max_leverage,
                maintenance_amount: cum,
                initial_margin_rate: Decimal::ONE / spec.max_leverage,
            });
        }
        Ok(Self { tiers })
    }

    /// The tiers, in order.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// Index of the tier containing `notional` (`floor ≤ N < cap`); notionals beyond the last
    /// cap fall in the last tier (the caller warns that the venue would refuse them).
    pub fn index_for(&self, notional: Decimal) -> usize {
        let n = notional.abs();
        self.tiers
            .iter()
            .position(|t| t.notional_cap.is_none_or(|cap| n < cap))
            .unwrap_or(self.tiers.len() - 1)
    }

    /// `MM = N · MMR_k − cum_k` at `notional`.
    pub fn maintenance_margin(&self, notional: Decimal) -> Decimal {
        let t = &self.tiers[self.index_for(notional)];
        notional.abs() * t.maintenance_margin_rate - t.maintenance_amount
    }

    /// The largest notional a position may reach at `leverage` (the cap of the last tier whose
    /// max leverage still allows it); `None` if unbounded, `Some(0)` if no tier allows it.
    pub fn max_notional_at_leverage(&self, leverage: Decimal) -> Option<Decimal> {
        let mut best = Some(Decimal::ZERO);
        for t in &self.tiers {
            if t.max_leverage >= leverage {
                best = t.notional_cap;
            } else {
                break;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// BIN-CUM-L5 (Binance FAQ): floor 250000, MMR 1%, previous MMR 0.5%, previous cum 50 → 1300.
    #[test]
    fn bin_cum_l5() {
        assert_eq!(
            next_maintenance_amount(d("50"), d("250000"), d("0.01"), d("0.005")),
            d("1300")
        );
    }

    #[test]
    fn mm_is_continuous_at_boundaries() {
        let specs = vec![
            TierSpec {
                notional_floor: d("0"),
                notional_cap: Some(d("50000")),
                maintenance_margin_rate: d("0.004"),
                max_leverage: d("125"),
                maintenance_amount: None,
            },
            TierSpec {
                notional_floor: d("50000"),
                notional_cap: None,
                maintenance_margin_rate: d("0.005"),
                max_leverage: d("100"),
                maintenance_amount: Some(d("50")),
            },
        ];
        let t = TierTable::new("tiers", &specs).unwrap();
        let below = d("49999.9999") * d("0.004");
        assert!((t.maintenance_margin(d("50000")) - d("200")).abs() < d("0.000001"));
        assert!((t.maintenance_margin(d("49999.9999")) - below).abs() < d("0.000001"));
        assert_eq!(t.index_for(d("50000")), 1);
    }

    #[test]
    fn wrong_published_amount_is_rejected() {
        let specs = vec![
            TierSpec {
                notional_floor: d("0"),
                notional_cap: Some(d("50000")),
                maintenance_margin_rate: d("0.004"),
                max_leverage: d("125"),
                maintenance_amount: None,
            },
            TierSpec {
                notional_floor: d("50000"),
                notional_cap: None,
                maintenance_margin_rate: d("0.005"),
                max_leverage: d("100"),
                maintenance_amount: Some(d("51")),
            },
        ];
        let e = TierTable::new("m.tiers", &specs).unwrap_err();
        assert_eq!(e.field, "m.tiers[1].maintenanceAmount");
        assert_eq!(e.code, "inconsistent_tiers");
    }
}
