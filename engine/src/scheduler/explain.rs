//! `kubesim explain`: one scheduling cycle for one pod, shown for every node: the filter
//! verdict, and each score plugin's raw, normalized and weighted score. Runs the same
//! framework code as the scheduler (schedule_one.rs), over all nodes (percentageOfNodesToScore
//! does not apply) and scoring even a single feasible node. Ties go to the first best node in
//! node-tree order (the scheduler itself picks among ties with its seeded stream).

use super::framework::{CycleState, NodeInfo, PodInfo, Status};
use super::profile::Profile;
use super::schedule_one::{find_nodes_that_fit, fit_error_message, prioritize};
use super::snapshot::Snapshot;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// One score plugin's result on one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoreCell {
    Scored {
        raw: i64,
        normalized: i64,
        weight: i64,
    },
    /// The plugin returned Skip at PreScore.
    Skipped,
}

impl Serialize for ScoreCell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            ScoreCell::Scored {
                raw,
                normalized,
                weight,
            } => {
                m.serialize_entry("raw", raw)?;
                m.serialize_entry("normalized", normalized)?;
                m.serialize_entry("weight", weight)?;
            }
            ScoreCell::Skipped => m.serialize_entry("skipped", &true)?,
        }
        m.end()
    }
}

/// Score cells in the profile's plugin order, serialized as a JSON object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scores(pub Vec<(String, ScoreCell)>);

impl Serialize for Scores {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A filter verdict as shown: the first plugin that rejected the node (null if none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FilterVerdict {
    pub plugin: Option<String>,
    pub code: String,
    pub reasons: Vec<String>,
}

impl FilterVerdict {
    fn of(st: Option<&Status>) -> Self {
        match st {
            None => FilterVerdict {
                plugin: None,
                code: "Success".into(),
                reasons: vec![],
            },
            Some(st) => FilterVerdict {
                plugin: Some(st.plugin.clone()),
                code: st.code.as_str().into(),
                reasons: st.reasons.clone(),
            },
        }
    }
}

/// One node's line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeExplanation {
    pub name: String,
    pub feasible: bool,
    pub filter: FilterVerdict,
    pub scores: Scores,
    /// Sum of weight x normalized over the plugins that scored (0 when infeasible).
    pub total: i64,
}

/// The whole explanation (the JSON of `kubesim explain --format json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub pod: String,
    pub profile: String,
    pub selected: Option<String>,
    pub nodes: Vec<NodeExplanation>,
    /// The FitError message when no node fits (not part of the JSON form).
    #[serde(skip)]
    pub message: Option<String>,
}

/// Explains scheduling `pod` with `profile` on `snapshot`.
pub fn explain(profile: &Profile, snapshot: &Snapshot, pod: &PodInfo) -> Explanation {
    let mut state = CycleState::default();
    let filtered = find_nodes_that_fit(profile, &mut state, pod, snapshot, 0, None);
    let feasible: Vec<&NodeInfo> = filtered.feasible.iter().map(|&i| snapshot.at(i)).collect();
    let (scores, totals, score_error) = if feasible.is_empty() {
        (vec![], vec![], None)
    } else {
        match prioritize(profile, &mut state, pod, &feasible, snapshot) {
            Ok((s, t)) => (s, t, None),
            Err(st) => (vec![], vec![0; feasible.len()], Some(st)),
        }
    };
    let m = &pod.pod().metadata;
    let mut out = Explanation {
        pod: format!("{}/{}", m.namespace, m.name),
        profile: profile.scheduler_name.clone(),
        selected: None,
        nodes: vec![],
        message: None,
    };
    let mut best: Option<(i64, usize)> = None;
    for (pos, node) in snapshot.list().enumerate() {
        let fi = filtered.feasible.iter().position(|&p| p == pos);
        let mut line = NodeExplanation {
            name: node.name.clone(),
            feasible: fi.is_some(),
            filter: FilterVerdict::of(filtered.statuses.get(&node.name)),
            scores: Scores::default(),
            total: 0,
        };
        if let Some(fi) = fi {
            for ps in &scores {
                let cell = match &ps.scores {
                    Some((raw, norm)) => ScoreCell::Scored {
                        raw: raw[fi],
                        normalized: norm[fi],
                        weight: ps.weight,
                    },
                    None => ScoreCell::Skipped,
                };
                line.scores.0.push((ps.plugin.clone(), cell));
            }
            line.total = totals[fi];
            if best.is_none_or(|(t, _)| totals[fi] > t) {
                best = Some((totals[fi], out.nodes.len()));
            }
        }
        out.nodes.push(line);
    }
    if let Some(st) = score_error {
        out.message = Some(format!("PreScore plugin {}: {}", st.plugin, st.message()));
    } else if let Some((_, i)) = best {
        out.selected = Some(out.nodes[i].name.clone());
    } else {
        out.message = Some(fit_error_message(snapshot.len(), &filtered, None));
    }
    out
}

