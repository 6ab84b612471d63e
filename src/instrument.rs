//! Domain types: validated markets, positions and the account they belong to.

use crate::pricing::OptionKind;
use crate::rules::MarginRule;
use rust_decimal::Decimal;
use serde::Serialize;

/// Direction of a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    /// Profits when the price rises.
    Long,
    /// Profits when the price falls.
    Short,
}

impl Side {
    /// `+1` for long, `−1` for short: the `s` of margin-models.md.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Long => Decimal::ONE,
            Side::Short => Decimal::NEGATIVE_ONE,
        }
    }

    /// True for [`Side::Long`].
    pub fn is_long(self) -> bool {
        self == Side::Long
    }
}

/// What a contract settles in (margin-models.md §1–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Settlement {
    /// Quote-settled (USDT/USDC): contract size in base units, PnL in quote.
    Linear,
    /// Coin-settled: contract face value in USD, PnL and margin in the coin.
    Inverse,
}

/// Perpetual swap, dated future or option. Perpetuals and futures are margined the same way (the
/// kind is carried for display); options carry an [`OptionSpec`] and the standard option rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ContractKind {
    /// No expiry.
    Perpetual,
    /// Dated future.
    Future,
    /// European option on the market's underlying (margin-models.md §4).
    Option,
}

/// Where an option's volatility came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum VolatilitySource {
    /// The user's `impliedVolatility`; the mark premium is the Black-76 price at it.
    Given,
    /// Implied from the user's `markPrice` (Jäckel's "Let's Be Rational").
    ImpliedFromMark,
}

/// The option contract of an option market, validated, with its valuation inputs.
#[derive(Debug, Clone)]
pub struct OptionSpec {
    /// Call or put.
    pub kind: OptionKind,
    /// Strike, USD per unit of underlying.
    pub strike: Decimal,
    /// Expiry, ISO 8601 UTC at minute resolution.
    pub expiry: String,
    /// Valuation time, ISO 8601 UTC at minute resolution.
    pub valuation_time: String,
    /// Time to expiry in years, ACT/365 at minute resolution (always > 0: expired options are
    /// refused).
    pub time_years: f64,
    /// Underlying (forward/index) price the option is priced on, USD.
    pub underlying_price: Decimal,
    /// Black-76 volatility (decimal, 0.6 = 60 %), given or implied from the mark.
    pub volatility: f64,
    /// Whether the volatility was given or implied.
    pub volatility_source: VolatilitySource,
}

/// How collateral backs positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MarginMode {
    /// Each position has its own margin; losses stop at it.
    Isolated,
    /// One wallet backs every position.
    Cross,
}

/// Which price the venue uses for a position's initial and maintenance margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MarginBasis {
    /// Margin on the mark price, and on the liquidation price when solving for it
    /// (Binance, dYdX, Hyperliquid).
    Mark,
    /// Margin on the entry price (Bybit "Liquidation Price (USDT Contract)", KuCoin):
    /// `LP = EP ∓ (IM − MM) / Q`.
    Entry,
}

/// A validated market: one contract and its margin rule.
#[derive(Debug, Clone)]
pub struct Market {
    /// Symbol positions refer to.
    pub symbol: String,
    /// Perpetual or dated future.
    pub kind: ContractKind,
    /// Linear or inverse.
    pub settlement: Settlement,
    /// Base units per contract (linear) or USD face value per contract (inverse); underlying
    /// units per contract for options, linear or inverse.
    pub contract_size: Decimal,
    /// Mark price. For an option market: the option's mark premium per unit of underlying in the
    /// settlement currency (USD linear, coin inverse).
    pub mark_price: Decimal,
    /// Index (spot) price, when given: reported with the mark–index basis.
    pub index_price: Option<Decimal>,
    /// The option contract, for option markets.
    pub option: Option<OptionSpec>,
    /// Price tick for rounding liquidation prices, if any.
    pub tick_size: Option<Decimal>,
    /// Which price margins are computed on.
    pub margin_basis: MarginBasis,
    /// The margin rule.
    pub rule: MarginRule,
    /// Preset the market came from, if any.
    pub preset: Option<String>,
    /// The underlying it moves with: its risk unit in whole-book risk (`None`: the shared
    /// unnamed unit). See [`crate::portfolio`].
    pub underlying: Option<String>,
}

/// A validated position.
#[derive(Debug, Clone)]
pub struct Position {
    /// Index of its market in the request.
    pub market: usize,
    /// Long or short.
    pub side: Side,
    /// Size in contracts (always > 0).
    pub contracts: Decimal,
    /// Average entry price.
    pub entry_price: Decimal,
    /// Chosen leverage, if any (rules with their own initial rate may omit it).
    pub leverage: Option<Decimal>,
    /// Isolated margin allocated; `None` means the initial margin at entry.
    pub isolated_margin: Option<Decimal>,
}

/// The validated account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Wallet balance in the settlement currency.
    pub wallet_balance: Decimal,
    /// Isolated or cross.
    pub margin_mode: MarginMode,
    /// Taker fee rate charged when closing at liquidation, if fees are included.
    pub liquidation_fee_rate: Option<Decimal>,
    /// Maintenance margin of cross positions held outside this request (Binance `TMM1`).
    pub other_maintenance_margin: Decimal,
    /// Unrealised PnL of cross positions held outside this request (Binance `UPNL1`).
    pub other_unrealized_pnl: Decimal,
}

/// A validated request.
#[derive(Debug, Clone)]
pub struct Book {
    /// The account.
    pub account: Account,
    /// The markets.
    pub markets: Vec<Market>,
    /// The positions.
    pub positions: Vec<Position>,
}
