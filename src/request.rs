//! Wire types in (JSON / JS objects, camelCase, unknown fields rejected) and their validation
//! into the typed domain of [`crate::instrument`]. Every error names its field path.

use crate::error::{Collector, FieldError, FieldPaths, InputErrors};
use crate::expiry::{self, Minute};
use crate::instrument::{
    Account, Book, ContractKind, MarginBasis, MarginMode, Market, OptionSpec, Position, Settlement,
    Side, VolatilitySource,
};
use crate::money::{
    from_f64, non_negative, parse_decimal, positive, rate, to_f64, DecimalOps, NumberInput,
};
use crate::orders::Order;
use crate::presets;
use crate::pricing::{
    black76_price, implied_vol_black76, implied_vol_inverse, inverse_black76,
    Field as PricingField, OptionKind, PricingError,
};
use crate::rules::{MarginRule, OptionRule, TierSpec, TierTable};
use crate::wire;
use rust_decimal::Decimal;
use serde::Serialize;

/// Most positions one request may hold.
pub const MAX_POSITIONS: usize = 5_000;
/// Longest accepted text field (symbols, names).
pub const MAX_TEXT: usize = 64;

/// A margin calculation request.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The account (collateral, margin mode, fees).
    pub account: Option<AccountInput>,
    /// Markets the positions trade in.
    pub markets: Vec<MarketInput>,
    /// The positions.
    pub positions: Vec<PositionInput>,
    /// Open orders: resting orders and/or a new one to try before placing it (what-if).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<OrderInput>,
    /// The instant the book is valued at, ISO 8601 UTC (`2025-06-01T12:00:00Z`). Required when
    /// any market is an option (time to expiry is measured from it; the engine has no clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valuation_time: Option<String>,
    /// Annualised volatility assumption of the underlying (decimal, 0.6 = 60 %) used for the
    /// book liquidation distance in standard deviations and the touch probability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volatility: Option<NumberInput>,
    /// Horizon in calendar days for the distance in standard deviations and the touch
    /// probability (default 1 when `volatility` is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizon_days: Option<NumberInput>,
    /// Historical-simulation VaR / ES of the whole book ([`crate::portfolio`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub var: Option<crate::portfolio::VarInput>,
    /// Stress scenarios ([`crate::portfolio`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stress: Vec<crate::portfolio::StressInput>,
}

/// An open order: resting on the book, or about to be placed.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderInput {
    /// Symbol of its market.
    pub symbol: Option<String>,
    /// `"buy"` or `"sell"` (`"long"`/`"short"` accepted).
    pub side: Option<String>,
    /// Size in contracts (> 0).
    pub size: Option<NumberInput>,
    /// Limit price (default: the mark price, as for a market order).
    pub price: Option<NumberInput>,
    /// Leverage (default: the position's in that market).
    pub leverage: Option<NumberInput>,
}

/// Most orders one request may hold.
pub const MAX_ORDERS: usize = 500;

/// Account inputs.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInput {
    /// Wallet balance (collateral) in the settlement currency.
    pub wallet_balance: Option<NumberInput>,
    /// `"isolated"` or `"cross"` (default `"cross"`).
    pub margin_mode: Option<String>,
    /// Put the closing taker fee into the liquidation condition (default false).
    pub include_fees: Option<bool>,
    /// Taker fee rate used when `includeFees` is true (default 0.0005).
    pub taker_fee_rate: Option<NumberInput>,
    /// Maintenance margin of other cross positions not listed (Binance `TMM1`).
    pub other_maintenance_margin: Option<NumberInput>,
    /// Unrealised PnL of other cross positions not listed (Binance `UPNL1`).
    pub other_unrealized_pnl: Option<NumberInput>,
    /// Portfolio (scenario) margin settings, used when `marginMode` is `"portfolio"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio_margin: Option<crate::portfolio::PortfolioMarginInput>,
    /// Report the liquidation price(s) of the whole book also when it holds no option
    /// (cross mode; books with options always get them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub book_liquidation: Option<bool>,
    /// Other collateral assets, valued after haircuts, added to equity.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collateral: Vec<crate::portfolio::CollateralInput>,
}

/// Market inputs. With `preset`, missing fields are taken from the preset.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketInput {
    /// Symbol positions refer to (defaults to the preset's symbol).
    pub symbol: Option<String>,
    /// Name of a bundled preset (see `list_presets`).
    pub preset: Option<String>,
    /// `"perpetual"` (default), `"future"` or `"option"`.
    pub kind: Option<String>,
    /// `"linear"` (default) or `"inverse"`.
    pub settlement: Option<String>,
    /// Base units per contract (linear, default 1) or USD face value per contract (inverse).
    pub contract_size: Option<NumberInput>,
    /// Mark price.
    pub mark_price: Option<NumberInput>,
    /// Index (spot) price, where it differs from the mark: shown with the mark–index basis;
    /// margin and liquidation use the mark, as the venues do.
    pub index_price: Option<NumberInput>,
    /// Price tick used to round liquidation prices against the trader.
    pub tick_size: Option<NumberInput>,
    /// `"mark"` (default) or `"entry"`.
    pub margin_basis: Option<String>,
    /// The margin rule.
    pub margin: Option<MarginRuleInput>,
    /// Options: `"call"` or `"put"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option_type: Option<String>,
    /// Options: strike, USD per unit of underlying (> 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strike: Option<NumberInput>,
    /// Options: expiry, ISO 8601 UTC (`2025-06-27T08:00:00Z`). An option whose expiry is at or
    /// before `valuationTime` is refused with code `expired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// Options: the underlying forward/index price the option is priced on (Black-76), USD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_price: Option<NumberInput>,
    /// Options: Black-76 implied volatility as a decimal (0.6 = 60 %). Give this or the
    /// option's `markPrice` (premium per unit: USD linear, coin inverse), not both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implied_volatility: Option<NumberInput>,
    /// A dynamic initial-margin-rate model (margin-models.md §3), applied on top of the margin
    /// rule: perpetuals and futures `IMR = max(rule's IMR, model's IMR)`; options on their
    /// delta-equivalent exposure `|Δ|·Q·S`, a short option's `IM = max(standard rule's IM,
    /// rate(|Δ|·Q)·|Δ|·Q·S + Q·mark)` (long options keep their premium).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_margin_model: Option<crate::portfolio::ImrModelInput>,
    /// The underlying this market moves with (`"BTC"`, `"ETH"`): its **risk unit** in
    /// portfolio margin and whole-book risk. Markets with the same underlying form one unit and
    /// move together; different units move independently (OKX: "derivatives are grouped into
    /// risk units based on their underlyings"). Markets without one share a single unit; when
    /// no market names one, the whole book is one unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying: Option<String>,
}

