//! Run one program on the reference model and on a device under test and
//! compare them after every operation (docs/fuzzing.md).
//!
//! The harness plays the driver: it owns the memory layout (rings and
//! buffers at fixed addresses, identical on both sides), the software
//! tails, and writes descriptors and registers the same way to both. After
//! each operation both sides settle, then it compares the frames on the
//! wire, every mapped byte of memory (descriptor write-backs and receive
//! buffers), TDH/RDH, the interrupt line, any register the operation read,
//! and the sanitizer's verdict. When the reference model meets a case the
//! specification leaves undefined, or a bus error, the run becomes
//! "relaxed" until the next reset: then only no hang and no device write
//! outside the mappings are required.

use driver::desc::{RxDescRepr, TxDescRepr, tx};
use driver::hal::DmaDirection;
use driver::regs::{Dmaerr, Rah, Rctl, Rdtr, Status, Tctl, mta, mta_hash, rah, ral, reg};
use sim::hostmem::{Access, RegionKind};
use sim::model::RxFrame;
use sim::model::mac::with_fcs;

use super::dut::{Dut, ModelDut};
use super::ops::{
    ALT_MAC, Dest, Flaw, FrameSpec, GROUP, OUR_MAC, Op, Program, RctlBits, RegRead, RegWrite,
    Setup, TX_BUF_SIZE, Target, TxDescSpec,
};

/// Where and why the device under test differed from the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Index of the operation after which they differed (`None`: set-up
    /// or the final comparison).
    pub op: Option<usize>,
    pub detail: String,
}

impl core::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.op {
            Some(i) => write!(f, "after op {i}: {}", self.detail),
            None => write!(f, "{}", self.detail),
        }
    }
}

impl std::error::Error for Mismatch {}

/// What a run exercised (so that tests can assert the generator reaches
/// the interesting cases).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Why runs became relaxed, by reason (first word group), with counts.
    pub relaxed_by: std::collections::BTreeMap<String, u64>,
    pub programs: u64,
    pub ops: u64,
    /// Operations compared in full (not relaxed).
    pub compared: u64,
    pub tx_frames: u64,
    pub rx_delivered: u64,
    pub relaxed_runs: u64,
    pub dma_errors: u64,
    pub undefined: u64,
    pub resets: u64,
    pub tx_wraps: u64,
    pub rx_wraps: u64,
    pub multi_desc_tx: u64,
    pub multi_desc_rx: u64,
    /// TX frames too long for the TX FIFO (dropped, TXDROPC).
    pub tx_fifo_drops: u64,
    /// TX frames whose checksum insertion was skipped (TXCSKIPC).
    pub tx_csum_skips: u64,
}

impl Summary {
    pub fn add(&mut self, o: &Summary) {
        self.programs += o.programs;
        self.ops += o.ops;
        self.compared += o.compared;
        self.tx_frames += o.tx_frames;
        self.rx_delivered += o.rx_delivered;
        self.relaxed_runs += o.relaxed_runs;
        self.dma_errors += o.dma_errors;
        self.undefined += o.undefined;
        self.resets += o.resets;
        self.tx_wraps += o.tx_wraps;
        self.rx_wraps += o.rx_wraps;
        self.multi_desc_tx += o.multi_desc_tx;
        self.multi_desc_rx += o.multi_desc_rx;
        self.tx_fifo_drops += o.tx_fifo_drops;
        self.tx_csum_skips += o.tx_csum_skips;
        for (k, v) in &o.relaxed_by {
            *self.relaxed_by.entry(k.clone()).or_insert(0) += v;
        }
    }
}

/// Deterministic buffer contents.
fn pattern(seed: u8, i: usize) -> u8 {
    (usize::from(seed).wrapping_mul(31) ^ i.wrapping_mul(7) ^ (i >> 8)) as u8
}

