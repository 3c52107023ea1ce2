//! VCD waveform inspection: decode GMII frames, AXI4-Lite register accesses
//! and AXI4 DMA bursts from a dump, write the frames as a pcap, and check
//! the framing and bus rules.
//!
//! Everything streams through the `vcd` crate: memory holds the header, the
//! current value of the few signals tracked, the frame being received and
//! the outstanding bus transactions, never the dump. Signals are found by
//! name (`gmii_txd`, `s_axil_awaddr`, `m_axi_awlen`, ... next to a `clk`),
//! in whichever scope holds them; `Selection::scope` picks an instance when
//! there are several. Sampling happens on the rising edge of that `clk`,
//! with the values of just before the edge (see `sampler`).
//!
//! ```text
//!  reader ──► vcd::Parser ──► Sampler (per-edge snapshots) ──► GmiiMonitor tx/rx ──► Frame, Violation
//!                                                         ├──► AxilMonitor     ──► RegAccess, Violation
//!                                                         └──► AxiMonitor      ──► Burst, Violation
//! ```

mod axi;
mod cli;
mod gmii;
mod pcapout;
mod sampler;
mod signals;
pub mod synth;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

pub use axi::{Burst, BurstKind, Dir, RegAccess, Resp};
pub use cli::{SelectArgs, VcdArgs, VcdCommand, run_vcd, run_vcd_cli};
pub use gmii::{Frame, FrameRules, MAX_STORED_BYTES, ParsePortError, Port, append_fcs};
pub use pcapout::{FramePcapWriter, write_pcap};
pub use signals::{SignalInfo, SignalList, read_signals};

use axi::{AxiMonitor, AxiSigs, AxilMonitor, AxilSigs, Ctx, Sig};
use gmii::{GmiiEvent, GmiiMonitor, GmiiNames, GmiiSlots};
use sampler::{Sampler, Slot, Store};
use signals::Resolved;

/// Which rule a [`Violation`] breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Inter-frame gap below the minimum.
    Ipg,
    /// Preamble not exactly the required length.
    Preamble,
    /// No start-of-frame delimiter.
    Sfd,
    /// Frame shorter than the minimum.
    Runt,
    /// Frame longer than the maximum asked for.
    Oversize,
    /// Bad frame check sequence.
    Fcs,
    /// TX_ER / RX_ER during a frame.
    GmiiError,
    /// x or z where a known level is required.
    Unknown,
    /// VALID dropped before READY.
    ValidDropped,
    /// Payload changed while VALID waited for READY.
    PayloadChanged,
    /// Response before its request completed.
    EarlyResponse,
    /// Response or read data nobody asked for.
    UnexpectedResponse,
    /// WLAST / RLAST missing on the last beat.
    LastMissing,
    /// Data beats differ from AxLEN + 1.
    BeatCount,
    /// INCR burst crossing a 4 KiB boundary.
    Cross4K,
    /// Invalid WRAP burst or reserved burst type.
    BadWrap,
    /// FIXED burst longer than 16 beats.
    BadFixed,
    /// Beat size larger than the data bus.
    BurstSize,
}

impl Rule {
    /// Short stable tag used in the CLI output.
    pub fn tag(self) -> &'static str {
        match self {
            Rule::Ipg => "ipg",
            Rule::Preamble => "preamble",
            Rule::Sfd => "sfd",
            Rule::Runt => "runt",
            Rule::Oversize => "oversize",
            Rule::Fcs => "fcs",
            Rule::GmiiError => "gmii-er",
            Rule::Unknown => "x",
            Rule::ValidDropped => "valid-dropped",
            Rule::PayloadChanged => "payload-changed",
            Rule::EarlyResponse => "early-response",
            Rule::UnexpectedResponse => "unexpected-response",
            Rule::LastMissing => "last-missing",
            Rule::BeatCount => "beat-count",
            Rule::Cross4K => "4k-cross",
            Rule::BadWrap => "bad-burst",
            Rule::BadFixed => "bad-fixed",
            Rule::BurstSize => "burst-size",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// One broken rule, with where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Rising edge of the group's clock (counted from 0).
    pub cycle: u64,
    /// Dump time of that edge in picoseconds.
    pub time_ps: u64,
    /// Full hierarchical name of the signal at fault.
    pub signal: String,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cycle {} ({}) {} [{}]: {}",
            self.cycle,
            fmt_ps(self.time_ps),
            self.signal,
            self.rule,
            self.message
        )
    }
}

