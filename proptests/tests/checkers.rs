//! The invariant checkers can fail: each is run on a real run of scenarios/deployment-rollout.ron
//! (which passes them all) and on a copy with one fault written into its trace, final store or
//! watch streams, which it must report.

use kubesim::api::Quantity;
use kubesim::scenario::load_file;
use proptests::invariants::{self, INVARIANTS};
use proptests::run::{execute, Obj, Run};
use std::path::Path;

fn rollout_run() -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/deployment-rollout.ron");
    let run = execute(&load_file(&path).unwrap_or_else(|e| panic!("{e}")));
    for (name, check) in INVARIANTS {
        check(&run).unwrap_or_else(|e| panic!("{name} on the real run: {e}"));
    }
    run
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
