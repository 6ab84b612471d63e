//! Wire types out: every number the calculator shows, and the breakdown that explains it.
//! Decimals serialise as strings (exact); absent values as `null`.

use crate::error::FieldError;
use crate::instrument::{MarginMode, Settlement, Side, VolatilitySource};
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;

/// One line of a breakdown: what was computed, how, and the value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the number is (mostly fixed text: borrowed, not allocated per position).
    pub label: Cow<'static, str>,
    /// The formula with the inputs substituted.
    pub formula: String,
    /// The result.
    pub value: String,
}

/// The tier a position falls in.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TierUsed {
    /// 1-based tier number.
    pub tier: usize,
    /// Lower notional bound.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub notional_floor: Decimal,
    /// Upper notional bound (`null` when open-ended).
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub notional_cap: Option<Decimal>,
    /// Maintenance margin rate.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin_rate: Decimal,
    /// Maintenance amount.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_amount: Decimal,
    /// Max leverage.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub max_leverage: Decimal,
}

/// Liquidation of one position.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Liquidation {
    /// The price at which equity meets maintenance margin; `null` means no liquidation.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub price: Option<Decimal>,
    /// Adverse move from the mark to it, in percent of the mark.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub distance_percent: Option<Decimal>,
    /// Tier in force at the liquidation price.
    pub tier: Option<usize>,
    /// Why there is no liquidation price, when there is none.
    pub reason: Option<String>,
    /// True when the position is already at or past its liquidation condition at the mark.
    pub already_liquidatable: bool,
    /// How it was found.
    pub method: String,
    /// `ln(LP / mark) / (σ·√(h/365))` with the request's `volatility` and `horizonDays`
    /// (signed: negative below the mark); absent without a volatility or a liquidation price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_sigmas: Option<f64>,
    /// Probability that the mark touches the liquidation price within `horizonDays` under a
    /// driftless lognormal price with the request's `volatility` ([`crate::risk::touch`]); 1
    /// when the position is already liquidatable; absent without a volatility or a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touch_probability: Option<f64>,
}

/// Figures for one position.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionResult {
    /// Market symbol.
    pub symbol: String,
    /// Long or short.
    pub side: Side,
    /// Linear or inverse.
    pub settlement: Settlement,
    /// Size in contracts.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub size: Decimal,
    /// Size in base units at the mark (inverse: coin equivalent of the USD face value).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub quantity: Decimal,
    /// Entry price.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub entry_price: Decimal,
    /// Mark price.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub mark_price: Decimal,
    /// Index price, when the request gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub index_price: Option<Decimal>,
    /// Mark–index basis `(mark − index) / index` in percent, when an index price is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub mark_index_basis_percent: Option<Decimal>,
    /// Notional at the mark, in the settlement currency (linear: quote; inverse: coin).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub notional: Decimal,
    /// Notional in USD/quote terms (linear: = notional; inverse: contracts × face value).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub notional_quote: Decimal,
    /// Leverage used for initial margin (the requested one, capped by the rule).
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub leverage: Option<Decimal>,
    /// Initial margin rate applied.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin_rate: Decimal,
    /// Initial margin, in the settlement currency.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
    /// Maintenance margin rate of the tier/rule at the mark.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin_rate: Decimal,
    /// Maintenance amount (deduction) at the mark.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_amount: Decimal,
    /// Maintenance margin at the mark.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin: Decimal,
    /// Maintenance margin ÷ the equity left to back the position (isolated: its margin + its
    /// PnL; cross: the account's equity minus every other position's maintenance margin). The
    /// position is liquidated when it reaches 1 (margin-models.md §7, "margin ratio").
    /// `null` when that equity is ≤ 0 (already liquidatable).
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub maintenance_margin_ratio: Option<Decimal>,
    /// Tier at the mark, for tiered rules.
    pub tier: Option<TierUsed>,
    /// Unrealised PnL at the mark.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub unrealized_pnl: Decimal,
    /// Isolated margin (isolated mode only).
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub isolated_margin: Option<Decimal>,
    /// Price at which the position's backing equity reaches zero.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub bankruptcy_price: Option<Decimal>,
    /// Liquidation.
    pub liquidation: Liquidation,
    /// Most contracts that can still be added at this leverage with the available balance
    /// (and within the tier table).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub max_additional_size: Decimal,
    /// How each number was produced.
    pub breakdown: Vec<Step>,
    /// Option positions only: the contract, its valuation and Greeks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<OptionResult>,
    /// Which rule produced the initial margin and from what inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imr_source: Option<ImrSource>,
}

