//! Every shipped scenario passes its expectations and replays byte for byte.
//!
//! A scenario whose first line is `// kubesim:heavy` (scenarios/scale-5k.ron: 5,000 nodes,
//! 150,000 pods, an hour) takes too long in a debug build: there it is only loaded and
//! validated, as `kubesim check` does; `cargo test --release` runs it like the others.

use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::load_file;
use kubesim::sim::Trace;
use std::path::{Path, PathBuf};

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

/// The first line says `// kubesim:heavy`.
fn heavy(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .is_some_and(|l| l.contains("// kubesim:heavy"))
}

/// The shipped scenarios this build runs: all in release, the light ones in debug.
fn runnable() -> Vec<PathBuf> {
    shipped()
        .into_iter()
        .filter(|p| !cfg!(debug_assertions) || !heavy(p))
        .collect()
}

fn run(path: &std::path::Path, seed: Option<u64>) -> (kubesim::report::Report, Vec<String>) {
    let s = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    // A heavy trace is millions of lines: compared by digest only.
    let trace = if heavy(path) {
        Trace::new()
    } else {
        Trace::new().keeping_lines()
    };
    let mut c = Cluster::new(
        &s,
        RunOptions {
            seed,
            trace,
            ..Default::default()
        },
    );
    let r = c.run(None);
    let lines = c.sim().trace().lines().unwrap_or_default().to_vec();
    (r, lines)
}

#[test]
fn heavy_scenarios_load() {
    let heavy: Vec<PathBuf> = shipped().into_iter().filter(|p| heavy(p)).collect();
    assert!(!heavy.is_empty(), "scenarios/scale-5k.ron is marked heavy");
    for path in heavy {
        let s = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.expect.is_empty(), "{} checks nothing", path.display());
    }
}

#[test]
fn every_shipped_scenario_passes() {
    for path in runnable() {
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
    for path in runnable() {
        let (a, ta) = run(&path, None);
        let (b, tb) = run(&path, None);
        assert_eq!(a.digest, b.digest, "{}", path.display());
        assert_eq!(ta, tb, "{}", path.display());
        assert_eq!(a.events, b.events);
        if heavy(&path) {
            continue;
        }
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
    for path in shipped().into_iter().filter(|p| !heavy(p)) {
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
