//! Properties of the futures engine, checked on random books through the public API
//! (margin-models.md §1, §2, §7):
//! - at the reported liquidation price, equity meets maintenance margin within one tick;
//! - IM ≥ MM ≥ 0; MM is continuous across tier boundaries;
//! - a long's liquidation price is below its mark, a short's above;
//! - an inverse contract equals the linear contract on the reciprocal price;
//! - the closed form agrees with an independent `f64` root search
//!   (`imr::liquidation::bracketed_roots`);
//! - no input makes the engine panic.

use imr::liquidation::bracketed_roots;
use imr::rules::{TierSpec, TierTable};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn extreme_money() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e12".to_string()),
        Just("999999999999.9999999999999999".to_string()),
        Just("1e-12".to_string()),
        Just("0.0000000000010000000000000001".to_string()),
        Just("1".to_string()),
        Just("0.3333333333333333333333333333".to_string()),
        (1i64..=1_000_000_000_000i64, 0u32..=12).prop_map(|(m, e)| Decimal::new(m, e).to_string()),
    ]
}

fn extreme_rate() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("0.9999999999999999999999999999".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        (0i64..=1_000_000, 6u32..=9)
            .prop_map(|(m, e)| Decimal::new(m, e).min(Decimal::ONE).to_string()),
    ]
}

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("IMR_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    }
}

fn d(v: &Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("expected a decimal string, got {v}"));
    Decimal::from_str(s).unwrap_or_else(|_| panic!("not a decimal: {s}"))
}

fn f(v: &Value) -> f64 {
    d(v).to_f64().unwrap_or(f64::NAN)
}

fn run(request: &Value) -> Value {
    let out: Value =
        serde_json::from_str(&imr::calculate_json(&request.to_string())).expect("JSON out");
    assert_eq!(out["ok"], true, "request {request} failed: {out}");
    out["result"].clone()
}

/// A random valid tier table: contiguous, rates non-decreasing, and each tier's max leverage
/// below `1 / MMR` (initial rate above maintenance).
#[derive(Debug, Clone)]
struct Table {
    /// (floor, cap, mmr, max leverage)
    tiers: Vec<(Decimal, Option<Decimal>, Decimal, Decimal)>,
}

impl Table {
    fn json(&self) -> Value {
        let tiers: Vec<Value> = self
            .tiers
            .iter()
            .map(|(floor, cap, mmr, lev)| {
                let mut t = json!({"notionalFloor": floor.to_string(),
                                   "maintenanceMarginRate": mmr.to_string(),
                                   "maxLeverage": lev.to_string()});
                if let Some(c) = cap {
                    t["notionalCap"] = Value::String(c.to_string());
                }
                t
            })
            .collect();
        json!({"type": "tiered", "tiers": tiers})
    }

    /// `(MMR_k, cum_k)` at `notional`, recomputed here from the published recursion.
    fn at(&self, notional: f64) -> (f64, f64) {
        let mut cum = 0.0;
        let mut prev = 0.0;
        let mut out = (0.0, 0.0);
        for (k, (floor, cap, mmr, _)) in self.tiers.iter().enumerate() {
            let (floor, mmr) = (floor.to_f64().unwrap_or(0.0), mmr.to_f64().unwrap_or(0.0));
            if k > 0 {
                cum += floor * (mmr - prev);
            }
            prev = mmr;
            out = (mmr, cum);
            if cap.is_none_or(|c| notional < c.to_f64().unwrap_or(f64::INFINITY)) {
                break;
            }
        }
        out
    }
}

fn table() -> impl Strategy<Value = Table> {
    (
        1usize..=5,
        prop::collection::vec((1_000i64..2_000_000, 0i64..=40), 5),
        1i64..=20,
        any::<bool>(),
    )
        .prop_map(|(n, steps, first_mmr, open_ended)| {
            let mut tiers = Vec::new();
            let mut floor = Decimal::ZERO;
            let mut mmr = Decimal::new(first_mmr, 3); // 0.001 .. 0.02
            let mut lev = Decimal::from(125);
            for (k, (width, bump)) in steps.iter().take(n).enumerate() {
                if k > 0 {
                    mmr += Decimal::new(*bump, 3); // + 0 .. 0.04
                }
                let allowed = (Decimal::ONE / (mmr * Decimal::new(125, 2))).floor();
                lev = lev.min(allowed).max(Decimal::ONE);
                let cap = if k + 1 == n && open_ended {
                    None
                } else {
                    Some(floor + Decimal::from(*width))
                };
                tiers.push((floor, cap, mmr, lev));
                floor = cap.unwrap_or(floor);
            }
            Table { tiers }
        })
}

