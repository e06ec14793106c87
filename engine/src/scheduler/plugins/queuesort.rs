//! PrioritySort: the activeQ order, higher priority first, then earlier queue timestamp.
//! Models pkg/scheduler/framework/plugins/queuesort/priority_sort.go. The queue
//! (scheduler/queue.rs) orders by the same key; the plugin has no other extension point.

use crate::scheduler::framework::Plugin;
use crate::sim::SimTime;

pub const NAME: &str = "PrioritySort";

/// The PrioritySort plugin.
#[derive(Clone, Debug, Default)]
pub struct PrioritySort;

impl Plugin for PrioritySort {
    fn name(&self) -> &str {
        NAME
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(PrioritySort))
}

/// `Less`: whether a pod with (priority, queue timestamp) `a` goes before one with `b`. The
/// priority is `GetPodPriority` (0 when unset).
pub fn less(a: (i32, SimTime), b: (i32, SimTime)) -> bool {
    let ((p1, t1), (p2, t2)) = (a, b);
    p1 > p2 || (p1 == p2 && t1 < t2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// priority_sort_test.go TestLess.
    #[test]
    fn less_table() {
        let (low, high) = (10, 100);
        // t2 is one second after t1.
        let (t1, t2) = (SimTime(5_000_000), SimTime(6_000_000));
        let cases = [
            (
                "p1.priority less than p2.priority",
                (low, t1),
                (high, t1),
                false,
            ),
            (
                "p1.priority greater than p2.priority",
                (high, t1),
                (low, t1),
                true,
            ),
            (
                "equal priority. p1 is added to schedulingQ earlier than p2",
                (high, t1),
                (high, t2),
                true,
            ),
            (
                "equal priority. p2 is added to schedulingQ earlier than p1",
                (high, t2),
                (high, t1),
                false,
            ),
        ];
        for (name, p1, p2, want) in cases {
            assert_eq!(less(p1, p2), want, "{name}");
        }
    }

    #[test]
    fn has_no_extension_point_but_queue_sort() {
        let p = PrioritySort;
        assert_eq!(p.name(), NAME);
        assert!(p.as_pre_enqueue().is_none());
        assert!(p.as_pre_filter().is_none());
        assert!(p.as_filter().is_none());
        assert!(p.as_score().is_none());
        assert!(p.as_bind().is_none());
    }
}
