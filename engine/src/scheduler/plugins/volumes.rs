//! The volume plugins and DynamicResources. kubesim models no volumes, PersistentVolumeClaims
//! or ResourceClaims, so a pod never has any: each plugin returns Skip at PreFilter (and
//! PreScore), as upstream's do for a pod without volumes or claims, and every node passes.
//! Models the no-volume paths of pkg/scheduler/framework/plugins/{volumerestrictions,
//! nodevolumelimits,volumebinding,volumezone,dynamicresources}.

use crate::scheduler::framework::{
    CycleState, FilterPlugin, NodeInfo, Plugin, PodInfo, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ReservePlugin, ScorePlugin, Status,
};
use crate::scheduler::registry::parse_args;
use crate::scheduler::snapshot::Snapshot;

pub const VOLUME_RESTRICTIONS: &str = "VolumeRestrictions";
pub const NODE_VOLUME_LIMITS: &str = "NodeVolumeLimits";
pub const VOLUME_BINDING: &str = "VolumeBinding";
pub const VOLUME_ZONE: &str = "VolumeZone";
pub const DYNAMIC_RESOURCES: &str = "DynamicResources";

/// A plugin for pods without volumes or claims: PreFilter Skip, Filter pass; with `scores`,
/// PreScore Skip and Score 0 (VolumeBinding), with `reserves`, Reserve pass.
#[derive(Clone, Debug)]
pub struct NoVolumes {
    name: &'static str,
    scores: bool,
    reserves: bool,
}

impl Plugin for NoVolumes {
    fn name(&self) -> &str {
        self.name
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        self.scores.then_some(self as &dyn PreScorePlugin)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        self.scores.then_some(self as &dyn ScorePlugin)
    }
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        self.reserves.then_some(self as &dyn ReservePlugin)
    }
}

impl PreFilterPlugin for NoVolumes {
    fn pre_filter(
        &self,
        _: &mut CycleState,
        _: &PodInfo,
        _: &Snapshot,
    ) -> (PreFilterResult, Status) {
        (None, Status::skip())
    }
}

impl FilterPlugin for NoVolumes {
    fn filter(&self, _: &CycleState, _: &PodInfo, _: &NodeInfo) -> Status {
        Status::success()
    }
}

impl PreScorePlugin for NoVolumes {
    fn pre_score(&self, _: &mut CycleState, _: &PodInfo, _: &[&NodeInfo], _: &Snapshot) -> Status {
        Status::skip()
    }
}

impl ScorePlugin for NoVolumes {
    fn score(&self, _: &CycleState, _: &PodInfo, _: &NodeInfo, _: &Snapshot) -> i64 {
        0
    }
}

impl ReservePlugin for NoVolumes {
    fn reserve(&self, _: &mut CycleState, _: &PodInfo, _: &str) -> Status {
        Status::success()
    }
}

fn build(
    name: &'static str,
    scores: bool,
    reserves: bool,
    args: Option<&serde_json::Value>,
) -> Result<Box<dyn crate::scheduler::framework::Plugin>, String> {
    // Args are accepted as upstream's shape is, and have no effect without volumes.
    parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(NoVolumes {
        name,
        scores,
        reserves,
    }))
}

pub fn new_volume_restrictions(a: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    build(VOLUME_RESTRICTIONS, false, false, a)
}

pub fn new_node_volume_limits(a: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    build(NODE_VOLUME_LIMITS, false, false, a)
}

pub fn new_volume_binding(a: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    build(VOLUME_BINDING, true, true, a)
}

pub fn new_volume_zone(a: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    build(VOLUME_ZONE, false, false, a)
}

pub fn new_dynamic_resources(a: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    build(DYNAMIC_RESOURCES, false, true, a)
}
