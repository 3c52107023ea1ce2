//! The driver proper: probe, transmit, interrupt and NAPI poll, busy poll,
//! configuration, statistics and recovery, in the shape of the Linux e1000
//! driver the source notes quote (`e1000_intr`, `e1000_poll`,
//! `e1000_clean_rx_irq`, `e1000_alloc_rx_buffers`, `e1000_xmit_frame`).
//!
//! Nothing read from the device is trusted: descriptor lengths are checked
//! against the buffer, head registers against the ring, every address is
//! computed with checked arithmetic, and the buffer address the driver uses
//! is its own record, never the one in a descriptor the device wrote.

use std::collections::VecDeque;

use stack::buf::{PacketBuf, PacketId, PacketMeta, RxChecksum};
use stack::device::{Device, DeviceCaps, TxBusy};
use stack::time::{Duration, Instant};
use tracing::{debug, trace};

use crate::desc::{DESC_LEN, RxDesc, TxDescRepr, rx, tx};
use crate::hal::{DmaAddr, DmaDirection, DmaError, DmaMemory, Platform, RegisterAccess};
use crate::regs::{
    Ctrl, Dmaerr, Icr, MTA_WORDS, RA_ENTRIES, RX_BUFFER_SIZES, Rah, Rctl, Status, Tctl, Tipg,
    mta_hash, rah, ral, rctl_bsize, reg,
};
use crate::ring::{self, BadRingSize};
use crate::stats::{DriverStats, HwStats, Stats};

/// Ethernet header length (no VLAN tag).
pub const ETH_HLEN: usize = 14;
/// Ethernet FCS length.
pub const ETH_FCS_LEN: usize = 4;
/// Smallest MTU (RFC 791: every host handles 68-byte datagrams).
pub const MIN_MTU: usize = 68;
/// Largest frame the NIC accepts with RCTL.LPE, FCS included.
pub const MAX_LONG_FRAME: usize = 16384;
/// Largest MTU: the long-packet limit less header and FCS.
pub const MAX_MTU: usize = MAX_LONG_FRAME - ETH_HLEN - ETH_FCS_LEN;
/// Largest frame without RCTL.LPE, FCS included (IEEE 802.3 clause 3.2.7).
pub const MAX_STD_FRAME: usize = 1518;
/// Most bytes one TX descriptor carries (the length field is 16 bits; the
/// e1000 limits a descriptor to 4096 bytes, E1000_MAX_DATA_PER_TXD).
pub const MAX_TX_BUFFER: usize = 4096;
/// Polls one [`Nic::service`] call runs at most before yielding, like
/// net.core.netdev_budget over the NAPI weight.
pub const SERVICE_MAX_POLLS: usize = 8;

/// How the driver learns of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrqMode {
    /// Interrupts with NAPI: ICR read, IMC, poll, IMS.
    Interrupt,
    /// Interrupts stay masked; the owner calls [`Nic::busy_poll`] (or the
    /// device trait's `receive`/`transmit`, which poll), like busy polling
    /// on sockets.
    BusyPoll,
}

/// Interrupt moderation, as `ethtool -C` sets it. Units are the
/// hardware's: ITR in 256 ns, the four delay timers in 1.024 us
/// (8254x 13.4.18, 13.4.32, 13.4.36, 13.4.43, 13.4.45).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Coalesce {
    pub itr: u16,
    pub rdtr: u16,
    pub radv: u16,
    pub tidv: u16,
    pub tadv: u16,
}

/// Everything the driver programs into the NIC; kept so that a reset can
/// restore it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// MAC address to program; `None` reads it from RAL0/RAH0.
    pub mac: Option<[u8; 6]>,
    pub tx_ring: u16,
    pub rx_ring: u16,
    pub mtu: usize,
    /// Receive buffer size; `None` picks the smallest the MTU fits in. A
    /// smaller size makes long frames span several descriptors.
    pub rx_buffer: Option<usize>,
    /// Most bytes per TX descriptor; longer frames are chained.
    pub tx_buffer: usize,
    pub coalesce: Coalesce,
    pub mode: IrqMode,
    /// NAPI weight (64 in Linux).
    pub budget: usize,
    /// TX watchdog: head not moving for this long while work is pending
    /// (link up) resets the NIC.
    pub tx_timeout: Duration,
    /// Bound on the wait for CTRL.RST to clear.
    pub reset_timeout: Duration,
    /// RXCSUM.PCSS: where the receive checksum starts (14: the IP header).
    pub rx_csum_start: u8,
    /// Interface index written into received packets' metadata.
    pub iface: usize,
    /// Frames received and not yet taken by the stack, at most (as
    /// net.core.netdev_max_backlog); beyond it frames are dropped, counted.
    pub rx_backlog: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            mac: None,
            tx_ring: 256,
            rx_ring: 256,
            mtu: 1500,
            rx_buffer: None,
            tx_buffer: MAX_TX_BUFFER,
            coalesce: Coalesce::default(),
            mode: IrqMode::Interrupt,
            budget: 64,
            tx_timeout: Duration::from_millis(5),
            reset_timeout: Duration::from_millis(1),
            rx_csum_start: ETH_HLEN as u8,
            iface: 0,
            rx_backlog: 1000,
        }
    }
}

/// A configuration the hardware or driver cannot apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    RingSize(BadRingSize),
    Mtu {
        mtu: usize,
    },
    /// A receive buffer size RCTL.BSIZE/BSEX cannot express.
    RxBufferSize(usize),
    TxBufferSize(usize),
    /// Zero budget or backlog.
    Budget,
    /// The MAC address is multicast or all zeros.
    InvalidMac([u8; 6]),
    /// A multicast list entry without the group bit.
    NotMulticast([u8; 6]),
    /// Promiscuity counter would go below zero.
    PromiscUnderflow,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigError::RingSize(e) => e.fmt(f),
            ConfigError::Mtu { mtu } => write!(f, "MTU {mtu} outside {MIN_MTU}..={MAX_MTU}"),
            ConfigError::RxBufferSize(n) => {
                write!(f, "receive buffer of {n} bytes not expressible in RCTL")
            }
            ConfigError::TxBufferSize(n) => write!(
                f,
                "transmit buffer of {n} bytes outside 64..={MAX_TX_BUFFER}"
            ),
            ConfigError::Budget => f.write_str("budget and backlog must be positive"),
            ConfigError::InvalidMac(m) => write!(f, "invalid unicast MAC {}", fmt_mac(m)),
            ConfigError::NotMulticast(m) => write!(f, "{} is not a multicast address", fmt_mac(m)),
            ConfigError::PromiscUnderflow => f.write_str("promiscuity counter below zero"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Probing failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeError {
    Config(ConfigError),
    /// CTRL.RST did not clear within the bound.
    ResetTimeout,
    /// Neither configured nor a valid address in RAL0/RAH0.
    NoMacAddress,
    Dma(DmaError),
}

impl core::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProbeError::Config(e) => write!(f, "configuration: {e}"),
            ProbeError::ResetTimeout => f.write_str("NIC reset did not complete"),
            ProbeError::NoMacAddress => f.write_str("no valid MAC address in RAL0/RAH0"),
            ProbeError::Dma(e) => write!(f, "ring allocation: {e}"),
        }
    }
}

