//! Seed sweeps (`kubesim sweep`, docs/sweeps.md): one scenario run for many seeds on several
//! threads, one JSON line per seed in seed order, shards for job arrays, merging shard outputs,
//! and the aggregate printed at the end. Each run is independent of the others, so the output
//! does not depend on the number of threads.

use crate::cluster::{Cluster, Report, RunOptions};
use crate::report::{FaultTimeline, Outcome};
use crate::scenario::Scenario;
use crate::sim::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

/// The environment variables `--shard auto/N` reads the shard index from, in this order.
pub const SHARD_INDEX_VARS: [&str; 2] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

/// The seeds `first..=last`; written `A..B` (B excluded) or `A..=B` (B included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

impl SeedRange {
    /// Parses `A..B` (B excluded, Rust style) or `A..=B` (B included); the range must hold at
    /// least one seed.
    pub fn parse(s: &str) -> Result<SeedRange, String> {
        let forms = "expected A..B (B excluded) or A..=B (B included), e.g. 0..1000";
        let t = s.trim();
        let (a, b, inclusive) = if let Some((a, b)) = t.split_once("..=") {
            (a, b, true)
        } else if let Some((a, b)) = t.split_once("..") {
            (a, b, false)
        } else {
            return Err(format!("--seeds {s:?}: {forms}"));
        };
        let num = |x: &str| {
            x.trim()
                .parse::<u64>()
                .map_err(|_| format!("--seeds {s:?}: {x:?} is not a seed (0 to 2^64-1); {forms}"))
        };
        let (first, b) = (num(a)?, num(b)?);
        let last = if inclusive {
            b
        } else {
            b.checked_sub(1)
                .ok_or_else(|| format!("--seeds {s:?}: the range is empty"))?
        };
        if last < first {
            return Err(format!("--seeds {s:?}: the range is empty"));
        }
        Ok(SeedRange { first, last })
    }

    pub fn contains(&self, seed: u64) -> bool {
        (self.first..=self.last).contains(&seed)
    }
}

impl std::fmt::Display for SeedRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..={}", self.first, self.last)
    }
}

