//! Option positions inside [`crate::calculate`]: valuation (Black-76 on the underlying forward,
//! `r = 0`; coin premium `= USD premium / F` for inverse options, margin-models.md §4), the
//! standard option margin of [`crate::rules::options`], per-position figures and Greeks, and the
//! liquidation price(s) of a whole book holding options: the roots of `equity(P) = MM(P)` in the
//! underlying price, every option revalued at each price with its volatility and time to expiry
//! held (margin-models.md §7), found by [`crate::risk::roots::liquidation_roots`].
//!
//! Conventions:
//! - Sizes: `Q = contracts × contractSize` units of underlying.
//! - Premiums (entry and mark) are per unit of underlying in the settlement currency (USD for
//!   linear, coin for inverse).
//! - `walletBalance` is the collateral before the listed positions' premiums changed hands; an
//!   option's value enters equity through its unrealised PnL `s·Q·(mark − entry)`, as a future's
//!   does. (Equivalently: cash after premiums, plus long options' value, minus short options'.)

use crate::account::{maintenance_at, pnl};
use crate::instrument::{Book, MarginBasis, Market, OptionSpec, Position, Settlement};
use crate::money::DecimalOps;
use crate::money::{from_f64, round_margin, round_plain, round_price_against, to_f64, Float};
use crate::portfolio::ImrSpec;
use crate::pricing::{black76, black76_price, inverse_black76, PricingError};
use crate::request::premium_decimal;
use crate::response::{
    BookLiquidation, BookLiquidationPrice, GreeksResult, ImrSource, Liquidation, OptionResult,
    PositionResult, Step,
};
use crate::risk::imr::{delta_equivalent_charge, ImrInputs};
use crate::risk::roots::{liquidation_roots, RootSearch};
use crate::rules::{MarginRule, OptionRule, UnitInputs, UnitMargin};
use rust_decimal::Decimal;

/// Premium per unit of underlying in the settlement currency at underlying (forward) price
/// `forward`, volatility and time held: Black-76 with `r = 0` (Black 1976), divided by `F` for
/// inverse options (Deribit "Inverse options"; margin-models.md §4).
pub fn premium_at(
    spec: &OptionSpec,
    settlement: Settlement,
    forward: f64,
) -> Result<f64, PricingError> {
    let k = to_f64(spec.strike);
    match settlement {
        Settlement::Linear => {
            black76_price(spec.kind, forward, k, spec.time_years, 0.0, spec.volatility)
        }
        Settlement::Inverse => {
            black76_price(spec.kind, forward, k, spec.time_years, 0.0, spec.volatility)
                .map(|p| p / forward)
        }
    }
}

/// The figures of one option position at an underlying price `underlying` and mark premium
/// `mark` (settlement currency per unit).
#[derive(Debug, Clone, Default)]
pub struct OptionFigures {
    /// Per-unit margin and its formulas.
    pub unit: Option<UnitMargin>,
    /// `Q = contracts × contractSize`.
    pub quantity: Decimal,
    /// `Q × IM per unit`.
    pub initial_margin: Decimal,
    /// `Q × MM per unit`.
    pub maintenance_margin: Decimal,
    /// `s · Q · (mark − entry)`.
    pub unrealized_pnl: Decimal,
    /// Notional in the settlement currency: `Q · S` (linear), `Q` coin (inverse).
    pub notional: Decimal,
    /// Notional in USD, `Q · S`.
    pub notional_usd: Decimal,
    /// Where the initial margin comes from when a dynamic model applies to the option's
    /// delta-equivalent exposure ([`apply_imr_model`]); `None` for the standard rule alone.
    pub imr_source: Option<ImrSource>,
}

fn rule_of(market: &Market) -> Option<&OptionRule> {
    match &market.rule {
        MarginRule::StandardOption(r) => Some(r),
        _ => None,
    }
}