/// Named numbers, kept sorted by name with one value per name (a later insert replaces an
/// earlier one), written as a JSON object in name order: what a `BTreeMap<&str, f64>` gives,
/// without linking a B-tree and a stable sort into the module for a handful of entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs(Vec<(&'static str, f64)>);

impl Inputs {
    /// An empty set.
    pub fn new() -> Self {
        Inputs(Vec::new())
    }

    /// Sets `name` to `value`, replacing any earlier value.
    pub fn insert(&mut self, name: &'static str, value: f64) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&name)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<(&'static str, f64)> for Inputs {
    fn from_iter<I: IntoIterator<Item = (&'static str, f64)>>(entries: I) -> Self {
        let mut inputs = Inputs::new();
        for (name, value) in entries {
            inputs.insert(name, value);
        }
        inputs
    }
}

impl Serialize for Inputs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Where a position's initial margin rate comes from: the binding rule and its inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImrSource {
    /// `leverage` (`1 / leverage`), `rule` (the margin rule's own floor: tier, fixed or
    /// size-scaled rate), `maintenance` (the maintenance rate, when above the others),
    /// `standardOption`, or a dynamic model: `size_linear`, `sqrt_size`, `sqrt_notional`,
    /// `open_interest`, `volatility`.
    pub model: Cow<'static, str>,
    /// The binding branch of the model (`floor`, `size premium`, `capped at 100%`, …).
    pub rule: Cow<'static, str>,
    /// The formula with the numbers substituted.
    pub formula: String,
    /// The initial margin rate applied (options: initial margin / notional).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub rate: Decimal,
    /// The inputs the rule used, by name.
    pub inputs: Inputs,
    /// Where the formula comes from.
    pub source: Cow<'static, str>,
    /// Dynamic models: the rate the market's margin rule alone would give.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub rule_rate: Option<Decimal>,
    /// Volatility-scaled model: the volatility used and where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volatility: Option<VolatilityUsed>,
}

/// A volatility assumption and its origin.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolatilityUsed {
    /// Annualised volatility (decimal).
    pub annualised: f64,
    /// Daily volatility, when estimated from a series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily: Option<f64>,
    /// `given`, `sample`, `ewma`, or `implied` (an option market's own implied volatility).
    pub method: String,
    /// Returns used by an estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observations: Option<usize>,
    /// The estimator and its conventions, in words.
    pub description: String,
}

/// Greeks of an option, per unit of underlying or for the whole position. Model outputs
/// (`f64`): delta `∂V/∂S` and gamma `∂²V/∂S²` with respect to the underlying (forward) price;
/// vega `∂V/∂σ` per 1.00 of volatility (÷ 100 for one vol point); theta `−∂V/∂T` per year
/// (÷ 365 for one day). Values in USD (the premium's USD value, Black-76 with `r = 0`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GreeksResult {
    /// `∂V/∂S`, USD per USD of underlying.
    pub delta: f64,
    /// `∂²V/∂S²`, per USD of underlying.
    pub gamma: f64,
    /// `∂V/∂σ` per 1.00 of volatility, USD.
    pub vega: f64,
    /// `−∂V/∂T` per year, USD.
    pub theta: f64,
}

