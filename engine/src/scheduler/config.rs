//! KubeSchedulerConfiguration (`kubescheduler.config.k8s.io/v1`) loading: strict decoding
//! from YAML or JSON, defaults (pkg/scheduler/apis/config/v1/defaults.go
//! SetDefaults_KubeSchedulerConfiguration, default_plugins.go mergePlugins), validation
//! (pkg/scheduler/apis/config/validation/validation.go ValidateKubeSchedulerConfiguration),
//! and building each profile's framework (pkg/scheduler/framework/runtime/framework.go
//! NewFramework). Every error names `file:line:column` of the node it is about.

mod build;
mod duration;
pub mod plugins;
pub mod position;
pub mod types;
mod validate;

#[cfg(test)]
mod tests;

use self::duration::GoDuration;
use self::plugins::{ExtensionPoint, PluginRef, PluginSet, Plugins};
use self::position::{FieldPath, Format};
use super::profile::DEFAULT_PLUGINS;
use super::queue::QueueConfig;
use crate::api::admission::DEFAULT_SCHEDULER_NAME;
use crate::sim::SimDuration;
use std::fmt;
use std::path::Path;

/// The only accepted `apiVersion`.
pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";
/// The only accepted `kind`.
pub const KIND: &str = "KubeSchedulerConfiguration";

/// A configuration error at a place in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// `leaderElection` after defaults (kubesim runs one scheduler; kept for completeness).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderElection {
    pub leader_elect: bool,
    pub lease_duration_ns: i64,
    pub renew_deadline_ns: i64,
    pub retry_period_ns: i64,
    pub resource_lock: String,
    pub resource_name: String,
    pub resource_namespace: String,
}

/// One `pluginConfig` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginArgs {
    pub name: String,
    /// None: no args given (the plugin's defaults).
    pub args: Option<serde_json::Value>,
    path: FieldPath,
}

/// A profile after defaults: its plugin sets merged with the default plugins.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileConfig {
    pub scheduler_name: String,
    /// The profile's own value; None: the global one applies.
    pub percentage_of_nodes_to_score: Option<i32>,
    pub plugins: Plugins,
    pub plugin_config: Vec<PluginArgs>,
    path: FieldPath,
}

/// A loaded, defaulted and validated KubeSchedulerConfiguration.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    pub file_name: String,
    pub parallelism: i32,
    pub leader_election: LeaderElection,
    /// `clientConnection.qps` (Go float32), default 50.
    pub client_qps: f32,
    /// `clientConnection.burst`, default 100.
    pub client_burst: i32,
    pub enable_profiling: bool,
    pub enable_contention_profiling: bool,
    /// Global `percentageOfNodesToScore`; 0 means adaptive.
    pub percentage_of_nodes_to_score: i32,
    pub pod_initial_backoff_seconds: i64,
    pub pod_max_backoff_seconds: i64,
    /// The scheduling queue's back-offs from the two above.
    pub queue: QueueConfig,
    pub profiles: Vec<ProfileConfig>,
    pub delay_cache_until_active: bool,
    format: Format,
    text: String,
}

/// A loaded configuration shared by a scenario and its runs (equal when from the same file
/// with the same text).
#[derive(Clone, Debug)]
pub struct LoadedConfig(pub std::sync::Arc<SchedulerConfig>);

impl PartialEq for LoadedConfig {
    fn eq(&self, other: &Self) -> bool {
        self.0.file_name == other.0.file_name && self.0.text == other.0.text
    }
}

impl SchedulerConfig {
    /// The scheduler client's rate limit: `clientConnection.qps` rounded (at least 1) and burst.
    pub fn client_rate_limit(&self) -> crate::client::RateLimit {
        crate::client::RateLimit {
            qps: (self.client_qps.round().max(1.0)) as u32,
            burst: self.client_burst.max(1) as u32,
        }
    }
}

impl Default for SchedulerConfig {
    /// The configuration of a file that sets only apiVersion and kind.
    fn default() -> Self {
        parse(
            &format!("apiVersion: {API_VERSION}\nkind: {KIND}\n"),
            "<default>",
        )
        .expect("the default configuration is valid")
    }
}

/// Reads and parses a configuration file.
pub fn load(path: &Path) -> Result<SchedulerConfig, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: name.clone(),
        line: 1,
        column: 1,
        message: format!("cannot read the file: {e}"),
    })?;
    parse(&text, &name)
}

/// Parses a configuration: JSON when the text starts with `{` after whitespace, else YAML;
/// then applies upstream's defaults and validation.
pub fn parse(text: &str, file_name: &str) -> Result<SchedulerConfig, ConfigError> {
    let format = position::detect(text);
    let src = Source {
        file: file_name,
        format,
        text,
    };
    if text.trim().is_empty() {
        return Err(src.err_at(
            (1, 1),
            format!("empty document: expected a {KIND} ({API_VERSION})"),
        ));
    }
    let meta: types::TypeMeta = src.decode()?;
    check_type_meta(&src, &meta)?;
    let raw: types::KubeSchedulerConfiguration = src.decode()?;
    if raw.extenders.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(src.err(
            &FieldPath::root().key("extenders"),
            "extenders are not supported by kubesim (scheduler extenders are HTTP webhooks); \
             remove `extenders`"
                .into(),
        ));
    }
    let cfg = defaulted(&src, raw)?;
    validate::validate(&src, &cfg)?;
    Ok(cfg)
}