/// Figures of `position` in option `market` at `underlying` with mark premium `mark`: per-unit
/// margin from [`OptionRule::unit_margin`] times `Q`; PnL `s·Q·(mark − entry)`. Checked: `None`
/// if a product leaves `Decimal`'s range.
pub fn figures_at(
    market: &Market,
    position: &Position,
    underlying: Decimal,
    mark: Decimal,
) -> Option<OptionFigures> {
    let spec = market.option.as_ref()?;
    let rule = rule_of(market)?;
    let inverse = market.settlement == Settlement::Inverse;
    let unit = rule.unit_margin(&UnitInputs {
        kind: spec.kind,
        long: position.side.is_long(),
        underlying,
        strike: spec.strike,
        mark,
        entry: position.entry_price,
        inverse,
    })?;
    let q = position.contracts.checked_times(market.contract_size)?;
    let notional_usd = q.checked_times(underlying)?;
    Some(OptionFigures {
        initial_margin: q.checked_times(unit.initial)?,
        maintenance_margin: q.checked_times(unit.maintenance)?,
        unrealized_pnl: position.side.sign()
            * q.checked_times(mark.checked_minus(position.entry_price)?)?,
        notional: if inverse { q } else { notional_usd },
        notional_usd,
        quantity: q,
        unit: Some(unit),
        imr_source: None,
    })
}

/// Figures at the market's own underlying price and mark.
pub fn figures(market: &Market, position: &Position) -> Option<OptionFigures> {
    let spec = market.option.as_ref()?;
    figures_at(market, position, spec.underlying_price, market.mark_price)
}

/// The Black-76 delta per unit (`∂V_USD/∂F`, `r = 0`) of an option market at its underlying
/// price, volatility and time to expiry. Coin-settled options use the same USD delta (not the
/// premium-adjusted one): the delta-equivalent exposure is in units of the underlying.
pub fn unit_delta(market: &Market) -> Option<f64> {
    let o = market.option.as_ref()?;
    black76(
        o.kind,
        to_f64(o.underlying_price),
        to_f64(o.strike),
        o.time_years,
        0.0,
        o.volatility,
    )
    .ok()
    .map(|g| g.delta)
}

/// A dynamic model's initial margin of `quantity` units of a **short** option, on its
/// delta-equivalent exposure (margin-models.md §3: "a margin model that uses delta-equivalent
/// exposure charges `|Δ|·N`"):
///
/// `IM_model = rate(|Δ|·Q) · |Δ|·Q·S + Q·mark` (linear, USD); coin-settled `rate · |Δ|·Q +
/// Q·mark_coin` (the USD charge divided by `S`).
///
/// The model's rate replaces the standard rule's risk term `max(a·S − OTM, b·S)` (a rate on the
/// option's full underlying notional, margin-models.md §4) by a rate on the notional a future of
/// the same delta would hold; the mark premium (the cost of buying the option back) is added
/// as every venue's option rule adds it. The charge is model math (a rate and a delta, `f64`,
/// [`delta_equivalent_charge`]) converted once at [`from_f64`]; the premium is exact. Returns
/// `(IM_model, delta charge, the model's rate, the exposure in the settlement currency)`, `None`
/// if the model refuses the inputs or a figure leaves the engine's range.
fn model_initial_margin(
    market: &Market,
    spec: &ImrSpec,
    delta: f64,
    quantity: Decimal,
) -> Option<(Decimal, Decimal, crate::risk::imr::ImrRate, f64)> {
    let o = market.option.as_ref()?;
    let s = to_f64(o.underlying_price);
    let inputs = ImrInputs {
        size: to_f64(quantity),
        price: s,
        open_interest: spec.open_interest,
        sigma: spec.sigma,
    };
    let (rate, exposure, charge_usd) = delta_equivalent_charge(&spec.model, &inputs, delta).ok()?;
    // Coin-settled: the USD charge and exposure divided by S.
    let per = match market.settlement {
        Settlement::Linear => 1.0,
        Settlement::Inverse => s,
    };
    let charge = from_f64(charge_usd / per)?.max(Decimal::ZERO);
    let premium = quantity.checked_times(market.mark_price.max(Decimal::ZERO))?;
    Some((
        charge.checked_plus(premium)?,
        charge,
        rate,
        exposure.notional / per,
    ))
}

