//! The container runtime (CRI: containerd, CRI-O) of one node: how long it takes to start a
//! pod's sandbox and containers, and which images it already has.
//! Models the kubelet's use of the CRI (pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod:
//! create the sandbox, then for each container pull the image if absent, create, start).
//! Pulls can fail (pkg/kubelet/images/image_manager.go EnsureImageExists: ErrImagePull), either
//! because the pod asks for it (`kubesim.io/image-pull-error: "true"`, every pull fails, even of
//! an image already on the node) or because a `FailImagePull` fault covers the image now.

use crate::api::Pod;
use crate::sim::{Latency, SimDuration, SimRng, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// Latencies of the runtime's operations, each drawn uniformly from its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// RunPodSandbox (network and pause container).
    pub sandbox: Latency,
    /// PullImage when the image is not on the node.
    pub image_pull: Latency,
    /// CreateContainer.
    pub create: Latency,
    /// StartContainer.
    pub start: Latency,
    /// StopContainer after SIGTERM (capped by the pod's grace period).
    pub stop: Latency,
    /// Image sizes in bytes; a pull of a listed image also takes size / `pull_bandwidth`.
    pub image_sizes: BTreeMap<String, u64>,
    /// Bytes per second a node downloads; 0 when sizes are not modelled.
    pub pull_bandwidth: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        let ms = SimDuration::from_millis;
        RuntimeConfig {
            sandbox: Latency {
                min: ms(200),
                max: ms(600),
            },
            image_pull: Latency {
                min: ms(1_000),
                max: ms(4_000),
            },
            create: Latency {
                min: ms(20),
                max: ms(80),
            },
            start: Latency {
                min: ms(30),
                max: ms(120),
            },
            stop: Latency {
                min: ms(50),
                max: ms(300),
            },
            image_sizes: BTreeMap::new(),
            pull_bandwidth: 0,
        }
    }
}

fn draw(l: &Latency, rng: &mut SimRng) -> SimDuration {
    SimDuration(rng.uniform(l.min.0, l.max.0))
}

impl RuntimeConfig {
    /// A pull of `image`: the drawn `image_pull` latency (registry round trips, unpacking) plus,
    /// for an image of known size, its download at `pull_bandwidth`.
    fn pull_time(&self, image: &str, rng: &mut SimRng) -> SimDuration {
        let base = draw(&self.image_pull, rng);
        match self.image_sizes.get(image) {
            Some(&bytes) if self.pull_bandwidth > 0 => {
                let us = u128::from(bytes) * 1_000_000 / u128::from(self.pull_bandwidth);
                base + SimDuration(u64::try_from(us).unwrap_or(u64::MAX))
            }
            _ => base,
        }
    }
}

/// One node's runtime: its configuration and image cache.
#[derive(Clone, Debug)]
pub struct ContainerRuntime {
    pub config: RuntimeConfig,
    images: BTreeSet<String>,
    /// When each pulled image is (or will be) on the node.
    pulled_at: BTreeMap<String, SimTime>,
    last_pull_end: SimTime,
    /// Pulls of these images fail until then (the `FailImagePull` fault).
    failing: BTreeMap<String, SimTime>,
}

/// A pull failed: when (from the call's `now`) and which image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullFailure {
    pub after: SimDuration,
    pub image: String,
}

impl ContainerRuntime {
    pub fn new(config: RuntimeConfig, images: impl IntoIterator<Item = String>) -> Self {
        ContainerRuntime {
            config,
            images: images.into_iter().collect(),
            pulled_at: BTreeMap::new(),
            last_pull_end: SimTime::ZERO,
            failing: BTreeMap::new(),
        }
    }

    /// Pulls of `image` fail until `until`.
    pub fn fail_pulls(&mut self, image: &str, until: SimTime) {
        self.failing.insert(image.to_string(), until);
    }

    fn pull_fails(&self, image: &str, at: SimTime) -> bool {
        self.failing.get(image).is_some_and(|u| at < *u)
    }

    /// Time to create and start the pod's containers again (sandbox and images already there).
    pub fn restart_containers(&self, pod: &Pod, rng: &mut SimRng) -> SimDuration {
        pod.spec.containers.iter().fold(SimDuration::ZERO, |t, _| {
            t + draw(&self.config.create, rng) + draw(&self.config.start, rng)
        })
    }

