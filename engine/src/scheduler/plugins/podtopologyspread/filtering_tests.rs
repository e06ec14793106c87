//! Cases from filtering_test.go (TestPreFilterState, TestPreFilterStateAddPod,
//! TestPreFilterStateRemovePod, TestSingleConstraint, TestMultipleConstraints,
//! TestPreFilterDisabled). Pods without a namespace upstream are in "default" here.
//! Cases named "... feature gate disabled" are kept where the result does not depend on the
//! gate (kubesim has every gate of v1.35 on); "matchLabelKeys ignored when feature gate
//! disabled" is left out since it does.

use super::*;
use crate::api::selector::LabelSelectorRequirement;
use crate::api::LabelSelector;
use crate::scheduler::plugins::podtopologyspread::common::{
    NodeInclusionPolicy::{self, Honor, Ignore},
    Selector,
};
use crate::scheduler::plugins::podtopologyspread::testing::*;

fn sel(ls: Option<LabelSelector>) -> Selector {
    Selector::from_label_selector(ls.as_ref()).unwrap()
}

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
        selector: sel(ls),
        min_domains: 1,
        node_affinity_policy: aff,
        node_taints_policy: taints,
    }
}

/// A constraint with the default policies.
fn cd(max_skew: i32, key: &str, ls: Option<LabelSelector>) -> Constraint {
    con(max_skew, key, ls, Honor, Ignore)
}

const UNSET: (&str, i64) = ("", MAX_INT32);