/// Shard `index` of `count` (0-based): the seeds `s` of a range `A..` with
/// `(s - A) % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Every seed.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`, or `auto/N` with I from the first of [`SHARD_INDEX_VARS`] that `env` has.
    pub fn parse(s: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let forms = "expected I/N with 0 <= I < N, or auto/N";
        let (i, n) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: {forms}"))?;
        let count = match n.trim().parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("--shard {s:?}: N must be a whole number >= 1")),
        };
        let (index, source) = if i.trim() == "auto" {
            let (var, v) = SHARD_INDEX_VARS
                .iter()
                .find_map(|var| env(var).map(|v| (*var, v)))
                .ok_or_else(|| {
                    format!(
                        "--shard {s:?}: neither {} is set",
                        SHARD_INDEX_VARS.join(" nor ")
                    )
                })?;
            let index = v
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("--shard {s:?}: {var}={v:?} is not a whole number"))?;
            (index, format!("{var}={index}"))
        } else {
            let index = i
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("--shard {s:?}: {forms}"))?;
            (index, format!("I={index}"))
        };
        if index >= count {
            return Err(format!(
                "--shard {s:?}: {source} is not below N={count} (shards are 0-based)"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The seeds of `range` in this shard, in order.
    pub fn seeds(&self, range: SeedRange) -> Seeds {
        let first = range
            .first
            .checked_add(self.index)
            .filter(|f| *f <= range.last);
        Seeds {
            first: first.unwrap_or(0),
            step: self.count,
            len: first.map_or(0, |f| (range.last - f) / self.count + 1),
        }
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// An arithmetic sequence of seeds: `first`, `first + step`, ... (`len` of them, which
/// saturates at `u64::MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    first: u64,
    step: u64,
    len: u64,
}

impl Seeds {
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The `k`th seed, `k < len()`.
    pub fn get(&self, k: u64) -> u64 {
        self.first + k * self.step
    }
}

/// One expectation of one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationLine {
    pub description: String,
    pub passed: bool,
    /// The count observed.
    pub observed: Option<u32>,
    /// When it was decided: for `by`, the first time it held; for `always`, the first
    /// violation; otherwise the time it was checked. None when the run stopped before it.
    pub observed_at_us: Option<u64>,
}

/// One fault's recovery times, in µs after the fault began; None: not seen in the run (or
/// nothing to see, e.g. no pods on the node; `kubesim run` tells which).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultLine {
    /// `<FaultName> <nodes>`.
    pub fault: String,
    pub at_us: u64,
    pub detected_after_us: Option<u64>,
    pub tainted_after_us: Option<u64>,
    pub evicted_after_us: Option<u64>,
    pub endpoints_removed_after_us: Option<u64>,
    pub recovered_after_us: Option<u64>,
    pub pods_gone_after_us: Option<u64>,
}

impl FaultLine {
    fn of(f: &FaultTimeline) -> FaultLine {
        let after = |t: Option<SimTime>| t.map(|t| t.since(f.at).as_micros());
        FaultLine {
            fault: f.fault.clone(),
            at_us: f.at.as_micros(),
            detected_after_us: after(f.detected),
            tainted_after_us: after(f.tainted),
            evicted_after_us: after(f.evicted),
            endpoints_removed_after_us: after(f.endpoints_removed),
            recovered_after_us: after(f.recovered),
            pods_gone_after_us: after(f.pods_gone),
        }
    }

    /// (label as in `kubesim run`'s fault lines, value) for each recovery time.
    fn metrics(&self) -> [(&'static str, Option<u64>); 6] {
        [
            ("Ready=Unknown", self.detected_after_us),
            ("unreachable NoExecute taint", self.tainted_after_us),
            ("first eviction", self.evicted_after_us),
            ("stale endpoints removed", self.endpoints_removed_after_us),
            ("all replicas Ready again", self.recovered_after_us),
            ("evicted pods' containers stopped", self.pods_gone_after_us),
        ]
    }
}

/// One seed's run: one line of a sweep's output (docs/sweeps.md describes each field).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given to `kubesim sweep`.
    pub file: String,
    pub digest: String,
    /// Every expectation held, every kubectl command succeeded, and the run did not panic.
    pub passed: bool,
    /// The panic message when the run panicked (the other fields are then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
    pub expectations: Vec<ExpectationLine>,
    /// `<at>: <command>: <message>` for each failed kubectl command.
    pub kubectl_errors: Vec<String>,
    pub events: u64,
    pub virtual_time_us: u64,
    pub pods_by_phase: BTreeMap<String, u32>,
    /// Pods with a start-up latency (creation to containers started).
    pub startup_pods: usize,
    pub startup_p50_us: Option<u64>,
    pub startup_p99_us: Option<u64>,
    pub faults: Vec<FaultLine>,
}

/// Nearest-rank percentile of a sorted, non-empty slice (as `kubesim run`'s summary).
fn percentile(sorted: &[u64], p: usize) -> u64 {
    sorted[(sorted.len() * p).div_ceil(100).max(1) - 1]
}

impl SeedResult {
    /// The line for `report`, a run of the scenario in `file`.
    pub fn of(file: &str, report: &Report) -> SeedResult {
        let lat: Vec<u64> = report
            .startup_latencies
            .iter()
            .map(|d| d.as_micros())
            .collect();
        SeedResult {
            seed: report.seed,
            scenario: report.scenario.clone(),
            file: file.to_string(),
            digest: report.digest.clone(),
            passed: report.passed(),
            panic: None,
            expectations: report
                .expectations
                .iter()
                .map(|e| {
                    let (passed, observed, at) = match &e.outcome {
                        Outcome::Pass { at, observed } => (true, Some(*observed), Some(*at)),
                        Outcome::Fail { at, observed } => (false, Some(*observed), Some(*at)),
                        Outcome::NotReached => (true, None, None),
                    };
                    ExpectationLine {
                        description: e.description.clone(),
                        passed,
                        observed,
                        observed_at_us: at.map(SimTime::as_micros),
                    }
                })
                .collect(),
            kubectl_errors: report
                .kubectl_errors
                .iter()
                .map(|e| format!("{}: {}: {}", e.at, e.command, e.error.message))
                .collect(),
            events: report.events,
            virtual_time_us: report.virtual_time.as_micros(),
            pods_by_phase: report.pods_by_phase.clone(),
            startup_pods: lat.len(),
            startup_p50_us: (!lat.is_empty()).then(|| percentile(&lat, 50)),
            startup_p99_us: (!lat.is_empty()).then(|| percentile(&lat, 99)),
            faults: report.faults.iter().map(FaultLine::of).collect(),
        }
    }

    /// The line of a run that panicked.
    fn panicked(scenario: &str, file: &str, seed: u64, message: String) -> SeedResult {
        SeedResult {
            seed,
            scenario: scenario.to_string(),
            file: file.to_string(),
            digest: String::new(),
            passed: false,
            panic: Some(message),
            expectations: Vec::new(),
            kubectl_errors: Vec::new(),
            events: 0,
            virtual_time_us: 0,
            pods_by_phase: BTreeMap::new(),
            startup_pods: 0,
            startup_p50_us: None,
            startup_p99_us: None,
            faults: Vec::new(),
        }
    }

    /// The JSON line (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("sweep lines serialize")
    }

    /// Why the run failed, in a few words.
    fn failure(&self) -> String {
        if let Some(p) = &self.panic {
            return format!("panicked: {}", p.lines().next().unwrap_or(""));
        }
        let failed: Vec<&str> = self
            .expectations
            .iter()
            .filter(|e| !e.passed)
            .map(|e| e.description.as_str())
            .collect();
        let mut parts = Vec::new();
        if let Some(first) = failed.first() {
            parts.push(if failed.len() > 1 {
                format!("{first} (and {} more)", failed.len() - 1)
            } else {
                first.to_string()
            });
        }
        if let Some(e) = self.kubectl_errors.first() {
            parts.push(format!("kubectl error at {e}"));
        }
        parts.join("; ")
    }
}

