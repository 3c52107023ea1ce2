//! `nicsim bench`: how fast nicsim is, measured side by side in one run
//! (issue 12). A table on stdout, `bench.json` in `--out`.
//!
//! Every figure is the median of `--runs` runs with its spread (min..max);
//! every ratio is taken run by run from measurements interleaved in the same
//! invocation (A, B, A, B, ...), then the median of those ratios is reported,
//! so a machine that slows down mid-run shifts both sides alike.
//!
//! Sections (`--sections`, default all):
//! - `bare`: the Rust loop over the Verilated model against the C++ `main()`
//!   loop on the same model (`sim/csrc/bench_main.cpp`), idle and with GMII
//!   receive traffic (the same symbol file driven by both).
//! - `cosim`: a TCP bulk transfer between two RTL hosts without fast-forward
//!   (RTL, bus bridge, driver, stack), its cycles per second against the
//!   bare Rust loop with traffic; its simulated goodput against the MTU 1500
//!   ceiling; and, interleaved, the cocotb bench (`tests/cocotb/bench/`).
//! - `linerate`: TX frame spacing on the wire during a bulk transfer, from a
//!   waveform window decoded by the VCD inspector.
//! - `idle`: wall time of one simulated second of idle with fast-forward,
//!   and without it (measured over a shorter stretch, scaled to a second).
//! - `memory`: peak RSS of a child `nicsim run tcp-bulk`, packet buffer
//!   allocations per frame in steady state, peak RSS of a child
//!   `nicsim vcd check` over a dump larger than 1 GB.
//! - `build`: Verilator model build time with ccache disabled and warm.

use crate::config::{RunConfig, TrafficConfig};
use crate::report::{Report, TCP_GOODPUT_CEILING_MBPS};
use crate::scenario::{self, Hooks, ScenarioKind};
use crate::vcdtool::{self, Port, Selection};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::fmt;
use std::fs;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Clock period of the simulated NIC (125 MHz GMII clock).
const CLOCK_NS: f64 = 8.0;

/// Bound on one measured child process, so that `cargo xtask bench` stays
/// within its time budget whatever the child does.
const CHILD_LIMIT: Duration = Duration::from_secs(900);

/// The sections, in the order they run.
pub const SECTIONS: [&str; 7] = [
    "bare", "cosim", "cocotb", "linerate", "idle", "memory", "build",
];

/// Options of `nicsim bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Directory for bench.json and scratch files
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// A short version (small sizes, 3 runs, no build timing)
    #[arg(long)]
    pub quick: bool,
    /// Runs per figure (default 5, or 3 with --quick)
    #[arg(long)]
    pub runs: Option<usize>,
    /// Cycles per bare-model run (overrides the default size)
    #[arg(long)]
    pub bare_cycles: Option<u64>,
    /// Comma-separated sections to run (bare,cosim,linerate,idle,memory,build)
    #[arg(long, value_delimiter = ',')]
    pub sections: Vec<String>,
    /// Skip the cocotb section
    #[arg(long)]
    pub no_cocotb: bool,
    /// Bytes of the tcp-bulk child whose peak RSS is measured (default
    /// 100 MiB, or 512 KiB with --quick)
    #[arg(long)]
    pub rss_bytes: Option<u64>,
}

/// Why the benchmark could not produce a figure.
#[derive(Debug)]
pub enum BenchError {
    Io(String),
    Child(String),
    Scenario(String),
    Usage(String),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Io(s) => write!(f, "i/o: {s}"),
            BenchError::Child(s) => write!(f, "child process: {s}"),
            BenchError::Scenario(s) => write!(f, "scenario: {s}"),
            BenchError::Usage(s) => write!(f, "usage: {s}"),
        }
    }
}

impl std::error::Error for BenchError {}

fn io_err(what: &str, e: impl fmt::Display) -> BenchError {
    BenchError::Io(format!("{what}: {e}"))
}

// ------------------------------------------------------------ statistics

/// Median and spread of several measurements of one figure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// `(max - min) / median`, in percent.
    pub spread_pct: f64,
    pub runs: Vec<f64>,
}

impl Stat {
    /// `None` for an empty set.
    pub fn of(values: &[f64]) -> Option<Stat> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        let (min, max) = (v[0], v[n - 1]);
        Some(Stat {
            median,
            min,
            max,
            spread_pct: if median != 0.0 {
                100.0 * (max - min) / median.abs()
            } else {
                0.0
            },
            runs: values.to_vec(),
        })
    }
}

/// One line of the table: a figure, its target and whether it is met.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub section: &'static str,
    pub name: String,
    pub unit: String,
    pub stat: Stat,
    /// Human form of the target, e.g. `>= 0.9`.
    pub target: Option<String>,
    pub met: Option<bool>,
}

/// Everything measured; serialised to `bench.json`.
#[derive(Debug, Default)]
pub struct Results {
    pub rows: Vec<Row>,
    /// Per-section details (raw figures, configuration).
    pub details: serde_json::Map<String, Value>,
    pub notes: Vec<String>,
}

impl Results {
    fn add(
        &mut self,
        section: &'static str,
        name: &str,
        unit: &str,
        values: &[f64],
        target: Option<(f64, bool)>,
    ) {
        let Some(stat) = Stat::of(values) else {
            self.notes
                .push(format!("{section}: {name}: no measurement"));
            return;
        };
        // target: (bound, at_least)
        let (target, met) = match target {
            Some((bound, true)) => (Some(format!(">= {bound}")), Some(stat.median >= bound)),
            Some((bound, false)) => (Some(format!("<= {bound}")), Some(stat.median <= bound)),
            None => (None, None),
        };
        let row = Row {
            section,
            name: name.to_string(),
            unit: unit.to_string(),
            stat,
            target,
            met,
        };
        println!("{}", fmt_row(&row));
        self.rows.push(row);
    }

    fn detail(&mut self, key: &str, v: Value) {
        self.details.insert(key.to_string(), v);
    }

    pub fn to_json(&self, meta: Value) -> Value {
        json!({
            "meta": meta,
            "rows": self.rows,
            "details": self.details,
            "notes": self.notes,
        })
    }
}

fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.3}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a > 0.0 && a < 0.01 {
        format!("{x:.2e}")
    } else {
        format!("{x:.3}")
    }
}

fn fmt_row(r: &Row) -> String {
    let verdict = match r.met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "",
    };
    format!(
        "{:<9} {:<52} {:>10} {:<11} [{} .. {}] ±{:>5.1}% n={} {:>8} {}",
        r.section,
        r.name,
        fmt_num(r.stat.median),
        r.unit,
        fmt_num(r.stat.min),
        fmt_num(r.stat.max),
        r.stat.spread_pct / 2.0,
        r.stat.runs.len(),
        r.target.clone().unwrap_or_default(),
        verdict
    )
}

