//! `intstr.IntOrString` (k8s.io/apimachinery/pkg/util/intstr/intstr.go): an integer or a
//! percentage such as "25%", and upstream's scaled-value rounding.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i32),
    String(String),
}

impl IntOrString {
    /// GetScaledValueFromIntOrPercent: an int as is; "N%" of `total`, rounded up or down.
    pub fn scaled_value(&self, total: i32, round_up: bool) -> Result<i32, String> {
        match self {
            IntOrString::Int(i) => Ok(*i),
            IntOrString::String(s) => {
                let pct: i64 = s
                    .strip_suffix('%')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("invalid value for IntOrString: invalid type: string is not a percentage: {s:?}"))?;
                let v = pct * total as i64;
                Ok(if round_up {
                    (v + 99).div_euclid(100)
                } else {
                    v.div_euclid(100)
                } as i32)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// intstr_test.go TestGetScaledValueFromIntOrPercent.
    #[test]
    fn scaled_value_table() {
        let s = |v: &str| IntOrString::String(v.into());
        let cases = [
            (IntOrString::Int(123), 100, false, Ok(123)),
            (s("90%"), 100, true, Ok(90)),
            (s("90%"), 95, true, Ok(86)),
            (s("90%"), 95, false, Ok(85)),
            (s("25%"), 10, true, Ok(3)),
            (s("25%"), 10, false, Ok(2)),
            (s("%"), 100, false, Err(())),
            (s("90"), 100, false, Err(())),
            (s("a%"), 100, false, Err(())),
        ];
        for (v, total, up, want) in cases {
            let got = v.scaled_value(total, up).map_err(|_| ());
            assert_eq!(got, want, "{v:?} of {total} (round up {up})");
        }
    }
}