    /// Like `start_pod`, but a pull can fail: with `always_fail` every image is pulled and the
    /// pull fails; otherwise a pull of an image that a `FailImagePull` fault covers at the
    /// pull's start fails. The failed image is not cached. `sandbox` false: the sandbox exists
    /// (a retry after ImagePullBackOff).
    pub fn try_start_pod(
        &mut self,
        pod: &Pod,
        now: SimTime,
        sandbox: bool,
        always_fail: bool,
        rng: &mut SimRng,
    ) -> Result<SimDuration, PullFailure> {
        let mut t = now;
        if sandbox {
            t += draw(&self.config.sandbox, rng);
        }
        for c in pod.spec.init_containers.iter().chain(&pod.spec.containers) {
            let cached = self.pulled_at.get(&c.image).copied();
            let present = cached.is_some() || self.images.contains(&c.image);
            if always_fail || (!present && self.pull_fails(&c.image, t.max(self.last_pull_end))) {
                let start = t.max(self.last_pull_end);
                let done = start + self.config.pull_time(&c.image, rng);
                self.last_pull_end = done;
                return Err(PullFailure {
                    after: done.since(now),
                    image: c.image.clone(),
                });
            }
            match cached {
                Some(ready) => t = t.max(ready),
                None if present => {}
                None => {
                    let start = t.max(self.last_pull_end);
                    let done = start + self.config.pull_time(&c.image, rng);
                    self.last_pull_end = done;
                    self.pulled_at.insert(c.image.clone(), done);
                    self.images.insert(c.image.clone());
                    t = done;
                }
            }
            t = t + draw(&self.config.create, rng) + draw(&self.config.start, rng);
        }
        Ok(t.since(now))
    }

    pub fn has_image(&self, image: &str) -> bool {
        self.images.contains(image)
    }

    pub fn images(&self) -> impl Iterator<Item = &String> {
        self.images.iter()
    }

    /// Time to stop every container of the pod (they stop in parallel: the slowest counts).
    pub fn stop_pod(&self, pod: &Pod, rng: &mut SimRng) -> SimDuration {
        pod.spec
            .containers
            .iter()
            .map(|_| draw(&self.config.stop, rng))
            .max()
            .unwrap_or(SimDuration::ZERO)
    }

