//! Open orders and what-if before placing one.
//!
//! - **Margin held by open orders** (one-way mode, cross): OKX "IMR of futures in one-way mode"
//!   (change of 31 Oct 2024) charges only the larger side if one side fills:
//!   long: `max(position + buys, sells − position) / leverage`, short:
//!   `max(buys − position, position + sells) / leverage` — with the position signed
//!   (`+` long, `−` short) both read `max(P + B, S − P) · IMR`, where `B`, `S` are the order
//!   notionals at their prices and `P` the position's notional at the mark. The orders' margin is
//!   that minus the position's own initial margin. Paradex's order check is the same idea: an order
//!   is accepted if the account value still covers the initial margin requirement after including
//!   it, or if it does not increase that requirement (Paradex docs, "Paradex Risk Checks").
//!   The rate is the rule's initial rate at the exposure (tier at that notional, size-scaled at
//!   that size, never below `1 / leverage`).
//! - **What-if**: each order is filled alone, now, at its price, into the one-way position of its
//!   market (same side: sizes add and the entry price averages — arithmetically for linear,
//!   harmonically for inverse; opposite side: reduces, closes or flips, realising PnL into the
//!   wallet), and the whole account is recomputed: incremental initial margin, new liquidation
//!   price(s), and whether the available balance allows it.
//!
//! - **Portfolio mode** ([`evaluate_portfolio`]): the account's margin is the scenario grid's
//!   over the whole book, so a fill is evaluated by re-running the grid on the filled book
//!   (options included: the fill's premium is its entry), reporting the new IM, MM, equity,
//!   margin ratio and dominant scenario, and whether the order is allowed (Paradex's risk check:
//!   the account still covers its initial margin afterwards, or the order does not increase it).
//!   Deribit's `private/simulate_portfolio` API answers the same question for its portfolio
//!   margin: positions added to the portfolio give a `projected_initial_margin` and
//!   `projected_maintenance_margin`. The margin held by resting orders is the grid's
//!   generalisation of the OKX one-way form: `max(IM(book), IM(book + every buy filled),
//!   IM(book + every sell filled)) − IM(book)`.
//!
//! Not included: fees on the fill, OKX's "order loss" for limit prices worse than the mark.

use crate::account;
use crate::instrument::{Book, MarginMode, Market, Position, Settlement, Side};
use crate::money::DecimalOps;
use crate::money::{round_margin, round_plain};
use crate::portfolio::ImrSpec;
use crate::request::check_size;
use crate::response::{
    FillResult, LiquidationAfter, OrderMarginResult, OrderResult, OrdersResult, PositionAfter,
    Response,
};
use rust_decimal::Decimal;

/// A validated order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// Index of its market in the book.
    pub market: usize,
    /// Buy ([`Side::Long`]) or sell ([`Side::Short`]).
    pub side: Side,
    /// Size in contracts (> 0).
    pub contracts: Decimal,
    /// Limit price (the mark for a market order).
    pub price: Decimal,
    /// Leverage for the margin (the position's when not given; `None` when the rule sets its own
    /// initial rate).
    pub leverage: Option<Decimal>,
}

/// Notional of `contracts` at `price` in the settlement currency: linear `c · CS · P`, inverse
/// `c · CS / P` (margin-models.md §1–2). `None` on overflow.
fn value(market: &Market, contracts: Decimal, price: Decimal) -> Option<Decimal> {
    let size = contracts.checked_times(market.contract_size)?;
    match market.settlement {
        Settlement::Linear => size.checked_times(price),
        Settlement::Inverse => size.checked_over(price),
    }
}

/// Initial margin rate and margin of an exposure of notional `n` in `market` at `leverage`:
/// the rule's rate ([`account::initial_rate`]), raised to the market's dynamic model's rate at
/// the exposure's size and the mark when that is higher (margin-models.md §3, as for positions).
fn exposure_margin(
    market: &Market,
    n: Decimal,
    leverage: Option<Decimal>,
    model: Option<&ImrSpec>,
) -> Option<(Decimal, Decimal)> {
    let size_base = match market.settlement {
        Settlement::Linear => n.checked_over(market.mark_price)?,
        Settlement::Inverse => n,
    };
    let rates = market.rule.rates(size_base, n);
    let (rule_rate, _) = account::initial_rate(&rates, leverage);
    let rate = account::raised_to_model(rule_rate, model, size_base, market.mark_price);
    Some((rate, n.checked_times(rate)?))
}

