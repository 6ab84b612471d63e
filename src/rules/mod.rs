//! Margin rules: data, not code. Each market carries one [`MarginRule`]; the engine asks it for
//! the rates that apply to a position of a given size and notional.

pub mod options;
pub mod tiered;

use crate::money::DecimalOps;
use crate::money::Num;
pub use options::{OptionRule, UnitInputs, UnitMargin};
use rust_decimal::Decimal;
pub use tiered::{Tier, TierSpec, TierTable};

/// How a market's initial and maintenance margin rates are set.
#[derive(Debug, Clone, PartialEq)]
pub enum MarginRule {
    /// One maintenance rate (and optional deduction, initial rate, leverage cap) for every size.
    /// KuCoin/Bybit single-tier examples; dYdX v4 `MMF` (margin-models.md §1).
    Fixed {
        /// Maintenance margin rate.
        maintenance_margin_rate: Decimal,
        /// Maintenance amount (deduction) subtracted from `N · MMR`.
        maintenance_amount: Decimal,
        /// Minimum initial margin rate imposed by the venue (`IMF`), if any.
        initial_margin_rate: Option<Decimal>,
        /// Largest leverage allowed, if any.
        max_leverage: Option<Decimal>,
    },
    /// A notional tier table (margin-models.md §1).
    Tiered(TierTable),
    /// Rates linear in the position size in base units (Deribit futures):
    /// `IMR = initialBase + slope · size`, `MMR = maintenanceBase + slope · size`, each capped
    /// at 1 (Deribit support "Linear Perpetual"; margin-models.md §3).
    SizeScaled {
        /// Initial rate at zero size.
        initial_base_rate: Decimal,
        /// Maintenance rate at zero size.
        maintenance_base_rate: Decimal,
        /// Rate added per unit of base-currency size.
        slope_per_unit: Decimal,
    },
    /// Standard (non-portfolio) option margin, per unit of underlying (margin-models.md §4;
    /// formulas and sources in [`options`]). Only option markets carry it.
    StandardOption(OptionRule),
}

/// The rates a rule yields for one position.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// Minimum initial margin rate the rule imposes (the leverage may ask for more).
    pub initial_margin_rate: Option<Decimal>,
    /// Maintenance margin rate.
    pub maintenance_margin_rate: Decimal,
    /// Maintenance amount (deduction).
    pub maintenance_amount: Decimal,
    /// Index of the tier used, for tiered rules.
    pub tier: Option<usize>,
    /// The leverage cap that applies at this size, if any.
    pub max_leverage: Option<Decimal>,
    /// Where the rates came from; [`Rates::describe`] words it for the breakdown (only when
    /// a breakdown is written: rates are asked for many times per position).
    pub source: RatesSource,
}

/// Where a [`Rates`] came from (the data its description needs, nothing formatted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RatesSource {
    /// The fixed rule.
    Fixed,
    /// Tier [`Rates::tier`] of a tiered rule.
    Tier,
    /// The size-scaled rule at this size in base units.
    SizeScaled {
        /// Size in base units the rates were computed at.
        size: Decimal,
    },
    /// The standard option rule (neutral rates).
    StandardOption,
    /// Fixed neutral rates, described by the text.
    Note(&'static str),
}

impl Rates {
    /// Human description of where the rates came from, for the breakdown.
    pub fn describe(&self, rule: &MarginRule) -> String {
        match (self.source, rule) {
            (RatesSource::Note(text), _) => text.to_string(),
            (RatesSource::Fixed, MarginRule::Fixed { max_leverage: Some(l), .. }) => format!(
                "fixed maintenance rate {}, max leverage {}",
                Num(self.maintenance_margin_rate),
                Num(*l)
            ),
            (RatesSource::Fixed, _) => {
                format!("fixed maintenance rate {}", Num(self.maintenance_margin_rate))
            }
            (RatesSource::Tier, MarginRule::Tiered(table)) => {
                match self.tier.and_then(|k| table.tiers().get(k).map(|t| (k, t))) {
                    Some((k, t)) => format!(
                        "tier {} (notional {}–{}): MMR {}, maintenance amount {}, max leverage {}",
                        k + 1,
                        Num(t.notional_floor),
                        t.notional_cap
                            .map(crate::money::decimal_string)
                            .unwrap_or_else(|| "∞".into()),
                        Num(t.maintenance_margin_rate),
                        Num(t.maintenance_amount),
                        Num(t.max_leverage)
                    ),
                    None => format!("MMR {}", Num(self.maintenance_margin_rate)),
                }
            }
            (
                RatesSource::SizeScaled { size },
                MarginRule::SizeScaled {
                    initial_base_rate,
                    maintenance_base_rate,
                    slope_per_unit,
                },
            ) => format!("size-scaled: {initial_base_rate} + {slope_per_unit}·{size} (initial), {maintenance_base_rate} + {slope_per_unit}·{size} (maintenance)"),
            (_, MarginRule::StandardOption(r)) => format!(
                "standard option margin: a {}, b {}, c {}",
                r.initial_rate, r.initial_floor_rate, r.maintenance_rate
            ),
            _ => format!("MMR {}", Num(self.maintenance_margin_rate)),
        }
    }
}

