//! AXI4 slave memory agent: serves the NIC's DMA master (`m_axi_*`) from
//! host memory, through the DMA sanitizer.
//!
//! INCR, FIXED and WRAP bursts (AMBA AXI IHI 0022 A3.4.1), narrow transfers
//! on their byte lanes (A3.4.3), write strobes (A3.4.3), configurable
//! read/write latency, ready/valid backpressure patterns, several outstanding
//! transactions, and SLVERR/DECERR for chosen address ranges (A3.4.4). A burst
//! that the sanitizer refuses is answered DECERR and its data is not written.
//!
//! Backpressure decisions are a pure function of (seed, channel, cycle), so
//! skipping idle cycles does not change what happens afterwards.

use crate::axi_check::AxiSnapshot;
use crate::ffi::Model;
use crate::hostmem::{Access, HostMemory, Violation};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

pub const RESP_OKAY: u8 = 0;
pub const RESP_SLVERR: u8 = 2;
pub const RESP_DECERR: u8 = 3;

/// When a ready (or valid) signal the agent controls is high.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pattern {
    /// Every cycle.
    Always,
    /// High for `on` cycles out of every `period`.
    Duty { on: u32, period: u32 },
    /// High with probability `percent`/100, from the world's seed.
    Random { percent: u8 },
}

/// An address range answered with an error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRange {
    pub start: u64,
    pub end: u64,
    /// [`RESP_SLVERR`] or [`RESP_DECERR`].
    pub resp: u8,
}

/// Memory agent configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct MemConfig {
    /// Cycles from the AR handshake to the first R beat being offered.
    pub read_latency: u32,
    /// Cycles from the last W beat to the B response being offered.
    pub write_latency: u32,
    pub ar_ready: Pattern,
    pub aw_ready: Pattern,
    pub w_ready: Pattern,
    pub r_valid: Pattern,
    pub b_valid: Pattern,
    pub max_reads: usize,
    pub max_writes: usize,
    pub error_ranges: Vec<ErrorRange>,
}

