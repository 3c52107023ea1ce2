//! `nicsim vcd ...`: the subcommands, ready to embed in the main parser
//! (`Vcd(nicsim::vcdtool::VcdArgs)`, then `run_vcd_cli(&args)`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{
    Burst, Dir, Event, FramePcapWriter, Options, Port, RegAccess, Selection, Summary, VcdError,
    fmt_ps, open,
};
use super::{Frame, FrameRules};

/// Inspect VCD waveform dumps of the NIC.
#[derive(Debug, Clone, clap::Args)]
pub struct VcdArgs {
    #[command(subcommand)]
    pub command: VcdCommand,
}

/// Where the NIC's signals are.
#[derive(Debug, Clone, clap::Args)]
pub struct SelectArgs {
    /// Scope (full path or path segments, e.g. `nic0`) holding the NIC's ports
    #[arg(long)]
    pub scope: Option<String>,
    /// Clock signal name (sampled on its rising edge)
    #[arg(long, default_value = "clk")]
    pub clock: String,
    /// Active-high synchronous reset name (optional in the dump)
    #[arg(long, default_value = "rst")]
    pub reset: String,
    /// Prefix of the GMII signals
    #[arg(long, default_value = "gmii_")]
    pub gmii_prefix: String,
    /// Prefix of the AXI4-Lite register slave signals
    #[arg(long, default_value = "s_axil_")]
    pub axil_prefix: String,
    /// Prefix of the AXI4 DMA master signals
    #[arg(long, default_value = "m_axi_")]
    pub axi_prefix: String,
}

