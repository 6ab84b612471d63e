//! Historical-simulation Value-at-Risk and Expected Shortfall with full revaluation
//! (margin-models.md §6).
//!
//! Scenario `j` applies an observed (or `h`-day aggregated) daily log return `R_j` to the
//! underlying: `PnL_j = V(S·e^{R_j}, 0, ageDays) − V(S, 0, 0)`; the loss is `L_j = −PnL_j`.
//! `VaR_α` is a quantile of the losses and `ES_α` the mean of the tail beyond it. Because
//! several quantile conventions are in use and differ by one order statistic on typical sample
//! sizes, the convention is always explicit ([`VarMethod`], [`EsMethod`]):
//!
//! * **Default VaR** — [`VarMethod::KthWorst`]`(`[`KRule::FloorPlusOne`]`)`: the
//!   `k`-th worst loss with `k = ⌊n(1−α)⌋ + 1`, which is exactly the empirical quantile
//!   `inf{ℓ : F_n(ℓ) ≥ α}` (Hyndman–Fan type 1, numpy `inverted_cdf` on the losses).
//!   `n(1−α)` is computed in **exact decimal arithmetic** from `α`'s shortest decimal form:
//!   in floating point `1000·(1 − 0.99) = 10.000000000000009`, whose ceiling is 11, not 10.
//! * **Default ES** — [`EsMethod::AcerbiTasche`]:
//!   `ES = [Σ_{k≤⌊m⌋} desc_k + (m − ⌊m⌋)·desc_{⌊m⌋+1}] / m`, `m = n(1−α)` exact
//!   (Acerbi & Tasche 2002, "On the coherence of expected shortfall", J. Banking & Finance 26,
//!   1487–1503, eq. (3.3)); for `n = 1000`, `α = 0.99` the mean of the 10 worst losses.
//! * numpy conventions — [`QuantileMethod`] reproduces `numpy.quantile(…, method=…)` (numpy ≥
//!   1.22, Hyndman & Fan 1996 "Sample quantiles in statistical packages", Amer. Statistician 50,
//!   361–365) bit for bit on sorted data, either on the loss vector ([`VarMethod::LossQuantile`]:
//!   `np.quantile(L, α)`) or on the P&L vector ([`VarMethod::NegPnlQuantile`]:
//!   `−np.quantile(PnL, 1 − α)` with `1 − α` evaluated in `f64`, as numpy users write it). The two
//!   differ for asymmetric methods (`lower`, `higher`, `inverted_cdf`, …).
//!
//! Horizons ([`Horizon`]): one day; `h` days by `√h` scaling of the one-day figures; or `h`-day
//! returns `R_j = r_j + … + r_(j+h−1)` (summed left to right) over overlapping windows
//! (`j = 0, 1, …, n−h`) or non-overlapping ones (`j = 0, h, 2h, …`).
//!
//! ```
//! use imr::risk::var::{historical_var, HsVarSpec};
//! let returns = [0.01, -0.02, 0.005, -0.04, 0.03, -0.01, 0.0, 0.02, -0.03, 0.015];
//! // 1 BTC long at 60 000, α = 0.9: k = ⌊10·0.1⌋ + 1 = 2nd worst loss.
//! let r = historical_var(60_000.0, &returns, &HsVarSpec::new(0.9), |s, _, _| s).unwrap();
//! assert!((r.var - 60_000.0 * -(-0.03f64).exp_m1()).abs() < 1e-6);
//! assert!((r.es - 60_000.0 * -(-0.04f64).exp_m1()).abs() < 1e-6); // m = 1: the worst loss
//! ```

use super::{finite, positive, valuation, RiskError};
use crate::fmath::DetMath;
use crate::money::{DecimalOps, Float};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// numpy's quantile methods (numpy ≥ 1.22 names), Hyndman & Fan types 1–9 and numpy's others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantileMethod {
    /// H&F type 1: smallest `x` with `F_n(x) ≥ q`.
    InvertedCdf,
    /// H&F type 2: type 1 with averaging at discontinuities.
    AveragedInvertedCdf,
    /// H&F type 3: nearest even order statistic.
    ClosestObservation,
    /// H&F type 4: `α = 0, β = 1`.
    InterpolatedInvertedCdf,
    /// H&F type 5: `α = β = 1/2`.
    Hazen,
    /// H&F type 6: `α = β = 0`.
    Weibull,
    /// H&F type 7, numpy's default: virtual index `(n−1)·q`, linear interpolation.
    Linear,
    /// H&F type 8: `α = β = 1/3`.
    MedianUnbiased,
    /// H&F type 9: `α = β = 3/8`.
    NormalUnbiased,
    /// `asc[⌊(n−1)·q⌋]`.
    Lower,
    /// `asc[⌈(n−1)·q⌉]`.
    Higher,
    /// Mean of `lower` and `higher`.
    Midpoint,
    /// `asc[round_half_even((n−1)·q)]`.
    Nearest,
}

