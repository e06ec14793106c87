//! The Service object (k8s.io/api/core/v1/types.go), the fields kubesim models: a selector,
//! ports and a ClusterIP.

use super::meta::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `v1.ServicePort`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    pub port: i32,
    /// The container port (an int only in kubesim; 0 means "same as port").
    #[serde(default, skip_serializing_if = "super::meta::is_zero_i32")]
    pub target_port: i32,
}

/// `v1.ServiceSpec`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub type_: String,
    #[serde(
        default,
        rename = "clusterIP",
        skip_serializing_if = "String::is_empty"
    )]
    pub cluster_ip: String,
}

/// `v1.ServiceStatus` (load balancers are not modelled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServiceStatus {}

/// `v1.Service`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ServiceSpec,
    #[serde(default)]
    pub status: ServiceStatus,
}

/// The service CIDR, `--service-cluster-ip-range` (kubeadm's default 10.96.0.0/12).
pub const SERVICE_CIDR_BASE: u32 = 0x0a60_0000;
pub const SERVICE_CIDR_BITS: u32 = 12;

/// A ClusterIP for a new Service, drawn deterministically from its uid (the upstream
/// allocator picks a random free address; admission has no store to look at, so collisions are
/// possible but unlikely: 2^20 addresses). Never the network address or the broadcast, and never
/// 10.96.0.1 (kept for the `kubernetes` service) or 10.96.0.10 (kube-dns).
pub fn allocate_cluster_ip(uid: &str) -> String {
    let size = 1u64 << (32 - SERVICE_CIDR_BITS);
    let h = blake3::hash(uid.as_bytes());
    let x = u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("32-byte hash"));
    // Offsets 11 ..= size-2.
    let off = 11 + x % (size - 12);
    let ip = SERVICE_CIDR_BASE + off as u32;
    format!(
        "{}.{}.{}.{}",
        ip >> 24,
        (ip >> 16) & 0xff,
        (ip >> 8) & 0xff,
        ip & 0xff
    )
}

/// Whether `ip` is a dotted IPv4 address inside 10.96.0.0/12.
pub fn in_service_cidr(ip: &str) -> bool {
    let parts: Vec<&str> = ip.split('.').collect();
    if parts.len() != 4 {
        return false;
    }
    let mut v: u32 = 0;
    for p in parts {
        match p.parse::<u8>() {
            Ok(b) if p == b.to_string() => v = (v << 8) | u32::from(b),
            _ => return false,
        }
    }
    v >> (32 - SERVICE_CIDR_BITS) == SERVICE_CIDR_BASE >> (32 - SERVICE_CIDR_BITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ips_are_in_range_and_deterministic() {
        for uid in ["a", "b", "c", "0000-1111"] {
            let ip = allocate_cluster_ip(uid);
            assert!(in_service_cidr(&ip), "{ip}");
            assert_eq!(ip, allocate_cluster_ip(uid));
        }
        assert_ne!(allocate_cluster_ip("a"), allocate_cluster_ip("b"));
        assert!(in_service_cidr("10.111.255.254"));
        assert!(!in_service_cidr("10.112.0.1"));
        assert!(!in_service_cidr("10.96.0"));
    }

    #[test]
    fn json_field_names() {
        let mut s = Service::default();
        s.spec.cluster_ip = "10.96.0.11".into();
        s.spec.type_ = "ClusterIP".into();
        s.spec.ports.push(ServicePort {
            port: 80,
            target_port: 8080,
            protocol: "TCP".into(),
            ..Default::default()
        });
        let j = serde_json::to_string(&s).unwrap();
        assert!(j.contains(r#""clusterIP":"10.96.0.11""#), "{j}");
        assert!(j.contains(r#""type":"ClusterIP""#), "{j}");
        assert!(j.contains(r#""targetPort":8080"#), "{j}");
        let back: Service = serde_json::from_str(&j).unwrap();
        assert_eq!(back, s);
    }
}
