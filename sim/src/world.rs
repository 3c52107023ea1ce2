//! The simulated hardware: NICs (Verilated models) with their agents, wires
//! between them, one clock, one deterministic scheduler.
//!
//! Every cycle of the 125 MHz clock (8 ns):
//! 1. the agents drive the inputs (AXI-Lite master, AXI memory slave, GMII
//!    receive side from the wire, markers, `link_up`),
//! 2. `clk` low ([`Model::fall`]: combinational outputs settle on the new
//!    inputs; the build skips this evaluation when no output follows an
//!    input combinationally, as in `nic_top`, whose ports are registered),
//! 3. the agents sample: handshakes with VALID and READY both high happen at
//!    the coming edge; the protocol checkers see all channels; GMII transmit
//!    symbols and `irq` are sampled,
//! 4. `clk` high, evaluate (the rising edge, [`Model::rise`]).
//!
//! Idle fast-forward: when every NIC drives `quiescent` high, no agent has
//! work and no scheduled event is due, time jumps ahead without evaluating
//! (the cycle counter still counts). Nothing a test can observe changes:
//! backpressure draws are a function of the cycle, gap counters are advanced.

use crate::axi_check::{
    AddrBeat, AxiChecker, AxiSnapshot, BBeat, Chan, ProtocolViolation, RBeat, WBeat,
};
use crate::axi_mem::{AxiMemSlave, MemConfig};
use crate::axil::{AxilDone, AxilMaster, AxilOp};
use crate::ffi::{Model, TraceError};
use crate::gmii::{Decoder, Faults, Lane, PhyEndpoint, Sym, WireError, WireFrame};
use crate::hostmem::{HostMemory, Leak, RegionKind, Violation};
use crate::pcap::{Capture, CaptureError};
use crate::tap::{TapEndpoint, TapError, TapStats};
use stack::buf::PacketId;
use stack::time::Instant;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Clock period in nanoseconds (125 MHz).
pub const CLK_NS: u64 = 8;
const PS_PER_CYCLE: u64 = CLK_NS * 1000;
/// Cycles a NIC must have been idle, with unchanged inputs, before time may
/// jump: covers register and synchronizer stages between an input change and
/// the `quiescent` output (for instance `link_up` to ICR.LSC to `irq`).
pub const SETTLE_CYCLES: u32 = 16;

/// World configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldConfig {
    /// Seed of every random choice in the run.
    pub seed: u64,
    /// Skip idle cycles (see the module documentation).
    pub fast_forward: bool,
    /// Extra cycles before each register access starts (bus bridge latency).
    pub reg_latency: u32,
    /// Bound on one register access, in cycles.
    pub reg_timeout: u64,
    /// Cycles `rst` is held after a NIC is added.
    pub reset_cycles: u32,
    /// Evaluate both clock edges through Verilator's `eval()`
    /// ([`Model::set_fast_edges`]`(false)`): the reference for the fast
    /// edges, slower.
    pub full_evals: bool,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 1,
            fast_forward: true,
            reg_latency: 0,
            reg_timeout: 10_000,
            reset_cycles: 16,
            full_evals: false,
        }
    }
}

/// Why a run failed.
#[derive(Debug)]
pub enum SimError {
    Protocol {
        nic: usize,
        v: ProtocolViolation,
    },
    Dma {
        nic: usize,
        v: Violation,
    },
    Wire {
        nic: usize,
        e: WireError,
    },
    Timeout {
        what: String,
        cycles: u64,
        cycle: u64,
    },
    Leaks {
        nic: usize,
        leaks: Vec<Leak>,
    },
    Finish {
        nic: usize,
        cycle: u64,
    },
    Capture(CaptureError),
    Trace(TraceError),
    Tap(TapError),
}

impl core::fmt::Display for SimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SimError::Protocol { nic, v } => write!(f, "nic{nic}: {v}"),
            SimError::Dma { nic, v } => write!(f, "nic{nic}: {v}"),
            SimError::Wire { nic, e } => write!(f, "nic{nic} transmit: {e}"),
            SimError::Timeout {
                what,
                cycles,
                cycle,
            } => {
                write!(
                    f,
                    "timeout at cycle {cycle}: {what} not done within {cycles} cycles"
                )
            }
            SimError::Leaks { nic, leaks } => {
                write!(
                    f,
                    "nic{nic}: {} DMA region(s) alive at teardown:",
                    leaks.len()
                )?;
                for l in leaks {
                    write!(f, " {:?} {:#x}+{}", l.kind, l.addr, l.len)?;
                }
                Ok(())
            }
            SimError::Finish { nic, cycle } => {
                write!(f, "nic{nic}: RTL called $finish at cycle {cycle}")
            }
            SimError::Capture(e) => write!(f, "{e}"),
            SimError::Trace(e) => write!(f, "{e}"),
            SimError::Tap(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SimError {}

/// What starts a waveform window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceStart {
    /// At this cycle (or now, if it has passed).
    Cycle(u64),
    /// When the NIC starts transmitting its next frame.
    NextTxFrame,
    /// When the NIC starts receiving its next frame.
    NextRxFrame,
}