/// Margin held by the open orders of each market (OKX one-way form, see the module docs).
fn order_margins(
    book: &Book,
    orders: &[Order],
    models: &[Option<ImrSpec>],
) -> Vec<OrderMarginResult> {
    let mut out = Vec::new();
    for (k, market) in book.markets.iter().enumerate() {
        let model = models.get(k).and_then(Option::as_ref);
        let here: Vec<&Order> = orders.iter().filter(|o| o.market == k).collect();
        if here.is_empty() {
            continue;
        }
        let position = book.positions.iter().find(|p| p.market == k);
        let signed = position
            .and_then(|p| value(market, p.contracts, market.mark_price).map(|v| p.side.sign() * v))
            .unwrap_or(Decimal::ZERO);
        let side_total = |side: Side| -> Decimal {
            here.iter()
                .filter(|o| o.side == side)
                .filter_map(|o| value(market, o.contracts, o.price))
                .fold(Decimal::ZERO, |a, v| a.checked_plus(v).unwrap_or(a))
        };
        let (buys, sells) = (side_total(Side::Long), side_total(Side::Short));
        let exposure = (signed + buys).max(sells - signed);
        let leverage = position
            .and_then(|p| p.leverage)
            .or_else(|| here.iter().find_map(|o| o.leverage));
        let (rate, with_orders) =
            exposure_margin(market, exposure, leverage, model).unwrap_or((Decimal::ONE, exposure));
        let own = match position {
            Some(p) => exposure_margin(market, signed.abs(), p.leverage, model)
                .map(|(_, im)| im)
                .unwrap_or(Decimal::ZERO),
            None => Decimal::ZERO,
        };
        out.push(OrderMarginResult {
            symbol: market.symbol.clone(),
            position_notional: round_plain(signed),
            buy_notional: round_plain(buys),
            sell_notional: round_plain(sells),
            exposure: round_plain(exposure),
            initial_margin_rate: round_plain(rate),
            initial_margin: round_margin((with_orders - own).max(Decimal::ZERO)),
        });
    }
    out
}

/// PnL of `position` closed at `price`: options `s · Q · (price − entry)` on the premium per
/// unit (linear or inverse: premiums are in the settlement currency); futures [`account::pnl`].
fn realized_pnl(market: &Market, position: &Position, price: Decimal) -> Option<Decimal> {
    if market.option.is_some() {
        let q = position.contracts.checked_times(market.contract_size)?;
        let per_unit = price.checked_minus(position.entry_price)?;
        return position
            .side
            .sign()
            .checked_times(q.checked_times(per_unit)?);
    }
    Some(account::pnl(market, position, price))
}

/// Equity of a book at the marks: `wallet + UPNL1 + Σ PnL`, options `s·Q·(mark − entry)`,
/// futures [`account::pnl`] at the mark. `None` on overflow.
fn book_equity(book: &Book) -> Option<Decimal> {
    let mut equity = book
        .account
        .wallet_balance
        .checked_plus(book.account.other_unrealized_pnl)?;
    for p in &book.positions {
        let m = &book.markets[p.market];
        equity = equity.checked_plus(realized_pnl(m, p, m.mark_price)?)?;
    }
    Some(equity)
}

