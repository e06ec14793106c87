//! Helpers shared by the workload controllers (pkg/controller/controller_utils.go).

use crate::api::{Object, OwnerReference, Pod, ReplicaSet, Time};
use crate::sim::SimTime;
use std::cmp::Ordering;

/// `SlowStartInitialBatchSize`.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// The pod a controller creates from its template (GetPodFromTemplate).
pub fn pod_from_template(rs: &ReplicaSet) -> Pod {
    let t = &rs.spec.template;
    let mut pod = Pod {
        spec: t.spec.clone(),
        ..Default::default()
    };
    pod.metadata.labels = t.metadata.labels.clone();
    pod.metadata.annotations = t.metadata.annotations.clone();
    pod.metadata.namespace = rs.metadata.namespace.clone();
    pod.metadata.generate_name = format!("{}-", rs.metadata.name);
    pod.metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: rs.metadata.name.clone(),
        uid: rs.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }];
    pod
}

/// Whether `o` is a pod controlled by the owner with this uid.
pub fn controlled_by(o: &Object, uid: &str) -> bool {
    o.meta().controller_ref().is_some_and(|r| r.uid == uid)
}

fn phase_rank(p: &Pod) -> u8 {
    // podPhaseToOrdinal: Pending 0, Unknown 1, Running 2 (other phases are not active).
    match p.status.phase.as_str() {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    }
}

/// `controller.kubernetes.io/pod-deletion-cost`; an invalid or absent value is 0.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";

fn deletion_cost(p: &Pod) -> i32 {
    p.metadata
        .annotations
        .get(POD_DELETION_COST)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A timestamp as the controller reads it from the API: whole seconds (metav1.Time).
fn seconds(t: Option<Time>) -> Option<u64> {
    t.map(|t| t.0.as_micros() / 1_000_000)
}

/// podReadyTime: when the Ready condition last became True, if it is True.
fn ready_since(p: &Pod) -> Option<u64> {
    p.condition("Ready")
        .filter(|c| c.status == "True")
        .and_then(|c| seconds(c.last_transition_time))
}

fn max_restarts(p: &Pod) -> i32 {
    p.status
        .container_statuses
        .iter()
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0)
}

/// afterOrZero: a zero time sorts first; otherwise the later time does.
fn after_or_zero(t1: Option<u64>, t2: Option<u64>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        _ => t1.is_none(),
    }
}

/// logarithmicRankDiff: floor(log2(age in ns)) of each (-1 without an age), compared.
fn log_rank_diff(t1_s: u64, t2_s: u64, now: SimTime) -> i64 {
    let now_ns = now.as_micros() * 1000;
    let rank = |t: u64| match now_ns.saturating_sub(t * 1_000_000_000) {
        0 => -1,
        d => i64::from(d.ilog2()),
    };
    rank(t1_s) - rank(t2_s)
}

/// One pod with its rank (active pods of the same owner family on its node).
pub type Ranked<'a> = (&'a Pod, usize);

/// What `deletion_less` compares of one ranked pod, read once.
#[derive(Clone, Copy, Debug)]
struct DeletionKey<'a> {
    assigned: bool,
    phase: u8,
    ready: bool,
    cost: i32,
    rank: usize,
    ready_since: Option<u64>,
    restarts: i32,
    created: Option<u64>,
    uid: &'a str,
}

impl<'a> DeletionKey<'a> {
    fn of((p, rank): Ranked<'a>) -> Self {
        DeletionKey {
            assigned: !p.spec.node_name.is_empty(),
            phase: phase_rank(p),
            ready: p.is_ready(),
            cost: deletion_cost(p),
            rank,
            ready_since: ready_since(p),
            restarts: max_restarts(p),
            created: seconds(p.metadata.creation_timestamp),
            uid: &p.metadata.uid,
        }
    }

