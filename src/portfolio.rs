//! Whole-book risk inside [`crate::calculate`]: the request blocks that select the models of
//! [`crate::risk`], their validation (every error names its field path), the book's valuation
//! closure, and the response blocks.
//!
//! - **Portfolio (scenario) margin** — `account.marginMode: "portfolio"` with
//!   `account.portfolioMargin: {grid: "span16" | "paradex" | "okx" | "custom", customGrid?,
//!   priceScanRange?, volScanRange?, extremeMultiple?, daysForward?, shortOptionMinimum?}`: the
//!   book is revalued in every scenario of the grid (options fully, with Black-76 and the grid's
//!   volatility convention; futures linearly), and the account's initial and maintenance margin
//!   are the grid's (margin-models.md §5). The liquidation price(s) of the book are then the
//!   roots of `equity(P) = MM_portfolio(P)`, the grid re-run at every price
//!   ([`crate::risk::roots`]).
//! - **Book liquidation with distance and touch probability** — `account.bookLiquidation: true`
//!   reports the whole-book roots for futures-only cross books as well; with the request's
//!   `volatility` (annualised) and `horizonDays` every root gets its distance in standard
//!   deviations of the horizon move and the probability of touching it within the horizon
//!   ([`crate::risk::touch`], margin-models.md §7).
//! - **Stress tests** — `stress: [{name?, priceMovePercent, volMove?, daysForward?}]`: P&L by
//!   full revaluation, equity, maintenance margin and margin ratio after the shock, and whether
//!   the book would be liquidated ([`crate::risk::stress`]).
//! - **Historical-simulation VaR / ES** — `var: {series, seriesFormat?, column?, confidence?,
//!   horizonDays?, windows?, quantile?, expectedShortfall?}` ([`crate::risk::var`],
//!   margin-models.md §6).
//! - **Dynamic initial-margin ratios** — `markets[i].initialMarginModel` ([`ImrModelInput`],
//!   [`crate::risk::imr`], margin-models.md §3), applied as `IMR = max(rule's IMR, model's)`;
//!   on option markets to the delta-equivalent exposure `|Δ|·Q·S`: a short option's IM is
//!   `max(standard rule, rate(|Δ|·Q)·|Δ|·Q·S + Q·mark)` ([`crate::options::apply_imr_model`]).
//! - **Multi-asset collateral** — `account.collateral: [{asset, amount, price, haircut}]`:
//!   `Σ amount·price·(1 − haircut)` is added to equity.
//!
//! The book valuation ([`BookModel`]) moves every market by the same relative amount as the
//! reference underlying (the first option market's underlying price, else the first position's
//! mark): one underlying, or perfectly correlated ones. Values are P&L in the settlement
//! currency (USD for linear books, coin for inverse ones).

use crate::account::{maintenance_at, pnl};
use crate::error::{Collector, FieldError, InputErrors};
use crate::fmath::DetMath;
use crate::instrument::{Book, MarginBasis, MarginMode, Position, Settlement};
use crate::money::DecimalOps;
use crate::money::Float;
use crate::money::{
    from_f64, non_negative, parse_decimal, positive, rate, round_margin, round_plain,
    round_price_against, to_f64, NumberInput,
};
use crate::options::{
    book_liquidation_by_unit, book_liquidation_from, figures_at, reference_price, unit_label,
};
use crate::pricing::scenario_batch::black76_scenario_premiums_ln;
use crate::pricing::{black76, black76_scenario_premium_ln, OptionKind};
use crate::request::{premium_decimal, Request, MAX_NOTIONAL, MAX_TEXT};
use crate::response::{
    AccountMarginMode, BookLiquidation, BookLiquidationPrice, CollateralAssetResult,
    CollateralResult, ImrSource, Liquidation, MinDeltaResult, PortfolioMarginResult,
    PositionResult, Response, RiskUnitMargin, ScenarioResult, Step, StressReport, StressResultItem,
    VarResult, VolatilityUsed,
};
use crate::risk::imr::{ImrInputs, ImrModel, ImrRate};
use crate::risk::roots::{liquidation_roots, Crossing, RootSearch};
use crate::risk::scenario::{
    builtin_grid, scenario_margin, span_with_extreme_multiple, MinDeltaRule, PriceUnit, ScanInputs,
    Scenario, ScenarioGrid, ScenarioMargin, VolConvention, VolUnit, MIN_SHOCKED_VOL,
};
use crate::risk::stress::{stress_test, StressScenario};
use crate::risk::touch::{distance_sigmas, touch_probability, Drift};
use crate::risk::var::{
    historical_var, EsMethod, Horizon, HsVarSpec, KRule, QuantileMethod, VarMethod,
};
use crate::risk::volatility::{
    ewma_volatility, parse_series, sample_volatility, Column, EwmaSeed, SeriesFormat, SeriesKind,
    DEFAULT_LAMBDA,
};
use crate::risk::{RiskError, DAYS_PER_YEAR};
use crate::wire;
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;

/// Most stress scenarios, collateral assets or custom grid scenarios one request may hold.
pub const MAX_ITEMS: usize = 200;

/// Most position revaluations a VaR request may ask for (returns × positions).
pub const MAX_VAR_WORK: usize = 20_000_000;

// ---------------------------------------------------------------------------------------------
// Wire inputs
// ---------------------------------------------------------------------------------------------

/// `account.portfolioMargin`: which scenario grid and its market inputs.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioMarginInput {
    /// `"span16"`, `"paradex"`, `"okx"` or `"custom"` (then `customGrid`).
    pub grid: Option<String>,
    /// An inline grid.
    pub custom_grid: Option<GridInput>,
    /// SPAN: the price scan range, in price units of the reference underlying.
    pub price_scan_range: Option<NumberInput>,
    /// SPAN: the volatility scan range (absolute, 0.05 = 5 vol points).
    pub vol_scan_range: Option<NumberInput>,
    /// SPAN: extreme moves at this multiple of the scan range (default 2).
    pub extreme_multiple: Option<NumberInput>,
    /// Calendar days the book is aged in every scenario (default 0).
    pub days_forward: Option<NumberInput>,
    /// Short-option minimum per unit of underlying of short options (SPAN; default 0).
    pub short_option_minimum: Option<NumberInput>,
}

/// An inline scenario grid.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GridInput {
    /// Display name.
    pub name: Option<String>,
    /// `"relative"` (default: `S·(1 + priceMove)`) or `"scanRange"` (`S + priceMove·range`).
    pub price_unit: Option<String>,
    /// `"literal"` (default) or `"scanRange"` (`volMove · volScanRange`).
    pub vol_unit: Option<String>,
    /// `"additive"` (default), `"relative"` or `"dteScaled"` (Paradex: 30-day pivot, powers
    /// 0.30 / 0.13).
    pub vol_convention: Option<String>,
    /// The scenarios.
    pub scenarios: Vec<ScenarioInput>,
    /// Minimum delta charge, if any.
    pub min_delta: Option<MinDeltaInput>,
    /// `IM = initialPerRequirement × R` (default 1).
    pub initial_per_requirement: Option<NumberInput>,
    /// `MM = maintenancePerRequirement × R` (default 1).
    pub maintenance_per_requirement: Option<NumberInput>,
}

/// One scenario of an inline grid.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioInput {
    /// Name (default `scenario N`).
    pub label: Option<String>,
    /// Price move in the grid's unit.
    pub price_move: Option<NumberInput>,
    /// Volatility move in the grid's unit (default 0).
    pub vol_move: Option<NumberInput>,
    /// Fraction of the loss counted (default 1).
    pub weight: Option<NumberInput>,
}

/// Minimum delta charge factors.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinDeltaInput {
    /// Factor on the net delta.
    pub unhedged: Option<NumberInput>,
    /// Factor on the hedged delta.
    pub hedged: Option<NumberInput>,
}

/// `var`: historical-simulation VaR / ES of the whole book.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VarInput {
    /// Pasted text (CSV/TSV/whitespace), one observation per line, oldest first.
    pub series: Option<String>,
    /// `"prices"` (default) or `"logReturns"`.
    pub series_format: Option<String>,
    /// Column: a 1-based index or a header name (default: the last column).
    pub column: Option<String>,
    /// Confidence level α in (0, 1) (default 0.99).
    pub confidence: Option<NumberInput>,
    /// Horizon in days, a whole number ≥ 1 (default 1).
    pub horizon_days: Option<NumberInput>,
    /// `"sqrtTime"` (default), `"overlapping"` or `"nonOverlapping"`.
    pub windows: Option<String>,
    /// VaR convention (default `"empirical"`: the `⌊n(1−α)⌋+1`-th worst loss).
    pub quantile: Option<String>,
    /// ES convention (default `"acerbiTasche"`).
    pub expected_shortfall: Option<String>,
}

/// One stress scenario.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StressInput {
    /// Name (default `scenario N`).
    pub name: Option<String>,
    /// Move of every price in percent (−20 = a 20 % fall), above −100.
    pub price_move_percent: Option<NumberInput>,
    /// Additive volatility move (0.1 = +10 vol points; default 0).
    pub vol_move: Option<NumberInput>,
    /// Calendar days forward (default 0).
    pub days_forward: Option<NumberInput>,
}

/// One collateral asset.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollateralInput {
    /// Asset name.
    pub asset: Option<String>,
    /// Amount held (≥ 0).
    pub amount: Option<NumberInput>,
    /// Price in the settlement currency (> 0).
    pub price: Option<NumberInput>,
    /// Haircut in [0, 1] (default 0).
    pub haircut: Option<NumberInput>,
}

/// A dynamic initial-margin-rate model (margin-models.md §3): on a perpetual or future the rate
/// applies to the position's notional; on an option market to its delta-equivalent exposure
/// `|Δ|·Q·S` ([`crate::options::apply_imr_model`]).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ImrModelInput {
    /// `IMR = base + slopePerUnit · size` (Deribit).
    #[serde(rename_all = "camelCase")]
    SizeLinear {
        /// Rate at size zero.
        base: Option<NumberInput>,
        /// Rate per base unit.
        slope_per_unit: Option<NumberInput>,
    },
    /// `IMR = max(base, 0.8·base + k·√size)` (Drift).
    #[serde(rename_all = "camelCase")]
    SqrtSize {
        /// Base rate.
        base: Option<NumberInput>,
        /// Size-premium factor.
        k: Option<NumberInput>,
    },
    /// `IMR = min(1, base · max(1, √(N / baseNotional)))` (dYdX before December 2023).
    #[serde(rename_all = "camelCase")]
    SqrtNotional {
        /// Base rate.
        base: Option<NumberInput>,
        /// Notional up to which the base rate applies.
        base_notional: Option<NumberInput>,
    },
    /// `IMR = min(base + max(0, (OI·P − lowerCap)/(upperCap − lowerCap))·(1 − base), 1)` (dYdX v4).
    #[serde(rename_all = "camelCase")]
    OpenInterest {
        /// Base rate.
        base: Option<NumberInput>,
        /// Open-interest notional where scaling starts.
        lower_cap: Option<NumberInput>,
        /// Open-interest notional where the rate reaches 100 %.
        upper_cap: Option<NumberInput>,
        /// The market's open interest, base units.
        open_interest: Option<NumberInput>,
    },
    /// `IMR = max(floor, z_α · σ · √(h/365) · m)`.
    #[serde(rename_all = "camelCase")]
    Volatility {
        /// Minimum rate.
        floor: Option<NumberInput>,
        /// α in (0.5, 1) (default 0.99).
        confidence: Option<NumberInput>,
        /// Margin period of risk, days (default 1).
        horizon_days: Option<NumberInput>,
        /// Liquidity multiplier ≥ 1 (default 1).
        multiplier: Option<NumberInput>,
        /// Annualised volatility assumption; or give `series`; else the request's `volatility`.
        volatility: Option<NumberInput>,
        /// Pasted series to estimate σ from.
        series: Option<String>,
        /// `"prices"` (default) or `"logReturns"`.
        series_format: Option<String>,
        /// `"sample"` (default) or `"ewma"`.
        estimator: Option<String>,
        /// EWMA decay λ (default 0.94).
        lambda: Option<NumberInput>,
    },
}

// The wire reading of the inputs above ([`crate::wire`]).

wire::wire_struct!(PortfolioMarginInput, "struct PortfolioMarginInput", required = 0, seq_default = 0, {
    0 "grid" => grid,
    1 "customGrid" => custom_grid,
    2 "priceScanRange" => price_scan_range,
    3 "volScanRange" => vol_scan_range,
    4 "extremeMultiple" => extreme_multiple,
    5 "daysForward" => days_forward,
    6 "shortOptionMinimum" => short_option_minimum,
});

wire::wire_struct!(GridInput, "struct GridInput", required = 0, seq_default = 0x10, {
    0 "name" => name,
    1 "priceUnit" => price_unit,
    2 "volUnit" => vol_unit,
    3 "volConvention" => vol_convention,
    4 "scenarios" => scenarios,
    5 "minDelta" => min_delta,
    6 "initialPerRequirement" => initial_per_requirement,
    7 "maintenancePerRequirement" => maintenance_per_requirement,
});

wire::wire_struct!(ScenarioInput, "struct ScenarioInput", required = 0, seq_default = 0, {
    0 "label" => label,
    1 "priceMove" => price_move,
    2 "volMove" => vol_move,
    3 "weight" => weight,
});