/// A waveform window: opened by `start`, closed `cycles` later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceWindow {
    pub path: PathBuf,
    pub start: TraceStart,
    pub cycles: u64,
    /// Hierarchy levels recorded (0 = all).
    pub depth: u32,
}

/// Counters per NIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NicStats {
    pub tx_frames: u64,
    pub tx_bytes: u64,
    pub rx_frames: u64,
    pub rx_bytes: u64,
    pub irq_rises: u64,
    pub irq_cycles: u64,
    pub reg_reads: u64,
    pub reg_writes: u64,
    pub reg_error_responses: u64,
    pub dma_reads: u64,
    pub dma_writes: u64,
    pub dma_error_responses: u64,
}

/// What a NIC's GMII port is connected to.
#[derive(Debug)]
enum Port {
    Open,
    Phy {
        phy: PhyEndpoint,
        link_up: bool,
    },
    Link {
        link: usize,
    },
    Tap {
        tap: Box<TapEndpoint>,
        phy: PhyEndpoint,
    },
}

/// A received frame as it arrived at a NIC's pins, with the packet id the
/// far side attached (simulation metadata, never in the frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxArrival {
    pub id: PacketId,
    pub cycle: u64,
    /// Ethernet header to FCS.
    pub data: Vec<u8>,
}

struct Nic {
    model: Model,
    mem: HostMemory,
    axil: AxilMaster,
    slave: AxiMemSlave,
    chk_m: AxiChecker,
    chk_s: AxiChecker,
    tx_dec: Decoder,
    rx_dec: Decoder,
    port: Port,
    rst_left: u32,
    irq: bool,
    tx_sym: Sym,
    tx_en_prev: bool,
    tx_ids: VecDeque<PacketId>,
    cur_tx_id: PacketId,
    rx_sym: Sym,
    rx_arrivals: VecDeque<RxArrival>,
    capture: Option<Capture>,
    strobe: u8,
    window: Option<TraceWindow>,
    window_close: Option<u64>,
    /// Cycles left before this NIC counts as settled (see SETTLE_CYCLES).
    settle: u32,
    link_up_prev: bool,
    stats: NicStats,
    /// Frame starts (TX, RX) seen on this NIC's GMII in the current cycle,
    /// for the waveform window after the rising edge.
    frame_starts: (bool, bool),
}

struct Link {
    lanes: [Lane; 2],
    nics: [usize; 2],
    up: bool,
}

/// The whole simulated hardware.
pub struct Hardware {
    cfg: WorldConfig,
    cycle: u64,
    nics: Vec<Nic>,
    links: Vec<Link>,
    errors: Vec<SimError>,
    /// Cycles evaluated and skipped (statistics).
    pub evaluated_cycles: u64,
    pub skipped_cycles: u64,
}

impl Hardware {
    pub fn new(cfg: WorldConfig) -> Hardware {
        Hardware {
            cfg,
            cycle: 0,
            nics: Vec::new(),
            links: Vec::new(),
            errors: Vec::new(),
            evaluated_cycles: 0,
            skipped_cycles: 0,
        }
    }

    pub fn config(&self) -> &WorldConfig {
        &self.cfg
    }

    /// Add a NIC with its host memory; `rst` is held for
    /// `reset_cycles` cycles from now. Returns its index.
    pub fn add_nic(&mut self, mem: MemConfig) -> usize {
        let idx = self.nics.len();
        let mut model = Model::new();
        model.set_fast_edges(!self.cfg.full_evals);
        model.set_rst(1);
        self.nics.push(Nic {
            model,
            mem: HostMemory::new(),
            axil: AxilMaster::new(),
            slave: AxiMemSlave::new(mem, self.cfg.seed, idx as u64),
            chk_m: AxiChecker::axi4("m_axi", 8),
            chk_s: AxiChecker::axi_lite("s_axil", 4),
            tx_dec: Decoder::new(),
            rx_dec: Decoder::new(),
            port: Port::Open,
            rst_left: self.cfg.reset_cycles.max(1),
            irq: false,
            tx_sym: Sym::default(),
            tx_en_prev: false,
            tx_ids: VecDeque::new(),
            cur_tx_id: PacketId(0),
            rx_sym: Sym::default(),
            rx_arrivals: VecDeque::new(),
            capture: None,
            strobe: 0,
            window: None,
            window_close: None,
            settle: SETTLE_CYCLES,
            link_up_prev: false,
            frame_starts: (false, false),
            stats: NicStats::default(),
        });
        idx
    }