/// Margin rule inputs, tagged by `type`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum MarginRuleInput {
    /// One maintenance rate for every size.
    #[serde(rename_all = "camelCase")]
    Fixed {
        /// Maintenance margin rate.
        maintenance_margin_rate: Option<NumberInput>,
        /// Maintenance amount (default 0).
        maintenance_amount: Option<NumberInput>,
        /// Minimum initial margin rate.
        initial_margin_rate: Option<NumberInput>,
        /// Leverage cap.
        max_leverage: Option<NumberInput>,
    },
    /// A tier table.
    #[serde(rename_all = "camelCase")]
    Tiered {
        /// The tiers, lowest notional first.
        tiers: Vec<TierInput>,
    },
    /// Rates linear in size (Deribit).
    #[serde(rename_all = "camelCase")]
    SizeScaled {
        /// Initial rate at zero size.
        initial_base_rate: Option<NumberInput>,
        /// Maintenance rate at zero size.
        maintenance_base_rate: Option<NumberInput>,
        /// Rate added per base unit.
        slope_per_unit: Option<NumberInput>,
    },
    /// Standard (non-portfolio) option margin, per unit of underlying (margin-models.md §4):
    /// short `IM = max(MF·max(a·S − OTM, b·S) + mark, MM)`,
    /// `MM = MF·max(c·S, c·mark) + p·mark + f·S`; long `IM = MM = premium`.
    #[serde(rename_all = "camelCase")]
    StandardOption {
        /// `a` (0.15 for BTC/ETH).
        initial_rate: Option<NumberInput>,
        /// `b` (0.10 for BTC/ETH).
        initial_floor_rate: Option<NumberInput>,
        /// `c` (Deribit 0.075).
        maintenance_rate: Option<NumberInput>,
        /// `c'`: in-the-money maintenance rate, `MM = MF·max(c'·S − OTM, c·S) + …` (Paradex).
        maintenance_itm_rate: Option<NumberInput>,
        /// `MF`: margin factor on the rate terms (OKX position tier; default 1).
        margin_factor: Option<NumberInput>,
        /// `p`: premium multiplier in maintenance (default 1).
        maintenance_premium_multiplier: Option<NumberInput>,
        /// `f`: liquidation fee rate on the underlying, added to maintenance (Bybit; default 0).
        liquidation_fee_rate: Option<NumberInput>,
        /// Initial margin charges `max(entry, mark)` rather than the mark (Bybit; default false).
        premium_at_least_entry: Option<bool>,
    },
}

/// One tier as published.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TierInput {
    /// Lower notional bound.
    pub notional_floor: Option<NumberInput>,
    /// Upper notional bound (omit for the last tier to make it open-ended).
    pub notional_cap: Option<NumberInput>,
    /// Maintenance margin rate.
    pub maintenance_margin_rate: Option<NumberInput>,
    /// Max leverage.
    pub max_leverage: Option<NumberInput>,
    /// Published maintenance amount, checked against the recursion.
    pub maintenance_amount: Option<NumberInput>,
    /// Venue's bracket number (informational).
    pub bracket: Option<u32>,
}

/// Position inputs.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionInput {
    /// Symbol of its market.
    pub symbol: Option<String>,
    /// `"long"` or `"short"`.
    pub side: Option<String>,
    /// Size in contracts (> 0).
    pub size: Option<NumberInput>,
    /// Average entry price (> 0).
    pub entry_price: Option<NumberInput>,
    /// Leverage (≥ 1).
    pub leverage: Option<NumberInput>,
    /// Isolated margin allocated (default: initial margin at entry).
    pub isolated_margin: Option<NumberInput>,
}

// The wire reading of the inputs above ([`crate::wire`]): the JSON names, which fields an
// object must have, and which an array form may leave out (`#[serde(default)]`).

wire::wire_struct!(Request, "struct Request", required = 0, seq_default = 0x1FE, {
    0 "account" => account,
    1 "markets" => markets,
    2 "positions" => positions,
    3 "orders" => orders,
    4 "valuationTime" => valuation_time,
    5 "volatility" => volatility,
    6 "horizonDays" => horizon_days,
    7 "var" => var,
    8 "stress" => stress,
});

wire::wire_struct!(OrderInput, "struct OrderInput", required = 0, seq_default = 0, {
    0 "symbol" => symbol,
    1 "side" => side,
    2 "size" => size,
    3 "price" => price,
    4 "leverage" => leverage,
});

wire::wire_struct!(AccountInput, "struct AccountInput", required = 0, seq_default = 0x1C0, {
    0 "walletBalance" => wallet_balance,
    1 "marginMode" => margin_mode,
    2 "includeFees" => include_fees,
    3 "takerFeeRate" => taker_fee_rate,
    4 "otherMaintenanceMargin" => other_maintenance_margin,
    5 "otherUnrealizedPnl" => other_unrealized_pnl,
    6 "portfolioMargin" => portfolio_margin,
    7 "bookLiquidation" => book_liquidation,
    8 "collateral" => collateral,
});

wire::wire_struct!(MarketInput, "struct MarketInput", required = 0, seq_default = 0x1FC00, {
    0 "symbol" => symbol,
    1 "preset" => preset,
    2 "kind" => kind,
    3 "settlement" => settlement,
    4 "contractSize" => contract_size,
    5 "markPrice" => mark_price,
    6 "indexPrice" => index_price,
    7 "tickSize" => tick_size,
    8 "marginBasis" => margin_basis,
    9 "margin" => margin,
    10 "optionType" => option_type,
    11 "strike" => strike,
    12 "expiry" => expiry,
    13 "underlyingPrice" => underlying_price,
    14 "impliedVolatility" => implied_volatility,
    15 "initialMarginModel" => initial_margin_model,
    16 "underlying" => underlying,
});

wire::wire_struct!(PositionInput, "struct PositionInput", required = 0, seq_default = 0, {
    0 "symbol" => symbol,
    1 "side" => side,
    2 "size" => size,
    3 "entryPrice" => entry_price,
    4 "leverage" => leverage,
    5 "isolatedMargin" => isolated_margin,
});

impl wire::FromContent for TierInput {
    fn from_content(c: wire::Content) -> Result<Self, String> {
        wire::content_struct!(c, TierInput, "struct TierInput", required = 0, {
            0 "notionalFloor" => notional_floor,
            1 "notionalCap" => notional_cap,
            2 "maintenanceMarginRate" => maintenance_margin_rate,
            3 "maxLeverage" => max_leverage,
            4 "maintenanceAmount" => maintenance_amount,
            5 "bracket" => bracket,
        })
    }
}

type Opt = Option<NumberInput>;