wire::wire_struct!(MinDeltaInput, "struct MinDeltaInput", required = 0, seq_default = 0, {
    0 "unhedged" => unhedged,
    1 "hedged" => hedged,
});

wire::wire_struct!(VarInput, "struct VarInput", required = 0, seq_default = 0, {
    0 "series" => series,
    1 "seriesFormat" => series_format,
    2 "column" => column,
    3 "confidence" => confidence,
    4 "horizonDays" => horizon_days,
    5 "windows" => windows,
    6 "quantile" => quantile,
    7 "expectedShortfall" => expected_shortfall,
});

wire::wire_struct!(StressInput, "struct StressInput", required = 0, seq_default = 0, {
    0 "name" => name,
    1 "priceMovePercent" => price_move_percent,
    2 "volMove" => vol_move,
    3 "daysForward" => days_forward,
});

wire::wire_struct!(CollateralInput, "struct CollateralInput", required = 0, seq_default = 0, {
    0 "asset" => asset,
    1 "amount" => amount,
    2 "price" => price,
    3 "haircut" => haircut,
});

type Opt = Option<NumberInput>;

impl wire::Wire for ImrModelInput {
    fn read(r: &mut wire::Reader<'_>) -> wire::Result<Self> {
        const VARIANTS: &[&str] = &[
            "sizeLinear",
            "sqrtSize",
            "sqrtNotional",
            "openInterest",
            "volatility",
        ];
        let (variant, c) =
            r.read_tagged("internally tagged enum ImrModelInput", "type", VARIANTS)?;
        let model = match variant {
            0 => wire::content_struct!(c, (Opt, Opt),
                "struct variant ImrModelInput::SizeLinear", required = 0, {
                0 "base" => 0,
                1 "slopePerUnit" => 1,
            })
            .map(|v| ImrModelInput::SizeLinear {
                base: v.0,
                slope_per_unit: v.1,
            }),
            1 => wire::content_struct!(c, (Opt, Opt),
                "struct variant ImrModelInput::SqrtSize", required = 0, {
                0 "base" => 0,
                1 "k" => 1,
            })
            .map(|v| ImrModelInput::SqrtSize { base: v.0, k: v.1 }),
            2 => wire::content_struct!(c, (Opt, Opt),
                "struct variant ImrModelInput::SqrtNotional", required = 0, {
                0 "base" => 0,
                1 "baseNotional" => 1,
            })
            .map(|v| ImrModelInput::SqrtNotional {
                base: v.0,
                base_notional: v.1,
            }),
            3 => wire::content_struct!(c, (Opt, Opt, Opt, Opt),
                "struct variant ImrModelInput::OpenInterest", required = 0, {
                0 "base" => 0,
                1 "lowerCap" => 1,
                2 "upperCap" => 2,
                3 "openInterest" => 3,
            })
            .map(|v| ImrModelInput::OpenInterest {
                base: v.0,
                lower_cap: v.1,
                upper_cap: v.2,
                open_interest: v.3,
            }),
            _ => wire::content_struct!(c,
                (Opt, Opt, Opt, Opt, Opt, Option<String>, Option<String>, Option<String>, Opt),
                "struct variant ImrModelInput::Volatility", required = 0, {
                0 "floor" => 0,
                1 "confidence" => 1,
                2 "horizonDays" => 2,
                3 "multiplier" => 3,
                4 "volatility" => 4,
                5 "series" => 5,
                6 "seriesFormat" => 6,
                7 "estimator" => 7,
                8 "lambda" => 8,
            })
            .map(|v| ImrModelInput::Volatility {
                floor: v.0,
                confidence: v.1,
                horizon_days: v.2,
                multiplier: v.3,
                volatility: v.4,
                series: v.5,
                series_format: v.6,
                estimator: v.7,
                lambda: v.8,
            }),
        };
        model.map_err(|m| r.data(m))
    }
}

// ---------------------------------------------------------------------------------------------
// Validated specification
// ---------------------------------------------------------------------------------------------

/// Portfolio-margin settings, validated.
#[derive(Debug, Clone)]
pub struct PortfolioSpec {
    /// The grid.
    pub grid: ScenarioGrid,
    /// SPAN price scan range.
    pub price_scan_range: Option<f64>,
    /// SPAN volatility scan range.
    pub vol_scan_range: Option<f64>,
    /// Days forward in every scenario.
    pub days_forward: f64,
    /// Short-option minimum per unit.
    pub short_option_minimum: f64,
}

/// VaR settings, validated.
#[derive(Debug, Clone)]
pub struct VarSpec {
    /// Daily log returns.
    pub returns: Vec<f64>,
    /// What to compute.
    pub spec: HsVarSpec,
    /// Horizon days.
    pub horizon_days: u32,
    /// True for the default conventions.
    pub default_conventions: bool,
    /// `prices` or `logReturns`.
    pub series_format: &'static str,
}

/// A stress scenario, validated.
#[derive(Debug, Clone)]
pub struct StressSpec {
    /// Name.
    pub name: String,
    /// Move in percent, as given.
    pub percent: Decimal,
    /// The scenario for [`stress_test`].
    pub scenario: StressScenario,
}

/// A collateral asset, validated.
#[derive(Debug, Clone)]
pub struct CollateralSpec {
    /// The asset's result figures.
    pub result: CollateralAssetResult,
}

/// A dynamic initial-margin model of one market, validated, with its market inputs.
#[derive(Debug, Clone)]
pub struct ImrSpec {
    /// The model.
    pub model: ImrModel,
    /// Open interest, base units.
    pub open_interest: f64,
    /// Annualised volatility (volatility model).
    pub sigma: f64,
    /// The volatility and its origin (volatility model).
    pub volatility: Option<VolatilityUsed>,
}

impl ImrSpec {
    /// The model's rate for a position of `size` base units at `price` (`None` if the model
    /// refuses these inputs).
    pub fn rate(&self, size: f64, price: f64) -> Option<ImrRate> {
        self.model
            .rate(&ImrInputs {
                size: size.abs(),
                price,
                open_interest: self.open_interest,
                sigma: self.sigma,
            })
            .ok()
    }

    /// The response block for a rate `r` applied as `rate`.
    pub fn source(&self, r: &ImrRate, rate: Decimal) -> ImrSource {
        ImrSource {
            model: r.model.into(),
            rule: r.rule.into(),
            formula: r.formula.clone(),
            rate: round_plain(rate),
            inputs: r.inputs.iter().copied().collect(),
            source: r.source.into(),
            rule_rate: None,
            volatility: self.volatility.clone(),
        }
    }
}

/// Everything the request asks beyond the standard figures.
#[derive(Debug, Clone, Default)]
pub struct RiskSpec {
    /// Portfolio margin (marginMode `"portfolio"`).
    pub portfolio: Option<PortfolioSpec>,
    /// Book liquidation asked for a futures-only book.
    pub book_liquidation: bool,
    /// `(σ annualised, horizon days)` for distances in σ and touch probabilities.
    pub touch: Option<(f64, f64)>,
    /// VaR.
    pub var: Option<VarSpec>,
    /// Stress scenarios.
    pub stress: Vec<StressSpec>,
    /// Collateral assets.
    pub collateral: Vec<CollateralSpec>,
    /// Dynamic IMR models by market index.
    pub imr: Vec<Option<ImrSpec>>,
}

impl RiskSpec {
    /// Σ collateral value after haircuts.
    pub fn collateral_value(&self) -> Decimal {
        self.collateral
            .iter()
            .map(|c| c.result.value_after_haircut)
            .sum()
    }

    /// The book with the collateral's value after haircuts added to the wallet balance (it
    /// backs every position like cash).
    pub fn with_collateral(&self, mut book: Book) -> Book {
        book.account.wallet_balance += self.collateral_value();
        book
    }
}

fn number(field: &str, v: Option<&NumberInput>) -> Result<f64, FieldError> {
    Ok(to_f64(crate::money::required(field, v)?))
}

#[inline(never)]
fn number_or(field: &str, v: Option<&NumberInput>, default: f64) -> Result<f64, FieldError> {
    match v {
        Some(x) => Ok(to_f64(parse_decimal(field, x)?)),
        None => Ok(default),
    }
}

#[inline(never)]
fn non_negative_or(field: &str, v: Option<&NumberInput>, default: f64) -> Result<f64, FieldError> {
    match v {
        Some(x) => Ok(to_f64(non_negative(field, Some(x))?)),
        None => Ok(default),
    }
}

fn name_or(field: &str, v: Option<&String>, default: String) -> Result<String, FieldError> {
    match v {
        None => Ok(default),
        Some(t) => {
            let t = t.trim();
            if t.chars().count() > MAX_TEXT {
                return Err(FieldError::new(
                    field,
                    "too_long",
                    format!("must be at most {MAX_TEXT} characters"),
                ));
            }
            Ok(if t.is_empty() { default } else { t.to_string() })
        }
    }
}

fn pick<T: Copy>(
    field: &str,
    v: Option<&String>,
    default: T,
    options: &[(&str, T)],
) -> Result<T, FieldError> {
    match v {
        None => Ok(default),
        Some(t) => options
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t.trim()))
            .map(|(_, x)| *x)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                let shown = crate::text_prefix(t, MAX_TEXT);
                FieldError::new(
                    field,
                    "invalid_choice",
                    format!("'{shown}' is not one of: {}", names.join(", ")),
                )
            }),
    }
}

fn too_many(field: &str, n: usize) -> Option<FieldError> {
    (n > MAX_ITEMS).then(|| {
        FieldError::new(
            field,
            "too_many",
            format!("at most {MAX_ITEMS} entries, got {n}"),
        )
    })
}

fn series_kind(field: &str, v: Option<&String>) -> Result<SeriesKind, FieldError> {
    pick(
        field,
        v,
        SeriesKind::Prices,
        &[
            ("prices", SeriesKind::Prices),
            ("logReturns", SeriesKind::LogReturns),
        ],
    )
}

fn column_of(v: Option<&String>) -> Column {
    match v.map(|c| c.trim()) {
        None | Some("") => Column::Auto,
        Some(c) if c.eq_ignore_ascii_case("auto") => Column::Auto,
        Some(c) => match c.parse::<usize>() {
            Ok(i) => Column::Index(i),
            Err(_) => Column::Name(c.to_string()),
        },
    }
}

/// Grid names accepted in `account.portfolioMargin.grid`.
pub const GRID_NAMES: [&str; 4] = ["span16", "paradex", "okx", "custom"];

fn builtin(name: &str) -> Option<&'static ScenarioGrid> {
    let id = match name.trim().to_ascii_lowercase().as_str() {
        "span16" | "span-16" | "span" => "span-16",
        "paradex" | "paradex-pm" => "paradex-pm",
        "okx" | "okx-pm" | "okx-pm-btc-eth-2025-01" => "okx-pm-btc-eth-2025-01",
        _ => return None,
    };
    builtin_grid(id)
}

fn custom_grid(path: &str, g: &GridInput, errors: &mut Collector) -> Option<ScenarioGrid> {
    let price_unit = errors.take(pick(
        &crate::error::dotted(path, "priceUnit"),
        g.price_unit.as_ref(),
        PriceUnit::Relative,
        &[
            ("relative", PriceUnit::Relative),
            ("scanRange", PriceUnit::ScanRange),
        ],
    ));
    let vol_unit = errors.take(pick(
        &crate::error::dotted(path, "volUnit"),
        g.vol_unit.as_ref(),
        VolUnit::Literal,
        &[
            ("literal", VolUnit::Literal),
            ("scanRange", VolUnit::ScanRange),
        ],
    ));
    let vol_convention = errors.take(pick(
        &crate::error::dotted(path, "volConvention"),
        g.vol_convention.as_ref(),
        VolConvention::Additive,
        &[
            ("additive", VolConvention::Additive),
            ("relative", VolConvention::Relative),
            ("dteScaled", VolConvention::PARADEX),
        ],
    ));
    let name = errors.take(name_or(
        &crate::error::dotted(path, "name"),
        g.name.as_ref(),
        "custom grid".into(),
    ));
    if g.scenarios.is_empty() {
        errors.push(FieldError::new(
            crate::error::dotted(path, "scenarios"),
            "required",
            "add at least one scenario",
        ));
    }
    if let Some(e) = too_many(&crate::error::dotted(path, "scenarios"), g.scenarios.len()) {
        errors.push(e);
        return None;
    }
    let mut scenarios = Vec::with_capacity(g.scenarios.len());
    for (i, s) in g.scenarios.iter().enumerate() {
        let p = format!("{path}.scenarios[{i}]");
        let label = errors.take(name_or(
            &crate::error::dotted(&p, "label"),
            s.label.as_ref(),
            format!("scenario {}", i + 1),
        ));
        let price_move = errors.take(number(
            &crate::error::dotted(&p, "priceMove"),
            s.price_move.as_ref(),
        ));
        if let (Some(m), Some(PriceUnit::Relative)) = (price_move, price_unit) {
            if m <= -1.0 {
                errors.push(FieldError::new(
                    crate::error::dotted(&p, "priceMove"),
                    "out_of_range",
                    "a relative move must be above −1 (−100 %)",
                ));
            }
        }
        let vol_move = errors.take(number_or(
            &crate::error::dotted(&p, "volMove"),
            s.vol_move.as_ref(),
            0.0,
        ));
        let weight = errors.take(non_negative_or(
            &crate::error::dotted(&p, "weight"),
            s.weight.as_ref(),
            1.0,
        ));
        if let (Some(label), Some(price_move), Some(vol_move), Some(weight)) =
            (label, price_move, vol_move, weight)
        {
            scenarios.push(Scenario {
                label: Cow::Owned(label),
                price_move,
                vol_move,
                weight,
            });
        }
    }
    let min_delta = match &g.min_delta {
        None => Some(None),
        Some(md) => {
            let u = errors.take(
                non_negative(
                    &crate::error::dotted(path, "minDelta.unhedged"),
                    md.unhedged.as_ref(),
                )
                .map(to_f64),
            );
            let h = errors.take(
                non_negative(
                    &crate::error::dotted(path, "minDelta.hedged"),
                    md.hedged.as_ref(),
                )
                .map(to_f64),
            );
            match (u, h) {
                (Some(unhedged), Some(hedged)) => Some(Some(MinDeltaRule { unhedged, hedged })),
                _ => None,
            }
        }
    };
    let im = errors.take(non_negative_or(
        &crate::error::dotted(path, "initialPerRequirement"),
        g.initial_per_requirement.as_ref(),
        1.0,
    ));
    let mm = errors.take(non_negative_or(
        &crate::error::dotted(path, "maintenancePerRequirement"),
        g.maintenance_per_requirement.as_ref(),
        1.0,
    ));
    Some(ScenarioGrid {
        id: Cow::Borrowed("custom"),
        name: Cow::Owned(name?),
        as_of: Cow::Borrowed("given in the request"),
        source: Cow::Borrowed("the request's customGrid"),
        notes: Cow::Borrowed(""),
        price_unit: price_unit?,
        vol_unit: vol_unit?,
        vol_convention: vol_convention?,
        scenarios: Cow::Owned(scenarios),
        min_delta: min_delta?,
        initial_per_requirement: im?,
        maintenance_per_requirement: mm?,
    })
}