/// Applies a dynamic initial-margin model to an option position (margin-models.md §3):
/// a short option's initial margin becomes `max(standard rule's IM, IM_model)` with `IM_model`
/// the delta-equivalent charge plus premium of [`model_initial_margin`]; a long option keeps
/// its premium (the most it can lose), the model being evaluated and shown but not applied.
/// Maintenance margin is the rule's either way (the models set initial rates only). Records
/// the binding rule, the delta and the exposure in `f.imr_source`.
pub fn apply_imr_model(
    market: &Market,
    position: &Position,
    f: &mut OptionFigures,
    spec: &ImrSpec,
) {
    let Some(o) = market.option.as_ref() else {
        return;
    };
    let Some(delta) = unit_delta(market) else {
        return;
    };
    let Some((model_im, charge, rate, exposure)) =
        model_initial_margin(market, spec, delta, f.quantity)
    else {
        return;
    };
    let rule_im = f.initial_margin;
    let long = position.side.is_long();
    let (im, rule) = if long {
        (
            rule_im,
            format!("{}: long option, the premium binds (a long option can lose at most its premium; the delta charge is not applied)", rate.rule),
        )
    } else if model_im > rule_im {
        (
            model_im,
            format!(
                "{}: delta-equivalent charge rate·|Δ|·Q·S + Q·mark",
                rate.rule
            ),
        )
    } else {
        (
            rule_im,
            format!("{} (delta-equivalent charge + premium below the standard option rule: the rule binds)", rate.rule),
        )
    };
    f.initial_margin = im;
    let ratio = |x: Decimal| {
        x.checked_over(f.notional)
            .map_or(Decimal::ZERO, round_plain)
    };
    let mut source = spec.source(&rate, Decimal::ZERO);
    let unit_price = match market.settlement {
        Settlement::Linear => o.underlying_price.to_string(),
        Settlement::Inverse => "1 (coin-settled: the USD charge / S)".to_string(),
    };
    source.rule = rule.into();
    source.formula = format!(
        "{}; IM = max(rule IM {}, rate {} × |Δ| {} × Q {} × S {} + Q × mark {}) = max({}, {}) = {}",
        rate.formula,
        round_margin(rule_im),
        Float(rate.rate),
        Float(delta.abs()),
        f.quantity,
        unit_price,
        market.mark_price,
        round_margin(rule_im),
        round_margin(model_im),
        round_margin(im),
    );
    source.rate = ratio(im);
    source.rule_rate = Some(ratio(rule_im));
    source.source = format!(
        "margin-models.md §3 (delta-equivalent exposure |Δ|·N; the model's rate on the size |Δ|·Q) with {}; premium and standard rule margin-models.md §4",
        rate.source
    )
    .into();
    for (k, v) in [
        ("delta", delta),
        ("quantity", to_f64(f.quantity)),
        (
            "deltaEquivalentSize",
            delta.abs().min(1.0) * to_f64(f.quantity),
        ),
        ("deltaEquivalentNotional", exposure),
        ("underlyingPrice", to_f64(o.underlying_price)),
        ("markPremium", to_f64(market.mark_price)),
        ("deltaCharge", to_f64(charge)),
        ("modelInitialMargin", to_f64(model_im)),
        ("ruleInitialMargin", to_f64(rule_im)),
    ] {
        source.inputs.insert(k, v);
    }
    f.imr_source = Some(source);
}