impl QuantileMethod {
    /// Every method, in numpy's documentation order.
    pub const ALL: [QuantileMethod; 13] = [
        QuantileMethod::InvertedCdf,
        QuantileMethod::AveragedInvertedCdf,
        QuantileMethod::ClosestObservation,
        QuantileMethod::InterpolatedInvertedCdf,
        QuantileMethod::Hazen,
        QuantileMethod::Weibull,
        QuantileMethod::Linear,
        QuantileMethod::MedianUnbiased,
        QuantileMethod::NormalUnbiased,
        QuantileMethod::Lower,
        QuantileMethod::Higher,
        QuantileMethod::Midpoint,
        QuantileMethod::Nearest,
    ];

    /// numpy's name: `inverted_cdf`, `linear`, `lower`, …
    pub fn numpy_name(self) -> &'static str {
        match self {
            QuantileMethod::InvertedCdf => "inverted_cdf",
            QuantileMethod::AveragedInvertedCdf => "averaged_inverted_cdf",
            QuantileMethod::ClosestObservation => "closest_observation",
            QuantileMethod::InterpolatedInvertedCdf => "interpolated_inverted_cdf",
            QuantileMethod::Hazen => "hazen",
            QuantileMethod::Weibull => "weibull",
            QuantileMethod::Linear => "linear",
            QuantileMethod::MedianUnbiased => "median_unbiased",
            QuantileMethod::NormalUnbiased => "normal_unbiased",
            QuantileMethod::Lower => "lower",
            QuantileMethod::Higher => "higher",
            QuantileMethod::Midpoint => "midpoint",
            QuantileMethod::Nearest => "nearest",
        }
    }

    /// The method with numpy name `name`.
    pub fn from_numpy_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.numpy_name() == name)
    }
}

/// Which order statistic the `k`-th-worst rules take, with `m = n(1 − α)` exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KRule {
    /// `k = ⌈m⌉` (10th worst of 1000 at α = 0.99; 10th of 991).
    Ceil,
    /// `k = ⌊m⌋ + 1` (11th worst of 1000 at α = 0.99; 10th of 991): the empirical quantile.
    FloorPlusOne,
}

/// How VaR is read from the losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarMethod {
    /// `np.quantile(L, α, method)` on the loss vector.
    LossQuantile(QuantileMethod),
    /// `−np.quantile(PnL, 1 − α, method)` on the P&L vector (`1 − α` in `f64`).
    NegPnlQuantile(QuantileMethod),
    /// The `k`-th worst loss (1-based), `k` from `n(1−α)` in exact decimal arithmetic.
    KthWorst(KRule),
}

impl Default for VarMethod {
    /// `KthWorst(FloorPlusOne)`: the empirical quantile `inf{ℓ : F_n(ℓ) ≥ α}`.
    fn default() -> Self {
        VarMethod::KthWorst(KRule::FloorPlusOne)
    }
}

impl VarMethod {
    /// A label such as `loss_quantile_linear`, `neg_pnl_quantile_lower`,
    /// `kth_worst_k=ceil(n(1-a))` (the keys of `hs_var.json`).
    pub fn label(&self) -> String {
        match self {
            VarMethod::LossQuantile(m) => format!("loss_quantile_{}", m.numpy_name()),
            VarMethod::NegPnlQuantile(m) => format!("neg_pnl_quantile_{}", m.numpy_name()),
            VarMethod::KthWorst(KRule::Ceil) => "kth_worst_k=ceil(n(1-a))".to_string(),
            VarMethod::KthWorst(KRule::FloorPlusOne) => "kth_worst_k=floor(n(1-a))+1".to_string(),
        }
    }
}

/// How ES is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EsMethod {
    /// Acerbi–Tasche with the exact fractional weight on the `(⌊m⌋+1)`-th worst loss. Default.
    #[default]
    AcerbiTasche,
    /// Plain mean of the `k` worst losses.
    MeanWorst(KRule),
    /// Mean of all losses `≥` the VaR (computed with the spec's [`VarMethod`]).
    MeanLossAtLeastVar,
}

