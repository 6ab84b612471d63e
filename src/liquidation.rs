//! Liquidation prices: closed forms for one position holding everything else fixed
//! (Binance one-way form), the tier-at-liquidation rule, bankruptcy prices, and a robust
//! bracketed root search of `equity(P) = MM(P)` for books where no closed form exists.

use crate::account::{notional, pnl, rates_at};
use crate::instrument::{MarginBasis, Market, Position, Settlement};
use crate::rules::{MarginRule, Rates};
use rust_decimal::Decimal;

/// What the closed form needs: the position, its market, and `rest` — everything backing the
/// position apart from its own PnL (isolated: its margin; cross: `WB − TMM1 + UPNL1`).
#[derive(Debug, Clone, Copy)]
pub struct LiquidationInput<'a> {
    /// The market.
    pub market: &'a Market,
    /// The position.
    pub position: &'a Position,
    /// `WB − TMM1 + UPNL1` (Binance) or the isolated margin.
    pub rest: Decimal,
    /// Closing fee rate included in the condition (0 when fees are excluded).
    pub fee: Decimal,
}

/// Result of the closed form.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedForm {
    /// The liquidation price, unrounded; `None` when the position cannot be liquidated.
    pub price: Option<Decimal>,
    /// Index of the tier used at the liquidation price.
    pub tier: Option<usize>,
    /// Why there is none, if none.
    pub reason: Option<String>,
    /// The formula with numbers substituted.
    pub formula: String,
    /// How it was found.
    pub method: &'static str,
}

/// Solves `rest + PnL(P) = MM(P)` for `P` with the rates held at `rates`.
///
/// - Linear, mark basis (Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures
///   Contracts"): `LP = (WB − TMM1 + UPNL1 + cum − s·Q·EP) / (Q·(MMR + fee) − s·Q)`.
/// - Inverse, mark basis (Binance FAQ COIN-M liquidation; margin-models.md §2), with
///   `K = contracts · CS`: `LP = K·(MMR + fee + s) / (rest + cum + s·K/EP)`.
/// - Entry basis (Bybit "Liquidation Price (USDT Contract)", KuCoin): maintenance margin fixed
///   at the entry price, `LP = EP − s·(rest − MM_entry)/Q` (linear) and
///   `1/LP = 1/EP + s·(rest − MM_entry)/K` (inverse).
///
/// Returns `None` when the price would be zero or negative (no liquidation).
fn solve_with(input: &LiquidationInput, rates: &Rates, maintenance_on: Decimal) -> Option<Decimal> {
    let m = input.market;
    let p = input.position;
    let s = p.side.sign();
    let mmr = rates.maintenance_margin_rate + input.fee;
    let cum = rates.maintenance_amount;
    let price = match (m.settlement, m.margin_basis) {
        (Settlement::Linear, MarginBasis::Mark) => {
            let q = p.contracts * m.contract_size;
            let den = q * mmr - s * q;
            if den.is_zero() {
                return None;
            }
            (input.rest + cum - s * q * p.entry_price).checked_div(den)?
        }
        (Settlement::Inverse, MarginBasis::Mark) => {
            let k = p.contracts * m.contract_size;
            let den = input.rest + cum + s * k / p.entry_price;
            if den.is_zero() {
                return None;
            }
            (k * (mmr + s)).checked_div(den)?
        }
        (Settlement::Linear, MarginBasis::Entry) => {
            let q = p.contracts * m.contract_size;
            let mm_entry = notional(m, p, maintenance_on) * mmr - cum;
            p.entry_price - s * (input.rest - mm_entry) / q
        }
        (Settlement::Inverse, MarginBasis::Entry) => {
            let k = p.contracts * m.contract_size;
            let mm_entry = notional(m, p, maintenance_on) * mmr - cum;
            let inv = Decimal::ONE / p.entry_price + s * (input.rest - mm_entry) / k;
            if inv <= Decimal::ZERO {
                return None;
            }
            Decimal::ONE.checked_div(inv)?
        }
    };
    (price > Decimal::ZERO).then_some(price)
}