/// `123.456 ns`.
pub fn fmt_ps(ps: u64) -> String {
    format!("{}.{:03} ns", ps / 1000, ps % 1000)
}

/// Errors of reading and decoding a dump.
#[derive(Debug)]
pub enum VcdError {
    Io(io::Error),
    /// The dump is not valid VCD.
    Parse {
        line: Option<u64>,
        message: String,
    },
    /// None of the signals asked for are in the dump.
    NoSignals(String),
    /// Several instances hold the signals; `--scope` must choose.
    Ambiguous {
        what: String,
        candidates: Vec<String>,
    },
    /// Writing the capture failed.
    Pcap(String),
}

impl VcdError {
    pub(crate) fn from_parse(e: io::Error) -> VcdError {
        if e.kind() == io::ErrorKind::InvalidData {
            let line = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<vcd::ParseError>())
                .map(|p| p.line());
            VcdError::Parse {
                line,
                message: e.to_string(),
            }
        } else if e.kind() == io::ErrorKind::UnexpectedEof {
            VcdError::Parse {
                line: None,
                message: e.to_string(),
            }
        } else {
            VcdError::Io(e)
        }
    }
}

impl fmt::Display for VcdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VcdError::Io(e) => write!(f, "i/o error: {e}"),
            VcdError::Parse {
                line: Some(l),
                message,
            } => write!(f, "not a valid VCD (line {l}): {message}"),
            VcdError::Parse {
                line: None,
                message,
            } => write!(f, "not a valid VCD: {message}"),
            VcdError::NoSignals(what) => write!(f, "signals not found: {what}"),
            VcdError::Ambiguous { what, candidates } => write!(
                f,
                "{what} found in several scopes ({}); choose one with --scope",
                candidates.join(", ")
            ),
            VcdError::Pcap(e) => write!(f, "pcap: {e}"),
        }
    }
}

impl std::error::Error for VcdError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VcdError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for VcdError {
    fn from(e: io::Error) -> Self {
        VcdError::Io(e)
    }
}

/// Where to find the NIC's signals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Scope path, or one or more trailing/inner path segments of it
    /// (`nic0`, `world.nic1`), to choose among several instances.
    pub scope: Option<String>,
    /// Clock sampled for every group (in the group's scope).
    pub clock: String,
    /// Synchronous active-high reset (optional in the dump).
    pub reset: String,
    pub gmii_prefix: String,
    pub axil_prefix: String,
    pub axi_prefix: String,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            scope: None,
            clock: "clk".to_string(),
            reset: "rst".to_string(),
            gmii_prefix: "gmii_".to_string(),
            axil_prefix: "s_axil_".to_string(),
            axi_prefix: "m_axi_".to_string(),
        }
    }
}

/// What to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub selection: Selection,
    /// GMII ports to decode (empty: none).
    pub ports: Vec<Port>,
    /// Decode the AXI4-Lite register slave.
    pub axil: bool,
    /// Decode the AXI4 DMA master.
    pub axi: bool,
    /// A group asked for but absent is an error (otherwise it is skipped,
    /// as long as at least one group is found).
    pub require_all: bool,
    pub rules: FrameRules,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            selection: Selection::default(),
            ports: vec![Port::Tx, Port::Rx],
            axil: true,
            axi: true,
            require_all: false,
            rules: FrameRules::default(),
        }
    }
}

/// Something decoded, in the order the dump reveals it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Frame(Frame),
    Reg(RegAccess),
    Burst(Burst),
    Violation(Violation),
}

/// What a pass over a dump saw besides its events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `(group, scope)` for every group decoded, e.g. `("gmii tx", "TOP.nic_top")`.
    pub groups: Vec<(String, String)>,
    /// Clock cycles (the most of any clock used).
    pub cycles: u64,
    /// Of those, cycles the simulator skipped without dumping them
    /// (fast-forward): counted from the dump's time, never sampled.
    pub skipped_cycles: u64,
    /// Frames per port, tx then rx.
    pub frames: Vec<(Port, u64)>,
    pub reg_accesses: u64,
    pub bursts: u64,
    pub violations: u64,
    /// Frames still in progress when the dump ended: `(port, start cycle)`.
    pub open_frames: Vec<(Port, u64)>,
    /// Register accesses and DMA bursts without their response at the end.
    pub outstanding_reg: usize,
    pub outstanding_dma: usize,
    /// Responses (and W beats) of transactions begun before the dump
    /// started: a dump without a reset may open mid-run.
    pub pre_dump: u64,
}

