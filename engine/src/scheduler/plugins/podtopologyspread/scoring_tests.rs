//! Cases from scoring_test.go (TestPreScoreSkip, TestPreScoreStateEmptyNodes,
//! TestPodTopologySpreadScore). Pods without a namespace upstream are in "default" here.
//! "matchLabelKeys ignored when feature gate disabled" is left out: kubesim has the gate on.

use super::*;
use crate::api::{LabelSelector, Node, ObjectRef};
use crate::scheduler::plugins::podtopologyspread::common::{
    NodeInclusionPolicy::{self, Honor, Ignore},
    Selector,
};
use crate::scheduler::plugins::podtopologyspread::testing::*;

fn con(
    max_skew: i32,
    key: &str,
    ls: Option<LabelSelector>,
    aff: NodeInclusionPolicy,
    taints: NodeInclusionPolicy,
) -> Constraint {
    Constraint {
        max_skew,
        topology_key: key.into(),
        selector: Selector::from_label_selector(ls.as_ref()).unwrap(),
        min_domains: 1,
        node_affinity_policy: aff,
        node_taints_policy: taints,
    }
}

fn cd(max_skew: i32, key: &str, ls: Option<LabelSelector>) -> Constraint {
    con(max_skew, key, ls, Honor, Ignore)
}

fn hn(name: &str) -> NodeW {
    node(name).label(HOST, name)
}

fn run_pre_score(
    pl: &PodTopologySpread,
    pod: &Pod,
    snap: &Snapshot,
    filtered: &[String],
) -> (Status, CycleState) {
    let info = PodInfo::from_pod(pod.clone());
    let nodes: Vec<&NodeInfo> = filtered.iter().map(|n| snap.get(n).unwrap()).collect();
    let mut cs = CycleState::default();
    let st = pl.pre_score(&mut cs, &info, &nodes, snap);
    (st, cs)
}

fn names(nodes: &[Node]) -> Vec<String> {
    nodes.iter().map(|n| n.metadata.name.clone()).collect()
}

type SkipCase = (
    &'static str,
    Pod,
    PodTopologySpread,
    Vec<Node>,
    Vec<ObjectRef>,
);

/// scoring_test.go TestPreScoreSkip.
#[test]
fn pre_score_skip() {
    let cases: Vec<SkipCase> = vec![
        (
            "the pod doesn't have soft topology spread Constraints",
            pod("p").obj(),
            list_plugin(vec![]),
            vec![hn("node-a").obj(), hn("node-b").obj()],
            vec![],
        ),
        (
            "default constraints and a replicaset that doesn't match",
            pod("p")
                .label("foo", "bar")
                .label("baz", "sup")
                .owner_rs("rs2")
                .obj(),
            list_plugin(vec![dc(2, "planet", SA)]),
            vec![node("node-a").label("planet", "mars").obj()],
            vec![replica_set("rs1", exists("tar"))],
        ),
    ];
    for (name, p, pl, nodes, objs) in cases {
        let filtered = names(&nodes);
        let snap = snapshot(nodes, vec![], objs);
        let (st, _) = run_pre_score(&pl, &p, &snap, &filtered);
        assert!(st.is_skip(), "{name}: {st:?}");
    }
}

#[test]
fn pre_score_skips_an_empty_cluster() {
    let p = pod("p").label("foo", "").sc(1, "zone", SA, foo()).obj();
    let (st, _) = run_pre_score(&list_plugin(vec![]), &p, &Snapshot::new(), &[]);
    assert!(st.is_skip());
}

