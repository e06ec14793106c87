//! Kubernetes objects from a cluster dump: `kubectl get ... -o json` output (a `v1 List`, or a
//! single object) or multi-document YAML manifests. Keeps what kubesim models and counts,
//! field by field, what it dropped, so nothing is lost silently.

use super::load::ScenarioError;
use crate::api::{
    DaemonSet, Deployment, Kind, Node, Object, Pod, PriorityClass, ReplicaSet, Service,
};
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
        add_object(&mut out, value, raw.get(), &relative, &plain)?;
    }
    Ok(out)
}

fn parse_yaml(text: &str, file: &str) -> Result<Manifests, ScenarioError> {
    Err(ScenarioError {
        file: file.to_string(),
        line: 1,
        col: 1,
        message: format!(
            "expected JSON (`kubectl get ... -o json`); YAML manifests are not read yet ({} bytes)",
            text.len()
        ),
    })
}

/// serde_json's message without its " at line L column C" suffix.
fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Converts one object; `typed_err` positions a field error, `plain` an error of the object.
fn add_object(
    out: &mut Manifests,
    value: Value,
    source: &str,
    typed_err: &dyn Fn(serde_json::Error) -> ScenarioError,
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
    let typed = typed_err;
    let obj = match kind {
        Kind::Node => Object::Node(serde_json::from_str::<Node>(source).map_err(typed)?),
        Kind::Pod => Object::Pod(serde_json::from_str::<Pod>(source).map_err(typed)?),
        Kind::ReplicaSet => {
            Object::ReplicaSet(serde_json::from_str::<ReplicaSet>(source).map_err(typed)?)
        }
        Kind::Deployment => {
            Object::Deployment(serde_json::from_str::<Deployment>(source).map_err(typed)?)
        }
        Kind::DaemonSet => {
            Object::DaemonSet(serde_json::from_str::<DaemonSet>(source).map_err(typed)?)
        }
        Kind::Service => Object::Service(serde_json::from_str::<Service>(source).map_err(typed)?),
        Kind::PriorityClass => {
            Object::PriorityClass(serde_json::from_str::<PriorityClass>(source).map_err(typed)?)
        }
        _ => unreachable!("IMPORTED_KINDS"),
    };
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
}
