//! Scenario (portfolio) margin with the grid as data.
//!
//! A [`ScenarioGrid`] is a list of [`Scenario`]s (price move × volatility move × weight) plus
//! how to read them ([`PriceUnit`], [`VolUnit`], [`VolConvention`]), an optional minimum delta
//! charge ([`MinDeltaRule`]) and how initial and maintenance margin follow from the requirement.
//! [`scenario_margin`] revalues the book with the valuation closure in every scenario and
//! returns every scenario's P&L, the requirement and the name of what sets it;
//! [`scenario_margin_from_pnls`] does the same from precomputed risk arrays (SPAN style).
//!
//! Three grids ship as constants, each with `as_of` and `source` strings, and only with numbers
//! found in margin-models.md §5 or the cited venue pages:
//! [`SPAN_16`] (classic SPAN), [`PARADEX_PM`] (Deribit/Paradex style) and [`OKX_PM_BTC_ETH`]
//! (OKX style, price moves only). [`builtin_grids`] lists them.
//!
//! The requirement is `R = max(scanRisk, minDeltaCharge, minimum)` with
//! `scanRisk = max(0, max_i −weight_i·PnL_i)`, `PnL_i = V(S_i, Δσ_i, d) − V(S, 0, 0)`;
//! then `IM = initial_per_requirement · R` and `MM = maintenance_per_requirement · R`.
//!
//! ```
//! use imr::risk::scenario::{scenario_margin, ScanInputs, PARADEX_PM};
//! // A long perpetual of 1 BTC at 70 000: −16 % at full weight (11 200) beats the −66 % tail
//! // at 24 % weight (11 088).
//! let m = scenario_margin(&PARADEX_PM, &ScanInputs::at(70_000.0), |s, _dv, _d| s).unwrap();
//! assert!((m.scan_risk - 0.16 * 70_000.0).abs() < 1e-6);
//! assert_eq!(m.dominant_label, "16: -16%, vol +40%");
//! assert_eq!(m.maintenance_margin, 0.5 * m.initial_margin);
//! ```

use super::{finite, non_negative, positive, valuation, RiskError};
use crate::fmath::DetMath;
use crate::money::Float;
use std::borrow::Cow;

/// Smallest volatility [`VolConvention::shocked_vol`] returns (`1e-4`, i.e. 0.01 %): a shocked
/// volatility never reaches zero, where option models are undefined.
pub const MIN_SHOCKED_VOL: f64 = 1e-4;

/// How a scenario's `price_move` moves the underlying price `S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceUnit {
    /// `S_i = S · (1 + price_move)` (Deribit, Paradex, OKX: percentage shocks).
    Relative,
    /// `S_i = S + price_move · priceScanRange` (SPAN: fractions of an absolute scan range).
    ScanRange,
}

/// How a scenario's `vol_move` becomes the `vol_shift` passed to the valuation closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolUnit {
    /// `vol_shift = vol_move` (the grid stores the shock itself).
    Literal,
    /// `vol_shift = vol_move · volScanRange` (SPAN: ±1 × the volatility scan range).
    ScanRange,
}

/// How the closure should apply `vol_shift` to an option's implied volatility; the closure
/// calls [`VolConvention::shocked_vol`] per option (it knows each option's days to expiry).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolConvention {
    /// `σ' = σ + shift` (absolute vol points; SPAN's volatility scan range).
    Additive,
    /// `σ' = σ · (1 + shift)`.
    Relative,
    /// `σ' = σ · (1 + shift · (pivot / max(floor, DTE))^p)`, `p = power_short` when
    /// `DTE < pivot`, else `power_long` (Paradex portfolio margin, margin-models.md §5:
    /// pivot 30 days, floor 1 day, p = 0.30 below 30 days, 0.13 above).
    DteScaled {
        /// Days at which the shock is exactly `shift` (30).
        pivot_days: f64,
        /// Floor on days to expiry (1).
        dte_floor: f64,
        /// Exponent below the pivot (0.30).
        power_short: f64,
        /// Exponent at or above the pivot (0.13).
        power_long: f64,
    },
}

impl VolConvention {
    /// Paradex / Deribit-style DTE scaling: pivot 30, floor 1, powers 0.30 / 0.13.
    pub const PARADEX: VolConvention = VolConvention::DteScaled {
        pivot_days: 30.0,
        dte_floor: 1.0,
        power_short: 0.30,
        power_long: 0.13,
    };

