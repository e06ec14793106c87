//! A custom scheduler plugin written in Rust, registered beside the in-tree plugins, enabled
//! by a KubeSchedulerConfiguration, explained node by node, then used in a simulated run.
//!
//! Run with: `cargo run -p kubesim --example custom_plugin`

use kubesim::api::{Node, Quantity};
use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::parse_str;
use kubesim::scheduler::config::{self, LoadedConfig};
use kubesim::scheduler::explain::{explain, render_table};
use kubesim::scheduler::framework::{
    CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, ScorePlugin, Status, MAX_NODE_SCORE,
};
use kubesim::scheduler::{Registry, Snapshot};
use std::sync::Arc;

/// Keeps pods labelled `tier: critical` off spot nodes (`lifecycle: spot`) and prefers
/// on-demand nodes for every pod.
struct SpotAware {
    /// Score of an on-demand node (from the plugin's args; default 100).
    on_demand_score: i64,
}

impl Plugin for SpotAware {
    fn name(&self) -> &str {
        "SpotAware"
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

fn lifecycle(node: &NodeInfo) -> Option<&str> {
    node.node
        .metadata
        .labels
        .get("lifecycle")
        .map(String::as_str)
}

impl FilterPlugin for SpotAware {
    fn filter(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> Status {
        let critical =
            pod.pod().metadata.labels.get("tier").map(String::as_str) == Some("critical");
        if critical && lifecycle(node) == Some("spot") {
            return Status::unresolvable("node(s) are spot instances");
        }
        Status::success()
    }
}

impl ScorePlugin for SpotAware {
    fn score(&self, _: &CycleState, _: &PodInfo, node: &NodeInfo, _: &Snapshot) -> i64 {
        match lifecycle(node) {
            Some("on-demand") => self.on_demand_score.min(MAX_NODE_SCORE),
            _ => 0,
        }
    }
}

/// The plugin's `pluginConfig` args.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SpotAwareArgs {
    on_demand_score: Option<i64>,
}

const CONFIG: &str = r#"
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    multiPoint:
      enabled:
      - name: SpotAware
        weight: 5
  pluginConfig:
  - name: SpotAware
    args:
      onDemandScore: 80
"#;

fn node(name: &str, lifecycle: &str) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata
        .labels
        .insert("lifecycle".into(), lifecycle.into());
    let a = &mut n.status.allocatable;
    a.insert("cpu".into(), Quantity::parse("4").unwrap());
    a.insert("memory".into(), Quantity::parse("16Gi").unwrap());
    a.insert("pods".into(), Quantity::from_units(110));
    n
}

fn main() {
    let mut registry = Registry::in_tree();
    registry.register("SpotAware", |args| {
        let a: SpotAwareArgs = kubesim::scheduler::registry::parse_args(args)?;
        Ok(Box::new(SpotAware {
            on_demand_score: a.on_demand_score.unwrap_or(100),
        }))
    });
    let cfg = config::parse(CONFIG, "inline.yaml").unwrap_or_else(|e| panic!("{e}"));
    let profiles = cfg
        .build_profiles(&registry)
        .unwrap_or_else(|e| panic!("{e}"));

    // One scheduling cycle, explained.
    let snapshot = Snapshot::from_objects(
        vec![
            node("spot-1", "spot"),
            node("on-demand-1", "on-demand"),
            node("other-1", "reserved"),
        ],
        &[],
    );
    let mut pod = kubesim::api::Pod::default();
    pod.metadata.namespace = "default".into();
    pod.metadata.name = "checkout".into();
    pod.metadata.labels.insert("tier".into(), "critical".into());
    pod.spec.containers.push(kubesim::api::Container {
        name: "c".into(),
        image: "shop/checkout:1".into(),
        ..Default::default()
    });
    let e = explain(&profiles[0], &snapshot, &PodInfo::from_pod(pod));
    print!("{}", render_table(&e));
    assert_eq!(e.selected.as_deref(), Some("on-demand-1"));

    // The same plugin in a simulated cluster.
    let scenario_text = r#"Scenario(
        name: "spot-aware",
        seed: 1,
        run_for: "1m",
        cluster: (node_pools: [
            (name: "spot", count: 2, cpu: "4", memory: "16Gi", labels: {"lifecycle": "spot"}),
            (name: "on-demand", count: 2, cpu: "4", memory: "16Gi", labels: {"lifecycle": "on-demand"}),
        ]),
        actions: [
            (at: "1s", create: Deployment((name: "checkout", replicas: 4, image: "shop/checkout:1",
                cpu: "500m", memory: "256Mi", labels: {"app": "checkout", "tier": "critical"}))),
        ],
        expect: [
            (by: "50s", running: (owner: "Deployment/checkout", on: ["on-demand-1", "on-demand-2"], count: 4)),
        ],
    )"#;
    let mut scenario = parse_str(scenario_text, "spot-aware.ron").unwrap_or_else(|e| panic!("{e}"));
    scenario.cluster.scheduler = Some(LoadedConfig(Arc::new(cfg)));
    let mut cluster = Cluster::new(
        &scenario,
        RunOptions {
            registry: Some(registry),
            ..Default::default()
        },
    );
    let report = cluster.run(None);
    print!("{}", report.summary(None));
    assert!(report.passed());
}