impl SelectArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            scope: self.scope.clone(),
            clock: self.clock.clone(),
            reset: self.reset.clone(),
            gmii_prefix: self.gmii_prefix.clone(),
            axil_prefix: self.axil_prefix.clone(),
            axi_prefix: self.axi_prefix.clone(),
        }
    }
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum VcdCommand {
    /// List the scopes and signals (with widths) of a dump
    Signals { file: PathBuf },
    /// Decode the GMII frames: cycle, preamble, SFD, length, FCS, gap
    Frames {
        file: PathBuf,
        /// Only this direction (default: both)
        #[arg(long, value_enum)]
        port: Option<Port>,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Decode AXI4-Lite register accesses and AXI4 DMA bursts
    Axi {
        file: PathBuf,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Write the GMII frames (with FCS) to a pcap file
    ToPcap {
        file: PathBuf,
        out: PathBuf,
        /// Only this direction (default: both)
        #[arg(long, value_enum)]
        port: Option<Port>,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Check framing and AXI rules; exit status 1 on any violation
    Check {
        file: PathBuf,
        /// Minimum inter-frame gap in byte times
        #[arg(long, default_value_t = 12)]
        min_ipg: u64,
        /// Minimum frame length including FCS
        #[arg(long, default_value_t = 64)]
        min_len: usize,
        /// Maximum frame length including FCS (not checked by default)
        #[arg(long)]
        max_len: Option<usize>,
        /// Only this GMII direction (default: both)
        #[arg(long, value_enum)]
        port: Option<Port>,
        /// Skip the GMII checks
        #[arg(long)]
        no_gmii: bool,
        /// Skip the AXI checks
        #[arg(long)]
        no_axi: bool,
        #[command(flatten)]
        select: SelectArgs,
    },
}

fn ports(port: Option<Port>) -> Vec<Port> {
    port.map_or_else(|| vec![Port::Tx, Port::Rx], |p| vec![p])
}

/// Frames only: of one port (which must then be present) or of both.
fn frame_options(select: &SelectArgs, port: Option<Port>) -> Options {
    Options {
        selection: select.selection(),
        ports: ports(port),
        axil: false,
        axi: false,
        require_all: port.is_some(),
        ..Options::default()
    }
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Column header matching [`frame_line`].
pub const FRAME_HEADER: &str = "port  frame      cycle            time  pre  sfd    len  fcs    gap  er  x  dst                src                type";

/// One frame as a line of `vcd frames`.
pub fn frame_line(f: &Frame) -> String {
    let gap = f.gap_before.map_or("-".to_string(), |g| g.to_string());
    let d = f.without_fcs();
    let eth = if d.len() >= 14 {
        format!(
            "{}  {}  0x{:02x}{:02x}",
            mac(&d[0..6]),
            mac(&d[6..12]),
            d[12],
            d[13]
        )
    } else {
        "-".to_string()
    };
    let cut = if f.cut { "  (cut by the dump)" } else { "" };
    format!(
        "{:<4}  {:>5}  {:>9}  {:>14}  {:>3}  {:<3}  {:>5}  {:<4}  {:>5}  {:>2}  {}  {}{cut}",
        f.port,
        f.index,
        f.start_cycle,
        fmt_ps(f.start_ps),
        f.preamble_len,
        if f.sfd { "yes" } else { "no" },
        f.len,
        if f.fcs_ok { "good" } else { "BAD" },
        gap,
        f.error_cycles,
        f.unknown_bytes,
        eth
    )
}

fn dir(d: Dir) -> &'static str {
    match d {
        Dir::Read => "R",
        Dir::Write => "W",
    }
}

/// One register access as a line of `vcd axi`.
pub fn reg_line(a: &RegAccess) -> String {
    format!(
        "REG  {}  cycle {:>9}  addr 0x{:05x}  data 0x{:08x}  strb {:x}  {:<6}  lat {:>4}",
        dir(a.dir),
        a.start_cycle,
        a.addr,
        a.data,
        a.strb,
        a.resp.to_string(),
        a.latency()
    )
}

/// One DMA burst as a line of `vcd axi`.
pub fn burst_line(b: &Burst) -> String {
    format!(
        "DMA  {}  cycle {:>9}  id {:>2}  addr 0x{:016x}  len {:>3}  size {:>3}  {:<5}  beats {:>3}  {:<6}  lat {:>4}  first {:>4}",
        dir(b.dir),
        b.start_cycle,
        b.id,
        b.addr,
        b.len,
        b.size_bytes,
        b.kind.to_string(),
        b.beats,
        b.resp.to_string(),
        b.latency(),
        b.first_data_cycle.saturating_sub(b.start_cycle)
    )
}

fn groups_line(s: &Summary) -> String {
    let g: Vec<String> = s
        .groups
        .iter()
        .map(|(what, scope)| format!("{what} in {scope}"))
        .collect();
    format!("decoded: {}", g.join(", "))
}

fn trailer(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
    for (port, start) in &s.open_frames {
        writeln!(
            out,
            "note: {port} frame starting at cycle {start} still in progress at the end of the dump"
        )?;
    }
    if s.pre_dump > 0 {
        writeln!(
            out,
            "note: the dump starts mid-run (no reset): {} responses or W beats of earlier transactions not checked",
            s.pre_dump
        )?;
    }
    if s.outstanding_reg > 0 || s.outstanding_dma > 0 {
        writeln!(
            out,
            "note: at the end of the dump {} register accesses and {} DMA bursts await their response",
            s.outstanding_reg, s.outstanding_dma
        )?;
    }
    Ok(())
}

/// Runs one subcommand, writing the human-readable report to `out`; returns
/// the number of violations `check` found (0 for the other commands).
pub fn run_vcd(args: &VcdArgs, out: &mut dyn Write) -> Result<u64, VcdError> {
    match &args.command {
        VcdCommand::Signals { file } => {
            let list = super::read_signals(open(file)?)?;
            writeln!(out, "timescale {}", list.timescale)?;
            for scope in &list.scopes {
                writeln!(out, "{scope}")?;
                for s in list.signals.iter().filter(|s| &s.scope == scope) {
                    writeln!(
                        out,
                        "  {:<32} {:>4}  {:<10} {}",
                        s.name,
                        s.width,
                        s.var_type,
                        s.range.as_deref().unwrap_or("")
                    )?;
                }
            }
            let top: Vec<_> = list.signals.iter().filter(|s| s.scope.is_empty()).collect();
            if !top.is_empty() {
                writeln!(out, "(no scope)")?;
                for s in top {
                    writeln!(out, "  {:<32} {:>4}", s.name, s.width)?;
                }
            }
            writeln!(
                out,
                "{} scopes, {} signals",
                list.scopes.len(),
                list.signals.len()
            )?;
            Ok(0)
        }
        VcdCommand::Frames { file, port, select } => {
            let opts = frame_options(select, *port);
            let mut header = false;
            let s = super::analyze(open(file)?, &opts, |e| {
                if let Event::Frame(f) = e {
                    if !header {
                        writeln!(out, "{FRAME_HEADER}")?;
                        header = true;
                    }
                    writeln!(out, "{}", frame_line(&f))?;
                }
                Ok(())
            })?;
            writeln!(out, "{}", groups_line(&s))?;
            for (p, n) in &s.frames {
                writeln!(out, "{p}: {n} frames")?;
            }
            trailer(out, &s)?;
            Ok(0)
        }
        VcdCommand::Axi { file, select } => {
            let opts = Options {
                selection: select.selection(),
                ports: Vec::new(),
                ..Options::default()
            };
            let s = super::analyze(open(file)?, &opts, |e| {
                match e {
                    Event::Reg(a) => writeln!(out, "{}", reg_line(&a))?,
                    Event::Burst(b) => writeln!(out, "{}", burst_line(&b))?,
                    _ => {}
                }
                Ok(())
            })?;
            writeln!(out, "{}", groups_line(&s))?;
            writeln!(
                out,
                "{} register accesses, {} DMA bursts",
                s.reg_accesses, s.bursts
            )?;
            trailer(out, &s)?;
            Ok(0)
        }
        VcdCommand::ToPcap {
            file,
            out: path,
            port,
            select,
        } => {
            let opts = frame_options(select, *port);
            let mut w = FramePcapWriter::new(BufWriter::new(File::create(path)?))?;
            let s = super::analyze(open(file)?, &opts, |e| match e {
                Event::Frame(f) => w.write(&f),
                _ => Ok(()),
            })?;
            let (written, skipped) = (w.written(), w.skipped());
            w.into_inner().flush()?;
            writeln!(out, "{}", groups_line(&s))?;
            writeln!(
                out,
                "wrote {written} frames to {}{}",
                path.display(),
                if skipped > 0 {
                    format!(" ({skipped} without SFD or cut by the dump skipped)")
                } else {
                    String::new()
                }
            )?;
            trailer(out, &s)?;
            Ok(0)
        }
        VcdCommand::Check {
            file,
            min_ipg,
            min_len,
            max_len,
            port,
            no_gmii,
            no_axi,
            select,
        } => {
            let opts = Options {
                selection: select.selection(),
                ports: if *no_gmii { Vec::new() } else { ports(*port) },
                axil: !no_axi,
                axi: !no_axi,
                require_all: false,
                rules: FrameRules {
                    min_ipg: *min_ipg,
                    min_len: *min_len,
                    max_len: *max_len,
                    ..FrameRules::default()
                },
            };
            let s = super::analyze(open(file)?, &opts, |e| {
                if let Event::Violation(v) = e {
                    writeln!(out, "VIOLATION {v}")?;
                }
                Ok(())
            })?;
            writeln!(out, "{}", groups_line(&s))?;
            let frames: Vec<String> = s
                .frames
                .iter()
                .map(|(p, n)| format!("{n} {p} frames"))
                .collect();
            let skipped = if s.skipped_cycles > 0 {
                format!(" ({} skipped by the simulator)", s.skipped_cycles)
            } else {
                String::new()
            };
            writeln!(
                out,
                "checked {} cycles{skipped}: {}{} register accesses, {} DMA bursts",
                s.cycles,
                frames.iter().map(|f| format!("{f}, ")).collect::<String>(),
                s.reg_accesses,
                s.bursts
            )?;
            trailer(out, &s)?;
            if s.violations == 0 {
                writeln!(out, "PASS")?;
            } else {
                writeln!(out, "FAIL: {} violations", s.violations)?;
            }
            Ok(s.violations)
        }
    }
}

/// Runs a subcommand on stdout; exit status 0 when clean, 1 when `check`
/// found violations, 2 on errors (printed to stderr).
pub fn run_vcd_cli(args: &VcdArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let r = run_vcd(args, &mut out);
    let flushed = out.flush();
    match (r, flushed) {
        (Ok(0), Ok(())) => ExitCode::SUCCESS,
        (Ok(_), Ok(())) => ExitCode::from(1),
        (Err(e), _) => {
            eprintln!("nicsim vcd: {e}");
            ExitCode::from(2)
        }
        (Ok(_), Err(e)) => {
            eprintln!("nicsim vcd: {e}");
            ExitCode::from(2)
        }
    }
}