    /// The shocked implied volatility of an option with `iv` and `dte_days` days to expiry
    /// (after any `days_forward` ageing the caller applies), floored at [`MIN_SHOCKED_VOL`].
    /// Non-finite inputs give [`MIN_SHOCKED_VOL`] rather than NaN; a NaN `dte_days` is read as
    /// the floor.
    pub fn shocked_vol(&self, iv: f64, shift: f64, dte_days: f64) -> f64 {
        let v = match *self {
            VolConvention::Additive => iv + shift,
            VolConvention::Relative => iv * (1.0 + shift),
            VolConvention::DteScaled {
                pivot_days,
                dte_floor,
                power_short,
                power_long,
            } => {
                let dte = if dte_days.is_nan() {
                    dte_floor
                } else {
                    dte_days.max(dte_floor)
                };
                let p = if dte < pivot_days {
                    power_short
                } else {
                    power_long
                };
                iv * (1.0 + shift * (pivot_days / dte).dpowf(p))
            }
        };
        if v.is_finite() && v > MIN_SHOCKED_VOL {
            v
        } else {
            MIN_SHOCKED_VOL
        }
    }
}

/// One scenario of a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Human name, e.g. `13: price −1 range, vol up` or `17: -66%, vol +40%, weight 24%`.
    pub label: Cow<'static, str>,
    /// Price move, read through the grid's [`PriceUnit`].
    pub price_move: f64,
    /// Volatility move, read through the grid's [`VolUnit`].
    pub vol_move: f64,
    /// Fraction of the scenario's loss counted ("covered fraction"; SPAN extremes 0.35).
    pub weight: f64,
}

/// Minimum delta charge `(u·|netΔ| + h·hedgedΔ)·S` with `hedgedΔ = (grossΔ − |netΔ|)/2`
/// (Paradex portfolio margin, margin-models.md §5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinDeltaRule {
    /// Factor `u` on the unhedged (net) delta (Paradex 0.02).
    pub unhedged: f64,
    /// Factor `h` on the hedged delta (Paradex 0.01).
    pub hedged: f64,
}

/// A scenario grid and how its result becomes margin.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioGrid {
    /// Stable id (`span-16`, `paradex-pm`, `okx-pm-btc-eth-2025-01`).
    pub id: Cow<'static, str>,
    /// Display name.
    pub name: Cow<'static, str>,
    /// Date (or statement) of the parameters.
    pub as_of: Cow<'static, str>,
    /// Where every number comes from.
    pub source: Cow<'static, str>,
    /// What the grid leaves out, assumptions.
    pub notes: Cow<'static, str>,
    /// How `price_move` is read.
    pub price_unit: PriceUnit,
    /// How `vol_move` is read.
    pub vol_unit: VolUnit,
    /// How the closure applies the vol shift (informational for the closure).
    pub vol_convention: VolConvention,
    /// The scenarios, in the venue's order.
    pub scenarios: Cow<'static, [Scenario]>,
    /// Minimum delta charge, if the venue has one.
    pub min_delta: Option<MinDeltaRule>,
    /// `IM = initial_per_requirement · R`.
    pub initial_per_requirement: f64,
    /// `MM = maintenance_per_requirement · R`.
    pub maintenance_per_requirement: f64,
}

macro_rules! sc {
    ($label:expr, $p:expr, $v:expr, $w:expr) => {
        Scenario {
            label: Cow::Borrowed($label),
            price_move: $p,
            vol_move: $v,
            weight: $w,
        }
    };
}

const SPAN_SCENARIOS: [Scenario; 16] = [
    sc!("1: price unchanged, vol up", 0.0, 1.0, 1.0),
    sc!("2: price unchanged, vol down", 0.0, -1.0, 1.0),
    sc!("3: price up 1/3 range, vol up", 1.0 / 3.0, 1.0, 1.0),
    sc!("4: price up 1/3 range, vol down", 1.0 / 3.0, -1.0, 1.0),
    sc!("5: price down 1/3 range, vol up", -1.0 / 3.0, 1.0, 1.0),
    sc!("6: price down 1/3 range, vol down", -1.0 / 3.0, -1.0, 1.0),
    sc!("7: price up 2/3 range, vol up", 2.0 / 3.0, 1.0, 1.0),
    sc!("8: price up 2/3 range, vol down", 2.0 / 3.0, -1.0, 1.0),
    sc!("9: price down 2/3 range, vol up", -2.0 / 3.0, 1.0, 1.0),
    sc!("10: price down 2/3 range, vol down", -2.0 / 3.0, -1.0, 1.0),
    sc!("11: price up 3/3 range, vol up", 1.0, 1.0, 1.0),
    sc!("12: price up 3/3 range, vol down", 1.0, -1.0, 1.0),
    sc!("13: price down 3/3 range, vol up", -1.0, 1.0, 1.0),
    sc!("14: price down 3/3 range, vol down", -1.0, -1.0, 1.0),
    sc!(
        "15: price up extreme (2 × range), vol unchanged, 35% counted",
        2.0,
        0.0,
        0.35
    ),
    sc!(
        "16: price down extreme (2 × range), vol unchanged, 35% counted",
        -2.0,
        0.0,
        0.35
    ),
];

