//! Scaling, the new ReplicaSet, revision bookkeeping, cleanup and status
//! (pkg/controller/deployment/sync.go).

use super::util::{self, Rs};
use super::{DeploymentController, Outgoing, Step, Stop, Write};
use crate::api::deployment::DeploymentStatus;
use crate::api::replicaset::ReplicaSetSpec;
use crate::api::{Deployment, ReplicaSet, Time};
use std::cmp::Ordering;
use std::sync::Arc;

/// `append(oldRSs, newRS)` without the nil.
pub(super) fn with_new(old: &[Rs], new_rs: Option<&Rs>) -> Vec<Rs> {
    let mut all = old.to_vec();
    all.extend(new_rs.cloned());
    all
}

/// `calculateStatus`: counts from the ReplicaSets, and the Available condition.
pub(super) fn calculate_status(
    all: &[Rs],
    new_rs: Option<&Rs>,
    d: &Deployment,
    now: Time,
) -> DeploymentStatus {
    let available = util::available_replica_count(all);
    let total = util::replica_count(all);
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: util::actual_replica_count(all),
        updated_replicas: new_rs.map_or(0, |rs| rs.status.replicas),
        ready_replicas: util::ready_replica_count(all),
        available_replicas: available,
        unavailable_replicas: (total - available).max(0),
        conditions: d.status.conditions.clone(),
        collision_count: d.status.collision_count,
    };
    let c = if available >= d.replicas() - util::max_unavailable(d) {
        util::new_condition(
            util::AVAILABLE,
            "True",
            util::MINIMUM_REPLICAS_AVAILABLE,
            "Deployment has minimum availability.".into(),
            now,
        )
    } else {
        util::new_condition(
            util::AVAILABLE,
            "False",
            util::MINIMUM_REPLICAS_UNAVAILABLE,
            "Deployment does not have minimum availability.".into(),
            now,
        )
    };
    util::set_condition(&mut status, c);
    status
}

impl DeploymentController {
    /// metav1.Now() of the current sync.
    pub(super) fn now_time(&self) -> Time {
        util::now_seconds(self.now)
    }

    /// `syncStatusOnly`: for a Deployment being deleted.
    pub(super) fn sync_status_only(&mut self, d: &mut Deployment, rs_list: &[Rs]) -> Step<()> {
        let (new_rs, old) = self.get_all_replica_sets_and_sync_revision(d, rs_list, false)?;
        let all = with_new(&old, new_rs.as_ref());
        self.sync_deployment_status(&all, new_rs.as_ref(), d);
        Ok(())
    }

    /// `sync`: scaling events and paused Deployments; no rollout.
    pub(super) fn sync(&mut self, d: &mut Deployment, rs_list: &[Rs]) -> Step<()> {
        let (new_rs, old) = self.get_all_replica_sets_and_sync_revision(d, rs_list, false)?;
        self.scale(d, new_rs.as_ref(), &old);
        if d.spec.paused {
            self.cleanup_deployment(&old, d);
        }
        let all = with_new(&old, new_rs.as_ref());
        self.sync_deployment_status(&all, new_rs.as_ref(), d);
        Ok(())
    }

    /// `checkPausedConditions`: Progressing=Unknown DeploymentPaused / DeploymentResumed, so
    /// that time spent paused does not count against the progress deadline.
    pub(super) fn check_paused_conditions(&mut self, d: &mut Deployment) {
        if !util::has_progress_deadline(d) {
            return;
        }
        let cond = util::get_condition(&d.status, util::PROGRESSING);
        if cond.is_some_and(|c| c.reason == util::TIMED_OUT_REASON) {
            return;
        }
        let paused_exists = cond.is_some_and(|c| c.reason == util::PAUSED_DEPLOY_REASON);
        let (reason, message) = match (d.spec.paused, paused_exists) {
            (true, false) => (util::PAUSED_DEPLOY_REASON, "Deployment is paused"),
            (false, true) => (util::RESUMED_DEPLOY_REASON, "Deployment is resumed"),
            _ => return,
        };
        let c = util::new_condition(
            util::PROGRESSING,
            "Unknown",
            reason,
            message.into(),
            self.now_time(),
        );
        util::set_condition(&mut d.status, c);
        self.update_status(d, true);
    }

    /// `getAllReplicaSetsAndSyncRevision`: (new set, all old sets), syncing revisions.
    pub(super) fn get_all_replica_sets_and_sync_revision(
        &mut self,
        d: &mut Deployment,
        rs_list: &[Rs],
        create: bool,
    ) -> Step<(Option<Rs>, Vec<Rs>)> {
        let (_, old) = util::find_old_replica_sets(d, rs_list);
        let new_rs = self.get_new_replica_set(d, rs_list, &old, create)?;
        Ok((new_rs, old))
    }

