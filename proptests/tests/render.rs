//! Rendering a scenario to RON round-trips: `kubesim check` accepts the text and it parses back
//! to the same scenario (shipped scenarios and generated cases), so regression files replay
//! the case that failed.

use kubesim::scenario::{load_file, parse_str};
use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;
use proptests::config;
use proptests::model::Machine;
use proptests::render::render;
use std::path::PathBuf;

#[test]
fn shipped_scenarios_round_trip() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let s = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = render(&s, "a header");
        // Named as the original, so the files it names resolve the same way.
        let back =
            parse_str(&text, &path.to_string_lossy()).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back, s, "{}", path.display());
        assert_eq!(render(&back, "a header"), text, "rendering is stable");
        n += 1;
    }
    assert!(n > 0);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_scenarios_round_trip(
        (init, steps, _) in Machine::sequential_strategy(1..=10)
    ) {
        let mut case = init;
        for s in &steps {
            case = Machine::apply(case, s);
        }
        let s = case.scenario();
        let text = render(&s, "");
        let back = parse_str(&text, "rendered.ron").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, s);
    }
}