fn portfolio_spec(
    pm: Option<&PortfolioMarginInput>,
    errors: &mut Collector,
) -> Option<PortfolioSpec> {
    const P: &str = "account.portfolioMargin";
    let Some(pm) = pm else {
        errors.push(FieldError::new(
            P,
            "required",
            format!(
                "is required in portfolio mode: {{grid: one of {}}}",
                GRID_NAMES.join(", ")
            ),
        ));
        return None;
    };
    let grid = match (pm.grid.as_deref().map(str::trim), &pm.custom_grid) {
        (None, None) => {
            errors.push(FieldError::new(
                crate::error::dotted(P, "grid"),
                "required",
                format!("is required (one of: {})", GRID_NAMES.join(", ")),
            ));
            None
        }
        (Some(c), Some(g)) if c.eq_ignore_ascii_case("custom") => {
            custom_grid(&crate::error::dotted(P, "customGrid"), g, errors)
        }
        (None, Some(g)) => custom_grid(&crate::error::dotted(P, "customGrid"), g, errors),
        (Some(c), None) if c.eq_ignore_ascii_case("custom") => {
            errors.push(FieldError::new(
                crate::error::dotted(P, "customGrid"),
                "required",
                "is required when grid is \"custom\"",
            ));
            None
        }
        (Some(name), custom) => match builtin(name) {
            Some(g) => {
                if custom.is_some() {
                    errors.push(FieldError::new(
                        crate::error::dotted(P, "customGrid"),
                        "conflict",
                        format!("a named grid ('{name}') and a customGrid: give one"),
                    ));
                }
                Some(g.clone())
            }
            None => {
                let shown = crate::text_prefix(name, MAX_TEXT);
                errors.push(FieldError::new(
                    crate::error::dotted(P, "grid"),
                    "invalid_choice",
                    format!("unknown grid '{shown}': one of {}", GRID_NAMES.join(", ")),
                ));
                None
            }
        },
    };
    let grid = match (grid, &pm.extreme_multiple) {
        (Some(g), Some(x)) if g.id == "span-16" => errors
            .take(positive(
                &crate::error::dotted(P, "extremeMultiple"),
                Some(x),
            ))
            .and_then(|m| {
                errors.take(span_with_extreme_multiple(to_f64(m)).map_err(|e| e.to_field_error(P)))
            }),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                crate::error::dotted(P, "extremeMultiple"),
                "unsupported",
                "only the span16 grid has extreme moves in multiples of the scan range",
            ));
            None
        }
        (None, _) => None,
        (g, None) => g,
    };
    let range = |field: &str, v: Option<&NumberInput>, needed: bool, errors: &mut Collector| match (
        v, needed,
    ) {
        (Some(x), _) => errors
            .take(positive(&crate::error::dotted(P, field), Some(x)))
            .map(|d| Some(to_f64(d))),
        (None, true) => {
            errors.push(FieldError::new(
                crate::error::dotted(P, field),
                "required",
                "is required: the grid moves by fractions of a scan range",
            ));
            None
        }
        (None, false) => Some(None),
    };
    let needs_price = grid
        .as_ref()
        .is_some_and(|g| g.price_unit == PriceUnit::ScanRange);
    let needs_vol = grid
        .as_ref()
        .is_some_and(|g| g.vol_unit == VolUnit::ScanRange);
    let price_scan_range = range(
        "priceScanRange",
        pm.price_scan_range.as_ref(),
        needs_price,
        errors,
    );
    let vol_scan_range = range(
        "volScanRange",
        pm.vol_scan_range.as_ref(),
        needs_vol,
        errors,
    );
    let days_forward = errors.take(non_negative_or(
        &crate::error::dotted(P, "daysForward"),
        pm.days_forward.as_ref(),
        0.0,
    ));
    let short_option_minimum = errors.take(non_negative_or(
        &crate::error::dotted(P, "shortOptionMinimum"),
        pm.short_option_minimum.as_ref(),
        0.0,
    ));
    Some(PortfolioSpec {
        grid: grid?,
        price_scan_range: price_scan_range?,
        vol_scan_range: vol_scan_range?,
        days_forward: days_forward?,
        short_option_minimum: short_option_minimum?,
    })
}

fn var_spec(v: &VarInput, errors: &mut Collector) -> Option<VarSpec> {
    let kind = errors.take(series_kind("var.seriesFormat", v.series_format.as_ref()));
    let returns = match (&v.series, kind) {
        (None, _) => {
            errors.push(FieldError::new(
                "var.series",
                "required",
                "paste a series of daily prices or log returns, one per line",
            ));
            None
        }
        (Some(text), Some(kind)) => errors.take(
            parse_series(
                text,
                &SeriesFormat {
                    kind,
                    column: column_of(v.column.as_ref()),
                },
            )
            .map(|s| s.returns)
            .map_err(|e| e.to_field_error("var")),
        ),
        (Some(_), None) => None,
    };
    let alpha = errors.take(number_or("var.confidence", v.confidence.as_ref(), 0.99));
    let alpha = alpha.and_then(|a| {
        errors.take(crate::risk::var::tail_size(1, a).map(|_| a).map_err(|e| {
            FieldError::new(
                "var.confidence",
                e.code,
                format!("confidence {}", e.message),
            )
        }))
    });
    let horizon = match &v.horizon_days {
        None => Some(1u32),
        Some(h) => errors
            .take(positive("var.horizonDays", Some(h)))
            .and_then(|d| {
                if d.fract().is_zero() && d <= Decimal::from(3650) {
                    Some(to_f64(d) as u32)
                } else {
                    errors.push(FieldError::new(
                        "var.horizonDays",
                        "out_of_range",
                        "must be a whole number of days between 1 and 3650",
                    ));
                    None
                }
            }),
    };
    #[derive(Clone, Copy)]
    enum W {
        Sqrt,
        Over,
        NonOver,
    }
    let windows = errors.take(pick(
        "var.windows",
        v.windows.as_ref(),
        W::Sqrt,
        &[
            ("sqrtTime", W::Sqrt),
            ("overlapping", W::Over),
            ("nonOverlapping", W::NonOver),
        ],
    ));
    let var_method = match v.quantile.as_deref().map(str::trim) {
        None | Some("empirical") | Some("kthWorstFloorPlusOne") => {
            Some(VarMethod::KthWorst(KRule::FloorPlusOne))
        }
        Some("kthWorstCeil") => Some(VarMethod::KthWorst(KRule::Ceil)),
        Some(q) => {
            let (neg, name) = match q.strip_prefix("pnl:") {
                Some(n) => (true, n),
                None => (false, q),
            };
            match QuantileMethod::from_numpy_name(name) {
                Some(m) if neg => Some(VarMethod::NegPnlQuantile(m)),
                Some(m) => Some(VarMethod::LossQuantile(m)),
                None => {
                    let shown = crate::text_prefix(q, MAX_TEXT);
                    errors.push(FieldError::new(
                        "var.quantile",
                        "invalid_choice",
                        format!("'{shown}' is not one of: empirical (default), kthWorstFloorPlusOne, kthWorstCeil, a numpy quantile method on the losses (inverted_cdf, linear, lower, higher, nearest, midpoint, hazen, weibull, median_unbiased, normal_unbiased, averaged_inverted_cdf, closest_observation, interpolated_inverted_cdf), or pnl:<method> for −quantile(P&L, 1 − α)"),
                    ));
                    None
                }
            }
        }
    };
    let es_method = errors.take(pick(
        "var.expectedShortfall",
        v.expected_shortfall.as_ref(),
        EsMethod::AcerbiTasche,
        &[
            ("acerbiTasche", EsMethod::AcerbiTasche),
            ("meanWorstCeil", EsMethod::MeanWorst(KRule::Ceil)),
            (
                "meanWorstFloorPlusOne",
                EsMethod::MeanWorst(KRule::FloorPlusOne),
            ),
            ("meanLossAtLeastVar", EsMethod::MeanLossAtLeastVar),
        ],
    ));
    let (returns, alpha, h, windows, var_method, es_method) = (
        returns?,
        alpha?,
        horizon?,
        windows?,
        var_method?,
        es_method?,
    );
    let horizon = match (h, windows) {
        (1, _) => Horizon::OneDay,
        (h, W::Sqrt) => Horizon::SqrtTime(h),
        (h, W::Over) => Horizon::Overlapping(h),
        (h, W::NonOver) => Horizon::NonOverlapping(h),
    };
    if !matches!(horizon, Horizon::OneDay | Horizon::SqrtTime(_)) && returns.len() < h as usize {
        errors.push(FieldError::new(
            "var.series",
            "too_few",
            format!(
                "a {h}-day horizon needs at least {h} returns, got {}",
                returns.len()
            ),
        ));
        return None;
    }
    Some(VarSpec {
        returns,
        spec: HsVarSpec {
            horizon,
            var_method,
            es_method,
            ..HsVarSpec::new(alpha)
        },
        horizon_days: h,
        default_conventions: var_method == VarMethod::default()
            && es_method == EsMethod::AcerbiTasche,
        series_format: match kind {
            Some(SeriesKind::LogReturns) => "logReturns",
            _ => "prices",
        },
    })
}

fn stress_spec(i: usize, s: &StressInput, errors: &mut Collector) -> Option<StressSpec> {
    let p = format!("stress[{i}]");
    let name = errors.take(name_or(
        &crate::error::dotted(&p, "name"),
        s.name.as_ref(),
        format!("scenario {}", i + 1),
    ));
    let percent = match &s.price_move_percent {
        None => {
            errors.push(FieldError::new(
                crate::error::dotted(&p, "priceMovePercent"),
                "required",
                "is required (e.g. -20 for a 20 % fall)",
            ));
            None
        }
        Some(v) => errors
            .take(parse_decimal(
                &crate::error::dotted(&p, "priceMovePercent"),
                v,
            ))
            .and_then(|d| {
                if d <= Decimal::from(-100) || d > Decimal::from(100_000) {
                    errors.push(FieldError::new(
                        crate::error::dotted(&p, "priceMovePercent"),
                        "out_of_range",
                        "must be above −100 and at most 100000",
                    ));
                    None
                } else {
                    Some(d)
                }
            }),
    };
    let vol = errors.take(number_or(
        &crate::error::dotted(&p, "volMove"),
        s.vol_move.as_ref(),
        0.0,
    ));
    let vol = vol.and_then(|v| {
        if v.abs() > 100.0 {
            errors.push(FieldError::new(
                crate::error::dotted(&p, "volMove"),
                "out_of_range",
                "is absurd: at most ±100 (additive, 0.1 = 10 vol points)",
            ));
            None
        } else {
            Some(v)
        }
    });
    let days = errors.take(non_negative_or(
        &crate::error::dotted(&p, "daysForward"),
        s.days_forward.as_ref(),
        0.0,
    ));
    let days = days.and_then(|d| {
        if d > 36_500.0 {
            errors.push(FieldError::new(
                crate::error::dotted(&p, "daysForward"),
                "out_of_range",
                "at most 36500 days",
            ));
            None
        } else {
            Some(d)
        }
    });
    let (name, percent, vol, days) = (name?, percent?, vol?, days?);
    Some(StressSpec {
        scenario: StressScenario::new(name.clone(), to_f64(percent) / 100.0, vol, days),
        name,
        percent,
    })
}