    pub fn nic_count(&self) -> usize {
        self.nics.len()
    }

    /// Connect NIC `a`'s transmitter to NIC `b`'s receiver and back, with
    /// `delay` cycles of propagation and `faults` in both directions. The
    /// link starts up.
    pub fn connect(&mut self, a: usize, b: usize, delay: u32, faults: Faults) -> usize {
        let l = self.links.len();
        let s = self.cfg.seed;
        self.links.push(Link {
            lanes: [
                Lane::new(delay, faults, s, 1000 + 2 * l as u64),
                Lane::new(delay, faults, s, 1001 + 2 * l as u64),
            ],
            nics: [a, b],
            up: true,
        });
        self.nics[a].port = Port::Link { link: l };
        self.nics[b].port = Port::Link { link: l };
        l
    }

    /// Attach a software PHY to NIC `nic` (link up).
    pub fn attach_phy(&mut self, nic: usize) {
        self.nics[nic].port = Port::Phy {
            phy: PhyEndpoint::new(),
            link_up: true,
        };
    }

    /// Connect NIC `nic`'s port to Linux TAP device `name` (link up).
    /// Returns the kernel's name of the device. Fast-forward never skips
    /// while a TAP is attached: the host may send at any time.
    pub fn attach_tap(&mut self, nic: usize, name: &str) -> Result<String, SimError> {
        let tap = TapEndpoint::open(name).map_err(SimError::Tap)?;
        let real = tap.name().to_string();
        self.nics[nic].port = Port::Tap {
            tap: Box::new(tap),
            phy: PhyEndpoint::new(),
        };
        Ok(real)
    }

    /// Counters of the TAP endpoint of `nic`, if one is attached.
    pub fn tap_stats(&self, nic: usize) -> Option<TapStats> {
        match &self.nics.get(nic)?.port {
            Port::Tap { tap, .. } => Some(tap.stats),
            _ => None,
        }
    }

    /// The software PHY of `nic`, if one is attached.
    pub fn phy(&mut self, nic: usize) -> Option<&mut PhyEndpoint> {
        match &mut self.nics.get_mut(nic)?.port {
            Port::Phy { phy, .. } => Some(phy),
            _ => None,
        }
    }

    /// Link state seen by NIC `nic` (`link_up` input).
    pub fn set_link_up(&mut self, nic: usize, up: bool) {
        match &mut self.nics[nic].port {
            Port::Phy { link_up, .. } => *link_up = up,
            Port::Link { link, .. } => self.links[*link].up = up,
            Port::Open | Port::Tap { .. } => {}
        }
    }

    /// Fault configuration of a link (both directions).
    pub fn set_faults(&mut self, link: usize, faults: Faults) {
        for lane in &mut self.links[link].lanes {
            lane.set_faults(faults);
        }
    }

    /// Counters of injected faults on link `link`, direction `dir` (0: a->b).
    pub fn fault_stats(&self, link: usize, dir: usize) -> crate::gmii::FaultStats {
        self.links[link].lanes[dir].stats
    }

    /// Capture everything on NIC `nic`'s wire (both directions) to `path`.
    pub fn capture(&mut self, nic: usize, path: &Path) -> Result<(), SimError> {
        let c = Capture::create(path).map_err(SimError::Capture)?;
        self.nics[nic].capture = Some(c);
        Ok(())
    }

    /// Flush and close the capture of `nic`.
    pub fn close_capture(&mut self, nic: usize) -> Result<(), SimError> {
        if let Some(c) = self.nics[nic].capture.take() {
            c.finish().map_err(SimError::Capture)?;
        }
        Ok(())
    }

    /// The packet id of the next frame NIC `nic` transmits (set by the
    /// software that queued it, in queue order).
    pub fn tag_tx(&mut self, nic: usize, id: PacketId) {
        self.nics[nic].tx_ids.push_back(id);
    }

    /// Forget the ids of frames NIC `nic` was given and has not started on
    /// the wire: a reset flushed them, they will never be sent.
    pub fn clear_tx_tags(&mut self, nic: usize) {
        self.nics[nic].tx_ids.clear();
    }

    /// Frames that arrived at NIC `nic`'s receiver, oldest first.
    pub fn take_rx_arrivals(&mut self, nic: usize) -> Vec<RxArrival> {
        self.drain_rx_arrivals(nic).collect()
    }

    /// Hand the bytes of an [`RxArrival`] back to NIC `nic`'s receive-side
    /// decoder for reuse, once nothing needs them any more.
    pub fn recycle_rx_arrival(&mut self, nic: usize, data: Vec<u8>) {
        self.nics[nic].rx_dec.recycle_data(data);
    }

