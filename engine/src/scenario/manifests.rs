//! Kubernetes objects from a cluster dump: `kubectl get ... -o json` output (a `v1 List`, or a
//! single object) or multi-document YAML manifests. Keeps what kubesim models and counts,
//! field by field, what it dropped, so nothing is lost silently.

use super::load::ScenarioError;
use crate::api::{Kind, Object};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// Kinds a dump may hold that kubesim models.
pub const IMPORTED_KINDS: [Kind; 7] = [
    Kind::Node,
    Kind::Pod,
    Kind::ReplicaSet,
    Kind::Deployment,
    Kind::DaemonSet,
    Kind::Service,
    Kind::PriorityClass,
];

/// The objects read from a dump, and what was left out.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Object>,
    /// "<Kind> <field path>" (array elements as `[]`) -> how many objects had it.
    pub dropped_fields: BTreeMap<String, usize>,
    /// Kinds kubesim does not model -> how many objects of that kind were skipped.
    pub dropped_kinds: BTreeMap<String, usize>,
}

impl Manifests {
    /// One line per dropped kind and field, sorted, e.g. `Pod spec.containers[].livenessProbe: 12`.
    pub fn dropped_report(&self) -> Vec<String> {
        let kinds = self
            .dropped_kinds
            .iter()
            .map(|(k, n)| format!("{k} (kind not modelled): {n} object(s)"));
        let fields = self.dropped_fields.iter().map(|(f, n)| format!("{f}: {n}"));
        kinds.chain(fields).collect()
    }

    /// One line saying how much was dropped (for commands that read a dump but are not
    /// `kubesim import`, which lists it all); None when nothing was.
    pub fn dropped_summary(&self, file: &str) -> Option<String> {
        if self.dropped_fields.is_empty() && self.dropped_kinds.is_empty() {
            return None;
        }
        let fields: usize = self.dropped_fields.values().sum();
        let kinds: usize = self.dropped_kinds.values().sum();
        Some(format!(
            "{file}: dropped {fields} field value(s) and {kinds} object(s) of kinds kubesim does not model; `kubesim import {file}` lists them"
        ))
    }

    /// Objects of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Object> + '_ {
        self.objects.iter().filter(move |o| o.kind() == kind)
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn error(file: &str, text: &str, offset: usize, message: String) -> ScenarioError {
    let (line, col) = line_col(text, offset);
    ScenarioError {
        file: file.to_string(),
        line,
        col,
        message,
    }
}

/// Parses a dump: JSON when the text starts with `{` or `[`, else YAML documents.
pub fn parse_manifests(text: &str, file: &str) -> Result<Manifests, ScenarioError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_json(text, file)
    } else {
        parse_yaml(text, file)
    }
}

/// Reads a dump file.
pub fn load_manifests(path: &std::path::Path) -> Result<Manifests, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: file.clone(),
        line: 0,
        col: 0,
        message: format!("cannot read: {e}"),
    })?;
    parse_manifests(&text, &file)
}

fn parse_json(text: &str, file: &str) -> Result<Manifests, ScenarioError> {
    let syntax = |e: serde_json::Error| ScenarioError {
        file: file.to_string(),
        line: e.line(),
        col: e.column(),
        message: e.to_string(),
    };
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(syntax)?;
    let mut out = Manifests::default();
    let base = text.as_ptr() as usize;
    let offset_of = |raw: &RawValue| raw.get().as_ptr() as usize - base;
    let is_list = top
        .get("kind")
        .is_some_and(|k| k.get().trim().trim_matches('"').ends_with("List"));
    let items: Vec<&RawValue> = if is_list {
        match top.get("items") {
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|e| error(file, text, offset_of(raw), format!("items: {e}")))?,
            None => vec![],
        }
    } else {
        let whole: &RawValue = serde_json::from_str(text).map_err(syntax)?;
        vec![whole]
    };
    for raw in items {
        let at = offset_of(raw);
        let value: Value = serde_json::from_str(raw.get()).map_err(syntax)?;
        let relative = |e: serde_json::Error| {
            // Positions inside the item, shifted to the file.
            let (l0, c0) = line_col(text, at);
            let (line, col) = if e.line() <= 1 {
                (l0, c0 + e.column().saturating_sub(1))
            } else {
                (l0 + e.line() - 1, e.column())
            };
            ScenarioError {
                file: file.to_string(),
                line,
                col,
                message: serde_message(&e),
            }
        };
        let plain = |m: String| error(file, text, at, m);
        let typed = |k: Kind| json_typed(raw.get(), k, &relative);
        add_object(&mut out, value, &typed, &plain)?;
    }
    Ok(out)
}

