//! Tables from pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go.

use super::*;
use crate::api::Node;

/// A pod from its spec as Kubernetes JSON.
fn pod(spec: &str) -> PodInfo {
    PodInfo::from_pod(serde_json::from_str(&format!(r#"{{"spec":{spec}}}"#)).unwrap())
}

/// A pod spec with these required node selector terms (JSON list).
fn required(terms: &str) -> String {
    format!(
        r#"{{"affinity":{{"nodeAffinity":{{"requiredDuringSchedulingIgnoredDuringExecution":{{"nodeSelectorTerms":{terms}}}}}}}}}"#
    )
}

fn node(name: &str, labels: &[(&str, &str)]) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    n
}

fn plugin(args: Option<&str>) -> NodeAffinity {
    let args: NodeAffinityArgs = match args {
        Some(a) => serde_json::from_str(a).unwrap(),
        None => NodeAffinityArgs::default(),
    };
    NodeAffinity::from_args(&args).unwrap()
}

#[derive(Default)]
struct FilterCase {
    name: &'static str,
    pod: String,
    labels: &'static [(&'static str, &'static str)],
    node_name: &'static str,
    /// The Filter reason (UnschedulableAndUnresolvable); None: Success.
    want_status: Option<&'static str>,
    want_pre_filter_status: Option<Status>,
    want_pre_filter_result: Option<&'static [&'static str]>,
    args: Option<&'static str>,
    run_pre_filter: bool,
}

const NAME1_AND_NAME2: &str = r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]},{"key":"metadata.name","operator":"In","values":["node2"]}]}]"#;
const ADDED_NAME_NODE2: &str = r#"{"addedAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node2"]}]}]}}}"#;
const GPU_EXISTS_NOT_AMD: &str = r#"[{"matchExpressions":[{"key":"GPU","operator":"Exists"},{"key":"GPU","operator":"NotIn","values":["AMD","INTER"]}]}]"#;