    /// [`Hardware::take_rx_arrivals`] without collecting them into a list.
    pub fn drain_rx_arrivals(
        &mut self,
        nic: usize,
    ) -> std::collections::vec_deque::Drain<'_, RxArrival> {
        self.nics[nic].rx_arrivals.drain(..)
    }

    /// Record a marker in the waveform (driver event, packet id, ...).
    pub fn marker(&mut self, nic: usize, id: u32) {
        let n = &mut self.nics[nic];
        n.strobe ^= 1;
        n.model.set_sim_marker_id(id);
        n.model.set_sim_marker_strobe(n.strobe);
    }

    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.cycle * CLK_NS)
    }

    pub fn irq(&self, nic: usize) -> bool {
        self.nics[nic].irq
    }

    pub fn stats(&self, nic: usize) -> NicStats {
        self.nics[nic].stats
    }

    pub fn mem(&mut self, nic: usize) -> &mut HostMemory {
        &mut self.nics[nic].mem
    }

    pub fn mem_config(&mut self, nic: usize) -> &mut MemConfig {
        &mut self.nics[nic].slave.cfg
    }

    /// Direct access to a NIC's model pins (for tests and tools).
    pub fn model(&mut self, nic: usize) -> &mut Model {
        &mut self.nics[nic].model
    }

    /// Record an error found outside the cycle loop (by a HAL handle).
    pub fn record_error(&mut self, e: SimError) {
        self.errors.push(e);
    }

    /// The first error of the run, if any.
    pub fn first_error(&self) -> Option<&SimError> {
        self.errors.first()
    }

    /// Take every recorded error.
    pub fn take_errors(&mut self) -> Vec<SimError> {
        std::mem::take(&mut self.errors)
    }

    /// Take the first recorded error and leave the later ones recorded,
    /// for whoever reports the run's errors at the end.
    pub fn take_first_error(&mut self) -> Option<SimError> {
        (!self.errors.is_empty()).then(|| self.errors.remove(0))
    }

    fn fail_if_error(&mut self) -> Result<(), SimError> {
        self.take_first_error().map_or(Ok(()), Err)
    }

    /// Open a waveform on `nic` now.
    pub fn trace_open(&mut self, nic: usize, path: &Path, depth: u32) -> Result<(), SimError> {
        // The first values are recorded by the next evaluation.
        self.nics[nic]
            .model
            .trace_open(path, depth)
            .map_err(SimError::Trace)
    }

    /// Close the waveform of `nic` (if open).
    pub fn trace_close(&mut self, nic: usize) {
        let n = &mut self.nics[nic];
        n.model.trace_close();
        n.window = None;
        n.window_close = None;
    }

    /// Arm a waveform window on `nic`.
    pub fn trace_window(&mut self, nic: usize, w: TraceWindow) {
        let n = &mut self.nics[nic];
        n.window = Some(w);
        n.window_close = None;
    }

    fn window_tick(&mut self, i: usize, tx_start: bool, rx_start: bool) {
        let cycle = self.cycle;
        let n = &mut self.nics[i];
        if let Some(end) = n.window_close {
            if cycle >= end {
                n.model.trace_close();
                n.window_close = None;
                n.window = None;
            }
            return;
        }
        let Some(w) = &n.window else {
            return;
        };
        let go = match w.start {
            TraceStart::Cycle(c) => cycle >= c,
            TraceStart::NextTxFrame => tx_start,
            TraceStart::NextRxFrame => rx_start,
        };
        if go {
            let (path, depth, len) = (w.path.clone(), w.depth, w.cycles);
            match n.model.trace_open(&path, depth) {
                Ok(()) => n.window_close = Some(cycle + len),
                Err(e) => {
                    n.window = None;
                    self.errors.push(SimError::Trace(e));
                }
            }
        }
    }

    /// The DMA master's channels as the coming edge samples them. Only a
    /// channel with VALID high is read further (READY, payload): nobody
    /// looks at the rest (see [`AxiSnapshot`]).
    #[inline]
    fn snapshot_m(m: &Model) -> Option<AxiSnapshot> {
        if (m.m_axi_awvalid()
            | m.m_axi_wvalid()
            | m.m_axi_bvalid()
            | m.m_axi_arvalid()
            | m.m_axi_rvalid())
            == 0
        {
            return None;
        }
        let mut s = AxiSnapshot::default();
        if m.m_axi_awvalid() != 0 {
            s.aw = Chan {
                valid: true,
                ready: m.m_axi_awready() != 0,
                payload: AddrBeat {
                    id: u32::from(m.m_axi_awid()),
                    addr: m.m_axi_awaddr(),
                    len: m.m_axi_awlen(),
                    size: m.m_axi_awsize(),
                    burst: m.m_axi_awburst(),
                },
            };
        }
        if m.m_axi_wvalid() != 0 {
            s.w = Chan {
                valid: true,
                ready: m.m_axi_wready() != 0,
                payload: WBeat {
                    data: m.m_axi_wdata(),
                    strb: m.m_axi_wstrb(),
                    last: m.m_axi_wlast() != 0,
                },
            };
        }
        if m.m_axi_bvalid() != 0 {
            s.b = Chan {
                valid: true,
                ready: m.m_axi_bready() != 0,
                payload: BBeat {
                    id: u32::from(m.m_axi_bid()),
                    resp: m.m_axi_bresp(),
                },
            };
        }
        if m.m_axi_arvalid() != 0 {
            s.ar = Chan {
                valid: true,
                ready: m.m_axi_arready() != 0,
                payload: AddrBeat {
                    id: u32::from(m.m_axi_arid()),
                    addr: m.m_axi_araddr(),
                    len: m.m_axi_arlen(),
                    size: m.m_axi_arsize(),
                    burst: m.m_axi_arburst(),
                },
            };
        }
        if m.m_axi_rvalid() != 0 {
            s.r = Chan {
                valid: true,
                ready: m.m_axi_rready() != 0,
                payload: RBeat {
                    id: u32::from(m.m_axi_rid()),
                    data: m.m_axi_rdata(),
                    resp: m.m_axi_rresp(),
                    last: m.m_axi_rlast() != 0,
                },
            };
        }
        Some(s)
    }

    /// The register slave's channels, read like [`Self::snapshot_m`].
    #[inline]
    fn snapshot_s(m: &Model) -> Option<AxiSnapshot> {
        if (m.s_axil_awvalid()
            | m.s_axil_wvalid()
            | m.s_axil_bvalid()
            | m.s_axil_arvalid()
            | m.s_axil_rvalid())
            == 0
        {
            return None;
        }
        let mut s = AxiSnapshot::default();
        if m.s_axil_awvalid() != 0 {
            s.aw = Chan {
                valid: true,
                ready: m.s_axil_awready() != 0,
                payload: AddrBeat {
                    addr: u64::from(m.s_axil_awaddr()),
                    size: 2,
                    burst: 1,
                    ..AddrBeat::default()
                },
            };
        }
        if m.s_axil_wvalid() != 0 {
            s.w = Chan {
                valid: true,
                ready: m.s_axil_wready() != 0,
                payload: WBeat {
                    data: u64::from(m.s_axil_wdata()),
                    strb: m.s_axil_wstrb(),
                    last: true,
                },
            };
        }
        if m.s_axil_bvalid() != 0 {
            s.b = Chan {
                valid: true,
                ready: m.s_axil_bready() != 0,
                payload: BBeat {
                    id: 0,
                    resp: m.s_axil_bresp(),
                },
            };
        }
        if m.s_axil_arvalid() != 0 {
            s.ar = Chan {
                valid: true,
                ready: m.s_axil_arready() != 0,
                payload: AddrBeat {
                    addr: u64::from(m.s_axil_araddr()),
                    size: 2,
                    burst: 1,
                    ..AddrBeat::default()
                },
            };
        }
        if m.s_axil_rvalid() != 0 {
            s.r = Chan {
                valid: true,
                ready: m.s_axil_rready() != 0,
                payload: RBeat {
                    id: 0,
                    data: u64::from(m.s_axil_rdata()),
                    resp: m.s_axil_rresp(),
                    last: true,
                },
            };
        }
        Some(s)
    }

    /// Evaluate one clock cycle (see the module documentation).
    pub fn step(&mut self) {
        let cycle = self.cycle;
        let t_low = cycle * PS_PER_CYCLE;
        let t_high = t_low + PS_PER_CYCLE / 2;

        // GMII: what arrives at each receiver this cycle.
        for l in &mut self.links {
            for side in 0..2 {
                let from = l.nics[side];
                let to = l.nics[1 - side];
                let tx = if l.up {
                    self.nics[from].tx_sym
                } else {
                    Sym::default()
                };
                let rx = l.lanes[side].step(tx);
                self.nics[to].rx_sym = if l.up { rx } else { Sym::default() };
            }
        }
        // 1-2: drive and settle.
        for n in &mut self.nics {
            let link_up = match &mut n.port {
                Port::Open => {
                    n.rx_sym = Sym::default();
                    false
                }
                Port::Phy { phy, link_up } => {
                    n.rx_sym = phy.next_rx();
                    *link_up
                }
                Port::Tap { tap, phy } => {
                    if cycle % tap.poll_every.max(1) == 0 {
                        tap.poll(phy);
                    }
                    n.rx_sym = phy.next_rx();
                    true
                }
                Port::Link { .. } => false,
            };
            let link_up = match n.port {
                Port::Link { link, .. } => self.links[link].up,
                _ => link_up,
            };
            let m = &mut n.model;
            if n.rst_left > 0 {
                n.rst_left -= 1;
                m.set_rst(1);
            } else {
                m.set_rst(0);
            }
            n.axil.drive(m);
            n.slave.drive(m, &mut n.mem, cycle);
            m.set_gmii_rxd(n.rx_sym.d);
            m.set_gmii_rx_dv(u8::from(n.rx_sym.en));
            m.set_gmii_rx_er(u8::from(n.rx_sym.er));
            m.set_sim_rx_packet_id(n.rx_sym.id.0);
            m.set_link_up(u8::from(link_up));
            let active = n.rst_left > 0
                || link_up != n.link_up_prev
                || n.axil.busy()
                || !n.slave.idle()
                || n.rx_sym.en
                || m.gmii_tx_en() != 0
                || m.quiescent() == 0;
            n.link_up_prev = link_up;
            n.settle = if active {
                SETTLE_CYCLES
            } else {
                n.settle.saturating_sub(1)
            };
            // gmii_tx_en is a registered output: what the edge will sample.
            let tx_en = m.gmii_tx_en() != 0;
            if tx_en && !n.tx_en_prev {
                n.cur_tx_id = n.tx_ids.pop_front().unwrap_or_default();
            }
            m.set_sim_tx_packet_id(if tx_en { n.cur_tx_id.0 } else { 0 });
            m.fall(t_low);
        }
        // 3: sample.
        for (i, n) in self.nics.iter_mut().enumerate() {
            let m = &n.model;
            let sm = Self::snapshot_m(m);
            let ss = Self::snapshot_s(m);
            let in_reset = n.rst_left > 0;
            if !in_reset {
                let r = match &sm {
                    Some(s) => n.chk_m.check(cycle, s),
                    None => n.chk_m.check_no_valid(cycle),
                };
                if let Err(v) = r {
                    self.errors.push(SimError::Protocol { nic: i, v });
                }
                let r = match &ss {
                    Some(s) => n.chk_s.check(cycle, s),
                    None => n.chk_s.check_no_valid(cycle),
                };
                if let Err(v) = r {
                    self.errors.push(SimError::Protocol { nic: i, v });
                }
            }
            // Without VALID nothing fires: the agents have nothing to take.
            if let Some(ss) = &ss {
                n.axil.sample(ss, cycle);
            }
            if let Some(sm) = &sm {
                Self::sample_dma(
                    i,
                    &mut n.slave,
                    &mut n.mem,
                    &mut n.stats,
                    sm,
                    cycle,
                    &mut self.errors,
                );
            }
            let irq = m.irq() != 0;
            if irq && !n.irq {
                n.stats.irq_rises += 1;
                tracing::trace!(target: "journey", host = i, layer = "nic", event = "irq_raised",
                    ns = cycle * CLK_NS, cycle);
            }
            if irq {
                n.stats.irq_cycles += 1;
            }
            n.irq = irq;
            let tx = Sym {
                d: m.gmii_txd(),
                en: m.gmii_tx_en() != 0,
                er: m.gmii_tx_er() != 0,
                id: n.cur_tx_id,
            };
            let tx_start = tx.en && !n.tx_en_prev;
            let rx_start = n.rx_sym.en && !n.rx_dec.busy();
            n.tx_en_prev = tx.en;
            n.tx_sym = tx;
            n.tx_dec.push(tx, cycle);
            n.rx_dec.push(n.rx_sym, cycle);
            while let Some(f) = n.tx_dec.frames.pop_front() {
                // ARCHITECTURE.md "Where a packet's journey is recorded".
                tracing::trace!(target: "journey", host = i, layer = "wire", event = "tx_frame",
                    id = f.id.0, ns = f.start_cycle * CLK_NS, cycle = f.start_cycle,
                    sfd_cycle = f.start_cycle + f.preamble_len as u64, end_cycle = f.end_cycle,
                    len = f.data.len(), fcs_ok = f.fcs_ok);
                n.stats.tx_frames += 1;
                n.stats.tx_bytes += f.data.len() as u64;
                if let Err(e) = Decoder::check_tx(&f) {
                    self.errors.push(SimError::Wire { nic: i, e });
                }
                if let Some(c) = &mut n.capture {
                    if let Err(e) = c.write(f.start_cycle * CLK_NS, &f.data) {
                        self.errors.push(SimError::Capture(e));
                    }
                }
                match &mut n.port {
                    Port::Phy { phy, .. } => phy.collected.push_back(f),
                    Port::Tap { tap, .. } => {
                        tap.send(&f.data);
                        n.tx_dec.recycle(f);
                    }
                    _ => n.tx_dec.recycle(f),
                }
            }
            while let Some(f) = n.rx_dec.frames.pop_front() {
                tracing::trace!(target: "journey", host = i, layer = "wire", event = "rx_frame",
                    id = f.id.0, ns = f.start_cycle * CLK_NS, cycle = f.start_cycle,
                    sfd_cycle = f.start_cycle + f.preamble_len as u64, end_cycle = f.end_cycle,
                    len = f.data.len(), fcs_ok = f.fcs_ok, error = f.error);
                Self::rx_frame(n, f, &mut self.errors);
            }
            n.frame_starts = (tx_start, rx_start);
        }
        // 4: rising edge.
        for (i, n) in self.nics.iter_mut().enumerate() {
            n.model.rise(t_high);
            if n.model.got_finish() {
                self.errors.push(SimError::Finish { nic: i, cycle });
            }
        }
        self.cycle += 1;
        self.evaluated_cycles += 1;
        for i in 0..self.nics.len() {
            let (t, r) = self.nics[i].frame_starts;
            self.window_tick(i, t, r);
        }
    }

    /// The DMA master's handshakes of this edge: the memory agent takes
    /// them, counters and journey events.
    fn sample_dma(
        i: usize,
        slave: &mut AxiMemSlave,
        mem: &mut HostMemory,
        stats: &mut NicStats,
        sm: &AxiSnapshot,
        cycle: u64,
        errors: &mut Vec<SimError>,
    ) {
        if let Err(v) = slave.sample(sm, mem, cycle) {
            errors.push(SimError::Dma { nic: i, v });
        }
        if sm.ar.fire() {
            stats.dma_reads += 1;
            Self::journey_dma(
                i,
                cycle,
                mem,
                false,
                sm.ar.payload.addr,
                sm.ar.payload.len,
                sm.ar.payload.size,
            );
        }
        if sm.aw.fire() {
            stats.dma_writes += 1;
            Self::journey_dma(
                i,
                cycle,
                mem,
                true,
                sm.aw.payload.addr,
                sm.aw.payload.len,
                sm.aw.payload.size,
            );
        }
        if (sm.r.fire() && sm.r.payload.resp != 0) || (sm.b.fire() && sm.b.payload.resp != 0) {
            stats.dma_error_responses += 1;
        }
    }

    /// Journey event for a DMA burst accepted on `m_axi_ar`/`m_axi_aw`:
    /// reads and writes of coherent memory are descriptor fetches and
    /// write-backs, of streaming memory packet data (8254x 3.2, 3.3).
    fn journey_dma(
        nic: usize,
        cycle: u64,
        mem: &HostMemory,
        write: bool,
        addr: u64,
        len: u8,
        size: u8,
    ) {
        if !tracing::enabled!(target: "journey", tracing::Level::TRACE) {
            return;
        }
        let bytes = (u64::from(len) + 1) << size.min(7);
        let event = match (mem.kind_at(addr), write) {
            (Some(RegionKind::Coherent), false) => "desc_fetch",
            (Some(RegionKind::Coherent), true) => "desc_writeback",
            (_, false) => "data_read",
            (_, true) => "data_write",
        };
        tracing::trace!(target: "journey", host = nic, layer = "dma", event,
            ns = cycle * CLK_NS, cycle, addr, bytes);
    }

    fn rx_frame(n: &mut Nic, f: WireFrame, errors: &mut Vec<SimError>) {
        n.stats.rx_frames += 1;
        n.stats.rx_bytes += f.data.len() as u64;
        if let Some(c) = &mut n.capture {
            if let Err(e) = c.write(f.start_cycle * CLK_NS, &f.data) {
                errors.push(SimError::Capture(e));
            }
        }
        n.rx_arrivals.push_back(RxArrival {
            id: f.id,
            cycle: f.start_cycle,
            data: f.data,
        });
    }

    /// Whether nothing can happen before something external changes.
    fn quiet(&self) -> bool {
        self.nics.iter().all(|n| {
            n.rst_left == 0
                && n.settle == 0
                && n.model.quiescent() != 0
                && n.model.gmii_tx_en() == 0
                && !n.axil.busy()
                && n.slave.idle()
                && n.chk_m.idle()
                && !n.tx_dec.busy()
                && !n.rx_dec.busy()
                && !n.rx_sym.en
                && match &n.port {
                    Port::Phy { phy, .. } => phy.idle(),
                    Port::Tap { .. } => false,
                    _ => true,
                }
                && match &n.window {
                    Some(w) => n.window_close.is_none() && !matches!(w.start, TraceStart::Cycle(_)),
                    None => true,
                }
        }) && self.links.iter().all(|l| l.lanes.iter().all(Lane::idle))
    }

    /// Jump `n` cycles ahead without evaluating.
    fn skip(&mut self, k: u64) {
        self.cycle += k;
        self.skipped_cycles += k;
        for n in &mut self.nics {
            n.tx_dec.skip_idle(k);
            n.rx_dec.skip_idle(k);
            if let Port::Phy { phy, .. } = &mut n.port {
                phy.skip_idle(k);
            }
            if n.irq {
                n.stats.irq_cycles += k;
            }
        }
    }

    /// Run `cycles` cycles (fast-forwarding idle stretches when enabled).
    pub fn run(&mut self, cycles: u64) -> Result<(), SimError> {
        let end = self.cycle.saturating_add(cycles);
        while self.cycle < end {
            if self.cfg.fast_forward && self.quiet() {
                // Evaluate one cycle anyway so a changed input (register
                // write, marker) settles; then skip the rest.
                self.step();
                if self.quiet() && self.cycle < end {
                    self.skip(end - self.cycle);
                }
            } else {
                self.step();
            }
            self.fail_if_error()?;
        }
        Ok(())
    }

    /// Run until `pred` holds, at most `max_cycles` cycles. `pred` looks at
    /// hardware state; idle stretches in which no state can change are
    /// skipped when fast-forward is on.
    pub fn run_until(
        &mut self,
        what: impl std::fmt::Display,
        max_cycles: u64,
        mut pred: impl FnMut(&mut Hardware) -> bool,
    ) -> Result<u64, SimError> {
        let start = self.cycle;
        let end = start.saturating_add(max_cycles);
        loop {
            self.fail_if_error()?;
            if pred(self) {
                return Ok(self.cycle - start);
            }
            if self.cycle >= end {
                return Err(SimError::Timeout {
                    what: what.to_string(),
                    cycles: max_cycles,
                    cycle: self.cycle,
                });
            }
            self.step();
            if self.cfg.fast_forward && self.quiet() && !pred(self) && self.cycle < end {
                self.skip(end - self.cycle);
            }
        }
    }

    /// One register access through the AXI-Lite master; costs simulated
    /// time, other NICs and agents keep running.
    pub fn reg_access(&mut self, nic: usize, op: AxilOp) -> Result<AxilDone, SimError> {
        let span = tracing::debug_span!("axil", nic, op = ?op, cycle = self.cycle);
        let _g = span.enter();
        if self.cfg.reg_latency > 0 {
            for _ in 0..self.cfg.reg_latency {
                self.step();
            }
        }
        let cycle = self.cycle;
        if !self.nics[nic].axil.start(op, cycle) {
            return Err(SimError::Timeout {
                what: format!("nic{nic} register access while another is in flight"),
                cycles: 0,
                cycle,
            });
        }
        let t = self.cfg.reg_timeout;
        self.run_until(format_args!("nic{nic} register access {op:?}"), t, |hw| {
            !hw.nics[nic].axil.busy()
        })?;
        let done = self.nics[nic]
            .axil
            .take_done()
            .ok_or_else(|| SimError::Timeout {
                what: "register access result".into(),
                cycles: t,
                cycle: self.cycle,
            })?;
        let st = &mut self.nics[nic].stats;
        match op {
            AxilOp::Read { .. } => st.reg_reads += 1,
            AxilOp::Write { .. } => st.reg_writes += 1,
        }
        if done.resp != 0 {
            st.reg_error_responses += 1;
        }
        tracing::debug!(
            data = format_args!("{:#010x}", done.data),
            resp = done.resp,
            cycles = done.end_cycle - done.start_cycle,
            "register access done"
        );
        Ok(done)
    }

    pub fn read32(&mut self, nic: usize, addr: u32) -> Result<u32, SimError> {
        self.reg_access(nic, AxilOp::Read { addr }).map(|d| d.data)
    }

    pub fn write32(&mut self, nic: usize, addr: u32, data: u32) -> Result<(), SimError> {
        self.reg_access(
            nic,
            AxilOp::Write {
                addr,
                data,
                strb: 0xf,
            },
        )
        .map(|_| ())
    }

    /// End of run: close waveforms and captures, report DMA leaks.
    pub fn finish(&mut self) -> Result<(), SimError> {
        for i in 0..self.nics.len() {
            self.nics[i].model.trace_close();
            self.close_capture(i)?;
        }
        self.fail_if_error()?;
        for (i, n) in self.nics.iter().enumerate() {
            let leaks = n.mem.leaks();
            if !leaks.is_empty() {
                return Err(SimError::Leaks { nic: i, leaks });
            }
        }
        Ok(())
    }
}