/// An option position's contract, valuation and risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionResult {
    /// `"call"` or `"put"`.
    pub option_type: String,
    /// Strike, USD.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub strike: Decimal,
    /// Expiry, ISO 8601 UTC (minute resolution).
    pub expiry: String,
    /// Valuation time, ISO 8601 UTC (minute resolution).
    pub valuation_time: String,
    /// Time to expiry in years, ACT/365 at minute resolution.
    pub time_to_expiry_years: f64,
    /// Underlying (forward) price the option is priced on, USD.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub underlying_price: Decimal,
    /// Black-76 volatility used (decimal, 0.6 = 60 %).
    pub volatility: f64,
    /// Whether it was given or implied from the mark.
    pub volatility_source: VolatilitySource,
    /// Mark premium per unit of underlying, in the settlement currency (USD linear, coin
    /// inverse).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub mark_premium: Decimal,
    /// Mark premium per unit in USD (inverse: `mark_coin · S`).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub mark_premium_usd: Decimal,
    /// Out-of-the-money amount per unit, USD: `max(0, K − S)` call, `max(0, S − K)` put.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub otm_amount: Decimal,
    /// Greeks per unit of underlying (USD).
    pub greeks: GreeksResult,
    /// Greeks of the whole position: per-unit Greeks × `s · Q` (USD).
    pub position_greeks: GreeksResult,
    /// Inverse only: premium-adjusted delta per unit (`delta − mark_coin`), the coin delta a
    /// coin-margined book carries per long option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta_premium_adjusted: Option<f64>,
    /// Initial margin per unit of underlying, settlement currency.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin_per_unit: Decimal,
    /// Maintenance margin per unit of underlying, settlement currency.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin_per_unit: Decimal,
    /// The units of each figure, spelled out.
    pub units: String,
}

/// One root of `equity(P) = MM(P)` for the whole book.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookLiquidationPrice {
    /// Underlying price at which equity meets maintenance margin (rounded against the
    /// trader: a root below the reference is rounded up, one above it down).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub price: Decimal,
    /// `"below"` or `"above"` the reference price.
    pub direction: String,
    /// Move from the reference price to it, in percent of the reference price.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub distance_percent: Decimal,
    /// `ln(P / reference) / (σ·√(h/365))` with the request's `volatility` and `horizonDays`
    /// (signed: negative below); absent without a volatility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_sigmas: Option<f64>,
    /// Probability of touching this price within `horizonDays` under a driftless lognormal
    /// price with the request's `volatility` ([`crate::risk::touch`]); absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touch_probability: Option<f64>,
    /// Portfolio mode: `intoLiquidation` (moving away from the reference, equity falls below
    /// maintenance here) or `outOfLiquidation` (it rises back above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crossing: Option<String>,
}

/// Liquidation of a book holding options: every root of `equity(P) = MM(P)` in the underlying
/// price, the options revalued at each price (volatility and time held), found by a bracketed
/// search (margin-models.md §7).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookLiquidation {
    /// Underlying price the moves are measured from (the first option market's underlying).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub reference_price: Decimal,
    /// The roots, lowest first; empty when the book is never liquidated in the searched range.
    pub prices: Vec<BookLiquidationPrice>,
    /// Nearest root below the reference, if any.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub below: Option<Decimal>,
    /// Nearest root above the reference, if any.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub above: Option<Decimal>,
    /// True when equity is already at or below maintenance margin at the reference.
    pub already_liquidatable: bool,
    /// The searched range of underlying prices.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub searched_from: Decimal,
    /// Upper end of the searched range.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub searched_to: Decimal,
    /// How it was found and what is held fixed.
    pub method: String,
    /// `portfolio` in portfolio mode: equity is compared with the scenario grid's maintenance
    /// margin, recomputed at every price (absent: the markets' own rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_basis: Option<String>,
    /// Annualised volatility used for `distanceSigmas` and `touchProbability`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volatility: Option<f64>,
    /// Horizon in days used for `distanceSigmas` and `touchProbability`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizon_days: Option<f64>,
    /// The touch-probability model in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touch_model: Option<String>,
    /// Books of several risk units (markets with different `underlying`): each unit's roots
    /// with that unit's markets moving and every other unit held at its marks. The roots above
    /// are those of every unit moving by the same relative amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_risk_unit: Option<Vec<BookLiquidation>>,
    /// In `byRiskUnit`: the unit's underlying (`"unnamed"`: markets that name none); its roots
    /// are in that underlying's price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying: Option<String>,
}