impl wire::Wire for MarginRuleInput {
    fn read(r: &mut wire::Reader<'_>) -> wire::Result<Self> {
        const VARIANTS: &[&str] = &["fixed", "tiered", "sizeScaled", "standardOption"];
        let (variant, c) =
            r.read_tagged("internally tagged enum MarginRuleInput", "type", VARIANTS)?;
        let rule = match variant {
            0 => wire::content_struct!(c, (Opt, Opt, Opt, Opt),
                "struct variant MarginRuleInput::Fixed", required = 0, {
                0 "maintenanceMarginRate" => 0,
                1 "maintenanceAmount" => 1,
                2 "initialMarginRate" => 2,
                3 "maxLeverage" => 3,
            })
            .map(|v| MarginRuleInput::Fixed {
                maintenance_margin_rate: v.0,
                maintenance_amount: v.1,
                initial_margin_rate: v.2,
                max_leverage: v.3,
            }),
            1 => wire::content_struct!(c, (Vec<TierInput>,),
                "struct variant MarginRuleInput::Tiered", required = 1, {
                0 "tiers" => 0,
            })
            .map(|v| MarginRuleInput::Tiered { tiers: v.0 }),
            2 => wire::content_struct!(c, (Opt, Opt, Opt),
                "struct variant MarginRuleInput::SizeScaled", required = 0, {
                0 "initialBaseRate" => 0,
                1 "maintenanceBaseRate" => 1,
                2 "slopePerUnit" => 2,
            })
            .map(|v| MarginRuleInput::SizeScaled {
                initial_base_rate: v.0,
                maintenance_base_rate: v.1,
                slope_per_unit: v.2,
            }),
            _ => wire::content_struct!(c, (Opt, Opt, Opt, Opt, Opt, Opt, Opt, Option<bool>),
                "struct variant MarginRuleInput::StandardOption", required = 0, {
                0 "initialRate" => 0,
                1 "initialFloorRate" => 1,
                2 "maintenanceRate" => 2,
                3 "maintenanceItmRate" => 3,
                4 "marginFactor" => 4,
                5 "maintenancePremiumMultiplier" => 5,
                6 "liquidationFeeRate" => 6,
                7 "premiumAtLeastEntry" => 7,
            })
            .map(|v| MarginRuleInput::StandardOption {
                initial_rate: v.0,
                initial_floor_rate: v.1,
                maintenance_rate: v.2,
                maintenance_itm_rate: v.3,
                margin_factor: v.4,
                maintenance_premium_multiplier: v.5,
                liquidation_fee_rate: v.6,
                premium_at_least_entry: v.7,
            }),
        };
        rule.map_err(|m| r.data(m))
    }
}

fn text(field: &str, value: Option<&String>) -> Result<String, FieldError> {
    let v = value.ok_or_else(|| FieldError::new(field, "required", "is required"))?;
    let t = v.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {MAX_TEXT} characters"),
        ));
    }
    Ok(t.to_string())
}

fn choice<T: Copy>(
    field: &str,
    value: Option<&String>,
    default: Option<T>,
    options: &[(&str, T)],
) -> Result<T, FieldError> {
    let names = || {
        options
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        None => default.ok_or_else(|| {
            FieldError::new(
                field,
                "required",
                format!("is required (one of: {})", names()),
            )
        }),
        Some(v) => options
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(v.trim()))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let shown = crate::text_prefix(v, MAX_TEXT);
                FieldError::new(
                    field,
                    "invalid_choice",
                    format!("'{shown}' is not one of: {}", names()),
                )
            }),
    }
}

/// Smallest accepted price or tick: `10⁻¹²`. Together with [`crate::money::max_input`] and
/// [`MAX_NOTIONAL`] it keeps every product and quotient the engine forms within `Decimal`'s range.
pub fn min_price() -> Decimal {
    Decimal::new(1, 12)
}

/// Largest position notional accepted, in the settlement currency (and, for inverse contracts,
/// largest USD face value): `10¹⁸`.
pub const MAX_NOTIONAL: Decimal = Decimal::from_parts(2_808_348_672, 232_830_643, 0, false, 0);

/// A strictly positive price (mark, entry, tick, order price) of at least [`min_price`].
fn price(field: &str, input: Option<&NumberInput>) -> Result<Decimal, FieldError> {
    let v = positive(field, input)?;
    if v < min_price() {
        return Err(FieldError::new(
            field,
            "too_small",
            "is absurdly small (limit 1e-12)",
        ));
    }
    Ok(v)
}

/// Checks that a position (or order) of `contracts` in `market` stays within the engine's
/// range: base size at most 1e12 (linear), face value at most 1e18 (inverse), notional at the
/// mark and at `price` at most [`MAX_NOTIONAL`]; for an option, size at most 1e12 and, at most
/// [`MAX_NOTIONAL`], its notional `Q·S` and its value at the strike `Q·K` (USD; `Q·K/S` coin
/// when coin-settled).
pub fn check_size(
    field: &str,
    market: &Market,
    contracts: Decimal,
    price: Decimal,
) -> Result<(), FieldError> {
    let too_large = |what: &str| {
        FieldError::new(
            field,
            "too_large",
            format!("{what} is absurdly large (limit {})", what_limit(what)),
        )
    };
    let size = contracts
        .checked_times(market.contract_size)
        .ok_or_else(|| too_large("size"))?;
    if let Some(o) = &market.option {
        // Options: size in underlying units, linear or inverse; notional `Q · S` in USD.
        if size > crate::money::max_input() {
            return Err(too_large("size in base units"));
        }
        if size
            .checked_times(o.underlying_price)
            .is_none_or(|n| n > MAX_NOTIONAL)
        {
            return Err(too_large("notional"));
        }
        // An option is worth at most `Q·K` (a put) or `Q·S` (a call) in USD, and that over `S`
        // in coin when it is coin-settled: bounded like a future's notional, so that every
        // premium, P&L and margin the account sums stays within `Decimal`'s range. (Fuzzing
        // found a short coin-settled put at S = 1e-12: its P&L and margin were each in range,
        // their difference in the account's available balance was not.)
        let strike_value = size
            .checked_times(o.strike)
            .filter(|v| *v <= MAX_NOTIONAL)
            .ok_or_else(|| too_large("value at the strike"))?;
        if market.settlement == Settlement::Inverse
            && strike_value
                .checked_over(o.underlying_price)
                .is_none_or(|v| v > MAX_NOTIONAL)
        {
            return Err(too_large("value at the strike in coin"));
        }
        return Ok(());
    }
    match market.settlement {
        Settlement::Linear => {
            if size > crate::money::max_input() {
                return Err(too_large("size in base units"));
            }
            for p in [price, market.mark_price] {
                if size.checked_times(p).is_none_or(|n| n > MAX_NOTIONAL) {
                    return Err(too_large("notional"));
                }
            }
        }
        Settlement::Inverse => {
            if size > MAX_NOTIONAL {
                return Err(too_large("face value"));
            }
            for p in [price, market.mark_price] {
                if size.checked_over(p).is_none_or(|n| n > MAX_NOTIONAL) {
                    return Err(too_large("notional"));
                }
            }
        }
    }
    Ok(())
}