/// The book after `order` fills at its price, and the PnL it realises; `Err` with a reason if the
/// result leaves the engine's range.
fn fill(book: &Book, order: &Order) -> Result<(Book, Decimal), String> {
    let market = &book.markets[order.market];
    let mut next = book.clone();
    let overflow = || "the resulting position is beyond the engine's range".to_string();
    let held = next.positions.iter().position(|p| p.market == order.market);
    let mut realized = Decimal::ZERO;
    match held {
        None => next.positions.push(Position {
            market: order.market,
            side: order.side,
            contracts: order.contracts,
            entry_price: order.price,
            leverage: order.leverage,
            isolated_margin: None,
        }),
        Some(j) => {
            let p = next.positions[j].clone();
            if p.side == order.side {
                // Adding: arithmetic average entry (linear), harmonic (inverse: the coin value
                // of the contracts adds up).
                let total = p
                    .contracts
                    .checked_plus(order.contracts)
                    .ok_or_else(overflow)?;
                let entry = match (market.option.is_some(), market.settlement) {
                    // Options: premiums per unit average arithmetically, linear or inverse.
                    (true, _) | (false, Settlement::Linear) => p
                        .contracts
                        .checked_times(p.entry_price)
                        .and_then(|a| Some((a, order.contracts.checked_times(order.price)?)))
                        .and_then(|(a, b)| a.checked_plus(b))
                        .and_then(|sum| sum.checked_over(total)),
                    (false, Settlement::Inverse) => p
                        .contracts
                        .checked_over(p.entry_price)
                        .and_then(|a| Some((a, order.contracts.checked_over(order.price)?)))
                        .and_then(|(a, b)| a.checked_plus(b))
                        .and_then(|coins| total.checked_over(coins)),
                }
                .ok_or_else(overflow)?;
                let added_margin = p.isolated_margin.and_then(|m| {
                    let probe = Position {
                        leverage: order.leverage.or(p.leverage),
                        ..p.clone()
                    };
                    account::initial_margin_of(market, &probe, order.contracts, order.price)
                        .and_then(|im| m.checked_plus(im))
                });
                next.positions[j] = Position {
                    contracts: total,
                    entry_price: entry,
                    isolated_margin: added_margin,
                    ..p
                };
            } else {
                let closed = p.contracts.min(order.contracts);
                let closing = Position {
                    contracts: closed,
                    ..p.clone()
                };
                realized = realized_pnl(market, &closing, order.price).ok_or_else(overflow)?;
                next.account.wallet_balance = next
                    .account
                    .wallet_balance
                    .checked_plus(realized)
                    .ok_or_else(overflow)?;
                if order.contracts < p.contracts {
                    let left = p.contracts - order.contracts;
                    let margin = p.isolated_margin.and_then(|m| {
                        m.checked_times(left)
                            .and_then(|x| x.checked_over(p.contracts))
                    });
                    next.positions[j] = Position {
                        contracts: left,
                        isolated_margin: margin,
                        ..p
                    };
                } else if order.contracts == p.contracts {
                    next.positions.remove(j);
                } else {
                    next.positions[j] = Position {
                        market: order.market,
                        side: order.side,
                        contracts: order.contracts - p.contracts,
                        entry_price: order.price,
                        leverage: order.leverage.or(p.leverage),
                        isolated_margin: None,
                    };
                }
            }
        }
    }
    if let Some(p) = next.positions.iter().find(|p| p.market == order.market) {
        check_size("order", market, p.contracts, p.entry_price).map_err(|e| e.message)?;
    }
    Ok((next, realized))
}

/// Available balance before clamping at zero: cross `equity − IM`; isolated
/// `wallet − Σ isolated margins` (as in [`account::compute`]).
fn unclamped_available(response: &Response, mode: MarginMode) -> Decimal {
    match mode {
        MarginMode::Cross => response.account.equity - response.account.initial_margin,
        MarginMode::Isolated => {
            response.account.wallet_balance
                - response
                    .positions
                    .iter()
                    .filter_map(|p| p.isolated_margin)
                    .sum::<Decimal>()
        }
    }
}