impl Default for MemConfig {
    fn default() -> Self {
        MemConfig {
            read_latency: 8,
            write_latency: 4,
            ar_ready: Pattern::Always,
            aw_ready: Pattern::Always,
            w_ready: Pattern::Always,
            r_valid: Pattern::Always,
            b_valid: Pattern::Always,
            max_reads: 4,
            max_writes: 4,
            error_ranges: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Burst {
    id: u32,
    addr: u64,
    len: u8,
    size: u8,
    burst: u8,
    beat: u32,
    resp: u8,
    ready_at: u64,
}

impl Burst {
    fn bytes(&self) -> u64 {
        1u64 << self.size
    }
    fn beats(&self) -> u32 {
        u32::from(self.len) + 1
    }
    /// The byte range the whole burst touches (A3.4.1).
    fn range(&self) -> (u64, u64) {
        let n = self.bytes();
        let aligned = self.addr & !(n - 1);
        match self.burst {
            0 => (self.addr, aligned.saturating_add(n)),
            2 => {
                let total = n * u64::from(self.beats());
                let base = self.addr & !(total - 1);
                (base, base.saturating_add(total))
            }
            _ => (
                self.addr,
                aligned.saturating_add(n.saturating_mul(u64::from(self.beats()))),
            ),
        }
    }
    /// Address of beat `i` and the number of valid bytes from it.
    fn beat_addr(&self, i: u32) -> (u64, u64) {
        let n = self.bytes();
        let aligned = self.addr & !(n - 1);
        let a = match self.burst {
            0 => self.addr,
            2 => {
                let total = n * u64::from(self.beats());
                let base = self.addr & !(total - 1);
                base + ((self.addr - base + n * u64::from(i)) % total)
            }
            _ if i == 0 => self.addr,
            _ => aligned + n * u64::from(i),
        };
        let end = (a & !(n - 1)) + n;
        (a, end - a)
    }
}

/// Counter-based random bits: the same (seed, stream, cycle) always gives
/// the same value, whatever was asked before.
#[derive(Debug)]
struct CycleRng {
    rng: ChaCha8Rng,
    next_cycle: u64,
}

impl CycleRng {
    fn new(seed: u64, stream: u64) -> CycleRng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        CycleRng { rng, next_cycle: 0 }
    }
    fn word(&mut self, cycle: u64) -> u32 {
        if cycle != self.next_cycle {
            self.rng.set_word_pos(u128::from(cycle));
        }
        self.next_cycle = cycle + 1;
        self.rng.next_u32()
    }
}

/// The memory agent for one NIC.
#[derive(Debug)]
pub struct AxiMemSlave {
    pub cfg: MemConfig,
    rng: CycleRng,
    reads: VecDeque<Burst>,
    writes: VecDeque<Burst>,
    bresps: VecDeque<(u32, u8, u64)>,
    r_latched: Option<u64>,
    random_needed: bool,
    /// Statistics.
    pub reads_served: u64,
    pub writes_served: u64,
    pub error_responses: u64,
}

impl AxiMemSlave {
    pub fn new(cfg: MemConfig, seed: u64, stream: u64) -> AxiMemSlave {
        let random_needed = [
            cfg.ar_ready,
            cfg.aw_ready,
            cfg.w_ready,
            cfg.r_valid,
            cfg.b_valid,
        ]
        .iter()
        .any(|p| matches!(p, Pattern::Random { .. }));
        AxiMemSlave {
            cfg,
            rng: CycleRng::new(seed, stream),
            reads: VecDeque::new(),
            writes: VecDeque::new(),
            bresps: VecDeque::new(),
            r_latched: None,
            random_needed,
            reads_served: 0,
            writes_served: 0,
            error_responses: 0,
        }
    }

    /// No transaction accepted and unanswered.
    pub fn idle(&self) -> bool {
        self.reads.is_empty() && self.writes.is_empty() && self.bresps.is_empty()
    }

    fn gate(p: Pattern, cycle: u64, bits: u32, lane: u32) -> bool {
        match p {
            Pattern::Always => true,
            Pattern::Duty { on, period } => {
                period == 0 || (cycle % u64::from(period)) < u64::from(on)
            }
            Pattern::Random { percent } => {
                let v = (bits >> (lane * 7)) & 0x7f;
                v * 100 < u32::from(percent) * 128
            }
        }
    }

    fn error_resp(&self, start: u64, end: u64) -> u8 {
        self.cfg
            .error_ranges
            .iter()
            .find(|r| start < r.end && r.start < end)
            .map_or(RESP_OKAY, |r| r.resp)
    }

    /// Drive the slave's outputs for this cycle.
    pub fn drive(&mut self, m: &mut Model, mem: &mut HostMemory, cycle: u64) {
        let bits = if self.random_needed {
            self.rng.word(cycle)
        } else {
            0
        };
        let c = &self.cfg;
        m.set_m_axi_arready(u8::from(
            self.reads.len() < c.max_reads && Self::gate(c.ar_ready, cycle, bits, 0),
        ));
        m.set_m_axi_awready(u8::from(
            self.writes.len() < c.max_writes && Self::gate(c.aw_ready, cycle, bits, 1),
        ));
        m.set_m_axi_wready(u8::from(
            !self.writes.is_empty() && Self::gate(c.w_ready, cycle, bits, 2),
        ));
        // R: the oldest read whose latency has passed.
        let mut rvalid = false;
        if let Some(b) = self.reads.front() {
            if b.ready_at <= cycle
                && (self.r_latched.is_some() || Self::gate(c.r_valid, cycle, bits, 3))
            {
                rvalid = true;
                let data = match self.r_latched {
                    Some(d) => d,
                    None => {
                        let mut d = 0u64;
                        if b.resp == RESP_OKAY {
                            let (a, n) = b.beat_addr(b.beat);
                            let mut buf = [0u8; 8];
                            let lane = (a % 8) as usize;
                            let n = (n as usize).min(8 - lane);
                            mem.device_read(a, &mut buf[lane..lane + n]);
                            d = u64::from_le_bytes(buf);
                        }
                        self.r_latched = Some(d);
                        d
                    }
                };
                m.set_m_axi_rid(b.id as u8);
                m.set_m_axi_rdata(data);
                m.set_m_axi_rresp(b.resp);
                m.set_m_axi_rlast(u8::from(b.beat + 1 == b.beats()));
            }
        }
        m.set_m_axi_rvalid(u8::from(rvalid));
        let mut bvalid = false;
        if let Some(&(id, resp, at)) = self.bresps.front() {
            if at <= cycle && Self::gate(c.b_valid, cycle, bits, 4) {
                bvalid = true;
                m.set_m_axi_bid(id as u8);
                m.set_m_axi_bresp(resp);
            }
        }
        m.set_m_axi_bvalid(u8::from(bvalid));
    }

    /// Take the handshakes of this edge. A refused burst is returned as a
    /// sanitizer violation (the burst itself is answered DECERR).
    pub fn sample(
        &mut self,
        s: &AxiSnapshot,
        mem: &mut HostMemory,
        cycle: u64,
    ) -> Result<(), Violation> {
        let mut result = Ok(());
        if s.r.fire() {
            self.r_latched = None;
            if let Some(b) = self.reads.front_mut() {
                b.beat += 1;
                if b.beat == b.beats() {
                    self.reads.pop_front();
                    self.reads_served += 1;
                }
            }
        }
        if s.b.fire() {
            self.bresps.pop_front();
        }
        if s.w.fire() {
            if let Some(b) = self.writes.front_mut() {
                if b.resp == RESP_OKAY {
                    let (a, n) = b.beat_addr(b.beat);
                    let bytes = s.w.payload.data.to_le_bytes();
                    let lane0 = (a % 8) as usize;
                    // Byte lanes this beat writes: inside the beat's
                    // transfer size and enabled by WSTRB (AXI A3.4.3).
                    let in_beat = ((1u16 << (lane0 + n as usize).min(8)) - 1) as u8
                        & !((1u8 << lane0).wrapping_sub(1));
                    let lanes = s.w.payload.strb & in_beat;
                    if lanes != 0 {
                        let lo = lanes.trailing_zeros() as usize;
                        let hi = 7 - lanes.leading_zeros() as usize;
                        let first = (a & !7) + lo as u64;
                        let checked = mem.device_check_bytes(first, (hi - lo + 1) as u64, cycle);
                        match checked {
                            Ok(()) => {
                                let run = u16::from(lanes >> lo);
                                if run & (run + 1) == 0 {
                                    // Contiguous strobes (the usual case):
                                    // one copy instead of one per byte.
                                    mem.device_write((a & !7) + lo as u64, &bytes[lo..=hi]);
                                } else {
                                    for lane in (lo..=hi).filter(|l| lanes & (1 << l) != 0) {
                                        mem.device_write(
                                            (a & !7) + lane as u64,
                                            &bytes[lane..=lane],
                                        );
                                    }
                                }
                            }
                            Err(v) => {
                                b.resp = RESP_DECERR;
                                result = Err(v);
                            }
                        }
                    }
                }
                b.beat += 1;
                if b.beat == b.beats() || s.w.payload.last {
                    let at = cycle + u64::from(self.cfg.write_latency);
                    self.bresps.push_back((b.id, b.resp, at));
                    if b.resp != RESP_OKAY {
                        self.error_responses += 1;
                    }
                    self.writes.pop_front();
                    self.writes_served += 1;
                }
            }
        }
        for (fire, p, access) in [
            (s.ar.fire(), s.ar.payload, Access::DeviceRead),
            (s.aw.fire(), s.aw.payload, Access::DeviceWrite),
        ] {
            if !fire {
                continue;
            }
            let mut b = Burst {
                id: p.id,
                addr: p.addr,
                len: p.len,
                size: p.size.min(3),
                burst: p.burst,
                beat: 0,
                resp: RESP_OKAY,
                ready_at: cycle + u64::from(self.cfg.read_latency),
            };
            let (start, end) = b.range();
            b.resp = self.error_resp(start, end);
            if b.resp == RESP_OKAY {
                if let Err(v) = mem.device_check(start, end - start, access, cycle) {
                    b.resp = RESP_DECERR;
                    result = Err(v);
                }
            }
            tracing::debug!(
                target: "sim::axi",
                cycle,
                kind = if access == Access::DeviceRead { "read" } else { "write" },
                id = b.id,
                addr = format_args!("{:#x}", b.addr),
                beats = b.beats(),
                size = b.bytes(),
                resp = b.resp,
                "DMA burst accepted"
            );
            match access {
                Access::DeviceRead => {
                    if b.resp != RESP_OKAY {
                        self.error_responses += 1;
                    }
                    self.reads.push_back(b)
                }
                Access::DeviceWrite => self.writes.push_back(b),
            }
        }
        result
    }
}

#[cfg(test)]
// Snapshots are built channel by channel, as a master drives them.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[test]
    fn beat_addresses_follow_a3_4_1() {
        let b = Burst {
            id: 0,
            addr: 0x1004,
            len: 2,
            size: 3,
            burst: 1,
            beat: 0,
            resp: 0,
            ready_at: 0,
        };
        assert_eq!(b.beat_addr(0), (0x1004, 4));
        assert_eq!(b.beat_addr(1), (0x1008, 8));
        assert_eq!(b.range(), (0x1004, 0x1018));
        let w = Burst {
            addr: 0x1018,
            len: 3,
            burst: 2,
            ..b
        };
        assert_eq!(w.beat_addr(0).0, 0x1018);
        assert_eq!(w.beat_addr(1).0, 0x1000);
        assert_eq!(w.range(), (0x1000, 0x1020));
        let f = Burst { burst: 0, ..b };
        assert_eq!(f.beat_addr(2), (0x1004, 4));
    }

    #[test]
    fn random_pattern_is_a_function_of_the_cycle() {
        let mut a = CycleRng::new(7, 1);
        let mut b = CycleRng::new(7, 1);
        let seq: Vec<u32> = (0..100).map(|c| a.word(c)).collect();
        // Skipping ahead and coming back gives the same words.
        assert_eq!(b.word(50), seq[50]);
        assert_eq!(b.word(3), seq[3]);
        assert_eq!(b.word(4), seq[4]);
        let ones = (0..1000u64)
            .filter(|&c| AxiMemSlave::gate(Pattern::Random { percent: 30 }, c, a.word(c), 0))
            .count();
        assert!((200..400).contains(&ones), "{ones}");
    }
}

#[cfg(test)]
// Snapshots are built channel by channel, as a master drives them.
#[allow(clippy::field_reassign_with_default)]
mod pin_tests {
    //! The agent against a model's pins (the model is used as the pin
    //! register only: the test plays the DMA master).
    use super::*;
    use crate::axi_check::{AddrBeat, AxiChecker, Chan};
    use crate::hostmem::ViolationKind;
    use driver::hal::{DmaDirection, DmaMemory};

