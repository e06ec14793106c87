//! Expectations: checking pod counts against the store, and describing them.

use super::schema::{ConditionStatus, Expectation, NodeCount, Phase, PodCount, Target};
use crate::api::{Kind, Node, Object, Pod, Store};
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

/// When an `always` expectation is checked: at every instant in `[from, until]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: SimTime,
    /// None: to the end of the run.
    pub until: Option<SimTime>,
}

impl Expectation {
    pub fn when(&self) -> When {
        match (&self.at, &self.by) {
            (Some(t), _) => When::At(SimTime(t.0.as_micros())),
            (None, Some(t)) => When::By(SimTime(t.0.as_micros())),
            (None, None) => When::End,
        }
    }

    /// The window of an `always` expectation.
    pub fn window(&self) -> Option<Window> {
        self.always.as_ref()?;
        Some(Window {
            from: self
                .from
                .as_ref()
                .map_or(SimTime::ZERO, |t| SimTime(t.0.as_micros())),
            until: self.until.as_ref().map(|t| SimTime(t.0.as_micros())),
        })
    }

    /// Evaluates the condition on the store now: (holds, the count observed).
    pub fn evaluate(&self, store: &Store) -> (bool, u32) {
        if let Some(t) = &self.rollout {
            return rollout_status(store, t);
        }
        if let Some(nc) = &self.nodes {
            let n = nc.count(store);
            return (bounds_hold(nc.count, nc.at_least, nc.at_most, n), n);
        }
        let pc = self.pod_count();
        let n = pc.count(store);
        (pc.holds(n), n)
    }

    /// The pod count, with `running` turned into `phase: Running`.
    pub fn pod_count(&self) -> PodCount {
        match (&self.pods, &self.running, &self.always) {
            (Some(p), _, _) => p.clone(),
            (None, Some(r), _) => PodCount {
                phase: Some(Phase::Running),
                ..r.clone()
            },
            (None, None, Some(a)) => a.clone(),
            (None, None, None) => PodCount::default(),
        }
    }

    /// A one-line description, e.g. `by 1m0s: pods{owner=ReplicaSet/web, phase=Running} == 5`.
    pub fn describe(&self) -> String {
        if let Some(w) = self.window() {
            let until = w.until.map_or("end".to_string(), |t| t.to_string());
            return format!(
                "always from {} to {until}: {}",
                w.from,
                self.pod_count().describe()
            );
        }
        let when = match (&self.at, &self.by) {
            (Some(t), _) => format!("at {}", t.value),
            (None, Some(t)) => format!("by {}", t.value),
            (None, None) => "at end".into(),
        };
        match (&self.rollout, &self.nodes) {
            (Some(t), _) => format!("{when}: rollout of {} complete", t.value),
            (None, Some(n)) => format!("{when}: {}", n.describe()),
            (None, None) => format!("{when}: {}", self.pod_count().describe()),
        }
    }
}

fn bounds_hold(count: Option<u32>, at_least: Option<u32>, at_most: Option<u32>, n: u32) -> bool {
    count.is_none_or(|c| n == c)
        && at_least.is_none_or(|c| n >= c)
        && at_most.is_none_or(|c| n <= c)
}

fn bounds_text(count: Option<u32>, at_least: Option<u32>, at_most: Option<u32>) -> String {
    let mut b: Vec<String> = Vec::new();
    if let Some(c) = count {
        b.push(format!("== {c}"));
    }
    if let Some(c) = at_least {
        b.push(format!(">= {c}"));
    }
    if let Some(c) = at_most {
        b.push(format!("<= {c}"));
    }
    b.join(" and ")
}

impl NodeCount {
    /// Nodes in the store that pass every filter.
    pub fn count(&self, store: &Store) -> u32 {
        store
            .list(Kind::Node, None)
            .filter_map(|o| match o.as_ref() {
                Object::Node(n) => Some(n),
                _ => None,
            })
            .filter(|n| self.matches(n))
            .count() as u32
    }

    /// Whether one node passes every filter.
    pub fn matches(&self, n: &Node) -> bool {
        let (key, effect) = match self.taint.as_deref().map(|t| t.split_once(':')) {
            Some(Some((k, e))) => (Some(k), Some(e)),
            Some(None) => (self.taint.as_deref(), None),
            None => (None, None),
        };
        (self.names.is_empty() || self.names.iter().any(|x| x.value == n.metadata.name))
            && self.ready.is_none_or(|r| {
                let want = match r {
                    ConditionStatus::True => "True",
                    ConditionStatus::False => "False",
                    ConditionStatus::Unknown => "Unknown",
                };
                n.condition("Ready").is_some_and(|c| c.status == want)
            })
            && key.is_none_or(|k| {
                n.spec
                    .taints
                    .iter()
                    .any(|t| t.key == k && effect.is_none_or(|e| t.effect == e))
            })
    }

