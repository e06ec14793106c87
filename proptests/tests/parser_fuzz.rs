//! The scenario loader (`kubesim check`'s `load_file`, and `parse_str` under it) never panics:
//! on arbitrary text and on mutations of the shipped scenarios (byte flips, deletions,
//! duplications, truncation) it loads, or reports errors that carry `file:line:col`.

use kubesim::scenario::{load_file, parse_str, ScenarioErrors};
use proptest::prelude::*;
use proptests::cases;
use std::path::PathBuf;

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// The shipped scenarios: (file name, text).
fn shipped() -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios/*.ron");
    files
        .into_iter()
        .map(|p| {
            // The full path: files a scenario names are read relative to it.
            let name = p.to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Every error names `file:line:col` (line and column from 1), except the closing
/// "... and N more problems" line.
fn positioned(file: &str, errs: &ScenarioErrors) -> Result<(), String> {
    if errs.0.is_empty() {
        return Err("an error without any problem".into());
    }
    for e in &errs.0 {
        if e.message.starts_with("... and ") {
            continue;
        }
        let text = e.to_string();
        let want = format!("{file}:{}:{}: ", e.line, e.col);
        if e.line == 0 || e.col == 0 || !text.starts_with(&want) {
            return Err(format!("error without a position: {text}"));
        }
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), TestCaseError> {
    match parse_str(text, "fuzz.ron") {
        Ok(_) => Ok(()),
        Err(e) => positioned("fuzz.ron", &e).map_err(TestCaseError::fail),
    }
}

/// One edit of a file's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the byte at (fraction of the length) with this one.
    Flip(f64, u8),
    Delete(f64, usize),
    /// Copy a range and insert it at another place.
    Duplicate(f64, usize, f64),
    Truncate(f64),
}

/// Bytes RON text is made of, and some it is not.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(
            b"()[]{}:,\"'/*-_.0123456789 \nabcdefghijklmnopqrstuvwxyzSN#!".to_vec()
        ),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0, byte()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (0.0..1.0, 1usize..40).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (0.0..1.0, 1usize..80, 0.0..1.0).prop_map(|(at, n, to)| Mutation::Duplicate(at, n, to)),
        (0.0..1.0).prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    let pos = |f: f64| ((f * len as f64) as usize).min(len.saturating_sub(1));
    if len == 0 {
        return;
    }
    match *m {
        Mutation::Flip(at, b) => bytes[pos(at)] = b,
        Mutation::Delete(at, n) => {
            let from = pos(at);
            bytes.drain(from..(from + n).min(len));
        }
        Mutation::Duplicate(at, n, to) => {
            let from = pos(at);
            let piece: Vec<u8> = bytes[from..(from + n).min(len)].to_vec();
            let to = pos(to);
            bytes.splice(to..to, piece);
        }
        Mutation::Truncate(at) => bytes.truncate(pos(at)),
    }
}

/// Parsing is cheap: 32 times the configured cases.
fn config() -> ProptestConfig {
    ProptestConfig::with_cases(cases().saturating_mul(32))
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary text: loads or errors with a position.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check_text(&text)?;
    }

    /// RON-like token soup around a valid opening.
    #[test]
    fn token_soup_never_panics(
        tokens in prop::collection::vec(
            prop::sample::select(vec![
                "Scenario(", "(", ")", "[", "]", "{", "}", ":", ",", "name", "\"x\"", "run_for",
                "\"1m\"", "cluster", "node_pools", "count", "1", "-1", "99999999999999999999",
                "cpu", "\"4\"", "memory", "\"1Gi\"", "actions", "at", "create", "ReplicaSet",
                "fault", "ApiServerDown", "duration", "expect", "Some", "None", "true", "//",
                "/*", "*/", "\n", "r#\"", "1.5e9",
            ]),
            0..60,
        )
    ) {
        check_text(&tokens.join(" "))?;
    }

    /// Mutations of the shipped scenarios: each loads or errors with a position; text that is
    /// no longer UTF-8 is refused by `load_file` without a panic.
    #[test]
    fn mutated_scenarios_never_panic(
        file in 0usize..64,
        mutations in prop::collection::vec(mutation(), 1..=4),
    ) {
        let files = shipped();
        let (name, text) = &files[file % files.len()];
        let mut bytes = text.as_bytes().to_vec();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        match String::from_utf8(bytes) {
            Ok(text) => check_text(&text)?,
            Err(e) => {
                let base = std::path::Path::new(name).file_name().unwrap().to_string_lossy();
                let path = std::env::temp_dir()
                    .join(format!("kubesim-parser-fuzz-{}-{base}", std::process::id()));
                std::fs::write(&path, e.as_bytes()).unwrap();
                let r = load_file(&path);
                std::fs::remove_file(&path).unwrap();
                prop_assert!(r.is_err(), "invalid UTF-8 loaded");
            }
        }
    }
}

/// Every shipped scenario loads, and so does none of its proper line prefixes without a
/// positioned error (each prefix is checked).
#[test]
fn every_line_prefix_of_the_shipped_scenarios() {
    for (name, text) in shipped() {
        parse_str(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        let mut end = 0;
        for line in text.split_inclusive('\n') {
            end += line.len();
            if end == text.len() {
                break;
            }
            if let Err(e) = parse_str(&text[..end], &name) {
                positioned(&name, &e).unwrap_or_else(|m| panic!("{name}[..{end}]: {m}"));
            }
        }
    }
}
