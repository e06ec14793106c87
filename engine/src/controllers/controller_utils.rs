//! Helpers shared by the workload controllers (pkg/controller/controller_utils.go).

use crate::api::{Object, OwnerReference, Pod, ReplicaSet, Time};
use crate::sim::SimTime;
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
    // podPhaseToOrdinal: Pending 0, Unknown 1, Running 2 (other phases are not active).
    match p.status.phase.as_str() {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    }
}

/// `controller.kubernetes.io/pod-deletion-cost`; an invalid or absent value is 0.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

fn deletion_cost(p: &Pod) -> i32 {
    p.metadata
        .annotations
        .get(POD_DELETION_COST)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A timestamp as the controller reads it from the API: whole seconds (metav1.Time).
fn seconds(t: Option<Time>) -> Option<u64> {
    t.map(|t| t.0.as_micros() / 1_000_000)
}

/// podReadyTime: when the Ready condition last became True, if it is True.
fn ready_since(p: &Pod) -> Option<u64> {
    p.condition("Ready")
        .filter(|c| c.status == "True")
        .and_then(|c| seconds(c.last_transition_time))
}

fn max_restarts(p: &Pod) -> i32 {
    p.status
        .container_statuses
        .iter()
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0)
}

/// afterOrZero: a zero time sorts first; otherwise the later time does.
fn after_or_zero(t1: Option<u64>, t2: Option<u64>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        _ => t1.is_none(),
    }
}

/// logarithmicRankDiff: floor(log2(age in ns)) of each (-1 without an age), compared.
fn log_rank_diff(t1_s: u64, t2_s: u64, now: SimTime) -> i64 {
    let now_ns = now.as_micros() * 1000;
    let rank = |t: u64| match now_ns.saturating_sub(t * 1_000_000_000) {
        0 => -1,
        d => i64::from(d.ilog2()),
    };
    rank(t1_s) - rank(t2_s)
}

/// One pod with its rank (active pods of the same owner family on its node).
pub type Ranked<'a> = (&'a Pod, usize);

/// ActivePodsWithRanks.Less (pkg/controller/controller_utils.go), with the PodDeletionCost and
/// LogarithmicScaleDown features on (their defaults): true when `a` should be deleted before
/// `b`. Timestamps compare in whole seconds, as read from the API.
pub fn deletion_less(a: Ranked<'_>, b: Ranked<'_>, now: SimTime) -> bool {
    let ((pa, ra), (pb, rb)) = (a, b);
    // 1. Unassigned < assigned.
    let (na, nb) = (&pa.spec.node_name, &pb.spec.node_name);
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return na.is_empty();
    }
    // 2. Pending < Unknown < Running.
    if phase_rank(pa) != phase_rank(pb) {
        return phase_rank(pa) < phase_rank(pb);
    }
    // 3. Not ready < ready.
    if pa.is_ready() != pb.is_ready() {
        return !pa.is_ready();
    }
    // 4. Lower pod-deletion-cost < higher.
    if deletion_cost(pa) != deletion_cost(pb) {
        return deletion_cost(pa) < deletion_cost(pb);
    }
    // 5. Doubled up < not doubled up.
    if ra != rb {
        return ra > rb;
    }
    let log_compare = |t1: Option<u64>, t2: Option<u64>| -> Option<bool> {
        if t1 == t2 {
            return None;
        }
        match (t1, t2) {
            (Some(x), Some(y)) if now > SimTime::ZERO => match log_rank_diff(x, y, now) {
                0 => Some(pa.metadata.uid < pb.metadata.uid),
                d => Some(d < 0),
            },
            _ => Some(after_or_zero(t1, t2)),
        }
    };
    // 6. Ready for a shorter time < longer (logarithmic buckets, then uid).
    if pa.is_ready() && pb.is_ready() {
        if let Some(r) = log_compare(ready_since(pa), ready_since(pb)) {
            return r;
        }
    }
    // 7. More container restarts < fewer.
    if max_restarts(pa) != max_restarts(pb) {
        return max_restarts(pa) > max_restarts(pb);
    }
    // 8. Newer < older (logarithmic buckets, then uid); no creation time first.
    let created = |p: &Pod| seconds(p.metadata.creation_timestamp);
    log_compare(created(pa), created(pb)).unwrap_or(false)
}