/// A random market rule: fixed, tiered, or size-scaled.
#[derive(Debug, Clone)]
enum Rule {
    Fixed(Decimal, Decimal),
    Tiered(Table),
    SizeScaled(Decimal, Decimal, Decimal),
}

impl Rule {
    fn json(&self) -> Value {
        match self {
            Rule::Fixed(mmr, amount) => json!({"type": "fixed",
                "maintenanceMarginRate": mmr.to_string(), "maintenanceAmount": amount.to_string()}),
            Rule::Tiered(t) => t.json(),
            Rule::SizeScaled(im, mm, slope) => json!({"type": "sizeScaled",
                "initialBaseRate": im.to_string(), "maintenanceBaseRate": mm.to_string(),
                "slopePerUnit": slope.to_string()}),
        }
    }

    fn max_leverage(&self) -> Decimal {
        match self {
            Rule::Fixed(mmr, _) => (Decimal::ONE / (*mmr * Decimal::TWO))
                .floor()
                .clamp(Decimal::ONE, Decimal::ONE_HUNDRED),
            Rule::Tiered(t) => t.tiers[0].3,
            Rule::SizeScaled(..) => Decimal::ONE,
        }
    }
}

fn rule(allow_size_scaled: bool) -> impl Strategy<Value = Rule> {
    let fixed = (1i64..=100, 0i64..=3).prop_map(|(mmr, amount)| {
        Rule::Fixed(Decimal::new(mmr, 3) / Decimal::TEN, Decimal::from(amount))
    });
    let tiered = table().prop_map(Rule::Tiered);
    let scaled = (1i64..=50, 1i64..=100, 0i64..=100).prop_map(|(mm, extra, slope)| {
        let mm = Decimal::new(mm, 3);
        Rule::SizeScaled(mm + Decimal::new(extra, 4), mm, Decimal::new(slope, 7))
    });
    if allow_size_scaled {
        prop_oneof![fixed, tiered, scaled].boxed()
    } else {
        prop_oneof![fixed, tiered].boxed()
    }
}

/// One random position in one market.
#[derive(Debug, Clone)]
struct Leg {
    rule: Rule,
    inverse: bool,
    long: bool,
    /// Contracts (linear: base units, contract size 1; inverse: 1-USD contracts).
    size: Decimal,
    entry: Decimal,
    mark: Decimal,
    /// Fraction of the rule's max leverage used, in percent.
    leverage_pct: i64,
}

fn leg(inverse: bool) -> impl Strategy<Value = Leg> {
    (
        rule(true),
        any::<bool>(),
        1i64..=2_000_000,
        1_000i64..=10_000_000,
        80i64..=120,
        1i64..=100,
    )
        .prop_map(move |(rule, long, size, entry, mark_pct, leverage_pct)| {
            let entry = Decimal::new(entry, 2); // 10 .. 100000
            let mark = (entry * Decimal::from(mark_pct) / Decimal::ONE_HUNDRED).round_dp(2);
            let size = if inverse {
                Decimal::from(size) // 1 .. 2e6 USD
            } else {
                Decimal::new(size, 3) // 0.001 .. 2000 base units
            };
            Leg {
                rule,
                inverse,
                long,
                size,
                entry,
                mark: mark.max(Decimal::ONE),
                leverage_pct,
            }
        })
}

impl Leg {
    fn leverage(&self) -> Decimal {
        (self.rule.max_leverage() * Decimal::from(self.leverage_pct) / Decimal::ONE_HUNDRED)
            .round()
            .max(Decimal::ONE)
    }

    fn market(&self, symbol: &str, mark: Decimal, tick: Option<Decimal>) -> Value {
        let mut m = json!({"symbol": symbol, "markPrice": mark.to_string(),
                           "settlement": if self.inverse { "inverse" } else { "linear" },
                           "contractSize": "1", "margin": self.rule.json()});
        if let Some(t) = tick {
            m["tickSize"] = Value::String(t.to_string());
        }
        m
    }

