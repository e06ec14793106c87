//! Table tests transcribed from pkg/controller/deployment/util/deployment_util_test.go (test
//! and case names cited), plus the pod-template-hash encoding.

use super::*;
use crate::api::deployment::{DeploymentStrategy, RollingUpdateDeployment};
use crate::api::pod::PodSpec;
use crate::api::Container;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pct(s: &str) -> IntOrString {
    IntOrString::String(s.into())
}

/// generateDeployment(image): one replica, template labelled name=<image>.
fn generate_deployment(image: &str) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = image.into();
    d.metadata.uid = format!("uid-{image}");
    d.spec.replicas = Some(1);
    d.spec.selector = LabelSelector::from_labels(&labels(&[("name", image)]));
    d.spec.template.metadata.labels = labels(&[("name", image)]);
    d.spec.template.spec = PodSpec {
        containers: vec![Container {
            name: image.into(),
            image: image.into(),
            ..Default::default()
        }],
        restart_policy: "Always".into(),
        termination_grace_period_seconds: Some(30),
        ..Default::default()
    };
    d
}

/// generateRS(deployment): the deployment's template, controlled by it, 0 replicas.
fn generate_rs(d: &Deployment, name: &str, created_s: u64) -> ReplicaSet {
    let mut rs = ReplicaSet::default();
    rs.metadata.name = name.into();
    rs.metadata.uid = format!("uid-{name}");
    rs.metadata.labels = d.spec.template.metadata.labels.clone();
    rs.metadata.owner_references = vec![controller_ref(d)];
    rs.metadata.creation_timestamp = Some(Time(SimTime(created_s * 1_000_000)));
    rs.spec.replicas = Some(0);
    rs.spec.template = d.spec.template.clone();
    rs.spec.selector = LabelSelector::from_labels(&d.spec.template.metadata.labels);
    rs
}

fn rolling(d: &mut Deployment, surge: IntOrString, unavailable: IntOrString) {
    d.spec.strategy = DeploymentStrategy {
        type_: ROLLING_UPDATE.into(),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(surge),
            max_unavailable: Some(unavailable),
        }),
    };
}

/// generatePodTemplateSpec(name, nodeName, annotations, labels).
fn template(
    name: &str,
    node: &str,
    annotations: &[(&str, &str)],
    l: &[(&str, &str)],
) -> PodTemplateSpec {
    let mut t = PodTemplateSpec::default();
    t.metadata.name = name.into();
    t.metadata.annotations = labels(annotations);
    t.metadata.labels = labels(l);
    t.spec.node_name = node.into();
    t
}