/// Classic SPAN: 16 scenarios — price 0, ±1/3, ±2/3, ±1 of the price scan range, each with
/// volatility up and down by the volatility scan range (additive), then ±2 × the range with
/// volatility unchanged counted at 35 %. The scan ranges are inputs ([`ScanInputs`]).
/// Requirement = the largest loss; `IM = MM = R` (SPAN gives one risk requirement; exchange
/// add-ons, the short-option minimum — pass it as [`ScanInputs::minimum`] — and inter-month
/// spread charges are left to the caller). For the ±3 × range variant use
/// [`span_with_extreme_multiple`].
pub const SPAN_16: ScenarioGrid = ScenarioGrid {
    id: Cow::Borrowed("span-16"),
    name: Cow::Borrowed("SPAN 16 risk scenarios"),
    as_of: Cow::Borrowed(
        "standard SPAN scenario set (CME, 1988); scan ranges are per product and date, inputs here",
    ),
    source: Cow::Borrowed(
        "margin-models.md §5; CME SPAN standard risk scenarios (e.g. the 16-scenario table \
         'price move in multiples of price scan range / volatility move / fraction of loss \
         considered', extremes ±2 at 35 %); McMillan, Options as a Strategic Investment, ch. 34 \
         (the SPAN-COVERED-WRITE vector)",
    ),
    notes: Cow::Borrowed(
        "Extremes at 2 × range (3 × in some products: span_with_extreme_multiple). No \
         short-option minimum unless given as `minimum`. Not modelled: intra-commodity \
         (calendar) spread charges, inter-commodity spread credits and delivery charges — CME \
         publishes the method (cmegroup.com 'Spread calculations': intra spreads add a charge to \
         the legs' outright difference, inter spreads credit a percentage of the legs' outright \
         margins) with example rates only, and no sourced parameters for crypto products were \
         found; futures of one underlying move together here, so a calendar spread carries no \
         charge.",
    ),
    price_unit: PriceUnit::ScanRange,
    vol_unit: VolUnit::ScanRange,
    vol_convention: VolConvention::Additive,
    scenarios: Cow::Borrowed(&SPAN_SCENARIOS),
    min_delta: None,
    initial_per_requirement: 1.0,
    maintenance_per_requirement: 1.0,
};

/// [`SPAN_16`] with the extreme moves (scenarios 15 and 16) at `multiple` × the price scan
/// range (margin-models.md §5: "±2 or ±3 × range"). `multiple` must be finite and `> 0`.
pub fn span_with_extreme_multiple(multiple: f64) -> Result<ScenarioGrid, RiskError> {
    positive("extremeMultiple", multiple)?;
    let mut scenarios = SPAN_SCENARIOS.to_vec();
    scenarios[14] = Scenario {
        label: Cow::Owned(format!(
            "15: price up extreme ({multiple} × range), vol unchanged, 35% counted",
            multiple = Float(multiple)
        )),
        price_move: multiple,
        vol_move: 0.0,
        weight: 0.35,
    };
    scenarios[15] = Scenario {
        label: Cow::Owned(format!(
            "16: price down extreme ({multiple} × range), vol unchanged, 35% counted",
            multiple = Float(multiple)
        )),
        price_move: -multiple,
        vol_move: 0.0,
        weight: 0.35,
    };
    Ok(ScenarioGrid {
        id: Cow::Owned(format!("span-16-x{multiple}", multiple = Float(multiple))),
        scenarios: Cow::Owned(scenarios),
        ..SPAN_16
    })
}