struct GmiiGroup {
    mon: GmiiMonitor,
    clock: usize,
}

struct BusGroup<M> {
    mon: M,
    clock: usize,
    rst: Option<Slot>,
    reset_seen: bool,
}

impl<M> BusGroup<M> {
    /// Reset state at this edge: (in reset, x/z checks armed).
    fn reset_state(&mut self, store: &Store) -> (bool, bool) {
        match self.rst {
            None => (false, false),
            Some(r) => {
                if store.high(r) {
                    self.reset_seen = true;
                }
                let in_reset = store.bit(r) != Some(false);
                (in_reset, self.reset_seen && !in_reset)
            }
        }
    }
}

fn names(prefix: &str, n: &[&str]) -> Vec<String> {
    n.iter().map(|s| format!("{prefix}{s}")).collect()
}

/// Resolves a group: `required` and `optional` signal names (with prefix),
/// plus the clock (required) and reset (optional) of the selection.
fn find(
    list: &SignalList,
    sel: &Selection,
    what: &str,
    required: Vec<String>,
    mut optional: Vec<String>,
) -> Result<Option<Resolved>, VcdError> {
    let mut req = vec![sel.clock.clone()];
    req.extend(required);
    optional.push(sel.reset.clone());
    signals::resolve(list, what, &req, &optional, sel.scope.as_deref())
}

/// The signals of a resolved group, picked by name (without the group's
/// prefix) and tracked by the sampler.
struct Picker<'a, R: BufRead> {
    sampler: &'a mut Sampler<R>,
    prefix: &'a str,
    reset: &'a str,
    found: Vec<SignalInfo>,
}

impl<'a, R: BufRead> Picker<'a, R> {
    fn new(sampler: &'a mut Sampler<R>, sel: &'a Selection, prefix: &'a str, r: Resolved) -> Self {
        Picker {
            sampler,
            prefix,
            reset: &sel.reset,
            found: r.signals.into_iter().flatten().collect(),
        }
    }

    fn track(&mut self, full: &str) -> Option<Sig> {
        let info = self.found.iter().find(|s| s.name == full)?;
        Some(Sig {
            slot: self.sampler.track(info),
            name: info.path(),
        })
    }

    fn opt(&mut self, name: &str) -> Option<Sig> {
        self.track(&format!("{}{name}", self.prefix))
    }

    /// A required signal: resolution guarantees it is present.
    fn req(&mut self, name: &str) -> Result<Sig, VcdError> {
        self.opt(name).ok_or_else(|| {
            VcdError::NoSignals(format!("internal: {}{name} not resolved", self.prefix))
        })
    }

    fn reset(&mut self) -> Option<Slot> {
        self.track(self.reset).map(|s| s.slot)
    }

    fn width_bytes(&self, s: &Sig) -> u64 {
        u64::from(self.sampler.width_of(s.slot)).div_ceil(8)
    }
}

/// What resolving the bus groups needs.
struct Setup<'a, R: BufRead> {
    list: &'a SignalList,
    sel: &'a Selection,
    sampler: &'a mut Sampler<R>,
    summary: &'a mut Summary,
    missing: &'a mut Vec<String>,
}

impl<R: BufRead> Setup<'_, R> {
    /// Finds a bus interface (`prefix` + `req`/`opt` names beside the clock)
    /// and builds its monitor from the signals `build` picks by name.
    fn bus<M>(
        &mut self,
        label: &str,
        title: &str,
        prefix: &str,
        req: &[&str],
        opt: &[&str],
        build: impl FnOnce(&mut Picker<'_, R>) -> Result<M, VcdError>,
    ) -> Result<Option<BusGroup<M>>, VcdError> {
        let what = format!("{title} ({prefix}* and {})", self.sel.clock);
        let found = find(
            self.list,
            self.sel,
            &what,
            names(prefix, req),
            names(prefix, opt),
        )?;
        let Some(r) = found else {
            self.missing.push(what);
            return Ok(None);
        };
        self.summary
            .groups
            .push((label.to_string(), r.scope.clone()));
        let Some(clk) = r.signals.first().cloned().flatten() else {
            return Ok(None);
        };
        let clock = self.sampler.clock(&clk);
        let mut p = Picker::new(self.sampler, self.sel, prefix, r);
        let mon = build(&mut p)?;
        let rst = p.reset();
        Ok(Some(BusGroup {
            mon,
            clock,
            rst,
            reset_seen: false,
        }))
    }
}

