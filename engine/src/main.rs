//! The `kubesim` command line.

use clap::{Parser, Subcommand};
use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::manifests::load_manifests;
use kubesim::scenario::{load_file, Scenario, ScenarioErrors};
use kubesim::sim::{parse_duration, Trace};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// mimalloc: faster than glibc malloc on the simulator's many small, short-lived objects.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kubesim",
    version,
    about = "Deterministic discrete-event simulator of a Kubernetes cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario and check its expectations (exit 0: all hold, 1: an expectation or a
    /// kubectl command failed, 2: bad input).
    Run {
        /// The scenario file (RON).
        file: PathBuf,
        /// Seed for every random stream (overrides the file's seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Write the trace as JSON Lines to this file.
        #[arg(long, value_name = "FILE.jsonl")]
        trace: Option<PathBuf>,
        /// Stop at this virtual time instead of the scenario's run_for ("90s", "5m").
        #[arg(long, value_name = "DURATION")]
        until: Option<String>,
        /// A KubeSchedulerConfiguration (YAML or JSON) for the scheduler; overrides the
        /// scenario's `cluster.scheduler_config`.
        #[arg(long, value_name = "FILE")]
        scheduler_config: Option<PathBuf>,
    },
    /// Validate a scenario without running it.
    Check {
        /// The scenario file (RON).
        file: PathBuf,
    },
    /// Run a scenario for many seeds on several threads, one JSON line per seed, and print an
    /// aggregate; or merge shard outputs (exit 0: every seed passed, 1: a seed failed, 2: bad
    /// input). See docs/sweeps.md.
    Sweep(SweepArgs),
    /// Show one scheduling cycle for a pod against a cluster dump: every node's filter verdict
    /// and each score plugin's raw, normalized and weighted score.
    Explain {
        /// The cluster state: `kubectl get nodes,pods,... -A -o json` output or YAML manifests.
        #[arg(long, value_name = "FILE")]
        cluster: PathBuf,
        /// The pod to explain, as NAMESPACE/NAME.
        #[arg(long, value_name = "NAMESPACE/NAME")]
        pod: String,
        /// A KubeSchedulerConfiguration (YAML or JSON); default: upstream's default profile.
        #[arg(long, value_name = "FILE")]
        scheduler_config: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Read a cluster dump (`kubectl get nodes,pods,replicasets,deployments,daemonsets -A -o
    /// json`, or YAML manifests), report what kubesim does not model, and write a scenario that
    /// starts from it.
    Import {
        /// The dump file.
        file: PathBuf,
        /// Write the scenario here (RON); without it, only the report is printed.
        #[arg(short = 'o', long = "output", value_name = "SCENARIO.ron")]
        output: Option<PathBuf>,
    },
    /// Measure throughput (exit 0, or 2 on bad input).
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Schedule --pods pods onto --nodes nodes one after another (filter, score, select, assume;
    /// single thread) and print the rate as the last line, "<number> pods/s". Nodes: 32 cpu,
    /// 128Gi, 110 pods, over 3 zones with hostname and zone labels. Pods: 100m cpu, 500Mi
    /// (scheduler_perf's SchedulingBasic).
    #[command(after_help = "Profiles (--profile):\n  \
        default          SchedulingBasic: pods requesting 100m cpu and 500Mi; default plugins\n  \
        spread-affinity  the same pods labelled color=blue, with a zone topology spread\n                   \
        constraint (maxSkew 5, DoNotSchedule) and a preferred hostname anti-affinity\n                   \
        (weight 1) on color=blue; default plugins")]
    Scheduler {
        /// Number of nodes.
        #[arg(long, default_value_t = 5000)]
        nodes: usize,
        /// Number of pods to schedule.
        #[arg(long, default_value_t = 50000)]
        pods: usize,
        /// A built-in profile: default or spread-affinity (see below).
        #[arg(long, value_name = "NAME", default_value = "default")]
        profile: String,
        /// Schedule SchedulingBasic pods with the first profile of this
        /// KubeSchedulerConfiguration (YAML or JSON) instead.
        #[arg(long, value_name = "FILE", conflicts_with = "profile")]
        scheduler_config: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// `kubesim explain`.
fn explain(
    cluster: &Path,
    pod: &str,
    scheduler_config: Option<&Path>,
    format: Format,
) -> Result<(), (u8, String)> {
    use kubesim::api::{Kind, Object};
    use kubesim::scheduler::framework::PodInfo;
    use kubesim::scheduler::{explain, Snapshot};
    use std::sync::Arc;
    let bad = |m: String| (2u8, m);
    let (ns, name) = pod
        .split_once('/')
        .ok_or_else(|| bad(format!("--pod {pod:?}: expected NAMESPACE/NAME")))?;
    let m = load_manifests(cluster).map_err(|e| bad(e.to_string()))?;
    if let Some(line) = m.dropped_summary(&cluster.display().to_string()) {
        eprintln!("{line}");
    }
    let target = m
        .of_kind(Kind::Pod)
        .find(|o| o.meta().namespace == ns && o.meta().name == name)
        .cloned()
        .ok_or_else(|| bad(format!("{}: no pod {ns}/{name}", cluster.display())))?;
    let nodes = m
        .of_kind(Kind::Node)
        .filter_map(|o| match o {
            Object::Node(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    // Every other object: bound pods count on their nodes; Services and ReplicaSets give
    // selectors. The pod itself is explained as if it were not bound yet.
    let others: Vec<_> = m
        .objects
        .iter()
        .filter(|o| {
            o.kind() != Kind::Node
                && !(o.kind() == Kind::Pod && o.meta().namespace == ns && o.meta().name == name)
        })
        .map(|o| Arc::new(o.clone()))
        .collect();
    let snapshot = Snapshot::from_objects(nodes, &others);
    let Object::Pod(mut p) = target else {
        unreachable!("of_kind(Pod)")
    };
    p.spec.node_name.clear();
    if p.spec.scheduler_name.is_empty() {
        p.spec.scheduler_name = kubesim::api::admission::DEFAULT_SCHEDULER_NAME.into();
    }
    let profiles = scheduler_profiles(scheduler_config).map_err(bad)?;
    let profile = profiles
        .iter()
        .find(|pr| pr.scheduler_name == p.spec.scheduler_name)
        .ok_or_else(|| {
            bad(format!(
                "pod {ns}/{name} asks for schedulerName {:?}, which no profile serves",
                p.spec.scheduler_name
            ))
        })?;
    let e = explain::explain(profile, &snapshot, &PodInfo::from_pod(p));
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&e).expect("explanations serialize")
        ),
        Format::Table => print!("{}", explain::render_table(&e)),
    }
    Ok(())
}

/// The profiles of a KubeSchedulerConfiguration, or the default profile.
fn scheduler_profiles(config: Option<&Path>) -> Result<Vec<kubesim::scheduler::Profile>, String> {
    match config {
        None => Ok(vec![kubesim::scheduler::Profile::default_profile()]),
        Some(path) => {
            let cfg = kubesim::scheduler::config::load(path).map_err(|e| e.to_string())?;
            cfg.build_profiles(&kubesim::scheduler::Registry::in_tree())
                .map_err(|e| e.to_string())
        }
    }
}

/// `kubesim bench scheduler`: the rate on the last stdout line, the counts on stderr.
fn bench_scheduler(
    nodes: usize,
    pods: usize,
    profile: &str,
    scheduler_config: Option<&Path>,
) -> Result<(), (u8, String)> {
    use kubesim::bench::{Bench, Workload};
    let bad = |m: String| (2u8, m);
    let (workload, profile) = match scheduler_config {
        Some(path) => {
            let mut profiles = scheduler_profiles(Some(path)).map_err(bad)?;
            (Workload::Default, profiles.remove(0))
        }
        None => {
            let w = Workload::parse(profile).ok_or_else(|| {
                bad(format!(
                    "--profile {profile:?}: expected one of {}",
                    kubesim::bench::WORKLOADS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            (w, kubesim::scheduler::Profile::default_profile())
        }
    };
    if nodes == 0 || pods == 0 {
        return Err(bad("--nodes and --pods must be positive".into()));
    }
    let mut bench = Bench::new(workload, nodes, pods, &profile.scheduler_name);
    // Time this thread ran and waited for a CPU (Linux schedstat, ns), if readable.
    let schedstat = || -> Option<(u64, u64)> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let mut f = text.split_whitespace().map(|v| v.parse::<u64>().ok());
        Some((f.next()??, f.next()??))
    };
    let sched_before = schedstat();
    let started = Instant::now();
    let out = bench.run(&profile);
    let secs = started.elapsed().as_secs_f64();
    if let (Some((run0, wait0)), Some((run1, wait1))) = (sched_before, schedstat()) {
        let on_cpu = run1.saturating_sub(run0) as f64 / 1e9;
        if on_cpu > 0.0 {
            eprintln!(
                "on CPU {on_cpu:.3}s ({:.0} pods/s), waiting for a CPU {:.3}s",
                pods as f64 / on_cpu,
                wait1.saturating_sub(wait0) as f64 / 1e9
            );
        }
    }
    eprintln!(
        "profile {} ({}), {nodes} nodes: {} pods scheduled, {} unschedulable, {} nodes evaluated, \
         {:.3}s, placements {}",
        workload.name(),
        profile.scheduler_name,
        out.scheduled,
        out.unschedulable,
        out.evaluated,
        secs,
        out.digest
    );
    println!("{:.0} pods/s", pods as f64 / secs.max(1e-9));
    Ok(())
}

/// `kubesim import`.
fn import(file: &Path, output: Option<&Path>) -> Result<(), (u8, String)> {
    let m = load_manifests(file).map_err(|e| (2, e.to_string()))?;
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for o in &m.objects {
        *counts.entry(o.kind().as_str()).or_default() += 1;
    }
    let kept: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("{}: kept {}", file.display(), kept.join(", "));
    let report = m.dropped_report();
    if report.is_empty() {
        println!("dropped nothing");
    }
    for line in report {
        println!("dropped {line}");
    }
    if let Some(out) = output {
        let text = kubesim::scenario::import::scenario_text(file, out, &m);
        std::fs::write(out, text).map_err(|e| (2, format!("{}: {e}", out.display())))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

/// `kubesim sweep` arguments.
#[derive(clap::Args)]
struct SweepArgs {
    /// The scenario file (RON).
    #[arg(required_unless_present = "merge", conflicts_with = "merge")]
    file: Option<PathBuf>,
    /// The seeds: A..B (B excluded) or A..=B (B included). With --merge: the seeds expected,
    /// to report the missing ones.
    #[arg(long, value_name = "A..B", required_unless_present = "merge")]
    seeds: Option<String>,
    /// Threads, each running one seed at a time (default: the CPUs available).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "merge")]
    jobs: Option<u32>,
    /// Run shard I of N (0-based): the seeds S with (S - A) % N == I. auto/N takes I from
    /// JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID.
    #[arg(long, value_name = "I/N", conflicts_with = "merge")]
    shard: Option<String>,
    /// Combine these sweep outputs (sorted by seed) instead of running.
    #[arg(long, value_name = "FILE.jsonl", num_args = 1..)]
    merge: Vec<PathBuf>,
    /// Write one JSON line per seed here, in seed order.
    #[arg(long, value_name = "FILE.jsonl")]
    out: Option<PathBuf>,
}

/// `kubesim sweep`: whether every seed passed; Err is bad input.
fn sweep(args: SweepArgs) -> Result<bool, String> {
    use kubesim::sweep::{self, Aggregate, SeedRange, Shard};
    use std::io::Write;
    let range = args.seeds.as_deref().map(SeedRange::parse).transpose()?;
    let mut agg = Aggregate::default();
    if !args.merge.is_empty() {
        let merged = sweep::merge(sweep::read_outputs(&args.merge)?, range)?;
        if let Some(path) = &args.out {
            let text: String = merged
                .lines
                .iter()
                .map(|l| format!("{}\n", l.text))
                .collect();
            std::fs::write(path, text).map_err(|e| format!("--out {}: {e}", path.display()))?;
        }
        for l in &merged.lines {
            agg.add(&l.result);
        }
        if !merged.missing.is_empty() {
            eprintln!("warning: seeds missing from the merge");
        }
        agg.set_missing(merged.missing);
        let scenario = merged
            .lines
            .first()
            .map_or("", |l| l.result.scenario.as_str());
        println!(
            "merge: scenario {scenario:?}, {} files, {} runs",
            args.merge.len(),
            merged.lines.len()
        );
        print!("{}", agg.render());
        return Ok(agg.all_passed());
    }
    let (Some(file), Some(range)) = (&args.file, range) else {
        unreachable!("clap requires FILE and --seeds without --merge")
    };
    let shard = match &args.shard {
        Some(s) => Shard::parse(s, |v| std::env::var(v).ok())?,
        None => Shard::ALL,
    };
    let scenario = load_file(file).map_err(|e| e.to_string())?;
    let jobs = match args.jobs {
        Some(j) => j as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut out = match &args.out {
        Some(path) => Some(BufWriter::new(
            File::create(path).map_err(|e| format!("--out {}: {e}", path.display()))?,
        )),
        None => None,
    };
    let seeds = shard.seeds(range);
    let name = file.display().to_string();
    let (started, total, mut done, mut failing) = (Instant::now(), seeds.len(), 0u64, 0u64);
    let every = (total / 10).max(1);
    sweep::run_seeds(&scenario, &name, seeds, jobs, |line| {
        if let (Some(w), Some(path)) = (&mut out, &args.out) {
            writeln!(w, "{}", line.to_line())
                .and_then(|()| w.flush())
                .map_err(|e| format!("--out {}: {e}", path.display()))?;
        }
        done += 1;
        failing += u64::from(!line.passed);
        agg.add(&line);
        if done % every == 0 || done == total {
            eprintln!(
                "sweep: {done}/{total} seeds, {failing} failing, {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
        Ok::<(), String>(())
    })?;
    println!(
        "sweep: scenario {:?} ({name}), seeds {range}, shard {shard}",
        scenario.name
    );
    print!("{}", agg.render());
    Ok(agg.all_passed())
}

/// `peak memory: N MiB`: the process's peak resident set (VmHWM of /proc/self/status, Linux
/// only), which varies from run to run like the wall time.
fn peak_memory_line() -> String {
    let kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    match kib {
        Some(k) => format!("peak memory: {} MiB", k / 1024),
        None => "peak memory: unavailable (needs /proc/self/status, Linux)".into(),
    }
}

fn load(path: &Path) -> Result<Scenario, ExitCode> {
    load_file(path).map_err(|e: ScenarioErrors| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Check { file } => match load(&file) {
            Ok(s) => {
                println!(
                    "{}: ok (scenario {:?}, {} node pools, {} actions, {} expectations)",
                    file.display(),
                    s.name,
                    s.cluster.node_pools.len(),
                    s.actions.len(),
                    s.expect.len()
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Cmd::Sweep(args) => match sweep(args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(msg) => {
                eprintln!("{msg}");
                ExitCode::from(2)
            }
        },
        Cmd::Explain {
            cluster,
            pod,
            scheduler_config,
            format,
        } => match explain(&cluster, &pod, scheduler_config.as_deref(), format) {
            Ok(()) => ExitCode::SUCCESS,
            Err((code, msg)) => {
                eprintln!("{msg}");
                ExitCode::from(code)
            }
        },
        Cmd::Bench {
            what:
                BenchCmd::Scheduler {
                    nodes,
                    pods,
                    profile,
                    scheduler_config,
                },
        } => match bench_scheduler(nodes, pods, &profile, scheduler_config.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err((code, msg)) => {
                eprintln!("{msg}");
                ExitCode::from(code)
            }
        },
        Cmd::Import { file, output } => match import(&file, output.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err((code, msg)) => {
                eprintln!("{msg}");
                ExitCode::from(code)
            }
        },
        Cmd::Run {
            file,
            seed,
            trace,
            until,
            scheduler_config,
        } => {
            let mut scenario = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            if let Some(path) = &scheduler_config {
                match kubesim::scenario::load::load_scheduler_config(path) {
                    Ok(c) => scenario.cluster.scheduler = Some(c),
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::from(2);
                    }
                }
            }
            let until = match until.as_deref().map(parse_duration).transpose() {
                Ok(u) => u,
                Err(e) => {
                    eprintln!("--until: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut t = Trace::new();
            if let Some(path) = &trace {
                match File::create(path) {
                    Ok(f) => t = t.with_sink(Box::new(BufWriter::new(f))),
                    Err(e) => {
                        eprintln!("--trace {}: {e}", path.display());
                        return ExitCode::from(2);
                    }
                }
            }
            let started = Instant::now();
            let mut cluster = Cluster::new(
                &scenario,
                RunOptions {
                    seed,
                    trace: t,
                    ..Default::default()
                },
            );
            let report = cluster.run(until);
            let wall = started.elapsed().as_secs_f64();
            if let Err(e) = cluster.sim_mut().trace_mut().finish() {
                eprintln!("writing the trace: {e}");
                return ExitCode::from(2);
            }
            for f in report.failures() {
                eprintln!("expectation failed: {}", f.description);
            }
            for e in &report.kubectl_errors {
                eprintln!(
                    "kubectl command failed at {}: {}: {}",
                    e.at, e.command, e.error.message
                );
            }
            let mut summary = String::new();
            for line in report.summary(Some(wall)).lines() {
                summary.push_str(line);
                summary.push('\n');
                if line.starts_with("events/s: ") {
                    summary.push_str(&peak_memory_line());
                    summary.push('\n');
                }
            }
            print!("{summary}");
            // Freeing a big cluster object by object takes a while; the process ends here.
            std::mem::forget(cluster);
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
