//! The `kubesim` command line: output shape and exit codes.

mod common;
use common::{kubesim, stderr, stdout};

use std::path::PathBuf;
use std::process::Output;

fn digest_line(o: &Output) -> String {
    let out = stdout(o);
    let last = out.lines().last().expect("some output").to_string();
    let hex = last
        .strip_prefix("digest: ")
        .expect("last line is the digest");
    assert_eq!(hex.len(), 64);
    assert!(hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    hex.to_string()
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SHIPPED: &str = "scenarios/replicaset-flow.ron";

#[test]
fn run_prints_a_summary_ending_with_the_digest() {
    let o = kubesim(&["run", SHIPPED]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "virtual time: 2m0s",
        "events: ",
        "wall time: ",
        "events/s: ",
        "peak memory: ",
        "pods: 5 (Running=5)",
        "PASS  by 1m0s",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let d1 = digest_line(&o);
    assert_eq!(
        d1,
        digest_line(&kubesim(&["run", SHIPPED])),
        "same seed, same digest"
    );
    assert_ne!(d1, digest_line(&kubesim(&["run", SHIPPED, "--seed", "99"])));
}

#[test]
fn trace_file_hashes_to_the_digest() {
    let dir = std::env::temp_dir().join(format!("kubesim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.jsonl");
    let o = kubesim(&["run", SHIPPED, "--trace", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(blake3::hash(&bytes).to_hex().to_string(), digest_line(&o));
    let first: serde_json::Value =
        serde_json::from_str(std::str::from_utf8(&bytes).unwrap().lines().next().unwrap()).unwrap();
    for key in [
        "t_us",
        "seq",
        "actor",
        "verb",
        "kind",
        "namespace",
        "name",
        "rv",
        "object",
    ] {
        assert!(first.get(key).is_some(), "trace line has {key}");
    }
}

#[test]
fn until_stops_early_and_skips_later_expectations() {
    let o = kubesim(&["run", SHIPPED, "--until", "3s"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("virtual time: 3s"), "{out}");
    assert!(out.contains("SKIP  by 1m0s"), "{out}");
    assert!(out.contains("SKIP  at end"), "{out}");
    let _ = digest_line(&o);
}

#[test]
fn a_failed_expectation_exits_1_and_names_it() {
    let src = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/replicaset-flow.ron"),
    )
    .unwrap()
    .replace(
        "(by: \"1m\", running: (owner: \"ReplicaSet/web\", count: 5))",
        "(by: \"1m\", running: (owner: \"ReplicaSet/web\", count: 6))",
    );
    let p = temp("fail.ron", &src);
    let o = kubesim(&["run", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "expectation failed: by 1m0s: pods{owner=ReplicaSet/web, phase=Running} == 6"
        ),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("FAIL  by 1m0s"), "{}", stdout(&o));
    let _ = digest_line(&o);
}

#[test]
fn bad_input_exits_2_with_file_line_column() {
    let p = temp("bad.ron", "Scenario(\n    name: \"x\",\n    run_for: \"1m\",\n    cluster: (node_pools: [(name: \"w\", count: 1, cpu: \"-2\", memory: \"1Gi\")]),\n)\n");
    let file = p.to_str().unwrap();
    for cmd in ["run", "check"] {
        let o = kubesim(&[cmd, file]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("{file}:4:56: expected a non-negative quantity")),
            "{cmd}: {err}"
        );
        assert!(!err.contains("panicked"));
    }
    let o = kubesim(&["run", "no/such/file.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.ron: cannot read the file"));
    let o = kubesim(&["run", SHIPPED, "--until", "soon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--until: expected a duration"));
}

#[test]
fn check_validates_without_running() {
    let o = kubesim(&["check", SHIPPED]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("ok (scenario \"replicaset-flow\""));
}

#[test]
fn import_reports_what_it_drops_and_writes_a_runnable_scenario() {
    let dir = std::env::temp_dir().join(format!("kubesim-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("shop.ron");
    let o = kubesim(&[
        "import",
        "scenarios/clusters/shop.json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "kept 2 Deployment, 6 Node, 7 Pod, 1 PriorityClass, 2 ReplicaSet, 1 Service",
        "dropped ConfigMap (kind not modelled): 1 object(s)",
        "dropped Pod spec.containers[].livenessProbe: 7",
        "dropped Node spec.providerID: 6",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let check = kubesim(&["check", out.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn bad_dumps_and_configs_exit_2_with_a_position() {
    let newer = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/clusters/shop.json"),
    )
    .unwrap()
    .replacen(
        "\"apiVersion\": \"apps/v1\"",
        "\"apiVersion\": \"apps/v2\"",
        1,
    );
    let dump = temp("newer.json", &newer);
    let o = kubesim(&["import", dump.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("newer.json:") && err.contains("apiVersion \"apps/v2\""),
        "{err}"
    );
    let cfg = temp(
        "sched.yaml",
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: default-scheduler\n  plugins:\n    score:\n      enabled:\n      - name: NoSuchPlugin\n",
    );
    for args in [
        vec![
            "explain",
            "--cluster",
            "scenarios/clusters/shop.json",
            "--pod",
            "shop/api-7d9f8b6c5-q9zrt",
            "--scheduler-config",
            cfg.to_str().unwrap(),
        ],
        vec![
            "run",
            "scenarios/replicaset-flow.ron",
            "--scheduler-config",
            cfg.to_str().unwrap(),
        ],
    ] {
        let o = kubesim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains("sched.yaml:8:"), "{args:?}: {err}");
        assert!(err.contains("NoSuchPlugin"), "{err}");
    }
    let o = kubesim(&[
        "explain",
        "--cluster",
        "scenarios/clusters/shop.json",
        "--pod",
        "shop/nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no pod shop/nope"), "{}", stderr(&o));
}
