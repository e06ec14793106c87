//! Every shipped scenario passes its expectations and replays byte for byte.

use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::load_file;
use kubesim::sim::Trace;
use std::path::PathBuf;

fn shipped() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
    files
}

fn run(path: &std::path::Path, seed: Option<u64>) -> (kubesim::report::Report, Vec<String>) {
    let s = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let mut c = Cluster::new(
        &s,
        RunOptions {
            seed,
            trace: Trace::new().keeping_lines(),
            ..Default::default()
        },
    );
    let r = c.run(None);
    let lines = c.sim().trace().lines().unwrap().to_vec();
    (r, lines)
}

#[test]
fn every_shipped_scenario_passes() {
    for path in shipped() {
        let (r, _) = run(&path, None);
        let failed: Vec<&str> = r.failures().map(|f| f.description.as_str()).collect();
        assert!(failed.is_empty(), "{}: failed {failed:?}", path.display());
        assert!(
            !r.expectations.is_empty(),
            "{} checks nothing",
            path.display()
        );
    }
}

#[test]
fn every_shipped_scenario_replays_to_the_same_digest_and_trace() {
    for path in shipped() {
        let (a, ta) = run(&path, None);
        let (b, tb) = run(&path, None);
        assert_eq!(a.digest, b.digest, "{}", path.display());
        assert_eq!(ta, tb, "{}", path.display());
        assert_eq!(a.events, b.events);
        // The digest is blake3 over the JSONL bytes.
        let bytes: String = ta.iter().map(|l| format!("{l}\n")).collect();
        assert_eq!(
            a.digest,
            blake3::hash(bytes.as_bytes()).to_hex().to_string()
        );
    }
}

#[test]
fn another_seed_gives_another_timeline() {
    for path in shipped() {
        let (a, _) = run(&path, Some(1));
        let (b, _) = run(&path, Some(2));
        assert_ne!(a.digest, b.digest, "{}", path.display());
    }
}

#[test]
fn watch_compaction_makes_informers_relist() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/watch-compaction.ron");
    let (r, lines) = run(&path, None);
    assert!(
        r.watches_expired >= 3,
        "kubelets' watches expired: {}",
        r.watches_expired
    );
    let faults: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"verb\":\"fault\""))
        .collect();
    assert_eq!(faults.len(), 2);
    assert!(
        faults[0].contains(r#""object":{"type":"Compact"}"#),
        "{}",
        faults[0]
    );
    assert!(faults[1].contains(r#""object":{"type":"ApiServerDown","duration":"20s"}"#));
    assert!(faults[1].contains(r#""kind":"Fault","namespace":"","name":"kube-apiserver""#));
}
