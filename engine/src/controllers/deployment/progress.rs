//! Rollout progress: the Progressing condition and the progress deadline
//! (pkg/controller/deployment/progress.go).

use super::sync::calculate_status;
use super::util::{self, Rs};
use super::{DeploymentController, Requeue};
use crate::api::deployment::DeploymentStatus;
use crate::api::Deployment;
use crate::sim::SimDuration;

impl DeploymentController {
    /// `syncRolloutStatus`: the status with Progressing set to NewReplicaSetAvailable (complete),
    /// ReplicaSetUpdated (progress since the last status) or ProgressDeadlineExceeded (no progress
    /// for progressDeadlineSeconds); written when it changed, else a progress check is queued.
    pub(super) fn sync_rollout_status(
        &mut self,
        all: &[Rs],
        new_rs: Option<&Rs>,
        d: &mut Deployment,
    ) {
        let mut status = calculate_status(all, new_rs, d, self.now_time());
        if !util::has_progress_deadline(d) {
            util::remove_condition(&mut status, util::PROGRESSING);
        }
        let current = util::get_condition(&d.status, util::PROGRESSING).cloned();
        let complete = status.replicas == status.updated_replicas
            && current
                .as_ref()
                .is_some_and(|c| c.reason == util::NEW_RS_AVAILABLE_REASON);
        if util::has_progress_deadline(d) && !complete {
            self.estimate_progress(d, new_rs, current, &mut status);
        }
        // getReplicaFailures finds nothing: ReplicaSet status has no conditions here.
        util::remove_condition(&mut status, util::REPLICA_FAILURE);
        if d.status == status {
            self.requeue_stuck_deployment(d, &status);
            return;
        }
        d.status = status;
        self.update_status(d, true);
    }

    /// The `switch` of `syncRolloutStatus`.
    fn estimate_progress(
        &self,
        d: &Deployment,
        new_rs: Option<&Rs>,
        current: Option<crate::api::deployment::DeploymentCondition>,
        status: &mut DeploymentStatus,
    ) {
        let subject = match new_rs {
            Some(rs) => format!("ReplicaSet {:?}", rs.metadata.name),
            None => format!("Deployment {:?}", d.metadata.name),
        };
        let now = self.now_time();
        if util::deployment_complete(d, status) {
            let msg = format!("{subject} has successfully progressed.");
            let c = util::new_condition(
                util::PROGRESSING,
                "True",
                util::NEW_RS_AVAILABLE_REASON,
                msg,
                now,
            );
            util::set_condition(status, c);
        } else if util::deployment_progressing(d, status) {
            let msg = format!("{subject} is progressing.");
            let mut c = util::new_condition(
                util::PROGRESSING,
                "True",
                util::REPLICA_SET_UPDATED_REASON,
                msg,
                now,
            );
            if let Some(cur) = current {
                if cur.status == "True" {
                    c.last_transition_time = cur.last_transition_time;
                }
                util::remove_condition(status, util::PROGRESSING);
            }
            util::set_condition(status, c);
        } else if util::deployment_timed_out(d, status, self.now) {
            let msg = format!("{subject} has timed out progressing.");
            let c =
                util::new_condition(util::PROGRESSING, "False", util::TIMED_OUT_REASON, msg, now);
            util::set_condition(status, c);
        }
    }

    /// `requeueStuckDeployment`: a rollout without progress is synced again when its deadline
    /// passes (lastUpdateTime + progressDeadlineSeconds, plus 1 s), or now (rate-limited) when
    /// less than a second remains. Returns the wait (`None`: no requeue), as upstream does.
    pub(super) fn requeue_stuck_deployment(
        &mut self,
        d: &Deployment,
        status: &DeploymentStatus,
    ) -> Option<SimDuration> {
        let current = util::get_condition(&d.status, util::PROGRESSING)?;
        if !util::has_progress_deadline(d)
            || util::deployment_complete(d, status)
            || current.reason == util::TIMED_OUT_REASON
        {
            return None;
        }
        let last = current.last_update_time.map_or(0, |t| t.0 .0 as i64);
        let deadline = i64::from(d.spec.progress_deadline_seconds.unwrap_or(0)) * 1_000_000;
        let after = last + deadline - self.now.0 as i64;
        if after < 1_000_000 {
            self.requeue = Some(Requeue::RateLimited);
            return Some(SimDuration::ZERO);
        }
        self.requeue = Some(Requeue::After(SimDuration((after + 1_000_000) as u64)));
        Some(SimDuration(after as u64))
    }
}