fn what_limit(what: &str) -> &'static str {
    if what == "size in base units" {
        "1e12"
    } else {
        "1e18"
    }
}

fn leverage(field: &str, input: &NumberInput) -> Result<Decimal, FieldError> {
    let v = parse_decimal(field, input)?;
    if v <= Decimal::ZERO {
        return Err(FieldError::new(
            field,
            "not_positive",
            "must be greater than zero",
        ));
    }
    if v < Decimal::ONE {
        return Err(FieldError::new(field, "out_of_range", "must be at least 1"));
    }
    if v > Decimal::from(1000) {
        return Err(FieldError::new(
            field,
            "out_of_range",
            "is absurd: at most 1000x",
        ));
    }
    Ok(v)
}

fn rule(path: &str, input: &MarginRuleInput) -> Result<MarginRule, FieldError> {
    let mut at = FieldPaths::new(path);
    match input {
        MarginRuleInput::Fixed {
            maintenance_margin_rate,
            maintenance_amount,
            initial_margin_rate,
            max_leverage,
        } => {
            let mmr = rate(
                at.field("maintenanceMarginRate"),
                maintenance_margin_rate.as_ref(),
            )?;
            if mmr >= Decimal::ONE {
                return Err(FieldError::new(
                    crate::error::dotted(path, "maintenanceMarginRate"),
                    "out_of_range",
                    "must be below 1",
                ));
            }
            let amount = match maintenance_amount {
                Some(v) => non_negative(at.field("maintenanceAmount"), Some(v))?,
                None => Decimal::ZERO,
            };
            let imr = match initial_margin_rate {
                Some(v) => {
                    let f = crate::error::dotted(path, "initialMarginRate");
                    let r = rate(&f, Some(v))?;
                    if r < mmr {
                        return Err(FieldError::new(
                            f,
                            "inconsistent",
                            "must not be below the maintenance margin rate",
                        ));
                    }
                    Some(r)
                }
                None => None,
            };
            let max_leverage = match max_leverage {
                Some(v) => Some(leverage(at.field("maxLeverage"), v)?),
                None => None,
            };
            Ok(MarginRule::Fixed {
                maintenance_margin_rate: mmr,
                maintenance_amount: amount,
                initial_margin_rate: imr,
                max_leverage,
            })
        }
        MarginRuleInput::StandardOption {
            initial_rate,
            initial_floor_rate,
            maintenance_rate,
            maintenance_itm_rate,
            margin_factor,
            maintenance_premium_multiplier,
            liquidation_fee_rate,
            premium_at_least_entry,
        } => {
            let a = rate(at.field("initialRate"), initial_rate.as_ref())?;
            let b = rate(at.field("initialFloorRate"), initial_floor_rate.as_ref())?;
            let c = rate(at.field("maintenanceRate"), maintenance_rate.as_ref())?;
            let mut optional_rate = |name: &str, v: &Option<NumberInput>| match v {
                Some(v) => rate(at.field(name), Some(v)).map(Some),
                None => Ok(None),
            };
            let itm = optional_rate("maintenanceItmRate", maintenance_itm_rate)?;
            let fee = optional_rate("liquidationFeeRate", liquidation_fee_rate)?;
            let premium = optional_rate(
                "maintenancePremiumMultiplier",
                maintenance_premium_multiplier,
            )?;
            let factor = match margin_factor {
                Some(v) => {
                    let f = crate::error::dotted(path, "marginFactor");
                    let x = positive(&f, Some(v))?;
                    if x > Decimal::TEN {
                        return Err(FieldError::new(f, "out_of_range", "must be at most 10"));
                    }
                    x
                }
                None => Decimal::ONE,
            };
            Ok(MarginRule::StandardOption(OptionRule {
                initial_rate: a,
                initial_floor_rate: b,
                maintenance_rate: c,
                maintenance_itm_rate: itm,
                margin_factor: factor,
                maintenance_premium_multiplier: premium.unwrap_or(Decimal::ONE),
                liquidation_fee_rate: fee.unwrap_or(Decimal::ZERO),
                premium_at_least_entry: premium_at_least_entry.unwrap_or(false),
            }))
        }
        MarginRuleInput::Tiered { tiers } => {
            let mut specs = Vec::with_capacity(tiers.len());
            for (k, t) in tiers.iter().enumerate() {
                specs.push(TierSpec {
                    notional_floor: non_negative(
                        at.item("tiers", k, "notionalFloor"),
                        t.notional_floor.as_ref(),
                    )?,
                    notional_cap: match &t.notional_cap {
                        Some(v) => Some(positive(at.item("tiers", k, "notionalCap"), Some(v))?),
                        None => None,
                    },
                    maintenance_margin_rate: rate(
                        at.item("tiers", k, "maintenanceMarginRate"),
                        t.maintenance_margin_rate.as_ref(),
                    )?,
                    max_leverage: match &t.max_leverage {
                        Some(v) => leverage(at.item("tiers", k, "maxLeverage"), v)?,
                        None => {
                            return Err(FieldError::new(
                                at.item("tiers", k, "maxLeverage"),
                                "required",
                                "is required",
                            ))
                        }
                    },
                    maintenance_amount: match &t.maintenance_amount {
                        Some(v) => Some(non_negative(
                            at.item("tiers", k, "maintenanceAmount"),
                            Some(v),
                        )?),
                        None => None,
                    },
                });
            }
            Ok(MarginRule::Tiered(TierTable::new(
                at.field("tiers"),
                &specs,
            )?))
        }
        MarginRuleInput::SizeScaled {
            initial_base_rate,
            maintenance_base_rate,
            slope_per_unit,
        } => {
            let initial = rate(at.field("initialBaseRate"), initial_base_rate.as_ref())?;
            let maintenance = rate(
                at.field("maintenanceBaseRate"),
                maintenance_base_rate.as_ref(),
            )?;
            if maintenance > initial {
                return Err(FieldError::new(
                    crate::error::dotted(path, "maintenanceBaseRate"),
                    "inconsistent",
                    "must not exceed initialBaseRate",
                ));
            }
            let slope = rate(at.field("slopePerUnit"), slope_per_unit.as_ref())?;
            Ok(MarginRule::SizeScaled {
                initial_base_rate: initial,
                maintenance_base_rate: maintenance,
                slope_per_unit: slope,
            })
        }
    }
}

