//! Volatility estimates from a pasted series: parsing (CSV/TSV/whitespace text of prices or
//! daily log returns, with line and column on every error), the annualised sample standard
//! deviation and the EWMA (RiskMetrics) estimate.
//!
//! Conventions: returns are daily **log** returns `r_i = ln(P_i / P_(i−1))`; volatility is
//! annualised with 365 days (`σ_ann = σ_daily · √365`, crypto trades every calendar day;
//! margin-models.md §3).
//!
//! ```
//! use imr::risk::volatility::{parse_series, sample_volatility, Column, SeriesFormat, SeriesKind};
//! let series = parse_series("date,close\n2024-01-01,100\n2024-01-02,101\n2024-01-03,99.5\n",
//!     &SeriesFormat { kind: SeriesKind::Prices, column: Column::Auto }).unwrap();
//! assert_eq!(series.returns.len(), 2);
//! let vol = sample_volatility(&series.returns).unwrap();
//! assert!(vol.annualised > 0.0);
//! let err = parse_series("close\n100\nabc\n",
//!     &SeriesFormat { kind: SeriesKind::Prices, column: Column::Auto }).unwrap_err();
//! assert_eq!((err.code, err.line, err.column), ("not_a_number", Some(3), Some(1)));
//! ```

use super::{RiskError, DAYS_PER_YEAR};
use crate::fmath::DetMath;
use crate::money::Float;

/// Most observations a pasted series may hold.
pub const MAX_OBSERVATIONS: usize = 1_000_000;

/// What the numbers in the series are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    /// Prices (strictly positive), one per day, oldest first; returns are `ln(P_i/P_(i−1))`.
    Prices,
    /// Daily log returns, oldest first.
    LogReturns,
}

/// Which column holds the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The only column, or the last one (`date,close`, `day,log_return`).
    Auto,
    /// 1-based column index.
    Index(usize),
    /// Column named in the header line (case-insensitive, surrounding spaces/quotes ignored).
    Name(String),
}

/// How to read a pasted series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesFormat {
    /// Prices or log returns.
    pub kind: SeriesKind,
    /// Which column.
    pub column: Column,
}

/// A parsed series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The values read, in order (prices or returns as given).
    pub values: Vec<f64>,
    /// Daily log returns (equal to `values` for [`SeriesKind::LogReturns`]).
    pub returns: Vec<f64>,
    /// The header of the column read, if the text had a header line.
    pub header: Option<String>,
    /// 1-based index of the column read.
    pub column: usize,
}

/// A volatility estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct VolEstimate {
    /// Daily volatility (standard deviation of one day's log return).
    pub daily: f64,
    /// Annualised: `daily · √365`.
    pub annualised: f64,
    /// Number of returns used.
    pub observations: usize,
    /// `sample` or `ewma`.
    pub method: &'static str,
    /// The estimator and its conventions, in words.
    pub description: String,
}

/// Seed of the EWMA recursion.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum EwmaSeed {
    /// `σ²_0 = r_0²` (so `σ²_1 = r_0²`): the common RiskMetrics start. Default.
    #[default]
    FirstSquaredReturn,
    /// `σ²_0 = (1/n)·Σ r_i²`, the zero-mean sample variance of the whole series.
    MeanSquare,
    /// A given daily variance `σ²_0 > 0`.
    Variance(f64),
}

/// Default EWMA decay for daily data (RiskMetrics Technical Document, J.P. Morgan/Reuters
/// 1996, §5.3: λ = 0.94).
pub const DEFAULT_LAMBDA: f64 = 0.94;

fn split_cells(line: &str, delimiter: Option<char>) -> Vec<&str> {
    match delimiter {
        Some(d) => line.split(d).map(clean).collect(),
        None => line.split_whitespace().map(clean).collect(),
    }
}

fn clean(cell: &str) -> &str {
    let t = cell.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(t);
    t.trim()
}

fn parse_cell(cell: &str, line: usize, column: usize) -> Result<f64, RiskError> {
    if cell.is_empty() {
        return Err(RiskError::new("series", "required", "the cell is empty").at(line, column));
    }
    match crate::money::parse_float_text(cell) {
        Some(x) if x.is_nan() => Err(RiskError::new(
            "series",
            "not_a_number",
            format!("'{cell}' is NaN, not a number"),
        )
        .at(line, column)),
        Some(x) if x.is_infinite() => Err(RiskError::new(
            "series",
            "not_finite",
            format!("'{cell}' is not a finite number"),
        )
        .at(line, column)),
        Some(x) => Ok(x),
        None => {
            let shown = crate::text_prefix(cell, 40);
            Err(RiskError::new(
                "series",
                "not_a_number",
                format!("'{shown}' is not a number"),
            )
            .at(line, column))
        }
    }
}