/// The table form: one row per node, a column per score plugin ("raw/normalized x weight",
/// "skip" when skipped), the total; the selected node marked with `*`.
pub fn render_table(e: &Explanation) -> String {
    let plugins: Vec<&str> = e
        .nodes
        .iter()
        .find(|n| n.feasible)
        .map(|n| n.scores.0.iter().map(|(p, _)| p.as_str()).collect())
        .unwrap_or_default();
    let mut rows: Vec<Vec<String>> = vec![];
    let mut header = vec!["NODE".to_string(), "FILTER".to_string()];
    header.extend(plugins.iter().map(|p| p.to_string()));
    header.push("TOTAL".into());
    rows.push(header);
    for n in &e.nodes {
        let mark = if e.selected.as_deref() == Some(n.name.as_str()) {
            "*"
        } else {
            " "
        };
        let mut row = vec![format!("{mark}{}", n.name)];
        row.push(match &n.filter.plugin {
            None => "Success".into(),
            Some(p) => format!("{}: {} ({})", p, n.filter.code, n.filter.reasons.join(", ")),
        });
        for p in &plugins {
            let cell = n.scores.0.iter().find(|(q, _)| q == p).map(|(_, c)| c);
            row.push(match cell {
                Some(ScoreCell::Scored {
                    raw,
                    normalized,
                    weight,
                }) => format!("{raw}/{normalized}x{weight}"),
                Some(ScoreCell::Skipped) => "skip".into(),
                None => "-".into(),
            });
        }
        row.push(if n.feasible {
            n.total.to_string()
        } else {
            "-".into()
        });
        rows.push(row);
    }
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = format!(
        "pod {} (profile {}): selected {}\n",
        e.pod,
        e.profile,
        e.selected.as_deref().unwrap_or("none")
    );
    if let Some(m) = &e.message {
        s.push_str(m);
        s.push('\n');
    }
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        s.push_str(line.join("  ").trim_end());
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::plugins::testing::{node_info, pod};

    #[test]
    fn json_shape_is_the_documented_one() {
        let nodes = vec![
            node_info("node-a", 4000, 8 << 30, 110).node,
            node_info("node-b", 500, 8 << 30, 110).node,
        ];
        let snapshot = Snapshot::from_objects(nodes, &[]);
        let mut p = pod(1000, 1 << 30);
        p.metadata.name = "web".into();
        let e = explain(
            &Profile::default_profile(),
            &snapshot,
            &PodInfo::from_pod(p),
        );
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["pod"], "default/web");
        assert_eq!(v["profile"], "default-scheduler");
        assert_eq!(v["selected"], "node-a");
        let a = &v["nodes"][0];
        assert_eq!(a["name"], "node-a");
        assert_eq!(a["feasible"], true);
        assert_eq!(
            a["filter"],
            serde_json::json!({"plugin": null, "code": "Success", "reasons": []})
        );
        let fit = &a["scores"]["NodeResourcesFit"];
        assert_eq!(fit["weight"], 1);
        assert!(fit["raw"].is_i64() && fit["normalized"].is_i64());
        let b = &v["nodes"][1];
        assert_eq!(b["feasible"], false);
        assert_eq!(b["filter"]["plugin"], "NodeResourcesFit");
        assert_eq!(b["filter"]["code"], "UnschedulableAndUnresolvable");
        assert_eq!(
            b["filter"]["reasons"],
            serde_json::json!(["Insufficient cpu"])
        );
        // Key order as documented.
        let text = serde_json::to_string(&e).unwrap();
        let order: Vec<usize> = ["\"pod\"", "\"profile\"", "\"selected\"", "\"nodes\""]
            .iter()
            .map(|k| text.find(k).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let table = render_table(&e);
        assert!(table.contains("*node-a"), "{table}");
    }
}
