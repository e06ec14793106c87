//! Fault injection: what can go wrong, when, and how it is applied. Each fault is a trace line
//! (`verb: "fault"`, `kind: "Fault"`, `name`: the target, `object`: `{"type": ..., parameters}`).

use crate::api::{Control, Msg};
use crate::node::Kubelet;
use crate::sim::{ActorId, Latency, Sim, SimDuration, SimTime, TraceRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The actor name fault lines carry.
pub const INJECTOR: &str = "fault-injector";

/// A fault, as a scenario action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Fault {
    /// The API server is down for `duration`: requests fail (connection refused), watches
    /// break; clients retry with back-off and re-list.
    ApiServerDown { duration: SimDuration },
    /// Store writes take `latency` for `duration`.
    StoreLatency {
        duration: SimDuration,
        latency: Latency,
    },
    /// The store's history is compacted to the current revision now (watchers behind get 410).
    Compact,
    /// The node's kubelet process stops. Its containers keep running: the pods still serve
    /// while the control plane decides the node is gone.
    StopKubelet { node: String },
    /// The node's kubelet starts again (after `StopKubelet`, or on a fresh machine after
    /// `LoseNode`): it re-registers, re-lists its pods, adopts the containers still running and
    /// stops those whose pods were deleted meanwhile.
    StartKubelet { node: String },
    /// The machine is gone with its containers. `StartKubelet` brings it back empty.
    LoseNode { node: String },
    /// The Node object is deleted (`kubectl delete node`).
    DeleteNode { node: String },
    /// The nodes cannot reach the API server (nor it them) for `duration`. Connections break
    /// at once on both sides (a modelling choice: client-go notices within about 45 s).
    Partition {
        nodes: Vec<String>,
        duration: SimDuration,
    },
    /// Every node of the zone is cut off from the control plane for `duration`.
    ZoneOutage { zone: String, duration: SimDuration },
    /// The links between these nodes and the API server have this one-way latency for
    /// `duration` (then the cluster's default again).
    LinkLatency {
        nodes: Vec<String>,
        latency: Latency,
        duration: SimDuration,
    },
    /// The containers of pod `pod` (namespace `default`) on the node exit now with code 1, as if
    /// they crashed; the kubelet restarts them per the pod's restartPolicy.
    CrashContainer { node: String, pod: String },
    /// Pulls of `image` on the node fail (ErrImagePull, then ImagePullBackOff) for `duration`.
    FailImagePull {
        node: String,
        image: String,
        duration: SimDuration,
    },
}

impl Fault {
    pub fn type_name(&self) -> &'static str {
        match self {
            Fault::ApiServerDown { .. } => "ApiServerDown",
            Fault::StoreLatency { .. } => "StoreLatency",
            Fault::Compact => "Compact",
            Fault::StopKubelet { .. } => "StopKubelet",
            Fault::StartKubelet { .. } => "StartKubelet",
            Fault::LoseNode { .. } => "LoseNode",
            Fault::DeleteNode { .. } => "DeleteNode",
            Fault::Partition { .. } => "Partition",
            Fault::ZoneOutage { .. } => "ZoneOutage",
            Fault::LinkLatency { .. } => "LinkLatency",
            Fault::CrashContainer { .. } => "CrashContainer",
            Fault::FailImagePull { .. } => "FailImagePull",
        }
    }

    /// The `object` of the fault's trace line: `{"type": <name>, <parameters>}`.
    pub fn object_json(&self) -> String {
        let head = format!("{{\"type\":\"{}\"", self.type_name());
        // Serialized externally tagged: {"Name":{params}} or "Name" for a unit variant.
        match serde_json::to_value(self).expect("faults serialize") {
            serde_json::Value::Object(m) => match m.into_iter().next() {
                Some((_, serde_json::Value::Object(params))) if !params.is_empty() => {
                    let body = serde_json::Value::Object(params).to_string();
                    format!("{head},{}", &body[1..])
                }
                _ => format!("{head}}}"),
            },
            _ => format!("{head}}}"),
        }
    }
}

/// When a fault ends, for faults with a duration that the injector itself undoes.
pub fn end_of(fault: &Fault) -> Option<SimDuration> {
    match fault {
        Fault::Partition { duration, .. }
        | Fault::ZoneOutage { duration, .. }
        | Fault::LinkLatency { duration, .. } => Some(*duration),
        _ => None,
    }
}

