//! Loading a scenario: parse the RON, check it, and report every problem as
//! `file:line:column: message`.

use super::loc::{begin_parse, Loc};
use super::schema::{Create, Expectation, Phase, PodCount, Scenario, Target};
use super::values::Dur;
use crate::api::validation::is_dns1123_subdomain;
use crate::api::Kind;
use crate::faults::Fault;
use crate::sim::SimDuration;
use ron::extensions::Extensions;
use ron::Options;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based; 0 when the problem has no position (a scenario built in code).
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

/// All problems found, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// Problems reported at most, so a badly broken file does not flood the terminal.
const MAX_ERRORS: usize = 20;

fn options() -> Options {
    Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

fn parse_raw(src: &str, fail: Option<(u32, String)>) -> Result<Scenario, ron::error::SpannedError> {
    begin_parse(fail);
    let r = options().from_str::<Scenario>(src);
    begin_parse(None);
    r
}

fn spanned(file: &str, e: &ron::error::SpannedError) -> ScenarioError {
    let message = match &e.code {
        ron::Error::IntegerOutOfBounds => {
            "expected a non-negative whole number in range here (integer out of bounds)".into()
        }
        code => code.to_string(),
    };
    ScenarioError {
        file: file.into(),
        line: e.span.start.line,
        col: e.span.start.col,
        message,
    }
}

/// Reads and checks a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| {
        ScenarioErrors(vec![ScenarioError {
            file: file.clone(),
            line: 0,
            col: 0,
            message: format!("cannot read the file: {e}"),
        }])
    })?;
    parse_in(&src, &file, path.parent().unwrap_or_else(|| Path::new(".")))
}

/// An error positioned at the value with `Loc` id `id` (found by parsing `src` again).
fn error_at(src: &str, file: &str, id: u32, message: String) -> ScenarioError {
    match parse_raw(src, Some((id, message.clone()))) {
        Err(e) => spanned(file, &e),
        Ok(_) => ScenarioError {
            file: file.to_string(),
            line: 1,
            col: 1,
            message,
        },
    }
}

/// Loads and checks a KubeSchedulerConfiguration (its profiles must build with the in-tree
/// plugins).
pub fn load_scheduler_config(
    path: &Path,
) -> Result<crate::scheduler::config::LoadedConfig, ScenarioErrors> {
    let as_error = |e: crate::scheduler::config::ConfigError| {
        ScenarioErrors(vec![ScenarioError {
            file: e.file,
            line: e.line,
            col: e.column,
            message: e.message,
        }])
    };
    let cfg = crate::scheduler::config::load(path).map_err(as_error)?;
    cfg.build_profiles(&crate::scheduler::Registry::in_tree())
        .map_err(as_error)?;
    Ok(crate::scheduler::config::LoadedConfig(std::sync::Arc::new(
        cfg,
    )))
}

/// Reads `cluster.objects` (relative to `dir`) into `cluster.imported`.
fn load_objects(
    scenario: &mut Scenario,
    src: &str,
    file: &str,
    dir: &Path,
) -> Result<(), ScenarioErrors> {
    let Some(rel) = scenario.cluster.objects.clone() else {
        return Ok(());
    };
    let dump = dir.join(&rel.value);
    let at = |message: String| error_at(src, file, rel.id, message);
    if !dump.is_file() {
        return Err(ScenarioErrors(vec![at(format!(
            "objects: {} is not a file: expected a cluster dump (kubectl JSON or YAML manifests) relative to the scenario",
            dump.display()
        ))]));
    }
    let m = super::manifests::load_manifests(&dump).map_err(|e| ScenarioErrors(vec![e]))?;
    if let Some(line) = m.dropped_summary(&dump.display().to_string()) {
        eprintln!("{line}");
    }
    let pools: BTreeSet<String> = scenario
        .cluster
        .node_pools
        .iter()
        .flat_map(|p| p.node_names())
        .collect();
    if let Some(clash) = m
        .of_kind(Kind::Node)
        .find(|n| pools.contains(&n.meta().name))
    {
        return Err(ScenarioErrors(vec![at(format!(
            "node {:?} of {} is also a node pool's node: expected distinct node names",
            clash.meta().name,
            dump.display()
        ))]));
    }
    scenario.cluster.imported = m.objects;
    Ok(())
}

