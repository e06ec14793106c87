//! `NodeResourcesFitArgs` and `NodeResourcesBalancedAllocationArgs` (kubescheduler.config.k8s.io/v1):
//! the JSON shape, defaults (pkg/scheduler/apis/config/v1/defaults.go) and validation
//! (pkg/scheduler/apis/config/validation/validation_pluginargs.go).

use super::validation::{
    aggregate, duplicate, forbidden, go_quote, invalid, not_supported, required,
    validate_label_name,
};
use serde::{Deserialize, Deserializer};

/// `LeastAllocated`.
pub const LEAST_ALLOCATED: &str = "LeastAllocated";
/// `MostAllocated`.
pub const MOST_ALLOCATED: &str = "MostAllocated";
/// `RequestedToCapacityRatio`.
pub const REQUESTED_TO_CAPACITY_RATIO: &str = "RequestedToCapacityRatio";
/// `config.MaxCustomPriorityScore`: the top of a shape point's score.
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

/// The supported strategy types, sorted (`sets.List(supportedScoringStrategyTypes)`).
const SUPPORTED_STRATEGIES: [&str; 3] =
    [LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO];

/// JSON `null` reads as the empty value, as Go's decoder leaves a nil slice.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `ResourceSpec`: a resource name and its weight.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceSpec {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub weight: i64,
}

impl ResourceSpec {
    pub fn new(name: &str, weight: i64) -> Self {
        ResourceSpec {
            name: name.to_string(),
            weight,
        }
    }
}

/// `UtilizationShapePoint`: utilization 0..=100 maps to score 0..=10.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UtilizationShapePoint {
    #[serde(default)]
    pub utilization: i32,
    #[serde(default)]
    pub score: i32,
}

/// `RequestedToCapacityRatioParam`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestedToCapacityRatioParam {
    #[serde(default, deserialize_with = "null_as_default")]
    pub shape: Vec<UtilizationShapePoint>,
}

/// `ScoringStrategy`. The type stays a string so that an unknown one is a validation error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScoringStrategy {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resources: Vec<ResourceSpec>,
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatioParam>,
}

/// `NodeResourcesFitArgs`. `apiVersion` and `kind` (the inline TypeMeta) are accepted and ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeResourcesFitArgs {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ignored_resources: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ignored_resource_groups: Vec<String>,
    #[serde(default)]
    pub scoring_strategy: Option<ScoringStrategy>,
}

/// `NodeResourcesBalancedAllocationArgs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeResourcesBalancedAllocationArgs {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resources: Vec<ResourceSpec>,
}

/// `defaultResourceSpec`: cpu and memory, weight 1.
pub fn default_resource_spec() -> Vec<ResourceSpec> {
    vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 1)]
}

/// `SetDefaults_NodeResourcesFitArgs`.
pub fn set_defaults_fit(args: &mut NodeResourcesFitArgs) {
    let s = args
        .scoring_strategy
        .get_or_insert_with(|| ScoringStrategy {
            type_: LEAST_ALLOCATED.to_string(),
            resources: default_resource_spec(),
            requested_to_capacity_ratio: None,
        });
    if s.resources.is_empty() {
        s.resources = default_resource_spec();
    }
    for r in &mut s.resources {
        if r.weight == 0 {
            r.weight = 1;
        }
    }
}

/// `SetDefaults_NodeResourcesBalancedAllocationArgs`.
pub fn set_defaults_balanced(args: &mut NodeResourcesBalancedAllocationArgs) {
    if args.resources.is_empty() {
        args.resources = default_resource_spec();
        return;
    }
    for r in &mut args.resources {
        if r.weight == 0 {
            r.weight = 1;
        }
    }
}

/// `validateFunctionShape`.
fn validate_function_shape(shape: &[UtilizationShapePoint], path: &str, errs: &mut Vec<String>) {
    if shape.is_empty() {
        errs.push(required(path, "at least one point must be specified"));
        return;
    }
    for i in 1..shape.len() {
        if shape[i - 1].utilization >= shape[i].utilization {
            errs.push(invalid(
                &format!("{path}[{i}].utilization"),
                &shape[i].utilization.to_string(),
                "values must be sorted in increasing order",
            ));
            break;
        }
    }
    for (i, p) in shape.iter().enumerate() {
        if !(0..=100).contains(&p.utilization) {
            errs.push(invalid(
                &format!("{path}[{i}].utilization"),
                &p.utilization.to_string(),
                "not in valid range [0, 100]",
            ));
        }
        if !(0..=MAX_CUSTOM_PRIORITY_SCORE).contains(&i64::from(p.score)) {
            errs.push(invalid(
                &format!("{path}[{i}].score"),
                &p.score.to_string(),
                &format!("not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"),
            ));
        }
    }
}

