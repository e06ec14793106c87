//! Parsed node selectors as the scheduler uses them: terms whose requirements fail to parse
//! never match and report errors. Models
//! k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go (NodeSelector,
//! LazyErrorNodeSelector, PreferredSchedulingTerms, RequiredNodeAffinity), with requirement
//! parsing from k8s.io/apimachinery/pkg/labels/selector.go NewRequirement and the key and value
//! checks of k8s.io/apimachinery/pkg/util/validation (IsQualifiedName, IsValidLabelValue).
//! Errors carry upstream's field paths and messages.

use crate::api::affinity::{NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use crate::api::{Node, Pod};
use std::collections::BTreeMap;

/// `metav1.ObjectNameField`: the only node field a selector can name.
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

const VALID_SELECTOR_OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
const VALID_FIELD_SELECTOR_OPERATORS: &[&str] = &["In", "NotIn"];

const QUALIFIED_NAME_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// `field.Path` child: `a.b` (or `b` at the root).
fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// `validation.RegexError`.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s + &format!("regex used for validation is '{fmt}')")
}

/// `[-A-Za-z0-9_.]*` between two `[A-Za-z0-9]`, or one alphanumeric (the qualified-name and
/// label-value regex without the optional empty case).
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            alnum(f)
                && alnum(l)
                && b.iter()
                    .all(|c| alnum(c) || *c == b'-' || *c == b'_' || *c == b'.')
        }
        _ => false,
    }
}

