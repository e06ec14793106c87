//! Defaulting and admission applied on create, before validation.
//!
//! Models pkg/apis/core/v1/defaults.go (SetDefaults_PodSpec), pkg/apis/apps/v1/defaults.go
//! (SetDefaults_ReplicaSet, SetDefaults_Deployment, SetDefaults_DaemonSet), plugin/pkg/admission/defaulttolerationseconds/admission.go and
//! the Priority admission plugin ([`admit_priority`]), and the pod strategy's
//! PrepareForCreate (phase Pending, QoS class: pkg/apis/core/helper/qos/qos.go).

use super::daemonset::DaemonSet;
use super::deployment::Deployment;
use super::intstr::IntOrString;
use super::msg::ApiError;
use super::object::Kind;
use super::object::Object;
use super::pod::{PodSpec, Toleration};
use super::priorityclass::{system_priority_class, PriorityClassSpec};
use super::service::allocate_cluster_ip;

/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// SetDefaults_PodSpec, the fields kubesim models.
pub fn default_pod_spec(spec: &mut PodSpec) {
    if spec.restart_policy.is_empty() {
        spec.restart_policy = "Always".into();
    }
    if spec.termination_grace_period_seconds.is_none() {
        spec.termination_grace_period_seconds = Some(30);
    }
    if spec.scheduler_name.is_empty() {
        spec.scheduler_name = DEFAULT_SCHEDULER_NAME.into();
    }
}

/// DefaultTolerationSeconds: tolerate not-ready and unreachable NoExecute for 300 s unless the
/// pod already tolerates them.
pub fn add_default_tolerations(spec: &mut PodSpec) {
    for key in [TAINT_NOT_READY, TAINT_UNREACHABLE] {
        let tolerated = spec.tolerations.iter().any(|t| {
            (t.effect.is_empty() || t.effect == "NoExecute")
                && (t.key.is_empty() && t.operator == "Exists" || t.key == key)
        });
        if !tolerated {
            spec.tolerations.push(Toleration {
                key: key.into(),
                operator: "Exists".into(),
                effect: "NoExecute".into(),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
                ..Default::default()
            });
        }
    }
}