fn rctl_value(bits: RctlBits, rx_buf: u16) -> u32 {
    let mut r = Rctl::empty();
    r.set(Rctl::EN, bits.en);
    r.set(Rctl::SBP, bits.sbp);
    r.set(Rctl::UPE, bits.upe);
    r.set(Rctl::MPE, bits.mpe);
    r.set(Rctl::LPE, bits.lpe);
    r.set(Rctl::BAM, bits.bam);
    r.set(Rctl::SECRC, bits.secrc);
    let r = r
        .with(Rctl::MO, u32::from(bits.mo))
        .with(Rctl::RDMTS, u32::from(bits.rdmts));
    driver::regs::rctl_bsize(r, usize::from(rx_buf))
        .unwrap_or(r)
        .bits()
}

/// The frame a [`FrameSpec`] describes, as it arrives (FCS included).
pub fn build_frame(spec: &FrameSpec) -> RxFrame {
    let da = match spec.dest {
        Dest::Ours => OUR_MAC,
        Dest::Alt => ALT_MAC,
        Dest::Broadcast => [0xff; 6],
        Dest::Group => GROUP,
        Dest::OtherGroup => [0x01, 0x00, 0x5e, 0x7f, 0x12, 0x34],
        Dest::Stranger => [0x02, 0x99, 0x88, 0x77, 0x66, 0x55],
    };
    let len = usize::from(spec.len).max(14);
    let mut f = Vec::with_capacity(len + 4);
    f.extend_from_slice(&da);
    f.extend_from_slice(&[0x02, 0x53, 0x52, 0x43, 0x00, spec.seed]);
    f.extend_from_slice(&[0x88, 0xb5]);
    while f.len() < len {
        f.push(pattern(spec.seed, f.len()));
    }
    let mut bytes = with_fcs(&f);
    if spec.flaw == Flaw::BadFcs
        && let Some(b) = bytes.last_mut()
    {
        *b ^= 0x40;
    }
    RxFrame {
        bytes,
        rx_er: spec.flaw == Flaw::RxEr,
    }
}

struct Run<'a> {
    setup: &'a Setup,
    reference: ModelDut,
    dut: &'a mut dyn Dut,
    tx_ring: u64,
    rx_ring: u64,
    tx_bufs: Vec<u64>,
    rx_bufs: Vec<u64>,
    tx_tail: u32,
    rx_tail: u32,
    /// Why comparisons are relaxed until the next reset.
    relaxed: Option<String>,
    ref_violations: usize,
    dut_violations: usize,
    summary: Summary,
    /// Reference DMA-error state seen so far (to notice a new one).
    ref_stopped: (bool, bool),
}

impl<'a> Run<'a> {
    fn both(&mut self, f: impl Fn(&mut dyn Dut)) {
        f(&mut self.reference);
        f(self.dut);
    }

    fn regions(&self) -> Vec<(String, u64, usize, RegionKind)> {
        let s = self.setup;
        let mut v = vec![
            (
                "TX ring".to_string(),
                self.tx_ring,
                usize::from(s.tx_slots) * 16,
                RegionKind::Coherent,
            ),
            (
                "RX ring".to_string(),
                self.rx_ring,
                usize::from(s.rx_slots) * 16,
                RegionKind::Coherent,
            ),
        ];
        for (i, &a) in self.tx_bufs.iter().enumerate() {
            v.push((
                format!("TX buffer {i}"),
                a,
                usize::from(TX_BUF_SIZE),
                RegionKind::Streaming(DmaDirection::ToDevice),
            ));
        }
        for (i, &a) in self.rx_bufs.iter().enumerate() {
            v.push((
                format!("RX buffer {i}"),
                a,
                usize::from(s.rx_buf),
                RegionKind::Streaming(DmaDirection::FromDevice),
            ));
        }
        v
    }