/// `validateResources`: weights in (0, 100].
fn validate_resources(resources: &[ResourceSpec], path: &str, errs: &mut Vec<String>) {
    for (i, r) in resources.iter().enumerate() {
        if r.weight <= 0 || r.weight > 100 {
            errs.push(invalid(
                &format!("{path}[{i}].weight"),
                &r.weight.to_string(),
                &format!("resource weight of {} not in valid range (0, 100]", r.name),
            ));
        }
    }
}

/// `ValidateNodeResourcesFitArgs` with a nil path; the aggregate error message.
pub fn validate_fit(args: &NodeResourcesFitArgs) -> Result<(), String> {
    let mut errs = Vec::new();
    for (i, res) in args.ignored_resources.iter().enumerate() {
        errs.extend(validate_label_name(res, &format!("ignoredResources[{i}]")));
    }
    for (i, group) in args.ignored_resource_groups.iter().enumerate() {
        let path = format!("ignoredResourceGroups[{i}]");
        if group.contains('/') {
            errs.push(invalid(
                &path,
                &go_quote(group),
                "resource group name can't contain '/'",
            ));
        }
        errs.extend(validate_label_name(group, &path));
    }
    match &args.scoring_strategy {
        Some(s) => {
            if !SUPPORTED_STRATEGIES.contains(&s.type_.as_str()) {
                errs.push(not_supported(
                    "scoringStrategy.type",
                    &s.type_,
                    &SUPPORTED_STRATEGIES,
                ));
            }
            validate_resources(&s.resources, "scoringStrategy.resources", &mut errs);
            if s.type_ == REQUESTED_TO_CAPACITY_RATIO {
                match &s.requested_to_capacity_ratio {
                    None => errs.push(required(
                        "scoringStrategy.requestedToCapacityRatio",
                        "must be specified when type is RequestedToCapacityRatio",
                    )),
                    Some(r) => validate_function_shape(
                        &r.shape,
                        "scoringStrategy.requestedToCapacityRatio.shape",
                        &mut errs,
                    ),
                }
            } else if s.requested_to_capacity_ratio.is_some() {
                errs.push(forbidden(
                    "scoringStrategy.requestedToCapacityRatio",
                    "must be nil when type is not RequestedToCapacityRatio",
                ));
            }
        }
        None => errs.push(required(
            "scoringStrategy",
            "ScoringStrategy field is required",
        )),
    }
    aggregate(errs).map_or(Ok(()), Err)
}