/// The QoS class of a pod spec (GetPodQOS).
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let containers = spec.containers.iter().chain(spec.init_containers.iter());
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let r = &c.resources;
        if !r.requests.is_empty() || !r.limits.is_empty() {
            any = true;
        }
        for res in ["cpu", "memory"] {
            let limit = r.limits.get(res);
            let request = r.requests.get(res).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// SetDefaults_Deployment: replicas 1, RollingUpdate with maxUnavailable and maxSurge 25%,
/// revisionHistoryLimit 10, progressDeadlineSeconds 600.
pub fn default_deployment(d: &mut Deployment) {
    let s = &mut d.spec;
    s.replicas.get_or_insert(1);
    if s.strategy.type_.is_empty() {
        s.strategy.type_ = "RollingUpdate".into();
    }
    if s.strategy.type_ == "RollingUpdate" {
        let ru = s
            .strategy
            .rolling_update
            .get_or_insert_with(Default::default);
        ru.max_unavailable
            .get_or_insert_with(|| IntOrString::String("25%".into()));
        ru.max_surge
            .get_or_insert_with(|| IntOrString::String("25%".into()));
    }
    s.revision_history_limit.get_or_insert(10);
    s.progress_deadline_seconds.get_or_insert(600);
    default_pod_spec(&mut s.template.spec);
}

/// SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0,
/// revisionHistoryLimit 10.
pub fn default_daemonset(ds: &mut DaemonSet) {
    let s = &mut ds.spec;
    if s.update_strategy.type_.is_empty() {
        s.update_strategy.type_ = "RollingUpdate".into();
    }
    if s.update_strategy.type_ == "RollingUpdate" {
        let ru = s
            .update_strategy
            .rolling_update
            .get_or_insert_with(Default::default);
        ru.max_unavailable.get_or_insert(IntOrString::Int(1));
        ru.max_surge.get_or_insert(IntOrString::Int(0));
    }
    s.revision_history_limit.get_or_insert(10);
    default_pod_spec(&mut s.template.spec);
}

/// Applies defaulting and admission to a new object.
pub fn admit_create(obj: &mut Object) {
    match obj {
        Object::Pod(p) => {
            default_pod_spec(&mut p.spec);
            add_default_tolerations(&mut p.spec);
            p.status.phase = "Pending".into();
            p.status.qos_class = qos_class(&p.spec).into();
        }
        Object::ReplicaSet(rs) => {
            if rs.spec.replicas.is_none() {
                rs.spec.replicas = Some(1);
            }
            default_pod_spec(&mut rs.spec.template.spec);
        }
        Object::Deployment(d) => default_deployment(d),
        Object::DaemonSet(ds) => default_daemonset(ds),
        Object::Service(s) => {
            if s.spec.type_.is_empty() {
                s.spec.type_ = "ClusterIP".into();
            }
            if s.spec.cluster_ip.is_empty() {
                s.spec.cluster_ip = allocate_cluster_ip(&s.metadata.uid);
            }
            for p in &mut s.spec.ports {
                if p.protocol.is_empty() {
                    p.protocol = "TCP".into();
                }
                if p.target_port == 0 {
                    p.target_port = p.port;
                }
            }
        }
        Object::Node(_)
        | Object::Lease(_)
        | Object::EndpointSlice(_)
        | Object::PriorityClass(_) => {}
    }
}

/// The Priority admission plugin (plugin/pkg/admission/priority/admission.go): sets a new pod's
/// priority and preemption policy from its PriorityClass, or from the global default class when it
/// names none (priority 0 without one). `class` looks a class up by name.
pub fn admit_priority(
    spec: &mut PodSpec,
    pod_name: &str,
    class: &dyn Fn(&str) -> Option<PriorityClassSpec>,
    global_default: Option<(String, PriorityClassSpec)>,
) -> Result<(), ApiError> {
    let (name, value, policy) = if spec.priority_class_name.is_empty() {
        match global_default {
            Some((name, pc)) => (name, pc.value, pc.preemption_policy),
            None => (String::new(), 0, None),
        }
    } else if let Some(v) = system_priority_class(&spec.priority_class_name) {
        (spec.priority_class_name.clone(), v, None)
    } else {
        match class(&spec.priority_class_name) {
            Some(pc) => (
                spec.priority_class_name.clone(),
                pc.value,
                pc.preemption_policy,
            ),
            None => {
                return Err(ApiError::forbidden(
                    Kind::Pod,
                    pod_name,
                    &format!(
                        "no PriorityClass with name {} was found",
                        spec.priority_class_name
                    ),
                ))
            }
        }
    };
    if let Some(p) = spec.priority {
        if p != value {
            return Err(ApiError::forbidden(Kind::Pod, pod_name, &format!("the integer value of priority ({p}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name")));
        }
    }
    spec.priority_class_name = name;
    spec.priority = Some(value);
    if spec.preemption_policy.is_none() {
        spec.preemption_policy = Some(policy.unwrap_or_else(|| PREEMPT_LOWER_PRIORITY.into()));
    }
    Ok(())
}

/// `v1.PreemptLowerPriority`, the default preemption policy.
pub const PREEMPT_LOWER_PRIORITY: &str = "PreemptLowerPriority";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::{Container, Pod};
    use crate::api::quantity::Quantity;

    fn container(req: &[(&str, &str)], lim: &[(&str, &str)]) -> Container {
        let list = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), Quantity::parse(v).unwrap()))
                .collect()
        };
        let mut c = Container {
            name: "c".into(),
            image: "nginx".into(),
            ..Default::default()
        };
        c.resources.requests = list(req);
        c.resources.limits = list(lim);
        c
    }

    #[test]
    fn qos_table() {
        let cases = [
            ("besteffort", container(&[], &[]), "BestEffort"),
            ("burstable", container(&[("cpu", "100m")], &[]), "Burstable"),
            (
                "guaranteed by limits",
                container(&[], &[("cpu", "1"), ("memory", "1Gi")]),
                "Guaranteed",
            ),
            (
                "unequal",
                container(&[("cpu", "500m")], &[("cpu", "1"), ("memory", "1Gi")]),
                "Burstable",
            ),
        ];
        for (name, c, want) in cases {
            let spec = PodSpec {
                containers: vec![c],
                ..Default::default()
            };
            assert_eq!(qos_class(&spec), want, "{name}");
        }
    }

    /// plugin/pkg/admission/priority/admission_test.go TestPodAdmission, the cases kubesim models.
    #[test]
    fn priority_admission_table() {
        let high = PriorityClassSpec {
            value: 1000,
            ..Default::default()
        };
        let default_class = Some((
            "default-class".to_string(),
            PriorityClassSpec {
                value: 10,
                global_default: true,
                preemption_policy: Some("Never".into()),
                ..Default::default()
            },
        ));
        let lookup = |n: &str| (n == "high").then(|| high.clone());
        type Case = (
            &'static str,
            &'static str,
            Option<i32>,
            bool,
            Result<(i32, &'static str), &'static str>,
        );
        let cases: Vec<Case> = vec![
            ("no class, no default: 0", "", None, false, Ok((0, "PreemptLowerPriority"))),
            ("no class, the global default", "", None, true, Ok((10, "Never"))),
            ("a class", "high", None, true, Ok((1000, "PreemptLowerPriority"))),
            ("a system class", "system-node-critical", None, false, Ok((2_000_001_000, "PreemptLowerPriority"))),
            ("an unknown class", "nope", None, false, Err("pods \"p\" is forbidden: no PriorityClass with name nope was found")),
            ("a priority that disagrees", "high", Some(5), false, Err("pods \"p\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name")),
            ("a priority that agrees", "high", Some(1000), false, Ok((1000, "PreemptLowerPriority"))),
        ];
        for (name, class, priority, with_default, want) in cases {
            let mut spec = PodSpec {
                priority_class_name: class.into(),
                priority,
                ..Default::default()
            };
            let gd = if with_default {
                default_class.clone()
            } else {
                None
            };
            let got = admit_priority(&mut spec, "p", &lookup, gd).map(|_| {
                (
                    spec.priority.unwrap(),
                    spec.preemption_policy.clone().unwrap(),
                )
            });
            match want {
                Ok((v, policy)) => assert_eq!(got, Ok((v, policy.to_string())), "{name}"),
                Err(msg) => assert_eq!(got.unwrap_err().message, msg, "{name}"),
            }
        }
    }

    #[test]
    fn pod_defaults_and_default_tolerations() {
        let mut o = Object::Pod(Pod {
            spec: PodSpec {
                containers: vec![container(&[], &[])],
                tolerations: vec![Toleration {
                    key: TAINT_UNREACHABLE.into(),
                    operator: "Exists".into(),
                    effect: "NoExecute".into(),
                    toleration_seconds: Some(30),
                    ..Default::default()
                }],
                ..Default::default()
            },
            ..Default::default()
        });
        admit_create(&mut o);
        let Object::Pod(p) = o else { unreachable!() };
        assert_eq!(p.spec.restart_policy, "Always");
        assert_eq!(p.spec.termination_grace_period_seconds, Some(30));
        assert_eq!(p.spec.scheduler_name, "default-scheduler");
        assert_eq!(p.status.phase, "Pending");
        let tol: Vec<(&str, Option<i64>)> = p
            .spec
            .tolerations
            .iter()
            .map(|t| (t.key.as_str(), t.toleration_seconds))
            .collect();
        assert_eq!(
            tol,
            [(TAINT_UNREACHABLE, Some(30)), (TAINT_NOT_READY, Some(300))],
            "the pod's own unreachable toleration is kept, not-ready is added"
        );
    }
}