    /// Allocate every region on the device under test (its allocator
    /// picks the addresses) and map the reference at the same addresses.
    /// Rings get `offset` spare bytes in front, to vary their alignment.
    fn map_all(&mut self) -> Result<(), Mismatch> {
        let s = self.setup;
        let err = |name: &str, e: super::dut::DutError| Mismatch {
            op: None,
            detail: format!("mapping {name}: {e}"),
        };
        let place = |r: &mut Self, name: &str, len: usize, kind: RegionKind| {
            let a = r.dut.alloc(len, kind).map_err(|e| err(name, e))?;
            r.reference.map_at(a, len, kind).map_err(|e| err(name, e))?;
            Ok::<u64, Mismatch>(a)
        };
        let txo = usize::from(s.tx_ring_offset & !15);
        let rxo = usize::from(s.rx_ring_offset & !15);
        let t = place(
            self,
            "TX ring",
            txo + usize::from(s.tx_slots) * 16,
            RegionKind::Coherent,
        )?;
        self.tx_ring = t + txo as u64;
        let r = place(
            self,
            "RX ring",
            rxo + usize::from(s.rx_slots) * 16,
            RegionKind::Coherent,
        )?;
        self.rx_ring = r + rxo as u64;
        for _ in 0..s.tx_slots {
            let a = place(
                self,
                "TX buffer",
                usize::from(TX_BUF_SIZE),
                RegionKind::Streaming(DmaDirection::ToDevice),
            )?;
            self.tx_bufs.push(a);
        }
        for _ in 0..s.rx_slots {
            let a = place(
                self,
                "RX buffer",
                usize::from(s.rx_buf),
                RegionKind::Streaming(DmaDirection::FromDevice),
            )?;
            self.rx_bufs.push(a);
        }
        Ok(())
    }

    /// Zero every region and write the RX descriptors (buffer addresses),
    /// as a driver does when it (re)allocates its rings.
    fn init_memory(&mut self) {
        for (_, addr, len, _) in self.regions() {
            let zeros = vec![0u8; len];
            self.both(|d| d.cpu_write(addr, &zeros));
        }
        for i in 0..u32::from(self.setup.rx_slots) {
            let d = RxDescRepr {
                addr: self.rx_bufs[i as usize],
                ..Default::default()
            };
            let at = self.rx_ring + u64::from(i) * 16;
            self.both(|x| x.cpu_write(at, &d.to_bytes()));
        }
    }

    fn program_registers(&mut self) {
        let s = self.setup;
        let w = |r: &mut Self, off: u32, v: u32| r.both(|d| d.write32(off, v));
        let mac_lo = |m: [u8; 6]| u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
        let mac_hi = |m: [u8; 6]| u32::from(u16::from_le_bytes([m[4], m[5]]));
        w(self, ral(0), mac_lo(OUR_MAC));
        w(self, rah(0), mac_hi(OUR_MAC) | Rah::AV.bits());
        w(self, ral(1), mac_lo(ALT_MAC));
        let av1 = if s.alt_valid { Rah::AV.bits() } else { 0 };
        w(self, rah(1), mac_hi(ALT_MAC) | av1);
        if s.group_hashed {
            let h = u32::from(mta_hash(&GROUP, u32::from(s.rctl.mo)));
            w(self, mta(h >> 5), 1 << (h & 31));
        }
        w(self, reg::TDBAL, self.tx_ring as u32);
        w(self, reg::TDBAH, (self.tx_ring >> 32) as u32);
        w(self, reg::TDLEN, u32::from(s.tx_slots) * 16);
        w(self, reg::TDH, 0);
        w(self, reg::TDT, 0);
        w(self, reg::RDBAL, self.rx_ring as u32);
        w(self, reg::RDBAH, (self.rx_ring >> 32) as u32);
        w(self, reg::RDLEN, u32::from(s.rx_slots) * 16);
        w(self, reg::RDH, 0);
        w(self, reg::RDT, 0);
        w(self, reg::RXCSUM, u32::from(s.pcss));
        w(self, reg::ITR, u32::from(s.itr));
        w(self, reg::RDTR, u32::from(s.rdtr));
        w(self, reg::RADV, u32::from(s.radv));
        w(self, reg::TIDV, u32::from(s.tidv));
        w(self, reg::TADV, u32::from(s.tadv));
        w(self, reg::IMS, s.ims);
        let mut tctl = Tctl::EN;
        tctl.set(Tctl::PSP, s.psp);
        w(self, reg::TCTL, tctl.bits());
        w(self, reg::RCTL, rctl_value(s.rctl, s.rx_buf));
        self.tx_tail = 0;
        self.rx_tail = u32::from(s.rx_initial) % u32::from(s.rx_slots);
        let t = self.rx_tail;
        w(self, reg::RDT, t);
    }