    fn position(&self, symbol: &str) -> Value {
        json!({"symbol": symbol, "side": if self.long { "long" } else { "short" },
               "size": self.size.to_string(), "entryPrice": self.entry.to_string(),
               "leverage": self.leverage().to_string()})
    }
}

fn book(wallet: Decimal, isolated: bool, legs: &[Leg], marks: &[Decimal], tick: Decimal) -> Value {
    let markets: Vec<Value> = legs
        .iter()
        .zip(marks)
        .enumerate()
        .map(|(i, (l, m))| l.market(&format!("M{i}"), *m, Some(tick)))
        .collect();
    let positions: Vec<Value> = legs
        .iter()
        .enumerate()
        .map(|(i, l)| l.position(&format!("M{i}")))
        .collect();
    json!({"account": {"walletBalance": wallet.to_string(),
                       "marginMode": if isolated { "isolated" } else { "cross" }},
           "markets": markets, "positions": positions})
}

/// Equity minus maintenance margin backing position `i` (cross: the account; isolated: the
/// position's own margin), as reported.
fn surplus(result: &Value, i: usize, isolated: bool) -> Decimal {
    if isolated {
        let p = &result["positions"][i];
        d(&p["isolatedMargin"]) + d(&p["unrealizedPnl"]) - d(&p["maintenanceMargin"])
    } else {
        d(&result["account"]["equity"]) - d(&result["account"]["maintenanceMargin"])
    }
}

fn price_tick(mark: Decimal) -> Decimal {
    if mark >= Decimal::from(1000) {
        Decimal::new(5, 1)
    } else {
        Decimal::new(1, 2)
    }
}