impl std::error::Error for ProbeError {}

impl From<ConfigError> for ProbeError {
    fn from(e: ConfigError) -> ProbeError {
        ProbeError::Config(e)
    }
}

/// A reset (recovery or reconfiguration) failed; the NIC is left down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetError {
    Timeout,
    Dma(DmaError),
}

impl core::fmt::Display for ResetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ResetError::Timeout => f.write_str("NIC reset did not complete"),
            ResetError::Dma(e) => write!(f, "ring setup after reset: {e}"),
        }
    }
}

impl std::error::Error for ResetError {}

/// A reconfiguration was refused or its reset failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconfigureError {
    /// Refused; nothing changed.
    Config(ConfigError),
    /// Applied, but the reset failed: the NIC is down.
    Reset(ResetError),
}

impl core::fmt::Display for ReconfigureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReconfigureError::Config(e) => e.fmt(f),
            ReconfigureError::Reset(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReconfigureError {}

/// Why the driver reset the NIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetReason {
    DmaError,
    TxTimeout,
    Reconfigure,
    BadDevice,
}

/// The DMA error the NIC reported (DMAERR, DMAERR_ADDRL/H).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmaErrorReport {
    pub status: Dmaerr,
    pub addr: u64,
    pub at: Instant,
}

/// One TX descriptor's buffer.
#[derive(Debug, Clone, Copy)]
struct TxBuf {
    addr: DmaAddr,
    len: usize,
    id: PacketId,
    /// Index of the frame's last descriptor (the one with RS), kept on every
    /// descriptor of the frame, like e1000's next_to_watch.
    last: u16,
    /// Frame length, on the first descriptor only (0 elsewhere).
    frame_len: usize,
}

#[derive(Debug)]
struct TxRing {
    base: DmaAddr,
    count: u16,
    next_to_use: u16,
    next_to_clean: u16,
    bufs: Vec<Option<TxBuf>>,
}

#[derive(Debug)]
struct RxRing {
    base: DmaAddr,
    count: u16,
    /// Next descriptor to fill; RDT is written with this value.
    next_to_use: u16,
    next_to_clean: u16,
    bufs: Vec<Option<DmaAddr>>,
}

impl TxRing {
    fn bytes(&self) -> usize {
        usize::from(self.count) * DESC_LEN
    }
    fn unused(&self) -> u16 {
        ring::unused(self.next_to_clean, self.next_to_use, self.count)
    }
    fn pending(&self) -> bool {
        self.next_to_clean != self.next_to_use
    }
}

impl RxRing {
    fn bytes(&self) -> usize {
        usize::from(self.count) * DESC_LEN
    }
}

/// A frame spanning several RX descriptors, collected until EOP.
#[derive(Debug)]
struct RxPartial {
    data: Vec<u8>,
    /// A descriptor of this frame was bad; drop it at EOP, counted so.
    discard: Option<RxDrop>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RxDrop {
    Length,
    Errors,
    Oversize,
    Dma,
}

/// The driver for one NIC.
pub struct Nic<R: RegisterAccess, D: DmaMemory, P: Platform> {
    regs: R,
    dma: D,
    plat: P,
    cfg: Config,
    mac: [u8; 6],
    rx_buf_len: usize,
    tx: TxRing,
    rx: RxRing,
    promisc: u32,
    allmulti: u32,
    mc_list: Vec<[u8; 6]>,
    link_up: bool,
    queue_stopped: bool,
    napi_scheduled: bool,
    irq_enabled: bool,
    reset_pending: Option<ResetReason>,
    /// The NIC failed to come back from a reset; everything is refused.
    down: bool,
    rx_queue: VecDeque<PacketBuf>,
    rx_partial: Option<RxPartial>,
    /// Collection buffer of the next multi-descriptor frame, kept empty
    /// between frames so that receiving does not allocate per frame.
    rx_spare: Vec<u8>,
    /// The mappings of the frame being queued (scratch of `xmit`).
    tx_mapped: Vec<(DmaAddr, usize)>,
    /// Packets delivered to the receive queue since probe (journey events).
    rx_delivered: u64,
    hw: HwStats,
    st: DriverStats,
    wd_head: u16,
    wd_clean: u16,
    wd_progress: Instant,
    last_dma_error: Option<DmaErrorReport>,
    /// Frames reported done (DD) since the last hardware reset.
    tx_done_epoch: u64,
    /// TPT + TXDROPC totals at the last hardware reset: with the frames
    /// done since, what tells the frames a reset strands in the TX FIFO.
    tx_hw_base: u64,
}

impl<R: RegisterAccess, D: DmaMemory, P: Platform> core::fmt::Debug for Nic<R, D, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Nic")
            .field("mac", &fmt_mac(&self.mac))
            .field("tx", &self.tx)
            .field("rx", &self.rx)
            .field("link_up", &self.link_up)
            .field("queue_stopped", &self.queue_stopped)
            .field("napi_scheduled", &self.napi_scheduled)
            .finish_non_exhaustive()
    }
}

fn fmt_mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

fn valid_unicast(m: &[u8; 6]) -> bool {
    m[0] & 1 == 0 && m.iter().any(|&b| b != 0)
}

/// The receive buffer size for an MTU: the smallest RCTL can express that
/// holds the whole frame with its FCS.
fn rx_buffer_for(mtu: usize) -> usize {
    let frame = mtu + ETH_HLEN + ETH_FCS_LEN;
    RX_BUFFER_SIZES
        .iter()
        .copied()
        .find(|&s| s >= frame)
        .unwrap_or(MAX_LONG_FRAME)
}

fn check_config(cfg: &Config) -> Result<usize, ConfigError> {
    ring::check_size(cfg.tx_ring).map_err(ConfigError::RingSize)?;
    ring::check_size(cfg.rx_ring).map_err(ConfigError::RingSize)?;
    if !(MIN_MTU..=MAX_MTU).contains(&cfg.mtu) {
        return Err(ConfigError::Mtu { mtu: cfg.mtu });
    }
    let rx_buf = cfg.rx_buffer.unwrap_or_else(|| rx_buffer_for(cfg.mtu));
    if !RX_BUFFER_SIZES.contains(&rx_buf) {
        return Err(ConfigError::RxBufferSize(rx_buf));
    }
    if !(64..=MAX_TX_BUFFER).contains(&cfg.tx_buffer) {
        return Err(ConfigError::TxBufferSize(cfg.tx_buffer));
    }
    if cfg.budget == 0 || cfg.rx_backlog == 0 {
        return Err(ConfigError::Budget);
    }
    if let Some(m) = cfg.mac {
        if !valid_unicast(&m) {
            return Err(ConfigError::InvalidMac(m));
        }
    }
    Ok(rx_buf)
}

/// 16-bit ones-complement sum (RFC 1071), big-endian words, odd byte padded.
pub(crate) fn ones_sum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

