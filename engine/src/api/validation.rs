//! Validation on create and update, with upstream's field paths and messages
//! (pkg/apis/core/validation/validation.go, pkg/apis/apps/validation/validation.go).

use super::intstr::IntOrString;
use super::object::Object;
use super::pod::{PodSpec, PodTemplateSpec};
use super::selector::LabelSelector;

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// IsDNS1123Subdomain.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

fn validate_pod_spec(spec: &PodSpec, path: &str, errs: &mut Vec<String>) {
    if spec.containers.is_empty() {
        errs.push(format!("{path}.containers: Required value"));
    }
    // ValidateTolerations (the operator and key/value rules).
    for (i, t) in spec.tolerations.iter().enumerate() {
        let tp = format!("{path}.tolerations[{i}]");
        match t.operator.as_str() {
            "" | "Equal" | "Lt" | "Gt" => {
                if t.key.is_empty() {
                    errs.push(format!(
                        "{tp}.operator: Invalid value: \"{}\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                        t.operator
                    ));
                }
            }
            "Exists" => {
                if !t.value.is_empty() {
                    errs.push(format!(
                        "{tp}.operator: Invalid value: \"{}\": value must be empty when `operator` is 'Exists'",
                        t.value
                    ));
                }
            }
            other => errs.push(format!(
                "{tp}.operator: Unsupported value: \"{other}\": supported values: \"Equal\", \"Exists\""
            )),
        }
        if t.toleration_seconds.is_some() && !t.effect.is_empty() && t.effect != "NoExecute" {
            errs.push(format!(
                "{tp}.effect: Invalid value: \"{}\": effect must be 'NoExecute' when `tolerationSeconds` is set",
                t.effect
            ));
        }
    }
    let groups = [
        ("initContainers", &spec.init_containers),
        ("containers", &spec.containers),
    ];
    for (field, list) in groups {
        for (i, c) in list.iter().enumerate() {
            let cp = format!("{path}.{field}[{i}]");
            if c.name.is_empty() {
                errs.push(format!("{cp}.name: Required value"));
            }
            if c.image.is_empty() {
                errs.push(format!("{cp}.image: Required value"));
            }
            for (kind, map) in [
                ("requests", &c.resources.requests),
                ("limits", &c.resources.limits),
            ] {
                for (res, q) in map {
                    if q.is_negative() {
                        errs.push(format!(
                            "{cp}.resources.{kind}[{res}]: Invalid value: \"{q}\": must be greater than or equal to 0"
                        ));
                    }
                }
            }
        }
    }
}

/// ValidatePositiveIntOrPercent and IsNotMoreThan100Percent for a rolling update field.
fn intstr_problems(field: &str, v: &IntOrString, errs: &mut Vec<String>) {
    let path = format!("spec.strategy.rollingUpdate.{field}");
    let shown = match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => format!("{s:?}"),
    };
    match v.scaled_value(100, true) {
        Err(_) => errs.push(format!(
            "{path}: Invalid value: {shown}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
        )),
        Ok(n) if n < 0 => errs.push(format!(
            "{path}: Invalid value: {shown}: must be greater than or equal to 0"
        )),
        Ok(n) if field == "maxUnavailable" && n > 100 && matches!(v, IntOrString::String(_)) => {
            errs.push(format!("{path}: Invalid value: {shown}: must not be greater than 100%"))
        }
        Ok(_) => {}
    }
}

fn non_negative(path: &str, v: i32, errs: &mut Vec<String>) {
    if v < 0 {
        errs.push(format!(
            "{path}: Invalid value: {v}: must be greater than or equal to 0"
        ));
    }
}