    fn relax(&mut self, why: String) {
        if self.relaxed.is_none() {
            self.summary.relaxed_runs += 1;
            let key: String = why
                .split(['{', '('])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            *self.summary.relaxed_by.entry(key).or_insert(0) += 1;
            self.relaxed = Some(why);
        }
    }

    /// Descriptors the NIC owns on the reference: TX (TDH..TDT), RX
    /// (RDH..RDT).
    fn owned(&mut self, q: Queue) -> (u32, u32, u32) {
        let (h, t, n) = match q {
            Queue::Tx => (
                self.reference.read32(reg::TDH),
                self.reference.read32(reg::TDT),
                u32::from(self.setup.tx_slots),
            ),
            Queue::Rx => (
                self.reference.read32(reg::RDH),
                self.reference.read32(reg::RDT),
                u32::from(self.setup.rx_slots),
            ),
        };
        (h, t, n)
    }

    /// Descriptors software may still hand to the NIC (one always stays
    /// empty so that a full ring is distinguishable from an empty one).
    fn free(&mut self, q: Queue) -> u32 {
        let (h, t, n) = self.owned(q);
        if h >= n || t >= n {
            return 0;
        }
        n - 1 - (t + n - h) % n
    }

    fn move_tx_tail(&mut self, k: u32) {
        let n = u32::from(self.setup.tx_slots);
        if self.tx_tail + k >= n {
            self.summary.tx_wraps += 1;
        }
        self.tx_tail = (self.tx_tail + k) % n;
        let t = self.tx_tail;
        self.both(|d| d.write32(reg::TDT, t));
    }

    /// Moving a tail forward by `k` must not pass the NIC's head: that
    /// hands back descriptors the NIC may already have fetched.
    fn check_tail_move(&mut self, q: Queue, k: u32) {
        let (h, t, n) = self.owned(q);
        if h >= n || t >= n {
            return; // already undefined on the reference
        }
        let owned = (t + n - h) % n;
        if k % n > n - 1 - owned {
            self.relax(format!("{q:?} tail moved past the head"));
        }
    }

    fn write_tx_desc(&mut self, slot: u32, d: &TxDescSpec) {
        let n = u32::from(self.setup.tx_slots);
        let slot = slot % n;
        let data: Vec<u8> = (0..usize::from(d.len.min(TX_BUF_SIZE)))
            .map(|i| pattern(d.seed, i))
            .collect();
        let buf = self.tx_bufs[slot as usize];
        self.both(|x| x.cpu_write(buf, &data));
        let mut cmd = 0;
        for (on, bit) in [
            (d.eop, tx::CMD_EOP),
            (d.ifcs, tx::CMD_IFCS),
            (d.ic, tx::CMD_IC),
            (d.rs, tx::CMD_RS),
            (d.ide, tx::CMD_IDE),
        ] {
            if on {
                cmd |= bit;
            }
        }
        let repr = TxDescRepr {
            addr: buf,
            length: d.len,
            cso: d.cso,
            cmd,
            sta: 0,
            css: d.css,
            special: 0,
        };
        let at = self.tx_ring + u64::from(slot) * 16;
        self.both(|x| x.cpu_write(at, &repr.to_bytes()));
    }

