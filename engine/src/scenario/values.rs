//! Scalar values as Kubernetes users write them: durations ("90s", "5m") and non-negative
//! quantities ("500m", "16Gi").

use crate::api::Quantity;
use crate::controllers::nodelifecycle::Millionths;
use crate::sim::{format_duration, parse_duration, SimDuration};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A duration written as a string ("90s", "5m", "1h30m", "250ms").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub SimDuration);

impl Dur {
    pub fn secs(s: u64) -> Self {
        Dur(SimDuration::from_secs(s))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0.as_micros()))
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"90s\", \"5m\" or \"1h30m\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A quantity that may not be negative ("500m", "4", "16Gi").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Qty(pub Quantity);

impl Qty {
    pub fn parse(s: &str) -> Result<Qty, String> {
        let q = Quantity::parse(s)?;
        if q.is_negative() {
            return Err(format!(
                "expected a non-negative quantity, found negative quantity {s:?}"
            ));
        }
        Ok(Qty(q))
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Qty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let q = Quantity::deserialize(d)?;
        if q.is_negative() {
            return Err(de::Error::custom(format!(
                "expected a non-negative quantity, found negative quantity \"{q}\""
            )));
        }
        Ok(Qty(q))
    }
}

/// A non-negative decimal written as a string ("0.1", "0.55"), as kube-controller-manager's
/// float flags take it; kept exact as millionths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decimal(pub Millionths);

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string such as \"0.1\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map(Decimal).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}