// ------------------------------------------------------------ bare model

/// GMII receive symbols: broadcast frames of several sizes with valid FCS,
/// each after 7 preamble bytes and the SFD, separated by the 12-byte
/// minimum gap (IEEE 802.3 clause 4.4.2). Two bytes per clock: data, then
/// flags (bit 0 RX_DV, bit 1 RX_ER), the format `nic_bench_main` reads.
pub fn rx_symbols(seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for len in [60usize, 1514, 590, 1514, 128, 1514] {
        let mut f = vec![0xffu8; 6];
        f.extend_from_slice(&[0x02, 0x42, 0x45, 0x4e, 0x43, 0x48]);
        f.extend_from_slice(&[0x08, 0x00]);
        let mut payload = vec![0u8; len - 14];
        rng.fill_bytes(&mut payload);
        f.extend_from_slice(&payload);
        let wire = sim::gmii::with_fcs(&f);
        for b in [0x55u8; 7].iter().chain(&[0xd5]).chain(&wire) {
            out.extend_from_slice(&[*b, 1]);
        }
        for _ in 0..12 {
            out.extend_from_slice(&[0, 0]);
        }
    }
    out
}

/// The Rust loop with receive traffic: the same work as `nic_bench_main
/// CYCLES FILE` (reset for 16 cycles, then per clock: drive the symbol,
/// falling edge, rising edge). Returns the wall time of the timed loop.
pub fn rust_rx_loop(cycles: u64, symbols: &[u8]) -> Duration {
    sim::bench::BareLoop::new(symbols).run(cycles)
}

/// Stretches per loop and run of the bare section.
const BARE_STRETCHES: u64 = 24;

/// One run of the bare section for one workload: `cycles` clocks of the
/// Rust loop and as many of the C++ `main()` loop, each cut into
/// [`BARE_STRETCHES`] stretches on one live model per side and
/// interleaved Rust, C++, C++, Rust, Rust, C++, ... Returns the total wall
/// times (Rust, C++). On this shared host one and the same loop runs a
/// third faster or slower from one second to the next; stretches of a few
/// tens of milliseconds taken in turn give both sides the same spells,
/// and the mirrored order cancels a drift within each pair.
fn bare_interleaved(
    cycles: u64,
    symbols: &[u8],
    sym_path: Option<&Path>,
) -> Result<(Duration, Duration), BenchError> {
    let mut rust = sim::bench::BareLoop::new(symbols);
    let mut cpp = sim::bench::CppLoop::spawn(sym_path).map_err(BenchError::Child)?;
    let mut t_rust = Duration::ZERO;
    let mut t_cpp = Duration::ZERO;
    let mut done = 0;
    for k in 0..BARE_STRETCHES {
        // The last stretch takes the remainder: exactly `cycles` per side.
        let n = if k + 1 == BARE_STRETCHES {
            cycles - done
        } else {
            cycles / BARE_STRETCHES
        };
        done += n;
        if k % 2 == 0 {
            t_rust += rust.run(n);
            t_cpp += cpp.run(n).map_err(BenchError::Child)?;
        } else {
            t_cpp += cpp.run(n).map_err(BenchError::Child)?;
            t_rust += rust.run(n);
        }
    }
    Ok((t_rust, t_cpp))
}

fn per_sec(cycles: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 { cycles as f64 / s } else { 0.0 }
}

/// The bare-model section: Rust and C++ loops, idle and with traffic,
/// interleaved stretch by stretch within each run ([`bare_interleaved`]).
pub fn bench_bare(
    res: &mut Results,
    out: &Path,
    runs: usize,
    cycles: u64,
) -> Result<(), BenchError> {
    let symbols = rx_symbols(12);
    let sym_path = out.join("rx-symbols.bin");
    fs::write(&sym_path, &symbols).map_err(|e| io_err(&sym_path.display().to_string(), e))?;
    let mut r_idle = Vec::new();
    let mut c_idle = Vec::new();
    let mut r_rx = Vec::new();
    let mut c_rx = Vec::new();
    let mut ratio_idle = Vec::new();
    let mut ratio_rx = Vec::new();
    for _ in 0..runs {
        let (ta, tb) = bare_interleaved(cycles, &[], None)?;
        let (tc, td) = bare_interleaved(cycles, &symbols, Some(&sym_path))?;
        let (a, b) = (per_sec(cycles, ta), per_sec(cycles, tb));
        let (c, d) = (per_sec(cycles, tc), per_sec(cycles, td));
        r_idle.push(a);
        c_idle.push(b);
        r_rx.push(c);
        c_rx.push(d);
        ratio_idle.push(a / b);
        ratio_rx.push(c / d);
    }
    res.add("bare", "Rust loop, idle", "cycles/s", &r_idle, None);
    res.add("bare", "C++ main() loop, idle", "cycles/s", &c_idle, None);
    res.add(
        "bare",
        "Rust / C++, idle",
        "ratio",
        &ratio_idle,
        Some((0.9, true)),
    );
    res.add(
        "bare",
        "Rust loop, GMII RX traffic",
        "cycles/s",
        &r_rx,
        None,
    );
    res.add(
        "bare",
        "C++ main() loop, GMII RX traffic",
        "cycles/s",
        &c_rx,
        None,
    );
    res.add(
        "bare",
        "Rust / C++, GMII RX traffic",
        "ratio",
        &ratio_rx,
        Some((0.9, true)),
    );
    res.detail(
        "bare",
        json!({
            "cycles_per_run": cycles,
            "stretches_per_run": BARE_STRETCHES,
            "order": "interleaved Rust, C++, C++, Rust, ... on one live model per side (nic_bench_main --serve)",
            "rx_symbol_cycles": symbols.len() / 2,
            "cpp_binary": sim::bench::cpp_main_path(),
        }),
    );
    Ok(())
}

// ------------------------------------------------------------ co-simulation

/// tcp-bulk of `bytes` with the defaults and a generous time limit.
fn bulk_config(bytes: u64) -> RunConfig {
    RunConfig {
        time_limit_ms: 60_000,
        traffic: TrafficConfig {
            bytes,
            ..TrafficConfig::default()
        },
        ..RunConfig::default()
    }
}

fn run_scenario(kind: ScenarioKind, cfg: &RunConfig) -> Result<Report, BenchError> {
    let report = scenario::run(kind, cfg, &Hooks::default())
        .map_err(|e| BenchError::Scenario(e.to_string()))?;
    if let Some(f) = report.failure() {
        return Err(BenchError::Scenario(format!(
            "{}: check failed: {f}",
            kind.name()
        )));
    }
    Ok(report)
}

