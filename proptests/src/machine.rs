//! Driving the model: each property runs the state machine (one action added per step, the
//! scenario run and checked after each step), shrinks a failure, and writes the minimal failing
//! scenario as a RON file (see [`write_regression`]).
//!
//! Every property uses the same fixed RNG seed, so they all see the same cases; runs are shared
//! between them through a cache of verdicts keyed by the scenario's text, and a case costs one
//! run whatever the number of properties.

use crate::invariants::{self, INVARIANTS};
use crate::model::{Case, Machine, Step};
use crate::render::render;
use crate::run::{execute, plain_digest, Run};
use kubesim::scenario::Scenario;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The RNG seed when `PROPTEST_RNG_SEED` is not set: CI sees the same cases every time.
pub const DEFAULT_RNG_SEED: u64 = 20_250_707;
/// Most actions in a case when `KUBESIM_FUZZ_STEPS` is not set.
pub const DEFAULT_STEPS: usize = 8;
/// How long shrinking may take (ms) when `PROPTEST_MAX_SHRINK_TIME` is not set.
pub const DEFAULT_SHRINK_MS: u32 = 300_000;

/// Most actions in a case: `KUBESIM_FUZZ_STEPS`, else [`DEFAULT_STEPS`].
pub fn steps() -> usize {
    std::env::var("KUBESIM_FUZZ_STEPS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_STEPS)
}

/// The proptest config of the fuzzing properties: [`crate::cases`] cases, a fixed RNG seed
/// (`PROPTEST_RNG_SEED` to explore others), no proptest persistence files (failures become
/// regression scenarios instead), shrinking bounded in time.
pub fn config() -> Config {
    let mut c = crate::config();
    if matches!(c.rng_seed, RngSeed::Random) {
        c.rng_seed = RngSeed::Fixed(DEFAULT_RNG_SEED);
    }
    c.failure_persistence = None;
    if c.max_shrink_time == 0 {
        c.max_shrink_time = DEFAULT_SHRINK_MS;
    }
    c
}

/// The directory the suite replays and failures are written to: `proptests/regressions`.
pub fn regressions_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// What a fuzzing test checks on each scenario.
#[derive(Clone, Copy)]
pub enum Property {
    /// One of [`INVARIANTS`], by name (runs shared through the cache).
    Invariant(&'static str),
    /// The same scenario and seed give the same digest (the cached run, with the watch
    /// auditor, against a plain run).
    Determinism,
    /// Any check of a run, under a name (not cached).
    Custom(&'static str, fn(&Run) -> Result<(), String>),
}

impl Property {
    pub fn name(&self) -> &'static str {
        match self {
            Property::Invariant(n) | Property::Custom(n, _) => n,
            Property::Determinism => "same_seed_same_digest",
        }
    }

    /// Checks one scenario.
    pub fn check(&self, scenario: &Scenario) -> Result<(), String> {
        match self {
            Property::Invariant(name) => {
                let o = outcome(scenario);
                o.verdicts
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| Err(format!("no invariant named {name}")))
            }
            Property::Determinism => {
                let o = outcome(scenario);
                let Some(first) = &o.digest else {
                    return Ok(()); // the engine panicked: engine_does_not_panic reports it
                };
                match plain_digest(scenario) {
                    Ok(d) if d == *first => Ok(()),
                    Ok(d) => Err(format!("digest {first} then {d}")),
                    Err(p) => Err(format!("the engine panicked on the second run only: {p}")),
                }
            }
            Property::Custom(_, f) => f(&execute(scenario)),
        }
    }
}

/// Every invariant's verdict on one scenario, and its digest (None if the engine panicked).
pub struct Outcome {
    pub verdicts: BTreeMap<&'static str, Result<(), String>>,
    pub digest: Option<String>,
}

type Cache = Mutex<BTreeMap<String, Arc<OnceLock<Arc<Outcome>>>>>;

/// Runs `scenario` once per process (per distinct text) and checks every invariant.
pub fn outcome(scenario: &Scenario) -> Arc<Outcome> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = render(scenario, "");
    let cell = {
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        cache.entry(key).or_default().clone()
    };
    cell.get_or_init(|| {
        let run = execute(scenario);
        let verdicts = INVARIANTS.iter().map(|(n, f)| (*n, f(&run))).collect();
        let digest = run.panic.is_none().then(|| run.digest.clone());
        Arc::new(Outcome { verdicts, digest })
    })
    .clone()
}

