//! Deployment controller tests. The first part transcribes the table tests of
//! pkg/controller/deployment/{rolling,sync,progress}_test.go (test and case names cited),
//! calling the sync functions directly and reading the writes they decided. The second part
//! drives the actor through `sim::testing::Harness` against a small in-memory API server that
//! answers like kube-apiserver (watch event before the response, 409 on a stale
//! resourceVersion, the Deployment status strategy keeping metadata but labels).

use super::util::*;
use super::*;
use crate::api::admission::default_deployment;
use crate::api::deployment::{DeploymentCondition, DeploymentStatus, RollingUpdateDeployment};
use crate::api::{Container, IntOrString, LabelSelector, Op, Request, Time, WatchEvent, WatchMsg};
use crate::controllers::controller_utils::pod_from_template;
use crate::sim::testing::{pop_due, Harness, Sent};
use crate::sim::{ActorId, EventId};

const API: ActorId = ActorId(0);
const ME: ActorId = ActorId(1);

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000)
}

/// deployment_controller_test.go newDeployment: RollingUpdate with maxSurge and maxUnavailable 0
/// unless given.
fn new_deployment(
    name: &str,
    replicas: i32,
    revision_history_limit: Option<i32>,
    max_surge: Option<IntOrString>,
    max_unavailable: Option<IntOrString>,
    selector: &[(&str, &str)],
) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = name.into();
    d.metadata.namespace = "default".into();
    d.metadata.uid = format!("uid-{name}");
    d.spec.strategy.type_ = ROLLING_UPDATE.into();
    d.spec.strategy.rolling_update = Some(RollingUpdateDeployment {
        max_surge: Some(max_surge.unwrap_or(IntOrString::Int(0))),
        max_unavailable: Some(max_unavailable.unwrap_or(IntOrString::Int(0))),
    });
    d.spec.replicas = Some(replicas);
    d.spec.selector = LabelSelector::from_labels(&labels(selector));
    d.spec.template.metadata.labels = labels(selector);
    d.spec.template.spec.containers = vec![Container {
        image: "foo/bar".into(),
        ..Default::default()
    }];
    d.spec.revision_history_limit = revision_history_limit;
    d
}

/// deployment_controller_test.go rs (resourceVersion 1: it comes from a cache).
fn rs(
    name: &str,
    replicas: i32,
    selector: &[(&str, &str)],
    created: Option<SimTime>,
) -> ReplicaSet {
    let mut r = ReplicaSet::default();
    r.metadata.name = name.into();
    r.metadata.namespace = "default".into();
    r.metadata.resource_version = 1;
    r.metadata.creation_timestamp = created.map(Time);
    r.spec.replicas = Some(replicas);
    r.spec.selector = LabelSelector::from_labels(&labels(selector));
    r
}

fn controller() -> DeploymentController {
    DeploymentController::new(ApiClient::new(API), DeploymentConfig::default())
}

/// The ReplicaSet Updates a sync decided: (name, replicas).
fn rs_updates(c: &DeploymentController) -> Vec<(String, i32)> {
    c.outbox
        .iter()
        .filter_map(|o| match &o.write {
            Write::UpdateRs(rs) => Some((rs.metadata.name.clone(), rs.replicas())),
            _ => None,
        })
        .collect()
}

/// rolling_test.go TestDeploymentController_reconcileNewReplicaSet.
#[test]
fn reconcile_new_replica_set_table() {
    // (deploymentReplicas, maxSurge, oldReplicas, newReplicas, scaleExpected, expectedNewReplicas)
    let cases = [
        (10, 0, 10, 0, false, 0), // Should not scale up.
        (10, 2, 10, 0, true, 2),
        (10, 2, 5, 0, true, 7),
        (10, 2, 10, 2, false, 0),
        (10, 2, 2, 11, true, 10), // Should scale down.
    ];
    for (i, (replicas, surge, old, new, scale_expected, want)) in cases.into_iter().enumerate() {
        let new_rs = Arc::new(rs("foo-v2", new, &[], None));
        let old_rs = Arc::new(rs("foo-v2", old, &[], None));
        let all = [new_rs.clone(), old_rs];
        let d = new_deployment(
            "foo",
            replicas,
            None,
            Some(IntOrString::Int(surge)),
            None,
            &[("foo", "bar")],
        );
        let mut c = controller();
        let scaled = c.reconcile_new_replica_set(&all, &new_rs, &d);
        assert_eq!(scaled, Ok(scale_expected), "scenario {i}");
        let updates = rs_updates(&c);
        if scale_expected {
            assert_eq!(updates, [("foo-v2".to_string(), want)], "scenario {i}");
        } else {
            assert!(
                updates.is_empty(),
                "scenario {i}: unexpected scaling {updates:?}"
            );
        }
    }
}

/// rolling_test.go TestDeploymentController_reconcileOldReplicaSets (the old set's final size
/// checked too).
#[test]
fn reconcile_old_replica_sets_table() {
    // (deploymentReplicas, maxUnavailable, oldReplicas, newReplicas, readyOld, readyNew,
    //  scaleExpected, expectedOldReplicas)
    let cases = [
        (10, 0, 10, 0, 10, 0, true, 9),
        (10, 2, 10, 0, 10, 0, true, 8),
        (10, 2, 10, 0, 8, 0, true, 8), // unhealthy replicas from old replica sets cleaned up
        (10, 2, 10, 0, 9, 0, true, 8), // 1 unhealthy cleaned up, 1 ready scaled down
        (10, 2, 8, 2, 8, 0, false, 8), // unavailable new pods block further scale down
    ];
    for (i, (replicas, max_unav, old, new, ready_old, ready_new, scale_expected, want)) in
        cases.into_iter().enumerate()
    {
        let mut new_rs = rs("foo-new", new, &[("foo", "new")], None);
        new_rs.status.available_replicas = ready_new;
        let mut old_rs = rs("foo-old", old, &[("foo", "old")], None);
        old_rs.status.available_replicas = ready_old;
        let (new_rs, old_rs) = (Arc::new(new_rs), Arc::new(old_rs));
        let all = [old_rs.clone(), new_rs.clone()];
        let d = new_deployment(
            "foo",
            replicas,
            None,
            Some(IntOrString::Int(0)),
            Some(IntOrString::Int(max_unav)),
            &[("foo", "new")],
        );
        let mut c = controller();
        let scaled = c.reconcile_old_replica_sets(&all, vec![old_rs], &new_rs, &d);
        assert_eq!(scaled, scale_expected, "scenario {i}");
        let last = rs_updates(&c).last().map_or(old, |u| u.1);
        assert_eq!(last, want, "scenario {i}: old replicas");
    }
}

