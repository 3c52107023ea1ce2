//! A transaction-level reference model of the NIC.
//!
//! The model implements the programming model of `../shared/spec/NIC.md`
//! (the 8254x legacy-descriptor subset) one transaction at a time: a
//! register write that moves a tail runs the engine until it has nothing
//! left to do, a frame arriving from the wire is filtered, counted and
//! written to descriptors at once. There are no clocks, bursts or FIFO
//! pipelines; what the model does keep is everything software or the wire
//! can observe: registers (reset values, read-clear ICR and statistics,
//! ICS/IMS/IMC, CTRL.RST), descriptor write-backs, buffer contents, head
//! registers, frames on the wire (with pad and FCS) and interrupt causes.
//!
//! Time matters only to the interrupt moderation timers (ITR, RDTR/RADV,
//! TIDV/TADV). The model keeps a clock in nanoseconds that its user moves
//! forward ([`NicModel::advance`]); timers fire at exact nanosecond
//! deadlines computed from the register values. What the fuzz harness
//! compares exactly and what only approximately is in `docs/fuzzing.md`.
//!
//! DMA goes through [`mem::DeviceMemory`], implemented by the simulation's
//! host memory and DMA sanitizer ([`crate::hostmem::HostMemory`], the one the
//! RTL's AXI memory agent uses too); [`host::ModelHost`] bundles the model
//! with such a memory and implements the driver's HAL traits.
//!
//! Cases the specification leaves undefined (a tail beyond the ring, a
//! zero-length ring with work, the reserved buffer size
//! encoding, reprogramming a ring while it runs) put the queue into an
//! "undefined" state, reported by [`NicModel::undefined`]; from there on
//! the model only promises what the harness checks for such cases: no write
//! outside mappings, and a clean state after CTRL.RST.

pub mod host;
pub mod mac;
pub mod mem;

use std::collections::{BTreeMap, VecDeque};

use driver::desc::{DESC_LEN, rx, tx};
use driver::regs::{
    Ctrl, DELAY_UNIT_NS, Dmaerr, ITR_UNIT_NS, Icr, MTA_WORDS, RA_ENTRIES, REGISTERS, Rctl, Rdtr,
    Rxcsum, Status, Tctl, rctl_buffer_size, reg, register_at,
};

use mac::{FCS_LEN, FilterConfig, MAX_FRAME, MAX_LONG_FRAME, MIN_FRAME};
pub use mem::{BusError, DeviceMemory};

/// Bugs the model can be told to have, so that the fuzz harness can be
/// shown to find them (each mirrors a bug planted in the RTL for the same
/// purpose). `None` in every normal use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// The TX ring wraps one descriptor early (at `len - 1`).
    RingWrapOffByOne,
    /// DD is never written back.
    NoDescriptorDone,
    /// EOP is ignored: every descriptor is a frame of its own.
    IgnoreEop,
    /// Bit 0 of the transmitted FCS is inverted.
    CrcBitFlip,
    /// The TX engine processes one descriptor past the tail.
    PassTail,
}

/// Fixed properties of the modelled NIC.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// Receive FIFO capacity in bytes (frames counted with their FCS).
    pub rx_fifo_bytes: usize,
    /// Longest frame the TX FIFO holds; longer frames are dropped whole.
    pub tx_fifo_bytes: usize,
    pub mutation: Option<Mutation>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            rx_fifo_bytes: 16384,
            tx_fifo_bytes: 16384,
            mutation: None,
        }
    }
}

/// Which queue a DMA error or an undefined case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    Tx,
    Rx,
}

/// What kind of DMA access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    DescRead,
    DescWrite,
    BufRead,
    BufWrite,
}

/// Why a queue left defined behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undefined {
    /// Head or tail at or beyond the ring's descriptor count.
    PointerBeyondRing {
        queue: Queue,
        head: u32,
        tail: u32,
        len: u32,
    },
    /// Work posted on a ring of length zero.
    EmptyRing(Queue),
    /// RCTL.BSEX with BSIZE 0 (reserved, 8254x 13.4.22).
    ReservedBufferSize,
    /// A ring register (base, length, head) written while the queue is
    /// enabled and has work.
    ReprogrammedWhileRunning(Queue),
    /// A TX frame spans more descriptors than the ring holds.
    FrameLongerThanRing,
}

/// Lifetime tallies of what the model did (not registers: CTRL.RST and
/// register reads leave them alone). Test coverage reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Frames put on the wire.
    pub tx_frames: u64,
    /// Frames written completely into RX descriptors.
    pub rx_frames: u64,
    /// Of those, frames that spanned more than one descriptor.
    pub rx_multi_desc: u64,
    /// RX descriptors written back.
    pub rx_descs: u64,
    /// TX frames longer than the TX FIFO, dropped (TXDROPC events).
    pub tx_dropped: u64,
    /// TX frames sent without their checksum insertion (TXCSKIPC events).
    pub tx_csum_skipped: u64,
}

/// A frame as it arrives on the GMII receive side: the bytes after the
/// SFD, including the FCS, and whether `rx_er` was seen during it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxFrame {
    pub bytes: Vec<u8>,
    pub rx_er: bool,
}

impl RxFrame {
    /// A frame with a correct FCS appended to `frame`.
    pub fn good(frame: &[u8]) -> RxFrame {
        RxFrame {
            bytes: mac::with_fcs(frame),
            rx_er: false,
        }
    }
}