const PARADEX_SCENARIOS: [Scenario; 24] = [
    sc!("1: +16%, vol +40%", 0.16, 0.40, 1.0),
    sc!("2: +12%, vol +40%", 0.12, 0.40, 1.0),
    sc!("3: +12%, vol -22%", 0.12, -0.22, 1.0),
    sc!("4: +8%, vol +40%", 0.08, 0.40, 1.0),
    sc!("5: +8%, vol -22%", 0.08, -0.22, 1.0),
    sc!("6: +4%, vol +40%", 0.04, 0.40, 1.0),
    sc!("7: +4%, vol -22%", 0.04, -0.22, 1.0),
    sc!("8: 0%, vol +40%", 0.0, 0.40, 1.0),
    sc!("9: 0%, vol -22%", 0.0, -0.22, 1.0),
    sc!("10: -4%, vol +40%", -0.04, 0.40, 1.0),
    sc!("11: -4%, vol -22%", -0.04, -0.22, 1.0),
    sc!("12: -8%, vol +40%", -0.08, 0.40, 1.0),
    sc!("13: -8%, vol -22%", -0.08, -0.22, 1.0),
    sc!("14: -12%, vol +40%", -0.12, 0.40, 1.0),
    sc!("15: -12%, vol -22%", -0.12, -0.22, 1.0),
    sc!("16: -16%, vol +40%", -0.16, 0.40, 1.0),
    sc!("17: -66%, vol +40%, weight 24%", -0.66, 0.40, 0.24),
    sc!("18: -33%, vol +40%, weight 48%", -0.33, 0.40, 0.48),
    sc!("19: +50%, vol +40%, weight 32%", 0.50, 0.40, 0.32),
    sc!("20: +100%, vol +40%, weight 16%", 1.00, 0.40, 0.16),
    sc!("21: +200%, vol +40%, weight 8%", 2.00, 0.40, 0.08),
    sc!("22: +300%, vol +40%, weight 5.33%", 3.00, 0.40, 0.0533),
    sc!("23: +400%, vol +40%, weight 4%", 4.00, 0.40, 0.04),
    sc!("24: +500%, vol +40%, weight 3.2%", 5.00, 0.40, 0.032),
];

/// Deribit/Paradex-style portfolio margin: Paradex's 24 scenarios — spot ±4/8/12 % with vol
/// +40 % and −22 %, ±16 % with vol +40 %, extended tail moves −66 % … +500 % at fractional
/// weights — DTE-scaled relative vol shocks ([`VolConvention::PARADEX`]), minimum delta charge
/// `(2 %·|netΔ| + 1 %·hedgedΔ)·S`, `IM = R`, `MM = 50 % · R`.
pub const PARADEX_PM: ScenarioGrid = ScenarioGrid {
    id: Cow::Borrowed("paradex-pm"),
    name: Cow::Borrowed("Paradex portfolio margin (Deribit-style grid)"),
    as_of: Cow::Borrowed(
        "undated docs page docs.paradex.trade/risk/portfolio-margin (portfolio margin in beta), \
         as retrieved for this crate",
    ),
    source: Cow::Borrowed(
        "Paradex docs 'Portfolio Margin' (SCAN risk table of 24 scenarios with weights, shocked \
         IV formula with Vega Power 30 % below 30 DTE and 13 % above, minimum delta requirement \
         2 % net + 1 % hedged, MMR = 50 % of net IM); margin-models.md §5",
    ),
    notes: Cow::Borrowed(
        "Funding provision and fee provision (added to IM and MM by Paradex) are not included. \
         Deribit's S:PM uses the same shape (support article 'Portfolio Margin': ±16 % in 9 \
         buckets × vol up/same/down, an extended table of −66 % … +500 % on vol up at a \
         fraction of the P&L with a dampener, MM = 80 % of IM). Its API example \
         (private/pme/simulate, testnet, 2024-06-17) shows price_range 0.16, volatility_range_up \
         0.5 / down 0.25, vega powers 0.3 / 0.13, mm_factor 0.8 and an extended_dampener, but \
         not how the volatility ranges apply, the extended-table fractions or the dampener \
         formula, so no Deribit grid ships.",
    ),
    price_unit: PriceUnit::Relative,
    vol_unit: VolUnit::Literal,
    vol_convention: VolConvention::PARADEX,
    scenarios: Cow::Borrowed(&PARADEX_SCENARIOS),
    min_delta: Some(MinDeltaRule {
        unhedged: 0.02,
        hedged: 0.01,
    }),
    initial_per_requirement: 1.0,
    maintenance_per_requirement: 0.5,
};