/// The option fields of a market input, by name, for "only options take this" errors.
fn option_fields(input: &MarketInput) -> Vec<&'static str> {
    let mut v = Vec::new();
    if input.option_type.is_some() {
        v.push("optionType");
    }
    if input.strike.is_some() {
        v.push("strike");
    }
    if input.expiry.is_some() {
        v.push("expiry");
    }
    if input.underlying_price.is_some() {
        v.push("underlyingPrice");
    }
    if input.implied_volatility.is_some() {
        v.push("impliedVolatility");
    }
    v
}

/// Largest accepted implied volatility: 10 (1000 %).
const MAX_VOLATILITY: Decimal = Decimal::TEN;

/// A pricing refusal as an error on the market field it is about.
fn pricing_field_error(path: &str, e: PricingError, price_field: &str) -> FieldError {
    let name = match e.field_enum() {
        PricingField::Forward | PricingField::Spot | PricingField::Index => "underlyingPrice",
        PricingField::Strike => "strike",
        PricingField::Time => "expiry",
        PricingField::Volatility => "impliedVolatility",
        PricingField::Price => "markPrice",
        _ => price_field,
    };
    FieldError::new(crate::error::dotted(path, name), e.code(), e.to_string())
}

/// Validates the option fields of an option market and values it: the mark premium (given, or
/// the Black-76 price at the given volatility; inverse: `price_usd / F`, margin-models.md §4)
/// and the volatility (given, or implied from the mark with Jäckel's algorithm).
fn option_market(
    path: &str,
    input: &MarketInput,
    settlement: Option<Settlement>,
    valuation: Option<Minute>,
    errors: &mut Collector,
) -> Option<(OptionSpec, Decimal)> {
    let mut at = FieldPaths::new(path);
    let kind = errors.take(choice(
        at.field("optionType"),
        input.option_type.as_ref(),
        None,
        &[("call", OptionKind::Call), ("put", OptionKind::Put)],
    ));
    let strike = errors.take(price(at.field("strike"), input.strike.as_ref()));
    let expiry = match &input.expiry {
        Some(t) => errors.take(expiry::parse(at.field("expiry"), t)),
        None => {
            errors.push(FieldError::new(
                crate::error::dotted(path, "expiry"),
                "required",
                "is required for options (ISO 8601 UTC, e.g. 2025-06-27T08:00:00Z)",
            ));
            None
        }
    };
    let underlying = errors.take(price(
        at.field("underlyingPrice"),
        input.underlying_price.as_ref(),
    ));
    let vol = match &input.implied_volatility {
        Some(v) => {
            let f = crate::error::dotted(path, "impliedVolatility");
            match positive(&f, Some(v)) {
                Ok(x) if x > MAX_VOLATILITY => {
                    errors.push(FieldError::new(
                        f,
                        "out_of_range",
                        "must be at most 10 (1000 %); give it as a decimal, 0.6 for 60 %",
                    ));
                    None
                }
                Ok(x) => Some(Some(x)),
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
        None => Some(None),
    };
    let mark = match &input.mark_price {
        Some(v) => errors.take(price(at.field("markPrice"), Some(v))).map(Some),
        None => Some(None),
    };
    if let (Some(Some(_)), Some(Some(_))) = (vol, mark) {
        errors.push(FieldError::new(
            crate::error::dotted(path, "impliedVolatility"),
            "conflict",
            "give impliedVolatility or markPrice, not both (the other is derived)",
        ));
        return None;
    }
    if let (Some(None), Some(None)) = (vol, mark) {
        errors.push(FieldError::new(
            crate::error::dotted(path, "impliedVolatility"),
            "required",
            "options need impliedVolatility or the option's markPrice",
        ));
        return None;
    }
    if let (Some(e), Some(v)) = (expiry, valuation) {
        if e <= v {
            errors.push(FieldError::new(
                crate::error::dotted(path, "expiry"),
                "expired",
                format!(
                    "the option expired at {} (at or before valuationTime {}): expired options are refused, not valued",
                    e.to_iso(),
                    v.to_iso()
                ),
            ));
            return None;
        }
    }
    let (kind, strike, expiry, underlying, vol, mark, valuation, settlement) = (
        kind?,
        strike?,
        expiry?,
        underlying?,
        vol?,
        mark?,
        valuation?,
        settlement?,
    );
    let inverse = settlement == Settlement::Inverse;
    let time = expiry::year_fraction(valuation, expiry);
    let (f, k) = (to_f64(underlying), to_f64(strike));
    let (mark, volatility, source) = match (vol, mark) {
        (Some(v), _) => {
            let sigma = to_f64(v);
            let premium = if inverse {
                inverse_black76(kind, f, k, time, 0.0, sigma).map(|g| g.price_coin)
            } else {
                black76_price(kind, f, k, time, 0.0, sigma)
            };
            let premium = match premium {
                Ok(p) => p,
                Err(e) => {
                    errors.push(pricing_field_error(path, e, "impliedVolatility"));
                    return None;
                }
            };
            let Some(m) = premium_decimal(premium) else {
                errors.push(FieldError::new(
                    crate::error::dotted(path, "impliedVolatility"),
                    "overflow",
                    "the option's price is beyond the engine's range",
                ));
                return None;
            };
            (m, sigma, VolatilitySource::Given)
        }
        (None, Some(m)) => {
            let implied = if inverse {
                implied_vol_inverse(kind, to_f64(m), f, k, time, 0.0)
            } else {
                implied_vol_black76(kind, to_f64(m), f, k, time, 0.0)
            };
            match implied {
                Ok(sigma) if sigma > 0.0 && sigma.is_finite() => {
                    (m, sigma, VolatilitySource::ImpliedFromMark)
                }
                Ok(_) => {
                    errors.push(FieldError::new(
                        crate::error::dotted(path, "markPrice"),
                        "at_intrinsic",
                        "equals the option's intrinsic value: no volatility can be implied (give impliedVolatility instead)",
                    ));
                    return None;
                }
                Err(e) => {
                    errors.push(pricing_field_error(path, e, "markPrice"));
                    return None;
                }
            }
        }
        (None, None) => return None,
    };
    Some((
        OptionSpec {
            kind,
            strike,
            expiry: expiry.to_iso(),
            valuation_time: valuation.to_iso(),
            time_years: time,
            underlying_price: underlying,
            volatility,
            volatility_source: source,
        },
        mark,
    ))
}

/// A model premium as money: `f64` → `Decimal` at the [`crate::money::from_f64`] boundary,
/// rounded half-even to 12 places (far below any venue's tick; a premium below `10⁻¹²` is 0).
pub fn premium_decimal(premium: f64) -> Option<Decimal> {
    if !premium.is_finite() || premium < 0.0 {
        return None;
    }
    if premium < 1e-13 {
        return Some(Decimal::ZERO);
    }
    from_f64(premium).map(|d| d.round_dp(12).normalize())
}

fn market(
    path: &str,
    raw: &MarketInput,
    valuation: Option<Minute>,
    needs_valuation: &mut bool,
    errors: &mut Collector,
) -> Option<Market> {
    let mut at = FieldPaths::new(path);
    // Fill from the preset first: explicit fields win (borrowed, no copy of either).
    let preset = match &raw.preset {
        None => None,
        Some(name) => match presets::find(name) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError::new(
                    crate::error::dotted(path, "preset"),
                    "unknown_preset",
                    format!(
                        "no preset named '{}' (see listPresets())",
                        crate::text_prefix(name, MAX_TEXT)
                    ),
                ));
                return None;
            }
        },
    };
    let from_preset = preset.map(|p| &p.market);
    let preset_name = preset.map(|p| p.name.clone());
    let symbol_input = raw.symbol.as_ref().or(preset.map(|p| &p.symbol));
    // A field the request gives, else the preset's (both borrowed).
    fn own_or_preset<'a, T>(
        raw: &'a MarketInput,
        preset: Option<&'a MarketInput>,
        field: fn(&MarketInput) -> &Option<T>,
    ) -> Option<&'a T> {
        field(raw)
            .as_ref()
            .or(preset.and_then(|m| field(m).as_ref()))
    }
    let kind_input = own_or_preset(raw, from_preset, |m| &m.kind);
    let settlement_input = own_or_preset(raw, from_preset, |m| &m.settlement);
    let contract_size_input = own_or_preset(raw, from_preset, |m| &m.contract_size);
    let tick_size_input = own_or_preset(raw, from_preset, |m| &m.tick_size);
    let margin_basis_input = own_or_preset(raw, from_preset, |m| &m.margin_basis);
    let margin_input = own_or_preset(raw, from_preset, |m| &m.margin);
    let symbol = errors.take(text(at.field("symbol"), symbol_input));
    let kind = errors.take(choice(
        at.field("kind"),
        kind_input,
        Some(ContractKind::Perpetual),
        &[
            ("perpetual", ContractKind::Perpetual),
            ("future", ContractKind::Future),
            ("option", ContractKind::Option),
        ],
    ));
    let is_option = kind == Some(ContractKind::Option);
    let settlement = errors.take(choice(
        at.field("settlement"),
        settlement_input,
        Some(Settlement::Linear),
        &[
            ("linear", Settlement::Linear),
            ("inverse", Settlement::Inverse),
        ],
    ));
    let contract_size = match (contract_size_input, settlement) {
        (Some(v), _) => errors.take(positive(at.field("contractSize"), Some(v))),
        (None, Some(Settlement::Inverse)) if !is_option => {
            errors.push(FieldError::new(
                crate::error::dotted(path, "contractSize"),
                "required",
                "is required for inverse contracts (USD face value per contract)",
            ));
            None
        }
        (None, _) => Some(Decimal::ONE),
    };
    let (mark_price, option) = if is_option {
        *needs_valuation = true;
        match option_market(path, raw, settlement, valuation, errors) {
            Some((spec, mark)) => (Some(mark), Some(Some(spec))),
            None => (None, None),
        }
    } else {
        for name in option_fields(raw) {
            errors.push(FieldError::new(
                crate::error::dotted(path, name),
                "not_applicable",
                format!("only option markets (kind \"option\") take {name}"),
            ));
        }
        (
            errors.take(price(at.field("markPrice"), raw.mark_price.as_ref())),
            Some(None),
        )
    };
    let index_price = match &raw.index_price {
        Some(_) if is_option => {
            errors.push(FieldError::new(
                crate::error::dotted(path, "indexPrice"),
                "not_applicable",
                "option markets take underlyingPrice (the forward the option is priced on)",
            ));
            None
        }
        Some(v) => errors
            .take(price(at.field("indexPrice"), Some(v)))
            .map(Some),
        None => Some(None),
    };
    let tick_size = match tick_size_input {
        Some(v) => errors.take(price(at.field("tickSize"), Some(v))).map(Some),
        None => Some(None),
    };
    let margin_basis = errors.take(choice(
        at.field("marginBasis"),
        margin_basis_input,
        Some(MarginBasis::Mark),
        &[("mark", MarginBasis::Mark), ("entry", MarginBasis::Entry)],
    ));
    let rule = match margin_input {
        Some(r) => match errors.take(rule(at.field("margin"), r)) {
            Some(r) if is_option != matches!(r, MarginRule::StandardOption(_)) => {
                errors.push(FieldError::new(
                    crate::error::dotted(path, "margin"),
                    "invalid_choice",
                    if is_option {
                        "option markets take a standardOption margin rule"
                    } else {
                        "the standardOption rule is for option markets (kind \"option\")"
                    },
                ));
                None
            }
            r => r,
        },
        None => {
            errors.push(FieldError::new(
                crate::error::dotted(path, "margin"),
                "required",
                "is required (a margin rule or a preset)",
            ));
            None
        }
    };
    let underlying = match &raw.underlying {
        None => Some(None),
        Some(u) => errors
            .take(text(at.field("underlying"), Some(u)))
            // Case does not name a different underlying: "btc" and "BTC" are one risk unit.
            // ASCII case only (tickers are ASCII): full Unicode case mapping would ship its
            // tables, 10 KB of the gzipped module.
            .map(|t| Some(t.to_ascii_uppercase())),
    };
    Some(Market {
        underlying: underlying?,
        symbol: symbol?,
        kind: kind?,
        settlement: settlement?,
        contract_size: contract_size?,
        mark_price: mark_price?,
        index_price: index_price?,
        option: option?,
        tick_size: tick_size?,
        margin_basis: margin_basis?,
        rule: rule?,
        preset: preset_name,
    })
}

