//! The `nicsim` command line: scenarios over RTL NICs, waveform inspection,
//! descriptor fuzzing.
#![deny(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use nicsim::config::{RunConfig, VcdWindow};
use nicsim::scenario::{self, Hooks, ScenarioKind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Parser)]
#[command(
    name = "nicsim",
    version,
    about = "Co-simulation of a Verilog NIC with a Rust driver and TCP/IP stack"
)]
struct Cli {
    /// Log format on stderr
    #[arg(long, global = true, value_enum, default_value = "human")]
    log: LogFormat,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `journey=trace`
    #[arg(long, global = true, default_value = "warn")]
    log_level: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario over RTL NICs with driver and stack
    Run(RunArgs),
    /// The newcomer's tour: two hosts, ARP, ping, a 4 MiB TCP transfer
    /// verified by hash, a VCD of the first frames, pcaps, the report
    Demo(CommonArgs),
    /// Inspect VCD waveforms: frames, bus transactions, rule checks
    Vcd(nicsim::vcdtool::VcdArgs),
    /// Fuzz descriptor handling: the RTL against the reference model
    Fuzz(FuzzArgs),
    /// Replay a saved fuzzing program
    Replay(ReplayArgs),
    /// Benchmarks: model loop vs C++, co-simulation, cocotb, goodput, memory, build
    Bench(nicsim::bench::BenchArgs),
    /// Follow one packet through every layer, write() to read(), with cycle times
    Journey(JourneyArgs),
}

#[derive(Debug, Args)]
struct JourneyArgs {
    /// The scenario
    #[arg(value_enum)]
    scenario: ScenarioKind,
    #[command(flatten)]
    journey: nicsim::journey::JourneyOpts,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The scenario
    #[arg(value_enum)]
    scenario: ScenarioKind,
    #[command(flatten)]
    common: CommonArgs,
}

/// Options of every scenario; they override the `--config` file.
#[derive(Debug, Args)]
struct CommonArgs {
    /// TOML file with topology and parameters (see docs/cli.md)
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of every random choice
    #[arg(long)]
    seed: Option<u64>,
    /// Bytes for tcp-bulk, stress, router and the demo
    #[arg(long)]
    bytes: Option<u64>,
    /// Echo requests for ping, router and the demo
    #[arg(long)]
    pings: Option<u16>,
    /// Datagrams for udp-echo
    #[arg(long)]
    datagrams: Option<u32>,
    /// Payload bytes for udp-echo and tcp-rr
    #[arg(long)]
    size: Option<usize>,
    /// Transactions for tcp-rr
    #[arg(long)]
    transactions: Option<u32>,
    /// Frame loss probability on the wire
    #[arg(long)]
    loss: Option<f64>,
    /// Frame duplication probability on the wire
    #[arg(long)]
    dup: Option<f64>,
    /// Frame reordering probability on the wire
    #[arg(long)]
    reorder: Option<f64>,
    /// Bit corruption probability per frame on the wire
    #[arg(long)]
    corrupt: Option<f64>,
    /// Interrupt throttling interval (256 ns units)
    #[arg(long)]
    itr: Option<u16>,
    /// Simulated time limit in milliseconds
    #[arg(long)]
    time_limit_ms: Option<u64>,
    /// Evaluate every cycle, even idle ones
    #[arg(long)]
    no_fast_forward: bool,
    /// Waveform of the first NIC (.vcd, or .fst)
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Waveform window: START..END cycles, or first-frame[+CYCLES]
    #[arg(long, value_parser = parse_window)]
    vcd_window: Option<String>,
    /// Directory for one pcap per link (FCS kept)
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Also write the report as JSON
    #[arg(long)]
    report_json: Option<PathBuf>,
    /// No progress bar
    #[arg(long)]
    quiet: bool,
}

fn parse_dut(s: &str) -> Result<String, String> {
    nicsim::fuzz::check_dut_name(s).map(|()| s.to_string())
}