impl<R: RegisterAccess, D: DmaMemory, P: Platform> Nic<R, D, P> {
    /// Reset the NIC, read or program its MAC address, allocate and program
    /// the rings, post receive buffers, enable the receiver, transmitter and
    /// (in interrupt mode) interrupts, and read the link state.
    pub fn probe(mut regs: R, mut dma: D, mut plat: P, cfg: Config) -> Result<Self, ProbeError> {
        let rx_buf_len = check_config(&cfg)?;
        hw_quiesce(&mut regs, &mut plat);
        hw_reset(&mut regs, &mut plat, cfg.reset_timeout).map_err(|_| ProbeError::ResetTimeout)?;
        let mac = match cfg.mac {
            Some(m) => m,
            None => {
                // 8254x 13.4.53/54: address bytes 0..3 in RAL, 4..5 in RAH.
                let lo = regs.read32(ral(0)).to_le_bytes();
                let hi = Rah(regs.read32(rah(0)));
                let hb = (hi.get(Rah::ADDR) as u16).to_le_bytes();
                let m = [lo[0], lo[1], lo[2], lo[3], hb[0], hb[1]];
                if !hi.contains(Rah::AV) || !valid_unicast(&m) {
                    return Err(ProbeError::NoMacAddress);
                }
                m
            }
        };
        let tx = alloc_tx(&mut dma, cfg.tx_ring).map_err(ProbeError::Dma)?;
        let rx = match alloc_rx(&mut dma, cfg.rx_ring) {
            Ok(r) => r,
            Err(e) => {
                let _ = dma.free_coherent(tx.base, tx.bytes());
                return Err(ProbeError::Dma(e));
            }
        };
        let now = plat.now();
        let mut nic = Nic {
            regs,
            dma,
            plat,
            cfg,
            mac,
            rx_buf_len,
            tx,
            rx,
            promisc: 0,
            allmulti: 0,
            mc_list: Vec::new(),
            link_up: false,
            queue_stopped: false,
            napi_scheduled: false,
            irq_enabled: false,
            reset_pending: None,
            down: false,
            rx_queue: VecDeque::new(),
            rx_partial: None,
            rx_spare: Vec::new(),
            tx_mapped: Vec::new(),
            rx_delivered: 0,
            hw: HwStats::default(),
            st: DriverStats::default(),
            wd_head: 0,
            wd_clean: 0,
            wd_progress: now,
            last_dma_error: None,
            tx_done_epoch: 0,
            tx_hw_base: 0,
        };
        // Start the statistics from zero whatever ran before.
        let mut discard = HwStats::default();
        discard.accumulate(&mut nic.regs);
        nic.configure().map_err(ProbeError::Dma)?;
        debug!(target: "driver", mac = %fmt_mac(&nic.mac), link = nic.link_up, "probed");
        Ok(nic)
    }

