//! Toleration matching: `Toleration.ToleratesTaint` (k8s.io/api/core/v1/toleration.go) and the
//! helpers over lists (pkg/apis/core/v1/helper/helpers.go, k8s.io/component-helpers/scheduling/
//! corev1/helpers.go). Shared by the taint eviction controller and the scheduler.

use crate::api::pod::Toleration;
use crate::api::Taint;

pub const TAINT_EFFECT_NO_SCHEDULE: &str = "NoSchedule";
pub const TAINT_EFFECT_PREFER_NO_SCHEDULE: &str = "PreferNoSchedule";
pub const TAINT_EFFECT_NO_EXECUTE: &str = "NoExecute";

pub const TOLERATION_OP_EXISTS: &str = "Exists";
pub const TOLERATION_OP_EQUAL: &str = "Equal";
/// Numeric comparisons (alpha in v1.35, feature gate TaintTolerationComparisonOperators).
pub const TOLERATION_OP_LT: &str = "Lt";
pub const TOLERATION_OP_GT: &str = "Gt";

/// Whether `t` tolerates `taint`: an empty effect matches every effect, an empty key (with
/// `Exists`) every key; `Exists` matches any value, `Equal` (or empty) the same value, `Lt`/`Gt`
/// compare both values as int64 (unparsable: not tolerated).
pub fn tolerates_taint(t: &Toleration, taint: &Taint) -> bool {
    if !t.effect.is_empty() && t.effect != taint.effect {
        return false;
    }
    if !t.key.is_empty() && t.key != taint.key {
        return false;
    }
    match t.operator.as_str() {
        "" | TOLERATION_OP_EQUAL => t.value == taint.value,
        TOLERATION_OP_EXISTS => true,
        TOLERATION_OP_LT | TOLERATION_OP_GT => compare_numeric(&t.value, &taint.value, &t.operator),
        _ => false,
    }
}

/// `compareNumericValues`: `Lt` holds when taint < toleration, `Gt` when taint > toleration.
fn compare_numeric(toleration: &str, taint: &str, op: &str) -> bool {
    let (Ok(tol), Ok(tnt)) = (toleration.parse::<i64>(), taint.parse::<i64>()) else {
        return false;
    };
    match op {
        TOLERATION_OP_LT => tnt < tol,
        TOLERATION_OP_GT => tnt > tol,
        _ => false,
    }
}

/// `TolerationsTolerateTaint`: some toleration tolerates `taint`.
pub fn tolerations_tolerate_taint(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates_taint(t, taint))
}

/// `TolerationsTolerateTaintsWithFilter`: every taint passing `filter` (all when `None`) is
/// tolerated.
pub fn tolerations_tolerate_taints_with_filter(
    tolerations: &[Toleration],
    taints: &[Taint],
    filter: Option<&dyn Fn(&Taint) -> bool>,
) -> bool {
    find_matching_untolerated_taint(taints, tolerations, filter).is_none()
}

/// `FindMatchingUntoleratedTaint`: the first taint passing `filter` (all when `None`) that no
/// toleration tolerates.
pub fn find_matching_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    filter: Option<&dyn Fn(&Taint) -> bool>,
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|t| filter.is_none_or(|f| f(t)))
        .find(|t| !tolerations_tolerate_taint(tolerations, t))
}

/// `GetMatchingTolerations`: when every taint is tolerated, the first tolerating toleration of
/// each taint, in taint order (a toleration may repeat); `None` when some taint is not.
pub fn get_matching_tolerations<'a>(
    taints: &[Taint],
    tolerations: &'a [Toleration],
) -> Option<Vec<&'a Toleration>> {
    taints
        .iter()
        .map(|taint| tolerations.iter().find(|t| tolerates_taint(t, taint)))
        .collect()
}

