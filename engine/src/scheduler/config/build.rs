//! Building each profile's framework from its configuration
//! (pkg/scheduler/framework/runtime/framework.go NewFramework).

use super::plugins::{expand, Expanded, ExtensionPoint, PluginError};
use super::position::FieldPath;
use super::{ConfigError, ProfileConfig, SchedulerConfig, Source};
use crate::scheduler::framework::Plugin;
use crate::scheduler::plugins::{defaultbinder, queuesort, volumes};
use crate::scheduler::profile::Profile;
use crate::scheduler::registry::Registry;

/// Extension points of in-tree plugins that kubesim runs outside the profile: the queue orders
/// pods by priority itself (PrioritySort), the scheduler binds through its client
/// (DefaultBinder), and without volumes or claims there is nothing to pre-bind. They count for
/// the framework's checks but have no runner in [`Profile`].
const OUTSIDE_PROFILE: &[(&str, ExtensionPoint)] = &[
    (queuesort::NAME, ExtensionPoint::QueueSort),
    (defaultbinder::NAME, ExtensionPoint::Bind),
    (volumes::VOLUME_BINDING, ExtensionPoint::PreBind),
    (volumes::DYNAMIC_RESOURCES, ExtensionPoint::PreBind),
];

/// Whether the plugin can run at `ep` in a [`Profile`].
fn runs_at(p: &dyn Plugin, ep: ExtensionPoint) -> bool {
    match ep {
        ExtensionPoint::PreEnqueue => p.as_pre_enqueue().is_some(),
        ExtensionPoint::PreFilter => p.as_pre_filter().is_some(),
        ExtensionPoint::Filter => p.as_filter().is_some(),
        ExtensionPoint::PostFilter => p.as_post_filter().is_some(),
        ExtensionPoint::PreScore => p.as_pre_score().is_some(),
        ExtensionPoint::Score => p.as_score().is_some(),
        ExtensionPoint::Reserve => p.as_reserve().is_some(),
        ExtensionPoint::Permit => p.as_permit().is_some(),
        ExtensionPoint::Bind => p.as_bind().is_some(),
        ExtensionPoint::QueueSort | ExtensionPoint::PreBind | ExtensionPoint::PostBind => false,
    }
}

/// Whether the plugin configured as `name` implements `ep` (the Go interface check).
fn implements(name: &str, p: &dyn Plugin, ep: ExtensionPoint) -> bool {
    runs_at(p, ep) || OUTSIDE_PROFILE.contains(&(name, ep))
}

impl SchedulerConfig {
    /// Builds every profile's plugins with `registry`, passing each plugin its `pluginConfig`
    /// args; errors point at the entry (or the args) they are about.
    pub fn build_profiles(&self, registry: &Registry) -> Result<Vec<Profile>, ConfigError> {
        let src = self.source();
        self.profiles
            .iter()
            .map(|p| self.build_profile(&src, p, registry))
            .collect()
    }