/// rolling_test.go TestDeploymentController_cleanupUnhealthyReplicas.
#[test]
fn cleanup_unhealthy_replicas_table() {
    // (oldReplicas, readyPods, maxCleanupCount, cleanupCountExpected)
    let cases = [(10, 8, 1, 1), (10, 8, 3, 2), (10, 8, 0, 0), (10, 10, 3, 0)];
    for (i, (old, ready, max_cleanup, want)) in cases.into_iter().enumerate() {
        let mut old_rs = rs("foo-v2", old, &[], None);
        old_rs.status.available_replicas = ready;
        let d = new_deployment(
            "foo",
            10,
            None,
            Some(IntOrString::Int(2)),
            Some(IntOrString::Int(2)),
            &[],
        );
        let mut c = controller();
        let (_, count) = c
            .cleanup_unhealthy_replicas(vec![Arc::new(old_rs)], &d, max_cleanup)
            .expect("no error");
        assert_eq!(count, want, "scenario {i}");
    }
}

/// rolling_test.go TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate.
#[test]
fn scale_down_old_replica_sets_for_rolling_update_table() {
    // (deploymentReplicas, maxUnavailable, readyPods, oldReplicas, scaleExpected, expectedOld)
    let cases = [
        (10, 0, 10, 10, true, 9),
        (10, 2, 10, 10, true, 8),
        (10, 2, 8, 10, false, 0),
        (10, 2, 10, 0, false, 0),
        (10, 2, 1, 10, false, 0),
    ];
    for (i, (replicas, max_unav, ready, old, scale_expected, want)) in cases.into_iter().enumerate()
    {
        let mut old_rs = rs("foo-v2", old, &[], None);
        old_rs.status.available_replicas = ready;
        let old_rs = Arc::new(old_rs);
        let d = new_deployment(
            "foo",
            replicas,
            None,
            Some(IntOrString::Int(0)),
            Some(IntOrString::Int(max_unav)),
            &[("foo", "bar")],
        );
        let mut c = controller();
        let scaled = c
            .scale_down_old_replica_sets_for_rolling_update(
                std::slice::from_ref(&old_rs),
                vec![old_rs.clone()],
                &d,
            )
            .expect("no error");
        assert_eq!(scaled > 0, scale_expected, "scenario {i}");
        if scale_expected {
            assert_eq!(
                rs_updates(&c),
                [("foo-v2".to_string(), want)],
                "scenario {i}"
            );
        }
    }
}

