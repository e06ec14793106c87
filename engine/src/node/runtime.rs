//! The container runtime (CRI: containerd, CRI-O) of one node: how long it takes to start a
//! pod's sandbox and containers, and which images it already has.
//! Models the kubelet's use of the CRI (pkg/kubelet/kuberuntime/kuberuntime_manager.go SyncPod:
//! create the sandbox, then for each container pull the image if absent, create, start).

use crate::api::Pod;
use crate::sim::{Latency, SimDuration, SimRng};
use std::collections::BTreeSet;

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
        }
    }
}

fn draw(l: &Latency, rng: &mut SimRng) -> SimDuration {
    SimDuration(rng.uniform(l.min.0, l.max.0))
}

/// One node's runtime: its configuration and image cache.
#[derive(Clone, Debug)]
pub struct ContainerRuntime {
    pub config: RuntimeConfig,
    images: BTreeSet<String>,
}

impl ContainerRuntime {
    pub fn new(config: RuntimeConfig, images: impl IntoIterator<Item = String>) -> Self {
        ContainerRuntime {
            config,
            images: images.into_iter().collect(),
        }
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
    pub fn start_pod(&mut self, pod: &Pod, rng: &mut SimRng) -> SimDuration {
        let mut total = draw(&self.config.sandbox, rng);
        for c in pod.spec.init_containers.iter().chain(&pod.spec.containers) {
            if !self.images.contains(&c.image) {
                total = total + draw(&self.config.image_pull, rng);
                self.images.insert(c.image.clone());
            }
            total = total + draw(&self.config.create, rng) + draw(&self.config.start, rng);
        }
        total
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
        for (name, p, want_ms) in cases {
            assert_eq!(
                rt.start_pod(&p, &mut rng),
                SimDuration::from_millis(want_ms),
                "{name}"
            );
        }
        assert!(rt.has_image("redis:7"));
    }
}
