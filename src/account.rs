//! Account aggregation and per-position figures for perpetuals and futures
//! (margin-models.md §1, §2 and §7).

use crate::error::FieldError;
use crate::instrument::{Book, MarginBasis, MarginMode, Market, Position, Settlement};
use crate::liquidation::{self, LiquidationInput};
use crate::money::{
    decimal_string, from_f64, round_margin, round_plain, round_price_against, to_f64, Num,
};
use crate::money::{sum_of, DecimalOps};
use crate::options::{self, OptionFigures};
use crate::portfolio::ImrSpec;
use crate::response::{
    AccountResult, ImrSource, Liquidation, PositionResult, Response, Step, TierUsed,
};
use crate::rules::{MarginRule, Rates};
use rust_decimal::Decimal;

/// Quantity in base units at `price`: linear `contracts · contractSize`; inverse
/// `contracts · faceValue / price` (margin-models.md §2).
pub fn quantity_base(market: &Market, position: &Position, price: Decimal) -> Decimal {
    match market.settlement {
        Settlement::Linear => position.contracts * market.contract_size,
        Settlement::Inverse => position.contracts * market.contract_size / price,
    }
}

/// Notional in the settlement currency at `price` — the unit tiers are stated in:
/// linear `Q · P` (quote); inverse `contracts · CS / P` (coin) (margin-models.md §1–2).
pub fn notional(market: &Market, position: &Position, price: Decimal) -> Decimal {
    match market.settlement {
        Settlement::Linear => position.contracts * market.contract_size * price,
        Settlement::Inverse => position.contracts * market.contract_size / price,
    }
}

/// Unrealised PnL in the settlement currency at `price`: linear `s · Q · (P − EP)`;
/// inverse `s · contracts · CS · (1/EP − 1/P)` (margin-models.md §1–2).
pub fn pnl(market: &Market, position: &Position, price: Decimal) -> Decimal {
    let s = position.side.sign();
    match market.settlement {
        Settlement::Linear => {
            s * position.contracts * market.contract_size * (price - position.entry_price)
        }
        Settlement::Inverse => {
            let k = position.contracts * market.contract_size;
            s * (k / position.entry_price - k / price)
        }
    }
}

/// The price margins are computed on: the mark, or the entry for entry-basis venues.
fn margin_price(market: &Market, position: &Position) -> Decimal {
    match market.margin_basis {
        MarginBasis::Mark => market.mark_price,
        MarginBasis::Entry => position.entry_price,
    }
}

/// Rates for `position` at `price`.
pub fn rates_at(market: &Market, position: &Position, price: Decimal) -> Rates {
    market.rule.rates(
        quantity_base(market, position, price),
        notional(market, position, price),
    )
}

/// `MM = N · MMR − cum` (plus the closing fee `N · fee` when fees are included).
pub fn maintenance_at(
    market: &Market,
    position: &Position,
    price: Decimal,
    fee: Decimal,
) -> Decimal {
    let r = rates_at(market, position, price);
    let n = notional(market, position, price);
    (n * r.maintenance_margin_rate - r.maintenance_amount).max(Decimal::ZERO) + n * fee
}

/// The initial margin rate: the largest of `1 / leverage` (margin-models.md §1: `IMR = 1 /
/// leverage`), the rule's own floor (`1 / maxLeverage` of the tier, or the size-scaled rate) and
/// the maintenance rate (no venue opens a position whose initial margin is below its
/// maintenance margin; a leverage above `1 / MMR` is lowered and warned about). Returns the rate
/// and the leverage actually applied.
pub fn initial_rate(rates: &Rates, leverage: Option<Decimal>) -> (Decimal, Option<Decimal>) {
    let from_leverage = leverage.and_then(|l| Decimal::ONE.checked_over(l));
    let floor = match rates.initial_margin_rate {
        Some(r) => Some(r.max(rates.maintenance_margin_rate)),
        None if rates.maintenance_margin_rate > Decimal::ZERO => {
            Some(rates.maintenance_margin_rate)
        }
        None => None,
    };
    let applied = |r: Decimal| Decimal::ONE.checked_over(r);
    match (from_leverage, floor) {
        (Some(a), Some(b)) if b > a => (b, applied(b)),
        (Some(a), _) => (a, leverage),
        (None, Some(b)) if b > Decimal::ZERO => (b, applied(b)),
        _ => (Decimal::ONE, Some(Decimal::ONE)),
    }
}

