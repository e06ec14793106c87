//! Cases transcribed from scoring_test.go.

use super::testutil::*;
use super::*;
use crate::api::affinity::{Affinity, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm};
use crate::api::{Node, Pod};
use crate::scheduler::framework::{CycleState, NodeInfo, PodInfo, MAX_NODE_SCORE};

/// Runs PreScore; on Success scores `nodes` in order and normalizes. None: PreScore skipped.
fn run(pl: &InterPodAffinity, pod: &Pod, pods: &[Pod], nodes: &[Node]) -> Option<Vec<i64>> {
    let snap = snapshot(pods, nodes);
    let info = PodInfo::from_pod(pod.clone());
    let infos: Vec<&NodeInfo> = nodes
        .iter()
        .map(|n| snap.get(&n.metadata.name).unwrap())
        .collect();
    let mut state = CycleState::default();
    let st = pl.pre_score(&mut state, &info, &infos, &snap);
    if st.is_skip() {
        return None;
    }
    assert!(st.is_success(), "{st:?}");
    let mut scores: Vec<i64> = infos
        .iter()
        .map(|n| pl.score(&state, &info, n, &snap))
        .collect();
    pl.normalize(&state, &info, &infos, &mut scores);
    Some(scores)
}

fn preferred(
    affinity: Vec<WeightedPodAffinityTerm>,
    anti: Vec<WeightedPodAffinityTerm>,
) -> Affinity {
    let wrap = |p: Vec<WeightedPodAffinityTerm>| {
        (!p.is_empty()).then(|| PodAffinity {
            required: vec![],
            preferred: p,
        })
    };
    Affinity {
        node_affinity: None,
        pod_affinity: wrap(affinity),
        pod_anti_affinity: wrap(anti),
    }
}

fn pod(node_name: &str, l: &[(&str, &str)], a: Option<&Affinity>) -> Pod {
    let p = make_pod().node(node_name).labels(l);
    match a {
        Some(a) => p.affinity(a.clone()),
        None => p,
    }
    .obj()
}

const MAX: i64 = MAX_NODE_SCORE;

/// (name, pod, existing pods, nodes, ignorePreferredTermsOfExistingPods, normalized scores or
/// None for a PreScore Skip).
type Case = (
    &'static str,
    Pod,
    Vec<Pod>,
    Vec<Node>,
    bool,
    Option<Vec<i64>>,
);

