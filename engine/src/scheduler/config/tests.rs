use super::plugins::{
    expand, merge_plugin_set, ExtensionPoint as EP, PluginRef, PluginSet, Plugins,
};
use super::*;
use crate::scheduler::framework::{
    BindPlugin, CycleState, FilterPlugin, NodeInfo, PermitPlugin, Plugin, PodInfo,
    PostFilterPlugin, PostFilterResult, PreEnqueuePlugin, PreFilterPlugin, PreFilterResult,
    PreScorePlugin, ReservePlugin, ScorePlugin, Status,
};
use crate::scheduler::registry::{parse_args, Registry};
use crate::scheduler::snapshot::Snapshot;
use crate::scheduler::Profile;
use std::collections::BTreeMap;

const HEAD: &str = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

fn refs(list: &[(&str, Option<i32>)]) -> Vec<PluginRef> {
    list.iter().map(|&(n, w)| PluginRef::new(n, w)).collect()
}

fn set(enabled: &[(&str, Option<i32>)], disabled: &[&str]) -> PluginSet {
    PluginSet {
        enabled: refs(enabled),
        disabled: disabled.iter().map(|n| PluginRef::new(n, None)).collect(),
    }
}

/// Plugins with the given sets (None: MultiPoint).
fn plugins(sets: Vec<(Option<EP>, PluginSet)>) -> Plugins {
    let mut p = Plugins::default();
    for (ep, s) in sets {
        match ep {
            None => p.multi_point = s,
            Some(ep) => *p.get_mut(ep) = s,
        }
    }
    p
}

fn err(text: &str) -> String {
    parse(text, "sched.yaml").unwrap_err().to_string()
}

fn build_err(text: &str, registry: &Registry) -> String {
    parse(text, "sched.yaml")
        .unwrap()
        .build_profiles(registry)
        .err()
        .expect("build error")
        .to_string()
}

