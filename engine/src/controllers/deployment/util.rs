//! Helpers of the Deployment controller, transcribed from
//! pkg/controller/deployment/util/deployment_util.go, the ReplicaSet sort orders and
//! `ComputeHash` of pkg/controller/controller_utils.go, and pkg/util/labels/labels.go.

use crate::api::deployment::{Deployment, DeploymentCondition, DeploymentStatus};
use crate::api::{IntOrString, LabelSelector, OwnerReference, PodTemplateSpec, ReplicaSet, Time};
use crate::sim::SimTime;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A ReplicaSet as the controller handles it: shared, replaced (never mutated) on change.
pub type Rs = Arc<ReplicaSet>;

/// `RevisionAnnotation`: the rollout sequence number of a ReplicaSet (and of its Deployment).
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// `RevisionHistoryAnnotation`: earlier revisions of a ReplicaSet that was rolled back to.
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
/// `DesiredReplicasAnnotation`: the Deployment's replicas when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
/// `MaxReplicasAnnotation`: replicas + maxSurge when the ReplicaSet was last scaled.
pub const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// `v1.LastAppliedConfigAnnotation`.
pub const LAST_APPLIED_CONFIG_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// `apps.DeprecatedRollbackTo`.
pub const DEPRECATED_ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// `apps.DefaultDeploymentUniqueLabelKey`.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";
/// `maxRevHistoryLengthInChars` (sync.go).
pub const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;

pub const ROLLING_UPDATE: &str = "RollingUpdate";
pub const RECREATE: &str = "Recreate";

/// Deployment condition types.
pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// Condition reasons (deployment_util.go).
pub const REPLICA_SET_UPDATED_REASON: &str = "ReplicaSetUpdated";
pub const FAILED_RS_CREATE_REASON: &str = "ReplicaSetCreateError";
pub const NEW_REPLICA_SET_REASON: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS_REASON: &str = "FoundNewReplicaSet";
pub const NEW_RS_AVAILABLE_REASON: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT_REASON: &str = "ProgressDeadlineExceeded";
pub const PAUSED_DEPLOY_REASON: &str = "DeploymentPaused";
pub const RESUMED_DEPLOY_REASON: &str = "DeploymentResumed";
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

/// Alphabet of `rand.SafeEncodeString` (k8s.io/apimachinery/pkg/util/rand).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

// ---------------------------------------------------------------------------------------------
// Strategy parameters.

/// `IsRollingUpdate`.
pub fn is_rolling_update(d: &Deployment) -> bool {
    d.spec.strategy.type_ == ROLLING_UPDATE
}

fn rolling_params(d: &Deployment) -> (Option<&IntOrString>, Option<&IntOrString>) {
    let ru = d.spec.strategy.rolling_update.as_ref();
    (
        ru.and_then(|r| r.max_surge.as_ref()),
        ru.and_then(|r| r.max_unavailable.as_ref()),
    )
}

/// `ResolveFenceposts`: maxSurge rounded up, maxUnavailable rounded down (a missing value is 0);
/// when both resolve to 0, maxUnavailable becomes 1.
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), String> {
    let zero = IntOrString::Int(0);
    let surge = max_surge.unwrap_or(&zero).scaled_value(desired, true)?;
    let mut unavailable = max_unavailable
        .unwrap_or(&zero)
        .scaled_value(desired, false)?;
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    Ok((surge, unavailable))
}

/// `MaxSurge`: 0 unless RollingUpdate (an invalid value, which validation rejects, counts 0).
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    let (s, u) = rolling_params(d);
    resolve_fenceposts(s, u, d.replicas()).map_or(0, |(s, _)| s)
}

/// `MaxUnavailable`: 0 unless RollingUpdate with replicas > 0; at most replicas.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling_update(d) || d.replicas() == 0 {
        return 0;
    }
    let (s, u) = rolling_params(d);
    let unavailable = resolve_fenceposts(s, u, d.replicas()).map_or(0, |(_, u)| u);
    unavailable.min(d.replicas())
}

/// `MinAvailable`: replicas - maxUnavailable for RollingUpdate, else 0.
pub fn min_available(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    d.replicas() - max_unavailable(d)
}