impl Request {
    /// Validates the request into a [`Book`], collecting every field error.
    pub fn validate(&self) -> Result<Book, InputErrors> {
        let mut errors = Collector::default();
        let default_account = AccountInput::default();
        let acc = match &self.account {
            Some(a) => a,
            None => {
                errors.push(FieldError::new("account", "required", "is required"));
                &default_account
            }
        };
        let wallet_balance = errors.take(non_negative(
            "account.walletBalance",
            acc.wallet_balance.as_ref(),
        ));
        let margin_mode = errors.take(choice(
            "account.marginMode",
            acc.margin_mode.as_ref(),
            Some(MarginMode::Cross),
            &[
                ("cross", MarginMode::Cross),
                ("isolated", MarginMode::Isolated),
                // Portfolio margin is a cross account whose totals come from the scenario
                // grid ([`crate::portfolio`]).
                ("portfolio", MarginMode::Cross),
            ],
        ));
        let fee = match (acc.include_fees.unwrap_or(false), &acc.taker_fee_rate) {
            (false, _) => Some(None),
            (true, None) => Some(Some(Decimal::new(5, 4))),
            (true, Some(v)) => errors.take(rate("account.takerFeeRate", Some(v))).map(Some),
        };
        let other_mm = match &acc.other_maintenance_margin {
            Some(v) => errors.take(non_negative("account.otherMaintenanceMargin", Some(v))),
            None => Some(Decimal::ZERO),
        };
        let other_pnl = match &acc.other_unrealized_pnl {
            Some(v) => errors.take(parse_decimal("account.otherUnrealizedPnl", v)),
            None => Some(Decimal::ZERO),
        };

        let valuation = match &self.valuation_time {
            Some(t) => errors.take(expiry::parse("valuationTime", t)),
            None => None,
        };
        let mut needs_valuation = false;
        let mut markets = Vec::with_capacity(self.markets.len());
        for (i, m) in self.markets.iter().enumerate() {
            markets.push(market(
                &format!("markets[{i}]"),
                m,
                valuation,
                &mut needs_valuation,
                &mut errors,
            ));
        }
        if needs_valuation {
            if self.valuation_time.is_none() {
                errors.push(FieldError::new(
                    "valuationTime",
                    "required",
                    "is required when the book holds options (ISO 8601 UTC, e.g. 2025-06-01T12:00:00Z): time to expiry is measured from it",
                ));
            }
            if margin_mode == Some(MarginMode::Isolated) {
                errors.push(FieldError::new(
                    "account.marginMode",
                    "unsupported",
                    "options are margined in cross mode only",
                ));
            }
        }
        // Markets by symbol (the first of duplicates), so that positions and orders find
        // theirs in O(1) rather than by a scan per position.
        let mut market_by_symbol = SymbolTable::with_capacity(markets.len());
        for (i, m) in markets.iter().enumerate() {
            if let Some(m) = m {
                if market_by_symbol
                    .insert_first(m.symbol.as_str(), i)
                    .is_some()
                {
                    errors.push(FieldError::new(
                        format!("markets[{i}].symbol"),
                        "duplicate",
                        format!("market '{}' is listed twice", m.symbol),
                    ));
                }
            }
        }
        let settlements: Vec<Settlement> = markets.iter().flatten().map(|m| m.settlement).collect();
        if settlements.windows(2).any(|w| w[0] != w[1]) {
            errors.push(FieldError::new("markets", "mixed_settlement", "linear and inverse markets settle in different currencies: calculate them as separate accounts"));
        }

        if self.positions.is_empty() && self.orders.is_empty() {
            errors.push(FieldError::new(
                "positions",
                "required",
                "add at least one position or order",
            ));
        }
        if self.positions.len() > MAX_POSITIONS {
            errors.push(FieldError::new(
                "positions",
                "too_many",
                format!("at most {MAX_POSITIONS} positions"),
            ));
            return Err(errors.into_errors());
        }
        let mut positions = Vec::with_capacity(self.positions.len());
        let all_markets_valid = markets.iter().all(|m| m.is_some());
        let mut held = SymbolTable::with_capacity(self.positions.len());
        for (i, p) in self.positions.iter().enumerate() {
            let path = format!("positions[{i}]");
            let mut at = FieldPaths::new(&path);
            let symbol = errors.take(text(at.field("symbol"), p.symbol.as_ref()));
            let market_index = symbol.as_ref().and_then(|s| {
                let found = market_by_symbol.get(s.as_str());
                if found.is_none() && all_markets_valid {
                    errors.push(FieldError::new(
                        crate::error::dotted(&path, "symbol"),
                        "unknown_market",
                        format!("no market '{s}' in markets"),
                    ));
                }
                found
            });
            if let Some(s) = p.symbol.as_deref() {
                // Held before this one (as typed, trimmed), whether or not that one was valid.
                if held.insert_first(s.trim(), i).is_some()
                    && symbol.is_some()
                    && market_index.is_some()
                {
                    errors.push(FieldError::new(
                        crate::error::dotted(&path, "symbol"),
                        "duplicate",
                        "one-way mode: one position per market (net the sizes)",
                    ));
                }
            }
            let side = errors.take(choice(
                at.field("side"),
                p.side.as_ref(),
                None,
                &[
                    ("long", Side::Long),
                    ("short", Side::Short),
                    ("buy", Side::Long),
                    ("sell", Side::Short),
                ],
            ));
            let size = errors.take(positive(at.field("size"), p.size.as_ref()));
            let entry_price = errors.take(price(at.field("entryPrice"), p.entry_price.as_ref()));
            let lev = match &p.leverage {
                Some(v) => errors.take(leverage(at.field("leverage"), v)).map(Some),
                None => {
                    let has_own_rate =
                        market_index
                            .and_then(|k| markets[k].as_ref())
                            .is_some_and(|m| {
                                matches!(
                                    m.rule,
                                    MarginRule::SizeScaled { .. }
                                        | MarginRule::StandardOption(_)
                                        | MarginRule::Fixed {
                                            initial_margin_rate: Some(_),
                                            ..
                                        }
                                )
                            });
                    let has_model = market_index.is_some_and(|k| {
                        self.markets
                            .get(k)
                            .is_some_and(|m| m.initial_margin_model.is_some())
                    });
                    if has_own_rate || has_model || market_index.is_none() {
                        Some(None)
                    } else {
                        errors.push(FieldError::new(
                            crate::error::dotted(&path, "leverage"),
                            "required",
                            "is required for this market's margin rule",
                        ));
                        None
                    }
                }
            };
            let isolated_margin = match &p.isolated_margin {
                Some(v) => errors
                    .take(positive(at.field("isolatedMargin"), Some(v)))
                    .map(Some),
                None => Some(None),
            };
            if let (
                Some(market),
                Some(side),
                Some(contracts),
                Some(entry_price),
                Some(leverage),
                Some(isolated_margin),
            ) = (market_index, side, size, entry_price, lev, isolated_margin)
            {
                if let Some(m) = &markets[market] {
                    if let Err(e) = check_size(at.field("size"), m, contracts, entry_price) {
                        errors.push(e);
                        continue;
                    }
                }
                positions.push(Position {
                    market,
                    side,
                    contracts,
                    entry_price,
                    leverage,
                    isolated_margin,
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors.into_errors());
        }
        let account = Account {
            wallet_balance: wallet_balance.unwrap_or_default(),
            margin_mode: margin_mode.unwrap_or(MarginMode::Cross),
            liquidation_fee_rate: fee.flatten(),
            other_maintenance_margin: other_mm.unwrap_or_default(),
            other_unrealized_pnl: other_pnl.unwrap_or_default(),
        };
        Ok(Book {
            account,
            markets: markets.into_iter().flatten().collect(),
            positions,
        })
    }

    /// Validates `orders` against a validated book (markets by symbol, positions' leverage),
    /// collecting every field error.
    pub fn validate_orders(&self, book: &Book) -> Result<Vec<Order>, InputErrors> {
        let mut errors = Collector::default();
        if self.orders.len() > MAX_ORDERS {
            errors.push(FieldError::new(
                "orders",
                "too_many",
                format!("at most {MAX_ORDERS} orders"),
            ));
            return Err(errors.into_errors());
        }
        // Portfolio mode: the grid margins the book, so option orders are evaluated too and an
        // order needs no leverage ([`crate::orders::evaluate_portfolio`]).
        let portfolio = self.account.as_ref().is_some_and(|a| {
            a.margin_mode
                .as_deref()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("portfolio"))
        });
        let mut orders = Vec::with_capacity(self.orders.len());
        for (i, o) in self.orders.iter().enumerate() {
            let path = format!("orders[{i}]");
            let mut at = FieldPaths::new(&path);
            let symbol = errors.take(text(at.field("symbol"), o.symbol.as_ref()));
            let market = symbol.as_ref().and_then(|s| {
                let found = book.markets.iter().position(|m| &m.symbol == s);
                if found.is_none() {
                    errors.push(FieldError::new(
                        crate::error::dotted(&path, "symbol"),
                        "unknown_market",
                        format!("no market '{s}' in markets"),
                    ));
                }
                found
            });
            if let Some(k) = market {
                if book.markets[k].option.is_some() && !portfolio {
                    errors.push(FieldError::new(
                        crate::error::dotted(&path, "symbol"),
                        "unsupported",
                        "open orders and what-if fills on options are computed in portfolio mode only (marginMode \"portfolio\")",
                    ));
                    continue;
                }
            }
            let side = errors.take(choice(
                at.field("side"),
                o.side.as_ref(),
                None,
                &[
                    ("buy", Side::Long),
                    ("sell", Side::Short),
                    ("long", Side::Long),
                    ("short", Side::Short),
                ],
            ));
            let size = errors.take(positive(at.field("size"), o.size.as_ref()));
            let order_price = match (&o.price, market) {
                (Some(v), _) => errors.take(price(at.field("price"), Some(v))),
                (None, Some(k)) => Some(book.markets[k].mark_price),
                (None, None) => None,
            };
            let lev = match &o.leverage {
                Some(v) => errors.take(leverage(at.field("leverage"), v)).map(Some),
                None => match market {
                    None => Some(None),
                    Some(k) => {
                        let held = book
                            .positions
                            .iter()
                            .find(|p| p.market == k)
                            .and_then(|p| p.leverage);
                        let own_rate = matches!(
                            book.markets[k].rule,
                            MarginRule::SizeScaled { .. }
                                | MarginRule::Fixed {
                                    initial_margin_rate: Some(_),
                                    ..
                                }
                        );
                        if held.is_some() || own_rate || portfolio {
                            Some(held)
                        } else {
                            errors.push(FieldError::new(
                                crate::error::dotted(&path, "leverage"),
                                "required",
                                "is required: no position in this market to take it from",
                            ));
                            None
                        }
                    }
                },
            };
            if let (Some(market), Some(side), Some(contracts), Some(price), Some(leverage)) =
                (market, side, size, order_price, lev)
            {
                if let Err(e) =
                    check_size(at.field("size"), &book.markets[market], contracts, price)
                {
                    errors.push(e);
                    continue;
                }
                orders.push(Order {
                    market,
                    side,
                    contracts,
                    price,
                    leverage,
                });
            }
        }
        errors.finish(orders)
    }
}

/// Symbols to the index where each was first seen: open addressing with linear probing over
/// FNV-1a hashes (Fowler–Noll–Vo, public domain), sized once for at most
/// `capacity` symbols at a load of one half or less: the request's lookups by symbol (markets
/// by symbol, positions already held) in O(1) without a general hash map in the module.
struct SymbolTable<'a> {
    slots: Vec<Option<(&'a str, usize)>>,
}

impl<'a> SymbolTable<'a> {
    /// A table for up to `capacity` distinct symbols (more would still work, only slower, until
    /// every slot is full: callers insert at most `capacity`).
    fn with_capacity(capacity: usize) -> Self {
        SymbolTable {
            slots: vec![None; (capacity.max(1) * 2).next_power_of_two()],
        }
    }

