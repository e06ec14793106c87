//! Cases transcribed from default_preemption_test.go, preemption_test.go and
//! validation_pluginargs_test.go. Left out: cases that need extenders, PodDisruptionBudgets,
//! pod groups, or the InterPodAffinity / PodTopologySpread plugins.

use super::*;
use crate::api::meta::Time;
use crate::api::pod::PodCondition;
use crate::api::{Node, Object, ObjectRef, Quantity};
use crate::scheduler::framework::{FilterPlugin, PreFilterPlugin, PreFilterResult};
use crate::scheduler::registry::Registry;
use crate::sim::SimTime;
use std::cell::Cell;
use std::rc::Rc;

const NEG: i32 = -100;
const LOW: i32 = 0;
const MID: i32 = 100;
const HIGH: i32 = 1000;
const VERY_HIGH: i32 = 10000;

/// (cpu millicores, memory bytes).
type Res = (i64, i64);
const SMALL: Res = (100, 100);
const MEDIUM: Res = (200, 200);
const LARGE: Res = (300, 300);
const VERY_LARGE: Res = (500, 500);

/// st.MakePod() in the shape the cases use.
#[derive(Clone)]
struct PodW(Pod);

fn make_pod(name: &str) -> PodW {
    let mut p = crate::scheduler::plugins::testing::pod(0, 0);
    p.metadata.name = name.into();
    p.metadata.uid = name.into();
    PodW(p)
}

impl PodW {
    fn priority(mut self, p: i32) -> Self {
        self.0.spec.priority = Some(p);
        self
    }
    fn req(mut self, (cpu, mem): Res) -> Self {
        self.0.spec.containers = crate::scheduler::plugins::testing::pod(cpu, mem)
            .spec
            .containers;
        self
    }
    fn node(mut self, n: &str) -> Self {
        self.0.spec.node_name = n.into();
        self
    }
    /// StartTime at `t` (epochTime<t>).
    fn start(mut self, t: u64) -> Self {
        self.0.status.start_time = Some(Time(SimTime(t)));
        self
    }
    fn label(mut self, k: &str, v: &str) -> Self {
        self.0.metadata.labels.insert(k.into(), v.into());
        self
    }
    fn nominated(mut self, n: &str) -> Self {
        self.0.status.nominated_node_name = n.into();
        self
    }
    fn preemption_policy(mut self, p: &str) -> Self {
        self.0.spec.preemption_policy = Some(p.into());
        self
    }
    fn terminating(mut self) -> Self {
        self.0.metadata.deletion_timestamp = Some(Time(SimTime(1)));
        self
    }
    fn condition(mut self, type_: &str, status: &str, reason: &str) -> Self {
        self.0.status.conditions.push(PodCondition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            ..Default::default()
        });
        self
    }
    fn obj(self) -> Pod {
        self.0
    }
}

/// st.MakeNode().Capacity(res): cpu in millicores, memory in bytes, pods (32 unless given).
fn make_node(name: &str, res: &[(&str, i64)]) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    let a = &mut n.status.allocatable;
    a.insert("pods".into(), Quantity::from_units(32));
    for &(r, v) in res {
        let q = match r {
            "cpu" => Quantity::from_milli(v),
            "memory" => Quantity::from_bytes(v),
            _ => Quantity::from_units(v),
        };
        a.insert(r.into(), q);
    }
    n
}