    /// `deletion_less` on the keys.
    fn less(&self, b: &DeletionKey<'_>, now: SimTime) -> bool {
        let a = self;
        // 1. Unassigned < assigned.
        if a.assigned != b.assigned {
            return !a.assigned;
        }
        // 2. Pending < Unknown < Running.
        if a.phase != b.phase {
            return a.phase < b.phase;
        }
        // 3. Not ready < ready.
        if a.ready != b.ready {
            return !a.ready;
        }
        // 4. Lower pod-deletion-cost < higher.
        if a.cost != b.cost {
            return a.cost < b.cost;
        }
        // 5. Doubled up < not doubled up.
        if a.rank != b.rank {
            return a.rank > b.rank;
        }
        let log_compare = |t1: Option<u64>, t2: Option<u64>| -> Option<bool> {
            if t1 == t2 {
                return None;
            }
            match (t1, t2) {
                (Some(x), Some(y)) if now > SimTime::ZERO => match log_rank_diff(x, y, now) {
                    0 => Some(a.uid < b.uid),
                    d => Some(d < 0),
                },
                _ => Some(after_or_zero(t1, t2)),
            }
        };
        // 6. Ready for a shorter time < longer (logarithmic buckets, then uid).
        if a.ready && b.ready {
            if let Some(r) = log_compare(a.ready_since, b.ready_since) {
                return r;
            }
        }
        // 7. More container restarts < fewer.
        if a.restarts != b.restarts {
            return a.restarts > b.restarts;
        }
        // 8. Newer < older (logarithmic buckets, then uid); no creation time first.
        log_compare(a.created, b.created).unwrap_or(false)
    }

    /// A total preorder that `less` refines (with `now` above zero): a lower group key is
    /// always less, a higher one never. It is every criterion up to the logarithmic bucket
    /// of the time that decides by uid within a bucket.
    fn group(
        &self,
        now: SimTime,
    ) -> (bool, u8, bool, i32, std::cmp::Reverse<usize>, i64, i64, i64) {
        let bucket = |t: Option<u64>| match t {
            None => -2,
            Some(t) => {
                let now_ns = now.as_micros() * 1000;
                match now_ns.saturating_sub(t * 1_000_000_000) {
                    0 => -1,
                    d => i64::from(d.ilog2()),
                }
            }
        };
        let (k1, k2, k3) = if self.ready {
            (bucket(self.ready_since), 0, 0)
        } else {
            (0, -i64::from(self.restarts), bucket(self.created))
        };
        (
            self.assigned,
            self.phase,
            self.ready,
            self.cost,
            std::cmp::Reverse(self.rank),
            k1,
            k2,
            k3,
        )
    }

    /// Within one group, keys of different classes compare by uid alone.
    fn class(&self) -> Option<u64> {
        if self.ready {
            self.ready_since
        } else {
            self.created
        }
    }
}

/// ActivePodsWithRanks.Less (pkg/controller/controller_utils.go), with the PodDeletionCost and
/// LogarithmicScaleDown features on (their defaults): true when `a` should be deleted before
/// `b`. Timestamps compare in whole seconds, as read from the API.
pub fn deletion_less(a: Ranked<'_>, b: Ranked<'_>, now: SimTime) -> bool {
    DeletionKey::of(a).less(&DeletionKey::of(b), now)
}

