//! DaemonSet helpers: daemon pod tolerations, node eligibility, the pod template with its
//! revision labels, the template hash, pod availability and the failed-pod back-off.
//! Models pkg/controller/daemon/util/daemonset_util.go, NodeShouldRunDaemonPod and NewPod in
//! pkg/controller/daemon/daemon_controller.go, controller.ComputeHash
//! (pkg/controller/controller_utils.go) and flowcontrol.Backoff
//! (k8s.io/client-go/util/flowcontrol/backoff.go).

use crate::api::admission::{TAINT_NOT_READY, TAINT_UNREACHABLE};
use crate::api::affinity::{required_node_affinity_matches, Affinity};
use crate::api::daemonset::DaemonSet;
use crate::api::pod::{PodSpec, Toleration};
use crate::api::{Node, OwnerReference, Pod, PodTemplateSpec, Taint, Time};
use crate::sim::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// `apps.ControllerRevisionHashLabelKey` (= DefaultDaemonSetUniqueLabelKey).
pub const CONTROLLER_REVISION_HASH_LABEL: &str = "controller-revision-hash";
/// `extensions.DaemonSetTemplateGenerationKey`.
pub const POD_TEMPLATE_GENERATION_LABEL: &str = "pod-template-generation";
/// `apps.DeprecatedTemplateGeneration`: the annotation the API server keeps the template
/// generation in.
pub const DEPRECATED_TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

pub const TAINT_DISK_PRESSURE: &str = "node.kubernetes.io/disk-pressure";
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
pub const TAINT_PID_PRESSURE: &str = "node.kubernetes.io/pid-pressure";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// `SafeEncodeString`'s alphabet (k8s.io/apimachinery/pkg/util/rand/rand.go): no vowels, no
/// look-alike digits.
const SAFE_ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `Toleration.MatchToleration`: same key, operator, value and effect.
fn match_toleration(a: &Toleration, b: &Toleration) -> bool {
    a.key == b.key && a.operator == b.operator && a.value == b.value && a.effect == b.effect
}

/// `AddOrUpdateTolerationInPodSpec` (pkg/apis/core/v1/helper/helpers.go): replaces a matching
/// toleration that differs (e.g. in tolerationSeconds), or appends. Returns whether it changed.
pub fn add_or_update_toleration(tolerations: &mut Vec<Toleration>, t: &Toleration) -> bool {
    match tolerations.iter_mut().find(|x| match_toleration(t, x)) {
        Some(x) if x == t => false,
        Some(x) => {
            *x = t.clone();
            true
        }
        None => {
            tolerations.push(t.clone());
            true
        }
    }
}

fn exists(key: &str, effect: &str) -> Toleration {
    Toleration {
        key: key.into(),
        operator: "Exists".into(),
        effect: effect.into(),
        ..Default::default()
    }
}

/// `AddOrUpdateDaemonPodTolerations`: not-ready and unreachable NoExecute without
/// tolerationSeconds (never evicted), and disk-, memory-, pid-pressure and unschedulable
/// NoSchedule. The network-unavailable toleration for hostNetwork pods is not added: kubesim's
/// PodSpec has no hostNetwork.
pub fn add_or_update_daemon_pod_tolerations(spec: &mut PodSpec) {
    let daemon = [
        (TAINT_NOT_READY, "NoExecute"),
        (TAINT_UNREACHABLE, "NoExecute"),
        (TAINT_DISK_PRESSURE, "NoSchedule"),
        (TAINT_MEMORY_PRESSURE, "NoSchedule"),
        (TAINT_PID_PRESSURE, "NoSchedule"),
        (TAINT_UNSCHEDULABLE, "NoSchedule"),
    ];
    for (key, effect) in daemon {
        add_or_update_toleration(&mut spec.tolerations, &exists(key, effect));
    }
}