/// The liquidation price of one position, everything else held at its mark.
/// For tiered rules the tier must be the one at the notional **at the liquidation price**: every
/// tier's candidate is computed and the one whose notional falls back in its own tier is kept
/// (MM is continuous and monotone in the notional, so exactly one is consistent, up to ties at
/// a boundary where both give the same price).
pub fn closed_form(input: &LiquidationInput) -> ClosedForm {
    let m = input.market;
    let p = input.position;
    let s = p.side.sign();
    let none = |reason: &str| ClosedForm {
        price: None,
        tier: None,
        reason: Some(reason.to_string()),
        formula: "no positive price solves equity = maintenance margin".into(),
        method: "closedForm",
    };
    let reason_none = if p.side.is_long() {
        "the margin covers the whole position: the price can fall to zero without liquidation"
    } else {
        "the margin covers the short at any price"
    };
    let formula = |price: Decimal, r: &Rates| match (m.settlement, m.margin_basis) {
        (Settlement::Linear, MarginBasis::Mark) => format!(
            "(R {} + cum {} − s·Q·EP {}) / (Q·(MMR {}{}) − s·Q) = {}",
            input.rest.round_dp(8),
            r.maintenance_amount,
            (s * p.contracts * m.contract_size * p.entry_price).round_dp(8),
            r.maintenance_margin_rate,
            if input.fee.is_zero() {
                String::new()
            } else {
                format!(" + fee {}", input.fee)
            },
            price.round_dp(8)
        ),
        (Settlement::Inverse, MarginBasis::Mark) => format!(
            "K·(MMR {} + s) / (R {} + cum {} + s·K/EP), K = {} = {}",
            r.maintenance_margin_rate,
            input.rest.round_dp(8),
            r.maintenance_amount,
            p.contracts * m.contract_size,
            price.round_dp(8)
        ),
        (_, MarginBasis::Entry) => format!(
            "EP {} ∓ (margin − MM at entry) / Q (entry basis) = {}",
            p.entry_price,
            price.round_dp(8)
        ),
    };
    match (&m.rule, m.margin_basis) {
        (MarginRule::Tiered(table), MarginBasis::Mark) => {
            let mut best: Option<(Decimal, usize)> = None;
            for k in 0..table.tiers().len() {
                let rates = m.rule.rates_in_tier(k, table);
                if let Some(price) = solve_with(input, &rates, price_placeholder(p)) {
                    if table.index_for(notional(m, p, price)) == k {
                        // Ties at a boundary: keep the one nearest the mark on the adverse side.
                        let better = match best {
                            None => true,
                            Some((b, _)) => (price - m.mark_price).abs() < (b - m.mark_price).abs(),
                        };
                        if better {
                            best = Some((price, k));
                        }
                    }
                }
            }
            match best {
                Some((price, k)) => ClosedForm {
                    price: Some(price),
                    tier: Some(k),
                    reason: None,
                    formula: formula(price, &m.rule.rates_in_tier(k, table)),
                    method: "closedForm",
                },
                None => match bracket_search(input) {
                    Some(price) => ClosedForm {
                        price: Some(price),
                        tier: Some(table.index_for(notional(m, p, price))),
                        reason: None,
                        formula: "equity(P) = MM(P) by bisection".into(),
                        method: "rootSearch",
                    },
                    None => none(reason_none),
                },
            }
        }
        _ => {
            // Rates that do not depend on the notional (fixed), or depend on it only through the
            // base size (size-scaled inverse: iterate to a fixed point), or entry basis.
            let basis_price = match m.margin_basis {
                MarginBasis::Entry => p.entry_price,
                MarginBasis::Mark => m.mark_price,
            };
            let mut rates = rates_at(m, p, basis_price);
            let mut price = solve_with(input, &rates, basis_price);
            if m.margin_basis == MarginBasis::Mark && m.settlement == Settlement::Inverse {
                for _ in 0..50 {
                    let Some(current) = price else { break };
                    let next_rates = rates_at(m, p, current);
                    if next_rates == rates {
                        break;
                    }
                    rates = next_rates;
                    price = solve_with(input, &rates, current);
                }
            }
            match price {
                Some(pr) => ClosedForm {
                    price: Some(pr),
                    tier: rates.tier,
                    reason: None,
                    formula: formula(pr, &rates),
                    method: "closedForm",
                },
                None => none(reason_none),
            }
        }
    }
}

fn price_placeholder(p: &Position) -> Decimal {
    p.entry_price
}