    /// rdata, rresp, rlast.
    type RPins = (u64, u8, bool);

    /// What the agent drives, read back from the model's input pins.
    fn r_pins(m: &Model) -> Option<RPins> {
        (m.m_axi_rvalid() != 0).then(|| (m.m_axi_rdata(), m.m_axi_rresp(), m.m_axi_rlast() != 0))
    }

    /// Play a read burst as master (always ready), collecting the beats.
    fn read_burst(
        slave: &mut AxiMemSlave,
        mem: &mut HostMemory,
        m: &mut Model,
        chk: &mut AxiChecker,
        cycle: &mut u64,
        ar: AddrBeat,
    ) -> (Vec<RPins>, Result<(), Violation>) {
        let mut beats = Vec::new();
        let mut first_err = Ok(());
        let mut ar_pending = true;
        for _ in 0..200 {
            slave.drive(m, mem, *cycle);
            let mut s = AxiSnapshot::default();
            s.ar = Chan {
                valid: ar_pending,
                ready: m.m_axi_arready() != 0,
                payload: ar,
            };
            if let Some((data, resp, last)) = r_pins(m) {
                s.r = Chan {
                    valid: true,
                    ready: true,
                    payload: crate::axi_check::RBeat {
                        id: u32::from(m.m_axi_rid()),
                        data,
                        resp,
                        last,
                    },
                };
                beats.push((data, resp, last));
            }
            chk.check(*cycle, &s).unwrap();
            if let Err(v) = slave.sample(&s, mem, *cycle) {
                first_err = Err(v);
            }
            if s.ar.fire() {
                ar_pending = false;
            }
            *cycle += 1;
            if !ar_pending && slave.idle() {
                break;
            }
        }
        (beats, first_err)
    }