    /// `getNewReplicaSet`: the existing new set with its annotations synced, or (when `create`)
    /// a new one with revision max(old) + 1.
    fn get_new_replica_set(
        &mut self,
        d: &mut Deployment,
        rs_list: &[Rs],
        old: &[Rs],
        create: bool,
    ) -> Step<Option<Rs>> {
        let new_revision = (util::max_revision(old) + 1).to_string();
        if let Some(existing) = util::find_new_replica_set(d, rs_list) {
            return Ok(Some(self.sync_existing_new_rs(d, &existing, &new_revision)));
        }
        if !create {
            return Ok(None);
        }
        let new_rs = new_replica_set(d, old, &new_revision)?;
        let Some(created) = self.take_hint(&new_rs.metadata.name) else {
            self.outbox.push(Outgoing {
                write: Write::CreateRs(new_rs),
                counts: true,
            });
            return Err(Stop::Creating);
        };
        let mut needs_update = util::set_deployment_revision(d, &new_revision);
        if !created.already_existed && util::has_progress_deadline(d) {
            let msg = format!("Created new replica set {:?}", created.rs.metadata.name);
            let c = util::new_condition(
                util::PROGRESSING,
                "True",
                util::NEW_REPLICA_SET_REASON,
                msg,
                self.now_time(),
            );
            util::set_condition(&mut d.status, c);
            needs_update = true;
        }
        if needs_update {
            self.update_status(d, true);
        }
        Ok(Some(created.rs))
    }

    /// The existing-set branch of `getNewReplicaSet`: update the set's annotations and
    /// minReadySeconds if needed (and return the answer), else copy its revision to the
    /// Deployment and note FoundNewReplicaSet when there is no Progressing condition yet.
    fn sync_existing_new_rs(
        &mut self,
        d: &mut Deployment,
        existing: &Rs,
        new_revision: &str,
    ) -> Rs {
        let mut copy = ReplicaSet::clone(existing);
        let annotations_updated = util::set_new_replica_set_annotations(
            d,
            &mut copy,
            new_revision,
            true,
            util::MAX_REV_HISTORY_LENGTH_IN_CHARS,
        );
        if annotations_updated || copy.spec.min_ready_seconds != d.spec.min_ready_seconds {
            copy.spec.min_ready_seconds = d.spec.min_ready_seconds;
            return self.update_rs(copy);
        }
        let revision = copy
            .metadata
            .annotations
            .get(util::REVISION_ANNOTATION)
            .cloned()
            .unwrap_or_default();
        let mut needs_update = util::set_deployment_revision(d, &revision);
        if util::has_progress_deadline(d)
            && util::get_condition(&d.status, util::PROGRESSING).is_none()
        {
            let msg = format!("Found new replica set {:?}", copy.metadata.name);
            let c = util::new_condition(
                util::PROGRESSING,
                "True",
                util::FOUND_NEW_RS_REASON,
                msg,
                self.now_time(),
            );
            util::set_condition(&mut d.status, c);
            needs_update = true;
        }
        if needs_update {
            self.update_status(d, true);
        }
        Arc::new(copy)
    }

    /// `scale`: a scaling event. The only active (or the newest) set takes the new size; a
    /// saturated new set makes the old ones 0; otherwise RollingUpdate spreads the difference
    /// over the active sets in proportion to their size (`GetProportion`), the leftover going
    /// to the first (largest) one.
    pub(super) fn scale(&mut self, d: &Deployment, new_rs: Option<&Rs>, old: &[Rs]) {
        if let Some(rs) = util::find_active_or_latest(new_rs, old) {
            if rs.replicas() != d.replicas() {
                self.scale_replica_set_and_record_event(&rs, d.replicas(), d);
            }
            return;
        }
        if util::is_saturated(d, new_rs.map(|rs| rs.as_ref())) {
            for rs in util::filter_active(old) {
                self.scale_replica_set_and_record_event(&rs, 0, d);
            }
            return;
        }
        if util::is_rolling_update(d) {
            self.scale_proportionally(d, new_rs, old);
        }
    }

    fn scale_proportionally(&mut self, d: &Deployment, new_rs: Option<&Rs>, old: &[Rs]) {
        // FindActiveOrLatest left the old sets newest first.
        let mut newest_first = old.to_vec();
        newest_first.sort_by(|a, b| util::by_creation_timestamp(b, a));
        let mut all = util::filter_active(&with_new(&newest_first, new_rs));
        let allowed = if d.replicas() > 0 {
            d.replicas() + util::max_surge(d)
        } else {
            0
        };
        let to_add = allowed - util::replica_count(&all);
        match to_add.cmp(&0) {
            Ordering::Greater => all.sort_by(|a, b| util::by_size_newer(a, b)),
            Ordering::Less => all.sort_by(|a, b| util::by_size_older(a, b)),
            Ordering::Equal => {}
        }
        let mut added = 0;
        let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
        for rs in &all {
            let p = util::get_proportion(Some(rs), d, to_add, added);
            sizes.push(rs.replicas() + p);
            added += p;
        }
        for (i, rs) in all.iter().enumerate() {
            if i == 0 && to_add != 0 {
                sizes[0] = (sizes[0] + to_add - added).max(0);
            }
            self.scale_replica_set(rs, sizes[i], d);
        }
    }

