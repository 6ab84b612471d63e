//! Liquidation prices: closed forms for one position holding everything else fixed
//! (Binance one-way form), the tier-at-liquidation rule, bankruptcy prices, and a robust
//! bracketed root search of `equity(P) = MM(P)` for books where no closed form exists.
//!
//! Arithmetic here is checked: a candidate price that would overflow `Decimal`, or lies beyond
//! [`MAX_PRICE`], is reported as "no liquidation" with a reason instead of panicking.

use crate::account::{maintenance_at, pnl, rates_at};
use crate::fmath::DetMath;
use crate::instrument::{MarginBasis, Market, Position, Settlement};
use crate::money::DecimalOps;
use crate::money::Num;
use crate::rules::{MarginRule, Rates, RatesSource};
use rust_decimal::{Decimal, MathematicalOps};

/// Prices above this (1000 × the largest accepted input price) are reported as "no liquidation":
/// the margin covers the position up to any price the market could print.
pub const MAX_PRICE: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0); // 1e15

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

/// A stretch of notional `[lo, hi)` on which maintenance is `MM = N · MMR − cum` with constant
/// rates: one tier of a table, or one side of the floor at zero of a fixed rule with a
/// deduction (`max(0, N · MMR − amount)`, zero below `N = amount / MMR`).
struct Piece {
    rates: Rates,
    lo: Decimal,
    hi: Option<Decimal>,
}

fn zero_rates(source: &'static str) -> Rates {
    Rates {
        initial_margin_rate: None,
        maintenance_margin_rate: Decimal::ZERO,
        maintenance_amount: Decimal::ZERO,
        tier: None,
        max_leverage: None,
        source: RatesSource::Note(source),
    }
}

/// The pieces of a mark-basis maintenance function whose rates do not depend on the base size
/// (fixed and tiered rules; size-scaled linear, where the size does not move with the price).
fn pieces(m: &Market, p: &Position) -> Vec<Piece> {
    match &m.rule {
        MarginRule::Tiered(table) => table
            .tiers()
            .iter()
            .enumerate()
            .map(|(k, t)| Piece {
                rates: m.rule.rates_in_tier(k, table),
                lo: t.notional_floor,
                hi: t.notional_cap,
            })
            .collect(),
        MarginRule::Fixed {
            maintenance_margin_rate,
            maintenance_amount,
            ..
        } if *maintenance_amount > Decimal::ZERO && *maintenance_margin_rate > Decimal::ZERO => {
            let rates = rates_at(m, p, m.mark_price);
            match maintenance_amount.checked_over(*maintenance_margin_rate) {
                Some(knee) => vec![
                    Piece {
                        rates: zero_rates("maintenance floored at 0 (notional below amount / MMR)"),
                        lo: Decimal::ZERO,
                        hi: Some(knee),
                    },
                    Piece {
                        rates,
                        lo: knee,
                        hi: None,
                    },
                ],
                None => vec![Piece {
                    rates: zero_rates("maintenance floored at 0"),
                    lo: Decimal::ZERO,
                    hi: None,
                }],
            }
        }
        _ => vec![Piece {
            rates: rates_at(m, p, m.mark_price),
            lo: Decimal::ZERO,
            hi: None,
        }],
    }
}

/// Solves `rest + PnL(P) = MM(P)` for `P` on mark basis with the rates held at `rates`:
///
/// - Linear (Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts";
///   margin-models.md §1): `LP = (WB − TMM1 + UPNL1 + cum − s·Q·EP) / (Q·(MMR + fee) − s·Q)`.
/// - Inverse (Binance FAQ COIN-M liquidation; margin-models.md §2), with `K = contracts · CS`:
///   `rest + s·K·(1/EP − 1/P) = K/P · (MMR + fee) − cum`, so
///   `LP = K·(MMR + fee + s) / (rest + cum + s·K/EP)`.
///
/// `None` when there is no positive finite solution.
fn solve_mark(input: &LiquidationInput, rates: &Rates) -> Option<Decimal> {
    let m = input.market;
    let p = input.position;
    let s = p.side.sign();
    let mmr = rates.maintenance_margin_rate.checked_plus(input.fee)?;
    let cum = rates.maintenance_amount;
    let size = p.contracts.checked_times(m.contract_size)?;
    let price = match m.settlement {
        Settlement::Linear => {
            let den = size.checked_times(mmr)?.checked_minus(s * size)?;
            if den.is_zero() {
                return None;
            }
            let num = input
                .rest
                .checked_plus(cum)?
                .checked_minus(s * size.checked_times(p.entry_price)?)?;
            num.checked_over(den)?
        }
        Settlement::Inverse => {
            let den = input
                .rest
                .checked_plus(cum)?
                .checked_plus(s * size.checked_over(p.entry_price)?)?;
            if den.is_zero() {
                return None;
            }
            size.checked_times(mmr + s)?.checked_over(den)?
        }
    };
    (price > Decimal::ZERO).then_some(price)
}