/// The expected preFilterState.
struct Want {
    constraints: Vec<Constraint>,
    paths: Vec<[(&'static str, i64); 2]>,
    counts: Vec<Vec<(&'static str, i64)>>,
}

/// stateCmpOpts: critical paths with equal match numbers compare with their values sorted.
fn sorted(p: [(String, i64); 2]) -> [(String, i64); 2] {
    let [mut a, mut b] = p;
    if a.1 == b.1 && a.0 > b.0 {
        std::mem::swap(&mut a.0, &mut b.0);
    }
    [a, b]
}

fn check(name: &str, got: &PreFilterState, want: &Want) {
    assert_eq!(*got.constraints, want.constraints, "{name}: constraints");
    let got_paths: Vec<_> = got
        .critical_paths
        .iter()
        .map(|p| {
            sorted([
                (p.0[0].topology_value.clone(), p.0[0].match_num),
                (p.0[1].topology_value.clone(), p.0[1].match_num),
            ])
        })
        .collect();
    let want_paths: Vec<_> = want
        .paths
        .iter()
        .map(|p| sorted([(p[0].0.to_string(), p[0].1), (p[1].0.to_string(), p[1].1)]))
        .collect();
    assert_eq!(got_paths, want_paths, "{name}: critical paths");
    let want_counts: Vec<BTreeMap<String, i64>> = want
        .counts
        .iter()
        .map(|m| m.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        .collect();
    assert_eq!(got.tp_value_to_match_num, want_counts, "{name}: counts");
}

fn run_pre_filter(
    pl: &PodTopologySpread,
    pod: &Pod,
    snap: &Snapshot,
) -> (Status, CycleState, PodInfo) {
    let info = PodInfo::from_pod(pod.clone());
    let mut cs = CycleState::default();
    let (r, st) = pl.pre_filter(&mut cs, &info, snap);
    assert!(r.is_none());
    (st, cs, info)
}

fn n4() -> Vec<Node> {
    vec![
        zn("node-a", "zone1").obj(),
        zn("node-b", "zone1").obj(),
        zn("node-x", "zone2").obj(),
        zn("node-y", "zone2").obj(),
    ]
}

/// a1, a2 on node-a, b1 on node-b, y1.. on node-y, all foo.
fn pods_2_1_0_n(n_y: usize) -> Vec<Pod> {
    let mut v = vec![
        foo_on("p-a1", "node-a"),
        foo_on("p-a2", "node-a"),
        foo_on("p-b1", "node-b"),
    ];
    for i in 1..=n_y {
        v.push(foo_on(&format!("p-y{i}"), "node-y"));
    }
    v
}

/// Nodes a and b labelled foo="", c labelled bar="" (NodeAffinityPolicy cases).
fn abc_foo_bar() -> Vec<Node> {
    vec![
        node("node-a")
            .label("node", "node-a")
            .label("foo", "")
            .obj(),
        node("node-b")
            .label("node", "node-b")
            .label("foo", "")
            .obj(),
        node("node-c")
            .label("node", "node-c")
            .label("bar", "")
            .obj(),
    ]
}

/// Nodes a, b and a tainted c labelled bar="" (NodeTaintsPolicy cases).
fn abc_tainted() -> Vec<Node> {
    vec![
        node("node-a").label("node", "node-a").obj(),
        node("node-b").label("node", "node-b").obj(),
        node("node-c")
            .label("node", "node-c")
            .unschedulable_taint()
            .label("bar", "")
            .obj(),
    ]
}

/// p-a on a, p-b and p-c on b labelled bar, p-d on c without labels.
fn pods_bar_abbc() -> Vec<Pod> {
    vec![
        pod("p-a").node("node-a").label("bar", "").obj(),
        pod("p-b").node("node-b").label("bar", "").obj(),
        pod("p-c").node("node-b").label("bar", "").obj(),
        pod("p-d").node("node-c").obj(),
    ]
}

fn foo_a_pods(specs: &[(&str, &str)]) -> Vec<Pod> {
    specs
        .iter()
        .map(|(n, node)| pod(n).node(node).label("foo", "a").obj())
        .collect()
}

struct StateCase {
    name: &'static str,
    pod: Pod,
    nodes: Vec<Node>,
    pods: Vec<Pod>,
    objs: Vec<crate::api::ObjectRef>,
    defaults: Vec<TopologySpreadConstraint>,
    /// None: PreFilter returns Skip.
    want: Option<Want>,
}

fn sc_case(
    name: &'static str,
    pod: Pod,
    nodes: Vec<Node>,
    pods: Vec<Pod>,
    want: Option<Want>,
) -> StateCase {
    StateCase {
        name,
        pod,
        nodes,
        pods,
        objs: vec![],
        defaults: vec![],
        want,
    }
}

use crate::api::affinity::TopologySpreadConstraint;

/// filtering_test.go TestPreFilterState.
#[test]
fn pre_filter_state() {
    let p = || pod("p").label("foo", "");
    let foo_bar_and_exists = Some(LabelSelector {
        match_labels: [("bar".to_string(), "a".to_string())].into(),
        match_expressions: vec![LabelSelectorRequirement {
            key: "foo".into(),
            operator: "Exists".into(),
            values: vec![],
        }],
    });
    let zone_node_want = || Want {
        constraints: vec![cd(1, "zone", foo()), cd(1, "node", foo())],
        paths: vec![[("zone1", 3), ("zone2", 4)], [("node-x", 0), ("node-b", 1)]],
        counts: vec![
            vec![("zone1", 3), ("zone2", 4)],
            vec![("node-a", 2), ("node-b", 1), ("node-x", 0), ("node-y", 4)],
        ],
    };
    let cases =
        vec![
        sc_case(
            "clean cluster with one spreadConstraint",
            p().sc(5, "zone", DNS, labels(&[("foo", "bar")])).obj(),
            n4(),
            vec![],
            Some(Want {
                constraints: vec![cd(5, "zone", labels(&[("foo", "bar")]))],
                paths: vec![[("zone1", 0), ("zone2", 0)]],
                counts: vec![vec![("zone1", 0), ("zone2", 0)]],
            }),
        ),
        sc_case(
            "normal case with one spreadConstraint",
            p().sc(1, "zone", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(2),
            Some(Want {
                constraints: vec![cd(1, "zone", foo())],
                paths: vec![[("zone2", 2), ("zone1", 3)]],
                counts: vec![vec![("zone1", 3), ("zone2", 2)]],
            }),
        ),
        sc_case(
            "normal case with null label selector",
            p().sc(1, "zone", DNS, None).obj(),
            n4(),
            pods_2_1_0_n(2),
            Some(Want {
                constraints: vec![cd(1, "zone", None)],
                paths: vec![[("zone2", 0), ("zone1", 0)]],
                counts: vec![vec![("zone1", 0), ("zone2", 0)]],
            }),
        ),
        sc_case(
            "normal case with one spreadConstraint, on a 3-zone cluster",
            p().sc(1, "zone", DNS, foo()).obj(),
            {
                let mut n = n4();
                n.push(zn("node-o", "zone3").obj());
                n.push(zn("node-p", "zone3").obj());
                n
            },
            pods_2_1_0_n(2),
            Some(Want {
                constraints: vec![cd(1, "zone", foo())],
                paths: vec![[("zone3", 0), ("zone2", 2)]],
                counts: vec![vec![("zone1", 3), ("zone2", 2), ("zone3", 0)]],
            }),
        ),
        sc_case(
            "namespace mismatch doesn't count",
            p().sc(1, "zone", DNS, foo()).obj(),
            n4(),
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-a2").ns("ns1").node("node-a").label("foo", "").obj(),
                foo_on("p-b1", "node-b"),
                pod("p-y1").ns("ns2").node("node-y").label("foo", "").obj(),
                foo_on("p-y2", "node-y"),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo())],
                paths: vec![[("zone2", 1), ("zone1", 2)]],
                counts: vec![vec![("zone1", 2), ("zone2", 1)]],
            }),
        ),
        sc_case(
            "normal case with two spreadConstraints",
            p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(4),
            Some(zone_node_want()),
        ),
        sc_case(
            "soft spreadConstraints should be bypassed",
            p().sc(1, "zone", SA, foo())
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", SA, foo())
                .sc(1, "node", DNS, foo())
                .obj(),
            vec![
                zn("node-a", "zone1").obj(),
                zn("node-b", "zone1").obj(),
                zn("node-y", "zone2").obj(),
            ],
            pods_2_1_0_n(4),
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), cd(1, "node", foo())],
                paths: vec![[("zone1", 3), ("zone2", 4)], [("node-b", 1), ("node-a", 2)]],
                counts: vec![
                    vec![("zone1", 3), ("zone2", 4)],
                    vec![("node-a", 2), ("node-b", 1), ("node-y", 4)],
                ],
            }),
        ),
        sc_case(
            "different labelSelectors - simple version",
            p().label("bar", "")
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", DNS, bar())
                .obj(),
            vec![
                zn("node-a", "zone1").obj(),
                zn("node-b", "zone1").obj(),
                zn("node-y", "zone2").obj(),
            ],
            vec![
                foo_on("p-a", "node-a"),
                pod("p-b").node("node-b").label("bar", "").obj(),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), cd(1, "node", bar())],
                paths: vec![[("zone2", 0), ("zone1", 1)], [("node-a", 0), ("node-y", 0)]],
                counts: vec![
                    vec![("zone1", 1), ("zone2", 0)],
                    vec![("node-a", 0), ("node-b", 1), ("node-y", 0)],
                ],
            }),
        ),
        sc_case(
            "different labelSelectors - complex pods",
            p().label("bar", "")
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", DNS, bar())
                .obj(),
            vec![
                zn("node-a", "zone1").obj(),
                zn("node-b", "zone1").obj(),
                zn("node-y", "zone2").obj(),
            ],
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-a2").node("node-a").label("foo", "").label("bar", "").obj(),
                foo_on("p-b1", "node-b"),
                foo_on("p-y1", "node-y"),
                pod("p-y2").node("node-y").label("foo", "").label("bar", "").obj(),
                foo_on("p-y3", "node-y"),
                pod("p-y4").node("node-y").label("foo", "").label("bar", "").obj(),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), cd(1, "node", bar())],
                paths: vec![[("zone1", 3), ("zone2", 4)], [("node-b", 0), ("node-a", 1)]],
                counts: vec![
                    vec![("zone1", 3), ("zone2", 4)],
                    vec![("node-a", 1), ("node-b", 0), ("node-y", 2)],
                ],
            }),
        ),
        sc_case(
            "two spreadConstraints, and with podAffinity",
            p().node_affinity_not_in("node", &["node-x"])
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", DNS, foo())
                .obj(),
            n4(),
            pods_2_1_0_n(4),
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), cd(1, "node", foo())],
                paths: vec![[("zone1", 3), ("zone2", 4)], [("node-b", 1), ("node-a", 2)]],
                counts: vec![
                    vec![("zone1", 3), ("zone2", 4)],
                    vec![("node-a", 2), ("node-b", 1), ("node-y", 4)],
                ],
            }),
        ),
        StateCase {
            name: "default constraints and a service",
            pod: pod("p").label("foo", "bar").label("baz", "kar").obj(),
            nodes: vec![],
            pods: vec![],
            objs: vec![service(&[("foo", "bar")])],
            defaults: vec![dc(3, "node", DNS), dc(2, "node", SA), dc(5, "rack", DNS)],
            want: Some(Want {
                constraints: vec![
                    cd(3, "node", labels(&[("foo", "bar")])),
                    cd(5, "rack", labels(&[("foo", "bar")])),
                ],
                paths: vec![[UNSET, UNSET], [UNSET, UNSET]],
                counts: vec![vec![], vec![]],
            }),
        },
        StateCase {
            name: "default constraints and a service that doesn't match",
            pod: pod("p").label("foo", "bar").obj(),
            nodes: vec![],
            pods: vec![],
            objs: vec![service(&[("baz", "kep")])],
            defaults: vec![dc(3, "node", DNS)],
            want: None,
        },
        StateCase {
            name: "default constraints and a service, but pod has constraints",
            pod: pod("p")
                .label("foo", "bar")
                .label("baz", "tar")
                .sc(1, "zone", DNS, labels(&[("baz", "tar")]))
                .sc(2, "planet", SA, labels(&[("fot", "rok")]))
                .obj(),
            nodes: vec![],
            pods: vec![],
            objs: vec![service(&[("foo", "bar")])],
            defaults: vec![dc(2, "node", DNS)],
            want: Some(Want {
                constraints: vec![cd(1, "zone", labels(&[("baz", "tar")]))],
                paths: vec![[UNSET, UNSET]],
                counts: vec![vec![]],
            }),
        },
        StateCase {
            name: "default soft constraints and a service",
            pod: pod("p").label("foo", "bar").obj(),
            nodes: vec![],
            pods: vec![],
            objs: vec![service(&[("foo", "bar")])],
            defaults: vec![dc(2, "node", SA)],
            want: None,
        },
        sc_case(
            "TpKeyToDomainsNum is calculated when MinDomains is enabled",
            p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(4),
            Some(zone_node_want()),
        ),
        sc_case(
            "feature gate disabled with NodeAffinityPolicy",
            p().node_selector("foo", "").sc(1, "node", DNS, bar()).obj(),
            abc_foo_bar(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![cd(1, "node", bar())],
                paths: vec![[("node-a", 1), ("node-b", 2)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2)]],
            }),
        ),
        sc_case(
            "NodeAffinityPolicy honored with labelSelectors",
            p().node_selector("foo", "").sc(1, "node", DNS, bar()).obj(),
            abc_foo_bar(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![cd(1, "node", bar())],
                paths: vec![[("node-a", 1), ("node-b", 2)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2)]],
            }),
        ),
        sc_case(
            "NodeAffinityPolicy ignored with labelSelectors",
            p().node_selector("foo", "")
                .spread(1, "node", DNS, bar(), None, Some("Ignore"), None, &[])
                .obj(),
            abc_foo_bar(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![con(1, "node", bar(), Ignore, Ignore)],
                paths: vec![[("node-c", 0), ("node-a", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2), ("node-c", 0)]],
            }),
        ),
        sc_case(
            "NodeAffinityPolicy honored with nodeAffinity",
            p().node_affinity_in("foo", &[""])
                .sc(1, "node", DNS, bar())
                .obj(),
            abc_foo_bar(),
            vec![
                pod("p-a").node("node-a").label("bar", "").obj(),
                pod("p-c").node("node-b").label("bar", "").obj(),
                pod("p-d").node("node-b").label("bar", "").obj(),
                pod("p-e").node("node-c").obj(),
            ],
            Some(Want {
                constraints: vec![cd(1, "node", bar())],
                paths: vec![[("node-a", 1), ("node-b", 2)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2)]],
            }),
        ),
        sc_case(
            "NodeAffinityPolicy ignored with nodeAffinity",
            p().node_affinity_in("foo", &[""])
                .spread(1, "node", DNS, bar(), None, Some("Ignore"), None, &[])
                .obj(),
            abc_foo_bar(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![con(1, "node", bar(), Ignore, Ignore)],
                paths: vec![[("node-c", 0), ("node-a", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2), ("node-c", 0)]],
            }),
        ),
        sc_case(
            "feature gate disabled with NodeTaintsPolicy",
            p().sc(1, "node", DNS, bar()).obj(),
            abc_tainted(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![cd(1, "node", bar())],
                paths: vec![[("node-c", 0), ("node-a", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2), ("node-c", 0)]],
            }),
        ),
        sc_case(
            "NodeTaintsPolicy ignored",
            p().sc(1, "node", DNS, bar()).obj(),
            abc_tainted(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![cd(1, "node", bar())],
                paths: vec![[("node-c", 0), ("node-a", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2), ("node-c", 0)]],
            }),
        ),
        sc_case(
            "NodeTaintsPolicy honored",
            p().spread(1, "node", DNS, bar(), None, None, Some("Honor"), &[])
                .obj(),
            abc_tainted(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![con(1, "node", bar(), Honor, Honor)],
                paths: vec![[("node-a", 1), ("node-b", 2)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2)]],
            }),
        ),
        sc_case(
            "NodeTaintsPolicy honored with tolerated taints",
            p().toleration("node.kubernetes.io/unschedulable")
                .spread(1, "node", DNS, bar(), None, None, Some("Honor"), &[])
                .obj(),
            abc_tainted(),
            pods_bar_abbc(),
            Some(Want {
                constraints: vec![con(1, "node", bar(), Honor, Honor)],
                paths: vec![[("node-c", 0), ("node-a", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 2), ("node-c", 0)]],
            }),
        ),
        sc_case(
            "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
            p().node_selector("foo", "")
                .sc(1, "zone", DNS, foo())
                .spread(1, "node", DNS, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            vec![
                zn("node-a", "zone1").label("foo", "").obj(),
                zn("node-b", "zone1").obj(),
                zn("node-x", "zone2").label("foo", "").obj(),
            ],
            vec![
                foo_on("p-b1", "node-b"),
                foo_on("p-b2", "node-b"),
                foo_on("p-x1", "node-x"),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), con(1, "node", foo(), Ignore, Ignore)],
                paths: vec![[("zone1", 0), ("zone2", 1)], [("node-a", 0), ("node-x", 1)]],
                counts: vec![
                    vec![("zone1", 0), ("zone2", 1)],
                    vec![("node-a", 0), ("node-b", 2), ("node-x", 1)],
                ],
            }),
        ),
        sc_case(
            "two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
            p().spread(1, "zone", DNS, foo(), None, None, Some("Honor"), &[])
                .sc(1, "node", DNS, foo())
                .obj(),
            vec![
                zn("node-a", "zone1").label("foo", "").obj(),
                zn("node-b", "zone1").unschedulable_taint().obj(),
                zn("node-x", "zone2").label("foo", "").obj(),
            ],
            vec![
                foo_on("p-b1", "node-b"),
                foo_on("p-b2", "node-b"),
                foo_on("p-x1", "node-x"),
            ],
            Some(Want {
                constraints: vec![con(1, "zone", foo(), Honor, Honor), cd(1, "node", foo())],
                paths: vec![[("zone1", 0), ("zone2", 1)], [("node-a", 0), ("node-x", 1)]],
                counts: vec![
                    vec![("zone1", 0), ("zone2", 1)],
                    vec![("node-a", 0), ("node-b", 2), ("node-x", 1)],
                ],
            }),
        ),
        sc_case(
            "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
            p().node_selector("foo", "")
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", DNS, foo())
                .obj(),
            vec![
                zn("node-a", "zone1").obj(),
                zn("node-b", "zone1")
                    .label("foo", "")
                    .unschedulable_taint()
                    .obj(),
                zn("node-x", "zone2").label("foo", "").obj(),
                zn("node-y", "zone2").obj(),
            ],
            vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a"),
                foo_on("p-x1", "node-x"),
                foo_on("p-y1", "node-y"),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), cd(1, "node", foo())],
                paths: vec![[("zone1", 0), ("zone2", 1)], [("node-b", 0), ("node-x", 1)]],
                counts: vec![
                    vec![("zone1", 0), ("zone2", 1)],
                    vec![("node-b", 0), ("node-x", 1)],
                ],
            }),
        ),
        sc_case(
            "two node inclusion Constraints, zone: ignore/ignore, node: honor/honor",
            p().node_selector("foo", "")
                .spread(1, "zone", DNS, foo(), None, Some("Ignore"), None, &[])
                .spread(1, "node", DNS, foo(), None, None, Some("Honor"), &[])
                .obj(),
            vec![
                zn("node-a", "zone1").obj(),
                zn("node-b", "zone1")
                    .label("foo", "")
                    .unschedulable_taint()
                    .obj(),
                zn("node-x", "zone2").label("foo", "").obj(),
                zn("node-y", "zone2").label("foo", "").obj(),
            ],
            vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a"),
                foo_on("p-x1", "node-x"),
                foo_on("p-x2", "node-x"),
                foo_on("p-y1", "node-y"),
            ],
            Some(Want {
                constraints: vec![
                    con(1, "zone", foo(), Ignore, Ignore),
                    con(1, "node", foo(), Honor, Honor),
                ],
                paths: vec![[("zone1", 2), ("zone2", 3)], [("node-y", 1), ("node-x", 2)]],
                counts: vec![
                    vec![("zone1", 2), ("zone2", 3)],
                    vec![("node-x", 2), ("node-y", 1)],
                ],
            }),
        ),
        sc_case(
            "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
            pod("p")
                .label("foo", "")
                .label("bar", "a")
                .spread(1, "zone", DNS, foo(), None, None, None, &["bar"])
                .obj(),
            n4(),
            vec![
                foo_on("p-a1", "node-a"),
                pod("p-a2").node("node-a").label("foo", "").label("bar", "a").obj(),
                foo_on("p-b1", "node-b"),
                pod("p-y1").node("node-y").label("foo", "").label("bar", "a").obj(),
                pod("p-y2").node("node-y").label("bar", "").obj(),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo_bar_and_exists)],
                paths: vec![[("zone2", 1), ("zone1", 1)]],
                counts: vec![vec![("zone1", 1), ("zone2", 1)]],
            }),
        ),
        sc_case(
            "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
            pod("p")
                .label("foo", "a")
                .spread(1, "zone", DNS, Some(LabelSelector::default()), None, None, None, &["foo"])
                .obj(),
            n4(),
            foo_a_pods(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-y1", "node-y"),
                ("p-y2", "node-y"),
            ]),
            Some(Want {
                constraints: vec![cd(1, "zone", labels(&[("foo", "a")]))],
                paths: vec![[("zone2", 2), ("zone1", 3)]],
                counts: vec![vec![("zone1", 3), ("zone2", 2)]],
            }),
        ),
        sc_case(
            "key in matchLabelKeys is ignored when LabelSelector is nil when feature gate enabled",
            p().spread(1, "zone", DNS, None, None, None, None, &["bar"])
                .obj(),
            n4(),
            foo_a_pods(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-y1", "node-y"),
                ("p-y2", "node-y"),
            ]),
            Some(Want {
                constraints: vec![cd(1, "zone", None)],
                paths: vec![[("zone2", 0), ("zone1", 0)]],
                counts: vec![vec![("zone1", 0), ("zone2", 0)]],
            }),
        ),
        sc_case(
            "no pod is matched when LabelSelector is nil when feature gate disabled",
            p().spread(1, "zone", DNS, None, None, None, None, &["bar"])
                .obj(),
            n4(),
            foo_a_pods(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-y1", "node-y"),
                ("p-y2", "node-y"),
            ]),
            Some(Want {
                constraints: vec![cd(1, "zone", None)],
                paths: vec![[("zone2", 0), ("zone1", 0)]],
                counts: vec![vec![("zone1", 0), ("zone2", 0)]],
            }),
        ),
        sc_case(
            "key in matchLabelKeys is ignored when it isn't exist in pod.labels",
            p().spread(1, "zone", DNS, foo(), None, None, None, &["bar"])
                .obj(),
            n4(),
            foo_a_pods(&[
                ("p-a1", "node-a"),
                ("p-a2", "node-a"),
                ("p-b1", "node-b"),
                ("p-y1", "node-y"),
                ("p-y2", "node-y"),
            ]),
            Some(Want {
                constraints: vec![cd(1, "zone", foo())],
                paths: vec![[("zone2", 2), ("zone1", 3)]],
                counts: vec![vec![("zone1", 3), ("zone2", 2)]],
            }),
        ),
        sc_case(
            "two spreadConstraints with the same topologyKey",
            p().label("bar", "")
                .sc(1, "zone", DNS, foo())
                .sc(1, "zone", DNS, bar())
                .obj(),
            n4(),
            vec![
                pod("p-a1").node("node-a").label("foo", "").label("bar", "").obj(),
                foo_on("p-b1", "node-b"),
                pod("p-x1").node("node-x").label("bar", "").obj(),
                pod("p-y1").node("node-y").label("foo", "").label("bar", "").obj(),
                pod("p-y2").node("node-y").label("bar", "").obj(),
            ],
            Some(Want {
                constraints: vec![cd(1, "zone", foo()), cd(1, "zone", bar())],
                paths: vec![[("zone2", 1), ("zone1", 2)], [("zone1", 1), ("zone2", 3)]],
                counts: vec![
                    vec![("zone1", 2), ("zone2", 1)],
                    vec![("zone1", 1), ("zone2", 3)],
                ],
            }),
        ),
        sc_case(
            "skip if not specified",
            p().obj(),
            vec![zn("node-a", "zone1").obj()],
            vec![],
            None,
        ),
    ];
    for c in cases {
        let snap = snapshot(c.nodes, c.pods, c.objs);
        let pl = list_plugin(c.defaults);
        let (st, cs, _) = run_pre_filter(&pl, &c.pod, &snap);
        match &c.want {
            None => assert!(st.is_skip(), "{}: want Skip, got {st:?}", c.name),
            Some(want) => {
                assert!(st.is_success(), "{}: {st:?}", c.name);
                let got = cs.read::<PreFilterState>(PRE_FILTER_STATE_KEY).unwrap();
                check(c.name, got, want);
            }
        }
    }
}

