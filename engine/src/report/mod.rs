//! Rendering a run's [`Report`] for people: the summary `kubesim run` prints.

mod fault_timeline;

pub use crate::cluster::Report;
pub use crate::scenario::expect::{ExpectationResult, Outcome};
pub use fault_timeline::FaultTimeline;

use crate::sim::SimDuration;
use std::collections::BTreeMap;
use std::fmt::Write;

impl Report {
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
        let _ = writeln!(s, "trace records: {}", self.trace_records);
        let _ = writeln!(s, "nodes: {}", self.nodes);
        if self.watches_expired > 0 {
            let _ = writeln!(
                s,
                "watches expired (410 Gone, re-listed): {}",
                self.watches_expired
            );
        }
        let phases: Vec<String> = self
            .pods_by_phase
            .iter()
            .map(|(p, n)| format!("{p}={n}"))
            .collect();
        let total: u32 = self.pods_by_phase.values().sum();
        if !self.startup_latencies.is_empty() {
            let l = &self.startup_latencies;
            // Nearest rank.
            let pct = |p: usize| l[(l.len() * p).div_ceil(100).max(1) - 1];
            let p99 = pct(99);
            let slo = if p99 <= SimDuration::from_secs(5) {
                "met"
            } else {
                "missed"
            };
            let _ = writeln!(
                s,
                "pod start-up latency (creation to containers started, {} pods): p50 {}, p99 {} (SLO p99 <= 5s: {slo})",
                l.len(),
                pct(50),
                p99
            );
        }
        // Zone states, from the node lifecycle controller: each zone's changes.
        let mut zones: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (t, z, st) in &self.zone_history {
            zones
                .entry(z.as_str())
                .or_default()
                .push(format!("{st} at {t}"));
        }
        for (z, changes) in zones {
            let z = if z.is_empty() { "(no zone)" } else { z };
            let _ = writeln!(s, "zone {z}: {}", changes.join(", "));
        }
        for f in &self.faults {
            let _ = writeln!(s, "{}", f.line());
        }
        if phases.is_empty() {
            let _ = writeln!(s, "pods: 0");
        } else {
            let _ = writeln!(s, "pods: {total} ({})", phases.join(", "));
        }
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
                Outcome::Fail { at, observed } => {
                    format!("  FAIL  {} (observed {observed} at {at})", e.description)
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