const OKX_SCENARIOS: [Scenario; 9] = [
    sc!("MR1: 0%", 0.0, 0.0, 1.0),
    sc!("MR1: +4%", 0.04, 0.0, 1.0),
    sc!("MR1: -4%", -0.04, 0.0, 1.0),
    sc!("MR1: +8%", 0.08, 0.0, 1.0),
    sc!("MR1: -8%", -0.08, 0.0, 1.0),
    sc!("MR1: +12%", 0.12, 0.0, 1.0),
    sc!("MR1: -12%", -0.12, 0.0, 1.0),
    sc!("MR6: +24% extreme move", 0.24, 0.0, 1.0),
    sc!("MR6: -24% extreme move", -0.24, 0.0, 1.0),
];

/// OKX-style price grid for BTC and ETH risk units: MR1 spot shocks 0, ±4, ±8, ±12 % and the
/// MR6 extreme move ±24 %, volatility unchanged. The scan gives maintenance (`MM = R`) and
/// `IM = 1.3 · R` (OKX `IMR = 1.3 · MMR`, margin-models.md §5).
pub const OKX_PM_BTC_ETH: ScenarioGrid = ScenarioGrid {
    id: Cow::Borrowed("okx-pm-btc-eth-2025-01"),
    name: Cow::Borrowed("OKX portfolio margin, BTC/ETH spot shock (price only)"),
    as_of: Cow::Borrowed("2025-01-06 (MR1 and MR6 parameters effective)"),
    source: Cow::Borrowed(
        "OKX announcement 'OKX will further adjust portfolio margin parameters' (published \
         2025-01-02): MR1 BTC/ETH ±0 %, 4 %, 8 %, 12 %; MR6 BTC/ETH ±24 %; \
         IMR = 1.3 × MMR and MMR = max(max(MR1, MR2, MR6) + MR3 + MR4 + MR5, MR7): \
         margin-models.md §5",
    ),
    notes: Cow::Borrowed(
        "Price moves only: MR1's volatility shocks, MR2 (time decay), MR3 (vega term \
         structure), MR4 (basis), MR5 (interest rate), MR7 (minimum charge) and MR9 \
         (stablecoin) are not modelled, so MMR = max(MR1, MR6) here rather than \
         max(max(MR1, MR2, MR6) + MR3 + MR4 + MR5, MR7). The same announcement publishes MR4's \
         annualised move risk (BTC/ETH 5 %) and MR7's multiplier tiers on the raw minimum \
         charge, but not the formulas that use them; definitions of MR2, MR3 and MR5 with \
         parameters were not found. Assumption: MR6 is counted at full weight (no MR6 scaling \
         was found in the sources).",
    ),
    price_unit: PriceUnit::Relative,
    vol_unit: VolUnit::Literal,
    vol_convention: VolConvention::Relative,
    scenarios: Cow::Borrowed(&OKX_SCENARIOS),
    min_delta: None,
    initial_per_requirement: 1.3,
    maintenance_per_requirement: 1.0,
};

/// The grids that ship with the crate.
pub fn builtin_grids() -> [&'static ScenarioGrid; 3] {
    [&SPAN_16, &PARADEX_PM, &OKX_PM_BTC_ETH]
}

/// A shipped grid by id.
pub fn builtin_grid(id: &str) -> Option<&'static ScenarioGrid> {
    builtin_grids().into_iter().find(|g| g.id == id)
}

/// Market inputs of a scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanInputs<'a> {
    /// Underlying price `S` (`> 0`).
    pub price: f64,
    /// Absolute price scan range; required for [`PriceUnit::ScanRange`] grids.
    pub price_scan_range: Option<f64>,
    /// Volatility scan range (absolute vol points for SPAN); required for
    /// [`VolUnit::ScanRange`] grids.
    pub vol_scan_range: Option<f64>,
    /// Calendar days the book is aged in every scenario (`≥ 0`; 0 = instantaneous shock).
    pub days_forward: f64,
    /// Signed deltas of the positions (underlying units), for the minimum delta charge.
    pub deltas: Option<&'a [f64]>,
    /// A floor on the requirement (e.g. SPAN's short-option minimum), `≥ 0`.
    pub minimum: f64,
}

impl ScanInputs<'_> {
    /// Only the price; everything else empty/zero.
    pub fn at(price: f64) -> Self {
        ScanInputs {
            price,
            price_scan_range: None,
            vol_scan_range: None,
            days_forward: 0.0,
            deltas: None,
            minimum: 0.0,
        }
    }
}

