//! `kubesim sweep`: output independent of --jobs, shards and merges equal to the full run, exit
//! codes.

mod common;
use common::{kubesim, kubesim_env, stderr, stdout};

use std::path::{Path, PathBuf};
use std::process::Output;

/// Environment variables for one command.
type Env<'a> = &'a [(&'a str, &'a str)];

/// A shipped scenario with a node fault; every seed passes.
const FAULT: &str = "scenarios/kubelet-stop.ron";
/// A deadline close to the typical start-up time: some seeds pass, others fail.
const TIGHT: &str = "engine/tests/data/sweep/tight-deadline.ron";

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kubesim-sweep-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn lines(p: &Path) -> Vec<serde_json::Value> {
    read(p)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The aggregate without its first line (which names the sweep or the merge).
fn body(o: &Output) -> String {
    let out = stdout(o);
    out.split_once('\n').map(|(_, b)| b.to_string()).unwrap()
}

#[test]
fn output_does_not_depend_on_jobs() {
    let d = dir("jobs");
    let mut outputs = Vec::new();
    for jobs in ["1", "2", "3"] {
        let out = d.join(format!("jobs-{jobs}.jsonl"));
        let o = kubesim(&[
            "sweep",
            FAULT,
            "--seeds",
            "1..7",
            "--jobs",
            jobs,
            "--out",
            s(&out),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "progress goes to stderr");
        outputs.push((read(&out), stdout(&o)));
    }
    assert_eq!(outputs[0], outputs[1], "--jobs 1 vs 2");
    assert_eq!(outputs[0], outputs[2], "--jobs 1 vs 3");

    let (file, aggregate) = &outputs[0];
    let ls = lines(&d.join("jobs-1.jsonl"));
    let seeds: Vec<u64> = ls.iter().map(|l| l["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [1, 2, 3, 4, 5, 6], "1..7 excludes 7, in seed order");
    assert_eq!(file.lines().count(), 6);
    let first = &ls[0];
    assert_eq!(first["scenario"], "kubelet-stop");
    assert_eq!(first["file"], FAULT);
    assert_eq!(first["passed"], true);
    assert_eq!(first["virtual_time_us"], 720_000_000u64);
    assert!(first["events"].as_u64().unwrap() > 0);
    assert_eq!(first["pods_by_phase"]["Running"], 6);
    assert!(first["startup_p50_us"].as_u64().unwrap() <= first["startup_p99_us"].as_u64().unwrap());
    let e = &first["expectations"][0];
    assert_eq!(e["passed"], true);
    assert!(e["observed_at_us"].as_u64().unwrap() <= 60_000_000, "by 1m");
    let f = &first["faults"][0];
    assert_eq!(f["fault"], "StopKubelet worker-1");
    assert_eq!(f["at_us"], 120_000_000u64);
    let detected = f["detected_after_us"].as_u64().unwrap();
    assert!((40_000_000..=60_000_000).contains(&detected), "{detected}");
    assert!(f["recovered_after_us"].as_u64().is_some());
    assert!(f["endpoints_removed_after_us"].is_null(), "no Service");

    for want in [
        "runs: 6\n",
        "passed: 6/6 (100.0%)\n",
        "pod start-up latency, each run's p99 (6 runs): p50 ",
        "fault #1 StopKubelet worker-1 (6 runs)",
        "  all replicas Ready again: p50 ",
        "every seed passed\n",
    ] {
        assert!(aggregate.contains(want), "missing {want:?} in\n{aggregate}");
    }

    // The line of a seed is what `kubesim run --seed` gives.
    let o = kubesim(&["run", FAULT, "--seed", "4"]);
    assert_eq!(o.status.code(), Some(0));
    let digest = format!("digest: {}", ls[3]["digest"].as_str().unwrap());
    assert!(
        stdout(&o).ends_with(&format!("{digest}\n")),
        "{}",
        stdout(&o)
    );
}

/// Runs the full sweep of TIGHT over 0..12 and its three shards (one by index, two by `auto`).
fn full_and_shards(d: &Path) -> (Output, PathBuf, Vec<PathBuf>) {
    let full = d.join("full.jsonl");
    let o = kubesim(&[
        "sweep",
        TIGHT,
        "--seeds",
        "0..=11",
        "--jobs",
        "2",
        "--out",
        s(&full),
    ]);
    let shards: Vec<PathBuf> = (0..3).map(|i| d.join(format!("shard-{i}.jsonl"))).collect();
    let runs: [(&str, &[(&str, &str)]); 3] = [
        ("0/3", &[]),
        ("auto/3", &[("JOB_COMPLETION_INDEX", "1")]),
        ("auto/3", &[("SLURM_ARRAY_TASK_ID", "2")]),
    ];
    for (i, (shard, env)) in runs.iter().enumerate() {
        let so = kubesim_env(
            &[
                "sweep",
                TIGHT,
                "--seeds",
                "0..12",
                "--shard",
                shard,
                "--out",
                s(&shards[i]),
            ],
            env,
        );
        assert!(matches!(so.status.code(), Some(0 | 1)), "{}", stderr(&so));
        for l in lines(&shards[i]) {
            assert_eq!(l["seed"].as_u64().unwrap() % 3, i as u64, "shard {i}");
        }
    }
    (o, full, shards)
}

#[test]
fn shards_together_are_the_full_run_and_merge_back_to_it() {
    let d = dir("shards");
    let (full_out, full, shards) = full_and_shards(&d);
    let full_text = read(&full);
    assert_eq!(full_text.lines().count(), 12);

    // Union of the shards' lines == the full run's lines.
    let mut union: Vec<String> = shards
        .iter()
        .flat_map(|p| read(p).lines().map(String::from).collect::<Vec<_>>())
        .collect();
    union.sort_by_key(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seed"].as_u64());
    assert_eq!(union.join("\n") + "\n", full_text);

    // The merge (shards in any order) == the full run: same file, same aggregate, same exit.
    let merged = d.join("merged.jsonl");
    let o = kubesim(&[
        "sweep",
        "--merge",
        s(&shards[2]),
        s(&shards[0]),
        s(&shards[1]),
        "--out",
        s(&merged),
    ]);
    assert_eq!(read(&merged), full_text);
    assert_eq!(body(&o), body(&full_out));
    assert_eq!(o.status.code(), full_out.status.code());
    assert!(!stdout(&o).contains("missing"), "{}", stdout(&o));

    // A shard left out: its seeds are reported missing (between the lowest and highest seed,
    // or over --seeds).
    let o = kubesim(&["sweep", "--merge", s(&shards[0]), s(&shards[1])]);
    assert!(
        stdout(&o).contains("missing seeds (3): 2, 5, 8\n"),
        "{}",
        stdout(&o)
    );
    let o = kubesim(&[
        "sweep",
        "--merge",
        s(&shards[0]),
        s(&shards[1]),
        "--seeds",
        "0..12",
    ]);
    assert!(
        stdout(&o).contains("missing seeds (4): 2, 5, 8, 11\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn failing_seeds_exit_1_with_replay_commands() {
    let d = dir("failing");
    let out = d.join("tight.jsonl");
    let o = kubesim(&["sweep", TIGHT, "--seeds", "0..12", "--out", s(&out)]);
    let ls = lines(&out);
    let failing: Vec<u64> = ls
        .iter()
        .filter(|l| l["passed"] == false)
        .map(|l| l["seed"].as_u64().unwrap())
        .collect();
    assert!(
        !failing.is_empty() && failing.len() < 12,
        "the deadline should split the seeds: {failing:?}"
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(&format!("failing seeds ({}):\n", failing.len())),
        "{text}"
    );
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("kubesim run "))
        .collect();
    assert_eq!(listed.len(), failing.len());
    for (line, seed) in listed.iter().zip(&failing) {
        assert!(
            line.starts_with(&format!("{TIGHT} --seed {seed}  # by 4.5s: ")),
            "{line}"
        );
    }
    // The replay command fails the same way and gives the same digest.
    let seed = failing[0].to_string();
    let r = kubesim(&["run", TIGHT, "--seed", &seed]);
    assert_eq!(r.status.code(), Some(1));
    let line = &ls.iter().find(|l| l["seed"] == failing[0]).unwrap();
    assert!(stdout(&r).ends_with(&format!("digest: {}\n", line["digest"].as_str().unwrap())));
    let e = &line["expectations"][1];
    assert_eq!(e["passed"], false);
    assert_eq!(
        e["observed_at_us"], 4_500_000u64,
        "a `by` fails at its deadline"
    );
}

#[test]
fn bad_input_exits_2() {
    let d = dir("bad");
    let good = d.join("good.jsonl");
    let o = kubesim(&["sweep", TIGHT, "--seeds", "3..=4", "--out", s(&good)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let good_text = read(&good);

    let malformed = d.join("malformed.jsonl");
    std::fs::write(&malformed, format!("{good_text}\n{{\"seed\": 9}}\n")).unwrap();
    let renamed = d.join("renamed.jsonl");
    let other = good_text
        .lines()
        .next()
        .unwrap()
        .replace("\"seed\":3", "\"seed\":5")
        .replace("\"scenario\":\"tight-deadline\"", "\"scenario\":\"other\"");
    std::fs::write(&renamed, other + "\n").unwrap();
    let missing = d.join("no-such.jsonl");
    let unwritable = d.join("no-such-dir").join("out.jsonl");

    let malformed_at = format!("{}:4: not a sweep line", malformed.display());
    let twice = format!("seed 3 twice: {0}:1 and {0}:1", good.display());
    let cases: Vec<(Vec<&str>, Env, &str)> = vec![
        (
            vec!["sweep", TIGHT, "--seeds", "5..5"],
            &[],
            "the range is empty",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "6..=5"],
            &[],
            "the range is empty",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "x..5"],
            &[],
            "is not a seed",
        ),
        (vec!["sweep", TIGHT, "--seeds", "5"], &[], "expected A..B"),
        (vec!["sweep", TIGHT], &[], "--seeds"),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--jobs", "0"],
            &[],
            "--jobs",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--shard", "3/3"],
            &[],
            "not below N=3",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--shard", "1/0"],
            &[],
            "N must be",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--shard", "auto/3"],
            &[],
            "neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--shard", "auto/3"],
            &[("JOB_COMPLETION_INDEX", "3")],
            "JOB_COMPLETION_INDEX=3 is not below N=3",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--shard", "auto/3"],
            &[("SLURM_ARRAY_TASK_ID", "x")],
            "SLURM_ARRAY_TASK_ID=\"x\" is not a whole number",
        ),
        (
            vec!["sweep", "no/such.ron", "--seeds", "0..2"],
            &[],
            "no/such.ron",
        ),
        (
            vec!["sweep", TIGHT, "--seeds", "0..2", "--out", s(&unwritable)],
            &[],
            "no-such-dir",
        ),
        (vec!["sweep", "--merge", s(&missing)], &[], "no-such.jsonl"),
        (vec!["sweep", "--merge", s(&malformed)], &[], &malformed_at),
        (vec!["sweep", "--merge", s(&good), s(&good)], &[], &twice),
        (
            vec!["sweep", "--merge", s(&good), s(&renamed)],
            &[],
            "scenario \"other\", but",
        ),
        (
            vec!["sweep", "--merge", s(&good), "--seeds", "4..10"],
            &[],
            "seed 3 is outside --seeds 4..=9",
        ),
        (
            vec!["sweep", TIGHT, "--merge", s(&good)],
            &[],
            "cannot be used with",
        ),
    ];
    for (args, env, want) in &cases {
        let o = kubesim_env(args, env);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(want),
            "{args:?}: want {want:?} in\n{}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
}

#[test]
fn a_shard_with_no_seeds_writes_an_empty_file() {
    let d = dir("empty");
    let out = d.join("empty.jsonl");
    let o = kubesim(&[
        "sweep",
        TIGHT,
        "--seeds",
        "0..2",
        "--shard",
        "5/8",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(read(&out), "");
    assert!(stdout(&o).contains("runs: 0\n"), "{}", stdout(&o));
}