    /// The slot holding `symbol`, or the empty slot where it belongs.
    fn slot(&self, symbol: &str) -> usize {
        let mask = self.slots.len() - 1;
        let mut hash: u32 = 0x811c_9dc5;
        for &b in symbol.as_bytes() {
            hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        let mut at = hash as usize & mask;
        // The first `None` or equal key ends the probe; one slot in two stays empty.
        while let Some((key, _)) = self.slots[at] {
            if key == symbol {
                break;
            }
            at = (at + 1) & mask;
        }
        at
    }

    /// The index `symbol` was first inserted with.
    fn get(&self, symbol: &str) -> Option<usize> {
        self.slots[self.slot(symbol)].map(|(_, index)| index)
    }

    /// Records `symbol` at `index` unless it is already there; returns the earlier index if so.
    fn insert_first(&mut self, symbol: &'a str, index: usize) -> Option<usize> {
        let at = self.slot(symbol);
        match self.slots[at] {
            Some((_, earlier)) => Some(earlier),
            None => {
                self.slots[at] = Some((symbol, index));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SymbolTable;

    #[test]
    fn symbol_table_keeps_the_first_index_of_each_symbol() {
        let symbols: Vec<String> = (0..300).map(|i| format!("S{}", i % 120)).collect();
        let mut table = SymbolTable::with_capacity(symbols.len());
        for (i, s) in symbols.iter().enumerate() {
            let earlier = table.insert_first(s, i);
            assert_eq!(earlier, if i < 120 { None } else { Some(i % 120) }, "{s}");
        }
        for i in 0..120 {
            assert_eq!(table.get(&format!("S{i}")), Some(i));
        }
        assert_eq!(table.get("S120"), None);
        assert_eq!(table.get(""), None);
        let mut one = SymbolTable::with_capacity(0);
        assert_eq!(one.insert_first("", 7), None);
        assert_eq!(one.get(""), Some(7));
        assert_eq!(one.get("x"), None);
    }
}