    /// Program everything from the saved configuration into a freshly reset
    /// NIC (e1000_configure: address, filters, TX, RX, buffers, then
    /// interrupts).
    fn configure(&mut self) -> Result<(), DmaError> {
        let m = self.mac;
        self.regs
            .write32(ral(0), u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
        let rah0 = Rah::AV.with(Rah::ADDR, u32::from(u16::from_le_bytes([m[4], m[5]])));
        self.regs.write32(rah(0), rah0.bits());
        for n in 1..RA_ENTRIES {
            self.regs.write32(ral(n), 0);
            self.regs.write32(rah(n), 0);
        }
        self.write_mta();

        // Transmit (8254x 14.5).
        let tb = self.tx.base.0;
        self.regs.write32(reg::TDBAL, tb as u32);
        self.regs.write32(reg::TDBAH, (tb >> 32) as u32);
        self.regs.write32(reg::TDLEN, self.tx.bytes() as u32);
        self.regs.write32(reg::TDH, 0);
        self.regs.write32(reg::TDT, 0);
        self.regs
            .write32(reg::TIPG, Tipg::empty().with(Tipg::IPGT, 12).bits());
        let c = self.cfg.coalesce;
        self.regs.write32(reg::TIDV, u32::from(c.tidv));
        self.regs.write32(reg::TADV, u32::from(c.tadv));
        self.regs.write32(reg::TCTL, (Tctl::EN | Tctl::PSP).bits());

        // Receive (8254x 14.4).
        let rb = self.rx.base.0;
        self.regs.write32(reg::RDBAL, rb as u32);
        self.regs.write32(reg::RDBAH, (rb >> 32) as u32);
        self.regs.write32(reg::RDLEN, self.rx.bytes() as u32);
        self.regs.write32(reg::RDH, 0);
        self.regs.write32(reg::RDT, 0);
        self.regs.write32(reg::RDTR, u32::from(c.rdtr));
        self.regs.write32(reg::RADV, u32::from(c.radv));
        self.regs
            .write32(reg::RXCSUM, u32::from(self.cfg.rx_csum_start));
        self.regs.write32(reg::ITR, u32::from(c.itr));
        self.regs.write32(reg::RCTL, self.rctl().bits());
        self.alloc_rx_buffers();

        let status = Status(self.regs.read32(reg::STATUS));
        self.set_link(status.contains(Status::LU));
        self.wd_progress = self.plat.now();
        self.wd_head = 0;
        self.wd_clean = 0;
        // Causes raised while enabling (a bus error on the first descriptor
        // fetch) stay pending in ICR for the interrupt handler: hw_reset
        // cleared the stale ones before anything was enabled.
        self.irq_enabled = false;
        if self.cfg.mode == IrqMode::Interrupt {
            self.irq_enable();
        }
        Ok(())
    }

    fn rctl(&self) -> Rctl {
        let mut r = Rctl::EN | Rctl::BAM | Rctl::SECRC;
        r.set(Rctl::UPE, self.promisc > 0);
        r.set(Rctl::MPE, self.promisc > 0 || self.allmulti > 0);
        r.set(
            Rctl::LPE,
            self.cfg.mtu + ETH_HLEN + ETH_FCS_LEN > MAX_STD_FRAME,
        );
        // check_config admitted only expressible sizes.
        rctl_bsize(r, self.rx_buf_len).unwrap_or(r)
    }

    fn write_mta(&mut self) {
        let mut mta = [0u32; MTA_WORDS as usize];
        for a in &self.mc_list {
            // MO = 0 (RCTL.MO is left at 0); 8254x 13.4.52.
            let h = usize::from(mta_hash(a, 0));
            mta[(h >> 5) & 0x7f] |= 1 << (h & 0x1f);
        }
        for (n, w) in mta.iter().enumerate() {
            self.regs.write32(crate::regs::mta(n as u32), *w);
        }
    }

    fn irq_enable(&mut self) {
        self.regs.write32(reg::IMS, Icr::ENABLE_MASK.bits());
        self.irq_enabled = true;
    }

    fn irq_disable(&mut self) {
        self.regs.write32(reg::IMC, u32::MAX);
        self.irq_enabled = false;
    }

    fn set_link(&mut self, up: bool) {
        if up != self.link_up {
            self.link_up = up;
            self.st.link_changes += 1;
            debug!(target: "driver", up, "link");
        }
        // While the link is down nothing drains; the watchdog restarts its
        // clock when the link returns.
        self.wd_progress = self.plat.now();
    }

    // ---------------------------------------------------------------- TX

    /// Queue one frame (e1000_xmit_frame): map each piece, fill one
    /// descriptor per piece (EOP and RS on the last, IC/CSS/CSO on every
    /// piece when the stack asks for checksum insertion), then write TDT.
    pub fn xmit(&mut self, frame: PacketBuf) -> Result<(), TxBusy> {
        if self.down || !self.link_up || self.queue_stopped {
            self.st.tx_busy += 1;
            return Err(TxBusy(frame));
        }
        let len = frame.len();
        if len > self.cfg.mtu + ETH_HLEN {
            self.st.tx_dropped_too_big += 1;
            return Ok(());
        }
        if len < ETH_HLEN {
            self.st.tx_dropped_invalid += 1;
            return Ok(());
        }
        let pieces = len.div_ceil(self.cfg.tx_buffer);
        let Ok(pieces) = u16::try_from(pieces) else {
            self.st.tx_dropped_too_big += 1;
            return Ok(());
        };
        if self.tx.unused() < pieces {
            // e1000_maybe_stop_tx: stop and let cleanup wake the queue.
            self.queue_stopped = true;
            self.st.tx_queue_stops += 1;
            self.st.tx_busy += 1;
            return Err(TxBusy(frame));
        }
        let meta = *frame.meta();
        let mut frame = frame;
        let (cmd_ic, css, cso) = match meta.tx_checksum {
            None => (0, 0, 0),
            Some(c) => {
                let (start, off) = (usize::from(c.start), usize::from(c.offset));
                if start >= len || off.checked_add(2).is_none_or(|e| e > len) {
                    self.st.tx_dropped_invalid += 1;
                    return Ok(());
                }
                match (u8::try_from(c.start), u8::try_from(c.offset)) {
                    (Ok(s), Ok(o)) => {
                        self.st.tx_csum_offload += 1;
                        (tx::CMD_IC, s, o)
                    }
                    _ => {
                        // The descriptor cannot express it: the sum the NIC
                        // would compute, done here.
                        let sum = !ones_sum(&frame.data()[start..]);
                        frame.data_mut()[off..off + 2].copy_from_slice(&sum.to_be_bytes());
                        self.st.tx_csum_software += 1;
                        (0, 0, 0)
                    }
                }
            }
        };

        // Map every piece first, so a mapping failure leaves the ring alone.
        let mut mapped = std::mem::take(&mut self.tx_mapped);
        mapped.clear();
        for chunk in frame.data().chunks(self.cfg.tx_buffer) {
            let res = self
                .dma
                .map(chunk.len(), DmaDirection::ToDevice)
                .and_then(|a| {
                    self.dma.write(a, chunk).map(|()| a).inspect_err(|_| {
                        let _ = self.dma.unmap(a, chunk.len(), DmaDirection::ToDevice);
                    })
                });
            match res {
                Ok(a) => mapped.push((a, chunk.len())),
                Err(_) => {
                    for (a, l) in mapped.drain(..) {
                        let _ = self.dma.unmap(a, l, DmaDirection::ToDevice);
                    }
                    self.tx_mapped = mapped;
                    self.st.tx_dropped_map += 1;
                    return Ok(());
                }
            }
        }

        let first = self.tx.next_to_use;
        let last = ring::advance(first, pieces - 1, self.tx.count);
        let ide = if self.cfg.coalesce.tidv > 0 || self.cfg.coalesce.tadv > 0 {
            tx::CMD_IDE
        } else {
            0
        };
        let mut i = first;
        for (k, (addr, plen)) in mapped.iter().enumerate() {
            let is_last = k + 1 == mapped.len();
            let mut cmd = tx::CMD_IFCS | cmd_ic | ide;
            if is_last {
                cmd |= tx::CMD_EOP | tx::CMD_RS;
            }
            let d = TxDescRepr {
                addr: addr.0,
                length: *plen as u16,
                cso,
                cmd,
                sta: 0,
                css,
                special: 0,
            };
            if self.write_desc(self.tx.base, i, &d.to_bytes()).is_err() {
                // Coherent ring memory refused a CPU write: nothing was
                // handed over yet (TDT not written); undo.
                for (a, l) in &mapped {
                    let _ = self.dma.unmap(*a, *l, DmaDirection::ToDevice);
                }
                let mut j = first;
                while j != i {
                    self.tx.bufs[usize::from(j)] = None;
                    j = ring::next(j, self.tx.count);
                }
                self.tx_mapped = mapped;
                self.st.tx_dropped_map += 1;
                return Ok(());
            }
            self.tx.bufs[usize::from(i)] = Some(TxBuf {
                addr: *addr,
                len: *plen,
                id: meta.id,
                last,
                frame_len: if k == 0 { len } else { 0 },
            });
            trace!(target: "journey", layer = "driver", event = "tx_desc", id = meta.id.0,
                   ns = self.plat.now().as_nanos(), idx = i, len = *plen, eop = is_last,
                   desc = ring::desc_addr(self.tx.base, i).map_or(0, |a| a.0), buf = addr.0);
            self.st.tx_descriptors += 1;
            i = ring::next(i, self.tx.count);
        }
        self.tx.next_to_use = i;
        self.tx_mapped = mapped;
        // 8254x 3.3.1: the tail is written after the descriptors.
        let issued = self.plat.now().as_nanos();
        self.regs.write32(reg::TDT, u32::from(i));
        self.st.tx_doorbells += 1;
        // ns: the write response (the bus write took issued_ns..ns).
        trace!(target: "journey", layer = "driver", event = "tx_doorbell", id = meta.id.0, tail = i,
               issued_ns = issued, ns = self.plat.now().as_nanos());
        Ok(())
    }

    fn write_desc(
        &mut self,
        base: DmaAddr,
        i: u16,
        bytes: &[u8; DESC_LEN],
    ) -> Result<(), DmaError> {
        let a = ring::desc_addr(base, i).ok_or(DmaError::Overflow)?;
        self.dma.write(a, bytes)
    }

    fn read_desc(&mut self, base: DmaAddr, i: u16) -> Result<[u8; DESC_LEN], DmaError> {
        let a = ring::desc_addr(base, i).ok_or(DmaError::Overflow)?;
        let mut b = [0u8; DESC_LEN];
        self.dma.read(a, &mut b)?;
        Ok(b)
    }

    /// Reclaim transmitted frames (e1000_clean_tx_irq): for each frame in
    /// order, when its last descriptor has DD, unmap its buffers. Wakes a
    /// stopped queue once a quarter of the ring is free. Returns frames
    /// cleaned.
    fn clean_tx(&mut self) -> usize {
        let mut done = 0;
        while self.tx.pending() {
            let i = self.tx.next_to_clean;
            let Some(b) = self.tx.bufs[usize::from(i)] else {
                break;
            };
            let Ok(d) = self.read_desc(self.tx.base, b.last) else {
                break;
            };
            if d[tx::STA] & tx::STA_DD == 0 {
                break;
            }
            let mut j = i;
            loop {
                if let Some(buf) = self.tx.bufs[usize::from(j)].take() {
                    let _ = self.dma.unmap(buf.addr, buf.len, DmaDirection::ToDevice);
                    if buf.frame_len > 0 {
                        self.st.tx_bytes += buf.frame_len as u64;
                    }
                }
                let was_last = j == b.last;
                j = ring::next(j, self.tx.count);
                if was_last {
                    break;
                }
            }
            self.tx.next_to_clean = j;
            self.st.tx_packets += 1;
            self.tx_done_epoch += 1;
            done += 1;
            trace!(target: "journey", layer = "driver", event = "tx_done", id = b.id.0, idx = b.last,
                   ns = self.plat.now().as_nanos());
        }
        if self.queue_stopped && self.tx.unused() >= (self.tx.count / 4).max(1) {
            self.queue_stopped = false;
            self.st.tx_queue_wakes += 1;
        }
        done
    }

    // ---------------------------------------------------------------- RX

    /// Post receive buffers in every free slot (e1000_alloc_rx_buffers) and
    /// move RDT past them.
    fn alloc_rx_buffers(&mut self) {
        let mut n = ring::unused(self.rx.next_to_clean, self.rx.next_to_use, self.rx.count);
        let start = self.rx.next_to_use;
        while n > 0 {
            let i = self.rx.next_to_use;
            let addr = match self.dma.map(self.rx_buf_len, DmaDirection::FromDevice) {
                Ok(a) => a,
                Err(_) => {
                    self.st.rx_alloc_fail += 1;
                    break;
                }
            };
            let d = crate::desc::RxDescRepr {
                addr: addr.0,
                ..Default::default()
            };
            if self.write_desc(self.rx.base, i, &d.to_bytes()).is_err() {
                let _ = self
                    .dma
                    .unmap(addr, self.rx_buf_len, DmaDirection::FromDevice);
                self.st.rx_alloc_fail += 1;
                break;
            }
            self.rx.bufs[usize::from(i)] = Some(addr);
            self.rx.next_to_use = ring::next(i, self.rx.count);
            n -= 1;
        }
        if self.rx.next_to_use != start {
            // 8254x 3.2.6: RDT one past the last descriptor software owns.
            self.regs.write32(reg::RDT, u32::from(self.rx.next_to_use));
        }
    }

    /// Walk descriptors with DD set (e1000_clean_rx_irq), at most `budget`,
    /// building packet buffers for the stack queue. Returns descriptors
    /// cleaned.
    fn clean_rx(&mut self, budget: usize) -> usize {
        let mut work = 0;
        while work < budget && self.rx.next_to_clean != self.rx.next_to_use {
            let i = self.rx.next_to_clean;
            let Some(addr) = self.rx.bufs[usize::from(i)] else {
                break;
            };
            let Ok(raw) = self.read_desc(self.rx.base, i) else {
                // Our own coherent memory refused a CPU read: nothing to
                // clean safely; a reset rebuilds the ring.
                self.reset_pending = Some(ResetReason::BadDevice);
                break;
            };
            let d = RxDesc::new_unchecked(&raw[..]);
            if !d.dd() {
                break;
            }
            trace!(target: "journey", layer = "driver", event = "rx_desc", idx = i,
                   len = d.length(), eop = d.eop(), ns = self.plat.now().as_nanos(),
                   desc = ring::desc_addr(self.rx.base, i).map_or(0, |a| a.0), buf = addr.0);
            // The buffer is the device's until DD; from here it is ours.
            self.rx.bufs[usize::from(i)] = None;
            self.rx.next_to_clean = ring::next(i, self.rx.count);
            self.st.rx_descriptors += 1;
            work += 1;

            let len = usize::from(d.length());
            let part = self.rx_partial.get_or_insert_with(|| RxPartial {
                data: std::mem::take(&mut self.rx_spare),
                discard: None,
            });
            if part.discard.is_none() {
                if len == 0 || len > self.rx_buf_len {
                    part.discard = Some(RxDrop::Length);
                } else if d.errors() & (rx::ERR_CE | rx::ERR_RXE) != 0 {
                    part.discard = Some(RxDrop::Errors);
                } else if part.data.len() + len > MAX_LONG_FRAME {
                    part.discard = Some(RxDrop::Oversize);
                } else {
                    let at = part.data.len();
                    part.data.resize(at + len, 0);
                    if self.dma.read(addr, &mut part.data[at..]).is_err() {
                        part.discard = Some(RxDrop::Dma);
                    }
                }
            }
            let _ = self
                .dma
                .unmap(addr, self.rx_buf_len, DmaDirection::FromDevice);
            if !d.eop() {
                continue;
            }
            let Some(mut part) = self.rx_partial.take() else {
                continue;
            };
            match part.discard {
                Some(RxDrop::Length) => self.st.rx_dropped_length += 1,
                Some(RxDrop::Errors) => self.st.rx_dropped_errors += 1,
                Some(RxDrop::Oversize) => self.st.rx_dropped_oversize += 1,
                Some(RxDrop::Dma) => self.st.rx_dropped_dma += 1,
                None => self.deliver(&part.data, &d),
            }
            part.data.clear();
            self.rx_spare = part.data;
        }
        work
    }

    fn deliver(&mut self, data: &[u8], eop: &RxDesc<&[u8]>) {
        if self.rx_queue.len() >= self.cfg.rx_backlog {
            self.st.rx_dropped_backlog += 1;
            return;
        }
        let len = data.len();
        let mut pkt = PacketBuf::from_slice(0, data);
        let now = self.plat.now();
        let meta = pkt.meta_mut();
        *meta = PacketMeta {
            iface: self.cfg.iface,
            timestamp: now,
            ..PacketMeta::default()
        };
        // 8254x 3.2.3.1: the packet checksum field is always valid (summed
        // from RXCSUM.PCSS); IXSM only concerns the IP/TCP checksum status
        // bits, which this NIC does not have.
        meta.rx_checksum = RxChecksum::Complete {
            start: u16::from(self.cfg.rx_csum_start),
            sum: eop.csum(),
        };
        self.st.rx_csum += 1;
        self.st.rx_packets += 1;
        self.rx_delivered += 1;
        // The n-th delivery is the n-th packet the device's receive() hands
        // up: the host matches it to its packet id (nicsim journey).
        trace!(target: "journey", layer = "driver", event = "rx_deliver", n = self.rx_delivered,
               ns = now.as_nanos(), len);
        self.st.rx_bytes += len as u64;
        self.rx_queue.push_back(pkt);
    }

    // ---------------------------------------------------- interrupt, NAPI

    /// The interrupt handler (e1000_intr): read ICR (which clears it); if
    /// nothing is pending the interrupt was not ours. Otherwise mask every
    /// cause with IMC, note link and error causes, and schedule the poll.
    pub fn interrupt(&mut self) -> bool {
        let icr = Icr(self.regs.read32(reg::ICR));
        trace!(target: "journey", layer = "driver", event = "icr_read", icr = icr.bits(),
               ns = self.plat.now().as_nanos());
        if icr.is_empty() {
            self.st.interrupts_spurious += 1;
            return false;
        }
        self.st.interrupts += 1;
        trace!(target: "journey", layer = "driver", event = "interrupt", icr = icr.bits(),
               ns = self.plat.now().as_nanos());
        self.irq_disable();
        self.handle_causes(icr);
        self.napi_scheduled = true;
        true
    }

    fn handle_causes(&mut self, icr: Icr) {
        if icr.contains(Icr::LSC) {
            let s = Status(self.regs.read32(reg::STATUS));
            self.set_link(s.contains(Status::LU));
        }
        if icr.contains(Icr::RXO) {
            self.st.rx_overruns += 1;
        }
        if icr.contains(Icr::RXDMT0) {
            self.st.rx_descriptor_low += 1;
        }
        if icr.contains(Icr::DMAERR) {
            self.st.dma_errors += 1;
            let status = Dmaerr(self.regs.read32(reg::DMAERR));
            let lo = u64::from(self.regs.read32(reg::DMAERR_ADDRL));
            let hi = u64::from(self.regs.read32(reg::DMAERR_ADDRH));
            let rep = DmaErrorReport {
                status,
                addr: lo | (hi << 32),
                at: self.plat.now(),
            };
            debug!(target: "driver", ?rep, "DMA error");
            self.last_dma_error = Some(rep);
            self.reset_pending = Some(ResetReason::DmaError);
        }
    }

    /// The NAPI poll (e1000_poll): clean TX, clean RX up to `budget`,
    /// refill; when less than the budget was done, complete and unmask
    /// with IMS. Returns the RX work done.
    pub fn poll(&mut self, budget: usize) -> usize {
        self.st.napi_polls += 1;
        let start = self.plat.now().as_nanos();
        let work = self.poll_once(budget);
        trace!(target: "journey", layer = "driver", event = "napi_poll", work, budget,
               ns = start, end_ns = self.plat.now().as_nanos());
        if work < budget {
            self.napi_scheduled = false;
            self.st.napi_complete += 1;
            if self.cfg.mode == IrqMode::Interrupt && !self.down {
                self.irq_enable();
            }
        }
        work
    }

    fn poll_once(&mut self, budget: usize) -> usize {
        if let Some(reason) = self.reset_pending.take() {
            let _ = self.reset(reason);
        }
        if self.down {
            return 0;
        }
        self.clean_tx();
        let work = self.clean_rx(budget);
        self.alloc_rx_buffers();
        work
    }

    /// Busy polling without interrupts: look at ICR for link and error
    /// causes (the line itself stays masked), then clean and refill as a
    /// poll does. Returns the RX work done.
    pub fn busy_poll(&mut self, budget: usize) -> usize {
        self.st.busy_polls += 1;
        let icr = Icr(self.regs.read32(reg::ICR));
        if !icr.is_empty() {
            self.handle_causes(icr);
        }
        self.poll_once(budget)
    }

    /// One round of the host's interrupt and softirq work: in interrupt
    /// mode, take the interrupt if the line is up, then poll with the
    /// configured budget while the poll stays scheduled (at most
    /// [`SERVICE_MAX_POLLS`] polls; the rest waits for the next call). In
    /// busy-poll mode, one busy poll. Returns the RX work done.
    pub fn service(&mut self) -> usize {
        let budget = self.cfg.budget;
        match self.cfg.mode {
            IrqMode::BusyPoll => self.busy_poll(budget),
            IrqMode::Interrupt => {
                if !self.napi_scheduled && self.plat.irq_asserted() {
                    self.interrupt();
                }
                let mut total = 0;
                let mut polls = 0;
                while self.napi_scheduled && polls < SERVICE_MAX_POLLS {
                    total += self.poll(budget);
                    polls += 1;
                }
                total
            }
        }
    }

    /// The periodic watchdog (e1000_watchdog): accumulate statistics and
    /// check that the TX head moves while frames are pending and the link
    /// is up; after [`Config::tx_timeout`] of simulated time without
    /// progress, reset the NIC. Call it from a timer (every millisecond
    /// or so of simulated time).
    pub fn watchdog(&mut self) {
        if self.down {
            return;
        }
        self.update_stats();
        // e1000_watchdog also looks at the link; and a receive queue the
        // NIC stopped on a bus error (its interrupt lost) shows here.
        let status = Status(self.regs.read32(reg::STATUS));
        if status.contains(Status::LU) != self.link_up {
            self.set_link(status.contains(Status::LU));
        }
        if status.contains(Status::RXSTOP) {
            self.st.rx_stopped_seen += 1;
            let _ = self.reset(ResetReason::DmaError);
            return;
        }
        let now = self.plat.now();
        if !self.tx.pending() || !self.link_up {
            self.wd_progress = now;
            return;
        }
        let head = self.regs.read32(reg::TDH);
        let Ok(head) = u16::try_from(head) else {
            let _ = self.reset(ResetReason::BadDevice);
            return;
        };
        if head >= self.tx.count {
            let _ = self.reset(ResetReason::BadDevice);
            return;
        }
        // Frames the NIC finished but nobody cleaned are not a hang.
        self.clean_tx();
        if head != self.wd_head || self.tx.next_to_clean != self.wd_clean || !self.tx.pending() {
            self.wd_head = head;
            self.wd_clean = self.tx.next_to_clean;
            self.wd_progress = now;
            return;
        }
        if now.saturating_since(self.wd_progress) >= self.cfg.tx_timeout {
            self.st.tx_timeouts += 1;
            debug!(target: "driver", head, pending_from = self.tx.next_to_clean, "TX timeout");
            let _ = self.reset(ResetReason::TxTimeout);
        }
    }

    // ----------------------------------------------------------- recovery

    /// Reset the NIC and restore its configuration: accumulate the
    /// statistics the reset would clear, reset with a bounded wait, count
    /// and release every frame in flight, clear the rings and program
    /// everything again.
    pub fn reset(&mut self, reason: ResetReason) -> Result<(), ResetError> {
        self.st.resets += 1;
        match reason {
            ResetReason::DmaError => self.st.resets_dma_error += 1,
            ResetReason::TxTimeout => self.st.resets_tx_timeout += 1,
            ResetReason::Reconfigure => self.st.resets_reconfigure += 1,
            ResetReason::BadDevice => self.st.resets_bad_device += 1,
        }
        debug!(target: "driver", ?reason, "reset");
        self.reset_with(None)
    }

    /// The reset itself, optionally switching to a new (checked)
    /// configuration while the NIC is quiet.
    fn reset_with(&mut self, new: Option<(Config, usize)>) -> Result<(), ResetError> {
        self.irq_disable();
        hw_quiesce(&mut self.regs, &mut self.plat);
        self.update_stats();
        let res = hw_reset(&mut self.regs, &mut self.plat, self.cfg.reset_timeout);
        // Frames the NIC reported done were fetched into its TX FIFO; those
        // the MAC had not sent (TPT) or dropped itself (TXDROPC) when
        // TCTL.EN fell are flushed by the reset: dropped, and counted.
        self.clean_tx();
        let hw_tx = self.hw.tpt.wrapping_add(self.hw.txdropc);
        let handled = hw_tx.wrapping_sub(self.tx_hw_base);
        self.st.tx_dropped_reset += self.tx_done_epoch.saturating_sub(handled);
        self.tx_done_epoch = 0;
        self.tx_hw_base = hw_tx;
        // Buffers are released after the reset attempt, when the NIC no
        // longer owns them.
        self.release_buffers();
        self.napi_scheduled = false;
        self.reset_pending = None;
        self.down = true;
        if let Some((cfg, rx_buf_len)) = new {
            if cfg.tx_ring != self.tx.count {
                let _ = self.dma.free_coherent(self.tx.base, self.tx.bytes());
                self.tx = alloc_tx(&mut self.dma, cfg.tx_ring).map_err(ResetError::Dma)?;
            }
            if cfg.rx_ring != self.rx.count {
                let _ = self.dma.free_coherent(self.rx.base, self.rx.bytes());
                self.rx = alloc_rx(&mut self.dma, cfg.rx_ring).map_err(ResetError::Dma)?;
            }
            if let Some(m) = cfg.mac {
                self.mac = m;
            }
            self.cfg = cfg;
            self.rx_buf_len = rx_buf_len;
        }
        if res.is_err() {
            self.st.reset_failures += 1;
            return Err(ResetError::Timeout);
        }
        self.zero_ring(self.tx.base, self.tx.bytes())
            .and_then(|()| self.zero_ring(self.rx.base, self.rx.bytes()))
            .and_then(|()| self.configure())
            .map_err(ResetError::Dma)?;
        self.down = false;
        if self.queue_stopped {
            self.queue_stopped = false;
            self.st.tx_queue_wakes += 1;
        }
        Ok(())
    }

    fn zero_ring(&mut self, base: DmaAddr, len: usize) -> Result<(), DmaError> {
        self.dma.write(base, &vec![0u8; len])
    }

    /// Unmap every buffer; frames in the TX ring and a partly received
    /// frame are counted as dropped.
    fn release_buffers(&mut self) {
        for slot in self.tx.bufs.iter_mut() {
            if let Some(b) = slot.take() {
                let _ = self.dma.unmap(b.addr, b.len, DmaDirection::ToDevice);
                if b.frame_len > 0 {
                    self.st.tx_dropped_reset += 1;
                }
            }
        }
        self.tx.next_to_use = 0;
        self.tx.next_to_clean = 0;
        for slot in self.rx.bufs.iter_mut() {
            if let Some(a) = slot.take() {
                let _ = self.dma.unmap(a, self.rx_buf_len, DmaDirection::FromDevice);
            }
        }
        self.rx.next_to_use = 0;
        self.rx.next_to_clean = 0;
        if self.rx_partial.take().is_some() {
            self.st.rx_dropped_reset += 1;
        }
    }

    // ------------------------------------------------------ configuration

    /// Change ring sizes (`ethtool -G`): the NIC is reset and reprogrammed;
    /// frames in flight are dropped and counted.
    pub fn set_ring_sizes(&mut self, tx: u16, rx: u16) -> Result<(), ReconfigureError> {
        let mut cfg = self.cfg.clone();
        cfg.tx_ring = tx;
        cfg.rx_ring = rx;
        self.reconfigure(cfg)
    }

    /// Change the MTU (`ip link set mtu`): receive buffer size and RCTL.LPE
    /// follow; the NIC is reset and reprogrammed as e1000_change_mtu does.
    pub fn set_mtu(&mut self, mtu: usize) -> Result<(), ReconfigureError> {
        let mut cfg = self.cfg.clone();
        cfg.mtu = mtu;
        self.reconfigure(cfg)
    }

    /// Apply a configuration that needs the rings rebuilt. A configuration
    /// the hardware cannot take is refused before anything changes.
    pub fn reconfigure(&mut self, cfg: Config) -> Result<(), ReconfigureError> {
        let rx_buf_len = check_config(&cfg).map_err(ReconfigureError::Config)?;
        self.st.resets += 1;
        self.st.resets_reconfigure += 1;
        self.reset_with(Some((cfg, rx_buf_len)))
            .map_err(ReconfigureError::Reset)
    }

    /// Set interrupt moderation (`ethtool -C`); takes effect at once.
    pub fn set_coalesce(&mut self, c: Coalesce) {
        self.cfg.coalesce = c;
        self.regs.write32(reg::ITR, u32::from(c.itr));
        self.regs.write32(reg::RDTR, u32::from(c.rdtr));
        self.regs.write32(reg::RADV, u32::from(c.radv));
        self.regs.write32(reg::TIDV, u32::from(c.tidv));
        self.regs.write32(reg::TADV, u32::from(c.tadv));
    }

    /// `dev_set_promiscuity(dev, inc)`: a reference count; the NIC is
    /// promiscuous (RCTL.UPE and MPE) while it is above zero.
    pub fn promiscuity(&mut self, inc: i32) -> Result<u32, ConfigError> {
        let n = i64::from(self.promisc) + i64::from(inc);
        let n = u32::try_from(n).map_err(|_| ConfigError::PromiscUnderflow)?;
        self.promisc = n;
        self.regs.write32(reg::RCTL, self.rctl().bits());
        Ok(n)
    }

    /// `dev_set_allmulti(dev, inc)`: every multicast frame (RCTL.MPE) while
    /// the count is above zero.
    pub fn allmulti(&mut self, inc: i32) -> Result<u32, ConfigError> {
        let n = i64::from(self.allmulti) + i64::from(inc);
        let n = u32::try_from(n).map_err(|_| ConfigError::PromiscUnderflow)?;
        self.allmulti = n;
        self.regs.write32(reg::RCTL, self.rctl().bits());
        Ok(n)
    }

    /// Replace the multicast list (ndo_set_rx_mode): each address sets one
    /// MTA bit (the e1000_hash_mc_addr hash with RCTL.MO = 0).
    pub fn set_multicast_list(&mut self, list: &[[u8; 6]]) -> Result<(), ConfigError> {
        if let Some(a) = list.iter().find(|a| a[0] & 1 == 0) {
            return Err(ConfigError::NotMulticast(*a));
        }
        self.mc_list = list.to_vec();
        self.write_mta();
        Ok(())
    }

    /// Change the MAC address (RAL0/RAH0 with AV).
    pub fn set_mac(&mut self, mac: [u8; 6]) -> Result<(), ConfigError> {
        if !valid_unicast(&mac) {
            return Err(ConfigError::InvalidMac(mac));
        }
        self.mac = mac;
        self.cfg.mac = Some(mac);
        self.regs
            .write32(ral(0), u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]));
        let v = Rah::AV.with(Rah::ADDR, u32::from(u16::from_le_bytes([mac[4], mac[5]])));
        self.regs.write32(rah(0), v.bits());
        Ok(())
    }

    // ------------------------------------------------------------ queries

    /// Read the NIC's clear-on-read counters into the 64-bit totals.
    pub fn update_stats(&mut self) {
        self.hw.accumulate(&mut self.regs);
    }

    /// Totals so far (hardware counters as of the last
    /// [`Nic::update_stats`], watchdog or reset).
    pub fn stats(&self) -> Stats {
        Stats {
            hw: self.hw,
            driver: self.st,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }
    pub fn link_up(&self) -> bool {
        self.link_up
    }
    /// The TX queue is stopped for lack of descriptors.
    pub fn queue_stopped(&self) -> bool {
        self.queue_stopped
    }
    pub fn napi_scheduled(&self) -> bool {
        self.napi_scheduled
    }
    /// The driver unmasked interrupts and has not masked them since.
    pub fn irq_enabled(&self) -> bool {
        self.irq_enabled
    }
    /// A reset failed; the NIC is down until the next successful
    /// [`Nic::reset`] or [`Nic::reconfigure`].
    pub fn is_down(&self) -> bool {
        self.down
    }
    pub fn last_dma_error(&self) -> Option<DmaErrorReport> {
        self.last_dma_error
    }
    /// Frames waiting in the TX ring for completion.
    pub fn tx_in_flight(&self) -> usize {
        self.tx
            .bufs
            .iter()
            .flatten()
            .filter(|b| b.frame_len > 0)
            .count()
    }
    /// Frames received and waiting for the stack.
    pub fn rx_queued(&self) -> usize {
        self.rx_queue.len()
    }
    /// Receive buffer size in use.
    pub fn rx_buffer_len(&self) -> usize {
        self.rx_buf_len
    }
    /// Take one received frame.
    pub fn pop_rx(&mut self) -> Option<PacketBuf> {
        self.rx_queue.pop_front()
    }
    pub fn regs_mut(&mut self) -> &mut R {
        &mut self.regs
    }
    pub fn dma_mut(&mut self) -> &mut D {
        &mut self.dma
    }
    pub fn platform_mut(&mut self) -> &mut P {
        &mut self.plat
    }

    /// Shut down (e1000_remove): mask interrupts, reset the NIC, unmap every
    /// buffer, free the rings, and hand the HAL objects back.
    pub fn remove(mut self) -> (R, D, P) {
        self.irq_disable();
        hw_quiesce(&mut self.regs, &mut self.plat);
        self.update_stats();
        let _ = hw_reset(&mut self.regs, &mut self.plat, self.cfg.reset_timeout);
        self.release_buffers();
        let _ = self.dma.free_coherent(self.tx.base, self.tx.bytes());
        let _ = self.dma.free_coherent(self.rx.base, self.rx.bytes());
        (self.regs, self.dma, self.plat)
    }
}