/// One risk unit's scenario margin (portfolio mode, books of several underlyings).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskUnitMargin {
    /// The unit's underlying (`"unnamed"`: markets that name none).
    pub underlying: String,
    /// The unit's reference price (its first option market's underlying, else its first
    /// position's mark).
    pub reference_price: f64,
    /// Symbols of the unit's positions.
    pub symbols: Vec<String>,
    /// Every scenario of the grid on this unit.
    pub scenarios: Vec<ScenarioResult>,
    /// Largest weighted loss.
    pub scan_risk: f64,
    /// Scenario of the largest weighted loss.
    pub worst_scenario: Option<String>,
    /// Minimum delta charge, for grids that have one.
    pub minimum_delta: Option<MinDeltaResult>,
    /// Short-option minimum.
    pub short_option_minimum: f64,
    /// The unit's requirement.
    pub requirement: f64,
    /// What sets the unit's requirement.
    pub dominant: String,
    /// The unit's initial margin.
    pub initial_margin: Decimal,
    /// The unit's maintenance margin.
    pub maintenance_margin: Decimal,
}

/// Account totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountResult {
    /// Isolated, cross or portfolio.
    pub margin_mode: AccountMarginMode,
    /// Settlement of the account's markets.
    pub settlement: Settlement,
    /// Wallet balance.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub wallet_balance: Decimal,
    /// Sum of unrealised PnL (including other positions given as a total).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub unrealized_pnl: Decimal,
    /// Wallet balance + unrealised PnL (margin balance).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub equity: Decimal,
    /// Total initial margin.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
    /// Total initial margin / gross notional.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub initial_margin_ratio: Option<Decimal>,
    /// Total maintenance margin.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin: Decimal,
    /// Maintenance margin / equity; `null` when equity ≤ 0.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub margin_ratio: Option<Decimal>,
    /// Balance free for new positions.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub available_balance: Decimal,
    /// Sum of absolute notionals.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub gross_notional: Decimal,
    /// Gross notional / equity; `null` when equity ≤ 0.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub effective_leverage: Option<Decimal>,
    /// Whether the closing taker fee is in the liquidation condition, and at what rate.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub liquidation_fee_rate: Option<Decimal>,
    /// What is included and left out of these figures.
    pub notes: Vec<String>,
    /// Books holding options: the liquidation price(s) of the whole book.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub book_liquidation: Option<BookLiquidation>,
    /// Portfolio mode: the scenario grid, every scenario's P&L and the requirement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio_margin: Option<PortfolioMarginResult>,
    /// Other collateral assets after haircuts (included in equity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collateral: Option<CollateralResult>,
}

/// How the account is margined, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountMarginMode {
    /// Each position has its own margin.
    Isolated,
    /// One wallet backs every position; margin from each market's rule.
    Cross,
    /// One wallet; initial and maintenance margin from a scenario grid over the whole book.
    Portfolio,
}

impl From<MarginMode> for AccountMarginMode {
    fn from(m: MarginMode) -> Self {
        match m {
            MarginMode::Isolated => AccountMarginMode::Isolated,
            MarginMode::Cross => AccountMarginMode::Cross,
        }
    }
}