/// node_affinity_test.go TestNodeAffinity.
#[test]
fn node_affinity_filter_table() {
    let cases = vec![
        FilterCase {
            name: "missing labels",
            pod: r#"{"nodeSelector":{"foo":"bar"}}"#.into(),
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "same labels",
            pod: r#"{"nodeSelector":{"foo":"bar"}}"#.into(),
            labels: &[("foo", "bar")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "node labels are superset",
            pod: r#"{"nodeSelector":{"foo":"bar"}}"#.into(),
            labels: &[("foo", "bar"), ("baz", "blah")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "node labels are subset",
            pod: r#"{"nodeSelector":{"foo":"bar","baz":"blah"}}"#.into(),
            labels: &[("foo", "bar")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with matchExpressions using In operator that matches the existing node",
            pod: required(r#"[{"matchExpressions":[{"key":"foo","operator":"In","values":["bar","value2"]}]}]"#),
            labels: &[("foo", "bar")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with matchExpressions using Gt operator that matches the existing node",
            pod: required(r#"[{"matchExpressions":[{"key":"kernel-version","operator":"Gt","values":["0204"]}]}]"#),
            labels: &[("kernel-version", "0206")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with matchExpressions using NotIn operator that matches the existing node",
            pod: required(r#"[{"matchExpressions":[{"key":"mem-type","operator":"NotIn","values":["DDR","DDR2"]}]}]"#),
            labels: &[("mem-type", "DDR3")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with matchExpressions using Exists operator that matches the existing node",
            pod: required(r#"[{"matchExpressions":[{"key":"GPU","operator":"Exists"}]}]"#),
            labels: &[("GPU", "NVIDIA-GRID-K1")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with affinity that don't match node's labels won't schedule onto the node",
            pod: required(r#"[{"matchExpressions":[{"key":"foo","operator":"In","values":["value1","value2"]}]}]"#),
            labels: &[("foo", "bar")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
            pod: required(r#"[{"matchExpressions":[]}]"#),
            labels: &[("foo", "bar")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with no Affinity will schedule onto a node",
            pod: "{}".into(),
            labels: &[("foo", "bar")],
            want_pre_filter_status: Some(Status::skip()),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with Affinity but nil NodeSelector will schedule onto a node",
            pod: r#"{"affinity":{"nodeAffinity":{}}}"#.into(),
            labels: &[("foo", "bar")],
            want_pre_filter_status: Some(Status::skip()),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with multiple matchExpressions ANDed that matches the existing node",
            pod: required(GPU_EXISTS_NOT_AMD),
            labels: &[("GPU", "NVIDIA-GRID-K1")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
            pod: required(r#"[{"matchExpressions":[{"key":"GPU","operator":"Exists"},{"key":"GPU","operator":"In","values":["AMD","INTER"]}]}]"#),
            labels: &[("GPU", "NVIDIA-GRID-K1")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
            pod: required(r#"[{"matchExpressions":[{"key":"foo","operator":"In","values":["bar","value2"]}]},{"matchExpressions":[{"key":"diffkey","operator":"In","values":["wrong","value2"]}]}]"#),
            labels: &[("foo", "bar")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node",
            pod: r#"{"nodeSelector":{"foo":"bar"},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"Exists"}]}]}}}}"#.into(),
            labels: &[("foo", "bar")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won't schedule onto the node",
            pod: r#"{"nodeSelector":{"foo":"bar"},"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"Exists"}]}]}}}}"#.into(),
            labels: &[("foo", "barrrrrr")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with an invalid value in Affinity term won't be scheduled onto the node",
            pod: required(r#"[{"matchExpressions":[{"key":"foo","operator":"NotIn","values":["invalid value: ___@#$%^"]}]}]"#),
            labels: &[("foo", "bar")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with matchFields using In operator that matches the existing node",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]}]}]"#),
            node_name: "node1",
            want_pre_filter_result: Some(&["node1"]),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with matchFields using In operator that does not match the existing node",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]}]}]"#),
            node_name: "node2",
            want_status: Some(ERR_REASON_POD),
            want_pre_filter_result: Some(&["node1"]),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with two terms: matchFields does not match, but matchExpressions matches",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]},{"key":"metadata.name","operator":"In","values":["node2"]}]},{"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}]"#),
            node_name: "node2",
            labels: &[("foo", "bar")],
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with one term: matchFields does not match, but matchExpressions matches",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]}],"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}]"#),
            node_name: "node2",
            labels: &[("foo", "bar")],
            want_pre_filter_result: Some(&["node1"]),
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with one term: both matchFields and matchExpressions match",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]}],"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}]"#),
            node_name: "node1",
            labels: &[("foo", "bar")],
            want_pre_filter_result: Some(&["node1"]),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with two terms: both matchFields and matchExpressions do not match",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]}]},{"matchExpressions":[{"key":"foo","operator":"In","values":["not-match-to-bar"]}]}]"#),
            node_name: "node2",
            labels: &[("foo", "bar")],
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with two terms of node.Name affinity",
            pod: required(r#"[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node1"]}]},{"matchFields":[{"key":"metadata.name","operator":"In","values":["node2"]}]}]"#),
            node_name: "node2",
            want_pre_filter_result: Some(&["node1", "node2"]),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Pod with two conflicting mach field requirements",
            pod: required(NAME1_AND_NAME2),
            node_name: "node2",
            labels: &[("foo", "bar")],
            want_pre_filter_status: Some(Status::unresolvable(ERR_REASON_CONFLICT)),
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Matches added affinity and Pod's node affinity",
            pod: required(r#"[{"matchExpressions":[{"key":"zone","operator":"In","values":["foo"]}]}]"#),
            node_name: "node2",
            labels: &[("zone", "foo")],
            args: Some(ADDED_NAME_NODE2),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Matches added affinity but not Pod's node affinity",
            pod: required(r#"[{"matchExpressions":[{"key":"zone","operator":"In","values":["bar"]}]}]"#),
            node_name: "node2",
            labels: &[("zone", "foo")],
            args: Some(ADDED_NAME_NODE2),
            want_status: Some(ERR_REASON_POD),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Doesn't match added affinity",
            pod: "{}".into(),
            node_name: "node2",
            labels: &[("zone", "foo")],
            args: Some(
                r#"{"addedAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["bar"]}]}]}}}"#,
            ),
            want_status: Some(ERR_REASON_ENFORCED),
            run_pre_filter: true,
            ..Default::default()
        },
        FilterCase {
            name: "Matches node selector correctly even if PreFilter is not called",
            pod: r#"{"nodeSelector":{"foo":"bar"}}"#.into(),
            labels: &[("foo", "bar"), ("baz", "blah")],
            run_pre_filter: false,
            ..Default::default()
        },
        FilterCase {
            name: "Matches node affinity correctly even if PreFilter is not called",
            pod: required(GPU_EXISTS_NOT_AMD),
            labels: &[("GPU", "NVIDIA-GRID-K1")],
            run_pre_filter: false,
            ..Default::default()
        },
    ];
    for c in cases {
        let name = c.name;
        let node = NodeInfo::new(node(c.node_name, c.labels));
        let p = plugin(c.args);
        let pod = pod(&c.pod);
        let mut state = CycleState::default();
        if c.run_pre_filter {
            let (result, st) = p.pre_filter(&mut state, &pod, &Snapshot::new());
            assert_eq!(
                st,
                c.want_pre_filter_status.unwrap_or_else(Status::success),
                "{name}: PreFilter status"
            );
            let want: PreFilterResult = c
                .want_pre_filter_result
                .map(|names| names.iter().map(|s| s.to_string()).collect());
            assert_eq!(result, want, "{name}: PreFilterResult");
        }
        let got = p.filter(&state, &pod, &node);
        let want = match c.want_status {
            Some(reason) => Status::unresolvable(reason),
            None => Status::success(),
        };
        assert_eq!(got, want, "{name}: Filter status");
    }
}

const AFFINITY1: &str = r#"{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":2,"preference":{"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}}]}}}"#;
const AFFINITY2: &str = r#"{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":2,"preference":{"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}},{"weight":4,"preference":{"matchExpressions":[{"key":"key","operator":"In","values":["value"]}]}},{"weight":5,"preference":{"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]},{"key":"key","operator":"In","values":["value"]},{"key":"az","operator":"In","values":["az1"]}]}}]}}}"#;

struct ScoreCase {
    name: &'static str,
    pod: &'static str,
    nodes: Vec<Node>,
    expected: Vec<i64>,
    args: Option<&'static str>,
    run_pre_score: bool,
    want_pre_score_status: Status,
}

/// node_affinity_test.go TestNodeAffinityPriority.
#[test]
fn node_affinity_priority_table() {
    let label1: &[(&str, &str)] = &[("foo", "bar")];
    let label2: &[(&str, &str)] = &[("key", "value")];
    let label3: &[(&str, &str)] = &[("az", "az1")];
    let label4: &[(&str, &str)] = &[("abc", "az11"), ("def", "az22")];
    let label5: &[(&str, &str)] = &[("foo", "bar"), ("key", "value"), ("az", "az1")];
    let ok = Status::success;
    let cases = vec![
        ScoreCase {
            name: "all nodes are same priority as NodeAffinity is nil",
            pod: "{}",
            nodes: vec![node("node1", label1), node("node2", label2), node("node3", label3)],
            expected: vec![0, 0, 0],
            args: None,
            run_pre_score: false,
            want_pre_score_status: ok(),
        },
        ScoreCase {
            name: "Skip is returned in PreScore when NodeAffinity is nil",
            pod: "{}",
            nodes: vec![node("node1", label1)],
            expected: vec![],
            args: None,
            run_pre_score: true,
            want_pre_score_status: Status::skip(),
        },
        ScoreCase {
            name: "PreScore returns error when an incoming Pod has a broken affinity",
            pod: r#"{"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":2,"preference":{"matchExpressions":[{"key":"invalid key","operator":"In","values":["bar"]}]}}]}}}"#,
            nodes: vec![node("node1", label1)],
            expected: vec![],
            args: None,
            run_pre_score: true,
            want_pre_score_status: Status::new(
                Code::Error,
                vec![r#"[0].matchExpressions[0].key: Invalid value: "invalid key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#.into()],
            ),
        },
        ScoreCase {
            name: "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
            pod: AFFINITY1,
            nodes: vec![node("node1", label4), node("node2", label2), node("node3", label3)],
            expected: vec![0, 0, 0],
            args: None,
            run_pre_score: true,
            want_pre_score_status: ok(),
        },
        ScoreCase {
            name: "only node1 matches the preferred scheduling requirements of pod",
            pod: AFFINITY1,
            nodes: vec![node("node1", label1), node("node2", label2), node("node3", label3)],
            expected: vec![MAX_NODE_SCORE, 0, 0],
            args: None,
            run_pre_score: true,
            want_pre_score_status: ok(),
        },
        ScoreCase {
            name: "all nodes matches the preferred scheduling requirements of pod but with different priorities ",
            pod: AFFINITY2,
            nodes: vec![node("node1", label1), node("node5", label5), node("node2", label2)],
            expected: vec![18, MAX_NODE_SCORE, 36],
            args: None,
            run_pre_score: true,
            want_pre_score_status: ok(),
        },
        ScoreCase {
            name: "added affinity",
            pod: "{}",
            nodes: vec![node("node1", label1), node("node2", label2)],
            expected: vec![MAX_NODE_SCORE, 0],
            args: Some(
                r#"{"addedAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":2,"preference":{"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}}]}}"#,
            ),
            run_pre_score: true,
            want_pre_score_status: ok(),
        },
        ScoreCase {
            name: "added affinity and pod has default affinity",
            pod: AFFINITY1,
            nodes: vec![node("node1", label1), node("node2", label2), node("node3", label5)],
            expected: vec![40, 60, MAX_NODE_SCORE],
            args: Some(
                r#"{"addedAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":3,"preference":{"matchExpressions":[{"key":"key","operator":"In","values":["value"]}]}}]}}"#,
            ),
            run_pre_score: true,
            want_pre_score_status: ok(),
        },
        ScoreCase {
            name: "calculate the priorities correctly even if PreScore is not called",
            pod: AFFINITY2,
            nodes: vec![node("node1", label1), node("node5", label5), node("node2", label2)],
            expected: vec![18, MAX_NODE_SCORE, 36],
            args: None,
            // As upstream's table has it.
            run_pre_score: true,
            want_pre_score_status: ok(),
        },
    ];
    for c in cases {
        let name = c.name;
        let p = plugin(c.args);
        let pod = pod(c.pod);
        let snapshot = Snapshot::from_objects(c.nodes.clone(), &[]);
        let infos: Vec<&NodeInfo> = c
            .nodes
            .iter()
            .map(|n| snapshot.get(&n.metadata.name).unwrap())
            .collect();
        let mut state = CycleState::default();
        if c.run_pre_score {
            let st = p.pre_score(&mut state, &pod, &infos, &snapshot);
            assert_eq!(st, c.want_pre_score_status, "{name}: PreScore status");
            if !st.is_success() {
                continue;
            }
        }
        let mut got: Vec<i64> = infos
            .iter()
            .map(|n| p.score(&state, &pod, n, &snapshot))
            .collect();
        p.normalize(&state, &pod, &infos, &mut got);
        assert_eq!(got, c.expected, "{name}");
    }
}

/// Score without PreScore parses the pod's terms itself (upstream's fallback).
#[test]
fn score_without_pre_score_state() {
    let p = plugin(None);
    let pod = pod(AFFINITY2);
    let n = NodeInfo::new(node(
        "node5",
        &[("foo", "bar"), ("key", "value"), ("az", "az1")],
    ));
    assert_eq!(
        p.score(&CycleState::default(), &pod, &n, &Snapshot::new()),
        11
    );
}

/// NodeAffinityArgs: unknown fields and unparsable addedAffinity are errors; TypeMeta is
/// accepted.
#[test]
fn args() {
    assert!(new(None).is_ok());
    assert!(new(Some(&serde_json::json!({
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "NodeAffinityArgs",
        "addedAffinity": {}
    })))
    .is_ok());
    assert!(new(Some(&serde_json::json!({"addedAfinity": {}}))).is_err());
    let err = new(Some(&serde_json::json!({"addedAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "foo", "operator": "In"}]}
        ]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchFields": [{"key": "metadata.name", "operator": "Exists"}]}}
        ]
    }})))
    .err()
    .unwrap();
    assert_eq!(
        err,
        "[addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty, addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].matchFields[0].operator: Unsupported value: \"Exists\": supported values: \"In\", \"NotIn\"]"
    );
}

/// The plugin takes part in PreFilter, Filter, PreScore and Score only.
#[test]
fn extension_points() {
    let p = plugin(None);
    assert!(p.as_pre_filter().is_some() && p.as_filter().is_some());
    assert!(p.as_pre_score().is_some() && p.as_score().is_some());
    assert!(p.as_pre_enqueue().is_none() && p.as_reserve().is_none() && p.as_bind().is_none());
}