impl MarginRule {
    /// A short name for the breakdown (`fixed`, `tiered`, `sizeScaled`).
    pub fn kind(&self) -> &'static str {
        match self {
            MarginRule::Fixed { .. } => "fixed",
            MarginRule::Tiered(_) => "tiered",
            MarginRule::SizeScaled { .. } => "sizeScaled",
            MarginRule::StandardOption(_) => "standardOption",
        }
    }

    /// True when the rates depend on the notional (and so on the price): the liquidation
    /// search must then iterate over tiers.
    pub fn depends_on_notional(&self) -> bool {
        matches!(self, MarginRule::Tiered(_))
    }

    /// Rates for a position of `size_base` base units and `notional` (in the tier unit).
    pub fn rates(&self, size_base: Decimal, notional: Decimal) -> Rates {
        match self {
            MarginRule::Fixed {
                maintenance_margin_rate,
                maintenance_amount,
                initial_margin_rate,
                max_leverage,
            } => Rates {
                // The leverage cap is an initial-rate floor `1 / maxLeverage` (margin-models.md
                // §1: `IMR = 1 / leverage`), combined with the venue's own `IMF` floor if any.
                initial_margin_rate: match (
                    *initial_margin_rate,
                    max_leverage.and_then(|l| Decimal::ONE.checked_over(l)),
                ) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
                maintenance_margin_rate: *maintenance_margin_rate,
                maintenance_amount: *maintenance_amount,
                tier: None,
                max_leverage: *max_leverage,
                source: RatesSource::Fixed,
            },
            MarginRule::Tiered(table) => {
                let k = table.index_for(notional);
                self.rates_in_tier(k, table)
            }
            MarginRule::SizeScaled {
                initial_base_rate,
                maintenance_base_rate,
                slope_per_unit,
            } => {
                let size = size_base.abs();
                // Rates above 100 % mean nothing: capped at 1, as in the square-root form
                // `IMR = min(1, …)` of margin-models.md §3. Checked: a huge size saturates.
                let scaled = |base: Decimal| {
                    slope_per_unit
                        .checked_times(size)
                        .and_then(|x| x.checked_plus(base))
                        .map_or(Decimal::ONE, |r| r.min(Decimal::ONE))
                };
                Rates {
                    initial_margin_rate: Some(scaled(*initial_base_rate)),
                    maintenance_margin_rate: scaled(*maintenance_base_rate),
                    maintenance_amount: Decimal::ZERO,
                    tier: None,
                    max_leverage: None,
                    source: RatesSource::SizeScaled { size },
                }
            }
            // Option margin is not a rate on notional: option positions are computed by
            // [`options::OptionRule::unit_margin`]; these neutral rates are never charged.
            MarginRule::StandardOption(_) => Rates {
                initial_margin_rate: None,
                maintenance_margin_rate: Decimal::ZERO,
                maintenance_amount: Decimal::ZERO,
                tier: None,
                max_leverage: None,
                source: RatesSource::StandardOption,
            },
        }
    }

    /// Rates of tier `k` of a tiered rule.
    pub fn rates_in_tier(&self, k: usize, table: &TierTable) -> Rates {
        let t = &table.tiers()[k];
        Rates {
            initial_margin_rate: Some(t.initial_margin_rate),
            maintenance_margin_rate: t.maintenance_margin_rate,
            maintenance_amount: t.maintenance_amount,
            tier: Some(k),
            max_leverage: Some(t.max_leverage),
            source: RatesSource::Tier,
        }
    }
}