/// One scenario of a portfolio-margin grid, revalued.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioResult {
    /// The scenario's name.
    pub label: String,
    /// Shocked reference underlying price.
    pub price: f64,
    /// Volatility shift passed to the options (in the grid's convention).
    pub vol_shift: f64,
    /// Fraction of the loss counted.
    pub weight: f64,
    /// Book P&L in the scenario, settlement currency.
    pub pnl: f64,
    /// `weight × pnl`.
    pub weighted_pnl: f64,
}

/// The minimum delta charge of a portfolio grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinDeltaResult {
    /// `Σ Δ_i`, underlying units.
    pub net_delta: f64,
    /// `Σ |Δ_i|`.
    pub gross_delta: f64,
    /// `(gross − |net|) / 2`.
    pub hedged_delta: f64,
    /// Factor on the net delta.
    pub unhedged_factor: f64,
    /// Factor on the hedged delta.
    pub hedged_factor: f64,
    /// `(u·|net| + h·hedged)·S`, settlement currency.
    pub charge: f64,
}

/// Portfolio (scenario) margin of the whole book (margin-models.md §5).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioMarginResult {
    /// Grid id (`span-16`, `paradex-pm`, `okx-pm-btc-eth-2025-01`, `custom`).
    pub grid: String,
    /// Grid name.
    pub grid_name: String,
    /// Date or statement of the parameters.
    pub as_of: String,
    /// Where the numbers come from.
    pub source: String,
    /// Underlying price the moves apply to (every market moves by the same relative amount).
    pub reference_price: f64,
    /// SPAN-style grids: the absolute price scan range.
    pub price_scan_range: Option<f64>,
    /// SPAN-style grids: the volatility scan range.
    pub vol_scan_range: Option<f64>,
    /// How options' volatilities are shocked, in words.
    pub vol_convention: String,
    /// Days the book is aged in every scenario.
    pub days_forward: f64,
    /// Every scenario.
    pub scenarios: Vec<ScenarioResult>,
    /// `max(0, max −weighted P&L)`.
    pub scan_risk: f64,
    /// The scenario with the largest weighted loss, if any loses.
    pub worst_scenario: Option<String>,
    /// The minimum delta charge, for grids that have one.
    pub minimum_delta: Option<MinDeltaResult>,
    /// Short-option minimum (per unit × short option units), 0 if none.
    pub short_option_minimum: f64,
    /// `max(scan risk, minimum delta charge, short-option minimum)`.
    pub requirement: f64,
    /// What sets the requirement: a scenario label, `minimum delta charge`, `minimum`, or
    /// `no loss in any scenario`.
    pub dominant: String,
    /// `IM = initialPerRequirement × requirement`.
    pub initial_per_requirement: f64,
    /// `MM = maintenancePerRequirement × requirement`.
    pub maintenance_per_requirement: f64,
    /// Initial margin, settlement currency (rounded up).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
    /// Maintenance margin, settlement currency (rounded up).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin: Decimal,
    /// Books of several underlyings: each risk unit's margin (the account's is their sum; the
    /// scenario-level fields above are those of the unit with the largest requirement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_units: Option<Vec<RiskUnitMargin>>,
    /// What is left out and the grid's notes.
    pub notes: Vec<String>,
}

/// One collateral asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollateralAssetResult {
    /// Asset name.
    pub asset: String,
    /// Amount held.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub amount: Decimal,
    /// Price in the settlement currency.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub price: Decimal,
    /// Haircut (fraction of the value not counted).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub haircut: Decimal,
    /// `amount × price`.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub value: Decimal,
    /// `amount × price × (1 − haircut)`.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub value_after_haircut: Decimal,
}

/// Multi-asset collateral.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollateralResult {
    /// Each asset.
    pub assets: Vec<CollateralAssetResult>,
    /// `Σ value`.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub gross_value: Decimal,
    /// `Σ value after haircut`: added to equity.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub value_after_haircuts: Decimal,
    /// `walletBalance + value after haircuts`.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub total_collateral: Decimal,
    /// `total collateral / initial margin`; `null` when there is no initial margin.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub collateralisation_ratio: Option<Decimal>,
}