/// Selector and template of a ReplicaSet, Deployment or DaemonSet.
/// `what` names the workload in the empty-selector message as upstream does ("deployment" for
/// ReplicaSets too, "daemonset").
fn validate_workload(
    selector: &LabelSelector,
    template: &PodTemplateSpec,
    what: &str,
    errs: &mut Vec<String>,
) {
    if selector.is_empty() {
        errs.push(format!(
            "spec.selector: Invalid value: \"{{}}\": empty selector is invalid for {what}"
        ));
    } else if let Err(e) = selector.validate() {
        errs.push(format!("spec.selector.{e}"));
    } else if !selector.matches(&template.metadata.labels) {
        errs.push(format!(
            "spec.template.metadata.labels: Invalid value: {:?}: `selector` does not match template `labels`",
            template.metadata.labels
        ));
    }
    validate_pod_spec(&template.spec, "spec.template.spec", errs);
}

/// `scheduling.HighestUserDefinablePriority`.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;

/// Returns the list of problems ("field: message"), empty when valid.
pub fn validate(obj: &Object) -> Vec<String> {
    let mut errs = Vec::new();
    let m = obj.meta();
    if m.name.is_empty() {
        errs.push("metadata.name: Required value: name or generateName is required".into());
    } else if !is_dns1123_subdomain(&m.name) {
        errs.push(format!(
            "metadata.name: Invalid value: \"{}\": {DNS1123_SUBDOMAIN_MSG}",
            m.name
        ));
    }
    if obj.kind().namespaced() && m.namespace.is_empty() {
        errs.push("metadata.namespace: Required value".into());
    }
    match obj {
        Object::Pod(p) => validate_pod_spec(&p.spec, "spec", &mut errs),
        Object::ReplicaSet(rs) => {
            non_negative("spec.replicas", rs.spec.replicas.unwrap_or(1), &mut errs);
            validate_workload(
                &rs.spec.selector,
                &rs.spec.template,
                "deployment",
                &mut errs,
            );
        }
        Object::Deployment(d) => {
            non_negative("spec.replicas", d.spec.replicas.unwrap_or(1), &mut errs);
            validate_workload(&d.spec.selector, &d.spec.template, "deployment", &mut errs);
            if let Some(ru) = &d.spec.strategy.rolling_update {
                let zero = |v: &Option<IntOrString>| {
                    v.as_ref()
                        .is_none_or(|v| v.scaled_value(100, true) == Ok(0))
                };
                if d.spec.strategy.type_ == "Recreate" {
                    errs.push("spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'".into());
                } else if zero(&ru.max_unavailable) && zero(&ru.max_surge) {
                    errs.push("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0".into());
                }
                for (field, v) in [
                    ("maxUnavailable", &ru.max_unavailable),
                    ("maxSurge", &ru.max_surge),
                ] {
                    if let Some(v) = v {
                        intstr_problems(field, v, &mut errs);
                    }
                }
            }
            if let Some(h) = d.spec.revision_history_limit {
                non_negative("spec.revisionHistoryLimit", h, &mut errs);
            }
            if let Some(p) = d.spec.progress_deadline_seconds {
                if p <= d.spec.min_ready_seconds {
                    errs.push(format!("spec.progressDeadlineSeconds: Invalid value: {p}: must be greater than minReadySeconds"));
                }
            }
        }
        Object::DaemonSet(ds) => {
            validate_workload(&ds.spec.selector, &ds.spec.template, "daemonset", &mut errs);
            let rp = &ds.spec.template.spec.restart_policy;
            if !rp.is_empty() && rp != "Always" {
                errs.push(format!("spec.template.spec.restartPolicy: Unsupported value: \"{rp}\": supported values: \"Always\""));
            }
        }
        Object::Service(s) => {
            let ip = &s.spec.cluster_ip;
            if !ip.is_empty() && ip != "None" && !super::service::in_service_cidr(ip) {
                errs.push(format!("spec.clusterIPs: Invalid value: [\"{ip}\"]: failed to allocate IP {ip}: provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12"));
            }
            for (i, p) in s.spec.ports.iter().enumerate() {
                if !(1..=65535).contains(&p.port) {
                    errs.push(format!("spec.ports[{i}].port: Invalid value: {}: must be between 1 and 65535, inclusive", p.port));
                }
                if s.spec.ports.len() > 1 && p.name.is_empty() {
                    errs.push(format!("spec.ports[{i}].name: Required value"));
                }
            }
        }
        Object::EndpointSlice(e) => {
            if !matches!(e.spec.address_type.as_str(), "IPv4" | "IPv6" | "FQDN") {
                errs.push(format!("addressType: Unsupported value: \"{}\": supported values: \"FQDN\", \"IPv4\", \"IPv6\"", e.spec.address_type));
            }
            for (i, ep) in e.spec.endpoints.iter().enumerate() {
                if ep.addresses.is_empty() {
                    errs.push(format!(
                        "endpoints[{i}].addresses: Required value: must contain at least 1 address"
                    ));
                }
            }
        }
        Object::PriorityClass(pc) => {
            // pkg/apis/scheduling/validation: user classes may not exceed HighestUserDefinablePriority.
            if pc.spec.value > HIGHEST_USER_DEFINABLE_PRIORITY
                && !pc.metadata.name.starts_with("system-")
            {
                errs.push(format!("value: Forbidden: maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"));
            }
            if let Some(p) = &pc.spec.preemption_policy {
                if p != "PreemptLowerPriority" && p != "Never" {
                    errs.push(format!("preemptionPolicy: Unsupported value: \"{p}\": supported values: \"Never\", \"PreemptLowerPriority\""));
                }
            }
        }
        Object::Node(_) | Object::Lease(_) => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Container, Pod};

    #[test]
    fn dns1123_table() {
        for (s, ok) in [
            ("web", true),
            ("web-1.example", true),
            ("Web", false),
            ("-web", false),
            ("web-", false),
            ("a..b", false),
            ("", false),
        ] {
            assert_eq!(is_dns1123_subdomain(s), ok, "{s:?}");
        }
    }

    #[test]
    fn pod_without_containers_or_image() {
        let mut p = Pod::default();
        p.metadata.name = "p".into();
        p.metadata.namespace = "default".into();
        assert_eq!(
            validate(&Object::Pod(p.clone())),
            ["spec.containers: Required value"]
        );
        p.spec.containers.push(Container {
            name: "c".into(),
            ..Default::default()
        });
        assert_eq!(
            validate(&Object::Pod(p)),
            ["spec.containers[0].image: Required value"]
        );
    }

    /// Shaped after the toleration cases of validation_test.go (ValidateTolerations).
    #[test]
    fn tolerations_table() {
        use crate::api::pod::Toleration;
        let t = |key: &str, op: &str, value: &str, effect: &str, secs: Option<i64>| Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: secs,
        };
        let cases = [
            ("exists with empty key", t("", "Exists", "", "", None), None),
            (
                "equal with a key",
                t("k", "Equal", "v", "NoSchedule", None),
                None,
            ),
            (
                "empty operator means Equal",
                t("k", "", "v", "", None),
                None,
            ),
            (
                "empty key needs Exists",
                t("", "Equal", "v", "", None),
                Some("operator must be Exists when `key` is empty"),
            ),
            (
                "Exists takes no value",
                t("k", "Exists", "v", "", None),
                Some("value must be empty when `operator` is 'Exists'"),
            ),
            (
                "unknown operator",
                t("k", "Sometimes", "", "", None),
                Some("Unsupported value: \"Sometimes\""),
            ),
            (
                "seconds need NoExecute",
                t("k", "Exists", "", "NoSchedule", Some(5)),
                Some("effect must be 'NoExecute' when `tolerationSeconds` is set"),
            ),
        ];
        for (name, tol, want) in cases {
            let mut p = Pod::default();
            p.metadata.name = "p".into();
            p.metadata.namespace = "default".into();
            p.spec.containers.push(Container {
                name: "c".into(),
                image: "i".into(),
                ..Default::default()
            });
            p.spec.tolerations.push(tol);
            let errs = validate(&Object::Pod(p));
            match want {
                None => assert!(errs.is_empty(), "{name}: {errs:?}"),
                Some(w) => assert!(errs.len() == 1 && errs[0].contains(w), "{name}: {errs:?}"),
            }
        }
    }
}