/// Contracts of a short option that can still be added under a dynamic model: the largest `x`
/// with `IM(c + x) − IM(c) ≤ available`, `IM(q) = max(q·IM_unit, IM_model(q))` non-decreasing in
/// `q` (every model's rate is non-decreasing in size). A doubling search brackets the answer,
/// bisection in exact decimals finds it, rounded down to 8 places.
fn max_additional_with_model(
    market: &Market,
    position: &Position,
    unit_initial: Decimal,
    spec: &ImrSpec,
    available: Decimal,
) -> Decimal {
    let Some(delta) = unit_delta(market) else {
        return Decimal::ZERO;
    };
    let im = |contracts: Decimal| -> Option<Decimal> {
        let q = contracts.checked_times(market.contract_size)?;
        let rule = q.checked_times(unit_initial)?;
        let (model, ..) = model_initial_margin(market, spec, delta, q)?;
        Some(rule.max(model))
    };
    let Some(current) = im(position.contracts) else {
        return Decimal::ZERO;
    };
    let limit = crate::money::max_input();
    let fits = |x: Decimal| {
        position
            .contracts
            .checked_plus(x)
            .and_then(im)
            .and_then(|v| v.checked_minus(current))
            .is_some_and(|inc| inc <= available)
    };
    if available <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let mut lo = Decimal::ZERO;
    let mut hi = Decimal::ONE;
    while fits(hi) {
        lo = hi;
        match hi.checked_times(Decimal::TWO) {
            Some(h) if h <= limit => hi = h,
            _ => return limit.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero),
        }
    }
    for _ in 0..200 {
        if hi - lo < Decimal::new(1, 9) {
            break;
        }
        let mid = (lo + hi) / Decimal::TWO;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero)
        .normalize()
}

fn greeks_of(g: &crate::pricing::Greeks, scale: f64) -> GreeksResult {
    GreeksResult {
        delta: g.delta * scale,
        gamma: g.gamma * scale,
        vega: g.vega * scale,
        theta: g.theta * scale,
    }
}

const UNITS: &str = "premiums and margins per unit of underlying in the settlement currency (USD linear, coin inverse); Greeks in USD: delta ∂V/∂S and gamma ∂²V/∂S² with respect to the underlying (forward) price, vega per 1.00 of volatility (÷100 for one vol point), theta per year (÷365 for one day); positionGreeks = per-unit Greeks × side × Q";