/// sync_test.go TestScale: scaling events, proportional scaling, leftovers, saturation.
#[test]
fn scale_table() {
    let (newer, old, older) = (Some(secs(7200)), Some(secs(3600)), Some(secs(0)));
    let d = |replicas: i32| new_deployment("foo", replicas, None, None, None, &[]);
    let surge = |replicas: i32, s: i32| {
        new_deployment("foo", replicas, None, Some(IntOrString::Int(s)), None, &[])
    };
    let mut updated_template = new_deployment("foo", 14, None, None, None, &[("foo", "bar")]);
    updated_template
        .spec
        .template
        .metadata
        .labels
        .insert("another".into(), "label".into());
    let mut saturated_broken = surge(2, 1);
    saturated_broken.spec.strategy.rolling_update = Some(RollingUpdateDeployment {
        max_surge: Some(IntOrString::Int(1)),
        max_unavailable: Some(IntOrString::Int(1)),
    });
    struct Case {
        name: &'static str,
        d: Deployment,
        old_d: Deployment,
        new_rs: Option<(&'static str, i32, Option<SimTime>)>,
        old_rss: Vec<(&'static str, i32, Option<SimTime>)>,
        want_new: i32,
        want_old: Vec<i32>,
        desired_override: Option<(&'static str, i32)>,
    }
    let case = |name, d, old_d, new_rs, old_rss, want_new, want_old| Case {
        name,
        d,
        old_d,
        new_rs,
        old_rss,
        want_new,
        want_old,
        desired_override: None,
    };
    let mut cases = vec![
        case(
            "normal scaling event: 10 -> 12",
            d(12),
            d(10),
            Some(("foo-v1", 10, newer)),
            vec![],
            12,
            vec![],
        ),
        case(
            "normal scaling event: 10 -> 5",
            d(5),
            d(10),
            Some(("foo-v1", 10, newer)),
            vec![],
            5,
            vec![],
        ),
        case(
            "proportional scaling: 5 -> 10",
            d(10),
            d(5),
            Some(("foo-v2", 2, newer)),
            vec![("foo-v1", 3, old)],
            4,
            vec![6],
        ),
        case(
            "proportional scaling: 5 -> 3",
            d(3),
            d(5),
            Some(("foo-v2", 2, newer)),
            vec![("foo-v1", 3, old)],
            1,
            vec![2],
        ),
        case(
            "proportional scaling: 9 -> 4",
            d(4),
            d(9),
            Some(("foo-v2", 8, newer)),
            vec![("foo-v1", 1, old)],
            4,
            vec![0],
        ),
        case(
            "proportional scaling: 7 -> 10",
            d(10),
            d(7),
            Some(("foo-v3", 2, newer)),
            vec![("foo-v2", 3, old), ("foo-v1", 2, older)],
            3,
            vec![4, 3],
        ),
        case(
            "proportional scaling: 13 -> 8",
            d(8),
            d(13),
            Some(("foo-v3", 2, newer)),
            vec![("foo-v2", 8, old), ("foo-v1", 3, older)],
            1,
            vec![5, 2],
        ),
        case(
            "leftover distribution: 3 -> 4",
            d(4),
            d(3),
            Some(("foo-v3", 1, newer)),
            vec![("foo-v2", 1, old), ("foo-v1", 1, older)],
            2,
            vec![1, 1],
        ),
        case(
            "leftover distribution: 3 -> 2",
            d(2),
            d(3),
            Some(("foo-v3", 1, newer)),
            vec![("foo-v2", 1, old), ("foo-v1", 1, older)],
            1,
            vec![1, 0],
        ),
        case(
            "proportional scaling (no new rs): 4 -> 5",
            d(5),
            d(4),
            None,
            vec![("foo-v2", 2, old), ("foo-v1", 2, older)],
            0,
            vec![3, 2],
        ),
        case(
            "proportional scaling: 6 -> 0",
            d(0),
            d(6),
            Some(("foo-v3", 3, newer)),
            vec![("foo-v2", 2, old), ("foo-v1", 1, older)],
            0,
            vec![0, 0],
        ),
        case(
            "proportional scaling: 0 -> 6",
            d(6),
            d(6),
            Some(("foo-v3", 0, newer)),
            vec![("foo-v2", 0, old), ("foo-v1", 0, older)],
            6,
            vec![0, 0],
        ),
        case(
            "failed rs update",
            d(5),
            d(5),
            Some(("foo-v3", 2, newer)),
            vec![("foo-v2", 1, old), ("foo-v1", 1, older)],
            2,
            vec![2, 1],
        ),
        case(
            "deployment with surge pods",
            surge(20, 2),
            surge(10, 2),
            Some(("foo-v2", 6, newer)),
            vec![("foo-v1", 6, old)],
            11,
            vec![11],
        ),
        case(
            "change both surge and size",
            surge(50, 6),
            surge(10, 3),
            Some(("foo-v2", 5, newer)),
            vec![("foo-v1", 8, old)],
            22,
            vec![34],
        ),
        case(
            "change both size and template",
            updated_template,
            d(10),
            None,
            vec![("foo-v2", 7, newer), ("foo-v1", 3, old)],
            0,
            vec![10, 4],
        ),
        case(
            "saturated but broken new replica set does not affect old pods",
            saturated_broken.clone(),
            saturated_broken,
            Some(("foo-v2", 2, newer)),
            vec![("foo-v1", 1, old)],
            2,
            vec![1],
        ),
    ];
    cases[12].desired_override = Some(("foo-v2", 3));
    for c in cases {
        let annotate = |(name, replicas, created): (&str, i32, Option<SimTime>)| {
            let mut r = rs(name, replicas, &[], created);
            let desired = match c.desired_override {
                Some((n, v)) if n == name => v,
                _ => c.old_d.replicas(),
            };
            set_replicas_annotations(&mut r, desired, desired + max_surge(&c.old_d));
            Arc::new(r)
        };
        let new_rs = c.new_rs.map(annotate);
        let old_rss: Vec<Rs> = c.old_rss.iter().copied().map(annotate).collect();
        let mut ctl = controller();
        ctl.scale(&c.d, new_rs.as_ref(), &old_rss);
        let mut sizes: BTreeMap<String, i32> = new_rs
            .iter()
            .chain(&old_rss)
            .map(|r| (r.metadata.name.clone(), r.replicas()))
            .collect();
        sizes.extend(rs_updates(&ctl));
        if let Some(n) = &new_rs {
            assert_eq!(sizes[&n.metadata.name], c.want_new, "{}: new", c.name);
        }
        let got_old: Vec<i32> = old_rss.iter().map(|r| sizes[&r.metadata.name]).collect();
        assert_eq!(got_old, c.want_old, "{}: old", c.name);
    }
}

/// deployment_controller_test.go newRSWithStatus.
fn new_rs_with_status(name: &str, spec: i32, status: i32) -> Rs {
    let mut r = rs(name, spec, &[("foo", "bar")], None);
    r.status.replicas = status;
    Arc::new(r)
}

/// sync_test.go TestDeploymentController_cleanupDeployment.
#[test]
fn cleanup_deployment_table() {
    let mut already_deleted = ReplicaSet::clone(&new_rs_with_status("foo-1", 0, 0));
    already_deleted.metadata.deletion_timestamp = Some(Time(secs(1)));
    let s = new_rs_with_status;
    let cases = [
        (
            vec![s("foo-1", 0, 0), s("foo-2", 0, 0), s("foo-3", 0, 0)],
            1,
            2,
        ),
        // Only delete the replica set with Spec.Replicas = Status.Replicas = 0.
        (
            vec![
                s("foo-1", 0, 0),
                s("foo-2", 0, 1),
                s("foo-3", 1, 0),
                s("foo-4", 1, 1),
            ],
            0,
            1,
        ),
        (vec![s("foo-1", 0, 0), s("foo-2", 0, 0)], 0, 2),
        (vec![s("foo-1", 1, 1), s("foo-2", 1, 1)], 0, 0),
        (vec![Arc::new(already_deleted)], 0, 0),
        // with unlimited revisionHistoryLimit
        (
            vec![s("foo-1", 0, 0), s("foo-2", 0, 0), s("foo-3", 0, 0)],
            i32::MAX,
            0,
        ),
    ];
    for (i, (old, limit, want)) in cases.into_iter().enumerate() {
        let d = new_deployment("foo", 1, Some(limit), None, None, &[("foo", "bar")]);
        let mut c = controller();
        c.cleanup_deployment(&old, &d);
        let deletes = c
            .outbox
            .iter()
            .filter(|o| matches!(o.write, Write::DeleteRs { .. }))
            .count();
        assert_eq!(deletes, want, "scenario {i}");
    }
}

/// Old sets are deleted lowest revision first.
#[test]
fn cleanup_deletes_oldest_revision_first() {
    let with_revision = |name: &str, revision: &str| {
        let mut r = ReplicaSet::clone(&new_rs_with_status(name, 0, 0));
        r.metadata
            .annotations
            .insert(REVISION_ANNOTATION.into(), revision.into());
        Arc::new(r)
    };
    let old = [
        with_revision("a", "3"),
        with_revision("b", "1"),
        with_revision("c", "2"),
    ];
    let d = new_deployment("foo", 1, Some(1), None, None, &[("foo", "bar")]);
    let mut c = controller();
    c.cleanup_deployment(&old, &d);
    let deleted: Vec<&str> = c
        .outbox
        .iter()
        .filter_map(|o| match &o.write {
            Write::DeleteRs { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, ["b", "c"]);
}

/// progress_test.go currentDeployment (Recreate, so no surge or unavailability).
fn current_deployment(
    pds: Option<i32>,
    replicas: i32,
    status: (i32, i32, i32),
    conditions: Vec<DeploymentCondition>,
) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = "progress-test".into();
    d.spec.progress_deadline_seconds = pds;
    d.spec.replicas = Some(replicas);
    d.spec.strategy.type_ = RECREATE.into();
    d.status = DeploymentStatus {
        replicas: status.0,
        updated_replicas: status.1,
        available_replicas: status.2,
        conditions,
        ..Default::default()
    };
    d
}

fn progressing(status: &str, reason: &str, at: Option<SimTime>) -> DeploymentCondition {
    DeploymentCondition {
        type_: PROGRESSING.into(),
        status: status.into(),
        reason: reason.into(),
        last_update_time: at.map(Time),
        last_transition_time: at.map(Time),
        ..Default::default()
    }
}

/// progress_test.go TestRequeueStuckDeployment (lastUpdateTime 18:49:00 is t = 1000 s here).
#[test]
fn requeue_stuck_deployment_table() {
    let t = 1000;
    let failed = vec![progressing("False", TIMED_OUT_REASON, None)];
    let stuck = vec![progressing("True", "", Some(secs(t)))];
    let status = |r, u, a| DeploymentStatus {
        replicas: r,
        updated_replicas: u,
        available_replicas: a,
        ..Default::default()
    };
    let us = |s: u64, extra: u64| SimTime(s * 1_000_000 + extra);
    let cases = [
        (
            "nil progressDeadlineSeconds specified",
            current_deployment(None, 4, (3, 3, 2), vec![]),
            status(3, 3, 2),
            us(t, 0),
            None,
        ),
        (
            "infinite progressDeadlineSeconds specified",
            current_deployment(Some(i32::MAX), 4, (3, 3, 2), vec![]),
            status(3, 3, 2),
            us(t, 0),
            None,
        ),
        (
            "no progressing condition found",
            current_deployment(Some(60), 4, (3, 3, 2), vec![]),
            status(3, 3, 2),
            us(t, 0),
            None,
        ),
        (
            "complete deployment does not need to be requeued",
            current_deployment(Some(60), 3, (3, 3, 3), stuck.clone()),
            status(3, 3, 3),
            us(t, 0),
            None,
        ),
        (
            "already failed deployment does not need to be requeued",
            current_deployment(Some(60), 3, (3, 3, 0), failed),
            status(3, 3, 0),
            us(t, 0),
            None,
        ),
        (
            "stuck deployment - 30s",
            current_deployment(Some(60), 3, (3, 3, 1), stuck.clone()),
            status(3, 3, 1),
            us(t + 30, 0),
            Some(secs(30)),
        ),
        (
            "stuck deployment - 1s",
            current_deployment(Some(60), 3, (3, 3, 1), stuck.clone()),
            status(3, 3, 1),
            us(t + 59, 0),
            Some(secs(1)),
        ),
        (
            "failed deployment - less than a second => now",
            current_deployment(Some(60), 3, (3, 3, 1), stuck.clone()),
            status(3, 3, 1),
            us(t + 59, 1),
            Some(SimTime::ZERO),
        ),
        (
            "failed deployment - now",
            current_deployment(Some(60), 3, (3, 3, 1), stuck.clone()),
            status(3, 3, 1),
            us(t + 60, 0),
            Some(SimTime::ZERO),
        ),
        (
            "failed deployment - 1s after deadline",
            current_deployment(Some(60), 3, (3, 3, 1), stuck.clone()),
            status(3, 3, 1),
            us(t + 61, 0),
            Some(SimTime::ZERO),
        ),
        (
            "failed deployment - 60s after deadline",
            current_deployment(Some(60), 3, (3, 3, 1), stuck),
            status(3, 3, 1),
            us(t + 120, 0),
            Some(SimTime::ZERO),
        ),
    ];
    for (name, d, s, now, want) in cases {
        let mut c = controller();
        c.now = now;
        let got = c.requeue_stuck_deployment(&d, &s).map(|w| SimTime(w.0));
        assert_eq!(got, want, "{name}");
        let queued = match want {
            None => None,
            Some(SimTime::ZERO) => Some(Requeue::RateLimited),
            Some(w) => Some(Requeue::After(SimDuration(w.0 + 1_000_000))),
        };
        assert_eq!(
            c.requeue, queued,
            "{name}: requeue (1 s added to avoid skew)"
        );
    }
}

/// progress_test.go newRSWithAvailable.
fn new_rs_with_available(name: &str, spec: i32, status: i32, available: i32) -> Rs {
    let mut r = rs(name, spec, &[], None);
    r.status.replicas = status;
    r.status.available_replicas = available;
    Arc::new(r)
}

/// progress_test.go TestSyncRolloutStatus (testTime is t = 100 s; now is much later).
#[test]
fn sync_rollout_status_table() {
    let test_time = secs(100);
    let failed_timed_out = progressing("False", TIMED_OUT_REASON, None);
    let new_rs_available = progressing("True", NEW_RS_AVAILABLE_REASON, Some(test_time));
    let rs_updated = progressing("True", REPLICA_SET_UPDATED_REASON, Some(test_time));
    let n = new_rs_with_available;
    // (name, deployment, other sets, new set, want (status, reason), kept transition time)
    type Case = (
        &'static str,
        Deployment,
        Vec<Rs>,
        Option<Rs>,
        Option<(&'static str, &'static str)>,
        bool,
    );
    let cases: Vec<Case> = vec![
        ("General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline",
            current_deployment(None, 3, (2, 2, 2), vec![rs_updated.clone()]), vec![n("bar", 0, 1, 1)], Some(n("foo", 3, 2, 2)), None, false),
        ("General: do not estimate progress of deployment with only one active ReplicaSet",
            current_deployment(Some(60), 3, (3, 3, 3), vec![new_rs_available.clone()]), vec![n("bar", 3, 3, 3)], None, Some(("True", NEW_RS_AVAILABLE_REASON)), true),
        ("DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
            current_deployment(Some(60), 3, (2, 2, 2), vec![rs_updated.clone()]), vec![n("bar", 0, 1, 1)], Some(n("foo", 3, 2, 2)), Some(("True", REPLICA_SET_UPDATED_REASON)), true),
        ("DeploymentProgressing: update everything if deployment has Progressing=False",
            current_deployment(Some(60), 3, (2, 2, 2), vec![failed_timed_out.clone()]), vec![n("bar", 0, 1, 1)], Some(n("foo", 3, 2, 2)), Some(("True", REPLICA_SET_UPDATED_REASON)), false),
        ("DeploymentProgressing: create Progressing condition if it does not exist",
            current_deployment(Some(60), 3, (2, 2, 2), vec![]), vec![n("bar", 0, 1, 1)], Some(n("foo", 3, 2, 2)), Some(("True", REPLICA_SET_UPDATED_REASON)), false),
        ("DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
            current_deployment(Some(60), 3, (3, 3, 3), vec![rs_updated.clone()]), vec![], Some(n("foo", 3, 3, 3)), Some(("True", NEW_RS_AVAILABLE_REASON)), true),
        ("DeploymentComplete: update everything if deployment has Progressing=False",
            current_deployment(Some(60), 3, (3, 3, 3), vec![failed_timed_out.clone()]), vec![], Some(n("foo", 3, 3, 3)), Some(("True", NEW_RS_AVAILABLE_REASON)), false),
        ("DeploymentComplete: create Progressing condition if it does not exist",
            current_deployment(Some(60), 3, (3, 3, 3), vec![]), vec![], Some(n("foo", 3, 3, 3)), Some(("True", NEW_RS_AVAILABLE_REASON)), false),
        ("DeploymentComplete: defend against NPE when newRS=nil",
            current_deployment(Some(60), 0, (3, 3, 3), vec![rs_updated.clone()]), vec![n("foo", 0, 0, 0)], None, Some(("True", NEW_RS_AVAILABLE_REASON)), true),
        ("DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
            current_deployment(Some(60), 3, (2, 2, 2), vec![rs_updated]), vec![], Some(n("foo", 3, 2, 2)), Some(("False", TIMED_OUT_REASON)), false),
        ("DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
            current_deployment(Some(60), 3, (2, 2, 2), vec![failed_timed_out]), vec![], Some(n("foo", 3, 2, 2)), Some(("False", TIMED_OUT_REASON)), false),
    ];
    for (name, mut d, mut all, new_rs, want, kept) in cases {
        let mut c = controller();
        c.now = secs(100_000);
        all.extend(new_rs.clone());
        c.sync_rollout_status(&all, new_rs.as_ref(), &mut d);
        let got = get_condition(&d.status, PROGRESSING);
        match (got, want) {
            (None, None) => {}
            (Some(g), Some((status, reason))) => {
                assert_eq!(
                    (g.status.as_str(), g.reason.as_str()),
                    (status, reason),
                    "{name}"
                );
                if kept {
                    assert_eq!(
                        g.last_transition_time,
                        Some(Time(test_time)),
                        "{name}: transition"
                    );
                }
            }
            (g, w) => panic!("{name}: got {g:?}, want {w:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The actor, against an in-memory API server.

type StoreKey = (Kind, String);

/// Just enough of kube-apiserver for the controller: create (uid, creationTimestamp,
/// generation), update (stale resourceVersion: 409; status kept; generation on spec change),
/// the status subresource (Deployments keep metadata but labels), delete.
#[derive(Default)]
struct FakeApi {
    rv: u64,
    objects: BTreeMap<StoreKey, ObjectRef>,
}

impl FakeApi {
    fn key(o: &Object) -> StoreKey {
        (o.kind(), o.meta().name.clone())
    }

    fn store(&mut self, mut o: Object) -> ObjectRef {
        self.rv += 1;
        o.meta_mut().resource_version = self.rv;
        let o = Arc::new(o);
        self.objects.insert(Self::key(&o), o.clone());
        o
    }

    fn create(&mut self, mut o: Object, now: SimTime) -> Result<ObjectRef, ApiError> {
        if self.objects.contains_key(&Self::key(&o)) {
            return Err(ApiError::already_exists(o.kind(), &o.meta().name));
        }
        o.set_type_meta();
        let m = o.meta_mut();
        m.namespace = "default".into();
        m.uid = format!("uid-{}", m.name);
        m.creation_timestamp = Some(Time(now));
        if matches!(o.kind(), Kind::ReplicaSet | Kind::Deployment) {
            o.meta_mut().generation = 1;
        }
        Ok(self.store(o))
    }

    fn current(&self, o: &Object) -> Result<ObjectRef, ApiError> {
        let cur = self
            .objects
            .get(&Self::key(o))
            .cloned()
            .ok_or_else(|| ApiError::not_found(o.kind(), &o.meta().name))?;
        let rv = o.meta().resource_version;
        if rv != 0 && rv != cur.meta().resource_version {
            return Err(ApiError::stale(o.kind(), &o.meta().name));
        }
        Ok(cur)
    }

    fn update(&mut self, mut o: Object) -> Result<ObjectRef, ApiError> {
        let cur = self.current(&o)?;
        o.copy_status_from(&cur);
        let bump = i64::from(o.spec_differs(&cur));
        let (c, m) = (cur.meta(), o.meta_mut());
        m.uid = c.uid.clone();
        m.creation_timestamp = c.creation_timestamp;
        m.generation = c.generation + bump;
        Ok(self.store(o))
    }

    fn update_status(&mut self, o: Object) -> Result<ObjectRef, ApiError> {
        let cur = self.current(&o)?;
        let mut new = (*cur).clone();
        new.copy_status_from(&o);
        if o.kind() == Kind::Deployment {
            new.meta_mut().annotations = o.meta().annotations.clone();
        }
        Ok(self.store(new))
    }

    fn delete(&mut self, kind: Kind, name: &str) -> Result<ObjectRef, ApiError> {
        let o = self
            .objects
            .remove(&(kind, name.to_string()))
            .ok_or_else(|| ApiError::not_found(kind, name))?;
        self.rv += 1;
        let mut last = (*o).clone();
        last.meta_mut().resource_version = self.rv;
        Ok(Arc::new(last))
    }
}

/// The controller, the fake API server, and the requests and timers in flight.
struct Bench {
    h: Harness<Msg>,
    c: DeploymentController,
    api: FakeApi,
    inbox: VecDeque<Request>,
    timers: Vec<(SimTime, u64)>,
    watches: BTreeMap<Kind, u64>,
    /// Every write the controller made, as "verb Kind name detail".
    writes: Vec<String>,
}

impl Bench {
    fn new() -> Self {
        Bench {
            h: Harness::new(&["kube-apiserver", "deployment-controller"], ME, 1),
            c: controller(),
            api: FakeApi::default(),
            inbox: VecDeque::new(),
            timers: Vec::new(),
            watches: BTreeMap::new(),
            writes: Vec::new(),
        }
    }

    fn feed(&mut self, input: Input<Msg>) {
        for s in self.h.feed(&mut self.c, input) {
            match s {
                Sent::Message {
                    msg: Msg::Request(r),
                    ..
                } => self.inbox.push_back(*r),
                Sent::Timer { at, tag } => self.timers.push((at, tag)),
                Sent::Message { .. } => {}
            }
        }
    }

    fn respond(&mut self, id: u64, result: Result<Reply, ApiError>) {
        let msg = Msg::Response(Box::new(Response { id, result }));
        self.feed(Input::Message { from: API, msg });
    }

    fn event(&mut self, kind: Kind, event: WatchEvent) {
        let watch_id = self.watches[&kind];
        let msg = Msg::Watch(Box::new(WatchMsg { watch_id, event }));
        self.feed(Input::Message { from: API, msg });
    }

    /// Starts the controller with these objects stored.
    fn start(&mut self, objects: Vec<Object>) {
        for o in objects {
            self.api.create(o, self.h.now()).expect("unique names");
        }
        self.feed(Input::Start);
        let lists: Vec<Request> = self.inbox.drain(..).collect();
        for r in lists {
            let Op::List { kind, .. } = r.op else {
                panic!("lists first")
            };
            let items = self
                .api
                .objects
                .values()
                .filter(|o| o.kind() == kind)
                .cloned()
                .collect();
            let rv = self.api.rv;
            self.respond(
                r.id,
                Ok(Reply::List {
                    items,
                    resource_version: rv,
                }),
            );
        }
        let watches: Vec<Request> = self.inbox.drain(..).collect();
        for w in watches {
            let Op::Watch { watch_id, kind, .. } = w.op else {
                panic!("then watches")
            };
            self.watches.insert(kind, watch_id);
        }
        assert_eq!(
            self.watches.len(),
            3,
            "watches Deployments, ReplicaSets, Pods"
        );
        self.serve();
    }

    /// Answers requests and fires due timers until the controller is quiet.
    fn serve(&mut self) {
        for _ in 0..10_000 {
            if let Some(r) = self.inbox.pop_front() {
                self.answer(r);
            } else if !self.fire_due_timer() {
                return;
            }
        }
        panic!("the controller never went quiet: {:?}", self.writes);
    }

    fn fire_due_timer(&mut self) -> bool {
        let Some((_, tag)) = pop_due(&mut self.timers, self.h.now()) else {
            return false;
        };
        self.feed(Input::Timer {
            id: EventId(0),
            tag,
        });
        true
    }

    /// Moves the clock to `t`, firing each timer due on the way at its time.
    fn advance_to(&mut self, t: SimTime) {
        while let Some(at) = self
            .timers
            .iter()
            .map(|&(at, _)| at)
            .filter(|&at| at <= t)
            .min()
        {
            self.h.set_now(at.max(self.h.now()));
            self.serve();
        }
        self.h.set_now(t);
        self.serve();
    }

    fn answer(&mut self, r: Request) {
        let now = self.h.now();
        let (what, result, event) = match r.op {
            Op::Create(o) => {
                let what = describe("create", &o);
                let res = self.api.create(o, now);
                (what, res.clone(), res.ok().map(WatchEvent::Added))
            }
            Op::Update(o) => {
                let what = describe("update", &o);
                let res = self.api.update(o);
                (what, res.clone(), res.ok().map(WatchEvent::Modified))
            }
            Op::UpdateStatus(o) => {
                let what = describe("status", &o);
                let res = self.api.update_status(o);
                (what, res.clone(), res.ok().map(WatchEvent::Modified))
            }
            Op::Delete { kind, name, .. } => {
                let what = format!("delete {kind} {name}");
                let res = self.api.delete(kind, &name);
                (what, res.clone(), res.ok().map(WatchEvent::Deleted))
            }
            other => panic!("unexpected request {other:?}"),
        };
        let code = result.as_ref().err().map(|e| format!(" {}", e.code));
        self.writes.push(what + code.as_deref().unwrap_or(""));
        if let Some(ev) = event {
            let kind = match &ev {
                WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o.kind(),
                WatchEvent::Error(_) => unreachable!(),
            };
            self.event(kind, ev);
        }
        self.respond(r.id, result.map(Reply::Object));
    }

    /// A change made by someone else (a user, the ReplicaSet controller, the kubelet).
    fn modify(&mut self, kind: Kind, name: &str, f: impl FnOnce(&mut Object)) {
        let mut o = (*self.api.objects[&(kind, name.to_string())]).clone();
        f(&mut o);
        let o = self.api.store(o);
        self.event(kind, WatchEvent::Modified(o));
        self.serve();
    }

    fn update_deployment(&mut self, name: &str, f: impl FnOnce(&mut Deployment)) {
        self.modify(Kind::Deployment, name, |o| {
            let Object::Deployment(d) = o else {
                unreachable!()
            };
            let before = d.spec.clone();
            f(d);
            if d.spec != before {
                d.metadata.generation += 1;
            }
        });
    }

    /// What the ReplicaSet controller reports once pods are up.
    fn set_rs_status(&mut self, name: &str, replicas: i32, available: i32) {
        self.modify(Kind::ReplicaSet, name, |o| {
            let Object::ReplicaSet(rs) = o else {
                unreachable!()
            };
            rs.status.replicas = replicas;
            rs.status.ready_replicas = available;
            rs.status.available_replicas = available;
            rs.status.observed_generation = rs.metadata.generation;
        });
    }

    /// Plays the ReplicaSet controller with instant pods until the rollout settles.
    fn settle_replica_sets(&mut self) {
        for _ in 0..100 {
            let behind: Vec<(String, i32)> = self
                .replica_sets()
                .into_iter()
                .filter(|rs| {
                    rs.status.available_replicas != rs.replicas()
                        || rs.status.replicas != rs.replicas()
                })
                .map(|rs| (rs.metadata.name.clone(), rs.replicas()))
                .collect();
            let Some((name, n)) = behind.into_iter().next() else {
                return;
            };
            self.set_rs_status(&name, n, n);
        }
        panic!("the rollout never settled");
    }

    fn deployment(&self, name: &str) -> Deployment {
        match self.api.objects[&(Kind::Deployment, name.to_string())].as_ref() {
            Object::Deployment(d) => d.clone(),
            _ => unreachable!(),
        }
    }

    /// ReplicaSets by creation (then name).
    fn replica_sets(&self) -> Vec<ReplicaSet> {
        let mut v: Vec<ReplicaSet> = self
            .api
            .objects
            .values()
            .filter_map(|o| match o.as_ref() {
                Object::ReplicaSet(rs) => Some(rs.clone()),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| {
            a.metadata
                .creation_timestamp
                .cmp(&b.metadata.creation_timestamp)
                .then(a.metadata.name.cmp(&b.metadata.name))
        });
        v
    }

    fn add_pod(&mut self, name: &str, rs_name: &str) {
        let Object::ReplicaSet(rs) =
            self.api.objects[&(Kind::ReplicaSet, rs_name.to_string())].as_ref()
        else {
            unreachable!()
        };
        let mut p = pod_from_template(rs);
        p.metadata.name = name.into();
        p.status.phase = "Running".into();
        let o = self
            .api
            .create(Object::Pod(p), self.h.now())
            .expect("unique");
        self.event(Kind::Pod, WatchEvent::Added(o));
        self.serve();
    }

    fn delete_pod(&mut self, name: &str) {
        let o = self.api.delete(Kind::Pod, name).expect("exists");
        self.event(Kind::Pod, WatchEvent::Deleted(o));
        self.serve();
    }

    fn take_writes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.writes)
    }
}

fn describe(verb: &str, o: &Object) -> String {
    let detail = match o {
        Object::ReplicaSet(rs) => format!(" replicas={}", rs.replicas()),
        _ => String::new(),
    };
    format!("{verb} {} {}{detail}", o.kind(), o.meta().name)
}

/// A Deployment as the API server stores it after defaulting.
fn web(replicas: i32, image: &str) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = "web".into();
    d.spec.replicas = Some(replicas);
    d.spec.selector = LabelSelector::from_labels(&labels(&[("app", "web")]));
    d.spec.template.metadata.labels = labels(&[("app", "web")]);
    d.spec.template.spec.containers = vec![Container {
        name: "web".into(),
        image: image.into(),
        ..Default::default()
    }];
    default_deployment(&mut d);
    d
}

fn condition<'a>(d: &'a Deployment, type_: &str) -> (&'a str, &'a str, &'a str) {
    let c = get_condition(&d.status, type_).unwrap_or_else(|| panic!("no {type_} condition"));
    (c.status.as_str(), c.reason.as_str(), c.message.as_str())
}

#[test]
fn a_new_deployment_creates_its_replica_set() {
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(web(3, "nginx:1"))]);
    let sets = b.replica_sets();
    assert_eq!(sets.len(), 1);
    let rs = &sets[0];
    let hash = rs.metadata.labels[POD_TEMPLATE_HASH_LABEL].clone();
    let d = b.deployment("web");
    assert_eq!(hash, compute_hash(&d.spec.template, None));
    assert_eq!(rs.metadata.name, format!("web-{hash}"));
    assert_eq!(rs.spec.selector.match_labels[POD_TEMPLATE_HASH_LABEL], hash);
    assert_eq!(
        rs.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL],
        hash
    );
    assert_eq!(rs.spec.template.metadata.labels["app"], "web");
    let owner = &rs.metadata.owner_references[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("Deployment", "web", "uid-web")
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    let a = &rs.metadata.annotations;
    assert_eq!(a[REVISION_ANNOTATION], "1");
    assert_eq!(a[DESIRED_REPLICAS_ANNOTATION], "3");
    assert_eq!(
        a[MAX_REPLICAS_ANNOTATION], "4",
        "3 + maxSurge 25% rounded up"
    );
    assert_eq!(rs.replicas(), 3);

    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "1");
    let name = &rs.metadata.name;
    assert_eq!(
        b.take_writes(),
        [
            format!("create ReplicaSet {name} replicas=3"),
            "status Deployment web".into(),
            "status Deployment web 409".into(), // upstream's second write from a stale copy
            "status Deployment web".into(),
        ]
    );
    let s = &d.status;
    assert_eq!(
        (
            s.observed_generation,
            s.replicas,
            s.updated_replicas,
            s.unavailable_replicas
        ),
        (1, 0, 0, 3)
    );
    assert_eq!(
        condition(&d, PROGRESSING),
        (
            "True",
            NEW_REPLICA_SET_REASON,
            format!("Created new replica set {name:?}").as_str()
        )
    );
    assert_eq!(
        condition(&d, AVAILABLE),
        (
            "False",
            MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability."
        )
    );

    b.set_rs_status(name, 3, 3);
    let d = b.deployment("web");
    let s = &d.status;
    assert_eq!(
        (
            s.replicas,
            s.updated_replicas,
            s.ready_replicas,
            s.available_replicas,
            s.unavailable_replicas
        ),
        (3, 3, 3, 3, 0)
    );
    assert_eq!(
        condition(&d, AVAILABLE),
        (
            "True",
            MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability."
        )
    );
    assert_eq!(
        condition(&d, PROGRESSING),
        (
            "True",
            NEW_RS_AVAILABLE_REASON,
            format!("ReplicaSet {name:?} has successfully progressed.").as_str()
        )
    );
}

#[test]
fn a_template_change_rolls_out_within_max_surge_and_max_unavailable() {
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(web(10, "nginx:1"))]);
    b.settle_replica_sets();
    let old = b.replica_sets()[0].metadata.name.clone();
    b.take_writes();

    b.update_deployment("web", |d| {
        d.spec.template.spec.containers[0].image = "nginx:2".into()
    });
    let sets = b.replica_sets();
    let new = sets
        .iter()
        .find(|rs| rs.metadata.name != old)
        .expect("a second ReplicaSet")
        .clone();
    assert_eq!(new.metadata.annotations[REVISION_ANNOTATION], "2");
    let size = |b: &Bench, n: &str| {
        b.replica_sets()
            .iter()
            .find(|rs| rs.metadata.name == n)
            .map(|rs| rs.replicas())
    };
    // 10 replicas: maxSurge 3, maxUnavailable 2. The new set starts at 3 (13 pods at most), the
    // old one goes to 8 (8 available at least), which leaves room for 2 more new ones: the
    // surge counts spec.replicas, not pods.
    let rs_writes: Vec<String> = b
        .take_writes()
        .into_iter()
        .filter(|w| w.contains("ReplicaSet"))
        .collect();
    assert_eq!(
        rs_writes,
        [
            format!("create ReplicaSet {} replicas=3", new.metadata.name),
            format!("update ReplicaSet {old} replicas=8"),
            format!("update ReplicaSet {} replicas=5", new.metadata.name),
        ]
    );
    assert_eq!(size(&b, &old), Some(8));

    b.settle_replica_sets();
    let d = b.deployment("web");
    assert_eq!(size(&b, &new.metadata.name), Some(10));
    assert_eq!(size(&b, &old), Some(0));
    assert_eq!(d.metadata.annotations[REVISION_ANNOTATION], "2");
    let s = &d.status;
    assert_eq!(
        (
            s.observed_generation,
            s.replicas,
            s.updated_replicas,
            s.available_replicas
        ),
        (2, 10, 10, 10)
    );
    assert_eq!(condition(&d, PROGRESSING).1, NEW_RS_AVAILABLE_REASON);
    assert_eq!(
        b.replica_sets().len(),
        2,
        "the old set is kept (revisionHistoryLimit 10)"
    );
}