fn parse_window(s: &str) -> Result<String, String> {
    VcdWindow::parse(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
struct FuzzArgs {
    /// Generated programs to run
    #[arg(long, default_value_t = 1000)]
    cases: u32,
    /// Seed of the generator
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Device under test: `rtl`, `model`, or a planted bug (see docs/fuzzing.md)
    #[arg(long, default_value = "rtl", value_parser = parse_dut)]
    dut: String,
    /// Where a failing program is saved
    #[arg(long, default_value = "tests/regressions")]
    save: PathBuf,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// A program saved by a failing fuzz run
    file: PathBuf,
    /// Replay on this device instead of the one the file names
    #[arg(long, value_parser = parse_dut)]
    dut: Option<String>,
}

fn init_logging(format: LogFormat, level: &str) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .map_err(|e| format!("bad --log-level `{level}`: {e}"))?;
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time();
    match format {
        LogFormat::Human => b.init(),
        LogFormat::Json => b.json().init(),
    }
    Ok(())
}

fn config_from(args: &CommonArgs) -> Result<RunConfig, String> {
    let mut cfg = match &args.config {
        Some(p) => RunConfig::load(p).map_err(|e| e.to_string())?,
        None => RunConfig::default(),
    };
    let set = |dst: &mut f64, v: Option<f64>| {
        if let Some(v) = v {
            *dst = v;
        }
    };
    if let Some(s) = args.seed {
        cfg.seed = s;
    }
    if let Some(b) = args.bytes {
        cfg.traffic.bytes = b;
    }
    if let Some(p) = args.pings {
        cfg.traffic.pings = p;
    }
    if let Some(d) = args.datagrams {
        cfg.traffic.datagrams = d;
    }
    if let Some(s) = args.size {
        cfg.traffic.size = s;
    }
    if let Some(t) = args.transactions {
        cfg.traffic.transactions = t;
    }
    set(&mut cfg.wire.loss, args.loss);
    set(&mut cfg.wire.dup, args.dup);
    set(&mut cfg.wire.reorder, args.reorder);
    set(&mut cfg.wire.corrupt, args.corrupt);
    if let Some(i) = args.itr {
        cfg.nic.itr = i;
    }
    if let Some(t) = args.time_limit_ms {
        cfg.time_limit_ms = t;
    }
    if args.no_fast_forward {
        cfg.fast_forward = false;
    }
    if let Some(v) = &args.vcd {
        cfg.output.vcd = Some(v.clone());
    }
    if let Some(w) = &args.vcd_window {
        cfg.output.vcd_window = Some(w.clone());
    }
    if let Some(p) = &args.pcap {
        cfg.output.pcap_dir = Some(p.clone());
    }
    if let Some(r) = &args.report_json {
        cfg.output.report_json = Some(r.clone());
    }
    cfg.validate().map_err(|e| e.to_string())?;
    Ok(cfg)
}

/// Exit status of a run that Ctrl-C stopped: 128 + SIGINT, what a shell
/// reports for a command the signal ended (docs/cli.md, "Exit status").
const EXIT_INTERRUPTED: u8 = 130;

/// Why `run` or `demo` did not pass.
enum RunFailure {
    /// A check failed, or the run could not start: the reason in one line.
    Failed(String),
    /// Ctrl-C stopped the run; the first failed check of the partial report.
    Interrupted(String),
}

impl From<String> for RunFailure {
    fn from(s: String) -> Self {
        RunFailure::Failed(s)
    }
}

fn run_scenario(kind: ScenarioKind, args: &CommonArgs) -> Result<(), RunFailure> {
    let mut cfg = config_from(args)?;
    if kind == ScenarioKind::Demo {
        // Where the demo leaves its outputs (the same defaults as
        // scenario::run), so that the paths are printed below.
        cfg.output
            .pcap_dir
            .get_or_insert_with(|| PathBuf::from("out/demo"));
        if cfg.output.vcd.is_none() {
            cfg.output.vcd = Some(PathBuf::from("out/demo/first-frames.vcd"));
            cfg.output
                .vcd_window
                .get_or_insert_with(|| "first-frame+20000".to_string());
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let bar = if args.quiet {
        None
    } else {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {percent}% ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message(kind.name());
        Some(b)
    };
    let hooks = Hooks {
        stop: Some(stop.clone()),
        progress: bar.clone().map(|b| {
            let f: Arc<dyn Fn(u64, u64) + Send + Sync> = Arc::new(move |done, total| {
                b.set_length(total);
                b.set_position(done);
            });
            f
        }),
        markers: false,
    };
    let report = scenario::run(kind, &cfg, &hooks).map_err(|e| e.to_string())?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    print!("{report}");
    if let Some(dir) = &cfg.output.pcap_dir {
        println!("pcaps in {}", dir.display());
    }
    if let Some(v) = &cfg.output.vcd {
        println!("waveform in {}", v.display());
    }
    if let Some(path) = &cfg.output.report_json {
        std::fs::write(path, report.to_json() + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    match report.failure() {
        None => Ok(()),
        Some(f) if stop.load(Ordering::Relaxed) => Err(RunFailure::Interrupted(f)),
        Some(f) => Err(RunFailure::Failed(f)),
    }
}

/// The exit of `run` and `demo`: 0 when every check held, 130 when Ctrl-C
/// stopped the run (its report, printed above, is partial), 1 otherwise.
fn run_exit(r: Result<(), RunFailure>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(RunFailure::Failed(e)) => {
            eprintln!("nicsim: FAILED: {e}");
            ExitCode::FAILURE
        }
        Err(RunFailure::Interrupted(e)) => {
            eprintln!("nicsim: INTERRUPTED: {e} (the report is partial)");
            ExitCode::from(EXIT_INTERRUPTED)
        }
    }
}

/// Ctrl-C sets a flag the world loop checks; the run then closes its VCD
/// and pcap files and reports. A second Ctrl-C exits at once.
fn ctrlc_handler(f: impl Fn() + Send + 'static) {
    let seen = AtomicBool::new(false);
    let r = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::Relaxed) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        f();
    });
    if let Err(e) = r {
        tracing::warn!("no Ctrl-C handler: {e}");
    }
}

fn fuzz_cmd(args: &FuzzArgs) -> Result<(), String> {
    let bar = ProgressBar::new(u64::from(args.cases));
    let mut progress = |p: nicsim::fuzz::Progress| bar.set_position(p.runs.min(u64::from(p.cases)));
    let r = nicsim::fuzz::fuzz(args.cases, args.seed, &args.dut, &mut progress);
    bar.finish_and_clear();
    match r {
        Ok(summary) => {
            println!(
                "fuzz: {} programs, {} ops, no mismatch ({summary:?})",
                summary.programs, summary.ops
            );
            Ok(())
        }
        Err(failure) => {
            let name = format!("fuzz-{}-seed{}", args.dut, args.seed);
            match nicsim::fuzz::save_regression(&args.save, &name, &args.dut, &failure) {
                Ok(path) => Err(format!(
                    "{failure}; saved as {} (replay with `nicsim replay {}`)",
                    path.display(),
                    path.display()
                )),
                Err(e) => Err(format!("{failure}; could not save it: {e}")),
            }
        }
    }
}

fn replay_cmd(args: &ReplayArgs) -> Result<(), String> {
    match nicsim::fuzz::replay(&args.file, args.dut.as_deref()) {
        Ok(Ok(summary)) => {
            println!("replay: passes ({} ops)", summary.ops);
            Ok(())
        }
        Ok(Err(m)) => Err(format!("replay: still fails: {m}")),
        Err(e) => Err(e.to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(cli.log, &cli.log_level) {
        eprintln!("nicsim: {e}");
        return ExitCode::from(2);
    }
    let r = match &cli.command {
        Command::Run(a) => return run_exit(run_scenario(a.scenario, &a.common)),
        Command::Demo(a) => return run_exit(run_scenario(ScenarioKind::Demo, a)),
        Command::Vcd(a) => return nicsim::vcdtool::run_vcd_cli(a),
        Command::Fuzz(a) => fuzz_cmd(a),
        Command::Replay(a) => replay_cmd(a),
        Command::Bench(a) => nicsim::bench::run_cli(a),
        Command::Journey(a) => config_from(&a.common)
            .and_then(|c| nicsim::journey::run_cli(a.scenario, &c, &a.journey)),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nicsim: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