/// A transmit frame whose EOP has not been processed yet.
#[derive(Debug, Clone)]
struct TxPartial {
    data: Vec<u8>,
    /// Its first descriptor (IFCS, IC, CSS, CSO).
    first: driver::desc::TxDescRepr,
}

/// A frame waiting in the receive FIFO.
#[derive(Debug, Clone)]
struct FifoEntry {
    /// What the DMA delivers (the FCS already stripped with SECRC).
    data: Vec<u8>,
    /// Bytes it occupies in the FIFO (the frame with its FCS).
    footprint: usize,
    /// RX descriptor ERRORS for its last descriptor.
    errors: u8,
    /// Passed the filter only through the MTA hash (status PIF).
    pif: bool,
    /// RNBC already counted for this frame.
    rnbc_counted: bool,
}

/// A moderation timer pair: a delay restarted by every event and an
/// absolute limit from the first event (8254x 13.4.30/13.4.31, 13.4.43/
/// 13.4.45).
#[derive(Debug, Clone, Copy, Default)]
struct DelayTimer {
    delay_at: Option<u64>,
    abs_at: Option<u64>,
}

impl DelayTimer {
    fn deadline(&self) -> Option<u64> {
        match (self.delay_at, self.abs_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Statistics registers, by offset (all read-clear): the 8254x ones and
/// our transmit path counters (docs/regmap.md).
const STAT_REGS: [u32; 17] = [
    reg::CRCERRS,
    reg::RXERRC,
    reg::MPC,
    reg::GPRC,
    reg::BPRC,
    reg::MPRC,
    reg::GPTC,
    reg::RNBC,
    reg::RUC,
    reg::ROC,
    reg::TPR,
    reg::TPT,
    reg::GORCL,
    reg::GOTCL,
    reg::TXDROPC,
    reg::TXCSKIPC,
    reg::TXUNDERC,
];

/// RX descriptors the engine fetches ahead of RDH (the RTL's DESC_DEPTH).
pub const RX_DESC_PREFETCH: u32 = 8;

/// RX status PIF (8254x 3.2.3.1): passed the imperfect (MTA hash) filter
/// only. Not in `driver::desc` (the driver ignores it).
pub const STA_PIF: u8 = 1 << 7;

/// The causes this NIC raises; ICS can set only these.
pub const ICR_CAUSES: u32 = Icr::ALL.bits();

/// The reference model. See the module documentation.
#[derive(Debug, Clone)]
pub struct NicModel {
    cfg: ModelConfig,
    now: u64,
    link_up: bool,
    /// Storage of the plain read/write registers, by offset / 4.
    regs: Vec<u32>,
    icr: u32,
    ims: u32,
    /// Statistics: 32-bit counters and the two 64-bit octet counters.
    stats: BTreeMap<u32, u64>,
    dmaerr: u32,
    dma_addr: u64,
    tdh: u32,
    tdt: u32,
    rdh: u32,
    rdt: u32,
    tx_stopped: bool,
    rx_stopped: bool,
    tx_partial: Option<TxPartial>,
    /// The next RX descriptor the prefetcher reads.
    rx_fetch: u32,
    undefined: Vec<Undefined>,
    rx_fifo: VecDeque<FifoEntry>,
    rx_fifo_used: usize,
    tx_timer: DelayTimer,
    rx_timer: DelayTimer,
    irq_line: bool,
    /// ITR: no new assertion before this time.
    itr_hold_until: u64,
    wire_out: VecDeque<Vec<u8>>,
    totals: Totals,
    hung: bool,
}

impl NicModel {
    pub fn new(cfg: ModelConfig) -> NicModel {
        let mut m = NicModel {
            cfg,
            now: 0,
            link_up: false,
            regs: vec![0; 0x20000 / 4],
            icr: 0,
            ims: 0,
            stats: BTreeMap::new(),
            dmaerr: 0,
            dma_addr: 0,
            tdh: 0,
            tdt: 0,
            rdh: 0,
            rdt: 0,
            tx_stopped: false,
            rx_stopped: false,
            tx_partial: None,
            rx_fetch: 0,
            undefined: Vec::new(),
            rx_fifo: VecDeque::new(),
            rx_fifo_used: 0,
            tx_timer: DelayTimer::default(),
            rx_timer: DelayTimer::default(),
            irq_line: false,
            itr_hold_until: 0,
            wire_out: VecDeque::new(),
            totals: Totals::default(),
            hung: false,
        };
        m.reset();
        m
    }

    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// Everything CTRL.RST resets (8254x 13.4.1): registers to their reset
    /// values, statistics, causes and mask, ring pointers, FIFOs, timers,
    /// a stopped queue and any undefined state. The link input and frames
    /// already on the wire are not the NIC's to reset.
    fn reset(&mut self) {
        self.regs.iter_mut().for_each(|r| *r = 0);
        for r in REGISTERS {
            for i in 0..r.count {
                let off = r.offset + i * r.stride;
                if let Some(slot) = self.regs.get_mut((off / 4) as usize) {
                    *slot = r.reset;
                }
            }
        }
        self.icr = 0;
        self.ims = 0;
        self.stats.clear();
        self.dmaerr = 0;
        self.dma_addr = 0;
        self.tdh = 0;
        self.tdt = 0;
        self.rdh = 0;
        self.rdt = 0;
        self.tx_stopped = false;
        self.rx_stopped = false;
        self.tx_partial = None;
        self.rx_fetch = 0;
        self.undefined.clear();
        self.rx_fifo.clear();
        self.rx_fifo_used = 0;
        self.tx_timer = DelayTimer::default();
        self.rx_timer = DelayTimer::default();
        self.irq_line = false;
        self.itr_hold_until = 0;
        self.hung = false;
    }

    /// The transmit engine went round the ring without reaching the tail,
    /// which only a planted [`Mutation`] can make happen; a real device
    /// would transmit forever (a hang the harness reports).
    pub fn hung(&self) -> bool {
        self.hung
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Current model time in nanoseconds.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The interrupt line.
    pub fn irq(&self) -> bool {
        self.irq_line
    }

    /// Interrupt causes pending, without the read-clear side effect.
    pub fn peek_icr(&self) -> u32 {
        self.icr
    }

    pub fn ims(&self) -> u32 {
        self.ims
    }

    /// The undefined cases the model ran into since the last reset.
    pub fn undefined(&self) -> &[Undefined] {
        &self.undefined
    }

    pub fn tx_stopped(&self) -> bool {
        self.tx_stopped
    }

    pub fn rx_stopped(&self) -> bool {
        self.rx_stopped
    }

    /// Frames waiting in the receive FIFO.
    pub fn rx_fifo_frames(&self) -> usize {
        self.rx_fifo.len()
    }

    /// Whether a transmit frame's descriptors are partly processed (its EOP
    /// not yet posted).
    pub fn tx_frame_in_progress(&self) -> bool {
        self.tx_partial.is_some()
    }

    /// Whether a received frame is written partly into descriptors and
    /// waits for more (never: a frame starts only with enough descriptors).
    pub fn rx_frame_in_progress(&self) -> bool {
        false
    }

    /// Frames transmitted since the last call, as the wire carries them
    /// after the SFD: data, padding (TCTL.PSP) and FCS (CMD.IFCS).
    pub fn take_wire_frames(&mut self) -> Vec<Vec<u8>> {
        self.wire_out.drain(..).collect()
    }

    /// A statistics counter's value without the read-clear side effect.
    pub fn peek_stat(&self, offset: u32) -> u64 {
        self.stats.get(&offset).copied().unwrap_or(0)
    }

    fn r(&self, offset: u32) -> u32 {
        self.regs.get((offset / 4) as usize).copied().unwrap_or(0)
    }

    fn set_r(&mut self, offset: u32, v: u32) {
        if let Some(slot) = self.regs.get_mut((offset / 4) as usize) {
            *slot = v;
        }
    }

    fn rctl(&self) -> Rctl {
        Rctl(self.r(reg::RCTL))
    }

    fn tctl(&self) -> Tctl {
        Tctl(self.r(reg::TCTL))
    }

    fn count(&mut self, offset: u32, by: u64) {
        let v = self.stats.entry(offset).or_insert(0);
        // 8254x 13.7: the 32-bit counters stick at their maximum.
        *v = if offset == reg::GORCL || offset == reg::GOTCL {
            v.wrapping_add(by)
        } else {
            v.saturating_add(by).min(u64::from(u32::MAX))
        };
    }

    fn mark_undefined(&mut self, u: Undefined) {
        if !self.undefined.contains(&u) {
            self.undefined.push(u);
        }
    }

    fn queue_undefined(&self, q: Queue) -> bool {
        self.undefined.iter().any(|u| match u {
            Undefined::PointerBeyondRing { queue, .. }
            | Undefined::EmptyRing(queue)
            | Undefined::ReprogrammedWhileRunning(queue) => *queue == q,
            Undefined::FrameLongerThanRing => q == Queue::Tx,
            Undefined::ReservedBufferSize => q == Queue::Rx,
        })
    }

    /// Nothing in flight: no timer running, no frame waiting in the
    /// receive FIFO, no transmit work the engine could do (STATUS.QUIESCENT
    /// mirrors the RTL's `quiescent` output; the model's notion is only
    /// approximate, see docs/fuzzing.md).
    pub fn quiescent(&self) -> bool {
        let tx_work = self.tctl().contains(Tctl::EN) && !self.tx_stopped && self.tdh != self.tdt;
        self.next_deadline().is_none() && self.rx_fifo.is_empty() && !tx_work
    }

    /// Drive the `link_up` input. A change raises LSC (8254x 13.4.17).
    pub fn set_link(&mut self, up: bool) {
        if up != self.link_up {
            self.link_up = up;
            self.raise(Icr::LSC.bits());
        }
    }

    // ------------------------------------------------------------------
    // Registers
    // ------------------------------------------------------------------

    /// A register read by software. Read-clear registers clear.
    pub fn read32(&mut self, offset: u32) -> u32 {
        let offset = offset & 0x1_FFFC;
        match offset {
            reg::ICR => {
                // 8254x 13.4.17: reading ICR returns and clears the causes.
                let v = self.icr;
                self.icr = 0;
                self.update_irq();
                v
            }
            reg::IMS => self.ims,
            reg::ICS | reg::IMC => 0,
            reg::STATUS => {
                let mut s = Status(self.r(reg::STATUS));
                s.set(Status::LU, self.link_up);
                s.set(Status::TXSTOP, self.tx_stopped);
                s.set(Status::RXSTOP, self.rx_stopped);
                s.set(Status::QUIESCENT, self.quiescent());
                s.bits()
            }
            reg::TDH => self.tdh,
            reg::TDT => self.tdt,
            reg::RDH => self.rdh,
            reg::RDT => self.rdt,
            reg::DMAERR => self.dmaerr,
            reg::DMAERR_ADDRL => self.dma_addr as u32,
            reg::DMAERR_ADDRH => (self.dma_addr >> 32) as u32,
            // 64-bit octet counters (docs/regmap.md, statistics): the low
            // read returns bits 31:0, holds bits 63:32 (kept under the high
            // offset) and restarts the count; the high read returns the
            // held half and clears it.
            reg::GORCH | reg::GOTCH => self.stats.remove(&offset).unwrap_or(0) as u32,
            reg::GORCL | reg::GOTCL => {
                let v = self.stats.remove(&offset).unwrap_or(0);
                self.stats.insert(offset + 4, v >> 32);
                v as u32
            }
            o if STAT_REGS.contains(&o) => self.stats.remove(&o).unwrap_or(0) as u32,
            o if register_at(o).is_some() => self.r(o),
            _ => 0,
        }
    }

    /// A register write by software; work it makes possible runs at once.
    pub fn write32(&mut self, offset: u32, value: u32, mem: &mut dyn DeviceMemory) {
        let offset = offset & 0x1_FFFC;
        match offset {
            reg::CTRL => {
                if Ctrl(value).contains(Ctrl::RST) {
                    // 8254x 13.4.1: RST resets the device and self-clears.
                    self.reset();
                } else {
                    self.set_r(reg::CTRL, value);
                }
            }
            reg::ICR => {
                // 8254x 13.4.17: writing ones clears those causes.
                self.icr &= !value;
                self.update_irq();
            }
            reg::ICS => self.raise(value & ICR_CAUSES),
            reg::IMS => {
                self.ims |= value & ICR_CAUSES;
                self.update_irq();
            }
            reg::IMC => {
                self.ims &= !value;
                self.update_irq();
            }
            reg::ITR | reg::RADV | reg::TIDV | reg::TADV => {
                self.set_r(offset, value & 0xFFFF);
                self.update_irq();
            }
            reg::RDTR => {
                self.set_r(offset, value & Rdtr::DELAY.mask());
                // 8254x 13.4.30 FPD: flush the partial descriptor block,
                // i.e. fire a pending RXT0 now.
                if Rdtr(value).contains(Rdtr::FPD) && self.rx_timer.deadline().is_some() {
                    self.rx_timer = DelayTimer::default();
                    self.raise(Icr::RXT0.bits());
                }
            }
            reg::RCTL => {
                let was = self.rctl();
                self.set_r(reg::RCTL, value);
                if was.contains(Rctl::EN) && !Rctl(value).contains(Rctl::EN) {
                    // Disabling the receiver flushes the receive FIFO.
                    self.rx_fifo.clear();
                    self.rx_fifo_used = 0;
                }
                self.run_rx(mem);
            }
            reg::TCTL => {
                self.set_r(reg::TCTL, value);
                self.run_tx(mem);
            }
            reg::TDBAL | reg::RDBAL => {
                self.ring_reprogram(offset);
                self.set_r(offset, value & !0xF);
            }
            reg::TDBAH | reg::RDBAH => {
                self.ring_reprogram(offset);
                self.set_r(offset, value);
            }
            reg::TDLEN | reg::RDLEN => {
                self.ring_reprogram(offset);
                self.set_r(offset, value & 0x000F_FF80);
            }
            reg::TDH => {
                self.ring_reprogram(offset);
                self.tdh = value & 0xFFFF;
                self.run_tx(mem);
            }
            reg::RDH => {
                self.ring_reprogram(offset);
                self.rdh = value & 0xFFFF;
                self.rx_fetch = self.rdh;
                self.run_rx(mem);
            }
            reg::TDT => {
                self.tdt = value & 0xFFFF;
                self.run_tx(mem);
            }
            reg::RDT => {
                self.rdt = value & 0xFFFF;
                self.run_rx(mem);
            }
            reg::STATUS | reg::DMAERR | reg::DMAERR_ADDRL | reg::DMAERR_ADDRH => {}
            o if STAT_REGS.contains(&o) || o == reg::GORCH || o == reg::GOTCH => {}
            o if register_at(o).is_some() => self.set_r(o, value),
            _ => {}
        }
    }

    /// Reprogramming a ring (base, length, head) while the queue is enabled
    /// with work outstanding is undefined (8254x 3.3.1 and 3.2.6: software
    /// sets these up before enabling the queue).
    fn ring_reprogram(&mut self, offset: u32) {
        let (q, busy) = if (reg::TDBAL..=reg::TDH).contains(&offset) {
            (
                Queue::Tx,
                self.tctl().contains(Tctl::EN) && self.tdh != self.tdt,
            )
        } else {
            (
                Queue::Rx,
                self.rctl().contains(Rctl::EN)
                    && (self.rdh != self.rdt || self.rx_frame_in_progress()),
            )
        };
        if busy {
            self.mark_undefined(Undefined::ReprogrammedWhileRunning(q));
        }
    }

    // ------------------------------------------------------------------
    // Interrupts and time
    // ------------------------------------------------------------------

    fn raise(&mut self, causes: u32) {
        self.icr |= causes;
        self.update_irq();
    }

    /// `irq` = (ICR & IMS) != 0, except that after an assertion ITR holds
    /// off the next one for ITR x 256 ns (8254x 13.4.18).
    fn update_irq(&mut self) {
        let pending = self.icr & self.ims != 0;
        if !pending {
            self.irq_line = false;
        } else if !self.irq_line && self.now >= self.itr_hold_until {
            self.irq_line = true;
            let itr = u64::from(self.r(reg::ITR) & 0xFFFF);
            self.itr_hold_until = self.now + itr * ITR_UNIT_NS;
        }
    }

    /// The next time at which something happens without software or the
    /// wire doing anything: a delay timer expiring, or ITR letting a
    /// pending interrupt through.
    pub fn next_deadline(&self) -> Option<u64> {
        let itr = (self.icr & self.ims != 0 && !self.irq_line).then_some(self.itr_hold_until);
        [self.tx_timer.deadline(), self.rx_timer.deadline(), itr]
            .into_iter()
            .flatten()
            .min()
    }

    /// Move time forward to `to` (never backwards), firing every timer due
    /// on the way in time order.
    pub fn advance(&mut self, to: u64) {
        while let Some(t) = self.next_deadline().filter(|&t| t <= to) {
            self.now = self.now.max(t);
            if self.tx_timer.deadline().is_some_and(|d| d <= self.now) {
                self.tx_timer = DelayTimer::default();
                self.raise(Icr::TXDW.bits());
            }
            if self.rx_timer.deadline().is_some_and(|d| d <= self.now) {
                self.rx_timer = DelayTimer::default();
                self.raise(Icr::RXT0.bits());
            }
            self.update_irq();
        }
        self.now = self.now.max(to);
        self.update_irq();
    }

    /// Run every pending timer to expiry (what "wait until quiescent"
    /// means for the model).
    pub fn settle(&mut self) {
        while let Some(t) = self.next_deadline() {
            self.advance(t);
        }
    }

    /// Arm a delay/absolute timer pair for one event: a zero delay raises
    /// the cause at once; otherwise the delay restarts and the absolute
    /// timer starts with the first event (a zero absolute value disables
    /// it).
    fn delay_event(&mut self, q: Queue, delay: u32, abs: u32) {
        let (timer, cause) = match q {
            Queue::Tx => (&mut self.tx_timer, Icr::TXDW.bits()),
            Queue::Rx => (&mut self.rx_timer, Icr::RXT0.bits()),
        };
        if delay == 0 {
            *timer = DelayTimer::default();
            self.raise(cause);
            return;
        }
        timer.delay_at = Some(self.now + u64::from(delay) * DELAY_UNIT_NS);
        if abs != 0 && timer.abs_at.is_none() {
            timer.abs_at = Some(self.now + u64::from(abs) * DELAY_UNIT_NS);
        }
    }

    /// A DMA access failed (NIC.md "Bus errors"): the queue stops, the
    /// first error since reset is recorded in DMAERR and DMAERR_ADDRL/H,
    /// and ICR.DMAERR is raised.
    fn dma_error(&mut self, q: Queue, access: Access, e: BusError) {
        match q {
            Queue::Tx => self.tx_stopped = true,
            Queue::Rx => self.rx_stopped = true,
        }
        if !Dmaerr(self.dmaerr).contains(Dmaerr::VALID) {
            let mut s = Dmaerr::VALID.with(Dmaerr::RESP, e.resp());
            s.set(
                Dmaerr::WRITE,
                matches!(access, Access::DescWrite | Access::BufWrite),
            );
            s.set(
                Dmaerr::DESC,
                matches!(access, Access::DescRead | Access::DescWrite),
            );
            s.set(Dmaerr::RXQ, q == Queue::Rx);
            self.dmaerr = s.bits();
            self.dma_addr = e.addr();
        }
        self.raise(Icr::DMAERR.bits());
    }

    // ------------------------------------------------------------------
    // Transmit
    // ------------------------------------------------------------------

    fn ring_len(&self, q: Queue) -> u32 {
        let len = match q {
            Queue::Tx => self.r(reg::TDLEN),
            Queue::Rx => self.r(reg::RDLEN),
        };
        len / DESC_LEN as u32
    }

    fn ring_base(&self, q: Queue) -> u64 {
        let (lo, hi) = match q {
            Queue::Tx => (reg::TDBAL, reg::TDBAH),
            Queue::Rx => (reg::RDBAL, reg::RDBAH),
        };
        (u64::from(self.r(hi)) << 32) | u64::from(self.r(lo))
    }

    fn desc_addr(&self, q: Queue, idx: u32) -> Option<u64> {
        self.ring_base(q)
            .checked_add(u64::from(idx) * DESC_LEN as u64)
    }

    /// The index after `idx` on a ring of `n` descriptors.
    fn next_idx(&self, q: Queue, idx: u32, n: u32) -> u32 {
        let wrap_at = if q == Queue::Tx && self.cfg.mutation == Some(Mutation::RingWrapOffByOne) {
            n.saturating_sub(1).max(1)
        } else {
            n
        };
        if idx + 1 >= wrap_at { 0 } else { idx + 1 }
    }

    /// Check head and tail of a queue before the engine uses them.
    fn pointers_ok(&mut self, q: Queue) -> Option<u32> {
        let n = self.ring_len(q);
        let (head, tail) = match q {
            Queue::Tx => (self.tdh, self.tdt),
            Queue::Rx => (self.rdh, self.rdt),
        };
        if head == tail {
            return if n == 0 { None } else { Some(n) };
        }
        if n == 0 {
            self.mark_undefined(Undefined::EmptyRing(q));
            return None;
        }
        if head >= n || tail >= n {
            self.mark_undefined(Undefined::PointerBeyondRing {
                queue: q,
                head,
                tail,
                len: n,
            });
            return None;
        }
        Some(n)
    }

    /// Process the descriptors between TDH and TDT one at a time, in ring
    /// order (8254x 3.3, docs/regmap.md): read the descriptor and its
    /// buffer, append the bytes to the frame in progress, write back DD
    /// when RS (TXDW, delayed by TIDV/TADV when CMD.IDE), then advance TDH
    /// (TXQE when it reaches TDT). EOP ends the frame: CMD.IFCS, CMD.IC,
    /// CSS and CSO of its first descriptor apply, and it goes to the MAC.
    /// A frame whose EOP is not posted yet stays in progress.
    fn run_tx(&mut self, mem: &mut dyn DeviceMemory) {
        let mut consumed: u32 = 0;
        loop {
            if !self.tctl().contains(Tctl::EN) || self.tx_stopped || self.queue_undefined(Queue::Tx)
            {
                return;
            }
            let Some(n) = self.pointers_ok(Queue::Tx) else {
                return;
            };
            if consumed > n {
                self.hung = true;
                return;
            }
            // The tail the engine stops at (one further with the planted bug).
            let stop = if self.cfg.mutation == Some(Mutation::PassTail) {
                self.next_idx(Queue::Tx, self.tdt, n)
            } else {
                self.tdt
            };
            if self.tdh == stop {
                return;
            }
            let idx = self.tdh;
            let Some(at) = self.desc_addr(Queue::Tx, idx) else {
                self.dma_error(
                    Queue::Tx,
                    Access::DescRead,
                    BusError::Decode { addr: u64::MAX },
                );
                return;
            };
            let mut raw = [0u8; DESC_LEN];
            if let Err(e) = mem.dma_read(at, &mut raw) {
                self.tx_partial = None;
                self.dma_error(Queue::Tx, Access::DescRead, e);
                return;
            }
            let d = driver::desc::TxDescRepr::from_bytes(&raw);
            let mut data = vec![0u8; usize::from(d.length)];
            if !data.is_empty() {
                if let Err(e) = mem.dma_read(d.addr, &mut data) {
                    // The partial frame is aborted (tx_fifo discards it).
                    self.tx_partial = None;
                    self.dma_error(Queue::Tx, Access::BufRead, e);
                    return;
                }
            }
            let frame = self.tx_partial.get_or_insert_with(|| TxPartial {
                data: Vec::new(),
                first: d,
            });
            frame.data.extend_from_slice(&data);
            // Write back DD (docs/regmap.md: only STA changes, to DD).
            if d.cmd & tx::CMD_RS != 0 && self.cfg.mutation != Some(Mutation::NoDescriptorDone) {
                if let Err(e) = mem.dma_write(at + tx::STA as u64, &[tx::STA_DD]) {
                    self.tx_partial = None;
                    self.dma_error(Queue::Tx, Access::DescWrite, e);
                    return;
                }
            }
            self.tdh = self.next_idx(Queue::Tx, idx, n);
            consumed += 1;
            if d.cmd & tx::CMD_RS != 0 {
                // TXDW (8254x 13.4.17); with CMD.IDE delayed by TIDV/TADV.
                if d.cmd & tx::CMD_IDE != 0 {
                    let (dl, ab) = (self.r(reg::TIDV), self.r(reg::TADV));
                    self.delay_event(Queue::Tx, dl, ab);
                } else {
                    self.raise(Icr::TXDW.bits());
                }
            }
            let eop = d.cmd & tx::CMD_EOP != 0 || self.cfg.mutation == Some(Mutation::IgnoreEop);
            if eop {
                if let Some(f) = self.tx_partial.take() {
                    self.tx_fifo_commit(f);
                }
            }
            if self.tdh == stop {
                self.raise(Icr::TXQE.bits());
            }
        }
    }

    /// The TX FIFO takes a complete frame (rtl/tx_fifo.v, docs/regmap.md):
    /// an EOP on empty descriptors ends nothing and no frame goes out; a
    /// frame longer than the FIFO is discarded whole and counted in
    /// TXDROPC (before any checksum work); otherwise CMD.IC inserts the
    /// checksum, or, with CSS or CSO + 2 outside the frame, leaves the
    /// frame unchanged and counts TXCSKIPC; then the MAC sends it. The MAC
    /// never underruns behind the store-and-forward FIFO, so the model
    /// never counts TXUNDERC.
    fn tx_fifo_commit(&mut self, f: TxPartial) {
        let mut data = f.data;
        if data.is_empty() {
            return;
        }
        if data.len() > self.cfg.tx_fifo_bytes {
            self.count(reg::TXDROPC, 1);
            self.totals.tx_dropped += 1;
            return;
        }
        if f.first.cmd & tx::CMD_IC != 0 && !insert_checksum(&mut data, f.first.css, f.first.cso) {
            self.count(reg::TXCSKIPC, 1);
            self.totals.tx_csum_skipped += 1;
        }
        self.emit_wire(data, f.first.cmd & tx::CMD_IFCS != 0);
    }

    /// The MAC: pad to 60 bytes with TCTL.PSP (and IFCS), append the FCS with IFCS,
    /// count the frame (GPTC, TPT, GOTC with the bytes from DA through FCS).
    fn emit_wire(&mut self, mut frame: Vec<u8>, ifcs: bool) {
        // docs/regmap.md: PSP pads only frames that get an FCS (IFCS).
        if ifcs && self.tctl().contains(Tctl::PSP) && frame.len() < MIN_FRAME {
            frame.resize(MIN_FRAME, 0);
        }
        if ifcs {
            let mut fcs = mac::crc32(&frame);
            if self.cfg.mutation == Some(Mutation::CrcBitFlip) {
                fcs ^= 1;
            }
            frame.extend_from_slice(&fcs.to_le_bytes());
        }
        self.count(reg::GPTC, 1);
        self.count(reg::TPT, 1);
        self.count(reg::GOTCL, frame.len() as u64);
        self.totals.tx_frames += 1;
        self.wire_out.push_back(frame);
    }

    // ------------------------------------------------------------------
    // Receive
    // ------------------------------------------------------------------

    /// A frame arrives from the wire (IEEE 802.3 clause 4.2.4 checks, then
    /// the address filter, then the receive FIFO).
    ///
    /// Counting, one counter per fault with this precedence (rtl/rx_fifo.v):
    /// GMII `rx_er` (RXERRC), then oversize (ROC, over 1518 bytes, or over
    /// 16384 with RCTL.LPE), then runt (RUC, under 64 bytes with FCS), then
    /// bad FCS (CRCERRS). Runts and oversize frames are always dropped; `rx_er` and bad-FCS frames are
    /// dropped unless RCTL.SBP stores them (with ERRORS.RXE / ERRORS.CE).
    /// TPR counts every frame seen while RCTL.EN is set; GPRC, BPRC, MPRC
    /// and GORC count good frames the filter accepts and the FIFO takes.
    pub fn receive(&mut self, frame: &RxFrame, mem: &mut dyn DeviceMemory) {
        let rctl = self.rctl();
        if !rctl.contains(Rctl::EN) {
            return;
        }
        self.count(reg::TPR, 1);
        let len = frame.bytes.len();
        let max = if rctl.contains(Rctl::LPE) {
            MAX_LONG_FRAME
        } else {
            MAX_FRAME
        };
        let fcs_bad = !mac::fcs_ok(&frame.bytes);
        let runt = len < MIN_FRAME + FCS_LEN;
        let oversize = len > max;
        if frame.rx_er {
            self.count(reg::RXERRC, 1);
        } else if oversize {
            self.count(reg::ROC, 1);
        } else if runt {
            self.count(reg::RUC, 1);
        } else if fcs_bad {
            self.count(reg::CRCERRS, 1);
        }
        // Runts and oversize frames are never stored (the legacy descriptor
        // has no error bit for them).
        if runt || oversize {
            return;
        }
        let bad = frame.rx_er || fcs_bad;
        if bad && !rctl.contains(Rctl::SBP) {
            return;
        }
        let mut da = [0u8; 6];
        da.copy_from_slice(&frame.bytes[..6]);
        let ra: Vec<(u32, u32)> = (0..RA_ENTRIES)
            .map(|i| (self.r(driver::regs::ral(i)), self.r(driver::regs::rah(i))))
            .collect();
        let mta: Vec<u32> = (0..MTA_WORDS)
            .map(|i| self.r(driver::regs::mta(i)))
            .collect();
        let filter = FilterConfig {
            rctl,
            ra: &ra,
            mta: &mta,
        };
        let verdict = mac::filter(&filter, &da);
        if !verdict.accept {
            return;
        }
        // The receive FIFO (store and forward, in 8-byte words with the
        // FCS): a frame that does not fit is dropped whole and counted in
        // MPC, with RXO (8254x 13.4.17). Its frame table holds at most one
        // frame per 64 bytes of capacity.
        let footprint = len.div_ceil(8) * 8;
        if self.rx_fifo_used + footprint > self.cfg.rx_fifo_bytes
            || self.rx_fifo.len() >= self.cfg.rx_fifo_bytes / 64
        {
            self.count(reg::MPC, 1);
            self.raise(Icr::RXO.bits());
            return;
        }
        if !bad {
            self.count(reg::GPRC, 1);
            self.count(reg::GORCL, len as u64);
            match mac::dest_kind(&da) {
                mac::DestKind::Broadcast => self.count(reg::BPRC, 1),
                mac::DestKind::Multicast => self.count(reg::MPRC, 1),
                mac::DestKind::Unicast => {}
            }
        }
        let keep = if rctl.contains(Rctl::SECRC) {
            len - FCS_LEN
        } else {
            len
        };
        let mut errors = 0;
        if fcs_bad {
            errors |= rx::ERR_CE;
        }
        if frame.rx_er {
            errors |= rx::ERR_RXE;
        }
        self.rx_fifo.push_back(FifoEntry {
            data: frame.bytes[..keep].to_vec(),
            footprint,
            errors,
            pif: verdict.pif,
            rnbc_counted: false,
        });
        self.rx_fifo_used += footprint;
        self.run_rx(mem);
    }

    /// Move frames from the receive FIFO into descriptors RDH..RDT (8254x
    /// 3.2, docs/regmap.md): a frame starts only when RDH..RDT holds enough
    /// descriptors for all of it (RNBC counts once per frame that waits);
    /// each descriptor takes up to the buffer size RCTL.BSIZE/BSEX selects;
    /// the write-back gives each descriptor its length and DD | IXSM, the
    /// last one also EOP (and PIF), the packet checksum (from RXCSUM.PCSS)
    /// and the errors.
    fn run_rx(&mut self, mem: &mut dyn DeviceMemory) {
        loop {
            if !self.rctl().contains(Rctl::EN) || self.rx_stopped || self.queue_undefined(Queue::Rx)
            {
                return;
            }
            let Some(n) = self.pointers_ok(Queue::Rx) else {
                return;
            };
            let Some(bufsize) = rctl_buffer_size(self.rctl()) else {
                self.mark_undefined(Undefined::ReservedBufferSize);
                return;
            };
            let avail = (self.rdt + n - self.rdh) % n;
            // The engine prefetches descriptors from RDH towards RDT as
            // soon as they are given, up to RX_DESC_PREFETCH ahead of the
            // head (rtl/dma_desc_fetch.v), so a faulty ring shows up without
            // any frame.
            while (self.rx_fetch + n - self.rdh) % n < RX_DESC_PREFETCH.min(avail)
                && self.rx_fetch != self.rdt
            {
                let Some(at) = self.desc_addr(Queue::Rx, self.rx_fetch) else {
                    return;
                };
                let mut raw = [0u8; DESC_LEN];
                if let Err(e) = mem.dma_read(at, &mut raw) {
                    self.dma_error(Queue::Rx, Access::DescRead, e);
                    return;
                }
                self.rx_fetch = self.next_idx(Queue::Rx, self.rx_fetch, n);
            }
            let Some(f) = self.rx_fifo.front() else {
                return;
            };
            let need = f.data.len().div_ceil(bufsize) as u32;
            if avail < need {
                if !f.rnbc_counted {
                    if let Some(f) = self.rx_fifo.front_mut() {
                        f.rnbc_counted = true;
                    }
                    self.count(reg::RNBC, 1);
                }
                return;
            }
            let fetched = (self.rx_fetch + n - self.rdh) % n;
            let Some(f) = self.rx_fifo.pop_front() else {
                return;
            };
            self.rx_fifo_used -= f.footprint;
            let pcss = Rxcsum(self.r(reg::RXCSUM)).get(Rxcsum::PCSS) as usize;
            let mut idx = self.rdh;
            let mut descs = Vec::new();
            for _ in 0..need {
                let Some(at) = self.desc_addr(Queue::Rx, idx) else {
                    return;
                };
                let mut raw = [0u8; DESC_LEN];
                if let Err(e) = mem.dma_read(at, &mut raw) {
                    self.dma_error(Queue::Rx, Access::DescRead, e);
                    return;
                }
                descs.push((at, driver::desc::RxDescRepr::from_bytes(&raw).addr));
                idx = self.next_idx(Queue::Rx, idx, n);
            }
            // Data first, then the write-backs (software never sees DD
            // before the data).
            for (i, (_, addr)) in descs.iter().enumerate() {
                let start = i * bufsize;
                let end = (start + bufsize).min(f.data.len());
                if let Err(e) = mem.dma_write(*addr, &f.data[start..end]) {
                    self.dma_error(Queue::Rx, Access::BufWrite, e);
                    return;
                }
            }
            let free_before = avail;
            for (i, (at, addr)) in descs.iter().enumerate() {
                let start = i * bufsize;
                let end = (start + bufsize).min(f.data.len());
                let last = i + 1 == descs.len();
                let mut wb = driver::desc::RxDescRepr {
                    addr: *addr,
                    length: (end - start) as u16,
                    csum: 0,
                    status: rx::STA_DD | rx::STA_IXSM,
                    errors: 0,
                    special: 0,
                };
                if last {
                    wb.status |= rx::STA_EOP | if f.pif { STA_PIF } else { 0 };
                    wb.errors = f.errors;
                    wb.csum = f.data.get(pcss..).map_or(0, mac::ones_sum);
                }
                let bytes = wb.to_bytes();
                if let Err(e) = mem.dma_write(at + 8, &bytes[8..]) {
                    self.dma_error(Queue::Rx, Access::DescWrite, e);
                    return;
                }
                self.totals.rx_descs += 1;
            }
            self.rdh = idx;
            if need >= fetched {
                // The frame used descriptors beyond the prefetched ones
                // (the engine fetched them on demand).
                self.rx_fetch = self.rdh;
            }
            self.totals.rx_frames += 1;
            if need > 1 {
                self.totals.rx_multi_desc += 1;
            }
            let (d, a) = (self.r(reg::RDTR) & 0xFFFF, self.r(reg::RADV));
            self.delay_event(Queue::Rx, d, a);
            // RXDMT0 (docs/regmap.md): the free descriptors fell from above
            // ring / 2^(RDMTS+1) to at or below it.
            let free_after = (self.rdt + n - self.rdh) % n;
            let thr = n >> (self.rctl().get(Rctl::RDMTS) + 1);
            if free_before > thr && free_after <= thr {
                self.raise(Icr::RXDMT0.bits());
            }
        }
    }
}

/// Legacy TX checksum insertion (8254x 3.3.3.1, CMD.IC): the complement
/// of the 16-bit ones-complement sum of the bytes from CSS to the end of
/// the frame (the field at CSO included as software seeded it), stored big
/// endian at CSO. Skipped when CSS or the field lies outside the frame
/// (rtl/tx_fifo.v counts that in TXCSKIPC). Returns whether it inserted.
pub fn insert_checksum(frame: &mut [u8], css: u8, cso: u8) -> bool {
    let (css, cso) = (usize::from(css), usize::from(cso));
    if css >= frame.len() || cso + 2 > frame.len() {
        return false;
    }
    let sum = !mac::ones_sum(&frame[css..]);
    frame[cso..cso + 2].copy_from_slice(&sum.to_be_bytes());
    true
}

#[cfg(test)]
mod tests;
