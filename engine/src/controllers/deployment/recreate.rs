//! The Recreate strategy (pkg/controller/deployment/recreate.go), as upstream runs it without
//! a podReplacementPolicy.

use super::sync::with_new;
use super::util::{self, Rs};
use super::{DeploymentController, Step};
use crate::api::Deployment;

impl DeploymentController {
    /// `rolloutRecreate`: scale every old set to 0, wait until none of their pods runs, then
    /// create (if needed) and scale up the new set.
    pub(super) fn rollout_recreate(&mut self, d: &mut Deployment, rs_list: &[Rs]) -> Step<()> {
        let (mut new_rs, mut old) =
            self.get_all_replica_sets_and_sync_revision(d, rs_list, false)?;
        let mut all = with_new(&old, new_rs.as_ref());
        let mut active_old = util::filter_active(&old);
        if self.scale_down_old_replica_sets_for_recreate(&mut active_old, d) {
            self.sync_rollout_status(&all, new_rs.as_ref(), d);
            return Ok(());
        }
        if self.old_pods_running(d, new_rs.as_ref(), &old, rs_list) {
            self.sync_rollout_status(&all, new_rs.as_ref(), d);
            return Ok(());
        }
        if new_rs.is_none() {
            (new_rs, old) = self.get_all_replica_sets_and_sync_revision(d, rs_list, true)?;
            all = with_new(&old, new_rs.as_ref());
        }
        if let Some(rs) = &new_rs {
            self.scale_replica_set_and_record_event(rs, d.replicas(), d);
        }
        if util::deployment_complete(d, &d.status) {
            self.cleanup_deployment(&old, d);
        }
        self.sync_rollout_status(&all, new_rs.as_ref(), d);
        Ok(())
    }

    /// `scaleDownOldReplicaSetsForRecreate`: every active old set to 0; whether any was scaled.
    fn scale_down_old_replica_sets_for_recreate(&mut self, old: &mut [Rs], d: &Deployment) -> bool {
        let mut scaled = false;
        for rs in old.iter_mut() {
            if rs.replicas() == 0 {
                continue;
            }
            let (did, updated) = self.scale_replica_set_and_record_event(rs, 0, d);
            if did {
                *rs = updated;
                scaled = true;
            }
        }
        scaled
    }

    /// `oldPodsRunning`: an old set reports replicas, or a pod of a set other than the new one
    /// is not Succeeded or Failed (pods being deleted count until they are gone).
    fn old_pods_running(
        &self,
        d: &Deployment,
        new_rs: Option<&Rs>,
        old: &[Rs],
        rs_list: &[Rs],
    ) -> bool {
        if util::actual_replica_count(old) > 0 {
            return true;
        }
        let new_uid = new_rs.map(|rs| rs.metadata.uid.as_str());
        rs_list
            .iter()
            .filter(|rs| Some(rs.metadata.uid.as_str()) != new_uid)
            .any(|rs| self.pods_of(d, rs).any(|p| !p.is_terminal()))
    }
}