const AXIL_REQ: &[&str] = &[
    "awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bvalid", "bready",
    "araddr", "arvalid", "arready", "rdata", "rvalid", "rready",
];
const AXIL_OPT: &[&str] = &["bresp", "rresp", "awprot", "arprot"];
const AXI_REQ: &[&str] = &[
    "awaddr", "awlen", "awvalid", "awready", "wdata", "wlast", "wvalid", "wready", "bvalid",
    "bready", "araddr", "arlen", "arvalid", "arready", "rdata", "rlast", "rvalid", "rready",
];
const AXI_OPT: &[&str] = &[
    "awid", "awsize", "awburst", "wstrb", "bid", "bresp", "arid", "arsize", "arburst", "rid",
    "rresp", "awlock", "awcache", "awprot", "arlock", "arcache", "arprot",
];

/// Decodes a dump in one pass, handing every frame, access, burst and
/// violation to `on_event` as soon as it is complete.
pub fn analyze<R: BufRead>(
    reader: R,
    opts: &Options,
    mut on_event: impl FnMut(Event) -> Result<(), VcdError>,
) -> Result<Summary, VcdError> {
    let (parser, header) = signals::open_parser(reader)?;
    let list = SignalList::from_header(&header);
    drop(header);
    let sel = &opts.selection;
    let mut sampler = Sampler::new(parser);
    let mut summary = Summary::default();
    let mut missing = Vec::new();

    let mut gmii = Vec::new();
    for &port in &opts.ports {
        let [d, en, er] = port.names();
        let what = format!(
            "gmii {port} ({}{d}, {}{en} and {})",
            sel.gmii_prefix, sel.gmii_prefix, sel.clock
        );
        let found = find(
            &list,
            sel,
            &what,
            names(&sel.gmii_prefix, &[d, en]),
            names(&sel.gmii_prefix, &[er]),
        )?;
        let Some(r) = found else {
            missing.push(what);
            continue;
        };
        summary
            .groups
            .push((format!("gmii {port}"), r.scope.clone()));
        let Some(clk) = r.signals.first().cloned().flatten() else {
            continue;
        };
        let clock = sampler.clock(&clk);
        let mut p = Picker::new(&mut sampler, sel, &sel.gmii_prefix, r);
        let d = p.req(d)?;
        let en = p.req(en)?;
        let er = p.opt(er);
        let rst = p.reset();
        let gnames = GmiiNames {
            d: d.name.clone(),
            en: en.name.clone(),
            er: er.as_ref().map_or_else(
                || format!("{}{}", sel.gmii_prefix, port.names()[2]),
                |s| s.name.clone(),
            ),
        };
        let slots = GmiiSlots {
            d: d.slot,
            en: en.slot,
            er: er.map(|s| s.slot),
            rst,
        };
        gmii.push(GmiiGroup {
            mon: GmiiMonitor::new(port, slots, gnames, opts.rules),
            clock,
        });
    }

    let mut setup = Setup {
        list: &list,
        sel,
        sampler: &mut sampler,
        summary: &mut summary,
        missing: &mut missing,
    };
    let axil = if opts.axil {
        setup.bus(
            "axi-lite",
            "AXI4-Lite register slave",
            &sel.axil_prefix,
            AXIL_REQ,
            AXIL_OPT,
            |p| {
                Ok(AxilMonitor::new(AxilSigs {
                    awaddr: p.req("awaddr")?,
                    awvalid: p.req("awvalid")?,
                    awready: p.req("awready")?,
                    wdata: p.req("wdata")?,
                    wstrb: p.req("wstrb")?,
                    wvalid: p.req("wvalid")?,
                    wready: p.req("wready")?,
                    bvalid: p.req("bvalid")?,
                    bready: p.req("bready")?,
                    araddr: p.req("araddr")?,
                    arvalid: p.req("arvalid")?,
                    arready: p.req("arready")?,
                    rdata: p.req("rdata")?,
                    rvalid: p.req("rvalid")?,
                    rready: p.req("rready")?,
                    bresp: p.opt("bresp"),
                    rresp: p.opt("rresp"),
                    awprot: p.opt("awprot"),
                    arprot: p.opt("arprot"),
                }))
            },
        )?
    } else {
        None
    };
    let axi = if opts.axi {
        setup.bus(
            "axi4",
            "AXI4 DMA master",
            &sel.axi_prefix,
            AXI_REQ,
            AXI_OPT,
            |p| {
                let wdata = p.req("wdata")?;
                let bus_bytes = p.width_bytes(&wdata);
                Ok(AxiMonitor::new(AxiSigs {
                    awaddr: p.req("awaddr")?,
                    awlen: p.req("awlen")?,
                    awvalid: p.req("awvalid")?,
                    awready: p.req("awready")?,
                    wdata,
                    wlast: p.req("wlast")?,
                    wvalid: p.req("wvalid")?,
                    wready: p.req("wready")?,
                    bvalid: p.req("bvalid")?,
                    bready: p.req("bready")?,
                    araddr: p.req("araddr")?,
                    arlen: p.req("arlen")?,
                    arvalid: p.req("arvalid")?,
                    arready: p.req("arready")?,
                    rdata: p.req("rdata")?,
                    rlast: p.req("rlast")?,
                    rvalid: p.req("rvalid")?,
                    rready: p.req("rready")?,
                    awid: p.opt("awid"),
                    awsize: p.opt("awsize"),
                    awburst: p.opt("awburst"),
                    wstrb: p.opt("wstrb"),
                    bid: p.opt("bid"),
                    bresp: p.opt("bresp"),
                    arid: p.opt("arid"),
                    arsize: p.opt("arsize"),
                    arburst: p.opt("arburst"),
                    rid: p.opt("rid"),
                    rresp: p.opt("rresp"),
                    awlock: p.opt("awlock"),
                    awcache: p.opt("awcache"),
                    awprot: p.opt("awprot"),
                    arlock: p.opt("arlock"),
                    arcache: p.opt("arcache"),
                    arprot: p.opt("arprot"),
                    bus_bytes,
                }))
            },
        )?
    } else {
        None
    };
    let (mut axil, mut axi) = (axil, axi);

    if summary.groups.is_empty() || (opts.require_all && !missing.is_empty()) {
        let scope = sel
            .scope
            .as_ref()
            .map_or(String::new(), |s| format!(" in scope {s:?}"));
        return Err(VcdError::NoSignals(format!(
            "{}{scope}",
            missing.join("; ")
        )));
    }

    let mut events: Vec<Event> = Vec::new();
    let mut violations: Vec<Violation> = Vec::new();
    let mut counts = Counts::default();
    sampler.run(|edge, store| {
        let time_ps = list.time_ps(edge.time);
        for g in gmii.iter_mut().filter(|g| g.clock == edge.clock) {
            g.mon.on_edge(edge.cycle, time_ps, store, &mut |e| {
                events.push(match e {
                    GmiiEvent::Frame(f) => Event::Frame(f),
                    GmiiEvent::Violation(v) => Event::Violation(v),
                })
            });
        }
        if let Some(g) = axil.as_mut().filter(|g| g.clock == edge.clock) {
            let (in_reset, check_unknown) = g.reset_state(store);
            let mut cx = Ctx {
                cycle: edge.cycle,
                time_ps,
                store,
                in_reset,
                check_unknown,
                reset_seen: g.reset_seen,
                violations: &mut violations,
            };
            g.mon.on_edge(&mut cx, &mut |a| events.push(Event::Reg(a)));
        }
        if let Some(g) = axi.as_mut().filter(|g| g.clock == edge.clock) {
            let (in_reset, check_unknown) = g.reset_state(store);
            let mut cx = Ctx {
                cycle: edge.cycle,
                time_ps,
                store,
                in_reset,
                check_unknown,
                reset_seen: g.reset_seen,
                violations: &mut violations,
            };
            g.mon
                .on_edge(&mut cx, &mut |b| events.push(Event::Burst(b)));
        }
        events.extend(violations.drain(..).map(Event::Violation));
        for e in events.drain(..) {
            counts.add(&e);
            on_event(e)?;
        }
        Ok(())
    })?;

    // Frames cut by the end of the dump are reported without rule checks.
    for g in &mut gmii {
        if let Some(start) = g.mon.finish(&mut |e| {
            if let GmiiEvent::Frame(f) = e {
                events.push(Event::Frame(f));
            }
        }) {
            summary.open_frames.push((g.mon.port, start));
        }
    }
    for e in events.drain(..) {
        counts.add(&e);
        on_event(e)?;
    }
    let clocks = gmii
        .iter()
        .map(|g| g.clock)
        .chain(axil.as_ref().map(|g| g.clock))
        .chain(axi.as_ref().map(|g| g.clock));
    let clocks: Vec<usize> = clocks.collect();
    summary.cycles = clocks.iter().map(|&c| sampler.cycles(c)).max().unwrap_or(0);
    summary.skipped_cycles = clocks
        .iter()
        .map(|&c| sampler.skipped(c))
        .max()
        .unwrap_or(0);
    summary.frames = gmii.iter().map(|g| (g.mon.port, g.mon.frames())).collect();
    summary.reg_accesses = counts.reg;
    summary.bursts = counts.bursts;
    summary.violations = counts.violations;
    summary.outstanding_reg = axil.as_ref().map_or(0, |g| g.mon.outstanding());
    summary.outstanding_dma = axi.as_ref().map_or(0, |g| g.mon.outstanding());
    summary.pre_dump =
        axil.as_ref().map_or(0, |g| g.mon.pre_dump) + axi.as_ref().map_or(0, |g| g.mon.pre_dump);
    Ok(summary)
}