/// Rounds a computed price against the trader ([`round_price_against`]: a long's liquidation
/// price up, a short's down, to the tick). A value within `10⁻¹²` ticks of a tick is snapped to it
/// first, so a root that lies exactly on a tick is not pushed a whole tick away by the last digit
/// of a `Decimal` division. Never overflows: if `value / tick` does not fit, the value is rounded
/// without the tick.
pub fn price_against(value: Decimal, long: bool, tick: Option<Decimal>) -> Decimal {
    let Some(t) = tick.filter(|t| *t > Decimal::ZERO) else {
        return round_price_against(value, long, None);
    };
    match value.checked_over(t) {
        Some(units) => {
            let nearest = units.round();
            if (units - nearest).abs() < Decimal::new(1, 12) {
                (nearest * t).normalize()
            } else {
                round_price_against(value, long, Some(t))
            }
        }
        None => round_price_against(value, long, None),
    }
}

fn tier_used(rule: &MarginRule, k: Option<usize>) -> Option<TierUsed> {
    match (rule, k) {
        (MarginRule::Tiered(table), Some(k)) => table.tiers().get(k).map(|t| TierUsed {
            tier: k + 1,
            notional_floor: t.notional_floor,
            notional_cap: t.notional_cap,
            maintenance_margin_rate: t.maintenance_margin_rate,
            maintenance_amount: t.maintenance_amount,
            max_leverage: t.max_leverage,
        }),
        _ => None,
    }
}

struct Basics {
    rates: Rates,
    imr_source: Option<ImrSource>,
    initial_rate: Decimal,
    leverage: Option<Decimal>,
    initial_margin: Decimal,
    maintenance_margin: Decimal,
    unrealized_pnl: Decimal,
    notional: Decimal,
    isolated_margin: Decimal,
}

/// The account-level figures of an option position (margin is not a rate on notional: the
/// rates shown are the rule's neutral ones and `initial_rate` is `IM / notional` for display).
fn option_basics(market: &Market, f: &OptionFigures) -> Basics {
    Basics {
        rates: market.rule.rates(Decimal::ZERO, Decimal::ZERO),
        imr_source: None,
        initial_rate: f
            .initial_margin
            .checked_over(f.notional)
            .unwrap_or(Decimal::ZERO),
        leverage: None,
        initial_margin: f.initial_margin,
        maintenance_margin: f.maintenance_margin,
        unrealized_pnl: f.unrealized_pnl,
        notional: f.notional,
        isolated_margin: Decimal::ZERO,
    }
}

/// The initial rate of [`initial_rate`] raised to a dynamic model's rate when that is higher
/// (margin-models.md §3), with the source of the binding rate.
fn rate_with_model(
    market: &Market,
    position: &Position,
    price: Decimal,
    rates: &Rates,
    model: Option<&ImrSpec>,
) -> (Decimal, Option<Decimal>, ImrSource) {
    let (rule_rate, leverage) = initial_rate(rates, position.leverage);
    let size = quantity_base(market, position, price);
    let n = notional(market, position, price);
    if let Some(spec) = model {
        if let Some(r) = spec.rate(to_f64(size), to_f64(price)) {
            if let Some(model_rate) = from_f64(r.rate).map(|x| x.max(Decimal::ZERO)) {
                let mut source = spec.source(&r, model_rate);
                source.rule_rate = Some(round_plain(rule_rate));
                if model_rate > rule_rate {
                    let lev = Decimal::ONE.checked_over(model_rate);
                    return (model_rate, lev, source);
                }
                source.rule =
                    format!("{} (below the rule's rate: the rule binds)", source.rule).into();
                source.rate = round_plain(rule_rate);
                return (rule_rate, leverage, source);
            }
        }
    }
    let from_leverage = position.leverage.and_then(|l| Decimal::ONE.checked_over(l));
    let (kind, rule, formula) = if from_leverage == Some(rule_rate) {
        (
            "leverage",
            "1 / leverage",
            format!("1 / {}", Num(position.leverage.unwrap_or(Decimal::ONE))),
        )
    } else if rates.initial_margin_rate.is_some_and(|r| r == rule_rate) {
        (
            "rule",
            "the margin rule's initial rate",
            rates.describe(&market.rule),
        )
    } else {
        (
            "maintenance",
            "the maintenance rate (no lower initial rate is allowed)",
            format!("MMR {}", Num(rates.maintenance_margin_rate)),
        )
    };
    let mut inputs = crate::response::Inputs::new();
    if let Some(l) = position.leverage {
        inputs.insert("leverage", to_f64(l));
    }
    inputs.insert("notional", to_f64(n));
    inputs.insert("size", to_f64(size));
    inputs.insert(
        "maintenanceMarginRate",
        to_f64(rates.maintenance_margin_rate),
    );
    (
        rule_rate,
        leverage,
        ImrSource {
            model: kind.into(),
            rule: rule.into(),
            formula,
            rate: round_plain(rule_rate),
            inputs,
            source: "margin-models.md §1 (IMR = 1 / leverage, at least the rule's and the maintenance rate)".into(),
            rule_rate: None,
            volatility: None,
        },
    )
}