/// Shortest wall time over which nicsim's side of a cocotb pair is timed.
/// One pass over 60 + 60 frames takes about 35 ms here, cocotb's about
/// 4 s: a single pass would put nicsim's figure at the mercy of one
/// scheduling hiccup of this shared host (single passes ranged over 40 %).
/// Passes are repeated until this much time has been timed, and the rate
/// is their total cycles over their total time: the mean over the slot,
/// as cocotb's figure is the mean over its run.
const NICSIM_SLOT_S: f64 = 1.0;
/// Bound on the passes of one slot.
const NICSIM_SLOT_MAX_PASSES: u32 = 1000;

/// nicsim's side of one cocotb pair: [`nicsim_frames`] repeated for
/// [`NICSIM_SLOT_S`]; `cycles` and `wall_s` are the totals over the
/// `passes`.
pub fn nicsim_frames_slot(frames: usize) -> Result<FramesRun, BenchError> {
    let mut total = nicsim_frames(frames)?;
    while total.wall_s < NICSIM_SLOT_S && total.passes < NICSIM_SLOT_MAX_PASSES {
        let n = nicsim_frames(frames)?;
        total.cycles += n.cycles;
        total.wall_s += n.wall_s;
        total.passes += 1;
    }
    Ok(total)
}

/// What one run of [`nicsim_frames`] measured (or, from
/// [`nicsim_frames_slot`], the totals of several).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FramesRun {
    /// Passes over the frames measured (1 for [`nicsim_frames`]).
    pub passes: u32,
    /// Simulated cycles of the traffic part.
    pub cycles: u64,
    /// Wall time of the traffic part, in seconds.
    pub wall_s: f64,
    /// Frames sent and received in each pass.
    pub frames_tx: usize,
    pub frames_rx: usize,
}

/// Station address of the NIC in the "same frames" runs, and the peer's.
const FRAMES_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const FRAMES_PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// A 1514-byte frame (no FCS) to `dst` from the peer, random payload.
fn bench_frame(dst: &[u8; 6], len: usize, seed: u64) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(dst);
    f.extend_from_slice(&FRAMES_PEER);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut payload = vec![0u8; len.saturating_sub(14)];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut payload);
    f.extend_from_slice(&payload);
    f
}

/// nicsim's side of the cocotb comparison: the work of
/// `tests/cocotb/bench/cocotb_nic_top.py`, frame for frame, on one
/// `nic_top` in the world loop (AXI-Lite bridge, AXI memory slave with its
/// protocol checker and sanitizer, software GMII PHY), without the driver
/// or the stack: the registers are programmed as the cocotb test programs
/// them, `frames` full-size frames go out through the TX ring while
/// `frames` come in through the RX ring, and every frame is checked byte
/// for byte. Timed like the cocotb side: from writing the first TX buffer
/// to the last RX descriptor's DD, fast-forward off.
pub fn nicsim_frames(frames: usize) -> Result<FramesRun, BenchError> {
    use driver::desc::{DESC_LEN, rx, tx};
    use driver::hal::{DmaAddr, DmaDirection, DmaMemory};
    use driver::regs::{Rah, Rctl, Tctl, Tipg, reg};
    use sim::axi_mem::MemConfig;
    use sim::world::{Hardware, WorldConfig};

    const RING: usize = 256;
    const BUF: usize = 2048;
    if frames == 0 || frames >= RING {
        return Err(BenchError::Usage(format!(
            "frames: {frames} must be in 1..{RING} (one pass over the rings)"
        )));
    }
    let err =
        |what: &str, e: &dyn fmt::Display| BenchError::Scenario(format!("frames: {what}: {e}"));
    let mut hw = Hardware::new(WorldConfig {
        fast_forward: false,
        ..WorldConfig::default()
    });
    let nic = hw.add_nic(MemConfig::default());
    hw.attach_phy(nic);
    hw.run(64).map_err(|e| err("reset", &e))?;
    let wr = |hw: &mut Hardware, r: u32, v: u32| {
        hw.write32(nic, r, v).map_err(|e| err("register write", &e))
    };
    let m = FRAMES_MAC;
    wr(
        &mut hw,
        reg::RAL0,
        u32::from_le_bytes([m[0], m[1], m[2], m[3]]),
    )?;
    wr(
        &mut hw,
        reg::RAH0,
        Rah::AV
            .with(Rah::ADDR, u32::from(u16::from_le_bytes([m[4], m[5]])))
            .bits(),
    )?;
    let ring_bytes = RING * DESC_LEN;
    let tx_ring = hw
        .mem(nic)
        .alloc_coherent(ring_bytes, 128)
        .map_err(|e| err("TX ring", &e))?;
    let rx_ring = hw
        .mem(nic)
        .alloc_coherent(ring_bytes, 128)
        .map_err(|e| err("RX ring", &e))?;
    wr(&mut hw, reg::TDBAL, tx_ring.0 as u32)?;
    wr(&mut hw, reg::TDBAH, (tx_ring.0 >> 32) as u32)?;
    wr(&mut hw, reg::TDLEN, ring_bytes as u32)?;
    wr(&mut hw, reg::TCTL, (Tctl::EN | Tctl::PSP).bits())?;
    wr(
        &mut hw,
        reg::TIPG,
        Tipg::empty().with(Tipg::IPGT, 12).bits(),
    )?;
    wr(&mut hw, reg::RDBAL, rx_ring.0 as u32)?;
    wr(&mut hw, reg::RDBAH, (rx_ring.0 >> 32) as u32)?;
    wr(&mut hw, reg::RDLEN, ring_bytes as u32)?;
    let mut rx_bufs = Vec::with_capacity(RING);
    for slot in 0..RING {
        let b = hw
            .mem(nic)
            .map(BUF, DmaDirection::FromDevice)
            .map_err(|e| err("RX buffer", &e))?;
        let mut d = [0u8; DESC_LEN];
        d[rx::ADDR].copy_from_slice(&b.0.to_le_bytes());
        hw.mem(nic)
            .write(DmaAddr(rx_ring.0 + (slot * DESC_LEN) as u64), &d)
            .map_err(|e| err("RX descriptor", &e))?;
        rx_bufs.push(b);
    }
    wr(&mut hw, reg::RCTL, (Rctl::EN | Rctl::SECRC).bits())?;
    wr(&mut hw, reg::RDT, (RING - 1) as u32)?;

    let tx_frames: Vec<Vec<u8>> = (0..frames)
        .map(|i| bench_frame(&FRAMES_PEER, 1514, i as u64))
        .collect();
    let rx_frames: Vec<Vec<u8>> = (0..frames)
        .map(|i| bench_frame(&FRAMES_MAC, 1514, 10_000 + i as u64))
        .collect();
    let start = Instant::now();
    let c0 = hw.cycle();
    for (i, f) in tx_frames.iter().enumerate() {
        let b = hw
            .mem(nic)
            .map(f.len(), DmaDirection::ToDevice)
            .map_err(|e| err("TX buffer", &e))?;
        hw.mem(nic).write(b, f).map_err(|e| err("TX buffer", &e))?;
        let mut d = [0u8; DESC_LEN];
        d[tx::ADDR].copy_from_slice(&b.0.to_le_bytes());
        d[tx::LENGTH].copy_from_slice(&(f.len() as u16).to_le_bytes());
        d[tx::CMD] = tx::CMD_EOP | tx::CMD_IFCS | tx::CMD_RS;
        hw.mem(nic)
            .write(DmaAddr(tx_ring.0 + (i * DESC_LEN) as u64), &d)
            .map_err(|e| err("TX descriptor", &e))?;
    }
    if let Some(phy) = hw.phy(nic) {
        for f in &rx_frames {
            phy.inject(f, stack::buf::PacketId(0));
        }
    }
    wr(&mut hw, reg::TDT, frames as u32)?;
    let last_rx = DmaAddr(rx_ring.0 + ((frames - 1) * DESC_LEN + rx::STATUS) as u64);
    let limit = 4 * 1600 * frames as u64 + 20_000;
    let mut done = false;
    for _ in 0..limit {
        let sent = hw.phy(nic).map_or(0, |p| p.collected.len());
        if sent >= frames {
            let mut st = [0u8; 1];
            hw.mem(nic)
                .read(last_rx, &mut st)
                .map_err(|e| err("RX status", &e))?;
            if st[0] & rx::STA_DD != 0 {
                done = true;
                break;
            }
        }
        hw.step();
    }
    let wall = start.elapsed();
    let cycles = hw.cycle() - c0;
    if let Some(e) = hw.first_error() {
        return Err(err("simulation", e));
    }
    let got: Vec<sim::gmii::WireFrame> = hw
        .phy(nic)
        .map(|p| p.collected.drain(..).collect())
        .unwrap_or_default();
    if !done {
        return Err(BenchError::Scenario(format!(
            "frames: timeout after {limit} cycles: {} of {frames} TX frames",
            got.len()
        )));
    }
    for (i, (g, f)) in got.iter().zip(&tx_frames).enumerate() {
        if !g.fcs_ok || g.data.get(..f.len()) != Some(f.as_slice()) {
            return Err(BenchError::Scenario(format!(
                "frames: TX frame {i} differs"
            )));
        }
    }
    for (i, (b, f)) in rx_bufs.iter().zip(&rx_frames).enumerate() {
        let mut data = vec![0u8; f.len()];
        hw.mem(nic)
            .read(*b, &mut data)
            .map_err(|e| err("RX buffer", &e))?;
        if &data != f {
            return Err(BenchError::Scenario(format!(
                "frames: RX frame {i} differs"
            )));
        }
    }
    Ok(FramesRun {
        passes: 1,
        cycles,
        wall_s: wall.as_secs_f64(),
        frames_tx: got.len(),
        frames_rx: frames,
    })
}