/// default_plugins_test.go TestMergePlugins.
#[test]
fn merge_plugins_table() {
    let f = Some(EP::Filter);
    let s = Some(EP::Score);
    type Case = (&'static str, Plugins, Option<Plugins>, Plugins);
    let cases: Vec<Case> = vec![
        (
            "AppendCustomPlugin",
            plugins(vec![(
                f,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            Some(plugins(vec![(f, set(&[("CustomPlugin", None)], &[]))])),
            plugins(vec![(
                f,
                set(
                    &[
                        ("DefaultPlugin1", None),
                        ("DefaultPlugin2", None),
                        ("CustomPlugin", None),
                    ],
                    &[],
                ),
            )]),
        ),
        (
            "InsertAfterDefaultPlugins2",
            plugins(vec![(
                f,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            Some(plugins(vec![(
                f,
                set(
                    &[("CustomPlugin", None), ("DefaultPlugin2", None)],
                    &["DefaultPlugin2"],
                ),
            )])),
            plugins(vec![(
                f,
                set(
                    &[
                        ("DefaultPlugin1", None),
                        ("CustomPlugin", None),
                        ("DefaultPlugin2", None),
                    ],
                    &["DefaultPlugin2"],
                ),
            )]),
        ),
        (
            "InsertBeforeAllPlugins",
            plugins(vec![(
                f,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            Some(plugins(vec![(
                f,
                set(
                    &[
                        ("CustomPlugin", None),
                        ("DefaultPlugin1", None),
                        ("DefaultPlugin2", None),
                    ],
                    &["*"],
                ),
            )])),
            plugins(vec![(
                f,
                set(
                    &[
                        ("CustomPlugin", None),
                        ("DefaultPlugin1", None),
                        ("DefaultPlugin2", None),
                    ],
                    &["*"],
                ),
            )]),
        ),
        (
            "ReorderDefaultPlugins",
            plugins(vec![(
                f,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            Some(plugins(vec![(
                f,
                set(
                    &[("DefaultPlugin2", None), ("DefaultPlugin1", None)],
                    &["*"],
                ),
            )])),
            plugins(vec![(
                f,
                set(
                    &[("DefaultPlugin2", None), ("DefaultPlugin1", None)],
                    &["*"],
                ),
            )]),
        ),
        (
            "ApplyNilCustomPlugin",
            plugins(vec![(
                f,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            None,
            plugins(vec![(
                f,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
        ),
        (
            "CustomPluginOverrideDefaultPlugin",
            plugins(vec![(
                f,
                set(
                    &[("Plugin1", None), ("Plugin2", None), ("Plugin3", None)],
                    &[],
                ),
            )]),
            Some(plugins(vec![(
                f,
                set(&[("Plugin1", Some(2)), ("Plugin3", Some(3))], &[]),
            )])),
            plugins(vec![(
                f,
                set(
                    &[
                        ("Plugin1", Some(2)),
                        ("Plugin2", None),
                        ("Plugin3", Some(3)),
                    ],
                    &[],
                ),
            )]),
        ),
        (
            "OrderPreserveAfterOverride",
            plugins(vec![(
                f,
                set(
                    &[("Plugin1", None), ("Plugin2", None), ("Plugin3", None)],
                    &[],
                ),
            )]),
            Some(plugins(vec![(
                f,
                set(&[("Plugin2", Some(2)), ("Plugin1", Some(1))], &[]),
            )])),
            plugins(vec![(
                f,
                set(
                    &[
                        ("Plugin1", Some(1)),
                        ("Plugin2", Some(2)),
                        ("Plugin3", None),
                    ],
                    &[],
                ),
            )]),
        ),
        (
            "RepeatedCustomPlugin",
            plugins(vec![(
                f,
                set(
                    &[("Plugin1", None), ("Plugin2", None), ("Plugin3", None)],
                    &[],
                ),
            )]),
            Some(plugins(vec![(
                f,
                set(
                    &[
                        ("Plugin1", None),
                        ("Plugin2", Some(2)),
                        ("Plugin3", None),
                        ("Plugin2", Some(4)),
                    ],
                    &[],
                ),
            )])),
            plugins(vec![(
                f,
                set(
                    &[
                        ("Plugin1", None),
                        ("Plugin2", Some(4)),
                        ("Plugin3", None),
                        ("Plugin2", Some(2)),
                    ],
                    &[],
                ),
            )]),
        ),
        (
            "Append custom MultiPoint plugin",
            plugins(vec![(
                None,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            Some(plugins(vec![(None, set(&[("CustomPlugin", None)], &[]))])),
            plugins(vec![(
                None,
                set(
                    &[
                        ("DefaultPlugin1", None),
                        ("DefaultPlugin2", None),
                        ("CustomPlugin", None),
                    ],
                    &[],
                ),
            )]),
        ),
        (
            "Append disabled Multipoint plugins",
            plugins(vec![(
                None,
                set(&[("DefaultPlugin1", None), ("DefaultPlugin2", None)], &[]),
            )]),
            Some(plugins(vec![
                (
                    None,
                    set(
                        &[("CustomPlugin", None), ("CustomPlugin2", None)],
                        &["DefaultPlugin2"],
                    ),
                ),
                (s, set(&[], &["CustomPlugin2"])),
            ])),
            plugins(vec![
                (
                    None,
                    set(
                        &[
                            ("DefaultPlugin1", None),
                            ("CustomPlugin", None),
                            ("CustomPlugin2", None),
                        ],
                        &["DefaultPlugin2"],
                    ),
                ),
                (s, set(&[], &["CustomPlugin2"])),
            ]),
        ),
        (
            "override default MultiPoint plugins with custom value",
            plugins(vec![(None, set(&[("DefaultPlugin", None)], &[]))]),
            Some(plugins(vec![(
                None,
                set(&[("DefaultPlugin", Some(5))], &[]),
            )])),
            plugins(vec![(None, set(&[("DefaultPlugin", Some(5))], &[]))]),
        ),
        (
            "disabled MultiPoint plugin in default set",
            plugins(vec![(
                None,
                set(&[("DefaultPlugin", None)], &["DefaultPlugin2"]),
            )]),
            Some(plugins(vec![(None, set(&[("CustomPlugin", None)], &[]))])),
            plugins(vec![(
                None,
                set(
                    &[("DefaultPlugin", None), ("CustomPlugin", None)],
                    &["DefaultPlugin2"],
                ),
            )]),
        ),
        (
            "disabled MultiPoint plugin in default set for specific extension point",
            plugins(vec![
                (None, set(&[("DefaultPlugin", None)], &[])),
                (s, set(&[], &["DefaultPlugin2"])),
            ]),
            Some(plugins(vec![(None, set(&[("CustomPlugin", None)], &[]))])),
            plugins(vec![
                (
                    None,
                    set(&[("DefaultPlugin", None), ("CustomPlugin", None)], &[]),
                ),
                (s, set(&[], &["DefaultPlugin2"])),
            ]),
        ),
        (
            "multipoint with only disabled gets merged",
            plugins(vec![(None, set(&[("DefaultPlugin", None)], &[]))]),
            Some(plugins(vec![(None, set(&[], &["DefaultPlugin"]))])),
            plugins(vec![(None, set(&[], &["DefaultPlugin"]))]),
        ),
    ];
    for (name, defaults, custom, want) in cases {
        assert_eq!(defaults.merge(custom.as_ref()), want, "{name}");
    }
    // mergePluginSet alone: the custom disabled entries come before the default ones.
    let m = merge_plugin_set(&set(&[], &["A"]), &set(&[], &["B"]));
    assert_eq!(m, set(&[], &["B", "A"]));
}

const TEST_PLUGIN: &str = "test-plugin";
const SCORE_PLUGIN_1: &str = "score-plugin-1";
const SCORE_PLUGIN_2: &str = "score-plugin-2";
const SCORE_WITH_NORMALIZE_PLUGIN_1: &str = "score-with-normalize-plugin-1";
const QUEUE_SORT_PLUGIN: &str = "no-op-queue-sort-plugin";
const BIND_PLUGIN: &str = "bind-plugin";
const PLACEMENT_SCORE_PLUGIN_1: &str = "placement-score-plugin-1";

/// framework_test.go's plugins and the interfaces each implements.
fn upstream_test_plugins(name: &str, ep: EP) -> Option<bool> {
    Some(match name {
        TEST_PLUGIN => true,
        SCORE_PLUGIN_1 | SCORE_PLUGIN_2 => matches!(ep, EP::PreScore | EP::Score),
        SCORE_WITH_NORMALIZE_PLUGIN_1 => ep == EP::Score,
        QUEUE_SORT_PLUGIN => ep == EP::QueueSort,
        BIND_PLUGIN => ep == EP::Bind,
        // Implements only PlacementScore, an extension point kubesim does not have.
        PLACEMENT_SCORE_PLUGIN_1 => false,
        _ => return None,
    })
}

/// ListPlugins: each non-empty extension point's plugins, Score with weights.
fn list_plugins(ex: &super::plugins::Expanded) -> BTreeMap<EP, Vec<(String, i64)>> {
    ex.points
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(&ep, v)| {
            let w = |n: &String| {
                if ep == EP::Score {
                    ex.score_weights[n]
                } else {
                    0
                }
            };
            (ep, v.iter().map(|n| (n.clone(), w(n))).collect())
        })
        .collect()
}

/// Every extension point with `test-plugin`, then the given overrides.
fn all_test_plugin(overrides: &[(EP, &[(&str, i64)])]) -> BTreeMap<EP, Vec<(String, i64)>> {
    let mut m: BTreeMap<EP, Vec<(String, i64)>> = EP::ALL
        .iter()
        .map(|&ep| {
            let w = if ep == EP::Score { 1 } else { 0 };
            (ep, vec![(TEST_PLUGIN.to_string(), w)])
        })
        .collect();
    for (ep, v) in overrides {
        if v.is_empty() {
            m.remove(ep);
        } else {
            m.insert(*ep, v.iter().map(|&(n, w)| (n.to_string(), w)).collect());
        }
    }
    m
}

/// framework_test.go TestNewFrameworkMultiPointExpansion (the PlacementGenerate and
/// PlacementScore expectations left out: kubesim has no such extension points).
#[test]
fn new_framework_multi_point_expansion_table() {
    let mp = |e: &[(&str, Option<i32>)], d: &[&str]| (None, set(e, d));
    type Case = (
        &'static str,
        Plugins,
        Result<BTreeMap<EP, Vec<(String, i64)>>, &'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "plugin expansion",
            plugins(vec![mp(&[(TEST_PLUGIN, Some(5))], &[])]),
            Ok(all_test_plugin(&[(EP::Score, &[(TEST_PLUGIN, 5)])])),
        ),
        (
            "disable MultiPoint plugin at some extension points",
            plugins(vec![
                mp(&[(TEST_PLUGIN, None)], &[]),
                (Some(EP::PreScore), set(&[], &[TEST_PLUGIN])),
                (Some(EP::Score), set(&[], &[TEST_PLUGIN])),
            ]),
            Ok(all_test_plugin(&[(EP::PreScore, &[]), (EP::Score, &[])])),
        ),
        (
            "Multiple MultiPoint plugins",
            plugins(vec![mp(
                &[
                    (TEST_PLUGIN, None),
                    (SCORE_PLUGIN_1, None),
                    (PLACEMENT_SCORE_PLUGIN_1, None),
                ],
                &[],
            )]),
            Ok(all_test_plugin(&[
                (EP::PreScore, &[(TEST_PLUGIN, 0), (SCORE_PLUGIN_1, 0)]),
                (EP::Score, &[(TEST_PLUGIN, 1), (SCORE_PLUGIN_1, 1)]),
            ])),
        ),
        (
            "disable MultiPoint extension",
            plugins(vec![
                mp(&[(TEST_PLUGIN, None), (SCORE_PLUGIN_1, None)], &[]),
                (Some(EP::PreScore), set(&[], &["*"])),
            ]),
            Ok(all_test_plugin(&[
                (EP::PreScore, &[]),
                (EP::Score, &[(TEST_PLUGIN, 1), (SCORE_PLUGIN_1, 1)]),
            ])),
        ),
        (
            "Reorder MultiPoint plugins (specified extension takes precedence)",
            plugins(vec![
                mp(
                    &[
                        (SCORE_WITH_NORMALIZE_PLUGIN_1, None),
                        (TEST_PLUGIN, None),
                        (SCORE_PLUGIN_1, None),
                    ],
                    &[],
                ),
                (
                    Some(EP::Score),
                    set(&[(SCORE_PLUGIN_1, None), (TEST_PLUGIN, None)], &[]),
                ),
            ]),
            Ok(all_test_plugin(&[
                (EP::PreScore, &[(TEST_PLUGIN, 0), (SCORE_PLUGIN_1, 0)]),
                (
                    EP::Score,
                    &[
                        (SCORE_PLUGIN_1, 1),
                        (TEST_PLUGIN, 1),
                        (SCORE_WITH_NORMALIZE_PLUGIN_1, 1),
                    ],
                ),
            ])),
        ),
        (
            "Reorder MultiPoint plugins (specified extension only takes precedence when it exists in MultiPoint)",
            plugins(vec![
                mp(&[(TEST_PLUGIN, None), (SCORE_PLUGIN_1, None)], &[]),
                (
                    Some(EP::Score),
                    set(
                        &[
                            (SCORE_WITH_NORMALIZE_PLUGIN_1, None),
                            (SCORE_PLUGIN_1, None),
                            (TEST_PLUGIN, None),
                        ],
                        &[],
                    ),
                ),
            ]),
            Ok(all_test_plugin(&[
                (EP::PreScore, &[(TEST_PLUGIN, 0), (SCORE_PLUGIN_1, 0)]),
                (
                    EP::Score,
                    &[
                        (SCORE_PLUGIN_1, 1),
                        (TEST_PLUGIN, 1),
                        (SCORE_WITH_NORMALIZE_PLUGIN_1, 1),
                    ],
                ),
            ])),
        ),
        (
            "Override MultiPoint plugins weights",
            plugins(vec![
                mp(&[(TEST_PLUGIN, None), (SCORE_PLUGIN_1, None)], &[]),
                (
                    Some(EP::Score),
                    set(&[(SCORE_PLUGIN_1, Some(5)), (TEST_PLUGIN, Some(3))], &[]),
                ),
            ]),
            Ok(all_test_plugin(&[
                (EP::PreScore, &[(TEST_PLUGIN, 0), (SCORE_PLUGIN_1, 0)]),
                (EP::Score, &[(SCORE_PLUGIN_1, 5), (TEST_PLUGIN, 3)]),
            ])),
        ),
        (
            "disable and enable MultiPoint plugins with '*'",
            plugins(vec![mp(
                &[
                    (QUEUE_SORT_PLUGIN, None),
                    (BIND_PLUGIN, None),
                    (SCORE_PLUGIN_1, None),
                    (PLACEMENT_SCORE_PLUGIN_1, None),
                ],
                &["*"],
            )]),
            Ok([
                (EP::QueueSort, vec![(QUEUE_SORT_PLUGIN.to_string(), 0)]),
                (EP::PreScore, vec![(SCORE_PLUGIN_1.to_string(), 0)]),
                (EP::Score, vec![(SCORE_PLUGIN_1.to_string(), 1)]),
                (EP::Bind, vec![(BIND_PLUGIN.to_string(), 0)]),
            ]
            .into_iter()
            .collect()),
        ),
        (
            "disable and enable MultiPoint plugin by name",
            plugins(vec![mp(
                &[
                    (BIND_PLUGIN, None),
                    (QUEUE_SORT_PLUGIN, None),
                    (SCORE_PLUGIN_1, None),
                ],
                &[SCORE_PLUGIN_1],
            )]),
            Ok([
                (EP::QueueSort, vec![(QUEUE_SORT_PLUGIN.to_string(), 0)]),
                (EP::PreScore, vec![(SCORE_PLUGIN_1.to_string(), 0)]),
                (EP::Score, vec![(SCORE_PLUGIN_1.to_string(), 1)]),
                (EP::Bind, vec![(BIND_PLUGIN.to_string(), 0)]),
            ]
            .into_iter()
            .collect()),
        ),
        (
            "Expect 'already registered' error",
            plugins(vec![mp(&[(TEST_PLUGIN, None), (TEST_PLUGIN, None)], &[])]),
            Err("already registered"),
        ),
        (
            "Override MultiPoint plugins weights and avoid a plugin being loaded multiple times",
            plugins(vec![
                mp(
                    &[
                        (TEST_PLUGIN, None),
                        (SCORE_PLUGIN_1, None),
                        (PLACEMENT_SCORE_PLUGIN_1, None),
                    ],
                    &[],
                ),
                (
                    Some(EP::Score),
                    set(
                        &[
                            (SCORE_PLUGIN_1, Some(5)),
                            (SCORE_PLUGIN_2, Some(5)),
                            (TEST_PLUGIN, Some(3)),
                        ],
                        &[],
                    ),
                ),
            ]),
            Ok(all_test_plugin(&[
                (EP::PreScore, &[(TEST_PLUGIN, 0), (SCORE_PLUGIN_1, 0)]),
                (
                    EP::Score,
                    &[(SCORE_PLUGIN_1, 5), (TEST_PLUGIN, 3), (SCORE_PLUGIN_2, 5)],
                ),
            ])),
        ),
    ];
    for (name, p, want) in cases {
        let got = expand(&p, &upstream_test_plugins, "", &FieldPath::root());
        match (got, want) {
            (Ok(ex), Ok(want)) => assert_eq!(list_plugins(&ex), want, "{name}"),
            (Err(e), Err(want)) => assert!(e.message.contains(want), "{name}: {}", e.message),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

/// framework.go updatePluginList errors, with framework_test.go's plugins.
#[test]
fn update_plugin_list_errors() {
    let cases: [(&str, Plugins, &str); 3] = [
        (
            "not registered",
            plugins(vec![(Some(EP::Filter), set(&[("nope", None)], &[]))]),
            "FilterPlugin \"nope\" does not exist",
        ),
        (
            "does not extend",
            plugins(vec![(
                Some(EP::Filter),
                set(&[(SCORE_PLUGIN_1, None)], &[]),
            )]),
            "plugin \"score-plugin-1\" does not extend FilterPlugin plugin",
        ),
        (
            "twice at one point",
            plugins(vec![(
                Some(EP::Score),
                set(&[(SCORE_PLUGIN_1, None), (SCORE_PLUGIN_1, None)], &[]),
            )]),
            "plugin \"score-plugin-1\" already registered as \"ScorePlugin\"",
        ),
    ];
    for (name, p, want) in cases {
        let e = expand(&p, &upstream_test_plugins, "", &FieldPath::root()).unwrap_err();
        assert_eq!(e.message, want, "{name}");
    }
}

/// Names at each of a built profile's extension points, and the score weights.
fn shape(p: &Profile) -> Vec<(&'static str, Vec<String>)> {
    let names = |v: &[usize]| v.iter().map(|&i| p.plugin_name(i).to_string()).collect();
    vec![
        ("preEnqueue", names(&p.pre_enqueue)),
        ("preFilter", names(&p.pre_filter)),
        ("filter", names(&p.filter)),
        ("postFilter", names(&p.post_filter)),
        ("preScore", names(&p.pre_score)),
        (
            "score",
            p.score
                .iter()
                .map(|&(i, w)| format!("{}={w}", p.plugin_name(i)))
                .collect(),
        ),
        ("reserve", names(&p.reserve)),
        ("permit", names(&p.permit)),
        ("bind", names(&p.bind)),
    ]
}

#[test]
fn default_configuration_builds_the_default_profile() {
    let cfg = SchedulerConfig::default();
    assert_eq!(cfg.profiles.len(), 1);
    assert_eq!(cfg.profiles[0].scheduler_name, DEFAULT_SCHEDULER_NAME);
    assert_eq!(cfg.parallelism, 16);
    assert_eq!(cfg.client_qps, 50.0);
    assert_eq!(cfg.client_burst, 100);
    assert_eq!(cfg.percentage_of_nodes_to_score, 0);
    assert_eq!(
        (cfg.pod_initial_backoff_seconds, cfg.pod_max_backoff_seconds),
        (1, 10)
    );
    assert_eq!(cfg.queue.initial_backoff, SimDuration::from_secs(1));
    assert_eq!(cfg.queue.max_backoff, SimDuration::from_secs(10));
    let le = &cfg.leader_election;
    assert!(le.leader_elect);
    assert_eq!(
        (
            le.lease_duration_ns,
            le.renew_deadline_ns,
            le.retry_period_ns
        ),
        (15_000_000_000, 10_000_000_000, 2_000_000_000)
    );
    assert_eq!(
        (
            le.resource_lock.as_str(),
            le.resource_namespace.as_str(),
            le.resource_name.as_str()
        ),
        ("leases", "kube-system", "kube-scheduler")
    );
    let built = cfg.build_profiles(&Registry::in_tree()).unwrap();
    let want = Profile::default_profile();
    assert_eq!(shape(&built[0]), shape(&want));
    assert_eq!(built[0].plugins.len(), DEFAULT_PLUGINS.len());
    assert_eq!(built[0].percentage_of_nodes_to_score, 0);
}

fn check_full(cfg: &SchedulerConfig) {
    assert_eq!(cfg.parallelism, 8);
    assert!(!cfg.leader_election.leader_elect);
    assert_eq!(cfg.leader_election.lease_duration_ns, 30_000_000_000);
    assert_eq!(cfg.client_qps, 200.5);
    assert_eq!(cfg.client_burst, 300);
    assert!(!cfg.enable_profiling);
    assert!(!cfg.enable_contention_profiling);
    assert_eq!(cfg.percentage_of_nodes_to_score, 30);
    assert_eq!(cfg.queue.initial_backoff, SimDuration::from_secs(2));
    assert_eq!(cfg.queue.max_backoff, SimDuration::from_secs(20));
    assert!(cfg.delay_cache_until_active);
    let names: Vec<&str> = cfg
        .profiles
        .iter()
        .map(|p| p.scheduler_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["default-scheduler", "no-scoring-scheduler", "filter-only"]
    );
    let args = &cfg.profile("filter-only").unwrap().plugin_config[0];
    assert_eq!(args.name, "NodeResourcesFit");
    assert_eq!(
        args.args.as_ref().unwrap()["scoringStrategy"]["resources"][1]["name"],
        "memory"
    );

    let built = cfg.build_profiles(&Registry::in_tree()).unwrap();
    let pct: Vec<usize> = built
        .iter()
        .map(|p| p.percentage_of_nodes_to_score)
        .collect();
    assert_eq!(pct, [30, 50, 30], "the profile's own value wins");

    // The Score entry overrides MultiPoint: NodeResourcesFit first, weight 5; the rest keep
    // their default weights (0 meaning 1).
    let d = &built[0];
    let score: Vec<(&str, i64)> = d
        .score
        .iter()
        .map(|&(i, w)| (d.plugin_name(i), w))
        .collect();
    assert_eq!(score[0], ("NodeResourcesFit", 5));
    for &(name, w) in &score[1..] {
        let default = DEFAULT_PLUGINS.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(w, default.max(1), "{name}");
    }
    assert_eq!(
        shape(d)[2],
        shape(&Profile::default_profile())[2],
        "filters untouched"
    );

    let n = &built[1];
    assert!(n.score.is_empty() && n.pre_score.is_empty());
    assert!(!n.filter.is_empty());

    let f = &built[2];
    let names: Vec<&str> = f.plugins.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "PrioritySort",
            "TaintToleration",
            "NodeResourcesFit",
            "DefaultBinder"
        ]
    );
    let filters: Vec<&str> = f.filter.iter().map(|&i| f.plugin_name(i)).collect();
    assert_eq!(filters, ["TaintToleration", "NodeResourcesFit"]);
    let fit = f
        .score
        .iter()
        .find(|&&(i, _)| f.plugin_name(i) == "NodeResourcesFit")
        .unwrap();
    assert_eq!(fit.1, 2);
}

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scheduler-config")
        .join(name)
}

#[test]
fn full_yaml_example() {
    let cfg = load(&data("full.yaml")).unwrap();
    assert!(cfg.file_name.ends_with("full.yaml"));
    check_full(&cfg);
}

#[test]
fn full_json_example_reads_as_the_yaml_one() {
    let json = load(&data("full.json")).unwrap();
    check_full(&json);
    let yaml = load(&data("full.yaml")).unwrap();
    assert_eq!(json.profiles, yaml.profiles);
}

#[test]
fn load_names_a_missing_file() {
    let e = load(&data("missing.yaml")).unwrap_err();
    assert!(e.file.ends_with("missing.yaml"));
    assert!(e.message.starts_with("cannot read the file"), "{e}");
}

/// The base of validation_test.go TestValidateKubeSchedulerConfiguration, as a v1 file.
const VALID: &str = "apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
parallelism: 8
clientConnection:
  acceptContentTypes: application/json
  contentType: application/json
  qps: 10
  burst: 10
leaderElection:
  resourceLock: leases
  leaderElect: true
  leaseDuration: 30s
  renewDeadline: 15s
  retryPeriod: 5s
  resourceNamespace: name
  resourceName: name
podInitialBackoffSeconds: 1
podMaxBackoffSeconds: 1
percentageOfNodesToScore: 35
profiles:
  - schedulerName: me
    plugins:
      queueSort:
        enabled:
          - name: CustomSort
      score:
        disabled:
          - name: '*'
    pluginConfig:
      - name: DefaultPreemption
        args:
          minCandidateNodesPercentage: 10
          minCandidateNodesAbsolute: 100
  - schedulerName: other
    plugins:
      queueSort:
        enabled:
          - name: CustomSort
      bind:
        enabled:
          - name: CustomBind
";

/// validation_test.go TestValidateKubeSchedulerConfiguration, the cases a v1 file can express
/// (cases named `kubesim:` cover validation.go checks the upstream table has no case for).
/// Each edit replaces the first occurrence of a text in [`VALID`].
#[test]
fn validate_kube_scheduler_configuration_table() {
    const OTHER_QUEUE_SORT: &str = "          - name: CustomSort\n      bind:";
    let profile0_plugins = "    plugins:
      queueSort:
        enabled:
          - name: CustomSort
      score:
        disabled:
          - name: '*'
";
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("good", vec![], None),
        (
            "bad-parallelism-invalid-value",
            vec![("parallelism: 8", "parallelism: 0")],
            Some("sched.yaml:3:14: parallelism: Invalid value: 0: should be an integer value greater than zero"),
        ),
        (
            "bad-percentage-of-nodes-to-score",
            vec![("percentageOfNodesToScore: 35", "percentageOfNodesToScore: 101")],
            Some("sched.yaml:19:27: percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]"),
        ),
        (
            "scheduler-name-not-set",
            vec![("schedulerName: other", "schedulerName: \"\"")],
            Some("sched.yaml:34:20: profiles[1].schedulerName: Required value"),
        ),
        (
            "repeated-scheduler-name",
            vec![("schedulerName: me", "schedulerName: other")],
            Some("sched.yaml:34:20: profiles[1].schedulerName: Duplicate value: \"other\" (also profiles[0].schedulerName)"),
        ),
        (
            "different-queue-sort",
            vec![(OTHER_QUEUE_SORT, "          - name: AnotherSort\n      bind:")],
            Some("sched.yaml:37:9: profiles[1].plugins.queueSort: Invalid value: [\"AnotherSort\"]: must be the same for all profiles (profiles[0] has [\"CustomSort\"])"),
        ),
        (
            "one-empty-queue-sort",
            vec![(profile0_plugins, "")],
            Some("sched.yaml:30:9: profiles[1].plugins.queueSort: Invalid value: [\"CustomSort\"]: must be the same for all profiles (profiles[0] has [])"),
        ),
        (
            "extender-negative-weight",
            vec![("percentageOfNodesToScore: 35\n", "percentageOfNodesToScore: 35\nextenders:\n  - prioritizeVerb: prioritize\n    weight: -1\n")],
            Some("sched.yaml:21:3: extenders are not supported by kubesim (scheduler extenders are HTTP webhooks); remove `extenders`"),
        ),
        (
            "duplicated-plugin-config",
            vec![("  - schedulerName: other", "      - name: DefaultPreemption\n  - schedulerName: other")],
            Some("sched.yaml:34:9: profiles[0].pluginConfig[1]: Duplicate value: \"DefaultPreemption\""),
        ),
        (
            "mismatch-queue-sort",
            vec![("name: CustomSort", "name: PrioritySort")],
            Some("sched.yaml:37:9: profiles[1].plugins.queueSort: Invalid value: [\"CustomSort\"]: must be the same for all profiles (profiles[0] has [\"PrioritySort\"])"),
        ),
        (
            "bad-plugins-config",
            vec![("name: CustomBind", "name: EBSLimits")],
            Some("sched.yaml:41:13: profiles[1].plugins.bind.enabled[0]: Invalid value: \"EBSLimits\": was invalid in version \"kubescheduler.config.k8s.io/v1\" (KubeSchedulerConfiguration is version \"kubescheduler.config.k8s.io/v1\")"),
        ),
        (
            "bad-removed-plugins-config",
            vec![("name: DefaultPreemption", "name: GCEPDLimits")],
            Some("sched.yaml:30:9: profiles[0].pluginConfig[0]: Invalid value: \"GCEPDLimits\": was invalid in version \"kubescheduler.config.k8s.io/v1\" (KubeSchedulerConfiguration is version \"kubescheduler.config.k8s.io/v1\")"),
        ),
        (
            "kubesim: negative-profile-percentage-of-nodes-to-score",
            vec![("schedulerName: me\n", "schedulerName: me\n    percentageOfNodesToScore: -1\n")],
            Some("sched.yaml:22:31: profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]"),
        ),
        (
            "kubesim: resource-lock-not-leases",
            vec![("resourceLock: leases", "resourceLock: configmap")],
            Some("sched.yaml:10:17: leaderElection.resourceLock: Invalid value: \"configmap\": resourceLock value must be \"leases\""),
        ),
        (
            "kubesim: resource-lock-ignored-without-leader-election",
            vec![("resourceLock: leases", "resourceLock: configmap"), ("leaderElect: true", "leaderElect: false")],
            None,
        ),
        (
            "kubesim: lease-duration-not-above-renew-deadline",
            vec![("leaseDuration: 30s", "leaseDuration: 10s")],
            Some("sched.yaml:12:18: leaderElection.leaseDuration: Invalid value: \"15s\": must be greater than `RenewDeadline`"),
        ),
        (
            "kubesim: negative-retry-period",
            vec![("retryPeriod: 5s", "retryPeriod: -5s")],
            Some("sched.yaml:14:16: leaderElection.retryPeriod: Invalid value: \"-5s\": must be greater than zero"),
        ),
        (
            "kubesim: invalid-duration",
            vec![("renewDeadline: 15s", "renewDeadline: 15")],
            Some("sched.yaml:13:18: leaderElection.renewDeadline: time: invalid duration \"15\" (expected a Go duration such as \"15s\")"),
        ),
        (
            "kubesim: negative-burst",
            vec![("burst: 10", "burst: -1")],
            Some("sched.yaml:8:10: clientConnection.burst: Invalid value: -1: must be non-negative"),
        ),
        (
            "kubesim: zero-initial-backoff",
            vec![("podInitialBackoffSeconds: 1", "podInitialBackoffSeconds: 0")],
            Some("sched.yaml:17:27: podInitialBackoffSeconds: Invalid value: 0: must be greater than 0"),
        ),
        (
            "kubesim: max-backoff-below-initial",
            vec![("podMaxBackoffSeconds: 1", "podMaxBackoffSeconds: 0")],
            Some("sched.yaml:18:23: podMaxBackoffSeconds: Invalid value: 0: must be greater than or equal to PodInitialBackoffSeconds"),
        ),
    ];
    for (name, edits, want) in cases {
        let mut text = VALID.to_string();
        for (from, to) in edits {
            assert!(text.contains(from), "{name}: {from:?}");
            text = text.replacen(from, to, 1);
        }
        match (parse(&text, "sched.yaml"), want) {
            (Ok(_), None) => {}
            (Err(e), Some(want)) => assert_eq!(e.to_string(), want, "{name}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

/// validateCommonQueueSort: the queue sort plugin's args must match across profiles.
#[test]
fn queue_sort_args_must_match_across_profiles() {
    let text = format!(
        "{HEAD}profiles:
  - schedulerName: a
    pluginConfig:
      - name: PrioritySort
        args: {{x: 1}}
    plugins:
      queueSort:
        enabled:
          - name: PrioritySort
  - schedulerName: b
    plugins:
      queueSort:
        enabled:
          - name: PrioritySort
    pluginConfig:
      - name: PrioritySort
        args: {{x: 2}}
"
    );
    assert_eq!(
        err(&text),
        "sched.yaml:19:15: profiles[1].pluginConfig.args: Invalid value: {\"x\":2}: queueSort must be the same for all profiles"
    );
    assert!(parse(&text.replace("{x: 2}", "{x: 1}"), "sched.yaml").is_ok());
}

#[test]
fn type_meta_errors() {
    let cases = [
        (
            "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n",
            "sched.yaml:1:13: apiVersion \"kubescheduler.config.k8s.io/v1beta3\" is not supported: expected \"kubescheduler.config.k8s.io/v1\"",
        ),
        (
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeProxyConfiguration\nprofiles: []\n",
            "sched.yaml:2:7: kind \"KubeProxyConfiguration\" is not supported: expected \"KubeSchedulerConfiguration\"",
        ),
        (
            "kind: KubeSchedulerConfiguration\n",
            "sched.yaml:1:1: apiVersion: Required value: expected \"kubescheduler.config.k8s.io/v1\"",
        ),
        (
            "apiVersion: kubescheduler.config.k8s.io/v1\n",
            "sched.yaml:1:1: kind: Required value: expected \"KubeSchedulerConfiguration\"",
        ),
        (
            "  \n",
            "sched.yaml:1:1: empty document: expected a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1)",
        ),
        (
            "- a\n",
            "sched.yaml:1:1: invalid type: sequence, expected struct TypeMeta",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), want, "{text:?}");
    }
    // A wrong apiVersion is reported before unknown fields, as the scheme decoder does.
    let e = err("apiVersion: v1\nkind: KubeSchedulerConfiguration\nbogus: 1\n");
    assert!(e.starts_with("sched.yaml:1:13: apiVersion \"v1\""), "{e}");
}

#[test]
fn decode_errors_name_line_column_and_what_was_expected() {
    let cases = [
        (
            "profiles:
  - schedulerName: default-scheduler
    plugins:
      score:
        enabled:
          - name: NodeResourcesFit
            weigth: 3
",
            "sched.yaml:9:13: profiles[0].plugins.score.enabled[0]: unknown field `weigth`, expected `name` or `weight`",
        ),
        (
            "profiles:
  - schedulerName: s
    plugins:
      score:
        enabled:
          - name: NodeResourcesFit
            weight: heavy
",
            "sched.yaml:9:21: profiles[0].plugins.score.enabled[0].weight: invalid type: string \"heavy\", expected i32",
        ),
        (
            "profiles:
  - plugins:
      score:
        enabled: [{name: NodeResourcesFit, weight: 4294967296}]
",
            "sched.yaml:6:52: profiles[0].plugins.score.enabled[0].weight: invalid value: integer `4294967296`, expected i32",
        ),
        (
            "profiles:
  - plugins:
      filters: {}
",
            "sched.yaml:5:7: profiles[0].plugins: unknown field `filters`, expected one of `preEnqueue`, `queueSort`, `preFilter`, `filter`, `postFilter`, `preScore`, `score`, `reserve`, `permit`, `preBind`, `bind`, `postBind`, `multiPoint`",
        ),
        (
            "profiles:
  - plugins:
      score:
        enabled:
          - weight: 2
",
            "sched.yaml:7:13: profiles[0].plugins.score.enabled[0]: missing field `name`",
        ),
        (
            "percentageOfNodesToScore: [1]\n",
            "sched.yaml:3:27: percentageOfNodesToScore: invalid type: sequence, expected i32",
        ),
        (
            "profiles: [\n",
            "sched.yaml:4:1: did not find expected node content at line 4 column 1, while parsing a flow node",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(err(&format!("{HEAD}{body}")), want, "{body}");
    }
    let e = err(&format!("{HEAD}percentageOfNodeToScore: 10\n"));
    assert!(
        e.starts_with("sched.yaml:3:1: unknown field `percentageOfNodeToScore`, expected one of `apiVersion`, `kind`, `parallelism`"),
        "{e}"
    );
}

#[test]
fn json_errors_point_at_the_start_of_the_node() {
    let head = "{\n  \"apiVersion\": \"kubescheduler.config.k8s.io/v1\",\n  \"kind\": \"KubeSchedulerConfiguration\",\n";
    let cases = [
        (
            "  \"profiles\": [{\"plugins\": {\"score\": {\"enabled\": [\n    {\"name\": \"a\", \"weigth\": 3}]}}}]\n}",
            "sched.json:5:19: unknown field `weigth`, expected `name` or `weight`",
        ),
        (
            "  \"profiles\": [{\"plugins\": {\"score\": {\"enabled\": [\n    {\"name\": \"a\", \"weight\": \"x\"}]}}}]\n}",
            "sched.json:5:29: invalid type: string \"x\", expected i32",
        ),
        (
            "  \"profiles\": [{\"plugins\": {\"score\": {\"enabled\": [\n    {\"weight\": 1}]}}}]\n}",
            "sched.json:5:5: missing field `name`",
        ),
        (
            "  \"profiles\": [\n",
            "sched.json:5:1: EOF while parsing a list",
        ),
        (
            "  \"profiles\": [\n    {\"schedulerName\": \"a\"},\n    {\"schedulerName\": \"a\"}]\n}",
            "sched.json:6:23: profiles[1].schedulerName: Duplicate value: \"a\" (also profiles[0].schedulerName)",
        ),
        (
            "  \"percentageOfNodesToScore\": 101\n}",
            "sched.json:4:31: percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]",
        ),
    ];
    for (body, want) in cases {
        let text = format!("{head}{body}");
        assert_eq!(
            parse(&text, "sched.json").unwrap_err().to_string(),
            want,
            "{body}"
        );
    }
}

/// A plugin at every extension point kubesim runs, with typed args (`{size}`).
struct TestPlugin {
    name: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TestArgs {
    #[allow(dead_code)]
    size: i64,
}

impl Plugin for TestPlugin {
    fn name(&self) -> &str {
        &self.name
    }
    fn as_pre_enqueue(&self) -> Option<&dyn PreEnqueuePlugin> {
        Some(self)
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        Some(self)
    }
    fn as_permit(&self) -> Option<&dyn PermitPlugin> {
        Some(self)
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        Some(self)
    }
}

impl PreEnqueuePlugin for TestPlugin {
    fn pre_enqueue(&self, _: &crate::api::Pod) -> Status {
        Status::success()
    }
}
impl PreFilterPlugin for TestPlugin {
    fn pre_filter(
        &self,
        _: &mut CycleState,
        _: &PodInfo,
        _: &Snapshot,
    ) -> (PreFilterResult, Status) {
        (None, Status::success())
    }
}
impl FilterPlugin for TestPlugin {
    fn filter(&self, _: &CycleState, _: &PodInfo, _: &NodeInfo) -> Status {
        Status::success()
    }
}
impl PostFilterPlugin for TestPlugin {
    fn post_filter(
        &self,
        _: &CycleState,
        _: &PodInfo,
        _: &Snapshot,
        _: &BTreeMap<String, Status>,
        _: &Profile,
    ) -> (Option<PostFilterResult>, Status) {
        (None, Status::success())
    }
}
impl PreScorePlugin for TestPlugin {
    fn pre_score(&self, _: &mut CycleState, _: &PodInfo, _: &[&NodeInfo], _: &Snapshot) -> Status {
        Status::success()
    }
}
impl ScorePlugin for TestPlugin {
    fn score(&self, _: &CycleState, _: &PodInfo, _: &NodeInfo, _: &Snapshot) -> i64 {
        0
    }
}
impl ReservePlugin for TestPlugin {
    fn reserve(&self, _: &mut CycleState, _: &PodInfo, _: &str) -> Status {
        Status::success()
    }
}
impl PermitPlugin for TestPlugin {
    fn permit(&self, _: &mut CycleState, _: &PodInfo, _: &str) -> Status {
        Status::success()
    }
}
impl BindPlugin for TestPlugin {
    fn bind(&self, _: &mut CycleState, _: &PodInfo, _: &str) -> Status {
        Status::success()
    }
}

/// The in-tree registry plus `Sized`, a [`TestPlugin`] taking `{size}` args.
fn test_registry() -> Registry {
    let mut r = Registry::in_tree();
    r.register("Sized", |args| {
        parse_args::<TestArgs>(args)?;
        Ok(Box::new(TestPlugin {
            name: "Sized".into(),
        }))
    });
    r
}

#[test]
fn build_errors_point_at_the_entry() {
    let r = test_registry();
    let cases = [
        (
            "unknown plugin",
            "profiles:
  - plugins:
      filter:
        enabled:
          - name: NodeResourceFit
",
            "sched.yaml:7:19: FilterPlugin \"NodeResourceFit\" does not exist",
        ),
        (
            "unknown MultiPoint plugin",
            "profiles:
  - plugins:
      multiPoint:
        enabled: [{name: PrioritySort}, {name: Foo}]
",
            "sched.yaml:6:48: PreFilterPlugin \"Foo\" does not exist",
        ),
        (
            "plugin at a point it does not implement",
            "profiles:
  - plugins:
      score:
        enabled:
          - name: VolumeZone
            weight: 2
",
            "sched.yaml:7:19: plugin \"VolumeZone\" does not extend ScorePlugin plugin",
        ),
        (
            "double registration through MultiPoint",
            "profiles:
  - plugins:
      multiPoint:
        enabled:
          - name: TaintToleration
          - name: TaintToleration
",
            "sched.yaml:7:19: plugin \"TaintToleration\" already registered as \"FilterPlugin\"",
        ),
        (
            "bad args of an enabled plugin",
            "profiles:
  - plugins:
      multiPoint:
        enabled:
          - name: Sized
    pluginConfig:
      - name: Sized
        args:
          sise: 3
",
            "sched.yaml:11:11: profiles[0].pluginConfig[0].args: initializing plugin \"Sized\": unknown field `sise`, expected `size`",
        ),
        (
            "bad args of a plugin not enabled",
            "profiles:
  - pluginConfig:
      - name: NodeResourcesFit
      - name: Sized
        args: {size: big}
",
            "sched.yaml:7:15: profiles[0].pluginConfig[1].args: initializing plugin \"Sized\": invalid type: string \"big\", expected i64",
        ),
        (
            "negative weight before another score plugin",
            "profiles:
  - plugins:
      score:
        enabled:
          - name: NodeResourcesFit
            weight: -1
",
            "sched.yaml:8:21: total score of Score plugins could overflow",
        ),
        (
            "no queue sort",
            "profiles:
  - schedulerName: x
    plugins:
      multiPoint:
        enabled: [{name: DefaultBinder}]
        disabled: [{name: '*'}]
",
            "sched.yaml:6:7: only one queue sort plugin required for profile with scheduler name \"x\", but got 0",
        ),
        (
            "no bind",
            "profiles:
  - schedulerName: x
    plugins:
      multiPoint:
        disabled: [{name: DefaultBinder}]
",
            "sched.yaml:6:7: at least one bind plugin is needed for profile with scheduler name \"x\"",
        ),
    ];
    for (name, body, want) in cases {
        assert_eq!(build_err(&format!("{HEAD}{body}"), &r), want, "{name}");
    }
    // The upstream table's custom plugins are not in kubesim's registry.
    assert_eq!(
        build_err(VALID, &r),
        "sched.yaml:25:19: QueueSortPlugin \"CustomSort\" does not exist"
    );
    let e = build_err(
        &format!("{HEAD}profiles:\n  - plugins:\n      multiPoint:\n        enabled: [{{name: Sized}}]\n    pluginConfig: [{{name: Sized, args: {{sise: 3}}}}]\n"),
        &r,
    );
    assert_eq!(e, "sched.yaml:7:40: profiles[0].pluginConfig[0].args: initializing plugin \"Sized\": unknown field `sise`, expected `size`");
}

/// A registered plugin enabled through MultiPoint runs at every point it implements, in
/// place: its args reach the factory; a negative weight is accepted, as upstream accepts it.
#[test]
fn registered_plugin_expands_to_every_point() {
    let text = format!(
        "{HEAD}profiles:
  - schedulerName: custom
    plugins:
      multiPoint:
        enabled:
          - name: Sized
            weight: -2
      filter:
        enabled:
          - name: Sized
    pluginConfig:
      - name: Sized
        args: {{size: 3}}
"
    );
    let cfg = parse(&text, "sched.yaml").unwrap();
    let built = cfg.build_profiles(&test_registry()).unwrap();
    let got = shape(&built[0]);
    let has = |point: &str, entry: &str| {
        got.iter()
            .find(|(p, _)| *p == point)
            .unwrap()
            .1
            .iter()
            .any(|n| n == entry)
    };
    for point in [
        "preEnqueue",
        "preFilter",
        "postFilter",
        "preScore",
        "reserve",
        "permit",
        "bind",
    ] {
        assert!(has(point, "Sized"), "{point}: {got:?}");
    }
    assert!(has("score", "Sized=-2"), "{got:?}");
    // The filter entry overrides MultiPoint: Sized runs first among the filters.
    let filter = &got.iter().find(|(p, _)| *p == "filter").unwrap().1;
    assert_eq!(filter[0], "Sized");
    assert!(filter.len() > 1, "{filter:?}");
}