/// The order `getPodsToDelete` sorts in, as an `Ordering` for a (stable) sort.
pub fn deletion_order(a: Ranked<'_>, b: Ranked<'_>, now: SimTime) -> Ordering {
    if deletion_less(a, b, now) {
        Ordering::Less
    } else if deletion_less(b, a, now) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Time;
    use crate::sim::SimTime;
    use std::collections::BTreeMap;

    /// "now" of the table: 40 days into the simulation, so a month ago is still positive.
    const NOW_S: u64 = 40 * 86_400;

    /// The pod builder of TestSortingActivePodsWithRanks; times are seconds ago (None: zero).
    #[allow(clippy::too_many_arguments)]
    fn pod(
        name: &str,
        node: &str,
        phase: &str,
        ready: bool,
        restarts: i32,
        ready_ago: Option<u64>,
        created_ago: Option<u64>,
        cost: Option<&str>,
    ) -> Pod {
        let at = |ago: Option<u64>| ago.map(|a| Time(SimTime((NOW_S - a) * 1_000_000)));
        let mut p = Pod::default();
        // No uid, as upstream's table: equal logarithmic buckets then compare equal.
        p.metadata.name = name.into();
        p.metadata.creation_timestamp = at(created_ago);
        if let Some(c) = cost {
            p.metadata.annotations =
                BTreeMap::from([(POD_DELETION_COST.to_string(), c.to_string())]);
        }
        p.spec.node_name = node.into();
        p.status.phase = phase.into();
        if ready {
            p.status.conditions.push(crate::api::pod::PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: at(ready_ago),
                ..Default::default()
            });
            p.status
                .container_statuses
                .push(crate::api::pod::ContainerStatus {
                    restart_count: restarts,
                    ..Default::default()
                });
        }
        p
    }

    /// controller_utils_test.go TestSortingActivePodsWithRanks (feature gates at their
    /// defaults: PodDeletionCost and LogarithmicScaleDown on).
    #[test]
    fn sorting_active_pods_with_ranks() {
        let now = SimTime(NOW_S * 1_000_000);
        let (month, h2, h5, h8) = (
            Some(30 * 86_400),
            Some(2 * 3600),
            Some(5 * 3600),
            Some(8 * 3600),
        );
        let z = None;
        let unscheduled = pod("unscheduled", "", "Pending", false, 0, z, z, None);
        let scheduled_pending = pod("pending", "node", "Pending", false, 0, z, z, None);
        let unknown_phase = pod("unknown-phase", "node", "Unknown", false, 0, z, z, None);
        let running_not_ready = pod("not-ready", "node", "Running", false, 0, z, z, None);
        let ready_no_ltt = pod(
            "ready-no-last-transition-time",
            "node",
            "Running",
            true,
            0,
            z,
            z,
            None,
        );
        let ready_now = pod(
            "ready-now",
            "node",
            "Running",
            true,
            0,
            Some(0),
            Some(0),
            None,
        );
        let ready_then = pod("ready-then", "node", "Running", true, 0, month, month, None);
        let ready_now_high_restarts = pod(
            "ready-high-restarts",
            "node",
            "Running",
            true,
            9001,
            Some(0),
            Some(0),
            None,
        );
        let ready_now_created_then = pod(
            "ready-now-created-then",
            "node",
            "Running",
            true,
            0,
            Some(0),
            month,
            None,
        );
        let low_cost = pod(
            "low-deletion-cost",
            "node",
            "Running",
            true,
            0,
            Some(0),
            month,
            Some("10"),
        );
        let high_cost = pod(
            "high-deletion-cost",
            "node",
            "Running",
            true,
            0,
            Some(0),
            month,
            Some("100"),
        );
        let unscheduled_5h = pod("unscheduled-5-hours", "", "Pending", false, 0, h5, h5, None);
        let unscheduled_8h = pod(
            "unscheduled-10-hours",
            "",
            "Pending",
            false,
            0,
            h8,
            h8,
            None,
        );
        let ready_2h = pod("ready-2-hours", "", "Running", true, 0, h2, month, None);
        let ready_5h = pod("ready-5-hours", "", "Running", true, 0, h5, month, None);
        let ready_8h = pod("ready-10-hours", "", "Running", true, 0, h8, month, None);

        let equal: Vec<(&Pod, &Pod)> = vec![
            (&unscheduled, &unscheduled),
            (&scheduled_pending, &scheduled_pending),
            (&unknown_phase, &unknown_phase),
            (&running_not_ready, &running_not_ready),
            (&ready_now_created_then, &ready_now_created_then),
            (&ready_now, &ready_now),
            (&ready_then, &ready_then),
            (&ready_now_high_restarts, &ready_now_high_restarts),
            (&unscheduled_5h, &unscheduled_8h),
            (&ready_5h, &ready_8h),
        ];
        for (i, (p1, p2)) in equal.into_iter().enumerate() {
            let less = deletion_less((p1, 1), (p2, 1), now) || deletion_less((p2, 1), (p1, 1), now);
            assert!(
                !less,
                "Equality tests {i}: {} vs {}",
                p1.metadata.name, p2.metadata.name
            );
        }

        let unequal: Vec<(Ranked<'_>, Ranked<'_>)> = vec![
            ((&unscheduled, 1), (&scheduled_pending, 2)),
            ((&unscheduled, 2), (&scheduled_pending, 1)),
            ((&scheduled_pending, 1), (&unknown_phase, 2)),
            ((&unknown_phase, 1), (&running_not_ready, 2)),
            ((&running_not_ready, 1), (&ready_no_ltt, 1)),
            ((&ready_no_ltt, 1), (&ready_now, 1)),
            ((&ready_now, 2), (&ready_no_ltt, 1)),
            ((&ready_now, 1), (&ready_then, 1)),
            ((&ready_now, 2), (&ready_then, 1)),
            ((&ready_now_high_restarts, 1), (&ready_now, 1)),
            ((&ready_now, 2), (&ready_now_high_restarts, 1)),
            ((&ready_now, 1), (&ready_now_created_then, 1)),
            ((&ready_now_created_then, 2), (&ready_now, 1)),
            ((&low_cost, 2), (&high_cost, 1)),
            ((&ready_2h, 1), (&ready_5h, 1)),
        ];
        for (i, (lesser, greater)) in unequal.into_iter().enumerate() {
            assert!(
                deletion_less(lesser, greater, now),
                "Inequality tests {i}: {} first",
                lesser.0.metadata.name
            );
            assert!(
                !deletion_less(greater, lesser, now),
                "Inequality tests {i}: not {} first",
                greater.0.metadata.name
            );
        }
    }
}
