//! Resource quantities as Kubernetes writes them ("500m", "16Gi", "1.5", "2k", "1e3").
//!
//! Models k8s.io/apimachinery/pkg/api/resource/quantity.go: a value kept exactly in milli-units,
//! and the suffix family it was written in, so it prints back in canonical form.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The family of suffix a quantity was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Ki, Mi, Gi, ...
    BinarySI,
    /// m, k, M, G, ... or none
    #[default]
    DecimalSI,
    /// 1e3, 5E-3
    DecimalExponent,
}

/// A resource quantity, exact to the milli-unit (values finer than that round up, as
/// upstream's `MilliValue` does).
#[derive(Clone, Copy, Debug, Default)]
pub struct Quantity {
    milli: i64,
    format: Format,
}

impl PartialEq for Quantity {
    fn eq(&self, o: &Self) -> bool {
        self.milli == o.milli
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Quantity {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.milli.cmp(&o.milli)
    }
}

const EXPECTED: &str =
    "a quantity such as \"500m\", \"2\", \"16Gi\" or \"128Mi\" (a number with an optional suffix)";

impl Quantity {
    pub const ZERO: Quantity = Quantity {
        milli: 0,
        format: Format::DecimalSI,
    };

    pub fn from_milli(milli: i64) -> Self {
        Quantity {
            milli,
            format: Format::DecimalSI,
        }
    }

    /// A whole number of units (bytes, cores, pods), printed with binary suffixes when exact.
    pub fn from_bytes(bytes: i64) -> Self {
        Quantity {
            milli: bytes.saturating_mul(1000),
            format: Format::BinarySI,
        }
    }

    pub fn from_units(units: i64) -> Self {
        Quantity {
            milli: units.saturating_mul(1000),
            format: Format::DecimalSI,
        }
    }

    /// The value in milli-units (cpu millicores).
    pub fn milli_value(&self) -> i64 {
        self.milli
    }

    /// The value in whole units, rounded up (upstream `Value`).
    pub fn value(&self) -> i64 {
        self.milli.div_euclid(1000) + i64::from(self.milli.rem_euclid(1000) != 0)
    }

    pub fn is_zero(&self) -> bool {
        self.milli == 0
    }

    pub fn is_negative(&self) -> bool {
        self.milli < 0
    }

    /// Parses a quantity; negative values are accepted here (callers that need a
    /// non-negative amount check `is_negative`).
    pub fn parse(s: &str) -> Result<Quantity, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err(format!("expected {EXPECTED}, found an empty string"));
        }
        let bad = || format!("expected {EXPECTED}, found {s:?}");
        let (neg, body) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (num, suffix) = body.split_at(num_end);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(bad());
        }
        let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
        // value = digits * 10^exp10 * 2^exp2
        let (format, exp10, exp2): (Format, i32, u32) = match suffix {
            "" => (Format::DecimalSI, 0, 0),
            "n" => (Format::DecimalSI, -9, 0),
            "u" => (Format::DecimalSI, -6, 0),
            "m" => (Format::DecimalSI, -3, 0),
            "k" => (Format::DecimalSI, 3, 0),
            "M" => (Format::DecimalSI, 6, 0),
            "G" => (Format::DecimalSI, 9, 0),
            "T" => (Format::DecimalSI, 12, 0),
            "P" => (Format::DecimalSI, 15, 0),
            "E" => (Format::DecimalSI, 18, 0),
            "Ki" => (Format::BinarySI, 0, 10),
            "Mi" => (Format::BinarySI, 0, 20),
            "Gi" => (Format::BinarySI, 0, 30),
            "Ti" => (Format::BinarySI, 0, 40),
            "Pi" => (Format::BinarySI, 0, 50),
            "Ei" => (Format::BinarySI, 0, 60),
            s2 if s2.starts_with(['e', 'E']) => {
                let e: i32 = s2[1..].parse().map_err(|_| bad())?;
                (Format::DecimalExponent, e, 0)
            }
            _ => return Err(bad()),
        };
        // Exact rational: mantissa / 10^frac_len * 10^exp10 * 2^exp2, in milli-units, rounded up.
        let digits = format!("{whole}{frac}");
        let mantissa: i128 = digits.trim_start_matches('0').parse().unwrap_or(0);
        let scale10 = exp10 + 3 - frac.len() as i32;
        let too_large = || format!("quantity {s:?} is too large");
        let mut num: i128 = mantissa.checked_mul(1i128 << exp2).ok_or_else(too_large)?;
        let mut den: i128 = 1;
        if scale10 >= 0 {
            num = num
                .checked_mul(10i128.checked_pow(scale10 as u32).ok_or_else(too_large)?)
                .ok_or_else(too_large)?;
        } else {
            den = 10i128
                .checked_pow((-scale10) as u32)
                .unwrap_or(i128::MAX / 4);
        }
        let milli = num / den + i128::from(num % den != 0);
        let milli = i64::try_from(milli).map_err(|_| too_large())?;
        Ok(Quantity {
            milli: if neg { -milli } else { milli },
            format,
        })
    }

    /// The canonical string, as upstream's `Quantity.String` prints it.
    pub fn canonical(&self) -> String {
        let neg = self.milli < 0;
        let m = self.milli.unsigned_abs();
        let body = if m == 0 {
            "0".to_string()
        } else if !m.is_multiple_of(1000) {
            // Not a whole number of units: decimal with the milli suffix.
            match self.format {
                Format::DecimalExponent => format!("{m}e-3"),
                _ => format!("{m}m"),
            }
        } else {
            let v = m / 1000;
            match self.format {
                Format::BinarySI if v >= 1024 && v.is_multiple_of(1024) => {
                    let mut v = v;
                    let mut i = 0;
                    while v.is_multiple_of(1024) && i < 6 {
                        v /= 1024;
                        i += 1;
                    }
                    format!("{v}{}", ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][i])
                }
                Format::DecimalExponent => {
                    let (v, e) = strip_pow10(v, 18);
                    if e == 0 {
                        v.to_string()
                    } else {
                        format!("{v}e{e}")
                    }
                }
                _ => {
                    let (v, e) = strip_pow10(v, 18);
                    let k = e / 3;
                    let v = v * 10u64.pow(e - k * 3);
                    format!("{v}{}", ["", "k", "M", "G", "T", "P", "E"][k as usize])
                }
            }
        };
        if neg {
            format!("-{body}")
        } else {
            body
        }
    }
}

