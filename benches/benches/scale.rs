//! scenarios/scale-5k.ron end to end: 5,000 nodes, 150,000 pods, one virtual hour (Lease
//! heartbeats, a rolling update, 10 failed nodes). Wall time of `Cluster::run`; building the
//! cluster is not timed. Throughput is in events (inputs handled by actors) per second.
//!
//! Heavy (about 100 s and 2.7 GiB per run; 12 runs): never in CI, only
//! `cargo bench --bench scale`. docs/performance.md gives the figures.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use kubesim::cluster::{Cluster, RunOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// The allocator of the `kubesim` binary, so the figures are those of `kubesim run`.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn scale(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/scale-5k.ron");
    let mut scenario = kubesim::scenario::load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    // KUBESIM_SCHEDULER_CONFIG=FILE: another KubeSchedulerConfiguration, as `kubesim run
    // --scheduler-config` (docs/performance-e2e.md runs it without PodTopologySpread).
    if let Ok(file) = std::env::var("KUBESIM_SCHEDULER_CONFIG") {
        let cfg = kubesim::scenario::load::load_scheduler_config(Path::new(&file))
            .unwrap_or_else(|e| panic!("{e}"));
        scenario.cluster.scheduler = Some(cfg);
    }
    // One run first, for the event count (the same on every run of the same seed).
    let mut probe = Cluster::new(&scenario, RunOptions::default());
    let report = probe.run(None);
    assert!(report.passed(), "{}", report.summary(None));
    drop(probe);
    let mut group = c.benchmark_group("scale");
    // Ten samples of one run each (criterion's least): flat sampling, and a measurement time
    // shorter than one run (criterion then says it needs longer, and takes one run a sample).
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(report.events));
    group.bench_function("scale-5k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut cluster = Cluster::new(&scenario, RunOptions::default());
                let started = Instant::now();
                let r = cluster.run(None);
                total += started.elapsed();
                assert_eq!(r.digest, report.digest, "the same run every time");
                // Freeing 150,000 pods object by object is not part of the run (and a
                // forgotten cluster would keep its 2.7 GiB until the bench ends).
                drop(cluster);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