/// `NewRSNewReplicas`: the replicas the new ReplicaSet may have now. RollingUpdate: up to
/// replicas + maxSurge pods in all, never more than replicas in the new set; Recreate: replicas.
pub fn new_rs_new_replicas(d: &Deployment, all: &[Rs], new_rs: &ReplicaSet) -> Result<i32, String> {
    match d.spec.strategy.type_.as_str() {
        ROLLING_UPDATE => {
            let surge = rolling_params(d)
                .0
                .ok_or("nil value for IntOrString")?
                .scaled_value(d.replicas(), true)?;
            let current = replica_count(all);
            let max_total = d.replicas() + surge;
            if current >= max_total {
                return Ok(new_rs.replicas());
            }
            let scale_up = (max_total - current).min(d.replicas() - new_rs.replicas());
            Ok(new_rs.replicas() + scale_up)
        }
        RECREATE => Ok(d.replicas()),
        other => Err(format!("deployment type {other} isn't supported")),
    }
}

// ---------------------------------------------------------------------------------------------
// The pod-template-hash.

/// `rand.SafeEncodeString`: each byte mapped into an alphabet without vowels (no bad words).
pub fn safe_encode_string(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_ALPHABET[b as usize % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// FNV-1a, 32 bits (Go's hash/fnv New32a).
fn fnv32a(bytes: impl IntoIterator<Item = u8>) -> u32 {
    bytes.into_iter().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// `ComputeHash`: the pod-template-hash of a template and collision count. Like upstream: FNV-1a
/// 32, then the collision count as 8 little-endian bytes (only 4 set), then the decimal digits
/// through `SafeEncodeString`. Unlike upstream the hashed text is the template's JSON, not
/// `DeepHashObject`'s spew dump, so kubesim's hashes differ from a real cluster's.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let json = serde_json::to_string(template).expect("templates always serialize");
    let mut bytes: Vec<u8> = json.into_bytes();
    if let Some(c) = collision_count {
        bytes.extend_from_slice(&(c as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
    }
    safe_encode_string(&fnv32a(bytes).to_string())
}

/// `labelsutil.CloneAndAddLabel`.
pub fn clone_and_add_label(
    labels: &BTreeMap<String, String>,
    key: &str,
    value: &str,
) -> BTreeMap<String, String> {
    let mut out = labels.clone();
    if !key.is_empty() {
        out.insert(key.to_string(), value.to_string());
    }
    out
}

/// `labelsutil.CloneSelectorAndAddLabel`: the label joins matchLabels.
pub fn clone_selector_and_add_label(sel: &LabelSelector, key: &str, value: &str) -> LabelSelector {
    LabelSelector {
        match_labels: clone_and_add_label(&sel.match_labels, key, value),
        match_expressions: sel.match_expressions.clone(),
    }
}

/// `metav1.NewControllerRef(d, apps/v1 Deployment)`.
pub fn controller_ref(d: &Deployment) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

// ---------------------------------------------------------------------------------------------
// Finding the new and old ReplicaSets.

/// `EqualIgnoreHash`: templates equal once the pod-template-hash label is dropped from both.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        t.metadata.labels.remove(POD_TEMPLATE_HASH_LABEL);
        t
    };
    strip(a) == strip(b)
}

/// Creation time in whole seconds: metav1.Time has second precision on the wire, so upstream
/// compares cached timestamps at that precision. A missing timestamp is the zero time.
fn created_secs(rs: &ReplicaSet) -> Option<u64> {
    rs.metadata.creation_timestamp.map(|t| t.0 .0 / 1_000_000)
}

/// `ReplicaSetsByCreationTimestamp`: older first, then by name.
pub fn by_creation_timestamp(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    created_secs(a)
        .cmp(&created_secs(b))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// `ReplicaSetsBySizeOlder`: larger first, then older first.
pub fn by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    b.replicas()
        .cmp(&a.replicas())
        .then_with(|| by_creation_timestamp(a, b))
}

/// `ReplicaSetsBySizeNewer`: larger first, then newer first.
pub fn by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    b.replicas()
        .cmp(&a.replicas())
        .then_with(|| by_creation_timestamp(b, a))
}

/// `ReplicaSetsByRevision`: lower revision first, ties by creation. Upstream falls back to the
/// creation order for a pair when a revision does not parse; here such a revision counts as 0 so
/// that the order stays total.
pub fn by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    let r = |rs: &ReplicaSet| revision(rs).unwrap_or(0);
    r(a).cmp(&r(b)).then_with(|| by_creation_timestamp(a, b))
}

/// Sorts by `ReplicaSetsByCreationTimestamp`.
pub fn sort_by_creation(list: &mut [Rs]) {
    list.sort_by(|a, b| by_creation_timestamp(a, b));
}

