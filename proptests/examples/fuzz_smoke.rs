use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use proptest_state_machine::ReferenceStateMachine;
use proptests::invariants::INVARIANTS;
use proptests::model::Machine;
use proptests::run::execute;
use std::time::Instant;
fn main() {
    let mut runner = TestRunner::new(proptests::machine::config());
    let strategy = Machine::sequential_strategy(1..=8);
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let verbose = std::env::args().nth(2).is_some();
    for i in 0..n {
        let (init, steps, _) = strategy.new_tree(&mut runner).unwrap().current();
        let mut case = init;
        for s in &steps { case = Machine::apply(case, s); }
        let sc = case.scenario();
        let t = Instant::now();
        let run = execute(&sc);
        let nodes: u32 = case.pools.iter().map(|p| p.count).sum();
        let count = |v: &str| run.lines.iter().filter(|l| l.verb == v).count();
        let evict = run.lines.iter().filter(|l| l.actor == "taint-eviction-controller").count();
        let dep = run.lines.iter().filter(|l| l.actor == "deployment-controller" && l.kind == "ReplicaSet").count();
        let ev: usize = run.streams.iter().map(|s| s.events.len()).sum();
        println!("case {i}: {nodes} nodes, {} steps, run_for {}, {:.2}s lines {} binds {} faults {} evict {} depRS {} streams {} events {} kubectl_err {} panic {:?}", case.steps.len(), sc.run_for, t.elapsed().as_secs_f64(), run.lines.len(), count("bind"), count("fault"), evict, dep, run.streams.len(), ev, run.kubectl_errors.len(), run.panic);
        if verbose { println!("{:#?}", case.steps); }
        let mut failed = false;
        for (k, f) in INVARIANTS { if let Err(e) = f(&run) { failed = true; println!("  FAIL {k}: {}", &e[..e.len().min(600)]); } }
        if failed { std::fs::write(format!("/tmp/fz/fail-{i}.ron"), proptests::render::render(&sc, "")).unwrap(); }
    }
}
