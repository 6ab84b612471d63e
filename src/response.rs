//! Wire types out: every number the calculator shows, and the breakdown that explains it.
//! Decimals serialise as strings (exact); absent values as `null`.

use crate::error::FieldError;
use crate::instrument::{MarginMode, Settlement, Side};
use rust_decimal::Decimal;
use serde::Serialize;

/// One line of a breakdown: what was computed, how, and the value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the number is.
    pub label: String,
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
    pub notional_floor: Decimal,
    /// Upper notional bound (`null` when open-ended).
    pub notional_cap: Option<Decimal>,
    /// Maintenance margin rate.
    pub maintenance_margin_rate: Decimal,
    /// Maintenance amount.
    pub maintenance_amount: Decimal,
    /// Max leverage.
    pub max_leverage: Decimal,
}

/// Liquidation of one position.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Liquidation {
    /// The price at which equity meets maintenance margin; `null` means no liquidation.
    pub price: Option<Decimal>,
    /// Adverse move from the mark to it, in percent of the mark.
    pub distance_percent: Option<Decimal>,
    /// Tier in force at the liquidation price.
    pub tier: Option<usize>,
    /// Why there is no liquidation price, when there is none.
    pub reason: Option<String>,
    /// True when the position is already at or past its liquidation condition at the mark.
    pub already_liquidatable: bool,
    /// How it was found.
    pub method: String,
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
    pub size: Decimal,
    /// Size in base units at the mark (inverse: coin equivalent of the USD face value).
    pub quantity: Decimal,
    /// Entry price.
    pub entry_price: Decimal,
    /// Mark price.
    pub mark_price: Decimal,
    /// Notional at the mark, in the settlement currency (linear: quote; inverse: coin).
    pub notional: Decimal,
    /// Notional in USD/quote terms (linear: = notional; inverse: contracts × face value).
    pub notional_quote: Decimal,
    /// Leverage used for initial margin (the requested one, capped by the rule).
    pub leverage: Option<Decimal>,
    /// Initial margin rate applied.
    pub initial_margin_rate: Decimal,
    /// Initial margin, in the settlement currency.
    pub initial_margin: Decimal,
    /// Maintenance margin rate of the tier/rule at the mark.
    pub maintenance_margin_rate: Decimal,
    /// Maintenance amount (deduction) at the mark.
    pub maintenance_amount: Decimal,
    /// Maintenance margin at the mark.
    pub maintenance_margin: Decimal,
    /// Tier at the mark, for tiered rules.
    pub tier: Option<TierUsed>,
    /// Unrealised PnL at the mark.
    pub unrealized_pnl: Decimal,
    /// Isolated margin (isolated mode only).
    pub isolated_margin: Option<Decimal>,
    /// Price at which the position's backing equity reaches zero.
    pub bankruptcy_price: Option<Decimal>,
    /// Liquidation.
    pub liquidation: Liquidation,
    /// Most contracts that can still be added at this leverage with the available balance
    /// (and within the tier table).
    pub max_additional_size: Decimal,
    /// How each number was produced.
    pub breakdown: Vec<Step>,
}

/// Account totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountResult {
    /// Isolated or cross.
    pub margin_mode: MarginMode,
    /// Settlement of the account's markets.
    pub settlement: Settlement,
    /// Wallet balance.
    pub wallet_balance: Decimal,
    /// Sum of unrealised PnL (including other positions given as a total).
    pub unrealized_pnl: Decimal,
    /// Wallet balance + unrealised PnL (margin balance).
    pub equity: Decimal,
    /// Total initial margin.
    pub initial_margin: Decimal,
    /// Total initial margin / gross notional.
    pub initial_margin_ratio: Option<Decimal>,
    /// Total maintenance margin.
    pub maintenance_margin: Decimal,
    /// Maintenance margin / equity; `null` when equity ≤ 0.
    pub margin_ratio: Option<Decimal>,
    /// Balance free for new positions.
    pub available_balance: Decimal,
    /// Sum of absolute notionals.
    pub gross_notional: Decimal,
    /// Gross notional / equity; `null` when equity ≤ 0.
    pub effective_leverage: Option<Decimal>,
    /// Whether the closing taker fee is in the liquidation condition, and at what rate.
    pub liquidation_fee_rate: Option<Decimal>,
    /// What is included and left out of these figures.
    pub notes: Vec<String>,
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
}