/// `Toleration.ToleratesTaint` (k8s.io/api/core/v1/toleration.go).
pub fn tolerates_taint(t: &Toleration, taint: &Taint) -> bool {
    if !t.effect.is_empty() && t.effect != taint.effect {
        return false;
    }
    if !t.key.is_empty() && t.key != taint.key {
        return false;
    }
    match t.operator.as_str() {
        "" | "Equal" => t.value == taint.value,
        "Exists" => true,
        _ => false,
    }
}

/// `FindMatchingUntoleratedTaint` (k8s.io/component-helpers/scheduling/corev1/helpers.go): the
/// first taint passing `filter` that no toleration tolerates.
pub fn find_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    filter: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| filter(t))
        .find(|t| !tolerations.iter().any(|tol| tolerates_taint(tol, t)))
}

/// What of a DaemonSet's pod decides where it may run (`NewPod`: the template with the daemon
/// tolerations), computed once per DaemonSet and checked against each node.
#[derive(Clone, Debug)]
pub struct Placement {
    node_name: String,
    node_selector: BTreeMap<String, String>,
    affinity: Option<Affinity>,
    tolerations: Vec<Toleration>,
}

impl Placement {
    pub fn of(ds: &DaemonSet) -> Self {
        let mut spec = PodSpec {
            tolerations: ds.spec.template.spec.tolerations.clone(),
            ..Default::default()
        };
        add_or_update_daemon_pod_tolerations(&mut spec);
        Placement {
            node_name: ds.spec.template.spec.node_name.clone(),
            node_selector: ds.spec.template.spec.node_selector.clone(),
            affinity: ds.spec.template.spec.affinity.clone(),
            tolerations: spec.tolerations,
        }
    }

    /// `NodeShouldRunDaemonPod`: (shouldRun, shouldContinueRunning). The template's nodeName,
    /// nodeSelector and required node affinity (`GetRequiredNodeAffinity(pod).Match(node)`)
    /// must match; an untolerated NoSchedule or NoExecute taint stops new pods, and
    /// only an untolerated NoExecute taint stops running ones. Resources and readiness are not
    /// checked (upstream leaves them to the scheduler and the kubelet).
    pub fn should_run(&self, node: &Node) -> (bool, bool) {
        if !self.node_name.is_empty() && self.node_name != node.metadata.name {
            return (false, false);
        }
        if !required_node_affinity_matches(&self.node_selector, self.affinity.as_ref(), node) {
            return (false, false);
        }
        let taints = &node.spec.taints;
        let blocking = |t: &Taint| t.effect == "NoSchedule" || t.effect == "NoExecute";
        if find_untolerated_taint(taints, &self.tolerations, blocking).is_some() {
            let evicting = |t: &Taint| t.effect == "NoExecute";
            let keep = find_untolerated_taint(taints, &self.tolerations, evicting).is_none();
            return (false, keep);
        }
        (true, true)
    }
}

/// `NodeShouldRunDaemonPod` for one node.
pub fn node_should_run_daemon_pod(node: &Node, ds: &DaemonSet) -> (bool, bool) {
    Placement::of(ds).should_run(node)
}

/// `GetTemplateGeneration`: the deprecated template-generation annotation. Upstream's API server
/// sets it (registry/apps/daemonset/strategy.go, bumped when the template changes); kubesim's
/// does not, so without it metadata.generation stands in (it also counts other spec changes).
pub fn template_generation(ds: &DaemonSet) -> Option<i64> {
    match ds.metadata.annotations.get(DEPRECATED_TEMPLATE_GENERATION) {
        Some(v) => v.parse().ok(),
        None => (ds.metadata.generation > 0).then_some(ds.metadata.generation),
    }
}

/// `CreatePodTemplate`: the template with the daemon tolerations, the pod-template-generation
/// label (when known) and the controller-revision-hash label (when not empty).
pub fn create_pod_template(
    template: &PodTemplateSpec,
    generation: Option<i64>,
    hash: &str,
) -> PodTemplateSpec {
    let mut t = template.clone();
    add_or_update_daemon_pod_tolerations(&mut t.spec);
    let labels = &mut t.metadata.labels;
    if let Some(g) = generation {
        labels.insert(POD_TEMPLATE_GENERATION_LABEL.into(), g.to_string());
    }
    if !hash.is_empty() {
        labels.insert(CONTROLLER_REVISION_HASH_LABEL.into(), hash.into());
    }
    t
}