fn strip_pow10(mut v: u64, max: u32) -> (u64, u32) {
    let mut e = 0;
    while v.is_multiple_of(10) && e < max {
        v /= 10;
        e += 1;
    }
    (v, e)
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Quantity::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(1000))
                    .map(Quantity::from_milli)
                    .ok_or_else(|| E::custom("quantity is too large"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                v.checked_mul(1000)
                    .map(Quantity::from_milli)
                    .ok_or_else(|| E::custom("quantity is too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Quantity::parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        // (input, milli-units, canonical form)
        let cases: &[(&str, i64, &str)] = &[
            ("500m", 500, "500m"),
            ("0.5", 500, "500m"),
            ("2", 2000, "2"),
            ("1000", 1_000_000, "1k"),
            ("1.5", 1500, "1500m"),
            ("16Gi", 16 * (1 << 30) * 1000, "16Gi"),
            ("128Mi", 128 * (1 << 20) * 1000, "128Mi"),
            ("1536Mi", 1536 * (1 << 20) * 1000, "1536Mi"),
            ("1.5Gi", 1536 * (1 << 20) * 1000, "1536Mi"),
            ("1e3", 1_000_000, "1e3"),
            ("100k", 100_000_000, "100k"),
            ("1M", 1_000_000_000, "1M"),
            ("110", 110_000, "110"),
            ("0", 0, "0"),
            ("1n", 1, "1m"), // rounds up to the milli-unit
            ("-1", -1000, "-1"),
        ];
        for (input, milli, canon) in cases {
            let q = Quantity::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(q.milli_value(), *milli, "milli of {input}");
            assert_eq!(q.canonical(), *canon, "canonical of {input}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "m", "5x", "1.2.3", "Gi", "5 Gi", "1e", "."] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn value_rounds_up() {
        assert_eq!(Quantity::parse("1500m").unwrap().value(), 2);
        assert_eq!(Quantity::parse("2").unwrap().value(), 2);
    }

    #[test]
    fn serde_round_trip() {
        let q: Quantity = serde_json::from_str("\"250m\"").unwrap();
        assert_eq!(serde_json::to_string(&q).unwrap(), "\"250m\"");
        let n: Quantity = serde_json::from_str("4").unwrap();
        assert_eq!(n.milli_value(), 4000);
    }
}