#[test]
fn recreate_scales_old_to_zero_and_waits_for_its_pods() {
    let mut d = web(2, "nginx:1");
    d.spec.strategy.type_ = RECREATE.into();
    d.spec.strategy.rolling_update = None;
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(d)]);
    b.settle_replica_sets();
    let old = b.replica_sets()[0].metadata.name.clone();
    b.add_pod("p1", &old);
    b.add_pod("p2", &old);
    b.take_writes();

    b.update_deployment("web", |d| {
        d.spec.template.spec.containers[0].image = "nginx:2".into()
    });
    let writes = b.take_writes();
    assert!(
        writes.contains(&format!("update ReplicaSet {old} replicas=0")),
        "{writes:?}"
    );
    assert!(
        !writes.iter().any(|w| w.starts_with("create")),
        "{writes:?}"
    );

    b.set_rs_status(&old, 0, 0);
    b.delete_pod("p1");
    assert_eq!(b.replica_sets().len(), 1, "a pod of the old set still runs");
    b.delete_pod("p2");
    let sets = b.replica_sets();
    assert_eq!(sets.len(), 2, "created once the old pods are gone");
    let new = sets
        .iter()
        .find(|rs| rs.metadata.name != old)
        .expect("new set");
    assert_eq!(
        (
            new.replicas(),
            new.metadata.annotations[REVISION_ANNOTATION].as_str()
        ),
        (2, "2")
    );
}