    pub fn describe(&self) -> String {
        let mut f: Vec<String> = Vec::new();
        if !self.names.is_empty() {
            let v: Vec<&str> = self.names.iter().map(|n| n.as_str()).collect();
            f.push(format!("names=[{}]", v.join(",")));
        }
        if let Some(r) = self.ready {
            f.push(format!("ready={r:?}"));
        }
        if let Some(t) = &self.taint {
            f.push(format!("taint={t}"));
        }
        format!(
            "nodes{{{}}} {}",
            f.join(", "),
            bounds_text(self.count, self.at_least, self.at_most)
        )
    }
}

/// The uids of the objects whose pods count as `owner`'s: the owner itself, or for a
/// Deployment the ReplicaSets it controls.
fn owner_uids(store: &Store, owner: &Target) -> Vec<String> {
    let Some(kind) = Kind::parse(&owner.kind) else {
        return Vec::new();
    };
    let Some(o) = store.get(kind, &owner.namespace, &owner.name) else {
        return Vec::new();
    };
    let uid = o.meta().uid.clone();
    if kind != Kind::Deployment {
        return vec![uid];
    }
    store
        .list(Kind::ReplicaSet, Some(&owner.namespace))
        .filter(|rs| rs.meta().controller_ref().is_some_and(|r| r.uid == uid))
        .map(|rs| rs.meta().uid.clone())
        .collect()
}

/// `kubectl rollout status` for a Deployment (kubectl polymorphichelpers/rollout_status.go):
/// complete when observed, every replica updated and available, and no old replica left.
/// Returns (complete, updatedReplicas).
fn rollout_status(store: &Store, t: &Target) -> (bool, u32) {
    let Some(Object::Deployment(d)) = store
        .get(Kind::Deployment, &t.namespace, &t.name)
        .map(|o| o.as_ref())
    else {
        return (false, 0);
    };
    let st = &d.status;
    let timed_out = st
        .conditions
        .iter()
        .any(|c| c.type_ == "Progressing" && c.reason == "ProgressDeadlineExceeded");
    let done = d.metadata.generation <= st.observed_generation
        && !timed_out
        && st.updated_replicas >= d.replicas()
        && st.replicas <= st.updated_replicas
        && st.available_replicas >= st.updated_replicas;
    (done, st.updated_replicas.max(0) as u32)
}

impl PodCount {
    /// Pods in the store that pass every filter.
    pub fn count(&self, store: &Store) -> u32 {
        let owners = self.owner_uids(store);
        store
            .list(Kind::Pod, self.list_namespace())
            .filter(|o| match o.as_ref() {
                Object::Pod(p) => self.matches(p, owners.as_deref()),
                _ => false,
            })
            .count() as u32
    }

    /// The namespace pods are counted in: the owner's, else `namespace` (None: all).
    pub fn list_namespace(&self) -> Option<&str> {
        match &self.owner {
            Some(o) => Some(o.value.namespace.as_str()),
            None => self.namespace.as_deref(),
        }
    }

    /// With an `owner`, the uids of the objects whose pods count (see `owner_uids`).
    pub fn owner_uids(&self, store: &Store) -> Option<Vec<String>> {
        self.owner.as_ref().map(|o| owner_uids(store, &o.value))
    }

    /// Whether one pod passes every filter, `owners` being `owner_uids` of the same store.
    pub fn matches(&self, p: &Pod, owners: Option<&[String]>) -> bool {
        if self
            .list_namespace()
            .is_some_and(|ns| ns != p.metadata.namespace)
        {
            return false;
        }
        if p.metadata.deletion_timestamp.is_some() && !self.terminating {
            return false;
        }
        if let Some(uids) = owners {
            let ok = p
                .metadata
                .controller_ref()
                .is_some_and(|r| uids.contains(&r.uid));
            if !ok {
                return false;
            }
        }
        if let Some(img) = &self.image {
            if !p.spec.containers.iter().any(|c| c.image == *img) {
                return false;
            }
        }
        if !self
            .labels
            .iter()
            .all(|(k, v)| p.metadata.labels.get(k) == Some(v))
        {
            return false;
        }
        if self
            .controlled
            .is_some_and(|c| c != p.metadata.controller_ref().is_some())
        {
            return false;
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
    }

    /// Whether `n` satisfies the bounds.
    pub fn holds(&self, n: u32) -> bool {
        bounds_hold(self.count, self.at_least, self.at_most, n)
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
        if let Some(i) = &self.image {
            f.push(format!("image={i}"));
        }
        for (k, v) in &self.labels {
            f.push(format!("{k}={v}"));
        }
        if let Some(c) = self.controlled {
            f.push(format!("controlled={c}"));
        }
        if self.terminating {
            f.push("terminating".into());
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
    Pass { at: SimTime, observed: u32 },
    /// Did not hold at `at` (for `always`, the first violation).
    Fail { at: SimTime, observed: u32 },
    /// The run stopped before its time (`--until`).
    NotReached,
}

impl Outcome {
    /// The outcome of evaluating `e` on `store` at `at`.
    pub fn of(e: &Expectation, store: &Store, at: SimTime) -> Outcome {
        match e.evaluate(store) {
            (true, observed) => Outcome::Pass { at, observed },
            (false, observed) => Outcome::Fail { at, observed },
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