/// One AddPod or RemovePod case: PreFilter for `preemptor`, then the pod added to or removed
/// from the state as if on `nodes[node_idx]`.
struct UpdateCase {
    name: &'static str,
    preemptor: Pod,
    pod: Pod,
    existing: Vec<Pod>,
    node_idx: usize,
    nodes: Vec<Node>,
    want: Want,
}

fn run_update(c: UpdateCase, add: bool) {
    let snap = snapshot(c.nodes.clone(), c.existing, vec![]);
    let pl = list_plugin(vec![]);
    let (st, mut cs, preemptor) = run_pre_filter(&pl, &c.preemptor, &snap);
    assert!(st.is_success(), "{}: {st:?}", c.name);
    let node = snap.get(&c.nodes[c.node_idx].metadata.name).unwrap();
    let p = PodInfo::from_pod(c.pod);
    let st = if add {
        pl.add_pod(&mut cs, &preemptor, &p, node)
    } else {
        pl.remove_pod(&mut cs, &preemptor, &p, node)
    };
    assert!(st.is_success(), "{}: {st:?}", c.name);
    check(
        c.name,
        cs.read::<PreFilterState>(PRE_FILTER_STATE_KEY).unwrap(),
        &c.want,
    );
}

fn node_c() -> Constraint {
    cd(1, "node", foo())
}

