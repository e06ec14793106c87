//! What a scenario's short forms stand for: API objects and kubectl commands.

use super::schema::{Action, Create, RestartPolicy, Strategy, TolerationSpec};
use super::values::Dur;
use super::values::Qty;
use crate::api::deployment::{DeploymentStrategy, RollingUpdateDeployment};
use crate::api::pod::{PodSpec, Probe, Toleration};
use crate::api::service::{Service, ServicePort};
use crate::api::{
    Container, DaemonSet, Deployment, Kind, LabelSelector, Object, ObjectMeta, Pod,
    PodTemplateSpec, Quantity, ReplicaSet,
};
use crate::client::{Change, Command};
use crate::faults::Fault;
use crate::sim::SimTime;
use std::collections::BTreeMap;

fn requests(cpu: Option<Qty>, memory: Option<Qty>) -> BTreeMap<String, Quantity> {
    let mut r = BTreeMap::new();
    if let Some(c) = cpu {
        r.insert("cpu".to_string(), c.0);
    }
    if let Some(m) = memory {
        r.insert("memory".to_string(), m.0);
    }
    r
}

fn tolerations(t: &[TolerationSpec]) -> Vec<Toleration> {
    t.iter()
        .map(|t| Toleration {
            key: t.key.clone(),
            operator: t.operator.clone().unwrap_or_default(),
            value: t.value.clone(),
            effect: t.effect.clone(),
            toleration_seconds: t.toleration_seconds,
        })
        .collect()
}

/// The pod-level settings every short form shares.
struct PodExtras<'a> {
    tolerations: &'a [TolerationSpec],
    annotations: &'a BTreeMap<String, String>,
    restart_policy: Option<RestartPolicy>,
    ready_after: Option<Dur>,
    node_selector: &'a BTreeMap<String, String>,
    affinity: &'a Option<crate::api::affinity::Affinity>,
    topology_spread_constraints: &'a [crate::api::affinity::TopologySpreadConstraint],
    priority_class_name: &'a Option<String>,
    scheduler_name: &'a Option<String>,
    host_port: Option<u16>,
}

impl PodExtras<'_> {
    /// Applies the extras to a pod spec and the pod's (or template's) annotations.
    fn apply(&self, spec: &mut PodSpec, annotations: &mut BTreeMap<String, String>) {
        spec.tolerations = tolerations(self.tolerations);
        annotations.extend(self.annotations.clone());
        spec.node_selector = self.node_selector.clone();
        spec.affinity = self.affinity.clone();
        spec.topology_spread_constraints = self.topology_spread_constraints.to_vec();
        if let Some(p) = self.priority_class_name {
            spec.priority_class_name = p.clone();
        }
        if let Some(n) = self.scheduler_name {
            spec.scheduler_name = n.clone();
        }
        if let Some(port) = self.host_port {
            for c in spec.containers.iter_mut() {
                c.ports.push(crate::api::affinity::ContainerPort {
                    host_port: i32::from(port),
                    container_port: i32::from(port),
                    protocol: "TCP".into(),
                    ..Default::default()
                });
            }
        }
        if let Some(r) = self.restart_policy {
            spec.restart_policy = format!("{r:?}");
        }
        if let Some(d) = self.ready_after {
            let probe = Probe {
                initial_delay_seconds: (d.0.as_micros() / 1_000_000) as i32,
                period_seconds: 10,
                failure_threshold: 3,
                success_threshold: 1,
            };
            for c in spec.containers.iter_mut() {
                c.readiness_probe = Some(probe.clone());
            }
        }
    }
}

/// One container named after the workload.
fn pod_spec(name: &str, image: &str, cpu: Option<Qty>, memory: Option<Qty>) -> PodSpec {
    let mut c = Container {
        name: name.into(),
        image: image.into(),
        ..Default::default()
    };
    c.resources.requests = requests(cpu, memory);
    PodSpec {
        containers: vec![c],
        ..Default::default()
    }
}

fn meta(name: &str, namespace: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        namespace: namespace.into(),
        labels: labels.clone(),
        ..Default::default()
    }
}

/// Labels of a workload: as given, else `app: <name>`.
fn workload_labels(name: &str, given: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    if given.is_empty() {
        BTreeMap::from([("app".to_string(), name.to_string())])
    } else {
        given.clone()
    }
}

fn template(labels: &BTreeMap<String, String>, spec: PodSpec) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: ObjectMeta {
            labels: labels.clone(),
            ..Default::default()
        },
        spec,
    }
}

macro_rules! extras {
    ($x:expr) => {
        PodExtras {
            tolerations: &$x.tolerations,
            annotations: &$x.annotations,
            restart_policy: $x.restart_policy,
            ready_after: $x.ready_after,
            node_selector: &$x.node_selector,
            affinity: &$x.affinity,
            topology_spread_constraints: &$x.topology_spread_constraints,
            priority_class_name: &$x.priority_class_name,
            scheduler_name: &$x.scheduler_name,
            host_port: $x.host_port,
        }
    };
}

