//! `kubesim import`: the scenario that starts from a cluster dump.

use super::manifests::Manifests;
use crate::api::Kind;
use std::path::{Component, Path, PathBuf};

/// `to` relative to directory `from` (both made absolute); `to` as given if that fails.
pub fn relative_path(from_dir: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to_abs)) = (std::path::absolute(from_dir), std::path::absolute(to)) else {
        return to.to_path_buf();
    };
    fn norm(p: &Path) -> Vec<Component<'_>> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    }
    let (f, t) = (norm(&from), norm(&to_abs));
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// The text of a scenario that starts from `dump` (written at `output`): it runs 10 minutes
/// and expects every imported controller's pods Running (edit to taste).
pub fn scenario_text(dump: &Path, output: &Path, m: &Manifests) -> String {
    let dir = output.parent().unwrap_or_else(|| Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let rel = relative_path(dir, dump);
    let name = output
        .file_stem()
        .map_or("imported".to_string(), |s| s.to_string_lossy().into_owned());
    let count = |k: Kind| m.of_kind(k).count();
    format!(
        "// Written by `kubesim import {}`: {} nodes, {} pods, {} ReplicaSets, {} Deployments, {} DaemonSets.\n\
         // Each Node gets a kubelet that registers it as it was; the other objects are in the\n\
         // store at time zero (bound pods start on their nodes, pending ones are scheduled).\n\
         Scenario(\n    name: {name:?},\n    seed: 1,\n    run_for: \"10m\",\n    cluster: (\n        objects: {:?},\n    ),\n)\n",
        dump.display(),
        count(Kind::Node),
        count(Kind::Pod),
        count(Kind::ReplicaSet),
        count(Kind::Deployment),
        count(Kind::DaemonSet),
        rel.to_string_lossy(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        for (from, to, want) in [
            ("scenarios", "scenarios/clusters/a.json", "clusters/a.json"),
            (
                "out",
                "scenarios/clusters/a.json",
                "../scenarios/clusters/a.json",
            ),
            (".", "a.json", "a.json"),
        ] {
            assert_eq!(
                relative_path(Path::new(from), Path::new(to)),
                PathBuf::from(want),
                "{from} -> {to}"
            );
        }
    }
}
