//! Object metadata and timestamps (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).

use crate::sim::SimTime;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Wall-clock instant of virtual time zero: 2026-01-01T00:00:00Z (Unix seconds).
pub const EPOCH_UNIX_SECS: i64 = 1_767_225_600;

/// `metav1.Time`: RFC 3339 with second precision. Kept exactly (microseconds) inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(pub SimTime);

/// `metav1.MicroTime`: RFC 3339 with microsecond precision (Lease renewTime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MicroTime(pub SimTime);

/// Formats Unix seconds + microseconds as RFC 3339 UTC.
pub fn rfc3339(unix_secs: i64, micros: Option<u32>) -> String {
    let [y, m, d, hh, mm, ss] = civil(unix_secs);
    if (0..=9999).contains(&y) && micros.is_none_or(|us| us < 1_000_000) {
        let mut buf = [0u8; 27];
        return write_rfc3339(&mut buf, [y, m, d, hh, mm, ss], micros).to_string();
    }
    match micros {
        None => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
        Some(us) => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{us:06}Z"),
    }
}

/// `rfc3339`'s text for a year of four digits, written into `buf` without allocating.
fn write_rfc3339(buf: &mut [u8; 27], [y, m, d, hh, mm, ss]: [i64; 6], micros: Option<u32>) -> &str {
    let mut put = |at: usize, width: u32, v: i64| {
        let mut v = v;
        for i in (0..width as usize).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, hh);
    put(14, 2, mm);
    put(17, 2, ss);
    let len = match micros {
        None => 20,
        Some(us) => {
            put(20, 6, i64::from(us));
            27
        }
    };
    for (at, c) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        buf[at] = c;
    }
    if micros.is_some() {
        buf[19] = b'.';
    }
    buf[len - 1] = b'Z';
    std::str::from_utf8(&buf[..len]).expect("ASCII digits")
}

/// The civil date and time of Unix seconds: [year, month, day, hour, minute, second].
fn civil(unix_secs: i64) -> [i64; 6] {
    // Howard Hinnant's civil_from_days.
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    [y, m, d, secs / 3600, (secs % 3600) / 60, secs % 60]
}

/// Serializes like `rfc3339` without building a String.
fn serialize_rfc3339<S: Serializer>(
    s: S,
    unix_secs: i64,
    micros: Option<u32>,
) -> Result<S::Ok, S::Error> {
    let c = civil(unix_secs);
    if (0..=9999).contains(&c[0]) && micros.is_none_or(|us| us < 1_000_000) {
        let mut buf = [0u8; 27];
        s.serialize_str(write_rfc3339(&mut buf, c, micros))
    } else {
        s.serialize_str(&rfc3339(unix_secs, micros))
    }
}

/// Parses RFC 3339 UTC ("...Z" or "+00:00") into Unix microseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mi, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut micros = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let frac = &r[..n.min(6)];
        micros = frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32);
        rest = &r[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3600 + mi * 60 + ss - offset) * 1_000_000 + micros)
}

fn sim_to_unix(t: SimTime) -> (i64, u32) {
    let us = t.0 as i64;
    (EPOCH_UNIX_SECS + us / 1_000_000, (us % 1_000_000) as u32)
}

fn unix_micros_to_sim(us: i64) -> SimTime {
    SimTime((us - EPOCH_UNIX_SECS * 1_000_000).max(0) as u64)
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (secs, _) = sim_to_unix(self.0);
        serialize_rfc3339(s, secs, None)
    }
}

impl Serialize for MicroTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (secs, us) = sim_to_unix(self.0);
        serialize_rfc3339(s, secs, Some(us))
    }
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<SimTime, D::Error> {
    let s = String::deserialize(d)?;
    parse_rfc3339(&s).map(unix_micros_to_sim).ok_or_else(|| {
        de::Error::custom(format!(
            "expected an RFC 3339 time such as \"2026-01-01T00:00:00Z\", found {s:?}"
        ))
    })
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_time(d).map(Time)
    }
}

impl<'de> Deserialize<'de> for MicroTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de_time(d).map(MicroTime)
    }
}

/// `metav1.OwnerReference`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

pub(crate) fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

pub(crate) fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}

pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

/// resourceVersion is a string on the wire and the store's revision inside.
mod rv_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(0);
        }
        s.parse().map_err(|_| {
            de::Error::custom(format!("expected a numeric resourceVersion, found {s:?}"))
        })
    }
}

/// `metav1.ObjectMeta`, the fields kubesim models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(default, skip_serializing_if = "is_zero_u64", with = "rv_string")]
    pub resource_version: u64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub generation: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

impl ObjectMeta {
    /// The owner reference with `controller: true`, if any.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references
            .iter()
            .find(|r| r.controller == Some(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_digits_as_format() {
        for secs in [
            0i64,
            59,
            86_399,
            951_782_400,
            1_767_225_600,
            4_102_444_799,
            253_402_300_799,
        ] {
            for us in [None, Some(0u32), Some(7), Some(999_999)] {
                let [y, m, d, hh, mm, ss] = civil(secs);
                let want = match us {
                    None => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
                    Some(us) => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{us:06}Z"),
                };
                assert_eq!(rfc3339(secs, us), want);
                let json = serde_json::to_string(&MicroTime(unix_micros_to_sim(
                    secs * 1_000_000 + i64::from(us.unwrap_or(0)),
                )))
                .unwrap();
                if secs * 1_000_000 >= EPOCH_UNIX_SECS * 1_000_000 {
                    let want = rfc3339(secs, Some(us.unwrap_or(0)));
                    assert_eq!(json, format!("\"{want}\""));
                }
            }
        }
    }

    #[test]
    fn rfc3339_table() {
        let cases: &[(i64, Option<u32>, &str)] = &[
            (0, None, "1970-01-01T00:00:00Z"),
            (EPOCH_UNIX_SECS, None, "2026-01-01T00:00:00Z"),
            (
                EPOCH_UNIX_SECS + 59 * 86_400 + 3661,
                None,
                "2026-03-01T01:01:01Z",
            ),
            (951_782_400, None, "2000-02-29T00:00:00Z"),
            (
                EPOCH_UNIX_SECS + 10,
                Some(250),
                "2026-01-01T00:00:10.000250Z",
            ),
        ];
        for (secs, us, want) in cases {
            assert_eq!(rfc3339(*secs, *us), *want);
            let back = parse_rfc3339(want).unwrap();
            assert_eq!(back, secs * 1_000_000 + us.unwrap_or(0) as i64, "{want}");
        }
        assert_eq!(
            parse_rfc3339("2026-01-01T02:00:00+02:00"),
            Some(EPOCH_UNIX_SECS * 1_000_000)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn meta_json_uses_kubernetes_field_names() {
        let m = ObjectMeta {
            name: "web-abcde".into(),
            namespace: "default".into(),
            resource_version: 42,
            creation_timestamp: Some(Time(SimTime(1_500_000))),
            ..Default::default()
        };
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(
            j,
            r#"{"name":"web-abcde","namespace":"default","resourceVersion":"42","creationTimestamp":"2026-01-01T00:00:01Z"}"#
        );
        let back: ObjectMeta = serde_json::from_str(&j).unwrap();
        assert_eq!(back.resource_version, 42);
    }
}