fn cap((cpu, mem): Res) -> [(&'static str, i64); 2] {
    [("cpu", cpu), ("memory", mem)]
}

const ONE_POD: [(&str, i64); 1] = [("pods", 1)];
/// TestPostFilter's nodeRes: 200m cpu, 400 memory.
const NODE_RES: [(&str, i64); 2] = [("cpu", 200), ("memory", 400)];

fn snapshot(nodes: Vec<Node>, pods: &[Pod]) -> Snapshot {
    let objs: Vec<ObjectRef> = pods
        .iter()
        .map(|p| Arc::new(Object::Pod(p.clone())))
        .collect();
    Snapshot::from_objects(nodes, &objs)
}

fn statuses(entries: &[(&str, Code)]) -> BTreeMap<String, Status> {
    entries
        .iter()
        .map(|&(n, c)| (n.to_string(), Status::new(c, vec![])))
        .collect()
}

fn names(victims: &[Arc<PodInfo>]) -> Vec<String> {
    victims
        .iter()
        .map(|v| v.pod().metadata.name.clone())
        .collect()
}

/// tf's ErrReasonFake.
const ERR_REASON_FAKE: &str = "Nodes failed the fake plugin";

/// default_preemption_test.go TestPlugin: AddPod/RemovePod fail on nodes labelled error=true.
struct TestPlugin;

impl Plugin for TestPlugin {
    fn name(&self) -> &str {
        "test-plugin"
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
}

fn has_error_label(node: &NodeInfo) -> bool {
    node.node.metadata.labels.get("error").map(String::as_str) == Some("true")
}

impl PreFilterPlugin for TestPlugin {
    fn pre_filter(
        &self,
        _: &mut CycleState,
        _: &PodInfo,
        _: &Snapshot,
    ) -> (PreFilterResult, Status) {
        (None, Status::success())
    }
    fn add_pod(&self, _: &mut CycleState, pod: &PodInfo, _: &PodInfo, node: &NodeInfo) -> Status {
        if has_error_label(node) {
            let msg = format!("failed to add pod: {}", pod.pod().metadata.name);
            return Status::new(Code::Error, vec![msg]);
        }
        Status::success()
    }
    fn remove_pod(
        &self,
        _: &mut CycleState,
        pod: &PodInfo,
        _: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        if has_error_label(node) {
            let msg = format!("failed to remove pod: {}", pod.pod().metadata.name);
            return Status::new(Code::Error, vec![msg]);
        }
        Status::success()
    }
}

/// tf.FakeFilterPlugin: counts calls and returns `rc` for every node.
struct FakeFilter {
    calls: Rc<Cell<i32>>,
    rc: Code,
}

impl Plugin for FakeFilter {
    fn name(&self) -> &str {
        "FakeFilter"
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for FakeFilter {
    fn filter(&self, _: &CycleState, pod: &PodInfo, _: &NodeInfo) -> Status {
        self.calls.set(self.calls.get() + 1);
        let msg = format!("injecting failure for pod {}", pod.pod().metadata.name);
        Status::new(self.rc, vec![msg])
    }
}

/// tf's TrueFilter, FalseFilter and MatchFilter (fits when the pod is named after the node).
struct NamedFilter(&'static str);

impl Plugin for NamedFilter {
    fn name(&self) -> &str {
        self.0
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for NamedFilter {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let fits = match self.0 {
            "TrueFilter" => true,
            "MatchFilter" => pod.pod().metadata.name == node.name,
            _ => false,
        };
        if fits {
            Status::success()
        } else {
            Status::unschedulable(ERR_REASON_FAKE)
        }
    }
}

/// The in-tree registry plus the test plugins; FakeFilter counts into `calls` with `rc`.
fn registry(calls: Rc<Cell<i32>>, rc: Code) -> Registry {
    let mut r = Registry::in_tree();
    r.register("test-plugin", |_| Ok(Box::new(TestPlugin)));
    r.register("FakeFilter", move |_| {
        Ok(Box::new(FakeFilter {
            calls: calls.clone(),
            rc,
        }))
    });
    for name in ["TrueFilter", "FalseFilter", "MatchFilter"] {
        r.register(name, move |_| Ok(Box::new(NamedFilter(name))));
    }
    r
}

fn profile(plugins: &[&str]) -> Profile {
    profile_with(&registry(Rc::new(Cell::new(0)), Code::Success), plugins)
}

fn profile_with(reg: &Registry, plugins: &[&str]) -> Profile {
    let list: Vec<(&str, i64)> = plugins.iter().map(|p| (*p, 1)).collect();
    Profile::multi_point("default-scheduler", reg, &list).expect("plugins exist")
}

/// RunPreFilterPlugins into a fresh cycle state.
fn pre_filtered(profile: &Profile, pod: &PodInfo, snap: &Snapshot) -> CycleState {
    let mut state = CycleState::default();
    let (_, _, st) = profile.run_pre_filter(&mut state, pod, snap);
    assert!(st.is_success(), "PreFilter: {st:?}");
    state
}

/// default_preemption_test.go TestPostFilter (no extenders, PDBs or pod groups; the
/// minHighestPriority case keeps its expectation without its PDBs).
#[test]
fn post_filter_table() {
    struct Case {
        name: &'static str,
        pod: Pod,
        pods: Vec<Pod>,
        nodes: Vec<Node>,
        statuses: BTreeMap<String, Status>,
        /// None: no result; Some(""): a result clearing the nomination.
        want_result: Option<&'static str>,
        want_code: Code,
        want_message: &'static str,
    }
    use Code::{Unschedulable as U, UnschedulableAndUnresolvable as UU};
    let p = || make_pod("p");
    let cases = vec![
        Case {
            name: "pod with higher priority can be made schedulable",
            pod: p().priority(HIGH).obj(),
            pods: vec![make_pod("p1").node("node1").obj()],
            nodes: vec![make_node("node1", &ONE_POD)],
            statuses: statuses(&[("node1", U)]),
            want_result: Some("node1"),
            want_code: Code::Success,
            want_message: "",
        },
        Case {
            name: "pod with tied priority is still unschedulable",
            pod: p().obj(),
            pods: vec![make_pod("p1").node("node1").obj()],
            nodes: vec![make_node("node1", &ONE_POD)],
            statuses: statuses(&[("node1", U)]),
            want_result: Some(""),
            want_code: U,
            want_message: "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
        },
        Case {
            name: "preemption should respect filteredNodesStatuses",
            pod: p().priority(HIGH).obj(),
            pods: vec![make_pod("p1").node("node1").obj()],
            nodes: vec![make_node("node1", &ONE_POD)],
            statuses: statuses(&[("node1", UU)]),
            want_result: Some(""),
            want_code: U,
            want_message: "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
        },
        Case {
            name: "preemption should respect absent NodeToStatusReader entry meaning UnschedulableAndUnresolvable",
            pod: p().priority(HIGH).obj(),
            pods: vec![make_pod("p1").node("node1").obj()],
            nodes: vec![make_node("node1", &ONE_POD)],
            statuses: statuses(&[]),
            want_result: Some(""),
            want_code: U,
            want_message: "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
        },
        Case {
            name: "pod can be made schedulable on one node",
            pod: p().priority(MID).obj(),
            pods: vec![
                make_pod("p1").priority(HIGH).node("node1").obj(),
                make_pod("p2").priority(LOW).node("node2").obj(),
            ],
            nodes: vec![make_node("node1", &ONE_POD), make_node("node2", &ONE_POD)],
            statuses: statuses(&[("node1", U), ("node2", U)]),
            want_result: Some("node2"),
            want_code: Code::Success,
            want_message: "",
        },
        Case {
            name: "pod can be made schedulable on minHighestPriority node",
            pod: p().priority(VERY_HIGH).obj(),
            pods: vec![
                make_pod("p1").priority(HIGH).node("node1").obj(),
                make_pod("p2").priority(LOW).node("node1").obj(),
                make_pod("p3").priority(MID).node("node2").obj(),
            ],
            nodes: vec![make_node("node1", &ONE_POD), make_node("node2", &ONE_POD)],
            statuses: statuses(&[("node1", U), ("node2", U)]),
            want_result: Some("node2"),
            want_code: Code::Success,
            want_message: "",
        },
        Case {
            name: "no candidate nodes found, no enough resource after removing low priority pods",
            pod: p().priority(HIGH).req(LARGE).obj(),
            pods: vec![
                make_pod("p1").node("node1").obj(),
                make_pod("p2").node("node2").obj(),
            ],
            nodes: vec![make_node("node1", &NODE_RES), make_node("node2", &NODE_RES)],
            statuses: statuses(&[("node1", U), ("node2", U)]),
            want_result: Some(""),
            want_code: U,
            want_message: "preemption: 0/2 nodes are available: 2 Insufficient cpu.",
        },
        Case {
            name: "no candidate nodes found with mixed reasons, no lower priority pod and no enough CPU resource",
            pod: p().priority(HIGH).req(LARGE).obj(),
            pods: vec![
                make_pod("p1").node("node1").priority(HIGH).obj(),
                make_pod("p2").node("node2").obj(),
                make_pod("p3").node("node3").priority(HIGH).obj(),
            ],
            nodes: vec![
                make_node("node1", &ONE_POD),
                make_node("node2", &NODE_RES),
                make_node("node3", &ONE_POD),
            ],
            statuses: statuses(&[("node1", U), ("node2", U), ("node3", U)]),
            want_result: Some(""),
            want_code: U,
            want_message: "preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod.",
        },
        Case {
            name: "no candidate nodes found with mixed reason, 2 UnschedulableAndUnresolvable nodes and 2 nodes don't have enough CPU resource",
            pod: p().priority(HIGH).req(LARGE).obj(),
            pods: vec![
                make_pod("p1").node("node1").obj(),
                make_pod("p2").node("node2").obj(),
            ],
            nodes: vec![
                make_node("node1", &NODE_RES),
                make_node("node2", &NODE_RES),
                make_node("node3", &NODE_RES),
                make_node("node4", &NODE_RES),
            ],
            statuses: statuses(&[("node1", U), ("node2", U), ("node4", UU)]),
            want_result: Some(""),
            want_code: U,
            want_message: "preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling.",
        },
        Case {
            name: "only one node but failed with TestPlugin",
            pod: p().priority(HIGH).req(LARGE).obj(),
            pods: vec![make_pod("p1").node("node1").obj()],
            nodes: vec![{
                let mut n = make_node("node1", &cap(LARGE));
                n.metadata.labels.insert("error".into(), "true".into());
                n
            }],
            statuses: statuses(&[("node1", U)]),
            want_result: None,
            want_code: Code::Error,
            want_message: "preemption: running RemovePod on PreFilter plugin \"test-plugin\": failed to remove pod: p",
        },
        Case {
            name: "one failed with TestPlugin and the other pass",
            pod: p().priority(HIGH).req(LARGE).obj(),
            pods: vec![
                make_pod("p1").node("node1").obj(),
                make_pod("p2").node("node2").req(MEDIUM).obj(),
            ],
            nodes: vec![
                {
                    let mut n = make_node("node1", &cap(LARGE));
                    n.metadata.labels.insert("error".into(), "true".into());
                    n
                },
                make_node("node2", &cap(LARGE)),
            ],
            statuses: statuses(&[("node1", U), ("node2", U)]),
            want_result: Some("node2"),
            want_code: Code::Success,
            want_message: "",
        },
    ];
    for c in cases {
        let prof = profile(&["NodeResourcesFit", "test-plugin"]);
        let snap = snapshot(c.nodes, &c.pods);
        let pod = PodInfo::from_pod(c.pod);
        let state = pre_filtered(&prof, &pod, &snap);
        let pl = DefaultPreemption::default();
        let (res, st) = pl.post_filter(&state, &pod, &snap, &c.statuses, &prof);
        assert_eq!(st.code, c.want_code, "{}: {st:?}", c.name);
        assert_eq!(st.message(), c.want_message, "{}", c.name);
        assert_eq!(
            res.as_ref().map(|r| r.nominated_node.as_str()),
            c.want_result,
            "{}",
            c.name
        );
    }
}

/// default_preemption_test.go TestDryRunPreemption (resource and priority cases; the offset
/// cases take the offsets upstream's seeded source gives: 4, then 1, then 3).
#[test]
fn dry_run_preemption_table() {
    struct Case {
        name: &'static str,
        args: Option<(i32, i32)>,
        node_names: Vec<&'static str>,
        test_pods: Vec<Pod>,
        init_pods: Vec<Pod>,
        plugins: Vec<&'static str>,
        fake_rc: Code,
        offsets: Vec<usize>,
        /// Per cycle: (node, victims) sorted by name.
        expected: Vec<Vec<(&'static str, Vec<&'static str>)>>,
        expected_filter_calls: Vec<i32>,
    }
    let two = || vec!["node1", "node2"];
    let five = || vec!["node1", "node2", "node3", "node4", "node5"];
    let fit = || vec!["NodeResourcesFit"];
    let mid_large = |n: &str, node: &str| make_pod(n).node(node).priority(MID).req(LARGE).obj();
    let cases = vec![
        Case {
            name: "a pod that does not fit on any node",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).obj()],
            init_pods: vec![
                make_pod("p1").node("node1").priority(MID).obj(),
                make_pod("p2").node("node2").priority(MID).obj(),
            ],
            plugins: vec!["FalseFilter"],
            fake_rc: Code::Success,
            offsets: vec![0],
            expected: vec![vec![]],
            expected_filter_calls: vec![2],
        },
        Case {
            name: "a pod that fits with no preemption",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).obj()],
            init_pods: vec![
                make_pod("p1").node("node1").priority(MID).obj(),
                make_pod("p2").node("node2").priority(MID).obj(),
            ],
            plugins: vec!["TrueFilter"],
            fake_rc: Code::Unschedulable,
            offsets: vec![0],
            expected: vec![vec![]],
            expected_filter_calls: vec![2],
        },
        Case {
            name: "a pod that fits on one node with no preemption",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("node1").priority(HIGH).obj()],
            init_pods: vec![
                make_pod("p1").node("node1").priority(MID).obj(),
                make_pod("p2").node("node2").priority(MID).obj(),
            ],
            plugins: vec!["MatchFilter"],
            fake_rc: Code::Unschedulable,
            offsets: vec![0],
            expected: vec![vec![]],
            expected_filter_calls: vec![2],
        },
        Case {
            name: "a pod that fits on both nodes when lower priority pods are preempted",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: vec![mid_large("p1", "node1"), mid_large("p2", "node2")],
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![0],
            expected: vec![vec![("node1", vec!["p1"]), ("node2", vec!["p2"])]],
            expected_filter_calls: vec![4],
        },
        Case {
            name: "a pod that would fit on the nodes, but other pods running are higher priority, no preemption would happen",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(LOW).req(LARGE).obj()],
            init_pods: vec![mid_large("p1", "node1"), mid_large("p2", "node2")],
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![0],
            expected: vec![vec![]],
            expected_filter_calls: vec![0],
        },
        Case {
            name: "medium priority pod is preempted, but lower priority one stays as it is small",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: vec![
                make_pod("p1.1").node("node1").priority(LOW).req(SMALL).obj(),
                mid_large("p1.2", "node1"),
                mid_large("p2", "node2"),
            ],
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![0],
            expected: vec![vec![("node1", vec!["p1.2"]), ("node2", vec!["p2"])]],
            expected_filter_calls: vec![5],
        },
        Case {
            name: "mixed priority pods are preempted",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: vec![
                make_pod("p1.1").node("node1").priority(MID).req(SMALL).obj(),
                make_pod("p1.2").node("node1").priority(LOW).req(SMALL).obj(),
                make_pod("p1.3").node("node1").priority(MID).req(MEDIUM).obj(),
                make_pod("p1.4").node("node1").priority(HIGH).req(SMALL).obj(),
                make_pod("p2").node("node2").priority(HIGH).req(LARGE).obj(),
            ],
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![0],
            expected: vec![vec![("node1", vec!["p1.2", "p1.3"])]],
            expected_filter_calls: vec![4],
        },
        Case {
            name: "mixed priority pods are preempted, pick later StartTime one when priorities are equal",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: vec![
                make_pod("p1.1").node("node1").priority(LOW).req(SMALL).start(5).obj(),
                make_pod("p1.2").node("node1").priority(LOW).req(SMALL).start(4).obj(),
                make_pod("p1.3").node("node1").priority(MID).req(MEDIUM).start(3).obj(),
                make_pod("p1.4").node("node1").priority(HIGH).req(SMALL).start(2).obj(),
                make_pod("p2").node("node2").priority(HIGH).req(LARGE).start(1).obj(),
            ],
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![0],
            expected: vec![vec![("node1", vec!["p1.1", "p1.3"])]],
            expected_filter_calls: vec![4],
        },
        Case {
            name: "get Unschedulable in the preemption phase when the filter plugins filtering the nodes",
            args: None,
            node_names: two(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: vec![mid_large("p1", "node1"), mid_large("p2", "node2")],
            plugins: fit(),
            fake_rc: Code::Unschedulable,
            offsets: vec![0],
            expected: vec![vec![]],
            expected_filter_calls: vec![2],
        },
        Case {
            name: "all nodes are possible candidates, but DefaultPreemptionArgs limits to 2",
            args: Some((40, 1)),
            node_names: five(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: (1..=5)
                .map(|i| mid_large(&format!("p{i}"), &format!("node{i}")))
                .collect(),
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![4],
            expected: vec![vec![("node1", vec!["p1"]), ("node5", vec!["p5"])]],
            expected_filter_calls: vec![4],
        },
        Case {
            name: "some nodes are not possible candidates, DefaultPreemptionArgs limits to 2",
            args: Some((40, 1)),
            node_names: five(),
            test_pods: vec![make_pod("p").priority(HIGH).req(LARGE).obj()],
            init_pods: vec![
                mid_large("p1", "node1"),
                make_pod("p2").node("node2").priority(VERY_HIGH).req(LARGE).obj(),
                mid_large("p3", "node3"),
                mid_large("p4", "node4"),
                make_pod("p5").node("node5").priority(VERY_HIGH).req(LARGE).obj(),
            ],
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![4],
            expected: vec![vec![("node1", vec!["p1"]), ("node3", vec!["p3"])]],
            expected_filter_calls: vec![4],
        },
        Case {
            name: "preemption offset across multiple scheduling cycles and wrap around",
            args: Some((40, 1)),
            node_names: five(),
            test_pods: ["tp1", "tp2", "tp3"]
                .iter()
                .map(|n| make_pod(n).priority(HIGH).req(LARGE).obj())
                .collect(),
            init_pods: (1..=5)
                .map(|i| mid_large(&format!("p{i}"), &format!("node{i}")))
                .collect(),
            plugins: fit(),
            fake_rc: Code::Success,
            offsets: vec![4, 1, 3],
            expected: vec![
                vec![("node1", vec!["p1"]), ("node5", vec!["p5"])],
                vec![("node2", vec!["p2"]), ("node3", vec!["p3"])],
                vec![("node4", vec!["p4"]), ("node5", vec!["p5"])],
            ],
            expected_filter_calls: vec![4, 4, 4],
        },
    ];
    for c in cases {
        let calls = Rc::new(Cell::new(0));
        let reg = registry(calls.clone(), c.fake_rc);
        let mut plugins = vec!["FakeFilter"];
        plugins.extend(&c.plugins);
        let prof = profile_with(&reg, &plugins);
        let nodes = c
            .node_names
            .iter()
            .map(|n| make_node(n, &cap(VERY_LARGE)))
            .collect();
        let snap = snapshot(nodes, &c.init_pods);
        let node_infos: Vec<&NodeInfo> = snap.list().collect();
        let args = c
            .args
            .map_or_else(DefaultPreemptionArgs::default, |(p, a)| {
                DefaultPreemptionArgs {
                    min_candidate_nodes_percentage: p,
                    min_candidate_nodes_absolute: a,
                }
            });
        let pl = DefaultPreemption::with_args(args);
        let mut prev = 0;
        for (cycle, pod) in c.test_pods.into_iter().enumerate() {
            let pod = PodInfo::from_pod(pod);
            let state = pre_filtered(&prof, &pod, &snap);
            let num = args.calculate_num_candidates(node_infos.len() as i32) as usize;
            let dry = pl.dry_run_preemption(
                &prof,
                &state,
                &pod,
                &node_infos,
                c.offsets[cycle],
                num,
                &Snapshot::new(),
            );
            let mut got: Vec<(String, Vec<String>)> = dry
                .candidates
                .iter()
                .map(|cand| {
                    let mut v = names(&cand.victims);
                    v.sort();
                    (cand.name.clone(), v)
                })
                .collect();
            got.sort();
            let want: Vec<(String, Vec<String>)> = c.expected[cycle]
                .iter()
                .map(|(n, v)| (n.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect();
            assert_eq!(got, want, "{} cycle {cycle}", c.name);
            assert!(
                dry.candidates
                    .iter()
                    .all(|cand| cand.num_pdb_violations == 0),
                "{}",
                c.name
            );
            assert_eq!(
                calls.get() - prev,
                c.expected_filter_calls[cycle],
                "{} cycle {cycle}: filter calls",
                c.name
            );
            prev = calls.get();
        }
    }
}

/// DryRunPreemption: a node where the pod fits with every victim reprieved is an error
/// ("expected at least one victim pod on node"), not a candidate.
#[test]
fn dry_run_preemption_without_victims_is_an_error() {
    let prof = profile(&[]);
    let nodes = vec![
        make_node("node1", &cap(VERY_LARGE)),
        make_node("node2", &cap(VERY_LARGE)),
    ];
    let snap = snapshot(
        nodes,
        &[
            make_pod("p1").node("node1").priority(MID).obj(),
            make_pod("p2").node("node2").priority(MID).obj(),
        ],
    );
    let pod = PodInfo::from_pod(make_pod("p").priority(HIGH).obj());
    let node_infos: Vec<&NodeInfo> = snap.list().collect();
    let pl = DefaultPreemption::default();
    // No filter plugins: the pod fits with every victim reprieved, so no victim remains.
    let dry = pl.dry_run_preemption(
        &prof,
        &CycleState::default(),
        &pod,
        &node_infos,
        0,
        2,
        &Snapshot::new(),
    );
    assert!(dry.candidates.is_empty());
    assert_eq!(
        dry.errors,
        [
            "expected at least one victim pod on node \"node1\"",
            "expected at least one victim pod on node \"node2\""
        ]
    );
}

/// default_preemption_test.go TestSelectBestCandidate.
#[test]
fn select_best_candidate_table() {
    let n = |name: &str, node: &str, prio: i32, res: Res, start: u64| {
        make_pod(name)
            .node(node)
            .priority(prio)
            .req(res)
            .start(start)
            .obj()
    };
    type Case = (
        &'static str,
        Vec<&'static str>,
        Pod,
        Vec<Pod>,
        Vec<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "a pod that fits on both nodes when lower priority pods are preempted",
            vec!["node1", "node2"],
            make_pod("p").priority(HIGH).req(LARGE).obj(),
            vec![
                n("p1", "node1", MID, LARGE, 0),
                n("p2", "node2", MID, LARGE, 0),
            ],
            vec!["node1", "node2"],
        ),
        (
            "node with min highest priority pod is picked",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, MEDIUM, 0),
                n("p1.2", "node1", MID, LARGE, 0),
                n("p2.1", "node2", MID, MEDIUM, 0),
                n("p2.2", "node2", LOW, MEDIUM, 0),
                n("p3.1", "node3", LOW, MEDIUM, 0),
                n("p3.2", "node3", LOW, MEDIUM, 0),
            ],
            vec!["node3"],
        ),
        (
            "when highest priorities are the same, minimum sum of priorities is picked",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, MEDIUM, 0),
                n("p1.2", "node1", MID, LARGE, 0),
                n("p2.1", "node2", MID, LARGE, 0),
                n("p2.2", "node2", LOW, MEDIUM, 0),
                n("p3.1", "node3", MID, MEDIUM, 0),
                n("p3.2", "node3", MID, MEDIUM, 0),
            ],
            vec!["node2"],
        ),
        (
            "when highest priority and sum are the same, minimum number of pods is picked",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, SMALL, 0),
                n("p1.2", "node1", NEG, SMALL, 0),
                n("p1.3", "node1", MID, SMALL, 0),
                n("p1.4", "node1", NEG, SMALL, 0),
                n("p2.1", "node2", MID, LARGE, 0),
                n("p2.2", "node2", NEG, MEDIUM, 0),
                n("p3.1", "node3", MID, MEDIUM, 0),
                n("p3.2", "node3", NEG, SMALL, 0),
                n("p3.3", "node3", LOW, SMALL, 0),
            ],
            vec!["node2"],
        ),
        (
            "sum of adjusted priorities is considered",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, SMALL, 0),
                n("p1.2", "node1", NEG, SMALL, 0),
                n("p1.3", "node1", NEG, SMALL, 0),
                n("p2.1", "node2", MID, LARGE, 0),
                n("p2.2", "node2", NEG, MEDIUM, 0),
                n("p3.1", "node3", MID, MEDIUM, 0),
                n("p3.2", "node3", NEG, SMALL, 0),
                n("p3.3", "node3", LOW, SMALL, 0),
            ],
            vec!["node2"],
        ),
        (
            "non-overlapping lowest high priority, sum priorities, and number of pods",
            vec!["node1", "node2", "node3", "node4"],
            make_pod("p").priority(VERY_HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, SMALL, 0),
                n("p1.2", "node1", LOW, SMALL, 0),
                n("p1.3", "node1", LOW, SMALL, 0),
                n("p2.1", "node2", HIGH, LARGE, 0),
                n("p3.1", "node3", MID, MEDIUM, 0),
                n("p3.2", "node3", LOW, SMALL, 0),
                n("p3.3", "node3", LOW, SMALL, 0),
                n("p3.4", "node3", LOW, MEDIUM, 0),
                n("p4.1", "node4", MID, MEDIUM, 0),
                n("p4.2", "node4", MID, SMALL, 0),
                n("p4.3", "node4", MID, SMALL, 0),
                n("p4.4", "node4", NEG, SMALL, 0),
            ],
            vec!["node1"],
        ),
        (
            "same priority, same number of victims, different start time for each node's pod",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, MEDIUM, 2),
                n("p1.2", "node1", MID, MEDIUM, 2),
                n("p2.1", "node2", MID, MEDIUM, 3),
                n("p2.2", "node2", MID, MEDIUM, 3),
                n("p3.1", "node3", MID, MEDIUM, 1),
                n("p3.2", "node3", MID, MEDIUM, 1),
            ],
            vec!["node2"],
        ),
        (
            "same priority, same number of victims, different start time for all pods",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", MID, MEDIUM, 4),
                n("p1.2", "node1", MID, MEDIUM, 2),
                n("p2.1", "node2", MID, MEDIUM, 5),
                n("p2.2", "node2", MID, MEDIUM, 1),
                n("p3.1", "node3", MID, MEDIUM, 3),
                n("p3.2", "node3", MID, MEDIUM, 6),
            ],
            vec!["node3"],
        ),
        (
            "different priority, same number of victims, different start time for all pods",
            vec!["node1", "node2", "node3"],
            make_pod("p").priority(HIGH).req(VERY_LARGE).obj(),
            vec![
                n("p1.1", "node1", LOW, MEDIUM, 4),
                n("p1.2", "node1", MID, MEDIUM, 2),
                n("p2.1", "node2", MID, MEDIUM, 6),
                n("p2.2", "node2", LOW, MEDIUM, 1),
                n("p3.1", "node3", LOW, MEDIUM, 3),
                n("p3.2", "node3", MID, MEDIUM, 5),
            ],
            vec!["node2"],
        ),
    ];
    for (name, node_names, pod, pods, expected) in cases {
        let prof = profile(&["NodeResourcesFit"]);
        let nodes = node_names
            .iter()
            .map(|n| make_node(n, &cap(VERY_LARGE)))
            .collect();
        let snap = snapshot(nodes, &pods);
        let pod = PodInfo::from_pod(pod);
        let state = pre_filtered(&prof, &pod, &snap);
        let node_infos: Vec<&NodeInfo> = snap.list().collect();
        let pl = DefaultPreemption::default();
        let num = pl.args.calculate_num_candidates(node_infos.len() as i32) as usize;
        let dry = pl.dry_run_preemption(&prof, &state, &pod, &node_infos, 0, num, &Snapshot::new());
        let s = select_candidate(&dry.candidates)
            .unwrap_or_else(|| panic!("{name}: expected any node in {expected:?}"));
        assert!(
            expected.contains(&s.name.as_str()),
            "{name}: got {}",
            s.name
        );
    }
}