/// The per-position result of an option position. `rest` is what backs the position apart from
/// its own PnL (the account's equity minus every other position's maintenance margin).
pub fn position_result(
    market: &Market,
    position: &Position,
    f: &OptionFigures,
    rest: Decimal,
    available: Decimal,
    model: Option<&ImrSpec>,
) -> PositionResult {
    let spec = market.option.as_ref();
    let mark = market.mark_price;
    let equity_here = rest + f.unrealized_pnl;
    let mut breakdown = Vec::new();
    let option = spec.map(|spec| {
        let s = to_f64(spec.underlying_price);
        let k = to_f64(spec.strike);
        let g = black76(spec.kind, s, k, spec.time_years, 0.0, spec.volatility).ok();
        let inv = (market.settlement == Settlement::Inverse)
            .then(|| inverse_black76(spec.kind, s, k, spec.time_years, 0.0, spec.volatility).ok())
            .flatten();
        let signed_q = to_f64(position.side.sign() * f.quantity);
        let nan = GreeksResult {
            delta: f64::NAN,
            gamma: f64::NAN,
            vega: f64::NAN,
            theta: f64::NAN,
        };
        let unit = f.unit.clone();
        let mark_usd = match market.settlement {
            Settlement::Linear => mark,
            Settlement::Inverse => mark
                .checked_times(spec.underlying_price)
                .unwrap_or(Decimal::MAX),
        };
        breakdown.push(Step {
            label: "Time to expiry".into(),
            formula: format!(
                "({} − {}) in minutes / (365 × 24 × 60), ACT/365",
                spec.expiry, spec.valuation_time
            ),
            value: format!("{:.10}", Float(spec.time_years)),
        });
        breakdown.push(Step {
            label: "Mark premium".into(),
            formula: match spec.volatility_source {
                crate::instrument::VolatilitySource::Given => format!(
                    "Black-76({}, F {}, K {}, T, σ {}, r 0){}",
                    spec.kind,
                    spec.underlying_price,
                    spec.strike,
                    Float(spec.volatility),
                    if market.settlement == Settlement::Inverse {
                        " / F"
                    } else {
                        ""
                    }
                ),
                crate::instrument::VolatilitySource::ImpliedFromMark => format!(
                    "given; implied volatility {:.10} (Jäckel, \"Let's Be Rational\")",
                    Float(spec.volatility)
                ),
            },
            value: mark.to_string(),
        });
        if let Some(u) = &unit {
            breakdown.push(Step {
                label: "Initial margin per unit".into(),
                formula: u.initial_formula.clone(),
                value: round_margin(u.initial).to_string(),
            });
            breakdown.push(Step {
                label: "Maintenance margin per unit".into(),
                formula: u.maintenance_formula.clone(),
                value: round_margin(u.maintenance).to_string(),
            });
        }
        OptionResult {
            option_type: spec.kind.as_str().to_string(),
            strike: spec.strike,
            expiry: spec.expiry.clone(),
            valuation_time: spec.valuation_time.clone(),
            time_to_expiry_years: spec.time_years,
            underlying_price: spec.underlying_price,
            volatility: spec.volatility,
            volatility_source: spec.volatility_source,
            mark_premium: mark,
            mark_premium_usd: round_plain(mark_usd),
            otm_amount: crate::rules::options::otm_usd(
                spec.kind,
                spec.underlying_price,
                spec.strike,
            ),
            greeks: g.as_ref().map_or(nan.clone(), |g| greeks_of(g, 1.0)),
            position_greeks: g.as_ref().map_or(nan, |g| greeks_of(g, signed_q)),
            delta_premium_adjusted: inv.map(|i| i.delta_coin_premium_adjusted),
            initial_margin_per_unit: unit
                .as_ref()
                .map_or(Decimal::ZERO, |u| round_margin(u.initial)),
            maintenance_margin_per_unit: unit
                .as_ref()
                .map_or(Decimal::ZERO, |u| round_margin(u.maintenance)),
            units: UNITS.to_string(),
        }
    });
    breakdown.push(Step {
        label: "Margin".into(),
        formula: format!("Q {} × per-unit initial / maintenance", f.quantity),
        value: format!(
            "IM {} / MM {}",
            round_margin(f.initial_margin),
            round_margin(f.maintenance_margin)
        ),
    });
    breakdown.push(Step {
        label: "Unrealised PnL".into(),
        formula: format!(
            "{} × {} × ({} − {})",
            position.side.sign(),
            f.quantity,
            mark,
            position.entry_price
        ),
        value: round_plain(f.unrealized_pnl).to_string(),
    });
    // Contracts that can still be added: available / initial margin per contract.
    let per_contract = f
        .unit
        .as_ref()
        .and_then(|u| u.initial.checked_times(market.contract_size));
    let max_additional = match (model, &f.unit) {
        (Some(spec), Some(u)) if !position.side.is_long() => {
            max_additional_with_model(market, position, u.initial, spec, available)
        }
        _ => per_contract
            .filter(|x| *x > Decimal::ZERO)
            .and_then(|x| available.max(Decimal::ZERO).checked_over(x))
            .unwrap_or(Decimal::ZERO)
            .min(crate::money::max_input())
            .round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero)
            .normalize(),
    };
    // Margin as a fraction of notional, for display (the rule is not a rate on notional).
    let ratio = |x: Decimal| x.checked_over(f.notional);
    PositionResult {
        symbol: market.symbol.clone(),
        side: position.side,
        settlement: market.settlement,
        size: position.contracts,
        quantity: round_plain(f.quantity),
        entry_price: position.entry_price,
        mark_price: mark,
        index_price: None,
        mark_index_basis_percent: None,
        notional: round_plain(f.notional),
        notional_quote: round_plain(f.notional_usd),
        leverage: None,
        initial_margin_rate: ratio(f.initial_margin).map_or(Decimal::ZERO, round_plain),
        initial_margin: round_margin(f.initial_margin),
        maintenance_margin_rate: ratio(f.maintenance_margin).map_or(Decimal::ZERO, round_plain),
        maintenance_amount: Decimal::ZERO,
        maintenance_margin: round_margin(f.maintenance_margin),
        maintenance_margin_ratio: (equity_here > Decimal::ZERO)
            .then(|| f.maintenance_margin.checked_over(equity_here))
            .flatten()
            .map(round_plain),
        tier: None,
        unrealized_pnl: round_plain(f.unrealized_pnl),
        isolated_margin: None,
        bankruptcy_price: None,
        liquidation: Liquidation {
            price: None,
            distance_percent: None,
            tier: None,
            reason: Some(
                "an option is liquidated with the whole book: see account.bookLiquidation".into(),
            ),
            already_liquidatable: equity_here <= f.maintenance_margin,
            method: "bookRootSearch".into(),
            distance_sigmas: None,
            touch_probability: None,
        },
        max_additional_size: max_additional,
        breakdown,
        option,
        imr_source: f.imr_source.clone().or_else(|| {
            f.unit.as_ref().map(|u| ImrSource {
                model: "standardOption".into(),
                rule: if position.side.is_long() {
                    "long: premium".into()
                } else {
                    "short: max(a·S − OTM, b·S) + mark, at least MM".into()
                },
                formula: u.initial_formula.clone(),
                rate: ratio(f.initial_margin).map_or(Decimal::ZERO, round_plain),
                inputs: [
                    (
                        "underlyingPrice",
                        spec.map_or(f64::NAN, |s| to_f64(s.underlying_price)),
                    ),
                    ("strike", spec.map_or(f64::NAN, |s| to_f64(s.strike))),
                    ("markPremium", to_f64(mark)),
                    ("quantity", to_f64(f.quantity)),
                ]
                .into_iter()
                .filter(|(_, v)| v.is_finite())
                .collect(),
                source: "margin-models.md §4 (standard option margin, per unit of underlying)"
                    .into(),
                rule_rate: None,
                volatility: None,
            })
        }),
    }
}