/// Parses and checks scenario text; `file` names it in errors, and the files it names
/// (`cluster.objects`, `cluster.scheduler_config`) are read relative to `file`'s directory.
pub fn parse_str(src: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
    let dir = Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    parse_in(src, file, dir)
}

/// Parses and checks scenario text whose relative paths start at `dir`.
fn parse_in(src: &str, file: &str, dir: &Path) -> Result<Scenario, ScenarioErrors> {
    let mut scenario = parse_raw(src, None).map_err(|e| ScenarioErrors(vec![spanned(file, &e)]))?;
    load_objects(&mut scenario, src, file, dir)?;
    if let Some(rel) = scenario.cluster.scheduler_config.clone() {
        let path = dir.join(&rel.value);
        if !path.is_file() {
            let message = format!(
                "scheduler_config: {} is not a file: expected a KubeSchedulerConfiguration (YAML or JSON) relative to the scenario",
                path.display()
            );
            return Err(ScenarioErrors(vec![error_at(src, file, rel.id, message)]));
        }
        scenario.cluster.scheduler = Some(load_scheduler_config(&path)?);
    }
    let problems = check(&scenario);
    if problems.is_empty() {
        return Ok(scenario);
    }
    let more = problems.len().saturating_sub(MAX_ERRORS);
    let errors = problems
        .into_iter()
        .take(MAX_ERRORS)
        .map(|(id, message)| {
            if id == 0 {
                return ScenarioError {
                    file: file.into(),
                    line: 1,
                    col: 1,
                    message,
                };
            }
            match parse_raw(src, Some((id, message.clone()))) {
                Err(e) => spanned(file, &e),
                Ok(_) => ScenarioError {
                    file: file.into(),
                    line: 1,
                    col: 1,
                    message,
                },
            }
        })
        .collect::<Vec<_>>();
    let mut errors = errors;
    errors.sort_by_key(|e| (e.line, e.col));
    if more > 0 {
        errors.push(ScenarioError {
            file: file.into(),
            line: 0,
            col: 0,
            message: format!("... and {more} more problems"),
        });
    }
    Err(ScenarioErrors(errors))
}

/// Checks a scenario built in code; errors carry no positions.
pub fn validate(s: &Scenario) -> Result<(), ScenarioErrors> {
    let problems = check(s);
    if problems.is_empty() {
        return Ok(());
    }
    Err(ScenarioErrors(
        problems
            .into_iter()
            .map(|(_, message)| ScenarioError {
                file: format!("scenario {:?}", s.name),
                line: 0,
                col: 0,
                message,
            })
            .collect(),
    ))
}

type Problems = Vec<(u32, String)>;

const NAME_MSG: &str = "a lowercase RFC 1123 subdomain (lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character)";

fn push<T>(p: &mut Problems, at: &Loc<T>, msg: String) {
    p.push((at.id, msg));
}

