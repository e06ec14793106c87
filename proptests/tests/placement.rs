//! Placement safety on random small clusters: no node is ever asked for more cpu, memory or
//! pods than it has allocatable, and no pod is bound twice or moved. Checked on the final
//! store and, after every write, by replaying the trace.

use kubesim::api::{Kind, Node, Object, Pod};
use kubesim::cluster::{Cluster, RunOptions};
use kubesim::sim::Trace;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use proptests::{cluster_params, config, ClusterParams};
use std::collections::{BTreeMap, BTreeSet};

/// Virtual seconds each case runs.
const RUN_FOR_SECS: u64 = 120;

/// Resources checked, in `Node::allocatable` / `Pod::request_milli` milli-units; a pod takes
/// 1000 milli-pods.
const RESOURCES: [&str; 3] = ["cpu", "memory", "pods"];

type Amounts = [i64; 3];

fn request(pod: &Pod) -> Amounts {
    [pod.request_milli("cpu"), pod.request_milli("memory"), 1000]
}

fn allocatable(node: &Node) -> Amounts {
    RESOURCES.map(|r| node.allocatable(r))
}

fn add(to: &mut Amounts, a: &Amounts, sign: i64) {
    for (t, x) in to.iter_mut().zip(a) {
        *t += sign * x;
    }
}

fn check_fits(
    what: &str,
    node: &str,
    used: &Amounts,
    alloc: &Amounts,
) -> Result<(), TestCaseError> {
    for (i, r) in RESOURCES.iter().enumerate() {
        prop_assert!(
            used[i] <= alloc[i],
            "{what}: node {node} has {} milli-{r} requested, allocatable {}",
            used[i],
            alloc[i]
        );
    }
    Ok(())
}

/// uid -> node of every bound pod in the store; checks per-node sums against allocatable.
fn check_store(cluster: &Cluster) -> Result<BTreeMap<String, String>, TestCaseError> {
    let store = cluster.store();
    let mut alloc: BTreeMap<&str, Amounts> = BTreeMap::new();
    for o in store.list(Kind::Node, None) {
        if let Object::Node(n) = o.as_ref() {
            alloc.insert(&n.metadata.name, allocatable(n));
        }
    }
    let mut used: BTreeMap<&str, Amounts> = BTreeMap::new();
    let mut bound = BTreeMap::new();
    for o in store.list(Kind::Pod, None) {
        let Object::Pod(p) = o.as_ref() else { continue };
        if p.spec.node_name.is_empty() {
            continue;
        }
        bound.insert(p.metadata.uid.clone(), p.spec.node_name.clone());
        if p.is_terminal() {
            continue;
        }
        prop_assert!(
            alloc.contains_key(p.spec.node_name.as_str()),
            "final store: pod {} is bound to unknown node {}",
            p.metadata.name,
            p.spec.node_name
        );
        add(used.entry(&p.spec.node_name).or_default(), &request(p), 1);
    }
    for (node, u) in &used {
        check_fits("final store", node, u, &alloc[node])?;
    }
    Ok(bound)
}

struct Binding {
    node: String,
    request: Amounts,
    /// Terminal pods no longer hold their requests (the scheduler forgets them).
    released: bool,
}