/// The rate of [`rate_with_model`] alone, without describing its source.
fn rate_only_with_model(
    market: &Market,
    position: &Position,
    price: Decimal,
    rates: &Rates,
    model: Option<&ImrSpec>,
) -> Decimal {
    let (rule_rate, _) = initial_rate(rates, position.leverage);
    raised_to_model(
        rule_rate,
        model,
        quantity_base(market, position, price),
        price,
    )
}

/// `rule_rate` raised to the dynamic model's rate at `size` base units and `price` when that
/// is higher (margin-models.md §3: the IMR is `max(rule, model)`); the rule's rate without a
/// model or when the model refuses the inputs.
pub fn raised_to_model(
    rule_rate: Decimal,
    model: Option<&ImrSpec>,
    size: Decimal,
    price: Decimal,
) -> Decimal {
    let model_rate = model
        .and_then(|spec| spec.rate(to_f64(size), to_f64(price)))
        .and_then(|r| from_f64(r.rate))
        .map(|x| x.max(Decimal::ZERO));
    match model_rate {
        Some(m) if m > rule_rate => m,
        _ => rule_rate,
    }
}

fn basics(market: &Market, position: &Position, fee: Decimal, model: Option<&ImrSpec>) -> Basics {
    let price = margin_price(market, position);
    let rates = rates_at(market, position, price);
    let (initial_rate, leverage, imr_source) =
        rate_with_model(market, position, price, &rates, model);
    let n = notional(market, position, price);
    let entry_notional = notional(market, position, position.entry_price);
    // Isolated margin is allocated when the position is opened: the initial margin at the
    // entry price and the rate in force there, fixed thereafter (it must not move with the mark).
    let entry_rate = rate_only_with_model(
        market,
        position,
        position.entry_price,
        &rates_at(market, position, position.entry_price),
        model,
    );
    Basics {
        imr_source: Some(imr_source),
        initial_margin: n * initial_rate,
        maintenance_margin: maintenance_at(market, position, price, fee),
        unrealized_pnl: pnl(market, position, market.mark_price),
        notional: notional(market, position, market.mark_price),
        isolated_margin: position
            .isolated_margin
            .unwrap_or(entry_notional * entry_rate),
        rates,
        initial_rate,
        leverage,
    }
}

/// Computes every figure for a validated book.
pub fn compute(book: &Book) -> Response {
    compute_with(book, &[])
}

/// [`compute`] with dynamic initial-margin models per market (`models[market index]`; missing
/// entries mean none), margin-models.md §3.
pub fn compute_with(book: &Book, models: &[Option<ImrSpec>]) -> Response {
    compute_figures(book, models, true)
}