/// Evaluates the open orders of a validated book whose positions gave `base`, with the dynamic
/// initial-margin models per market (`models[market index]`, as [`account::compute_with`]).
pub fn evaluate(
    book: &Book,
    base: &Response,
    orders: &[Order],
    models: &[Option<ImrSpec>],
) -> OrdersResult {
    let mode = book.account.margin_mode;
    let markets = order_margins(book, orders, models);
    let orders_margin: Decimal = markets.iter().map(|m| m.initial_margin).sum();
    let available_now = unclamped_available(base, mode);
    let with_orders = available_now - orders_margin;

    let results = orders
        .iter()
        .map(|order| {
            let market = &book.markets[order.market];
            let notional = value(market, order.contracts, order.price).unwrap_or(Decimal::ZERO);
            let (if_filled, reason) = match fill(book, order) {
                Ok((after, realized)) => {
                    let r = account::compute_with(&after, models);
                    let incremental = r.account.initial_margin - base.account.initial_margin;
                    let available = unclamped_available(&r, mode);
                    let position = after
                        .positions
                        .iter()
                        .zip(&r.positions)
                        .find(|(p, _)| p.market == order.market)
                        .map(|(p, pr)| PositionAfter {
                            side: p.side,
                            size: p.contracts,
                            entry_price: round_plain(p.entry_price),
                            initial_margin: pr.initial_margin,
                            maintenance_margin: pr.maintenance_margin,
                            liquidation_price: pr.liquidation.price,
                        });
                    (
                        Some(FillResult {
                            position,
                            realized_pnl: round_plain(realized),
                            incremental_initial_margin: round_margin(incremental),
                            initial_margin: r.account.initial_margin,
                            available_balance: round_plain(available),
                            allowed: available >= Decimal::ZERO || incremental <= Decimal::ZERO,
                            liquidation_prices: r
                                .positions
                                .iter()
                                .map(|p| LiquidationAfter {
                                    symbol: p.symbol.clone(),
                                    price: p.liquidation.price,
                                })
                                .collect(),
                            maintenance_margin: None,
                            equity: None,
                            margin_ratio: None,
                            dominant_scenario: None,
                        }),
                        None,
                    )
                }
                Err(reason) => (None, Some(reason)),
            };
            OrderResult {
                symbol: market.symbol.clone(),
                side: if order.side.is_long() { "buy" } else { "sell" }.to_string(),
                size: order.contracts,
                price: order.price,
                notional: round_plain(notional),
                if_filled,
                reason,
            }
        })
        .collect();

    OrdersResult {
        markets,
        initial_margin: round_margin(orders_margin),
        initial_margin_with_orders: round_margin(base.account.initial_margin + orders_margin),
        available_balance_with_orders: round_plain(with_orders),
        allowed: with_orders >= Decimal::ZERO || orders_margin.is_zero(),
        orders: results,
        notes: vec![
            "Open orders hold max(position + buys, sells − position) × IMR minus the position's own initial margin (OKX one-way form); position notional at the mark, orders at their prices.".into(),
            "Each what-if fills one order alone, now, at its price; fees and OKX's order loss are not included.".into(),
        ],
    }
}

/// The scenario grid's margin of a book, as [`evaluate_portfolio`] needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct GridFigures {
    /// Account initial margin (the grid's).
    pub initial_margin: Decimal,
    /// Account maintenance margin (the grid's, plus other positions' held elsewhere).
    pub maintenance_margin: Decimal,
    /// The scenario or charge that sets the requirement.
    pub dominant: String,
}

/// A filled position's own `(initial, maintenance)` margin in a book.
pub type StandaloneMargins<'a> = dyn Fn(&Book, &Position) -> Option<(Decimal, Decimal)> + 'a;

