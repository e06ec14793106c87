//! Go's `time.ParseDuration`, for metav1.Duration fields (src/time/format.go).

/// A parsed Go duration.
pub struct GoDuration;

impl GoDuration {
    /// Nanoseconds, or None where Go reports "time: invalid duration". The fraction is
    /// scaled in float64, as Go does.
    pub fn parse(s: &str) -> Option<i64> {
        let (neg, mut s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if s == "0" {
            return Some(0);
        }
        if s.is_empty() {
            return None;
        }
        let mut total: u64 = 0;
        while !s.is_empty() {
            let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
            let int_s = &s[..int_len];
            s = &s[int_len..];
            let mut frac_s = "";
            if let Some(r) = s.strip_prefix('.') {
                let n = r.bytes().take_while(u8::is_ascii_digit).count();
                frac_s = &r[..n];
                s = &r[n..];
            }
            if int_s.is_empty() && frac_s.is_empty() {
                return None;
            }
            let unit_len = s
                .find(|c: char| c == '.' || c.is_ascii_digit())
                .unwrap_or(s.len());
            let unit: u64 = match &s[..unit_len] {
                "ns" => 1,
                "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                _ => return None,
            };
            s = &s[unit_len..];
            let v: u64 = if int_s.is_empty() {
                0
            } else {
                int_s.parse().ok()?
            };
            let mut v = v.checked_mul(unit)?;
            if !frac_s.is_empty() {
                // Go keeps at most the digits that fit; 18 is plenty for a config.
                let digits = &frac_s[..frac_s.len().min(18)];
                let f: u64 = digits.parse().ok()?;
                let scale = 10f64.powi(digits.len() as i32);
                v = v.checked_add((f as f64 * (unit as f64 / scale)) as u64)?;
            }
            total = total.checked_add(v)?;
            if total > 1 << 63 {
                return None;
            }
        }
        if neg {
            Some((total as i128).wrapping_neg() as i64)
        } else {
            i64::try_from(total).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::GoDuration;

    /// Shaped after time's TestParseDuration cases.
    #[test]
    fn parse_duration_table() {
        for (s, want) in [
            ("0", Some(0)),
            ("5s", Some(5_000_000_000)),
            ("30s", Some(30_000_000_000)),
            ("1478s", Some(1_478_000_000_000)),
            ("-5s", Some(-5_000_000_000)),
            ("+5s", Some(5_000_000_000)),
            ("-0", Some(0)),
            ("1.5h", Some(5_400_000_000_000)),
            ("1h30m", Some(5_400_000_000_000)),
            ("500ms", Some(500_000_000)),
            ("10us", Some(10_000)),
            ("10\u{b5}s", Some(10_000)),
            ("10ns", Some(10)),
            (".5s", Some(500_000_000)),
            ("1.s", Some(1_000_000_000)),
            ("", None),
            ("3", None),
            ("-", None),
            ("s", None),
            (".", None),
            ("-.", None),
            (".s", None),
            ("+.s", None),
            ("1d", None),
            ("9223372036854775808ns", None),
            ("-9223372036854775808ns", Some(i64::MIN)),
        ] {
            assert_eq!(GoDuration::parse(s), want, "{s:?}");
        }
    }
}
