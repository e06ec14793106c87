//! The RollingUpdate strategy (pkg/controller/deployment/rolling.go).

use super::sync::with_new;
use super::util::{self, Rs};
use super::{DeploymentController, Step, Stop};
use crate::api::Deployment;

impl DeploymentController {
    /// `rolloutRolling`: scale the new set up within maxSurge, else the old ones down within
    /// maxUnavailable; clean up old sets once complete; then the rollout status.
    pub(super) fn rollout_rolling(&mut self, d: &mut Deployment, rs_list: &[Rs]) -> Step<()> {
        let (new_rs, old) = self.get_all_replica_sets_and_sync_revision(d, rs_list, true)?;
        let new_rs = new_rs.ok_or(Stop::Error)?;
        let all = with_new(&old, Some(&new_rs));
        if self.reconcile_new_replica_set(&all, &new_rs, d)? {
            self.sync_rollout_status(&all, Some(&new_rs), d);
            return Ok(());
        }
        if self.reconcile_old_replica_sets(&all, util::filter_active(&old), &new_rs, d) {
            self.sync_rollout_status(&all, Some(&new_rs), d);
            return Ok(());
        }
        if util::deployment_complete(d, &d.status) {
            self.cleanup_deployment(&old, d);
        }
        self.sync_rollout_status(&all, Some(&new_rs), d);
        Ok(())
    }

    /// `reconcileNewReplicaSet`: scale the new set down to replicas, or up to `NewRSNewReplicas`.
    pub(super) fn reconcile_new_replica_set(
        &mut self,
        all: &[Rs],
        new_rs: &Rs,
        d: &Deployment,
    ) -> Step<bool> {
        if new_rs.replicas() == d.replicas() {
            return Ok(false);
        }
        if new_rs.replicas() > d.replicas() {
            return Ok(self
                .scale_replica_set_and_record_event(new_rs, d.replicas(), d)
                .0);
        }
        let count = util::new_rs_new_replicas(d, all, new_rs).map_err(|_| Stop::Error)?;
        Ok(self.scale_replica_set_and_record_event(new_rs, count, d).0)
    }

    /// `reconcileOldReplicaSets`: scales old sets down by at most
    /// all - (replicas - maxUnavailable) - unavailable pods of the new set: unhealthy replicas
    /// first, then available ones while the available pods stay above the minimum.
    pub(super) fn reconcile_old_replica_sets(
        &mut self,
        all: &[Rs],
        old: Vec<Rs>,
        new_rs: &Rs,
        d: &Deployment,
    ) -> bool {
        if util::replica_count(&old) == 0 {
            return false;
        }
        let all_pods = util::replica_count(all);
        let min_available = d.replicas() - util::max_unavailable(d);
        let new_unavailable = new_rs.replicas() - new_rs.status.available_replicas;
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        let Ok((old, cleaned)) = self.cleanup_unhealthy_replicas(old, d, max_scaled_down) else {
            return false;
        };
        let all = with_new(&old, Some(new_rs));
        let Ok(scaled) = self.scale_down_old_replica_sets_for_rolling_update(&all, old, d) else {
            return false;
        };
        cleaned + scaled > 0
    }

    /// `cleanupUnhealthyReplicas`: scales old sets (oldest first) down by their unavailable
    /// replicas, at most `max_cleanup` in all; returns the sets as updated and the count.
    pub(super) fn cleanup_unhealthy_replicas(
        &mut self,
        mut old: Vec<Rs>,
        d: &Deployment,
        max_cleanup: i32,
    ) -> Result<(Vec<Rs>, i32), String> {
        util::sort_by_creation(&mut old);
        let mut total = 0;
        for slot in old.iter_mut() {
            if total >= max_cleanup {
                break;
            }
            let rs = slot.clone();
            let unhealthy = rs.replicas() - rs.status.available_replicas;
            if rs.replicas() == 0 || unhealthy == 0 {
                continue;
            }
            let count = (max_cleanup - total).min(unhealthy);
            let new_count = rs.replicas() - count;
            if new_count > rs.replicas() {
                return Err(format!(
                    "when cleaning up unhealthy replicas, got invalid request to scale down {}/{} {} -> {new_count}",
                    rs.metadata.namespace, rs.metadata.name, rs.replicas()
                ));
            }
            let (_, updated) = self.scale_replica_set_and_record_event(&rs, new_count, d);
            total += count;
            *slot = updated;
        }
        Ok((old, total))
    }

    /// `scaleDownOldReplicaSetsForRollingUpdate`: scales old sets (oldest first) down by the
    /// available pods above replicas - maxUnavailable; returns the count.
    pub(super) fn scale_down_old_replica_sets_for_rolling_update(
        &mut self,
        all: &[Rs],
        mut old: Vec<Rs>,
        d: &Deployment,
    ) -> Result<i32, String> {
        let min_available = d.replicas() - util::max_unavailable(d);
        let available = util::available_replica_count(all);
        if available <= min_available {
            return Ok(0);
        }
        util::sort_by_creation(&mut old);
        let target = available - min_available;
        let mut total = 0;
        for rs in &old {
            if total >= target {
                break;
            }
            if rs.replicas() == 0 {
                continue;
            }
            let count = rs.replicas().min(target - total);
            let new_count = rs.replicas() - count;
            if new_count > rs.replicas() {
                return Err(format!(
                    "when scaling down old RS, got invalid request to scale down {}/{} {} -> {new_count}",
                    rs.metadata.namespace, rs.metadata.name, rs.replicas()
                ));
            }
            self.scale_replica_set_and_record_event(rs, new_count, d);
            total += count;
        }
        Ok(total)
    }
}
