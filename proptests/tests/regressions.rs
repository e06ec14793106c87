//! Every scenario in proptests/regressions/ (minimal failing cases the fuzzer wrote, kept once
//! fixed) loads, runs, and passes every invariant and the determinism check.

use kubesim::scenario::load_file;
use proptests::machine::{check_all, regressions_dir};

#[test]
fn every_regression_scenario_passes() {
    let mut files: Vec<_> = std::fs::read_dir(regressions_dir())
        .expect("proptests/regressions/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression scenarios");
    let mut failed = Vec::new();
    for f in &files {
        let scenario = load_file(f).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = check_all(&scenario) {
            failed.push(format!("{}:\n{e}", f.display()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
