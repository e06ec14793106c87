//! Plugin sets per extension point: merging a profile's sets into the defaults
//! (pkg/scheduler/apis/config/v1/default_plugins.go mergePlugins, mergePluginSet), and what
//! the framework makes of them (pkg/scheduler/framework/runtime/framework.go NewFramework:
//! updatePluginList, expandMultiPointPlugins, getScoreWeights).

use super::position::FieldPath;
use std::collections::{BTreeMap, BTreeSet};

/// The extension points of `Plugins` (MultiPoint apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExtensionPoint {
    PreEnqueue,
    QueueSort,
    PreFilter,
    Filter,
    PostFilter,
    PreScore,
    Score,
    Reserve,
    Permit,
    PreBind,
    Bind,
    PostBind,
}

impl ExtensionPoint {
    /// Every point, in `Plugins` field order.
    pub const ALL: [ExtensionPoint; 12] = [
        Self::PreEnqueue,
        Self::QueueSort,
        Self::PreFilter,
        Self::Filter,
        Self::PostFilter,
        Self::PreScore,
        Self::Score,
        Self::Reserve,
        Self::Permit,
        Self::PreBind,
        Self::Bind,
        Self::PostBind,
    ];

    /// framework.go getExtensionPoints order.
    pub const FRAMEWORK_ORDER: [ExtensionPoint; 12] = [
        Self::PreFilter,
        Self::Filter,
        Self::PostFilter,
        Self::Reserve,
        Self::PreScore,
        Self::Score,
        Self::PreBind,
        Self::Bind,
        Self::PostBind,
        Self::Permit,
        Self::PreEnqueue,
        Self::QueueSort,
    ];

    /// The field name in `Plugins`.
    pub fn key(self) -> &'static str {
        match self {
            Self::PreEnqueue => "preEnqueue",
            Self::QueueSort => "queueSort",
            Self::PreFilter => "preFilter",
            Self::Filter => "filter",
            Self::PostFilter => "postFilter",
            Self::PreScore => "preScore",
            Self::Score => "score",
            Self::Reserve => "reserve",
            Self::Permit => "permit",
            Self::PreBind => "preBind",
            Self::Bind => "bind",
            Self::PostBind => "postBind",
        }
    }

    /// The Go interface name, as framework errors print it.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::PreEnqueue => "PreEnqueuePlugin",
            Self::QueueSort => "QueueSortPlugin",
            Self::PreFilter => "PreFilterPlugin",
            Self::Filter => "FilterPlugin",
            Self::PostFilter => "PostFilterPlugin",
            Self::PreScore => "PreScorePlugin",
            Self::Score => "ScorePlugin",
            Self::Reserve => "ReservePlugin",
            Self::Permit => "PermitPlugin",
            Self::PreBind => "PreBindPlugin",
            Self::Bind => "BindPlugin",
            Self::PostBind => "PostBindPlugin",
        }
    }
}

/// A plugin entry (`Plugin`), with where it was written (None: from the defaults).
#[derive(Clone, Debug)]
pub struct PluginRef {
    pub name: String,
    pub weight: Option<i32>,
    pub src: Option<FieldPath>,
}

impl PluginRef {
    pub fn new(name: &str, weight: Option<i32>) -> Self {
        PluginRef {
            name: name.to_string(),
            weight,
            src: None,
        }
    }
}

/// Compares name and weight only.
impl PartialEq for PluginRef {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.weight == o.weight
    }
}

/// `PluginSet`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PluginSet {
    pub enabled: Vec<PluginRef>,
    pub disabled: Vec<PluginRef>,
}

/// `Plugins`: a set per extension point and MultiPoint.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plugins {
    pub multi_point: PluginSet,
    sets: [PluginSet; 12],
}

impl Plugins {
    pub fn get(&self, ep: ExtensionPoint) -> &PluginSet {
        &self.sets[ep as usize]
    }
    pub fn get_mut(&mut self, ep: ExtensionPoint) -> &mut PluginSet {
        &mut self.sets[ep as usize]
    }

    /// getDefaultPlugins: every default plugin at MultiPoint (weight 0 means none).
    pub fn defaults(default_plugins: &[(&str, i64)]) -> Self {
        let mut p = Plugins::default();
        p.multi_point.enabled = default_plugins
            .iter()
            .map(|&(name, w)| PluginRef::new(name, (w != 0).then_some(w as i32)))
            .collect();
        p
    }

