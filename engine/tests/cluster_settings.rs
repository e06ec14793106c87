//! Cluster settings reach the components: `cluster.controller_manager` (a shorter
//! `--node-monitor-grace-period` detects a stopped kubelet sooner, a lower `--kube-api-qps` slows
//! pod creation) and `cluster.runtime` image sizes (a big image takes longer to pull).

use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::parse_str;
use kubesim::sim::Trace;

/// A kubelet stops at 1m; `cluster` (extra cluster fields) and `expect` are spliced in.
fn scenario(cluster: &str, replicas: u32, expect: &str) -> String {
    format!(
        r#"Scenario(
    name: "cm",
    run_for: "3m",
    cluster: (
        node_pools: [(name: "worker", count: 3, cpu: "64", memory: "64Gi", zone: "zone-a")],
        {cluster}
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
            ..Default::default()
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
    let running_by_10s = r#"(by: "10s", running: (owner: "ReplicaSet/web", count: 1))"#;
    let big_image = r#"runtime: (pull_bandwidth: "10Mi", image_sizes: {"nginx": "200Mi"}),"#;
    let small_image = r#"runtime: (pull_bandwidth: "10Mi", image_sizes: {"nginx": "20Mi"}),"#;
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
        (
            "200Mi at 10Mi/s: a 20s pull",
            big_image,
            1,
            running_by_10s,
            false,
        ),
        (
            "20Mi at 10Mi/s: a 2s pull",
            small_image,
            1,
            running_by_10s,
            true,
        ),
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
    for (cluster, text) in cases {
        let err = parse_str(&scenario(cluster, 1, ""), "cm.ron").expect_err(cluster);
        let msg = err.to_string();
        assert!(msg.contains(text), "{cluster}: {msg}");
    }
}