/// One scenario's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioPnl {
    /// The scenario's label.
    pub label: String,
    /// Shocked underlying price (risk arrays: the unshocked `inputs.price`).
    pub price: f64,
    /// The vol shift passed to the closure (risk arrays: the grid's `vol_move`, unscaled).
    pub vol_shift: f64,
    /// Days forward.
    pub days_forward: f64,
    /// Weight (covered fraction).
    pub weight: f64,
    /// Profit (+) or loss (−) before weighting.
    pub pnl: f64,
    /// `weight · pnl`.
    pub weighted_pnl: f64,
}

/// Result of the minimum delta charge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinDeltaCharge {
    /// `Σ Δ_i`.
    pub net_delta: f64,
    /// `Σ |Δ_i|`.
    pub gross_delta: f64,
    /// `(gross − |net|) / 2`.
    pub hedged_delta: f64,
    /// The charge `(u·|net| + h·hedged)·S`.
    pub charge: f64,
}

/// What sets the requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dominant {
    /// The scenario at this index (into [`ScenarioMargin::scenarios`]).
    Scenario(usize),
    /// The minimum delta charge.
    MinimumDelta,
    /// The given minimum ([`ScanInputs::minimum`]).
    Minimum,
    /// No scenario loses and no charge applies: the requirement is zero.
    NoLoss,
}

/// A scenario-margin result.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioMargin {
    /// The grid's id.
    pub grid_id: String,
    /// `V(S, 0, 0)` (zero for risk arrays).
    pub base_value: f64,
    /// Every scenario, in grid order.
    pub scenarios: Vec<ScenarioPnl>,
    /// `max(0, max_i −weighted_pnl_i)`.
    pub scan_risk: f64,
    /// Index of the scenario with the largest weighted loss (first on ties), if any loses.
    pub worst_scenario: Option<usize>,
    /// The minimum delta charge, when the grid has one and deltas were given.
    pub min_delta: Option<MinDeltaCharge>,
    /// The given minimum.
    pub minimum: f64,
    /// `R = max(scan_risk, min delta charge, minimum)`.
    pub requirement: f64,
    /// What sets `R`.
    pub dominant: Dominant,
    /// `R`'s source in words: the scenario label, `minimum delta charge`, `minimum`, `no loss`.
    pub dominant_label: String,
    /// `initial_per_requirement · R`.
    pub initial_margin: f64,
    /// `maintenance_per_requirement · R`.
    pub maintenance_margin: f64,
    /// What was left out (e.g. the minimum delta charge without deltas) and the grid's notes.
    pub notes: Vec<String>,
}

/// How the P&L of a risk array relates to the grid's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// The array already holds the counted values (SPAN risk arrays: extremes already at 35 %).
    AlreadyApplied,
    /// Multiply each value by the scenario's weight.
    Apply,
}

/// The minimum delta charge of a set of position deltas (margin-models.md §5; Paradex docs
/// "Minimum delta requirement"): `netΔ = ΣΔ_i`, `grossΔ = Σ|Δ_i|`,
/// `hedgedΔ = (grossΔ − |netΔ|)/2`, `charge = (u·|netΔ| + h·hedgedΔ)·S`.
///
/// Errors: `deltas[i]` `not_finite`; `price` `not_positive`; `unhedged`/`hedged` `negative`.
pub fn min_delta_charge(
    deltas: &[f64],
    price: f64,
    rule: &MinDeltaRule,
) -> Result<MinDeltaCharge, RiskError> {
    positive("price", price)?;
    non_negative("unhedged", rule.unhedged)?;
    non_negative("hedged", rule.hedged)?;
    let mut net = 0.0;
    let mut gross = 0.0;
    for (i, d) in deltas.iter().enumerate() {
        finite(&format!("deltas[{i}]"), *d)?;
        net += d;
        gross += d.abs();
    }
    let hedged = ((gross - net.abs()) / 2.0).max(0.0);
    let charge = (rule.unhedged * net.abs() + rule.hedged * hedged) * price;
    if !charge.is_finite() {
        return Err(RiskError::new(
            "deltas",
            "out_of_range",
            "the minimum delta charge overflows the range of f64",
        ));
    }
    Ok(MinDeltaCharge {
        net_delta: net,
        gross_delta: gross,
        hedged_delta: hedged,
        charge,
    })
}

fn validate_grid(grid: &ScenarioGrid) -> Result<(), RiskError> {
    if grid.scenarios.is_empty() {
        return Err(RiskError::new(
            "scenarios",
            "empty",
            "the grid has no scenarios",
        ));
    }
    for (i, s) in grid.scenarios.iter().enumerate() {
        finite(&format!("scenarios[{i}].priceMove"), s.price_move)?;
        finite(&format!("scenarios[{i}].volMove"), s.vol_move)?;
        non_negative(&format!("scenarios[{i}].weight"), s.weight)?;
    }
    non_negative("initialPerRequirement", grid.initial_per_requirement)?;
    non_negative(
        "maintenancePerRequirement",
        grid.maintenance_per_requirement,
    )?;
    Ok(())
}