    /// mergePlugins: `custom` (None: no `plugins` given) merged into `self`, the defaults.
    pub fn merge(mut self, custom: Option<&Plugins>) -> Plugins {
        let Some(custom) = custom else {
            return self;
        };
        self.multi_point = merge_plugin_set(&self.multi_point, &custom.multi_point);
        for ep in ExtensionPoint::ALL {
            let merged = merge_plugin_set(self.get(ep), custom.get(ep));
            *self.get_mut(ep) = merged;
        }
        self
    }
}

/// mergePluginSet: defaults kept in order unless disabled (or all disabled with `*`), a default
/// re-enabled by the custom set replaced in place by it, then the other custom plugins.
pub fn merge_plugin_set(default_set: &PluginSet, custom: &PluginSet) -> PluginSet {
    let mut disabled = Vec::new();
    let mut disabled_names = BTreeSet::new();
    for d in custom.disabled.iter().chain(&default_set.disabled) {
        disabled.push(PluginRef {
            name: d.name.clone(),
            weight: None,
            src: d.src.clone(),
        });
        disabled_names.insert(d.name.as_str());
    }
    // The last custom entry of a name wins, as a Go map assignment does.
    let mut custom_by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in custom.enabled.iter().enumerate() {
        custom_by_name.insert(p.name.as_str(), i);
    }
    let mut replaced = BTreeSet::new();
    let mut enabled = Vec::new();
    if !disabled_names.contains("*") {
        for d in &default_set.enabled {
            if disabled_names.contains(d.name.as_str()) {
                continue;
            }
            match custom_by_name.get(d.name.as_str()) {
                Some(&i) => {
                    enabled.push(custom.enabled[i].clone());
                    replaced.insert(i);
                }
                None => enabled.push(d.clone()),
            }
        }
    }
    for (i, p) in custom.enabled.iter().enumerate() {
        if !replaced.contains(&i) {
            enabled.push(p.clone());
        }
    }
    PluginSet { enabled, disabled }
}

/// A framework error and the entry it is about.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginError {
    pub message: String,
    pub src: Option<FieldPath>,
}

impl PluginError {
    /// About entry `p`'s `name`.
    fn at(message: String, p: &PluginRef) -> Self {
        Self::at_field(message, p, "name")
    }
    fn at_field(message: String, p: &PluginRef, field: &str) -> Self {
        PluginError {
            message,
            src: p.src.as_ref().map(|s| s.key(field)),
        }
    }
}

/// Whether a plugin implements an extension point; None when the registry has no such plugin.
pub type Implements<'a> = dyn Fn(&str, ExtensionPoint) -> Option<bool> + 'a;

/// The plugins NewFramework runs at each extension point, and the score weights.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expanded {
    pub points: BTreeMap<ExtensionPoint, Vec<String>>,
    /// `scorePluginWeight`.
    pub score_weights: BTreeMap<String, i64>,
}