/// The price of `market` when the reference underlying is at `x` times its current value: every
/// market moves by the same relative amount (one underlying, or perfectly correlated ones).
fn base_price(market: &Market) -> Decimal {
    market
        .option
        .as_ref()
        .map_or(market.mark_price, |o| o.underlying_price)
}

/// Largest notional a futures term of the search may reach before it counts as out of range.
fn notional_limit() -> Decimal {
    Decimal::from(1_000_000_000_000_000_000_000_000i128)
}

/// Equity minus maintenance margin of the whole book when the reference underlying is at
/// `factor` × its current price, exact except for the option premiums (model math, `f64`,
/// converted at [`premium_decimal`]):
///
/// `W − TMM1 + UPNL1 + Σ_futures [PnL(P_m) − MM(P_m)] + Σ_options [s·Q·(V(F_m) − EP) − Q·MM_unit]`
///
/// with `P_m = price_m · factor`, futures margin as in [`crate::account`] (tier at that notional;
/// entry-basis markets at the entry price) and option margin at the revalued mark.
/// `None` if any term leaves the engine's range.
pub fn book_surplus(book: &Book, fee: Decimal, factor: Decimal) -> Option<Decimal> {
    book_surplus_moving(book, fee, factor, None)
}

/// [`book_surplus`] with only the markets of one risk unit moving (`moving: Some(underlying)`;
/// the other markets held at their prices), or every market (`None`).
pub fn book_surplus_moving(
    book: &Book,
    fee: Decimal,
    factor: Decimal,
    moving: Option<&Option<String>>,
) -> Option<Decimal> {
    let a = &book.account;
    let mut total = a
        .wallet_balance
        .checked_minus(a.other_maintenance_margin)?
        .checked_plus(a.other_unrealized_pnl)?;
    for p in &book.positions {
        let m = &book.markets[p.market];
        let price = if moving.is_none_or(|u| *u == m.underlying) {
            base_price(m).checked_times(factor)?
        } else {
            base_price(m)
        };
        if price <= Decimal::ZERO {
            return None;
        }
        let term = match &m.option {
            Some(spec) => {
                let v = premium_at(spec, m.settlement, to_f64(price)).ok()?;
                let mark = premium_decimal(v)?;
                let f = figures_at(m, p, price, mark)?;
                f.unrealized_pnl.checked_minus(f.maintenance_margin)?
            }
            None => {
                let size = p.contracts.checked_times(m.contract_size)?;
                let n = match m.settlement {
                    Settlement::Linear => size.checked_times(price)?,
                    Settlement::Inverse => size.checked_over(price)?,
                };
                if n > notional_limit() {
                    return None;
                }
                let mm = match m.margin_basis {
                    MarginBasis::Mark => maintenance_at(m, p, price, fee),
                    MarginBasis::Entry => maintenance_at(m, p, p.entry_price, fee),
                };
                pnl(m, p, price).checked_minus(mm)?
            }
        };
        total = total.checked_plus(term)?;
    }
    Some(total)
}