/// Checks the property after the initial cluster and after each step of machine `M`; on
/// failure, the case that failed and the message.
pub fn check_steps<M: ReferenceStateMachine<State = Case, Transition = Step>>(
    prop: &Property,
    init: Case,
    steps: Vec<Step>,
    seen: Option<Arc<AtomicUsize>>,
) -> Result<(), (Case, String)> {
    let mut case = init;
    prop.check(&case.scenario())
        .map_err(|m| (case.clone(), m))?;
    for s in steps {
        if let Some(c) = &seen {
            c.fetch_add(1, Ordering::SeqCst);
        }
        case = M::apply(case, &s);
        prop.check(&case.scenario())
            .map_err(|m| (case.clone(), m))?;
    }
    Ok(())
}

/// A property that failed: the message and the regression file written.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub scenario: Box<Scenario>,
    pub file: Option<PathBuf>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(p) = &self.file {
            write!(
                f,
                "\nminimal failing scenario: {}\nreplay: cargo run -p kubesim -- run {}",
                p.display(),
                p.display()
            )?;
        }
        Ok(())
    }
}

/// Runs the property over the configured cases of the fuzzing model; a failure is shrunk and
/// its minimal scenario written into `dir`.
pub fn fuzz(prop: &Property, dir: &Path) -> Result<(), Failure> {
    fuzz_with::<Machine>(prop, dir, config(), steps())
}

/// [`fuzz`] with another machine over the same model (a narrower generator), config and
/// number of steps.
pub fn fuzz_with<M: ReferenceStateMachine<State = Case, Transition = Step>>(
    prop: &Property,
    dir: &Path,
    config: Config,
    steps: usize,
) -> Result<(), Failure> {
    let mut runner = TestRunner::new(config);
    let strategy = M::sequential_strategy(1..=steps.max(1));
    let result = runner.run(&strategy, |(init, steps, seen)| {
        check_steps::<M>(prop, init, steps, seen).map_err(|(_, m)| TestCaseError::fail(m))
    });
    let (init, steps, _) = match result {
        Ok(()) => return Ok(()),
        Err(TestError::Abort(why)) => {
            return Err(Failure {
                message: format!("{}: aborted: {why}", prop.name()),
                scenario: Box::new(Case::default().scenario()),
                file: None,
            })
        }
        Err(TestError::Fail(_, value)) => value,
    };
    let (case, message) = match check_steps::<M>(prop, init.clone(), steps.clone(), None) {
        Err(f) => f,
        // Not reproduced (it should be: runs are deterministic): keep the whole case.
        Ok(()) => {
            let mut c = init;
            for s in &steps {
                c = M::apply(c, s);
            }
            (c, "failed while shrinking, passed on replay".into())
        }
    };
    let message = format!("{} failed: {message}", prop.name());
    let scenario = case.scenario();
    let file = write_regression(dir, prop.name(), &scenario, &message).ok();
    Err(Failure {
        message,
        scenario: Box::new(scenario),
        file,
    })
}

/// Runs the property and panics with the failure (and where its scenario was written).
pub fn assert_property(prop: &Property) {
    if let Err(f) = fuzz(prop, &regressions_dir()) {
        panic!("{f}");
    }
}

/// 64-bit FNV-1a, for stable file names.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Writes `scenario` as `<dir>/<property>-<hash>.ron`, named after the file, with the
/// failure and how to replay it as a comment; returns the path.
pub fn write_regression(
    dir: &Path,
    property: &str,
    scenario: &Scenario,
    message: &str,
) -> std::io::Result<PathBuf> {
    let hash = fnv1a(&render(scenario, ""));
    let stem = format!("{}-{:08x}", property.replace('_', "-"), hash as u32);
    let mut s = scenario.clone();
    s.name = stem.clone();
    let path = dir.join(format!("{stem}.ron"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shown = std::fs::canonicalize(&root)
        .ok()
        .and_then(|r| path.strip_prefix(r).ok().map(Path::to_path_buf))
        .or_else(|| path.strip_prefix(&root).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.clone());
    let header = format!(
        "Minimal failing case of the fuzzing property `{property}` (docs/fuzzing.md).\n\
         Replay: kubesim run {} --trace /tmp/{stem}.jsonl\n\
         Checked by: cargo test -p proptests --test regressions\n\
         {message}",
        shown.display()
    );
    std::fs::create_dir_all(dir)?;
    std::fs::write(&path, render(&s, &header))?;
    Ok(path)
}

/// Every invariant of [`INVARIANTS`] and determinism on one scenario (a regression file).
pub fn check_all(scenario: &Scenario) -> Result<(), String> {
    let mut errors = Vec::new();
    for (name, _) in INVARIANTS {
        if let Err(e) = Property::Invariant(name).check(scenario) {
            errors.push(format!("{name}: {e}"));
        }
    }
    if let Err(e) = Property::Determinism.check(scenario) {
        errors.push(format!("same_seed_same_digest: {e}"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// Names of the invariants, for tests that keep one test per invariant.
pub fn invariant_names() -> Vec<&'static str> {
    invariants::INVARIANTS.iter().map(|(n, _)| *n).collect()
}