fn zone_c() -> Constraint {
    cd(1, "zone", foo())
}

/// Nodes a (zone1, foo=bar) and b (zone2, foo="") of the NodeInclusionPolicy update cases.
fn ab_affinity_nodes() -> Vec<Node> {
    vec![
        zn("node-a", "zone1").label("foo", "bar").obj(),
        zn("node-b", "zone2").label("foo", "").obj(),
    ]
}

fn zpod(name: &str, node: &str, zone: &str) -> Pod {
    pod(name)
        .node(node)
        .label("foo", "")
        .label("zone", zone)
        .obj()
}

/// filtering_test.go TestPreFilterStateAddPod ("NodeInclusionPolicy disabled" cases give the
/// same state with it on, as upstream expects).
#[test]
fn pre_filter_state_add_pod() {
    let p = || pod("p").label("foo", "");
    let ab = || vec![zn("node-a", "zone1").obj(), zn("node-b", "zone1").obj()];
    let ax = || vec![zn("node-a", "zone1").obj(), zn("node-x", "zone2").obj()];
    let abx = || {
        vec![
            zn("node-a", "zone1").obj(),
            zn("node-b", "zone1").obj(),
            zn("node-x", "zone2").obj(),
        ]
    };
    let tainted_ab = || {
        vec![
            zn("node-a", "zone1").unschedulable_taint().obj(),
            zn("node-b", "zone2").obj(),
        ]
    };
    let cases = vec![
        UpdateCase {
            name: "node a and b both impact current min match",
            preemptor: p().sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![],
            node_idx: 0,
            nodes: ab(),
            want: Want {
                constraints: vec![node_c()],
                paths: vec![[("node-b", 0), ("node-a", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 0)]],
            },
        },
        UpdateCase {
            name: "only node a impacts current min match",
            preemptor: p().sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![foo_on("p-b1", "node-b")],
            node_idx: 0,
            nodes: ab(),
            want: Want {
                constraints: vec![node_c()],
                paths: vec![[("node-a", 1), ("node-b", 1)]],
                counts: vec![vec![("node-a", 1), ("node-b", 1)]],
            },
        },
        UpdateCase {
            name: "add a pod in a different namespace doesn't change topologyKeyToMinPodsMap",
            preemptor: p().sc(1, "node", DNS, foo()).obj(),
            pod: pod("p-a1").ns("ns1").node("node-a").label("foo", "").obj(),
            existing: vec![foo_on("p-b1", "node-b")],
            node_idx: 0,
            nodes: ab(),
            want: Want {
                constraints: vec![node_c()],
                paths: vec![[("node-a", 0), ("node-b", 1)]],
                counts: vec![vec![("node-a", 0), ("node-b", 1)]],
            },
        },
        UpdateCase {
            name: "add pod on non-critical node won't trigger re-calculation",
            preemptor: p().sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-b2", "node-b"),
            existing: vec![foo_on("p-b1", "node-b")],
            node_idx: 1,
            nodes: ab(),
            want: Want {
                constraints: vec![node_c()],
                paths: vec![[("node-a", 0), ("node-b", 2)]],
                counts: vec![vec![("node-a", 0), ("node-b", 2)]],
            },
        },
        UpdateCase {
            name: "node a and x both impact topologyKeyToMinPodsMap on zone and node",
            preemptor: p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![],
            node_idx: 0,
            nodes: ax(),
            want: Want {
                constraints: vec![zone_c(), node_c()],
                paths: vec![[("zone2", 0), ("zone1", 1)], [("node-x", 0), ("node-a", 1)]],
                counts: vec![
                    vec![("zone1", 1), ("zone2", 0)],
                    vec![("node-a", 1), ("node-x", 0)],
                ],
            },
        },
        UpdateCase {
            name: "only node a impacts topologyKeyToMinPodsMap on zone and node",
            preemptor: p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![foo_on("p-x1", "node-x")],
            node_idx: 0,
            nodes: ax(),
            want: Want {
                constraints: vec![zone_c(), node_c()],
                paths: vec![[("zone1", 1), ("zone2", 1)], [("node-a", 1), ("node-x", 1)]],
                counts: vec![
                    vec![("zone1", 1), ("zone2", 1)],
                    vec![("node-a", 1), ("node-x", 1)],
                ],
            },
        },
        UpdateCase {
            name: "node a impacts topologyKeyToMinPodsMap on node, node x impacts topologyKeyToMinPodsMap on zone",
            preemptor: p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![
                foo_on("p-b1", "node-b"),
                foo_on("p-b2", "node-b"),
                foo_on("p-x1", "node-x"),
            ],
            node_idx: 0,
            nodes: abx(),
            want: Want {
                constraints: vec![zone_c(), node_c()],
                paths: vec![[("zone2", 1), ("zone1", 3)], [("node-a", 1), ("node-x", 1)]],
                counts: vec![
                    vec![("zone1", 3), ("zone2", 1)],
                    vec![("node-a", 1), ("node-b", 2), ("node-x", 1)],
                ],
            },
        },
        UpdateCase {
            name: "Constraints hold different labelSelectors, node a impacts topologyKeyToMinPodsMap on zone",
            preemptor: p().label("bar", "").sc(1, "zone", DNS, foo()).sc(1, "node", DNS, bar()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![
                pod("p-b1").node("node-b").label("foo", "").label("bar", "").obj(),
                pod("p-x1").node("node-x").label("foo", "").label("bar", "").obj(),
                pod("p-x2").node("node-x").label("bar", "").obj(),
            ],
            node_idx: 0,
            nodes: abx(),
            want: Want {
                constraints: vec![zone_c(), cd(1, "node", bar())],
                paths: vec![[("zone2", 1), ("zone1", 2)], [("node-a", 0), ("node-b", 1)]],
                counts: vec![
                    vec![("zone1", 2), ("zone2", 1)],
                    vec![("node-a", 0), ("node-b", 1), ("node-x", 2)],
                ],
            },
        },
        UpdateCase {
            name: "Constraints hold different labelSelectors, node a impacts topologyKeyToMinPodsMap on both zone and node",
            preemptor: p().label("bar", "").sc(1, "zone", DNS, foo()).sc(1, "node", DNS, bar()).obj(),
            pod: pod("p-a1").node("node-a").label("foo", "").label("bar", "").obj(),
            existing: vec![
                pod("p-b1").node("node-b").label("bar", "").obj(),
                pod("p-x1").node("node-x").label("foo", "").label("bar", "").obj(),
                pod("p-x2").node("node-x").label("bar", "").obj(),
            ],
            node_idx: 0,
            nodes: abx(),
            want: Want {
                constraints: vec![zone_c(), cd(1, "node", bar())],
                paths: vec![[("zone1", 1), ("zone2", 1)], [("node-a", 1), ("node-b", 1)]],
                counts: vec![
                    vec![("zone1", 1), ("zone2", 1)],
                    vec![("node-a", 1), ("node-b", 1), ("node-x", 2)],
                ],
            },
        },
        UpdateCase {
            name: "add a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy disabled",
            preemptor: p().node_affinity_not_in("foo", &["bar"]).sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-a1", "node-a", "zone1"),
            existing: vec![zpod("p-a2", "node-a", "zone1"), zpod("p-b1", "node-b", "zone2")],
            node_idx: 0,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone2", 1), UNSET]],
                counts: vec![vec![("zone2", 1)]],
            },
        },
        UpdateCase {
            name: "add a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy enabled",
            preemptor: p().node_affinity_not_in("foo", &["bar"]).sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-a1", "node-a", "zone1"),
            existing: vec![zpod("p-a2", "node-a", "zone1"), zpod("p-b1", "node-b", "zone2")],
            node_idx: 0,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone2", 1), UNSET]],
                counts: vec![vec![("zone2", 1)]],
            },
        },
        UpdateCase {
            name: "add a pod when scheduling node affinity matched pod with NodeInclusionPolicy disabled",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-b1", "node-b", "zone2"),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 2)]],
                counts: vec![vec![("zone1", 1), ("zone2", 2)]],
            },
        },
        UpdateCase {
            name: "add a pod when scheduling node affinity matched pod with NodeInclusionPolicy enabled",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-b1", "node-b", "zone2"),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 2)]],
                counts: vec![vec![("zone1", 1), ("zone2", 2)]],
            },
        },
        UpdateCase {
            name: "add a label selector not matched pod when with NodeInclusionPolicy enabled",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: pod("p-b1").node("node-b").label("zone", "zone2").obj(),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 1)]],
                counts: vec![vec![("zone1", 1), ("zone2", 1)]],
            },
        },
        UpdateCase {
            name: "add a pod when scheduling taint untolerated pod with NodeInclusionPolicy disabled",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-b1", "node-b", "zone2"),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: tainted_ab(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 2)]],
                counts: vec![vec![("zone1", 1), ("zone2", 2)]],
            },
        },
        UpdateCase {
            name: "add a pod when scheduling taint tolerated pod with NodeInclusionPolicy enabled",
            preemptor: p()
                .toleration("node.kubernetes.io/unschedulable")
                .sc(1, "zone", DNS, foo())
                .obj(),
            pod: zpod("p-b1", "node-b", "zone2"),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: tainted_ab(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 2)]],
                counts: vec![vec![("zone1", 1), ("zone2", 2)]],
            },
        },
    ];
    for c in cases {
        run_update(c, true);
    }
}