    fn refill_rx(&mut self, k: u32) {
        let n = u32::from(self.setup.rx_slots);
        for j in 0..k % n {
            let slot = (self.rx_tail + j) % n;
            let d = RxDescRepr {
                addr: self.rx_bufs[slot as usize],
                ..Default::default()
            };
            let at = self.rx_ring + u64::from(slot) * 16;
            self.both(|x| x.cpu_write(at, &d.to_bytes()));
        }
    }

    fn target_range(&self, t: Target) -> (u64, u64) {
        let s = self.setup;
        match t {
            Target::TxRing => (self.tx_ring, u64::from(s.tx_slots) * 16),
            Target::RxRing => (self.rx_ring, u64::from(s.rx_slots) * 16),
            Target::TxBuf(i) => (
                self.tx_bufs[usize::from(i % s.tx_slots)],
                u64::from(TX_BUF_SIZE),
            ),
            Target::RxBuf(i) => (
                self.rx_bufs[usize::from(i % s.rx_slots)],
                u64::from(s.rx_buf),
            ),
        }
    }

    fn apply(&mut self, op: &Op) -> Option<(u32, u32)> {
        let s = self.setup;
        let tx_n = u32::from(s.tx_slots);
        let rx_n = u32::from(s.rx_slots);
        match op {
            Op::TxPost { descs, bump } => {
                // Like a driver's transmit: when the chain does not fit in
                // the free descriptors the queue is busy and nothing is
                // written.
                if descs.len() as u32 > self.free(Queue::Tx) {
                    return None;
                }
                for (j, d) in descs.iter().enumerate() {
                    self.write_tx_desc(self.tx_tail + j as u32, d);
                }
                if descs.len() > 1 {
                    self.summary.multi_desc_tx += 1;
                }
                if *bump {
                    let k = descs.len() as u32;
                    self.move_tx_tail(k);
                }
            }
            Op::TxAdvance(k) => {
                // Hand over up to `k` more descriptors (whatever they hold),
                // never past the head.
                let k = u32::from(*k).min(self.free(Queue::Tx));
                self.move_tx_tail(k);
            }
            Op::TxTailRaw(v) => {
                let v = u32::from(*v);
                if v < tx_n {
                    self.check_tail_move(Queue::Tx, (v + tx_n - self.tx_tail) % tx_n);
                }
                self.tx_tail = v % tx_n;
                self.both(|d| d.write32(reg::TDT, v));
            }
            Op::RxAdvance(k) => {
                // A driver's refill: up to `k` cleaned descriptors, fresh.
                let k = u32::from(*k).min(self.free(Queue::Rx));
                self.refill_rx(k);
                if self.rx_tail + k >= rx_n {
                    self.summary.rx_wraps += 1;
                }
                self.rx_tail = (self.rx_tail + k) % rx_n;
                let t = self.rx_tail;
                self.both(|d| d.write32(reg::RDT, t));
            }
            Op::RxTailRaw(v) => {
                let v = u32::from(*v);
                if v < rx_n {
                    self.check_tail_move(Queue::Rx, (v + rx_n - self.rx_tail) % rx_n);
                }
                self.rx_tail = v % rx_n;
                self.both(|d| d.write32(reg::RDT, v));
            }
            Op::Arrive(spec) => {
                let f = build_frame(spec);
                self.both(|d| d.inject(&f));
            }
            Op::Write(w) => {
                let (off, v) = match *w {
                    RegWrite::Ims(m) => (reg::IMS, m),
                    RegWrite::Imc(m) => (reg::IMC, m),
                    RegWrite::Ics(m) => (reg::ICS, m),
                    RegWrite::Itr(v) => (reg::ITR, u32::from(v)),
                    RegWrite::Rdtr(v) => (reg::RDTR, u32::from(v)),
                    RegWrite::Radv(v) => (reg::RADV, u32::from(v)),
                    RegWrite::Tidv(v) => (reg::TIDV, u32::from(v)),
                    RegWrite::Tadv(v) => (reg::TADV, u32::from(v)),
                    RegWrite::Rctl(bits) => (reg::RCTL, rctl_value(bits, s.rx_buf)),
                    RegWrite::TxEnable(on) => {
                        let cur = Tctl(self.reference.read32(reg::TCTL));
                        let mut t = cur;
                        t.set(Tctl::EN, on);
                        (reg::TCTL, t.bits())
                    }
                    RegWrite::Psp(on) => {
                        let mut t = Tctl(self.reference.read32(reg::TCTL));
                        t.set(Tctl::PSP, on);
                        (reg::TCTL, t.bits())
                    }
                    RegWrite::FlushRxTimer => {
                        let cur = self.reference.read32(reg::RDTR);
                        (reg::RDTR, cur | Rdtr::FPD.bits())
                    }
                };
                self.both(|d| d.write32(off, v));
            }
            Op::Read(r) => {
                let (off, mask) = match *r {
                    RegRead::Icr => (reg::ICR, u32::MAX),
                    RegRead::Ims => (reg::IMS, u32::MAX),
                    RegRead::Status => (
                        reg::STATUS,
                        (Status::LU | Status::FD | Status::TXSTOP | Status::RXSTOP).bits()
                            | Status::SPEED.mask(),
                    ),
                    RegRead::Stat(o) => (o, u32::MAX),
                    RegRead::DmaErr => (reg::DMAERR, Dmaerr::VALID.bits() | Dmaerr::RXQ.bits()),
                };
                let a = self.reference.read32(off) & mask;
                let b = self.dut.read32(off) & mask;
                return Some((a, b));
            }
            Op::Reset { reprogram } => {
                self.summary.resets += 1;
                let rst = driver::regs::Ctrl::RST.bits();
                self.both(|d| {
                    d.write32(reg::CTRL, rst);
                    // Like a driver: wait (bounded) for RST to self-clear
                    // before touching the NIC again (8254x 13.4.1).
                    for _ in 0..1000 {
                        if d.read32(reg::CTRL) & rst == 0 {
                            break;
                        }
                        d.wait_ns(100);
                    }
                });
                self.relaxed = None;
                self.init_memory();
                self.tx_tail = 0;
                self.rx_tail = 0;
                if *reprogram {
                    self.program_registers();
                }
                // Discard what was on the wire before the reset in both.
                self.both(|d| {
                    let _ = d.take_wire();
                });
            }
            Op::Link(up) => {
                let up = *up;
                self.both(|d| d.set_link(up));
            }
            Op::Fault(t) => {
                let (a, l) = self.target_range(*t);
                self.both(|d| d.fault(a, l));
            }
            Op::ClearFaults => self.both(|d| d.clear_faults()),
            Op::Bus(p) => {
                let p = *p;
                self.both(|d| d.bus(p));
            }
            Op::Wait(us) => {
                let ns = u64::from(*us) * 1000;
                self.both(|d| d.wait_ns(ns));
            }
        }
        None
    }