/// The NoExecute taints of a list, in order (taint_eviction.go getNoExecuteTaints).
pub fn no_execute_taints(taints: &[Taint]) -> Vec<Taint> {
    taints
        .iter()
        .filter(|t| t.effect == TAINT_EFFECT_NO_EXECUTE)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        Toleration {
            key: key.into(),
            operator: op.into(),
            value: value.into(),
            effect: effect.into(),
            toleration_seconds: None,
        }
    }

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
            time_added: None,
        }
    }

    /// k8s.io/api/core/v1 toleration_test.go TestTolerationToleratesTaint.
    #[test]
    fn toleration_tolerates_taint() {
        let (ns, ne) = (TAINT_EFFECT_NO_SCHEDULE, TAINT_EFFECT_NO_EXECUTE);
        let sla = "node.kubernetes.io/sla";
        let cases = [
            (
                "same key and effect, Exists, taint without value",
                tol("foo", "Exists", "", ns),
                taint("foo", "", ns),
                true,
            ),
            (
                "same key and effect, Exists, taint with a value",
                tol("foo", "Exists", "", ns),
                taint("foo", "bar", ns),
                true,
            ),
            (
                "same effect, empty key with Exists matches all taints",
                tol("", "Exists", "", ns),
                taint("foo", "bar", ns),
                true,
            ),
            (
                "same key, effect and value, Equal",
                tol("foo", "Equal", "bar", ns),
                taint("foo", "bar", ns),
                true,
            ),
            (
                "same key and effect, different values, Equal",
                tol("foo", "Equal", "value1", ns),
                taint("foo", "value2", ns),
                false,
            ),
            (
                "same key and value, different effects, Equal",
                tol("foo", "Equal", "bar", ns),
                taint("foo", "bar", ne),
                false,
            ),
            (
                "Gt, taint value less than toleration value",
                tol(sla, "Gt", "950", ns),
                taint(sla, "800", ns),
                false,
            ),
            (
                "Gt, taint value greater than toleration value",
                tol(sla, "Gt", "750", ns),
                taint(sla, "950", ns),
                true,
            ),
            (
                "Lt, taint value greater than toleration value",
                tol(sla, "Lt", "800", ns),
                taint(sla, "950", ns),
                false,
            ),
            (
                "Lt, taint value less than toleration value",
                tol(sla, "Lt", "950", ns),
                taint(sla, "800", ns),
                true,
            ),
            (
                "Gt, equal numeric values",
                tol(sla, "Gt", "950", ns),
                taint(sla, "950", ns),
                false,
            ),
            (
                "Gt, non-numeric taint value",
                tol(sla, "Gt", "950", ns),
                taint(sla, "high", ns),
                false,
            ),
            (
                "Gt, negative values, taint below threshold",
                tol("test-key", "Gt", "-100", ns),
                taint("test-key", "-200", ns),
                false,
            ),
            (
                "Gt, large int64 threshold",
                tol("test-key", "Gt", "9223372036854775806", ns),
                taint("test-key", "100", ns),
                false,
            ),
            // Not in the upstream table: the defaults kubesim relies on.
            (
                "empty operator means Equal",
                tol("foo", "", "bar", ne),
                taint("foo", "bar", ne),
                true,
            ),
            (
                "empty effect matches NoExecute",
                tol("foo", "Exists", "", ""),
                taint("foo", "", ne),
                true,
            ),
            (
                "empty key and effect with Exists tolerates everything",
                tol("", "Exists", "", ""),
                taint("anything", "x", ne),
                true,
            ),
            (
                "unknown operator",
                tol("foo", "In", "bar", ne),
                taint("foo", "bar", ne),
                false,
            ),
        ];
        for (name, t, taint, want) in cases {
            assert_eq!(tolerates_taint(&t, &taint), want, "{name}");
        }
    }

    type Filter<'a> = Option<&'a dyn Fn(&Taint) -> bool>;
    /// (description, tolerations, taints, filter, tolerated).
    type Row<'a> = (&'a str, Vec<Toleration>, Vec<Taint>, Filter<'a>, bool);

    /// pkg/apis/core/v1/helper helpers_test.go TestTolerationsTolerateTaintsWithFilter and
    /// k8s.io/component-helpers scheduling/corev1 helpers_test.go
    /// TestFindMatchingUntoleratedTaint (the same table).
    #[test]
    fn tolerations_tolerate_taints_with_filter_table() {
        let (ns, ne) = (TAINT_EFFECT_NO_SCHEDULE, TAINT_EFFECT_NO_EXECUTE);
        let all: &dyn Fn(&Taint) -> bool = &|_| true;
        let none: &dyn Fn(&Taint) -> bool = &|_| false;
        let no_execute: &dyn Fn(&Taint) -> bool = &|t| t.effect == ne;
        let cases: Vec<Row> = vec![
            (
                "empty tolerations tolerate empty taints",
                vec![],
                vec![],
                Some(all),
                true,
            ),
            (
                "non-empty tolerations tolerate empty taints",
                vec![tol("foo", "Exists", "", ns)],
                vec![],
                Some(all),
                true,
            ),
            (
                "tolerations match all taints",
                vec![tol("foo", "Exists", "", ns)],
                vec![taint("foo", "", ns)],
                Some(all),
                true,
            ),
            (
                "tolerations don't match taints, but no taints apply to the filter",
                vec![tol("foo", "Exists", "", ns)],
                vec![taint("bar", "", ns)],
                Some(none),
                true,
            ),
            (
                "no filter: all taints apply, tolerations don't match",
                vec![tol("foo", "Exists", "", ns)],
                vec![taint("bar", "", ns)],
                None,
                false,
            ),
            (
                "tolerations match the filtered taints",
                vec![tol("foo", "Exists", "", ne)],
                vec![taint("foo", "", ne), taint("bar", "", ns)],
                Some(no_execute),
                true,
            ),
        ];
        for (name, tols, taints, filter, want) in cases {
            assert_eq!(
                tolerations_tolerate_taints_with_filter(&tols, &taints, filter),
                want,
                "{name}"
            );
            assert_eq!(
                find_matching_untolerated_taint(&taints, &tols, filter).is_none(),
                want,
                "{name}"
            );
        }
    }

    /// GetMatchingTolerations (no upstream table): the first tolerating toleration per taint.
    #[test]
    fn matching_tolerations_take_the_first_match_per_taint() {
        let ne = TAINT_EFFECT_NO_EXECUTE;
        let mut forever = tol("a", "Exists", "", ne);
        forever.toleration_seconds = None;
        let mut short = tol("", "Exists", "", "");
        short.toleration_seconds = Some(10);
        let tols = [forever.clone(), short.clone()];
        let got = get_matching_tolerations(&[taint("a", "", ne), taint("b", "", ne)], &tols);
        assert_eq!(got, Some(vec![&forever, &short]));
        assert_eq!(get_matching_tolerations(&[], &tols), Some(vec![]));
        assert_eq!(get_matching_tolerations(&[taint("a", "", ne)], &[]), None);
        let only_a = [forever];
        assert_eq!(
            get_matching_tolerations(&[taint("a", "", ne), taint("b", "", ne)], &only_a),
            None
        );
    }

    /// taint_eviction_test.go TestFilterNoExecuteTaints.
    #[test]
    fn filter_no_execute_taints() {
        let taints = [
            taint("one", "one", TAINT_EFFECT_NO_EXECUTE),
            taint("two", "two", TAINT_EFFECT_NO_SCHEDULE),
        ];
        let got = no_execute_taints(&taints);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].key, "one");
    }
}
