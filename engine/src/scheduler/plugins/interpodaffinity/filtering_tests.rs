//! Cases transcribed from filtering_test.go.

use super::filtering::{
    existing_anti_affinity_counts, incoming_affinity_anti_affinity_counts, PreFilterState,
    PRE_FILTER_STATE_KEY,
};
use super::testutil::*;
use super::*;
use crate::api::affinity::{Affinity, PodAffinity, PodAffinityTerm};
use crate::api::selector::LabelSelector;
use crate::api::{Node, Pod};
use crate::scheduler::framework::{Code, CycleState, PodInfo, Status};

const UNRESOLVABLE: Code = Code::UnschedulableAndUnresolvable;
const UNSCHEDULABLE: Code = Code::Unschedulable;
const AFFINITY: &str = ERR_REASON_AFFINITY_RULES_NOT_MATCH;
const ANTI: &str = ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH;
const EXISTING: &str = ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH;

/// Expected Filter verdict: None passes.
type Want = Option<(Code, &'static str)>;
/// (name, pod, existing pods, nodes, PreFilter skips, Filter verdict per node).
type MultiCase = (&'static str, Pod, Vec<Pod>, Vec<Node>, bool, Vec<Want>);
/// (name, pending pod, existing pods, added pod, antiAffinityCounts, affinityCounts).
type AddRemoveCase = (&'static str, Pod, Vec<Pod>, Pod, Pairs, Pairs);

/// Runs PreFilter then (unless it skipped) Filter on each node, as the upstream test loops do.
fn check(name: &str, pod: &Pod, pods: &[Pod], nodes: &[Node], want_skip: bool, want: &[Want]) {
    let snap = snapshot(pods, nodes);
    let pl = InterPodAffinity::default();
    let info = PodInfo::from_pod(pod.clone());
    let mut state = CycleState::default();
    let (result, st) = pl.pre_filter(&mut state, &info, &snap);
    assert!(result.is_none(), "{name}");
    if want_skip {
        assert_eq!(st, Status::skip(), "{name}: PreFilter");
        return;
    }
    assert_eq!(st, Status::success(), "{name}: PreFilter");
    for (n, w) in nodes.iter().zip(want) {
        let got = pl.filter(&state, &info, snap.get(&n.metadata.name).unwrap());
        let want = match w {
            None => Status::success(),
            Some((code, reason)) => status(*code, reason),
        };
        assert_eq!(got, want, "{name}: Filter on {}", n.metadata.name);
    }
}

/// filtering_test.go TestRequiredAffinitySingleNode. The two cases with an invalid label value
/// ("fails PreFilter with an invalid (anti)affinity label syntax") are left out: kubesim does not
/// parse label values. The namespaces labelled `team: team1` upstream are selected by name.
#[test]
fn required_affinity_single_node() {
    let pod_label = [("service", "securityscan")];
    let pod_label2 = [("security", "S1")];
    let node1 = node("node1", &[("region", "r1"), ("zone", "z11")]);
    let pod = make_pod().labels(&pod_label).node("node1").obj();
    let in_sec = || req("service", "In", &["securityscan", "value2"]);
    let cases: Vec<(&str, Pod, Vec<Pod>, bool, Want)> = vec![
        (
            "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
            Pod::default(),
            vec![],
            true,
            None,
        ),
        (
            "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that matches the existing pod",
            make_pod().labels(&pod_label2).pod_affinity_in("service", "region", &["securityscan", "value2"], Required).obj(),
            vec![pod.clone()],
            false,
            None,
        ),
        (
            "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator in labelSelector that matches the existing pod",
            make_pod().labels(&pod_label2).pod_affinity_not_in("service", "region", &["securityscan3", "value3"], Required).obj(),
            vec![pod.clone()],
            false,
            None,
        ),
        (
            "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
            create_pod_with_affinity_terms("", "", &pod_label2, vec![PodAffinityTerm {
                namespaces: vec!["DiffNameSpace".into()],
                ..term(vec![in_sec()], "")
            }], vec![]),
            vec![make_pod().namespace("ns").label("service", "securityscan").node("node1").obj()],
            false,
            Some((UNRESOLVABLE, AFFINITY)),
        ),
        (
            "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
            make_pod().labels(&pod_label).pod_affinity_in("service", "", &["antivirusscan", "value2"], Required).obj(),
            vec![pod.clone()],
            false,
            Some((UNRESOLVABLE, AFFINITY)),
        ),
        (
            "satisfies the PodAffinity with different label Operators in multiple RequiredDuringSchedulingIgnoredDuringExecution ",
            create_pod_with_affinity_terms("", "", &pod_label2, vec![
                term(vec![req("service", "Exists", &[]), req("wrongkey", "DoesNotExist", &[])], "region"),
                term(vec![req("service", "In", &["securityscan"]), req("service", "NotIn", &["WrongValue"])], "region"),
            ], vec![]),
            vec![pod.clone()],
            false,
            None,
        ),
        (
            "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the node because one of the matchExpression item don't match.",
            create_pod_with_affinity_terms("", "", &pod_label2, vec![
                term(vec![req("service", "Exists", &[]), req("wrongkey", "DoesNotExist", &[])], "region"),
                term(vec![req("service", "In", &["securityscan2"]), req("service", "NotIn", &["WrongValue"])], "region"),
            ], vec![]),
            vec![pod.clone()],
            false,
            Some((UNRESOLVABLE, AFFINITY)),
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
            make_pod().labels(&pod_label2)
                .pod_affinity_in("service", "region", &["securityscan", "value2"], Required)
                .pod_anti_affinity_in("service", "node", &["antivirusscan", "value2"], Required).obj(),
            vec![pod.clone()],
            false,
            None,
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
            make_pod().labels(&pod_label2)
                .pod_affinity_in("service", "region", &["securityscan", "value2"], Required)
                .pod_anti_affinity_in("service", "node", &["antivirusscan", "value2"], Required).obj(),
            vec![make_pod().node("node1").labels(&pod_label)
                .pod_anti_affinity_in("service", "node", &["antivirusscan", "value2"], Required).obj()],
            false,
            None,
        ),
        (
            "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
            make_pod().labels(&pod_label2)
                .pod_affinity_in("service", "region", &["securityscan", "value2"], Required)
                .pod_anti_affinity_in("service", "zone", &["securityscan", "value2"], Required).obj(),
            vec![pod.clone()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            make_pod().labels(&pod_label)
                .pod_affinity_in("service", "region", &["securityscan", "value2"], Required)
                .pod_anti_affinity_in("service", "node", &["antivirusscan", "value2"], Required).obj(),
            vec![make_pod().labels(&pod_label).node("node1")
                .pod_anti_affinity_in("service", "zone", &["securityscan", "value2"], Required).obj()],
            false,
            Some((UNSCHEDULABLE, EXISTING)),
        ),
        (
            "pod matches its own Label in PodAffinity and that matches the existing pod Labels",
            make_pod().labels(&pod_label)
                .pod_affinity_not_in("service", "region", &["securityscan", "value2"], Required).obj(),
            vec![make_pod().label("service", "securityscan").node("node2").obj()],
            false,
            Some((UNRESOLVABLE, AFFINITY)),
        ),
        (
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod",
            make_pod().labels(&pod_label).obj(),
            vec![make_pod().node("node1").labels(&pod_label)
                .pod_anti_affinity_in("service", "zone", &["securityscan", "value2"], Required).obj()],
            false,
            Some((UNSCHEDULABLE, EXISTING)),
        ),
        (
            "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
            make_pod().labels(&pod_label).obj(),
            vec![make_pod().node("node1").labels(&pod_label)
                .pod_anti_affinity_not_in("service", "zone", &["securityscan", "value2"], Required).obj()],
            true,
            None,
        ),
        (
            "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with incoming pod",
            make_pod().labels(&pod_label)
                .pod_anti_affinity_exists("service", "region", Required)
                .pod_anti_affinity_exists("security", "region", Required).obj(),
            vec![make_pod().node("node1").labels(&pod_label2)
                .pod_anti_affinity_exists("security", "zone", Required).obj()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on AffinityTerms",
            make_pod().labels(&pod_label)
                .pod_anti_affinity_exists("service", "zone", Required)
                .pod_anti_affinity_exists("security", "zone", Required).obj(),
            vec![make_pod().node("node1").labels(&pod_label2)
                .pod_anti_affinity_exists("security", "zone", Required).obj()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on AffinityTerms",
            make_pod().labels(&pod_label2)
                .pod_anti_affinity_exists("security", "zone", Required).obj(),
            vec![make_pod().node("node1").labels(&pod_label)
                .pod_anti_affinity_exists("service", "zone", Required)
                .pod_anti_affinity_exists("security", "zone", Required).obj()],
            false,
            Some((UNSCHEDULABLE, EXISTING)),
        ),
        (
            "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on AffinityTerms",
            make_pod().labels(&[("abc", ""), ("xyz", "")])
                .pod_anti_affinity_exists("abc", "zone", Required)
                .pod_anti_affinity_exists("def", "zone", Required).obj(),
            vec![make_pod().node("node1").labels(&[("def", ""), ("xyz", "")])
                .pod_anti_affinity_exists("abc", "zone", Required)
                .pod_anti_affinity_exists("def", "zone", Required).obj()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on AffinityTerms",
            make_pod().labels(&[("def", ""), ("xyz", "")])
                .pod_anti_affinity_exists("abc", "zone", Required)
                .pod_anti_affinity_exists("def", "zone", Required).obj(),
            vec![make_pod().node("node1").labels(&[("abc", ""), ("xyz", "")])
                .pod_anti_affinity_exists("abc", "zone", Required)
                .pod_anti_affinity_exists("def", "zone", Required).obj()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "affinity with NamespaceSelector",
            create_pod_with_affinity_terms("", "", &pod_label2, vec![PodAffinityTerm {
                namespace_selector: Some(team1_selector()),
                ..term(vec![in_sec()], "region")
            }], vec![]),
            vec![make_pod().node("node1").namespace("subteam1.team1").labels(&pod_label).obj()],
            false,
            None,
        ),
        (
            "affinity with non-matching NamespaceSelector",
            create_pod_with_affinity_terms("", "", &pod_label2, vec![PodAffinityTerm {
                namespace_selector: Some(team1_selector()),
                ..term(vec![in_sec()], "region")
            }], vec![]),
            vec![make_pod().node("node1").namespace("subteam1.team2").labels(&pod_label).obj()],
            false,
            Some((UNRESOLVABLE, AFFINITY)),
        ),
        (
            "anti-affinity with matching NamespaceSelector",
            create_pod_with_affinity_terms("subteam1.team1", "", &pod_label2, vec![], vec![PodAffinityTerm {
                namespace_selector: Some(team1_selector()),
                ..term(vec![in_sec()], "zone")
            }]),
            vec![make_pod().node("node1").namespace("subteam2.team1").labels(&pod_label).obj()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "anti-affinity with matching all NamespaceSelector",
            create_pod_with_affinity_terms("subteam1.team1", "", &pod_label2, vec![], vec![PodAffinityTerm {
                namespace_selector: Some(LabelSelector::default()),
                ..term(vec![in_sec()], "zone")
            }]),
            vec![make_pod().node("node1").namespace("subteam2.team1").labels(&pod_label).obj()],
            false,
            Some((UNSCHEDULABLE, ANTI)),
        ),
        (
            "anti-affinity with non-matching NamespaceSelector",
            create_pod_with_affinity_terms("subteam1.team1", "", &pod_label2, vec![], vec![PodAffinityTerm {
                namespace_selector: Some(team1_selector()),
                ..term(vec![in_sec()], "zone")
            }]),
            vec![make_pod().node("node1").namespace("subteam1.team2").labels(&pod_label).obj()],
            false,
            None,
        ),
    ];
    for (name, pod, pods, skip, want) in cases {
        check(
            name,
            &pod,
            &pods,
            std::slice::from_ref(&node1),
            skip,
            &[want],
        );
    }
}

/// filtering_test.go TestRequiredAffinityMultipleNodes.
#[test]
fn required_affinity_multiple_nodes() {
    let china = [("region", "China")];
    let china_az1 = [("region", "China"), ("az", "az1")];
    let india = [("region", "India")];
    let r1 = |n: &str, z: &str| node(n, &[("region", "r1"), ("zone", z), ("hostname", n)]);
    let cases: Vec<MultiCase> = vec![
        (
            "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of them has an existing pod that matches the affinity rules",
            make_pod().pod_affinity_in("foo", "region", &["bar"], Required).obj(),
            vec![make_pod().name("p1").node("node1").label("foo", "bar").obj()],
            vec![node("node1", &china), node("node2", &china_az1), node("node3", &india)],
            false,
            vec![None, None, Some((UNRESOLVABLE, AFFINITY))],
        ),
        (
            "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of the collection should not be blocked from being scheduled onto any node, even there's no existing pod that matches the rule anywhere.",
            make_pod().labels(&[("foo", "bar"), ("service", "securityscan")])
                .pod_affinity_in("foo", "zone", &["bar"], Required)
                .pod_affinity_in("service", "zone", &["securityscan"], Required).obj(),
            vec![make_pod().name("p1").node("nodeA").label("foo", "bar").obj()],
            vec![node("nodeA", &[("zone", "az1"), ("hostname", "h1")]), node("nodeB", &[("zone", "az2"), ("hostname", "h2")])],
            false,
            vec![None, None],
        ),
        (
            "The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys",
            make_pod().labels(&[("foo", "bar"), ("service", "securityscan")])
                .pod_affinity_in("foo", "zone", &["bar"], Required)
                .pod_affinity_in("service", "zone", &["securityscan"], Required).obj(),
            vec![make_pod().name("p1").node("nodeA").label("foo", "bar").obj()],
            vec![node("nodeA", &[("zoneLabel", "az1"), ("hostname", "h1")]), node("nodeB", &[("zoneLabel", "az2"), ("hostname", "h2")])],
            false,
            vec![Some((UNRESOLVABLE, AFFINITY)), Some((UNRESOLVABLE, AFFINITY))],
        ),
        (
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
            make_pod().pod_anti_affinity_in("foo", "region", &["abc"], Required).obj(),
            vec![make_pod().node("nodeA").label("foo", "abc").obj()],
            vec![node("nodeA", &[("region", "r1"), ("hostname", "nodeA")]), node("nodeB", &[("region", "r1"), ("hostname", "nodeB")])],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), Some((UNSCHEDULABLE, ANTI))],
        ),
        (
            "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
            make_pod().pod_anti_affinity_in("foo", "region", &["abc"], Required)
                .pod_anti_affinity_in("service", "zone", &["securityscan"], Required).obj(),
            vec![make_pod().node("nodeA").labels(&[("foo", "abc"), ("service", "securityscan")]).obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), Some((UNSCHEDULABLE, ANTI))],
        ),
        (
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
            make_pod().pod_anti_affinity_in("foo", "region", &["abc"], Required).obj(),
            vec![make_pod().node("nodeA").label("foo", "abc").obj()],
            vec![node("nodeA", &china), node("nodeB", &china_az1), node("nodeC", &india)],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), Some((UNSCHEDULABLE, ANTI)), None],
        ),
        (
            "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
            make_pod().namespace("NS1").label("foo", "123").pod_anti_affinity_in("foo", "region", &["bar"], Required).obj(),
            vec![
                make_pod().node("nodeA").namespace("NS1").label("foo", "bar").obj(),
                make_pod().node("nodeC").namespace("NS2").pod_anti_affinity_in("foo", "region", &["123"], Required).obj(),
            ],
            vec![node("nodeA", &china), node("nodeB", &china_az1), node("nodeC", &india)],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), Some((UNSCHEDULABLE, ANTI)), None],
        ),
        (
            "Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector of the term is firstly checked, and then topologyKey of the term is also checked",
            make_pod().label("foo", "").obj(),
            vec![make_pod().node("nodeA").pod_anti_affinity_exists("foo", "invalid-node-label", Required).obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z1")],
            true,
            vec![None, None],
        ),
        (
            "Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches",
            make_pod().node("nodeA").pod_anti_affinity_exists("foo", "invalid-node-label", Required).obj(),
            vec![make_pod().node("nodeA").label("foo", "").obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z1")],
            false,
            vec![None, None],
        ),
        (
            "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each existingPod's terms on all nodes",
            make_pod().label("foo", "").label("bar", "").obj(),
            vec![
                make_pod().node("nodeA").pod_anti_affinity_exists("foo", "zone", Required).obj(),
                make_pod().node("nodeA").pod_anti_affinity_exists("bar", "region", Required).obj(),
            ],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, EXISTING)), Some((UNSCHEDULABLE, EXISTING))],
        ),
        (
            "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one anti-affinity rule of existingPod",
            make_pod().pod_anti_affinity_exists("foo", "zone", Required)
                .pod_anti_affinity_exists("bar", "region", Required).obj(),
            vec![
                make_pod().node("nodeA").label("foo", "").obj(),
                make_pod().node("nodeB").label("bar", "").obj(),
            ],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), Some((UNSCHEDULABLE, ANTI))],
        ),
        (
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
            make_pod().label("foo", "").label("bar", "").obj(),
            vec![make_pod().node("nodeA")
                .pod_anti_affinity_exists("foo", "invalid-node-label", Required)
                .pod_anti_affinity_exists("bar", "zone", Required).obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, EXISTING)), None],
        ),
        (
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
            make_pod().pod_anti_affinity_exists("foo", "invalid-node-label", Required)
                .pod_anti_affinity_exists("bar", "zone", Required).obj(),
            vec![make_pod().name("podA").node("nodeA").labels(&[("foo", ""), ("bar", "")]).obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), None],
        ),
        (
            "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
            make_pod().label("foo", "").label("bar", "").obj(),
            vec![make_pod().node("nodeA")
                .pod_anti_affinity_exists("foo", "region", Required)
                .pod_anti_affinity_exists("bar", "zone", Required).obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, EXISTING)), Some((UNSCHEDULABLE, EXISTING))],
        ),
        (
            "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
            make_pod().pod_anti_affinity_exists("foo", "region", Required)
                .pod_anti_affinity_exists("bar", "zone", Required).obj(),
            vec![make_pod().node("nodeA").labels(&[("foo", ""), ("bar", "")]).obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNSCHEDULABLE, ANTI)), Some((UNSCHEDULABLE, ANTI))],
        ),
        (
            "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term matches incoming pod, so incoming pod can only be scheduled to nodeC",
            make_pod().label("foo", "").label("bar", "").obj(),
            vec![
                make_pod().node("nodeA").pod_anti_affinity_exists("foo", "zone", Required)
                    .pod_anti_affinity_exists("labelA", "zone", Required).obj(),
                make_pod().node("nodeB").pod_anti_affinity_exists("bar", "zone", Required)
                    .pod_anti_affinity_exists("labelB", "zone", Required).obj(),
            ],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2"), r1("nodeC", "z3")],
            false,
            vec![Some((UNSCHEDULABLE, EXISTING)), Some((UNSCHEDULABLE, EXISTING)), None],
        ),
        (
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match",
            make_pod().pod_affinity_exists("foo", "region", Required)
                .pod_affinity_exists("bar", "zone", Required).obj(),
            vec![make_pod().name("pod1").labels(&[("foo", ""), ("bar", "")]).node("nodeA").obj()],
            vec![r1("nodeA", "z1"), r1("nodeB", "z1")],
            false,
            vec![None, None],
        ),
        (
            "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match, and the match logic should be satisfied on the same pod",
            make_pod().pod_affinity_exists("foo", "region", Required)
                .pod_affinity_exists("bar", "zone", Required).obj(),
            vec![
                make_pod().node("nodeA").name("pod1").label("foo", "").obj(),
                make_pod().node("nodeB").name("pod2").label("bar", "").obj(),
            ],
            vec![r1("nodeA", "z1"), r1("nodeB", "z2")],
            false,
            vec![Some((UNRESOLVABLE, AFFINITY)), Some((UNRESOLVABLE, AFFINITY))],
        ),
    ];
    for (name, pod, pods, nodes, skip, want) in cases {
        check(name, &pod, &pods, &nodes, skip, &want);
    }
}

