//! What a run reports: expectation outcomes, pod phases, counts, and the digest.

use crate::api::{Kind, Object};
use crate::client::CommandError;
use crate::cluster::Cluster;
use crate::scenario::Expectation;
use crate::sim::SimTime;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How one expectation came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Held; for `by`, the first time it held.
    Pass {
        at: SimTime,
        observed: u32,
    },
    Fail {
        observed: u32,
    },
    /// The run stopped before its time (`--until`).
    NotReached,
}

impl Outcome {
    pub fn from_count(e: &Expectation, n: u32, at: SimTime) -> Outcome {
        if e.pod_count().holds(n) {
            Outcome::Pass { at, observed: n }
        } else {
            Outcome::Fail { observed: n }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectationResult {
    pub description: String,
    pub outcome: Outcome,
}

/// The result of `Cluster::run`.
#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub virtual_time: SimTime,
    pub events: u64,
    pub trace_records: u64,
    pub nodes: usize,
    /// Pods by phase ("Terminating" for pods being deleted).
    pub pods_by_phase: BTreeMap<String, u32>,
    pub expectations: Vec<ExpectationResult>,
    pub kubectl_errors: Vec<CommandError>,
    pub digest: String,
}

impl Report {
    pub fn new(c: &Cluster, end: SimTime, expectations: Vec<ExpectationResult>) -> Self {
        let store = c.store();
        let mut pods_by_phase = BTreeMap::new();
        for o in store.list(Kind::Pod, None) {
            if let Object::Pod(p) = o.as_ref() {
                let phase = if p.metadata.deletion_timestamp.is_some() {
                    "Terminating".to_string()
                } else {
                    p.status.phase.clone()
                };
                *pods_by_phase.entry(phase).or_insert(0) += 1;
            }
        }
        Report {
            scenario: c.scenario().name.clone(),
            seed: c.seed(),
            virtual_time: end,
            events: c.sim().events(),
            trace_records: c.sim().trace().len(),
            nodes: store.count(Kind::Node),
            pods_by_phase,
            expectations,
            kubectl_errors: c.kubectl_errors(),
            digest: c.sim().trace().digest(),
        }
    }

    /// Every expectation that was checked held.
    pub fn passed(&self) -> bool {
        !self
            .expectations
            .iter()
            .any(|e| matches!(e.outcome, Outcome::Fail { .. }))
    }

    pub fn failures(&self) -> impl Iterator<Item = &ExpectationResult> {
        self.expectations
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Fail { .. }))
    }

    /// The summary `kubesim run` prints; `wall_secs` adds the wall-clock lines. The last line
    /// is `digest: <hex>`.
    pub fn summary(&self, wall_secs: Option<f64>) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "scenario: {} (seed {})", self.scenario, self.seed);
        let _ = writeln!(s, "virtual time: {}", self.virtual_time);
        let _ = writeln!(s, "events: {}", self.events);
        if let Some(w) = wall_secs {
            let rate = if w > 0.0 { self.events as f64 / w } else { 0.0 };
            let _ = writeln!(s, "wall time: {w:.3} s");
            let _ = writeln!(s, "events/s: {rate:.0}");
        }
        let _ = writeln!(s, "api writes traced: {}", self.trace_records);
        let _ = writeln!(s, "nodes: {}", self.nodes);
        let phases: Vec<String> = self
            .pods_by_phase
            .iter()
            .map(|(p, n)| format!("{p}={n}"))
            .collect();
        let total: u32 = self.pods_by_phase.values().sum();
        let _ = writeln!(s, "pods: {total} ({})", phases.join(", "));
        for e in &self.kubectl_errors {
            let _ = writeln!(
                s,
                "kubectl error at {}: {}: {}",
                e.at, e.command, e.error.message
            );
        }
        if !self.expectations.is_empty() {
            let _ = writeln!(s, "expectations:");
        }
        for e in &self.expectations {
            let line = match &e.outcome {
                Outcome::Pass { at, observed } => {
                    format!("  PASS  {} (observed {observed} at {at})", e.description)
                }
                Outcome::Fail { observed } => {
                    format!("  FAIL  {} (observed {observed})", e.description)
                }
                Outcome::NotReached => {
                    format!("  SKIP  {} (run stopped before it)", e.description)
                }
            };
            let _ = writeln!(s, "{line}");
        }
        let _ = write!(s, "digest: {}", self.digest);
        s
    }
}