#[test]
fn a_paused_deployment_scales_but_does_not_roll_out() {
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(web(3, "nginx:1"))]);
    b.settle_replica_sets();
    let old = b.replica_sets()[0].metadata.name.clone();
    b.take_writes();

    b.update_deployment("web", |d| {
        d.spec.paused = true;
        d.spec.replicas = Some(5);
        d.spec.template.spec.containers[0].image = "nginx:2".into();
    });
    let sets = b.replica_sets();
    assert_eq!(sets.len(), 1, "no new ReplicaSet while paused");
    assert_eq!(sets[0].replicas(), 5, "scaling still happens");
    assert_eq!(
        sets[0].metadata.annotations[DESIRED_REPLICAS_ANNOTATION],
        "5"
    );
    let d = b.deployment("web");
    assert_eq!(
        condition(&d, PROGRESSING),
        ("Unknown", PAUSED_DEPLOY_REASON, "Deployment is paused")
    );

    b.update_deployment("web", |d| d.spec.paused = false);
    let sets = b.replica_sets();
    assert_eq!(sets.len(), 2, "resumed: the rollout starts");
    assert!(sets
        .iter()
        .any(|rs| rs.metadata.name != old && rs.replicas() > 0));
    let d = b.deployment("web");
    assert_eq!(condition(&d, PROGRESSING).1, NEW_REPLICA_SET_REASON);
}