/// default_preemption_test.go TestCustomSelection, with the IsEligiblePod hook.
#[test]
fn custom_selection_table() {
    let label_is = |key: &'static str, val: &'static str| -> IsEligiblePodFn {
        Arc::new(move |_, victim, _| {
            victim.pod().metadata.labels.get(key).map(String::as_str) == Some(val)
        })
    };
    let node_is =
        |name: &'static str| -> IsEligiblePodFn { Arc::new(move |node, _, _| node.name == name) };
    let preemptor_at_least = |min: i32| -> IsEligiblePodFn {
        Arc::new(move |_, _, preemptor| pod_priority(preemptor) >= min)
    };
    let victim_at_most = |max: i32| -> IsEligiblePodFn {
        Arc::new(move |_, victim, _| pod_priority(victim.pod()) <= max)
    };
    let v = |name: &str, node: &str, prio: i32, res: Res| {
        make_pod(name).node(node).priority(prio).req(res).start(0)
    };
    let labelled = || {
        vec![
            v("v1", "node1", MID, LARGE)
                .label("preemptible", "no")
                .obj(),
            v("v2", "node2", MID, LARGE)
                .label("preemptible", "yes")
                .obj(),
            v("v3", "node3", LOW, LARGE)
                .label("preemptible", "yes")
                .obj(),
            v("v4", "node4", LOW, LARGE).obj(),
        ]
    };
    let on_node1 = |v1: Res| {
        vec![
            v("v1", "node1", HIGH, v1).obj(),
            v("v2", "node1", MID, SMALL).obj(),
            v("v3", "node1", LOW, SMALL).obj(),
            v("v4", "node2", MID, LARGE).obj(),
            v("v5", "node3", LOW, LARGE).obj(),
        ]
    };
    let one_each = || {
        vec![
            v("v1", "node1", HIGH, LARGE).obj(),
            v("v2", "node2", MID, LARGE).obj(),
            v("v3", "node3", LOW, LARGE).obj(),
        ]
    };
    let four = vec!["node1", "node2", "node3", "node4"];
    let three = vec!["node1", "node2", "node3"];
    type Case = (
        &'static str,
        IsEligiblePodFn,
        Vec<&'static str>,
        Pod,
        Vec<Pod>,
        Vec<(&'static str, Vec<&'static str>)>,
    );
    let cases: Vec<Case> = vec![
        (
            "filter for matching pod label: high priority",
            label_is("preemptible", "yes"),
            four.clone(),
            make_pod("p1").priority(HIGH).req(LARGE).obj(),
            labelled(),
            vec![("node2", vec!["v2"]), ("node3", vec!["v3"])],
        ),
        (
            "filter for matching pod label: mid priority",
            label_is("preemptible", "yes"),
            four.clone(),
            make_pod("p2").priority(MID).req(LARGE).obj(),
            labelled(),
            vec![("node3", vec!["v3"])],
        ),
        (
            "filter for matching pod label: low priority",
            label_is("preemptible", "yes"),
            four.clone(),
            make_pod("p3").priority(LOW).req(LARGE).obj(),
            labelled(),
            vec![],
        ),
        (
            "filter for matching victim node: high priority",
            node_is("node1"),
            three.clone(),
            make_pod("p3").priority(HIGH).req(LARGE).obj(),
            on_node1(MEDIUM),
            vec![("node1", vec!["v2", "v3"])],
        ),
        (
            "filter for matching victim node: mid priority",
            node_is("node1"),
            three.clone(),
            make_pod("p3").priority(MID).req(LARGE).obj(),
            on_node1(SMALL),
            vec![("node1", vec!["v3"])],
        ),
        (
            "filter for matching victim node: low priority",
            node_is("node1"),
            three.clone(),
            make_pod("p3").priority(LOW).req(LARGE).obj(),
            on_node1(SMALL),
            vec![],
        ),
        (
            "only pods at or above specified priority can preempted: high priority",
            preemptor_at_least(HIGH),
            three.clone(),
            make_pod("p1").priority(HIGH).req(LARGE).obj(),
            one_each(),
            vec![("node2", vec!["v2"]), ("node3", vec!["v3"])],
        ),
        (
            "only pods at or above specified priority can preempted: mid priority",
            preemptor_at_least(HIGH),
            three.clone(),
            make_pod("p2").priority(MID).req(LARGE).obj(),
            one_each(),
            vec![],
        ),
        (
            "only pods at or below specified priority can be preempted: high priority",
            victim_at_most(MID),
            three.clone(),
            make_pod("p1").priority(HIGH).req(LARGE).obj(),
            one_each(),
            vec![("node2", vec!["v2"]), ("node3", vec!["v3"])],
        ),
    ];
    for (name, eligible, node_names, pod, pods, expected) in cases {
        let prof = profile(&["NodeResourcesFit"]);
        let nodes = node_names
            .iter()
            .map(|n| make_node(n, &cap(VERY_LARGE)))
            .collect();
        let snap = snapshot(nodes, &pods);
        let pod = PodInfo::from_pod(pod);
        let state = pre_filtered(&prof, &pod, &snap);
        let node_infos: Vec<&NodeInfo> = snap.list().collect();
        let pl = DefaultPreemption {
            is_eligible_pod: eligible,
            ..Default::default()
        };
        let num = pl.args.calculate_num_candidates(node_infos.len() as i32) as usize;
        let mut candidates = pl
            .dry_run_preemption(&prof, &state, &pod, &node_infos, 0, num, &Snapshot::new())
            .candidates;
        assert_eq!(candidates.len(), expected.len(), "{name}");
        while let Some(sel) = select_candidate(&candidates).cloned() {
            let want = expected
                .iter()
                .find(|(n, _)| *n == sel.name)
                .unwrap_or_else(|| panic!("{name}: unexpected candidate {}", sel.name));
            assert_eq!(
                names(&sel.victims),
                want.1,
                "{name}: victims on {}",
                sel.name
            );
            candidates.retain(|c| c.name != sel.name);
        }
    }
}

