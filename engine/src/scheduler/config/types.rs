//! The `kubescheduler.config.k8s.io/v1` wire types, field for field as
//! staging/src/k8s.io/kube-scheduler/config/v1/types.go (with the inlined
//! k8s.io/component-base/config/v1alpha1 LeaderElectionConfiguration,
//! ClientConnectionConfiguration and DebuggingConfiguration). Every struct denies unknown
//! fields, as the scheduler's strict decoding does. Optional Go pointers are `Option`s; a
//! YAML `null` reads as unset.

use serde::Deserialize;

/// Only `apiVersion` and `kind`, read leniently before the strict decode.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeMeta {
    pub api_version: Option<String>,
    pub kind: Option<String>,
}

/// `KubeSchedulerConfiguration`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeSchedulerConfiguration {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub parallelism: Option<i32>,
    pub leader_election: Option<LeaderElectionConfiguration>,
    pub client_connection: Option<ClientConnectionConfiguration>,
    pub enable_profiling: Option<bool>,
    pub enable_contention_profiling: Option<bool>,
    pub percentage_of_nodes_to_score: Option<i32>,
    pub pod_initial_backoff_seconds: Option<i64>,
    pub pod_max_backoff_seconds: Option<i64>,
    pub profiles: Option<Vec<KubeSchedulerProfile>>,
    /// Any value: kubesim rejects extenders before looking inside.
    pub extenders: Option<Vec<serde_json::Value>>,
    pub delay_cache_until_active: Option<bool>,
}

/// component-base `LeaderElectionConfiguration` (durations as Go duration strings).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LeaderElectionConfiguration {
    pub leader_elect: Option<bool>,
    pub lease_duration: Option<String>,
    pub renew_deadline: Option<String>,
    pub retry_period: Option<String>,
    pub resource_lock: Option<String>,
    pub resource_name: Option<String>,
    pub resource_namespace: Option<String>,
}

/// component-base `ClientConnectionConfiguration`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientConnectionConfiguration {
    pub kubeconfig: Option<String>,
    pub accept_content_types: Option<String>,
    pub content_type: Option<String>,
    /// Go `float32`.
    pub qps: Option<f32>,
    pub burst: Option<i32>,
}

/// `KubeSchedulerProfile`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeSchedulerProfile {
    pub scheduler_name: Option<String>,
    pub percentage_of_nodes_to_score: Option<i32>,
    pub plugins: Option<Plugins>,
    pub plugin_config: Option<Vec<PluginConfig>>,
}

/// `Plugins`: one PluginSet per extension point, and MultiPoint.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Plugins {
    pub pre_enqueue: Option<PluginSet>,
    pub queue_sort: Option<PluginSet>,
    pub pre_filter: Option<PluginSet>,
    pub filter: Option<PluginSet>,
    pub post_filter: Option<PluginSet>,
    pub pre_score: Option<PluginSet>,
    pub score: Option<PluginSet>,
    pub reserve: Option<PluginSet>,
    pub permit: Option<PluginSet>,
    pub pre_bind: Option<PluginSet>,
    pub bind: Option<PluginSet>,
    pub post_bind: Option<PluginSet>,
    pub multi_point: Option<PluginSet>,
}

/// `PluginSet`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginSet {
    pub enabled: Option<Vec<Plugin>>,
    pub disabled: Option<Vec<Plugin>>,
}

/// `Plugin`: a name and, for Score, a weight.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Plugin {
    pub name: String,
    pub weight: Option<i32>,
}

/// `PluginConfig`: a plugin's args, kept as JSON for the plugin's factory.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginConfig {
    pub name: String,
    pub args: Option<serde_json::Value>,
}
