//! Timestamps and time to expiry: ISO 8601 instants in UTC, and the ACT/365 year fraction at
//! minute resolution that option pricing uses (margin-models.md §4; the pricing module takes
//! `T` in years).
//!
//! There is no clock here: the valuation time always comes from the request, so the same request
//! gives the same answer on every machine and every day.

use crate::error::FieldError;

/// Minutes in an ACT/365 year: `365 · 24 · 60`.
pub const MINUTES_PER_YEAR: f64 = 525_600.0;

/// An instant, floored to the minute: minutes since 1970-01-01T00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Minute(pub i64);

impl Minute {
    /// The instant as ISO 8601 UTC text, `YYYY-MM-DDTHH:MMZ`.
    pub fn to_iso(self) -> String {
        let days = self.0.div_euclid(1440);
        let rem = self.0.rem_euclid(1440);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}Z", rem / 60, rem % 60)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level
/// Date Algorithms", `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`] (same source, `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an ISO 8601 instant such as `2025-06-27T08:00:00Z`, `2025-06-27T08:00Z`,
/// `2025-06-27 08:00:00.000Z` or `2025-06-27T10:00:00+02:00` into a [`Minute`] (UTC, seconds and
/// fractions dropped). The zone must be stated (`Z` or `±HH:MM`): a local time without one is
/// ambiguous and refused, as is a date without a time (options expire at a stated hour, e.g.
/// 08:00 UTC on Deribit). Years 1970–9999.
pub fn parse(field: &str, text: &str) -> Result<Minute, FieldError> {
    let bad = |why: &str| {
        FieldError::new(
            field,
            "invalid_timestamp",
            format!(
                "'{}' is not an ISO 8601 UTC timestamp such as 2025-06-27T08:00:00Z ({why})",
                crate::text_prefix(text, 40)
            ),
        )
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if t.len() > 40 || !t.is_ascii() {
        return Err(bad("too long or not plain text"));
    }
    let Some((date, rest)) = t.split_once(['T', 't', ' ']) else {
        return Err(bad("a time of day and a zone are required"));
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, mo, d] = parts.as_slice() else {
        return Err(bad("date must be YYYY-MM-DD"));
    };
    if y.len() != 4 || mo.len() != 2 || d.len() != 2 {
        return Err(bad("date must be YYYY-MM-DD"));
    }
    let (Some(y), Some(mo), Some(d)) = (digits(y), digits(mo), digits(d)) else {
        return Err(bad("date must be YYYY-MM-DD"));
    };
    if !(1970..=9999).contains(&y) {
        return Err(bad("year must be between 1970 and 9999"));
    }
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(bad("no such date"));
    }
    // Split the zone off the time of day.
    let (clock, offset_minutes) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some((clock, zone)) = rest.rsplit_once(['+', '-']) {
        let (Some(zh), Some(zm)) = (
            zone.get(..2).and_then(digits),
            zone.get(zone.len().saturating_sub(2)..).and_then(digits),
        ) else {
            return Err(bad("zone must be Z or ±HH:MM"));
        };
        if !(zone.len() == 5 && zone.as_bytes()[2] == b':' || zone.len() == 4) || zh > 23 || zm > 59
        {
            return Err(bad("zone must be Z or ±HH:MM"));
        }
        let sign = if rest.as_bytes().get(clock.len()) == Some(&b'-') {
            -1
        } else {
            1
        };
        (clock, sign * (zh * 60 + zm))
    } else {
        return Err(bad("the zone is missing: end with Z for UTC"));
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let (h, mi, sec) = match fields.as_slice() {
        [h, mi] => (*h, *mi, None),
        [h, mi, s] => (*h, *mi, Some(*s)),
        _ => return Err(bad("time must be HH:MM or HH:MM:SS")),
    };
    if h.len() != 2 || mi.len() != 2 {
        return Err(bad("time must be HH:MM or HH:MM:SS"));
    }
    let (Some(h), Some(mi)) = (digits(h), digits(mi)) else {
        return Err(bad("time must be HH:MM or HH:MM:SS"));
    };
    if let Some(s) = sec {
        let whole = s.split('.').next().unwrap_or("");
        let frac_ok = s
            .split_once('.')
            .is_none_or(|(_, f)| !f.is_empty() && f.len() <= 9 && digits(f).is_some());
        if whole.len() != 2 || digits(whole).is_none_or(|v| v > 60) || !frac_ok {
            return Err(bad("seconds must be SS or SS.fff"));
        }
    }
    if h > 23 || mi > 59 {
        return Err(bad("no such time of day"));
    }
    let minutes = days_from_civil(y, mo, d) * 1440 + h * 60 + mi - offset_minutes;
    Ok(Minute(minutes))
}

/// Time from `valuation` to `expiry` in years, ACT/365 at minute resolution:
/// `(expiry − valuation) in minutes / (365 · 24 · 60)` (margin-models.md §4: `T` in years).
pub fn year_fraction(valuation: Minute, expiry: Minute) -> f64 {
    (expiry.0 - valuation.0) as f64 / MINUTES_PER_YEAR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let a = parse("t", "2025-06-27T08:00:00Z").unwrap();
        assert_eq!(a.to_iso(), "2025-06-27T08:00Z");
        assert_eq!(parse("t", "2025-06-27T08:00Z").unwrap(), a);
        assert_eq!(parse("t", "2025-06-27 08:00:59.999Z").unwrap(), a);
        assert_eq!(parse("t", "2025-06-27T10:00:00+02:00").unwrap(), a);
        assert_eq!(parse("t", "2025-06-27T07:30:00-00:30").unwrap(), a);
        assert_eq!(parse("t", "1970-01-01T00:00Z").unwrap(), Minute(0));
        assert_eq!(
            parse("t", "2024-02-29T00:00Z").unwrap().to_iso(),
            "2024-02-29T00:00Z"
        );
    }

    #[test]
    fn refuses_ambiguous_or_impossible_instants() {
        for bad in [
            "2025-06-27",
            "2025-06-27T08:00:00",
            "2025-02-29T00:00Z",
            "2025-13-01T00:00Z",
            "2025-06-27T24:00Z",
            "2025-06-27T08:60Z",
            "27/06/2025 08:00Z",
            "1969-12-31T23:59Z",
            "2025-06-27T08:00:00+25:00",
            "2025-06-27T08:00:00.Z",
            "",
            "NaN",
        ] {
            assert!(parse("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn act_365_at_minute_resolution() {
        let v = parse("t", "2025-01-01T00:00Z").unwrap();
        let e = parse("t", "2026-01-01T00:00Z").unwrap();
        assert_eq!(year_fraction(v, e), 1.0);
        let e = parse("t", "2025-01-01T00:01:59Z").unwrap();
        assert_eq!(year_fraction(v, e), 1.0 / MINUTES_PER_YEAR);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1000, 0, 1, 59, 365, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