/// filtering_test.go TestPreFilterStateRemovePod. Where upstream leaves deletedPodIdx at 0 the
/// removed pod is existingPods[0], as there.
#[test]
fn pre_filter_state_remove_pod() {
    let p = || pod("p").label("foo", "");
    let abx = || {
        vec![
            zn("node-a", "zone1").obj(),
            zn("node-b", "zone1").obj(),
            zn("node-x", "zone2").obj(),
        ]
    };
    let abxy_pods = || {
        vec![
            foo_on("p-a1", "node-a"),
            foo_on("p-b1", "node-b"),
            foo_on("p-x1", "node-x"),
            foo_on("p-y1", "node-y"),
        ]
    };
    let cases = vec![
        UpdateCase {
            name: "one spreadConstraint on zone, topologyKeyToMinPodsMap unchanged",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-b1", "node-b"),
                foo_on("p-x1", "node-x"),
            ],
            node_idx: 0,
            nodes: abx(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 1)]],
                counts: vec![vec![("zone1", 1), ("zone2", 1)]],
            },
        },
        UpdateCase {
            name: "one spreadConstraint on node, topologyKeyToMinPodsMap changed",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: foo_on("p-a1", "node-a"),
            existing: abxy_pods(),
            node_idx: 0,
            nodes: n4(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 1), ("zone2", 2)]],
                counts: vec![vec![("zone1", 1), ("zone2", 2)]],
            },
        },
        UpdateCase {
            name: "delete an irrelevant pod won't help",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: pod("p-a0").node("node-a").label("bar", "").obj(),
            existing: {
                let mut v = vec![pod("p-a0").node("node-a").label("bar", "").obj()];
                v.extend(abxy_pods());
                v
            },
            node_idx: 0,
            nodes: n4(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 2), ("zone2", 2)]],
                counts: vec![vec![("zone1", 2), ("zone2", 2)]],
            },
        },
        UpdateCase {
            name: "delete a non-existing pod won't help",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: pod("p-a0").node("node-a").label("bar", "").obj(),
            existing: abxy_pods(),
            node_idx: 0,
            nodes: n4(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone1", 2), ("zone2", 2)]],
                counts: vec![vec![("zone1", 2), ("zone2", 2)]],
            },
        },
        UpdateCase {
            name: "two spreadConstraints",
            preemptor: p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            pod: foo_on("p-x1", "node-x"),
            existing: vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-a2", "node-a"),
                foo_on("p-b1", "node-b"),
                foo_on("p-x1", "node-x"),
                foo_on("p-x2", "node-x"),
            ],
            node_idx: 2,
            nodes: abx(),
            want: Want {
                constraints: vec![zone_c(), node_c()],
                paths: vec![[("zone2", 1), ("zone1", 3)], [("node-b", 1), ("node-x", 1)]],
                counts: vec![
                    vec![("zone1", 3), ("zone2", 1)],
                    vec![("node-a", 2), ("node-b", 1), ("node-x", 1)],
                ],
            },
        },
        UpdateCase {
            name: "remove a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy disabled",
            preemptor: p().node_affinity_not_in("foo", &["bar"]).sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-a2", "node-a", "zone1"),
            existing: vec![zpod("p-a2", "node-a", "zone1"), zpod("p-b1", "node-b", "zone2")],
            node_idx: 0,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone2", 1), UNSET]],
                counts: vec![vec![("zone2", 1)]],
            },
        },
        UpdateCase {
            name: "remove a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy enabled",
            preemptor: p().node_affinity_not_in("foo", &["bar"]).sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-a2", "node-a", "zone1"),
            existing: vec![zpod("p-a2", "node-a", "zone1"), zpod("p-b1", "node-b", "zone2")],
            node_idx: 0,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone2", 1), UNSET]],
                counts: vec![vec![("zone2", 1)]],
            },
        },
        UpdateCase {
            name: "remove a pod when scheduling node affinity matched pod with NodeInclusionPolicy disabled",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-a1", "node-a", "zone1"),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone2", 0), ("zone1", 1)]],
                counts: vec![vec![("zone1", 1), ("zone2", 0)]],
            },
        },
        UpdateCase {
            name: "remove a pod when scheduling node affinity matched pod with NodeInclusionPolicy enabled",
            preemptor: p().sc(1, "zone", DNS, foo()).obj(),
            pod: zpod("p-a1", "node-a", "zone1"),
            existing: vec![zpod("p-a1", "node-a", "zone1"), zpod("p-b2", "node-b", "zone2")],
            node_idx: 1,
            nodes: ab_affinity_nodes(),
            want: Want {
                constraints: vec![zone_c()],
                paths: vec![[("zone2", 0), ("zone1", 1)]],
                counts: vec![vec![("zone1", 1), ("zone2", 0)]],
            },
        },
    ];
    for c in cases {
        run_update(c, false);
    }
}