    #[test]
    fn serves_bursts_with_latency_backpressure_and_lanes() {
        let mut m = Model::new();
        let mut mem = HostMemory::new();
        let cfg = MemConfig {
            read_latency: 5,
            ar_ready: Pattern::Duty { on: 1, period: 3 },
            r_valid: Pattern::Random { percent: 50 },
            ..MemConfig::default()
        };
        let mut slave = AxiMemSlave::new(cfg, 42, 0);
        let mut chk = AxiChecker::axi4("m_axi", 8);
        let buf = mem.map(64, DmaDirection::ToDevice).unwrap();
        let bytes: Vec<u8> = (0..64u8).collect();
        mem.write(buf, &bytes).unwrap();
        let mut cycle = 1;
        let ar = AddrBeat {
            id: 2,
            addr: buf.0 + 4,
            len: 2,
            size: 3,
            burst: 1,
        };
        let (beats, r) = read_burst(&mut slave, &mut mem, &mut m, &mut chk, &mut cycle, ar);
        r.unwrap();
        assert_eq!(beats.len(), 3);
        // First beat: unaligned, bytes 4..8 on lanes 4..8 (A3.4.3).
        assert_eq!(beats[0].0, u64::from_le_bytes([0, 0, 0, 0, 4, 5, 6, 7]));
        assert_eq!(
            beats[1].0,
            u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15])
        );
        assert_eq!(
            beats.iter().map(|b| b.2).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert!(cycle > 1 + 5, "latency respected");
        assert_eq!(slave.reads_served, 1);
    }