/// What one cocotb run measured (`tests/cocotb/bench/run_bench.py`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct CocotbRun {
    pub cycles: u64,
    pub wall_s: f64,
    pub frames_tx: u64,
    pub frames_rx: u64,
    pub total_wall_s: f64,
}

/// Run the cocotb bench in a child `.venv/bin/python` and read its JSON.
pub fn cocotb_run(
    root: &Path,
    out: &Path,
    frames: u32,
    run: usize,
) -> Result<CocotbRun, BenchError> {
    let python = root.join(".venv/bin/python");
    let script = root.join("tests/cocotb/bench/run_bench.py");
    let json_path = out.join(format!("cocotb-run{run}.json"));
    let _ = fs::remove_file(&json_path);
    let o = Command::new(&python)
        .arg(&script)
        .arg("--frames")
        .arg(frames.to_string())
        .arg("--out")
        .arg(&json_path)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| BenchError::Child(format!("{}: {e}", python.display())))?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        return Err(BenchError::Child(format!(
            "cocotb bench exited with {}: {}",
            o.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    let text =
        fs::read_to_string(&json_path).map_err(|e| io_err(&json_path.display().to_string(), e))?;
    serde_json::from_str(&text)
        .map_err(|e| BenchError::Child(format!("{}: {e}", json_path.display())))
}

/// Clocks of the bare loop before and after each co-simulation run.
const COSIM_BARE_CYCLES: u64 = 1_000_000;

/// Co-simulation and goodput: tcp-bulk between two RTL hosts, each run
/// between two stretches of the bare loop with traffic; goodput with the
/// stack's defaults (timestamps on) and with TCP timestamps off.
pub fn bench_cosim(res: &mut Results, runs: usize, bytes: u64) -> Result<(), BenchError> {
    let symbols = rx_symbols(12);
    let mut world_cps = Vec::new();
    let mut nic_cps = Vec::new();
    let mut bare_cps = Vec::new();
    let mut ratio = Vec::new();
    let mut goodput = Vec::new();
    let mut goodput_pct = Vec::new();
    let mut goodput_nots = Vec::new();
    let mut goodput_nots_pct = Vec::new();
    let mut nics = 2u64;
    for run in 0..runs {
        let cfg = RunConfig {
            seed: 1 + run as u64,
            fast_forward: false,
            ..bulk_config(bytes)
        };
        // The bare loop runs right before and right after the transfer,
        // so that a slow or fast spell of the host falls on both.
        let mut bare = sim::bench::BareLoop::new(&symbols);
        let mut bare_t = bare.run(COSIM_BARE_CYCLES);
        let rep = run_scenario(ScenarioKind::TcpBulk, &cfg)?;
        bare_t += bare.run(COSIM_BARE_CYCLES);
        // Every cycle evaluates every NIC of the world.
        nics = 2 * rep.links.len() as u64;
        let w = per_sec(rep.evaluated_cycles, rep.wall);
        world_cps.push(w);
        nic_cps.push(w * nics as f64);
        let b = per_sec(2 * COSIM_BARE_CYCLES, bare_t);
        bare_cps.push(b);
        ratio.push(w * nics as f64 / b);
        if let Some(flow) = rep.tcp.first() {
            goodput.push(flow.goodput_mbps);
            goodput_pct.push(100.0 * flow.goodput_mbps / TCP_GOODPUT_CEILING_MBPS);
        }
        // Timestamps off: 1460 payload bytes per full frame, the ceiling's
        // own assumption. Simulated figures: fast-forward does not change
        // them, so it stays on here.
        let mut nots = RunConfig {
            seed: 1 + run as u64,
            ..bulk_config(bytes)
        };
        nots.tcp.timestamps = false;
        let rep = run_scenario(ScenarioKind::TcpBulk, &nots)?;
        if let Some(flow) = rep.tcp.first() {
            goodput_nots.push(flow.goodput_mbps);
            goodput_nots_pct.push(100.0 * flow.goodput_mbps / TCP_GOODPUT_CEILING_MBPS);
        }
    }
    res.add(
        "cosim",
        "tcp-bulk, world cycles/s (2 NICs, no fast-forward)",
        "cycles/s",
        &world_cps,
        None,
    );
    res.add(
        "cosim",
        "tcp-bulk, NIC cycles/s (cycles x NICs)",
        "cycles/s",
        &nic_cps,
        None,
    );
    res.add(
        "cosim",
        "bare Rust loop with RX traffic (around each run)",
        "cycles/s",
        &bare_cps,
        None,
    );
    res.add(
        "cosim",
        "co-simulation NIC cycles / bare model cycles",
        "ratio",
        &ratio,
        Some((0.5, true)),
    );
    res.add(
        "goodput",
        "TCP goodput A->B, MTU 1500, timestamps on",
        "Mb/s",
        &goodput,
        None,
    );
    res.add(
        "goodput",
        "goodput / 949.3 Mb/s, timestamps on",
        "%",
        &goodput_pct,
        Some((98.0, true)),
    );
    res.add(
        "goodput",
        "TCP goodput A->B, MTU 1500, timestamps off",
        "Mb/s",
        &goodput_nots,
        None,
    );
    res.add(
        "goodput",
        "goodput / 949.3 Mb/s, timestamps off",
        "%",
        &goodput_nots_pct,
        Some((98.0, true)),
    );
    res.detail(
        "cosim",
        json!({
            "bytes": bytes,
            "nics": nics,
            "fast_forward": false,
            "bare_cycles_before_and_after_each_run": COSIM_BARE_CYCLES,
            "ceiling_mbps": TCP_GOODPUT_CEILING_MBPS,
            "tcp_timestamps": "on ([tcp] timestamps = true, the default) and off",
        }),
    );
    Ok(())
}

/// nicsim against cocotb on the same frames through the same `nic_top`
/// (same Verilator), interleaved run by run: a [`nicsim_frames_slot`]
/// before and one after each `tests/cocotb/bench/run_bench.py` run.
pub fn bench_cocotb(
    res: &mut Results,
    root: &Path,
    out: &Path,
    runs: usize,
    frames: u32,
) -> Result<(), BenchError> {
    let symbols = rx_symbols(12);
    let mut nicsim_cps = Vec::new();
    let mut coco_cps = Vec::new();
    let mut bare_cps = Vec::new();
    let mut ratio = Vec::new();
    let mut ratio_bare = Vec::new();
    let mut ratio_wall = Vec::new();
    let mut coco_runs = Vec::new();
    let mut nicsim_runs = Vec::new();
    for run in 0..runs {
        // nicsim's slot split around the cocotb run (before and after):
        // a spell of this host that is slow or fast for seconds then falls
        // on both sides of the pair alike.
        let mut n = nicsim_frames_slot(frames as usize)?;
        let c = cocotb_run(root, out, frames, run)?;
        let after = nicsim_frames_slot(frames as usize)?;
        n.cycles += after.cycles;
        n.wall_s += after.wall_s;
        n.passes += after.passes;
        if c.frames_tx != u64::from(frames) || c.frames_rx != u64::from(frames) {
            return Err(BenchError::Child(format!(
                "cocotb moved {} + {} frames, expected {frames} each way",
                c.frames_tx, c.frames_rx
            )));
        }
        let bare = per_sec(n.cycles, rust_rx_loop(n.cycles, &symbols));
        let ns = if n.wall_s > 0.0 {
            n.cycles as f64 / n.wall_s
        } else {
            0.0
        };
        // Wall time of one pass over the frames, like cocotb's one run.
        let n_pass_s = n.wall_s / n.passes.max(1) as f64;
        let cs = if c.wall_s > 0.0 {
            c.cycles as f64 / c.wall_s
        } else {
            0.0
        };
        nicsim_cps.push(ns);
        coco_cps.push(cs);
        bare_cps.push(bare);
        if cs > 0.0 && n.wall_s > 0.0 {
            ratio.push(ns / cs);
            ratio_bare.push(bare / cs);
            ratio_wall.push(c.wall_s / n_pass_s);
        }
        coco_runs.push(c);
        nicsim_runs.push(n);
    }
    let what = format!("{frames} x 1514 B each way, one nic_top");
    res.add(
        "cocotb",
        &format!("nicsim, {what}"),
        "cycles/s",
        &nicsim_cps,
        None,
    );
    res.add(
        "cocotb",
        &format!("cocotb + cocotbext-axi/eth, {what}"),
        "cycles/s",
        &coco_cps,
        None,
    );
    res.add(
        "cocotb",
        "nicsim / cocotb, same frames (cycles/s)",
        "ratio",
        &ratio,
        Some((100.0, true)),
    );
    res.add(
        "cocotb",
        "cocotb wall / nicsim wall, same frames",
        "ratio",
        &ratio_wall,
        None,
    );
    res.add(
        "cocotb",
        "bare model loop (ceiling) / cocotb",
        "ratio",
        &ratio_bare,
        None,
    );
    res.detail(
        "cocotb",
        json!({
            "frames_each_way": frames,
            "nicsim_runs": nicsim_runs,
            "cocotb_runs": coco_runs,
            "bare_cycles_per_s": bare_cps,
        }),
    );
    Ok(())
}

// ------------------------------------------------------------ line rate

/// TX frame spacing on A's GMII during a bulk transfer: a waveform window
/// in the middle of the transfer, decoded by the VCD inspector.
pub fn bench_linerate(res: &mut Results, out: &Path, bytes: u64) -> Result<(), BenchError> {
    let mut cfg = bulk_config(bytes);
    let first = run_scenario(ScenarioKind::TcpBulk, &cfg)?;
    let start = first.cycles / 2;
    let window = 60_000u64;
    let vcd = out.join("linerate.vcd");
    cfg.output.vcd = Some(vcd.clone());
    cfg.output.vcd_window = Some(format!("{start}..{}", start + window));
    run_scenario(ScenarioKind::TcpBulk, &cfg)?;
    let frames = vcdtool::decode_frames(&vcd, &Selection::default(), Some(Port::Tx))
        .map_err(|e| BenchError::Io(format!("{}: {e}", vcd.display())))?;
    let _ = fs::remove_file(&vcd);
    // Gaps before full-size frames (1518 bytes with FCS) that follow a
    // full-size frame: the back-to-back case.
    let mut gaps = Vec::new();
    let mut periods = Vec::new();
    for pair in frames.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.len == 1518 && b.len == 1518 {
            if let Some(g) = b.gap_before {
                gaps.push(g as f64);
                periods.push((b.start_cycle - a.start_cycle) as f64);
            }
        }
    }
    let at_min = gaps.iter().filter(|g| **g == 12.0).count();
    let full = frames.iter().filter(|f| f.len == 1518).count();
    let pct = if gaps.is_empty() {
        0.0
    } else {
        100.0 * at_min as f64 / gaps.len() as f64
    };
    if gaps.is_empty() {
        res.notes.push(format!(
            "linerate: no back-to-back full-size TX frames in the window ({} frames decoded)",
            frames.len()
        ));
    } else {
        res.add(
            "linerate",
            "gap between back-to-back 1518-byte TX frames",
            "byte times",
            &gaps,
            Some((12.0, false)),
        );
        res.add(
            "linerate",
            "frame start-to-start period",
            "clocks",
            &periods,
            Some((1538.0, false)),
        );
        res.add(
            "linerate",
            "back-to-back pairs at the 12-byte gap",
            "%",
            &[pct],
            None,
        );
    }
    let min_gap = frames.iter().filter_map(|f| f.gap_before).min();
    res.detail(
        "linerate",
        json!({
            "window_cycles": [start, start + window],
            "frames": frames.len(),
            "full_size_frames": full,
            "back_to_back_pairs": gaps.len(),
            "pairs_at_12": at_min,
            "min_gap_any_frame": min_gap,
            "clock_ns": CLOCK_NS,
        }),
    );
    Ok(())
}

// ------------------------------------------------------------ idle

/// Two NICs on one link, out of reset, no driver: `cycles` clocks of idle.
/// Returns (wall, cycles run, cycles skipped by fast-forward).
fn idle_world(fast_forward: bool, cycles: u64) -> Result<(Duration, u64, u64), BenchError> {
    let mut hw = sim::world::Hardware::new(sim::world::WorldConfig {
        fast_forward,
        ..sim::world::WorldConfig::default()
    });
    let a = hw.add_nic(sim::axi_mem::MemConfig::default());
    let b = hw.add_nic(sim::axi_mem::MemConfig::default());
    hw.connect(a, b, 4, sim::gmii::Faults::default());
    let t = Instant::now();
    hw.run(cycles)
        .map_err(|e| BenchError::Scenario(e.to_string()))?;
    let wall = t.elapsed();
    hw.finish()
        .map_err(|e| BenchError::Scenario(e.to_string()))?;
    Ok((wall, hw.cycle(), hw.skipped_cycles))
}

/// One simulated second of idle with fast-forward; without it, `off_ms`
/// simulated milliseconds scaled to a second (a plain second costs 125 M
/// evaluated cycles per NIC, minutes of wall time, and the cost per cycle
/// of an idle NIC does not depend on how long it has been idle).
pub fn bench_idle(res: &mut Results, runs: usize, off_ms: u64) -> Result<(), BenchError> {
    let second = 1_000_000_000 / CLOCK_NS as u64;
    let off_cycles = off_ms * 1_000_000 / CLOCK_NS as u64;
    let scale = second as f64 / off_cycles.max(1) as f64;
    let mut on = Vec::new();
    let mut off = Vec::new();
    let mut speedup = Vec::new();
    let mut skipped = 0;
    for _ in 0..runs {
        let (w_on, c_on, s_on) = idle_world(true, second)?;
        let (w_off, c_off, s_off) = idle_world(false, off_cycles)?;
        if c_on < second || c_off < off_cycles || s_off != 0 {
            return Err(BenchError::Scenario(format!(
                "idle: ran {c_on} of {second} cycles with fast-forward, {c_off} of {off_cycles} ({s_off} skipped) without"
            )));
        }
        skipped = s_on;
        let per_second_off = w_off.as_secs_f64() * scale;
        on.push(w_on.as_secs_f64());
        off.push(per_second_off);
        speedup.push(per_second_off / w_on.as_secs_f64().max(1e-9));
    }
    res.add(
        "idle",
        "1 s simulated idle (2 NICs), fast-forward on",
        "s wall",
        &on,
        None,
    );
    res.add(
        "idle",
        &format!("1 s simulated idle, fast-forward off (from {off_ms} ms)"),
        "s wall",
        &off,
        None,
    );
    res.add("idle", "fast-forward speed-up", "x", &speedup, None);
    res.detail(
        "idle",
        json!({ "cycles_per_second": second, "off_measured_ms": off_ms, "skipped_cycles_with_ff": skipped }),
    );
    Ok(())
}

// ------------------------------------------------------------ memory

/// Read a child's pipe to the end on a thread.
fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut s);
        }
        s
    })
}