/// scoring_test.go TestPreferredAffinity. The two "invalid (Anti)Affinity fails PreScore" cases
/// are left out: kubesim does not parse label values. The namespaces labelled `team: team1`
/// upstream are selected by name.
#[test]
fn preferred_affinity() {
    let china = [("region", "China")];
    let india = [("region", "India")];
    let az1 = [("az", "az1")];
    let az2 = [("az", "az2")];
    let china_az1 = [("region", "China"), ("az", "az1")];
    let s1 = [("security", "S1")];
    let s2 = [("security", "S2")];
    let in_s = |v: &str, tk: &str| term(vec![req("security", "In", &[v])], tk);
    let stay_with_s1_in_region = preferred(vec![weighted(5, in_s("S1", "region"))], vec![]);
    let stay_with_s2_in_region = preferred(vec![weighted(6, in_s("S2", "region"))], vec![]);
    let affinity3 = preferred(
        vec![
            weighted(
                8,
                term(
                    vec![
                        req("security", "NotIn", &["S1"]),
                        req("security", "In", &["S2"]),
                    ],
                    "region",
                ),
            ),
            weighted(
                2,
                term(
                    vec![
                        req("security", "Exists", &[]),
                        req("wrongkey", "DoesNotExist", &[]),
                    ],
                    "region",
                ),
            ),
        ],
        vec![],
    );
    let hard_affinity = Affinity {
        node_affinity: None,
        pod_affinity: Some(PodAffinity {
            required: vec![
                term(vec![req("security", "In", &["S1", "value2"])], "region"),
                term(
                    vec![
                        req("security", "Exists", &[]),
                        req("wrongkey", "DoesNotExist", &[]),
                    ],
                    "region",
                ),
            ],
            preferred: vec![],
        }),
        pod_anti_affinity: None,
    };
    let away_from_s1_in_az = preferred(vec![], vec![weighted(5, in_s("S1", "az"))]);
    let away_from_s2_in_az = preferred(vec![], vec![weighted(5, in_s("S2", "az"))]);
    let stay_with_s1_in_region_away_from_s2_in_az = preferred(
        vec![weighted(8, in_s("S1", "region"))],
        vec![weighted(5, in_s("S2", "az"))],
    );
    let ns_term = || PodAffinityTerm {
        namespaces: vec!["subteam2.team2".into()],
        namespace_selector: Some(team1_selector()),
        ..in_s("S1", "region")
    };
    let affinity_namespace_selector = preferred(vec![weighted(5, ns_term())], vec![]);
    let anti_affinity_namespace_selector = preferred(vec![], vec![weighted(5, ns_term())]);
    let in_ns =
        |ns: &str, node_name: &str| make_pod().namespace(ns).node(node_name).labels(&s1).obj();
    let three = |a: &[(&str, &str)], b: &[(&str, &str)], c: &[(&str, &str)]| {
        vec![node("node1", a), node("node2", b), node("node3", c)]
    };
    let cases: Vec<Case> = vec![
        (
            "all nodes are same priority as Affinity is nil",
            pod("", &s1, None),
            vec![],
            three(&china, &india, &az1),
            false,
            None,
        ),
        (
            "Affinity: pod that matches topology key & pods in nodes will get high score comparing to otherswhich doesn't match either pods in nodes or in topology key",
            pod("", &s1, Some(&stay_with_s1_in_region)),
            vec![pod("node1", &s1, None), pod("node2", &s2, None), pod("node3", &s1, None)],
            three(&china, &india, &az1),
            false,
            Some(vec![MAX, 0, 0]),
        ),
        (
            "All the nodes that have the same topology key & label value with one of them has an existing pod that match the affinity rules, have the same score",
            pod("", &[], Some(&stay_with_s1_in_region)),
            vec![pod("node1", &s1, None)],
            three(&china, &china_az1, &india),
            false,
            Some(vec![MAX, MAX, 0]),
        ),
        (
            "Affinity: nodes in one region has more matching pods comparing to other region, so the region which has more matches will get high score",
            pod("", &s1, Some(&stay_with_s2_in_region)),
            vec![
                pod("node1", &s2, None), pod("node1", &s2, None), pod("node2", &s2, None),
                pod("node3", &s2, None), pod("node4", &s2, None), pod("node5", &s2, None),
            ],
            vec![node("node1", &china), node("node2", &india), node("node3", &china), node("node4", &china), node("node5", &india)],
            false,
            Some(vec![MAX, 0, MAX, MAX, 0]),
        ),
        (
            "Affinity: different Label operators and values for pod affinity scheduling preference, including some match failures ",
            pod("", &s1, Some(&affinity3)),
            vec![pod("node1", &s1, None), pod("node2", &s2, None), pod("node3", &s1, None)],
            three(&china, &india, &az1),
            false,
            Some(vec![20, MAX, 0]),
        ),
        (
            "Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
            pod("", &s2, None),
            vec![pod("node1", &s1, Some(&stay_with_s1_in_region)), pod("node2", &s2, Some(&stay_with_s2_in_region))],
            three(&china, &india, &az1),
            false,
            Some(vec![0, MAX, 0]),
        ),
        (
            "Affinity symmetry with namespace selector",
            make_pod().namespace("subteam1.team1").labels(&s1).obj(),
            vec![pod("node1", &s1, Some(&affinity_namespace_selector)), pod("node2", &s2, Some(&stay_with_s2_in_region))],
            three(&china, &india, &az1),
            false,
            Some(vec![MAX, 0, 0]),
        ),
        (
            "AntiAffinity symmetry with namespace selector",
            make_pod().namespace("subteam1.team1").labels(&s1).obj(),
            vec![pod("node1", &s1, Some(&anti_affinity_namespace_selector)), pod("node2", &s2, Some(&stay_with_s2_in_region))],
            three(&china, &india, &az1),
            false,
            Some(vec![0, MAX, MAX]),
        ),
        (
            "Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
            pod("", &s1, None),
            vec![pod("node1", &s1, Some(&hard_affinity)), pod("node2", &s2, Some(&hard_affinity))],
            three(&china, &india, &az1),
            false,
            Some(vec![MAX, MAX, 0]),
        ),
        (
            "Anti Affinity: pod that does not match existing pods in node will get high score ",
            pod("", &s1, Some(&away_from_s1_in_az)),
            vec![pod("node1", &s1, None), pod("node2", &s2, None)],
            vec![node("node1", &az1), node("node2", &china)],
            false,
            Some(vec![0, MAX]),
        ),
        (
            "Anti Affinity: pod that does not match topology key & match the pods in nodes will get higher score comparing to others ",
            pod("", &s1, Some(&away_from_s1_in_az)),
            vec![pod("node1", &s1, None), pod("node2", &s1, None)],
            vec![node("node1", &az1), node("node2", &china)],
            false,
            Some(vec![0, MAX]),
        ),
        (
            "Anti Affinity: one node has more matching pods comparing to other node, so the node which has more unmatches will get high score",
            pod("", &s1, Some(&away_from_s1_in_az)),
            vec![pod("node1", &s1, None), pod("node1", &s1, None), pod("node2", &s2, None)],
            vec![node("node1", &az1), node("node2", &india)],
            false,
            Some(vec![0, MAX]),
        ),
        (
            "Anti Affinity symmetry: the existing pods in node which has anti affinity match will get high score",
            pod("", &s2, None),
            vec![pod("node1", &s1, Some(&away_from_s2_in_az)), pod("node2", &s2, Some(&away_from_s1_in_az))],
            vec![node("node1", &az1), node("node2", &az2)],
            false,
            Some(vec![0, MAX]),
        ),
        (
            "Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity",
            pod("", &s1, Some(&stay_with_s1_in_region_away_from_s2_in_az)),
            vec![pod("node1", &s1, None), pod("node2", &s1, None)],
            vec![node("node1", &china), node("node2", &az1)],
            false,
            Some(vec![MAX, 0]),
        ),
        (
            "Affinity and Anti Affinity: considering both affinity and anti-affinity, the pod to schedule and existing pods have the same labels",
            pod("", &s1, Some(&stay_with_s1_in_region_away_from_s2_in_az)),
            vec![
                pod("node1", &s1, None), pod("node1", &s1, None), pod("node2", &s1, None),
                pod("node3", &s1, None), pod("node3", &s1, None), pod("node4", &s1, None),
                pod("node5", &s1, None),
            ],
            vec![node("node1", &china_az1), node("node2", &india), node("node3", &china), node("node4", &china), node("node5", &india)],
            false,
            Some(vec![MAX, 0, MAX, MAX, 0]),
        ),
        (
            "Affinity and Anti Affinity and symmetry: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity & symmetry",
            pod("", &s1, Some(&stay_with_s1_in_region_away_from_s2_in_az)),
            vec![
                pod("node1", &s1, None), pod("node2", &s2, None),
                pod("node3", &[], Some(&stay_with_s1_in_region_away_from_s2_in_az)),
                pod("node4", &[], Some(&away_from_s1_in_az)),
            ],
            vec![node("node1", &china), node("node2", &az1), node("node3", &india), node("node4", &az2)],
            false,
            Some(vec![MAX, 0, MAX, 0]),
        ),
        (
            "Avoid panic when partial nodes in a topology don't have pods with affinity",
            pod("", &s1, None),
            vec![pod("node1", &s1, None), pod("node2", &[], Some(&stay_with_s1_in_region_away_from_s2_in_az))],
            vec![node("node1", &china), node("node2", &china)],
            false,
            Some(vec![0, 0]),
        ),
        (
            "Affinity with pods matching NamespaceSelector",
            make_pod().namespace("subteam1.team1").labels(&s1).affinity(affinity_namespace_selector.clone()).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam1.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![node("node1", &china), node("node2", &india)],
            false,
            Some(vec![MAX, 0]),
        ),
        (
            "Affinity with pods matching both NamespaceSelector and Namespaces fields",
            make_pod().namespace("subteam1.team1").labels(&s1).affinity(affinity_namespace_selector.clone()).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam2.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![node("node1", &china), node("node2", &india)],
            false,
            Some(vec![MAX, 0]),
        ),
        (
            "Affinity with pods matching NamespaceSelector",
            make_pod().namespace("subteam1.team1").labels(&s1).affinity(anti_affinity_namespace_selector.clone()).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam1.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![node("node1", &china), node("node2", &india)],
            false,
            Some(vec![0, MAX]),
        ),
        (
            "Affinity with pods matching both NamespaceSelector and Namespaces fields",
            make_pod().namespace("subteam1.team1").labels(&s1).affinity(anti_affinity_namespace_selector.clone()).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam2.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![node("node1", &china), node("node2", &india)],
            false,
            Some(vec![0, MAX]),
        ),
        (
            "Ignore preferred terms of existing pods",
            pod("", &s2, None),
            vec![pod("node1", &s1, Some(&stay_with_s1_in_region_away_from_s2_in_az)), pod("node2", &s2, Some(&stay_with_s2_in_region))],
            vec![node("node1", &china), node("node2", &india)],
            true,
            None,
        ),
        (
            "Do not ignore preferred terms of existing pods",
            pod("", &s2, None),
            vec![pod("node1", &s1, Some(&stay_with_s1_in_region_away_from_s2_in_az)), pod("node2", &s2, Some(&stay_with_s2_in_region))],
            vec![node("node1", &china), node("node2", &india)],
            false,
            Some(vec![0, MAX]),
        ),
        ("No nodes to score", pod("", &s2, None), vec![], vec![], false, None),
    ];
    for (name, incoming, pods, nodes, ignore, want) in cases {
        let pl = InterPodAffinity {
            args: InterPodAffinityArgs {
                hard_pod_affinity_weight: 1,
                ignore_preferred_terms_of_existing_pods: ignore,
            },
        };
        assert_eq!(run(&pl, &incoming, &pods, &nodes), want, "{name}");
    }
}

