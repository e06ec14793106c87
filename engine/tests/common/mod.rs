//! Helpers shared by the integration tests.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use kubesim::cluster::{Cluster, Report, RunOptions};
use kubesim::scenario::load_file;
use kubesim::sim::Trace;
use serde_json::Value;
use std::path::PathBuf;

/// Runs a shipped scenario (a file name under scenarios/) with its own seed.
pub fn run(file: &str, trace: Trace) -> (Cluster, Report) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    let scenario = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut c = Cluster::new(
        &scenario,
        RunOptions {
            seed: None,
            trace,
            ..Default::default()
        },
    );
    let report = c.run(None);
    (c, report)
}

/// Runs a shipped scenario, asserts it passes, and returns its trace lines parsed.
pub fn trace_of(file: &str) -> Vec<Value> {
    let (c, report) = run(file, Trace::new().keeping_lines());
    assert!(report.passed(), "{}", report.summary(None));
    c.sim()
        .trace()
        .lines()
        .expect("lines are kept")
        .iter()
        .map(|l| serde_json::from_str(l).expect("trace lines are JSON"))
        .collect()
}

/// Runs the `kubesim` binary from the workspace root with `env` set (and the shard variables
/// of Indexed Jobs and Slurm arrays removed, so a test never inherits one).
pub fn kubesim_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"));
    c.args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("kubesim runs")
}

/// Runs the `kubesim` binary from the workspace root.
pub fn kubesim(args: &[&str]) -> std::process::Output {
    kubesim_env(args, &[])
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