/// `FindNewReplicaSet`: the oldest ReplicaSet whose template equals the Deployment's.
pub fn find_new_replica_set(d: &Deployment, rs_list: &[Rs]) -> Option<Rs> {
    let mut sorted: Vec<&Rs> = rs_list.iter().collect();
    sorted.sort_by(|a, b| by_creation_timestamp(a, b));
    sorted
        .into_iter()
        .find(|rs| equal_ignore_hash(&rs.spec.template, &d.spec.template))
        .cloned()
}

/// `FindOldReplicaSets`: (old sets with replicas, all old sets), in creation order.
pub fn find_old_replica_sets(d: &Deployment, rs_list: &[Rs]) -> (Vec<Rs>, Vec<Rs>) {
    let new_rs = find_new_replica_set(d, rs_list);
    let mut sorted: Vec<Rs> = rs_list.to_vec();
    sort_by_creation(&mut sorted);
    let all: Vec<Rs> = sorted
        .into_iter()
        .filter(|rs| {
            new_rs
                .as_ref()
                .is_none_or(|n| n.metadata.name != rs.metadata.name)
        })
        .collect();
    let required = all
        .iter()
        .filter(|rs| rs.replicas() != 0)
        .cloned()
        .collect();
    (required, all)
}

/// `controller.FilterActiveReplicaSets`: sets with replicas > 0.
pub fn filter_active(list: &[Rs]) -> Vec<Rs> {
    list.iter()
        .filter(|rs| rs.replicas() > 0)
        .cloned()
        .collect()
}

/// `FindActiveOrLatest`: the only active set, or the newest when none is active (the new set if
/// there is one); `None` when several are active.
pub fn find_active_or_latest(new_rs: Option<&Rs>, old: &[Rs]) -> Option<Rs> {
    if new_rs.is_none() && old.is_empty() {
        return None;
    }
    let mut newest_first: Vec<Rs> = old.to_vec();
    newest_first.sort_by(|a, b| by_creation_timestamp(b, a));
    let mut all = newest_first.clone();
    all.extend(new_rs.cloned());
    let active = filter_active(&all);
    match active.len() {
        0 => new_rs.cloned().or_else(|| newest_first.first().cloned()),
        1 => active.into_iter().next(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Replica counts.

/// `GetReplicaCountForReplicaSets`: sum of spec.replicas.
pub fn replica_count(list: &[Rs]) -> i32 {
    list.iter().map(|rs| rs.replicas()).sum()
}

/// `GetActualReplicaCountForReplicaSets`: sum of status.replicas.
pub fn actual_replica_count(list: &[Rs]) -> i32 {
    list.iter().map(|rs| rs.status.replicas).sum()
}

/// `GetReadyReplicaCountForReplicaSets`: sum of status.readyReplicas.
pub fn ready_replica_count(list: &[Rs]) -> i32 {
    list.iter().map(|rs| rs.status.ready_replicas).sum()
}

/// `GetAvailableReplicaCountForReplicaSets`: sum of status.availableReplicas.
pub fn available_replica_count(list: &[Rs]) -> i32 {
    list.iter().map(|rs| rs.status.available_replicas).sum()
}

// ---------------------------------------------------------------------------------------------
// Annotations.

/// `Revision`: the revision annotation, 0 when absent.
pub fn revision(rs: &ReplicaSet) -> Result<i64, String> {
    match rs.metadata.annotations.get(REVISION_ANNOTATION) {
        None => Ok(0),
        Some(v) => v
            .parse::<i64>()
            .map_err(|e| format!("strconv.ParseInt: parsing {v:?}: {e}")),
    }
}

/// `MaxRevision`: the highest revision; unparsable ones are skipped.
pub fn max_revision(list: &[Rs]) -> i64 {
    list.iter()
        .filter_map(|rs| revision(rs).ok())
        .fold(0, i64::max)
}

/// `skipCopyAnnotation`: annotations the Deployment does not pass on to its ReplicaSets.
fn skip_copy_annotation(key: &str) -> bool {
    matches!(
        key,
        LAST_APPLIED_CONFIG_ANNOTATION
            | REVISION_ANNOTATION
            | REVISION_HISTORY_ANNOTATION
            | DESIRED_REPLICAS_ANNOTATION
            | MAX_REPLICAS_ANNOTATION
            | DEPRECATED_ROLLBACK_TO
    )
}

/// `copyDeploymentAnnotationsToReplicaSet`; returns whether the ReplicaSet changed.
pub fn copy_deployment_annotations_to_replica_set(d: &Deployment, rs: &mut ReplicaSet) -> bool {
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if skip_copy_annotation(k) || rs.metadata.annotations.get(k) == Some(v) {
            continue;
        }
        rs.metadata.annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises the revision to
/// `new_revision` (keeping the old one in the revision history, at most `history_limit`
/// characters), and for a set about to be created sets the replicas annotations.
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: &str,
    exists: bool,
    history_limit: usize,
) -> bool {
    let mut changed = copy_deployment_annotations_to_replica_set(d, rs);
    let annotations = &mut rs.metadata.annotations;
    let old_revision = annotations.get(REVISION_ANNOTATION).cloned();
    let old_int = match old_revision.as_deref().map(str::parse::<i64>) {
        None => 0,
        Some(Ok(v)) => v,
        Some(Err(_)) if old_revision.as_deref() == Some("") => 0,
        Some(Err(_)) => return false,
    };
    let Ok(new_int) = new_revision.parse::<i64>() else {
        return false;
    };
    if old_int < new_int {
        annotations.insert(REVISION_ANNOTATION.into(), new_revision.into());
        changed = true;
        if let Some(old) = old_revision {
            append_revision_history(annotations, &old, history_limit);
        }
    }
    if !exists && set_replicas_annotations(rs, d.replicas(), d.replicas() + max_surge(d)) {
        changed = true;
    }
    changed
}

/// The revision-history bookkeeping of `SetNewReplicaSetAnnotations`.
fn append_revision_history(
    annotations: &mut BTreeMap<String, String>,
    old_revision: &str,
    limit: usize,
) {
    let history = annotations
        .get(REVISION_HISTORY_ANNOTATION)
        .cloned()
        .unwrap_or_default();
    if history.is_empty() {
        annotations.insert(REVISION_HISTORY_ANNOTATION.into(), old_revision.into());
        return;
    }
    let old: Vec<&str> = history.split(',').collect();
    let mut total = history.len() + old_revision.len() + 1;
    let mut start = 0;
    while total > limit && start < old.len() {
        total -= old[start].len() + 1;
        start += 1;
    }
    if total <= limit {
        let mut kept: Vec<&str> = old[start..].to_vec();
        kept.push(old_revision);
        annotations.insert(REVISION_HISTORY_ANNOTATION.into(), kept.join(","));
    }
}

/// `SetDeploymentRevision`; returns whether it changed.
pub fn set_deployment_revision(d: &mut Deployment, revision: &str) -> bool {
    let a = &mut d.metadata.annotations;
    if a.get(REVISION_ANNOTATION).map(String::as_str) == Some(revision) {
        return false;
    }
    a.insert(REVISION_ANNOTATION.into(), revision.into());
    true
}

/// `SetReplicasAnnotations`: desired-replicas and max-replicas; returns whether they changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (key, value) in [
        (DESIRED_REPLICAS_ANNOTATION, desired),
        (MAX_REPLICAS_ANNOTATION, max),
    ] {
        let v = value.to_string();
        if rs.metadata.annotations.get(key) != Some(&v) {
            rs.metadata.annotations.insert(key.into(), v);
            changed = true;
        }
    }
    changed
}

/// `ReplicasAnnotationsNeedUpdate`.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    let a = &rs.metadata.annotations;
    a.get(DESIRED_REPLICAS_ANNOTATION) != Some(&desired.to_string())
        || a.get(MAX_REPLICAS_ANNOTATION) != Some(&max.to_string())
}