/// Historical-simulation VaR / ES of the whole book (margin-models.md §6).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VarResult {
    /// Confidence level α.
    pub confidence: f64,
    /// Value-at-Risk, a loss, settlement currency.
    pub var: f64,
    /// Expected Shortfall, a loss, settlement currency.
    pub expected_shortfall: f64,
    /// VaR convention used.
    pub var_convention: String,
    /// ES convention used.
    pub es_convention: String,
    /// True when the conventions are the defaults (empirical quantile, Acerbi–Tasche ES).
    pub default_conventions: bool,
    /// Horizon in days.
    pub horizon_days: u32,
    /// The horizon and window method, in words.
    pub horizon: String,
    /// Factor applied to 1-day figures (`√h` for `sqrtTime`, else 1).
    pub scale: f64,
    /// Number of scenarios (windows).
    pub scenarios: usize,
    /// Number of daily returns read from the series.
    pub observations: usize,
    /// `n(1 − α)`, exact.
    pub tail_size: String,
    /// Largest scenario loss (unscaled).
    pub worst_loss: f64,
    /// Underlying price the returns are applied to.
    pub reference_price: f64,
    /// Method in words.
    pub method: String,
}

/// One stress scenario's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StressResultItem {
    /// The scenario's name.
    pub name: String,
    /// Price move in percent.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub price_move_percent: Decimal,
    /// Additive volatility move (0.1 = +10 vol points).
    pub vol_move: f64,
    /// Days forward.
    pub days_forward: f64,
    /// Reference underlying price after the move.
    pub price: f64,
    /// Book P&L, settlement currency.
    pub pnl: f64,
    /// Equity after the shock.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub equity: Decimal,
    /// Maintenance margin after the shock.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin: Decimal,
    /// Maintenance margin / equity after the shock; `null` when equity ≤ 0.
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub margin_ratio: Option<Decimal>,
    /// True when equity ≤ maintenance margin after the shock.
    pub liquidated: bool,
}

/// Stress tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StressReport {
    /// How the shocks are applied.
    pub method: String,
    /// Each scenario, in request order.
    pub scenarios: Vec<StressResultItem>,
}

/// A successful calculation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// Account totals.
    pub account: AccountResult,
    /// One entry per position, in request order.
    pub positions: Vec<PositionResult>,
    /// Things the user should know that do not stop the calculation (e.g. leverage above a
    /// tier's maximum), each naming its field.
    pub warnings: Vec<FieldError>,
    /// Open orders and what-if results; absent when the request has no orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<OrdersResult>,
    /// Historical-simulation VaR / ES; absent unless the request has `var`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var: Option<VarResult>,
    /// Stress tests; absent unless the request has `stress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stress: Option<StressReport>,
}

/// Margin held by one market's open orders (OKX one-way form; see [`crate::orders`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderMarginResult {
    /// Market symbol.
    pub symbol: String,
    /// Signed notional of the position at the mark (+ long, − short; 0 if none).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub position_notional: Decimal,
    /// Total notional of the buy orders, at their prices.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub buy_notional: Decimal,
    /// Total notional of the sell orders, at their prices.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub sell_notional: Decimal,
    /// `max(position + buys, sells − position)`: the larger exposure if one side fills.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub exposure: Decimal,
    /// Initial margin rate applied to the exposure.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin_rate: Decimal,
    /// Margin the orders add on top of the position's initial margin.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
}

/// The position in one market after an order fills.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionAfter {
    /// Long or short.
    pub side: Side,
    /// Size in contracts.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub size: Decimal,
    /// Average entry price after the fill.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub entry_price: Decimal,
    /// Initial margin.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
    /// Maintenance margin.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub maintenance_margin: Decimal,
    /// Liquidation price (`null`: none).
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub liquidation_price: Option<Decimal>,
}