    fn compare_memory(&mut self) -> Result<(), String> {
        for (name, addr, len, _) in self.regions() {
            let mut a = vec![0u8; len];
            let mut b = vec![0u8; len];
            self.reference.cpu_read(addr, &mut a);
            self.dut.cpu_read(addr, &mut b);
            if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
                let what = if name.ends_with("ring") {
                    format!("descriptor {} byte {}", i / 16, i % 16)
                } else {
                    format!("byte {i}")
                };
                return Err(format!(
                    "memory differs in {name}, {what} (address {:#x}): model {:#04x}, {} {:#04x}",
                    addr + i as u64,
                    a[i],
                    self.dut.name(),
                    b[i]
                ));
            }
        }
        Ok(())
    }

    /// Compare after an operation.
    fn compare(&mut self, read: Option<(u32, u32)>) -> Result<(), String> {
        let a = self.reference.take_wire();
        let b = self.dut.take_wire();
        self.summary.tx_frames += a.len() as u64;
        // A write outside the mappings is never acceptable.
        let dv = self.dut.violations();
        let new_dut: Vec<_> = dv[self.dut_violations..].to_vec();
        self.dut_violations = dv.len();
        let rv = self.reference.violations();
        let new_ref = rv.len() - self.ref_violations;
        self.ref_violations = rv.len();
        if let Some(v) = new_dut.iter().find(|v| v.access == Access::DeviceWrite) {
            return Err(format!("device wrote outside its mappings: {v:?}"));
        }
        // The reference's own new states.
        let stopped = (
            self.reference.nic.tx_stopped(),
            self.reference.nic.rx_stopped(),
        );
        let newly_stopped = stopped != self.ref_stopped && (stopped.0 || stopped.1);
        self.ref_stopped = stopped;
        if self.relaxed.is_some() {
            return Ok(());
        }
        // The reference left defined behaviour during this operation:
        // nothing of it is compared.
        if !self.reference.nic.undefined().is_empty() {
            self.summary.undefined += 1;
            let why = format!("undefined: {:?}", self.reference.nic.undefined());
            self.relax(why);
            return Ok(());
        }
        self.summary.compared += 1;
        if a != b {
            return Err(describe_wire(&a, &b, &self.dut.name()));
        }
        if let Some((x, y)) = read
            && x != y
        {
            return Err(format!(
                "register read: model {x:#010x}, {} {y:#010x}",
                self.dut.name()
            ));
        }
        if !new_dut.is_empty() && new_ref == 0 {
            return Err(format!(
                "device accessed memory outside its mappings: {:?}",
                new_dut[0]
            ));
        }
        if newly_stopped {
            // NIC.md "Bus errors": the queue stops and reports it.
            self.summary.dma_errors += 1;
            let mask = (Status::TXSTOP | Status::RXSTOP).bits();
            let x = self.reference.read32(reg::STATUS) & mask;
            let y = self.dut.read32(reg::STATUS) & mask;
            if x != y {
                return Err(format!(
                    "bus error: STATUS stop bits model {x:#x}, {} {y:#x}",
                    self.dut.name()
                ));
            }
            let mask = Dmaerr::VALID.bits() | Dmaerr::RXQ.bits();
            let x = self.reference.read32(reg::DMAERR) & mask;
            let y = self.dut.read32(reg::DMAERR) & mask;
            if x != y {
                return Err(format!(
                    "bus error: DMAERR model {x:#x}, {} {y:#x}",
                    self.dut.name()
                ));
            }
            self.relax("bus error".into());
            return Ok(());
        }
        if new_ref > 0 {
            self.relax("the program made the NIC access memory outside its mappings".into());
            return Ok(());
        }
        // Heads (RDH except while a frame is partly written, which this NIC
        // never does).
        let (x, y) = (self.reference.read32(reg::TDH), self.dut.read32(reg::TDH));
        if x != y {
            return Err(format!("TDH: model {x}, {} {y}", self.dut.name()));
        }
        if !self.reference.nic.rx_frame_in_progress() {
            let (x, y) = (self.reference.read32(reg::RDH), self.dut.read32(reg::RDH));
            if x != y {
                return Err(format!("RDH: model {x}, {} {y}", self.dut.name()));
            }
        }
        let (x, y) = (self.reference.irq(), self.dut.irq());
        if x != y {
            // Failing anyway: the destructive ICR read is for the report.
            let dut_icr = self.dut.read32(reg::ICR);
            return Err(format!(
                "irq: model {x}, {} {y} (ICR model {:#x}, {} {dut_icr:#x}; IMS {:#x})",
                self.dut.name(),
                self.reference.nic.peek_icr(),
                self.dut.name(),
                self.reference.nic.ims()
            ));
        }
        self.compare_memory()
    }

    /// At the end: every statistics counter and the causes.
    fn final_compare(&mut self) -> Result<(), String> {
        let t = self.reference.nic.totals();
        self.summary.rx_delivered = t.rx_frames;
        self.summary.multi_desc_rx = t.rx_multi_desc;
        self.summary.tx_fifo_drops = t.tx_dropped;
        self.summary.tx_csum_skips = t.tx_csum_skipped;
        if self.relaxed.is_some() {
            return Ok(());
        }
        for off in std::iter::once(reg::ICR).chain(super::ops::STAT_REGS) {
            let (x, y) = (self.reference.read32(off), self.dut.read32(off));
            if x != y {
                let name = driver::regs::register_at(off).map_or("?", |(r, _)| r.name);
                return Err(format!(
                    "{name} at the end: model {x}, {} {y}",
                    self.dut.name()
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Tx,
    Rx,
}

fn describe_wire(a: &[Vec<u8>], b: &[Vec<u8>], name: &str) -> String {
    if a.len() != b.len() {
        return format!(
            "frames on the wire: model sent {} ({:?} bytes), {name} sent {} ({:?} bytes)",
            a.len(),
            a.iter().map(Vec::len).collect::<Vec<_>>(),
            b.len(),
            b.iter().map(Vec::len).collect::<Vec<_>>()
        );
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            let at = x
                .iter()
                .zip(y)
                .position(|(p, q)| p != q)
                .unwrap_or(x.len().min(y.len()));
            return format!(
                "frame {i} on the wire: model {} bytes, {name} {} bytes, first difference at byte {at}",
                x.len(),
                y.len()
            );
        }
    }
    "frames on the wire differ".into()
}

/// Run `program` on the reference model and on `dut`, comparing after
/// every operation.
pub fn run(program: &Program, dut: &mut dyn Dut) -> Result<Summary, Mismatch> {
    let s = &program.setup;
    let bad_setup = |why: &str| Mismatch {
        op: None,
        detail: format!("invalid set-up: {why}"),
    };
    if s.tx_slots == 0 || s.tx_slots % 8 != 0 || s.rx_slots == 0 || s.rx_slots % 8 != 0 {
        return Err(bad_setup("ring sizes must be non-zero multiples of 8"));
    }
    if driver::regs::rctl_bsize(Rctl::empty(), usize::from(s.rx_buf)).is_none() {
        return Err(bad_setup("unsupported RX buffer size"));
    }
    let mut r = Run {
        setup: s,
        reference: ModelDut::new(sim::model::ModelConfig::default()),
        dut,
        tx_ring: 0,
        rx_ring: 0,
        tx_bufs: Vec::new(),
        rx_bufs: Vec::new(),
        tx_tail: 0,
        rx_tail: 0,
        relaxed: None,
        ref_violations: 0,
        dut_violations: 0,
        summary: Summary {
            programs: 1,
            ..Summary::default()
        },
        ref_stopped: (false, false),
    };
    r.both(|d| d.set_link(true));
    r.map_all()?;
    r.init_memory();
    r.program_registers();
    // Power-on link event and set-up: start from a clean cause register.
    r.both(|d| {
        let _ = d.read32(reg::ICR);
    });
    let settle = |r: &mut Run<'_>, op: Option<usize>| -> Result<(), Mismatch> {
        r.reference.settle().map_err(|e| Mismatch {
            op,
            detail: format!("model: {e}"),
        })?;
        r.dut.settle().map_err(|e| Mismatch {
            op,
            detail: format!("{}: {e}", r.dut.name()),
        })
    };
    settle(&mut r, None)?;
    r.compare(None)
        .map_err(|detail| Mismatch { op: None, detail })?;
    for (i, op) in program.ops.iter().enumerate() {
        r.summary.ops += 1;
        let read = r.apply(op);
        settle(&mut r, Some(i))?;
        r.compare(read).map_err(|detail| Mismatch {
            op: Some(i),
            detail,
        })?;
    }
    r.final_compare()
        .map_err(|detail| Mismatch { op: None, detail })?;
    Ok(r.summary)
}