/// Replays the trace: node allocatable from Node writes, assignments from "bind" lines,
/// releases from "delete" lines and terminal phases. Returns uid -> node of live bound pods.
fn check_trace(lines: &[String]) -> Result<(BTreeMap<String, String>, usize), TestCaseError> {
    let mut alloc: BTreeMap<String, Amounts> = BTreeMap::new();
    let mut used: BTreeMap<String, Amounts> = BTreeMap::new();
    let mut bound: BTreeMap<String, Binding> = BTreeMap::new();
    let mut ever_bound: BTreeSet<String> = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| TestCaseError::fail(format!("trace line {i} is not JSON: {e}")))?;
        let verb = v["verb"].as_str().unwrap_or_default();
        if !matches!(verb, "create" | "update" | "patch" | "delete" | "bind") {
            continue; // scheduler decisions, faults: not API writes
        }
        match v["kind"].as_str().unwrap_or_default() {
            "Node" => {
                let node: Node = serde_json::from_value(v["object"].clone())
                    .map_err(|e| TestCaseError::fail(format!("trace line {i}: bad Node: {e}")))?;
                if verb == "delete" {
                    alloc.remove(&node.metadata.name);
                } else {
                    alloc.insert(node.metadata.name.clone(), allocatable(&node));
                }
            }
            "Pod" => {
                let pod: Pod = serde_json::from_value(v["object"].clone())
                    .map_err(|e| TestCaseError::fail(format!("trace line {i}: bad Pod: {e}")))?;
                let (uid, name, node) =
                    (&pod.metadata.uid, &pod.metadata.name, &pod.spec.node_name);
                if verb == "bind" {
                    prop_assert!(
                        ever_bound.insert(uid.clone()),
                        "trace line {i}: pod {name} (uid {uid}) bound a second time, to {node}"
                    );
                    prop_assert!(
                        !node.is_empty(),
                        "trace line {i}: bind of {name} without nodeName"
                    );
                    let Some(a) = alloc.get(node) else {
                        return Err(TestCaseError::fail(format!(
                            "trace line {i}: pod {name} bound to unknown node {node}"
                        )));
                    };
                    let req = request(&pod);
                    let u = used.entry(node.clone()).or_default();
                    add(u, &req, 1);
                    check_fits(&format!("trace line {i} (bind {name})"), node, u, a)?;
                    bound.insert(
                        uid.clone(),
                        Binding {
                            node: node.clone(),
                            request: req,
                            released: false,
                        },
                    );
                } else if let Some(b) = bound.get_mut(uid) {
                    prop_assert_eq!(
                        node,
                        &b.node,
                        "trace line {}: bound pod {} changed nodeName",
                        i,
                        name
                    );
                    if (verb == "delete" || pod.is_terminal()) && !b.released {
                        b.released = true;
                        add(used.get_mut(node).expect("bound node"), &b.request, -1);
                    }
                    if verb == "delete" {
                        bound.remove(uid);
                    }
                } else {
                    prop_assert!(
                        node.is_empty() || verb == "delete",
                        "trace line {i}: pod {name} has nodeName {node} without a bind line ({verb})"
                    );
                }
            }
            _ => {}
        }
    }
    let live = bound.into_iter().map(|(uid, b)| (uid, b.node)).collect();
    Ok((live, ever_bound.len()))
}

/// Whether some pod fits on some empty node, so at least one bind must happen.
fn some_pod_fits(p: &ClusterParams) -> bool {
    p.replica_sets.iter().filter(|r| r.replicas > 0).any(|r| {
        p.pools.iter().any(|n| {
            u64::from(r.cpu_milli.unwrap_or(0)) <= u64::from(n.cpu_cores) * 1000
                && u64::from(r.memory_mi.unwrap_or(0)) <= u64::from(n.memory_gi) * 1024
        })
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn never_overcommits_and_never_binds_twice(params in cluster_params()) {
        let scenario = params.scenario(RUN_FOR_SECS);
        kubesim::scenario::validate(&scenario).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let trace = Trace::new().keeping_lines();
        let mut cluster = Cluster::new(&scenario, RunOptions { seed: None, trace, ..Default::default() });
        cluster.run(None);
        let in_store = check_store(&cluster)?;
        let lines = cluster.sim().trace().lines().expect("lines are kept");
        let (in_trace, binds) = check_trace(lines)?;
        prop_assert_eq!(&in_trace, &in_store, "bound pods: trace replay vs final store");
        if some_pod_fits(&params) {
            prop_assert!(binds > 0, "a pod fits on an empty node, yet nothing was bound");
        }
    }
}