use Code::{Success as S, Unschedulable as U, UnschedulableAndUnresolvable as UU};

/// A Filter case: PreFilter must succeed, then each node's Filter code.
struct FilterCase {
    name: &'static str,
    pod: Pod,
    nodes: Vec<Node>,
    pods: Vec<Pod>,
    want: Vec<Code>,
}

fn fc(
    name: &'static str,
    pod: Pod,
    nodes: Vec<Node>,
    pods: Vec<Pod>,
    want: Vec<Code>,
) -> FilterCase {
    FilterCase {
        name,
        pod,
        nodes,
        pods,
        want,
    }
}

fn run_filter_cases(cases: Vec<FilterCase>) {
    for c in cases {
        let names: Vec<String> = c.nodes.iter().map(|n| n.metadata.name.clone()).collect();
        let snap = snapshot(c.nodes, c.pods, vec![]);
        let pl = list_plugin(vec![]);
        let (st, cs, info) = run_pre_filter(&pl, &c.pod, &snap);
        assert!(
            st.is_success(),
            "{}: preFilter failed with status {st:?}",
            c.name
        );
        for (name, want) in names.iter().zip(&c.want) {
            let got = pl.filter(&cs, &info, snap.get(name).unwrap());
            assert_eq!(got.code, *want, "{}: [{name}]", c.name);
            let reason = match want {
                S => None,
                U => Some(ERR_REASON_CONSTRAINTS_NOT_MATCH),
                _ => Some(ERR_REASON_NODE_LABEL_NOT_MATCH),
            };
            assert_eq!(
                got.reasons.first().map(String::as_str),
                reason,
                "{}: [{name}]",
                c.name
            );
        }
    }
}

/// Nodes a, b, x labelled foo="" and y without (NodeInclusionPolicy filter cases).
fn abxy_foo_but_y() -> Vec<Node> {
    vec![
        node("node-a")
            .label("node", "node-a")
            .label("foo", "")
            .obj(),
        node("node-b")
            .label("node", "node-b")
            .label("foo", "")
            .obj(),
        node("node-x")
            .label("node", "node-x")
            .label("foo", "")
            .obj(),
        node("node-y").label("node", "node-y").obj(),
    ]
}

fn abxy_foo_y_tainted() -> Vec<Node> {
    vec![
        node("node-a")
            .label("node", "node-a")
            .label("foo", "")
            .obj(),
        node("node-b")
            .label("node", "node-b")
            .label("foo", "")
            .obj(),
        node("node-x")
            .label("node", "node-x")
            .label("foo", "")
            .obj(),
        node("node-y")
            .label("node", "node-y")
            .unschedulable_taint()
            .obj(),
    ]
}

fn pods_1_1_0_1() -> Vec<Pod> {
    vec![
        foo_on("p-b1", "node-a"),
        foo_on("p-b2", "node-b"),
        foo_on("p-y1", "node-y"),
    ]
}