/// [`compute_with`], with the standard-margin whole-book liquidation search only when
/// `book_liquidation` is set (portfolio mode replaces it by the grid's own, so it would be
/// computed for nothing: it is most of the work for a book of options).
pub fn compute_figures(
    book: &Book,
    models: &[Option<ImrSpec>],
    book_liquidation: bool,
) -> Response {
    let searched_book_liquidation = book_liquidation;
    let account = &book.account;
    let fee = account.liquidation_fee_rate.unwrap_or(Decimal::ZERO);
    let settlement = book
        .markets
        .first()
        .map(|m| m.settlement)
        .unwrap_or(Settlement::Linear);
    let mut warnings = Vec::new();
    // Option positions: standard option margin at the mark (crate::options).
    let option_figures: Vec<Option<OptionFigures>> = book
        .positions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let m = &book.markets[p.market];
            m.option.as_ref()?;
            let mut f = options::figures(m, p).unwrap_or_else(|| {
                warnings.push(FieldError::new(
                    format!("positions[{i}].size"),
                    "too_large",
                    "the option position's margin is beyond the engine's range: counted as zero",
                ));
                OptionFigures::default()
            });
            if let Some(spec) = models.get(p.market).and_then(Option::as_ref) {
                options::apply_imr_model(m, p, &mut f, spec);
            }
            Some(f)
        })
        .collect();
    let all: Vec<Basics> = book
        .positions
        .iter()
        .zip(&option_figures)
        .map(|(p, f)| match f {
            Some(f) => option_basics(&book.markets[p.market], f),
            None => basics(
                &book.markets[p.market],
                p,
                fee,
                models.get(p.market).and_then(Option::as_ref),
            ),
        })
        .collect();

    let total_pnl: Decimal =
        sum_of(all.iter().map(|b| b.unrealized_pnl)).plus(account.other_unrealized_pnl);
    let total_im = sum_of(all.iter().map(|b| b.initial_margin));
    let total_mm =
        sum_of(all.iter().map(|b| b.maintenance_margin)).plus(account.other_maintenance_margin);
    let gross = sum_of(all.iter().map(|b| b.notional.abs()));
    let equity = account.wallet_balance.plus(total_pnl);
    let isolated_total = sum_of(all.iter().map(|b| b.isolated_margin));
    let available = match account.margin_mode {
        MarginMode::Cross => equity.minus(total_im).max(Decimal::ZERO),
        MarginMode::Isolated => account
            .wallet_balance
            .minus(isolated_total)
            .max(Decimal::ZERO),
    };
    if account.margin_mode == MarginMode::Isolated && isolated_total > account.wallet_balance {
        warnings.push(FieldError::new(
            "account.walletBalance",
            "insufficient_balance",
            format!(
                "isolated margins total {} but the wallet holds {}",
                round_margin(isolated_total),
                account.wallet_balance
            ),
        ));
    }

    let cross_surplus = sum_of(
        all.iter()
            .map(|o| o.unrealized_pnl.minus(o.maintenance_margin)),
    );
    let mut positions = Vec::with_capacity(book.positions.len());
    for (i, (position, b)) in book.positions.iter().zip(&all).enumerate() {
        let market = &book.markets[position.market];
        if let (Some(requested), Some(applied)) = (position.leverage, b.leverage) {
            if applied < requested {
                warnings.push(FieldError::new(
                    format!("positions[{i}].leverage"),
                    "above_max_leverage",
                    format!("{requested}x exceeds the {applied}x allowed at this size ({}); margin uses {applied}x", b.imr_source.as_ref().filter(|s| s.rule_rate.is_some()).map_or_else(|| b.rates.describe(&market.rule), |s| format!("{}: {}", s.model, s.formula))),
                ));
            }
        }
        if let MarginRule::Tiered(table) = &market.rule {
            if let Some(cap) = table.tiers().last().and_then(|t| t.notional_cap) {
                if b.notional > cap {
                    warnings.push(FieldError::new(format!("positions[{i}].size"), "above_max_notional", format!("notional {} exceeds the last tier's cap {cap}: the venue would refuse it", round_plain(b.notional))));
                }
            }
        }
        // R: what backs this position apart from its own PnL (Binance WB − TMM1 + UPNL1).
        let rest = match account.margin_mode {
            MarginMode::Isolated => b.isolated_margin,
            MarginMode::Cross => {
                // Σ over the other positions = Σ over all − this one (exact in decimals),
                // which keeps a large cross book linear rather than quadratic.
                let others = cross_surplus.minus(b.unrealized_pnl.minus(b.maintenance_margin));
                account
                    .wallet_balance
                    .minus(account.other_maintenance_margin)
                    .plus(account.other_unrealized_pnl)
                    .plus(others)
            }
        };
        if let Some(f) = &option_figures[i] {
            positions.push(options::position_result(
                market,
                position,
                f,
                rest,
                available,
                models.get(position.market).and_then(Option::as_ref),
            ));
            continue;
        }
        let input = LiquidationInput {
            market,
            position,
            rest,
            fee,
        };
        let liq = liquidation::closed_form(&input);
        let bankruptcy = liquidation::bankruptcy_price(&input);
        let long = position.side.is_long();
        let mark = market.mark_price;
        let equity_here = rest.plus(b.unrealized_pnl);
        let already = equity_here <= b.maintenance_margin;
        let liq_price = liq.price.map(|p| price_against(p, long, market.tick_size));
        let distance = liq_price.and_then(|p| {
            let adverse = if long { mark.minus(p) } else { p.minus(mark) };
            adverse
                .checked_over(mark)
                .and_then(|r| r.checked_times(Decimal::ONE_HUNDRED))
                .map(round_plain)
        });

        let max_additional = max_additional_size(
            market,
            position,
            b,
            available,
            models.get(position.market).and_then(Option::as_ref),
        );
        let price = margin_price(market, position);
        let mut breakdown = vec![
            Step {
                label: "Notional".into(),
                formula: match market.settlement {
                    Settlement::Linear => format!(
                        "{} contracts × {} × {} (mark)",
                        Num(position.contracts),
                        Num(market.contract_size),
                        Num(mark)
                    ),
                    Settlement::Inverse => format!(
                        "{} contracts × {} USD / {} (mark)",
                        Num(position.contracts),
                        Num(market.contract_size),
                        Num(mark)
                    ),
                },
                value: decimal_string(round_plain(b.notional)),
            },
            Step {
                label: "Rates".into(),
                formula: b.rates.describe(&market.rule),
                value: format!("MMR {}", Num(b.rates.maintenance_margin_rate)),
            },
            Step {
                label: "Initial margin".into(),
                formula: format!(
                    "notional at {} {} × IMR {}{}",
                    if market.margin_basis == MarginBasis::Entry {
                        "entry"
                    } else {
                        "mark"
                    },
                    Num(price),
                    Num(round_plain(b.initial_rate)),
                    b.leverage
                        .map(|l| format!(" (1/{}x)", Num(l)))
                        .unwrap_or_default()
                ),
                value: decimal_string(round_margin(b.initial_margin)),
            },
            Step {
                label: "Maintenance margin".into(),
                formula: format!(
                    "notional × {} − {}{}",
                    Num(b.rates.maintenance_margin_rate),
                    Num(b.rates.maintenance_amount),
                    if fee.is_zero() {
                        String::new()
                    } else {
                        format!(" + notional × fee {fee}")
                    }
                ),
                value: decimal_string(round_margin(b.maintenance_margin)),
            },
            Step {
                label: "Unrealised PnL".into(),
                formula: match market.settlement {
                    Settlement::Linear => format!(
                        "{} × {} × ({} − {})",
                        position.side.sign(),
                        Num(quantity_base(market, position, mark)),
                        Num(mark),
                        Num(position.entry_price)
                    ),
                    Settlement::Inverse => format!(
                        "{} × {} × (1/{} − 1/{})",
                        position.side.sign(),
                        Num(position.contracts * market.contract_size),
                        Num(position.entry_price),
                        Num(mark)
                    ),
                },
                value: decimal_string(round_plain(b.unrealized_pnl)),
            },
            Step {
                label: "Margin backing the position".into(),
                formula: match account.margin_mode {
                    MarginMode::Isolated => "isolated margin".into(),
                    MarginMode::Cross => {
                        "wallet − other positions' maintenance + their unrealised PnL".into()
                    }
                },
                value: decimal_string(round_plain(rest)),
            },
        ];
        breakdown.push(Step {
            label: "Liquidation price".into(),
            formula: liq.formula.clone(),
            value: liq_price
                .map(decimal_string)
                .unwrap_or_else(|| "none".into()),
        });
        positions.push(PositionResult {
            symbol: market.symbol.clone(),
            side: position.side,
            settlement: market.settlement,
            size: position.contracts,
            quantity: round_plain(quantity_base(market, position, mark)),
            entry_price: position.entry_price,
            mark_price: mark,
            index_price: market.index_price,
            mark_index_basis_percent: market.index_price.and_then(|index| {
                (mark - index)
                    .checked_over(index)
                    .and_then(|r| r.checked_times(Decimal::ONE_HUNDRED))
                    .map(round_plain)
            }),
            notional: round_plain(b.notional),
            notional_quote: round_plain(match market.settlement {
                Settlement::Linear => b.notional,
                Settlement::Inverse => position.contracts * market.contract_size,
            }),
            leverage: b.leverage.map(round_plain),
            initial_margin_rate: round_plain(b.initial_rate),
            initial_margin: round_margin(b.initial_margin),
            maintenance_margin_rate: b.rates.maintenance_margin_rate,
            maintenance_amount: b.rates.maintenance_amount,
            maintenance_margin: round_margin(b.maintenance_margin),
            maintenance_margin_ratio: (equity_here > Decimal::ZERO)
                .then(|| b.maintenance_margin.checked_over(equity_here))
                .flatten()
                .map(round_plain),
            tier: tier_used(&market.rule, b.rates.tier),
            unrealized_pnl: round_plain(b.unrealized_pnl),
            isolated_margin: (account.margin_mode == MarginMode::Isolated)
                .then(|| round_margin(b.isolated_margin)),
            bankruptcy_price: bankruptcy.map(|p| price_against(p, long, market.tick_size)),
            liquidation: Liquidation {
                price: liq_price,
                distance_percent: distance,
                tier: liq.tier.map(|k| k + 1),
                reason: liq.reason,
                already_liquidatable: already,
                method: liq.method.into(),
                distance_sigmas: None,
                touch_probability: None,
            },
            max_additional_size: max_additional,
            breakdown,
            option: None,
            imr_source: b.imr_source.clone(),
        });
    }

    let mut notes = vec!["Funding payments are not included.".to_string()];
    notes.push(match account.liquidation_fee_rate {
        Some(f) => format!("The closing taker fee ({f}) is included in maintenance margin and the liquidation condition."),
        None => "The closing taker fee is not included in the liquidation condition.".to_string(),
    });
    let holds_options = book.markets.iter().any(|m| m.option.is_some());
    let book_liquidation = if searched_book_liquidation {
        options::book_liquidation(book, fee)
    } else {
        None
    };
    if book_liquidation.is_some() || (!searched_book_liquidation && holds_options) {
        notes.push("Options: Black-76 on each market's underlyingPrice with r = 0 (inverse premium = USD premium / F), time to expiry ACT/365 at minute resolution from valuationTime; expired options are refused.".into());
        notes.push("Options: walletBalance is the collateral before the listed positions' premiums; each option's value enters equity through its unrealised PnL s·Q·(mark − entry).".into());
        notes.push("Options: long options are margined at their premium (IM = MM = Q × mark) and back nothing else; short options use the market's standard option rule.".into());
        notes.push("Book liquidation: every market moves by the same relative amount as the reference underlying; volatility and time to expiry are held.".into());
    }
    let positive_equity = equity > Decimal::ZERO;
    Response {
        account: AccountResult {
            margin_mode: account.margin_mode.into(),
            settlement,
            wallet_balance: account.wallet_balance,
            unrealized_pnl: round_plain(total_pnl),
            equity: round_plain(equity),
            initial_margin: round_margin(total_im),
            initial_margin_ratio: total_im.checked_over(gross).map(round_plain),
            maintenance_margin: round_margin(total_mm),
            margin_ratio: positive_equity
                .then(|| total_mm.checked_over(equity).map(round_plain))
                .flatten(),
            available_balance: round_plain(available),
            gross_notional: round_plain(gross),
            effective_leverage: positive_equity
                .then(|| gross.checked_over(equity).map(round_plain))
                .flatten(),
            liquidation_fee_rate: account.liquidation_fee_rate,
            notes,
            book_liquidation,
            portfolio_margin: None,
            collateral: None,
        },
        positions,
        warnings,
        orders: None,
        var: None,
        stress: None,
    }
}