    /// `scaleReplicaSetAndRecordEvent`: scales when the size differs.
    pub(super) fn scale_replica_set_and_record_event(
        &mut self,
        rs: &Rs,
        new_scale: i32,
        d: &Deployment,
    ) -> (bool, Rs) {
        if rs.replicas() == new_scale {
            return (false, rs.clone());
        }
        self.scale_replica_set(rs, new_scale, d)
    }

    /// `scaleReplicaSet`: an Update with the new size and the desired/max-replicas annotations,
    /// when either changes; returns (size changed, the answer or `rs`).
    pub(super) fn scale_replica_set(
        &mut self,
        rs: &Rs,
        new_scale: i32,
        d: &Deployment,
    ) -> (bool, Rs) {
        let size_needs_update = rs.replicas() != new_scale;
        let max = d.replicas() + util::max_surge(d);
        let annotations_need_update = util::replicas_annotations_need_update(rs, d.replicas(), max);
        if !size_needs_update && !annotations_need_update {
            return (false, rs.clone());
        }
        let mut copy = ReplicaSet::clone(rs);
        copy.spec.replicas = Some(new_scale);
        util::set_replicas_annotations(&mut copy, d.replicas(), max);
        (size_needs_update, self.update_rs(copy))
    }

    /// `cleanupDeployment`: deletes old sets beyond revisionHistoryLimit, lowest revision first,
    /// skipping any that still has replicas, unobserved changes, or a deletionTimestamp.
    pub(super) fn cleanup_deployment(&mut self, old: &[Rs], d: &Deployment) {
        let Some(limit) = d
            .spec
            .revision_history_limit
            .filter(|_| util::has_revision_history_limit(d))
        else {
            return;
        };
        let mut cleanable: Vec<Rs> = old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .cloned()
            .collect();
        let diff = cleanable.len() as i64 - i64::from(limit);
        if diff <= 0 {
            return;
        }
        cleanable.sort_by(|a, b| util::by_revision(a, b));
        for rs in cleanable.iter().take(diff as usize) {
            let busy = rs.status.replicas != 0
                || rs.replicas() != 0
                || rs.metadata.generation > rs.status.observed_generation
                || rs.metadata.deletion_timestamp.is_some();
            if !busy {
                self.delete_rs(rs);
            }
        }
    }

    /// `syncDeploymentStatus`: writes the calculated status when it changed.
    pub(super) fn sync_deployment_status(
        &mut self,
        all: &[Rs],
        new_rs: Option<&Rs>,
        d: &mut Deployment,
    ) {
        let status = calculate_status(all, new_rs, d, self.now_time());
        if d.status == status {
            return;
        }
        d.status = status;
        self.update_status(d, true);
    }

    /// `isScalingEvent`: an active set's desired-replicas annotation differs from the
    /// Deployment's replicas.
    pub(super) fn is_scaling_event(&mut self, d: &mut Deployment, rs_list: &[Rs]) -> Step<bool> {
        let (new_rs, old) = self.get_all_replica_sets_and_sync_revision(d, rs_list, false)?;
        let all = with_new(&old, new_rs.as_ref());
        Ok(util::filter_active(&all)
            .iter()
            .any(|rs| util::desired_replicas_annotation(rs).is_some_and(|n| n != d.replicas())))
    }
}

/// The ReplicaSet `getNewReplicaSet` creates: named `<deployment>-<pod-template-hash>`, the hash
/// label on its selector, labels and template, controlled by the Deployment, with
/// `NewRSNewReplicas` replicas and the revision and replicas annotations.
fn new_replica_set(d: &Deployment, old: &[Rs], new_revision: &str) -> Step<ReplicaSet> {
    let hash = util::compute_hash(&d.spec.template, d.status.collision_count);
    let mut template = d.spec.template.clone();
    template.metadata.labels = util::clone_and_add_label(
        &d.spec.template.metadata.labels,
        util::POD_TEMPLATE_HASH_LABEL,
        &hash,
    );
    let mut rs = ReplicaSet::default();
    rs.metadata.name = format!("{}-{hash}", d.metadata.name);
    rs.metadata.namespace = d.metadata.namespace.clone();
    rs.metadata.owner_references = vec![util::controller_ref(d)];
    rs.metadata.labels = template.metadata.labels.clone();
    rs.spec = ReplicaSetSpec {
        replicas: Some(0),
        min_ready_seconds: d.spec.min_ready_seconds,
        selector: util::clone_selector_and_add_label(
            &d.spec.selector,
            util::POD_TEMPLATE_HASH_LABEL,
            &hash,
        ),
        template,
    };
    let all = with_new(old, Some(&Arc::new(rs.clone())));
    let replicas = util::new_rs_new_replicas(d, &all, &rs).map_err(|_| Stop::Error)?;
    rs.spec.replicas = Some(replicas);
    util::set_new_replica_set_annotations(
        d,
        &mut rs,
        new_revision,
        false,
        util::MAX_REV_HISTORY_LENGTH_IN_CHARS,
    );
    Ok(rs)
}
