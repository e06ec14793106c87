//! ImageLocality score: nodes that already have the pod's images score higher, each image
//! counting its size scaled by the share of nodes that have it. Models
//! pkg/scheduler/framework/plugins/imagelocality/image_locality.go (images of init
//! containers and containers; kubesim has no image volumes).

use crate::api::Pod;
use crate::scheduler::framework::{
    normalized_image_name, CycleState, NodeInfo, Plugin, PodInfo, ScorePlugin, MAX_NODE_SCORE,
};
use crate::scheduler::node_images::NodeImages;
use crate::scheduler::plugin_cache::PluginCache;
use crate::scheduler::snapshot::Snapshot;
use std::collections::BTreeMap;

pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
/// `minThreshold`: below this sum a node scores 0.
const MIN_THRESHOLD: i64 = 23 * MB;
/// `maxContainerThreshold`: per container, the sum that scores 100.
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// The ImageLocality plugin.
#[derive(Clone, Debug, Default)]
pub struct ImageLocality {
    sizes: PluginCache<SizeCache>,
}

/// Per pod image (hash and name), each node slot's size of it (None: not on the node) with
/// the id of the node's images it was read from; read again when the node's images change.
#[derive(Debug, Default)]
struct SizeCache(BTreeMap<(u64, String), Vec<SlotSize>>);

/// (id of the node's images, the size read from them).
type SlotSize = (u64, Option<i64>);

/// Images kept at most; past that the cache starts over.
const MAX_CACHED_IMAGES: usize = 256;

impl Plugin for ImageLocality {
    fn name(&self) -> &str {
        NAME
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(ImageLocality::default()))
}

/// `calculatePriority`: the sum clamped to [minThreshold, maxContainerThreshold x
/// containers], scaled linearly to 0..=MaxNodeScore.
fn calculate_priority(sum_scores: i64, num_containers: usize) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers as i64;
    let sum = if sum_scores < MIN_THRESHOLD {
        MIN_THRESHOLD
    } else if sum_scores > max_threshold {
        max_threshold
    } else {
        sum_scores
    };
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

/// `scaledImageScore`: size x (nodes with the image / all nodes), in float64 as upstream,
/// truncated to int64.
fn scaled_image_score(size: i64, num_nodes: usize, total_num_nodes: usize) -> i64 {
    let spread = num_nodes as f64 / total_num_nodes as f64;
    (size as f64 * spread) as i64
}

/// The pod's images (init containers, then containers; an image used twice counts twice):
/// the hash of the normalized name, the number of nodes that have it, the name.
fn pod_images(pod: &Pod, snapshot: &Snapshot) -> Vec<(u64, usize, String)> {
    pod.spec
        .init_containers
        .iter()
        .chain(&pod.spec.containers)
        .map(|c| {
            let name = normalized_image_name(&c.image);
            let n = snapshot.num_nodes_with_image(&name);
            (NodeImages::hash(&name), n, name)
        })
        .collect()
}

/// `sumImageScores`: the scaled scores of the node's images among `images` (pod_images).
fn sum_image_scores(node: &NodeInfo, images: &[(u64, usize, String)], total: usize) -> i64 {
    if node.images.is_empty() {
        return 0;
    }
    images
        .iter()
        .filter_map(|(hash, num_nodes, name)| {
            let size = node.images.get_hashed(*hash, name)?;
            Some(scaled_image_score(size, *num_nodes, total))
        })
        .sum()
}