/// scoring_test.go TestPreferredAffinityWithHardPodAffinitySymmetricWeight.
#[test]
fn preferred_affinity_with_hard_pod_affinity_symmetric_weight() {
    let service_s1 = [("service", "S1")];
    let hard_pod_affinity = Affinity {
        node_affinity: None,
        pod_affinity: Some(PodAffinity {
            required: vec![PodAffinityTerm {
                namespaces: vec!["".into(), "subteam2.team2".into()],
                namespace_selector: Some(team1_selector()),
                ..term(vec![req("service", "In", &["S1"])], "region")
            }],
            preferred: vec![],
        }),
        pod_anti_affinity: None,
    };
    let pods = vec![
        make_pod()
            .node("node1")
            .affinity(hard_pod_affinity.clone())
            .obj(),
        make_pod()
            .node("node2")
            .affinity(hard_pod_affinity.clone())
            .obj(),
    ];
    let nodes = vec![
        node("node1", &[("region", "China")]),
        node("node2", &[("region", "India")]),
        node("node3", &[("az", "az1")]),
    ];
    let cases: Vec<(&str, &str, i32, Option<Vec<i64>>)> = vec![
        (
            "with default weight",
            "",
            DEFAULT_HARD_POD_AFFINITY_WEIGHT,
            Some(vec![MAX, MAX, 0]),
        ),
        ("with zero weight", "", 0, None),
        ("with no matching namespace", "subteam1.team2", 1, None),
        (
            "with matching NamespaceSelector",
            "subteam1.team1",
            1,
            Some(vec![MAX, MAX, 0]),
        ),
        (
            "with matching Namespaces",
            "subteam2.team2",
            1,
            Some(vec![MAX, MAX, 0]),
        ),
    ];
    for (name, ns, weight, want) in cases {
        let pl = InterPodAffinity {
            args: InterPodAffinityArgs {
                hard_pod_affinity_weight: weight,
                ignore_preferred_terms_of_existing_pods: false,
            },
        };
        let incoming = make_pod().namespace(ns).labels(&service_s1).obj();
        assert_eq!(run(&pl, &incoming, &pods, &nodes), want, "{name}");
    }
}

