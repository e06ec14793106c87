//! Helpers shared by the workload controllers (pkg/controller/controller_utils.go).

use crate::api::{Object, OwnerReference, Pod, ReplicaSet};
use std::cmp::Ordering;

/// `SlowStartInitialBatchSize`.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// The pod a controller creates from its template (GetPodFromTemplate).
pub fn pod_from_template(rs: &ReplicaSet) -> Pod {
    let t = &rs.spec.template;
    let mut pod = Pod {
        spec: t.spec.clone(),
        ..Default::default()
    };
    pod.metadata.labels = t.metadata.labels.clone();
    pod.metadata.annotations = t.metadata.annotations.clone();
    pod.metadata.namespace = rs.metadata.namespace.clone();
    pod.metadata.generate_name = format!("{}-", rs.metadata.name);
    pod.metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: rs.metadata.name.clone(),
        uid: rs.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }];
    pod
}

/// Whether `o` is a pod controlled by the owner with this uid.
pub fn controlled_by(o: &Object, uid: &str) -> bool {
    o.meta().controller_ref().is_some_and(|r| r.uid == uid)
}

fn phase_rank(p: &Pod) -> u8 {
    match p.status.phase.as_str() {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    }
}

/// Which of two pods to delete first on scale-down: `Less` means `a` goes first. Follows
/// ActivePodsWithRanks.Less: unassigned before assigned; Pending, Unknown, Running; not ready
/// before ready; more pods of the owner on the same node (`rank`) first; newer before older;
/// then by uid for a total order. (Deletion cost, ready time and restart buckets come with the
/// control-plane issue.)
pub fn deletion_order(a: (&Pod, usize), b: (&Pod, usize)) -> Ordering {
    let (pa, ra) = a;
    let (pb, rb) = b;
    let assigned = |p: &Pod| !p.spec.node_name.is_empty();
    assigned(pa)
        .cmp(&assigned(pb))
        .then(phase_rank(pa).cmp(&phase_rank(pb)))
        .then(pa.is_ready().cmp(&pb.is_ready()))
        .then(rb.cmp(&ra))
        .then(
            pb.metadata
                .creation_timestamp
                .cmp(&pa.metadata.creation_timestamp),
        )
        .then(pa.metadata.uid.cmp(&pb.metadata.uid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Time;
    use crate::sim::SimTime;

    fn pod(uid: &str, node: &str, phase: &str, ready: bool, created: u64) -> Pod {
        let mut p = Pod::default();
        p.metadata.uid = uid.into();
        p.metadata.creation_timestamp = Some(Time(SimTime(created)));
        p.spec.node_name = node.into();
        p.status.phase = phase.into();
        if ready {
            p.set_condition("Ready", "True", Time(SimTime(0)));
        }
        p
    }

    #[test]
    fn deletion_order_table() {
        // (name, a, b): a is deleted before b.
        let cases = [
            (
                "unassigned first",
                pod("a", "", "Pending", false, 5),
                pod("b", "n1", "Pending", false, 5),
            ),
            (
                "pending before running",
                pod("a", "n1", "Pending", false, 5),
                pod("b", "n1", "Running", false, 5),
            ),
            (
                "unknown before running",
                pod("a", "n1", "Unknown", false, 5),
                pod("b", "n1", "Running", false, 5),
            ),
            (
                "not ready before ready",
                pod("a", "n1", "Running", false, 5),
                pod("b", "n1", "Running", true, 5),
            ),
            (
                "newer before older",
                pod("a", "n1", "Running", true, 9),
                pod("b", "n1", "Running", true, 5),
            ),
            (
                "uid breaks ties",
                pod("a", "n1", "Running", true, 5),
                pod("b", "n1", "Running", true, 5),
            ),
        ];
        for (name, a, b) in cases {
            assert_eq!(deletion_order((&a, 1), (&b, 1)), Ordering::Less, "{name}");
            assert_eq!(
                deletion_order((&b, 1), (&a, 1)),
                Ordering::Greater,
                "{name} (reversed)"
            );
        }
        let (a, b) = (
            pod("a", "n1", "Running", true, 5),
            pod("b", "n2", "Running", true, 5),
        );
        assert_eq!(
            deletion_order((&b, 3), (&a, 1)),
            Ordering::Less,
            "doubled-up pods go first"
        );
    }
}