fn collateral_spec(
    i: usize,
    c: &CollateralInput,
    errors: &mut Collector,
) -> Option<CollateralSpec> {
    let p = format!("account.collateral[{i}]");
    let asset = match &c.asset {
        None => {
            errors.push(FieldError::new(
                crate::error::dotted(&p, "asset"),
                "required",
                "is required",
            ));
            None
        }
        Some(a) => errors.take(name_or(
            &crate::error::dotted(&p, "asset"),
            Some(a),
            String::new(),
        )),
    };
    let asset = asset.and_then(|a| {
        if a.is_empty() {
            errors.push(FieldError::new(
                crate::error::dotted(&p, "asset"),
                "required",
                "must not be empty",
            ));
            None
        } else {
            Some(a)
        }
    });
    let amount = errors.take(non_negative(
        &crate::error::dotted(&p, "amount"),
        c.amount.as_ref(),
    ));
    let price = errors.take(positive(
        &crate::error::dotted(&p, "price"),
        c.price.as_ref(),
    ));
    let haircut = match &c.haircut {
        None => Some(Decimal::ZERO),
        Some(h) => errors.take(rate(&crate::error::dotted(&p, "haircut"), Some(h))),
    };
    let (asset, amount, price, haircut) = (asset?, amount?, price?, haircut?);
    let value = amount.checked_times(price).filter(|v| *v <= MAX_NOTIONAL);
    let Some(value) = value else {
        errors.push(FieldError::new(
            crate::error::dotted(&p, "amount"),
            "too_large",
            "amount × price is absurdly large (limit 1e18)",
        ));
        return None;
    };
    let after = value * (Decimal::ONE - haircut);
    Some(CollateralSpec {
        result: CollateralAssetResult {
            asset,
            amount,
            price,
            haircut,
            value: round_plain(value),
            value_after_haircut: round_plain(after),
        },
    })
}

fn imr_spec(
    path: &str,
    input: &ImrModelInput,
    request_sigma: Option<f64>,
    option_implied: Option<f64>,
    probe_price: f64,
    errors: &mut Collector,
) -> Option<ImrSpec> {
    let n = |f: &str, v: &Option<NumberInput>, errors: &mut Collector| {
        errors.take(number(&crate::error::dotted(path, f), v.as_ref()))
    };
    let (model, open_interest, sigma, volatility) = match input {
        ImrModelInput::SizeLinear {
            base,
            slope_per_unit,
        } => {
            let base = n("base", base, errors);
            let slope = n("slopePerUnit", slope_per_unit, errors);
            (
                ImrModel::SizeLinear {
                    base: base?,
                    slope_per_unit: slope?,
                },
                0.0,
                0.0,
                None,
            )
        }
        ImrModelInput::SqrtSize { base, k } => {
            let base = n("base", base, errors);
            let k = n("k", k, errors);
            (ImrModel::SqrtSize { base: base?, k: k? }, 0.0, 0.0, None)
        }
        ImrModelInput::SqrtNotional {
            base,
            base_notional,
        } => {
            let base = n("base", base, errors);
            let bn = n("baseNotional", base_notional, errors);
            (
                ImrModel::SqrtNotional {
                    base: base?,
                    base_notional: bn?,
                },
                0.0,
                0.0,
                None,
            )
        }
        ImrModelInput::OpenInterest {
            base,
            lower_cap,
            upper_cap,
            open_interest,
        } => {
            let base = n("base", base, errors);
            let lo = n("lowerCap", lower_cap, errors);
            let hi = n("upperCap", upper_cap, errors);
            let oi = errors.take(
                non_negative(
                    &crate::error::dotted(path, "openInterest"),
                    open_interest.as_ref(),
                )
                .map(to_f64),
            );
            (
                ImrModel::OpenInterest {
                    base: base?,
                    lower_cap: lo?,
                    upper_cap: hi?,
                },
                oi?,
                0.0,
                None,
            )
        }
        ImrModelInput::Volatility {
            floor,
            confidence,
            horizon_days,
            multiplier,
            volatility,
            series,
            series_format,
            estimator,
            lambda,
        } => {
            let floor = n("floor", floor, errors);
            let confidence = errors.take(number_or(
                &crate::error::dotted(path, "confidence"),
                confidence.as_ref(),
                0.99,
            ));
            let h = errors.take(number_or(
                &crate::error::dotted(path, "horizonDays"),
                horizon_days.as_ref(),
                1.0,
            ));
            let m = errors.take(number_or(
                &crate::error::dotted(path, "multiplier"),
                multiplier.as_ref(),
                1.0,
            ));
            let used = match (volatility, series) {
                (Some(_), Some(_)) => {
                    errors.push(FieldError::new(
                        crate::error::dotted(path, "series"),
                        "conflict",
                        "give volatility or series, not both",
                    ));
                    None
                }
                (Some(v), None) => errors
                    .take(positive(&crate::error::dotted(path, "volatility"), Some(v)))
                    .map(|d| VolatilityUsed {
                        annualised: to_f64(d),
                        daily: None,
                        method: "given".into(),
                        observations: None,
                        description: "the market's initialMarginModel.volatility".into(),
                    }),
                (None, Some(text)) => {
                    let kind = errors.take(series_kind(
                        &crate::error::dotted(path, "seriesFormat"),
                        series_format.as_ref(),
                    ));
                    #[derive(Clone, Copy)]
                    enum E {
                        Sample,
                        Ewma,
                    }
                    let est = errors.take(pick(
                        &crate::error::dotted(path, "estimator"),
                        estimator.as_ref(),
                        E::Sample,
                        &[("sample", E::Sample), ("ewma", E::Ewma)],
                    ));
                    let lambda = errors.take(number_or(
                        &crate::error::dotted(path, "lambda"),
                        lambda.as_ref(),
                        DEFAULT_LAMBDA,
                    ));
                    let (kind, est, lambda) = (kind?, est?, lambda?);
                    let estimate = parse_series(
                        text,
                        &SeriesFormat {
                            kind,
                            column: Column::Auto,
                        },
                    )
                    .and_then(|s| match est {
                        E::Sample => sample_volatility(&s.returns),
                        E::Ewma => ewma_volatility(&s.returns, lambda, EwmaSeed::default()),
                    });
                    errors
                        .take(estimate.map_err(|e| e.to_field_error(path)))
                        .map(|e| VolatilityUsed {
                            annualised: e.annualised,
                            daily: Some(e.daily),
                            method: e.method.to_string(),
                            observations: Some(e.observations),
                            description: e.description,
                        })
                }
                (None, None) => match (request_sigma, option_implied) {
                    (Some(s), _) => Some(VolatilityUsed {
                        annualised: s,
                        daily: None,
                        method: "given".into(),
                        observations: None,
                        description: "the request's volatility".into(),
                    }),
                    (None, Some(iv)) => Some(VolatilityUsed {
                        annualised: iv,
                        daily: None,
                        method: "implied".into(),
                        observations: None,
                        description: "the option market's Black-76 implied volatility".into(),
                    }),
                    (None, None) => {
                        errors.push(FieldError::new(
                            crate::error::dotted(path, "volatility"),
                            "required",
                            "give volatility, a series to estimate it from, or the request's volatility",
                        ));
                        None
                    }
                },
            };
            let used = used?;
            (
                ImrModel::Volatility {
                    floor: floor?,
                    confidence: confidence?,
                    horizon_days: h?,
                    multiplier: m?,
                },
                0.0,
                used.annualised,
                Some(used),
            )
        }
    };
    let spec = ImrSpec {
        model,
        open_interest,
        sigma,
        volatility,
    };
    // The model validates its own parameters: evaluate it once on a unit position.
    errors.take(
        spec.model
            .rate(&ImrInputs {
                size: 1.0,
                price: probe_price,
                open_interest,
                sigma,
            })
            .map_err(|e| e.to_field_error(path)),
    )?;
    Some(spec)
}