#[derive(Default)]
struct Counts {
    reg: u64,
    bursts: u64,
    violations: u64,
}

impl Counts {
    fn add(&mut self, e: &Event) {
        match e {
            Event::Reg(_) => self.reg += 1,
            Event::Burst(_) => self.bursts += 1,
            Event::Violation(_) => self.violations += 1,
            Event::Frame(_) => {}
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, VcdError> {
    Ok(BufReader::with_capacity(1 << 16, File::open(path)?))
}

/// All GMII frames of a dump (one port, or both in the order they end).
pub fn decode_frames(
    path: &Path,
    sel: &Selection,
    port: Option<Port>,
) -> Result<Vec<Frame>, VcdError> {
    let opts = Options {
        selection: sel.clone(),
        ports: port.map_or_else(|| vec![Port::Tx, Port::Rx], |p| vec![p]),
        axil: false,
        axi: false,
        require_all: port.is_some(),
        ..Options::default()
    };
    let mut frames = Vec::new();
    analyze(open(path)?, &opts, |e| {
        if let Event::Frame(f) = e {
            frames.push(f);
        }
        Ok(())
    })?;
    Ok(frames)
}

/// The bus traffic of a dump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AxiTrace {
    pub accesses: Vec<RegAccess>,
    pub bursts: Vec<Burst>,
    pub summary: Summary,
}

/// All register accesses and DMA bursts of a dump.
pub fn decode_axi(path: &Path, sel: &Selection) -> Result<AxiTrace, VcdError> {
    let opts = Options {
        selection: sel.clone(),
        ports: Vec::new(),
        ..Options::default()
    };
    let mut t = AxiTrace::default();
    t.summary = analyze(open(path)?, &opts, |e| {
        match e {
            Event::Reg(a) => t.accesses.push(a),
            Event::Burst(b) => t.bursts.push(b),
            _ => {}
        }
        Ok(())
    })?;
    Ok(t)
}

/// Result of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub violations: Vec<Violation>,
    pub summary: Summary,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Checks every rule on every group found (see [`Options`]); frames and bus
/// transactions are not kept, so memory stays bounded.
pub fn check_reader<R: BufRead>(reader: R, opts: &Options) -> Result<CheckReport, VcdError> {
    let mut violations = Vec::new();
    let summary = analyze(reader, opts, |e| {
        if let Event::Violation(v) = e {
            violations.push(v);
        }
        Ok(())
    })?;
    Ok(CheckReport {
        violations,
        summary,
    })
}

/// [`check_reader`] on a file.
pub fn check(path: &Path, opts: &Options) -> Result<CheckReport, VcdError> {
    check_reader(open(path)?, opts)
}

/// Peak resident set size of this process in KiB (`VmHWM` of
/// `/proc/self/status`), for the memory-bound tests and benchmarks.
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
