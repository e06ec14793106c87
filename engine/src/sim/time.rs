//! Virtual time: integer microseconds since the start of the simulation.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in virtual time, in microseconds since the simulation started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn as_micros(self) -> u64 {
        self.0
    }

    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000)
    }
    pub fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, o: SimTime) -> SimDuration {
        self.since(o)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

/// Writes a duration the way Go's `time.Duration.String` does ("1m30s", "250ms", "0s").
pub fn format_duration(us: u64) -> String {
    if us == 0 {
        return "0s".to_string();
    }
    if us < 1_000 {
        return format!("{us}µs");
    }
    if us < 1_000_000 {
        return format!("{}ms", trim_frac(us, 1_000));
    }
    let total_s = us / 1_000_000;
    let frac_us = us % 1_000_000;
    let h = total_s / 3600;
    let m = (total_s % 3600) / 60;
    let s = total_s % 60;
    let secs = trim_frac(s * 1_000_000 + frac_us, 1_000_000);
    match (h, m) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

fn trim_frac(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let frac = value % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// Parses a Go-style duration ("90s", "5m", "1h30m", "1.5s", "250ms", "10us").
/// Negative durations are rejected.
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let expected = "a duration such as \"90s\", \"5m\", \"1h30m\" or \"250ms\"";
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("expected {expected}, found an empty string"));
    }
    if t.starts_with('-') {
        return Err(format!(
            "expected {expected}, found negative duration {s:?}"
        ));
    }
    if t == "0" {
        return Ok(SimDuration::ZERO);
    }
    let mut rest = t.strip_prefix('+').unwrap_or(t);
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("expected {expected}, found {s:?}"));
        }
        let num = &rest[..num_len];
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit_us: u128 = match unit {
            "ns" => 0, // handled below: sub-microsecond
            "us" | "µs" | "μs" => 1,
            "ms" => 1_000,
            "s" => 1_000_000,
            "m" => 60_000_000,
            "h" => 3_600_000_000,
            "" => return Err(format!("expected {expected}, found {s:?} (missing unit)")),
            other => {
                return Err(format!(
                    "expected {expected}, found unknown unit {other:?} in {s:?}"
                ))
            }
        };
        let (whole, frac) = match num.split_once('.') {
            Some((w, f)) => (w, f),
            None => (num, ""),
        };
        if frac.contains('.') || (whole.is_empty() && frac.is_empty()) {
            return Err(format!("expected {expected}, found {s:?}"));
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| format!("expected {expected}, found {s:?}"))?
        };
        let (scale_num, scale_den) = if unit == "ns" {
            (1u128, 1000u128)
        } else {
            (unit_us, 1)
        };
        let mut value = whole * scale_num;
        if !frac.is_empty() {
            let digits = frac.len().min(18) as u32;
            let f: u128 = frac[..digits as usize]
                .parse()
                .map_err(|_| format!("expected {expected}, found {s:?}"))?;
            value += f * scale_num / 10u128.pow(digits);
        }
        total += value / scale_den;
        if total > u64::MAX as u128 {
            return Err(format!("duration {s:?} is too large"));
        }
    }
    Ok(SimDuration(total as u64))
}

/// Durations serialize as Go duration strings ("1m30s") and parse from them.
impl serde::Serialize for SimDuration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for SimDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"90s\", \"5m\" or \"1h30m\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
                parse_duration(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("0s", Some(0)),
            ("90s", Some(90_000_000)),
            ("5m", Some(300_000_000)),
            ("1h30m", Some(5_400_000_000)),
            ("1.5s", Some(1_500_000)),
            ("250ms", Some(250_000)),
            ("10us", Some(10)),
            ("1500ns", Some(1)),
            ("2m30.5s", Some(150_500_000)),
            ("-5s", None),
            ("5", None),
            ("5x", None),
            ("", None),
            ("s", None),
            ("1..2s", None),
        ];
        for (input, want) in cases {
            let got = parse_duration(input).ok().map(|d| d.0);
            assert_eq!(got, *want, "parse_duration({input:?})");
        }
    }

    #[test]
    fn format_table() {
        let cases: &[(u64, &str)] = &[
            (0, "0s"),
            (5, "5µs"),
            (250_000, "250ms"),
            (1_500_000, "1.5s"),
            (90_000_000, "1m30s"),
            (3_600_000_000, "1h0m0s"),
        ];
        for (us, want) in cases {
            assert_eq!(format_duration(*us), *want);
        }
    }
}