impl EsMethod {
    /// A label such as `acerbi_tasche_exact_weight`, `mean_worst_ceil(n(1-a))`.
    pub fn label(&self) -> &'static str {
        match self {
            EsMethod::AcerbiTasche => "acerbi_tasche_exact_weight",
            EsMethod::MeanWorst(KRule::Ceil) => "mean_worst_ceil(n(1-a))",
            EsMethod::MeanWorst(KRule::FloorPlusOne) => "mean_worst_floor(n(1-a))+1",
            EsMethod::MeanLossAtLeastVar => "mean_loss_ge_VaR",
        }
    }
}

/// The VaR horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Horizon {
    /// One day: one scenario per return.
    #[default]
    OneDay,
    /// `h` days: one-day VaR and ES multiplied by `√h`.
    SqrtTime(u32),
    /// `h`-day returns over overlapping windows `j = 0, 1, …, n−h`.
    Overlapping(u32),
    /// `h`-day returns over non-overlapping windows `j = 0, h, 2h, …` (`j + h ≤ n`).
    NonOverlapping(u32),
}

/// How each scenario's P&L is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum PnlModel {
    /// Full revaluation with the closure: `V(S·e^R, 0, ageDays) − V(S, 0, 0)`. Default.
    #[default]
    FullRevaluation,
    /// Delta approximation `Δ·S·R` (`Δ` in underlying units); the closure is not called.
    /// (The `linear_1d` block of `hs_var.json`.)
    Linear {
        /// Book delta in underlying units.
        delta: f64,
    },
}

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HsVarSpec {
    /// Confidence level `α` in `(0, 1)`, e.g. `0.99`. Decimal digits beyond 28 are refused.
    pub alpha: f64,
    /// VaR convention.
    pub var_method: VarMethod,
    /// ES convention.
    pub es_method: EsMethod,
    /// Horizon.
    pub horizon: Horizon,
    /// P&L model.
    pub pnl: PnlModel,
    /// Days the book is aged in each scenario (full revaluation only; default 0, a pure price
    /// shock as in `hs_var.json`).
    pub age_days: f64,
}

impl HsVarSpec {
    /// Defaults: [`VarMethod::default`], [`EsMethod::AcerbiTasche`], one day, full
    /// revaluation, no ageing.
    pub fn new(alpha: f64) -> Self {
        HsVarSpec {
            alpha,
            var_method: VarMethod::default(),
            es_method: EsMethod::default(),
            horizon: Horizon::OneDay,
            pnl: PnlModel::FullRevaluation,
            age_days: 0.0,
        }
    }
}

/// A VaR/ES result (both as positive losses; a negative figure means a gain at that level).
#[derive(Debug, Clone, PartialEq)]
pub struct VarReport {
    /// `α`.
    pub alpha: f64,
    /// Value-at-Risk.
    pub var: f64,
    /// Expected Shortfall.
    pub es: f64,
    /// Number of scenarios (windows).
    pub scenarios: usize,
    /// `n(1−α)` computed exactly, as a decimal string (`"10"`, `"9.91"`).
    pub tail_size: String,
    /// The VaR convention's label.
    pub var_method: String,
    /// The ES convention's label.
    pub es_method: &'static str,
    /// The horizon in words.
    pub horizon: String,
    /// Factor applied to the scenario figures (`√h` for [`Horizon::SqrtTime`], else 1).
    pub scale: f64,
    /// Scenario P&L (unscaled), in window order.
    pub pnls: Vec<f64>,
    /// The largest loss (unscaled).
    pub worst_loss: f64,
}

/// `n(1 − α)` exactly, from `α`'s shortest round-trip decimal form.
pub fn tail_size(n: usize, alpha: f64) -> Result<Decimal, RiskError> {
    super::open_unit("alpha", alpha)?;
    let text = format!("{alpha}", alpha = Float(alpha));
    let a = crate::money::decimal_from_text(&text, true).map_err(|_| {
        RiskError::new(
            "alpha",
            "too_many_digits",
            format!("{text} has more decimal digits than exact arithmetic supports (28)"),
        )
    })?;
    let n = Decimal::from(n as u64);
    n.checked_times(Decimal::ONE - a).ok_or_else(|| {
        RiskError::new(
            "alpha",
            "out_of_range",
            "n·(1 − α) overflows exact decimal arithmetic",
        )
    })
}