/// `getNonNegativeInt32FromAnnotation`: `Ok(None)` when absent; an error when it is not a
/// decimal in [0, MaxInt32] (strconv.ParseUint(v, 10, 32) semantics).
pub fn non_negative_i32_annotation(rs: &ReplicaSet, key: &str) -> Result<Option<i32>, String> {
    let Some(v) = rs.metadata.annotations.get(key) else {
        return Ok(None);
    };
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.ParseUint: parsing {v:?}: invalid syntax"));
    }
    match v.parse::<u64>() {
        Ok(n) if n <= i32::MAX as u64 => Ok(Some(n as i32)),
        _ => Err(format!(
            "strconv.ParseUint: parsing {v:?}: value out of range"
        )),
    }
}

/// `GetDesiredReplicasAnnotation` (an invalid value counts as absent).
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    non_negative_i32_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
        .ok()
        .flatten()
}

/// `getMaxReplicasAnnotation` (an invalid value counts as absent).
pub fn max_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    non_negative_i32_annotation(rs, MAX_REPLICAS_ANNOTATION)
        .ok()
        .flatten()
}

/// `IsSaturated`: the set has all desired replicas, believes so (annotation), and all are
/// available.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let desired = rs
        .metadata
        .annotations
        .get(DESIRED_REPLICAS_ANNOTATION)
        .and_then(|v| v.parse::<i64>().ok());
    let Some(desired) = desired else { return false };
    rs.replicas() == d.replicas()
        && desired == i64::from(d.replicas())
        && rs.status.available_replicas == d.replicas()
}