/// default_preemption_test.go TestCustomOrdering, with the MoreImportantPod hook.
#[test]
fn custom_ordering_table() {
    let oldest_start: MoreImportantPodFn = Arc::new(|a, b| pod_start_time(a) < pod_start_time(b));
    let by_name: MoreImportantPodFn = Arc::new(|a, b| a.metadata.name < b.metadata.name);
    let v = |name: &str, prio: i32, start: u64| {
        make_pod(name)
            .node("node1")
            .priority(prio)
            .req(MEDIUM)
            .start(start)
            .obj()
    };
    let cases: Vec<(&str, MoreImportantPodFn, Vec<Pod>, Vec<&str>)> = vec![
        (
            "select newest pods",
            oldest_start,
            vec![v("v1", LOW, 2), v("v2", LOW, 0), v("v3", MID, 1)],
            vec!["v3", "v1"],
        ),
        (
            "select alphabetically-last pods",
            by_name,
            vec![v("foo", LOW, 0), v("bar", LOW, 0), v("baz", MID, 0)],
            vec!["baz", "foo"],
        ),
    ];
    for (name, order, pods, expected) in cases {
        let prof = profile(&["NodeResourcesFit"]);
        let snap = snapshot(vec![make_node("node1", &cap(VERY_LARGE))], &pods);
        let pod = PodInfo::from_pod(make_pod("p2").priority(HIGH).req(LARGE).obj());
        let state = pre_filtered(&prof, &pod, &snap);
        let node_infos: Vec<&NodeInfo> = snap.list().collect();
        let pl = DefaultPreemption {
            more_important_pod: order,
            ..Default::default()
        };
        let dry = pl.dry_run_preemption(&prof, &state, &pod, &node_infos, 0, 1, &Snapshot::new());
        assert_eq!(dry.candidates.len(), 1, "{name}");
        assert_eq!(names(&dry.candidates[0].victims), expected, "{name}");
    }
}