/// Grid points of the root scan on each side of the reference (graded geometric, from
/// `reference / 10⁴` to `reference · 10³`: 0.25 % apart at the reference, within 4 % out to
/// ±39 %, coarser beyond; see [`crate::risk::roots`], which also looks between points where
/// the surplus dips towards zero).
pub const SCAN_STEPS: usize = 64;

/// The liquidation price(s) of a book holding options: every root of
/// [`book_surplus`]`(P) = 0` for the reference underlying `P` in `[P₀/10⁴, P₀·10³]`, found by
/// [`liquidation_roots`] (scan, then Brent's method to `f64` precision), rounded against the trader (a
/// root below `P₀` up, one above down, to 10 places). `None` when the book holds no option.
pub fn book_liquidation(book: &Book, fee: Decimal) -> Option<BookLiquidation> {
    let reference = book
        .markets
        .iter()
        .find_map(|m| m.option.as_ref().map(|o| o.underlying_price))?;
    book_liquidation_from(book, fee, reference)
}

/// The underlying price a whole-book computation measures moves from: the first option
/// market's underlying, else the mark of the first position's market. `None` for an empty book.
pub fn reference_price(book: &Book) -> Option<Decimal> {
    book.markets
        .iter()
        .find_map(|m| m.option.as_ref().map(|o| o.underlying_price))
        .or_else(|| {
            book.positions
                .first()
                .map(|p| base_price(&book.markets[p.market]))
        })
}

/// [`book_liquidation`] for any book (futures only included), measured from `reference`
/// (see [`reference_price`]).
pub fn book_liquidation_from(
    book: &Book,
    fee: Decimal,
    reference: Decimal,
) -> Option<BookLiquidation> {
    book_liquidation_moving(book, fee, reference, None)
}

/// The risk units of a book: the distinct `underlying` of its positions' markets, in position
/// order (`None`: markets that name none).
pub fn unit_names(book: &Book) -> Vec<Option<String>> {
    let mut names: Vec<Option<String>> = Vec::new();
    for p in &book.positions {
        let u = &book.markets[p.market].underlying;
        if !names.contains(u) {
            names.push(u.clone());
        }
    }
    names
}

/// The price a risk unit's moves are measured from: its first option market's underlying
/// price, else its first position's mark (as [`reference_price`] for the whole book).
pub fn unit_reference(book: &Book, unit: &Option<String>) -> Option<Decimal> {
    book.markets
        .iter()
        .filter(|m| m.underlying == *unit)
        .find_map(|m| m.option.as_ref().map(|o| o.underlying_price))
        .or_else(|| {
            book.positions
                .iter()
                .map(|p| &book.markets[p.market])
                .find(|m| m.underlying == *unit)
                .map(base_price)
        })
}

/// The shown name of a risk unit.
#[inline(never)]
pub fn unit_label(unit: &Option<String>) -> String {
    unit.clone().unwrap_or_else(|| "unnamed".to_string())
}