/// Documents of a YAML stream: (first line, 1-based; text), split at `---` lines.
fn yaml_documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let (mut start, mut start_line) = (0, 1);
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let l = line.trim_end();
        if l == "---" || l.starts_with("--- ") || l == "..." {
            docs.push((start_line, &text[start..offset]));
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    docs.push((start_line, &text[start..]));
    docs.into_iter()
        .filter(|(_, d)| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

fn parse_yaml(text: &str, file: &str) -> Result<Manifests, ScenarioError> {
    let mut out = Manifests::default();
    for (first_line, doc) in yaml_documents(text) {
        let positioned = |e: serde_yaml_ng::Error| {
            let (line, col) = e
                .location()
                .map_or((first_line, 1), |l| (first_line + l.line() - 1, l.column()));
            let msg = e.to_string();
            let msg = match msg.rfind(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            ScenarioError {
                file: file.to_string(),
                line,
                col,
                message: msg,
            }
        };
        let value: Value = serde_yaml_ng::from_str(doc).map_err(positioned)?;
        let plain = |m: String| ScenarioError {
            file: file.to_string(),
            line: first_line,
            col: 1,
            message: m,
        };
        let is_list = value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"));
        if is_list {
            // Items of a List document: typed from the converted value (field errors name
            // the document).
            let items = value
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for item in items {
                let typed = |k: Kind| {
                    let src = item.to_string();
                    json_typed(&src, k, &|e: serde_json::Error| plain(serde_message(&e)))
                };
                add_object(&mut out, item.clone(), &typed, &plain)?;
            }
        } else {
            let typed = |k: Kind| yaml_typed(doc, k, &positioned);
            add_object(&mut out, value, &typed, &plain)?;
        }
    }
    Ok(out)
}

/// serde_json's message without its " at line L column C" suffix.
fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Parses one object of a known kind from its source text (positioned errors).
type TypedParse<'a> = &'a dyn Fn(Kind) -> Result<Object, ScenarioError>;

/// Typed parsing from JSON text.
fn json_typed(
    source: &str,
    kind: Kind,
    err: &dyn Fn(serde_json::Error) -> ScenarioError,
) -> Result<Object, ScenarioError> {
    Ok(match kind {
        Kind::Node => Object::Node(serde_json::from_str(source).map_err(err)?),
        Kind::Pod => Object::Pod(serde_json::from_str(source).map_err(err)?),
        Kind::ReplicaSet => Object::ReplicaSet(serde_json::from_str(source).map_err(err)?),
        Kind::Deployment => Object::Deployment(serde_json::from_str(source).map_err(err)?),
        Kind::DaemonSet => Object::DaemonSet(serde_json::from_str(source).map_err(err)?),
        Kind::Service => Object::Service(serde_json::from_str(source).map_err(err)?),
        Kind::PriorityClass => Object::PriorityClass(serde_json::from_str(source).map_err(err)?),
        other => unreachable!("{other} is not imported"),
    })
}

/// Typed parsing from one YAML document.
fn yaml_typed(
    source: &str,
    kind: Kind,
    err: &dyn Fn(serde_yaml_ng::Error) -> ScenarioError,
) -> Result<Object, ScenarioError> {
    Ok(match kind {
        Kind::Node => Object::Node(serde_yaml_ng::from_str(source).map_err(err)?),
        Kind::Pod => Object::Pod(serde_yaml_ng::from_str(source).map_err(err)?),
        Kind::ReplicaSet => Object::ReplicaSet(serde_yaml_ng::from_str(source).map_err(err)?),
        Kind::Deployment => Object::Deployment(serde_yaml_ng::from_str(source).map_err(err)?),
        Kind::DaemonSet => Object::DaemonSet(serde_yaml_ng::from_str(source).map_err(err)?),
        Kind::Service => Object::Service(serde_yaml_ng::from_str(source).map_err(err)?),
        Kind::PriorityClass => Object::PriorityClass(serde_yaml_ng::from_str(source).map_err(err)?),
        other => unreachable!("{other} is not imported"),
    })
}

/// Converts one object: `typed` parses it as its kind, `plain` positions an error of the
/// object as a whole.
fn add_object(
    out: &mut Manifests,
    value: Value,
    typed: TypedParse<'_>,
    plain: &dyn Fn(String) -> ScenarioError,
) -> Result<(), ScenarioError> {
    let kind_name = value.get("kind").and_then(Value::as_str).unwrap_or("");
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if kind_name.is_empty() {
        return Err(plain(
            "object without `kind`: expected a Kubernetes object".into(),
        ));
    }
    let Some(kind) = Kind::parse(kind_name).filter(|k| IMPORTED_KINDS.contains(k)) else {
        *out.dropped_kinds.entry(kind_name.to_string()).or_default() += 1;
        return Ok(());
    };
    if api_version != kind.api_version() {
        return Err(plain(format!(
            "{kind_name} with apiVersion {api_version:?}: expected {:?} (a newer or older Kubernetes API than kubesim models)",
            kind.api_version()
        )));
    }
    let obj = typed(kind)?;
    let kept = serde_json::to_value(&obj).expect("objects serialize");
    let kept = match kept {
        // Object serializes as its variant's content.
        Value::Object(mut m) if m.len() == 1 && m.contains_key(kind_name) => {
            m.remove(kind_name).unwrap_or_default()
        }
        v => v,
    };
    let mut dropped = Vec::new();
    diff_fields(&value, &kept, "", &mut dropped);
    dropped.sort();
    dropped.dedup();
    for path in dropped {
        *out.dropped_fields
            .entry(format!("{kind_name} {path}"))
            .or_default() += 1;
    }
    out.objects.push(obj);
    Ok(())
}

/// Paths present in `given` but not in `kept` (array elements as `[]`). Nulls, empty values,
/// false and 0 (the defaults kubesim leaves out) count as absent.
fn diff_fields(given: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (given, kept) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, gv) in g {
                if is_empty(gv) {
                    continue;
                }
                let p = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match k.get(key) {
                    Some(kv) => diff_fields(gv, kv, &p, out),
                    None => out.push(p),
                }
            }
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, gv) in g.iter().enumerate() {
                match k.get(i) {
                    Some(kv) => diff_fields(gv, kv, &format!("{path}[]"), out),
                    None => out.push(format!("{path}[]")),
                }
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Node",
     "metadata": {"name": "n1", "labels": {"topology.kubernetes.io/zone": "a"}, "managedFields": [{"manager": "kubelet"}]},
     "spec": {"podCIDR": "10.0.0.0/24", "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
     "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "p", "namespace": "default"},
     "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx",
       "livenessProbe": {"httpGet": {"path": "/"}},
       "resources": {"requests": {"cpu": "100m"}}}]}}
  ]
}"#;

    #[test]
    fn keeps_modelled_fields_and_counts_the_rest() {
        let m = parse_manifests(DUMP, "dump.json").unwrap();
        assert_eq!(m.objects.len(), 2);
        assert_eq!(m.dropped_kinds.get("ConfigMap"), Some(&1));
        let report = m.dropped_report();
        assert_eq!(
            report,
            [
                "ConfigMap (kind not modelled): 1 object(s)",
                "Node metadata.managedFields: 1",
                "Node spec.podCIDR: 1",
                "Pod spec.containers[].livenessProbe: 1",
            ]
        );
        let Object::Node(n) = &m.objects[0] else {
            panic!()
        };
        assert_eq!(n.spec.taints.len(), 1);
    }

    #[test]
    fn errors_carry_the_position() {
        // A bad quantity inside the second item.
        let bad = DUMP.replace("\"100m\"", "\"lots\"");
        let e = parse_manifests(&bad, "dump.json").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("dump.json", 14), "{e}");
        // A newer API version of a modelled kind.
        let newer = DUMP.replace(
            "\"apiVersion\": \"v1\", \"kind\": \"Pod\"",
            "\"apiVersion\": \"v2\", \"kind\": \"Pod\"",
        );
        let e = parse_manifests(&newer, "dump.json").unwrap_err();
        assert_eq!((e.line, e.col), (10, 5), "{e}");
        assert!(e.message.contains("apiVersion \"v2\""), "{e}");
        // Broken JSON.
        let e = parse_manifests("{\"kind\": ", "x.json").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    const MANIFESTS: &str = "# two documents\napiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  allocatable: {cpu: '2', memory: 4Gi, pods: '110'}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\nspec:\n  schedulerName: default-scheduler\n  containers:\n  - name: c\n    image: nginx\n    resources:\n      requests: {cpu: 100m}\n    terminationMessagePath: /dev/termination-log\n";

    #[test]
    fn yaml_documents_are_read_with_positions() {
        let m = parse_manifests(MANIFESTS, "m.yaml").unwrap();
        assert_eq!(m.objects.len(), 2);
        assert_eq!(
            m.dropped_report(),
            ["Pod spec.containers[].terminationMessagePath: 1"]
        );
        let bad = MANIFESTS.replace("{cpu: 100m}", "{cpu: lots}");
        let e = parse_manifests(&bad, "m.yaml").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("m.yaml", 20), "{e}");
        let newer = MANIFESTS.replace("apiVersion: v1\nkind: Pod", "apiVersion: v2\nkind: Pod");
        let e = parse_manifests(&newer, "m.yaml").unwrap_err();
        assert_eq!(e.line, 9, "{e}");
    }
}