/// Equity minus maintenance margin of the position's backing at price `price` (Decimal exact).
fn surplus(input: &LiquidationInput, price: Decimal) -> Decimal {
    let m = input.market;
    let p = input.position;
    let mm = match m.margin_basis {
        MarginBasis::Mark => crate::account::maintenance_at(m, p, price, input.fee),
        MarginBasis::Entry => crate::account::maintenance_at(m, p, p.entry_price, input.fee),
    };
    input.rest + pnl(m, p, price) - mm
}

/// Bisection of `equity(P) − MM(P)` on the adverse side of the mark, in exact decimals.
/// Used when no tier's closed form is self-consistent (a boundary tie); also the reference the
/// tests compare the closed forms with.
pub fn bracket_search(input: &LiquidationInput) -> Option<Decimal> {
    let m = input.market;
    let long = input.position.side.is_long();
    let mark = m.mark_price;
    // Find a bracket: surplus > 0 at the safe end, ≤ 0 at the adverse end.
    let (mut safe, mut adverse) = if long {
        (mark * Decimal::from(1000), mark / Decimal::from(1_000_000))
    } else {
        (mark / Decimal::from(1_000_000), mark * Decimal::from(1000))
    };
    if surplus(input, safe) <= Decimal::ZERO {
        safe = mark;
    }
    if surplus(input, adverse) > Decimal::ZERO {
        return None;
    }
    for _ in 0..200 {
        let mid = (safe + adverse) / Decimal::TWO;
        if mid == safe || mid == adverse {
            break;
        }
        if surplus(input, mid) > Decimal::ZERO {
            safe = mid;
        } else {
            adverse = mid;
        }
        if (safe - adverse).abs() < Decimal::new(1, 12) {
            break;
        }
    }
    Some(adverse)
}

/// Bankruptcy price: where the position's backing equity reaches zero (`MMR = 0`, no deduction,
/// no fee). For a fresh isolated linear position `BP = EP · (1 − s / leverage)` (Bybit help
/// "Bankruptcy Price"; margin-models.md §1).
pub fn bankruptcy_price(input: &LiquidationInput) -> Option<Decimal> {
    let zero = Rates {
        initial_margin_rate: None,
        maintenance_margin_rate: Decimal::ZERO,
        maintenance_amount: Decimal::ZERO,
        tier: None,
        max_leverage: None,
        source: String::new(),
    };
    let mut mark_market = input.market.clone();
    mark_market.margin_basis = MarginBasis::Mark;
    let no_fee = LiquidationInput {
        market: &mark_market,
        fee: Decimal::ZERO,
        ..*input
    };
    solve_with(&no_fee, &zero, input.position.entry_price)
}

/// Every root of `f` on `[lo, hi]`: the interval is scanned on a geometric grid of `steps`
/// points and each sign change is refined by bisection to `f64` precision. Used for books whose
/// equity and maintenance are not closed-form in the price (options); reports none or several.
pub fn bracketed_roots(f: &dyn Fn(f64) -> f64, lo: f64, hi: f64, steps: usize) -> Vec<f64> {
    let mut roots = Vec::new();
    if !(lo > 0.0 && hi > lo && steps >= 2) {
        return roots;
    }
    let ratio = (hi / lo).powf(1.0 / (steps as f64 - 1.0));
    let mut x0 = lo;
    let mut f0 = f(x0);
    for i in 1..steps {
        let x1 = if i + 1 == steps {
            hi
        } else {
            lo * ratio.powi(i as i32)
        };
        let f1 = f(x1);
        if f0 == 0.0 {
            roots.push(x0);
        } else if f0.is_finite() && f1.is_finite() && (f0 < 0.0) != (f1 < 0.0) && f1 != 0.0 {
            let (mut a, mut b, mut fa) = (x0, x1, f0);
            for _ in 0..200 {
                let mid = 0.5 * (a + b);
                if mid <= a || mid >= b {
                    break;
                }
                let fm = f(mid);
                if (fm < 0.0) == (fa < 0.0) {
                    a = mid;
                    fa = fm;
                } else {
                    b = mid;
                }
            }
            roots.push(0.5 * (a + b));
        }
        x0 = x1;
        f0 = f1;
    }
    if f0 == 0.0 {
        roots.push(x0);
    }
    roots
}