/// Books of several risk units under the markets' own rules: each unit's roots of
/// `equity = MM` with that unit's markets moving from its [`unit_reference`] and every other
/// market held at its price. `None` for a book of one unit.
pub fn book_liquidation_by_unit(book: &Book, fee: Decimal) -> Option<Vec<BookLiquidation>> {
    let names = unit_names(book);
    if names.len() < 2 {
        return None;
    }
    Some(
        names
            .iter()
            .filter_map(|u| {
                let reference = unit_reference(book, u)?;
                let mut l = book_liquidation_moving(book, fee, reference, Some(u))?;
                l.underlying = Some(unit_label(u));
                Some(l)
            })
            .collect(),
    )
}

fn book_liquidation_moving(
    book: &Book,
    fee: Decimal,
    reference: Decimal,
    moving: Option<&Option<String>>,
) -> Option<BookLiquidation> {
    let p0 = to_f64(reference);
    let surplus = |p: f64| -> f64 {
        from_f64(p / p0)
            .and_then(|x| book_surplus_moving(book, fee, x, moving))
            .map_or(f64::NAN, to_f64)
    };
    let search = RootSearch {
        min_factor: 1e-4,
        max_factor: 1e3,
        steps_per_side: SCAN_STEPS,
        first_step: 0.0025,
        rel_tolerance: 4.0 * f64::EPSILON,
    };
    let (lo, hi) = (p0 * search.min_factor, p0 * search.max_factor);
    let mut roots: Vec<f64> = match liquidation_roots(p0, surplus, |_| 0.0, &search) {
        Ok(r) => r
            .below
            .iter()
            .chain(&r.above)
            .map(|root| root.price)
            .collect(),
        // Not finite at the reference: no root can be bracketed from it.
        Err(_) => Vec::new(),
    };
    crate::risk::roots::sort_floats(&mut roots);
    let already = book_surplus(book, fee, Decimal::ONE).is_none_or(|s| s <= Decimal::ZERO);
    let mut prices: Vec<BookLiquidationPrice> = roots
        .into_iter()
        .filter_map(|r| {
            let below = r < p0;
            let d = from_f64(r)?;
            let price = round_price_against(d, below, None);
            let distance = (price - reference)
                .abs()
                .checked_over(reference)?
                .checked_times(Decimal::ONE_HUNDRED)?;
            Some(BookLiquidationPrice {
                price,
                direction: if below { "below" } else { "above" }.to_string(),
                distance_percent: round_plain(distance),
                distance_sigmas: None,
                touch_probability: None,
                crossing: None,
            })
        })
        .collect();
    prices.dedup_by(|a, b| a.price == b.price);
    let below = prices
        .iter()
        .filter(|p| p.price < reference)
        .map(|p| p.price)
        .max();
    let above = prices
        .iter()
        .filter(|p| p.price > reference)
        .map(|p| p.price)
        .min();
    Some(BookLiquidation {
        reference_price: reference,
        prices,
        below,
        above,
        already_liquidatable: already,
        searched_from: round_plain(from_f64(lo).unwrap_or(Decimal::ZERO)),
        searched_to: round_plain(from_f64(hi).unwrap_or(Decimal::ZERO)),
        method: match moving {
            None => format!(
                "roots of equity(P) = MM(P) for the underlying P: every market moves by the same relative amount as the reference (the first option market's underlying price, else the first position's mark); options revalued with Black-76 at their volatility and time to expiry; a {SCAN_STEPS}-point graded geometric scan on each side of P over [P/10⁴, P·10³], each sign change, and each dip towards zero between scan points, refined by Brent's method; roots rounded against the trader (below the reference up, above it down)"
            ),
            Some(u) => format!(
                "roots of equity(P) = MM(P) for the underlying P of risk unit '{}': that unit's markets move by the same relative amount as its reference (its first option market's underlying price, else its first position's mark), every other unit's markets held at their prices; options revalued with Black-76 at their volatility and time to expiry; a {SCAN_STEPS}-point graded geometric scan on each side of P over [P/10⁴, P·10³], each sign change, and each dip towards zero between scan points, refined by Brent's method; roots rounded against the trader",
                unit_label(u)
            ),
        },
        maintenance_basis: None,
        volatility: None,
        horizon_days: None,
        touch_model: None,
        by_risk_unit: None,
        underlying: None,
    })
}
