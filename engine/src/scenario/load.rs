//! Loading a scenario: parse the RON, check it, and report every problem as
//! `file:line:column: message`.

use super::loc::{begin_parse, Loc};
use super::schema::{Create, Scenario};
use crate::api::validation::is_dns1123_subdomain;
use crate::api::Kind;
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
    parse_str(&src, &file)
}

/// Parses and checks scenario text; `file` names it in errors.
pub fn parse_str(src: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
    let scenario = parse_raw(src, None).map_err(|e| ScenarioErrors(vec![spanned(file, &e)]))?;
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

fn push<T>(p: &mut Problems, at: &Loc<T>, msg: String) {
    p.push((at.id, msg));
}

/// Every semantic problem: (the `Loc` id it is about, message).
fn check(s: &Scenario) -> Problems {
    let mut p: Problems = Vec::new();
    let end = s.run_for.0;
    let name_msg = "a lowercase RFC 1123 subdomain (lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character)";

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
                    "expected {name_msg} as node pool name, found {:?}",
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
    for (field, l) in latencies {
        if let Some(l) = l.filter(|l| l.min > l.max) {
            p.push((0, format!("{field}: min {} is above max {}", l.min, l.max)));
        }
    }

    // Actions, in time order (file order for equal times): what exists when.
    let mut order: Vec<usize> = (0..s.actions.len()).collect();
    order.sort_by_key(|&i| (s.actions[i].at.0, i));
    // (kind, namespace, name) -> exists now
    let mut live: BTreeMap<(Kind, String, String), bool> = BTreeMap::new();
    let mut ever: BTreeSet<(String, String, String)> = BTreeSet::new();
    for &i in &order {
        let a = &s.actions[i];
        let n = [a.create.is_some(), a.scale.is_some(), a.delete.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if n != 1 {
            push(
                &mut p,
                &a.at,
                format!(
                "expected exactly one of `create`, `scale` or `delete` in this action, found {n}"
            ),
            );
        }
        if a.at.0 > end {
            push(
                &mut p,
                &a.at,
                format!(
                "action at {} comes after the end of the run (run_for: {}) and would never happen",
                a.at.value, s.run_for
            ),
            );
        }
        if let Some(c) = &a.create {
            let key = (c.kind(), c.namespace().to_string(), c.name().value.clone());
            if !is_dns1123_subdomain(c.name()) {
                push(
                    &mut p,
                    c.name(),
                    format!(
                        "expected {name_msg} as object name, found {:?}",
                        c.name().value
                    ),
                );
            }
            if live.get(&key) == Some(&true) {
                push(
                    &mut p,
                    c.name(),
                    format!(
                        "duplicate name: {} {:?} already exists in namespace {:?} at {}",
                        c.kind(),
                        c.name().value,
                        c.namespace(),
                        a.at.value
                    ),
                );
            }
            live.insert(key, true);
            ever.insert((
                c.kind().to_string(),
                c.namespace().to_string(),
                c.name().value.clone(),
            ));
            let image = match c {
                Create::ReplicaSet(r) => &r.image,
                Create::Pod(pd) => &pd.image,
            };
            if image.is_empty() {
                push(
                    &mut p,
                    c.name(),
                    "expected a container image, found an empty string".into(),
                );
            }
            if let Create::ReplicaSet(r) = c {
                if r.replicas > i32::MAX as u32 {
                    let msg = format!(
                        "replicas: expected at most {}, found {}",
                        i32::MAX,
                        r.replicas
                    );
                    push(&mut p, c.name(), msg);
                }
            }
            if let Create::Pod(pd) = c {
                if let Some(nn) = &pd.node_name {
                    if !nodes.contains(nn.as_str()) {
                        push(
                            &mut p,
                            nn,
                            format!("node_name: no node {:?} in the cluster", nn.value),
                        );
                    }
                }
            }
        }
        if let Some(sc) = a.scale.as_ref().filter(|sc| sc.replicas > i32::MAX as u32) {
            let msg = format!(
                "replicas: expected at most {}, found {}",
                i32::MAX,
                sc.replicas
            );
            push(&mut p, &sc.target, msg);
        }
        let target = a
            .scale
            .as_ref()
            .map(|x| &x.target)
            .or(a.delete.as_ref().map(|x| &x.target));
        if let Some(t) = target {
            match Kind::parse(&t.kind) {
                Some(kind @ (Kind::ReplicaSet | Kind::Pod)) => {
                    if a.scale.is_some() && kind != Kind::ReplicaSet {
                        push(
                            &mut p,
                            t,
                            format!("expected a ReplicaSet to scale, found {}", t.value),
                        );
                    }
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
                _ => push(
                    &mut p,
                    t,
                    format!(
                        "expected kind ReplicaSet or Pod in {:?}, found {:?}",
                        t.value.to_string(),
                        t.kind
                    ),
                ),
            }
        }
    }

    // Expectations.
    for e in &s.expect {
        let when = match (&e.at, &e.by) {
            (Some(a), Some(_)) => {
                push(
                    &mut p,
                    a,
                    "expected at most one of `at` and `by` in an expectation, found both".into(),
                );
                None
            }
            (Some(t), None) | (None, Some(t)) => Some(t),
            (None, None) => None,
        };
        if let Some(t) = when {
            if t.0 > end {
                push(&mut p, t, format!(
                    "expectation at {} comes after the end of the run (run_for: {}) and would never be checked",
                    t.value, s.run_for
                ));
            }
        }
        let counts = [e.pods.as_ref(), e.running.as_ref()];
        let given: Vec<_> = counts.iter().flatten().collect();
        if given.len() != 1 {
            let msg = format!(
                "expected exactly one of `pods` or `running` in an expectation, found {}",
                given.len()
            );
            match when {
                Some(t) => push(&mut p, t, msg),
                None => p.push((0, msg)),
            }
            continue;
        }
        let c = given[0];
        let anchor: Option<u32> = when.map(|t| t.id).or(c.owner.as_ref().map(|o| o.id));
        if e.running.is_some()
            && c.phase
                .is_some_and(|ph| ph != super::schema::Phase::Running)
        {
            let msg = "`running` counts pods in phase Running: use `pods` to count another phase";
            p.push((anchor.unwrap_or(0), msg.into()));
        }
        if let Some(o) = &c.owner {
            if !ever.contains(&(o.kind.clone(), o.namespace.clone(), o.name.clone())) {
                push(
                    &mut p,
                    o,
                    format!("owner {}: no action creates it", o.value),
                );
            }
        }
        for n in c.on.iter().chain(&c.not_on) {
            if !nodes.contains(n.as_str()) {
                push(&mut p, n, format!("no node {:?} in the cluster", n.value));
            }
        }
        let bounds = [
            c.count.is_some(),
            c.at_least.is_some() || c.at_most.is_some(),
        ];
        let msg = match bounds {
            [false, false] => {
                Some("expected `count`, `at_least` or `at_most` in a pod count, found none")
            }
            [true, true] => {
                Some("expected either `count` or `at_least`/`at_most` in a pod count, found both")
            }
            _ => None,
        };
        if let Some(m) = msg {
            p.push((anchor.unwrap_or(0), m.into()));
        }
    }
    if s.run_for.0 == SimDuration::ZERO {
        p.push((0, "run_for: expected a positive duration, found 0s".into()));
    }
    p
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
                "expected exactly one of `create`, `scale` or `delete`",
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