    #[test]
    fn bad_descriptor_address_is_caught_with_the_descriptor() {
        let mut m = Model::new();
        let mut mem = HostMemory::new();
        let mut slave = AxiMemSlave::new(MemConfig::default(), 1, 0);
        let mut chk = AxiChecker::axi4("m_axi", 8);
        // A TX ring whose only descriptor points at an address never mapped.
        let ring = mem.alloc_coherent(128, 128).unwrap();
        let bogus = 0xdead_0000u64;
        let mut desc = [0u8; 16];
        desc[..8].copy_from_slice(&bogus.to_le_bytes());
        desc[8..10].copy_from_slice(&60u16.to_le_bytes());
        desc[11] = 0b1011; // EOP | IFCS | RS
        mem.write(ring, &desc).unwrap();
        let mut cycle = 1;
        // The test master fetches the descriptor (2 beats), then its buffer.
        let fetch = AddrBeat {
            id: 0,
            addr: ring.0,
            len: 1,
            size: 3,
            burst: 1,
        };
        let (beats, r) = read_burst(&mut slave, &mut mem, &mut m, &mut chk, &mut cycle, fetch);
        r.unwrap();
        let addr = beats[0].0;
        assert_eq!(addr, bogus);
        let buf = AddrBeat {
            id: 1,
            addr,
            len: 7,
            size: 3,
            burst: 1,
        };
        let (beats, r) = read_burst(&mut slave, &mut mem, &mut m, &mut chk, &mut cycle, buf);
        let v = r.unwrap_err();
        assert_eq!((v.addr, v.kind), (bogus, ViolationKind::Unmapped));
        assert_eq!(v.last_descriptor.unwrap().bytes, desc);
        assert_eq!(v.last_descriptor.unwrap().addr, ring.0);
        // The device gets DECERR on every beat, never data.
        assert_eq!(beats.len(), 8);
        assert!(beats.iter().all(|b| b.1 == RESP_DECERR && b.0 == 0));
        assert_eq!(slave.error_responses, 1);
    }

    #[test]
    fn error_ranges_answer_slverr_and_writes_obey_strobes() {
        let mut m = Model::new();
        let mut mem = HostMemory::new();
        let rx = mem.map(64, DmaDirection::FromDevice).unwrap();
        let cfg = MemConfig {
            error_ranges: vec![ErrorRange {
                start: rx.0 + 32,
                end: rx.0 + 64,
                resp: RESP_SLVERR,
            }],
            ..MemConfig::default()
        };
        let mut slave = AxiMemSlave::new(cfg, 1, 0);
        let mut chk = AxiChecker::axi4("m_axi", 8);
        let mut cycle = 1;
        let mut resps = Vec::new();
        for (addr, strb) in [(rx.0, 0x0fu8), (rx.0 + 32, 0xff)] {
            let aw = AddrBeat {
                id: 3,
                addr,
                len: 0,
                size: 3,
                burst: 1,
            };
            let w = crate::axi_check::WBeat {
                data: 0x8877_6655_4433_2211,
                strb,
                last: true,
            };
            let (mut aw_p, mut w_p) = (true, true);
            for _ in 0..50 {
                slave.drive(&mut m, &mut mem, cycle);
                let mut s = AxiSnapshot::default();
                s.aw = Chan {
                    valid: aw_p,
                    ready: m.m_axi_awready() != 0,
                    payload: aw,
                };
                s.w = Chan {
                    valid: w_p,
                    ready: m.m_axi_wready() != 0,
                    payload: w,
                };
                s.b = Chan {
                    valid: m.m_axi_bvalid() != 0,
                    ready: true,
                    payload: crate::axi_check::BBeat {
                        id: u32::from(m.m_axi_bid()),
                        resp: m.m_axi_bresp(),
                    },
                };
                chk.check(cycle, &s).unwrap();
                slave.sample(&s, &mut mem, cycle).unwrap();
                aw_p &= !s.aw.fire();
                w_p &= !s.w.fire();
                cycle += 1;
                if s.b.fire() {
                    resps.push(s.b.payload.resp);
                    break;
                }
            }
        }
        assert_eq!(resps, [RESP_OKAY, RESP_SLVERR]);
        let mut got = [0u8; 8];
        mem.read(rx, &mut got).unwrap();
        assert_eq!(got, [0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0]);
        mem.read(driver::hal::DmaAddr(rx.0 + 32), &mut got).unwrap();
        assert_eq!(got, [0; 8], "an error response writes nothing");
    }
}