/// Parses pasted text: one observation per line, oldest first.
///
/// * Blank lines and lines starting with `#` are skipped; `\r\n` line ends are accepted.
/// * The delimiter is detected on the first non-blank line: tab, else comma, else semicolon,
///   else runs of whitespace. Cells may be wrapped in double quotes.
/// * The first non-blank line is a header when its selected cell is not a number (it is
///   required for [`Column::Name`]).
/// * Prices must be finite and `> 0`; returns finite. Thousands separators are not accepted.
///
/// Errors (`field = "series"`, with 1-based `line` and `column` for cell errors): `empty`,
/// `too_few` (fewer than two prices / one return), `too_large` (more than
/// [`MAX_OBSERVATIONS`]), `missing_column`, `required` (empty cell), `not_a_number`,
/// `not_finite`, `not_positive`.
pub fn parse_series(text: &str, format: &SeriesFormat) -> Result<Series, RiskError> {
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .peekable();
    let Some(&(first_no, first_line)) = lines.peek() else {
        return Err(RiskError::new(
            "series",
            "empty",
            "the series has no observations",
        ));
    };
    let delimiter = if first_line.contains('\t') {
        Some('\t')
    } else if first_line.contains(',') {
        Some(',')
    } else if first_line.contains(';') {
        Some(';')
    } else {
        None
    };
    let first_cells = split_cells(first_line, delimiter);
    // Resolve the column (0-based) and whether line one is a header.
    let (index, header) = match &format.column {
        Column::Name(name) => {
            let wanted = name.trim().to_ascii_lowercase();
            match first_cells
                .iter()
                .position(|c| c.to_ascii_lowercase() == wanted)
            {
                Some(i) => (i, Some(first_cells[i].to_string())),
                None => {
                    return Err(RiskError::new(
                        "series",
                        "missing_column",
                        format!(
                            "no column named '{}' in the header line ({})",
                            name.trim(),
                            first_cells.join(", ")
                        ),
                    )
                    .at(first_no, 1))
                }
            }
        }
        Column::Index(i) => {
            if *i == 0 {
                return Err(RiskError::new(
                    "column",
                    "out_of_range",
                    "column indices start at 1",
                ));
            }
            let idx = i - 1;
            let header = first_cells
                .get(idx)
                .filter(|c| crate::money::parse_float_text(c).is_none())
                .map(|c| c.to_string());
            (idx, header)
        }
        Column::Auto => {
            let idx = first_cells.len().saturating_sub(1);
            let header = first_cells
                .get(idx)
                .filter(|c| crate::money::parse_float_text(c).is_none())
                .map(|c| c.to_string());
            (idx, header)
        }
    };
    if header.is_some() {
        lines.next();
    }
    let mut values = Vec::new();
    for (line_no, line) in lines {
        if values.len() >= MAX_OBSERVATIONS {
            return Err(RiskError::new(
                "series",
                "too_large",
                format!("the series has more than {MAX_OBSERVATIONS} observations"),
            )
            .at(line_no, index + 1));
        }
        let cells = split_cells(line, delimiter);
        let Some(cell) = cells.get(index) else {
            return Err(RiskError::new(
                "series",
                "missing_column",
                format!(
                    "the line has {} column(s); column {} was expected",
                    cells.len(),
                    index + 1
                ),
            )
            .at(line_no, index + 1));
        };
        let x = parse_cell(cell, line_no, index + 1)?;
        if format.kind == SeriesKind::Prices && x <= 0.0 {
            return Err(RiskError::new(
                "series",
                "not_positive",
                format!("prices must be greater than zero, got {x}", x = Float(x)),
            )
            .at(line_no, index + 1));
        }
        values.push(x);
    }
    let returns = match format.kind {
        SeriesKind::Prices => {
            if values.len() < 2 {
                return Err(RiskError::new(
                    "series",
                    if values.is_empty() {
                        "empty"
                    } else {
                        "too_few"
                    },
                    format!(
                        "at least two prices are needed for one return, got {}",
                        values.len()
                    ),
                ));
            }
            log_returns(&values)?
        }
        SeriesKind::LogReturns => {
            if values.is_empty() {
                return Err(RiskError::new(
                    "series",
                    "empty",
                    "the series has no observations",
                ));
            }
            values.clone()
        }
    };
    Ok(Series {
        values,
        returns,
        header,
        column: index + 1,
    })
}

/// Daily log returns `r_i = ln(P_i / P_(i−1))` of a price series (oldest first).
///
/// Errors (`field = "prices[i]"` or `prices`): `too_few` (fewer than two), `not_finite`,
/// `not_positive`.
pub fn log_returns(prices: &[f64]) -> Result<Vec<f64>, RiskError> {
    if prices.len() < 2 {
        return Err(RiskError::new(
            "prices",
            "too_few",
            format!(
                "at least two prices are needed for one return, got {}",
                prices.len()
            ),
        ));
    }
    for (i, p) in prices.iter().enumerate() {
        super::positive(&format!("prices[{i}]"), *p)?;
    }
    Ok(prices.windows(2).map(|w| (w[1] / w[0]).dln()).collect())
}