/// Wire time of the longest frame the NIC can be sending: preamble and SFD,
/// the frame with FCS, the inter-frame gap, at 8 ns per byte (1000BASE-T).
pub(crate) const MAX_FRAME_WIRE_NS: u64 = (8 + MAX_LONG_FRAME as u64 + 12) * 8;

/// First half of e1000_reset_hw: mask interrupts, stop the receiver and
/// transmitter, and let a frame already on the wire finish (TCTL.EN = 0
/// starts no new frame; e1000 sleeps for this). Without the wait the reset
/// would cut the frame short: the peer would see a runt with a bad FCS,
/// lost without being counted. The statistics are final after this.
fn hw_quiesce<R: RegisterAccess, P: Platform>(regs: &mut R, plat: &mut P) {
    regs.write32(reg::IMC, u32::MAX);
    regs.write32(reg::RCTL, 0);
    regs.write32(reg::TCTL, 0);
    plat.delay_ns(MAX_FRAME_WIRE_NS);
}

/// Second half of e1000_reset_hw, after [`hw_quiesce`]: set CTRL.RST and
/// wait (bounded, in steps of 1 us of simulated time) until it self-clears;
/// then mask again and clear pending causes.
fn hw_reset<R: RegisterAccess, P: Platform>(
    regs: &mut R,
    plat: &mut P,
    timeout: Duration,
) -> Result<(), ResetError> {
    const STEP_NS: u64 = 1_000;
    let ctrl = Ctrl(regs.read32(reg::CTRL));
    regs.write32(reg::CTRL, (ctrl | Ctrl::RST).bits());
    let steps = (timeout.as_nanos() / STEP_NS).max(1);
    let mut cleared = false;
    for _ in 0..steps {
        plat.delay_ns(STEP_NS);
        if !Ctrl(regs.read32(reg::CTRL)).contains(Ctrl::RST) {
            cleared = true;
            break;
        }
    }
    if !cleared {
        return Err(ResetError::Timeout);
    }
    regs.write32(reg::IMC, u32::MAX);
    let _ = regs.read32(reg::ICR);
    Ok(())
}

