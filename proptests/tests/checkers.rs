//! The invariant checkers can fail: each is run on a real run of a shipped scenario
//! (deployment-rollout, topology-spread, preemption, daemonset-rollout; each passes them all)
//! and on a copy with one fault written into its trace, final store or watch streams, which it
//! must report.

use kubesim::api::affinity::ContainerPort;
use kubesim::api::Quantity;
use kubesim::scenario::load_file;
use proptests::invariants::{self, INVARIANTS};
use proptests::run::{execute, Obj, Run};
use std::collections::BTreeMap;
use std::path::Path;

fn scenario_run(file: &str) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    let run = execute(&load_file(&path).unwrap_or_else(|e| panic!("{e}")));
    for (name, check) in INVARIANTS {
        check(&run).unwrap_or_else(|e| panic!("{name} on the real run of {file}: {e}"));
    }
    run
}

fn rollout_run() -> Run {
    scenario_run("deployment-rollout.ron")
}

fn first(run: &Run, f: impl Fn(&proptests::run::Line) -> bool) -> usize {
    run.lines.iter().position(f).expect("such a line")
}

#[test]
fn each_checker_reports_a_planted_fault() {
    let run = rollout_run();
    let mut failures: Vec<String> = Vec::new();
    let mut expect = |name: &str, mutated: Run| match invariants::by_name(name).unwrap()(&mutated) {
        Err(e) => eprintln!("{name}: {e}"),
        Ok(()) => failures.push(format!("{name} missed its planted fault")),
    };

    // A second bind of a bound pod, to another node.
    let mut m = run.clone();
    let i = first(&m, |l| l.verb == "bind");
    let mut dup = m.lines[i].clone();
    if let Obj::Pod(p) = &mut dup.object {
        p.spec.node_name = "worker-9".into();
    }
    m.lines.insert(i + 1, dup);
    expect("no_pod_bound_twice", m);

    // Two writes with their resourceVersions swapped.
    let mut m = run.clone();
    let i = first(&m, |l| l.is_write() && l.rv > 10);
    let j = i + 1 + m.lines[i + 1..].iter().position(|l| l.is_write()).unwrap();
    let (a, b) = (m.lines[i].rv, m.lines[j].rv);
    m.lines[i].rv = b;
    m.lines[j].rv = a;
    expect("resource_versions_increase", m);

    // A watch stream that skips an event.
    let mut m = run.clone();
    let s = m.streams.iter().position(|s| s.events.len() >= 3).unwrap();
    m.streams[s].events.remove(1);
    expect("watch_streams_in_order", m);

    // A bound pod asking for more cpu than any node has.
    let mut m = run.clone();
    let i = first(&m, |l| l.verb == "bind");
    if let Obj::Pod(p) = &mut m.lines[i].object {
        p.spec.containers[0]
            .resources
            .requests
            .insert("cpu".into(), Quantity::from_milli(64_000));
    }
    expect("binds_pass_hard_filters", m.clone());
    expect("no_overcommit", m);

    // The deployment controller scaling a ReplicaSet far past maxSurge.
    let mut m = run.clone();
    let i = first(&m, |l| {
        l.actor == "deployment-controller" && l.kind == "ReplicaSet" && l.verb == "update"
    });
    if let Obj::ReplicaSet(rs) = &mut m.lines[i].object {
        rs.spec.replicas = Some(40);
    }
    expect("rollouts_within_surge_and_unavailable", m);

    // A pod missing from the final store.
    let mut m = run.clone();
    let pods = m.store.get_mut(&kubesim::api::Kind::Pod).unwrap();
    pods.remove(0);
    expect("trace_replays_to_final_store", m.clone());
    expect("replicas_running_after_quiet_period", m);

    // The engine panicked.
    let mut m = run.clone();
    m.panic = Some("boom".into());
    expect("engine_does_not_panic", m);

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Indices of the bind lines of pods whose name starts with `prefix`.
fn binds_of(run: &Run, prefix: &str) -> Vec<usize> {
    (0..run.lines.len())
        .filter(|&i| run.lines[i].verb == "bind" && run.lines[i].name.starts_with(prefix))
        .collect()
}

fn rebind(run: &mut Run, i: usize, node: &str) {
    if let Obj::Pod(p) = &mut run.lines[i].object {
        p.spec.node_name = node.into();
    }
}

fn node_of(run: &Run, i: usize) -> String {
    run.lines[i].pod().unwrap().spec.node_name.clone()
}

#[test]
fn scheduling_constraint_checkers_report_planted_faults() {
    let mut failures: Vec<String> = Vec::new();
    let mut expect =
        |name: &str, what: &str, mutated: Run| match invariants::by_name(name).unwrap()(&mutated) {
            Err(e) if e.contains(what) => eprintln!("{name}: {e}"),
            Err(e) => failures.push(format!("{name} reported {e:?}, not {what:?}")),
            Ok(()) => failures.push(format!("{name} missed its planted fault ({what})")),
        };
    let run = scenario_run("topology-spread.ron");

    // The second cache pod bound beside the first (required anti-affinity on the hostname).
    let mut m = run.clone();
    let cache = binds_of(&m, "cache-");
    let first = node_of(&m, cache[0]);
    rebind(&mut m, cache[1], &first);
    expect("binds_pass_hard_filters", "InterPodAffinity", m);

    // A web pod labelled app=cache bound beside a cache pod decided before it (the existing
    // pod's anti-affinity term selects it).
    let mut m = run.clone();
    let c = cache[0];
    let w = *binds_of(&run, "web-")
        .iter()
        .find(|&&j| j > c)
        .expect("a web pod bound after a cache pod");
    let target = node_of(&m, c);
    rebind(&mut m, w, &target);
    if let Obj::Pod(p) = &mut m.lines[w].object {
        p.metadata.labels.insert("app".into(), "cache".into());
    }
    expect(
        "binds_pass_hard_filters",
        "has a required anti-affinity term",
        m,
    );

    // A batch pod (required node affinity to zone-c) bound in zone-a.
    let mut m = run.clone();
    rebind(&mut m, binds_of(&run, "batch-")[0], "a-1");
    expect("binds_pass_hard_filters", "NodeAffinity", m);

    // The gpu pod (nodeSelector accelerator=nvidia) bound to a-1.
    let mut m = run.clone();
    rebind(&mut m, binds_of(&run, "gpu-")[0], "a-1");
    expect("binds_pass_hard_filters", "nodeSelector", m);

    // The last web pod (zone spread, maxSkew 1) bound in a zone that has the most web pods.
    let mut m = run.clone();
    let web = binds_of(&run, "web-");
    let zone_of: BTreeMap<String, String> = run
        .nodes()
        .map(|n| {
            let z = n.metadata.labels["topology.kubernetes.io/zone"].clone();
            (n.metadata.name.clone(), z)
        })
        .collect();
    let mut per_zone: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in &web[..web.len() - 1] {
        *per_zone.entry(&zone_of[&node_of(&run, i)]).or_default() += 1;
    }
    let (full, _) = per_zone.iter().max_by_key(|(_, n)| **n).unwrap();
    let target = format!("{}-1", &full[5..]);
    rebind(&mut m, *web.last().unwrap(), &target);
    expect("binds_pass_hard_filters", "PodTopologySpread", m);

    // Two pods on one node asking for the same hostPort.
    let mut m = run.clone();
    let binds = binds_of(&run, "");
    let a = binds[0];
    let b = *binds[1..]
        .iter()
        .find(|&&j| node_of(&run, j) == node_of(&run, a))
        .expect("two binds on one node");
    for i in [a, b] {
        if let Obj::Pod(p) = &mut m.lines[i].object {
            p.spec.containers[0].ports.push(ContainerPort {
                host_port: 8080,
                container_port: 8080,
                ..Default::default()
            });
        }
    }
    expect("binds_pass_hard_filters", "NodePorts", m);

    // A daemon pod created on a node its nodeSelector does not match.
    let run = scenario_run("daemonset-rollout.ron");
    let mut m = run.clone();
    let i = m
        .lines
        .iter()
        .position(|l| l.verb == "create" && l.actor == "daemonset-controller")
        .unwrap();
    if let Obj::Pod(p) = &mut m.lines[i].object {
        p.spec.node_selector.insert("disk".into(), "none".into());
    }
    expect("binds_pass_hard_filters", "DaemonSet pod", m);

    // Preemption victims as important as their preemptor; then no preemptor nominated.
    let run = scenario_run("preemption.ron");
    let victim = |l: &proptests::run::Line| {
        l.actor == "kube-scheduler"
            && l.pod()
                .and_then(|p| p.condition("DisruptionTarget"))
                .is_some_and(|c| c.reason == "PreemptionByScheduler")
    };
    assert!(run.lines.iter().any(victim), "the scenario preempts");
    let mut m = run.clone();
    for l in m.lines.iter_mut().filter(|l| victim(l)) {
        if let Obj::Pod(p) = &mut l.object {
            p.spec.priority = Some(1000);
        }
    }
    expect(
        "preemption_only_evicts_lower_priority",
        "nominated there",
        m,
    );
    let mut m = run.clone();
    for l in m.lines.iter_mut() {
        if let Obj::Pod(p) = &mut l.object {
            p.status.nominated_node_name.clear();
        }
    }
    expect("preemption_only_evicts_lower_priority", "is nominated", m);

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