/// default_preemption_test.go TestPodEligibleToPreemptOthers (a nil status is Success).
#[test]
fn pod_eligible_to_preempt_others_table() {
    let nominated = || {
        make_pod("p_with_nominated_node")
            .priority(HIGH)
            .nominated("node1")
    };
    let victim = || make_pod("p1").priority(LOW).node("node1").terminating();
    type Case = (&'static str, Pod, Vec<Pod>, Vec<&'static str>, Code, bool);
    let cases: Vec<Case> = vec![
        (
            "Pod with nominated node",
            nominated().obj(),
            vec![victim().obj()],
            vec!["node1"],
            Code::UnschedulableAndUnresolvable,
            true,
        ),
        (
            "Pod without nominated node",
            make_pod("p_without_nominated_node").priority(HIGH).obj(),
            vec![],
            vec![],
            Code::Success,
            true,
        ),
        (
            "Pod with 'PreemptNever' preemption policy",
            make_pod("p_with_preempt_never_policy")
                .priority(HIGH)
                .preemption_policy("Never")
                .obj(),
            vec![],
            vec![],
            Code::Success,
            false,
        ),
        (
            "preemption victim pod terminating, as indicated by the dedicated DisruptionTarget condition",
            nominated().obj(),
            vec![victim()
                .condition("DisruptionTarget", "True", "PreemptionByScheduler")
                .obj()],
            vec!["node1"],
            Code::Success,
            false,
        ),
        (
            "non-victim Pods terminating",
            nominated().obj(),
            vec![victim().obj()],
            vec!["node1"],
            Code::Success,
            true,
        ),
    ];
    for (name, pod, pods, nodes, code, expected) in cases {
        let snap = snapshot(nodes.iter().map(|n| make_node(n, &[])).collect(), &pods);
        let got = DefaultPreemption::default().pod_eligible_to_preempt_others(&pod, &snap, code);
        assert_eq!(got.is_ok(), expected, "{name}: {got:?}");
    }
    let never = make_pod("p").preemption_policy("Never").obj();
    let got = DefaultPreemption::default().pod_eligible_to_preempt_others(
        &never,
        &Snapshot::new(),
        Code::Success,
    );
    assert_eq!(got, Err(NOT_ELIGIBLE_NEVER.to_string()));
}

