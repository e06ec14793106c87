//! Per-fault recovery metrics: for each fault that takes nodes away (StopKubelet, LoseNode,
//! Partition, ZoneOutage), when the control plane noticed and how long until it healed, as
//! seen in the store (what `kubectl get` would show).

use crate::api::store::Store;
use crate::api::{Kind, Object};
use crate::sim::SimTime;
use std::collections::BTreeSet;

/// The unreachable taint the node lifecycle controller puts on a silent node.
const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// One fault's timeline; each time is the first write at which it was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultTimeline {
    /// `<FaultName> <target>`.
    pub fault: String,
    pub at: SimTime,
    pub nodes: BTreeSet<String>,
    /// A node of the fault got Ready=Unknown.
    pub detected: Option<SimTime>,
    /// A node of the fault got the unreachable NoExecute taint.
    pub tainted: Option<SimTime>,
    /// A pod that was on a node of the fault was marked for deletion or removed.
    pub evicted: Option<SimTime>,
    /// No EndpointSlice lists a ready endpoint on a node of the fault any more: the end of the
    /// stale-endpoint window (Services routed to those pods until then).
    pub endpoints_removed: Option<SimTime>,
    /// Every ReplicaSet has all its desired replicas Ready again, after fewer were.
    pub recovered: Option<SimTime>,
    /// Whether the fault leaves the nodes' containers running (StopKubelet, Partition,
    /// ZoneOutage): evicted pods then lead a double life, deleted in the API but still serving.
    pub containers_keep_running: bool,
    /// Every pod that was on the nodes is gone from the store: for faults that leave containers
    /// running, the kubelet came back, stopped them and confirmed (or pod GC removed them).
    pub pods_gone: Option<SimTime>,
    /// Some ReplicaSet had fewer Ready replicas than desired since the fault.
    dipped: bool,
    /// The pods (namespace, name) on the nodes, not being deleted, when the fault began.
    pods: Vec<(String, String)>,
    /// Whether an EndpointSlice listed a ready endpoint on the nodes when the fault began.
    had_endpoints: bool,
    /// The store revision of the last look: a look after writes of other kinds only (Leases)
    /// would see the same.
    seen_rev: Option<u64>,
}

impl FaultTimeline {
    pub fn new(
        fault: String,
        at: SimTime,
        nodes: BTreeSet<String>,
        containers_keep_running: bool,
    ) -> Self {
        FaultTimeline {
            fault,
            containers_keep_running,
            pods_gone: None,
            at,
            nodes,
            detected: None,
            tainted: None,
            evicted: None,
            endpoints_removed: None,
            recovered: None,
            dipped: false,
            pods: Vec::new(),
            had_endpoints: false,
            seen_rev: None,
        }
    }

    /// Records what was on the nodes when the fault began; call before the first `observe`.
    pub fn begin(&mut self, store: &Store) {
        self.pods = store
            .list(Kind::Pod, None)
            .filter_map(|o| match o.as_ref() {
                Object::Pod(p)
                    if p.metadata.deletion_timestamp.is_none()
                        && self.nodes.contains(&p.spec.node_name) =>
                {
                    Some((p.metadata.namespace.clone(), p.metadata.name.clone()))
                }
                _ => None,
            })
            .collect();
        self.had_endpoints = self.stale_endpoints(store);
        self.observe(store, self.at);
    }

    /// Whether an EndpointSlice lists a ready endpoint on a node of the fault.
    fn stale_endpoints(&self, store: &Store) -> bool {
        store
            .list(Kind::EndpointSlice, None)
            .any(|o| match o.as_ref() {
                Object::EndpointSlice(s) => s.spec.endpoints.iter().any(|e| {
                    e.is_ready() && e.node_name.as_ref().is_some_and(|n| self.nodes.contains(n))
                }),
                _ => false,
            })
    }

    /// Whether something is still to be seen.
    pub fn open(&self) -> bool {
        self.detected.is_none()
            || self.tainted.is_none()
            || (self.evicted.is_none() && !self.pods.is_empty())
            || (self.endpoints_removed.is_none() && self.had_endpoints)
            || self.recovered.is_none()
            || (self.pods_gone.is_none() && self.containers_keep_running && !self.pods.is_empty())
    }