/// Scenario margin with full revaluation: for each scenario `i`,
/// `S_i` from the [`PriceUnit`], `vol_shift_i` from the [`VolUnit`],
/// `PnL_i = value(S_i, vol_shift_i, days_forward) − value(S, 0, 0)`, weighted by the scenario's
/// weight; then the requirement as described in the module documentation.
///
/// The closure is called `1 + scenarios` times. Errors: `price` `not_positive`;
/// `priceScanRange`/`volScanRange` `required` when the grid needs them; `daysForward`,
/// `minimum` `negative`; `scenarios[i]` `out_of_range` when a shocked price is not `> 0`, or
/// `valuation_not_finite`; grid fields as [`min_delta_charge`].
pub fn scenario_margin<V>(
    grid: &ScenarioGrid,
    inputs: &ScanInputs<'_>,
    value: V,
) -> Result<ScenarioMargin, RiskError>
where
    V: Fn(f64, f64, f64) -> f64,
{
    validate_grid(grid)?;
    let s = positive("price", inputs.price)?;
    let days = non_negative("daysForward", inputs.days_forward)?;
    let price_range = match grid.price_unit {
        PriceUnit::Relative => 0.0,
        PriceUnit::ScanRange => match inputs.price_scan_range {
            Some(r) => non_negative("priceScanRange", r)?,
            None => {
                return Err(RiskError::new(
                    "priceScanRange",
                    "required",
                    format!("grid {} moves prices by fractions of a scan range", grid.id),
                ))
            }
        },
    };
    let vol_range = match grid.vol_unit {
        VolUnit::Literal => 1.0,
        VolUnit::ScanRange => match inputs.vol_scan_range {
            Some(r) => non_negative("volScanRange", r)?,
            None => {
                return Err(RiskError::new(
                    "volScanRange",
                    "required",
                    format!(
                        "grid {} moves volatility by fractions of a scan range",
                        grid.id
                    ),
                ))
            }
        },
    };
    let base = valuation(&value, "price", "the base case", s, 0.0, 0.0)?;
    let mut rows = Vec::with_capacity(grid.scenarios.len());
    for (i, sc) in grid.scenarios.iter().enumerate() {
        let field = format!("scenarios[{i}]");
        let price = match grid.price_unit {
            PriceUnit::Relative => s * (1.0 + sc.price_move),
            PriceUnit::ScanRange => s + sc.price_move * price_range,
        };
        if !(price.is_finite() && price > 0.0) {
            return Err(RiskError::new(
                field,
                "out_of_range",
                format!(
                    "scenario '{}' moves the price to {price}, which is not positive",
                    sc.label,
                    price = Float(price)
                ),
            ));
        }
        let vol_shift = sc.vol_move * vol_range;
        let v = valuation(
            &value,
            &field,
            &format!("scenario '{}'", sc.label),
            price,
            vol_shift,
            days,
        )?;
        let pnl = v - base;
        let weighted_pnl = sc.weight * pnl;
        if !weighted_pnl.is_finite() {
            return Err(RiskError::new(
                field,
                "valuation_not_finite",
                "the scenario P&L overflows the range of f64",
            ));
        }
        rows.push(ScenarioPnl {
            label: sc.label.to_string(),
            price,
            vol_shift,
            days_forward: days,
            weight: sc.weight,
            pnl,
            weighted_pnl,
        });
    }
    finish(grid, base, rows, inputs)
}