/// Run a child process, polling its `VmHWM` (peak resident set) every few
/// milliseconds until it exits; a child still running after `limit` is
/// killed and reported as an error. Returns (peak KiB, wall, stdout).
pub fn child_peak_rss(
    cmd: &mut Command,
    limit: Duration,
) -> Result<(u64, Duration, String), BenchError> {
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BenchError::Child(format!("{cmd:?}: {e}")))?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    // Drain the pipes in threads so a chatty child cannot block.
    let out_t = drain(child.stdout.take());
    let err_t = drain(child.stderr.take());
    let status = loop {
        if let Ok(s) = fs::read_to_string(&status_path) {
            if let Some(kib) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if t.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BenchError::Child(format!(
                    "{cmd:?} still running after {} s, killed (peak RSS so far {:.1} MiB)",
                    limit.as_secs(),
                    peak as f64 / 1024.0
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(BenchError::Child(e.to_string())),
        }
    };
    let wall = t.elapsed();
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    if !status.success() {
        return Err(BenchError::Child(format!(
            "{cmd:?} exited with {status}: {}",
            stderr.trim()
        )));
    }
    if peak == 0 {
        return Err(BenchError::Child(format!(
            "{cmd:?}: no VmHWM read from {status_path}"
        )));
    }
    Ok((peak, wall, stdout))
}

/// Packet-buffer allocations of one tcp-bulk run on a fresh thread (the
/// pool is per thread): (fresh allocations, reuses, frames on the wire).
/// What one steady-state allocation run counted.
struct PoolRun {
    /// Packet buffers newly allocated / taken from the pool.
    allocated: u64,
    reused: u64,
    /// Heap allocations (and reallocations) of the whole process, from the
    /// instrumented global allocator.
    heap_allocs: u64,
    heap_bytes: u64,
    frames: u64,
}

fn pool_run(bytes: u64) -> Result<PoolRun, BenchError> {
    std::thread::spawn(move || {
        let cfg = bulk_config(bytes);
        let before = stack::buf::pool_stats();
        let heap = stats_alloc::Region::new(crate::ALLOCATOR);
        let rep = run_scenario(ScenarioKind::TcpBulk, &cfg)?;
        let h = heap.change();
        let after = stack::buf::pool_stats();
        let frames: u64 = rep.links.iter().map(|l| l.frames[0] + l.frames[1]).sum();
        Ok(PoolRun {
            allocated: after.allocated - before.allocated,
            reused: after.reused - before.reused,
            heap_allocs: (h.allocations + h.reallocations) as u64,
            heap_bytes: h.bytes_allocated as u64,
            frames,
        })
    })
    .join()
    .map_err(|_| BenchError::Scenario("pool run panicked".into()))?
}

pub fn bench_memory(
    res: &mut Results,
    out: &Path,
    exe: &Path,
    tcp_bytes: u64,
    vcd_bytes: u64,
    small: u64,
) -> Result<(), BenchError> {
    // Peak RSS of a whole tcp-bulk run in a child.
    let tcp = child_peak_rss(
        Command::new(exe)
            .args([
                "run",
                "tcp-bulk",
                "--quiet",
                "--time-limit-ms",
                "60000",
                "--bytes",
            ])
            .arg(tcp_bytes.to_string()),
        CHILD_LIMIT,
    );
    // A child that cannot finish in time is a gap to state, not a reason
    // to drop the other memory figures.
    let wall = match tcp {
        Ok((kib, wall, _)) => {
            res.add(
                "memory",
                &format!("peak RSS, nicsim run tcp-bulk --bytes {tcp_bytes}"),
                "MiB",
                &[kib as f64 / 1024.0],
                None,
            );
            Some(wall.as_secs_f64())
        }
        Err(e) => {
            res.notes.push(format!(
                "memory: tcp-bulk --bytes {tcp_bytes}: NOT MEASURED: {e}"
            ));
            None
        }
    };
    // Allocations per frame in steady state: the difference between a
    // transfer and one twice as long, so setup and warm-up cancel out.
    let p1 = pool_run(small)?;
    let p2 = pool_run(2 * small)?;
    let df = p2.frames.saturating_sub(p1.frames).max(1) as f64;
    let per_frame = |a: u64, b: u64| (b as f64 - a as f64) / df;
    res.add(
        "memory",
        "packet-buffer allocations per frame, steady state",
        "allocs",
        &[per_frame(p1.allocated, p2.allocated)],
        None,
    );
    res.add(
        "memory",
        "packet-buffer pool reuses per frame, steady state",
        "reuses",
        &[per_frame(p1.reused, p2.reused)],
        None,
    );
    res.add(
        "memory",
        "heap allocations per frame, steady state (whole process)",
        "allocs",
        &[per_frame(p1.heap_allocs, p2.heap_allocs)],
        None,
    );
    res.add(
        "memory",
        "heap bytes allocated per frame, steady state",
        "bytes",
        &[per_frame(p1.heap_bytes, p2.heap_bytes)],
        None,
    );
    // A dump larger than vcd_bytes, checked by a child.
    let path = out.join("large.vcd");
    let stats = {
        let f = fs::File::create(&path).map_err(|e| io_err(&path.display().to_string(), e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let st = vcdtool::synth::write_large_dump(&mut w, vcd_bytes, 12)
            .map_err(|e| io_err(&path.display().to_string(), e))?;
        w.flush()
            .map_err(|e| io_err(&path.display().to_string(), e))?;
        st
    };
    let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let r = child_peak_rss(
        Command::new(exe).arg("vcd").arg("check").arg(&path),
        CHILD_LIMIT,
    );
    let _ = fs::remove_file(&path);
    let (vkib, vwall, _) = r?;
    res.add(
        "memory",
        &format!(
            "peak RSS, nicsim vcd check ({:.2} GB dump)",
            size as f64 / 1e9
        ),
        "MiB",
        &[vkib as f64 / 1024.0],
        None,
    );
    res.add(
        "memory",
        "vcd check throughput",
        "MB/s",
        &[size as f64 / 1e6 / vwall.as_secs_f64().max(1e-9)],
        None,
    );
    res.detail(
        "memory",
        json!({
            "tcp_bytes": tcp_bytes,
            "tcp_wall_s": wall,
            "pool": {
                "small_bytes": small,
                "allocated": [p1.allocated, p2.allocated],
                "reused": [p1.reused, p2.reused],
                "heap_allocs": [p1.heap_allocs, p2.heap_allocs],
                "heap_bytes": [p1.heap_bytes, p2.heap_bytes],
                "frames": [p1.frames, p2.frames],
            },
            "vcd_bytes": size,
            "vcd_frames": stats.frames,
            "vcd_cycles": stats.cycles,
            "vcd_check_wall_s": vwall.as_secs_f64(),
        }),
    );
    Ok(())
}

// ------------------------------------------------------------ build

fn cargo_build_sim(
    root: &Path,
    target: &Path,
    cxx: &str,
    ccache: bool,
) -> Result<Duration, BenchError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "-p", "sim", "--quiet"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .env("CXX", cxx)
        .stdin(Stdio::null());
    if ccache {
        cmd.env_remove("CCACHE_DISABLE");
    } else {
        cmd.env("CCACHE_DISABLE", "1");
    }
    let t = Instant::now();
    let o = cmd
        .output()
        .map_err(|e| BenchError::Child(format!("cargo: {e}")))?;
    if !o.status.success() {
        return Err(BenchError::Child(format!(
            "cargo build -p sim: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    Ok(t.elapsed())
}

/// Model build time: the `sim` build script (Verilator, then the C++
/// compile) rerun by switching `CXX` between two spellings of the same
/// compiler, in a private target directory whose dependencies are built
/// once first; alternately with ccache disabled and warm.
pub fn bench_build(
    res: &mut Results,
    root: &Path,
    out: &Path,
    runs: usize,
) -> Result<(), BenchError> {
    let target = out.join("build-target");
    let cxx = ["c++", "/usr/bin/c++"];
    // Warm-up: dependencies, and the ccache entries of this model. Each
    // later build uses the other spelling of CXX than the one before it,
    // so every build reruns the build script.
    let warm = cargo_build_sim(root, &target, cxx[0], true)?;
    let mut k = 1;
    let mut cold = Vec::new();
    let mut cached = Vec::new();
    for _ in 0..runs {
        cold.push(cargo_build_sim(root, &target, cxx[k % 2], false)?.as_secs_f64());
        k += 1;
        cached.push(cargo_build_sim(root, &target, cxx[k % 2], true)?.as_secs_f64());
        k += 1;
    }
    let _ = fs::remove_dir_all(&target);
    res.add(
        "build",
        "model build (verilate + C++), ccache disabled",
        "s",
        &cold,
        None,
    );
    res.add(
        "build",
        "model build (verilate + C++), ccache warm",
        "s",
        &cached,
        None,
    );
    let ccache = Path::new("/usr/bin/ccache").is_file();
    res.detail(
        "build",
        json!({ "first_build_with_deps_s": warm.as_secs_f64(), "ccache_installed": ccache, "profile": "release" }),
    );
    Ok(())
}

// ------------------------------------------------------------ driver

/// The machine the figures come from.
pub fn machine() -> Value {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    json!({ "nproc": nproc, "cpu": model, "mem_gib": mem_kib as f64 / 1024.0 / 1024.0 })
}

fn repo_root() -> PathBuf {
    // The bench runs from the repository root (cargo xtask bench does so);
    // otherwise fall back to where this crate was built.
    let cwd = std::env::current_dir().unwrap_or_default();
    if cwd.join("tests/cocotb/bench").is_dir() {
        cwd
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }
}

/// Run the benchmark as asked; prints the table and writes `bench.json`.
pub fn run(args: &BenchArgs) -> Result<Results, BenchError> {
    let sections: Vec<String> = if args.sections.is_empty() {
        SECTIONS
            .iter()
            .filter(|s| !(args.quick && **s == "build"))
            .map(|s| s.to_string())
            .collect()
    } else {
        args.sections.clone()
    };
    if let Some(bad) = sections.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
        return Err(BenchError::Usage(format!(
            "unknown section `{bad}` (known: {})",
            SECTIONS.join(",")
        )));
    }
    let runs = args.runs.unwrap_or(if args.quick { 3 } else { 5 }).max(1);
    let q = args.quick;
    fs::create_dir_all(&args.out).map_err(|e| io_err(&args.out.display().to_string(), e))?;
    let root = repo_root();
    let exe = std::env::current_exe().map_err(|e| io_err("current_exe", e))?;
    let mut res = Results::default();
    let started = Instant::now();
    let meta = json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "quick": q,
        "runs": runs,
        "sections": sections,
        "machine": machine(),
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
    });
    println!(
        "{:<9} {:<52} {:>10} {:<11} [min .. max] ±half-spread runs target verdict",
        "section", "figure", "median", "unit"
    );
    for s in &sections {
        let t = Instant::now();
        let r = match s.as_str() {
            "bare" => {
                let cycles = args
                    .bare_cycles
                    .unwrap_or(if q { 1_000_000 } else { 3_000_000 });
                bench_bare(&mut res, &args.out, runs, cycles)
            }
            "cosim" => bench_cosim(&mut res, runs, if q { 256 << 10 } else { 512 << 10 }),
            "cocotb" if args.no_cocotb => {
                res.notes.push("cocotb: skipped (--no-cocotb)".into());
                Ok(())
            }
            "cocotb" => bench_cocotb(&mut res, &root, &args.out, runs, if q { 20 } else { 60 }),
            "linerate" => {
                bench_linerate(&mut res, &args.out, if q { 256 << 10 } else { 512 << 10 })
            }
            "idle" => bench_idle(&mut res, if q { 1 } else { 3 }, if q { 10 } else { 50 }),
            "memory" => bench_memory(
                &mut res,
                &args.out,
                &exe,
                args.rss_bytes
                    .unwrap_or(if q { 512 << 10 } else { 100 << 20 }),
                if q { 64 << 20 } else { 1_050_000_000 },
                // Long enough that the TX ring has filled (TCP's window
                // outgrows it within the first few hundred KiB): from
                // there on nothing but steady traffic is counted.
                if q { 512 << 10 } else { 1 << 20 },
            ),
            "build" => bench_build(&mut res, &root, &args.out, if q { 1 } else { 2 }),
            _ => Ok(()),
        };
        let secs = t.elapsed().as_secs_f64();
        res.details
            .entry("section_wall_s")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.insert(s.clone(), json!(secs)));
        if let Err(e) = r {
            // One section failing does not hide the others' figures.
            eprintln!("nicsim bench: {s}: {e}");
            res.notes.push(format!("{s}: FAILED: {e}"));
        }
    }
    let mut meta = meta;
    if let Some(m) = meta.as_object_mut() {
        m.insert(
            "total_wall_s".into(),
            json!(started.elapsed().as_secs_f64()),
        );
    }
    let path = args.out.join("bench.json");
    let text = serde_json::to_string_pretty(&res.to_json(meta)).map_err(|e| io_err("json", e))?;
    fs::write(&path, text + "\n").map_err(|e| io_err(&path.display().to_string(), e))?;
    for n in &res.notes {
        println!("note: {n}");
    }
    println!("wrote {}", path.display());
    Ok(res)
}

/// `nicsim bench` entry: a failed section or a missed target is reported,
/// and only a section that could not run makes the command fail.
pub fn run_cli(args: &BenchArgs) -> Result<(), String> {
    let res = run(args).map_err(|e| e.to_string())?;
    let failed: Vec<&String> = res.notes.iter().filter(|n| n.contains("FAILED")).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} section(s) failed", failed.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_median_and_spread() {
        let s = Stat::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.0);
        assert_eq!((s.min, s.max), (1.0, 3.0));
        assert_eq!(s.spread_pct, 100.0);
        let e = Stat::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(e.median, 2.5);
        assert!(Stat::of(&[]).is_none());
    }

    #[test]
    fn rx_symbols_are_framed() {
        let s = rx_symbols(12);
        assert_eq!(s.len() % 2, 0);
        let pairs: Vec<(u8, u8)> = s.chunks_exact(2).map(|c| (c[0], c[1])).collect();
        // Six frames: six runs of RX_DV, each starting with 7 x 0x55, 0xD5,
        // each with a good FCS, separated by exactly 12 idle clocks.
        let mut frames = Vec::new();
        let mut cur: Vec<u8> = Vec::new();
        let mut idle = 0;
        for (d, f) in pairs {
            if f & 1 == 1 {
                if cur.is_empty() && !frames.is_empty() {
                    assert_eq!(idle, 12);
                }
                idle = 0;
                cur.push(d);
            } else {
                if !cur.is_empty() {
                    frames.push(std::mem::take(&mut cur));
                }
                idle += 1;
            }
        }
        assert_eq!(frames.len(), 6);
        for f in &frames {
            assert_eq!(&f[..8], &[0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0xd5]);
            assert!(sim::gmii::fcs_ok(&f[8..]));
        }
        assert_eq!(frames[1].len(), 8 + 1518);
    }
}