/// Open orders in portfolio mode (see the module documentation): each fill re-runs the grid
/// (`grid`, the book's scenario margin) on the filled book; `standalone` gives the filled
/// position's own margins for display ([`account::standalone_margins`]). `base` is the
/// response for `book`, whose account margins are already the grid's.
pub fn evaluate_portfolio(
    book: &Book,
    base: &Response,
    orders: &[Order],
    grid: &dyn Fn(&Book) -> Option<GridFigures>,
    standalone: &StandaloneMargins<'_>,
) -> OrdersResult {
    let im_now = base.account.initial_margin;
    let available_now = base.account.equity - im_now;
    // Resting orders: the larger of "every buy fills" and "every sell fills".
    let side_filled = |side: Side| -> Option<Decimal> {
        let mut b = book.clone();
        let mut any = false;
        for o in orders.iter().filter(|o| o.side == side) {
            b = fill(&b, o).ok()?.0;
            any = true;
        }
        if !any {
            return Some(im_now);
        }
        grid(&b).map(|g| g.initial_margin)
    };
    let with_buys = side_filled(Side::Long);
    let with_sells = side_filled(Side::Short);
    let im_with_orders = [with_buys, with_sells]
        .into_iter()
        .flatten()
        .fold(im_now, Decimal::max);
    let orders_margin = im_with_orders - im_now;
    let with_orders = available_now - orders_margin;

    let results = orders
        .iter()
        .map(|order| {
            let market = &book.markets[order.market];
            let notional = value(market, order.contracts, order.price).unwrap_or(Decimal::ZERO);
            let outcome = fill(book, order).and_then(|(after, realized)| {
                let g = grid(&after).ok_or_else(|| {
                    "the portfolio margin of the filled book is beyond the engine's range"
                        .to_string()
                })?;
                let equity = book_equity(&after).ok_or_else(|| {
                    "the equity of the filled book is beyond the engine's range".to_string()
                })?;
                Ok((after, realized, g, equity))
            });
            let (if_filled, reason) = match outcome {
                Ok((after, realized, g, equity)) => {
                    let incremental = g.initial_margin - im_now;
                    let available = equity - g.initial_margin;
                    let position = after
                        .positions
                        .iter()
                        .find(|p| p.market == order.market)
                        .map(|p| {
                            let (im, mm) = standalone(&after, p).unwrap_or_default();
                            PositionAfter {
                                side: p.side,
                                size: p.contracts,
                                entry_price: round_plain(p.entry_price),
                                initial_margin: im,
                                maintenance_margin: mm,
                                liquidation_price: None,
                            }
                        });
                    (
                        Some(FillResult {
                            position,
                            realized_pnl: round_plain(realized),
                            incremental_initial_margin: round_margin(incremental),
                            initial_margin: g.initial_margin,
                            available_balance: round_plain(available),
                            allowed: available >= Decimal::ZERO || incremental <= Decimal::ZERO,
                            liquidation_prices: Vec::new(),
                            maintenance_margin: Some(g.maintenance_margin),
                            equity: Some(round_plain(equity)),
                            margin_ratio: (equity > Decimal::ZERO)
                                .then(|| g.maintenance_margin.checked_over(equity))
                                .flatten()
                                .map(round_plain),
                            dominant_scenario: Some(g.dominant),
                        }),
                        None,
                    )
                }
                Err(reason) => (None, Some(reason)),
            };
            OrderResult {
                symbol: market.symbol.clone(),
                side: if order.side.is_long() { "buy" } else { "sell" }.to_string(),
                size: order.contracts,
                price: order.price,
                notional: round_plain(notional),
                if_filled,
                reason,
            }
        })
        .collect();

    OrdersResult {
        markets: Vec::new(),
        initial_margin: round_margin(orders_margin),
        initial_margin_with_orders: round_margin(im_with_orders),
        available_balance_with_orders: round_plain(with_orders),
        allowed: with_orders >= Decimal::ZERO || orders_margin.is_zero(),
        orders: results,
        notes: vec![
            "Portfolio mode: open orders hold max(IM(book), IM(book + every buy filled), IM(book + every sell filled)) − IM(book), each IM the scenario grid's; no per-market figures.".into(),
            "Portfolio mode: each what-if fills one order alone, now, at its price (an option's premium is its entry), and re-runs the scenario grid on the filled book for the account's IM and MM; equity = wallet + realised PnL + every position's PnL at the mark. The book liquidation prices are not recomputed per order (see account.bookLiquidation for the current book); each position's own margins are its standalone standard figures. Fees and OKX's order loss are not included.".into(),
        ],
    }
}