/// TestEqualIgnoreHash.
#[test]
fn equal_ignore_hash_table() {
    const H: &str = POD_TEMPLATE_HASH_LABEL;
    let cases = [
        (
            "Same spec, same labels",
            template("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            template("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, only pod-template-hash label value is different",
            template("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            template("foo", "foo-node", &[], &[(H, "value-2"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, the former doesn't have pod-template-hash label",
            template("foo", "foo-node", &[], &[("something", "else")]),
            template("foo", "foo-node", &[], &[(H, "value-2"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, the label is different, the former doesn't have pod-template-hash label, same number of labels",
            template("foo", "foo-node", &[], &[("something", "else")]),
            template("foo", "foo-node", &[], &[(H, "value-2")]),
            false,
        ),
        (
            "Same spec, the label is different, the latter doesn't have pod-template-hash label, same number of labels",
            template("foo", "foo-node", &[], &[(H, "value-1")]),
            template("foo", "foo-node", &[], &[("something", "else")]),
            false,
        ),
        (
            "Same spec, the label is different, and the pod-template-hash label value is the same",
            template("foo", "foo-node", &[], &[(H, "value-1")]),
            template("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, same labels",
            template("foo", "foo-node", &[("former", "value")], &[(H, "value-1"), ("something", "else")]),
            template("foo", "foo-node", &[("latter", "value")], &[(H, "value-1"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, different pod-template-hash label value",
            template("foo-1", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            template("foo-2", "foo-node", &[], &[(H, "value-2"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, the former doesn't have pod-template-hash label",
            template("foo-1", "foo-node-1", &[], &[("something", "else")]),
            template("foo-2", "foo-node-2", &[], &[(H, "value-2"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, different labels",
            template("foo", "foo-node-1", &[], &[("something", "else")]),
            template("foo", "foo-node-2", &[], &[("nothing", "else")]),
            false,
        ),
    ];
    for (name, a, b, want) in cases {
        assert_eq!(equal_ignore_hash(&a, &b), want, "{name}");
        assert_eq!(equal_ignore_hash(&b, &a), want, "{name} (reverse order)");
    }
}

/// TestFindNewReplicaSet and TestFindOldReplicaSets.
#[test]
fn find_new_and_old_replica_sets() {
    let d = generate_deployment("nginx");
    let mut new_rs = generate_rs(&d, "new", 60);
    new_rs.spec.replicas = Some(1);
    new_rs
        .metadata
        .labels
        .insert(POD_TEMPLATE_HASH_LABEL.into(), "hash".into());
    let mut new_dup = generate_rs(&d, "new-dup", 0);
    new_dup
        .metadata
        .labels
        .insert(POD_TEMPLATE_HASH_LABEL.into(), "different-hash".into());
    let mut old_d = generate_deployment("nginx");
    old_d.spec.template.spec.containers[0].name = "nginx-old-1".into();
    let old_rs = generate_rs(&old_d, "old", 0);
    let (new_rs, new_dup, old_rs) = (Arc::new(new_rs), Arc::new(new_dup), Arc::new(old_rs));
    let name = |rs: Option<Rs>| rs.map(|r| r.metadata.name.clone());
    let names = |v: Vec<Rs>| -> Vec<String> { v.iter().map(|r| r.metadata.name.clone()).collect() };

    // "Get new ReplicaSet with the same template as Deployment spec but different pod-template-hash value"
    let list = [new_rs.clone(), old_rs.clone()];
    assert_eq!(name(find_new_replica_set(&d, &list)), Some("new".into()));
    // "Get the oldest new ReplicaSet when there are more than one ReplicaSet with the same template"
    let list = [new_rs.clone(), old_rs.clone(), new_dup.clone()];
    assert_eq!(
        name(find_new_replica_set(&d, &list)),
        Some("new-dup".into())
    );
    // "Get nil new ReplicaSet"
    assert_eq!(
        name(find_new_replica_set(&d, std::slice::from_ref(&old_rs))),
        None
    );

    // TestFindOldReplicaSets: (required, all).
    let (req, all) = find_old_replica_sets(&d, &[new_rs.clone(), old_rs.clone()]);
    assert_eq!(
        (names(req), names(all)),
        (vec![], vec!["old".to_string()]),
        "Get old ReplicaSets"
    );
    let (req, all) = find_old_replica_sets(&d, &[old_rs.clone(), new_rs.clone(), new_dup.clone()]);
    assert_eq!(
        (names(req), names(all)),
        (
            vec!["new".to_string()],
            vec!["old".to_string(), "new".to_string()]
        ),
        "only the oldest new ReplicaSet is seen as new ReplicaSet"
    );
    let (req, all) = find_old_replica_sets(&d, &[new_rs]);
    assert!(
        req.is_empty() && all.is_empty(),
        "Get empty old ReplicaSets"
    );
}

/// TestGetReplicaCountForReplicaSets (spec and status counts; terminatingReplicas is not modelled).
#[test]
fn replica_counts() {
    let rs = |spec: i32, status: i32| {
        let mut r = ReplicaSet::default();
        r.spec.replicas = Some(spec);
        r.status.replicas = status;
        Arc::new(r)
    };
    let (rs1, rs2, rs3) = (rs(1, 2), rs(2, 3), rs(3, 0));
    let cases = [
        ("scaling down rs1", vec![rs1.clone()], 1, 2),
        (
            "scaling down rs1 and rs2",
            vec![rs1.clone(), rs2.clone()],
            3,
            5,
        ),
        ("scaling up rs3", vec![rs3.clone()], 3, 0),
        (
            "scaling down rs1 and rs2 and scaling up rs3",
            vec![rs1, rs2, rs3],
            6,
            5,
        ),
    ];
    for (name, sets, count, actual) in cases {
        assert_eq!(replica_count(&sets), count, "{name}");
        assert_eq!(actual_replica_count(&sets), actual, "{name}");
    }
}

/// TestResolveFenceposts.
#[test]
fn resolve_fenceposts_table() {
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        i32,
        Result<(i32, i32), ()>,
    );
    let cases: [Case; 7] = [
        (Some("0%"), Some("0%"), 0, Ok((0, 1))),
        (Some("39%"), Some("39%"), 10, Ok((4, 3))),
        (Some("oops"), Some("39%"), 10, Err(())),
        (Some("55%"), Some("urg"), 10, Err(())),
        (None, Some("39%"), 10, Ok((0, 3))),
        (Some("39%"), None, 10, Ok((4, 0))),
        (None, None, 10, Ok((0, 1))),
    ];
    for (i, (surge, unavailable, desired, want)) in cases.into_iter().enumerate() {
        let (s, u) = (surge.map(pct), unavailable.map(pct));
        let got = resolve_fenceposts(s.as_ref(), u.as_ref(), desired).map_err(|_| ());
        assert_eq!(got, want, "case {i}");
    }
    // KUBERNETES.md: 10 replicas with the 25% defaults give surge 3, unavailable 2.
    assert_eq!(
        resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 10),
        Ok((3, 2))
    );
}

/// TestNewRSNewReplicas.
#[test]
fn new_rs_new_replicas_table() {
    let cases = [
        (
            "can not scale up - to newRSReplicas",
            ROLLING_UPDATE,
            1,
            5,
            1,
            5,
        ),
        ("scale up - to depReplicas", ROLLING_UPDATE, 6, 2, 10, 6),
        ("recreate - to depReplicas", RECREATE, 3, 1, 1, 3),
    ];
    let mut d = generate_deployment("nginx");
    let mut rs5 = generate_rs(&d, "rs5", 0);
    rs5.spec.replicas = Some(5);
    let rs5 = Arc::new(rs5);
    for (name, strategy, dep, new_replicas, surge, want) in cases {
        d.spec.replicas = Some(dep);
        rolling(&mut d, IntOrString::Int(surge), IntOrString::Int(1));
        d.spec.strategy.type_ = strategy.into();
        let mut new_rs = generate_rs(&d, "new", 0);
        new_rs.spec.replicas = Some(new_replicas);
        let got = new_rs_new_replicas(&d, std::slice::from_ref(&rs5), &new_rs);
        assert_eq!(got, Ok(want), "{name}");
    }
}

fn cond(type_: &str, status: &str, reason: &str) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        ..Default::default()
    }
}

/// TestGetCondition, TestSetCondition, TestRemoveCondition.
#[test]
fn conditions_table() {
    let progressing = cond(PROGRESSING, "False", "ForSomeReason");
    let progressing2 = cond(PROGRESSING, "True", "BecauseItIs");
    let available = cond(AVAILABLE, "True", "AwesomeController");
    let status = |cs: &[&DeploymentCondition]| DeploymentStatus {
        conditions: cs.iter().map(|c| (*c).clone()).collect(),
        ..Default::default()
    };
    let example = status(&[&progressing, &available]);
    assert!(
        get_condition(&example, AVAILABLE).is_some(),
        "condition exists"
    );
    assert!(
        get_condition(&example, REPLICA_FAILURE).is_none(),
        "condition does not exist"
    );

    let sets = [
        (
            "set for the first time",
            status(&[]),
            &available,
            status(&[&available]),
        ),
        (
            "simple set",
            status(&[&progressing]),
            &available,
            status(&[&progressing, &available]),
        ),
        (
            "overwrite",
            status(&[&progressing]),
            &progressing2,
            status(&[&progressing2]),
        ),
    ];
    for (name, mut s, c, want) in sets {
        set_condition(&mut s, c.clone());
        assert_eq!(s, want, "{name}");
    }

    let removes = [
        (
            "remove from empty status",
            status(&[]),
            PROGRESSING,
            status(&[]),
        ),
        (
            "simple remove",
            status(&[&progressing]),
            PROGRESSING,
            status(&[]),
        ),
        (
            "doesn't remove anything",
            example.clone(),
            REPLICA_FAILURE,
            example.clone(),
        ),
    ];
    for (name, mut s, t, want) in removes {
        remove_condition(&mut s, t);
        assert_eq!(s, want, "{name}");
    }
}

/// TestDeploymentComplete.
#[test]
fn deployment_complete_table() {
    let deployment = |desired, current, updated, available, max_unavailable, max_surge| {
        let mut d = Deployment::default();
        d.spec.replicas = Some(desired);
        rolling(
            &mut d,
            IntOrString::Int(max_surge),
            IntOrString::Int(max_unavailable),
        );
        d.status.replicas = current;
        d.status.updated_replicas = updated;
        d.status.available_replicas = available;
        d
    };
    let cases = [
        (
            "not complete: min but not all pods become available",
            deployment(5, 5, 5, 4, 1, 0),
            false,
        ),
        (
            "not complete: min availability is not honored",
            deployment(5, 5, 5, 3, 1, 0),
            false,
        ),
        ("complete", deployment(5, 5, 5, 5, 0, 0), true),
        (
            "not complete: all pods are available but not updated",
            deployment(5, 5, 4, 5, 0, 0),
            false,
        ),
        (
            "not complete: still running old pods",
            deployment(1, 2, 1, 1, 0, 1),
            false,
        ),
        (
            "not complete: one replica deployment never comes up",
            deployment(1, 1, 1, 0, 1, 1),
            false,
        ),
    ];
    for (name, d, want) in cases {
        assert_eq!(deployment_complete(&d, &d.status), want, "{name}");
    }
}

/// TestDeploymentProgressing.
#[test]
fn deployment_progressing_table() {
    let status = |current, updated, ready, available| DeploymentStatus {
        replicas: current,
        updated_replicas: updated,
        ready_replicas: ready,
        available_replicas: available,
        ..Default::default()
    };
    let cases = [
        (
            "progressing: updated pods",
            status(10, 4, 4, 4),
            status(10, 6, 4, 4),
            true,
        ),
        (
            "not progressing",
            status(10, 4, 4, 4),
            status(10, 4, 4, 4),
            false,
        ),
        (
            "progressing: old pods removed",
            status(10, 4, 6, 6),
            status(8, 4, 6, 6),
            true,
        ),
        (
            "not progressing: less new pods",
            status(10, 7, 3, 3),
            status(10, 6, 3, 3),
            false,
        ),
        (
            "progressing: less overall but more new pods",
            status(10, 4, 7, 7),
            status(8, 8, 5, 5),
            true,
        ),
        (
            "progressing: more ready pods",
            status(10, 10, 9, 8),
            status(10, 10, 10, 8),
            true,
        ),
        (
            "progressing: more available pods",
            status(10, 10, 10, 9),
            status(10, 10, 10, 10),
            true,
        ),
    ];
    for (name, old, new, want) in cases {
        let d = Deployment {
            status: old,
            ..Default::default()
        };
        assert_eq!(deployment_progressing(&d, &new), want, "{name}");
    }
}

/// TestDeploymentTimedOut.
#[test]
fn deployment_timed_out_table() {
    let t = |min: u64, sec: u64| SimTime((min * 60 + sec) * 1_000_000);
    let deployment = |reason: &str, pds: Option<i32>, from: SimTime| {
        let mut d = Deployment::default();
        d.spec.progress_deadline_seconds = pds;
        let mut c = cond(PROGRESSING, "True", reason);
        c.last_update_time = Some(Time(from));
        d.status.conditions = vec![c];
        d
    };
    let cases = [
        (
            "nil progressDeadlineSeconds specified - no timeout",
            deployment("", None, t(1, 9)),
            t(1, 20),
            false,
        ),
        (
            "infinite progressDeadlineSeconds specified - no timeout",
            deployment("", Some(i32::MAX), t(1, 9)),
            t(1, 20),
            false,
        ),
        (
            "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s",
            deployment("", Some(10), t(1, 9)),
            t(1, 20),
            true,
        ),
        (
            "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s",
            deployment("", Some(10), t(1, 11)),
            t(1, 20),
            false,
        ),
        (
            "previous status was a complete deployment",
            deployment(NEW_RS_AVAILABLE_REASON, None, t(0, 0)),
            t(9, 0),
            false,
        ),
    ];
    for (name, d, now, want) in cases {
        assert_eq!(deployment_timed_out(&d, &d.status, now), want, "{name}");
    }
}

/// TestMaxUnavailable and TestMinAvailable.
#[test]
fn max_unavailable_and_min_available_tables() {
    let deployment = |replicas, max_unavailable: IntOrString| {
        let mut d = Deployment::default();
        d.spec.replicas = Some(replicas);
        rolling(&mut d, IntOrString::Int(1), max_unavailable);
        d
    };
    let int = IntOrString::Int;
    let mut recreate = Deployment::default();
    recreate.spec.replicas = Some(10);
    recreate.spec.strategy.type_ = RECREATE.into();
    let cases = [
        (
            "maxUnavailable less than replicas",
            deployment(10, int(5)),
            5,
            5,
        ),
        (
            "maxUnavailable equal replicas",
            deployment(10, int(10)),
            10,
            0,
        ),
        (
            "maxUnavailable greater than replicas",
            deployment(5, int(10)),
            5,
            0,
        ),
        (
            "maxUnavailable with replicas is 0",
            deployment(0, int(10)),
            0,
            0,
        ),
        (
            "maxUnavailable with Recreate deployment strategy",
            recreate,
            0,
            0,
        ),
        (
            "maxUnavailable less than replicas with percents",
            deployment(10, pct("50%")),
            5,
            5,
        ),
        (
            "maxUnavailable equal replicas with percents",
            deployment(10, pct("100%")),
            10,
            0,
        ),
        (
            "maxUnavailable greater than replicas with percents",
            deployment(5, pct("100%")),
            5,
            0,
        ),
        (
            "minAvailable: replicas greater than maxUnavailable with percents",
            deployment(10, pct("60%")),
            6,
            4,
        ),
    ];
    for (name, d, max_unav, min_avail) in cases {
        assert_eq!(max_unavailable(&d), max_unav, "MaxUnavailable: {name}");
        assert_eq!(min_available(&d), min_avail, "MinAvailable: {name}");
    }
}

/// TestGetNonNegativeInt32FromAnnotation.
#[test]
fn non_negative_i32_annotation_table() {
    type Case = (
        &'static str,
        Option<&'static str>,
        Result<Option<i32>, &'static str>,
    );
    let cases: [Case; 8] = [
        ("invalid empty", None, Ok(None)),
        ("invalid", Some("invalid"), Err("invalid syntax")),
        ("invalid negative ", Some("-1"), Err("invalid syntax")),
        ("valid zero", Some("0"), Ok(Some(0))),
        ("valid", Some("13"), Ok(Some(13))),
        ("valid max", Some("2147483647"), Ok(Some(i32::MAX))),
        (
            "invalid max out of range",
            Some("2147483648"),
            Err("out of range"),
        ),
        (
            "invalid max out of range 2",
            Some("4294967296"),
            Err("out of range"),
        ),
    ];
    for (name, value, want) in cases {
        let mut rs = ReplicaSet::default();
        rs.metadata.annotations.insert("foo".into(), "2".into());
        if let Some(v) = value {
            rs.metadata.annotations.insert("test".into(), v.into());
        }
        match (non_negative_i32_annotation(&rs, "test"), want) {
            (Ok(got), Ok(w)) => assert_eq!(got, w, "{name}"),
            (Err(e), Err(w)) => assert!(e.contains(w), "{name}: {e}"),
            (got, w) => panic!("{name}: got {got:?}, want {w:?}"),
        }
    }
}

/// TestAnnotationUtils: SetNewReplicaSetAnnotations (revision and its history, limited to 5
/// characters), SetReplicasAnnotations, IsSaturated.
#[test]
fn annotation_utils() {
    let mut d = generate_deployment("nginx");
    let mut rs = generate_rs(&d, "nginx-rs", 0);
    d.metadata
        .annotations
        .insert(REVISION_ANNOTATION.into(), "1".into());
    for i in 10..20 {
        let next = (i + 1).to_string();
        set_new_replica_set_annotations(&d, &mut rs, &next, true, 5);
        if i >= 12 {
            let want = format!("{},{}", i - 1, i);
            assert_eq!(
                rs.metadata.annotations.get(REVISION_HISTORY_ANNOTATION),
                Some(&want),
                "revision history at {i}"
            );
        }
        assert_eq!(
            rs.metadata.annotations.get(REVISION_ANNOTATION),
            Some(&next)
        );
    }
    assert!(set_replicas_annotations(&mut rs, 10, 11));
    assert_eq!(rs.metadata.annotations[DESIRED_REPLICAS_ANNOTATION], "10");
    assert_eq!(rs.metadata.annotations[MAX_REPLICAS_ANNOTATION], "11");

    rs.metadata
        .annotations
        .insert(DESIRED_REPLICAS_ANNOTATION.into(), "1".into());
    rs.status.available_replicas = 1;
    rs.spec.replicas = Some(1);
    assert!(is_saturated(&d, Some(&rs)), "IsSaturated");
}

/// TestReplicasAnnotationsNeedUpdate.
#[test]
fn replicas_annotations_need_update_table() {
    let rs = |a: &[(&str, &str)]| ReplicaSet {
        metadata: crate::api::ObjectMeta {
            annotations: labels(a),
            ..Default::default()
        },
        ..Default::default()
    };
    let cases = [
        ("test Annotations nil", rs(&[]), true),
        (
            "test desiredReplicas update",
            rs(&[
                (DESIRED_REPLICAS_ANNOTATION, "8"),
                (MAX_REPLICAS_ANNOTATION, "20"),
            ]),
            true,
        ),
        (
            "test maxReplicas update",
            rs(&[
                (DESIRED_REPLICAS_ANNOTATION, "10"),
                (MAX_REPLICAS_ANNOTATION, "16"),
            ]),
            true,
        ),
        (
            "test needn't update",
            rs(&[
                (DESIRED_REPLICAS_ANNOTATION, "10"),
                (MAX_REPLICAS_ANNOTATION, "20"),
            ]),
            false,
        ),
    ];
    for (name, rs, want) in cases {
        assert_eq!(
            replicas_annotations_need_update(&rs, 10, 20),
            want,
            "{name}"
        );
    }
}

/// TestGetReplicaSetFraction.
#[test]
fn replica_set_fraction_table() {
    // (name, replicas, status.replicas, maxSurge, rs replicas, max-replicas annotation, want)
    type Case = (&'static str, i32, i32, i32, i32, Option<&'static str>, i32);
    let cases: [Case; 9] = [
        ("empty deployment always scales to 0", 0, 0, 0, 10, None, -10),
        ("unsynced deployment does not scale when max-replicas annotation is missing (removed by a 3rd party)", 10, 0, 0, 5, None, 0),
        ("unsynced deployment does not scale when max-replicas annotation is incorrectly set to 0 (by a 3rd party)", 10, 0, 0, 5, Some("0"), 0),
        ("scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is missing (removed by a 3rd party)", 120, 100, 0, 50, None, 10),
        ("scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is incorrectly set to 0 (by a 3rd party)", 120, 100, 0, 50, Some("0"), 10),
        ("scale up by 1/5 should increase RS replicas by 1/5", 120, 0, 0, 50, Some("100"), 10),
        ("scale up with maxSurge by 1/5 should increase RS replicas approximately by 1/5", 120, 0, 10, 50, Some("110"), 9),
        ("scale down by 1/6 should decrease RS replicas by 1/6", 10, 0, 0, 6, Some("12"), -1),
        ("scale down with maxSurge by 1/6 should decrease RS replicas approximately by 1/6", 100, 0, 10, 50, Some("130"), -8),
    ];
    for (name, replicas, status_replicas, surge, rs_replicas, max_annotation, want) in cases {
        let mut d = generate_deployment("nginx");
        d.status.replicas = status_replicas;
        d.spec.replicas = Some(replicas);
        rolling(&mut d, IntOrString::Int(surge), IntOrString::Int(1));
        let mut rs = generate_rs(&d, "nginx-rs", 0);
        rs.spec.replicas = Some(rs_replicas);
        if let Some(m) = max_annotation {
            rs.metadata
                .annotations
                .insert(MAX_REPLICAS_ANNOTATION.into(), m.into());
        }
        assert_eq!(replica_set_fraction(&rs, &d), want, "{name}");
    }
}

/// The pod-template-hash: SafeEncodeString's alphabet, a 32-bit value's decimal digits, stable,
/// and changed by the collision count.
#[test]
fn pod_template_hash() {
    assert_eq!(safe_encode_string("0123456789"), "456789bcdf");
    let d = generate_deployment("nginx");
    let h = compute_hash(&d.spec.template, None);
    assert_eq!(h, compute_hash(&d.spec.template, None), "stable");
    assert!((1..=10).contains(&h.len()), "{h}");
    assert!(h.bytes().all(|b| b"456789bcdf".contains(&b)), "{h}");
    assert_ne!(h, compute_hash(&d.spec.template, Some(1)));
    assert_ne!(
        compute_hash(&d.spec.template, Some(1)),
        compute_hash(&d.spec.template, Some(2))
    );
    let mut other = d.spec.template.clone();
    other.spec.containers[0].image = "nginx:2".into();
    assert_ne!(h, compute_hash(&other, None));
}

/// ReplicaSetsBySizeOlder / BySizeNewer / ByRevision orders.
#[test]
fn sort_orders() {
    let rs = |name: &str, replicas: i32, created: u64, revision: &str| {
        let mut r = ReplicaSet::default();
        r.metadata.name = name.into();
        r.spec.replicas = Some(replicas);
        r.metadata.creation_timestamp = Some(Time(SimTime(created * 1_000_000)));
        r.metadata
            .annotations
            .insert(REVISION_ANNOTATION.into(), revision.into());
        Arc::new(r)
    };
    let list = vec![rs("a", 1, 1, "3"), rs("b", 2, 2, "1"), rs("c", 1, 3, "2")];
    let order = |cmp: fn(&ReplicaSet, &ReplicaSet) -> Ordering| {
        let mut v = list.clone();
        v.sort_by(|x, y| cmp(x, y));
        v.iter()
            .map(|r| r.metadata.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(by_size_older), ["b", "a", "c"]);
    assert_eq!(order(by_size_newer), ["b", "c", "a"]);
    assert_eq!(order(by_revision), ["b", "c", "a"]);
    assert_eq!(order(by_creation_timestamp), ["a", "b", "c"]);
}