/// `metav1.NewControllerRef(ds, apps/v1 DaemonSet)`.
pub fn controller_ref(ds: &DaemonSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "DaemonSet".into(),
        name: ds.metadata.name.clone(),
        uid: ds.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The daemon pod for `node` (GetPodFromTemplate: labels, annotations, finalizers, generateName
/// "<ds>-", the controller reference). Modelling choice: the pod is created bound, with
/// `spec.nodeName` set, as DaemonSet controllers did before v1.12; upstream now creates it
/// unbound with a required node affinity `matchFields metadata.name In [node]`
/// (ReplaceDaemonSetPodNodeNameNodeAffinity) for the default scheduler. Revisit when kubesim's
/// Pod gains affinity and the scheduler NodeAffinity.
pub fn new_daemon_pod(ds: &DaemonSet, template: &PodTemplateSpec, node: &str) -> Pod {
    let mut pod = Pod {
        spec: template.spec.clone(),
        ..Default::default()
    };
    pod.spec.node_name = node.into();
    let m = &mut pod.metadata;
    m.labels = template.metadata.labels.clone();
    m.annotations = template.metadata.annotations.clone();
    m.finalizers = template.metadata.finalizers.clone();
    m.namespace = ds.metadata.namespace.clone();
    m.generate_name = format!("{}-", ds.metadata.name);
    m.owner_references = vec![controller_ref(ds)];
    pod
}

/// `IsPodUpdated`: the pod carries the current hash or the current template generation.
pub fn is_pod_updated(pod: &Pod, hash: &str, generation: Option<i64>) -> bool {
    let labels = &pod.metadata.labels;
    let template_matches = generation.is_some_and(|g| {
        labels
            .get(POD_TEMPLATE_GENERATION_LABEL)
            .map(String::as_str)
            == Some(&g.to_string())
    });
    let hash_matches = !hash.is_empty()
        && labels
            .get(CONTROLLER_REVISION_HASH_LABEL)
            .map(String::as_str)
            == Some(hash);
    hash_matches || template_matches
}

fn rolling_value(
    ds: &DaemonSet,
    total: i32,
    pick: impl Fn(&crate::api::daemonset::RollingUpdateDaemonSet) -> Option<&crate::api::IntOrString>,
    nil_is_zero: bool,
) -> Result<i32, String> {
    let s = &ds.spec.update_strategy;
    if s.type_ != "RollingUpdate" {
        return Ok(0);
    }
    let Some(r) = &s.rolling_update else {
        return Ok(0);
    };
    match pick(r) {
        Some(v) => v.scaled_value(total, true),
        None if nil_is_zero => Ok(0),
        None => Err("nil value for IntOrString".into()),
    }
}

/// `SurgeCount`: maxSurge of `total`, rounded up; 0 when not a rolling update or not set.
pub fn surge_count(ds: &DaemonSet, total: i32) -> Result<i32, String> {
    rolling_value(ds, total, |r| r.max_surge.as_ref(), true)
}

/// `UnavailableCount`: maxUnavailable of `total`, rounded up; 0 when not a rolling update.
pub fn unavailable_count(ds: &DaemonSet, total: i32) -> Result<i32, String> {
    rolling_value(ds, total, |r| r.max_unavailable.as_ref(), false)
}

/// `AllowsSurge`: more than one pod may run on a node during an update.
pub fn allows_surge(ds: &DaemonSet) -> bool {
    surge_count(ds, 1).is_ok_and(|n| n > 0)
}

/// Whole seconds of a timestamp, as it reads after a trip through the API (RFC 3339, seconds).
fn secs(t: Option<Time>) -> u64 {
    t.map_or(0, |t| t.0.as_micros() / 1_000_000)
}

/// `podutil.IsPodAvailable`: Ready, and Ready since more than minReadySeconds.
pub fn is_pod_available(pod: &Pod, min_ready_seconds: i32, now: SimTime) -> bool {
    if !pod.is_ready() {
        return false;
    }
    if min_ready_seconds <= 0 {
        return true;
    }
    let Some(since) = pod.condition("Ready").and_then(|c| c.last_transition_time) else {
        return false;
    };
    (secs(Some(since)) + min_ready_seconds as u64) * 1_000_000 < now.as_micros()
}

/// `podByCreationTimestampAndPhase`: scheduled pods first, then older first, then by name.
/// Creation times compare in whole seconds, as upstream's informer cache holds them.
pub fn creation_order(a: &Pod, b: &Pod) -> Ordering {
    let unscheduled = |p: &Pod| p.spec.node_name.is_empty();
    unscheduled(a)
        .cmp(&unscheduled(b))
        .then(secs(a.metadata.creation_timestamp).cmp(&secs(b.metadata.creation_timestamp)))
        .then(a.metadata.name.cmp(&b.metadata.name))
}

/// 32-bit FNV-1a (hash/fnv New32a).
pub fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// `rand.SafeEncodeString`: each byte mapped into the safe alphabet.
pub fn safe_encode_string(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_ALPHANUMS[b as usize % SAFE_ALPHANUMS.len()] as char)
        .collect()
}

/// `controller.ComputeHash` for the controller-revision-hash label: FNV-1a 32 of the template,
/// printed in decimal, safe-encoded. The hash input differs from upstream's (a deep spew dump of
/// the Go struct, plus collisionCount): kubesim hashes the template's canonical JSON, so values
/// are stable across runs but not equal to a real cluster's. ControllerRevision objects are not
/// modelled: this hash alone names the current revision.
pub fn compute_hash(template: &PodTemplateSpec) -> String {
    let json = serde_json::to_vec(template).expect("templates always serialize");
    safe_encode_string(&fnv1a_32(&json).to_string())
}

/// `flowcontrol.Backoff` without jitter, for deleting failed daemon pods: per id, the delay
/// starts at `initial`, doubles on each `next` up to `max`, and starts over once an id has been
/// quiet for more than twice `max`.
#[derive(Clone, Debug)]
pub struct FailedPodsBackoff {
    initial: SimDuration,
    max: SimDuration,
    entries: BTreeMap<String, (SimDuration, SimTime)>,
}

impl FailedPodsBackoff {
    pub fn new(initial: SimDuration, max: SimDuration) -> Self {
        FailedPodsBackoff {
            initial,
            max,
            entries: BTreeMap::new(),
        }
    }

    fn expired(&self, now: SimTime, last: SimTime) -> bool {
        now.since(last).as_micros() > self.max.as_micros().saturating_mul(2)
    }

    /// The current delay of `id` (zero if unknown).
    pub fn get(&self, id: &str) -> SimDuration {
        self.entries.get(id).map_or(SimDuration::ZERO, |e| e.0)
    }

    /// `IsInBackOffSinceUpdate`: less than the delay has passed since the last `next`.
    pub fn is_in_backoff_since_update(&self, id: &str, now: SimTime) -> bool {
        self.entries
            .get(id)
            .is_some_and(|&(d, last)| !self.expired(now, last) && now.since(last) < d)
    }

    /// `Next`: start or double the delay of `id`, from now.
    pub fn next(&mut self, id: &str, now: SimTime) {
        let delay = match self.entries.get(id) {
            Some(&(d, last)) if !self.expired(now, last) => {
                SimDuration(d.as_micros().saturating_mul(2).min(self.max.as_micros()))
            }
            _ => self.initial,
        };
        self.entries.insert(id.to_string(), (delay, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::IntOrString;

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn tol(key: &str, op: &str, value: &str, effect: &str, secs: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: secs,
        }
    }

    fn node(name: &str, labels: &[(&str, &str)], taints: Vec<Taint>) -> Node {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        n.spec.taints = taints;
        n
    }

    fn ds() -> DaemonSet {
        let mut d = DaemonSet::default();
        d.metadata.name = "foo".into();
        d.metadata.namespace = "default".into();
        d.metadata.uid = "ds-uid".into();
        d.metadata.generation = 1;
        d
    }

    /// The six daemon tolerations, in upstream's order; a user's unreachable toleration with
    /// seconds is replaced (no eviction ever), other tolerations are kept.
    #[test]
    fn daemon_tolerations_are_added_or_updated() {
        let mut spec = PodSpec {
            tolerations: vec![
                tol("dedicated", "", "user1", "NoSchedule", None),
                tol(TAINT_UNREACHABLE, "Exists", "", "NoExecute", Some(300)),
            ],
            ..Default::default()
        };
        add_or_update_daemon_pod_tolerations(&mut spec);
        let got: Vec<(&str, &str, Option<i64>)> = spec
            .tolerations
            .iter()
            .map(|t| (t.key.as_str(), t.effect.as_str(), t.toleration_seconds))
            .collect();
        assert_eq!(
            got,
            [
                ("dedicated", "NoSchedule", None),
                (TAINT_UNREACHABLE, "NoExecute", None),
                (TAINT_NOT_READY, "NoExecute", None),
                (TAINT_DISK_PRESSURE, "NoSchedule", None),
                (TAINT_MEMORY_PRESSURE, "NoSchedule", None),
                (TAINT_PID_PRESSURE, "NoSchedule", None),
                (TAINT_UNSCHEDULABLE, "NoSchedule", None),
            ]
        );
        let before = spec.tolerations.clone();
        add_or_update_daemon_pod_tolerations(&mut spec);
        assert_eq!(spec.tolerations, before, "idempotent");
    }

    /// Shaped after k8s.io/api/core/v1 toleration_test.go TestTolerationToleratesTaint.
    #[test]
    fn tolerates_taint_table() {
        let t = taint("foo", "bar", "NoSchedule");
        let cases = [
            (
                "empty toleration, empty operator",
                tol("", "", "", "", None),
                false,
            ),
            (
                "exists with no key tolerates all",
                tol("", "Exists", "", "", None),
                true,
            ),
            (
                "equal key, value and effect",
                tol("foo", "Equal", "bar", "NoSchedule", None),
                true,
            ),
            (
                "empty operator means Equal",
                tol("foo", "", "bar", "NoSchedule", None),
                true,
            ),
            (
                "different value",
                tol("foo", "Equal", "baz", "NoSchedule", None),
                false,
            ),
            (
                "different effect",
                tol("foo", "Equal", "bar", "NoExecute", None),
                false,
            ),
            (
                "empty effect matches all effects",
                tol("foo", "Equal", "bar", "", None),
                true,
            ),
            (
                "exists ignores the value",
                tol("foo", "Exists", "", "NoSchedule", None),
                true,
            ),
            ("different key", tol("other", "Exists", "", "", None), false),
            ("unknown operator", tol("foo", "Lt", "bar", "", None), false),
        ];
        for (name, tol, want) in cases {
            assert_eq!(tolerates_taint(&tol, &t), want, "{name}");
        }
    }

    /// A required node affinity `key In [value]`.
    fn node_affinity_in(key: &str, value: &str) -> Affinity {
        use crate::api::affinity::{
            NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
        };
        Affinity {
            node_affinity: Some(NodeAffinity {
                required: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: vec![NodeSelectorRequirement {
                            key: key.into(),
                            operator: "In".into(),
                            values: vec![value.into()],
                        }],
                        match_fields: vec![],
                    }],
                }),
                preferred: vec![],
            }),
            ..Default::default()
        }
    }

    /// daemon_controller_test.go TestNodeShouldRunDaemonPod (the cases kubesim's types can
    /// express) and the taint tests around it (TestTaintedNodeDaemonDoesNotLaunchIntolerantPod,
    /// TestTaintedNodeDaemonLaunchesToleratePod, TestNotReadyNodeDaemonLaunchesPod,
    /// TestUnreachableNodeDaemonLaunchesPod, TestTaintPressureNodeDaemonLaunchesPod,
    /// TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod,
    /// TestNoExecuteTaintedDoesEvicitRunningIntolerantPod).
    #[test]
    fn node_should_run_daemon_pod_table() {
        let labels = [("name", "simple-daemon"), ("type", "production")];
        let no_schedule = || vec![taint("dedicated", "user1", "NoSchedule")];
        let no_execute = || vec![taint("dedicated", "user1", "NoExecute")];
        type Case = (&'static str, Node, fn(&mut DaemonSet), (bool, bool));
        let cases: Vec<Case> = vec![
            (
                "ShouldRunDaemonPod",
                node("test-node", &labels, vec![]),
                |_| {},
                (true, true),
            ),
            (
                "ErrPodNotMatchHostName",
                node("test-node", &labels, vec![]),
                |d| d.spec.template.spec.node_name = "other-node".into(),
                (false, false),
            ),
            (
                "ShouldRunDaemonPod (matching nodeName)",
                node("test-node", &labels, vec![]),
                |d| d.spec.template.spec.node_name = "test-node".into(),
                (true, true),
            ),
            (
                "ErrNodeSelectorNotMatch",
                node("test-node", &labels, vec![]),
                |d| {
                    d.spec.template.spec.node_selector =
                        [("type".to_string(), "test".to_string())].into();
                },
                (false, false),
            ),
            (
                "ShouldRunDaemonPod (matching nodeSelector)",
                node("test-node", &labels, vec![]),
                |d| {
                    d.spec.template.spec.node_selector =
                        [("type".to_string(), "production".to_string())].into();
                },
                (true, true),
            ),
            (
                "ErrPodAffinityNotMatch",
                node("test-node", &labels, vec![]),
                |d| d.spec.template.spec.affinity = Some(node_affinity_in("type", "test")),
                (false, false),
            ),
            (
                "ShouldRunDaemonPod (matching node affinity)",
                node("test-node", &labels, vec![]),
                |d| d.spec.template.spec.affinity = Some(node_affinity_in("type", "production")),
                (true, true),
            ),
            (
                "ShouldRunDaemonPodOnUnschedulableNode",
                node(
                    "test-node",
                    &labels,
                    vec![taint(TAINT_UNSCHEDULABLE, "", "NoSchedule")],
                ),
                |_| {},
                (true, true),
            ),
            (
                "untolerated NoSchedule: no new pod, keep running",
                node("tainted", &[], no_schedule()),
                |_| {},
                (false, true),
            ),
            (
                "untolerated NoExecute: no new pod, evict",
                node("tainted", &[], no_execute()),
                |_| {},
                (false, false),
            ),
            (
                "tolerated NoSchedule",
                node("tainted", &[], no_schedule()),
                |d| {
                    d.spec.template.spec.tolerations =
                        vec![tol("dedicated", "", "user1", "NoSchedule", None)];
                },
                (true, true),
            ),
            (
                "not-ready NoExecute is tolerated",
                node(
                    "tainted",
                    &[],
                    vec![taint(TAINT_NOT_READY, "", "NoExecute")],
                ),
                |_| {},
                (true, true),
            ),
            (
                "unreachable NoExecute is tolerated",
                node(
                    "tainted",
                    &[],
                    vec![taint(TAINT_UNREACHABLE, "", "NoExecute")],
                ),
                |_| {},
                (true, true),
            ),
            (
                "pressure taints are tolerated",
                node(
                    "resources-pressure",
                    &[],
                    vec![
                        taint(TAINT_DISK_PRESSURE, "", "NoSchedule"),
                        taint(TAINT_MEMORY_PRESSURE, "", "NoSchedule"),
                        taint(TAINT_PID_PRESSURE, "", "NoSchedule"),
                    ],
                ),
                |_| {},
                (true, true),
            ),
            (
                "PreferNoSchedule does not block",
                node(
                    "soft",
                    &[],
                    vec![taint("dedicated", "user1", "PreferNoSchedule")],
                ),
                |_| {},
                (true, true),
            ),
        ];
        for (name, n, edit, want) in cases {
            let mut d = ds();
            edit(&mut d);
            assert_eq!(node_should_run_daemon_pod(&n, &d), want, "{name}");
        }
    }

    /// daemonset_util_test.go TestIsPodUpdated.
    #[test]
    fn is_pod_updated_table() {
        let gen = 12345;
        let hash = "55555";
        let with = |pairs: &[(&str, &str)]| {
            let mut p = Pod::default();
            p.metadata.labels = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            p
        };
        let gen_s = gen.to_string();
        let both = with(&[
            (POD_TEMPLATE_GENERATION_LABEL, &gen_s),
            (CONTROLLER_REVISION_HASH_LABEL, hash),
        ]);
        let no_hash = with(&[(POD_TEMPLATE_GENERATION_LABEL, &gen_s)]);
        let empty = with(&[]);
        let other_hash = format!("{hash}123");
        let cases = [
            (
                "templateGeneration and hash both match",
                gen,
                &both,
                hash,
                true,
            ),
            (
                "templateGeneration matches, hash doesn't",
                gen,
                &both,
                &other_hash,
                true,
            ),
            (
                "templateGeneration matches, no hash label, has hash",
                gen,
                &no_hash,
                hash,
                true,
            ),
            (
                "templateGeneration matches, no hash label, no hash",
                gen,
                &no_hash,
                "",
                true,
            ),
            (
                "templateGeneration matches, has hash label, no hash",
                gen,
                &both,
                "",
                true,
            ),
            (
                "templateGeneration doesn't match, hash does",
                gen + 1,
                &both,
                hash,
                true,
            ),
            (
                "templateGeneration and hash don't match",
                gen + 1,
                &both,
                &other_hash,
                false,
            ),
            ("empty labels, no hash", gen, &empty, "", false),
            ("empty labels", gen, &empty, hash, false),
        ];
        for (name, g, pod, h, want) in cases {
            assert_eq!(is_pod_updated(pod, h, Some(g)), want, "{name}");
        }
    }

    /// daemonset_util_test.go TestCreatePodTemplate.
    #[test]
    fn create_pod_template_table() {
        for (generation, hash, unique) in [(1, "", false), (2, "3242341807", true)] {
            let t = create_pod_template(&PodTemplateSpec::default(), Some(generation), hash);
            let labels = &t.metadata.labels;
            assert_eq!(
                labels.get(POD_TEMPLATE_GENERATION_LABEL),
                Some(&generation.to_string())
            );
            assert_eq!(
                labels.get(CONTROLLER_REVISION_HASH_LABEL).is_some(),
                unique,
                "hash {hash:?}"
            );
            assert_eq!(t.spec.tolerations.len(), 6, "daemon tolerations");
        }
    }

    #[test]
    fn template_generation_prefers_the_annotation() {
        let mut d = ds();
        d.metadata.generation = 4;
        assert_eq!(template_generation(&d), Some(4));
        d.metadata
            .annotations
            .insert(DEPRECATED_TEMPLATE_GENERATION.into(), "2".into());
        assert_eq!(template_generation(&d), Some(2));
    }

    #[test]
    fn hash_is_fnv1a_safe_encoded() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
        assert_eq!(safe_encode_string("0123456789"), "456789bcdf");
        let mut t = PodTemplateSpec::default();
        let h1 = compute_hash(&t);
        assert_eq!(h1, compute_hash(&t.clone()), "stable");
        assert!(h1.bytes().all(|b| SAFE_ALPHANUMS.contains(&b)));
        t.metadata.labels.insert("app".into(), "x".into());
        assert_ne!(compute_hash(&t), h1, "changes with the template");
    }

    /// daemonset_util.go SurgeCount / UnavailableCount / AllowsSurge.
    #[test]
    fn surge_and_unavailable_counts() {
        use crate::api::daemonset::RollingUpdateDaemonSet;
        let with = |type_: &str, ru: Option<RollingUpdateDaemonSet>| {
            let mut d = ds();
            d.spec.update_strategy.type_ = type_.into();
            d.spec.update_strategy.rolling_update = ru;
            d
        };
        let ru = |u: Option<IntOrString>, s: Option<IntOrString>| {
            Some(RollingUpdateDaemonSet {
                max_unavailable: u,
                max_surge: s,
            })
        };
        let pct = |s: &str| Some(IntOrString::String(s.into()));
        let on_delete = with("OnDelete", ru(Some(IntOrString::Int(3)), pct("50%")));
        assert_eq!(unavailable_count(&on_delete, 10), Ok(0));
        assert_eq!(surge_count(&on_delete, 10), Ok(0));
        let d = with("RollingUpdate", ru(pct("25%"), pct("10%")));
        assert_eq!(unavailable_count(&d, 10), Ok(3), "rounded up");
        assert_eq!(surge_count(&d, 10), Ok(1));
        assert!(allows_surge(&d));
        let d = with("RollingUpdate", ru(None, None));
        assert!(unavailable_count(&d, 10).is_err(), "nil maxUnavailable");
        assert_eq!(surge_count(&d, 10), Ok(0));
        assert!(!allows_surge(&d));
        assert_eq!(unavailable_count(&with("RollingUpdate", None), 10), Ok(0));
    }

    /// podutil.IsPodAvailable with minReadySeconds, in whole seconds of the transition time.
    #[test]
    fn availability_waits_min_ready_seconds() {
        let mut p = Pod::default();
        let s = |n: u64| SimTime(n * 1_000_000);
        assert!(!is_pod_available(&p, 0, s(100)), "not ready");
        p.set_condition("Ready", "True", Time(SimTime(10_500_000)));
        assert!(is_pod_available(&p, 0, s(10)));
        assert!(!is_pod_available(&p, 5, s(15)), "10 + 5 is not before 15");
        assert!(is_pod_available(&p, 5, SimTime(15_000_001)));
    }

    /// podByCreationTimestampAndPhase: scheduled first, then oldest, then name.
    #[test]
    fn creation_order_table() {
        let pod = |name: &str, node: &str, created_us: u64| {
            let mut p = Pod::default();
            p.metadata.name = name.into();
            p.spec.node_name = node.into();
            p.metadata.creation_timestamp = Some(Time(SimTime(created_us)));
            p
        };
        let mut pods = [
            pod("e-unscheduled-old", "", 0),
            pod("d-new", "n", 9_000_000),
            pod("c-same-second", "n", 2_900_000),
            pod("b-same-second", "n", 2_100_000),
            pod("a-old", "n", 1_000_000),
        ];
        pods.sort_by(creation_order);
        let names: Vec<&str> = pods.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "a-old",
                "b-same-second",
                "c-same-second",
                "d-new",
                "e-unscheduled-old"
            ]
        );
    }

    /// flowcontrol backoff_test.go TestSlowBackoff / TestBackoffReset, without jitter.
    #[test]
    fn failed_pods_backoff_doubles_and_resets() {
        let s = |n: u64| SimTime(n * 1_000_000);
        let mut b = FailedPodsBackoff::new(SimDuration::from_secs(1), SimDuration::from_secs(4));
        assert!(!b.is_in_backoff_since_update("k", s(0)));
        let mut delays = Vec::new();
        for i in 0..4 {
            b.next("k", s(i));
            delays.push(b.get("k").as_micros() / 1_000_000);
        }
        assert_eq!(delays, [1, 2, 4, 4], "capped at max");
        assert!(b.is_in_backoff_since_update("k", s(6)));
        assert!(!b.is_in_backoff_since_update("k", s(7)), "delay passed");
        b.next("k", s(20));
        assert_eq!(
            b.get("k"),
            SimDuration::from_secs(1),
            "quiet > 2 x max: reset"
        );
    }
}
