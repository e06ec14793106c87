//! `kubesim bench scheduler`: the rate as the last stdout line, counts on stderr, exit codes.

mod common;
use common::{kubesim, stderr, stdout};

use std::process::Output;

/// The last stdout line is `<digits> pods/s`.
fn assert_rate_line(o: &Output) {
    let out = stdout(o);
    let last = out.lines().last().expect("some output");
    let number = last.strip_suffix(" pods/s").expect("ends with pods/s");
    assert!(
        !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
        "{last:?}"
    );
}

/// The placements digest from stderr.
fn placements(o: &Output) -> String {
    let err = stderr(o);
    let at = err.find("placements ").expect("placements on stderr");
    err[at + "placements ".len()..].trim().to_string()
}

#[test]
fn default_profile_prints_a_rate_and_schedules_every_pod() {
    let o = kubesim(&["bench", "scheduler", "--nodes", "50", "--pods", "200"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_rate_line(&o);
    assert!(
        stderr(&o).contains("50 nodes: 200 pods scheduled, 0 unschedulable"),
        "{}",
        stderr(&o)
    );
    // Placements do not depend on the clock.
    let again = kubesim(&["bench", "scheduler", "--nodes", "50", "--pods", "200"]);
    assert_eq!(placements(&o), placements(&again));
}

#[test]
fn spread_affinity_profile_runs() {
    let o = kubesim(&[
        "bench",
        "scheduler",
        "--nodes",
        "30",
        "--pods",
        "90",
        "--profile",
        "spread-affinity",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_rate_line(&o);
    assert!(
        stderr(&o).contains("profile spread-affinity"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("90 pods scheduled"), "{}", stderr(&o));
}

#[test]
fn scheduler_config_profiles_are_used() {
    let args = ["bench", "scheduler", "--nodes", "50", "--pods", "200"];
    let default = kubesim(&args);
    let config = "engine/tests/data/explain/most-allocated.yaml";
    let most = kubesim(&[&args[..], &["--scheduler-config", config]].concat());
    assert_eq!(most.status.code(), Some(0), "{}", stderr(&most));
    assert_rate_line(&most);
    // MostAllocated packs the pods: other placements than LeastAllocated's.
    assert_ne!(placements(&default), placements(&most));
}

#[test]
fn bad_input_exits_2() {
    for args in [
        &["bench", "scheduler", "--no-such-flag"][..],
        &["bench", "scheduler", "--nodes", "many"],
        &["bench", "scheduler", "--profile", "nope"],
        &["bench", "scheduler", "--nodes", "0"],
        &[
            "bench",
            "scheduler",
            "--scheduler-config",
            "no/such/file.yaml",
        ],
        &[
            "bench",
            "scheduler",
            "--profile",
            "default",
            "--scheduler-config",
            "engine/tests/data/explain/most-allocated.yaml",
        ],
        &["bench", "nothing"],
    ] {
        let o = kubesim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn help_lists_the_profiles() {
    let o = kubesim(&["bench", "scheduler", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for want in [
        "--nodes",
        "--pods",
        "--profile",
        "--scheduler-config",
        "default",
        "spread-affinity",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
}