fn alloc_tx<D: DmaMemory>(dma: &mut D, count: u16) -> Result<TxRing, DmaError> {
    let bytes = usize::from(count) * DESC_LEN;
    let base = dma.alloc_coherent(bytes, 128)?;
    Ok(TxRing {
        base,
        count,
        next_to_use: 0,
        next_to_clean: 0,
        bufs: vec![None; usize::from(count)],
    })
}

fn alloc_rx<D: DmaMemory>(dma: &mut D, count: u16) -> Result<RxRing, DmaError> {
    let bytes = usize::from(count) * DESC_LEN;
    let base = dma.alloc_coherent(bytes, 128)?;
    Ok(RxRing {
        base,
        count,
        next_to_use: 0,
        next_to_clean: 0,
        bufs: vec![None; usize::from(count)],
    })
}

impl<R: RegisterAccess, D: DmaMemory, P: Platform> Device for Nic<R, D, P> {
    fn caps(&self) -> DeviceCaps {
        DeviceCaps {
            mtu: self.cfg.mtu,
            tx_checksum: true,
            rx_checksum: true,
            mac: self.mac,
        }
    }

    fn transmit(&mut self, _now: Instant, frame: PacketBuf) -> Result<(), TxBusy> {
        if self.cfg.mode == IrqMode::BusyPoll && self.queue_stopped {
            self.clean_tx();
        }
        self.xmit(frame)
    }

