//! The trace of scenarios/replicaset-flow.ron shows the ReplicaSet flow's steps in order
//! (../shared/KUBERNETES.md "Who talks to whom").

mod common;

use serde_json::Value;
use std::collections::BTreeMap;

fn trace() -> Vec<Value> {
    common::trace_of("replicaset-flow.ron")
}

#[test]
fn trace_follows_the_replicaset_flow() {
    let t = trace();
    let seq = |v: &Value| v["seq"].as_u64().unwrap();
    let find = |verb: &str, kind: &str, name: &str| -> Vec<&Value> {
        t.iter()
            .filter(|v| v["verb"] == verb && v["kind"] == kind && v["name"] == name)
            .collect()
    };
    // 1-2. kubectl creates the ReplicaSet; it is stored.
    let rs = find("create", "ReplicaSet", "web");
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0]["actor"], "kubectl");
    let rs_seq = seq(rs[0]);
    // 3-4. The replicaset controller creates 5 pods, after the ReplicaSet, owned by it.
    let pods: Vec<&Value> = t
        .iter()
        .filter(|v| v["verb"] == "create" && v["kind"] == "Pod")
        .collect();
    assert_eq!(pods.len(), 5);
    let mut node_of: BTreeMap<String, String> = BTreeMap::new();
    for p in &pods {
        assert_eq!(p["actor"], "replicaset-controller");
        assert!(seq(p) > rs_seq);
        let o = &p["object"];
        assert_eq!(o["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        assert_eq!(o["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(o["status"]["phase"], "Pending");
        let name = p["name"].as_str().unwrap();
        assert!(name.starts_with("web-") && name.len() == 9, "{name}");
        // 5. The scheduler decides, then binds.
        let sched = find("schedule", "Pod", name);
        let bind = find("bind", "Pod", name);
        assert_eq!((sched.len(), bind.len()), (1, 1), "{name}");
        assert_eq!(bind[0]["actor"], "kube-scheduler");
        assert!(seq(sched[0]) > seq(p) && seq(bind[0]) > seq(sched[0]));
        let node = bind[0]["object"]["spec"]["nodeName"].as_str().unwrap();
        assert_eq!(sched[0]["object"]["selected"], node);
        node_of.insert(name.to_string(), node.to_string());
        // 6-7. The kubelet of that node reports ContainerCreating, then Running and Ready.
        let patches = find("patch", "Pod", name);
        assert_eq!(patches.len(), 2, "{name}");
        for pa in &patches {
            assert_eq!(pa["actor"], format!("kubelet/{node}"));
            assert!(seq(pa) > seq(bind[0]));
        }
        let running = &patches[1]["object"];
        assert_eq!(running["status"]["phase"], "Running");
        let ready = running["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        assert!(ready, "{name} Ready");
    }
    // Slow start: the first batch is one pod; the next is sent only once its creation was
    // answered, a round trip (at least 2 x 1 ms of link latency) later.
    let times: Vec<u64> = pods.iter().map(|p| p["t_us"].as_u64().unwrap()).collect();
    assert!(times[1] >= times[0] + 2_000, "{times:?}");
    // Every node ran some pod: the scheduler spread them (LeastAllocated).
    let used: std::collections::BTreeSet<&String> = node_of.values().collect();
    assert_eq!(used.len(), 3, "{node_of:?}");
    // 7. Every kubelet renews its Lease about every 10 s (10 s + up to 4 % jitter).
    for n in 1..=3 {
        let name = format!("worker-{n}");
        let renewals: Vec<u64> = t
            .iter()
            .filter(|v| v["kind"] == "Lease" && v["name"] == name.as_str())
            .map(|v| v["t_us"].as_u64().unwrap())
            .collect();
        assert!(
            renewals.len() >= 11,
            "{name}: {} lease writes",
            renewals.len()
        );
        for w in renewals.windows(2) {
            let gap = w[1] - w[0];
            assert!((9_990_000..=10_420_000).contains(&gap), "{name}: gap {gap}");
        }
    }
}