/// NormalizeScore keeps Go's float64 arithmetic: 100 x ((s - min) / (max - min)), truncated.
#[test]
fn normalize_truncates_like_go() {
    let pl = InterPodAffinity::default();
    let mut state = CycleState::default();
    let mut m = scoring::ScoreMap::new();
    m.entry("k".into()).or_default().insert("v".into(), 1);
    state.write(
        scoring::PRE_SCORE_STATE_KEY,
        scoring::PreScoreState { topology_score: m },
    );
    let info = PodInfo::from_pod(Pod::default());
    let mut scores = vec![-5, 8, 0, 3, -5];
    pl.normalize(&state, &info, &[], &mut scores);
    // 100 * (5/13) = 38.46..., 100 * (8/13) = 61.53...
    assert_eq!(scores, vec![0, 100, 38, 61, 0]);
}

/// With ignorePreferredTermsOfExistingPods the incoming pod's own preferred terms still count
/// (scoring.go PreScore skips only when it has none).
#[test]
fn ignore_preferred_terms_keeps_the_incoming_pods_terms() {
    let pl = InterPodAffinity {
        args: InterPodAffinityArgs {
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: true,
        },
    };
    let incoming = make_pod()
        .pod_affinity_in("app", "zone", &["db"], Preferred)
        .obj();
    let pods = vec![make_pod().node("n2").label("app", "db").obj()];
    let nodes = vec![node("n1", &[("zone", "a")]), node("n2", &[("zone", "b")])];
    assert_eq!(run(&pl, &incoming, &pods, &nodes), Some(vec![0, MAX]));
}