/// Runs `scenario` with `seed` and returns its line; a panic becomes a failed line.
pub fn run_seed(scenario: &Scenario, file: &str, seed: u64) -> SeedResult {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut c = Cluster::new(
            scenario,
            RunOptions {
                seed: Some(seed),
                ..Default::default()
            },
        );
        c.run(None)
    }));
    match run {
        Ok(report) => SeedResult::of(file, &report),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            SeedResult::panicked(&scenario.name, file, seed, message)
        }
    }
}

/// Runs `scenario` for each of `seeds` on `jobs` threads, each building its own cluster, and
/// hands the lines to `sink` in seed order. Stops early when `sink` fails.
pub fn run_seeds<E>(
    scenario: &Scenario,
    file: &str,
    seeds: Seeds,
    jobs: usize,
    mut sink: impl FnMut(SeedResult) -> Result<(), E>,
) -> Result<(), E> {
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let jobs = (jobs.max(1) as u64).min(seeds.len().max(1)) as usize;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(u64, SeedResult)>();
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= seeds.len() {
                        break;
                    }
                    let line = run_seed(scenario, file, seeds.get(k));
                    if tx.send((k, line)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Lines that came early wait here for the ones before them.
        let mut pending: BTreeMap<u64, SeedResult> = BTreeMap::new();
        let mut want = 0u64;
        for (k, line) in rx {
            pending.insert(k, line);
            while let Some(line) = pending.remove(&want) {
                want += 1;
                if let Err(e) = sink(line) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(())
    })
}

/// One line read back from a sweep output.
pub struct ReadLine {
    pub result: SeedResult,
    /// The line as written.
    pub text: String,
    /// `file:line`.
    pub origin: String,
}

/// Reads sweep outputs; blank lines are skipped.
pub fn read_outputs(files: &[PathBuf]) -> Result<Vec<ReadLine>, String> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            let origin = format!("{}:{}", f.display(), i + 1);
            if line.trim().is_empty() {
                continue;
            }
            let result: SeedResult = serde_json::from_str(line)
                .map_err(|e| format!("{origin}: not a sweep line: {e}"))?;
            out.push(ReadLine {
                result,
                text: line.trim().to_string(),
                origin,
            });
        }
    }
    Ok(out)
}

/// Shard outputs combined: lines sorted by seed, and the seeds missing.
pub struct Merged {
    pub lines: Vec<ReadLine>,
    /// Runs of missing seeds, `(first, last)` inclusive: between the lowest and the highest
    /// seed, or over `expected` when given.
    pub missing: Vec<(u64, u64)>,
}

