//! The RollingUpdate strategy: which old daemon pods to delete, or on which nodes to surge a new
//! pod, within maxUnavailable and maxSurge. Models pkg/controller/daemon/update.go
//! (rollingUpdate, findUpdatedPodsOnNode, updatedDesiredNodeCounts). Nodes are visited in name
//! order where upstream ranges over a Go map (random order).

use super::util::{is_pod_available, is_pod_updated, surge_count, unavailable_count};
use crate::api::daemonset::DaemonSet;
use crate::api::Pod;
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// What one DaemonSet sync sees: the current revision and, per node, whether it should run a
/// daemon pod (`None`: no such node) and its daemon pods, oldest first.
pub(super) struct View<'a> {
    pub ds: &'a DaemonSet,
    pub hash: &'a str,
    pub generation: Option<i64>,
    pub now: SimTime,
    pub should_run: BTreeMap<&'a str, bool>,
    pub pods: BTreeMap<&'a str, Vec<&'a Pod>>,
}

/// Daemon pods by node name, oldest first.
type NodePods<'a> = BTreeMap<&'a str, &'a [&'a Pod]>;

/// The rolling update's limits for this many desired pods.
struct Budget {
    max_surge: i32,
    max_unavailable: i32,
    desired: i32,
}

/// Pods to delete (by name) and nodes to create a pod on.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Actions {
    pub create: Vec<String>,
    pub delete: Vec<String>,
}

impl View<'_> {
    fn available(&self, p: &Pod) -> bool {
        is_pod_available(p, self.ds.spec.min_ready_seconds, self.now)
    }

    /// findUpdatedPodsOnNode: the node's new and old pod, ignoring pods being deleted; `None`
    /// when there is more than one of either.
    fn updated_pods_on_node<'p>(
        &self,
        pods: &[&'p Pod],
    ) -> Option<(Option<&'p Pod>, Option<&'p Pod>)> {
        let (mut new, mut old) = (None, None);
        for p in pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
        {
            let slot = if is_pod_updated(p, self.hash, self.generation) {
                &mut new
            } else {
                &mut old
            };
            if slot.replace(*p).is_some() {
                return None;
            }
        }
        Some((new, old))
    }

    /// The node map of updatedDesiredNodeCounts: every node with daemon pods, and every node
    /// that should run one (with none yet).
    fn nodes(&self) -> NodePods<'_> {
        let mut nodes: NodePods = self
            .pods
            .iter()
            .map(|(n, ps)| (*n, ps.as_slice()))
            .collect();
        for (name, _) in self.should_run.iter().filter(|(_, run)| **run) {
            nodes.entry(name).or_insert(&[]);
        }
        nodes
    }

    /// updatedDesiredNodeCounts: maxSurge and maxUnavailable of desiredNumberScheduled; both 0
    /// means maxUnavailable 1.
    fn budget(&self) -> Result<Budget, String> {
        let desired = self.should_run.values().filter(|run| **run).count() as i32;
        let max_unavailable = unavailable_count(self.ds, desired)
            .map_err(|e| format!("invalid value for MaxUnavailable: {e}"))?;
        let max_surge = surge_count(self.ds, desired)
            .map_err(|e| format!("invalid value for MaxSurge: {e}"))?;
        let max_unavailable = if desired > 0 && max_unavailable == 0 && max_surge == 0 {
            1
        } else {
            max_unavailable
        };
        Ok(Budget {
            max_surge,
            max_unavailable,
            desired,
        })
    }

    /// rollingUpdate.
    pub fn rolling_update(&self) -> Result<Actions, String> {
        let budget = self.budget()?;
        let nodes = self.nodes();
        if budget.max_surge == 0 {
            Ok(self.replace_within_unavailable(&nodes, budget.max_unavailable))
        } else {
            self.surge(&nodes, budget.max_surge, budget.desired)
        }
    }

    /// Without surge: delete old pods while no more than maxUnavailable pods are unavailable;
    /// the manage loop then creates their replacements.
    fn replace_within_unavailable(&self, nodes: &NodePods, max_unavailable: i32) -> Actions {
        let mut num_unavailable = 0;
        let mut allowed = Vec::new();
        let mut candidates = Vec::new();
        for pods in nodes.values() {
            let Some((new, old)) = self.updated_pods_on_node(pods) else {
                num_unavailable += 1;
                continue;
            };
            match (new, old) {
                (None, None) | (Some(_), Some(_)) => num_unavailable += 1,
                (Some(new), None) => num_unavailable += i32::from(!self.available(new)),
                (None, Some(old)) if !self.available(old) => {
                    allowed.push(old.metadata.name.clone());
                    num_unavailable += 1;
                }
                (None, Some(_)) if num_unavailable >= max_unavailable => {}
                (None, Some(old)) => candidates.push(old.metadata.name.clone()),
            }
        }
        let remaining = (max_unavailable - num_unavailable).clamp(0, candidates.len() as i32);
        allowed.extend(candidates.into_iter().take(remaining as usize));
        Actions {
            create: Vec::new(),
            delete: allowed,
        }
    }

    fn node_should_run(&self, node: &str) -> Result<bool, String> {
        self.should_run
            .get(node)
            .copied()
            .ok_or_else(|| format!("couldn't get node for nodeName {node:?}: not found"))
    }

    /// With surge: create a new pod beside each old one (at once where the old one is
    /// unavailable, else up to maxSurge at a time) and delete the old pod once the new one is
    /// available.
    fn surge(&self, nodes: &NodePods, max_surge: i32, desired: i32) -> Result<Actions, String> {
        let mut delete = Vec::new();
        let mut should_not_run = Vec::new();
        let mut candidates = Vec::new();
        let mut allowed = Vec::new();
        let (mut num_surge, mut num_available) = (0, 0);
        for (node, pods) in nodes {
            let Some((new, old)) = self.updated_pods_on_node(pods) else {
                num_surge += 1;
                continue;
            };
            if let Some(p) = old.or(new) {
                num_available += i32::from(self.available(p));
            }
            match (new, old) {
                (_, None) => {}
                (None, Some(old)) if !self.available(old) => {
                    if self.node_should_run(node)? {
                        allowed.push(node.to_string());
                    } else {
                        delete.push(old.metadata.name.clone());
                    }
                }
                (None, Some(old)) => {
                    if !self.node_should_run(node)? {
                        should_not_run.push(old.metadata.name.clone());
                    } else if num_surge < max_surge {
                        candidates.push(node.to_string());
                    }
                }
                (Some(new), Some(_)) if !self.available(new) => num_surge += 1,
                (Some(_), Some(old)) => delete.push(old.metadata.name.clone()),
            }
        }
        let deletable = (num_available - desired).clamp(0, should_not_run.len() as i32);
        delete.extend(should_not_run.into_iter().take(deletable as usize));
        let remaining = (max_surge - num_surge).clamp(0, candidates.len() as i32);
        allowed.extend(candidates.into_iter().take(remaining as usize));
        Ok(Actions {
            create: allowed,
            delete,
        })
    }
}