struct StateCase {
    name: &'static str,
    pod: Pod,
    nodes: Vec<Node>,
    objs: Vec<ObjectRef>,
    pl: PodTopologySpread,
    constraints: Vec<Constraint>,
    ignored: Vec<&'static str>,
    counts: Vec<Vec<(&'static str, i64)>>,
    /// Topology sizes the weights come from.
    sizes: Vec<usize>,
}

/// Nodes a, b (zone1, foo="") and x (zone2), all with hostnames.
fn zone_foo_nodes(x_tainted: bool) -> Vec<Node> {
    let x = node("node-x").label("zone", "zone2").label(HOST, "node-x");
    let x = if x_tainted {
        x.unschedulable_taint()
    } else {
        x
    };
    vec![
        node("node-a")
            .label("zone", "zone1")
            .label("foo", "")
            .label(HOST, "node-a")
            .obj(),
        node("node-b")
            .label("zone", "zone1")
            .label("foo", "")
            .label(HOST, "node-b")
            .obj(),
        x.obj(),
    ]
}

/// scoring_test.go TestPreScoreStateEmptyNodes (TopologyPairToPodCounts upstream; per
/// constraint here as in scoring.go's TopologyValueToPodCounts).
#[test]
fn pre_score_state_empty_nodes() {
    let p = || pod("p").label("foo", "");
    let zhost = |n: &str, z: &str| node(n).label("zone", z).label(HOST, n).obj();
    let rs_pod = || {
        pod("p")
            .label("foo", "tar")
            .label("baz", "sup")
            .owner_rs("rs1")
    };
    let zone12 = || vec![("zone1", 0), ("zone2", 0)];
    let cases = vec![
        StateCase {
            name: "normal case",
            pod: p().sc(1, "zone", SA, foo()).sc(1, HOST, SA, foo()).obj(),
            nodes: vec![
                zhost("node-a", "zone1"),
                zhost("node-b", "zone1"),
                zhost("node-x", "zone2"),
            ],
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![cd(1, "zone", foo()), cd(1, HOST, foo())],
            ignored: vec![],
            counts: vec![zone12(), vec![]],
            sizes: vec![2, 3],
        },
        StateCase {
            name: "null selector",
            pod: p().sc(1, "zone", SA, None).obj(),
            nodes: vec![
                zhost("node-a", "zone1"),
                zhost("node-b", "zone1"),
                zhost("node-x", "zone2"),
            ],
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![cd(1, "zone", None)],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
        StateCase {
            name: "node-x doesn't have label zone",
            pod: p().sc(1, "zone", SA, foo()).sc(1, HOST, SA, bar()).obj(),
            nodes: vec![
                zhost("node-a", "zone1"),
                zhost("node-b", "zone1"),
                hn("node-x").obj(),
            ],
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![cd(1, "zone", foo()), cd(1, HOST, bar())],
            ignored: vec!["node-x"],
            counts: vec![vec![("zone1", 0)], vec![]],
            sizes: vec![1, 2],
        },
        StateCase {
            name: "system default constraints and a replicaset",
            pod: rs_pod().obj(),
            nodes: vec![
                hn("node-a").label(ZONE, "mars").obj(),
                hn("node-b").label(ZONE, "mars").obj(),
                // Nodes with no zone are not excluded. They are considered a separate zone.
                hn("node-c").obj(),
                hn("node-d").obj(),
            ],
            objs: vec![replica_set("rs1", foo())],
            pl: system_plugin(),
            constraints: vec![cd(3, HOST, foo()), cd(5, ZONE, foo())],
            ignored: vec![],
            counts: vec![vec![], vec![("", 0), ("mars", 0)]],
            sizes: vec![4, 2],
        },
        StateCase {
            name: "default constraints and a replicaset",
            pod: rs_pod().obj(),
            nodes: vec![hn("node-a")
                .label("rack", "rack1")
                .label("planet", "mars")
                .obj()],
            objs: vec![replica_set("rs1", foo())],
            pl: list_plugin(vec![
                dc(1, HOST, SA),
                dc(2, "rack", DNS),
                dc(2, "planet", SA),
            ]),
            constraints: vec![cd(1, HOST, foo()), cd(2, "planet", foo())],
            ignored: vec![],
            counts: vec![vec![], vec![("mars", 0)]],
            sizes: vec![1, 1],
        },
        StateCase {
            name: "default constraints and a replicaset, but pod has constraints",
            pod: pod("p")
                .label("foo", "bar")
                .label("baz", "sup")
                .owner_rs("rs1")
                .sc(1, "zone", DNS, bar())
                .sc(2, "planet", SA, labels(&[("baz", "sup")]))
                .obj(),
            nodes: vec![node("node-a")
                .label("planet", "mars")
                .label("galaxy", "andromeda")
                .obj()],
            objs: vec![replica_set("rs1", foo())],
            pl: list_plugin(vec![dc(2, "galaxy", SA)]),
            constraints: vec![cd(2, "planet", labels(&[("baz", "sup")]))],
            ignored: vec![],
            counts: vec![vec![("mars", 0)]],
            sizes: vec![1],
        },
        StateCase {
            name: "NodeAffinityPolicy honored with labelSelectors",
            pod: p().node_selector("foo", "").sc(1, "zone", SA, bar()).obj(),
            nodes: zone_foo_nodes(false),
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![cd(1, "zone", bar())],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
        StateCase {
            name: "NodeAffinityPolicy ignored with labelSelectors",
            pod: p()
                .node_selector("foo", "")
                .spread(1, "zone", SA, bar(), None, Some("Ignore"), None, &[])
                .obj(),
            nodes: zone_foo_nodes(false),
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![con(1, "zone", bar(), Ignore, Ignore)],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
        StateCase {
            name: "NodeAffinityPolicy honored with nodeAffinity",
            pod: p()
                .node_affinity_in("foo", &[""])
                .sc(1, "zone", SA, bar())
                .obj(),
            nodes: zone_foo_nodes(false),
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![cd(1, "zone", bar())],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
        StateCase {
            name: "NodeAffinityPolicy ignored with nodeAffinity",
            pod: p()
                .node_affinity_in("foo", &[""])
                .spread(1, "zone", SA, bar(), None, Some("Ignore"), None, &[])
                .obj(),
            nodes: zone_foo_nodes(false),
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![con(1, "zone", bar(), Ignore, Ignore)],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
        StateCase {
            name: "NodeTaintsPolicy honored",
            pod: p()
                .spread(1, "zone", SA, bar(), None, None, Some("Honor"), &[])
                .obj(),
            nodes: zone_foo_nodes(true),
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![con(1, "zone", bar(), Honor, Honor)],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
        StateCase {
            name: "NodeTaintsPolicy ignored",
            pod: p().sc(1, "zone", SA, bar()).obj(),
            nodes: zone_foo_nodes(true),
            objs: vec![],
            pl: list_plugin(vec![]),
            constraints: vec![cd(1, "zone", bar())],
            ignored: vec![],
            counts: vec![zone12()],
            sizes: vec![2],
        },
    ];
    for c in cases {
        let filtered = names(&c.nodes);
        let snap = snapshot(c.nodes, vec![], c.objs);
        let (st, cs) = run_pre_score(&c.pl, &c.pod, &snap, &filtered);
        assert!(st.is_success(), "{}: {st:?}", c.name);
        let got = cs.read::<PreScoreState>(PRE_SCORE_STATE_KEY).unwrap();
        let want = PreScoreState {
            constraints: c.constraints,
            ignored_nodes: c.ignored.iter().map(|s| s.to_string()).collect(),
            topology_value_to_pod_counts: c
                .counts
                .iter()
                .map(|m| m.iter().map(|(k, v)| (k.to_string(), *v)).collect())
                .collect(),
            topology_normalizing_weight: c
                .sizes
                .iter()
                .map(|&s| topology_normalizing_weight(s))
                .collect(),
        };
        assert_eq!(*got, want, "{}", c.name);
    }
}

struct ScoreCase {
    name: &'static str,
    pod: Pod,
    pods: Vec<Pod>,
    nodes: Vec<Node>,
    failed: Vec<Node>,
    objs: Vec<ObjectRef>,
    want: Vec<i64>,
}

fn sc_case(
    name: &'static str,
    pod: Pod,
    pods: Vec<Pod>,
    nodes: Vec<Node>,
    failed: Vec<Node>,
    want: Vec<i64>,
) -> ScoreCase {
    ScoreCase {
        name,
        pod,
        pods,
        nodes,
        failed,
        objs: vec![],
        want,
    }
}

/// Foo pods: `counts[i]` on the i-th of `nodes`, named p-<letter><n>.
fn spread_pods(spec: &[(&str, &str, usize)]) -> Vec<Pod> {
    spec.iter()
        .flat_map(|(prefix, node, n)| (1..=*n).map(move |i| foo_on(&format!("{prefix}{i}"), node)))
        .collect()
}

fn hosts(ns: &[&str]) -> Vec<Node> {
    ns.iter().map(|n| hn(n).obj()).collect()
}

fn zhosts(ns: &[(&str, &str)]) -> Vec<Node> {
    ns.iter()
        .map(|(n, z)| hn(n).label("zone", z).obj())
        .collect()
}

/// scoring_test.go TestPodTopologySpreadScore (plugin with DefaultingType System).
#[test]
fn pod_topology_spread_score() {
    let p = || pod("p").label("foo", "");
    let pfb = || pod("p").label("foo", "").label("bar", "");
    let fb = |name: &str, node: &str| pod(name).node(node).label("foo", "").label("bar", "").obj();
    let b = |name: &str, node: &str| pod(name).node(node).label("bar", "").obj();
    let pods_2_1_0_3 = || {
        spread_pods(&[
            ("p-a", "node-a", 2),
            ("p-b", "node-b", 1),
            ("p-d", "node-d", 3),
        ])
    };
    let pods_4_3_2_1 = || {
        spread_pods(&[
            ("p-a", "node-a", 4),
            ("p-b", "node-b", 3),
            ("p-c", "node-c", 2),
            ("p-d", "node-d", 1),
        ])
    };
    let pods_4_2_1_3 = || {
        spread_pods(&[
            ("p-a", "node-a", 4),
            ("p-b", "node-b", 2),
            ("p-x", "node-x", 1),
            ("p-y", "node-y", 3),
        ])
    };
    let abcd = || hosts(&["node-a", "node-b", "node-c", "node-d"]);
    let node_key = |foo_on_ab: bool, taint_c: bool| {
        let mut v = Vec::new();
        for n in ["node-a", "node-b", "node-c"] {
            let mut w = node(n).label("node", n);
            if foo_on_ab && n != "node-c" {
                w = w.label("foo", "");
            }
            if taint_c && n == "node-c" {
                w = w.unschedulable_taint();
            }
            v.push(w.obj());
        }
        v
    };
    let pods_2_1_1 = || {
        spread_pods(&[
            ("p-a", "node-a", 2),
            ("p-b", "node-b", 1),
            ("p-c", "node-c", 1),
        ])
    };
    let zone_abcd = || {
        zhosts(&[
            ("node-a", "zone1"),
            ("node-b", "zone1"),
            ("node-c", "zone2"),
            ("node-d", "zone2"),
        ])
    };
    let zone_abxy = || {
        zhosts(&[
            ("node-a", "zone1"),
            ("node-b", "zone1"),
            ("node-x", "zone2"),
            ("node-y", "zone2"),
        ])
    };
    let empty = || Some(LabelSelector::default());
    let cases = vec![
        sc_case(
            "one constraint on node, no existing pods",
            p().sc(1, HOST, SA, foo()).obj(),
            vec![],
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 100],
        ),
        sc_case(
            "one constraint on node, only one node is candidate",
            p().sc(1, HOST, SA, foo()).obj(),
            spread_pods(&[("p-a", "node-a", 2), ("p-b", "node-b", 1)]),
            hosts(&["node-a"]),
            hosts(&["node-b"]),
            vec![100],
        ),
        sc_case(
            "one constraint on node, all nodes have the same number of matching pods",
            p().sc(1, HOST, SA, foo()).obj(),
            spread_pods(&[("p-a", "node-a", 1), ("p-b", "node-b", 1)]),
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 100],
        ),
        sc_case(
            "one constraint on node, all 4 nodes are candidates",
            p().sc(1, HOST, SA, foo()).obj(),
            pods_2_1_0_3(),
            abcd(),
            vec![],
            vec![20, 60, 100, 0],
        ),
        sc_case(
            "one constraint on node, null selector",
            p().sc(1, HOST, SA, None).obj(),
            pods_2_1_0_3(),
            abcd(),
            vec![],
            vec![100, 100, 100, 100],
        ),
        sc_case(
            "one constraint on node, all 4 nodes are candidates, maxSkew=2",
            p().sc(2, HOST, SA, foo()).obj(),
            pods_2_1_0_3(),
            abcd(),
            vec![],
            vec![33, 66, 100, 16],
        ),
        sc_case(
            "one constraint on node, all 4 nodes are candidates, maxSkew=3",
            p().sc(3, HOST, SA, foo()).obj(),
            pods_4_3_2_1(),
            abcd(),
            vec![],
            vec![44, 66, 77, 100],
        ),
        ScoreCase {
            name: "system defaulting, nodes don't have zone, pods match service",
            pod: p().obj(),
            pods: pods_4_3_2_1(),
            nodes: abcd(),
            failed: vec![],
            objs: vec![service(&[("foo", "")])],
            // Same scores as if we were using one spreading constraint.
            want: vec![44, 66, 77, 100],
        },
        sc_case(
            "one constraint on node, 3 out of 4 nodes are candidates",
            p().sc(1, HOST, SA, foo()).obj(),
            pods_4_2_1_3(),
            hosts(&["node-a", "node-b", "node-x"]),
            hosts(&["node-y"]),
            vec![33, 83, 100],
        ),
        sc_case(
            "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
            p().sc(1, HOST, SA, foo()).obj(),
            pods_4_2_1_3(),
            vec![
                hn("node-a").obj(),
                node("node-b").label("n", "node-b").obj(),
                hn("node-x").obj(),
            ],
            hosts(&["node-y"]),
            vec![16, 0, 100],
        ),
        sc_case(
            "one constraint on zone, 3 out of 4 nodes are candidates",
            p().sc(1, "zone", SA, foo()).obj(),
            pods_4_2_1_3(),
            zhosts(&[("node-a", "zone1"), ("node-b", "zone1"), ("node-x", "zone2")]),
            zhosts(&[("node-y", "zone2")]),
            vec![75, 75, 100],
        ),
        sc_case(
            "two Constraints on zone and node, 2 out of 4 nodes are candidates",
            p().sc(1, "zone", SA, foo()).sc(1, HOST, SA, foo()).obj(),
            spread_pods(&[
                ("p-a", "node-a", 2),
                ("p-b", "node-b", 1),
                ("p-x", "node-x", 2),
                ("p-y", "node-y", 4),
            ]),
            zhosts(&[("node-a", "zone1"), ("node-x", "zone2")]),
            zhosts(&[("node-b", "zone1"), ("node-y", "zone2")]),
            vec![100, 63],
        ),
        sc_case(
            "two Constraints on zone and node, with different labelSelectors",
            pfb().sc(1, "zone", SA, foo()).sc(1, HOST, SA, bar()).obj(),
            vec![
                foo_on("p-a1", "node-a"),
                fb("p-b1", "node-b"),
                foo_on("p-y1", "node-y"),
                b("p-y2", "node-y"),
            ],
            zone_abxy(),
            vec![],
            vec![60, 20, 100, 60],
        ),
        sc_case(
            "two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
            pfb().sc(1, "zone", SA, foo()).sc(1, HOST, SA, bar()).obj(),
            vec![
                b("p-b1", "node-b"),
                foo_on("p-x1", "node-x"),
                fb("p-y1", "node-y"),
            ],
            zone_abxy(),
            vec![],
            vec![100, 60, 40, 0],
        ),
        sc_case(
            "two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates",
            pfb().sc(1, "zone", SA, foo()).sc(1, HOST, SA, bar()).obj(),
            vec![
                foo_on("p-a1", "node-a"),
                fb("p-b1", "node-b"),
                foo_on("p-y1", "node-y"),
                b("p-y2", "node-y"),
            ],
            zhosts(&[("node-a", "zone1"), ("node-b", "zone1"), ("node-x", "zone2")]),
            zhosts(&[("node-y", "zone2")]),
            vec![50, 25, 100],
        ),
        sc_case(
            "existing pods in a different namespace do not count",
            p().sc(1, HOST, SA, foo()).obj(),
            vec![
                pod("p-a1").ns("ns1").node("node-a").label("foo", "").obj(),
                foo_on("p-a2", "node-a"),
                foo_on("p-b1", "node-b"),
                foo_on("p-b2", "node-b"),
            ],
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 33],
        ),
        sc_case(
            "terminating Pods should be excluded",
            p().sc(1, HOST, SA, foo()).obj(),
            vec![
                pod("p-a").node("node-a").label("foo", "").terminating().obj(),
                foo_on("p-b", "node-b"),
            ],
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 0],
        ),
        sc_case(
            "minDomains has no effect when ScheduleAnyway",
            p().spread(2, "node", SA, foo(), Some(10), None, None, &[]).obj(),
            spread_pods(&[("p-a", "node-a", 2), ("p-b", "node-b", 2), ("p-c", "node-c", 1)]),
            node_key(false, false),
            vec![],
            vec![75, 75, 100],
        ),
        sc_case(
            "NodeAffinityPolicy honoed with labelSelectors",
            p().node_selector("foo", "").sc(1, "node", SA, foo()).obj(),
            pods_2_1_1(),
            node_key(true, false),
            vec![],
            vec![0, 33, 100],
        ),
        sc_case(
            "NodeAffinityPolicy ignored with labelSelectors",
            p().node_selector("foo", "")
                .spread(1, "node", SA, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            pods_2_1_1(),
            node_key(true, false),
            vec![],
            vec![66, 100, 100],
        ),
        sc_case(
            "NodeAffinityPolicy honoed with nodeAffinity",
            p().node_affinity_in("foo", &[""])
                .sc(1, "node", SA, foo())
                .obj(),
            pods_2_1_1(),
            node_key(true, false),
            vec![],
            vec![0, 33, 100],
        ),
        sc_case(
            "NodeAffinityPolicy ignored with nodeAffinity",
            p().node_affinity_in("foo", &[""])
                .spread(1, "node", SA, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            pods_2_1_1(),
            node_key(true, false),
            vec![],
            vec![66, 100, 100],
        ),
        sc_case(
            "NodeTaintsPolicy honored",
            p().spread(1, "node", SA, foo(), None, None, Some("Honor"), &[])
                .obj(),
            pods_2_1_1(),
            node_key(false, true),
            vec![],
            vec![0, 33, 100],
        ),
        sc_case(
            "NodeTaintsPolicy ignored",
            p().sc(1, "node", SA, foo()).obj(),
            pods_2_1_1(),
            node_key(false, true),
            vec![],
            vec![66, 100, 100],
        ),
        sc_case(
            "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
            pfb()
                .spread(1, "zone", SA, empty(), None, None, None, &["foo"])
                .spread(1, HOST, SA, empty(), None, None, None, &["bar"])
                .obj(),
            vec![
                foo_on("p-a1", "node-a"),
                fb("p-b1", "node-b"),
                foo_on("p-y1", "node-c"),
                b("p-y2", "node-c"),
            ],
            zone_abcd(),
            vec![],
            vec![60, 20, 60, 100],
        ),
        sc_case(
            "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
            pfb()
                .label("baz", "")
                .sc(1, "zone", SA, foo())
                .spread(1, HOST, SA, bar(), None, None, None, &["baz"])
                .obj(),
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-b1")
                    .node("node-b")
                    .label("foo", "")
                    .label("bar", "")
                    .label("baz", "")
                    .obj(),
                foo_on("p-c1", "node-c"),
                b("p-c2", "node-c"),
                pod("p-d3").node("node-c").label("bar", "").label("baz", "").obj(),
            ],
            zone_abcd(),
            vec![],
            vec![60, 20, 60, 100],
        ),
    ];
    for c in cases {
        let filtered = names(&c.nodes);
        let mut all = c.nodes;
        all.extend(c.failed);
        let snap = snapshot(all, c.pods, c.objs);
        let pl = system_plugin();
        let (st, cs) = run_pre_score(&pl, &c.pod, &snap, &filtered);
        assert!(st.is_success(), "{}: {st:?}", c.name);
        let info = PodInfo::from_pod(c.pod.clone());
        let nodes: Vec<&NodeInfo> = filtered.iter().map(|n| snap.get(n).unwrap()).collect();
        let mut scores: Vec<i64> = nodes
            .iter()
            .map(|n| pl.score(&cs, &info, n, &snap))
            .collect();
        pl.normalize(&cs, &info, &nodes, &mut scores);
        assert_eq!(scores, c.want, "{}", c.name);
    }
}

/// Go's math.Log agrees with the platform ln where both are correctly rounded; ln 2 is exact.
#[test]
fn go_log_matches_go() {
    assert_eq!(go_log(2.0), std::f64::consts::LN_2);
    assert_eq!(go_log(1.0), 0.0);
    assert_eq!(go_log(0.0), f64::NEG_INFINITY);
    assert!(go_log(-1.0).is_nan());
    for n in 2..=5002u32 {
        let x = f64::from(n);
        let (g, l) = (go_log(x), x.ln());
        assert!(
            (g.to_bits() as i64 - l.to_bits() as i64).abs() <= 1,
            "log({n}): go {g} ln {l}"
        );
    }
}

#[test]
fn normalize_zeroes_ignored_nodes() {
    // Two feasible nodes, one missing the zone key: ignored (0), the other alone (100).
    let p = pod("p").label("foo", "").sc(1, "zone", SA, foo()).obj();
    let nodes = vec![
        hn("node-a").label("zone", "zone1").obj(),
        hn("node-b").obj(),
    ];
    let filtered = names(&nodes);
    let snap = snapshot(nodes, vec![foo_on("p-a1", "node-a")], vec![]);
    let pl = list_plugin(vec![]);
    let (st, cs) = run_pre_score(&pl, &p, &snap, &filtered);
    assert!(st.is_success());
    let info = PodInfo::from_pod(p);
    let ns: Vec<&NodeInfo> = filtered.iter().map(|n| snap.get(n).unwrap()).collect();
    let mut scores: Vec<i64> = ns.iter().map(|n| pl.score(&cs, &info, n, &snap)).collect();
    // ln(1 + 2) x 1 + 0 rounds to 1.
    assert_eq!(scores, [1, 0]);
    pl.normalize(&cs, &info, &ns, &mut scores);
    assert_eq!(scores, [100, 0]);
}

/// The constants' bits are the decimal values upstream gives.
#[test]
#[allow(clippy::excessive_precision)]
fn go_log_constants_are_upstreams() {
    // log(x) near 1 exercises every coefficient; compare with the decimal constants inline.
    let decimal = |x: f64| {
        let (ln2_hi, ln2_lo) = (6.93147180369123816490e-01, 1.90821492927058770002e-10);
        let l = [
            6.666666666666735130e-01,
            3.999999999940941908e-01,
            2.857142874366239149e-01,
            2.222219843214978396e-01,
            1.818357216161805012e-01,
            1.531383769920937332e-01,
            1.479819860511658591e-01,
        ];
        let bits = f64::to_bits(x);
        let mut ki = ((bits >> 52) & 0x7ff) as i64 - 1022;
        let mut f1 = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
        if f1 < std::f64::consts::FRAC_1_SQRT_2 {
            f1 *= 2.0;
            ki -= 1;
        }
        let (f, k) = (f1 - 1.0, ki as f64);
        let s = f / (2.0 + f);
        let (s2, s4) = (s * s, s * s * s * s);
        let t1 = s2 * (l[0] + s4 * (l[2] + s4 * (l[4] + s4 * l[6])));
        let t2 = s4 * (l[1] + s4 * (l[3] + s4 * l[5]));
        let hfsq = 0.5 * f * f;
        k * ln2_hi - ((hfsq - (s * (hfsq + t1 + t2) + k * ln2_lo)) - f)
    };
    for x in [1.3, 3.0, 7.0, 1234.0, 5002.0] {
        assert_eq!(go_log(x).to_bits(), decimal(x).to_bits(), "{x}");
    }
}