fn check_returns(returns: &[f64], min: usize) -> Result<(), RiskError> {
    if returns.len() < min {
        return Err(RiskError::new(
            "returns",
            if returns.is_empty() {
                "empty"
            } else {
                "too_few"
            },
            format!("at least {min} return(s) are needed, got {}", returns.len()),
        ));
    }
    for (i, r) in returns.iter().enumerate() {
        super::finite(&format!("returns[{i}]"), *r)?;
    }
    Ok(())
}

fn estimate(
    variance: f64,
    n: usize,
    method: &'static str,
    description: String,
) -> Result<VolEstimate, RiskError> {
    if !variance.is_finite() {
        return Err(RiskError::new(
            "returns",
            "out_of_range",
            "the variance overflows the range of f64 (returns of extreme magnitude)",
        ));
    }
    let daily = variance.sqrt();
    if daily <= 0.0 {
        return Err(RiskError::new(
            "returns",
            "zero_volatility",
            "every return is zero (or the series is constant): the volatility estimate is zero",
        ));
    }
    Ok(VolEstimate {
        daily,
        annualised: daily * DAYS_PER_YEAR.sqrt(),
        observations: n,
        method,
        description,
    })
}

/// Sample standard deviation of daily log returns, `s = √(Σ(r_i − r̄)² / (n − 1))` (two-pass,
/// Bessel-corrected, i.e. numpy `std(ddof=1)`), annualised `s·√365`.
///
/// Errors (`field = "returns"`/`returns[i]`): `empty`, `too_few` (fewer than 2), `not_finite`,
/// `out_of_range` (overflow), `zero_volatility` (constant series).
pub fn sample_volatility(returns: &[f64]) -> Result<VolEstimate, RiskError> {
    check_returns(returns, 2)?;
    let n = returns.len();
    let mean = returns.iter().sum::<f64>() / n as f64;
    let ss: f64 = returns.iter().map(|r| (r - mean) * (r - mean)).sum();
    estimate(
        ss / (n - 1) as f64,
        n,
        "sample",
        format!(
            "sample standard deviation of {n} daily log returns (n − 1 denominator), \
             annualised with √365"
        ),
    )
}

/// EWMA (RiskMetrics) volatility: `σ²_t = λ·σ²_(t−1) + (1 − λ)·r²_(t−1)` for `t = 1..n`
/// (zero-mean), starting from the [`EwmaSeed`] `σ²_0` (default `r_0²`). The estimate is `σ_n`,
/// the one-day-ahead forecast after the last return, annualised `σ_n·√365`.
///
/// Source: RiskMetrics Technical Document (J.P. Morgan/Reuters, 4th ed. 1996), §5.2.1, with
/// λ = 0.94 for daily data ([`DEFAULT_LAMBDA`]); margin-models.md §3.
///
/// Errors: `lambda` `out_of_range` unless `0 < λ < 1`; `returns` `empty`, `not_finite`,
/// `zero_volatility`; `seed` `not_positive` for a non-positive given variance.
pub fn ewma_volatility(
    returns: &[f64],
    lambda: f64,
    seed: EwmaSeed,
) -> Result<VolEstimate, RiskError> {
    super::open_unit("lambda", lambda)?;
    check_returns(returns, 1)?;
    let n = returns.len();
    let (mut var, seed_text) = match seed {
        EwmaSeed::FirstSquaredReturn => (returns[0] * returns[0], "σ²_0 = r_0²".to_string()),
        EwmaSeed::MeanSquare => (
            returns.iter().map(|r| r * r).sum::<f64>() / n as f64,
            "σ²_0 = mean of r²".to_string(),
        ),
        EwmaSeed::Variance(v) => (
            super::positive("seed", v)?,
            format!("σ²_0 = {v}", v = Float(v)),
        ),
    };
    for r in returns {
        var = lambda * var + (1.0 - lambda) * r * r;
    }
    estimate(
        var,
        n,
        "ewma",
        format!(
            "EWMA of {n} daily log returns, λ = {lambda}, zero mean, {seed_text}; \
             one-day-ahead forecast annualised with √365",
            lambda = Float(lambda)
        ),
    )
}

/// `σ_daily · √365`.
pub fn annualise(daily: f64) -> f64 {
    daily * DAYS_PER_YEAR.sqrt()
}

/// `σ_ann · √(h/365)`: the standard deviation of the log price move over `h` days.
pub fn horizon_sigma(annualised: f64, horizon_days: f64) -> f64 {
    annualised * (horizon_days / DAYS_PER_YEAR).sqrt()
}