/// apiVersion and kind, checked before the strict decode as the scheme decoder does.
fn check_type_meta(src: &Source, meta: &types::TypeMeta) -> Result<(), ConfigError> {
    let root = FieldPath::root();
    match meta.api_version.as_deref() {
        None | Some("") => {
            return Err(src.err(
                &root,
                format!("apiVersion: Required value: expected {API_VERSION:?}"),
            ))
        }
        Some(API_VERSION) => {}
        Some(v) => {
            return Err(src.err(
                &root.key("apiVersion"),
                format!("apiVersion {v:?} is not supported: expected {API_VERSION:?}"),
            ))
        }
    }
    match meta.kind.as_deref() {
        None | Some("") => Err(src.err(&root, format!("kind: Required value: expected {KIND:?}"))),
        Some(KIND) => Ok(()),
        Some(k) => Err(src.err(
            &root.key("kind"),
            format!("kind {k:?} is not supported: expected {KIND:?}"),
        )),
    }
}

/// SetDefaults_KubeSchedulerConfiguration (and the component-base leader-election defaults).
fn defaulted(
    src: &Source,
    raw: types::KubeSchedulerConfiguration,
) -> Result<SchedulerConfig, ConfigError> {
    let root = FieldPath::root();
    let mut raw_profiles = raw.profiles.unwrap_or_default();
    let implicit_profile = raw_profiles.is_empty();
    if implicit_profile {
        raw_profiles.push(types::KubeSchedulerProfile::default());
    }
    if raw_profiles.len() == 1 && raw_profiles[0].scheduler_name.is_none() {
        raw_profiles[0].scheduler_name = Some(DEFAULT_SCHEDULER_NAME.to_string());
    }
    let profiles = raw_profiles
        .into_iter()
        .enumerate()
        .map(|(i, p)| profile_defaulted(root.key("profiles").index(i), p))
        .collect();

    let le = raw.leader_election.unwrap_or_default();
    let le_path = root.key("leaderElection");
    let dur = |v: &Option<String>, key: &str, default_s: i64| -> Result<i64, ConfigError> {
        match v {
            None => Ok(default_s * 1_000_000_000),
            Some(s) => match GoDuration::parse(s) {
                Some(0) => Ok(default_s * 1_000_000_000),
                Some(ns) => Ok(ns),
                None => Err(src.err(
                    &le_path.key(key),
                    format!(
                        "leaderElection.{key}: time: invalid duration {s:?} \
                         (expected a Go duration such as \"15s\")"
                    ),
                )),
            },
        }
    };
    let leader_election = LeaderElection {
        leader_elect: le.leader_elect.unwrap_or(true),
        lease_duration_ns: dur(&le.lease_duration, "leaseDuration", 15)?,
        renew_deadline_ns: dur(&le.renew_deadline, "renewDeadline", 10)?,
        retry_period_ns: dur(&le.retry_period, "retryPeriod", 2)?,
        resource_lock: non_empty(le.resource_lock, "leases"),
        resource_namespace: non_empty(le.resource_namespace, "kube-system"),
        resource_name: non_empty(le.resource_name, "kube-scheduler"),
    };

    let cc = raw.client_connection.unwrap_or_default();
    let qps = cc.qps.unwrap_or(0.0);
    let client_qps = if qps == 0.0 { 50.0 } else { qps };
    let client_burst = match cc.burst.unwrap_or(0) {
        0 => 100,
        b => b,
    };
    let enable_profiling = raw.enable_profiling.unwrap_or(true);
    let initial = raw.pod_initial_backoff_seconds.unwrap_or(1);
    let max = raw.pod_max_backoff_seconds.unwrap_or(10);
    let secs = |s: i64| SimDuration::from_micros((s.max(0) as u64).saturating_mul(1_000_000));
    Ok(SchedulerConfig {
        file_name: src.file.to_string(),
        parallelism: raw.parallelism.unwrap_or(16),
        leader_election,
        client_qps,
        client_burst,
        enable_profiling,
        enable_contention_profiling: raw.enable_contention_profiling.unwrap_or(enable_profiling),
        percentage_of_nodes_to_score: raw.percentage_of_nodes_to_score.unwrap_or(0),
        pod_initial_backoff_seconds: initial,
        pod_max_backoff_seconds: max,
        queue: QueueConfig {
            initial_backoff: secs(initial),
            max_backoff: secs(max),
            ..QueueConfig::default()
        },
        profiles,
        delay_cache_until_active: raw.delay_cache_until_active.unwrap_or(false),
        format: src.format,
        text: src.text.to_string(),
    })
}

