//! The per-fault timelines of the summary, on shipped scenarios with upstream defaults:
//! detection after the 50 s grace period, eviction 300 s after the taint (tolerationSeconds) or
//! when pod GC removes the pods of a deleted Node, the stale-endpoint window of a lost node.

mod common;

use kubesim::report::FaultTimeline;
use kubesim::sim::{SimTime, Trace};

fn timelines(file: &str) -> Vec<FaultTimeline> {
    common::run(file, Trace::new()).1.faults
}

/// Whole seconds from the fault to `t`.
fn secs(at: SimTime, t: Option<SimTime>) -> Option<u64> {
    t.map(|t| t.since(at).as_micros() / 1_000_000)
}

#[test]
fn fault_timelines_match_upstream_defaults() {
    // (scenario, fault, detected, tainted, first eviction, stale endpoints removed) in seconds.
    type Row = (
        &'static str,
        &'static str,
        Option<u64>,
        Option<u64>,
        Option<u64>,
        Option<u64>,
    );
    let cases: [Row; 4] = [
        // 300 s after the taint: the default tolerationSeconds of not-ready/unreachable.
        (
            "kubelet-stop.ron",
            "StopKubelet worker-1",
            Some(50),
            Some(50),
            Some(350),
            None,
        ),
        // The Node is deleted 2 m after the loss; pod GC waits 40 s more.
        (
            "node-loss.ron",
            "LoseNode worker-2",
            Some(50),
            Some(50),
            Some(160),
            Some(50),
        ),
        // Healed after 1m40s, before any eviction.
        (
            "partition.ron",
            "Partition worker-1,worker-2",
            Some(50),
            Some(50),
            None,
            None,
        ),
        (
            "zone-outage.ron",
            "ZoneOutage b-1,b-2,b-3,b-4",
            Some(50),
            Some(50),
            Some(350),
            None,
        ),
    ];
    for (file, fault, detected, tainted, evicted, endpoints) in cases {
        let tl = timelines(file);
        let f = tl
            .iter()
            .find(|f| f.fault == fault)
            .unwrap_or_else(|| panic!("{file}: {tl:?}"));
        let got = (
            secs(f.at, f.detected),
            secs(f.at, f.tainted),
            secs(f.at, f.evicted),
            secs(f.at, f.endpoints_removed),
        );
        assert_eq!(
            got,
            (detected, tainted, evicted, endpoints),
            "{file}: {}",
            f.line()
        );
        if let (Some(e), Some(r)) = (f.evicted, f.recovered) {
            assert!(
                r >= e,
                "{file}: recovered before the eviction: {}",
                f.line()
            );
        }
        assert!(f.recovered.is_some(), "{file}: {}", f.line());
    }
}

/// A stopped kubelet's evicted pods keep running until it comes back (10m, 8m after the stop)
/// and stops them: the double life. A lost machine's containers die with it.
#[test]
fn double_life_lasts_until_the_kubelet_returns() {
    let cases = [
        ("kubelet-stop.ron", true, Some(480)),
        ("node-loss.ron", false, Some(160)),
    ];
    for (file, keep_running, gone) in cases {
        let f = &timelines(file)[0];
        assert_eq!(f.containers_keep_running, keep_running, "{file}");
        assert_eq!(secs(f.at, f.pods_gone), gone, "{file}: {}", f.line());
        assert_eq!(
            f.line().contains("containers ran until"),
            keep_running,
            "{file}"
        );
    }
}
