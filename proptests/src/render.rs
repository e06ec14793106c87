//! Scenario to RON text that `kubesim check` and `kubesim run` accept.

use kubesim::scenario::Scenario;
use ron::ser::PrettyConfig;

/// The scenario as RON: one `Scenario(...)` struct, optional fields left out when unset,
/// preceded by `header` as `//` comment lines.
pub fn render(scenario: &Scenario, header: &str) -> String {
    let config = PrettyConfig::new()
        .struct_names(true)
        .indentor("    ".to_string())
        .new_line("\n".to_string());
    let body = ron::ser::to_string_pretty(scenario, config).expect("scenarios serialize to RON");
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("// ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&body);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_are_comments() {
        let s = kubesim::scenario::parse_str(
            r#"Scenario(name: "t", run_for: "1m", cluster: (node_pools: [(name: "w", count: 1, cpu: "1", memory: "1Gi")]))"#,
            "t.ron",
        )
        .unwrap();
        let text = render(&s, "first\nsecond */ not closing");
        assert!(
            text.starts_with("// first\n// second */ not closing\nScenario("),
            "{text}"
        );
        assert_eq!(kubesim::scenario::parse_str(&text, "r.ron").unwrap(), s);
    }
}