/// Scenario margin from precomputed P&L per scenario (risk arrays, profit + / loss −), one
/// value per grid scenario in grid order. Combine several instruments' arrays first with
/// [`combine_risk_arrays`]. `inputs.price` is used only for the minimum delta charge (pass any
/// positive price when the grid has none).
///
/// Errors: `pnls` `length_mismatch`; `pnls[i]` `not_finite`; as [`scenario_margin`].
pub fn scenario_margin_from_pnls(
    grid: &ScenarioGrid,
    pnls: &[f64],
    weighting: Weighting,
    inputs: &ScanInputs<'_>,
) -> Result<ScenarioMargin, RiskError> {
    validate_grid(grid)?;
    positive("price", inputs.price)?;
    if pnls.len() != grid.scenarios.len() {
        return Err(RiskError::new(
            "pnls",
            "length_mismatch",
            format!(
                "grid {} has {} scenarios, got {} values",
                grid.id,
                grid.scenarios.len(),
                pnls.len()
            ),
        ));
    }
    let rows = grid
        .scenarios
        .iter()
        .zip(pnls)
        .enumerate()
        .map(|(i, (sc, &p))| {
            finite(&format!("pnls[{i}]"), p)?;
            let weighted_pnl = match weighting {
                Weighting::AlreadyApplied => p,
                Weighting::Apply => sc.weight * p,
            };
            Ok(ScenarioPnl {
                label: sc.label.to_string(),
                price: inputs.price,
                vol_shift: sc.vol_move,
                days_forward: inputs.days_forward,
                weight: sc.weight,
                pnl: p,
                weighted_pnl,
            })
        })
        .collect::<Result<Vec<_>, RiskError>>()?;
    finish(grid, 0.0, rows, inputs)
}

/// `Σ_k quantity_k · array_k`, element by element (SPAN: a portfolio's risk array is the
/// position-weighted sum of its contracts' arrays). Errors: `arrays` `empty`;
/// `arrays[k]` `length_mismatch`; `arrays[k][i]` / `quantities[k]` `not_finite`.
pub fn combine_risk_arrays(arrays: &[(&[f64], f64)]) -> Result<Vec<f64>, RiskError> {
    let Some((first, _)) = arrays.first() else {
        return Err(RiskError::new(
            "arrays",
            "empty",
            "no risk arrays to combine",
        ));
    };
    let n = first.len();
    let mut out = vec![0.0; n];
    for (k, (array, qty)) in arrays.iter().enumerate() {
        finite(&format!("quantities[{k}]"), *qty)?;
        if array.len() != n {
            return Err(RiskError::new(
                format!("arrays[{k}]"),
                "length_mismatch",
                format!("has {} values, the first array {n}", array.len()),
            ));
        }
        for (i, (o, a)) in out.iter_mut().zip(array.iter()).enumerate() {
            finite(&format!("arrays[{k}][{i}]"), *a)?;
            *o += qty * a;
        }
    }
    if out.iter().any(|x| !x.is_finite()) {
        return Err(RiskError::new(
            "arrays",
            "out_of_range",
            "the combined array overflows the range of f64",
        ));
    }
    Ok(out)
}

fn finish(
    grid: &ScenarioGrid,
    base_value: f64,
    scenarios: Vec<ScenarioPnl>,
    inputs: &ScanInputs<'_>,
) -> Result<ScenarioMargin, RiskError> {
    let minimum = non_negative("minimum", inputs.minimum)?;
    let mut scan_risk = 0.0;
    let mut worst = None;
    for (i, row) in scenarios.iter().enumerate() {
        let loss = -row.weighted_pnl;
        if loss > scan_risk {
            scan_risk = loss;
            worst = Some(i);
        }
    }
    let mut notes = Vec::new();
    let min_delta = match (grid.min_delta, inputs.deltas) {
        (Some(rule), Some(deltas)) => Some(min_delta_charge(deltas, inputs.price, &rule)?),
        (Some(_), None) => {
            notes.push(
                "minimum delta charge not computed: no position deltas were given".to_string(),
            );
            None
        }
        (None, _) => None,
    };
    let mut requirement = scan_risk;
    let mut dominant = match worst {
        Some(i) => Dominant::Scenario(i),
        None => Dominant::NoLoss,
    };
    if let Some(md) = min_delta {
        if md.charge > requirement {
            requirement = md.charge;
            dominant = Dominant::MinimumDelta;
        }
    }
    if minimum > requirement {
        requirement = minimum;
        dominant = Dominant::Minimum;
    }
    let dominant_label = match dominant {
        Dominant::Scenario(i) => scenarios[i].label.clone(),
        Dominant::MinimumDelta => "minimum delta charge".to_string(),
        Dominant::Minimum => "minimum".to_string(),
        Dominant::NoLoss => "no loss in any scenario".to_string(),
    };
    if !grid.notes.is_empty() {
        notes.push(grid.notes.to_string());
    }
    Ok(ScenarioMargin {
        grid_id: grid.id.to_string(),
        base_value,
        scenarios,
        scan_risk,
        worst_scenario: worst,
        min_delta,
        minimum,
        requirement,
        dominant,
        dominant_label,
        initial_margin: grid.initial_per_requirement * requirement,
        maintenance_margin: grid.maintenance_per_requirement * requirement,
        notes,
    })
}