/// Entry basis (Bybit "Liquidation Price (USDT Contract)", KuCoin help 26694703491737):
/// maintenance fixed at the entry price, `MM_e`, so `LP = EP − s·(rest − MM_e)/Q` (linear) and
/// `1/LP = 1/EP + s·(rest − MM_e)/K` (inverse).
fn solve_entry(input: &LiquidationInput, mm_entry: Decimal) -> Option<Decimal> {
    let m = input.market;
    let p = input.position;
    let s = p.side.sign();
    let size = p.contracts.checked_times(m.contract_size)?;
    let free = input.rest.checked_minus(mm_entry)?;
    let price = match m.settlement {
        Settlement::Linear => p.entry_price.checked_minus(s * free.checked_over(size)?)?,
        Settlement::Inverse => {
            let inv = Decimal::ONE
                .checked_over(p.entry_price)?
                .checked_plus(s * free.checked_over(size)?)?;
            if inv <= Decimal::ZERO {
                return None;
            }
            Decimal::ONE.checked_over(inv)?
        }
    };
    (price > Decimal::ZERO).then_some(price)
}

/// Inverse size-scaled rule on mark basis (Deribit inverse futures; margin-models.md §2–3):
/// the base size `x = K/P` moves with the price and so does `MMR = base + slope·x`. With the
/// coin PnL `s·(K/EP − x)` the condition `rest + s·(K/EP − x) = x·(base + fee) + slope·x²` is the
/// quadratic `slope·x² + (s + base + fee)·x − (rest + s·K/EP) = 0`, solved in the numerically
/// stable form `q = −(b + sgn(b)·√(b² − 4ac))/2`, roots `q/a` and `c/q`. Every positive root is
/// a candidate price `P = K/x`.
fn solve_size_scaled_inverse(input: &LiquidationInput) -> Vec<Decimal> {
    let m = input.market;
    let p = input.position;
    let MarginRule::SizeScaled {
        maintenance_base_rate,
        slope_per_unit,
        ..
    } = &m.rule
    else {
        return Vec::new();
    };
    let s = p.side.sign();
    let roots = || -> Option<Vec<Decimal>> {
        let k = p.contracts.checked_times(m.contract_size)?;
        let a = *slope_per_unit;
        let b = s
            .checked_plus(*maintenance_base_rate)?
            .checked_plus(input.fee)?;
        let c = -(input
            .rest
            .checked_plus(s * k.checked_over(p.entry_price)?)?);
        let xs = if a.is_zero() {
            if b.is_zero() {
                vec![]
            } else {
                vec![(-c).checked_over(b)?]
            }
        } else {
            let disc = b
                .checked_times(b)?
                .checked_minus(a.checked_times(c)?.checked_times(Decimal::from(4))?)?;
            if disc < Decimal::ZERO {
                return Some(vec![]);
            }
            let root = disc.sqrt()?;
            let sign = if b < Decimal::ZERO {
                -Decimal::ONE
            } else {
                Decimal::ONE
            };
            let q = -(b.checked_plus(sign * root)?) / Decimal::TWO;
            let mut v = vec![q.checked_over(a)?];
            if !q.is_zero() {
                v.push(c.checked_over(q)?);
            }
            v
        };
        Some(
            xs.into_iter()
                .filter(|x| *x > Decimal::ZERO)
                .filter_map(|x| k.checked_over(x))
                .filter(|price| *price > Decimal::ZERO)
                .collect(),
        )
    };
    roots().unwrap_or_default()
}