/// One step of fault injection: a fault begins, or a timed fault ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Begin(Fault),
    End(Fault),
}

/// Applies faults to a running simulation. Knows the components faults act on.
#[derive(Debug, Default)]
pub struct Injector {
    pub apiserver: Option<ActorId>,
    /// Kubelet actor of each node.
    pub kubelets: BTreeMap<String, ActorId>,
    /// kube-proxy actor of each node.
    pub proxies: BTreeMap<String, ActorId>,
    /// The cluster's link latency (what a LinkLatency fault returns to).
    pub default_latency: Latency,
    /// Nodes of each zone.
    pub zones: BTreeMap<String, Vec<String>>,
    /// How many partitions cut each actor off now.
    cuts: BTreeMap<ActorId, u32>,
    /// Machines lost (their kubelet comes back empty).
    lost: BTreeSet<ActorId>,
}

impl Injector {
    fn trace(sim: &mut Sim<Msg>, verb_target: &str, fault: &Fault, ended: bool) {
        let mut object = fault.object_json();
        if ended {
            object.insert_str(object.len() - 1, ",\"ended\":true");
        }
        let t_us = sim.now().as_micros();
        sim.trace_mut().record(&TraceRecord {
            t_us,
            actor: INJECTOR,
            verb: "fault",
            kind: "Fault",
            namespace: "",
            name: verb_target,
            rv: 0,
            object: &object,
        });
    }

    /// The nodes a fault takes away from the control plane (the kubelet stops, the machine is
    /// lost, or its links are cut); None for other faults.
    pub fn lost_nodes(&self, fault: &Fault) -> Option<Vec<String>> {
        match fault {
            Fault::StopKubelet { node } | Fault::LoseNode { node } => Some(vec![node.clone()]),
            Fault::Partition { nodes, .. } => Some(nodes.clone()),
            Fault::ZoneOutage { zone, .. } => {
                Some(self.zones.get(zone).cloned().unwrap_or_default())
            }
            _ => None,
        }
    }

    fn target_name(&self, fault: &Fault, sim: &Sim<Msg>) -> String {
        match fault {
            Fault::ApiServerDown { .. } | Fault::StoreLatency { .. } | Fault::Compact => self
                .apiserver
                .map_or(String::new(), |a| sim.name(a).to_string()),
            Fault::StopKubelet { node }
            | Fault::StartKubelet { node }
            | Fault::LoseNode { node }
            | Fault::DeleteNode { node } => node.clone(),
            Fault::Partition { nodes, .. } => nodes.join(","),
            Fault::ZoneOutage { zone, .. } => zone.clone(),
            Fault::LinkLatency { nodes, .. } => nodes.join(","),
            Fault::CrashContainer { node, pod } => format!("{node}/{pod}"),
            Fault::FailImagePull { node, .. } => node.clone(),
        }
    }

    fn control(&self, sim: &mut Sim<Msg>, to: ActorId, c: Control) {
        let now = sim.now();
        sim.post_at(now, to, to, Msg::Control(c));
    }

    /// The kubelet's process ends: its connections to the API server close.
    fn stop(&mut self, sim: &mut Sim<Msg>, k: ActorId) {
        sim.set_running(k, false);
        if let Some(api) = self.apiserver {
            self.control(sim, api, Control::ClientGone { client: k });
        }
    }

    /// The actors running on a node: its kubelet and its kube-proxy.
    fn node_actors(&self, node: &str) -> Vec<ActorId> {
        [self.kubelets.get(node), self.proxies.get(node)]
            .into_iter()
            .flatten()
            .copied()
            .collect()
    }

    fn cut(&mut self, sim: &mut Sim<Msg>, nodes: &[String], cut: bool) {
        let actors: Vec<ActorId> = nodes.iter().flat_map(|n| self.node_actors(n)).collect();
        for k in actors {
            let depth = self.cuts.entry(k).or_insert(0);
            if cut {
                *depth += 1;
                if *depth == 1 {
                    sim.network_mut().set_up(k, false);
                    self.control(sim, k, Control::ConnectionLost);
                    if let Some(api) = self.apiserver {
                        self.control(sim, api, Control::ClientGone { client: k });
                    }
                }
            } else if *depth > 0 {
                *depth -= 1;
                if *depth == 0 {
                    sim.network_mut().set_up(k, true);
                }
            }
        }
    }