// ---------------------------------------------------------------------------------------------
// Proportional scaling.

/// `GetProportion`: how many of the replicas to add (or, negative, remove) go to `rs`.
pub fn get_proportion(rs: Option<&ReplicaSet>, d: &Deployment, to_add: i32, added: i32) -> i32 {
    let Some(rs) = rs else { return 0 };
    if rs.replicas() == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `getReplicaSetFraction`: rs.replicas x (replicas + maxSurge) / max-replicas annotation,
/// rounded, minus rs.replicas; the annotation falls back to status.replicas when missing or 0.
/// Upstream rounds a float64 half away from zero; the operands are positive, so integer
/// arithmetic gives the same.
pub fn replica_set_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if d.replicas() == 0 {
        return -rs.replicas();
    }
    let deployment_replicas = i64::from(d.replicas() + max_surge(d));
    let annotated = match max_replicas_annotation(rs) {
        Some(n) if n != 0 => n,
        _ => d.status.replicas,
    };
    if annotated == 0 {
        return 0;
    }
    let (num, den) = (
        i64::from(rs.replicas()) * deployment_replicas,
        i64::from(annotated),
    );
    let rounded = (2 * num + den).div_euclid(2 * den);
    rounded as i32 - rs.replicas()
}

// ---------------------------------------------------------------------------------------------
// Conditions.

/// `NewDeploymentCondition`, with both times `now`.
pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Time,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        last_update_time: Some(now),
        last_transition_time: Some(now),
        reason: reason.into(),
        message,
    }
}

/// `GetDeploymentCondition`.
pub fn get_condition<'a>(
    status: &'a DeploymentStatus,
    type_: &str,
) -> Option<&'a DeploymentCondition> {
    status.conditions.iter().find(|c| c.type_ == type_)
}

/// `SetDeploymentCondition`: no change when status and reason are the same; the transition time
/// is kept when only the reason changes. The condition moves to the end of the list.
pub fn set_condition(status: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = get_condition(status, &c.type_) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time;
        }
    }
    remove_condition(status, &c.type_);
    status.conditions.push(c);
}

/// `RemoveDeploymentCondition`.
pub fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    status.conditions.retain(|c| c.type_ != type_);
}

/// `HasProgressDeadline`: set and not MaxInt32.
pub fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec
        .progress_deadline_seconds
        .is_some_and(|s| s != i32::MAX)
}

/// `HasRevisionHistoryLimit`: set and not MaxInt32.
pub fn has_revision_history_limit(d: &Deployment) -> bool {
    d.spec.revision_history_limit.is_some_and(|l| l != i32::MAX)
}

/// `DeploymentComplete`: every replica updated and available, and the generation observed.
pub fn deployment_complete(d: &Deployment, s: &DeploymentStatus) -> bool {
    let r = d.replicas();
    s.updated_replicas == r
        && s.replicas == r
        && s.available_replicas == r
        && s.observed_generation >= d.metadata.generation
}

/// `DeploymentProgressing`: more updated, ready or available replicas, or fewer old ones, than
/// the Deployment's current status says.
pub fn deployment_progressing(d: &Deployment, s: &DeploymentStatus) -> bool {
    let old = &d.status;
    let old_old = old.replicas - old.updated_replicas;
    let new_old = s.replicas - s.updated_replicas;
    s.updated_replicas > old.updated_replicas
        || new_old < old_old
        || s.ready_replicas > old.ready_replicas
        || s.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`: the Progressing condition's lastUpdateTime + progressDeadlineSeconds is
/// before `now` (never for NewReplicaSetAvailable; always once ProgressDeadlineExceeded).
pub fn deployment_timed_out(d: &Deployment, s: &DeploymentStatus, now: SimTime) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_condition(s, PROGRESSING) else {
        return false;
    };
    match c.reason.as_str() {
        NEW_RS_AVAILABLE_REASON => return false,
        TIMED_OUT_REASON => return true,
        _ => {}
    }
    let from = c.last_update_time.map_or(0, |t| t.0 .0 as i64);
    let deadline = i64::from(d.spec.progress_deadline_seconds.unwrap_or(0)) * 1_000_000;
    from + deadline < now.0 as i64
}

/// metav1.Now() as stored: second precision.
pub fn now_seconds(now: SimTime) -> Time {
    Time(SimTime(now.0 / 1_000_000 * 1_000_000))
}

#[cfg(test)]
#[path = "util_tests.rs"]
mod tests;