proptest! {
    #![proptest_config(cases())]

    /// At the reported (tick-rounded) liquidation price the backing equity is still ≥ MM, one
    /// tick further against the position it is below: the root lies within one tick, and the
    /// rounding went against the trader. Also: the long's price is below its mark, the short's
    /// above, unless the position is already liquidatable.
    #[test]
    fn equity_meets_maintenance_at_the_liquidation_price(
        inverse in any::<bool>(),
        isolated in any::<bool>(),
        legs in prop::collection::vec(leg(false), 1..=3),
        inverse_legs in prop::collection::vec(leg(true), 1..=3),
        wallet in 1i64..=5_000_000,
    ) {
        let legs = if inverse { inverse_legs } else { legs };
        let wallet = if inverse { Decimal::new(wallet, 4) } else { Decimal::from(wallet) };
        let marks: Vec<Decimal> = legs.iter().map(|l| l.mark).collect();
        let ticks: Vec<Decimal> = marks.iter().map(|m| price_tick(*m)).collect();
        for (i, leg) in legs.iter().enumerate() {
            let base = run(&book(wallet, isolated, &legs, &marks, ticks[i]));
            let p = &base["positions"][i];
            let liq = &p["liquidation"];
            let already = liq["alreadyLiquidatable"] == true;
            // The reported figures are rounded to 10 places (margins up), so a surplus within
            // that rounding of zero is consistent with either answer; beyond it they must agree.
            let reported = surplus(&base, i, isolated);
            if reported.abs() > Decimal::new(3, 10) {
                prop_assert_eq!(already, reported <= Decimal::ZERO);
            }
            let Some(lp) = liq["price"].as_str().map(|s| Decimal::from_str(s).unwrap()) else {
                continue;
            };
            prop_assert!(lp > Decimal::ZERO);
            let tick = ticks[i];
            if !already {
                // The root is on the safe side of the mark; rounding it to the tick against the
                // trader may carry it at most one tick past the mark.
                if leg.long {
                    prop_assert!(lp < leg.mark + tick, "long LP {} not below mark {}", lp, leg.mark);
                } else {
                    prop_assert!(lp > leg.mark - tick, "short LP {} not above mark {}", lp, leg.mark);
                }
            }
            prop_assert_eq!(lp % tick, Decimal::ZERO, "LP {} not on the tick {}", lp, tick);
            let adverse = if leg.long { lp - tick } else { lp + tick };
            if adverse <= Decimal::ZERO {
                continue;
            }
            let mut at = marks.clone();
            at[i] = lp;
            let at_lp = run(&book(wallet, isolated, &legs, &at, tick));
            at[i] = adverse;
            let beyond = run(&book(wallet, isolated, &legs, &at, tick));
            let (s_lp, s_beyond) = (surplus(&at_lp, i, isolated), surplus(&beyond, i, isolated));
            // Reported figures are rounded to 10 places (margins up): allow that much.
            let eps = Decimal::new(1, 9);
            prop_assert!(s_lp >= -eps, "surplus {} < 0 at LP {}", s_lp, lp);
            prop_assert!(s_beyond <= eps, "surplus {} > 0 one tick past LP {}", s_beyond, lp);
            if s_beyond < Decimal::ZERO {
                prop_assert_eq!(&beyond["positions"][i]["liquidation"]["alreadyLiquidatable"], true);
            }
        }
    }

    /// IM ≥ MM ≥ 0 for every position opened at a leverage the rule allows (fees excluded).
    #[test]
    fn initial_at_least_maintenance_at_least_zero(
        legs in prop::collection::vec(leg(false), 1..=4),
        wallet in 0i64..=5_000_000,
        isolated in any::<bool>(),
    ) {
        let marks: Vec<Decimal> = legs.iter().map(|l| l.mark).collect();
        let r = run(&book(Decimal::from(wallet), isolated, &legs, &marks, Decimal::new(1, 2)));
        for p in r["positions"].as_array().unwrap() {
            let (im, mm) = (d(&p["initialMargin"]), d(&p["maintenanceMargin"]));
            prop_assert!(mm >= Decimal::ZERO);
            prop_assert!(im >= mm, "IM {} < MM {} in {}", im, mm, p);
        }
        let a = &r["account"];
        prop_assert!(d(&a["initialMargin"]) >= d(&a["maintenanceMargin"]));
        prop_assert!(d(&a["availableBalance"]) >= Decimal::ZERO);
    }

    /// Margin is non-decreasing in size, for every rule (fixed, tiered, size-scaled), linear and
    /// inverse: a larger position never needs less initial or maintenance margin.
    #[test]
    fn margin_is_non_decreasing_in_size(
        leg in prop_oneof![leg(false), leg(true)],
        growth in 1i64..=400,
    ) {
        let bigger = Leg { size: leg.size + leg.size * Decimal::from(growth) / Decimal::ONE_HUNDRED, ..leg.clone() };
        let margins = |l: &Leg| {
            let r = run(&book(Decimal::from(1_000_000), false, std::slice::from_ref(l), &[l.mark], Decimal::new(1, 2)));
            let p = &r["positions"][0];
            (d(&p["initialMargin"]), d(&p["maintenanceMargin"]))
        };
        let (im_small, mm_small) = margins(&leg);
        let (im_big, mm_big) = margins(&bigger);
        prop_assert!(mm_big >= mm_small, "MM {} < {} when growing {:?}", mm_big, mm_small, leg);
        prop_assert!(im_big >= im_small, "IM {} < {} when growing {:?}", im_big, im_small, leg);
    }

    /// MM is continuous in the notional: exactly equal from both tiers at each boundary
    /// (the recursion), and within `ε · MMR` a hair below it (through the public request).
    #[test]
    fn maintenance_is_continuous_across_tiers(t in table()) {
        let specs: Vec<TierSpec> = t.tiers.iter().map(|(floor, cap, mmr, lev)| TierSpec {
            notional_floor: *floor, notional_cap: *cap, maintenance_margin_rate: *mmr,
            max_leverage: *lev, maintenance_amount: None,
        }).collect();
        let table = TierTable::new("tiers", &specs).expect("valid generated table");
        let eps = Decimal::new(1, 4);
        for w in table.tiers().windows(2) {
            let n = w[1].notional_floor;
            let lower = n * w[0].maintenance_margin_rate - w[0].maintenance_amount;
            let upper = n * w[1].maintenance_margin_rate - w[1].maintenance_amount;
            prop_assert_eq!(lower, upper);
            let request = |size: Decimal| json!({
                "account": {"walletBalance": "1000000000", "marginMode": "cross"},
                "markets": [{"symbol": "X", "markPrice": "1", "margin": t.json()}],
                "positions": [{"symbol": "X", "side": "long", "size": size.to_string(),
                               "entryPrice": "1", "leverage": "1"}]});
            let at = d(&run(&request(n))["positions"][0]["maintenanceMargin"]);
            let below = d(&run(&request(n - eps))["positions"][0]["maintenanceMargin"]);
            prop_assert_eq!(at, upper);
            prop_assert!(at >= below && at - below <= eps * w[1].maintenance_margin_rate,
                "jump at {}: {} → {}", n, below, at);
        }
    }

    /// An inverse contract of K USD at price P is a linear contract of K units on the price
    /// 1/P, on the other side (coin PnL `s·K·(1/EP − 1/P) = (−s)·K·(1/P − 1/EP)`): notional,
    /// margins and PnL agree, and the liquidation prices are reciprocal.
    #[test]
    fn inverse_equals_linear_on_the_reciprocal_price(
        rule in rule(false),
        long in any::<bool>(),
        k in 100i64..=2_000_000,
        entry in 1_000i64..=10_000_000,
        mark_pct in 85i64..=115,
        wallet in 1i64..=100_000,
        isolated in any::<bool>(),
    ) {
        let entry = Decimal::new(entry, 2);
        let mark = (entry * Decimal::from(mark_pct) / Decimal::ONE_HUNDRED).round_dp(2);
        let k = Decimal::from(k);
        let wallet = Decimal::new(wallet, 4);
        let leg = Leg { rule, inverse: true, long, size: k, entry, mark, leverage_pct: 50 };
        let lev = leg.leverage().to_string();
        let mode = if isolated { "isolated" } else { "cross" };
        let inv = run(&json!({
            "account": {"walletBalance": wallet.to_string(), "marginMode": mode},
            "markets": [leg.market("INV", mark, None)],
            "positions": [{"symbol": "INV", "side": if long { "long" } else { "short" },
                           "size": k.to_string(), "entryPrice": entry.to_string(),
                           "leverage": lev}]}));
        let lin = run(&json!({
            "account": {"walletBalance": wallet.to_string(), "marginMode": mode},
            "markets": [{"symbol": "LIN", "markPrice": (Decimal::ONE / mark).to_string(),
                         "margin": leg.rule.json()}],
            "positions": [{"symbol": "LIN", "side": if long { "short" } else { "long" },
                           "size": k.to_string(), "entryPrice": (Decimal::ONE / entry).to_string(),
                           "leverage": lev}]}));
        let (pi, pl) = (&inv["positions"][0], &lin["positions"][0]);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-6);
        for key in ["notional", "initialMargin", "maintenanceMargin", "unrealizedPnl"] {
            prop_assert!(close(f(&pi[key]), f(&pl[key])), "{}: {} vs {}", key, pi[key], pl[key]);
        }
        prop_assert_eq!(&pi["tier"], &pl["tier"]);
        let li = &pi["liquidation"]["price"];
        let ll = &pl["liquidation"]["price"];
        prop_assert_eq!(li.is_null(), ll.is_null(), "{} vs {}", li, ll);
        if !li.is_null() {
            // Both are rounded to 10 places: compare on the small (linear) side.
            let (li, ll) = (f(li), f(ll));
            prop_assert!((ll - 1.0 / li).abs() <= 2e-10 + 1e-9 * ll, "LP {} vs 1/{}", li, ll);
        }
    }

    /// The closed form (with the tier-at-liquidation rule) agrees with an independent `f64`
    /// bracketed root search of `equity(P) − MM(P)` built here from margin-models.md §1.
    #[test]
    fn closed_form_agrees_with_root_search(
        t in table(),
        long in any::<bool>(),
        q in 1i64..=2_000_000,
        entry in 1_000i64..=10_000_000,
        mark_pct in 90i64..=110,
        wallet_pct in 1i64..=200,
        other_mm in 0i64..=1000,
    ) {
        let entry = Decimal::new(entry, 2);
        let mark = (entry * Decimal::from(mark_pct) / Decimal::ONE_HUNDRED).round_dp(2);
        let q = Decimal::new(q, 3);
        let wallet = (q * mark * Decimal::from(wallet_pct) / Decimal::from(1000)).round_dp(2);
        let other_mm = Decimal::from(other_mm);
        let r = run(&json!({
            "account": {"walletBalance": wallet.to_string(), "marginMode": "cross",
                        "otherMaintenanceMargin": other_mm.to_string()},
            "markets": [{"symbol": "X", "markPrice": mark.to_string(), "margin": t.json()}],
            "positions": [{"symbol": "X", "side": if long { "long" } else { "short" },
                           "size": q.to_string(), "entryPrice": entry.to_string(),
                           "leverage": "1"}]}));
        let s = if long { 1.0 } else { -1.0 };
        let (qf, ef, wf, of) = (q.to_f64().unwrap(), entry.to_f64().unwrap(),
                                wallet.to_f64().unwrap(), other_mm.to_f64().unwrap());
        let g = |p: f64| {
            let (mmr, cum) = t.at(qf * p);
            wf - of + s * qf * (p - ef) - (qf * p * mmr - cum).max(0.0)
        };
        let markf = mark.to_f64().unwrap();
        let roots = bracketed_roots(&g, markf / 1e4, markf * 1e4, 4000);
        let liq = &r["positions"][0]["liquidation"];
        if liq["alreadyLiquidatable"] == true {
            prop_assert!(g(markf) <= 1e-6 * qf * markf);
            return Ok(());
        }
        let adverse: Vec<f64> = roots.into_iter()
            .filter(|x| if long { *x < markf } else { *x > markf }).collect();
        match liq["price"].as_str() {
            None => prop_assert!(adverse.is_empty(), "engine none, search {:?}", adverse),
            Some(lp) => {
                let lp = f64::from_str(lp).unwrap();
                prop_assert_eq!(adverse.len(), 1, "search {:?} vs engine {}", adverse, lp);
                prop_assert!((adverse[0] - lp).abs() <= 1e-9 * lp.max(1.0),
                    "engine {} vs search {}", lp, adverse[0]);
            }
        }
    }

    /// No input makes the engine panic: every numeric field takes extreme but individually valid
    /// values (1e12, 1e-12, 28-digit fractions, rates 0 and 1), alone or in combination; the
    /// outcome is a result or field errors.
    #[test]
    fn never_panics(
        money in prop::collection::vec(extreme_money(), 10),
        rates in prop::collection::vec(extreme_rate(), 4),
        inverse in any::<bool>(),
        isolated in any::<bool>(),
        long in any::<bool>(),
        kind in 0usize..3,
        with_tick in any::<bool>(),
        with_order in any::<bool>(),
    ) {
        let m = |i: usize| Value::String(money[i].clone());
        let r = |i: usize| Value::String(rates[i].clone());
        let margin = match kind {
            0 => json!({"type": "fixed", "maintenanceMarginRate": r(0), "maintenanceAmount": m(0)}),
            1 => json!({"type": "tiered", "tiers": [
                {"notionalFloor": "0", "notionalCap": m(0), "maintenanceMarginRate": "0.004",
                 "maxLeverage": "125"},
                {"notionalFloor": m(0), "maintenanceMarginRate": r(1), "maxLeverage": "1"}]}),
            _ => json!({"type": "sizeScaled", "initialBaseRate": r(0), "maintenanceBaseRate": r(1),
                        "slopePerUnit": r(2)}),
        };
        let mut market = json!({"symbol": "X", "settlement": if inverse { "inverse" } else { "linear" },
                                "contractSize": m(1), "markPrice": m(2), "margin": margin});
        if with_tick {
            market["tickSize"] = m(3);
        }
        let mut request = json!({
            "account": {"walletBalance": m(4), "marginMode": if isolated { "isolated" } else { "cross" },
                        "otherMaintenanceMargin": m(5), "otherUnrealizedPnl": m(6),
                        "includeFees": true, "takerFeeRate": r(3)},
            "markets": [market],
            "positions": [{"symbol": "X", "side": if long { "long" } else { "short" },
                           "size": m(7), "entryPrice": m(8), "leverage": "1000",
                           "isolatedMargin": m(9)}]});
        if with_order {
            request["orders"] = json!([{"symbol": "X", "side": if long { "sell" } else { "buy" },
                                        "size": m(1), "price": m(3)}]);
        }
        let out: Value = serde_json::from_str(&imr::calculate_json(&request.to_string())).unwrap();
        prop_assert!(out["ok"] == true || out["errors"].as_array().is_some_and(|e| !e.is_empty()));
    }
}