/// `IsDNS1123Subdomain`: the problems with a name prefix.
fn dns1123_subdomain_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    let label_ok = |p: &str| {
        let b = p.as_bytes();
        let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        matches!((b.first(), b.last()), (Some(f), Some(l)) if ok(f) && ok(l))
            && b.iter().all(|c| ok(c) || *c == b'-')
    };
    if !s.split('.').all(label_ok) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsQualifiedName`: the problems with a label key.
fn qualified_name_errors(value: &str) -> Vec<String> {
    let examples = ["MyName", "my.name", "123-abc"];
    let parts: Vec<&str> = value.split('/').collect();
    let mut errs = Vec::new();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    dns1123_subdomain_errors(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_ERR_MSG, QUALIFIED_NAME_FMT, &examples)
            )]
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if !is_qualified_name_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(QUALIFIED_NAME_ERR_MSG, QUALIFIED_NAME_FMT, &examples)
        ));
    }
    errs
}

/// `IsValidLabelValue`: the problems with a label value.
fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// A `[]string` as `%#v` prints it in a field error.
fn go_string_slice(values: &[String]) -> String {
    if values.is_empty() {
        return "[]string(nil)".to_string();
    }
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// `field.NotSupported` for an operator.
fn not_supported(path: &str, op: &str, valid: &[&str]) -> String {
    let quoted: Vec<String> = valid.iter().map(|v| format!("{v:?}")).collect();
    format!(
        "{path}: Unsupported value: {op:?}: supported values: {}",
        quoted.join(", ")
    )
}

/// `errors.NewAggregate(...).Error()` of flattened errors: duplicates dropped, one message
/// as is, several in brackets.
pub fn aggregate(errs: &[String]) -> String {
    let mut seen: Vec<&String> = Vec::new();
    for e in errs {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    match seen.as_slice() {
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A label requirement that parsed (`labels.Requirement`).
#[derive(Clone, Debug)]
struct LabelRequirement {
    key: String,
    operator: String,
    values: Vec<String>,
}

impl LabelRequirement {
    /// `labels.NewRequirement` with the operator already known to be valid.
    fn parse(r: &NodeSelectorRequirement, path: &str) -> Result<Self, Vec<String>> {
        let mut errs = Vec::new();
        let errs_key = qualified_name_errors(&r.key);
        if !errs_key.is_empty() {
            errs.push(format!(
                "{}: Invalid value: {:?}: {}",
                child(path, "key"),
                r.key,
                errs_key.join("; ")
            ));
        }
        let value_path = child(path, "values");
        let vals = &r.values;
        let invalid = |detail: &str| {
            format!(
                "{value_path}: Invalid value: {}: {detail}",
                go_string_slice(vals)
            )
        };
        match r.operator.as_str() {
            "In" | "NotIn" if vals.is_empty() => errs.push(invalid(
                "for 'in', 'notin' operators, values set can't be empty",
            )),
            "Exists" | "DoesNotExist" if !vals.is_empty() => errs.push(invalid(
                "values set must be empty for exists and does not exist",
            )),
            "Gt" | "Lt" => {
                if vals.len() != 1 {
                    errs.push(invalid(
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in vals.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(format!(
                            "{value_path}[{i}]: Invalid value: {v:?}: for 'Gt', 'Lt' operators, the value must be an integer"
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, v) in vals.iter().enumerate() {
            let e = label_value_errors(v);
            if !e.is_empty() {
                errs.push(format!(
                    "{value_path}[{i}][{}]: Invalid value: {v:?}: {}",
                    r.key,
                    e.join("; ")
                ));
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(LabelRequirement {
            key: r.key.clone(),
            operator: r.operator.clone(),
            values: r.values.clone(),
        })
    }

    /// `Requirement.Matches`.
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let have = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => have.is_some_and(|v| self.values.contains(v)),
            "NotIn" => have.is_none_or(|v| !self.values.contains(v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            "Gt" | "Lt" => {
                let (Some(v), [bound]) = (have, self.values.as_slice()) else {
                    return false;
                };
                match (v.parse::<i64>(), bound.parse::<i64>()) {
                    (Ok(v), Ok(b)) if self.operator == "Gt" => v > b,
                    (Ok(v), Ok(b)) => v < b,
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

/// A field requirement: `key == value` or `key != value` (`fields.OneTermEqualSelector`).
#[derive(Clone, Debug)]
struct FieldRequirement {
    key: String,
    value: String,
    equal: bool,
}

/// `nodeSelectorTerm`: a term's requirements, or why they did not parse.
#[derive(Clone, Debug)]
struct Term {
    /// None without matchExpressions.
    labels: Option<Vec<LabelRequirement>>,
    /// None without matchFields.
    fields: Option<Vec<FieldRequirement>>,
    parse_errs: Vec<String>,
}

impl Term {
    /// `newNodeSelectorTerm`.
    fn parse(term: &NodeSelectorTerm, path: &str) -> Self {
        let mut t = Term {
            labels: None,
            fields: None,
            parse_errs: Vec::new(),
        };
        if !term.match_expressions.is_empty() {
            let p = child(path, "matchExpressions");
            let mut reqs = Vec::new();
            let mut errs = Vec::new();
            for (i, r) in term.match_expressions.iter().enumerate() {
                let rp = format!("{p}[{i}]");
                if !VALID_SELECTOR_OPERATORS.contains(&r.operator.as_str()) {
                    errs.push(not_supported(
                        &child(&rp, "operator"),
                        &r.operator,
                        VALID_SELECTOR_OPERATORS,
                    ));
                    continue;
                }
                match LabelRequirement::parse(r, &rp) {
                    Ok(req) => reqs.push(req),
                    Err(e) => errs.extend(e),
                }
            }
            if errs.is_empty() {
                t.labels = Some(reqs);
            } else {
                t.parse_errs.extend(errs);
            }
        }
        if !term.match_fields.is_empty() {
            let p = child(path, "matchFields");
            let mut reqs = Vec::new();
            let mut errs = Vec::new();
            for (i, r) in term.match_fields.iter().enumerate() {
                let rp = format!("{p}[{i}]");
                match r.operator.as_str() {
                    "In" | "NotIn" if r.values.len() != 1 => errs.push(format!(
                        "{}: Invalid value: {}: must have one element",
                        child(&rp, "values"),
                        go_string_slice(&r.values)
                    )),
                    "In" | "NotIn" => reqs.push(FieldRequirement {
                        key: r.key.clone(),
                        value: r.values[0].clone(),
                        equal: r.operator == "In",
                    }),
                    other => errs.push(not_supported(
                        &child(&rp, "operator"),
                        other,
                        VALID_FIELD_SELECTOR_OPERATORS,
                    )),
                }
            }
            if errs.is_empty() {
                t.fields = Some(reqs);
            } else {
                t.parse_errs.extend(errs);
            }
        }
        t
    }

    /// `nodeSelectorTerm.match`: the node's labels and fields (only `metadata.name`, and none
    /// for a node without a name) meet the requirements.
    fn matches(&self, node: &Node) -> Result<bool, &[String]> {
        if !self.parse_errs.is_empty() {
            return Err(&self.parse_errs);
        }
        if let Some(reqs) = &self.labels {
            if !reqs.iter().all(|r| r.matches(&node.metadata.labels)) {
                return Ok(false);
            }
        }
        let name = &node.metadata.name;
        if let Some(reqs) = &self.fields {
            if !name.is_empty() {
                let field_ok = |r: &FieldRequirement| {
                    let v = if r.key == OBJECT_NAME_FIELD {
                        name.as_str()
                    } else {
                        ""
                    };
                    (v == r.value) == r.equal
                };
                if !reqs.iter().all(field_ok) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

fn is_empty_term(t: &NodeSelectorTerm) -> bool {
    t.match_expressions.is_empty() && t.match_fields.is_empty()
}

/// `LazyErrorNodeSelector`: terms ORed; parse errors count only when no term matches.
#[derive(Clone, Debug)]
pub struct LazyErrorNodeSelector {
    terms: Vec<Term>,
}

impl LazyErrorNodeSelector {
    /// `NewLazyErrorNodeSelector`; empty terms are dropped (they select nothing). `path` is
    /// the field path errors are reported under ("" at the root).
    pub fn new(ns: &NodeSelector, path: &str) -> Self {
        let p = child(path, "nodeSelectorTerms");
        let terms = ns
            .node_selector_terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !is_empty_term(t))
            .map(|(i, t)| Term::parse(t, &format!("{p}[{i}]")))
            .collect();
        LazyErrorNodeSelector { terms }
    }

    /// `Match`: some term matches; otherwise the parse errors of the terms that had any.
    pub fn matches(&self, node: &Node) -> Result<bool, String> {
        let mut errs = Vec::new();
        for t in &self.terms {
            match t.matches(node) {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                Err(e) => errs.extend_from_slice(e),
            }
        }
        if errs.is_empty() {
            Ok(false)
        } else {
            Err(aggregate(&errs))
        }
    }

    fn parse_errors(&self) -> Vec<String> {
        self.terms
            .iter()
            .flat_map(|t| t.parse_errs.iter().cloned())
            .collect()
    }
}

/// `NodeSelector`: a selector whose every term parsed.
#[derive(Clone, Debug)]
pub struct ParsedNodeSelector {
    lazy: LazyErrorNodeSelector,
}

impl ParsedNodeSelector {
    /// `NewNodeSelector`: the aggregated parse errors if any term has some.
    pub fn new(ns: &NodeSelector, path: &str) -> Result<Self, String> {
        let lazy = LazyErrorNodeSelector::new(ns, path);
        let errs = lazy.parse_errors();
        if !errs.is_empty() {
            return Err(aggregate(&errs));
        }
        Ok(ParsedNodeSelector { lazy })
    }

    pub fn matches(&self, node: &Node) -> bool {
        self.lazy.matches(node).unwrap_or(false)
    }
}

/// `PreferredSchedulingTerms`: weighted terms; a node scores the sum of the weights of the
/// terms it matches.
#[derive(Clone, Debug)]
pub struct PreferredSchedulingTerms {
    terms: Vec<(Term, i64)>,
}

impl PreferredSchedulingTerms {
    /// `NewPreferredSchedulingTerms`: terms with weight 0 or an empty preference are
    /// dropped; any parse error fails the whole list.
    pub fn new(
        terms: &[crate::api::affinity::PreferredSchedulingTerm],
        path: &str,
    ) -> Result<Self, String> {
        let mut errs = Vec::new();
        let mut parsed = Vec::new();
        for (i, t) in terms.iter().enumerate() {
            if t.weight == 0 || is_empty_term(&t.preference) {
                continue;
            }
            let term = Term::parse(&t.preference, &format!("{path}[{i}]"));
            if term.parse_errs.is_empty() {
                parsed.push((term, t.weight as i64));
            } else {
                errs.extend(term.parse_errs);
            }
        }
        if !errs.is_empty() {
            return Err(aggregate(&errs));
        }
        Ok(PreferredSchedulingTerms { terms: parsed })
    }

    /// `Score`.
    pub fn score(&self, node: &Node) -> i64 {
        self.terms
            .iter()
            .filter(|(t, _)| t.matches(node) == Ok(true))
            .map(|(_, w)| w)
            .sum()
    }
}

/// `RequiredNodeAffinity`: the pod's `nodeSelector` and required node affinity together.
#[derive(Clone, Debug)]
pub struct RequiredNodeAffinity {
    /// `labels.SelectorFromSet(nodeSelector)`; None when the pod has no nodeSelector.
    label_selector: Option<BTreeMap<String, String>>,
    node_selector: Option<LazyErrorNodeSelector>,
}

impl RequiredNodeAffinity {
    /// `GetRequiredNodeAffinity`.
    pub fn from_pod(pod: &Pod) -> Self {
        let spec = &pod.spec;
        let label_selector = (!spec.node_selector.is_empty()).then(|| spec.node_selector.clone());
        let node_selector = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|na| na.required.as_ref())
            .map(|ns| LazyErrorNodeSelector::new(ns, ""));
        RequiredNodeAffinity {
            label_selector,
            node_selector,
        }
    }

    /// `Match`: the nodeSelector labels are all on the node and a required term matches;
    /// Err carries the parse errors when no term matched.
    pub fn matches(&self, node: &Node) -> Result<bool, String> {
        if let Some(sel) = &self.label_selector {
            let labels = &node.metadata.labels;
            if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                return Ok(false);
            }
        }
        match &self.node_selector {
            Some(ns) => ns.matches(node),
            None => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: &[(&str, &str)]) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        n
    }

    fn selector(json: &str) -> NodeSelector {
        serde_json::from_str(json).unwrap()
    }

    /// Requirements that fail to parse make their term match nothing; the errors read as
    /// upstream's field errors.
    #[test]
    fn parse_errors_fail_the_term() {
        let cases = [
            (
                r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"NotIn","values":["invalid value: ___@#$%^"]}]}]}"#,
                "nodeSelectorTerms[0].matchExpressions[0].values[0][foo]: Invalid value: \"invalid value: ___@#$%^\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
            (
                r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"Exists","values":["bar"]}]}]}"#,
                "nodeSelectorTerms[0].matchExpressions[0].values: Invalid value: []string{\"bar\"}: values set must be empty for exists and does not exist",
            ),
            (
                r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"NotIn"}]}]}"#,
                "nodeSelectorTerms[0].matchExpressions[0].values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
            ),
            (
                r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"Gt","values":["x"]}]}]}"#,
                "nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            (
                r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"Equals","values":["bar"]}]}]}"#,
                "nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: \"Equals\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\"",
            ),
            (
                r#"{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"NotIn","values":["a","b"]}]}]}"#,
                "nodeSelectorTerms[0].matchFields[0].values: Invalid value: []string{\"a\", \"b\"}: must have one element",
            ),
            (
                r#"{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"Exists"}]}]}"#,
                "nodeSelectorTerms[0].matchFields[0].operator: Unsupported value: \"Exists\": supported values: \"In\", \"NotIn\"",
            ),
        ];
        let n = node("n1", &[("foo", "bar")]);
        for (json, want) in cases {
            let lazy = LazyErrorNodeSelector::new(&selector(json), "");
            assert_eq!(lazy.matches(&n), Err(want.to_string()), "{json}");
            assert_eq!(
                ParsedNodeSelector::new(&selector(json), "").unwrap_err(),
                want,
                "{json}"
            );
        }
    }

    /// nodeaffinity_test.go-like: a term that parses still matches when another does not.
    #[test]
    fn a_matching_term_hides_parse_errors() {
        let ns = selector(
            r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"foo","operator":"Bogus"}]},{"matchExpressions":[{"key":"foo","operator":"In","values":["bar"]}]}]}"#,
        );
        let lazy = LazyErrorNodeSelector::new(&ns, "");
        assert_eq!(lazy.matches(&node("n", &[("foo", "bar")])), Ok(true));
        assert!(lazy.matches(&node("n", &[("foo", "baz")])).is_err());
        // An empty term selects nothing and is not an error.
        let empty = selector(r#"{"nodeSelectorTerms":[{}]}"#);
        assert_eq!(
            LazyErrorNodeSelector::new(&empty, "").matches(&node("n", &[])),
            Ok(false)
        );
    }

    #[test]
    fn field_selector_on_the_node_name() {
        let ns = |op: &str| {
            selector(&format!(
                r#"{{"nodeSelectorTerms":[{{"matchFields":[{{"key":"metadata.name","operator":"{op}","values":["n1"]}}]}}]}}"#
            ))
        };
        let sel = ParsedNodeSelector::new(&ns("In"), "").unwrap();
        assert!(sel.matches(&node("n1", &[])));
        assert!(!sel.matches(&node("n2", &[])));
        // A node without a name has no fields: field requirements are not checked.
        assert!(sel.matches(&node("", &[])));
        let not = ParsedNodeSelector::new(&ns("NotIn"), "").unwrap();
        assert!(!not.matches(&node("n1", &[])));
        assert!(not.matches(&node("n2", &[])));
    }

    /// validation.IsQualifiedName messages.
    #[test]
    fn label_key_errors() {
        assert!(qualified_name_errors("example.com/my-key_1.x").is_empty());
        assert!(qualified_name_errors("a").is_empty());
        assert_eq!(
            qualified_name_errors("/a"),
            vec!["prefix part must be non-empty"]
        );
        assert_eq!(
            qualified_name_errors("Example.com/a"),
            vec![format!(
                "prefix part {}",
                regex_error(
                    DNS1123_SUBDOMAIN_ERR_MSG,
                    DNS1123_SUBDOMAIN_FMT,
                    &["example.com"]
                )
            )]
        );
        assert_eq!(qualified_name_errors(&"a".repeat(64)).len(), 1);
        assert_eq!(qualified_name_errors("a/b/c").len(), 1);
        assert_eq!(qualified_name_errors("").len(), 2);
    }
}