/// Every semantic problem: (the `Loc` id it is about, message).
fn check(s: &Scenario) -> Problems {
    let mut p: Problems = Vec::new();
    let end = s.run_for.0;

    // Nodes.
    let mut nodes: BTreeSet<String> = BTreeSet::new();
    let mut pools: BTreeSet<&str> = BTreeSet::new();
    for pool in &s.cluster.node_pools {
        if !pools.insert(pool.name.as_str()) {
            push(
                &mut p,
                &pool.name,
                format!("duplicate node pool name {:?}", pool.name.value),
            );
        }
        if !is_dns1123_subdomain(&pool.name) {
            push(
                &mut p,
                &pool.name,
                format!(
                    "expected {NAME_MSG} as node pool name, found {:?}",
                    pool.name.value
                ),
            );
        }
        for n in pool.node_names() {
            if !nodes.insert(n.clone()) {
                push(
                    &mut p,
                    &pool.name,
                    format!("node name {n:?} is made by two node pools"),
                );
            }
        }
    }
    // Imported objects exist from the start.
    let mut imported_objects: BTreeSet<(String, String, String)> = BTreeSet::new();
    for o in &s.cluster.imported {
        let m = o.meta();
        if o.kind() == Kind::Node {
            nodes.insert(m.name.clone());
        } else {
            imported_objects.insert((o.kind().to_string(), m.namespace.clone(), m.name.clone()));
        }
    }
    let mut latencies = vec![("cluster.api_latency", s.cluster.api_latency.as_ref())];
    if let Some(r) = &s.cluster.runtime {
        latencies.extend([
            ("cluster.runtime.sandbox", r.sandbox.as_ref()),
            ("cluster.runtime.image_pull", r.image_pull.as_ref()),
            ("cluster.runtime.create", r.create.as_ref()),
            ("cluster.runtime.start", r.start.as_ref()),
            ("cluster.runtime.stop", r.stop.as_ref()),
        ]);
    }
    if let Some(a) = &s.cluster.apiserver {
        latencies.push(("cluster.apiserver.write_latency", a.write_latency.as_ref()));
        if a.compaction_interval
            .is_some_and(|d| d.0 == SimDuration::ZERO)
        {
            p.push((
                0,
                "cluster.apiserver.compaction_interval: expected a positive duration, found 0s"
                    .into(),
            ));
        }
    }
    if let Some(r) = &s.cluster.runtime {
        let bandwidth = r.pull_bandwidth.is_some_and(|b| !b.0.is_zero());
        if !r.image_sizes.is_empty() && !bandwidth {
            p.push((
                0,
                "cluster.runtime.image_sizes: expected a positive `pull_bandwidth` to download them at"
                    .into(),
            ));
        }
    }
    if let Some(c) = &s.cluster.controller_manager {
        if c.node_monitor_period
            .is_some_and(|d| d.0 == SimDuration::ZERO)
        {
            p.push((0, "cluster.controller_manager.node_monitor_period: expected a positive duration, found 0s".into()));
        }
    }
    for (field, l) in latencies {
        if let Some(l) = l.filter(|l| l.min > l.max) {
            p.push((0, format!("{field}: min {} is above max {}", l.min, l.max)));
        }
    }

    let zones: BTreeSet<String> = s
        .cluster
        .node_pools
        .iter()
        .map(|p| p.zone.clone().unwrap_or_default())
        .collect();

    // Actions, in time order (file order for equal times): what exists when.
    let mut order: Vec<usize> = (0..s.actions.len()).collect();
    order.sort_by_key(|&i| (s.actions[i].at.0, i));
    // (kind, namespace, name) -> exists now
    let mut live: BTreeMap<(Kind, String, String), bool> = BTreeMap::new();
    let mut ever: BTreeSet<(String, String, String)> = imported_objects;
    for &i in &order {
        let a = &s.actions[i];
        let n = a.alternatives();
        if n != 1 {
            let msg = format!("expected exactly one of `create`, `update`, `scale`, `delete`, `pause`, `resume` or `fault` in this action, found {n}");
            push(&mut p, &a.at, msg);
        }
        if a.at.0 > end {
            let msg = format!(
                "action at {} comes after the end of the run (run_for: {}) and would never happen",
                a.at.value, s.run_for
            );
            push(&mut p, &a.at, msg);
        }
        if let Some(c) = &a.create {
            check_create(c, &a.at, &nodes, &mut live, &mut ever, &mut p);
        }
        if let Some(sc) = a.scale.as_ref().filter(|sc| sc.replicas > i32::MAX as u32) {
            let msg = format!(
                "replicas: expected at most {}, found {}",
                i32::MAX,
                sc.replicas
            );
            push(&mut p, &sc.target, msg);
        }
        let target: Option<(&Loc<Target>, &[Kind], &str)> = if let Some(x) = &a.scale {
            Some((&x.target, &[Kind::ReplicaSet, Kind::Deployment], "scale"))
        } else if let Some(x) = &a.update {
            Some((
                &x.target,
                &[Kind::ReplicaSet, Kind::Deployment, Kind::DaemonSet],
                "update",
            ))
        } else if let Some(x) = &a.delete {
            Some((
                &x.target,
                &[
                    Kind::ReplicaSet,
                    Kind::Deployment,
                    Kind::DaemonSet,
                    Kind::Pod,
                ],
                "delete",
            ))
        } else if let Some(t) = &a.pause {
            Some((t, &[Kind::Deployment], "pause"))
        } else {
            a.resume
                .as_ref()
                .map(|t| (t, &[Kind::Deployment][..], "resume"))
        };
        if let Some((t, kinds, verb)) = target {
            match Kind::parse(&t.kind).filter(|k| kinds.contains(k)) {
                Some(kind) => {
                    let key = (kind, t.namespace.clone(), t.name.clone());
                    if live.get(&key) != Some(&true) {
                        push(&mut p, t, format!(
                            "{} does not exist at {}: no earlier action creates it (or it was deleted)",
                            t.value, a.at.value
                        ));
                    }
                    if a.delete.is_some() {
                        live.insert(key, false);
                    }
                }
                None => {
                    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                    push(
                        &mut p,
                        t,
                        format!(
                            "expected {} to {verb}, found {:?}",
                            names.join(" or "),
                            t.value.to_string()
                        ),
                    );
                }
            }
        }
        if let Some(f) = &a.fault {
            for msg in fault_problems(f, &nodes, &zones) {
                push(&mut p, &a.at, msg);
            }
        }
        if let Some(u) = &a.update {
            if u.image.is_none() && u.cpu.is_none() && u.memory.is_none() {
                let msg = "expected at least one of `image`, `cpu` or `memory` to change".into();
                push(&mut p, &u.target, msg);
            }
        }
    }

    // Expectations.
    for e in &s.expect {
        check_expectation(e, s, end, &nodes, &ever, &mut p);
    }
    if s.run_for.0 == SimDuration::ZERO {
        p.push((0, "run_for: expected a positive duration, found 0s".into()));
    }
    p
}