    fn receive(&mut self, _now: Instant) -> Option<PacketBuf> {
        if self.rx_queue.is_empty() && self.cfg.mode == IrqMode::BusyPoll {
            self.busy_poll(self.cfg.budget);
        }
        self.rx_queue.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rx_buffer_sizes_follow_the_mtu() {
        assert_eq!(rx_buffer_for(1500), 2048);
        assert_eq!(rx_buffer_for(1000), 1024);
        assert_eq!(rx_buffer_for(2030), 2048);
        assert_eq!(rx_buffer_for(2031), 4096);
        assert_eq!(rx_buffer_for(9000), 16384);
        assert_eq!(rx_buffer_for(MAX_MTU), 16384);
    }

    #[test]
    fn config_checks() {
        let ok = Config::default();
        assert_eq!(check_config(&ok), Ok(2048));
        let bad = Config {
            tx_ring: 100,
            ..Config::default()
        };
        assert_eq!(
            check_config(&bad),
            Err(ConfigError::RingSize(BadRingSize(100)))
        );
        let bad = Config {
            mtu: 67,
            ..Config::default()
        };
        assert_eq!(check_config(&bad), Err(ConfigError::Mtu { mtu: 67 }));
        let bad = Config {
            rx_buffer: Some(1500),
            ..Config::default()
        };
        assert_eq!(check_config(&bad), Err(ConfigError::RxBufferSize(1500)));
        let bad = Config {
            mac: Some([1, 0, 0, 0, 0, 0]),
            ..Config::default()
        };
        assert!(matches!(
            check_config(&bad),
            Err(ConfigError::InvalidMac(_))
        ));
        let bad = Config {
            budget: 0,
            ..Config::default()
        };
        assert_eq!(check_config(&bad), Err(ConfigError::Budget));
    }

    #[test]
    fn ones_sum_rfc1071_example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(
            ones_sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
        assert_eq!(ones_sum(&[0xff]), 0xff00);
    }
}