/// Initial margin of `contracts` (same side) of `position`'s market at `price`, at the position's
/// leverage: `N · IMR` with `IMR` from [`initial_rate`] at that size (margin-models.md §1, §3).
/// `None` if it overflows.
pub fn initial_margin_of(
    market: &Market,
    position: &Position,
    contracts: Decimal,
    price: Decimal,
) -> Option<Decimal> {
    initial_margin_with(market, position, contracts, price, None)
}

/// [`initial_margin_of`] with a dynamic initial-margin model.
fn initial_margin_with(
    market: &Market,
    position: &Position,
    contracts: Decimal,
    price: Decimal,
    model: Option<&ImrSpec>,
) -> Option<Decimal> {
    let sized = Position {
        contracts,
        ..position.clone()
    };
    let n = match market.settlement {
        Settlement::Linear => contracts
            .checked_times(market.contract_size)?
            .checked_times(price)?,
        Settlement::Inverse => contracts
            .checked_times(market.contract_size)?
            .checked_over(price)?,
    };
    let size_base = match market.settlement {
        Settlement::Linear => contracts.checked_times(market.contract_size)?,
        Settlement::Inverse => n,
    };
    let rates = market.rule.rates(size_base, n);
    let (rate, _) = initial_rate(&rates, sized.leverage);
    let rate = match model.and_then(|m| m.rate(to_f64(size_base), to_f64(price))) {
        Some(r) => from_f64(r.rate).map_or(rate, |m| m.max(rate)),
        None => rate,
    };
    n.checked_times(rate)
}

