//! `cluster.controller_manager` reaches the node lifecycle controller and the controllers'
//! client: a shorter `--node-monitor-grace-period` detects a stopped kubelet sooner, and a
//! lower `--kube-api-qps` slows pod creation.

use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::parse_str;
use kubesim::sim::Trace;

/// A kubelet stops at 1m; `expect` is spliced in; `cm` is the controller_manager block.
fn scenario(cm: &str, replicas: u32, expect: &str) -> String {
    format!(
        r#"Scenario(
    name: "cm",
    run_for: "3m",
    cluster: (
        node_pools: [(name: "worker", count: 3, cpu: "64", memory: "64Gi", zone: "zone-a")],
        {cm}
    ),
    actions: [
        (at: "1s", create: ReplicaSet((name: "web", replicas: {replicas}, image: "nginx", cpu: "10m", memory: "16Mi"))),
        (at: "1m", fault: StopKubelet(node: "worker-1")),
    ],
    expect: [{expect}],
)"#
    )
}

fn passes(src: &str) -> bool {
    let s = parse_str(src, "cm.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut c = Cluster::new(
        &s,
        RunOptions {
            seed: None,
            trace: Trace::new(),
        },
    );
    c.run(None).passed()
}

#[test]
fn flags_change_the_timeline() {
    let unknown_by_90s = r#"(by: "1m30s", nodes: (names: ["worker-1"], ready: Unknown, count: 1))"#;
    let all_by_10s = r#"(by: "10s", pods: (owner: "ReplicaSet/web", count: 200))"#;
    let grace_20s = r#"controller_manager: (node_monitor_grace_period: "20s"),"#;
    let qps_5 = r#"controller_manager: (kube_api_qps: 5, kube_api_burst: 5),"#;
    let cases = [
        (
            "default grace: not detected within 30s",
            "",
            3,
            unknown_by_90s,
            false,
        ),
        (
            "20s grace: detected within 30s",
            grace_20s,
            3,
            unknown_by_90s,
            true,
        ),
        ("default qps: 200 pods in 9s", "", 200, all_by_10s, true),
        ("5 qps: 200 pods take 40s", qps_5, 200, all_by_10s, false),
    ];
    for (name, cm, replicas, expect, want) in cases {
        assert_eq!(passes(&scenario(cm, replicas, expect)), want, "{name}");
    }
}

#[test]
fn bad_values_name_their_position() {
    let cases = [
        (
            r#"controller_manager: (node_eviction_rate: "fast"),"#,
            "cm.ron:6:51: expected a decimal",
        ),
        (
            r#"controller_manager: (kube_api_qps: 0),"#,
            "cm.ron:6:44: Expected a nonzero",
        ),
        (
            r#"controller_manager: (node_monitor_period: "0s"),"#,
            "positive duration",
        ),
    ];
    for (cm, text) in cases {
        let err = parse_str(&scenario(cm, 1, ""), "cm.ron").expect_err(cm);
        let msg = err.to_string();
        assert!(msg.contains(text), "{cm}: {msg}");
    }
}