fn non_empty(v: Option<String>, default: &str) -> String {
    match v {
        Some(s) if !s.is_empty() => s,
        _ => default.to_string(),
    }
}

/// setDefaults_KubeSchedulerProfile: the profile's plugins merged into the default plugins.
/// Plugin args defaults are the plugins' own (a factory given no args uses its defaults).
fn profile_defaulted(path: FieldPath, p: types::KubeSchedulerProfile) -> ProfileConfig {
    let custom = p.plugins.map(|pl| plugins_from(&path.key("plugins"), pl));
    let plugins = Plugins::defaults(DEFAULT_PLUGINS).merge(custom.as_ref());
    let cfg_path = path.key("pluginConfig");
    let plugin_config = p
        .plugin_config
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, c)| PluginArgs {
            name: c.name,
            args: c.args.filter(|a| !a.is_null()),
            path: cfg_path.index(j),
        })
        .collect();
    ProfileConfig {
        scheduler_name: p.scheduler_name.unwrap_or_default(),
        percentage_of_nodes_to_score: p.percentage_of_nodes_to_score,
        plugins,
        plugin_config,
        path,
    }
}

/// The wire `Plugins` as plugin sets that remember where each entry was written.
fn plugins_from(path: &FieldPath, p: types::Plugins) -> Plugins {
    let set = |key: &str, s: Option<types::PluginSet>| -> PluginSet {
        let s = s.unwrap_or_default();
        let refs = |list: &str, v: Option<Vec<types::Plugin>>| -> Vec<PluginRef> {
            v.unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, e)| PluginRef {
                    name: e.name,
                    weight: e.weight,
                    src: Some(path.key(key).key(list).index(i)),
                })
                .collect()
        };
        PluginSet {
            enabled: refs("enabled", s.enabled),
            disabled: refs("disabled", s.disabled),
        }
    };
    let mut out = Plugins::default();
    out.multi_point = set("multiPoint", p.multi_point);
    let sets = [
        (ExtensionPoint::PreEnqueue, p.pre_enqueue),
        (ExtensionPoint::QueueSort, p.queue_sort),
        (ExtensionPoint::PreFilter, p.pre_filter),
        (ExtensionPoint::Filter, p.filter),
        (ExtensionPoint::PostFilter, p.post_filter),
        (ExtensionPoint::PreScore, p.pre_score),
        (ExtensionPoint::Score, p.score),
        (ExtensionPoint::Reserve, p.reserve),
        (ExtensionPoint::Permit, p.permit),
        (ExtensionPoint::PreBind, p.pre_bind),
        (ExtensionPoint::Bind, p.bind),
        (ExtensionPoint::PostBind, p.post_bind),
    ];
    for (ep, s) in sets {
        *out.get_mut(ep) = set(ep.key(), s);
    }
    out
}

impl SchedulerConfig {
    /// The source this configuration was parsed from, for locating errors.
    fn source(&self) -> Source<'_> {
        Source {
            file: &self.file_name,
            format: self.format,
            text: &self.text,
        }
    }

    /// The profile named `name`.
    pub fn profile(&self, name: &str) -> Option<&ProfileConfig> {
        self.profiles.iter().find(|p| p.scheduler_name == name)
    }
}

/// The text being parsed, for decoding and locating errors.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    file: &'a str,
    format: Format,
    text: &'a str,
}

impl Source<'_> {
    /// An error at the node `path` (or its nearest written ancestor).
    fn err(&self, path: &FieldPath, message: String) -> ConfigError {
        self.err_at(position::locate(self.format, self.text, path), message)
    }

    fn err_at(&self, (line, column): (usize, usize), message: String) -> ConfigError {
        ConfigError {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }

    /// Strict typed decoding; a decoder error keeps its position.
    fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        match self.format {
            Format::Yaml => serde_yaml_ng::from_str(self.text).map_err(|e| {
                let (line, col) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((1, 1));
                let msg = e.to_string();
                let msg = msg
                    .strip_suffix(&format!(" at line {line} column {col}"))
                    .unwrap_or(&msg);
                self.err_at((line, col), msg.to_string())
            }),
            Format::Json => serde_json::from_str(self.text).map_err(|e| {
                let (line, col) = (e.line(), e.column());
                let msg = e.to_string();
                let msg = msg
                    .strip_suffix(&format!(" at line {line} column {col}"))
                    .unwrap_or(&msg)
                    .to_string();
                // serde_json marks a value's last character; point at its first.
                let pos = match e.classify() {
                    serde_json::error::Category::Data => position::json_tree(self.text)
                        .and_then(|t| t.start_of_token_ending_at((line, col)))
                        .unwrap_or((line, col)),
                    _ => (line, col.max(1)),
                };
                self.err_at(pos, msg)
            }),
        }
    }
}