/// `ValidateNodeResourcesBalancedAllocationArgs` with a nil path: names unique, weights 1.
pub fn validate_balanced(args: &NodeResourcesBalancedAllocationArgs) -> Result<(), String> {
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, r) in args.resources.iter().enumerate() {
        if seen.contains(&r.name.as_str()) {
            errs.push(duplicate(&format!("resources[{i}].name"), &r.name));
        } else {
            seen.push(&r.name);
        }
        if r.weight != 1 {
            errs.push(invalid(
                &format!("resources[{i}].weight"),
                &r.weight.to_string(),
                "must be 1",
            ));
        }
    }
    aggregate(errs).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit_args(type_: &str, resources: Vec<ResourceSpec>) -> NodeResourcesFitArgs {
        NodeResourcesFitArgs {
            scoring_strategy: Some(ScoringStrategy {
                type_: type_.into(),
                resources,
                requested_to_capacity_ratio: None,
            }),
            ..Default::default()
        }
    }

    /// defaults_test.go TestPluginArgsDefaults (the NodeResourcesFitArgs and
    /// NodeResourcesBalancedAllocationArgs cases).
    #[test]
    fn plugin_args_defaults() {
        let mut a = NodeResourcesFitArgs::default();
        set_defaults_fit(&mut a);
        assert_eq!(
            a,
            fit_args(LEAST_ALLOCATED, default_resource_spec()),
            "NodeResourcesFitArgs not set"
        );
        let mut a = fit_args(MOST_ALLOCATED, vec![]);
        set_defaults_fit(&mut a);
        assert_eq!(
            a,
            fit_args(MOST_ALLOCATED, default_resource_spec()),
            "NodeResourcesFitArgs Resources empty"
        );

        let bal = |r: Vec<ResourceSpec>| NodeResourcesBalancedAllocationArgs {
            resources: r,
            ..Default::default()
        };
        let cases: Vec<(&str, Vec<ResourceSpec>, Vec<ResourceSpec>)> = vec![
            (
                "NodeResourcesBalancedAllocationArgs resources empty",
                vec![],
                default_resource_spec(),
            ),
            (
                "NodeResourcesBalancedAllocationArgs with scalar resource",
                vec![ResourceSpec::new("scalar.io/scalar1", 1)],
                vec![ResourceSpec::new("scalar.io/scalar1", 1)],
            ),
            (
                "NodeResourcesBalancedAllocationArgs with mixed resources",
                vec![
                    ResourceSpec::new("cpu", 1),
                    ResourceSpec::new("scalar.io/scalar1", 1),
                ],
                vec![
                    ResourceSpec::new("cpu", 1),
                    ResourceSpec::new("scalar.io/scalar1", 1),
                ],
            ),
            (
                "NodeResourcesBalancedAllocationArgs have resource no weight",
                vec![
                    ResourceSpec::new("cpu", 0),
                    ResourceSpec::new("scalar.io/scalar0", 0),
                    ResourceSpec::new("scalar.io/scalar1", 1),
                ],
                vec![
                    ResourceSpec::new("cpu", 1),
                    ResourceSpec::new("scalar.io/scalar0", 1),
                    ResourceSpec::new("scalar.io/scalar1", 1),
                ],
            ),
        ];
        for (name, input, want) in cases {
            let mut a = bal(input);
            set_defaults_balanced(&mut a);
            assert_eq!(a, bal(want), "{name}");
        }
    }

    /// validation_pluginargs_test.go TestValidateFitArgs (expectations are substrings, as there).
    #[test]
    fn validate_fit_args() {
        let with = |ignored: Vec<String>, groups: Vec<String>| NodeResourcesFitArgs {
            ignored_resources: ignored,
            ignored_resource_groups: groups,
            ..fit_args(LEAST_ALLOCATED, default_resource_spec())
        };
        let cases: Vec<(&str, NodeResourcesFitArgs, &str)> = vec![
            (
                "IgnoredResources: too long value",
                with(vec![format!("longvalue{}", "a".repeat(64))], vec![]),
                "name part must be no more than 63 bytes",
            ),
            (
                "IgnoredResources: name is empty",
                with(vec!["example.com/".into()], vec![]),
                "name part must be non-empty",
            ),
            (
                "IgnoredResources: name has too many slash",
                with(vec!["example.com/aaa/bbb".into()], vec![]),
                "a valid label key must consist of alphanumeric characters",
            ),
            (
                "IgnoredResources: valid args",
                with(vec!["example.com".into()], vec![]),
                "",
            ),
            (
                "IgnoredResourceGroups: valid args ",
                with(vec![], vec!["example.com".into()]),
                "",
            ),
            (
                "IgnoredResourceGroups: illegal args",
                with(vec![], vec!["example.com/".into()]),
                "name part must be non-empty",
            ),
            (
                "IgnoredResourceGroups: name is too long",
                with(vec![], vec!["a".repeat(64)]),
                "name part must be no more than 63 bytes",
            ),
            (
                "IgnoredResourceGroups: name cannot be contain slash",
                with(vec![], vec!["example.com/aa".into()]),
                "resource group name can't contain '/'",
            ),
            (
                "ScoringStrategy: field is required",
                NodeResourcesFitArgs::default(),
                "ScoringStrategy field is required",
            ),
            (
                "ScoringStrategy: type is unsupported",
                fit_args("Invalid", vec![]),
                "Unsupported value: \"Invalid\"",
            ),
        ];
        for (name, args, expect) in cases {
            match validate_fit(&args) {
                Ok(()) => assert!(expect.is_empty(), "{name}: want an error with {expect:?}"),
                Err(e) => {
                    assert!(!expect.is_empty(), "{name}: unexpected error {e}");
                    assert!(e.contains(expect), "{name}: {e}");
                }
            }
        }
        assert_eq!(
            validate_fit(&with(vec![], vec!["example.com/aa".into()])).unwrap_err(),
            "ignoredResourceGroups[0]: Invalid value: \"example.com/aa\": resource group name can't contain '/'"
        );
        assert_eq!(
            validate_fit(&fit_args("Invalid", vec![])).unwrap_err(),
            "scoringStrategy.type: Unsupported value: \"Invalid\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
        );
    }

    fn weight_cases() -> Vec<(&'static str, Vec<ResourceSpec>, Vec<&'static str>)> {
        vec![
            ("default config", vec![], vec![]),
            (
                "multi valid resources",
                vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 10)],
                vec![],
            ),
            (
                "weight less than min",
                vec![ResourceSpec::new("cpu", 0)],
                vec!["scoringStrategy.resources[0].weight: Invalid value: 0: resource weight of cpu not in valid range (0, 100]"],
            ),
            (
                "weight greater than max",
                vec![ResourceSpec::new("cpu", 101)],
                vec!["scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of cpu not in valid range (0, 100]"],
            ),
            (
                "multi invalid resources",
                vec![ResourceSpec::new("cpu", 0), ResourceSpec::new("memory", 101)],
                vec![
                    "scoringStrategy.resources[0].weight: Invalid value: 0: resource weight of cpu not in valid range (0, 100]",
                    "scoringStrategy.resources[1].weight: Invalid value: 101: resource weight of memory not in valid range (0, 100]",
                ],
            ),
        ]
    }

    fn want(errs: Vec<&str>) -> Result<(), String> {
        aggregate(errs.into_iter().map(String::from).collect()).map_or(Ok(()), Err)
    }

    /// validation_pluginargs_test.go TestValidateLeastAllocatedScoringStrategy and
    /// TestValidateMostAllocatedScoringStrategy.
    #[test]
    fn validate_least_and_most_allocated_scoring_strategy() {
        for type_ in [LEAST_ALLOCATED, MOST_ALLOCATED] {
            for (name, resources, errs) in weight_cases() {
                assert_eq!(
                    validate_fit(&fit_args(type_, resources)),
                    want(errs),
                    "{type_} {name}"
                );
            }
        }
    }

    /// validation_pluginargs_test.go TestValidateRequestedToCapacityRatioScoringStrategy; field
    /// paths as the validation code read names them (`scoringStrategy.requestedToCapacityRatio.shape`).
    #[test]
    fn validate_requested_to_capacity_ratio_scoring_strategy() {
        let p = |u: i32, s: i32| UtilizationShapePoint {
            utilization: u,
            score: s,
        };
        let default_shape = vec![p(30, 3)];
        let sh = "scoringStrategy.requestedToCapacityRatio.shape";
        type Case = (
            &'static str,
            Vec<ResourceSpec>,
            Vec<UtilizationShapePoint>,
            Vec<String>,
        );
        let cases: Vec<Case> = vec![
            (
                "no shapes",
                vec![],
                vec![],
                vec![format!(
                    "{sh}: Required value: at least one point must be specified"
                )],
            ),
            (
                "weight greater than max",
                vec![ResourceSpec::new("cpu", 101)],
                default_shape.clone(),
                vec!["scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of cpu not in valid range (0, 100]".into()],
            ),
            (
                "weight less than min",
                vec![ResourceSpec::new("cpu", 0)],
                default_shape.clone(),
                vec!["scoringStrategy.resources[0].weight: Invalid value: 0: resource weight of cpu not in valid range (0, 100]".into()],
            ),
            ("valid shapes", vec![], default_shape.clone(), vec![]),
            (
                "utilization less than min",
                vec![],
                vec![p(-1, 3)],
                vec![format!(
                    "{sh}[0].utilization: Invalid value: -1: not in valid range [0, 100]"
                )],
            ),
            (
                "utilization greater than max",
                vec![],
                vec![p(101, 3)],
                vec![format!(
                    "{sh}[0].utilization: Invalid value: 101: not in valid range [0, 100]"
                )],
            ),
            (
                "duplicated utilization values",
                vec![],
                vec![p(10, 3), p(10, 3)],
                vec![format!(
                    "{sh}[1].utilization: Invalid value: 10: values must be sorted in increasing order"
                )],
            ),
            (
                "increasing utilization values",
                vec![],
                vec![p(10, 3), p(20, 3), p(30, 3)],
                vec![],
            ),
            (
                "non-increasing utilization values",
                vec![],
                vec![p(10, 3), p(20, 3), p(15, 3)],
                vec![format!(
                    "{sh}[2].utilization: Invalid value: 15: values must be sorted in increasing order"
                )],
            ),
            (
                "score less than min",
                vec![],
                vec![p(10, -1)],
                vec![format!(
                    "{sh}[0].score: Invalid value: -1: not in valid range [0, 10]"
                )],
            ),
            (
                "score greater than max",
                vec![],
                vec![p(10, 11)],
                vec![format!(
                    "{sh}[0].score: Invalid value: 11: not in valid range [0, 10]"
                )],
            ),
        ];
        for (name, resources, shape, errs) in cases {
            let mut a = fit_args(REQUESTED_TO_CAPACITY_RATIO, resources);
            a.scoring_strategy
                .as_mut()
                .unwrap()
                .requested_to_capacity_ratio = Some(RequestedToCapacityRatioParam { shape });
            assert_eq!(
                validate_fit(&a),
                aggregate(errs).map_or(Ok(()), Err),
                "{name}"
            );
        }
    }

    /// The RequestedToCapacityRatio parameter must match the type (validation_pluginargs.go;
    /// no upstream test case read for these two).
    #[test]
    fn requested_to_capacity_ratio_param_matches_type() {
        assert_eq!(
            validate_fit(&fit_args(REQUESTED_TO_CAPACITY_RATIO, vec![])).unwrap_err(),
            "scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio"
        );
        let mut a = fit_args(LEAST_ALLOCATED, vec![]);
        a.scoring_strategy
            .as_mut()
            .unwrap()
            .requested_to_capacity_ratio = Some(RequestedToCapacityRatioParam::default());
        assert_eq!(
            validate_fit(&a).unwrap_err(),
            "scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio"
        );
    }

    /// validation_pluginargs_test.go TestValidateNodeResourcesBalancedAllocationArgs.
    #[test]
    fn validate_node_resources_balanced_allocation_args() {
        let bal = |r: Vec<ResourceSpec>| NodeResourcesBalancedAllocationArgs {
            resources: r,
            ..Default::default()
        };
        let cases: Vec<(&str, Vec<ResourceSpec>, Vec<&str>)> = vec![
            (
                "valid config",
                vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 1)],
                vec![],
            ),
            (
                "invalid config",
                vec![ResourceSpec::new("cpu", 2), ResourceSpec::new("memory", 1)],
                vec!["resources[0].weight: Invalid value: 2: must be 1"],
            ),
            (
                "repeated resources",
                vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("cpu", 1)],
                vec!["resources[1].name: Duplicate value: \"cpu\""],
            ),
        ];
        for (name, resources, errs) in cases {
            assert_eq!(validate_balanced(&bal(resources)), want(errs), "{name}");
        }
    }

    #[test]
    fn json_shape_and_unknown_fields() {
        let a: NodeResourcesFitArgs = serde_json::from_value(serde_json::json!({
            "apiVersion": "kubescheduler.config.k8s.io/v1",
            "kind": "NodeResourcesFitArgs",
            "ignoredResources": null,
            "scoringStrategy": {
                "type": "RequestedToCapacityRatio",
                "resources": [{"name": "cpu", "weight": 3}],
                "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 10}]}
            }
        }))
        .unwrap();
        let s = a.scoring_strategy.unwrap();
        assert_eq!(s.type_, REQUESTED_TO_CAPACITY_RATIO);
        assert_eq!(s.resources, vec![ResourceSpec::new("cpu", 3)]);
        assert_eq!(
            s.requested_to_capacity_ratio.unwrap().shape,
            vec![UtilizationShapePoint {
                utilization: 0,
                score: 10
            }]
        );
        for bad in [
            serde_json::json!({"foo": 1}),
            serde_json::json!({"scoringStrategy": {"resources": [{"Name": "cpu"}]}}),
            serde_json::json!({"scoringStrategy": {"requestedToCapacityRatio": {"shape": [{"Score": 1}]}}}),
        ] {
            assert!(
                serde_json::from_value::<NodeResourcesFitArgs>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert!(
            serde_json::from_value::<NodeResourcesBalancedAllocationArgs>(
                serde_json::json!({"resources": [{"name": "cpu", "weight": 1}], "x": 1})
            )
            .is_err()
        );
    }
}
