//! The trace of scenarios/crashloop.ron shows CrashLoopBackOff's back-off sequence.

mod common;

#[test]
fn crash_loop_back_off_doubles_to_five_minutes() {
    let trace = common::trace_of("crashloop.ron");
    // (time, state, restartCount) of every status write of the crashing pod.
    let states: Vec<(u64, String, u64)> = trace
        .iter()
        .filter(|v| v["name"] == "crasher" && v["verb"] == "patch")
        .map(|v| {
            let cs = &v["object"]["status"]["containerStatuses"][0];
            let state = cs["state"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            (
                v["t_us"].as_u64().unwrap(),
                state,
                cs["restartCount"].as_u64().unwrap(),
            )
        })
        .collect();
    // Gap between each exit and the next start, in whole seconds (minus the 1 s restart
    // of the kubelet's relist and create/start latencies).
    let mut waits = Vec::new();
    for w in states.windows(2) {
        if w[0].1 == "terminated" {
            let next_start = states.iter().find(|s| s.0 > w[0].0 && s.1 == "running");
            if let Some(s) = next_start {
                waits.push((s.0 - w[0].0) / 1_000_000);
            }
        }
    }
    assert_eq!(waits, [1, 10, 20, 40, 80, 160, 300, 300], "{states:?}");
    let restarts: Vec<u64> = states
        .iter()
        .filter(|s| s.1 == "running")
        .map(|s| s.2)
        .collect();
    assert_eq!(restarts, (0..=8).collect::<Vec<u64>>());
}