/// Contracts that can still be added to the position, at its leverage, at the mark: the largest
/// `Δ` with `IM(contracts + Δ) − IM(contracts) ≤ available` (IM at the mark, rates at the new
/// size, so tiers and size-scaled rates are honoured), and within the tier table's cap at that
/// leverage. Found by bisection in exact decimals (IM is non-decreasing in size for every rule),
/// rounded down to 8 places. Never overflows: sizes beyond the engine's range count as too big.
fn max_additional_size(
    market: &Market,
    position: &Position,
    b: &Basics,
    available: Decimal,
    model: Option<&ImrSpec>,
) -> Decimal {
    let price = market.mark_price;
    if available <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let Some(current) = initial_margin_with(market, position, position.contracts, price, model)
    else {
        return Decimal::ZERO;
    };
    // Upper bound: with rates non-decreasing in size, IM(c + hi) − IM(c) ≥ hi · (IM per contract
    // at today's rate) = available. Capped at the engine's size limit.
    let per_contract = match market.settlement {
        Settlement::Linear => market.contract_size * price,
        Settlement::Inverse => market.contract_size / price,
    } * b.initial_rate;
    let limit = crate::money::max_input()
        .checked_over(market.contract_size)
        .unwrap_or(crate::money::max_input());
    let mut hi = available
        .checked_over(per_contract)
        .unwrap_or(limit)
        .min(limit);
    if let (MarginRule::Tiered(table), Some(lev)) = (&market.rule, b.leverage) {
        if let Some(cap) = table.max_notional_at_leverage(lev) {
            let per_contract_notional = match market.settlement {
                Settlement::Linear => market.contract_size * price,
                Settlement::Inverse => market.contract_size / price,
            };
            let room = cap
                .checked_over(per_contract_notional)
                .map_or(hi, |c| (c - position.contracts).max(Decimal::ZERO));
            hi = hi.min(room);
        }
    }
    let fits = |delta: Decimal| {
        position
            .contracts
            .checked_plus(delta)
            .and_then(|c| initial_margin_with(market, position, c, price, model))
            .and_then(|im| im.checked_minus(current))
            .is_some_and(|inc| inc <= available)
    };
    // The answer is reported to 8 places: when the rate does not change with size (fixed rules,
    // a tier with room), the bound itself fits once rounded down and no search is needed.
    let hi_8 = round_down_8(hi);
    if fits(hi_8) {
        return hi_8;
    }
    let mut lo = Decimal::ZERO;
    for _ in 0..120 {
        let mid = (lo + hi) / Decimal::TWO;
        if mid == lo || mid == hi {
            break;
        }
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < Decimal::new(1, 9) {
            break;
        }
    }
    round_down_8(lo)
}

fn round_down_8(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero)
        .normalize()
}

/// A position's own (standalone) initial and maintenance margin under its market's rules — the
/// figures [`compute_with`] shows per position: futures `N · IMR` (with a dynamic model,
/// margin-models.md §3) and `N · MMR − cum`; options the standard option rule, with a dynamic
/// model on the delta-equivalent exposure ([`options::apply_imr_model`]). `None` if a figure
/// leaves the engine's range.
pub fn standalone_margins(
    market: &Market,
    position: &Position,
    fee: Decimal,
    model: Option<&ImrSpec>,
) -> Option<(Decimal, Decimal)> {
    if market.option.is_some() {
        let mut f = options::figures(market, position)?;
        if let Some(spec) = model {
            options::apply_imr_model(market, position, &mut f, spec);
        }
        return Some((
            round_margin(f.initial_margin),
            round_margin(f.maintenance_margin),
        ));
    }
    let b = basics(market, position, fee, model);
    Some((
        round_margin(b.initial_margin),
        round_margin(b.maintenance_margin),
    ))
}