impl ScorePlugin for ImageLocality {
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo, snapshot: &Snapshot) -> i64 {
        let pod = pod.pod();
        let sum = sum_image_scores(node, &pod_images(pod, snapshot), snapshot.len());
        calculate_priority(
            sum,
            pod.spec.init_containers.len() + pod.spec.containers.len(),
        )
    }

    fn score_nodes(
        &self,
        _: &CycleState,
        pod: &PodInfo,
        nodes: &[&NodeInfo],
        snapshot: &Snapshot,
        out: &mut Vec<i64>,
    ) {
        let pod = pod.pod();
        let containers = pod.spec.init_containers.len() + pod.spec.containers.len();
        // A node without images sums to 0.
        let without_images = calculate_priority(0, containers);
        if nodes.iter().all(|n| n.images.is_empty()) {
            out.extend(nodes.iter().map(|_| without_images));
            return;
        }
        let images = pod_images(pod, snapshot);
        let total = snapshot.len();
        // sumImageScores node by node, image by image; the snapshot's own nodes read their
        // sizes from the cache.
        let slots: Vec<Option<usize>> = nodes.iter().map(|n| snapshot.slot_of(n)).collect();
        let mut sums = vec![0i64; nodes.len()];
        let mut cache = self.sizes.lock();
        if cache.0.len() > MAX_CACHED_IMAGES {
            cache.0.clear();
        }
        for (hash, num_nodes, name) in &images {
            let by_slot = cache.0.entry((*hash, name.clone())).or_default();
            for (j, n) in nodes.iter().enumerate() {
                if n.images.is_empty() {
                    continue;
                }
                let size = match slots[j] {
                    Some(k) => {
                        if by_slot.len() <= k {
                            by_slot.resize(k + 1, (0, None));
                        }
                        let id = n.images.id();
                        if by_slot[k].0 != id {
                            by_slot[k] = (id, n.images.get_hashed(*hash, name));
                        }
                        by_slot[k].1
                    }
                    None => n.images.get_hashed(*hash, name),
                };
                if let Some(size) = size {
                    sums[j] += scaled_image_score(size, *num_nodes, total);
                }
            }
        }
        drop(cache);
        out.extend(nodes.iter().zip(&sums).map(|(n, &sum)| {
            if n.images.is_empty() {
                without_images
            } else {
                calculate_priority(sum, containers)
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::ContainerImage;
    use crate::api::{Container, Node};

    fn image(names: &[&str], mb: i64) -> ContainerImage {
        ContainerImage {
            names: names.iter().map(|s| s.to_string()).collect(),
            size_bytes: mb * MB,
        }
    }

    fn node(name: &str, images: Vec<ContainerImage>) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.status.images = images;
        n
    }

    fn pod(containers: &[&str], init: &[&str]) -> PodInfo {
        let c = |image: &&str| Container {
            name: "c".into(),
            image: image.to_string(),
            ..Default::default()
        };
        let mut p = Pod::default();
        p.spec.containers = containers.iter().map(c).collect();
        p.spec.init_containers = init.iter().map(c).collect();
        PodInfo::from_pod(p)
    }

    /// image_locality_test.go TestImageLocalityPriority.
    #[test]
    fn image_locality_priority_table() {
        let node403002000 = || {
            vec![
                image(&["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40),
                image(&["gcr.io/300:latest", "gcr.io/300:v1"], 300),
                image(&["gcr.io/2000:latest"], 2000),
            ]
        };
        let node25010 = || {
            vec![
                image(&["gcr.io/250:latest"], 250),
                image(&["gcr.io/10:latest", "gcr.io/10:v1"], 10),
            ]
        };
        let node60040900 = || {
            vec![
                image(&["gcr.io/600:latest"], 600),
                image(&["gcr.io/40:latest"], 40),
                image(&["gcr.io/900:latest"], 900),
            ]
        };
        let node300600900 = || {
            vec![
                image(&["gcr.io/300:latest"], 300),
                image(&["gcr.io/600:latest"], 600),
                image(&["gcr.io/900:latest"], 900),
            ]
        };
        let node400030 = || {
            vec![
                image(&["gcr.io/4000:latest"], 4000),
                image(&["gcr.io/30:latest"], 30),
            ]
        };
        let node203040 = || {
            vec![
                image(&["gcr.io/20:latest"], 20),
                image(&["gcr.io/30:latest"], 30),
                image(&["gcr.io/40:latest"], 40),
            ]
        };
        let test40250 = pod(&["gcr.io/40", "gcr.io/250"], &[]);
        let test40300 = pod(&["gcr.io/40", "gcr.io/300"], &[]);
        let test_min_max = pod(&["gcr.io/10", "gcr.io/4000"], &[]);
        let test300600900 = pod(&["gcr.io/300", "gcr.io/600", "gcr.io/900"], &[]);
        let test3040 = pod(&["gcr.io/30", "gcr.io/40"], &[]);
        let test30_init300 = pod(&["gcr.io/30"], &["gcr.io/300"]);
        let cases: Vec<(&str, &PodInfo, Vec<Node>, Vec<i64>)> = vec![
            (
                "two images spread on two nodes, prefer the larger image one",
                &test40250,
                vec![node("node1", node403002000()), node("node2", node25010())],
                vec![0, 5],
            ),
            (
                "two images on one node, prefer this node",
                &test40300,
                vec![node("node1", node403002000()), node("node2", node25010())],
                vec![7, 0],
            ),
            (
                "if exceed limit, use limit",
                &test_min_max,
                vec![node("node1", node400030()), node("node2", node25010())],
                vec![MAX_NODE_SCORE, 0],
            ),
            (
                "if exceed limit, use limit (with node which has no images present)",
                &test_min_max,
                vec![
                    node("node1", node400030()),
                    node("node2", node25010()),
                    node("node3", vec![]),
                ],
                vec![66, 0, 0],
            ),
            (
                "pod with multiple large images, node2 is preferred",
                &test300600900,
                vec![
                    node("node1", node60040900()),
                    node("node2", node300600900()),
                    node("node3", vec![]),
                ],
                vec![32, 36, 0],
            ),
            (
                "pod with multiple small images",
                &test3040,
                vec![node("node1", node203040()), node("node2", node400030())],
                vec![1, 0],
            ),
            (
                "include InitContainers: two images spread on two nodes, prefer the larger image one",
                &test30_init300,
                vec![node("node1", node403002000()), node("node2", node203040())],
                vec![6, 0],
            ),
        ];
        let plugin = ImageLocality::default();
        for (name, pod, nodes, want) in cases {
            let snapshot = Snapshot::from_objects(nodes.clone(), &[]);
            let infos: Vec<&NodeInfo> = nodes
                .iter()
                .map(|n| snapshot.get(&n.metadata.name).unwrap())
                .collect();
            let got: Vec<i64> = infos
                .iter()
                .map(|info| plugin.score(&CycleState::default(), pod, info, &snapshot))
                .collect();
            assert_eq!(got, want, "{name}");
            // score_nodes (cached sizes), twice: the second reads the cache.
            for _ in 0..2 {
                let mut all = Vec::new();
                plugin.score_nodes(&CycleState::default(), pod, &infos, &snapshot, &mut all);
                assert_eq!(all, want, "{name}: score_nodes");
            }
        }
    }

    /// The cached sizes follow a node's images when they change, and a node that is not the
    /// snapshot's own (a copy) scores as it is.
    #[test]
    fn cached_sizes_follow_image_changes() {
        let plugin = ImageLocality::default();
        let p = pod(&["gcr.io/300", "gcr.io/40"], &[]);
        let mut snapshot = Snapshot::from_objects(
            vec![
                node("node1", vec![image(&["gcr.io/300:latest"], 300)]),
                node("node2", vec![image(&["gcr.io/10:latest"], 10)]),
            ],
            &[],
        );
        let steps = [
            vec![image(&["gcr.io/300:latest"], 300)],
            vec![
                image(&["gcr.io/300:latest"], 300),
                image(&["gcr.io/40:latest"], 40),
            ],
            vec![image(&["gcr.io/40:latest"], 900)],
            vec![],
            vec![image(&["gcr.io/300:latest"], 2000)],
        ];
        for (step, images) in steps.into_iter().enumerate() {
            snapshot.set_node(node("node2", images));
            let infos: Vec<&NodeInfo> = snapshot.list().collect();
            let want: Vec<i64> = infos
                .iter()
                .map(|n| plugin.score(&CycleState::default(), &p, n, &snapshot))
                .collect();
            let mut got = Vec::new();
            plugin.score_nodes(&CycleState::default(), &p, &infos, &snapshot, &mut got);
            assert_eq!(got, want, "step {step}");
            let copy = infos[1].clone();
            let mut got = Vec::new();
            plugin.score_nodes(&CycleState::default(), &p, &[&copy], &snapshot, &mut got);
            assert_eq!(got, want[1..], "step {step}: a copy");
        }
    }

    /// image_locality_test.go TestNormalizedImageName.
    #[test]
    fn normalized_image_name_table() {
        let digest = "sha256:4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2";
        let cases = [
            (
                "add :latest postfix 1",
                "root".to_string(),
                "root:latest".to_string(),
            ),
            (
                "add :latest postfix 2",
                "gcr.io:5000/root".to_string(),
                "gcr.io:5000/root:latest".to_string(),
            ),
            (
                "keep it as is 1",
                "root:tag".to_string(),
                "root:tag".to_string(),
            ),
            (
                "keep it as is 2",
                format!("root@{digest}"),
                format!("root@{digest}"),
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(normalized_image_name(&input), want, "{name}");
        }
    }
}