/// One position's liquidation price after a fill.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiquidationAfter {
    /// Market symbol.
    pub symbol: String,
    /// Liquidation price (`null`: none).
    #[serde(serialize_with = "crate::money::serialize_optional_decimal")]
    pub price: Option<Decimal>,
}

/// What happens if one order fills now, at its price, the other orders still resting.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FillResult {
    /// The order's market position afterwards (`null`: flat).
    pub position: Option<PositionAfter>,
    /// PnL realised by the part of the order that reduces the position.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub realized_pnl: Decimal,
    /// Change in the account's initial margin (negative when the order reduces risk).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub incremental_initial_margin: Decimal,
    /// Account initial margin afterwards.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
    /// Available balance afterwards (may be negative: the order would be refused).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub available_balance: Decimal,
    /// True when the venue would accept it: initial margin is still covered afterwards
    /// (cross: equity ≥ initial margin; isolated: wallet ≥ isolated margins), or the order does
    /// not increase the initial margin.
    pub allowed: bool,
    /// Every position's liquidation price afterwards (cross positions move together; empty in
    /// portfolio mode, where the book is liquidated as a whole).
    pub liquidation_prices: Vec<LiquidationAfter>,
    /// Portfolio mode: the account's maintenance margin afterwards (the grid's, re-run on the
    /// filled book).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_margin: Option<Decimal>,
    /// Portfolio mode: equity afterwards (wallet + realised PnL + every position's PnL at the
    /// mark).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equity: Option<Decimal>,
    /// Portfolio mode: maintenance margin / equity afterwards (`null` when equity ≤ 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_ratio: Option<Decimal>,
    /// Portfolio mode: the grid scenario (or charge) that sets the requirement afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dominant_scenario: Option<String>,
}

/// One order and its what-if.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    /// Market symbol.
    pub symbol: String,
    /// `"buy"` or `"sell"`.
    pub side: String,
    /// Size in contracts.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub size: Decimal,
    /// Limit price (the mark when none was given).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub price: Decimal,
    /// Notional at the order price, in the settlement currency.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub notional: Decimal,
    /// The account if this order alone fills; `null` with `reason` if it cannot be computed.
    pub if_filled: Option<FillResult>,
    /// Why `ifFilled` is absent.
    pub reason: Option<String>,
}

/// Open orders: the margin they hold now, and each order's what-if.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersResult {
    /// Per market with orders.
    pub markets: Vec<OrderMarginResult>,
    /// Margin held by all open orders.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin: Decimal,
    /// Account initial margin including the orders.
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub initial_margin_with_orders: Decimal,
    /// Available balance after the orders' margin (may be negative).
    #[serde(serialize_with = "crate::money::serialize_decimal")]
    pub available_balance_with_orders: Decimal,
    /// True when the balance covers positions and orders together (the venue's order check).
    pub allowed: bool,
    /// Each order.
    pub orders: Vec<OrderResult>,
    /// What is included and left out.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::Inputs;
    use std::collections::BTreeMap;

    #[test]
    fn inputs_serialise_as_the_sorted_map_they_replace() {
        let entries = [
            ("size", 2.0),
            ("notional", 120_000.5),
            ("leverage", f64::NAN),
            ("base", 0.01),
            ("size", 3.0),
            ("maintenanceMarginRate", 0.005),
        ];
        let inputs: Inputs = entries.into_iter().collect();
        let map: BTreeMap<&str, f64> = entries.into_iter().collect();
        assert_eq!(
            crate::json::to_string(&inputs).unwrap(),
            crate::json::to_string(&map).unwrap()
        );
        let names: Vec<&str> = inputs.iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "base",
                "leverage",
                "maintenanceMarginRate",
                "notional",
                "size"
            ]
        );
        assert!(
            inputs.iter().any(|e| e == ("size", 3.0)),
            "a later value replaces"
        );
        assert_eq!(crate::json::to_string(&Inputs::new()).unwrap(), "{}");
    }
}