/// Sorts `lines` by seed; a seed twice, lines of different scenarios, or (with `expected`) a
/// seed outside `expected` are errors.
pub fn merge(mut lines: Vec<ReadLine>, expected: Option<SeedRange>) -> Result<Merged, String> {
    if let Some(first) = lines.first() {
        if let Some(other) = lines
            .iter()
            .find(|l| l.result.scenario != first.result.scenario)
        {
            return Err(format!(
                "{}: scenario {:?}, but {} has scenario {:?}",
                other.origin, other.result.scenario, first.origin, first.result.scenario
            ));
        }
    }
    if let Some(r) = expected {
        if let Some(l) = lines.iter().find(|l| !r.contains(l.result.seed)) {
            return Err(format!(
                "{}: seed {} is outside --seeds {r}",
                l.origin, l.result.seed
            ));
        }
    }
    lines.sort_by_key(|l| l.result.seed);
    if let Some(w) = lines
        .windows(2)
        .find(|w| w[0].result.seed == w[1].result.seed)
    {
        return Err(format!(
            "seed {} twice: {} and {}",
            w[0].result.seed, w[0].origin, w[1].origin
        ));
    }
    let bounds = match (expected, lines.first(), lines.last()) {
        (Some(r), _, _) => Some((r.first, r.last)),
        (None, Some(a), Some(b)) => Some((a.result.seed, b.result.seed)),
        _ => None,
    };
    let mut missing = Vec::new();
    if let Some((lo, hi)) = bounds {
        // The next seed not yet accounted for; None past u64::MAX.
        let mut expect = Some(lo);
        for s in lines.iter().map(|l| l.result.seed) {
            if let Some(e) = expect.filter(|e| *e < s) {
                missing.push((e, s - 1));
            }
            expect = s.checked_add(1);
        }
        if let Some(e) = expect.filter(|e| *e <= hi) {
            missing.push((e, hi));
        }
    }
    Ok(Merged { lines, missing })
}