    /// Time from the kubelet's SyncPod to every container running: sandbox, then init and
    /// regular containers in order (pull if absent, create, start). Pulled images are cached.
    /// Pulls are serialized (kubelet `serializeImagePulls`, default true): a pull starts when
    /// the previous one ends, and a container whose image is being pulled waits for it.
    pub fn start_pod(&mut self, pod: &Pod, now: SimTime, rng: &mut SimRng) -> SimDuration {
        match self.try_start_pod(pod, now, true, false, rng) {
            Ok(d) => d,
            Err(f) => f.after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Container;

    fn pod(images: &[&str]) -> Pod {
        let mut p = Pod::default();
        for (i, im) in images.iter().enumerate() {
            p.spec.containers.push(Container {
                name: format!("c{i}"),
                image: im.to_string(),
                ..Default::default()
            });
        }
        p
    }

    fn fixed(ms: u64) -> Latency {
        Latency::fixed(SimDuration::from_millis(ms))
    }

    #[test]
    fn pull_only_when_absent() {
        let cfg = RuntimeConfig {
            sandbox: fixed(100),
            image_pull: fixed(1000),
            create: fixed(10),
            start: fixed(20),
            stop: fixed(5),
            ..RuntimeConfig::default()
        };
        let mut rt = ContainerRuntime::new(cfg, ["cached:1".to_string()]);
        let mut rng = SimRng::new(1, 1);
        let cases = [
            ("cached image", pod(&["cached:1"]), 100 + 30),
            ("new image pulled", pod(&["nginx:1.27"]), 100 + 1000 + 30),
            ("now cached", pod(&["nginx:1.27"]), 100 + 30),
            (
                "two containers, one pull",
                pod(&["nginx:1.27", "redis:7"]),
                100 + 30 + 1000 + 30,
            ),
        ];
        for (i, (name, p, want_ms)) in cases.into_iter().enumerate() {
            // Each pod starts long after the previous one's pulls finished.
            let now = SimTime(i as u64 * 60_000_000);
            let got = rt.start_pod(&p, now, &mut rng);
            assert_eq!(got, SimDuration::from_millis(want_ms), "{name}");
        }
        assert!(rt.has_image("redis:7"));
    }

    /// Pull time = drawn latency + size / bandwidth, for images of known size only.
    #[test]
    fn pull_time_adds_size_over_bandwidth() {
        let mut sized = RuntimeConfig {
            image_pull: fixed(1000),
            ..RuntimeConfig::default()
        };
        sized.image_sizes.insert("big:1".into(), 100 << 20);
        let cases = [
            ("no bandwidth: size ignored", 0, "big:1", 1000),
            ("100Mi at 50Mi/s", 50 << 20, "big:1", 3000),
            ("100Mi at 1Gi/s", 1 << 30, "big:1", 1000 + 97),
            ("size unknown", 50 << 20, "small:1", 1000),
        ];
        let mut rng = SimRng::new(1, 1);
        for (name, bw, image, ms) in cases {
            sized.pull_bandwidth = bw;
            let got = sized.pull_time(image, &mut rng);
            assert_eq!(got.as_micros() / 1000, ms, "{name}");
        }
    }

    #[test]
    fn pulls_are_serialized_and_shared() {
        let cfg = RuntimeConfig {
            sandbox: fixed(100),
            image_pull: fixed(1000),
            create: fixed(10),
            start: fixed(20),
            stop: fixed(5),
            ..RuntimeConfig::default()
        };
        let mut rt = ContainerRuntime::new(cfg, []);
        let mut rng = SimRng::new(1, 1);
        let t0 = SimTime(0);
        // Pulling a: 100..1100 ms, then create + start.
        assert_eq!(
            rt.start_pod(&pod(&["a"]), t0, &mut rng),
            SimDuration::from_millis(1130)
        );
        // Same image while it is being pulled: waits for that pull, no second pull.
        assert_eq!(
            rt.start_pod(&pod(&["a"]), t0, &mut rng),
            SimDuration::from_millis(1130)
        );
        // Another image: its pull starts after a's ends (1100..2100 ms).
        assert_eq!(
            rt.start_pod(&pod(&["b"]), t0, &mut rng),
            SimDuration::from_millis(2130)
        );
    }

    #[test]
    fn failing_pulls() {
        let cfg = RuntimeConfig {
            sandbox: fixed(100),
            image_pull: fixed(1000),
            create: fixed(10),
            start: fixed(20),
            stop: fixed(5),
            ..RuntimeConfig::default()
        };
        let mut rt = ContainerRuntime::new(cfg, ["cached:1".to_string()]);
        let mut rng = SimRng::new(1, 1);
        let s = |x: u64| SimTime(x * 1_000_000);
        rt.fail_pulls("bad:1", s(100));
        rt.fail_pulls("cached:1", s(100));
        let fail = |ms: u64, image: &str| {
            Err(PullFailure {
                after: SimDuration::from_millis(ms),
                image: image.into(),
            })
        };
        // (name, image, now, sandbox, always_fail, want)
        let cases = [
            (
                "fault: pull fails",
                "bad:1",
                s(10),
                true,
                false,
                fail(1100, "bad:1"),
            ),
            (
                "retry, no sandbox",
                "bad:1",
                s(20),
                false,
                false,
                fail(1000, "bad:1"),
            ),
            (
                "cached image: no pull",
                "cached:1",
                s(30),
                true,
                false,
                Ok(SimDuration::from_millis(130)),
            ),
            (
                "annotation: even cached fails",
                "cached:1",
                s(40),
                true,
                true,
                fail(1100, "cached:1"),
            ),
            (
                "fault over: pulled",
                "bad:1",
                s(100),
                false,
                false,
                Ok(SimDuration::from_millis(1030)),
            ),
            (
                "then cached",
                "bad:1",
                s(200),
                true,
                false,
                Ok(SimDuration::from_millis(130)),
            ),
        ];
        for (name, image, now, sandbox, always, want) in cases {
            let got = rt.try_start_pod(&pod(&[image]), now, sandbox, always, &mut rng);
            assert_eq!(got, want, "{name}");
        }
        // Restart: create + start per container.
        assert_eq!(
            rt.restart_containers(&pod(&["a", "b"]), &mut rng),
            SimDuration::from_millis(60)
        );
    }
}