/// default_preemption_test.go TestPreempt (cases without extenders or PodTopologySpread):
/// the nominated node and the victims.
#[test]
fn preempt_table() {
    let pods = || {
        vec![
            make_pod("p1.1")
                .node("node1")
                .priority(LOW)
                .req(SMALL)
                .obj(),
            make_pod("p1.2")
                .node("node1")
                .priority(LOW)
                .req(SMALL)
                .obj(),
            make_pod("p2.1")
                .node("node2")
                .priority(HIGH)
                .req(LARGE)
                .obj(),
            make_pod("p3.1")
                .node("node3")
                .priority(MID)
                .req(MEDIUM)
                .obj(),
        ]
    };
    let pod = || make_pod("p").priority(HIGH).req(VERY_LARGE);
    let cases: Vec<(&str, Pod, Option<&str>, Vec<&str>)> = vec![
        (
            "basic preemption logic",
            pod().preemption_policy("PreemptLowerPriority").obj(),
            Some("node1"),
            vec!["p1.1", "p1.2"],
        ),
        (
            "no preempting in pod",
            pod().preemption_policy("Never").obj(),
            None,
            vec![],
        ),
        (
            "PreemptionPolicy is nil",
            pod().obj(),
            Some("node1"),
            vec!["p1.1", "p1.2"],
        ),
    ];
    for (name, p, want, want_victims) in cases {
        let prof = profile(&["NodeResourcesFit"]);
        let node_names = ["node1", "node2", "node3"];
        let nodes = node_names
            .iter()
            .map(|n| make_node(n, &cap(VERY_LARGE)))
            .collect();
        let snap = snapshot(nodes, &pods());
        let pod = PodInfo::from_pod(p);
        let state = pre_filtered(&prof, &pod, &snap);
        let st = statuses(&node_names.map(|n| (n, Code::Unschedulable)));
        let (res, status) = DefaultPreemption::default().preempt(&prof, &state, &pod, &snap, &st);
        assert!(
            status.is_success() || status.is_rejected(),
            "{name}: {status:?}"
        );
        assert_eq!(
            res.as_ref().map(|r| r.nominated_node.as_str()),
            want,
            "{name}"
        );
        let mut got = res.map(|r| names(&r.victims)).unwrap_or_default();
        got.sort();
        assert_eq!(got, want_victims, "{name}");
    }
}

