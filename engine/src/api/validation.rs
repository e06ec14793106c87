//! Validation on create and update, with upstream's field paths and messages
//! (pkg/apis/core/validation/validation.go, pkg/apis/apps/validation/validation.go).

use super::object::Object;
use super::pod::PodSpec;

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
            let r = rs.spec.replicas.unwrap_or(1);
            if r < 0 {
                errs.push(format!(
                    "spec.replicas: Invalid value: {r}: must be greater than or equal to 0"
                ));
            }
            if rs.spec.selector.is_empty() {
                errs.push("spec.selector: Invalid value: \"{}\": empty selector is invalid for deployment".into());
            } else if let Err(e) = rs.spec.selector.validate() {
                errs.push(format!("spec.selector.{e}"));
            } else if !rs.spec.selector.matches(&rs.spec.template.metadata.labels) {
                errs.push(format!(
                    "spec.template.metadata.labels: Invalid value: {:?}: `selector` does not match template `labels`",
                    rs.spec.template.metadata.labels
                ));
            }
            validate_pod_spec(&rs.spec.template.spec, "spec.template.spec", &mut errs);
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
}