#[inline(never)]
fn to_index(d: Decimal) -> usize {
    d.to_u64().unwrap_or(0) as usize
}

/// The 1-based `k` of a [`KRule`] for `n` scenarios.
pub fn kth_rank(n: usize, alpha: f64, rule: KRule) -> Result<usize, RiskError> {
    let m = tail_size(n, alpha)?;
    let k = match rule {
        KRule::Ceil => to_index(m.ceil()),
        KRule::FloorPlusOne => to_index(m.floor()) + 1,
    };
    Ok(k.clamp(1, n.max(1)))
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    // numpy's _lerp: a + (b−a)·t, or b − (b−a)·(1−t) when t ≥ 0.5.
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

fn clamp_index(i: f64, n: usize) -> usize {
    if i.is_nan() || i <= 0.0 {
        0
    } else if i >= (n - 1) as f64 {
        n - 1
    } else {
        i as usize
    }
}

/// numpy's `_get_indexes` + `_lerp` for a (possibly fixed-up) gamma.
fn continuous(asc: &[f64], vi: f64, fix: impl Fn(f64, f64) -> f64) -> f64 {
    let n = asc.len();
    let (prev, next, prev_f) = if vi >= (n - 1) as f64 {
        (n - 1, n - 1, -1.0)
    } else if vi < 0.0 {
        (0, 0, 0.0)
    } else {
        let p = vi.floor();
        let prev = clamp_index(p, n);
        (prev, (prev + 1).min(n - 1), p)
    };
    let gamma = fix(vi - prev_f, vi);
    lerp(asc[prev], asc[next], gamma)
}

/// numpy's `_discrete_interpolation_to_boundaries`.
fn discrete(asc: &[f64], index: f64, take_previous: impl Fn(f64, f64) -> bool) -> f64 {
    let prev = index.floor();
    let gamma = index - prev;
    let chosen = if take_previous(gamma, index) {
        prev
    } else {
        prev + 1.0
    };
    asc[clamp_index(chosen, asc.len())]
}

/// `numpy.quantile(a, q, method=…)` of data sorted ascending (numpy ≥ 1.22 algorithm,
/// including its virtual-index arithmetic and its two-sided `lerp`). `asc` must be non-empty and
/// sorted; `q` in `[0, 1]` (both checked).
///
/// Errors: `values` `empty`; `q` `out_of_range`.
pub fn numpy_quantile(asc: &[f64], q: f64, method: QuantileMethod) -> Result<f64, RiskError> {
    if asc.is_empty() {
        return Err(RiskError::new("values", "empty", "no values"));
    }
    finite("q", q)?;
    if !(0.0..=1.0).contains(&q) {
        return Err(RiskError::new(
            "q",
            "out_of_range",
            format!("must lie in [0, 1], got {q}", q = Float(q)),
        ));
    }
    let n = asc.len();
    let nf = n as f64;
    let cvi = |alpha: f64, beta: f64| nf * q + (alpha + q * (1.0 - alpha - beta)) - 1.0;
    let identity = |g: f64, _vi: f64| g;
    let h = (nf - 1.0) * q;
    Ok(match method {
        QuantileMethod::InvertedCdf => discrete(asc, nf * q - 1.0, |g, _| g == 0.0),
        QuantileMethod::ClosestObservation => discrete(asc, nf * q - 1.0 - 0.5, |g, idx| {
            g == 0.0 && idx.floor().rem_euclid(2.0) == 1.0
        }),
        QuantileMethod::AveragedInvertedCdf => {
            continuous(asc, nf * q - 1.0, |g, _| if g == 0.0 { 0.5 } else { 1.0 })
        }
        QuantileMethod::InterpolatedInvertedCdf => continuous(asc, cvi(0.0, 1.0), identity),
        QuantileMethod::Hazen => continuous(asc, cvi(0.5, 0.5), identity),
        QuantileMethod::Weibull => continuous(asc, cvi(0.0, 0.0), identity),
        QuantileMethod::Linear => continuous(asc, h, identity),
        QuantileMethod::MedianUnbiased => continuous(asc, cvi(1.0 / 3.0, 1.0 / 3.0), identity),
        QuantileMethod::NormalUnbiased => continuous(asc, cvi(3.0 / 8.0, 3.0 / 8.0), identity),
        QuantileMethod::Lower => asc[clamp_index(h.floor(), n)],
        QuantileMethod::Higher => asc[clamp_index(h.ceil(), n)],
        QuantileMethod::Nearest => asc[clamp_index(h.round_ties_even(), n)],
        QuantileMethod::Midpoint => {
            let vi = 0.5 * (h.floor() + h.ceil());
            continuous(asc, vi, |_, vi| if vi % 1.0 == 0.0 { 0.0 } else { 0.5 })
        }
    })
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    super::roots::sort_floats(&mut v);
    v
}

/// VaR of a P&L vector under `method` (a positive number is a loss).
///
/// Errors: `pnls` `empty`; `pnls[i]` `not_finite`; `alpha` as [`tail_size`].
pub fn var_from_pnls(pnls: &[f64], alpha: f64, method: VarMethod) -> Result<f64, RiskError> {
    check_pnls(pnls)?;
    super::open_unit("alpha", alpha)?;
    match method {
        VarMethod::LossQuantile(m) => numpy_quantile(&sorted(pnls.iter().map(|p| -p)), alpha, m),
        VarMethod::NegPnlQuantile(m) => Ok(-numpy_quantile(
            &sorted(pnls.iter().copied()),
            1.0 - alpha,
            m,
        )?),
        VarMethod::KthWorst(rule) => {
            let k = kth_rank(pnls.len(), alpha, rule)?;
            let desc = losses_desc(pnls);
            Ok(desc[k - 1])
        }
    }
}

fn losses_desc(pnls: &[f64]) -> Vec<f64> {
    // Ascending then reversed: the same order as a descending sort (elements equal under
    // `total_cmp` are bit-identical), with the one ascending sort the module already holds.
    let mut l = sorted(pnls.iter().map(|p| -p));
    l.reverse();
    l
}

fn check_pnls(pnls: &[f64]) -> Result<(), RiskError> {
    if pnls.is_empty() {
        return Err(RiskError::new("pnls", "empty", "no scenarios"));
    }
    for (i, p) in pnls.iter().enumerate() {
        finite(&format!("pnls[{i}]"), *p)?;
    }
    Ok(())
}

/// ES of a P&L vector (a positive number is a loss). `var_method` is used only by
/// [`EsMethod::MeanLossAtLeastVar`].
///
/// Errors: as [`var_from_pnls`]; `pnls` `out_of_range` when the tail sum overflows.
pub fn es_from_pnls(
    pnls: &[f64],
    alpha: f64,
    es_method: EsMethod,
    var_method: VarMethod,
) -> Result<f64, RiskError> {
    check_pnls(pnls)?;
    let desc = losses_desc(pnls);
    let n = desc.len();
    let es = match es_method {
        EsMethod::AcerbiTasche => {
            let m = tail_size(n, alpha)?;
            let whole = to_index(m.floor()).min(n);
            let frac = (m - m.floor()).to_f64().unwrap_or(0.0);
            let mut sum: f64 = desc[..whole].iter().sum();
            if frac > 0.0 && whole < n {
                sum += frac * desc[whole];
            }
            sum / m.to_f64().unwrap_or(f64::NAN)
        }
        EsMethod::MeanWorst(rule) => {
            let k = kth_rank(n, alpha, rule)?;
            desc[..k].iter().sum::<f64>() / k as f64
        }
        EsMethod::MeanLossAtLeastVar => {
            let var = var_from_pnls(pnls, alpha, var_method)?;
            let tail: Vec<f64> = desc.iter().copied().filter(|l| *l >= var).collect();
            if tail.is_empty() {
                // Only possible for a VaR above the worst loss (not produced by any method).
                desc[0]
            } else {
                tail.iter().sum::<f64>() / tail.len() as f64
            }
        }
    };
    if es.is_finite() {
        Ok(es)
    } else {
        Err(RiskError::new(
            "pnls",
            "out_of_range",
            "ES overflows the range of f64 (scenario P&L of extreme magnitude)",
        ))
    }
}

/// `h`-day log returns summed left to right over windows starting at `step`-spaced offsets.
fn windows(returns: &[f64], h: usize, step: usize) -> Vec<f64> {
    let mut out = Vec::new();
    let mut j = 0;
    while j + h <= returns.len() {
        let mut s = 0.0;
        for r in &returns[j..j + h] {
            s += r;
        }
        out.push(s);
        j += step;
    }
    out
}

/// Historical-simulation VaR and ES of the book valued by `value` at underlying price `price`,
/// over the daily log returns `returns` (oldest first), as `spec` says.
///
/// The closure is called `1 + windows` times ([`PnlModel::FullRevaluation`]) or not at all
/// ([`PnlModel::Linear`]). Errors: `price` `not_positive`; `returns` `empty`/`too_few` (fewer
/// returns than the horizon); `returns[i]` `not_finite`; `horizon` `out_of_range` (`h = 0`);
/// `ageDays` `negative`; `alpha` as [`tail_size`]; `scenarios[j]` `valuation_not_finite`.
pub fn historical_var<V>(
    price: f64,
    returns: &[f64],
    spec: &HsVarSpec,
    value: V,
) -> Result<VarReport, RiskError>
where
    V: Fn(f64, f64, f64) -> f64,
{
    positive("price", price)?;
    tail_size(1, spec.alpha)?; // validates alpha before any valuation
    super::non_negative("ageDays", spec.age_days)?;
    if returns.is_empty() {
        return Err(RiskError::new("returns", "empty", "no returns"));
    }
    for (i, r) in returns.iter().enumerate() {
        finite(&format!("returns[{i}]"), *r)?;
    }
    let (rets, scale, horizon) = match spec.horizon {
        Horizon::OneDay => (returns.to_vec(), 1.0, "1 day".to_string()),
        Horizon::SqrtTime(h) | Horizon::Overlapping(h) | Horizon::NonOverlapping(h) if h == 0 => {
            return Err(RiskError::new(
                "horizon",
                "out_of_range",
                "the horizon must be at least one day",
            ))
        }
        Horizon::SqrtTime(h) => (
            returns.to_vec(),
            f64::from(h).sqrt(),
            format!("{h} days by √{h} scaling of 1-day figures"),
        ),
        Horizon::Overlapping(h) | Horizon::NonOverlapping(h) => {
            let hu = h as usize;
            if returns.len() < hu {
                return Err(RiskError::new(
                    "returns",
                    "too_few",
                    format!(
                        "a {h}-day horizon needs at least {h} returns, got {}",
                        returns.len()
                    ),
                ));
            }
            let overlapping = matches!(spec.horizon, Horizon::Overlapping(_));
            let w = windows(returns, hu, if overlapping { 1 } else { hu });
            let kind = if overlapping {
                "overlapping"
            } else {
                "non-overlapping"
            };
            (w, 1.0, format!("{h} days, {kind} windows"))
        }
    };
    let pnls: Vec<f64> = match spec.pnl {
        PnlModel::FullRevaluation => {
            let base = valuation(&value, "price", "the base case", price, 0.0, 0.0)?;
            let mut out = Vec::with_capacity(rets.len());
            for (j, r) in rets.iter().enumerate() {
                let field = format!("scenarios[{j}]");
                let shocked = price * r.dexp();
                if !(shocked.is_finite() && shocked > 0.0) {
                    return Err(RiskError::new(
                        field,
                        "out_of_range",
                        format!(
                            "the return {r} moves the price to {shocked}",
                            r = Float(*r),
                            shocked = Float(shocked)
                        ),
                    ));
                }
                let v = valuation(
                    &value,
                    &field,
                    &format!("return scenario {j} (R = {r})", r = Float(*r)),
                    shocked,
                    0.0,
                    spec.age_days,
                )?;
                out.push(v - base);
            }
            out
        }
        PnlModel::Linear { delta } => {
            finite("delta", delta)?;
            rets.iter().map(|r| delta * price * r).collect()
        }
    };
    for (j, p) in pnls.iter().enumerate() {
        if !p.is_finite() {
            return Err(RiskError::new(
                format!("scenarios[{j}]"),
                "valuation_not_finite",
                "the scenario P&L overflows the range of f64",
            ));
        }
    }
    let var = var_from_pnls(&pnls, spec.alpha, spec.var_method)?;
    let es = es_from_pnls(&pnls, spec.alpha, spec.es_method, spec.var_method)?;
    if !(var * scale).is_finite() || !(es * scale).is_finite() {
        return Err(RiskError::new(
            "pnls",
            "out_of_range",
            "VaR or ES overflows the range of f64 (scenario P&L of extreme magnitude)",
        ));
    }
    let worst_loss = pnls.iter().map(|p| -p).fold(f64::NEG_INFINITY, f64::max);
    Ok(VarReport {
        alpha: spec.alpha,
        var: var * scale,
        es: es * scale,
        scenarios: pnls.len(),
        tail_size: tail_size(pnls.len(), spec.alpha)?.normalize().to_string(),
        var_method: spec.var_method.label(),
        es_method: spec.es_method.label(),
        horizon,
        scale,
        pnls,
        worst_loss,
    })
}