/// Validates the whole-book blocks of `request` against its validated `book`, collecting every
/// field error.
pub fn validate(request: &Request, book: &Book) -> Result<RiskSpec, InputErrors> {
    let mut errors = Collector::default();
    let default_account = Default::default();
    let acc = request.account.as_ref().unwrap_or(&default_account);
    let portfolio_mode = acc
        .margin_mode
        .as_deref()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("portfolio"));
    let portfolio = if portfolio_mode {
        portfolio_spec(acc.portfolio_margin.as_ref(), &mut errors)
    } else {
        if acc.portfolio_margin.is_some() {
            errors.push(FieldError::new(
                "account.portfolioMargin",
                "unsupported",
                "is read only when marginMode is \"portfolio\"",
            ));
        }
        None
    };
    // SPAN's scan range is an absolute price move of one underlying: it cannot shock a second
    // risk unit priced in other units (BTC vs ETH), so such a book needs a relative grid.
    if let Some(pm) = &portfolio {
        let names = crate::options::unit_names(book);
        if pm.grid.price_unit == PriceUnit::ScanRange && names.len() > 1 {
            errors.push(FieldError::new(
                "account.portfolioMargin.grid",
                "unsupported",
                format!(
                    "the {} grid moves prices by priceScanRange, an absolute move of one underlying; this book holds {} risk units ({}), so pick a grid of relative moves (paradex, okx, deribit or custom)",
                    pm.grid.id,
                    names.len(),
                    names
                        .iter()
                        .map(|n| n.as_deref().unwrap_or("unnamed"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let book_liquidation = acc.book_liquidation.unwrap_or(false);
    if book_liquidation && book.account.margin_mode == MarginMode::Isolated {
        errors.push(FieldError::new(
            "account.bookLiquidation",
            "unsupported",
            "isolated positions are liquidated one by one: the whole-book price needs cross or portfolio mode",
        ));
    }
    let sigma = match &request.volatility {
        Some(v) => errors.take(positive("volatility", Some(v)).and_then(|d| {
            if d > Decimal::from(100) {
                Err(FieldError::new(
                    "volatility",
                    "out_of_range",
                    "is absurd: annualised, as a decimal (0.6 = 60 %), at most 100",
                ))
            } else {
                Ok(to_f64(d))
            }
        })),
        None => None,
    };
    let horizon = match &request.horizon_days {
        Some(h) => errors
            .take(positive("horizonDays", Some(h)).and_then(|d| {
                if d > Decimal::from(36_500) {
                    Err(FieldError::new(
                        "horizonDays",
                        "out_of_range",
                        "at most 36500 days",
                    ))
                } else {
                    Ok(to_f64(d))
                }
            }))
            .unwrap_or(1.0),
        None => 1.0,
    };
    let var = request.var.as_ref().and_then(|v| var_spec(v, &mut errors));
    if let Some(v) = &var {
        let work = v.returns.len().saturating_mul(book.positions.len().max(1));
        if work > MAX_VAR_WORK {
            errors.push(FieldError::new(
                "var.series",
                "too_large",
                format!(
                    "{} returns × {} positions is more revaluation than one request may ask (limit {MAX_VAR_WORK})",
                    v.returns.len(),
                    book.positions.len()
                ),
            ));
        }
    }
    if let Some(e) = too_many("stress", request.stress.len()) {
        errors.push(e);
    }
    let stress: Vec<StressSpec> = request
        .stress
        .iter()
        .take(MAX_ITEMS)
        .enumerate()
        .filter_map(|(i, s)| stress_spec(i, s, &mut errors))
        .collect();
    if let Some(e) = too_many("account.collateral", acc.collateral.len()) {
        errors.push(e);
    }
    let collateral: Vec<CollateralSpec> = acc
        .collateral
        .iter()
        .take(MAX_ITEMS)
        .enumerate()
        .filter_map(|(i, c)| collateral_spec(i, c, &mut errors))
        .collect();
    let total: Decimal = collateral
        .iter()
        .map(|c| c.result.value_after_haircut)
        .sum();
    if total > MAX_NOTIONAL {
        errors.push(FieldError::new(
            "account.collateral",
            "too_large",
            "the collateral's total value is absurdly large (limit 1e18)",
        ));
    }
    let mut imr = Vec::with_capacity(request.markets.len());
    for (i, m) in request.markets.iter().enumerate() {
        let spec = m.initial_margin_model.as_ref().and_then(|input| {
            let path = format!("markets[{i}].initialMarginModel");
            let market = book.markets.get(i)?;
            // Options: the model applies to the delta-equivalent exposure |Δ|·Q·S
            // (crate::options::apply_imr_model), its rate probed at the underlying price; the
            // volatility model may take the option's own implied volatility.
            let (probe, implied) = match &market.option {
                Some(o) => (to_f64(o.underlying_price), Some(o.volatility)),
                None => (to_f64(market.mark_price), None),
            };
            imr_spec(&path, input, sigma, implied, probe, &mut errors)
        });
        imr.push(spec);
    }
    errors.finish(RiskSpec {
        portfolio,
        book_liquidation,
        touch: sigma.map(|s| (s, horizon)),
        var,
        stress,
        collateral,
        imr,
    })
}

// ---------------------------------------------------------------------------------------------
// The book's valuation
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum LegKind {
    /// Linear future/perpetual at `price`.
    Linear { price: f64 },
    /// Inverse future/perpetual at `price` with face value `face = contracts · CS` (USD).
    Inverse { price: f64, face: f64 },
    /// European option priced with Black-76 on `forward`.
    Option {
        kind: OptionKind,
        strike: f64,
        forward: f64,
        /// `ln(forward / strike)`, carried along as prices move (a sum of logarithms rather
        /// than a logarithm per valuation).
        log_moneyness: f64,
        iv: f64,
        years: f64,
        inverse: bool,
    },
}

#[derive(Debug, Clone)]
struct Leg {
    sign: f64,
    /// Units of underlying (`contracts · contractSize`; inverse futures: unused).
    qty: f64,
    entry: f64,
    kind: LegKind,
}

/// The book in `f64` for the risk models: one leg per position, in position order. Every price
/// moves by the factor `x = S'/reference`.
#[derive(Debug, Clone)]
pub struct BookModel {
    /// The reference underlying price.
    pub reference: f64,
    /// Coin-settled book.
    pub inverse: bool,
    legs: Vec<Leg>,
}

/// Black-76 premium per unit (settlement currency) at forward `f` ([`black76_scenario_premium`]:
/// accurate to a few ulps of the forward, as revaluations need), with the option expired
/// (intrinsic value) when `years ≤ 0`.
fn option_premium(
    kind: OptionKind,
    strike: f64,
    f: f64,
    log_moneyness: f64,
    vol: f64,
    years: f64,
    inverse: bool,
) -> f64 {
    option_premium_scaled(
        kind,
        strike,
        f,
        log_moneyness,
        vol * years.sqrt(),
        years,
        inverse,
    )
}

/// [`option_premium`] given `σ√T` (`scaled_vol`, unused when `years ≤ 0`) instead of `σ`: the
/// root search's scan ([`MaintenanceScan`]) forms it once per scenario and leg rather than at
/// every price it tries (one square root per premium fewer; the same operations, so the same
/// bits).
fn option_premium_scaled(
    kind: OptionKind,
    strike: f64,
    f: f64,
    log_moneyness: f64,
    scaled_vol: f64,
    years: f64,
    inverse: bool,
) -> f64 {
    let usd = if years <= 0.0 {
        match kind {
            OptionKind::Call => (f - strike).max(0.0),
            OptionKind::Put => (strike - f).max(0.0),
        }
    } else {
        black76_scenario_premium_ln(kind, f, strike, log_moneyness, scaled_vol)
    };
    if inverse {
        usd / f
    } else {
        usd
    }
}

/// Black-76 delta per unit (`r = 0`), the expired option's `±1` / `0` when `years ≤ 0`.
fn option_delta(kind: OptionKind, strike: f64, forward: f64, iv: f64, years: f64) -> f64 {
    if years <= 0.0 {
        let itm = match kind {
            OptionKind::Call => forward > strike,
            OptionKind::Put => forward < strike,
        };
        if itm {
            kind.sign()
        } else {
            0.0
        }
    } else {
        black76(kind, forward, strike, years, 0.0, iv).map_or(0.0, |g| g.delta)
    }
}

impl BookModel {
    /// The model of a validated book, moves measured from `reference`.
    pub fn new(book: &Book, reference: f64) -> Self {
        Self::of_positions(book, reference, |_| true)
    }

    /// The model of the positions of `book` that `keep` selects (one risk unit), moves measured
    /// from `reference`.
    pub fn of_positions(book: &Book, reference: f64, keep: impl Fn(&Position) -> bool) -> Self {
        let legs = book
            .positions
            .iter()
            .filter(|p| keep(p))
            .map(|p| {
                let m = &book.markets[p.market];
                let qty = to_f64(p.contracts) * to_f64(m.contract_size);
                let kind = match (&m.option, m.settlement) {
                    (Some(o), s) => LegKind::Option {
                        kind: o.kind,
                        strike: to_f64(o.strike),
                        forward: to_f64(o.underlying_price),
                        log_moneyness: (to_f64(o.underlying_price) / to_f64(o.strike)).dln(),
                        iv: o.volatility,
                        years: o.time_years,
                        inverse: s == Settlement::Inverse,
                    },
                    (None, Settlement::Linear) => LegKind::Linear {
                        price: to_f64(m.mark_price),
                    },
                    (None, Settlement::Inverse) => LegKind::Inverse {
                        price: to_f64(m.mark_price),
                        face: qty,
                    },
                };
                Leg {
                    sign: to_f64(p.side.sign()),
                    qty,
                    entry: to_f64(p.entry_price),
                    kind,
                }
            })
            .collect();
        BookModel {
            reference,
            inverse: book
                .markets
                .first()
                .is_some_and(|m| m.settlement == Settlement::Inverse),
            legs,
        }
    }

    /// One leg's P&L at price factor `x` (`ln_x = ln x`).
    fn leg_value(leg: &Leg, x: f64, ln_x: f64, dv: f64, days: f64, conv: VolConvention) -> f64 {
        match leg.kind {
            LegKind::Linear { price } => leg.sign * leg.qty * (price * x - leg.entry),
            LegKind::Inverse { price, face } => {
                leg.sign * face * (1.0 / leg.entry - 1.0 / (price * x))
            }
            LegKind::Option {
                kind,
                strike,
                forward,
                log_moneyness,
                iv,
                years,
                inverse,
            } => {
                let t = years - days / DAYS_PER_YEAR;
                let vol = conv.shocked_vol(iv, dv, t * DAYS_PER_YEAR);
                let prem = option_premium(
                    kind,
                    strike,
                    forward * x,
                    log_moneyness + ln_x,
                    vol,
                    t,
                    inverse,
                );
                leg.sign * leg.qty * (prem - leg.entry)
            }
        }
    }

    /// Book P&L (settlement currency) with every price at `x` times today's, volatilities
    /// shifted by `dv` under `conv`, `days` calendar days later.
    pub fn value(&self, x: f64, dv: f64, days: f64, conv: VolConvention) -> f64 {
        let ln_x = x.dln();
        self.legs
            .iter()
            .map(|l| Self::leg_value(l, x, ln_x, dv, days, conv))
            .sum()
    }

    /// The valuation closure of [`crate::risk`]: `value(S', dv, days)` with `S'` the reference
    /// underlying price.
    pub fn closure(&self, conv: VolConvention) -> impl Fn(f64, f64, f64) -> f64 + '_ {
        move |s, dv, d| self.value(s / self.reference, dv, d, conv)
    }

    /// Position deltas in units of underlying: futures `±Q` (inverse: `±face/P`), options
    /// `±Q·Δ_Black-76`.
    pub fn deltas(&self) -> Vec<f64> {
        self.legs
            .iter()
            .map(|l| match l.kind {
                LegKind::Linear { .. } => l.sign * l.qty,
                LegKind::Inverse { price, face } => l.sign * face / price,
                LegKind::Option {
                    kind,
                    strike,
                    forward,
                    iv,
                    years,
                    ..
                } => l.sign * l.qty * option_delta(kind, strike, forward, iv, years),
            })
            .collect()
    }

    /// [`BookModel::deltas`] of `self.shifted(x, 0, 0)`, without building the shifted book.
    fn shifted_deltas(&self, x: f64) -> impl Iterator<Item = f64> + '_ {
        self.legs.iter().map(move |l| match l.kind {
            LegKind::Linear { .. } => l.sign * l.qty,
            LegKind::Inverse { price, face } => l.sign * face / (price * x),
            LegKind::Option {
                kind,
                strike,
                forward,
                iv,
                years,
                ..
            } => {
                // The legs of `shifted(x, 0, 0)`: forward × x, volatility floored, same expiry.
                let iv = VolConvention::Additive.shocked_vol(iv, 0.0, f64::NAN);
                let years = years - 0.0 / DAYS_PER_YEAR;
                l.sign * l.qty * option_delta(kind, strike, forward * x, iv, years)
            }
        })
    }

    /// Units of underlying held in short options.
    pub fn short_option_units(&self) -> f64 {
        self.legs
            .iter()
            .filter(|l| l.sign < 0.0 && matches!(l.kind, LegKind::Option { .. }))
            .map(|l| l.qty)
            .sum()
    }

    /// The book after a shock: prices × `x`, volatilities `+ vol_add` (additive, floored),
    /// `days` later (an option past its expiry is worth its intrinsic value). Entries held.
    pub fn shifted(&self, x: f64, vol_add: f64, days: f64) -> BookModel {
        let legs = self
            .legs
            .iter()
            .map(|l| {
                let kind = match l.kind {
                    LegKind::Linear { price } => LegKind::Linear { price: price * x },
                    LegKind::Inverse { price, face } => LegKind::Inverse {
                        price: price * x,
                        face,
                    },
                    LegKind::Option {
                        kind,
                        strike,
                        forward,
                        log_moneyness,
                        iv,
                        years,
                        inverse,
                    } => LegKind::Option {
                        kind,
                        strike,
                        forward: forward * x,
                        log_moneyness: log_moneyness + x.dln(),
                        iv: VolConvention::Additive.shocked_vol(iv, vol_add, f64::NAN),
                        years: years - days / DAYS_PER_YEAR,
                        inverse,
                    },
                };
                Leg { kind, ..l.clone() }
            })
            .collect();
        BookModel {
            reference: self.reference * x,
            inverse: self.inverse,
            legs,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Computations
// ---------------------------------------------------------------------------------------------

/// The scenario margin of `model` under `spec` (margin-models.md §5): every scenario revalued
/// with [`BookModel::value`], the minimum delta charge on [`BookModel::deltas`] (in coin for
/// inverse books: deltas ÷ S) and the short-option minimum per unit.
pub fn scenario_margin_of(
    model: &BookModel,
    spec: &PortfolioSpec,
) -> Result<ScenarioMargin, RiskError> {
    let mut deltas = model.deltas();
    if model.inverse {
        for d in &mut deltas {
            *d /= model.reference;
        }
    }
    let inputs = ScanInputs {
        price: model.reference,
        price_scan_range: spec.price_scan_range,
        vol_scan_range: spec.vol_scan_range,
        days_forward: spec.days_forward,
        deltas: Some(&deltas),
        minimum: spec.short_option_minimum * model.short_option_units(),
    };
    scenario_margin(&spec.grid, &inputs, model.closure(spec.grid.vol_convention))
}

/// The option premiums of [`MaintenanceScan`]: what does not depend on the price, sorted out
/// once. The options still alive in a case (`years > 0`) are priced together by
/// [`black76_scenario_premiums_ln`], one leg's cases after another, so that neighbours (the SIMD kernel's
/// pairs) usually take the same branch of the formula; an expired one by
/// `option_premium_scaled` (its intrinsic value).
struct ScanPremiums {
    /// Legs per case (the table's row length).
    legs: usize,
    /// Cases: the base case and every scenario.
    cases: usize,
    /// Per priced element: its place in the table (`case · legs + j`), its case, the leg's
    /// forward, `ln(F/K)` and whether it is coin-settled.
    places: Vec<(usize, usize, f64, f64, bool)>,
    kinds: Vec<OptionKind>,
    strikes: Vec<f64>,
    scaled_vols: Vec<f64>,
    /// Per expired element: its place and case, the leg and the years (≤ 0).
    expired: Vec<(usize, usize, usize, f64)>,
}

impl ScanPremiums {
    /// The elements of `model` with the base case's `σ√T` and years per leg and the
    /// scenarios' (`scaled_vols` row-major by scenario, `years_forward` per leg).
    fn new(
        model: &BookModel,
        base_scaled_vols: &[f64],
        base_years: &[f64],
        scaled_vols: &[f64],
        years_forward: &[f64],
    ) -> Self {
        let legs = model.legs.len();
        let cases = scaled_vols.len().checked_div(legs).unwrap_or(0) + 1;
        let mut this = ScanPremiums {
            legs,
            cases,
            places: Vec::new(),
            kinds: Vec::new(),
            strikes: Vec::new(),
            scaled_vols: Vec::new(),
            expired: Vec::new(),
        };
        for (j, leg) in model.legs.iter().enumerate() {
            let LegKind::Option {
                kind,
                strike,
                forward,
                log_moneyness,
                inverse,
                ..
            } = leg.kind
            else {
                continue;
            };
            for case in 0..cases {
                let (scaled_vol, years) = if case == 0 {
                    (base_scaled_vols[j], base_years[j])
                } else {
                    (scaled_vols[(case - 1) * legs + j], years_forward[j])
                };
                let place = case * legs + j;
                if years <= 0.0 {
                    this.expired.push((place, case, j, years));
                } else {
                    this.places
                        .push((place, case, forward, log_moneyness, inverse));
                    this.kinds.push(kind);
                    this.strikes.push(strike);
                    this.scaled_vols.push(scaled_vol);
                }
            }
        }
        this
    }

    /// The table of premiums at the price factor `x` (`ln_x` its logarithm), with
    /// `factors[case]` the case's `(x2, ln x2)`: entry `case · legs + j` for option leg `j`
    /// (`option_premium_scaled` at the forward `F·x·x2`, the log-moneyness
    /// `(ln(F/K) + ln x) + ln x2`), 0 for the other legs.
    fn at(&self, model: &BookModel, x: f64, ln_x: f64, factors: &[(f64, f64)]) -> Vec<f64> {
        let mut table = vec![0.0; self.cases * self.legs];
        let n = self.places.len();
        let (mut forwards, mut logs, mut usd) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for (e, &(_, case, forward, log_moneyness, _)) in self.places.iter().enumerate() {
            let (x2, ln_x2) = factors[case];
            forwards[e] = forward * x * x2;
            logs[e] = (log_moneyness + ln_x) + ln_x2;
        }
        black76_scenario_premiums_ln(
            &self.kinds,
            &forwards,
            &self.strikes,
            &logs,
            &self.scaled_vols,
            &mut usd,
        );
        for ((&(place, _, _, _, inverse), usd), f) in self.places.iter().zip(usd).zip(forwards) {
            table[place] = if inverse { usd / f } else { usd };
        }
        for &(place, case, j, years) in &self.expired {
            if let LegKind::Option {
                kind,
                strike,
                forward,
                log_moneyness,
                inverse,
                ..
            } = model.legs[j].kind
            {
                let (x2, ln_x2) = factors[case];
                table[place] = option_premium_scaled(
                    kind,
                    strike,
                    forward * x * x2,
                    (log_moneyness + ln_x) + ln_x2,
                    f64::NAN,
                    years,
                    inverse,
                );
            }
        }
        table
    }
}

/// The grid's maintenance margin of one risk unit as a function of the unit's price factor `x`,
/// for the whole-book root search, which asks for it at hundreds of prices: the same
/// arithmetic, in the same order, as `scenario_margin_of(&model.shifted(x, 0, 0), spec)`
/// (so the same numbers, bit for bit; a test checks it), but every scenario's shocked
/// volatilities, which do not depend on the price, are computed once, and no scenario rows,
/// labels or notes are built. Any failure the full computation would report is `NaN`.
struct MaintenanceScan<'a> {
    model: &'a BookModel,
    spec: &'a PortfolioSpec,
    /// `(price move, vol shift, weight)` per scenario.
    scenarios: Vec<(f64, f64, f64)>,
    /// Absolute price scan range (SPAN) or 0.
    price_range: f64,
    /// The option premiums the scan computes at every price: every (option leg, case) pair,
    /// case 0 the base case and `i + 1` scenario `i` ([`ScanPremiums`]).
    premiums: ScanPremiums,
    /// The short-option minimum (constant in the price).
    minimum: f64,
}

impl<'a> MaintenanceScan<'a> {
    fn new(model: &'a BookModel, spec: &'a PortfolioSpec) -> Option<Self> {
        let grid = &spec.grid;
        let price_range = match grid.price_unit {
            PriceUnit::Relative => 0.0,
            PriceUnit::ScanRange => spec.price_scan_range?,
        };
        let vol_range = match grid.vol_unit {
            VolUnit::Literal => 1.0,
            VolUnit::ScanRange => spec.vol_scan_range?,
        };
        let conv = grid.vol_convention;
        let days = spec.days_forward;
        // As `scenario_margin` requires (it refuses the grid otherwise).
        if grid.scenarios.is_empty() || !(price_range >= 0.0 && vol_range >= 0.0 && days >= 0.0) {
            return None;
        }
        // `BookModel::shifted` floors each volatility through the additive convention.
        let held = |iv: f64| VolConvention::Additive.shocked_vol(iv, 0.0, f64::NAN);
        let scenarios: Vec<(f64, f64, f64)> = grid
            .scenarios
            .iter()
            .map(|sc| (sc.price_move, sc.vol_move * vol_range, sc.weight))
            .collect();
        let mut vols = Vec::with_capacity(scenarios.len() * model.legs.len());
        for &(_, dv, _) in &scenarios {
            for leg in &model.legs {
                vols.push(match leg.kind {
                    LegKind::Option { iv, years, .. } => {
                        let t = years - days / DAYS_PER_YEAR;
                        conv.shocked_vol(held(iv), dv, t * DAYS_PER_YEAR)
                    }
                    _ => f64::NAN,
                });
            }
        }
        let base_years: Vec<f64> = model
            .legs
            .iter()
            .map(|leg| match leg.kind {
                LegKind::Option { years, .. } => years - 0.0 / DAYS_PER_YEAR,
                _ => f64::NAN,
            })
            .collect();
        let base_scaled_vols: Vec<f64> = model
            .legs
            .iter()
            .zip(&base_years)
            .map(|(leg, &t)| match leg.kind {
                LegKind::Option { iv, .. } => {
                    conv.shocked_vol(held(iv), 0.0, t * DAYS_PER_YEAR) * t.sqrt()
                }
                _ => f64::NAN,
            })
            .collect();
        let years_forward: Vec<f64> = model
            .legs
            .iter()
            .map(|leg| match leg.kind {
                LegKind::Option { years, .. } => years - days / DAYS_PER_YEAR,
                _ => f64::NAN,
            })
            .collect();
        // σ√T as `option_premium` forms it (`vol * years.sqrt()`), once per scenario and leg.
        for row in vols.chunks_mut(model.legs.len().max(1)) {
            for (vol, t) in row.iter_mut().zip(&years_forward) {
                *vol *= t.sqrt();
            }
        }
        let minimum = spec.short_option_minimum * model.short_option_units();
        (minimum >= 0.0).then_some(MaintenanceScan {
            model,
            spec,
            scenarios,
            price_range,
            premiums: ScanPremiums::new(
                model,
                &base_scaled_vols,
                &base_years,
                &vols,
                &years_forward,
            ),
            minimum,
        })
    }

    /// Book value of the shifted model (prices × `x`) at the scenario factor `x2`, with the
    /// option legs' premiums `premiums[j]` ([`BookModel::leg_value`] on the shifted legs).
    fn value(&self, x: f64, x2: f64, premiums: &[f64]) -> f64 {
        self.model
            .legs
            .iter()
            .zip(premiums)
            .map(|(leg, &prem)| match leg.kind {
                LegKind::Linear { price } => leg.sign * leg.qty * (price * x * x2 - leg.entry),
                LegKind::Inverse { price, face } => {
                    leg.sign * face * (1.0 / leg.entry - 1.0 / (price * x * x2))
                }
                LegKind::Option { .. } => leg.sign * leg.qty * (prem - leg.entry),
            })
            .sum()
    }

    /// Maintenance margin with every price at `x` times today's (NaN where the full
    /// computation fails).
    fn maintenance(&self, x: f64) -> f64 {
        let grid = &self.spec.grid;
        let s = self.model.reference * x;
        if !(s.is_finite() && s > 0.0) {
            return f64::NAN;
        }
        let ln_x = x.dln();
        // The base case, the closure at `s` itself (`s / s` = 1 exactly), then every scenario's
        // factor. Any failure makes the result NaN whatever comes before it, so a price the
        // scenario loop would refuse is refused here, before any premium is computed.
        let mut factors = Vec::with_capacity(self.scenarios.len() + 1);
        factors.push((1.0, 1.0_f64.dln()));
        for &(price_move, _, _) in &self.scenarios {
            let price = match grid.price_unit {
                PriceUnit::Relative => s * (1.0 + price_move),
                PriceUnit::ScanRange => s + price_move * self.price_range,
            };
            if !(price.is_finite() && price > 0.0) {
                return f64::NAN;
            }
            let x2 = price / s;
            factors.push((x2, x2.dln()));
        }
        let legs = self.model.legs.len();
        let premiums = self.premiums.at(self.model, x, ln_x, &factors);
        let base = self.value(x, 1.0, &premiums[..legs]);
        if !base.is_finite() {
            return f64::NAN;
        }
        let mut scan_risk = 0.0;
        for (i, &(_, _, weight)) in self.scenarios.iter().enumerate() {
            let (x2, _) = factors[i + 1];
            let v = self.value(x, x2, &premiums[(i + 1) * legs..(i + 2) * legs]);
            if !v.is_finite() {
                return f64::NAN;
            }
            let loss = -(weight * (v - base));
            if !loss.is_finite() {
                return f64::NAN;
            }
            if loss > scan_risk {
                scan_risk = loss;
            }
        }
        let mut requirement = scan_risk;
        if let Some(rule) = grid.min_delta {
            let mut net = 0.0;
            let mut gross = 0.0;
            for d in self.model.shifted_deltas(x) {
                let d = if self.model.inverse { d / s } else { d };
                if !d.is_finite() {
                    return f64::NAN;
                }
                net += d;
                gross += d.abs();
            }
            let hedged = ((gross - f64::abs(net)) / 2.0).max(0.0);
            let charge = (rule.unhedged * f64::abs(net) + rule.hedged * hedged) * s;
            if !charge.is_finite() {
                return f64::NAN;
            }
            if charge > requirement {
                requirement = charge;
            }
        }
        if self.minimum > requirement {
            requirement = self.minimum;
        }
        grid.maintenance_per_requirement * requirement
    }
}

/// One risk unit of a book: the positions whose markets share an underlying, valued from the
/// unit's own reference price ([`crate::options::unit_reference`]).
#[derive(Debug, Clone)]
pub struct RiskUnit {
    /// The underlying (`None`: markets that name none).
    pub underlying: Option<String>,
    /// Symbols of the unit's positions.
    pub symbols: Vec<String>,
    /// The unit's positions, moves measured from its reference.
    pub model: BookModel,
}

/// The risk units of `book` (OKX portfolio margin: "all derivatives are grouped into risk units
/// based on their underlyings … Margins are calculated per risk-unit", the unit MMRs summed into
/// the portfolio MMR; Deribit's portfolio margin is likewise computed per currency pair;
/// margin-models.md §5 "risk units per underlying"). Markets are grouped by their `underlying`;
/// a book whose positions share one (or name none) is one unit, `whole` itself.
pub fn risk_units(book: &Book, whole: &BookModel) -> Vec<RiskUnit> {
    let names = crate::options::unit_names(book);
    let symbols_of = |u: &Option<String>| -> Vec<String> {
        book.positions
            .iter()
            .map(|p| &book.markets[p.market])
            .filter(|m| m.underlying == *u)
            .map(|m| m.symbol.clone())
            .collect()
    };
    if names.len() < 2 {
        let underlying = names.into_iter().next().flatten();
        return vec![RiskUnit {
            symbols: symbols_of(&underlying),
            underlying,
            model: whole.clone(),
        }];
    }
    names
        .into_iter()
        .map(|u| {
            let reference = crate::options::unit_reference(book, &u).map_or(f64::NAN, to_f64);
            RiskUnit {
                symbols: symbols_of(&u),
                model: BookModel::of_positions(book, reference, |p| {
                    book.markets[p.market].underlying == u
                }),
                underlying: u,
            }
        })
        .collect()
}

/// Each unit's scenario margin under `spec`.
fn units_margin(
    units: &[RiskUnit],
    spec: &PortfolioSpec,
) -> Result<Vec<ScenarioMargin>, RiskError> {
    units
        .iter()
        .map(|u| scenario_margin_of(&u.model, spec))
        .collect()
}

/// Index of the unit with the largest requirement (the first on ties).
fn largest(margins: &[ScenarioMargin]) -> usize {
    let mut k = 0;
    for (i, m) in margins.iter().enumerate() {
        if m.requirement > margins[k].requirement {
            k = i;
        }
    }
    k
}

/// The account's maintenance margin under `spec` after every unit is shocked (prices × `x`,
/// volatilities + `vol_add`, `days` later): the sum of the units' grid maintenance margins
/// (each rounded up) plus other positions' maintenance. `None` beyond the engine's range.
fn units_maintenance(
    units: &[RiskUnit],
    spec: &PortfolioSpec,
    other_mm: Decimal,
    shock: Option<(f64, f64, f64)>,
) -> Option<Decimal> {
    let mut total = other_mm;
    for u in units {
        let m = match shock {
            Some((x, dv, days)) => scenario_margin_of(&u.model.shifted(x, dv, days), spec),
            None => scenario_margin_of(&u.model, spec),
        }
        .ok()?;
        total = total.checked_plus(round_margin(from_f64(m.maintenance_margin)?))?;
    }
    Some(total)
}

/// The scenario grid's account margins of `book` (what-if fills in portfolio mode,
/// [`crate::orders::evaluate_portfolio`]): the book valued from its reference underlying
/// ([`reference_price`]), [`scenario_margin_of`], margins rounded up, other positions'
/// maintenance added. `None` for an empty book or a figure beyond the engine's range.
pub fn grid_figures(book: &Book, spec: &PortfolioSpec) -> Option<crate::orders::GridFigures> {
    let reference = reference_price(book)?;
    let model = BookModel::new(book, to_f64(reference));
    let units = risk_units(book, &model);
    let margins = units_margin(&units, spec).ok()?;
    let mut im = Decimal::ZERO;
    let mut mm = book.account.other_maintenance_margin;
    for m in &margins {
        im = im.checked_plus(round_margin(from_f64(m.initial_margin)?))?;
        mm = mm.checked_plus(round_margin(from_f64(m.maintenance_margin)?))?;
    }
    let k = largest(&margins);
    Some(crate::orders::GridFigures {
        initial_margin: im,
        maintenance_margin: round_margin(mm),
        dominant: if units.len() > 1 {
            format!(
                "{}: {}",
                unit_label(&units[k].underlying),
                margins[k].dominant_label
            )
        } else {
            margins[k].dominant_label.clone()
        },
    })
}

/// Maintenance margin and P&L of the book under the markets' own rules when the book is
/// `model` (a [`BookModel::shifted`] copy of `book`'s). `None` if a figure leaves the engine's
/// range.
fn standard_state(book: &Book, model: &BookModel, fee: Decimal) -> Option<(Decimal, Decimal)> {
    let mut mm = book.account.other_maintenance_margin;
    let mut total_pnl = Decimal::ZERO;
    let limit = Decimal::from(1_000_000_000_000_000_000_000i128);
    for (p, leg) in book.positions.iter().zip(&model.legs) {
        let m = &book.markets[p.market];
        match leg.kind {
            LegKind::Option {
                kind,
                strike,
                forward,
                log_moneyness,
                iv,
                years,
                inverse,
            } => {
                let prem = option_premium(kind, strike, forward, log_moneyness, iv, years, inverse);
                let mark = premium_decimal(prem)?;
                let f = figures_at(m, p, from_f64(forward)?, mark)?;
                mm = mm.checked_plus(f.maintenance_margin)?;
                total_pnl = total_pnl.checked_plus(f.unrealized_pnl)?;
            }
            LegKind::Linear { price } | LegKind::Inverse { price, .. } => {
                let price = from_f64(price).filter(|x| *x > Decimal::ZERO)?;
                let size = p.contracts.checked_times(m.contract_size)?;
                let n = match m.settlement {
                    Settlement::Linear => size.checked_times(price)?,
                    Settlement::Inverse => size.checked_over(price)?,
                };
                if n > limit {
                    return None;
                }
                let basis = match m.margin_basis {
                    MarginBasis::Mark => price,
                    MarginBasis::Entry => p.entry_price,
                };
                mm = mm.checked_plus(maintenance_at(m, p, basis, fee))?;
                total_pnl = total_pnl.checked_plus(pnl(m, p, price))?;
            }
        }
    }
    Some((mm, total_pnl))
}

fn scenario_results(m: &ScenarioMargin) -> Vec<ScenarioResult> {
    m.scenarios
        .iter()
        .map(|s| ScenarioResult {
            label: s.label.clone(),
            price: s.price,
            vol_shift: s.vol_shift,
            weight: s.weight,
            pnl: s.pnl,
            weighted_pnl: s.weighted_pnl,
        })
        .collect()
}

/// The minimum delta charge of `m` with the deltas of `model` behind it.
fn min_delta_result(
    model: &BookModel,
    m: &ScenarioMargin,
    pm: &PortfolioSpec,
) -> Option<MinDeltaResult> {
    m.min_delta.map(|c| {
        let deltas = model.deltas();
        let net: f64 = deltas.iter().sum();
        let gross: f64 = deltas.iter().map(|d| d.abs()).sum();
        let rule = pm.grid.min_delta.unwrap_or(MinDeltaRule {
            unhedged: 0.0,
            hedged: 0.0,
        });
        MinDeltaResult {
            net_delta: net,
            gross_delta: gross,
            hedged_delta: ((gross - net.abs()) / 2.0).max(0.0),
            unhedged_factor: rule.unhedged,
            hedged_factor: rule.hedged,
            charge: c.charge,
        }
    })
}

fn conv_text(c: VolConvention) -> String {
    match c {
        VolConvention::Additive => "additive: σ' = σ + shift".into(),
        VolConvention::Relative => "relative: σ' = σ·(1 + shift)".into(),
        VolConvention::DteScaled {
            pivot_days,
            dte_floor,
            power_short,
            power_long,
        } => format!(
            "DTE-scaled: σ' = σ·(1 + shift·({pivot_days} / max({dte_floor}, DTE))^p), p = {power_short} below {pivot_days} days, {power_long} above", pivot_days = Float(pivot_days), dte_floor = Float(dte_floor), power_short = Float(power_short), power_long = Float(power_long)
        ),
    }
}

fn dec(field: &str, x: f64) -> Result<Decimal, FieldError> {
    from_f64(x).ok_or_else(|| {
        FieldError::new(
            field,
            "out_of_range",
            format!("the result {x} is beyond the engine's range", x = Float(x)),
        )
    })
}

fn fill_touch(bl: &mut BookLiquidation, touch: Option<(f64, f64)>) {
    let Some((sigma, h)) = touch else {
        return;
    };
    let reference = to_f64(bl.reference_price);
    for p in &mut bl.prices {
        let level = to_f64(p.price);
        p.distance_sigmas = distance_sigmas(reference, level, sigma, h).ok();
        p.touch_probability = touch_probability(reference, level, sigma, h, Drift::Martingale)
            .ok()
            .map(|t| t.probability);
    }
    bl.volatility = Some(sigma);
    bl.horizon_days = Some(h);
    bl.touch_model = Some(format!(
        "lognormal price with no drift (dS = σ·S·dW, log drift −σ²/2), σ = {sigma} annualised, horizon {h} days: P(touch) by the first-passage formula of Brownian motion with drift; distance in σ = ln(P/reference) / (σ·√(h/365))", sigma = Float(sigma), h = Float(h)
    ));
}

/// Each position's own liquidation price (isolated, or cross position by position), when it
/// has one: its distance in σ of the horizon move from the position's mark,
/// `ln(LP/P) / (σ·√(h/365))`, and the probability of the mark touching it within the horizon
/// under a driftless lognormal price (margin-models.md §7, [`crate::risk::touch`]), the same
/// model as the whole book's roots; each with a line in the position's breakdown.
fn fill_position_touch(positions: &mut [PositionResult], touch: Option<(f64, f64)>) {
    let Some((sigma, h)) = touch else {
        return;
    };
    for p in positions {
        let Some(price) = p.liquidation.price else {
            continue;
        };
        let (mark, level) = (to_f64(p.mark_price), to_f64(price));
        let Ok(d) = distance_sigmas(mark, level, sigma, h) else {
            continue;
        };
        let already = p.liquidation.already_liquidatable;
        let probability = if already {
            Some(1.0)
        } else {
            touch_probability(mark, level, sigma, h, Drift::Martingale)
                .ok()
                .map(|t| t.probability)
        };
        p.liquidation.distance_sigmas = Some(d);
        p.liquidation.touch_probability = probability;
        p.breakdown.push(Step {
            label: "Distance to liquidation in σ".into(),
            formula: format!(
                "ln({price} / {} (mark)) / (σ {sigma} × √({h} days / 365))",
                p.mark_price,
                sigma = Float(sigma),
                h = Float(h)
            ),
            value: format!("{d}", d = Float(d)),
        });
        if let Some(t) = probability {
            p.breakdown.push(Step {
                label: format!(
                    "Probability of touching it within {h} day{}",
                    if h == 1.0 { "" } else { "s" }, h = Float(h)
                )
                .into(),
                formula: if already {
                    "already at or past the liquidation condition at the mark".into()
                } else {
                    "lognormal price, no drift (dS = σ·S·dW): first-passage probability of ln(S) to ln(LP) (risk::touch)".into()
                },
                value: format!("{t}", t = Float(t)),
            });
        }
    }
}

/// Scan points on each side of the reference in the portfolio-margin root search.
const PORTFOLIO_SCAN_STEPS: usize = 24;

/// Roots of `equity(P) = MM_portfolio(P)`: the grid re-run at every price (book shifted to it).
///
/// `moving: None` moves every risk unit by the same relative amount `P / reference`; with
/// `Some(k)` only unit `k` moves (from its own reference) and every other unit is held, its
/// maintenance margin at today's prices. With one unit both are the whole book.
fn portfolio_book_liquidation(
    book: &Book,
    units: &[RiskUnit],
    moving: Option<usize>,
    reference: f64,
    spec: &PortfolioSpec,
    equity: f64,
) -> Option<BookLiquidation> {
    let moves = |i: usize| moving.is_none_or(|k| k == i);
    let bases: Vec<f64> = units
        .iter()
        .map(|u| u.model.value(1.0, 0.0, 0.0, VolConvention::Additive))
        .collect();
    let other_mm = to_f64(book.account.other_maintenance_margin);
    let held_mm: f64 = units
        .iter()
        .enumerate()
        .filter(|(i, _)| !moves(*i))
        .map(|(_, u)| scenario_margin_of(&u.model, spec).map_or(f64::NAN, |m| m.maintenance_margin))
        .sum();
    let eq = |p: f64| {
        let x = p / reference;
        units
            .iter()
            .enumerate()
            .filter(|(i, _)| moves(*i))
            .fold(equity, |acc, (i, u)| {
                acc + u.model.value(x, 0.0, 0.0, VolConvention::Additive) - bases[i]
            })
    };
    let scans: Option<Vec<MaintenanceScan>> = units
        .iter()
        .enumerate()
        .filter(|(i, _)| moves(*i))
        .map(|(_, u)| MaintenanceScan::new(&u.model, spec))
        .collect();
    let scans = scans?;
    let mm = |p: f64| {
        let x = p / reference;
        scans
            .iter()
            .fold(0.0, |acc, scan| acc + scan.maintenance(x))
            + other_mm
            + held_mm
    };
    // A graded grid: 32 points a side, 0.5 % apart at the reference, ±28 % within the first 15.
    let search = RootSearch {
        min_factor: 1e-3,
        max_factor: 1e2,
        steps_per_side: PORTFOLIO_SCAN_STEPS,
        first_step: 0.005,
        rel_tolerance: 1e-14,
    };
    let r = liquidation_roots(reference, eq, mm, &search).ok()?;
    let reference_d = from_f64(reference)?;
    let mut prices: Vec<BookLiquidationPrice> = r
        .below
        .iter()
        .chain(r.above.iter())
        .filter_map(|root| {
            let below = root.price < reference;
            let price = round_price_against(from_f64(root.price)?, below, None);
            let distance = (price - reference_d)
                .abs()
                .checked_over(reference_d)?
                .checked_times(Decimal::ONE_HUNDRED)?;
            Some(BookLiquidationPrice {
                price,
                direction: if below { "below" } else { "above" }.to_string(),
                distance_percent: round_plain(distance),
                distance_sigmas: None,
                touch_probability: None,
                crossing: Some(
                    match root.crossing {
                        Crossing::IntoLiquidation => "intoLiquidation",
                        Crossing::OutOfLiquidation => "outOfLiquidation",
                    }
                    .to_string(),
                ),
            })
        })
        .collect();
    crate::risk::roots::sort_few_by(&mut prices, |a, b| a.price.cmp(&b.price));
    prices.dedup_by(|a, b| a.price == b.price);
    let what_moves = match (moving, units.len()) {
        (None, 1) => "every market moves by the same relative amount".to_string(),
        (None, _) => "every risk unit's markets move by the same relative amount as the reference, all units together".to_string(),
        (Some(k), _) => format!(
            "risk unit '{}' moves (its markets by the same relative amount as its reference), every other unit held at its prices with its maintenance margin at them",
            unit_label(&units[k].underlying)
        ),
    };
    Some(BookLiquidation {
        reference_price: reference_d,
        below: r.nearest_below.and_then(from_f64).map(|p| round_price_against(p, true, None)),
        above: r.nearest_above.and_then(from_f64).map(|p| round_price_against(p, false, None)),
        prices,
        already_liquidatable: r.liquidatable_at_mark,
        searched_from: round_plain(from_f64(r.searched.0).unwrap_or(Decimal::ZERO)),
        searched_to: round_plain(from_f64(r.searched.1).unwrap_or(Decimal::ZERO)),
        method: format!(
            "roots of equity(P) = MM(P) with MM the {} grid's maintenance margin recomputed at every underlying price P ({what_moves}; options revalued with Black-76, volatility and time held); a {PORTFOLIO_SCAN_STEPS}-point graded geometric scan on each side of the reference over [P/10³, P·10²] (0.5 % steps at the reference, growing outward), each sign change, and each dip towards zero between scan points, refined by Brent's method (risk::roots); roots rounded against the trader",
            spec.grid.id
        ),
        maintenance_basis: Some("portfolio".into()),
        volatility: None,
        horizon_days: None,
        touch_model: None,
        by_risk_unit: None,
        underlying: None,
    })
}

/// Adds the whole-book figures `spec` asks for to `response` (computed by
/// [`crate::account::compute_with`] on `book`, whose wallet already includes the collateral).
pub fn extend(
    book: &Book,
    spec: &RiskSpec,
    original_wallet: Decimal,
    response: &mut Response,
) -> Result<(), InputErrors> {
    let fee = book.account.liquidation_fee_rate.unwrap_or(Decimal::ZERO);
    let Some(reference) = reference_price(book) else {
        return Ok(());
    };
    let model = BookModel::new(book, to_f64(reference));
    let equity = response.account.equity;
    let acc = &mut response.account;

    // Risk units: built only where the grid needs them (portfolio mode).
    let units = match &spec.portfolio {
        Some(_) => risk_units(book, &model),
        None => Vec::new(),
    };
    let several = crate::options::unit_names(book).len() > 1;

    // Portfolio margin.
    if let Some(pm) = &spec.portfolio {
        const P: &str = "account.portfolioMargin";
        let margins =
            units_margin(&units, pm).map_err(|e| InputErrors::one(e.to_field_error(P)))?;
        let k = largest(&margins);
        let m = &margins[k];
        let range = || {
            InputErrors::one(FieldError::new(
                P,
                "out_of_range",
                "the portfolio margin is beyond the engine's range",
            ))
        };
        // Per unit, rounded up; the account's figures are their sums.
        let mut unit_results = Vec::with_capacity(units.len());
        let (mut im, mut mm) = (Decimal::ZERO, Decimal::ZERO);
        for (u, um) in units.iter().zip(&margins) {
            let u_im = round_margin(dec(P, um.initial_margin)?);
            let u_mm = round_margin(dec(P, um.maintenance_margin)?);
            im = im.checked_plus(u_im).ok_or_else(range)?;
            mm = mm.checked_plus(u_mm).ok_or_else(range)?;
            if several {
                unit_results.push(RiskUnitMargin {
                    underlying: unit_label(&u.underlying),
                    reference_price: u.model.reference,
                    symbols: u.symbols.clone(),
                    scenarios: scenario_results(um),
                    scan_risk: um.scan_risk,
                    worst_scenario: um.worst_scenario.map(|i| um.scenarios[i].label.clone()),
                    minimum_delta: min_delta_result(&u.model, um, pm),
                    short_option_minimum: um.minimum,
                    requirement: um.requirement,
                    dominant: um.dominant_label.clone(),
                    initial_margin: u_im,
                    maintenance_margin: u_mm,
                });
            }
        }
        let total_mm = mm
            .checked_plus(book.account.other_maintenance_margin)
            .ok_or_else(range)?;
        let minimum_delta = min_delta_result(&units[k].model, m, pm);
        let mut notes = m.notes.clone();
        if several {
            let names: Vec<String> = units.iter().map(|u| unit_label(&u.underlying)).collect();
            notes.push(format!(
                "Risk units: the markets are grouped by underlying ({}); the grid runs on each unit, its markets moving with the unit's own reference price and independently of the other units, and the account's requirement, IM and MM are the sums over units (OKX portfolio margin: MMR per risk unit, summed; Deribit: per currency pair). The scenario list, scan risk and minimum delta above are those of the unit with the largest requirement, '{}'; riskUnits lists every unit.",
                names.join(", "),
                names[k]
            ));
            notes.push("Futures are revalued linearly (their P&L), options fully with Black-76 (r = 0) at the shocked forward and volatility; within a risk unit every market moves by the same relative amount as the unit's reference underlying.".into());
        } else {
            notes.push("Futures are revalued linearly (their P&L), options fully with Black-76 (r = 0) at the shocked forward and volatility; every market moves by the same relative amount as the reference underlying.".into());
        }
        if model.inverse {
            notes.push("Coin-settled book: scenario P&L, the minimum delta charge and the margins are in coin.".into());
        }
        let dominant = if several {
            format!("{}: {}", unit_label(&units[k].underlying), m.dominant_label)
        } else {
            m.dominant_label.clone()
        };
        acc.portfolio_margin = Some(PortfolioMarginResult {
            grid: m.grid_id.clone(),
            grid_name: pm.grid.name.to_string(),
            as_of: pm.grid.as_of.to_string(),
            source: pm.grid.source.to_string(),
            reference_price: units[k].model.reference,
            price_scan_range: pm.price_scan_range,
            vol_scan_range: pm.vol_scan_range,
            vol_convention: conv_text(pm.grid.vol_convention),
            days_forward: pm.days_forward,
            scenarios: scenario_results(m),
            scan_risk: m.scan_risk,
            worst_scenario: m.worst_scenario.map(|i| m.scenarios[i].label.clone()),
            minimum_delta,
            short_option_minimum: m.minimum,
            requirement: if several {
                margins.iter().map(|x| x.requirement).sum()
            } else {
                m.requirement
            },
            dominant: dominant.clone(),
            initial_per_requirement: pm.grid.initial_per_requirement,
            maintenance_per_requirement: pm.grid.maintenance_per_requirement,
            initial_margin: im,
            maintenance_margin: mm,
            risk_units: several.then_some(unit_results),
            notes,
        });
        acc.margin_mode = AccountMarginMode::Portfolio;
        acc.initial_margin = im;
        acc.maintenance_margin = round_margin(total_mm);
        acc.initial_margin_ratio = im.checked_over(acc.gross_notional).map(round_plain);
        acc.margin_ratio = (equity > Decimal::ZERO)
            .then(|| total_mm.checked_over(equity).map(round_plain))
            .flatten();
        acc.available_balance = round_plain(
            equity
                .checked_minus(im)
                .ok_or_else(range)?
                .max(Decimal::ZERO),
        );
        acc.notes.push(format!(
            "Portfolio margin ({}): the account's initial and maintenance margin come from the scenario grid over the whole book, dominated by '{}'. Each position's own margin figures are its standalone standard margin, shown for reference only.",
            pm.grid.name, dominant
        ));
        if let Some(f) = book.account.liquidation_fee_rate {
            acc.notes.push(format!("Portfolio margin: the closing fee ({f}) is in each position's standalone maintenance margin but not in the grid's requirement."));
        }
        for p in &mut response.positions {
            p.liquidation = Liquidation {
                price: None,
                distance_percent: None,
                tier: None,
                reason: Some(
                    "portfolio margin: the book is liquidated as a whole, see account.bookLiquidation"
                        .into(),
                ),
                already_liquidatable: equity <= total_mm,
                method: "bookRootSearch".into(),
                distance_sigmas: None,
                touch_probability: None,
            };
        }
        acc.book_liquidation =
            portfolio_book_liquidation(book, &units, None, model.reference, pm, to_f64(equity));
        if several {
            if let Some(bl) = &mut acc.book_liquidation {
                bl.by_risk_unit = Some(
                    units
                        .iter()
                        .enumerate()
                        .filter_map(|(i, u)| {
                            let mut l = portfolio_book_liquidation(
                                book,
                                &units,
                                Some(i),
                                u.model.reference,
                                pm,
                                to_f64(equity),
                            )?;
                            l.underlying = Some(unit_label(&u.underlying));
                            Some(l)
                        })
                        .collect(),
                );
            }
        }
    } else if spec.book_liquidation && acc.book_liquidation.is_none() {
        acc.book_liquidation = book_liquidation_from(book, fee, reference);
        if acc.book_liquidation.is_some() {
            acc.notes.push("Book liquidation: every market moves by the same relative amount as the reference (the first position's mark).".into());
        }
    }
    if several && spec.portfolio.is_none() {
        if let Some(bl) = &mut acc.book_liquidation {
            bl.by_risk_unit = book_liquidation_by_unit(book, fee);
        }
    }
    if let Some(bl) = &mut acc.book_liquidation {
        fill_touch(bl, spec.touch);
        for u in bl.by_risk_unit.iter_mut().flatten() {
            fill_touch(u, spec.touch);
        }
    }
    fill_position_touch(&mut response.positions, spec.touch);

    // Collateral.
    if !spec.collateral.is_empty() {
        let value = spec.collateral_value();
        let total = original_wallet + value;
        acc.wallet_balance = original_wallet;
        acc.collateral = Some(CollateralResult {
            assets: spec.collateral.iter().map(|c| c.result.clone()).collect(),
            gross_value: round_plain(spec.collateral.iter().map(|c| c.result.value).sum()),
            value_after_haircuts: round_plain(value),
            total_collateral: round_plain(total),
            collateralisation_ratio: (acc.initial_margin > Decimal::ZERO)
                .then(|| total.checked_over(acc.initial_margin).map(round_plain))
                .flatten(),
        });
        acc.notes.push("Collateral: other assets count at amount × price × (1 − haircut), added to the wallet balance in equity.".into());
    }

    // Stress.
    if !spec.stress.is_empty() {
        let scenarios: Vec<StressScenario> =
            spec.stress.iter().map(|s| s.scenario.clone()).collect();
        let results = stress_test(
            model.reference,
            &scenarios,
            model.closure(VolConvention::Additive),
        )
        .map_err(|e| InputErrors::one(e.to_field_error("stress")))?;
        let mut items = Vec::with_capacity(results.len());
        for (i, (s, r)) in spec.stress.iter().zip(&results).enumerate() {
            let field = format!("stress[{i}]");
            let x = 1.0 + s.scenario.price_move;
            let shifted = model.shifted(x, s.scenario.vol_shift, s.scenario.days_forward);
            let eq = equity.checked_plus(dec(&field, r.pnl)?).ok_or_else(|| {
                FieldError::new(
                    field.clone(),
                    "out_of_range",
                    "the equity after this shock is beyond the engine's range",
                )
            })?;
            let mm = match &spec.portfolio {
                Some(pm) => units_maintenance(
                    &units,
                    pm,
                    book.account.other_maintenance_margin,
                    Some((x, s.scenario.vol_shift, s.scenario.days_forward)),
                ),
                None => standard_state(book, &shifted, fee).map(|(mm, _)| round_margin(mm)),
            };
            let mm = mm.ok_or_else(|| {
                InputErrors::one(FieldError::new(
                    field.clone(),
                    "out_of_range",
                    "the maintenance margin after this shock is beyond the engine's range",
                ))
            })?;
            items.push(StressResultItem {
                name: s.name.clone(),
                price_move_percent: s.percent,
                vol_move: s.scenario.vol_shift,
                days_forward: s.scenario.days_forward,
                price: r.price,
                pnl: r.pnl,
                equity: round_plain(eq),
                maintenance_margin: mm,
                margin_ratio: (eq > Decimal::ZERO)
                    .then(|| mm.checked_over(eq).map(round_plain))
                    .flatten(),
                liquidated: eq <= mm,
            });
        }
        response.stress = Some(StressReport {
            method: format!(
                "every price × (1 + priceMovePercent/100); option volatilities + volMove (additive, floored at {MIN_SHOCKED_VOL}); daysForward calendar days later (an option past expiry is worth its intrinsic value); P&L by full revaluation (Black-76, r = 0); equity = today's equity + P&L; maintenance margin recomputed on the shocked book ({}); liquidated when equity ≤ maintenance margin",
                match &spec.portfolio {
                    Some(pm) => format!("the {} grid", pm.grid.id),
                    None => "the markets' own rules".to_string(),
                }, MIN_SHOCKED_VOL = Float(MIN_SHOCKED_VOL)
            ),
            scenarios: items,
        });
    }

    // VaR.
    if let Some(v) = &spec.var {
        let r = historical_var(
            model.reference,
            &v.returns,
            &v.spec,
            model.closure(VolConvention::Additive),
        )
        .map_err(|e| InputErrors::one(e.to_field_error("var")))?;
        response.var = Some(VarResult {
            confidence: r.alpha,
            var: r.var,
            expected_shortfall: r.es,
            var_convention: r.var_method.clone(),
            es_convention: r.es_method.to_string(),
            default_conventions: v.default_conventions,
            horizon_days: v.horizon_days,
            horizon: r.horizon.clone(),
            scale: r.scale,
            scenarios: r.scenarios,
            observations: v.returns.len(),
            tail_size: r.tail_size.clone(),
            worst_loss: r.worst_loss,
            reference_price: model.reference,
            method: format!(
                "historical simulation with full revaluation: P&L_j = V(S·e^(R_j)) − V(S), every market moved by e^(R_j), volatilities and time held; {} {}; VaR = {} of the losses{}; ES = {}; in the settlement currency",
                v.returns.len(),
                if v.series_format == "prices" {
                    "daily log returns from the pasted prices"
                } else {
                    "daily log returns as pasted"
                },
                r.var_method,
                if v.default_conventions {
                    " (default: the empirical quantile inf{ℓ : F(ℓ) ≥ α}, k = ⌊n(1−α)⌋ + 1 with n(1−α) in exact decimals)"
                } else {
                    ""
                },
                r.es_method
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root search's fast maintenance margin is the full grid computation's, bit for bit,
    /// at prices across the search range, for every shipped grid and for a book holding
    /// futures (linear) and options (calls and puts, short and long, several expiries).
    #[test]
    fn maintenance_scan_is_the_grid_margin_of_the_shifted_book() {
        let text = |grid: &str| {
            format!(
                r#"{{"account":{{"walletBalance":"40000","marginMode":"portfolio","portfolioMargin":{{"grid":"{grid}","priceScanRange":"6000","volScanRange":"0.05","daysForward":"1"}}}},
                "valuationTime":"2025-06-01T08:00:00Z",
                "markets":[{{"symbol":"PERP","markPrice":"60000","margin":{{"type":"fixed","maintenanceMarginRate":"0.005"}}}},
                  {{"symbol":"C","kind":"option","optionType":"call","strike":"65000","expiry":"2025-06-27T08:00:00Z","underlyingPrice":"60000","impliedVolatility":"0.6","margin":{{"type":"standardOption","initialRate":"0.15","initialFloorRate":"0.1","maintenanceRate":"0.075"}}}},
                  {{"symbol":"P","kind":"option","optionType":"put","strike":"50000","expiry":"2025-12-26T08:00:00Z","underlyingPrice":"60000","impliedVolatility":"0.7","margin":{{"type":"standardOption","initialRate":"0.15","initialFloorRate":"0.1","maintenanceRate":"0.075"}}}}],
                "positions":[{{"symbol":"PERP","side":"long","size":"0.5","entryPrice":"59000","leverage":"10"}},
                  {{"symbol":"C","side":"short","size":"2","entryPrice":"1500"}},
                  {{"symbol":"P","side":"long","size":"1","entryPrice":"2400"}}]}}"#
            )
        };
        for grid in ["span16", "paradex", "okx"] {
            let request = crate::parse_json_request(&text(grid)).expect("request");
            let book = request.validate().expect("book");
            let risk = validate(&request, &book).expect("risk");
            let spec = risk.portfolio.as_ref().expect("portfolio");
            let model = BookModel::new(&book, 60000.0);
            let scan = MaintenanceScan::new(&model, spec).expect("scan");
            for x in [0.001, 0.3, 0.71, 0.999, 1.0, 1.013, 1.6, 7.0, 99.0] {
                // Where the full computation refuses (a SPAN scenario below zero), NaN.
                let full = scenario_margin_of(&model.shifted(x, 0.0, 0.0), spec)
                    .map_or(f64::NAN, |m| m.maintenance_margin);
                assert_eq!(
                    scan.maintenance(x).to_bits(),
                    full.to_bits(),
                    "{grid} at x = {x}"
                );
            }
        }
    }
}
