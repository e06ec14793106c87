//! Expectations: checking pod counts against the store, and describing them.

use super::schema::{Expectation, Phase, PodCount};
use crate::api::{Kind, Object, Store};
use crate::sim::SimTime;

/// When an expectation is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At this instant (after every event at or before it).
    At(SimTime),
    /// At some instant up to this one.
    By(SimTime),
    /// At the end of the run.
    End,
}

impl Expectation {
    pub fn when(&self) -> When {
        match (&self.at, &self.by) {
            (Some(t), _) => When::At(SimTime(t.0.as_micros())),
            (None, Some(t)) => When::By(SimTime(t.0.as_micros())),
            (None, None) => When::End,
        }
    }

    /// The pod count, with `running` turned into `phase: Running`.
    pub fn pod_count(&self) -> PodCount {
        match (&self.pods, &self.running) {
            (Some(p), _) => p.clone(),
            (None, Some(r)) => PodCount {
                phase: Some(Phase::Running),
                ..r.clone()
            },
            (None, None) => PodCount::default(),
        }
    }

    /// A one-line description, e.g. `by 1m0s: pods{owner=ReplicaSet/web, phase=Running} == 5`.
    pub fn describe(&self) -> String {
        let when = match (&self.at, &self.by) {
            (Some(t), _) => format!("at {}", t.value),
            (None, Some(t)) => format!("by {}", t.value),
            (None, None) => "at end".into(),
        };
        format!("{when}: {}", self.pod_count().describe())
    }
}

impl PodCount {
    /// Pods in the store that pass every filter.
    pub fn count(&self, store: &Store) -> u32 {
        let owner = self.owner.as_ref().map(|o| &o.value);
        let ns = owner
            .map(|o| o.namespace.as_str())
            .or(self.namespace.as_deref());
        store
            .list(Kind::Pod, ns)
            .filter(|o| {
                let Object::Pod(p) = o.as_ref() else {
                    return false;
                };
                if p.metadata.deletion_timestamp.is_some() {
                    return false;
                }
                if let Some(o) = owner {
                    let ok = p
                        .metadata
                        .controller_ref()
                        .is_some_and(|r| r.kind == o.kind && r.name == o.name);
                    if !ok {
                        return false;
                    }
                }
                if let Some(ph) = self.phase {
                    if p.status.phase != ph.as_str() {
                        return false;
                    }
                }
                if let Some(r) = self.ready {
                    if p.is_ready() != r {
                        return false;
                    }
                }
                let node = p.spec.node_name.as_str();
                if !self.on.is_empty() && !self.on.iter().any(|n| n.as_str() == node) {
                    return false;
                }
                !self.not_on.iter().any(|n| n.as_str() == node)
            })
            .count() as u32
    }

    /// Whether `n` satisfies the bounds.
    pub fn holds(&self, n: u32) -> bool {
        self.count.is_none_or(|c| n == c)
            && self.at_least.is_none_or(|c| n >= c)
            && self.at_most.is_none_or(|c| n <= c)
    }

    pub fn describe(&self) -> String {
        let mut f: Vec<String> = Vec::new();
        if let Some(o) = &self.owner {
            f.push(format!("owner={}", o.value));
        }
        if let Some(ns) = &self.namespace {
            f.push(format!("namespace={ns}"));
        }
        if let Some(p) = self.phase {
            f.push(format!("phase={}", p.as_str()));
        }
        if let Some(r) = self.ready {
            f.push(format!("ready={r}"));
        }
        if !self.on.is_empty() {
            let v: Vec<&str> = self.on.iter().map(|n| n.as_str()).collect();
            f.push(format!("on=[{}]", v.join(",")));
        }
        if !self.not_on.is_empty() {
            let v: Vec<&str> = self.not_on.iter().map(|n| n.as_str()).collect();
            f.push(format!("not_on=[{}]", v.join(",")));
        }
        let mut b: Vec<String> = Vec::new();
        if let Some(c) = self.count {
            b.push(format!("== {c}"));
        }
        if let Some(c) = self.at_least {
            b.push(format!(">= {c}"));
        }
        if let Some(c) = self.at_most {
            b.push(format!("<= {c}"));
        }
        format!("pods{{{}}} {}", f.join(", "), b.join(" and "))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_table() {
        let pc = |count, at_least, at_most| PodCount {
            count,
            at_least,
            at_most,
            ..Default::default()
        };
        let cases = [
            (pc(Some(5), None, None), 5, true),
            (pc(Some(5), None, None), 4, false),
            (pc(None, Some(3), None), 3, true),
            (pc(None, Some(3), None), 2, false),
            (pc(None, None, Some(3)), 4, false),
            (pc(None, Some(2), Some(4)), 3, true),
        ];
        for (c, n, want) in cases {
            assert_eq!(c.holds(n), want, "{} with {n}", c.describe());
        }
    }
}