    /// Looks at the store after the writes at `now`.
    pub fn observe(&mut self, store: &Store, now: SimTime) {
        // What is looked at: Nodes, Pods, EndpointSlices, ReplicaSets.
        let relevant = |k: Kind| {
            matches!(
                k,
                Kind::Node | Kind::Pod | Kind::EndpointSlice | Kind::ReplicaSet
            )
        };
        let unchanged = self.seen_rev.is_some_and(|rev| {
            store
                .events_since(rev)
                .is_ok_and(|mut evs| !evs.any(|e| relevant(e.object.kind())))
        });
        self.seen_rev = Some(store.revision());
        if unchanged {
            return;
        }
        let first = |slot: &mut Option<SimTime>, seen: bool| {
            if slot.is_none() && seen {
                *slot = Some(now);
            }
        };
        let nodes = self
            .nodes
            .iter()
            .filter_map(|n| match store.get(Kind::Node, "", n) {
                Some(o) => match o.as_ref() {
                    Object::Node(n) => Some(n),
                    _ => None,
                },
                None => None,
            });
        let (mut unknown, mut tainted) = (false, false);
        for n in nodes {
            unknown |= n.condition("Ready").is_some_and(|c| c.status == "Unknown");
            tainted |= n
                .spec
                .taints
                .iter()
                .any(|t| t.key == UNREACHABLE && t.effect == "NoExecute");
        }
        first(&mut self.detected, unknown);
        first(&mut self.tainted, tainted);
        if self.evicted.is_none() {
            let evicted = self.pods.iter().any(|(ns, name)| {
                store
                    .get(Kind::Pod, ns, name)
                    .is_none_or(|o| o.meta().deletion_timestamp.is_some())
            });
            first(&mut self.evicted, evicted);
        }
        if self.pods_gone.is_none() && self.evicted.is_some() {
            let gone = self
                .pods
                .iter()
                .all(|(ns, name)| store.get(Kind::Pod, ns, name).is_none());
            first(&mut self.pods_gone, gone);
        }
        if self.endpoints_removed.is_none() && self.had_endpoints {
            let stale = self.stale_endpoints(store);
            first(&mut self.endpoints_removed, !stale);
        }
        if self.recovered.is_none() {
            let short = store
                .list(Kind::ReplicaSet, None)
                .any(|o| match o.as_ref() {
                    Object::ReplicaSet(rs) => {
                        rs.status.ready_replicas < rs.spec.replicas.unwrap_or(1)
                    }
                    _ => false,
                });
            self.dipped |= short;
            first(&mut self.recovered, self.dipped && !short);
        }
    }

    /// `<fault> at <t>: Ready=Unknown +45s, ...`, "never" for what was not seen.
    pub fn line(&self) -> String {
        let after = |t: Option<SimTime>| match t {
            Some(t) => format!("+{}", t.since(self.at)),
            None => "never".into(),
        };
        let or = |t: Option<SimTime>, cond: bool, none: &str| {
            if cond {
                after(t)
            } else {
                none.to_string()
            }
        };
        let double_life = match (self.containers_keep_running, self.evicted, self.pods_gone) {
            (true, Some(_), Some(t)) => {
                format!(", evicted pods' containers ran until {}", after(Some(t)))
            }
            (true, Some(_), None) => ", evicted pods' containers ran to the end".to_string(),
            _ => String::new(),
        };
        format!(
            "fault {} at {}: Ready=Unknown {}, unreachable NoExecute taint {}, first eviction {}, \
             stale endpoints removed {}, all replicas Ready again {}{double_life}",
            self.fault,
            self.at,
            after(self.detected),
            after(self.tainted),
            or(self.evicted, !self.pods.is_empty(), "(no pods there)"),
            or(
                self.endpoints_removed,
                self.had_endpoints,
                "(no endpoints there)"
            ),
            or(self.recovered, self.dipped, "(no ReplicaSet short)"),
        )
    }
}
