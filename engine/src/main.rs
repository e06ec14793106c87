//! The `kubesim` command line.

use clap::{Parser, Subcommand};
use kubesim::cluster::{Cluster, RunOptions};
use kubesim::scenario::{load_file, Scenario, ScenarioErrors};
use kubesim::sim::{parse_duration, Trace};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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
    },
    /// Validate a scenario without running it.
    Check {
        /// The scenario file (RON).
        file: PathBuf,
    },
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
        Cmd::Run {
            file,
            seed,
            trace,
            until,
        } => {
            let scenario = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
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
            let mut cluster = Cluster::new(&scenario, RunOptions { seed, trace: t });
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
            println!("{}", report.summary(Some(wall)));
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
