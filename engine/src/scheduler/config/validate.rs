//! ValidateKubeSchedulerConfiguration (pkg/scheduler/apis/config/validation/validation.go)
//! with component-base's client-connection and leader-election checks
//! (staging/src/k8s.io/component-base/config/validation/validation.go). Upstream collects
//! every error; kubesim reports the first, in upstream's order. Plugin args are checked by
//! the plugins' factories when profiles are built.

use super::plugins::{ExtensionPoint, PluginSet};
use super::position::FieldPath;
use super::{ConfigError, ProfileConfig, SchedulerConfig, Source, API_VERSION};
use std::collections::BTreeMap;

/// Plugins removed from the v1 API (invalidPluginsByVersion).
const INVALID_PLUGINS_V1: &[&str] = &[
    "AzureDiskLimits",
    "CinderLimits",
    "EBSLimits",
    "GCEPDLimits",
];

pub(super) fn validate(src: &Source, c: &SchedulerConfig) -> Result<(), ConfigError> {
    let root = FieldPath::root();
    if c.client_burst < 0 {
        let p = root.key("clientConnection").key("burst");
        return Err(invalid(src, &p, c.client_burst, "must be non-negative"));
    }
    let le = &c.leader_election;
    let lp = root.key("leaderElection");
    if le.leader_elect {
        for (key, ns) in [
            ("leaseDuration", le.lease_duration_ns),
            ("renewDeadline", le.renew_deadline_ns),
            ("retryPeriod", le.retry_period_ns),
        ] {
            if ns <= 0 {
                let v = go_duration_string(ns);
                return Err(invalid(
                    src,
                    &lp.key(key),
                    q(&v),
                    "must be greater than zero",
                ));
            }
        }
        if le.lease_duration_ns <= le.renew_deadline_ns {
            let v = go_duration_string(le.renew_deadline_ns);
            return Err(invalid(
                src,
                &lp.key("leaseDuration"),
                q(&v),
                "must be greater than `RenewDeadline`",
            ));
        }
        if le.resource_lock != "leases" {
            return Err(invalid(
                src,
                &lp.key("resourceLock"),
                q(&le.resource_lock),
                "resourceLock value must be \"leases\"",
            ));
        }
    }
    if c.parallelism <= 0 {
        return Err(invalid(
            src,
            &root.key("parallelism"),
            c.parallelism,
            "should be an integer value greater than zero",
        ));
    }
    let mut existing: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, prof) in c.profiles.iter().enumerate() {
        validate_profile(src, prof)?;
        let name_path = prof.path.key("schedulerName");
        if let Some(&j) = existing.get(prof.scheduler_name.as_str()) {
            return Err(src.err(
                &name_path,
                format!(
                    "{name_path}: Duplicate value: {:?} (also profiles[{j}].schedulerName)",
                    prof.scheduler_name
                ),
            ));
        }
        existing.insert(&prof.scheduler_name, i);
    }
    validate_common_queue_sort(src, &c.profiles)?;
    validate_percentage(
        src,
        &root.key("percentageOfNodesToScore"),
        Some(c.percentage_of_nodes_to_score),
    )?;
    if c.pod_initial_backoff_seconds <= 0 {
        return Err(invalid(
            src,
            &root.key("podInitialBackoffSeconds"),
            c.pod_initial_backoff_seconds,
            "must be greater than 0",
        ));
    }
    if c.pod_max_backoff_seconds < c.pod_initial_backoff_seconds {
        return Err(invalid(
            src,
            &root.key("podMaxBackoffSeconds"),
            c.pod_max_backoff_seconds,
            "must be greater than or equal to PodInitialBackoffSeconds",
        ));
    }
    Ok(())
}

/// `field.Invalid`: "<path>: Invalid value: <value>: <detail>".
fn invalid(
    src: &Source,
    path: &FieldPath,
    value: impl std::fmt::Display,
    detail: &str,
) -> ConfigError {
    src.err(path, format!("{path}: Invalid value: {value}: {detail}"))
}

/// A Go `%q` string.
fn q(s: &str) -> String {
    format!("{s:?}")
}

fn validate_percentage(src: &Source, path: &FieldPath, v: Option<i32>) -> Result<(), ConfigError> {
    match v {
        Some(p) if !(0..=100).contains(&p) => {
            Err(invalid(src, path, p, "not in valid range [0-100]"))
        }
        _ => Ok(()),
    }
}