/// preemption_test.go TestNodesWherePreemptionMightHelp: only Unschedulable nodes are tried.
#[test]
fn nodes_where_preemption_might_help_table() {
    use Code::{Unschedulable as U, UnschedulableAndUnresolvable as UU};
    type Case = (
        &'static str,
        Vec<(&'static str, Code, &'static str)>,
        Vec<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "No node should be attempted",
            vec![
                ("node1", UU, "node(s) didn't match Pod's node affinity/selector"),
                ("node2", UU, "node(s) didn't match the requested node name"),
                ("node3", UU, "node(s) had untolerated taint(s)"),
                ("node4", UU, "node(s) didn't match pod affinity rules"),
            ],
            vec![],
        ),
        (
            "ErrReasonAntiAffinityRulesNotMatch should be tried as it indicates that the pod is unschedulable due to inter-pod anti-affinity",
            vec![
                ("node1", U, "node(s) didn't match pod anti-affinity rules"),
                ("node2", UU, "node(s) didn't match the requested node name"),
                ("node3", UU, "node(s) were unschedulable"),
                ("node4", U, "Unschedulable"),
            ],
            vec!["node1", "node4"],
        ),
        (
            "ErrReasonAffinityRulesNotMatch should not be tried as it indicates that the pod is unschedulable due to inter-pod affinity, but ErrReasonAntiAffinityRulesNotMatch should be tried as it indicates that the pod is unschedulable due to inter-pod anti-affinity",
            vec![
                ("node1", UU, "node(s) didn't match pod affinity rules"),
                ("node2", U, "node(s) didn't match pod anti-affinity rules"),
                ("node3", U, "Unschedulable"),
                ("node4", U, "Unschedulable"),
            ],
            vec!["node2", "node3", "node4"],
        ),
        (
            "Mix of failed predicates works fine",
            vec![
                ("node1", UU, "node(s) had no available disk"),
                ("node2", U, "Insufficient memory"),
                ("node3", U, "Unschedulable"),
                ("node4", U, "Unschedulable"),
            ],
            vec!["node2", "node3", "node4"],
        ),
        (
            "Node condition errors should be considered unresolvable",
            vec![
                ("node1", UU, "node(s) had unknown conditions"),
                ("node2", U, "Unschedulable"),
                ("node3", U, "Unschedulable"),
                ("node4", U, "Unschedulable"),
            ],
            vec!["node2", "node3", "node4"],
        ),
        (
            "ErrVolume... errors should not be tried as it indicates that the pod is unschedulable due to no matching volumes for pod on node",
            vec![
                ("node1", UU, "node(s) had no available volume zone"),
                ("node2", UU, "node(s) had volume node affinity conflict"),
                ("node3", UU, "node(s) didn't find available persistent volumes to bind"),
                ("node4", U, "Unschedulable"),
            ],
            vec!["node4"],
        ),
        (
            "ErrReasonConstraintsNotMatch should be tried as it indicates that the pod is unschedulable due to topology spread constraints",
            vec![
                ("node1", U, "node(s) didn't match pod topology spread constraints"),
                ("node2", UU, "node(s) didn't match the requested node name"),
                ("node3", U, "node(s) didn't match pod topology spread constraints"),
                ("node4", U, "Unschedulable"),
            ],
            vec!["node1", "node3", "node4"],
        ),
        (
            "UnschedulableAndUnresolvable status should be skipped but Unschedulable should be tried",
            vec![
                ("node1", U, ""),
                ("node2", UU, ""),
                ("node3", U, ""),
                ("node4", UU, ""),
            ],
            vec!["node1", "node3"],
        ),
        (
            "ErrReasonNodeLabelNotMatch should not be tried as it indicates that the pod is unschedulable due to node doesn't have the required label",
            vec![
                ("node1", U, ""),
                ("node2", UU, "node(s) didn't match pod topology spread constraints (missing required label)"),
                ("node3", U, ""),
                ("node4", UU, ""),
            ],
            vec!["node1", "node3"],
        ),
    ];
    for (name, entries, expected) in cases {
        let snap = snapshot(
            ["node1", "node2", "node3", "node4"]
                .iter()
                .map(|n| make_node(n, &[]))
                .collect(),
            &[],
        );
        let st: BTreeMap<String, Status> = entries
            .iter()
            .map(|&(n, c, r)| (n.to_string(), Status::new(c, vec![r.to_string()])))
            .collect();
        let got: Vec<&str> = nodes_where_preemption_might_help(snap.list(), &st)
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

/// validation_pluginargs_test.go TestValidateDefaultPreemptionArgs, with upstream's messages.
#[test]
fn validate_default_preemption_args_table() {
    let cases: [(&str, i32, i32, Option<&str>); 6] = [
        ("valid args (default)", 10, 100, None),
        (
            "negative minCandidateNodesPercentage",
            -1,
            100,
            Some("minCandidateNodesPercentage: Invalid value: -1: not in valid range [0, 100]"),
        ),
        (
            "minCandidateNodesPercentage over 100",
            900,
            100,
            Some("minCandidateNodesPercentage: Invalid value: 900: not in valid range [0, 100]"),
        ),
        (
            "negative minCandidateNodesAbsolute",
            20,
            -1,
            Some("minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)"),
        ),
        (
            "all zero",
            0,
            0,
            Some("[minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute, minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage]"),
        ),
        (
            "both negative",
            -1,
            -1,
            Some("[minCandidateNodesPercentage: Invalid value: -1: not in valid range [0, 100], minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)]"),
        ),
    ];
    for (name, pct, abs, want) in cases {
        let args = DefaultPreemptionArgs {
            min_candidate_nodes_percentage: pct,
            min_candidate_nodes_absolute: abs,
        };
        assert_eq!(args.validate().err().as_deref(), want, "{name}");
        let json = serde_json::json!({
            "minCandidateNodesPercentage": pct,
            "minCandidateNodesAbsolute": abs,
        });
        assert_eq!(new(Some(&json)).err().as_deref(), want, "{name} via new");
    }
}

/// SetDefaults_DefaultPreemptionArgs: unset fields take 10 and 100; explicit zeros stay.
#[test]
fn args_defaults_and_unknown_fields() {
    assert_eq!(
        DefaultPreemptionArgs::from(DefaultPreemptionArgsConfig::default()),
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    );
    let cfg: DefaultPreemptionArgsConfig =
        serde_json::from_value(serde_json::json!({"minCandidateNodesPercentage": 0})).unwrap();
    let args = DefaultPreemptionArgs::from(cfg);
    assert_eq!(args.min_candidate_nodes_percentage, 0);
    assert_eq!(args.min_candidate_nodes_absolute, 100);
    assert!(new(None).is_ok());
    assert!(new(Some(&serde_json::json!({"minCandidateNodes": 1}))).is_err());
}

/// calculateNumCandidates: percentage of the nodes, at least the absolute, at most all nodes.
#[test]
fn calculate_num_candidates_table() {
    let args = |p, a| DefaultPreemptionArgs {
        min_candidate_nodes_percentage: p,
        min_candidate_nodes_absolute: a,
    };
    for (p, a, nodes, want) in [
        (10, 100, 50, 50),
        (10, 100, 5000, 500),
        (10, 100, 1500, 150),
        (40, 1, 5, 2),
        (40, 2, 5, 2),
        (10, 1, 5, 1),
        (10, 0, 5, 0),
        (100, 0, 7, 7),
    ] {
        assert_eq!(
            args(p, a).calculate_num_candidates(nodes),
            want,
            "{p}% {a} of {nodes}"
        );
    }
}

/// pickOneNodeForPreemption ties go to the first candidate; an unstarted victim counts as
/// starting now (later than any start time).
#[test]
fn pick_one_node_ties_and_unstarted_victims() {
    let cand = |name: &str, victims: Vec<Pod>| Candidate {
        name: name.into(),
        victims: victims
            .into_iter()
            .map(|p| Arc::new(PodInfo::from_pod(p)))
            .collect(),
        num_pdb_violations: 0,
    };
    let same = vec![
        cand("a", vec![make_pod("x").priority(MID).start(1).obj()]),
        cand("b", vec![make_pod("y").priority(MID).start(1).obj()]),
    ];
    assert_eq!(pick_one_node_for_preemption(&same), Some(0));
    let unstarted = vec![
        cand("a", vec![make_pod("x").priority(MID).start(7).obj()]),
        cand("b", vec![make_pod("y").priority(MID).obj()]),
    ];
    assert_eq!(pick_one_node_for_preemption(&unstarted), Some(1));
    let pdb = vec![
        Candidate {
            num_pdb_violations: 1,
            ..cand("a", vec![make_pod("x").priority(LOW).obj()])
        },
        cand("b", vec![make_pod("y").priority(HIGH).obj()]),
    ];
    assert_eq!(pick_one_node_for_preemption(&pdb), Some(1));
    assert_eq!(pick_one_node_for_preemption(&[]), None);
}

/// The registered plugin through the profile's PostFilter runner, as the scheduler calls it.
#[test]
fn run_post_filter_through_profile() {
    let prof = profile(&["NodeResourcesFit", "DefaultPreemption"]);
    assert_eq!(prof.post_filter.len(), 1);
    let snap = snapshot(
        vec![make_node("node1", &ONE_POD)],
        &[make_pod("p1").node("node1").obj()],
    );
    let pod = PodInfo::from_pod(make_pod("p").priority(HIGH).obj());
    let state = pre_filtered(&prof, &pod, &snap);
    let st = statuses(&[("node1", Code::Unschedulable)]);
    let (res, status) = prof.run_post_filter(&state, &pod, &snap, &st);
    assert!(status.is_success(), "{status:?}");
    let res = res.expect("a result");
    assert_eq!(res.nominated_node, "node1");
    assert_eq!(names(&res.victims), ["p1"]);
    assert_eq!(status.plugin, NAME);
}