/// What is wrong with a fault: nodes and zones it names must exist.
fn fault_problems(f: &Fault, nodes: &BTreeSet<String>, zones: &BTreeSet<String>) -> Vec<String> {
    let named: Vec<&String> = match f {
        Fault::StopKubelet { node }
        | Fault::StartKubelet { node }
        | Fault::LoseNode { node }
        | Fault::DeleteNode { node } => vec![node],
        Fault::CrashContainer { node, .. } => vec![node],
        Fault::FailImagePull { node, .. } => vec![node],
        Fault::Partition { nodes, .. } | Fault::LinkLatency { nodes, .. } => nodes.iter().collect(),
        _ => vec![],
    };
    let mut out: Vec<String> = named
        .into_iter()
        .filter(|n| !nodes.contains(*n))
        .map(|n| format!("fault {}: no node {n:?} in the cluster", f.type_name()))
        .collect();
    if let Fault::ZoneOutage { zone, .. } = f {
        if !zones.contains(zone) {
            out.push(format!("fault ZoneOutage: no node pool in zone {zone:?}"));
        }
    }
    if let Fault::StoreLatency { latency, .. } | Fault::LinkLatency { latency, .. } = f {
        if latency.min > latency.max {
            out.push(format!(
                "fault {}: latency min {} is above max {}",
                f.type_name(),
                latency.min,
                latency.max
            ));
        }
    }
    let duration = match f {
        Fault::Partition { duration, .. }
        | Fault::ZoneOutage { duration, .. }
        | Fault::LinkLatency { duration, .. }
        | Fault::ApiServerDown { duration }
        | Fault::StoreLatency { duration, .. }
        | Fault::FailImagePull { duration, .. } => Some(*duration),
        _ => None,
    };
    if duration.is_some_and(|d| d == crate::sim::SimDuration::ZERO) {
        out.push(format!(
            "fault {}: expected a positive duration, found 0s",
            f.type_name()
        ));
    }
    if let Fault::Partition { nodes: ns, .. } = f {
        if ns.is_empty() {
            out.push("fault Partition: expected at least one node".into());
        }
    }
    out
}