impl Expanded {
    pub fn at(&self, ep: ExtensionPoint) -> &[String] {
        self.points.get(&ep).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// NewFramework after the plugins are built: each extension point's list (updatePluginList),
/// MultiPoint expansion (expandMultiPointPlugins), the queue-sort and bind counts, and the
/// score weights (getScoreWeights). Errors about no entry in particular point into
/// `plugins_path` (the profile's `plugins`).
pub fn expand(
    plugins: &Plugins,
    implements: &Implements,
    scheduler_name: &str,
    plugins_path: &FieldPath,
) -> Result<Expanded, PluginError> {
    let mut out = Expanded::default();
    for ep in ExtensionPoint::FRAMEWORK_ORDER {
        let mut list: Vec<String> = Vec::new();
        for p in &plugins.get(ep).enabled {
            match implements(&p.name, ep) {
                None => {
                    return Err(PluginError::at(
                        format!("{} {:?} does not exist", ep.type_name(), p.name),
                        p,
                    ))
                }
                Some(false) => {
                    return Err(PluginError::at(
                        format!(
                            "plugin {:?} does not extend {} plugin",
                            p.name,
                            ep.type_name()
                        ),
                        p,
                    ))
                }
                Some(true) => {}
            }
            if list.contains(&p.name) {
                return Err(PluginError::at(
                    format!(
                        "plugin {:?} already registered as {:?}",
                        p.name,
                        ep.type_name()
                    ),
                    p,
                ));
            }
            list.push(p.name.clone());
        }
        out.points.insert(ep, list);
    }
    if !plugins.multi_point.enabled.is_empty() {
        expand_multi_point(plugins, implements, &mut out)?;
    }
    let queue_sort = out.at(ExtensionPoint::QueueSort).len();
    if queue_sort != 1 {
        return Err(PluginError {
            message: format!(
                "only one queue sort plugin required for profile with scheduler name {scheduler_name:?}, but got {queue_sort}"
            ),
            src: Some(plugins_path.key("queueSort")),
        });
    }
    if out.at(ExtensionPoint::Bind).is_empty() {
        return Err(PluginError {
            message: format!(
                "at least one bind plugin is needed for profile with scheduler name {scheduler_name:?}"
            ),
            src: Some(plugins_path.key("bind")),
        });
    }
    score_weights(plugins, implements, &mut out)?;
    Ok(out)
}

/// expandMultiPointPlugins: per extension point, (1) plugins the point names that MultiPoint
/// also enables, in the point's order, (2) the other MultiPoint plugins implementing it, (3)
/// the rest of the point's own plugins. `*` disabled at a point skips it.
fn expand_multi_point(
    plugins: &Plugins,
    implements: &Implements,
    out: &mut Expanded,
) -> Result<(), PluginError> {
    for ep in ExtensionPoint::FRAMEWORK_ORDER {
        let set = plugins.get(ep);
        let enabled: Vec<&str> = dedup(set.enabled.iter().map(|p| p.name.as_str()));
        let disabled: BTreeSet<&str> = set.disabled.iter().map(|p| p.name.as_str()).collect();
        if disabled.contains("*") {
            continue;
        }
        let mut multi: Vec<&str> = Vec::new();
        let mut overrides: BTreeSet<&str> = BTreeSet::new();
        for p in &plugins.multi_point.enabled {
            match implements(&p.name, ep) {
                None => {
                    return Err(PluginError::at(
                        format!("{} {:?} does not exist", ep.type_name(), p.name),
                        p,
                    ))
                }
                Some(false) => continue,
                Some(true) => {}
            }
            if disabled.contains(p.name.as_str()) {
                continue;
            }
            if enabled.contains(&p.name.as_str()) {
                overrides.insert(&p.name);
                continue;
            }
            if multi.contains(&p.name.as_str()) {
                return Err(PluginError::at(
                    format!(
                        "plugin {:?} already registered as {:?}",
                        p.name,
                        ep.type_name()
                    ),
                    p,
                ));
            }
            multi.push(&p.name);
        }
        let mut list: Vec<String> = Vec::new();
        list.extend(
            enabled
                .iter()
                .filter(|n| overrides.contains(*n))
                .map(|n| n.to_string()),
        );
        list.extend(multi.iter().map(|n| n.to_string()));
        list.extend(
            enabled
                .iter()
                .filter(|n| !overrides.contains(*n))
                .map(|n| n.to_string()),
        );
        out.points.insert(ep, list);
    }
    Ok(())
}

fn dedup<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// `MaxTotalScore` (math.MaxInt64).
const MAX_TOTAL_SCORE: i64 = i64::MAX;

/// getScoreWeights over the Score entries then the MultiPoint ones: the first entry of a score
/// plugin sets its weight, 0 (unset) meaning 1; the weighted maxima must not overflow. In Go's
/// int64 arithmetic a negative total makes `MaxTotalScore - total` wrap, so a negative weight
/// followed by any other score plugin is rejected as an overflow. The error points at the
/// entry being added, or when that is a default, at the last entry the file wrote.
fn score_weights(
    plugins: &Plugins,
    implements: &Implements,
    out: &mut Expanded,
) -> Result<(), PluginError> {
    let mut total: i64 = 0;
    let mut last_written: Option<&PluginRef> = None;
    let entries = plugins
        .get(ExtensionPoint::Score)
        .enabled
        .iter()
        .chain(&plugins.multi_point.enabled);
    for e in entries {
        if implements(&e.name, ExtensionPoint::Score) != Some(true) {
            continue;
        }
        if out.score_weights.contains_key(&e.name) {
            continue;
        }
        if e.src.is_some() {
            last_written = Some(e);
        }
        let mut w = i64::from(e.weight.unwrap_or(0));
        if w == 0 {
            w = 1;
        }
        out.score_weights.insert(e.name.clone(), w);
        let max = crate::scheduler::framework::MAX_NODE_SCORE;
        if w * max > MAX_TOTAL_SCORE.wrapping_sub(total) {
            return Err(PluginError::at_field(
                "total score of Score plugins could overflow".to_string(),
                last_written.unwrap_or(e),
                "weight",
            ));
        }
        total = total.wrapping_add(w * max);
    }
    Ok(())
}