    /// Applies one step at the simulation's current time, writing its trace line.
    pub fn apply(&mut self, sim: &mut Sim<Msg>, step: &Step) {
        let (fault, begin) = match step {
            Step::Begin(f) => (f, true),
            Step::End(f) => (f, false),
        };
        let name = self.target_name(fault, sim);
        Self::trace(sim, &name, fault, !begin);
        let now = sim.now();
        let until = |d: &SimDuration| SimTime(now.as_micros() + d.as_micros());
        let api = self.apiserver;
        match (fault, begin) {
            (Fault::ApiServerDown { duration }, true) => {
                if let Some(a) = api {
                    let until = until(duration);
                    self.control(sim, a, Control::ApiServerDown { until });
                }
            }
            (Fault::StoreLatency { duration, latency }, true) => {
                if let Some(a) = api {
                    let c = Control::StoreLatency {
                        latency: *latency,
                        until: until(duration),
                    };
                    self.control(sim, a, c);
                }
            }
            (Fault::Compact, true) => {
                if let Some(a) = api {
                    self.control(sim, a, Control::CompactNow);
                }
            }
            (Fault::StopKubelet { node }, true) => {
                if let Some(&k) = self.kubelets.get(node) {
                    self.stop(sim, k);
                }
            }
            (Fault::LoseNode { node }, true) => {
                for k in self.node_actors(node) {
                    self.stop(sim, k);
                    self.lost.insert(k);
                }
            }
            (Fault::StartKubelet { node }, true) => {
                if let Some(&k) = self.kubelets.get(node) {
                    if !sim.is_running(k) {
                        let lost = self.lost.remove(&k);
                        sim.map_actor(k, |a| {
                            let any: Box<dyn std::any::Any> = a;
                            match any.downcast::<Kubelet>() {
                                Ok(kubelet) => Box::new(kubelet.restarted(lost)),
                                Err(_) => unreachable!("kubelet actors are kubelets"),
                            }
                        });
                        sim.set_running(k, true);
                        sim.start_at(k, now);
                    }
                }
                // A machine that was lost boots its kube-proxy too.
                if let Some(&p) = self.proxies.get(node) {
                    if self.lost.remove(&p) {
                        sim.set_running(p, true);
                        sim.start_at(p, now);
                    }
                }
            }
            // The deletion itself is a kubectl command at the same time.
            (Fault::DeleteNode { .. }, true) => {}
            (Fault::Partition { nodes, .. }, b) => self.cut(sim, nodes, b),
            (Fault::LinkLatency { nodes, latency, .. }, b) => {
                let l = if b { *latency } else { self.default_latency };
                for k in nodes.iter().flat_map(|n| self.node_actors(n)) {
                    sim.network_mut().set_latency(k, l);
                }
            }
            (Fault::ZoneOutage { zone, .. }, b) => {
                let nodes = self.zones.get(zone).cloned().unwrap_or_default();
                self.cut(sim, &nodes, b);
            }
            (Fault::CrashContainer { node, pod }, true) => {
                if let Some(&k) = self.kubelets.get(node) {
                    let c = Control::CrashPod {
                        namespace: "default".into(),
                        name: pod.clone(),
                    };
                    self.control(sim, k, c);
                }
            }
            (
                Fault::FailImagePull {
                    node,
                    image,
                    duration,
                },
                true,
            ) => {
                if let Some(&k) = self.kubelets.get(node) {
                    let c = Control::FailImagePull {
                        image: image.clone(),
                        until: until(duration),
                    };
                    self.control(sim, k, c);
                }
            }
            (_, false) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_objects() {
        let cases = [
            (
                Fault::ApiServerDown {
                    duration: SimDuration::from_secs(120),
                },
                r#"{"type":"ApiServerDown","duration":"2m0s"}"#,
            ),
            (Fault::Compact, r#"{"type":"Compact"}"#),
            (
                Fault::StoreLatency {
                    duration: SimDuration::from_secs(60),
                    latency: Latency::fixed(SimDuration::from_millis(500)),
                },
                r#"{"type":"StoreLatency","duration":"1m0s","latency":{"max":"500ms","min":"500ms"}}"#,
            ),
        ];
        for (f, want) in cases {
            assert_eq!(f.object_json(), want);
        }
    }
}