/// Sorts pods for deletion: exactly the order of an insertion sort by `deletion_less` (Go's
/// sort.Sort on up to 12 elements). ActivePodsWithRanks.Less is not a total order (equal ready
/// times fall through to later criteria, others in one log bucket compare by uid), which
/// `sort_by` may detect and panic on; an insertion sort never does, and gives the same stable
/// order whenever the order is total. For big sets the same result is computed faster: the
/// pods are grouped by `DeletionKey::group` (an insertion never crosses a group boundary), and
/// each group is insertion-sorted over blocks that are skipped when no pod in them can stop
/// the insertion (`BlockList`).
pub fn sort_for_deletion(ranked: &mut [Ranked<'_>], now: SimTime) {
    const SMALL: usize = 64;
    if ranked.len() <= SMALL || now == SimTime::ZERO {
        insertion_sort(ranked, now);
        return;
    }
    let keys: Vec<DeletionKey<'_>> = ranked.iter().map(|r| DeletionKey::of(*r)).collect();
    let order = sorted_order(&keys, now, BLOCK);
    let before: Vec<Ranked<'_>> = ranked.to_vec();
    for (slot, i) in ranked.iter_mut().zip(order) {
        *slot = before[i as usize];
    }
}

/// Items per block of `BlockList` (split at twice this).
const BLOCK: usize = 64;

/// The plain insertion sort by `deletion_less`.
fn insertion_sort(ranked: &mut [Ranked<'_>], now: SimTime) {
    for i in 1..ranked.len() {
        let mut j = i;
        while j > 0 && deletion_less(ranked[j], ranked[j - 1], now) {
            ranked.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// The insertion-sort order of `keys` (indices), group by group.
fn sorted_order(keys: &[DeletionKey<'_>], now: SimTime, block: usize) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..keys.len() as u32).collect();
    // Stable: each group keeps the arrival order the insertion sort sees.
    idx.sort_by_cached_key(|&i| keys[i as usize].group(now));
    let mut out = Vec::with_capacity(keys.len());
    let mut start = 0;
    while start < idx.len() {
        let g = keys[idx[start] as usize].group(now);
        let mut end = start + 1;
        while end < idx.len() && keys[idx[end] as usize].group(now) == g {
            end += 1;
        }
        let mut list = BlockList::new(keys, now, block);
        for &i in &idx[start..end] {
            list.insert(i);
        }
        list.drain_into(&mut out);
        start = end;
    }
    out
}

/// One block of `BlockList`: its items in list order, the two smallest uids of different
/// classes, and its items by class.
struct Block {
    items: Vec<u32>,
    /// The item with the smallest uid, and the one with the smallest uid among the other
    /// classes.
    min1: Option<u32>,
    min2: Option<u32>,
    classes: Vec<(Option<u64>, Vec<u32>)>,
}

impl Block {
    /// A block of these items.
    fn of(keys: &[DeletionKey<'_>], items: Vec<u32>) -> Block {
        let mut b = Block {
            items: Vec::new(),
            min1: None,
            min2: None,
            classes: Vec::new(),
        };
        for &x in &items {
            b.note(keys, x);
        }
        b.items = items;
        b
    }

    /// Updates the summaries for a new item `x` (already in `items`, or about to be).
    fn note(&mut self, keys: &[DeletionKey<'_>], x: u32) {
        let k = |i: u32| &keys[i as usize];
        let (cx, ux) = (k(x).class(), k(x).uid);
        match self.min1 {
            None => self.min1 = Some(x),
            Some(m1) if ux < k(m1).uid => {
                if k(m1).class() != cx {
                    self.min2 = Some(m1);
                }
                self.min1 = Some(x);
            }
            Some(m1) => {
                if k(m1).class() != cx && self.min2.is_none_or(|m2| ux < k(m2).uid) {
                    self.min2 = Some(x);
                }
            }
        }
        match self.classes.binary_search_by(|(c, _)| c.cmp(&cx)) {
            Ok(i) => self.classes[i].1.push(x),
            Err(i) => self.classes.insert(i, (cx, vec![x])),
        }
    }
}

/// A list of one group's keys in insertion-sort order, in blocks. Inserting `x` walks from the
/// end as the insertion sort does, stopping after the last item `y` with `!x.less(y)`. Within a
/// group, keys of different classes compare by uid, so a block can only hold such a `y` if it
/// has one of another class with a uid not above `x`'s (its two smallest uids say) or one of
/// `x`'s class (checked one by one); other blocks are passed over whole.
struct BlockList<'k, 'a> {
    keys: &'k [DeletionKey<'a>],
    now: SimTime,
    block: usize,
    blocks: Vec<Block>,
    /// Block indices in list order.
    order: Vec<usize>,
}

impl<'k, 'a> BlockList<'k, 'a> {
    fn new(keys: &'k [DeletionKey<'a>], now: SimTime, block: usize) -> Self {
        BlockList {
            keys,
            now,
            block,
            blocks: Vec::new(),
            order: Vec::new(),
        }
    }

    fn uid(&self, i: u32) -> &'a str {
        self.keys[i as usize].uid
    }

    fn class(&self, i: u32) -> Option<u64> {
        self.keys[i as usize].class()
    }

    /// `y` stops the insertion of `x`.
    fn stops(&self, x: u32, y: u32) -> bool {
        !self.keys[x as usize].less(&self.keys[y as usize], self.now)
    }

    /// Whether block `b` may hold an item that stops `x`.
    fn may_stop(&self, b: &Block, x: u32) -> bool {
        let (cx, ux) = (self.class(x), self.uid(x));
        let other_class = match (b.min1, b.min2) {
            (Some(m), _) if self.class(m) != cx => self.uid(m) <= ux,
            (_, Some(m)) => self.uid(m) <= ux,
            _ => false,
        };
        other_class
            || b.classes
                .binary_search_by(|(c, _)| c.cmp(&cx))
                .is_ok_and(|k| b.classes[k].1.iter().any(|&y| self.stops(x, y)))
    }

    fn insert(&mut self, x: u32) {
        let mut at = None;
        for pos in (0..self.order.len()).rev() {
            let b = &self.blocks[self.order[pos]];
            if !self.may_stop(b, x) {
                continue;
            }
            if let Some(off) = b.items.iter().rposition(|&y| self.stops(x, y)) {
                at = Some((pos, off + 1));
                break;
            }
        }
        let (pos, off) = match at {
            Some(a) => a,
            None if self.order.is_empty() => {
                self.blocks.push(Block::of(self.keys, Vec::new()));
                self.order.push(0);
                (0, 0)
            }
            None => (0, 0),
        };
        let bi = self.order[pos];
        self.blocks[bi].items.insert(off, x);
        if self.blocks[bi].items.len() > 2 * self.block {
            let right = self.blocks[bi].items.split_off(self.block);
            let left = std::mem::take(&mut self.blocks[bi].items);
            self.blocks[bi] = Block::of(self.keys, left);
            self.blocks.push(Block::of(self.keys, right));
            self.order.insert(pos + 1, self.blocks.len() - 1);
        } else {
            self.blocks[bi].note(self.keys, x);
        }
    }

    fn drain_into(self, out: &mut Vec<u32>) {
        for bi in self.order {
            out.extend_from_slice(&self.blocks[bi].items);
        }
    }
}

/// The order `getPodsToDelete` sorts in, as an `Ordering` for a (stable) sort.
pub fn deletion_order(a: Ranked<'_>, b: Ranked<'_>, now: SimTime) -> Ordering {
    if deletion_less(a, b, now) {
        Ordering::Less
    } else if deletion_less(b, a, now) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Time;
    use crate::sim::SimTime;
    use std::collections::BTreeMap;

    /// "now" of the table: 40 days into the simulation, so a month ago is still positive.
    const NOW_S: u64 = 40 * 86_400;

    /// The pod builder of TestSortingActivePodsWithRanks; times are seconds ago (None: zero).
    #[allow(clippy::too_many_arguments)]
    fn pod(
        name: &str,
        node: &str,
        phase: &str,
        ready: bool,
        restarts: i32,
        ready_ago: Option<u64>,
        created_ago: Option<u64>,
        cost: Option<&str>,
    ) -> Pod {
        let at = |ago: Option<u64>| ago.map(|a| Time(SimTime((NOW_S - a) * 1_000_000)));
        let mut p = Pod::default();
        // No uid, as upstream's table: equal logarithmic buckets then compare equal.
        p.metadata.name = name.into();
        p.metadata.creation_timestamp = at(created_ago);
        if let Some(c) = cost {
            p.metadata.annotations =
                BTreeMap::from([(POD_DELETION_COST.to_string(), c.to_string())]);
        }
        p.spec.node_name = node.into();
        p.status.phase = phase.into();
        if ready {
            p.status.conditions.push(crate::api::pod::PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: at(ready_ago),
                ..Default::default()
            });
            p.status
                .container_statuses
                .push(crate::api::pod::ContainerStatus {
                    restart_count: restarts,
                    ..Default::default()
                });
        }
        p
    }

    /// controller_utils_test.go TestSortingActivePodsWithRanks (feature gates at their
    /// defaults: PodDeletionCost and LogarithmicScaleDown on).
    #[test]
    fn sorting_active_pods_with_ranks() {
        let now = SimTime(NOW_S * 1_000_000);
        let (month, h2, h5, h8) = (
            Some(30 * 86_400),
            Some(2 * 3600),
            Some(5 * 3600),
            Some(8 * 3600),
        );
        let z = None;
        let unscheduled = pod("unscheduled", "", "Pending", false, 0, z, z, None);
        let scheduled_pending = pod("pending", "node", "Pending", false, 0, z, z, None);
        let unknown_phase = pod("unknown-phase", "node", "Unknown", false, 0, z, z, None);
        let running_not_ready = pod("not-ready", "node", "Running", false, 0, z, z, None);
        let ready_no_ltt = pod(
            "ready-no-last-transition-time",
            "node",
            "Running",
            true,
            0,
            z,
            z,
            None,
        );
        let ready_now = pod(
            "ready-now",
            "node",
            "Running",
            true,
            0,
            Some(0),
            Some(0),
            None,
        );
        let ready_then = pod("ready-then", "node", "Running", true, 0, month, month, None);
        let ready_now_high_restarts = pod(
            "ready-high-restarts",
            "node",
            "Running",
            true,
            9001,
            Some(0),
            Some(0),
            None,
        );
        let ready_now_created_then = pod(
            "ready-now-created-then",
            "node",
            "Running",
            true,
            0,
            Some(0),
            month,
            None,
        );
        let low_cost = pod(
            "low-deletion-cost",
            "node",
            "Running",
            true,
            0,
            Some(0),
            month,
            Some("10"),
        );
        let high_cost = pod(
            "high-deletion-cost",
            "node",
            "Running",
            true,
            0,
            Some(0),
            month,
            Some("100"),
        );
        let unscheduled_5h = pod("unscheduled-5-hours", "", "Pending", false, 0, h5, h5, None);
        let unscheduled_8h = pod(
            "unscheduled-10-hours",
            "",
            "Pending",
            false,
            0,
            h8,
            h8,
            None,
        );
        let ready_2h = pod("ready-2-hours", "", "Running", true, 0, h2, month, None);
        let ready_5h = pod("ready-5-hours", "", "Running", true, 0, h5, month, None);
        let ready_8h = pod("ready-10-hours", "", "Running", true, 0, h8, month, None);

        let equal: Vec<(&Pod, &Pod)> = vec![
            (&unscheduled, &unscheduled),
            (&scheduled_pending, &scheduled_pending),
            (&unknown_phase, &unknown_phase),
            (&running_not_ready, &running_not_ready),
            (&ready_now_created_then, &ready_now_created_then),
            (&ready_now, &ready_now),
            (&ready_then, &ready_then),
            (&ready_now_high_restarts, &ready_now_high_restarts),
            (&unscheduled_5h, &unscheduled_8h),
            (&ready_5h, &ready_8h),
        ];
        for (i, (p1, p2)) in equal.into_iter().enumerate() {
            let less = deletion_less((p1, 1), (p2, 1), now) || deletion_less((p2, 1), (p1, 1), now);
            assert!(
                !less,
                "Equality tests {i}: {} vs {}",
                p1.metadata.name, p2.metadata.name
            );
        }

        let unequal: Vec<(Ranked<'_>, Ranked<'_>)> = vec![
            ((&unscheduled, 1), (&scheduled_pending, 2)),
            ((&unscheduled, 2), (&scheduled_pending, 1)),
            ((&scheduled_pending, 1), (&unknown_phase, 2)),
            ((&unknown_phase, 1), (&running_not_ready, 2)),
            ((&running_not_ready, 1), (&ready_no_ltt, 1)),
            ((&ready_no_ltt, 1), (&ready_now, 1)),
            ((&ready_now, 2), (&ready_no_ltt, 1)),
            ((&ready_now, 1), (&ready_then, 1)),
            ((&ready_now, 2), (&ready_then, 1)),
            ((&ready_now_high_restarts, 1), (&ready_now, 1)),
            ((&ready_now, 2), (&ready_now_high_restarts, 1)),
            ((&ready_now, 1), (&ready_now_created_then, 1)),
            ((&ready_now_created_then, 2), (&ready_now, 1)),
            ((&low_cost, 2), (&high_cost, 1)),
            ((&ready_2h, 1), (&ready_5h, 1)),
        ];
        for (i, (lesser, greater)) in unequal.into_iter().enumerate() {
            assert!(
                deletion_less(lesser, greater, now),
                "Inequality tests {i}: {} first",
                lesser.0.metadata.name
            );
            assert!(
                !deletion_less(greater, lesser, now),
                "Inequality tests {i}: not {} first",
                greater.0.metadata.name
            );
        }
    }

    /// `sort_for_deletion` gives exactly the plain insertion sort's order, on sets with many
    /// ties (equal ready and creation seconds, equal ranks, every phase), blocks of 2 to 64.
    #[test]
    fn fast_deletion_sort_is_the_insertion_sort() {
        let now = SimTime(NOW_S * 1_000_000);
        for case in 0..300u64 {
            let mut rng = crate::sim::SimRng::new(case, 0);
            let n = rng.uniform(1, 399) as usize;
            let spread = [3u64, 50, 5000][case as usize % 3];
            let pods: Vec<Pod> = (0..n)
                .map(|i| {
                    let phase = ["Pending", "Running", "Running", "Unknown"][rng.index(4)];
                    let ready = phase == "Running" && rng.index(5) > 0;
                    let created = Some(rng.uniform(1, spread));
                    let ready_ago = if rng.index(20) == 0 {
                        None
                    } else {
                        Some(rng.uniform(0, spread - 1))
                    };
                    let node = if rng.index(10) == 0 { "" } else { "n" };
                    let restarts = if rng.index(10) == 0 { 1 } else { 0 };
                    let mut p = pod("p", node, phase, ready, restarts, ready_ago, created, None);
                    p.metadata.uid = format!("{:08x}-{i}", rng.next_u64() % 4096);
                    p
                })
                .collect();
            let ranked: Vec<Ranked<'_>> = pods
                .iter()
                .map(|p| (p, [1, 1, 2, 3][rng.index(4)]))
                .collect();
            let mut want = ranked.clone();
            insertion_sort(&mut want, now);
            let want: Vec<&str> = want.iter().map(|(p, _)| p.metadata.uid.as_str()).collect();
            let keys: Vec<DeletionKey<'_>> = ranked.iter().map(|r| DeletionKey::of(*r)).collect();
            for block in [2, 5, 64] {
                let got: Vec<&str> = sorted_order(&keys, now, block)
                    .into_iter()
                    .map(|i| ranked[i as usize].0.metadata.uid.as_str())
                    .collect();
                assert_eq!(got, want, "case {case}, {n} pods, blocks of {block}");
            }
            let mut fast = ranked.clone();
            sort_for_deletion(&mut fast, now);
            let fast: Vec<&str> = fast.iter().map(|(p, _)| p.metadata.uid.as_str()).collect();
            assert_eq!(fast, want, "case {case}");
        }
    }
}