fn abc_node_only() -> Vec<Node> {
    ["node-a", "node-b", "node-c"]
        .iter()
        .map(|n| node(n).label("node", n).obj())
        .collect()
}

fn pods_2_2_1() -> Vec<Pod> {
    vec![
        foo_on("p-a1", "node-a"),
        foo_on("p-a2", "node-a"),
        foo_on("p-b1", "node-b"),
        foo_on("p-b2", "node-b"),
        foo_on("p-c1", "node-c"),
    ]
}

/// filtering_test.go TestSingleConstraint.
#[test]
fn single_constraint() {
    let p = || pod("p").label("foo", "");
    let cases = vec![
        fc("no existing pods", p().sc(1, "zone", DNS, foo()).obj(), n4(), vec![], vec![S, S, S, S]),
        fc(
            "no existing pods, incoming pod doesn't match itself",
            p().sc(1, "zone", DNS, bar()).obj(),
            n4(),
            vec![],
            vec![S, S, S, S],
        ),
        fc(
            "existing pods in a different namespace do not count",
            p().sc(1, "zone", DNS, foo()).obj(),
            n4(),
            vec![
                pod("p-a1").ns("ns1").node("node-a").label("foo", "").obj(),
                pod("p-b1").ns("ns2").node("node-a").label("foo", "").obj(),
                foo_on("p-x1", "node-x"),
                foo_on("p-y1", "node-y"),
            ],
            vec![S, S, U, U],
        ),
        fc(
            "existing pods do not match null selector",
            p().sc(1, "zone", DNS, None).obj(),
            n4(),
            vec![foo_on("p-x1", "node-x"), foo_on("p-y1", "node-y")],
            vec![S, S, S, S],
        ),
        fc(
            "pods spread across zones as 3/3, all nodes fit",
            p().sc(1, "zone", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(3),
            vec![S, S, S, S],
        ),
        fc(
            "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
            p().sc(1, "zone", DNS, foo()).obj(),
            vec![
                zn("node-a", "zone1").obj(),
                node("node-b").label("zon", "zone1").label("node", "node-b").obj(),
                zn("node-x", "zone2").obj(),
                zn("node-y", "zone2").obj(),
            ],
            vec![
                foo_on("p-a1", "node-a"),
                foo_on("p-b1", "node-b"),
                foo_on("p-x1", "node-x"),
                foo_on("p-y1", "node-y"),
            ],
            vec![S, UU, U, U],
        ),
        fc(
            "pod cannot be scheduled as all nodes don't have label 'rack'",
            p().sc(1, "rack", DNS, foo()).obj(),
            vec![zn("node-a", "zone1").obj(), zn("node-x", "zone2").obj()],
            vec![],
            vec![UU, UU],
        ),
        fc(
            "pods spread across nodes as 2/1/0/3, only node-x fits",
            p().sc(1, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(3),
            vec![U, U, S, U],
        ),
        fc(
            "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
            p().sc(2, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(3),
            vec![U, S, S, U],
        ),
        fc(
            "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
            pod("p").label("bar", "").sc(1, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(3),
            vec![U, S, S, U],
        ),
        fc(
            "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
            p().node_affinity_in("node", &["node-a", "node-y"])
                .sc(1, "node", DNS, foo())
                .obj(),
            n4(),
            pods_2_1_0_n(3),
            vec![S, S, S, U],
        ),
        fc(
            "terminating Pods should be excluded",
            p().sc(1, "node", DNS, foo()).obj(),
            vec![
                node("node-a").label("node", "node-a").obj(),
                node("node-b").label("node", "node-b").obj(),
            ],
            vec![
                pod("p-a").node("node-a").label("foo", "").terminating().obj(),
                foo_on("p-b", "node-b"),
            ],
            vec![S, U],
        ),
        fc(
            "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
            p().node_affinity_not_in("node", &["node-b"])
                .sc(1, "zone", DNS, foo())
                .obj(),
            n4(),
            vec![
                foo_on("p-b1", "node-b"),
                foo_on("p-b2", "node-b"),
                foo_on("p-y1", "node-y"),
            ],
            vec![S, S, U, U],
        ),
        fc(
            "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third node fits",
            p().spread(2, "node", DNS, foo(), Some(4), None, None, &[]).obj(),
            abc_node_only(),
            pods_2_2_1(),
            vec![U, U, S],
        ),
        fc(
            "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all nodes fit",
            p().spread(2, "node", DNS, foo(), Some(2), None, None, &[]).obj(),
            abc_node_only(),
            pods_2_2_1(),
            vec![S, S, S],
        ),
        fc(
            "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, then the third and fourth nodes fit",
            p().spread(2, "zone", DNS, foo(), Some(3), None, None, &[]).obj(),
            n4(),
            vec![
                foo_on("p-b1", "node-a"),
                foo_on("p-b2", "node-b"),
                foo_on("p-y1", "node-y"),
            ],
            vec![U, U, S, S],
        ),
        fc(
            "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit",
            p().spread(2, "zone", DNS, foo(), Some(1), None, None, &[]).obj(),
            n4(),
            vec![
                foo_on("p-b1", "node-a"),
                foo_on("p-b2", "node-b"),
                foo_on("p-y1", "node-y"),
            ],
            vec![S, S, S, S],
        ),
        fc(
            "NodeAffinityPolicy honored with labelSelectors",
            p().node_selector("foo", "").sc(1, "node", DNS, foo()).obj(),
            abxy_foo_but_y(),
            pods_1_1_0_1(),
            vec![U, U, S, S],
        ),
        fc(
            "NodeAffinityPolicy ignored with labelSelectors",
            p().node_selector("foo", "")
                .spread(1, "node", DNS, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            abxy_foo_but_y(),
            pods_1_1_0_1(),
            vec![U, U, S, U],
        ),
        fc(
            "NodeAffinityPolicy honored with nodeAffinity",
            p().node_affinity_in("foo", &[""])
                .sc(1, "node", DNS, foo())
                .obj(),
            abxy_foo_but_y(),
            pods_1_1_0_1(),
            vec![U, U, S, S],
        ),
        fc(
            "NodeAffinityPolicy ignored with labelSelectors",
            p().node_affinity_in("foo", &[""])
                .spread(1, "node", DNS, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            abxy_foo_but_y(),
            pods_1_1_0_1(),
            vec![U, U, S, U],
        ),
        fc(
            "NodeTaintsPolicy honored",
            p().spread(1, "node", DNS, foo(), None, None, Some("Honor"), &[])
                .obj(),
            abxy_foo_y_tainted(),
            pods_1_1_0_1(),
            vec![U, U, S, S],
        ),
        fc(
            "NodeTaintsPolicy ignored",
            p().sc(1, "node", DNS, foo()).obj(),
            abxy_foo_y_tainted(),
            pods_1_1_0_1(),
            vec![U, U, S, U],
        ),
    ];
    run_filter_cases(cases);
}

/// filtering_test.go TestMultipleConstraints.
#[test]
fn multiple_constraints() {
    let p = || pod("p").label("foo", "");
    let pfb = || pod("p").label("foo", "").label("bar", "");
    let fb = |name: &str, node: &str| pod(name).node(node).label("foo", "").label("bar", "").obj();
    let b = |name: &str, node: &str| pod(name).node(node).label("bar", "").obj();
    let incl_nodes = || {
        vec![
            zn("node-a", "zone1").label("foo", "").obj(),
            zn("node-b", "zone1").obj(),
            zn("node-x", "zone2").label("foo", "").obj(),
            zn("node-y", "zone2")
                .label("foo", "")
                .unschedulable_taint()
                .obj(),
        ]
    };
    let abz_pods = || {
        vec![
            foo_on("p-a1", "node-a"),
            foo_on("p-b1", "node-b"),
            foo_on("p-y1", "node-y"),
        ]
    };
    let cases = vec![
        fc(
            "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
            p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(3),
            vec![U, U, S, U],
        ),
        fc(
            "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
            p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            n4(),
            pods_2_1_0_n(4),
            vec![U, U, U, U],
        ),
        fc(
            "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
            pfb().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, bar()).obj(),
            n4(),
            vec![foo_on("p-a1", "node-a"), b("p-y1", "node-y")],
            vec![U, U, S, U],
        ),
        fc(
            "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
            pfb().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, bar()).obj(),
            n4(),
            vec![
                foo_on("p-a1", "node-a"),
                b("p-x1", "node-x"),
                b("p-y1", "node-y"),
            ],
            vec![U, U, U, U],
        ),
        fc(
            "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
            pfb().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, bar()).obj(),
            n4(),
            vec![
                foo_on("p-a1", "node-a"),
                fb("p-a2", "node-a"),
                foo_on("p-y1", "node-y"),
                fb("p-y2", "node-y"),
                foo_on("p-y3", "node-y"),
            ],
            vec![U, S, U, U],
        ),
        fc(
            "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
            pod("p")
                .label("bar", "")
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", DNS, bar())
                .obj(),
            n4(),
            vec![
                foo_on("p-a1", "node-a"),
                b("p-x1", "node-x"),
                b("p-y1", "node-y"),
            ],
            vec![S, S, U, U],
        ),
        fc(
            "two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]",
            p().sc(1, "zone", DNS, foo()).sc(1, "node", DNS, foo()).obj(),
            vec![
                zn("node-a", "zone1").obj(),
                zn("node-b", "zone1").obj(),
                node("node-x").label("zone", "zone2").obj(),
                zn("node-y", "zone2").obj(),
            ],
            vec![foo_on("p-a1", "node-a"), foo_on("p-y3", "node-y")],
            vec![U, S, UU, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
            p().node_selector("foo", "")
                .sc(1, "zone", DNS, foo())
                .spread(1, "node", DNS, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            vec![
                zn("node-a", "zone1").label("foo", "").obj(),
                zn("node-b", "zone1").label("foo", "").obj(),
                zn("node-x", "zone2").label("foo", "").obj(),
                zn("node-y", "zone2").obj(),
            ],
            abz_pods(),
            vec![U, U, S, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/honor, node: honor/ignore",
            p().spread(1, "zone", DNS, foo(), None, None, Some("Honor"), &[])
                .sc(1, "node", DNS, foo())
                .obj(),
            vec![
                zn("node-a", "zone1").label("foo", "").obj(),
                zn("node-b", "zone1").label("foo", "").obj(),
                zn("node-x", "zone2").label("foo", "").obj(),
                zn("node-y", "zone2").unschedulable_taint().obj(),
            ],
            abz_pods(),
            vec![U, U, S, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
            p().node_selector("foo", "")
                .sc(1, "zone", DNS, foo())
                .sc(1, "node", DNS, foo())
                .obj(),
            incl_nodes(),
            abz_pods(),
            vec![U, S, S, U],
        ),
        fc(
            "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
            p().node_selector("foo", "")
                .spread(1, "zone", DNS, foo(), None, None, Some("Honor"), &[])
                .spread(1, "node", DNS, foo(), None, Some("Ignore"), None, &[])
                .obj(),
            incl_nodes(),
            abz_pods(),
            vec![U, U, S, U],
        ),
        fc(
            "two Constraints on zone, spreads = [3/3, 2/1]",
            pfb().sc(1, "zone", DNS, bar()).sc(1, "zone", DNS, foo()).obj(),
            n4(),
            vec![
                fb("p-a1", "node-a"),
                foo_on("p-a2", "node-a"),
                fb("p-b1", "node-b"),
                foo_on("p-y1", "node-y"),
                fb("p-y2", "node-y"),
                foo_on("p-y3", "node-y"),
            ],
            vec![U, U, S, S],
        ),
        fc(
            "two Constraints on zone, spreads = [3/4, 2/1]",
            pfb().sc(1, "zone", DNS, bar()).sc(1, "zone", DNS, foo()).obj(),
            n4(),
            vec![
                fb("p-a1", "node-a"),
                foo_on("p-a2", "node-a"),
                fb("p-b1", "node-b"),
                foo_on("p-y1", "node-y"),
                fb("p-y2", "node-y"),
                foo_on("p-y3", "node-y"),
                foo_on("p-y4", "node-y"),
            ],
            vec![U, U, U, U],
        ),
    ];
    run_filter_cases(cases);
}

/// filtering_test.go TestPreFilterDisabled: Filter without PreFilter state is an error.
#[test]
fn pre_filter_disabled() {
    let pl = list_plugin(vec![]);
    let info = PodInfo::from_pod(Pod::default());
    let st = pl.filter(
        &CycleState::default(),
        &info,
        &NodeInfo::new(Node::default()),
    );
    assert_eq!(st.code, Code::Error);
    assert_eq!(
        st.reasons,
        ["reading \"PreFilterPodTopologySpread\" from cycleState: not found"]
    );
}

#[test]
fn critical_paths_update_keeps_the_minimum_first() {
    let mut p = CriticalPaths::default();
    p.update("a", 3);
    p.update("b", 1);
    p.update("c", 2);
    assert_eq!(
        (
            p.0[0].topology_value.as_str(),
            p.0[0].match_num,
            p.0[1].topology_value.as_str(),
            p.0[1].match_num
        ),
        ("b", 1, "c", 2)
    );
    p.update("b", 4);
    assert_eq!((p.0[0].match_num, p.0[1].match_num), (2, 4));
}

#[test]
fn invalid_selector_is_a_pre_filter_error() {
    let mut bad = foo().unwrap();
    bad.match_expressions[0].operator = "Near".into();
    let p = pod("p").sc(1, "zone", DNS, Some(bad)).obj();
    let snap = snapshot(n4(), vec![], vec![]);
    let (st, _, _) = run_pre_filter(&list_plugin(vec![]), &p, &snap);
    assert_eq!(st.code, Code::Error);
    assert_eq!(
        st.reasons,
        ["get constraints from pod: obtaining pod's hard topology spread constraints: \"Near\" is not a valid label selector operator"]
    );
}

/// Default constraints take the selector of the owning ReplicaSet (helper.DefaultSelector).
#[test]
fn default_hard_constraints_use_the_owner_replica_set_selector() {
    let p = pod("p").label("app", "web").owner_rs("rs1").obj();
    let snap = snapshot(
        n4(),
        vec![
            pod("w1").node("node-a").label("app", "web").obj(),
            pod("w2").node("node-a").label("app", "web").obj(),
        ],
        vec![replica_set("rs1", labels(&[("app", "web")]))],
    );
    let pl = list_plugin(vec![dc(1, "zone", DNS)]);
    let (st, cs, info) = run_pre_filter(&pl, &p, &snap);
    assert!(st.is_success(), "{st:?}");
    let got: Vec<Code> = ["node-a", "node-x"]
        .iter()
        .map(|n| pl.filter(&cs, &info, snap.get(n).unwrap()).code)
        .collect();
    assert_eq!(got, [U, S]);
    // Another owner name: no selector, no constraint.
    let other = pod("p").label("app", "web").owner_rs("rs2").obj();
    let (st, _, _) = run_pre_filter(&pl, &other, &snap);
    assert!(st.is_skip());
}