    fn build_profile(
        &self,
        src: &Source,
        prof: &ProfileConfig,
        registry: &Registry,
    ) -> Result<Profile, ConfigError> {
        let plugins = &prof.plugins;
        // pluginsNeeded, in order of first mention (MultiPoint first).
        let mut needed: Vec<(&str, Option<&FieldPath>)> = Vec::new();
        let mentions = plugins.multi_point.enabled.iter().chain(
            ExtensionPoint::FRAMEWORK_ORDER
                .iter()
                .flat_map(|&ep| plugins.get(ep).enabled.iter()),
        );
        for p in mentions {
            if !needed.iter().any(|(n, _)| *n == p.name) {
                needed.push((&p.name, p.src.as_ref()));
            }
        }
        // Args are decoded and validated for every configured plugin the registry knows, as
        // upstream's strict decoding and args validation do, enabled or not.
        let mut built: Vec<(String, Box<dyn Plugin>)> = Vec::new();
        for (j, pc) in prof.plugin_config.iter().enumerate() {
            if prof.plugin_config[..j].iter().any(|o| o.name == pc.name) {
                return Err(src.err(&pc.path, format!("repeated config for plugin {}", pc.name)));
            }
            if !registry.contains(&pc.name) {
                continue;
            }
            let args_path = pc.path.key("args");
            let plugin = registry
                .new_plugin(&pc.name, pc.args.as_ref())
                .map_err(|e| {
                    src.err(
                        &args_path,
                        format!("{args_path}: initializing plugin {:?}: {e}", pc.name),
                    )
                })?;
            if needed.iter().any(|(n, _)| *n == pc.name) {
                built.push((pc.name.clone(), plugin));
            }
        }
        for &(name, at) in &needed {
            if built.iter().any(|(n, _)| n == name) || !registry.contains(name) {
                continue;
            }
            let plugin = registry.new_plugin(name, None).map_err(|e| {
                let path = at.cloned().unwrap_or_else(|| prof.path.clone());
                src.err(&path, format!("initializing plugin {name:?}: {e}"))
            })?;
            built.push((name.to_string(), plugin));
        }
        // Keep the order of first mention.
        built.sort_by_key(|(n, _)| needed.iter().position(|(m, _)| m == n));

        let find = |name: &str| built.iter().position(|(n, _)| n == name);
        let check = |name: &str, ep: ExtensionPoint| {
            find(name).map(|i| implements(name, built[i].1.as_ref(), ep))
        };
        let plugins_path = prof.path.key("plugins");
        let ex: Expanded = expand(plugins, &check, &prof.scheduler_name, &plugins_path).map_err(
            |e: PluginError| {
                let path = e.src.unwrap_or(plugins_path.clone());
                src.err(&path, e.message)
            },
        )?;

        let pct = prof
            .percentage_of_nodes_to_score
            .unwrap_or(self.percentage_of_nodes_to_score);
        let mut profile = Profile {
            scheduler_name: prof.scheduler_name.clone(),
            plugins: Vec::new(),
            pre_enqueue: vec![],
            pre_filter: vec![],
            filter: vec![],
            post_filter: vec![],
            pre_score: vec![],
            score: vec![],
            reserve: vec![],
            permit: vec![],
            bind: vec![],
            percentage_of_nodes_to_score: pct.clamp(0, 100) as usize,
        };
        let names: Vec<String> = built.iter().map(|(n, _)| n.clone()).collect();
        profile.plugins = built.into_iter().map(|(_, p)| p).collect();
        let index = |n: &String| names.iter().position(|m| m == n).expect("built");
        let runnable = |ep: ExtensionPoint| -> Vec<usize> {
            ex.at(ep)
                .iter()
                .map(index)
                .filter(|&i| runs_at(profile.plugins[i].as_ref(), ep))
                .collect()
        };
        let pre_enqueue = runnable(ExtensionPoint::PreEnqueue);
        let pre_filter = runnable(ExtensionPoint::PreFilter);
        let filter = runnable(ExtensionPoint::Filter);
        let post_filter = runnable(ExtensionPoint::PostFilter);
        let pre_score = runnable(ExtensionPoint::PreScore);
        let score: Vec<(usize, i64)> = runnable(ExtensionPoint::Score)
            .into_iter()
            .map(|i| (i, ex.score_weights[&names[i]]))
            .collect();
        let reserve = runnable(ExtensionPoint::Reserve);
        let permit = runnable(ExtensionPoint::Permit);
        let bind = runnable(ExtensionPoint::Bind);
        profile.pre_enqueue = pre_enqueue;
        profile.pre_filter = pre_filter;
        profile.filter = filter;
        profile.post_filter = post_filter;
        profile.pre_score = pre_score;
        profile.score = score;
        profile.reserve = reserve;
        profile.permit = permit;
        profile.bind = bind;
        Ok(profile)
    }
}
