//! The trace of scenarios/cascade-delete.ron shows each propagation policy's order.

mod common;

use serde_json::Value;

fn trace() -> Vec<Value> {
    common::trace_of("cascade-delete.ron")
}

/// Sequence numbers of the lines matching (verb, kind, name prefix).
fn seqs(t: &[Value], verb: &str, kind: &str, prefix: &str) -> Vec<u64> {
    t.iter()
        .filter(|v| v["verb"] == verb && v["kind"] == kind)
        .filter(|v| v["name"].as_str().unwrap().starts_with(prefix))
        .map(|v| v["seq"].as_u64().unwrap())
        .collect()
}

#[test]
fn propagation_policies_order_their_deletions() {
    let t = trace();
    let pod_deletes = |p: &str| seqs(&t, "delete", "Pod", &format!("{p}-"));
    let rs_gone = |n: &str| {
        let s = seqs(&t, "delete", "ReplicaSet", n);
        assert_eq!(s.len(), 1, "{n} is removed once");
        s[0]
    };
    // Background: the ReplicaSet goes first, then the collector deletes its 3 pods.
    let bg = pod_deletes("background");
    assert_eq!(bg.len(), 3);
    assert!(bg.iter().all(|s| *s > rs_gone("background")));
    // Foreground: the pods go first; the ReplicaSet only after the last of them.
    let fg = pod_deletes("foreground");
    assert_eq!(fg.len(), 3);
    assert!(fg.iter().all(|s| *s < rs_gone("foreground")));
    let marked = t
        .iter()
        .find(|v| {
            v["kind"] == "ReplicaSet"
                && v["name"] == "foreground"
                && v["actor"] == "kubectl"
                && v["verb"] != "create"
        })
        .unwrap();
    assert_eq!(
        marked["verb"], "update",
        "a foreground delete only marks the owner"
    );
    assert_eq!(
        marked["object"]["metadata"]["finalizers"][0],
        "foregroundDeletion"
    );
    // Orphan: no pod deleted; each loses its ownerReference before the ReplicaSet goes.
    assert!(pod_deletes("orphan").is_empty());
    let released: Vec<&Value> = t
        .iter()
        .filter(|v| v["verb"] == "update" && v["kind"] == "Pod")
        .filter(|v| v["name"].as_str().unwrap().starts_with("orphan-"))
        .collect();
    assert_eq!(released.len(), 3);
    for r in &released {
        assert_eq!(r["actor"], "garbage-collector-controller");
        assert!(r["object"]["metadata"].get("ownerReferences").is_none());
        assert!(r["seq"].as_u64().unwrap() < rs_gone("orphan"));
    }
}