/// Checks one `create`: name, duplicates, image, replicas, node.
fn check_create(
    c: &Create,
    at: &Loc<Dur>,
    nodes: &BTreeSet<String>,
    live: &mut BTreeMap<(Kind, String, String), bool>,
    ever: &mut BTreeSet<(String, String, String)>,
    p: &mut Problems,
) {
    let key = (c.kind(), c.namespace().to_string(), c.name().value.clone());
    if !is_dns1123_subdomain(c.name()) {
        let msg = format!(
            "expected {NAME_MSG} as object name, found {:?}",
            c.name().value
        );
        push(p, c.name(), msg);
    }
    if live.get(&key) == Some(&true) {
        let msg = format!(
            "duplicate name: {} {:?} already exists in namespace {:?} at {}",
            c.kind(),
            c.name().value,
            c.namespace(),
            at.value
        );
        push(p, c.name(), msg);
    }
    live.insert(key, true);
    ever.insert((
        c.kind().to_string(),
        c.namespace().to_string(),
        c.name().value.clone(),
    ));
    if c.image().is_some_and(|i| i.is_empty()) {
        push(
            p,
            c.name(),
            "expected a container image, found an empty string".into(),
        );
    }
    let replicas = match c {
        Create::ReplicaSet(r) => Some(r.replicas),
        Create::Deployment(d) => Some(d.replicas),
        _ => None,
    };
    if let Some(r) = replicas.filter(|r| *r > i32::MAX as u32) {
        push(
            p,
            c.name(),
            format!("replicas: expected at most {}, found {r}", i32::MAX),
        );
    }
    if let Create::Pod(pd) = c {
        if let Some(nn) = pd
            .node_name
            .as_ref()
            .filter(|nn| !nodes.contains(nn.as_str()))
        {
            push(
                p,
                nn,
                format!("node_name: no node {:?} in the cluster", nn.value),
            );
        }
    }
}