/// filtering_test.go TestPreFilterDisabled: Filter without PreFilter state is an error.
#[test]
fn pre_filter_disabled() {
    let info = PodInfo::from_pod(Pod::default());
    let n = crate::scheduler::framework::NodeInfo::new(Node::default());
    let got = InterPodAffinity::default().filter(&CycleState::default(), &info, &n);
    assert_eq!(
        got,
        Status::new(
            Code::Error,
            vec![r#"error reading "PreFilterInterPodAffinity" from cycleState: not found"#.into()]
        )
    );
}

type Pairs = Vec<(String, String, i64)>;

fn pairs(p: &[(&str, &str, i64)]) -> Pairs {
    p.iter()
        .map(|(k, v, c)| (k.to_string(), v.to_string(), *c))
        .collect()
}

fn state_pairs(s: &PreFilterState) -> [Pairs; 3] {
    [
        s.existing_anti_affinity_counts.pairs(),
        s.affinity_counts.pairs(),
        s.anti_affinity_counts.pairs(),
    ]
}

/// filtering_test.go TestPreFilterStateAddRemovePod: adding a pod to the state built without it
/// gives the state built with it; removing it again gives the original.
#[test]
fn pre_filter_state_add_remove_pod() {
    let label1 = [("region", "r1"), ("zone", "z11")];
    let label2 = [("region", "r1"), ("zone", "z12")];
    let label3 = [("region", "r2"), ("zone", "z21")];
    let foo_bar = || term(vec![req("foo", "In", &["bar"])], "region");
    let complex = || {
        vec![
            term(vec![req("foo", "In", &["bar", "buzz"])], "region"),
            term(
                vec![req("service", "NotIn", &["bar", "security", "test"])],
                "zone",
            ),
        ]
    };
    let anti = |terms: Vec<PodAffinityTerm>| PodAffinity {
        required: terms,
        preferred: vec![],
    };
    let with = |aff: Option<PodAffinity>, anti_aff: Option<PodAffinity>| Affinity {
        node_affinity: None,
        pod_affinity: aff,
        pod_anti_affinity: anti_aff,
    };
    let nodes = vec![
        node("nodeA", &label1),
        node("nodeB", &label2),
        node("nodeC", &label3),
    ];
    let p1 = make_pod()
        .name("p1")
        .label("foo", "bar")
        .node("nodeA")
        .obj();
    let cases: Vec<AddRemoveCase> = vec![
        (
            "preFilterState anti-affinity terms are updated correctly after adding and removing a pod",
            make_pod().name("pending").label("foo", "bar").affinity(with(None, Some(anti(vec![foo_bar()])))).obj(),
            vec![p1.clone(), make_pod().name("p2").node("nodeC").affinity(with(None, Some(anti(vec![foo_bar()])))).obj()],
            make_pod().name("addedPod").label("foo", "bar").node("nodeB").affinity(with(None, Some(anti(vec![foo_bar()])))).obj(),
            pairs(&[("region", "r1", 2)]),
            vec![],
        ),
        (
            "preFilterState anti-affinity terms are updated correctly after adding and removing a pod",
            make_pod().name("pending").label("foo", "bar").affinity(with(None, Some(anti(complex())))).obj(),
            vec![p1.clone(), make_pod().name("p2").node("nodeC").affinity(with(None, Some(anti(vec![foo_bar()])))).obj()],
            make_pod().name("addedPod").label("foo", "bar").node("nodeA").affinity(with(None, Some(anti(complex())))).obj(),
            pairs(&[("region", "r1", 2), ("zone", "z11", 2), ("zone", "z21", 1)]),
            vec![],
        ),
        (
            "preFilterState matching pod affinity and anti-affinity are updated correctly after adding and removing a pod",
            make_pod().name("pending").label("foo", "bar").affinity(with(Some(anti(complex())), None)).obj(),
            vec![p1.clone(), make_pod().name("p2").node("nodeC").affinity(with(Some(anti(complex())), Some(anti(vec![foo_bar()])))).obj()],
            make_pod().name("addedPod").label("foo", "bar").node("nodeA").affinity(with(None, Some(anti(complex())))).obj(),
            vec![],
            pairs(&[("region", "r1", 2), ("zone", "z11", 2)]),
        ),
    ];
    let pl = InterPodAffinity::default();
    for (name, pending, existing, added, want_anti, want_affinity) in cases {
        let pending = PodInfo::from_pod(pending);
        let get_state = |pods: &[Pod]| {
            let snap = snapshot(pods, &nodes);
            let mut state = CycleState::default();
            let (_, st) = pl.pre_filter(&mut state, &pending, &snap);
            assert!(st.is_success(), "{name}: {st:?}");
            (state, snap)
        };
        let mut all = existing.clone();
        all.push(added.clone());
        let (all_state, _) = get_state(&all);
        let all_pairs = state_pairs(
            all_state
                .read::<PreFilterState>(PRE_FILTER_STATE_KEY)
                .unwrap(),
        );
        let (mut state, snap) = get_state(&existing);
        let original = state_pairs(state.read::<PreFilterState>(PRE_FILTER_STATE_KEY).unwrap());
        let node_info = snap.get(&added.spec.node_name).unwrap();
        let added = PodInfo::from_pod(added);
        assert!(pl
            .add_pod(&mut state, &pending, &added, node_info)
            .is_success());
        let got = state_pairs(state.read::<PreFilterState>(PRE_FILTER_STATE_KEY).unwrap());
        assert_eq!(got[2], want_anti, "{name}: antiAffinityCounts");
        assert_eq!(got[1], want_affinity, "{name}: affinityCounts");
        assert_eq!(got, all_pairs, "{name}: state with the pod added");
        assert!(pl
            .remove_pod(&mut state, &pending, &added, node_info)
            .is_success());
        let got = state_pairs(state.read::<PreFilterState>(PRE_FILTER_STATE_KEY).unwrap());
        assert_eq!(got, original, "{name}: state with the pod removed");
    }
}

/// filtering_test.go TestGetTPMapMatchingIncomingAffinityAntiAffinity.
#[test]
fn incoming_affinity_anti_affinity_counts_table() {
    let new_pod = |l: &[&str]| {
        l.iter()
            .fold(make_pod().name("normal").node("nodeA"), |p, k| {
                p.label(k, "")
            })
            .obj()
    };
    let pod_a = new_pod(&["aaa"]);
    let pod_b = new_pod(&["bbb"]);
    let pod_ab = new_pod(&["aaa", "bbb"]);
    let node_a = node("nodeA", &[("hostname", "nodeA")]);
    let host_a = pairs(&[("hostname", "nodeA", 1)]);
    let cases: Vec<(&str, Vec<Pod>, Pod, Pairs, Pairs)> = vec![
        ("nil test", vec![], make_pod().name("aaa-normal").obj(), vec![], vec![]),
        (
            "incoming pod without affinity/anti-affinity causes a no-op",
            vec![pod_a.clone()],
            make_pod().name("aaa-normal").obj(),
            vec![],
            vec![],
        ),
        (
            "no pod has label that violates incoming pod's affinity and anti-affinity",
            vec![pod_b.clone()],
            make_pod().name("aaa-anti").pod_affinity_exists("aaa", "hostname", Required)
                .pod_anti_affinity_exists("aaa", "hostname", Required).obj(),
            vec![],
            vec![],
        ),
        (
            "existing pod matches incoming pod's affinity and anti-affinity - single term case",
            vec![pod_a.clone()],
            make_pod().name("affi-antiaffi").pod_affinity_exists("aaa", "hostname", Required)
                .pod_anti_affinity_exists("aaa", "hostname", Required).obj(),
            host_a.clone(),
            host_a.clone(),
        ),
        (
            "existing pod matches incoming pod's affinity and anti-affinity - multiple terms case",
            vec![pod_ab.clone()],
            make_pod().name("affi-antiaffi").pod_affinity_exists("aaa", "hostname", Required)
                .pod_affinity_exists("bbb", "hostname", Required)
                .pod_anti_affinity_exists("aaa", "hostname", Required).obj(),
            pairs(&[("hostname", "nodeA", 2)]),
            host_a.clone(),
        ),
        (
            "existing pod not match incoming pod's affinity but matches anti-affinity",
            vec![pod_a.clone()],
            make_pod().name("affi-antiaffi").pod_affinity_exists("aaa", "hostname", Required)
                .pod_affinity_exists("bbb", "hostname", Required)
                .pod_anti_affinity_exists("aaa", "hostname", Required)
                .pod_anti_affinity_exists("bbb", "hostname", Required).obj(),
            vec![],
            host_a.clone(),
        ),
        (
            "incoming pod's anti-affinity has more than one term - existing pod violates partial term - case 1",
            vec![pod_ab.clone()],
            make_pod().name("anaffi-antiaffiti").pod_affinity_exists("aaa", "hostname", Required)
                .pod_affinity_exists("ccc", "hostname", Required)
                .pod_anti_affinity_exists("aaa", "hostname", Required)
                .pod_anti_affinity_exists("ccc", "hostname", Required).obj(),
            vec![],
            host_a.clone(),
        ),
        (
            "incoming pod's anti-affinity has more than one term - existing pod violates partial term - case 2",
            vec![pod_b.clone()],
            make_pod().name("affi-antiaffi").pod_affinity_exists("aaa", "hostname", Required)
                .pod_affinity_exists("bbb", "hostname", Required)
                .pod_anti_affinity_exists("aaa", "hostname", Required)
                .pod_anti_affinity_exists("bbb", "hostname", Required).obj(),
            vec![],
            host_a.clone(),
        ),
    ];
    for (name, existing, pod, want_affinity, want_anti) in cases {
        let snap = snapshot(&existing, std::slice::from_ref(&node_a));
        let (affinity, anti) = incoming_affinity_anti_affinity_counts(
            &required_affinity_terms(&pod),
            &required_anti_affinity_terms(&pod),
            snap.list(),
        );
        assert_eq!(affinity.pairs(), want_affinity, "{name}: affinity");
        assert_eq!(anti.pairs(), want_anti, "{name}: anti-affinity");
    }
}

/// The existing pods' anti-affinity counts only use nodes with such pods.
#[test]
fn existing_anti_affinity_counts_match_the_incoming_pod() {
    let snap = snapshot(
        &[
            make_pod()
                .node("a")
                .pod_anti_affinity_exists("app", "zone", Required)
                .obj(),
            make_pod()
                .node("b")
                .pod_anti_affinity_exists("other", "zone", Required)
                .obj(),
        ],
        &[node("a", &[("zone", "z1")]), node("b", &[("zone", "z2")])],
    );
    let pod = make_pod().label("app", "web").obj();
    let counts = existing_anti_affinity_counts(&pod, snap.have_pods_with_required_anti_affinity());
    assert_eq!(counts.pairs(), pairs(&[("zone", "z1", 1)]));
}

/// matchLabelKeys / mismatchLabelKeys join the label selector with the incoming pod's values
/// (pkg/registry/core/pod/strategy.go applyMatchLabelKeysAndMismatchLabelKeys).
#[test]
fn match_label_keys_narrow_the_selector() {
    let nodes = vec![node("n1", &[("zone", "a")]), node("n2", &[("zone", "b")])];
    let pods = vec![
        make_pod()
            .node("n1")
            .labels(&[("app", "web"), ("version", "v1")])
            .obj(),
        make_pod()
            .node("n2")
            .labels(&[("app", "web"), ("version", "v2")])
            .obj(),
    ];
    let anti = |match_keys: &[&str], mismatch_keys: &[&str]| {
        let mut p = make_pod()
            .labels(&[("app", "web"), ("version", "v1")])
            .pod_anti_affinity_in("app", "zone", &["web"], Required)
            .obj();
        let t = &mut p
            .spec
            .affinity
            .as_mut()
            .unwrap()
            .pod_anti_affinity
            .as_mut()
            .unwrap()
            .required[0];
        t.match_label_keys = match_keys.iter().map(|k| k.to_string()).collect();
        t.mismatch_label_keys = mismatch_keys.iter().map(|k| k.to_string()).collect();
        p
    };
    let blocked = Some((UNSCHEDULABLE, ANTI));
    check(
        "no keys",
        &anti(&[], &[]),
        &pods,
        &nodes,
        false,
        &[blocked, blocked],
    );
    check(
        "matchLabelKeys",
        &anti(&["version"], &[]),
        &pods,
        &nodes,
        false,
        &[blocked, None],
    );
    check(
        "mismatchLabelKeys",
        &anti(&[], &["version"]),
        &pods,
        &nodes,
        false,
        &[None, blocked],
    );
    check(
        "key the pod lacks",
        &anti(&["missing"], &[]),
        &pods,
        &nodes,
        false,
        &[blocked, blocked],
    );
}

/// A term without a labelSelector matches no pod (LabelSelectorAsSelector(nil) is Nothing).
#[test]
fn nil_label_selector_matches_nothing() {
    let mut p = make_pod()
        .pod_anti_affinity_exists("app", "zone", Required)
        .obj();
    p.spec
        .affinity
        .as_mut()
        .unwrap()
        .pod_anti_affinity
        .as_mut()
        .unwrap()
        .required[0]
        .label_selector = None;
    let pods = vec![make_pod().node("n1").label("app", "x").obj()];
    check(
        "nil selector",
        &p,
        &pods,
        &[node("n1", &[("zone", "a")])],
        false,
        &[None],
    );
}