/// The API object a short-form `create` stands for.
pub fn object_for(c: &Create) -> Object {
    let ns = c.namespace();
    match c {
        Create::ReplicaSet(r) => {
            let labels = workload_labels(&r.name, &r.labels);
            let mut rs = ReplicaSet {
                metadata: meta(&r.name, ns, &labels),
                ..Default::default()
            };
            rs.spec.replicas = Some(r.replicas as i32);
            rs.spec.selector = LabelSelector::from_labels(&labels);
            let mut spec = pod_spec(&r.name, &r.image, r.cpu, r.memory);
            let mut t = template(&labels, PodSpec::default());
            extras!(r).apply(&mut spec, &mut t.metadata.annotations);
            t.spec = spec;
            *rs.spec.template = t;
            Object::ReplicaSet(rs)
        }
        Create::Deployment(d) => {
            let labels = workload_labels(&d.name, &d.labels);
            let mut dep = Deployment {
                metadata: meta(&d.name, ns, &labels),
                ..Default::default()
            };
            let s = &mut dep.spec;
            s.replicas = Some(d.replicas as i32);
            s.selector = LabelSelector::from_labels(&labels);
            let mut spec = pod_spec(&d.name, &d.image, d.cpu, d.memory);
            let mut t = template(&labels, PodSpec::default());
            extras!(d).apply(&mut spec, &mut t.metadata.annotations);
            t.spec = spec;
            *s.template = t;
            s.strategy = match &d.strategy {
                None => DeploymentStrategy::default(),
                Some(Strategy::Recreate) => DeploymentStrategy {
                    type_: "Recreate".into(),
                    rolling_update: None,
                },
                Some(Strategy::RollingUpdate {
                    max_surge,
                    max_unavailable,
                }) => DeploymentStrategy {
                    type_: "RollingUpdate".into(),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: max_surge.clone(),
                        max_unavailable: max_unavailable.clone(),
                    }),
                },
            };
            s.min_ready_seconds = d.min_ready_seconds.unwrap_or(0) as i32;
            s.revision_history_limit = d.revision_history_limit.map(|v| v as i32);
            s.progress_deadline_seconds = d.progress_deadline_seconds.map(|v| v as i32);
            s.paused = d.paused;
            Object::Deployment(dep)
        }
        Create::DaemonSet(d) => {
            let labels = workload_labels(&d.name, &d.labels);
            let mut ds = DaemonSet {
                metadata: meta(&d.name, ns, &labels),
                ..Default::default()
            };
            ds.spec.selector = LabelSelector::from_labels(&labels);
            let mut spec = pod_spec(&d.name, &d.image, d.cpu, d.memory);
            let mut t = template(&labels, PodSpec::default());
            extras!(d).apply(&mut spec, &mut t.metadata.annotations);
            t.spec = spec;
            *ds.spec.template = t;
            Object::DaemonSet(ds)
        }
        Create::Pod(p) => {
            let mut pod = Pod {
                metadata: meta(&p.name, ns, &p.labels),
                spec: pod_spec(&p.name, &p.image, p.cpu, p.memory),
                ..Default::default()
            };
            extras!(p).apply(&mut pod.spec, &mut pod.metadata.annotations);
            if let Some(n) = &p.node_name {
                pod.spec.node_name = n.value.clone();
            }
            Object::Pod(pod)
        }
        Create::Service(v) => {
            let mut svc = Service {
                metadata: meta(&v.name, ns, &BTreeMap::new()),
                ..Default::default()
            };
            svc.spec.selector = v.selector.clone();
            svc.spec.ports = vec![ServicePort {
                name: String::new(),
                protocol: "TCP".into(),
                port: i32::from(v.port),
                target_port: i32::from(v.port),
            }];
            Object::Service(svc)
        }
        Create::PriorityClass(pc) => Object::PriorityClass(crate::api::PriorityClass {
            metadata: meta(&pc.name, "", &BTreeMap::new()),
            spec: crate::api::priorityclass::PriorityClassSpec {
                value: pc.value,
                global_default: pc.global_default,
                preemption_policy: pc.preemption_policy.clone(),
                description: String::new(),
            },
            ..Default::default()
        }),
    }
}

/// The kubectl commands of a scenario's actions (faults are not kubectl's), with their times.
pub fn commands_for(actions: &[Action]) -> Vec<(SimTime, Command)> {
    let mut out = Vec::new();
    for a in actions {
        let at = SimTime(a.at.0.as_micros());
        let modify = |t: &super::schema::Target, changes: Vec<Change>| Command::Modify {
            kind: Kind::parse(&t.kind).unwrap_or(Kind::Deployment),
            namespace: t.namespace.clone(),
            name: t.name.clone(),
            changes,
        };
        let cmd = if let Some(c) = &a.create {
            Command::Create(Box::new(object_for(c)))
        } else if let Some(s) = &a.scale {
            modify(&s.target, vec![Change::Replicas(s.replicas as i32)])
        } else if let Some(u) = &a.update {
            let mut changes = Vec::new();
            if let Some(i) = &u.image {
                changes.push(Change::Image(i.clone()));
            }
            if let Some(c) = u.cpu {
                changes.push(Change::Request("cpu".into(), c.0));
            }
            if let Some(m) = u.memory {
                changes.push(Change::Request("memory".into(), m.0));
            }
            modify(&u.target, changes)
        } else if let Some(t) = &a.pause {
            modify(t, vec![Change::Paused(true)])
        } else if let Some(t) = &a.resume {
            modify(t, vec![Change::Paused(false)])
        } else if let Some(Fault::DeleteNode { node }) = &a.fault {
            Command::Delete {
                kind: Kind::Node,
                namespace: String::new(),
                name: node.clone(),
                propagation: None,
            }
        } else if let Some(d) = &a.delete {
            Command::Delete {
                kind: Kind::parse(&d.target.kind).unwrap_or(Kind::Pod),
                namespace: d.target.namespace.clone(),
                name: d.target.name.clone(),
                propagation: d.propagation.map(|p| p.as_str().to_string()),
            }
        } else {
            continue;
        };
        out.push((at, cmd));
    }
    out
}