/// `a`, or `a..=b`, comma-separated.
fn seed_runs(runs: &[(u64, u64)]) -> String {
    runs.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}..={b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quotes `s` for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./-+:=@%,".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The command that replays one seed.
pub fn replay_command(file: &str, seed: u64) -> String {
    format!("kubesim run {} --seed {seed}", shell_quote(file))
}

/// One fault of the scenario (the `index`th of each run) across runs.
struct FaultAgg {
    index: usize,
    name: String,
    runs: u64,
    /// Per metric label, the values seen.
    values: Vec<(&'static str, Vec<u64>)>,
}

/// The sweep's aggregate, fed line by line in seed order.
#[derive(Default)]
pub struct Aggregate {
    runs: u64,
    passed: u64,
    /// (seed, replay command, why).
    failing: Vec<(u64, String, String)>,
    startup_p50: Vec<u64>,
    startup_p99: Vec<u64>,
    faults: Vec<FaultAgg>,
    missing: Vec<(u64, u64)>,
}

impl Aggregate {
    pub fn add(&mut self, r: &SeedResult) {
        self.runs += 1;
        if r.passed {
            self.passed += 1;
        } else {
            self.failing
                .push((r.seed, replay_command(&r.file, r.seed), r.failure()));
        }
        self.startup_p50.extend(r.startup_p50_us);
        self.startup_p99.extend(r.startup_p99_us);
        for (index, f) in r.faults.iter().enumerate() {
            let pos = match self
                .faults
                .iter()
                .position(|a| a.index == index && a.name == f.fault)
            {
                Some(p) => p,
                None => {
                    self.faults.push(FaultAgg {
                        index,
                        name: f.fault.clone(),
                        runs: 0,
                        values: f.metrics().iter().map(|(l, _)| (*l, Vec::new())).collect(),
                    });
                    self.faults.len() - 1
                }
            };
            let agg = &mut self.faults[pos];
            agg.runs += 1;
            for ((_, v), (_, slot)) in f.metrics().iter().zip(agg.values.iter_mut()) {
                slot.extend(*v);
            }
        }
    }

    /// Seeds missing from a merge, reported in the aggregate.
    pub fn set_missing(&mut self, missing: Vec<(u64, u64)>) {
        self.missing = missing;
    }

    /// Whether every run passed.
    pub fn all_passed(&self) -> bool {
        self.passed == self.runs
    }

    /// The text printed after a sweep or a merge.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "runs: {}", self.runs);
        if let Some(permille) = (self.passed * 1000).checked_div(self.runs) {
            let _ = writeln!(
                s,
                "passed: {}/{} ({}.{}%)",
                self.passed,
                self.runs,
                permille / 10,
                permille % 10
            );
        }
        if !self.missing.is_empty() {
            let n: u128 = self
                .missing
                .iter()
                .map(|(a, b)| u128::from(b - a) + 1)
                .sum();
            let _ = writeln!(s, "missing seeds ({n}): {}", seed_runs(&self.missing));
        }
        let dist = |v: &[u64]| {
            let mut v = v.to_vec();
            v.sort_unstable();
            let d = |us| SimDuration::from_micros(us).to_string();
            format!(
                "p50 {}, p90 {}, p99 {}, max {}",
                d(percentile(&v, 50)),
                d(percentile(&v, 90)),
                d(percentile(&v, 99)),
                d(*v.last().expect("not empty"))
            )
        };
        for (label, v) in [("p50", &self.startup_p50), ("p99", &self.startup_p99)] {
            if !v.is_empty() {
                let _ = writeln!(
                    s,
                    "pod start-up latency, each run's {label} ({} runs): {}",
                    v.len(),
                    dist(v)
                );
            }
        }
        for f in &self.faults {
            let _ = writeln!(
                s,
                "fault #{} {} ({} runs), time after the fault:",
                f.index + 1,
                f.name,
                f.runs
            );
            for (label, v) in &f.values {
                let unseen = f.runs - v.len() as u64;
                let line = match (v.is_empty(), unseen) {
                    (true, _) => "not seen in any run".to_string(),
                    (false, 0) => dist(v),
                    (false, n) => format!("{}; not seen in {n} runs", dist(v)),
                };
                let _ = writeln!(s, "  {label}: {line}");
            }
        }
        if self.failing.is_empty() {
            if self.runs > 0 {
                let _ = writeln!(s, "every seed passed");
            }
        } else {
            let _ = writeln!(s, "failing seeds ({}):", self.failing.len());
            for (_, cmd, why) in &self.failing {
                let why = why.replace('\n', " ");
                let _ = writeln!(s, "  {cmd}  # {why}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        let r = |a, b| Ok(SeedRange { first: a, last: b });
        assert_eq!(SeedRange::parse("0..10"), r(0, 9));
        assert_eq!(SeedRange::parse("0..=10"), r(0, 10));
        assert_eq!(SeedRange::parse(" 5..6 "), r(5, 5));
        assert_eq!(SeedRange::parse("7..=7"), r(7, 7));
        assert_eq!(SeedRange::parse("0..=18446744073709551615"), r(0, u64::MAX));
        for bad in [
            "5..5", "6..5", "6..=5", "0..0", "a..3", "3", "1...3", "-1..3", "",
        ] {
            assert!(SeedRange::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn shards() {
        let none = |_: &str| None;
        assert_eq!(Shard::parse("1/4", none), Ok(Shard { index: 1, count: 4 }));
        for bad in ["4/4", "0/0", "1", "x/2", "1/x", "auto/2", "/2"] {
            assert!(Shard::parse(bad, none).is_err(), "{bad:?} parsed");
        }
        let k8s = |v: &str| (v == "JOB_COMPLETION_INDEX").then(|| "2".to_string());
        assert_eq!(
            Shard::parse("auto/3", k8s),
            Ok(Shard { index: 2, count: 3 })
        );
        let both = |v: &str| match v {
            "JOB_COMPLETION_INDEX" => Some("1".to_string()),
            "SLURM_ARRAY_TASK_ID" => Some("0".to_string()),
            _ => None,
        };
        assert_eq!(
            Shard::parse("auto/3", both),
            Ok(Shard { index: 1, count: 3 })
        );
        let slurm = |v: &str| (v == "SLURM_ARRAY_TASK_ID").then(|| "3".to_string());
        assert!(Shard::parse("auto/3", slurm).is_err());
        assert_eq!(
            Shard::parse("auto/4", slurm),
            Ok(Shard { index: 3, count: 4 })
        );
    }

    #[test]
    fn shard_seeds_partition_the_range() {
        let range = SeedRange {
            first: 10,
            last: 20,
        };
        let mut all = Vec::new();
        for index in 0..4 {
            let s = Shard { index, count: 4 }.seeds(range);
            let v: Vec<u64> = (0..s.len()).map(|k| s.get(k)).collect();
            assert!(v.iter().all(|x| (x - 10) % 4 == index));
            all.extend(v);
        }
        all.sort();
        assert_eq!(all, (10..=20).collect::<Vec<_>>());
        // More shards than seeds: some are empty.
        let s = Shard {
            index: 5,
            count: 20,
        }
        .seeds(SeedRange { first: 0, last: 2 });
        assert!(s.is_empty());
        let s = Shard::ALL.seeds(SeedRange {
            first: u64::MAX,
            last: u64::MAX,
        });
        assert_eq!((s.len(), s.get(0)), (1, u64::MAX));
    }

    #[test]
    fn replay_commands_quote_paths() {
        assert_eq!(
            replay_command("scenarios/a.ron", 3),
            "kubesim run scenarios/a.ron --seed 3"
        );
        assert_eq!(
            replay_command("my dir/it's.ron", 3),
            r"kubesim run 'my dir/it'\''s.ron' --seed 3"
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), 5);
        assert_eq!(percentile(&v, 90), 9);
        assert_eq!(percentile(&v, 99), 10);
        assert_eq!(percentile(&[7], 50), 7);
    }
}