#[test]
fn no_progress_within_the_deadline_is_reported() {
    let mut d = web(1, "nginx:1");
    d.spec.progress_deadline_seconds = Some(30);
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(d)]);
    let name = b.replica_sets()[0].metadata.name.clone();
    b.advance_to(secs(30));
    assert_eq!(
        condition(&b.deployment("web"), PROGRESSING).1,
        NEW_REPLICA_SET_REASON
    );
    assert!(
        b.timers.iter().any(|&(at, _)| at == secs(31)),
        "a progress check at lastUpdateTime + 30 s + 1 s: {:?}",
        b.timers
    );
    b.advance_to(secs(31));
    let d = b.deployment("web");
    assert_eq!(
        condition(&d, PROGRESSING),
        (
            "False",
            TIMED_OUT_REASON,
            format!("ReplicaSet {name:?} has timed out progressing.").as_str()
        )
    );
    assert_eq!(d.status.unavailable_replicas, 1);
}

#[test]
fn a_conflict_on_a_replica_set_is_retried_with_back_off() {
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(web(3, "nginx:1"))]);
    b.settle_replica_sets();
    let name = b.replica_sets()[0].metadata.name.clone();
    // Someone writes the set; the controller's cache has not seen it yet.
    let stale = (*b.api.objects[&(Kind::ReplicaSet, name.clone())]).clone();
    let touched = b.api.store(stale);
    b.advance_to(secs(1));
    b.take_writes();

    b.update_deployment("web", |d| d.spec.replicas = Some(4));
    assert!(b
        .take_writes()
        .contains(&format!("update ReplicaSet {name} replicas=4 409")));
    let retry = b.h.now() + SimDuration::from_millis(5);
    assert!(
        b.timers.iter().any(|&(at, _)| at == retry),
        "{:?}",
        b.timers
    );

    b.event(Kind::ReplicaSet, WatchEvent::Modified(touched));
    b.advance_to(retry);
    assert!(b
        .take_writes()
        .contains(&format!("update ReplicaSet {name} replicas=4")));
    assert_eq!(b.replica_sets()[0].replicas(), 4);
}

#[test]
fn old_replica_sets_beyond_the_history_limit_are_deleted() {
    let mut d = web(1, "v1");
    d.spec.revision_history_limit = Some(1);
    let mut b = Bench::new();
    b.start(vec![Object::Deployment(d)]);
    b.settle_replica_sets();
    let first = b.replica_sets()[0].metadata.name.clone();
    for image in ["v2", "v3"] {
        b.h.advance(SimDuration::from_secs(10));
        b.update_deployment("web", |d| {
            d.spec.template.spec.containers[0].image = image.into()
        });
        b.settle_replica_sets();
    }
    let names: Vec<String> = b
        .replica_sets()
        .into_iter()
        .map(|rs| rs.metadata.name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&first), "revision 1 deleted first");
    assert!(b.writes.contains(&format!("delete ReplicaSet {first}")));
}
