//! The cached counting against upstream's counting (every pod matched each cycle) over random
//! sequences of pod and node changes: PreFilter state, PreScore state and scores must be equal.

use crate::api::{Node, ObjectRef, Pod, Taint, Time};
use crate::scheduler::framework::{CycleState, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin};
use crate::scheduler::plugins::podtopologyspread::scoring::{PreScoreState, PRE_SCORE_STATE_KEY};
use crate::scheduler::plugins::podtopologyspread::testing::*;
use crate::scheduler::plugins::podtopologyspread::PodTopologySpread;
use crate::scheduler::snapshot::Snapshot;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

fn pick(rng: &mut ChaCha8Rng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

fn chance(rng: &mut ChaCha8Rng, percent: u64) -> bool {
    rng.next_u64() % 100 < percent
}

/// A node `n<i>` with a hostname label (mostly), a zone (mostly), maybe disk=ssd and a
/// NoSchedule taint.
fn random_node(rng: &mut ChaCha8Rng, names: usize) -> Node {
    let name = format!("n{}", pick(rng, names));
    let mut w = node(&name);
    if !chance(rng, 10) {
        w = w.label(HOST, &name);
    }
    if !chance(rng, 15) {
        let zone = ["z1", "z2", "z3"][pick(rng, 3)];
        w = w.label(ZONE, zone).label("zone", zone);
    }
    if chance(rng, 40) {
        w = w.label("disk", "ssd");
    }
    if chance(rng, 20) {
        w = w.unschedulable_taint();
    }
    w.obj()
}

/// A pod `p<i>` in "default" (mostly) with random app/tier labels, sometimes terminating.
fn random_pod(rng: &mut ChaCha8Rng, names: usize) -> Pod {
    let mut w = pod(&format!("p{}", pick(rng, names)));
    if chance(rng, 15) {
        w = w.ns("other");
    }
    if !chance(rng, 10) {
        w = w.label("app", ["a", "b"][pick(rng, 2)]);
    }
    if chance(rng, 50) {
        w = w.label("tier", ["x", "y"][pick(rng, 2)]);
    }
    if chance(rng, 10) {
        w = w.terminating();
    }
    w.obj()
}

/// The pods whose spreading is checked, with the plugin that schedules them.
fn probes() -> Vec<(&'static str, Pod, usize)> {
    let app_a = || labels(&[("app", "a")]);
    let app_b = || labels(&[("app", "b")]);
    vec![
        (
            "system defaults from the owning ReplicaSet",
            pod("q1").label("app", "a").owner_rs("rs-a").obj(),
            0,
        ),
        (
            "system defaults from a Service",
            pod("q2").label("app", "b").label("tier", "x").obj(),
            0,
        ),
        (
            "system defaults in another namespace",
            pod("q3").ns("other").label("app", "a").obj(),
            0,
        ),
        (
            "explicit hard zone and soft hostname",
            pod("q4")
                .label("app", "a")
                .sc(1, ZONE, DNS, app_a())
                .sc(2, HOST, SA, app_a())
                .obj(),
            0,
        ),
        (
            "explicit soft zone and hard hostname",
            pod("q5")
                .label("app", "b")
                .sc(3, ZONE, SA, app_b())
                .sc(1, HOST, DNS, app_b())
                .obj(),
            0,
        ),
        (
            "nodeSelector under Honor",
            pod("q6")
                .node_selector("disk", "ssd")
                .sc(1, ZONE, DNS, foo())
                .sc(1, ZONE, SA, exists("app"))
                .sc(1, HOST, SA, exists("app"))
                .obj(),
            0,
        ),
        (
            "required node affinity, taints Honor",
            pod("q7")
                .node_affinity_not_in("zone", &["z2"])
                .spread(
                    1,
                    ZONE,
                    DNS,
                    exists("tier"),
                    Some(2),
                    None,
                    Some("Honor"),
                    &[],
                )
                .spread(
                    1,
                    ZONE,
                    SA,
                    exists("tier"),
                    None,
                    Some("Ignore"),
                    Some("Honor"),
                    &[],
                )
                .spread(1, HOST, SA, exists("tier"), None, None, Some("Honor"), &[])
                .obj(),
            0,
        ),
        (
            "affinity policy Ignore with a nodeSelector, matchLabelKeys",
            pod("q8")
                .label("tier", "y")
                .node_selector("disk", "ssd")
                .spread(
                    1,
                    ZONE,
                    DNS,
                    exists("app"),
                    None,
                    Some("Ignore"),
                    None,
                    &["tier"],
                )
                .spread(
                    2,
                    "zone",
                    SA,
                    exists("app"),
                    None,
                    Some("Ignore"),
                    None,
                    &["tier"],
                )
                .obj(),
            0,
        ),
        (
            "empty and nil selectors",
            pod("q9")
                .sc(1, ZONE, DNS, None)
                .sc(1, ZONE, SA, labels(&[]))
                .sc(1, HOST, SA, None)
                .obj(),
            0,
        ),
        (
            "list defaults, hard and soft, from a Service",
            pod("q10").label("app", "b").label("tier", "x").obj(),
            1,
        ),
    ]
}

fn owners() -> Vec<ObjectRef> {
    vec![
        replica_set("rs-a", labels(&[("app", "a")])),
        service(&[("app", "b")]),
    ]
}

fn plugins() -> Vec<PodTopologySpread> {
    vec![
        system_plugin(),
        list_plugin(vec![dc(1, ZONE, DNS), dc(2, HOST, SA), dc(3, "zone", SA)]),
    ]
}

/// Checks PreFilter, PreScore and Score of every probe against the reference counting.
fn check(plugins: &[PodTopologySpread], snap: &Snapshot, rng: &mut ChaCha8Rng, step: usize) {
    for (name, probe, pl) in probes() {
        let pl = &plugins[pl];
        let ctx = format!("step {step}: {name}");
        assert_eq!(
            pl.cal_pre_filter_state(&probe, snap),
            pl.cal_pre_filter_state_reference(&probe, snap),
            "{ctx}: PreFilter"
        );
        // Feasible nodes: a random subset in node order, plus a copy not in the snapshot.
        let mut filtered: Vec<&NodeInfo> = snap.list().filter(|_| chance(rng, 70)).collect();
        let mut copy = snap.list().next().cloned();
        if let Some(c) = &mut copy {
            c.add_pod(Arc::new(PodInfo::from_pod(
                pod("extra").label("app", "a").label("tier", "x").obj(),
            )));
        }
        filtered.extend(copy.as_ref());
        let info = PodInfo::from_pod(probe.clone());
        let mut cs = CycleState::default();
        let st = pl.pre_score(&mut cs, &info, &filtered, snap);
        let want = pl.pre_score_reference(&probe, &filtered, snap);
        let got = cs.read::<PreScoreState>(PRE_SCORE_STATE_KEY);
        match &want {
            Ok(Some(w)) => {
                assert!(st.is_success(), "{ctx}: {st:?}");
                assert_eq!(got, Some(w), "{ctx}: PreScore");
            }
            Ok(None) => assert!(st.is_skip(), "{ctx}: want Skip, got {st:?}"),
            Err(e) => assert_eq!(&st, e, "{ctx}"),
        }
        let Ok(Some(w)) = &want else { continue };
        let mut scores = Vec::new();
        pl.score_nodes(&cs, &info, &filtered, snap, &mut scores);
        let want_scores: Vec<i64> = filtered
            .iter()
            .map(|n| PodTopologySpread::score_reference(w, &probe, n))
            .collect();
        assert_eq!(scores, want_scores, "{ctx}: Score");
        if let Some(n) = filtered.first() {
            assert_eq!(
                pl.score(&cs, &info, n, snap),
                want_scores[0],
                "{ctx}: one Score"
            );
        }
    }
}

/// Random add_pod (new, moved, relabelled or re-added alike), remove_pod, set_node (new,
/// relabelled, retainted) and remove_node, checked after every step; the log is short in
/// tests, so caches fall behind it and recount too.
#[test]
fn cached_counts_equal_recounting_after_random_changes() {
    for seed in 0..6u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let plugins = plugins();
        let mut snap = Snapshot::from_objects(vec![], &owners());
        let mut pods: Vec<(Pod, String)> = Vec::new();
        for step in 0..300 {
            match pick(&mut rng, 100) {
                0..=44 => {
                    let mut p = random_pod(&mut rng, 40);
                    let node = format!("n{}", pick(&mut rng, 9));
                    p.spec.node_name = node.clone();
                    pods.push((p.clone(), node.clone()));
                    snap.add_pod(Arc::new(PodInfo::from_pod(p)), &node);
                }
                45..=59 if !pods.is_empty() => {
                    // The same pod again on its node: a status update or a relabel.
                    let (mut p, node) = pods[pick(&mut rng, pods.len())].clone();
                    p.status.phase = "Running".into();
                    if chance(&mut rng, 30) {
                        p.metadata.labels.insert("tier".into(), "y".into());
                    }
                    if chance(&mut rng, 10) {
                        p.metadata.deletion_timestamp = Some(Time::default());
                    }
                    snap.add_pod(Arc::new(PodInfo::from_pod(p)), &node);
                }
                60..=69 if !pods.is_empty() => {
                    let (p, _) = pods.swap_remove(pick(&mut rng, pods.len()));
                    snap.remove_pod(&(p.metadata.namespace.clone(), p.metadata.name.clone()));
                }
                70..=91 => {
                    let mut n = random_node(&mut rng, 8);
                    if chance(&mut rng, 50) {
                        // An update with the same labels (a status or taint change).
                        if let Some(old) = snap.get(&n.metadata.name) {
                            n.metadata.labels = old.node.metadata.labels.clone();
                            n.spec.taints.push(Taint {
                                key: "t".into(),
                                value: String::new(),
                                effect: "NoExecute".into(),
                                time_added: None,
                            });
                        }
                    }
                    snap.set_node(n);
                }
                _ => {
                    let name = format!("n{}", pick(&mut rng, 9));
                    snap.remove_node(&name);
                }
            }
            if step % 7 == 0 {
                // A copy diverging from the snapshot the caches follow.
                let mut other = snap.clone();
                other.add_pod(
                    Arc::new(PodInfo::from_pod(pod("c").label("app", "a").obj())),
                    "n1",
                );
                check(&plugins, &other, &mut rng, step);
            }
            check(&plugins, &snap, &mut rng, step);
        }
    }
}
