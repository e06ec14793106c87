//! Client-side rate limiting: a token bucket of `qps` tokens per second holding at most
//! `burst`, starting full (client-go flowcontrol.NewTokenBucketRateLimiter, over
//! golang.org/x/time/rate). Kept exactly in integer microseconds as the equivalent generic cell
//! rate algorithm: each request takes one emission interval; a request waits while the bucket
//! is more than `burst - 1` intervals behind.

use crate::sim::{SimDuration, SimTime};

/// `--kube-api-qps` / `--kube-api-burst` of one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub qps: u32,
    pub burst: u32,
}

impl RateLimit {
    /// kube-controller-manager's default, per controller client: 20 QPS, burst 30.
    pub const CONTROLLER_MANAGER: RateLimit = RateLimit { qps: 20, burst: 30 };
    /// kube-scheduler's default: 50 QPS, burst 100.
    pub const SCHEDULER: RateLimit = RateLimit {
        qps: 50,
        burst: 100,
    };
    /// kubelet's default (`kubeAPIQPS`, `kubeAPIBurst`): 50 QPS, burst 100.
    pub const KUBELET: RateLimit = RateLimit {
        qps: 50,
        burst: 100,
    };
}

/// A token bucket.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    interval: u64,
    tolerance: u64,
    /// Theoretical arrival time of the next request.
    tat: SimTime,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let interval = 1_000_000 / u64::from(limit.qps.max(1));
        RateLimiter {
            interval,
            tolerance: interval * u64::from(limit.burst.max(1) - 1),
            tat: SimTime::ZERO,
        }
    }

    /// Takes a token for a request made at `now`; returns how long it must wait.
    pub fn reserve(&mut self, now: SimTime) -> SimDuration {
        let tat = self.tat.max(now);
        let allowed_at = SimTime(tat.0.saturating_sub(self.tolerance));
        let wait = allowed_at.since(now);
        self.tat = tat + SimDuration(self.interval);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(limit: RateLimit, times_ms: &[u64]) -> Vec<u64> {
        let mut r = RateLimiter::new(limit);
        times_ms
            .iter()
            .map(|t| r.reserve(SimTime(t * 1000)).as_micros() / 1000)
            .collect()
    }

    #[test]
    fn burst_then_qps() {
        // 20 QPS, burst 30: 30 at once, then one every 50 ms.
        let at_zero = vec![0; 33];
        let w = waits(RateLimit::CONTROLLER_MANAGER, &at_zero);
        assert!(w[..30].iter().all(|&x| x == 0), "{w:?}");
        assert_eq!(&w[30..], [50, 100, 150]);
    }

    #[test]
    fn bucket_refills_while_idle() {
        let limit = RateLimit { qps: 10, burst: 2 };
        // Two at once, a third waits 100 ms; after a second idle the bucket is full again.
        assert_eq!(
            waits(limit, &[0, 0, 0, 1300, 1300, 1300]),
            [0, 0, 100, 0, 0, 100]
        );
    }

    #[test]
    fn five_hundred_creations_take_about_twenty_four_seconds() {
        let w = waits(RateLimit::CONTROLLER_MANAGER, &[0; 500]);
        // (500 - 30) x 50 ms.
        assert_eq!(*w.last().unwrap(), 23_500);
    }
}