/// Checks one expectation: its timing, what it counts, and that what it names exists.
fn check_expectation(
    e: &Expectation,
    s: &Scenario,
    end: SimDuration,
    nodes: &BTreeSet<String>,
    ever: &BTreeSet<(String, String, String)>,
    p: &mut Problems,
) {
    let times = [&e.at, &e.by, &e.from, &e.until];
    for t in times.into_iter().flatten() {
        if t.0 > end {
            push(p, t, format!(
                "expectation at {} comes after the end of the run (run_for: {}) and would never be checked",
                t.value, s.run_for
            ));
        }
    }
    let anchor = times.into_iter().flatten().map(|t| t.id).next();
    let what = [
        e.pods.is_some(),
        e.running.is_some(),
        e.always.is_some(),
        e.rollout.is_some(),
        e.nodes.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let at_or_by = e.at.is_some() as usize + e.by.is_some() as usize;
    let window = e.from.is_some() || e.until.is_some();
    let mut msgs: Vec<String> = Vec::new();
    if what != 1 {
        msgs.push(format!("expected exactly one of `pods`, `running`, `always`, `rollout` or `nodes` in an expectation, found {what}"));
    }
    if at_or_by > 1 {
        msgs.push("expected at most one of `at` and `by` in an expectation, found both".into());
    }
    if e.always.is_some() && at_or_by > 0 {
        msgs.push("an `always` expectation takes `from` and `until`, not `at` or `by`".into());
    }
    if window && e.always.is_none() {
        msgs.push("`from` and `until` go with `always`".into());
    }
    if let (Some(f), Some(u)) = (&e.from, &e.until) {
        if f.0 > u.0 {
            msgs.push(format!("`from` {} is after `until` {}", f.value, u.value));
        }
    }
    if let Some(t) = &e.rollout {
        if t.kind != "Deployment"
            || !ever.contains(&(t.kind.clone(), t.namespace.clone(), t.name.clone()))
        {
            push(
                p,
                t,
                format!(
                    "rollout: expected a Deployment that an action creates, found {}",
                    t.value
                ),
            );
        }
    }
    if let Some(nc) = &e.nodes {
        for n in &nc.names {
            if !nodes.contains(n.as_str()) {
                push(p, n, format!("no node {:?} in the cluster", n.value));
            }
        }
        match [
            nc.count.is_some(),
            nc.at_least.is_some() || nc.at_most.is_some(),
        ] {
            [false, false] => msgs.push(
                "expected `count`, `at_least` or `at_most` in a node count, found none".into(),
            ),
            [true, true] => msgs.push(
                "expected either `count` or `at_least`/`at_most` in a node count, found both"
                    .into(),
            ),
            _ => {}
        }
    }
    let count = e.pods.as_ref().or(e.running.as_ref()).or(e.always.as_ref());
    if let Some(c) = count {
        check_pod_count(c, e.running.is_some(), nodes, ever, anchor, &mut msgs, p);
    }
    let anchor = anchor
        .or(count.and_then(|c| c.owner.as_ref().map(|o| o.id)))
        .unwrap_or(0);
    p.extend(msgs.into_iter().map(|m| (anchor, m)));
}

fn check_pod_count(
    c: &PodCount,
    running: bool,
    nodes: &BTreeSet<String>,
    ever: &BTreeSet<(String, String, String)>,
    _anchor: Option<u32>,
    msgs: &mut Vec<String>,
    p: &mut Problems,
) {
    if let Some(o) = &c.owner {
        if !ever.contains(&(o.kind.clone(), o.namespace.clone(), o.name.clone())) {
            push(p, o, format!("owner {}: no action creates it", o.value));
        }
    }
    for n in c.on.iter().chain(&c.not_on) {
        if !nodes.contains(n.as_str()) {
            push(p, n, format!("no node {:?} in the cluster", n.value));
        }
    }
    match [
        c.count.is_some(),
        c.at_least.is_some() || c.at_most.is_some(),
    ] {
        [false, false] => {
            msgs.push("expected `count`, `at_least` or `at_most` in a pod count, found none".into())
        }
        [true, true] => msgs.push(
            "expected either `count` or `at_least`/`at_most` in a pod count, found both".into(),
        ),
        _ => {}
    }
    if running && c.phase.is_some_and(|ph| ph != Phase::Running) {
        msgs.push(
            "`running` counts pods in phase Running: use `pods` to count another phase".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"Scenario(
    name: "t",
    run_for: "2m",
    cluster: (
        node_pools: [
            (name: "worker", count: 2, cpu: "4", memory: "16Gi"),
        ],
    ),
    actions: [
        (at: "1s", create: ReplicaSet((name: "web", replicas: 2, image: "nginx"))),
    ],
    expect: [
        (by: "1m", running: (owner: "ReplicaSet/web", count: 2)),
    ],
)"#;

    const CREATE: &str =
        r#"        (at: "1s", create: ReplicaSet((name: "web", replicas: 2, image: "nginx"))),"#;

    fn edit(from: &str, to: &str) -> String {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    }

    fn add_action(line: &str) -> String {
        edit(CREATE, &format!("{CREATE}\n{line}"))
    }

    #[test]
    fn base_scenario_loads() {
        let s = parse_str(BASE, "t.ron").unwrap();
        assert_eq!(s.cluster.node_pools[0].pods, 110, "maxPods default");
        assert_eq!(s.seed, 0);
    }

    /// Each malformed scenario's first error is at this line and column and contains this text.
    #[test]
    fn errors_name_line_column_and_what_was_expected() {
        let cases: Vec<(&str, String, (usize, usize), &str)> = vec![
            (
                "unknown field",
                edit("count: 2, cpu", "count: 2, colour: \"red\", cpu"),
                (6, 40),
                "Unexpected field named `colour` in `NodePool`",
            ),
            (
                "bad quantity",
                edit("cpu: \"4\"", "cpu: \"4x\""),
                (6, 46),
                "expected a quantity such as \"500m\"",
            ),
            (
                "negative quantity",
                edit("\"16Gi\"", "\"-1Gi\""),
                (6, 59),
                "expected a non-negative quantity, found negative quantity \"-1Gi\"",
            ),
            (
                "bad duration",
                edit("\"2m\"", "\"2 minutes\""),
                (3, 15),
                "expected a duration",
            ),
            (
                "negative replicas",
                edit("replicas: 2", "replicas: -2"),
                (10, 64),
                "expected a non-negative whole number",
            ),
            (
                "syntax",
                edit("name: \"t\",", "name: \"t\""),
                (3, 5),
                "Expected comma",
            ),
            (
                "duplicate name",
                add_action(
                    r#"        (at: "2s", create: ReplicaSet((name: "web", replicas: 1, image: "nginx"))),"#,
                ),
                (11, 47),
                "duplicate name: ReplicaSet \"web\" already exists",
            ),
            (
                "scale of a missing object",
                add_action(
                    r#"        (at: "3s", scale: (target: "ReplicaSet/wbe", replicas: 5)),"#,
                ),
                (11, 37),
                "ReplicaSet/wbe does not exist at 3s",
            ),
            (
                "scale before create",
                add_action(
                    r#"        (at: "0s", scale: (target: "ReplicaSet/web", replicas: 5)),"#,
                ),
                (11, 37),
                "ReplicaSet/web does not exist at 0s",
            ),
            (
                "action after the end",
                add_action(r#"        (at: "3m", delete: (target: "ReplicaSet/web")),"#),
                (11, 15),
                "comes after the end of the run",
            ),
            (
                "two things in one action",
                add_action(
                    r#"        (at: "3s", scale: (target: "ReplicaSet/web", replicas: 5), delete: (target: "ReplicaSet/web")),"#,
                ),
                (11, 15),
                "expected exactly one of `create`, `update`, `scale`, `delete`, `pause`, `resume` or `fault`",
            ),
            (
                "bad target",
                add_action(r#"        (at: "3s", delete: (target: "web")),"#),
                (11, 38),
                "expected an object reference",
            ),
            (
                "unknown owner",
                edit("owner: \"ReplicaSet/web\"", "owner: \"ReplicaSet/db\""),
                (13, 38),
                "owner ReplicaSet/db: no action creates it",
            ),
            (
                "unknown node",
                edit("count: 2)", "count: 2, not_on: [\"worker-9\"])"),
                (13, 75),
                "no node \"worker-9\" in the cluster",
            ),
            (
                "no bound",
                edit(", count: 2))", "))"),
                (13, 15),
                "expected `count`, `at_least` or `at_most`",
            ),
            (
                "bad object name",
                edit("name: \"web\"", "name: \"Web_1\""),
                (10, 47),
                "lowercase RFC 1123",
            ),
            (
                "expectation after the end",
                edit("(by: \"1m\"", "(by: \"5m\""),
                (13, 15),
                "would never be checked",
            ),
        ];
        let mut wrong = Vec::new();
        for (name, src, (line, col), text) in cases {
            let errs = parse_str(&src, "t.ron").expect_err(name).0;
            let e = &errs[0];
            if (e.line, e.col) != (line, col) || !e.message.contains(text) {
                wrong.push(format!("{name}: want {line}:{col} {text:?}, got {e}"));
            }
            assert!(e
                .to_string()
                .starts_with(&format!("t.ron:{}:{}: ", e.line, e.col)));
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn every_problem_is_reported() {
        let src = edit(
            "cpu: \"4\", memory: \"16Gi\"",
            "cpu: \"4\", memory: \"16Gi\"",
        );
        let src = src.replace("owner: \"ReplicaSet/web\"", "owner: \"ReplicaSet/x\"");
        let src = src.replace("(at: \"1s\"", "(at: \"9m\"");
        let errs = parse_str(&src, "t.ron").unwrap_err().0;
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].line < errs[1].line, "in file order");
    }

    #[test]
    fn scenarios_built_in_code_are_checked_too() {
        let mut s = parse_str(BASE, "t.ron").unwrap();
        s.expect[0].running.as_mut().unwrap().count = None;
        let e = validate(&s).unwrap_err();
        assert!(e.to_string().contains("expected `count`"), "{e}");
    }
}