/// [`notional`] with checked arithmetic (candidate prices can be astronomically large).
fn checked_notional(m: &Market, p: &Position, price: Decimal) -> Option<Decimal> {
    let size = p.contracts.checked_times(m.contract_size)?;
    match m.settlement {
        Settlement::Linear => size.checked_times(price),
        Settlement::Inverse => size.checked_over(price),
    }
}

/// True when `price` is on the adverse side of the mark (below it for a long, above for a
/// short) or at it.
fn adverse_side(p: &Position, mark: Decimal, price: Decimal) -> bool {
    if p.side.is_long() {
        price <= mark
    } else {
        price >= mark
    }
}

/// The liquidation price of one position, everything else held at its mark.
///
/// Mark basis: the maintenance function is cut into pieces with constant rates (tiers; the
/// floor at zero of a fixed rule with a deduction). The rates must be the ones at the notional
/// **at the liquidation price** (margin-models.md §1, "iterate until the tier is stable"): every
/// piece's candidate is computed and one whose notional falls back in its own piece is kept.
/// Equity minus MM is continuous and strictly monotone in the price for one position (slope
/// `Q·(1 − MMR)` and `Q·(1 + MMR)` per piece, linear; `K·(1 ± MMR)/P²`, inverse), so the
/// consistent candidate is the unique root, up to ties at a boundary where both pieces give the
/// same price. If rounding leaves none consistent, a bisection in exact decimals decides.
/// Entry basis: maintenance is fixed at entry, one linear equation.
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
    let too_far = |price: Decimal| {
        ClosedForm {
        price: None,
        tier: None,
        reason: Some(format!(
            "equity meets maintenance only at {}, beyond any price the market can reach (limit {MAX_PRICE})",
            price.round_sf(6).unwrap_or(price)
        )),
        formula: "no reachable price solves equity = maintenance margin".into(),
        method: "closedForm",
    }
    };
    let formula = |price: Decimal, r: &Rates| match (m.settlement, m.margin_basis) {
        (Settlement::Linear, MarginBasis::Mark) => format!(
            "(R {} + cum {} − s·Q·EP {}) / (Q·(MMR {}{}) − s·Q) = {}",
            Num(input.rest.round_dp(8)),
            Num(r.maintenance_amount),
            Num((s * p.contracts * m.contract_size * p.entry_price).round_dp(8)),
            Num(r.maintenance_margin_rate),
            if input.fee.is_zero() {
                String::new()
            } else {
                format!(" + fee {}", Num(input.fee))
            },
            Num(price.round_dp(8))
        ),
        (Settlement::Inverse, MarginBasis::Mark) => format!(
            "K·(MMR {} + s) / (R {} + cum {} + s·K/EP), K = {} = {}",
            Num(r.maintenance_margin_rate),
            Num(input.rest.round_dp(8)),
            Num(r.maintenance_amount),
            Num(p.contracts * m.contract_size),
            Num(price.round_dp(8))
        ),
        (_, MarginBasis::Entry) => format!(
            "EP {} ∓ (margin {} − MM at entry) / Q (entry basis) = {}",
            Num(p.entry_price),
            Num(input.rest.round_dp(8)),
            Num(price.round_dp(8))
        ),
    };
    let finish = |price: Decimal, rates: &Rates, method: &'static str, text: String| {
        if price > MAX_PRICE {
            too_far(price)
        } else {
            ClosedForm {
                price: Some(price),
                tier: rates.tier,
                reason: None,
                formula: text,
                method,
            }
        }
    };

    if m.margin_basis == MarginBasis::Entry {
        let mm_entry = maintenance_at(m, p, p.entry_price, input.fee);
        let rates = rates_at(m, p, p.entry_price);
        return match solve_entry(input, mm_entry) {
            Some(price) => finish(price, &rates, "closedForm", formula(price, &rates)),
            None => none(reason_none),
        };
    }

    if m.settlement == Settlement::Inverse && matches!(m.rule, MarginRule::SizeScaled { .. }) {
        // The root nearest the mark on the adverse side is where the position is liquidated
        // (the first of equally near ones; a minimum, not a sort: one less sort in the module).
        let nearest = solve_size_scaled_inverse(input)
            .into_iter()
            .filter(|price| adverse_side(p, m.mark_price, *price))
            .min_by_key(|price| price.minus(m.mark_price).abs());
        return match nearest {
            Some(price) => {
                let rates = rates_at(m, p, price);
                let text = format!(
                    "slope·x² + (s + base{}) ·x − (R {} + s·K/EP) = 0, x = K/P: P = {}",
                    if input.fee.is_zero() { "" } else { " + fee" },
                    input.rest.round_dp(8),
                    price.round_dp(8)
                );
                finish(price, &rates, "closedForm", text)
            }
            None => none(reason_none),
        };
    }

    let mut best: Option<(Decimal, Rates)> = None;
    for piece in pieces(m, p) {
        let Some(price) = solve_mark(input, &piece.rates) else {
            continue;
        };
        // A notional too large for `Decimal` lies in the open-ended last piece.
        let inside = match checked_notional(m, p, price) {
            Some(n) => n >= piece.lo && piece.hi.is_none_or(|hi| n < hi),
            None => piece.hi.is_none(),
        };
        if inside {
            // Ties at a boundary: keep the one nearest the mark.
            let better = match &best {
                None => true,
                Some((b, _)) => (price - m.mark_price).abs() < (*b - m.mark_price).abs(),
            };
            if better {
                best = Some((price, piece.rates));
            }
        }
    }
    match best {
        Some((price, rates)) => finish(price, &rates, "closedForm", formula(price, &rates)),
        None => match bracket_search(input) {
            Some(price) => {
                let rates = rates_at(m, p, price);
                finish(
                    price,
                    &rates,
                    "rootSearch",
                    "equity(P) = MM(P) by bisection".into(),
                )
            }
            None => none(reason_none),
        },
    }
}