/// validateKubeSchedulerProfile and validatePluginConfig (args apart).
fn validate_profile(src: &Source, prof: &ProfileConfig) -> Result<(), ConfigError> {
    if prof.scheduler_name.is_empty() {
        let p = prof.path.key("schedulerName");
        return Err(src.err(&p, format!("{p}: Required value")));
    }
    validate_percentage(
        src,
        &prof.path.key("percentageOfNodesToScore"),
        prof.percentage_of_nodes_to_score,
    )?;
    let was_invalid = format!(
        "was invalid in version {API_VERSION:?} (KubeSchedulerConfiguration is version {API_VERSION:?})"
    );
    let plugins_path = prof.path.key("plugins");
    for ep in ExtensionPoint::ALL {
        for (i, p) in prof.plugins.get(ep).enabled.iter().enumerate() {
            if INVALID_PLUGINS_V1.contains(&p.name.as_str()) {
                let path = p
                    .src
                    .clone()
                    .unwrap_or_else(|| plugins_path.key(ep.key()).key("enabled").index(i));
                return Err(invalid(src, &path, q(&p.name), &was_invalid));
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for pc in &prof.plugin_config {
        if seen.contains(&pc.name.as_str()) {
            return Err(src.err(
                &pc.path,
                format!("{}: Duplicate value: {:?}", pc.path, pc.name),
            ));
        }
        seen.push(&pc.name);
        if INVALID_PLUGINS_V1.contains(&pc.name.as_str()) {
            return Err(invalid(src, &pc.path, q(&pc.name), &was_invalid));
        }
    }
    Ok(())
}

/// Enabled and disabled names and weights, the parts DeepEqual compares.
fn set_key(s: &PluginSet) -> (Vec<(&str, Option<i32>)>, Vec<&str>) {
    (
        s.enabled
            .iter()
            .map(|p| (p.name.as_str(), p.weight))
            .collect(),
        s.disabled.iter().map(|p| p.name.as_str()).collect(),
    )
}

/// validateCommonQueueSort: every profile has the first profile's queueSort set and args.
fn validate_common_queue_sort(src: &Source, profiles: &[ProfileConfig]) -> Result<(), ConfigError> {
    let Some(first) = profiles.first() else {
        return Ok(());
    };
    let canon = first.plugins.get(ExtensionPoint::QueueSort);
    let name = canon.enabled.first().map(|p| p.name.as_str()).unwrap_or("");
    if canon.enabled.len() > 1 {
        // Upstream names the Go field: `queueSort.Enabled`.
        let p = first.path.key("plugins").key("queueSort").key("Enabled");
        return Err(src.err(
            &first.path.key("plugins").key("queueSort").key("enabled"),
            format!(
                "{p}: Invalid value: {}: only one queue sort plugin can be enabled",
                canon.enabled.len()
            ),
        ));
    }
    let canon_args = first
        .plugin_config
        .iter()
        .rfind(|c| !name.is_empty() && c.name == name)
        .and_then(|c| c.args.as_ref());
    for prof in &profiles[1..] {
        let curr = prof.plugins.get(ExtensionPoint::QueueSort);
        if set_key(curr) != set_key(canon) {
            let p = prof.path.key("plugins").key("queueSort");
            let names: Vec<&str> = curr.enabled.iter().map(|p| p.name.as_str()).collect();
            return Err(invalid(
                src,
                &p,
                format!("{names:?}"),
                &format!(
                    "must be the same for all profiles (profiles[0] has {:?})",
                    {
                        let v: Vec<&str> = canon.enabled.iter().map(|p| p.name.as_str()).collect();
                        v
                    }
                ),
            ));
        }
        for cfg in &prof.plugin_config {
            if cfg.name == name && cfg.args.as_ref() != canon_args {
                let p = prof.path.key("pluginConfig").key("args");
                return Err(src.err(
                    &cfg.path.key("args"),
                    format!(
                        "{p}: Invalid value: {}: queueSort must be the same for all profiles",
                        cfg.args
                            .as_ref()
                            .map(|a| a.to_string())
                            .unwrap_or_else(|| "null".into())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Go's `time.Duration.String` for whole and fractional seconds, minutes and hours.
fn go_duration_string(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let body = if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("\u{b5}s", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        format!("{}{unit}", frac(u, div))
    } else {
        let h = u / 3_600_000_000_000;
        let m = u / 60_000_000_000 % 60;
        let s = u % 60_000_000_000;
        let mut out = String::new();
        if h > 0 {
            out += &format!("{h}h");
        }
        if h > 0 || m > 0 {
            out += &format!("{m}m");
        }
        out + &format!("{}s", frac(s, 1_000_000_000))
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// `v / div` with the fraction's trailing zeros dropped.
fn frac(v: u64, div: u64) -> String {
    let (w, f) = (v / div, v % div);
    if f == 0 {
        return w.to_string();
    }
    let width = div.ilog10() as usize;
    let fs = format!("{f:0width$}");
    format!("{w}.{}", fs.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::go_duration_string;

    #[test]
    fn durations_print_as_go() {
        for (ns, want) in [
            (0, "0s"),
            (1_500_000_000, "1.5s"),
            (15_000_000_000, "15s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (-2_000_000_000, "-2s"),
            (500_000_000, "500ms"),
            (1_500, "1.5\u{b5}s"),
        ] {
            assert_eq!(go_duration_string(ns), want);
        }
    }
}