/// Equity minus maintenance margin of the position's backing at price `price`, exact:
/// `rest + PnL(P) − MM(P)` (MM at the entry price on entry basis). This is the function whose
/// root is the liquidation price (margin-models.md §1, §7).
pub fn surplus(input: &LiquidationInput, price: Decimal) -> Decimal {
    let m = input.market;
    let p = input.position;
    let mm = match m.margin_basis {
        MarginBasis::Mark => maintenance_at(m, p, price, input.fee),
        MarginBasis::Entry => maintenance_at(m, p, p.entry_price, input.fee),
    };
    input.rest + pnl(m, p, price) - mm
}

/// Bisection of `equity(P) − MM(P)` on the adverse side of the mark, in exact decimals, over
/// `[mark / 10⁶, mark · 10³]`. Used when no piece's closed form is self-consistent (a boundary
/// tie lost to rounding); also the reference the tests compare the closed forms with.
/// Request validation bounds sizes, prices and notionals so that every product here fits in a
/// `Decimal`.
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
    if safe.is_zero() || adverse.is_zero() {
        return None;
    }
    // Already at or past the condition at the mark: there is no adverse-side root to bracket.
    if surplus(input, mark) <= Decimal::ZERO {
        return None;
    }
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
    let no_fee = LiquidationInput {
        fee: Decimal::ZERO,
        ..*input
    };
    solve_mark(&no_fee, &zero_rates("bankruptcy")).filter(|price| *price <= MAX_PRICE)
}

/// Every root of `f` on `[lo, hi]`: the interval is scanned on a geometric grid of `steps`
/// points and each sign change is refined by bisection to `f64` precision. Used for books whose
/// equity and maintenance are not closed-form in the price (options); reports none or several.
pub fn bracketed_roots(f: &dyn Fn(f64) -> f64, lo: f64, hi: f64, steps: usize) -> Vec<f64> {
    let mut roots = Vec::new();
    if !(lo > 0.0 && hi > lo && steps >= 2) {
        return roots;
    }
    let ratio = (hi / lo).dpowf(1.0 / (steps as f64 - 1.0));
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
